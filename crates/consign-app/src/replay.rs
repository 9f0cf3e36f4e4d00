//! Replay: a rulebook tried on recorded history on a simulated clock, compared with what was
//! opened (the rulebook editor's preview and `consign rules replay`).
//!
//! A rulebook spans tracking's rule families (shipment, carrier) and EDI's
//! (`edi_unacknowledged`), so its replay sits above both rooms: `edi` feeds `tracking`, and
//! neither depends on this.

use crate::{App, AppError, AppResult, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::ids::*;
use consign_core::rules::{CaseAction, OpenCase, Rulebook, Trigger};
use consign_core::shipment::ShipmentStatus;
use consign_core::tenant::Tenant;
use consign_core::tracking::{TrackedShipment, TrackingEvent, TrackingState};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Per case type: how many cases a replayed rulebook would have opened in the period, and how
/// many were opened.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReplayReport {
    pub shipments: u64,
    pub events: u64,
    pub by_type: BTreeMap<String, (u64, i64)>,
}

/// What a candidate rulebook would have done over the last days of the tenant's history,
/// beside what the rulebook in force does on the same replay (the edit's own effect) and
/// what was actually opened: the rulebook editor's preview before saving.
#[derive(Debug, Clone, Serialize)]
pub struct RulebookPreview {
    pub name: String,
    pub rules: usize,
    pub from: Timestamp,
    pub to: Timestamp,
    /// The candidate replayed; `.1` of each type is what was actually opened.
    pub edited: ReplayReport,
    /// The rulebook in force replayed over the same history.
    pub in_force: ReplayReport,
}

/// The longest history a preview replays: a year of a tenant's events is what an editor
/// waits for at most; longer comparisons belong to `consign rules replay`.
pub const PREVIEW_MAX_DAYS: i64 = 365;

impl App {
    /// Checks `source` as [`App::set_rulebook`] would (every problem, nothing stored) and
    /// replays it over the `days` before now.
    pub async fn preview_rulebook(
        &self,
        p: &Principal,
        tenant: &Tenant,
        source: &str,
        days: i64,
    ) -> AppResult<RulebookPreview> {
        require(p, Capability::ManageRules)?;
        if !(1..=PREVIEW_MAX_DAYS).contains(&days) {
            return Err(AppError::Invalid(Invalid::one(
                "days",
                format!("{days} is not a number of days from 1 to {PREVIEW_MAX_DAYS}"),
            )));
        }
        let book = Rulebook::parse(source).map_err(|errors| {
            AppError::Invalid(Invalid {
                errors: errors
                    .into_iter()
                    .map(|e| consign_core::FieldError::new("rulebook", e))
                    .collect(),
            })
        })?;
        let to = self.now();
        let from = to - jiff::SignedDuration::from_hours(24 * days);
        let current = self.rulebook_in_force(tenant.id).await?;
        let (edited, in_force) = tokio::join!(
            self.replay(tenant.id, &book, from, to),
            self.replay(tenant.id, &current.book, from, to)
        );
        Ok(RulebookPreview {
            name: book.name.clone(),
            rules: book.rules.len()
                + usize::from(book.carrier_silent.is_some())
                + usize::from(book.edi_unacknowledged.is_some()),
            from,
            to,
            edited: edited?,
            in_force: in_force?,
        })
    }

    /// Every stored version of the tenant's rulebook, oldest first.
    pub async fn rulebook_history(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<Vec<consign_store::StoredRulebook>> {
        require(p, Capability::ReadCases)?;
        Ok(self.store.rulebooks(tenant.id).await?)
    }

    /// Runs `book` over the tenant's recorded events on a simulated clock (each event judged at
    /// its occurrence, time-based rules at their due instants) and counts the cases it would
    /// have opened in `[from, to)`: the shipment rules per shipment, `carrier_silent` over each
    /// carrier's scans, `edi_unacknowledged` over the groups sent and their (latest) 997.
    /// Writes nothing.
    pub async fn replay(
        &self,
        tenant: TenantId,
        book: &Rulebook,
        from: Timestamp,
        to: Timestamp,
    ) -> AppResult<ReplayReport> {
        let mut report = ReplayReport::default();
        let mut by_carrier: HashMap<CarrierId, Vec<(Timestamp, ShipmentId, bool)>> = HashMap::new();
        let mut after = None;
        loop {
            let ids = self.store.shipment_ids_page(tenant, after, 2_000).await?;
            let Some(last) = ids.last() else { break };
            after = Some(*last);
            let tracked = self.store.tracked_shipments(tenant, &ids).await?;
            let events = self.store.tracking_events(tenant, &ids).await?;
            let mut by_shipment: HashMap<ShipmentId, Vec<&TrackingEvent>> = HashMap::new();
            for e in &events {
                if let Some(s) = e.shipment_id {
                    by_shipment.entry(s).or_default().push(e);
                }
            }
            for t in tracked {
                let evs = by_shipment.remove(&t.id).unwrap_or_default();
                report.shipments += 1;
                report.events += evs.len() as u64;
                if book.carrier_silent.is_some() {
                    // The carrier rule sees each scan and whether its shipment is still under
                    // way after it (picked up, not finished), as the live sweep does.
                    let mut sorted = evs.clone();
                    sorted.sort_by_key(|e| (e.occurred_at, e.id));
                    let mut state = TrackingState::new(ShipmentStatus::InfoReceived);
                    let scans = by_carrier.entry(t.carrier_id).or_default();
                    for e in sorted {
                        state.apply(&e.observation());
                        let under_way = state.picked_up_at.is_some()
                            && !matches!(
                                state.status,
                                ShipmentStatus::Delivered
                                    | ShipmentStatus::ReturnedToSender
                                    | ShipmentStatus::Cancelled
                                    | ShipmentStatus::Lost
                            );
                        scans.push((e.occurred_at, t.id, under_way));
                    }
                }
                for ty in simulate(book, t, &evs, to)
                    .into_iter()
                    .filter(|(_, at)| *at >= from && *at < to)
                    .map(|(ty, _)| ty)
                {
                    report.by_type.entry(ty).or_default().0 += 1;
                }
            }
        }
        let mut count = |ty: &str, at: Timestamp| {
            if at >= from && at < to {
                report.by_type.entry(ty.to_string()).or_default().0 += 1;
            }
        };
        if let Some(rule) = &book.carrier_silent {
            for scans in by_carrier.values_mut() {
                scans.sort_by_key(|s| s.0);
                for at in rule.replay(scans, to) {
                    count("carrier_silent", at);
                }
            }
        }
        if let Some(rule) = &book.edi_unacknowledged {
            for partner in self.store.partners(tenant).await? {
                for g in self.store.outbound_groups(tenant, partner.id).await? {
                    let answer = crate::edi::stored_answer(&g);
                    if let Some(at) = rule.replay(g.sent_at, &answer, g.ack_at) {
                        count("edi_unacknowledged", at);
                    }
                }
            }
        }
        for (ty, n) in self.store.cases_opened_by_type(tenant, from, to).await? {
            report.by_type.entry(ty).or_default().1 = n;
        }
        Ok(report)
    }
}

/// One shipment's history under a rulebook: (case type, instant opened) for every case the
/// rulebook would have opened before `until`.
pub fn simulate(
    book: &Rulebook,
    mut t: TrackedShipment,
    events: &[&TrackingEvent],
    until: Timestamp,
) -> Vec<(String, Timestamp)> {
    let mut events: Vec<&&TrackingEvent> =
        events.iter().filter(|e| e.occurred_at < until).collect();
    events.sort_by_key(|e| (e.occurred_at, e.id));
    t.state = TrackingState::new(ShipmentStatus::InfoReceived);
    let mut open: Vec<OpenCase> = Vec::new();
    let mut opened = Vec::new();
    let mut next: Option<Timestamp> = None;
    let mut apply = |t: &TrackedShipment,
                     trigger: Trigger,
                     now: Timestamp,
                     open: &mut Vec<OpenCase>,
                     next: &mut Option<Timestamp>| {
        let v = book.judge(&t.facts(), open, trigger, now);
        for a in v.actions {
            match a {
                CaseAction::Open {
                    case_type,
                    severity,
                    ..
                } => {
                    opened.push((case_type.clone(), now));
                    open.push(OpenCase {
                        case_type,
                        severity,
                    });
                }
                CaseAction::Escalate { case_type, to, .. } => {
                    if let Some(c) = open.iter_mut().find(|c| c.case_type == case_type) {
                        c.severity = to;
                    }
                }
                CaseAction::Resolve { case_type, .. } => open.retain(|c| c.case_type != case_type),
                CaseAction::DetectedAgain { .. } => {}
            }
        }
        *next = v.next_check_at.filter(|n| *n > now);
    };
    // Time-based checks before the first event start from the shipment's creation, or from
    // its first event if that came earlier (a shipment recorded after its carrier's first
    // scans, as an import of history is): judging it at its creation with none of those
    // events applied would find every such shipment not picked up.
    let start = events
        .first()
        .map_or(t.created_at, |e| e.occurred_at.min(t.created_at));
    apply(&t, Trigger::Sweep, start, &mut open, &mut next);
    for e in events {
        while let Some(n) = next.filter(|n| *n <= e.occurred_at && *n < until) {
            apply(&t, Trigger::Sweep, n, &mut open, &mut next);
        }
        t.state.apply(&e.observation());
        let trigger = Trigger::Event {
            status: e.status,
            reason: e.reason,
        };
        apply(&t, trigger, e.occurred_at, &mut open, &mut next);
    }
    while let Some(n) = next.filter(|n| *n < until) {
        apply(&t, Trigger::Sweep, n, &mut open, &mut next);
    }
    opened
}
