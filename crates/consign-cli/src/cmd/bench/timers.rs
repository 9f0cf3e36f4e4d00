//! `consign bench timers`: the SLA timer sweep over many open cases of which a share is due,
//! on business calendars, on each engine. Figures only; nothing here asserts a time.

use super::Engines;
use super::engines::summary;
use super::fixtures::tenant_with_carriers;
use consign_app::App;
use consign_core::access::Principal;
use consign_core::case::settings::CaseSettings;
use consign_core::case::{
    Case, CaseStatus, CaseSubject, NewCase, Severity, TimelineEntry, TimelineKind,
};
use consign_core::ids::{CaseId, ShipmentId};
use consign_core::time::{FixedClock, SystemClock};
use jiff::{SignedDuration, Timestamp};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Office hours in New York on weekdays, a first response in 60 business minutes and a
/// resolution in two business days: the policy every benchmark case falls under.
const SETTINGS: &str = r#"
[calendars.office]
time_zone = "America/New_York"
hours = [
  { weekday = "monday", open = "08:00", close = "18:00" },
  { weekday = "tuesday", open = "08:00", close = "18:00" },
  { weekday = "wednesday", open = "08:00", close = "18:00" },
  { weekday = "thursday", open = "08:00", close = "18:00" },
  { weekday = "friday", open = "08:00", close = "18:00" },
]
holidays = ["2026-12-25", "2027-01-01"]

[[policies.rules]]
name = "standard"
calendar = "office"
first_response = { minutes = 60 }
resolution = { minutes = 1200 }
"#;

#[derive(clap::Args)]
pub struct TimersBench {
    #[arg(long, default_value_t = 100_000)]
    cases: usize,
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    due_percent: u32,
    #[command(flatten)]
    engines: Engines,
}

pub async fn timers(b: TimersBench, database_url: Option<&str>) -> anyhow::Result<ExitCode> {
    let TimersBench {
        cases, due_percent, ..
    } = b;
    println!("bench timers: {cases} open cases, {due_percent} % due, office-hours calendar");
    let lines = b
        .engines
        .on_each("timers.db", database_url, async |engine, url, _| {
            run(engine, url, cases, due_percent).await
        })
        .await?;
    summary(lines)
}

async fn run(engine: &str, url: &str, n: usize, due_percent: u32) -> anyhow::Result<String> {
    let store = consign_store::open(url).await?;
    let app = App::new(store, Arc::new(SystemClock), std::env::temp_dir());
    let (t, carriers) = tenant_with_carriers(&app, "bench-timers").await?;
    let settings: CaseSettings = toml::from_str(SETTINGS)?;
    app.put_case_settings(&Principal::system(), &t, settings)
        .await
        .map_err(crate::common::explain)?;
    // A Tuesday at 11:00 New York: the due cases were opened 50 business minutes ago, so
    // each fires its first-response warning; the rest are due tomorrow.
    let now: Timestamp = "2026-12-08T16:00:00Z".parse()?;
    let every = (100 / due_percent.clamp(1, 100)) as usize;
    let setup = Instant::now();
    let mut batch: Vec<Case> = Vec::new();
    let mut entries: Vec<TimelineEntry> = Vec::new();
    for i in 0..n {
        let due = i % every == 0;
        let opened = now - SignedDuration::from_mins(if due { 50 } else { 5 });
        let id = CaseId::new_at(opened, i as u128 ^ 0x7173);
        let mut c = Case::start(
            id,
            t.id,
            NewCase {
                subject: CaseSubject::Shipment(ShipmentId::new_at(opened, i as u128)),
                case_type: "stalled".into(),
                severity: Severity::Medium,
                accountable: "carrier".into(),
                owner_team: "carrier-desk".into(),
                rulebook_version: 1,
            },
            CaseStatus::New,
            opened,
            opened,
        );
        c.number = format!("CASE-B{i:07}");
        c.carrier_id = Some(carriers[i % carriers.len()].1);
        c.timer_at = Some(if due {
            now - SignedDuration::from_mins(5)
        } else {
            now + SignedDuration::from_hours(24)
        });
        let mut e = TimelineEntry::system(id, opened, TimelineKind::Created, "opened".into());
        e.seq = 1;
        entries.push(e);
        batch.push(c);
        if batch.len() == 5_000 || i + 1 == n {
            let mut tx = app.tools().begin().await?;
            tx.insert_cases(&batch).await?;
            tx.append_timeline(t.id, &entries).await?;
            tx.commit().await?;
            batch.clear();
            entries.clear();
        }
    }
    app.tools().analyze().await?;
    app.tools().checkpoint().await?;
    println!(
        "{engine}: setup {n} cases in {:.1}s",
        setup.elapsed().as_secs_f64()
    );
    let mut at = app.clone();
    at.clock = Arc::new(FixedClock(now));
    let mut rounds = Vec::new();
    let start = Instant::now();
    let s = at
        .sweep_all_case_timers(now, consign_app::workers::TIMER_BATCH)
        .await
        .map_err(crate::common::explain)?;
    rounds.push(start.elapsed().as_secs_f64());
    // The same instant again: nothing left to fire (the index finds no due row).
    let again = Instant::now();
    let s2 = at
        .sweep_all_case_timers(now, consign_app::workers::TIMER_BATCH)
        .await
        .map_err(crate::common::explain)?;
    let idle = again.elapsed().as_secs_f64();
    Ok(format!(
        "{engine}: timer sweep over {n} open cases, {} due: {} warnings fired in {:.3} s ({:.0} cases/s); a second sweep found {} due in {:.4} s",
        s.claimed,
        s.warnings,
        rounds[0],
        s.claimed as f64 / rounds[0].max(1e-9),
        s2.claimed,
        idle
    ))
}
