//! `consign demo`: a fresh SQLite database filled by the demo crate, then served. The CLI's
//! part is where the database lives and serving it; what goes into it is `consign-demo`'s.

use crate::cmd::serve::serve;
use crate::common::{Terminal, explained, open_app};
use crate::config::Config;
use anyhow::{Context, bail};
use consign_demo::run::{DemoOptions, prepare};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 20_000)]
    orders: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Prepare the data, print the login, and exit without serving.
    #[arg(long)]
    no_serve: bool,
}

/// A fresh demo database with realistic data, an administrator and a client login, then serve.
pub async fn run(args: DemoArgs, mut cfg: Config) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    // The demo always starts from a fresh SQLite file so it is the same for everyone.
    if !cfg.database_url.starts_with("sqlite:") {
        bail!("the demo runs on embedded SQLite; use `serve` for PostgreSQL");
    }
    if cfg.data_dir == Path::new("consign-data") {
        cfg.data_dir = "consign-demo".into();
    }
    let db = cfg.data_dir.join("demo.db");
    for suffix in ["", "-wal", "-shm"] {
        let p = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            std::fs::remove_file(&p)
                .with_context(|| format!("removing the previous demo database {}", p.display()))?;
        }
    }
    cfg.database_url = format!("sqlite://{}", db.display());
    // The demo's messages go to receivers inside this process: nothing leaves the machine.
    let sinks = consign_demo::sink::Sinks::start()
        .await
        .context("starting the demo's mail and webhook receivers")?;
    cfg.smtp_url = Some(sinks.smtp_url.clone());
    cfg.webhooks_allow_private = true;
    let app = open_app(&cfg).await?;
    let options = DemoOptions {
        orders: args.orders,
        seed: args.seed,
        now: jiff::Timestamp::now(),
    };
    let ready = prepare(
        &app,
        &cfg.data_dir.join("generated"),
        options,
        &Terminal,
        Some(&sinks),
    )
    .await
    .map_err(explained)?;
    let banner = ready.banner(start.elapsed(), &cfg.database_url, &args.listen);
    if args.no_serve {
        println!("{banner}");
        return Ok(ExitCode::SUCCESS);
    }
    serve(&cfg, app, &args.listen, Some(banner)).await?;
    Ok(ExitCode::SUCCESS)
}
