//! The demo's history: the carriers' generated feeds arrive day by day on a simulated clock,
//! with the EDI partner's tenders and answers, the documents uploaded that day, and the rule
//! sweeps at the end of each day, so cases open (and resolve) when they would have and
//! time-based rules fire in order.

use crate::feed::GenFeed;
use crate::narrator::Narrator;
use crate::partner::DemoPartner;
use consign_app::App;
use consign_app::tracking::{CaseChanges, MAX_EVENTS_PER_REQUEST};
use consign_core::access::Principal;
use consign_core::time::FixedClock;
use jiff::Timestamp;
use std::sync::Arc;

/// Replays one tenant's feed up to `now`; returns the events applied and the case changes.
pub async fn replay_history(
    app: &App,
    tenant_slug: &str,
    feed: GenFeed,
    now: Timestamp,
    narrator: &dyn Narrator,
) -> anyhow::Result<(u64, CaseChanges)> {
    let system = Principal::system();
    let tenant = app.tenant_for(&system, tenant_slug).await?;
    let events = feed.events;
    let carriers = app.list_carriers(&system, &tenant).await?;
    let mut pods = feed.pods.into_iter().peekable();
    let mut partner = DemoPartner::new(app, &tenant, now).await?;
    let mut total = CaseChanges::default();
    let mut applied = 0u64;
    let mut i = 0;
    while i < events.len() {
        let day_end = {
            let t = events[i].received_at;
            let z = t.to_zoned(jiff::tz::TimeZone::UTC);
            z.date()
                .tomorrow()
                .ok()
                .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp())
                .unwrap_or(now)
                .min(now)
        };
        let mut j = i;
        while j < events.len() && events[j].received_at < day_end {
            j += 1;
        }
        if let Some(p) = partner.as_mut() {
            p.run_until(app, day_end).await?;
        }
        let mut day = app.clone();
        day.clock = Arc::new(FixedClock(day_end));
        let items: Vec<_> = events[i..j]
            .iter()
            .map(|e| (String::new(), e.event.clone()))
            .collect();
        for chunk in items.chunks(MAX_EVENTS_PER_REQUEST) {
            let prepared = day
                .prepare_events(&system, &tenant, "demo", chunk.to_vec())
                .await?;
            let o = day.commit_events(tenant.id, "demo", prepared).await?;
            applied += o.accepted;
            total.opened += o.cases.opened;
            total.resolved += o.cases.resolved;
        }
        // Documents uploaded that day (a shipment may get both kinds on different days).
        let mut today = Vec::new();
        while let Some(p) = pods.next_if(|p| p.at < day_end) {
            today.push(p);
        }
        let keyed: Vec<_> = today
            .iter()
            .filter_map(|p| {
                consign_app::shipments::find_carrier(&carriers, &p.carrier)
                    .map(|c| ((c.id, p.tracking_number.clone()), p.kind))
            })
            .collect();
        let keys: Vec<_> = keyed.iter().map(|(k, _)| k.clone()).collect();
        // No use case resolves tracking numbers in bulk; the ingest reads the same index.
        let ids = app
            .tools()
            .shipment_ids_by_tracking(tenant.id, &keys)
            .await?;
        for ((carrier, tracking), doc) in keyed {
            let Some(id) = ids.get(&(carrier, tracking.clone())) else {
                continue;
            };
            let body = if doc == "pod" {
                format!("Proof of delivery\nTracking {tracking}\nSigned by consignee\n")
            } else {
                format!("Commercial invoice\nShipment {tracking}\n")
            };
            day.attach_document(
                &system,
                &tenant,
                *id,
                consign_app::documents::Upload {
                    kind: doc,
                    filename: &format!("{}-{tracking}.txt", doc.to_uppercase()),
                    content_type: "text/plain",
                    bytes: body.as_bytes(),
                },
            )
            .await?;
        }
        let (_, c) = day.sweep(5_000).await?;
        let k = day.sweep_carriers().await?;
        let e = day.sweep_edi_groups().await?;
        total.opened += c.opened + k.opened + e.opened;
        total.resolved += c.resolved + k.resolved + e.resolved;
        total.escalated += c.escalated;
        i = j;
    }
    if let Some(p) = partner.as_mut() {
        p.run_until(app, now).await?;
        narrator.say(&format!(
            "  {} load tenders (204) sent to its LTL carrier, {} 997s back",
            p.tenders, p.replies_sent
        ));
    }
    let mut last = app.clone();
    last.clock = Arc::new(FixedClock(now));
    let (_, c) = last.sweep(5_000).await?;
    let k = last.sweep_carriers().await?;
    let e = last.sweep_edi_groups().await?;
    total.opened += c.opened + k.opened + e.opened;
    total.resolved += c.resolved + k.resolved + e.resolved;
    Ok((applied, total))
}
