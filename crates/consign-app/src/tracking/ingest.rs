//! Intake to commit: events from every source validated, resolved to their shipments,
//! deduplicated, folded into each shipment's state, judged by the tenant's rulebook, and
//! committed with their case changes in one transaction per batch.

use super::{
    CaseChanges, IngestOutcome, ItemOutcome, ItemResult, MAX_EVENTS_PER_REQUEST, RulebookInForce,
};
use crate::cases::file_new_cases;
use crate::shipments::find_carrier;
use crate::{App, AppError, AppResult, entropy, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::audit::AuditEntry;
use consign_core::case::{Case, CaseStatus, CaseSubject, NewCase, TimelineEntry, TimelineKind};
use consign_core::ids::*;
use consign_core::rules::{CaseAction, OpenCase, Trigger};
use consign_core::shipment::ShipmentStatus;
use consign_core::tenant::Tenant;
use consign_core::tracking::{MappedEvent, TrackedShipment, TrackingEvent, dedup_key};
use consign_store::Tx;
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Checks mapped events and turns the good ones into records; problems come back per item.
pub fn build_events(
    carriers: &[consign_core::party::Carrier],
    p: &Principal,
    tenant: &Tenant,
    now: Timestamp,
    source: &str,
    items: Vec<(String, MappedEvent)>,
) -> (Vec<TrackingEvent>, Vec<(usize, Invalid)>) {
    let mut bad: Vec<(usize, Invalid)> = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, (prefix, e)) in items.into_iter().enumerate() {
        let mut inv = Invalid::default();
        e.validate(&prefix, now, &mut inv);
        let field = |f: &str| {
            if prefix.is_empty() {
                f.to_string()
            } else {
                format!("{prefix}.{f}")
            }
        };
        let carrier = find_carrier(carriers, &e.carrier);
        match carrier {
            None if !e.carrier.trim().is_empty() => inv.push(
                field("carrier"),
                format!("unknown carrier '{}' in tenant {}", e.carrier, tenant.slug),
            ),
            Some(c) if p.carrier.is_some_and(|own| own != c.id) => inv.push(
                field("carrier"),
                format!("carrier '{}' is not the caller's carrier", e.carrier),
            ),
            _ => {}
        }
        if !inv.is_empty() {
            bad.push((i, inv));
            continue;
        }
        let Some(c) = carrier else { continue };
        let tracking_number = e.tracking_number.trim().to_string();
        out.push(TrackingEvent {
            id: EventId::new_at(now, entropy()),
            tenant_id: tenant.id,
            carrier_id: c.id,
            shipment_id: None,
            dedup_key: dedup_key(
                c.id,
                e.message_id.as_deref(),
                &tracking_number,
                &e.raw_code,
                e.occurred_at,
                &e.location,
            ),
            tracking_number,
            occurred_at: e.occurred_at,
            received_at: now,
            status: e.mapped.status,
            reason: e.mapped.reason,
            accountable: e.mapped.accountable,
            eta: e.eta,
            source: source.to_string(),
            message_id: e.message_id,
            raw_code: e.raw_code,
            raw_reason: e.raw_reason,
            location: e.location,
            description: e.description,
            unmapped: e.mapped.unmapped,
        });
    }
    (out, bad)
}

/// Distinct (carrier, tracking number) pairs of the events that have no shipment yet.
fn unresolved_keys(events: &[TrackingEvent]) -> Vec<(CarrierId, String)> {
    events
        .iter()
        .filter(|e| e.shipment_id.is_none())
        .map(|e| (e.carrier_id, e.tracking_number.clone()))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect()
}

impl App {
    /// Validates events and turns them into records. Any invalid item rejects the whole
    /// request (nothing is committed) with every problem listed by item index. Files may be
    /// larger than one request; their events are committed in chunks by the caller.
    pub async fn prepare_events(
        &self,
        p: &Principal,
        tenant: &Tenant,
        source: &str,
        items: Vec<(String, MappedEvent)>,
    ) -> AppResult<Vec<TrackingEvent>> {
        require(p, Capability::PostEvents)?;
        let now = self.now();
        let carriers = self.cache.carriers(&self.store, tenant.id).await?;
        let (out, bad) = build_events(&carriers, p, tenant, now, source, items);
        if !bad.is_empty() {
            return Err(AppError::InvalidItems(bad));
        }
        Ok(out)
    }

    /// Validates, then commits a batch (coalesced with concurrent batches when a group
    /// committer runs). Answers only after the commit. At most
    /// [`MAX_EVENTS_PER_REQUEST`] events.
    pub async fn ingest_events(
        &self,
        p: &Principal,
        tenant: &Tenant,
        source: &str,
        items: Vec<(String, MappedEvent)>,
    ) -> AppResult<IngestOutcome> {
        if items.is_empty() {
            // An empty batch is a client's mistake (a filter that matched nothing, a
            // serialiser that dropped the list), not a successful delivery.
            return Err(Invalid::one("events", "no events: send at least one").into());
        }
        if items.len() > MAX_EVENTS_PER_REQUEST {
            return Err(Invalid::one(
                "events",
                format!(
                    "{} events in one request; at most {MAX_EVENTS_PER_REQUEST}",
                    items.len()
                ),
            )
            .into());
        }
        let events = self.prepare_events(p, tenant, source, items).await?;
        match &self.committer {
            // A keyed request commits alone, so that its answer is stored in its own
            // transaction (`idempotency`); the group committer answers after its commit.
            Some(c) if !crate::idempotency::in_keyed_request() => {
                c.submit(tenant.id, p.actor.label(), events).await
            }
            _ => {
                self.commit_events(tenant.id, &p.actor.label(), events)
                    .await
            }
        }
    }

    /// One transaction for prepared events, retried on a PostgreSQL deadlock; durable when it
    /// returns.
    pub async fn commit_events(
        &self,
        tenant: TenantId,
        actor: &str,
        events: Vec<TrackingEvent>,
    ) -> AppResult<IngestOutcome> {
        let (outcome, durable) = self.commit_events_staged(tenant, actor, events).await?;
        durable.wait().await?;
        Ok(outcome)
    }

    /// [`commit_events`](Self::commit_events) with the wait for durability handed to the
    /// caller (`Tx::commit_staged`): the group committer starts the next group before this
    /// one is on disk and answers its requests only once it is.
    pub async fn commit_events_staged(
        &self,
        tenant: TenantId,
        actor: &str,
        mut events: Vec<TrackingEvent>,
    ) -> AppResult<(IngestOutcome, consign_store::Durable)> {
        let book = self.rulebook_in_force(tenant).await?;
        let keys = unresolved_keys(&events);
        // Looked up before the transaction: inside a long PostgreSQL transaction the planner
        // works from stale statistics (see the import notes). Events that arrive with their
        // shipment already found (the group committer's requests) need no lookup here.
        let mut shipments = self.cache.shipment_ids(tenant, &keys);
        if shipments.len() < keys.len() {
            let missing: Vec<(CarrierId, String)> = keys
                .into_iter()
                .filter(|k| !shipments.contains_key(k))
                .collect();
            let found = self
                .store
                .shipment_ids_by_tracking(tenant, &missing)
                .await?;
            self.cache.keep_shipment_ids(tenant, &found);
            shipments.extend(found);
        }
        let mut attempt = 0;
        loop {
            let t0 = std::time::Instant::now();
            let mut tx = self.begin().await?;
            let t1 = t0.elapsed();
            let r = self
                .apply_events(&mut *tx, tenant, actor, &book, &shipments, &mut events)
                .await;
            let t2 = t0.elapsed();
            let r = match r {
                // Parked for its request's answer, committed by the request once answered.
                Ok(o) if crate::idempotency::in_keyed_request() => self
                    .commit(tx)
                    .await
                    .map(|_| (o, consign_store::Durable::done())),
                Ok(o) => tx
                    .commit_staged()
                    .await
                    .map(|d| (o, d))
                    .map_err(AppError::from),
                Err(e) => Err(e),
            };
            tracing::debug!(
                begin_ms = t1.as_secs_f64() * 1e3,
                apply_ms = (t2 - t1).as_secs_f64() * 1e3,
                commit_ms = (t0.elapsed() - t2).as_secs_f64() * 1e3,
                events = events.len(),
                "ingest transaction"
            );
            match r {
                Err(AppError::Store(e)) if e.is_retryable() && attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(5 << attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// The pipeline inside a caller's transaction (the EDI intake uses its own).
    pub async fn apply_events(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        actor: &str,
        book: &RulebookInForce,
        shipments: &HashMap<(CarrierId, String), ShipmentId>,
        // Borrowed so that a retried transaction reuses them (filling in a shipment found
        // here is the same on every attempt).
        events: &mut [TrackingEvent],
    ) -> AppResult<IngestOutcome> {
        let now = self.now();
        for e in events.iter_mut() {
            if e.shipment_id.is_none() {
                e.shipment_id = shipments
                    .get(&(e.carrier_id, e.tracking_number.clone()))
                    .copied();
            }
        }
        let missing = unresolved_keys(events);
        if !missing.is_empty() {
            // A shipment created since the lookup (possibly by another server) is found here.
            let found = tx.orphan_lookup(tenant, &missing).await?;
            for e in events.iter_mut() {
                if e.shipment_id.is_none() {
                    e.shipment_id = found
                        .get(&(e.carrier_id, e.tracking_number.clone()))
                        .copied();
                }
            }
        }
        let mut outcome = IngestOutcome::default();
        // First occurrence of each key in the batch is a candidate; later ones are duplicates.
        let mut seen = HashSet::new();
        let fresh: Vec<bool> = events.iter().map(|e| seen.insert(e.dedup_key)).collect();
        let candidates: Vec<&TrackingEvent> = events
            .iter()
            .zip(&fresh)
            .filter(|(_, f)| **f)
            .map(|(e, _)| e)
            .collect();
        let ids: Vec<ShipmentId> = candidates.iter().filter_map(|e| e.shipment_id).collect();
        // Lock the shipments first (in id order), then insert events in key order: two
        // writers with overlapping batches then queue rather than deadlock.
        let mut sorted = candidates;
        sorted.sort_by_key(|e| e.dedup_key);
        let (tracked, inserted) = tx
            .lock_tracked_and_insert_events(tenant, &ids, &sorted)
            .await?;
        let mut tracked: BTreeMap<ShipmentId, TrackedShipment> =
            tracked.into_iter().map(|t| (t.id, t)).collect();
        let mut new_by_shipment: BTreeMap<ShipmentId, Vec<&TrackingEvent>> = BTreeMap::new();
        for (e, first) in events.iter().zip(&fresh) {
            let new = *first && inserted.contains(&e.dedup_key);
            let result = match (new, e.shipment_id) {
                (false, _) => ItemResult::Duplicate,
                (true, None) => ItemResult::Orphan,
                (true, Some(s)) => {
                    new_by_shipment.entry(s).or_default().push(e);
                    ItemResult::Accepted
                }
            };
            match result {
                ItemResult::Accepted => outcome.accepted += 1,
                ItemResult::Duplicate => outcome.duplicates += 1,
                ItemResult::Orphan => outcome.orphans += 1,
            }
            outcome.items.push(ItemOutcome {
                index: outcome.items.len(),
                event_id: (result != ItemResult::Duplicate).then_some(e.id),
                shipment_id: e.shipment_id,
                result,
            });
        }
        let mut touched: Vec<TrackedShipment> = new_by_shipment
            .keys()
            .filter_map(|id| tracked.remove(id))
            .collect();
        let undelivered = undelivered_orders(&touched);
        outcome.cases = self
            .judge_and_apply(tx, tenant, actor, book, &mut touched, &new_by_shipment, now)
            .await?;
        tx.update_tracked(&touched, now).await?;
        deliver_orders(tx, tenant, actor, &undelivered, &touched, now).await?;
        if outcome.accepted + outcome.orphans > 0 {
            let first = events.first().map(|e| e.id.to_string()).unwrap_or_default();
            tx.append_audit(vec![
                AuditEntry::new(
                    Some(tenant),
                    now,
                    actor.to_string(),
                    "tracking_events",
                    first,
                    "ingested",
                )
                .after(&serde_json::json!({
                    "source": events.first().map(|e| e.source.clone()),
                    "accepted": outcome.accepted,
                    "orphans": outcome.orphans,
                    "duplicates": outcome.duplicates,
                    "cases": outcome.cases,
                })),
            ])
            .await?;
        }
        Ok(outcome)
    }

    /// Folds each shipment's new events (in occurrence order) into its state and judges it
    /// after every one, so a problem reported mid-batch (damage, then a scan) still opens its
    /// case; with no events, judges once (a sweep, a document). Writes the case changes and
    /// sets each shipment's next check instant (the caller writes the shipments).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn judge_and_apply(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        actor: &str,
        book: &RulebookInForce,
        tracked: &mut [TrackedShipment],
        events: &BTreeMap<ShipmentId, Vec<&TrackingEvent>>,
        now: Timestamp,
    ) -> AppResult<CaseChanges> {
        let mut emit = self.emitter(tenant, now).await?;
        // The statuses before this call, for `shipment.status_changed`.
        let before: Vec<ShipmentStatus> = tracked.iter().map(|t| t.state.status).collect();
        let ids: Vec<ShipmentId> = tracked
            .iter()
            .filter(|t| t.has_open_cases)
            .map(|t| t.id)
            .collect();
        // Open cases by (shipment, type), existing or opened in this call.
        let mut open: HashMap<(ShipmentId, String), CaseId> = HashMap::new();
        let mut cases: HashMap<CaseId, Case> = HashMap::new();
        let loaded = if ids.is_empty() {
            Vec::new()
        } else {
            tx.open_cases(tenant, &ids).await?
        };
        for c in loaded {
            if let Some(s) = c.shipment_id() {
                open.insert((s, c.case_type.clone()), c.id);
                cases.insert(c.id, c);
            }
        }
        let existing: HashSet<CaseId> = cases.keys().copied().collect();
        // As loaded, for the events of the ones that change (only kept when someone listens).
        let existing_before: HashMap<CaseId, Case> = if emit.listens_to_cases() {
            cases.clone()
        } else {
            HashMap::new()
        };
        let mut touched_cases: HashSet<CaseId> = HashSet::new();
        let mut new_order: Vec<CaseId> = Vec::new();
        let mut changes = CaseChanges::default();
        let mut timeline: Vec<TimelineEntry> = Vec::new();
        let mut audit = Vec::new();
        for t in tracked.iter_mut() {
            let mut steps: Vec<(Option<&TrackingEvent>, Trigger)> = match events.get(&t.id) {
                Some(evs) if !evs.is_empty() => {
                    let mut evs = evs.clone();
                    evs.sort_by_key(|e| (e.occurred_at, e.id));
                    evs.into_iter()
                        .map(|e| {
                            (
                                Some(e),
                                Trigger::Event {
                                    status: e.status,
                                    reason: e.reason,
                                },
                            )
                        })
                        .collect()
                }
                _ => vec![(None, Trigger::Sweep)],
            };
            // Each step is judged as of the next event's occurrence (the state it leaves held
            // until then), the last one as of now: a backlog of old scans neither misses a
            // problem that lasted nor invents one that did not (an hour between label and
            // pickup is not a late pickup because the scans arrive days later).
            let at: Vec<Timestamp> = (0..steps.len())
                .map(|i| {
                    steps
                        .get(i + 1)
                        .and_then(|(e, _)| e.map(|e| e.occurred_at))
                        .map_or(now, |t| t.min(now))
                })
                .collect();
            for (i, (event, trigger)) in steps.drain(..).enumerate() {
                if let Some(e) = event {
                    t.state.apply(&e.observation());
                }
                let judged_at = at[i];
                let open_here: Vec<OpenCase> = open
                    .iter()
                    .filter(|((s, _), _)| *s == t.id)
                    .map(|((_, ty), id)| OpenCase {
                        case_type: ty.clone(),
                        severity: cases[id].severity,
                    })
                    .collect();
                let verdict = book.book.judge(&t.facts(), &open_here, trigger, judged_at);
                t.next_check_at = verdict.next_check_at.filter(|n| *n > now);
                for action in verdict.actions {
                    if let CaseAction::Open {
                        case_type,
                        severity,
                        accountable,
                        owner_team,
                        detail,
                    } = action
                    {
                        let id = CaseId::new_at(now, entropy());
                        let mut created =
                            TimelineEntry::system(id, now, TimelineKind::Created, detail);
                        created.seq = 1;
                        timeline.push(created);
                        open.insert((t.id, case_type.clone()), id);
                        let mut case = Case::start(
                            id,
                            tenant,
                            NewCase {
                                subject: CaseSubject::Shipment(t.id),
                                case_type,
                                severity,
                                accountable,
                                owner_team,
                                rulebook_version: book.version,
                            },
                            CaseStatus::New,
                            now,
                            judged_at,
                        );
                        case.order_id = t.order_id;
                        case.carrier_id = Some(t.carrier_id);
                        cases.insert(id, case);
                        new_order.push(id);
                        changes.opened += 1;
                        continue;
                    }
                    let key = (t.id, action.case_type().to_string());
                    let Some(&id) = open.get(&key) else {
                        continue;
                    };
                    let c = cases.get_mut(&id).expect("open cases are loaded");
                    touched_cases.insert(id);
                    let entry = match action {
                        CaseAction::DetectedAgain { detail, .. } => {
                            c.detections += 1;
                            changes.detected_again += 1;
                            c.note_by_system(TimelineKind::DetectedAgain, detail, now)
                        }
                        CaseAction::Escalate {
                            from, to, detail, ..
                        } => {
                            c.severity = to;
                            changes.escalated += 1;
                            c.note_by_system(
                                TimelineKind::Escalated,
                                format!("{} → {}: {detail}", from.as_str(), to.as_str()),
                                now,
                            )
                            .changing(
                                "severity",
                                Some(from.as_str().into()),
                                Some(to.as_str().into()),
                            )
                        }
                        CaseAction::Resolve {
                            detail, resolution, ..
                        } => {
                            changes.resolved += 1;
                            open.remove(&key);
                            audit.push(
                                AuditEntry::new(
                                    Some(tenant),
                                    now,
                                    actor.to_string(),
                                    "case",
                                    c.id,
                                    "auto_resolved",
                                )
                                .after(&serde_json::json!({
                                    "case_type": c.case_type,
                                    "resolution": resolution.as_str(),
                                    "detail": detail,
                                })),
                            );
                            c.resolve_by_rule(resolution, detail, now, judged_at)
                        }
                        CaseAction::Open { .. } => unreachable!("handled above"),
                    };
                    timeline.push(entry);
                }
            }
        }
        // The flag that spares the next batch the open-case read; every case change goes
        // through here under the shipment's lock, so it stays exact.
        for t in tracked.iter_mut() {
            t.has_open_cases = open.keys().any(|(s, _)| *s == t.id);
        }
        // Existing cases first: one resolved here may be re-opened by a new case of its type.
        let updated: Vec<Case> = touched_cases
            .iter()
            .filter(|id| existing.contains(id))
            .filter_map(|id| cases.get(id).cloned())
            .collect();
        tx.update_cases(&updated).await?;
        for c in &updated {
            if let Some(b) = existing_before.get(&c.id) {
                emit.case_changed(b, c);
            }
        }
        let new_cases: Vec<Case> = new_order
            .iter()
            .map(|id| cases.remove(id).expect("new cases are kept"))
            .collect();
        if !new_cases.is_empty() {
            let settings = self.settings_in_force(tenant).await?;
            let filed =
                file_new_cases(tx, &settings, tenant, actor, now, new_cases, &mut audit).await?;
            emit.cases_opened(&filed);
        }
        tx.append_timeline(tenant, &timeline).await?;
        tx.append_audit(audit).await?;
        for (t, b) in tracked.iter().zip(before) {
            emit.shipment_status(t, b);
        }
        self.write_messages(emit, tx).await?;
        Ok(changes)
    }

    /// Gives waiting orphan events their new shipments and re-derives those shipments' state.
    pub(crate) async fn attach_orphans(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        actor: &str,
        shipments: &[(CarrierId, String, ShipmentId)],
    ) -> AppResult<u64> {
        let ids = tx.attach_orphans(tenant, shipments).await?;
        if ids.is_empty() {
            return Ok(0);
        }
        let events = tx.events_of(tenant, &ids).await?;
        let mut tracked = tx.lock_tracked(tenant, &ids).await?;
        let mut by_shipment: BTreeMap<ShipmentId, Vec<&TrackingEvent>> = BTreeMap::new();
        for e in &events {
            if let Some(s) = e.shipment_id {
                by_shipment.entry(s).or_default().push(e);
            }
        }
        tracked.retain(|t| by_shipment.contains_key(&t.id));
        let book = self.rulebook_in_force(tenant).await?;
        let now = self.now();
        let undelivered = undelivered_orders(&tracked);
        self.judge_and_apply(tx, tenant, actor, &book, &mut tracked, &by_shipment, now)
            .await?;
        tx.update_tracked(&tracked, now).await?;
        deliver_orders(tx, tenant, actor, &undelivered, &tracked, now).await?;
        Ok(events.len() as u64)
    }
}

/// Shipments of an order not delivered yet, before a batch is applied.
fn undelivered_orders(tracked: &[TrackedShipment]) -> HashSet<ShipmentId> {
    tracked
        .iter()
        .filter(|t| t.order_id.is_some() && t.state.delivered_at.is_none())
        .map(|t| t.id)
        .collect()
}

/// Orders whose shipments this batch delivered move to the status their fulfilment now
/// implies (delivered once every line is), in the ingest transaction, with an audit record
/// each. Locked after the shipments, in id order, so concurrent batches queue on an order
/// rather than deadlock.
async fn deliver_orders(
    tx: &mut dyn Tx,
    tenant: TenantId,
    actor: &str,
    undelivered: &HashSet<ShipmentId>,
    after: &[TrackedShipment],
    now: Timestamp,
) -> AppResult<()> {
    let orders: Vec<OrderId> = after
        .iter()
        .filter(|t| undelivered.contains(&t.id) && t.state.delivered_at.is_some())
        .filter_map(|t| t.order_id)
        .collect();
    if orders.is_empty() {
        return Ok(());
    }
    let mut changed = Vec::new();
    let mut audit = Vec::new();
    for (order, shipped, delivered) in tx.lock_order_fulfilment(tenant, &orders).await? {
        let status = consign_core::order::status_from_fulfilment(&order, &shipped, &delivered);
        if status == order.status {
            continue;
        }
        audit.push(
            AuditEntry::new(
                Some(tenant),
                now,
                actor.to_string(),
                "order",
                order.id,
                "status_changed",
            )
            .before(&serde_json::json!({ "status": order.status }))
            .after(&serde_json::json!({ "status": status, "by": "delivery" })),
        );
        let mut next = order;
        next.status = status;
        next.updated_at = now;
        next.version += 1;
        changed.push(next);
    }
    if !changed.is_empty() {
        tx.update_orders(&changed).await?;
        tx.append_audit(audit).await?;
    }
    Ok(())
}
