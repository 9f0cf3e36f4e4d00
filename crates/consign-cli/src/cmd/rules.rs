//! `consign rules …`: rulebooks checked without a database, stored per tenant as new
//! versions, shown, and replayed over recorded events on a simulated clock.

use crate::common::{explain, open_app, parse_instant};
use crate::config::Config;
use anyhow::{Context, bail};
use clap::Subcommand;
use consign_app::App;
use consign_core::access::Principal;
use consign_core::rules::Rulebook;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum RulesCmd {
    /// Check a rulebook file without a database; exits 1 with every problem when invalid.
    #[command(after_help = "Example:\n  consign rules check my-rules.toml")]
    Check { file: PathBuf },
    /// Store a rulebook as the tenant's new version (checked first; refused when invalid).
    #[command(after_help = "Example:\n  consign rules set --tenant northwind my-rules.toml")]
    Set {
        #[arg(long)]
        tenant: String,
        file: PathBuf,
    },
    /// Print the rulebook in force for a tenant (version 0 is the shipped default).
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Run a rulebook over recorded events on a simulated clock and compare, per case type,
    /// the cases it would have opened with those that were opened. Writes nothing.
    #[command(
        after_help = "Example:\n  consign rules replay --rulebook stricter.toml --from 2026-10-01 --to 2026-11-01 --tenant northwind"
    )]
    Replay {
        /// Default: each tenant's rulebook in force.
        #[arg(long)]
        rulebook: Option<PathBuf>,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        tenant: Option<String>,
    },
}

pub async fn run(cmd: RulesCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCmd::Check { file } => check(&file),
        RulesCmd::Set { tenant, file } => set(&open_app(cfg).await?, &tenant, &file).await,
        RulesCmd::Show { tenant } => show(&open_app(cfg).await?, &tenant).await,
        RulesCmd::Replay {
            rulebook,
            from,
            to,
            tenant,
        } => {
            let app = open_app(cfg).await?;
            replay(&app, rulebook.as_deref(), &from, &to, tenant.as_deref()).await
        }
    }
}

fn read_rulebook(file: &Path) -> anyhow::Result<(String, Rulebook)> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    match Rulebook::parse(&text) {
        Ok(b) => Ok((text, b)),
        Err(errs) => bail!(
            "{}: the rulebook is refused:\n{}",
            file.display(),
            errs.iter()
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

fn check(file: &Path) -> anyhow::Result<ExitCode> {
    let (_, b) = read_rulebook(file)?;
    println!(
        "{}: rulebook '{}' is valid, {} rule(s):",
        file.display(),
        b.name,
        b.rules.len()
    );
    for r in &b.rules {
        println!(
            "  {:<20} {:<8} {}",
            r.case_type,
            r.severity.as_str(),
            r.description
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn set(app: &App, tenant: &str, file: &Path) -> anyhow::Result<ExitCode> {
    let system = Principal::system();
    let tenant = app.tenant_for(&system, tenant).await.map_err(explain)?;
    let (text, _) = read_rulebook(file)?;
    let r = app
        .set_rulebook(&system, &tenant, &text)
        .await
        .map_err(explain)?;
    println!(
        "stored rulebook '{}' as version {} of {}",
        r.name, r.version, tenant.slug
    );
    Ok(ExitCode::SUCCESS)
}

/// The rulebook in force for a tenant; version 0 is the one shipped in the core.
async fn show(app: &App, tenant: &str) -> anyhow::Result<ExitCode> {
    let system = Principal::system();
    let t = app.tenant_for(&system, tenant).await.map_err(explain)?;
    match app.rulebook(&system, &t).await.map_err(explain)? {
        Some(r) => print!(
            "# version {} of {}, stored {} by {}\n{}",
            r.version, t.slug, r.created_at, r.created_by, r.source
        ),
        None => print!(
            "# version 0: the shipped default\n{}",
            consign_core::rules::DEFAULT_RULEBOOK
        ),
    }
    Ok(ExitCode::SUCCESS)
}

async fn replay(
    app: &App,
    rulebook: Option<&Path>,
    from: &str,
    to: &str,
    tenant: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let from = parse_instant("--from", from)?;
    let to = parse_instant("--to", to)?;
    if to <= from {
        bail!("--to must be after --from");
    }
    let system = Principal::system();
    let tenants = match tenant {
        Some(t) => vec![app.tenant_for(&system, t).await.map_err(explain)?],
        None => app.list_tenants(&system).await.map_err(explain)?,
    };
    let (name, book) = match rulebook {
        Some(f) => {
            let (_, b) = read_rulebook(f)?;
            (f.display().to_string(), Some(b))
        }
        None => ("the rulebook in force".to_string(), None),
    };
    println!("replay of {name} from {from} to {to} (nothing is written)");
    for t in tenants {
        let book = match &book {
            Some(b) => b.clone(),
            None => app
                .rulebook_in_force(t.id)
                .await
                .map_err(explain)?
                .book
                .clone(),
        };
        let r = app.replay(t.id, &book, from, to).await.map_err(explain)?;
        println!(
            "\n{}: {} shipments, {} events replayed",
            t.slug, r.shipments, r.events
        );
        println!(
            "  {:<20} {:>12} {:>12}",
            "case type", "would open", "opened"
        );
        let (mut a, mut b) = (0, 0);
        for (ty, (would, did)) in &r.by_type {
            println!("  {ty:<20} {would:>12} {did:>12}");
            a += would;
            b += did;
        }
        println!("  {:<20} {a:>12} {b:>12}", "total");
    }
    Ok(ExitCode::SUCCESS)
}
