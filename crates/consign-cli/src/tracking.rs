//! `consign import events`, `consign sweep`, `consign rules …`.

use crate::commands::explain;
use anyhow::{Context, bail};
use consign_app::App;
use consign_app::import::{Format, RowError};
use consign_core::access::Principal;
use consign_core::rules::Rulebook;
use consign_core::time::FixedClock;
use consign_core::tracking::FeedCrosswalk;
use jiff::Timestamp;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

fn report(file: &Path, errors: &[RowError]) -> ExitCode {
    eprintln!(
        "{}: {} problem(s); nothing was imported",
        file.display(),
        errors.len()
    );
    for e in errors.iter().take(200) {
        eprintln!("  {e}");
    }
    if errors.len() > 200 {
        eprintln!("  … and {} more", errors.len() - 200);
    }
    ExitCode::FAILURE
}

/// Parses an instant (`2026-11-20T14:00:00Z`) or a date (midnight UTC).
pub fn parse_instant(what: &str, s: &str) -> anyhow::Result<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return Ok(d.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp());
    }
    bail!("{what}: '{s}' is not an RFC 3339 instant (2026-11-20T14:00:00Z) or a date (2026-11-20)")
}

pub async fn import_events(
    app: &App,
    file: &Path,
    tenant: &str,
    format: Option<&str>,
    codes: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let system = Principal::system();
    let tenant = app.tenant_for(&system, tenant).await.map_err(explain)?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let format = match format {
        None => Format::from_path(file),
        Some("csv") => Format::Csv,
        Some("jsonl" | "ndjson") => Format::JsonLines,
        Some(other) => bail!("--format: unknown format '{other}'; expected csv or jsonl"),
    };
    let feed = match codes {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading feed crosswalk {}", p.display()))?;
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some(FeedCrosswalk::parse(&name, &text).map_err(|e| anyhow::anyhow!("{e}"))?)
        }
    };
    let items = match consign_app::events_file::read_events(&bytes, format, feed.as_ref()) {
        Ok(i) => i,
        Err(errs) => return Ok(report(file, &errs)),
    };
    let source = match &feed {
        Some(f) => format!("csv:{}", f.name.trim_end_matches(".csv")),
        None => "file".to_string(),
    };
    // Validate everything before committing anything.
    let labels: Vec<String> = items.iter().map(|(l, _)| l.clone()).collect();
    let events = match app.prepare_events(&system, &tenant, &source, items).await {
        Ok(e) => e,
        Err(consign_app::AppError::InvalidItems(bad)) => {
            let errs: Vec<RowError> = bad
                .into_iter()
                .flat_map(|(i, inv)| {
                    let line = labels[i]
                        .strip_prefix("line ")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    inv.errors.into_iter().map(move |f| RowError {
                        line,
                        field: f.field,
                        reason: f.reason,
                    })
                })
                .collect();
            return Ok(report(file, &errs));
        }
        Err(e) => return Err(explain(e)),
    };
    let n = events.len();
    let mut total = consign_app::tracking::IngestOutcome::default();
    // One transaction per 10,000 events keeps memory flat; every chunk is already validated.
    for chunk in events.chunks(consign_app::tracking::MAX_EVENTS_PER_REQUEST) {
        let o = app
            .commit_events(tenant.id, &system.actor.label(), chunk.to_vec())
            .await
            .map_err(explain)?;
        total.accepted += o.accepted;
        total.duplicates += o.duplicates;
        total.orphans += o.orphans;
        total.cases.opened += o.cases.opened;
        total.cases.resolved += o.cases.resolved;
        total.cases.detected_again += o.cases.detected_again;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}: {n} events into {}: {} applied, {} orphans, {} duplicates; cases opened {}, re-detected {}, resolved {}; {:.1}s ({:.0} events/s)",
        file.display(),
        tenant.slug,
        total.accepted,
        total.orphans,
        total.duplicates,
        total.cases.opened,
        total.cases.detected_again,
        total.cases.resolved,
        secs,
        n as f64 / secs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

/// One sweep as of `at` (default now): judges every shipment whose next check has come.
pub async fn sweep(app: &App, at: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut app = app.clone();
    if let Some(at) = at {
        app.clock = Arc::new(FixedClock(parse_instant("--at", at)?));
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

pub fn rules_check(file: &Path) -> anyhow::Result<ExitCode> {
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

pub async fn rules_set(app: &App, tenant: &str, file: &Path) -> anyhow::Result<ExitCode> {
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

pub async fn rules_replay(
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
        None => app.store.tenants().await?,
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
