//! Tracking use cases: events from every source go through one pipeline (validate, resolve the
//! carrier and shipment, dedup, fold into the shipment's state, judge with the tenant's
//! rulebook, open/update/resolve cases) committed in one transaction per batch; the sweep that
//! runs time-based rules from `next_check_at`; orphans attached when their shipment appears;
//! rulebooks stored per tenant; and replay of a rulebook over recorded events.
//!
//! Concurrent small requests (single-event webhooks) are coalesced by [`GroupCommitter`] into
//! one transaction, so each is acknowledged only after a durable commit without paying a
//! commit (an fsync on SQLite) per request.

use crate::shipments::find_carrier;
use crate::{App, AppError, AppResult, entropy, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::audit::AuditEntry;
use consign_core::case::{Case, CaseStatus, CaseSubject, TimelineEntry, TimelineKind};
use consign_core::ids::*;
use consign_core::rules::{CaseAction, OpenCase, Rulebook, Trigger};
use consign_core::shipment::ShipmentStatus;
use consign_core::tenant::Tenant;
use consign_core::tracking::{
    MappedEvent, TrackedShipment, TrackingEvent, TrackingState, dedup_key,
};
use consign_store::{CaseFilter, StoreError, StoredRulebook, Tx};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

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

/// The crosswalks shipped with Consign, parsed once.
pub fn crosswalks() -> &'static consign_core::tracking::Crosswalks {
    static CW: std::sync::OnceLock<consign_core::tracking::Crosswalks> = std::sync::OnceLock::new();
    CW.get_or_init(|| {
        consign_core::tracking::Crosswalks::builtin().expect("the shipped crosswalks are valid")
    })
}

/// Most events one request may carry.
pub const MAX_EVENTS_PER_REQUEST: usize = 10_000;

/// What happened to one submitted event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemResult {
    /// Stored and applied to its shipment.
    Accepted,
    /// Seen before (same message id or natural key): nothing done.
    Duplicate,
    /// Stored; no shipment has this carrier and tracking number yet.
    Orphan,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemOutcome {
    pub index: usize,
    pub result: ItemResult,
    pub event_id: Option<EventId>,
    pub shipment_id: Option<ShipmentId>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseChanges {
    pub opened: u64,
    pub detected_again: u64,
    pub escalated: u64,
    pub resolved: u64,
}

impl CaseChanges {
    pub(crate) fn add(&mut self, o: &CaseChanges) {
        self.opened += o.opened;
        self.detected_again += o.detected_again;
        self.escalated += o.escalated;
        self.resolved += o.resolved;
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IngestOutcome {
    pub accepted: u64,
    pub duplicates: u64,
    pub orphans: u64,
    /// Case changes of the commit that carried this request (concurrent requests coalesced
    /// into one commit share its figures).
    pub cases: CaseChanges,
    pub items: Vec<ItemOutcome>,
}

/// The rulebook in force for a tenant: its newest stored version, else the shipped default
/// (version 0).
pub struct RulebookInForce {
    pub version: i64,
    pub book: Rulebook,
}

impl App {
    pub async fn rulebook_in_force(&self, tenant: TenantId) -> AppResult<Arc<RulebookInForce>> {
        if let Some(b) = self.cache.rulebook(tenant) {
            return Ok(b);
        }
        let b = self.load_rulebook(tenant).await?;
        self.cache.keep_rulebook(tenant, b.clone());
        Ok(b)
    }

    async fn load_rulebook(&self, tenant: TenantId) -> AppResult<Arc<RulebookInForce>> {
        Ok(Arc::new(match self.store.rulebook(tenant).await? {
            Some(r) => RulebookInForce {
                version: r.version,
                book: Rulebook::parse(&r.source).map_err(|e| {
                    AppError::Store(StoreError::Corrupt(format!(
                        "stored rulebook version {}: {}",
                        r.version,
                        e.join("; ")
                    )))
                })?,
            },
            None => RulebookInForce {
                version: 0,
                book: Rulebook::default_rulebook(),
            },
        }))
    }

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
                        timeline.push(TimelineEntry {
                            case_id: id,
                            seq: 1,
                            at: now,
                            kind: TimelineKind::Created,
                            detail,
                        });
                        open.insert((t.id, case_type.clone()), id);
                        cases.insert(
                            id,
                            Case {
                                id,
                                tenant_id: tenant,
                                number: String::new(),
                                case_type,
                                severity,
                                accountable,
                                owner_team,
                                status: CaseStatus::Open,
                                subject: CaseSubject::Shipment(t.id),
                                order_id: t.order_id,
                                carrier_id: Some(t.carrier_id),
                                rulebook_version: book.version,
                                detections: 1,
                                entries: 1,
                                opened_at: now,
                                updated_at: now,
                                resolved_at: None,
                            },
                        );
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
                    c.entries += 1;
                    c.updated_at = now;
                    let (kind, detail) = match action {
                        CaseAction::DetectedAgain { detail, .. } => {
                            c.detections += 1;
                            changes.detected_again += 1;
                            (TimelineKind::DetectedAgain, detail)
                        }
                        CaseAction::Escalate {
                            from, to, detail, ..
                        } => {
                            c.severity = to;
                            changes.escalated += 1;
                            (
                                TimelineKind::Escalated,
                                format!("{} → {}: {detail}", from.as_str(), to.as_str()),
                            )
                        }
                        CaseAction::Resolve { detail, .. } => {
                            c.status = CaseStatus::Resolved;
                            c.resolved_at = Some(now);
                            changes.resolved += 1;
                            open.remove(&key);
                            audit.push(
                                AuditEntry::new(Some(tenant), now, actor.to_string(), "case", c.id, "auto_resolved")
                                    .after(&serde_json::json!({ "case_type": c.case_type, "detail": detail })),
                            );
                            (TimelineKind::AutoResolved, detail)
                        }
                        CaseAction::Open { .. } => unreachable!("handled above"),
                    };
                    timeline.push(TimelineEntry {
                        case_id: c.id,
                        seq: c.entries,
                        at: now,
                        kind,
                        detail,
                    });
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
        let new_cases: Vec<Case> = new_order
            .iter()
            .map(|id| cases.remove(id).expect("new cases are kept"))
            .collect();
        file_new_cases(tx, tenant, actor, now, new_cases, &mut audit).await?;
        tx.append_timeline(tenant, &timeline).await?;
        tx.append_audit(audit).await?;
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

    /// Judges every shipment whose `next_check_at` has come, as of the app's clock. Returns
    /// how many shipments were judged and what changed.
    pub async fn sweep(&self, batch: u32) -> AppResult<(u64, CaseChanges)> {
        let now = self.now();
        let mut judged = 0u64;
        let mut total = CaseChanges::default();
        let mut books: HashMap<TenantId, Arc<RulebookInForce>> = HashMap::new();
        loop {
            let mut round = 0u64;
            let due = self.store.due_shipments(now, batch).await?;
            if due.is_empty() {
                break;
            }
            let mut by_tenant: BTreeMap<TenantId, Vec<ShipmentId>> = BTreeMap::new();
            for (t, s) in &due {
                by_tenant.entry(*t).or_default().push(*s);
            }
            for (tenant, ids) in by_tenant {
                let book = match books.get(&tenant) {
                    Some(b) => b.clone(),
                    None => match self.rulebook_in_force(tenant).await {
                        Ok(b) => {
                            books.insert(tenant, b.clone());
                            b
                        }
                        Err(e) => {
                            tracing::warn!(tenant = %tenant, error = %e, "sweep: no usable rulebook");
                            continue;
                        }
                    },
                };
                match self.sweep_tenant(tenant, &book, &ids, now).await {
                    Ok((n, refiled, c)) => {
                        judged += n;
                        round += n + refiled;
                        total.add(&c);
                    }
                    // One tenant's trouble (a bad stored rulebook, a conflict) must not stop
                    // the others' rules; its shipments stay due and are tried next time.
                    Err(e) => {
                        tracing::warn!(tenant = %tenant, error = %e, "sweep failed for tenant")
                    }
                }
            }
            if (due.len() as u32) < batch || round == 0 {
                break;
            }
        }
        Ok((judged, total))
    }

    async fn sweep_tenant(
        &self,
        tenant: TenantId,
        book: &RulebookInForce,
        ids: &[ShipmentId],
        now: Timestamp,
    ) -> AppResult<(u64, u64, CaseChanges)> {
        let mut tx = self.begin().await?;
        // Due by the index but not by their exact next check: ingest left the due instant
        // earlier (it never moves it later), or another sweeper judged them meanwhile. They
        // are only filed again under their exact instant.
        let (mut tracked, early): (Vec<TrackedShipment>, Vec<TrackedShipment>) = tx
            .lock_tracked(tenant, ids)
            .await?
            .into_iter()
            .partition(|t| t.next_check_at.is_some_and(|n| n <= now));
        let c = self
            .judge_and_apply(
                &mut *tx,
                tenant,
                "system:sweep",
                book,
                &mut tracked,
                &BTreeMap::new(),
                now,
            )
            .await?;
        let judged = tracked.len() as u64;
        let refiled = early.len() as u64;
        tracked.extend(early);
        // A sweep changes no state, only when to look next.
        tx.update_next_checks(&tracked).await?;
        self.commit(tx).await?;
        Ok((judged, refiled, c))
    }

    /// The carrier-level rule (`carrier_silent`) for every tenant whose rulebook has it, as of
    /// the app's clock: opens a case for each carrier silent too long while it has shipments
    /// under way, and resolves those whose scans resumed. One aggregate query per tenant, so
    /// `serve` runs it every few minutes rather than with every shipment sweep.
    pub async fn sweep_carriers(&self) -> AppResult<CaseChanges> {
        let now = self.now();
        let mut total = CaseChanges::default();
        for (tenant, book) in self.tenant_rulebooks("carrier sweep").await? {
            let Some(rule) = book.book.carrier_silent.clone() else {
                continue;
            };
            let r = self.sweep_carriers_of(tenant.id, &book, &rule, now).await;
            tally(&mut total, &tenant, "carrier sweep", r);
        }
        Ok(total)
    }

    /// Every tenant with its rulebook in force, for the sweeps of rules beyond shipments; a
    /// tenant whose rulebook cannot be read is logged and left for the next round.
    pub(crate) async fn tenant_rulebooks(
        &self,
        what: &str,
    ) -> AppResult<Vec<(Tenant, Arc<RulebookInForce>)>> {
        let mut out = Vec::new();
        for tenant in self.store.tenants().await? {
            match self.rulebook_in_force(tenant.id).await {
                Ok(b) => out.push((tenant, b)),
                Err(e) => {
                    tracing::warn!(tenant = %tenant.slug, error = %e, "{what}: no usable rulebook")
                }
            }
        }
        Ok(out)
    }

    async fn sweep_carriers_of(
        &self,
        tenant: TenantId,
        book: &RulebookInForce,
        rule: &consign_core::rules::CarrierSilence,
        now: Timestamp,
    ) -> AppResult<CaseChanges> {
        use consign_core::rules::SilenceAction;
        let activity: HashMap<CarrierId, Timestamp> = self
            .store
            .carrier_activity(tenant)
            .await?
            .into_iter()
            .collect();
        let mut tx = self.begin().await?;
        let open: HashMap<CarrierId, Case> = tx
            .open_non_shipment_cases(tenant, "carrier_silent")
            .await?
            .into_iter()
            .filter_map(|c| match c.subject {
                CaseSubject::Carrier(id) => Some((id, c)),
                _ => None,
            })
            .collect();
        let mut carriers: Vec<CarrierId> = activity.keys().chain(open.keys()).copied().collect();
        carriers.sort();
        carriers.dedup();
        let mut w = SubjectCases::new(tenant, "system:sweep", now);
        for carrier in carriers {
            match rule.judge(
                activity.get(&carrier).copied(),
                open.contains_key(&carrier),
                now,
            ) {
                SilenceAction::Open { detail } => {
                    let c = w.new_case(
                        CaseSubject::Carrier(carrier),
                        "carrier_silent",
                        rule.severity,
                        "carrier",
                        &rule.owner_team,
                        book.version,
                    );
                    w.open(c, detail);
                }
                SilenceAction::Resolve { detail } => w.resolve(&open[&carrier], detail),
                SilenceAction::Nothing => {}
            }
        }
        w.write(&mut *tx).await?;
        self.commit(tx).await?;
        Ok(w.changes)
    }

    /// Stores a new version of the tenant's rulebook after checking it; a bad rulebook is
    /// refused with every problem and nothing is stored.
    pub async fn set_rulebook(
        &self,
        p: &Principal,
        tenant: &Tenant,
        source: &str,
    ) -> AppResult<StoredRulebook> {
        require(p, Capability::ManageRules)?;
        let book = Rulebook::parse(source).map_err(|errors| Invalid {
            errors: errors
                .into_iter()
                .map(|e| consign_core::FieldError::new("rulebook", e))
                .collect(),
        })?;
        let now = self.now();
        let version = self
            .store
            .rulebooks(tenant.id)
            .await?
            .last()
            .map_or(1, |r| r.version + 1);
        let stored = StoredRulebook {
            version,
            name: book.name.clone(),
            source: source.to_string(),
            created_at: now,
            created_by: p.actor.label(),
        };
        let mut tx = self.begin().await?;
        tx.insert_rulebook(tenant.id, &stored).await?;
        tx.append_audit(vec![
            AuditEntry::new(
                Some(tenant.id),
                now,
                p.actor.label(),
                "rulebook",
                version,
                "stored",
            )
            .after(&serde_json::json!({ "name": book.name, "rules": book.rules.len() })),
        ])
        .await?;
        let (cache, id) = (self.cache.clone(), tenant.id);
        self.commit_then(tx, move || cache.forget_rulebook(id))
            .await?;
        Ok(stored)
    }

    pub async fn list_cases(
        &self,
        p: &Principal,
        tenant: &Tenant,
        filter: &CaseFilter,
    ) -> AppResult<Vec<Case>> {
        require(p, Capability::ReadCases)?;
        Ok(self.store.cases(tenant.id, filter).await?)
    }

    pub async fn get_case(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: CaseId,
    ) -> AppResult<(Case, Vec<TimelineEntry>)> {
        require(p, Capability::ReadCases)?;
        let Some(c) = self.store.case(tenant.id, id).await? else {
            return Err(AppError::NotFound(format!("case {id}")));
        };
        let timeline = self.store.case_timeline(tenant.id, id).await?;
        Ok((c, timeline))
    }

    /// A shipment's events and derived state, for those who may see the shipment.
    pub async fn shipment_tracking(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: ShipmentId,
    ) -> AppResult<(TrackedShipment, Vec<TrackingEvent>)> {
        self.get_shipment(p, tenant, id).await?;
        let t = self
            .store
            .tracked_shipments(tenant.id, &[id])
            .await?
            .pop()
            .ok_or_else(|| AppError::NotFound(format!("shipment {id}")))?;
        let events = self.store.tracking_events(tenant.id, &[id]).await?;
        Ok((t, events))
    }
}

/// Per case type: how many cases a replayed rulebook would have opened in the period, and how
/// many were opened.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReplayReport {
    pub shipments: u64,
    pub events: u64,
    pub by_type: BTreeMap<String, (u64, i64)>,
}

impl App {
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

/// Adds one tenant's sweep result to the total. One tenant's trouble must not stop the
/// others: a failure is logged and the tenant is tried again next round.
pub(crate) fn tally(
    total: &mut CaseChanges,
    tenant: &Tenant,
    what: &str,
    r: AppResult<CaseChanges>,
) {
    match r {
        Ok(c) => total.add(&c),
        Err(e) => tracing::warn!(tenant = %tenant.slug, error = %e, "{what} failed for tenant"),
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

/// Case changes for subjects other than a shipment (a carrier, an EDI group we sent), gathered
/// by a rule's judgement and then written together: new cases numbered and audited, updated
/// ones with their timeline entries.
pub(crate) struct SubjectCases {
    tenant: TenantId,
    actor: String,
    now: Timestamp,
    new_cases: Vec<Case>,
    updated: Vec<Case>,
    timeline: Vec<TimelineEntry>,
    audit: Vec<AuditEntry>,
    pub changes: CaseChanges,
}

impl SubjectCases {
    pub(crate) fn new(tenant: TenantId, actor: impl Into<String>, now: Timestamp) -> Self {
        SubjectCases {
            tenant,
            actor: actor.into(),
            now,
            new_cases: Vec::new(),
            updated: Vec::new(),
            timeline: Vec::new(),
            audit: Vec::new(),
            changes: CaseChanges::default(),
        }
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.now
    }

    /// A new open case about `subject`; the caller adds its links before `open`.
    pub(crate) fn new_case(
        &self,
        subject: CaseSubject,
        case_type: &str,
        severity: consign_core::case::Severity,
        accountable: &str,
        owner_team: &str,
        rulebook_version: i64,
    ) -> Case {
        Case {
            id: CaseId::new_at(self.now, entropy()),
            tenant_id: self.tenant,
            number: String::new(),
            case_type: case_type.to_string(),
            severity,
            accountable: accountable.to_string(),
            owner_team: owner_team.to_string(),
            status: CaseStatus::Open,
            subject,
            order_id: None,
            carrier_id: None,
            rulebook_version,
            detections: 1,
            entries: 1,
            opened_at: self.now,
            updated_at: self.now,
            resolved_at: None,
        }
    }

    pub(crate) fn open(&mut self, case: Case, detail: String) {
        self.timeline.push(TimelineEntry {
            case_id: case.id,
            seq: 1,
            at: self.now,
            kind: TimelineKind::Created,
            detail,
        });
        self.new_cases.push(case);
        self.changes.opened += 1;
    }

    /// The case as changed so far in this batch: one opened here is changed where it waits to
    /// be inserted, and a stored one is updated once however often it changes.
    fn slot(&mut self, case: &Case) -> &mut Case {
        if let Some(k) = self.new_cases.iter().position(|c| c.id == case.id) {
            return &mut self.new_cases[k];
        }
        let k = match self.updated.iter().position(|c| c.id == case.id) {
            Some(k) => k,
            None => {
                self.updated.push(case.clone());
                self.updated.len() - 1
            }
        };
        &mut self.updated[k]
    }

    /// Whether this case is open as changed so far in the batch.
    pub(crate) fn is_open(&self, case: &Case) -> bool {
        self.new_cases
            .iter()
            .chain(&self.updated)
            .find(|c| c.id == case.id)
            .unwrap_or(case)
            .status
            == CaseStatus::Open
    }

    pub(crate) fn detected_again(&mut self, case: &Case, detail: String) {
        let now = self.now;
        let c = self.slot(case);
        c.detections += 1;
        c.entries += 1;
        c.updated_at = now;
        let entry = TimelineEntry {
            case_id: c.id,
            seq: c.entries,
            at: now,
            kind: TimelineKind::DetectedAgain,
            detail,
        };
        self.timeline.push(entry);
        self.changes.detected_again += 1;
    }

    pub(crate) fn resolve(&mut self, case: &Case, detail: String) {
        let now = self.now;
        let c = self.slot(case);
        c.status = CaseStatus::Resolved;
        c.resolved_at = Some(now);
        c.updated_at = now;
        c.entries += 1;
        let (id, seq, case_type) = (c.id, c.entries, c.case_type.clone());
        self.timeline.push(TimelineEntry {
            case_id: id,
            seq,
            at: now,
            kind: TimelineKind::AutoResolved,
            detail: detail.clone(),
        });
        self.audit.push(
            AuditEntry::new(
                Some(self.tenant),
                now,
                self.actor.clone(),
                "case",
                id,
                "auto_resolved",
            )
            .after(&serde_json::json!({ "case_type": case_type, "detail": detail })),
        );
        self.changes.resolved += 1;
    }

    /// Writes what was gathered into `tx` (the caller commits); nothing when nothing changed.
    pub(crate) async fn write(&mut self, tx: &mut dyn Tx) -> AppResult<()> {
        if self.new_cases.is_empty() && self.updated.is_empty() {
            return Ok(());
        }
        tx.update_cases(&std::mem::take(&mut self.updated)).await?;
        let mut audit = std::mem::take(&mut self.audit);
        file_new_cases(
            tx,
            self.tenant,
            &self.actor,
            self.now,
            std::mem::take(&mut self.new_cases),
            &mut audit,
        )
        .await?;
        tx.append_timeline(self.tenant, &std::mem::take(&mut self.timeline))
            .await?;
        tx.append_audit(audit).await?;
        Ok(())
    }
}

/// Numbers newly opened cases from the tenant's counter, records each in the audit trail and
/// inserts them (the shipment, carrier and EDI rules open cases the same way).
async fn file_new_cases(
    tx: &mut dyn Tx,
    tenant: TenantId,
    actor: &str,
    now: Timestamp,
    mut cases: Vec<Case>,
    audit: &mut Vec<AuditEntry>,
) -> AppResult<()> {
    if cases.is_empty() {
        return Ok(());
    }
    let first = tx.next_numbers(tenant, "case", cases.len() as u64).await?;
    for (i, c) in cases.iter_mut().enumerate() {
        c.number = format!("CASE-{:06}", first + i as i64);
        audit.push(
            AuditEntry::new(Some(tenant), now, actor.to_string(), "case", c.id, "opened").after(
                &serde_json::json!({
                    "number": c.number, "case_type": c.case_type, "severity": c.severity,
                    "shipment": c.shipment_id(), "carrier": c.carrier_id,
                    "partner": c.edi_group().map(|g| g.0), "edi_group": c.edi_group().map(|g| g.1),
                    "rulebook_version": c.rulebook_version,
                }),
            ),
        );
    }
    // Resolved ones go in after the open ones: at most one open per (subject, type).
    cases.sort_by_key(|c| c.status == CaseStatus::Resolved);
    tx.insert_cases(&cases).await?;
    Ok(())
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

type Job = (
    TenantId,
    String,
    Vec<TrackingEvent>,
    oneshot::Sender<AppResult<IngestOutcome>>,
);

/// Coalesces concurrent ingest requests into group commits: one worker drains whatever is
/// queued (up to a batch size), commits it per tenant in one transaction, and answers each
/// request with its own items.
pub struct GroupCommitter {
    queue: mpsc::Sender<Job>,
}

/// Events per group commit at most.
const GROUP_MAX_EVENTS: usize = 20_000;

/// How long a group waits for the callers of the previous one (see `commit_groups`).
const GROUP_LINGER: std::time::Duration = std::time::Duration::from_micros(1500);
/// A pause in arrivals this long ends the wait early.
const GROUP_QUIET: std::time::Duration = std::time::Duration::from_micros(300);

impl GroupCommitter {
    /// Starts the worker: for SQLite on a thread of its own, otherwise on the current tokio
    /// runtime.
    ///
    /// Why a thread for SQLite: each statement of a group is handed to the connection's own
    /// thread and its result handed back, seven times per group. On the shared runtime each
    /// hand-back queued behind the HTTP tasks of the 64 callers, so the one writer sat idle
    /// between statements; on its own runtime the worker runs as soon as a result is back,
    /// which raised webhook throughput by about a tenth (docs/performance.md). PostgreSQL
    /// keeps the shared runtime: its pooled connections belong to the runtime that opened
    /// them, and the pool is shared with the HTTP handlers.
    pub fn start(app: App) -> Arc<GroupCommitter> {
        let (queue, rx) = mpsc::channel::<Job>(4096);
        let sqlite = app.store.engine() == consign_store::Engine::Sqlite;
        let work = commit_groups(app, rx, !sqlite);
        // On SQLite the worker gets its own thread, or the shared runtime if none can be had.
        let work = if sqlite {
            own_thread(work).err()
        } else {
            Some(work)
        };
        if let Some(work) = work {
            tokio::spawn(work);
        }
        Arc::new(GroupCommitter { queue })
    }

    pub async fn submit(
        &self,
        tenant: TenantId,
        actor: String,
        events: Vec<TrackingEvent>,
    ) -> AppResult<IngestOutcome> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send((tenant, actor, events, tx))
            .await
            .map_err(|_| AppError::Io(std::io::Error::other("the ingest worker stopped")))?;
        rx.await
            .map_err(|_| AppError::Io(std::io::Error::other("the ingest worker stopped")))?
    }
}

/// Runs `work` on a new thread with a single-threaded runtime of its own, or hands it back if
/// the thread cannot be started. The thread ends with the work (when the queue closes).
fn own_thread<F>(work: F) -> Result<(), F>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    // Timers only (a retry's pause): without an I/O driver the idle thread sleeps on a
    // futex, which the connection's thread wakes more cheaply than an eventfd and epoll,
    // once per statement and per row.
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    else {
        return Err(work);
    };
    let (hand, take) = std::sync::mpsc::sync_channel::<F>(1);
    let started = std::thread::Builder::new()
        .name("consign-commit".into())
        .spawn(move || {
            if let Ok(work) = take.recv() {
                rt.block_on(work);
            }
        });
    match started {
        Ok(_) => hand.send(work).map_err(|e| e.0),
        Err(_) => Err(work),
    }
}

/// The group committer's worker: drains the queue into groups and commits them in turn.
///
/// `linger`: whether a group waits briefly for the callers just answered (below). On
/// SQLite, where the worker has a thread of its own and the next group's statements overlap
/// the last one's sync, lingering only left the writer idle: without it webhooks ran 4–15 %
/// faster in five paired runs (docs/performance.md). PostgreSQL keeps it.
async fn commit_groups(app: App, mut rx: mpsc::Receiver<Job>, linger: bool) {
    // Requests in the previous group: under load, its callers send their next request
    // within a fraction of a millisecond of their answer.
    let (mut last, mut before_last) = (0usize, 0usize);
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let mut n = jobs[0].2.len();
        let mut drain = |jobs: &mut Vec<Job>, n: &mut usize| {
            while *n < GROUP_MAX_EVENTS {
                match rx.try_recv() {
                    Ok(j) => {
                        *n += j.2.len();
                        jobs.push(j);
                    }
                    Err(_) => break,
                }
            }
        };
        drain(&mut jobs, &mut n);
        // Without a pause, concurrent callers split into two cohorts that take turns:
        // one waits for the fsync while the other's requests arrive. Lingering briefly
        // when the last group was shared lets the cohort just answered join this
        // commit, so each fsync carries twice the requests. A lone caller never waits.
        if linger && last > 1 {
            // Expected: the callers of the last two groups. Stop early once they are
            // all here, or once arrivals pause (the burst of answered callers is over).
            let start = std::time::Instant::now();
            let mut seen = (jobs.len(), start);
            while n < GROUP_MAX_EVENTS
                && jobs.len() < last + before_last
                && seen.1.elapsed() < GROUP_QUIET
                && start.elapsed() < GROUP_LINGER
            {
                tokio::task::yield_now().await;
                drain(&mut jobs, &mut n);
                if jobs.len() > seen.0 {
                    seen = (jobs.len(), std::time::Instant::now());
                }
            }
        }
        (last, before_last) = (jobs.len(), last);
        let mut by_tenant: BTreeMap<TenantId, Vec<Job>> = BTreeMap::new();
        for j in jobs {
            by_tenant.entry(j.0).or_default().push(j);
        }
        for (tenant, jobs) in by_tenant {
            run_group(&app, tenant, jobs).await;
        }
    }
}

async fn run_group(app: &App, tenant: TenantId, jobs: Vec<Job>) {
    let sizes: Vec<usize> = jobs.iter().map(|j| j.2.len()).collect();
    let actor = if jobs.len() == 1 {
        jobs[0].1.clone()
    } else {
        format!("{} (+{} coalesced)", jobs[0].1, jobs.len() - 1)
    };
    let all: Vec<TrackingEvent> = jobs.iter().flat_map(|j| j.2.iter().cloned()).collect();
    let started = std::time::Instant::now();
    let result = app.commit_events_staged(tenant, &actor, all).await;
    let committed_ms = started.elapsed().as_secs_f64() * 1000.0;
    // The requests are answered once the commit is on disk, in a task of their own: the
    // worker goes on to the next group meanwhile (on SQLite the sync then overlaps the next
    // group's statements; on PostgreSQL the commit was durable already).
    tokio::spawn(async move {
        let result = match result {
            Ok((o, durable)) => durable.wait().await.map(|_| o).map_err(AppError::from),
            Err(e) => Err(e),
        };
        tracing::debug!(
            requests = jobs.len(),
            events = sizes.iter().sum::<usize>(),
            committed_ms,
            durable_ms = started.elapsed().as_secs_f64() * 1000.0,
            "group commit"
        );
        answer(jobs, sizes, result);
    });
}

/// Gives each request of a group its own items of the group's outcome, or the group's error.
fn answer(jobs: Vec<Job>, sizes: Vec<usize>, result: AppResult<IngestOutcome>) {
    match result {
        Ok(o) => {
            let mut items = o.items.into_iter();
            for (j, n) in jobs.into_iter().zip(sizes) {
                // Case changes cannot be split between coalesced requests: each answer
                // reports those of the commit that carried it.
                let mut mine = IngestOutcome {
                    cases: o.cases.clone(),
                    ..Default::default()
                };
                for (i, mut it) in items.by_ref().take(n).enumerate() {
                    it.index = i;
                    match it.result {
                        ItemResult::Accepted => mine.accepted += 1,
                        ItemResult::Duplicate => mine.duplicates += 1,
                        ItemResult::Orphan => mine.orphans += 1,
                    }
                    mine.items.push(it);
                }
                let _ = j.3.send(Ok(mine));
            }
        }
        Err(e) => {
            // One failure fails the group; each request gets the error and may retry.
            let msg = e.to_string();
            for j in jobs {
                let _ =
                    j.3.send(Err(AppError::Io(std::io::Error::other(msg.clone()))));
            }
        }
    }
}
