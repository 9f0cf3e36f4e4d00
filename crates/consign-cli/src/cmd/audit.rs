//! `consign audit …`: the tamper-evident trail.

use crate::common::{explain, open_app};
use crate::config::Config;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Check every audit chain; names the first broken record and exits non-zero.
    #[command(
        after_help = "Example:\n  consign audit verify --database-url sqlite://consign-data/consign.db"
    )]
    Verify,
}

pub async fn run(cmd: AuditCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    let AuditCmd::Verify = cmd;
    let app = open_app(cfg).await?;
    let r = app.verify_audit().await.map_err(explain)?;
    match r.broken {
        None => println!(
            "audit trail intact: {} records in {} chains verified",
            r.records, r.chains
        ),
        Some(b) => {
            println!(
                "audit trail BROKEN in chain '{}' at record {} ({} {} {}): {}",
                b.chain, b.seq, b.entity, b.entity_id, b.action, b.reason
            );
            println!("{} records verified before it", r.records);
            // Distinct from 1 (could not run) so scripts can tell tampering from failure.
            return Ok(ExitCode::from(2));
        }
    }
    Ok(ExitCode::SUCCESS)
}
