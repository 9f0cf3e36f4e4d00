//! `consign kpis …`: the KPI rollup as an operator keeps it — bring it up to date, and check
//! it against a full recomputation.

use crate::common::{explain, open_app};
use crate::config::Config;
use clap::Subcommand;
use consign_core::access::Principal;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum KpisCmd {
    /// Count every change still waiting for the rollup (what `serve` does every
    /// `kpi_refresh_interval_secs`).
    #[command(after_help = "Example:\n  consign kpis refresh")]
    Refresh,
    /// Empty a tenant's rollup and count it again from its records (after `verify` found
    /// it differs).
    #[command(after_help = "Example:\n  consign kpis rebuild --tenant northwind")]
    Rebuild {
        #[arg(long)]
        tenant: String,
    },
    /// Recompute every facts row from the records and every daily count from the facts,
    /// and compare with the rollup; exits 2 when they differ.
    #[command(after_help = "Example:\n  consign kpis verify --tenant northwind")]
    Verify {
        /// One tenant's slug (default: every tenant).
        #[arg(long)]
        tenant: Option<String>,
        /// Check the rollup as it is, without counting waiting changes first.
        #[arg(long)]
        no_refresh: bool,
    },
}

pub async fn run(cmd: KpisCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    let app = open_app(cfg).await?;
    let p = Principal::system();
    match cmd {
        KpisCmd::Refresh => {
            let n = app.refresh_kpis_until_done().await.map_err(explain)?;
            println!("KPI rollup up to date: {n} changes counted");
            Ok(ExitCode::SUCCESS)
        }
        KpisCmd::Rebuild { tenant } => {
            let t = app.tenant_for(&p, &tenant).await.map_err(explain)?;
            let n = app.rebuild_kpis(&t).await.map_err(explain)?;
            println!("KPI rollup of {} rebuilt: {n} changes counted", t.slug);
            Ok(ExitCode::SUCCESS)
        }
        KpisCmd::Verify { tenant, no_refresh } => {
            if !no_refresh {
                app.refresh_kpis_until_done().await.map_err(explain)?;
            }
            let tenants = match tenant {
                Some(slug) => vec![app.tenant_for(&p, &slug).await.map_err(explain)?],
                None => app.list_tenants(&p).await.map_err(explain)?,
            };
            let mut broken = false;
            for t in &tenants {
                let c = app.verify_kpis(t).await.map_err(explain)?;
                let state = if c.ok() { "matches" } else { "DIFFERS from" };
                println!(
                    "{}: rollup {state} a full recomputation ({} shipments, {} orders, {} cases, {} days; {} changes waiting)",
                    c.tenant, c.shipments, c.orders, c.cases, c.days, c.pending_changes
                );
                if !c.ok() {
                    broken = true;
                    println!("  {} differences; the first:", c.differences);
                    for l in &c.listed {
                        println!("  - {l}");
                    }
                }
            }
            // Distinct from 1 (could not run) so scripts can tell drift from failure.
            Ok(if broken {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
