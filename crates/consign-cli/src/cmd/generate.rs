//! `consign gen`: the demo's dataset written as files that `consign import` reads (the module
//! is not called `gen`, a reserved word since Rust 2024).

use anyhow::{Context, bail};
use consign_demo::dataset::{GenConfig, generate};
use consign_demo::feed::generate_events;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct GenArgs {
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value_t = 20_000)]
    orders: usize,
    /// Spread orders over this many days before now.
    #[arg(long, default_value_t = 60)]
    days: i64,
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: GenArgs) -> anyhow::Result<ExitCode> {
    let GenArgs {
        seed,
        orders,
        days,
        out,
    } = args;
    if days < 1 {
        bail!("--days must be at least 1");
    }
    let start = Instant::now();
    let cfg = GenConfig {
        seed,
        orders,
        days,
        now: jiff::Timestamp::now(),
    };
    let s = generate(&cfg, &out).with_context(|| format!("writing to {}", out.display()))?;
    let events: usize = generate_events(&out, &s.tenants, seed, cfg.now)
        .with_context(|| format!("writing events to {}", out.display()))?
        .iter()
        .map(|(_, f)| f.events.len())
        .sum();
    println!(
        "wrote {} orders ({} lines), {} shipments and {events} tracking events for {} tenants to {} in {:.1}s",
        s.orders,
        s.order_lines,
        s.shipments,
        s.tenants.len(),
        out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
