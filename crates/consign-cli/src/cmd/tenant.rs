//! `consign tenant …`: client accounts.

use crate::common::{explain, open_app};
use crate::config::Config;
use clap::Subcommand;
use consign_core::access::Principal;
use consign_core::tenant::NewTenant;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum TenantCmd {
    /// Add a tenant.
    #[command(
        after_help = "Example:\n  consign tenant add northwind --name \"Northwind Outdoor\" --time-zone America/Chicago"
    )]
    Add {
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "UTC")]
        time_zone: String,
    },
    /// List tenants.
    List,
}

pub async fn run(cmd: TenantCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    let system = Principal::system();
    let app = open_app(cfg).await?;
    match cmd {
        TenantCmd::Add {
            slug,
            name,
            time_zone,
        } => {
            let t = app
                .create_tenant(
                    &system,
                    NewTenant {
                        slug,
                        name,
                        time_zone,
                    },
                )
                .await
                .map_err(explain)?;
            println!("tenant {} ({}) created, id {}", t.slug, t.name, t.id);
        }
        TenantCmd::List => {
            for t in app.list_tenants(&system).await.map_err(explain)? {
                println!("{}\t{}\t{}\t{}", t.slug, t.name, t.time_zone, t.id);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
