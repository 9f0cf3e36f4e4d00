//! `consign migrate`: opening the store migrates it; this says to which version.

use crate::common::open_app;
use crate::config::Config;
use std::process::ExitCode;

pub async fn run(cfg: &Config) -> anyhow::Result<ExitCode> {
    let app = open_app(cfg).await?;
    println!(
        "{} database is at schema version {}",
        app.engine_name(),
        consign_store::MIGRATION_COUNT
    );
    Ok(ExitCode::SUCCESS)
}
