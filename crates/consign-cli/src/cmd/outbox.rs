//! `consign outbox …`: a tenant's outbox as an administrator reads it — the dead letters first
//! of all — and a dead letter retried by hand (due now, with the same dedup key).

use super::cases::tenant_of;
use crate::common::{explain, open_app};
use crate::config::Config;
use clap::Subcommand;
use consign_core::access::Principal;
use consign_core::message::outbox::DeliveryState;
use consign_store::OutboxFilter;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum OutboxCmd {
    /// Messages newest first, with their last attempt (`--state dead`: the dead letters).
    #[command(after_help = "Example:\n  consign outbox list --tenant northwind --state dead")]
    List {
        #[arg(long)]
        tenant: String,
        /// pending, delivered or dead.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Retry a dead (or delivered) message by hand: due now, same dedup key.
    Retry {
        #[arg(long)]
        tenant: String,
        id: uuid::Uuid,
    },
}

pub async fn run(cmd: OutboxCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    let app = open_app(cfg).await?;
    let sys = Principal::system();
    match cmd {
        OutboxCmd::List {
            tenant,
            state,
            limit,
        } => {
            let t = tenant_of(&app, &tenant).await?;
            let state = state
                .as_deref()
                .map(DeliveryState::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--state: {e}"))?;
            let items = app
                .list_outbox(
                    &sys,
                    &t,
                    &OutboxFilter {
                        state,
                        limit: limit.clamp(1, 1000),
                        ..Default::default()
                    },
                )
                .await
                .map_err(explain)?;
            for d in &items {
                let m = &d.message;
                println!(
                    "{}  {:<9} {:<8} {:<24} {} attempt(s)  {}{}",
                    m.id,
                    m.state.as_str(),
                    m.transport.as_str(),
                    m.kind,
                    m.attempts,
                    m.recipient,
                    m.last_error
                        .as_deref()
                        .map(|e| format!("  ({e})"))
                        .unwrap_or_default()
                );
            }
            println!("{} message(s)", items.len());
        }
        OutboxCmd::Retry { tenant, id } => {
            let t = tenant_of(&app, &tenant).await?;
            let d = app.retry_message(&sys, &t, id).await.map_err(explain)?;
            println!(
                "{} is {} again, due {}; it keeps its dedup key {}",
                d.message.id,
                d.message.state.as_str(),
                d.message.next_attempt_at,
                d.message.dedup_key
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
