//! `consign token …`: API tokens for integrations.

use crate::common::{explain, open_app, parse_role};
use crate::config::Config;
use clap::Subcommand;
use consign_app::admin::NewToken;
use consign_core::access::Principal;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum TokenCmd {
    /// Create an API token and print it once.
    #[command(
        after_help = "Example:\n  consign token create --role integration --tenant northwind --name wms --scope orders:write --scope shipments:write --expires-in-days 90"
    )]
    Create {
        #[arg(long)]
        role: String,
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        carrier: Option<String>,
        /// Narrow the role (repeatable): orders:read, orders:write, shipments:read, …
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// The token stops working this many days from now (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
    },
}

pub async fn run(cmd: TokenCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    let TokenCmd::Create {
        role,
        tenant,
        name,
        carrier,
        scopes,
        expires_in_days,
    } = cmd;
    let app = open_app(cfg).await?;
    let expires_at =
        expires_in_days.map(|d| app.now() + jiff::SignedDuration::from_hours(24 * i64::from(d)));
    let role = parse_role(&role)?;
    let scopes = if scopes.is_empty() {
        None
    } else {
        Some(scopes)
    };
    let (t, secret) = app
        .create_token(
            &Principal::system(),
            NewToken {
                name,
                role,
                tenant,
                carrier,
                scopes,
                expires_at,
            },
        )
        .await
        .map_err(explain)?;
    match t.expires_at {
        Some(e) => eprintln!(
            "token {} ({}) created, expires {e}; it is shown once:",
            t.id, t.role
        ),
        None => eprintln!("token {} ({}) created; it is shown once:", t.id, t.role),
    }
    println!("{secret}");
    Ok(ExitCode::SUCCESS)
}
