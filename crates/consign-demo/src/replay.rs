//! The demo's history as it would have arrived: every tenant's generated carrier feed is
//! received in half-hour windows on one simulated clock (each event minutes to hours after
//! it occurred, as the generator lagged it), with the EDI partners' tenders and answers and
//! the documents uploaded in each window. The rule sweeps run every window and the carrier
//! and EDI sweeps every hour — `serve`'s one-minute pace coarsened to half an hour, so a
//! time-based case opens within half an hour of its threshold — and the case timers and the
//! service desk work through the day, so cases open, are worked and resolve when they would
//! have. The tenants share the clock, as they share a server: each round of sweeps and
//! timers serves them all (replaying them one after another ran every round twice, the
//! second time over a tenant already at the end of its history).

use crate::desk::Desk;
use crate::feed::GenFeed;
use crate::narrator::Narrator;
use crate::partner::DemoPartner;
use consign_app::App;
use consign_app::tracking::{CaseChanges, MAX_EVENTS_PER_REQUEST};
use consign_core::access::Principal;
use consign_core::party::Carrier;
use consign_core::tenant::Tenant;
use consign_core::time::FixedClock;
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;

/// One step of the simulated clock.
const WINDOW: SignedDuration = SignedDuration::from_mins(30);

/// One tenant's part of the replay: its feed, what has been received of it, its documents
/// still to upload and its EDI partner.
struct TenantReplay {
    tenant: Tenant,
    feed: Vec<crate::feed::GenEvent>,
    next: usize,
    carriers: Vec<Carrier>,
    pods: std::iter::Peekable<std::vec::IntoIter<crate::feed::GenPod>>,
    partner: Option<DemoPartner>,
}

/// Replays every tenant's feed up to `now`; returns the events applied and the case changes.
pub async fn replay_history(
    app: &App,
    feeds: Vec<(String, GenFeed)>,
    now: Timestamp,
    desk: &mut Desk,
    narrator: &dyn Narrator,
) -> anyhow::Result<(u64, CaseChanges)> {
    let system = Principal::system();
    let mut tenants = Vec::new();
    for (slug, feed) in feeds {
        let tenant = app.tenant_for(&system, &slug).await?;
        let carriers = app.list_carriers(&system, &tenant).await?;
        let partner = DemoPartner::new(app, &tenant, now).await?;
        tenants.push(TenantReplay {
            tenant,
            feed: feed.events,
            next: 0,
            carriers,
            pods: feed.pods.into_iter().peekable(),
            partner,
        });
    }
    let mut total = CaseChanges::default();
    let mut applied = 0u64;
    let Some(first) = tenants
        .iter()
        .filter_map(|t| t.feed.first().map(|e| e.received_at))
        .min()
    else {
        return Ok((0, total));
    };
    // Windows start on the hour before the first event.
    let mut end =
        Timestamp::from_second(first.as_second() - first.as_second().rem_euclid(3600))? + WINDOW;
    let mut round = 0u64;
    while end <= now + WINDOW {
        let window_end = end.min(now);
        let mut at = app.clone();
        at.clock = Arc::new(FixedClock(window_end));
        for t in &mut tenants {
            if let Some(p) = t.partner.as_mut() {
                p.run_until(app, window_end).await?;
            }
            let mut j = t.next;
            while j < t.feed.len() && t.feed[j].received_at < window_end {
                j += 1;
            }
            let items: Vec<_> = t.feed[t.next..j]
                .iter()
                .map(|e| (String::new(), e.event.clone()))
                .collect();
            t.next = j;
            for chunk in items.chunks(MAX_EVENTS_PER_REQUEST) {
                let prepared = at
                    .prepare_events(&system, &t.tenant, "demo", chunk.to_vec())
                    .await?;
                let o = at.commit_events(t.tenant.id, "demo", prepared).await?;
                applied += o.accepted;
                total.opened += o.cases.opened;
                total.resolved += o.cases.resolved;
            }
            upload_documents(&at, &t.tenant, &t.carriers, &mut t.pods, window_end).await?;
        }
        let (_, c) = at.sweep(5_000).await?;
        total.opened += c.opened;
        total.resolved += c.resolved;
        total.escalated += c.escalated;
        let hourly = round % 2 == 1;
        if hourly {
            let k = at.sweep_carriers().await?;
            let e = at.sweep_edi_groups().await?;
            total.opened += k.opened + e.opened;
            total.resolved += k.resolved + e.resolved;
        }
        at.sweep_all_case_timers(window_end, 1_000).await?;
        if hourly {
            for t in &tenants {
                desk.work(&at, &t.tenant).await?;
            }
        }
        round += 1;
        end += WINDOW;
    }
    for t in &mut tenants {
        if let Some(p) = t.partner.as_mut() {
            p.run_until(app, now).await?;
            narrator.say(&format!(
                "  {}: {} load tenders (204) sent to its LTL carrier, {} 997s back",
                t.tenant.slug, p.tenders, p.replies_sent
            ));
        }
    }
    let mut last = app.clone();
    last.clock = Arc::new(FixedClock(now));
    let (_, c) = last.sweep(5_000).await?;
    let k = last.sweep_carriers().await?;
    let e = last.sweep_edi_groups().await?;
    last.sweep_all_case_timers(now, 1_000).await?;
    total.opened += c.opened + k.opened + e.opened;
    total.resolved += c.resolved + k.resolved + e.resolved;
    Ok((applied, total))
}

/// Documents uploaded in the window ending at `until` (a shipment may get both kinds in
/// different windows).
async fn upload_documents(
    at: &App,
    tenant: &Tenant,
    carriers: &[Carrier],
    pods: &mut std::iter::Peekable<std::vec::IntoIter<crate::feed::GenPod>>,
    until: Timestamp,
) -> anyhow::Result<()> {
    let system = Principal::system();
    let mut today = Vec::new();
    while let Some(p) = pods.next_if(|p| p.at < until) {
        today.push(p);
    }
    if today.is_empty() {
        return Ok(());
    }
    let keyed: Vec<_> = today
        .iter()
        .filter_map(|p| {
            consign_app::shipments::find_carrier(carriers, &p.carrier)
                .map(|c| ((c.id, p.tracking_number.clone()), p.kind))
        })
        .collect();
    let keys: Vec<_> = keyed.iter().map(|(k, _)| k.clone()).collect();
    // No use case resolves tracking numbers in bulk; the ingest reads the same index.
    let ids = at
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
        at.attach_document(
            &system,
            tenant,
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
    Ok(())
}
