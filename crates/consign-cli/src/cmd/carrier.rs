//! `consign carrier …`: a tenant's carriers.

use crate::common::{explain, open_app};
use crate::config::Config;
use clap::Subcommand;
use consign_core::access::Principal;
use consign_core::party::{Mode, NewCarrier};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum CarrierCmd {
    /// Add a carrier to a tenant.
    #[command(
        after_help = "Example:\n  consign carrier add --tenant northwind --name \"Old Dominion\" --scac ODFL --mode ltl"
    )]
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        scac: Option<String>,
        #[arg(long)]
        mode: String,
    },
}

pub async fn run(cmd: CarrierCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    let CarrierCmd::Add {
        tenant,
        name,
        scac,
        mode,
    } = cmd;
    let system = Principal::system();
    let app = open_app(cfg).await?;
    let t = app.tenant_for(&system, &tenant).await.map_err(explain)?;
    let mode = Mode::parse(&mode).map_err(|e| anyhow::anyhow!("--mode: {e}"))?;
    let c = app
        .create_carrier(&system, &t, NewCarrier { name, scac, mode })
        .await
        .map_err(explain)?;
    println!(
        "carrier {} ({}) added to {}",
        c.name,
        c.scac.unwrap_or_default(),
        t.slug
    );
    Ok(ExitCode::SUCCESS)
}
