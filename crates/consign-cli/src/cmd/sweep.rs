//! `consign sweep`: one round of the time-based rules, as `serve` runs every minute, optionally
//! as of a given instant.

use crate::common::{explain, open_app, parse_instant};
use crate::config::Config;
use consign_core::time::FixedClock;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct SweepArgs {
    /// RFC 3339 instant or date; default now.
    #[arg(long)]
    at: Option<String>,
}

/// One sweep as of `--at` (default now): judges every shipment whose next check has come.
pub async fn run(args: SweepArgs, cfg: &Config) -> anyhow::Result<ExitCode> {
    let mut app = open_app(cfg).await?;
    if let Some(at) = args.at {
        app.clock = Arc::new(FixedClock(parse_instant("--at", &at)?));
    }
    let start = Instant::now();
    let (judged, c) = app.sweep(2_000).await.map_err(explain)?;
    let carriers = app.sweep_carriers().await.map_err(explain)?;
    let edi = app.sweep_edi_groups().await.map_err(explain)?;
    println!(
        "sweep as of {}: {judged} shipment(s) judged; cases opened {}, escalated {}, resolved {}; carrier cases opened {}, resolved {}; EDI cases opened {}, resolved {} ({:.2}s)",
        app.now(),
        c.opened,
        c.escalated,
        c.resolved,
        carriers.opened,
        carriers.resolved,
        edi.opened,
        edi.resolved,
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
