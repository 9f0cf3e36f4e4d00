//! `consign bench kpis`: a tenant with many shipments (delivered over the last weeks, a share
//! late, a share with a case) and many tracking events, its KPI rollup built by the refresh
//! worker, then the scorecard, the provider's overview and — for comparison — the naive
//! full recomputation from every record, each timed on each engine. Figures only.

use super::Engines;
use super::engines::{open_app, summary};
use super::fixtures::{insert_shipments, scan, shipments_for, tenant_with_carriers};
use anyhow::Context;
use consign_core::access::Principal;
use consign_core::case::work::{CaseAction, decide};
use consign_core::case::{
    Case, CaseStatus, CaseSubject, NewCase, ResolutionCode, Severity, TimelineEntry, TimelineKind,
};
use consign_core::ids::CaseId;
use consign_core::kpi::Period;
use consign_core::shipment::ShipmentStatus;
use consign_core::tracking::TrackingEvent;
use jiff::{SignedDuration, Timestamp};
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct KpiBench {
    #[arg(long, default_value_t = 1_000_000)]
    shipments: usize,
    #[arg(long, default_value_t = 10)]
    events_per_shipment: usize,
    /// Days the shipments are spread over, ending now.
    #[arg(long, default_value_t = 60)]
    days: i64,
    /// Timed scorecards (and overviews); the median and the largest are reported.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,
    #[command(flatten)]
    engines: Engines,
}

pub async fn kpis(b: KpiBench, database_url: Option<&str>) -> anyhow::Result<ExitCode> {
    println!(
        "bench kpis: {} shipments over {} days, {} events each, {} scorecard rounds",
        b.shipments, b.days, b.events_per_shipment, b.rounds
    );
    let lines = b
        .engines
        .on_each("kpis.db", database_url, async |engine, url, _| {
            run(&b, engine, url).await
        })
        .await?;
    summary(lines)
}

fn ms(d: f64) -> String {
    format!("{:.1} ms", d * 1000.0)
}

/// Median and largest of some timings, in seconds.
fn spread(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[v.len() - 1])
}

async fn run(b: &KpiBench, engine: &str, url: &str) -> anyhow::Result<String> {
    let app = open_app(engine, url, std::env::temp_dir()).await?;
    let (t, carriers) = tenant_with_carriers(&app, "bench-kpis").await?;
    let carrier_ids: Vec<_> = carriers.iter().map(|c| c.1).collect();
    let now = Timestamp::now();
    let span = SignedDuration::from_hours(24 * b.days);
    let first = now - span;
    let step = span.as_secs_f64() / b.shipments.max(1) as f64;
    let created = |i: usize| first + SignedDuration::from_secs_f64(step * i as f64);

    // Shipments in chunks, each chunk with its events and cases, so memory stays flat.
    let setup = Instant::now();
    let chunk = 10_000;
    let mut events_total = 0usize;
    let mut cases_total = 0usize;
    let mut start = 0;
    while start < b.shipments {
        let n = chunk.min(b.shipments - start);
        let mut ships = shipments_for(&t, &carrier_ids, start + n, created);
        ships.drain(..start);
        for (k, s) in ships.iter_mut().enumerate() {
            let i = start + k;
            s.number = format!("SHP-K{i:08}");
            s.tracking_number = format!("KT{i:010}");
            s.id = consign_core::ids::ShipmentId::new_at(s.created_at, i as u128 ^ 0x6b70);
            let picked = s.created_at + SignedDuration::from_hours(6);
            // Most take two to four days; one in five a day or two more than promised (96 h).
            let hours = 48 + (i % 7) as i64 * 8 + if i % 5 == 0 { 60 } else { 0 };
            let delivered = picked + SignedDuration::from_hours(hours);
            s.picked_up_at = Some(picked);
            if delivered < now {
                s.status = ShipmentStatus::Delivered;
                s.delivered_at = Some(delivered);
            } else {
                s.status = ShipmentStatus::InTransit;
            }
        }
        let mut events: Vec<TrackingEvent> = Vec::with_capacity(n * b.events_per_shipment);
        for s in &ships {
            for k in 0..b.events_per_shipment {
                let at = s.created_at + SignedDuration::from_mins(30 + 300 * k as i64);
                let status = match k {
                    0 => ShipmentStatus::InfoReceived,
                    1 => ShipmentStatus::PickedUp,
                    _ => ShipmentStatus::InTransit,
                };
                events.push(scan(s, k, at, status));
            }
        }
        // One shipment in twelve has a case; nine in ten of those are resolved.
        let mut cases = Vec::new();
        let mut entries = Vec::new();
        for (k, s) in ships.iter().enumerate() {
            let i = start + k;
            if i % 12 != 0 {
                continue;
            }
            let opened = s.created_at + SignedDuration::from_hours(30);
            if opened > now {
                continue;
            }
            let id = CaseId::new_at(opened, i as u128 ^ 0x6361);
            let (case_type, accountable) = [
                ("late_delivery", "carrier"),
                ("damaged", "carrier"),
                ("address_issue", "consignee"),
            ][i % 3];
            let mut c = Case::start(
                id,
                t.id,
                NewCase {
                    subject: CaseSubject::Shipment(s.id),
                    case_type: case_type.into(),
                    severity: Severity::Medium,
                    accountable: accountable.into(),
                    owner_team: "carrier-desk".into(),
                    rulebook_version: 1,
                },
                CaseStatus::New,
                opened,
                opened,
            );
            c.number = format!("CASE-K{i:07}");
            c.carrier_id = Some(s.carrier_id);
            let mut e = TimelineEntry::system(id, opened, TimelineKind::Created, "opened".into());
            e.seq = 1;
            entries.push(e);
            // Nine in ten are answered within the hour and resolved after eight; one in
            // fifty of those is reopened the next day and resolved again. The rest stay open.
            let h = SignedDuration::from_hours;
            let resolve = || CaseAction::Resolve {
                code: ResolutionCode::Delivered,
                condition_ended_at: None,
            };
            let mut steps = Vec::new();
            if i % 10 != 0 {
                steps.push((SignedDuration::from_mins(45), CaseAction::Acknowledge));
                steps.push((h(8), resolve()));
                if i % 50 == 1 {
                    let reason = "the customer still has nothing".into();
                    steps.push((h(20), CaseAction::Reopen { reason }));
                    steps.push((h(30), resolve()));
                }
            }
            for (after, action) in steps {
                if opened + after >= now {
                    break;
                }
                let d = decide(&c, &action, "user:bench", opened + after)
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                c = d.case;
                entries.extend(d.entries);
            }
            cases.push(c);
        }
        insert_shipments(&app, ships).await?;
        for part in events.chunks(20_000) {
            let mut tx = app.tools().begin().await?;
            tx.insert_tracking_events(&part.iter().collect::<Vec<_>>())
                .await?;
            tx.commit().await?;
        }
        let mut tx = app.tools().begin().await?;
        tx.insert_cases(&cases).await?;
        tx.append_timeline(t.id, &entries).await?;
        tx.commit().await?;
        events_total += events.len();
        cases_total += cases.len();
        start += n;
        if start % 100_000 == 0 || start == b.shipments {
            println!(
                "{engine}: {start} shipments, {events_total} events, {cases_total} cases written ({:.0} s)",
                setup.elapsed().as_secs_f64()
            );
        }
    }
    app.tools().analyze().await?;
    let setup_secs = setup.elapsed().as_secs_f64();

    let refresh = Instant::now();
    let counted = app
        .refresh_kpis_until_done()
        .await
        .map_err(crate::common::explain)?;
    let refresh_secs = refresh.elapsed().as_secs_f64();
    app.tools().analyze().await?;
    app.tools().checkpoint().await?;
    println!(
        "{engine}: rollup built from {counted} changes in {refresh_secs:.1} s ({:.0} shipments/s)",
        counted as f64 / refresh_secs.max(1e-9)
    );

    let system = Principal::system();
    let zone = jiff::tz::TimeZone::get(&t.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let week = Period::week_of(now.to_zoned(zone.clone()).date()).previous();
    let period = week.to_string();
    let mut card = Vec::new();
    let mut last = None;
    for _ in 0..b.rounds {
        let s = Instant::now();
        last = Some(
            app.scorecard(&system, &t, &period, None)
                .await
                .map_err(crate::common::explain)?,
        );
        card.push(s.elapsed().as_secs_f64());
    }
    let mut overview = Vec::new();
    for _ in 0..b.rounds {
        let s = Instant::now();
        app.scorecard_overview(&system, &period)
            .await
            .map_err(crate::common::explain)?;
        overview.push(s.elapsed().as_secs_f64());
    }
    // The case desk's report reads every case open or changed since the period began: the
    // scorecard's case figures must equal its total.
    let mut case_report = Vec::new();
    let (from, to) = week.bounds(&zone);
    let mut report = None;
    for _ in 0..b.rounds.min(5) {
        let s = Instant::now();
        report = Some(
            app.case_kpis(
                &system,
                &t,
                from,
                to,
                consign_app::cases::kpis::GroupBy::Tenant,
            )
            .await
            .map_err(crate::common::explain)?,
        );
        case_report.push(s.elapsed().as_secs_f64());
    }
    let naive = Instant::now();
    let full = app
        .recompute_delivery_figures(&t, &week)
        .await
        .map_err(crate::common::explain)?;
    let naive_secs = naive.elapsed().as_secs_f64();
    let s = last.context("no scorecard round")?;
    anyhow::ensure!(
        full == s.delivery,
        "the full recomputation differs from the rollup's figures"
    );
    anyhow::ensure!(
        report.map(|r| r.total) == s.cases,
        "the case report's total differs from the scorecard's case figures"
    );
    let (card_med, card_max) = spread(card);
    let (over_med, over_max) = spread(overview);
    let (report_med, _) = spread(case_report);
    Ok(format!(
        "{engine}: {} shipments, {events_total} events, {cases_total} cases (setup {setup_secs:.0} s, rollup {refresh_secs:.0} s); \
         scorecard {period}: median {} (max {}); the case desk's report of the week (every case open or changed since): {}; overview of all tenants: median {} (max {}); \
         naive full recomputation from every record: {} ({:.0}x the scorecard); on time {}/{}, exception rate {}/{}",
        b.shipments,
        ms(card_med),
        ms(card_max),
        ms(report_med),
        ms(over_med),
        ms(over_max),
        ms(naive_secs),
        naive_secs / card_med.max(1e-9),
        s.delivery.on_time_delivery.numerator,
        s.delivery.on_time_delivery.denominator,
        s.delivery.exception_rate.numerator,
        s.delivery.exception_rate.denominator,
    ))
}
