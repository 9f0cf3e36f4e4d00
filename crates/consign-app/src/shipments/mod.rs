//! Shipment use cases: create (one or a batch, resolving carrier and order by the names
//! integrations use), read and list (carrier users see only their own), and the order status
//! that follows from what has shipped; manual overrides in [`overrides`].

mod overrides;

use crate::orders::{BatchOutcome, COMMIT_CHUNK, OnDuplicate};
use crate::{App, AppError, AppResult, entropy, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::audit::AuditEntry;
use consign_core::ids::*;
use consign_core::order::{Order, check_shipment_lines, status_from_fulfilment};
use consign_core::party::Carrier;
use consign_core::shipment::{Direction, NewShipment, Shipment, ShipmentLine};
use consign_core::tenant::Tenant;
use consign_store::ShipmentFilter;
use std::collections::{HashMap, HashSet};

/// A carrier by SCAC, id or (case-insensitive) name.
pub fn find_carrier<'a>(carriers: &'a [Carrier], name: &str) -> Option<&'a Carrier> {
    let n = name.trim();
    carriers
        .iter()
        .find(|c| c.scac.as_deref() == Some(n))
        .or_else(|| carriers.iter().find(|c| c.id.to_string() == n))
        .or_else(|| carriers.iter().find(|c| c.name.eq_ignore_ascii_case(n)))
}

/// Shipments ready to store plus the order status changes they cause.
pub struct PlannedShipments {
    pub shipments: Vec<Shipment>,
    pub order_updates: Vec<(Order, Order)>,
    pub skipped: Vec<String>,
}

impl App {
    /// Resolves and validates every shipment against the store (carrier, order, lines still
    /// unshipped, tracking numbers), without writing anything.
    pub async fn plan_shipments(
        &self,
        tenant: &Tenant,
        items: Vec<NewShipment>,
        on_dup: OnDuplicate,
        only_carrier: Option<CarrierId>,
    ) -> AppResult<PlannedShipments> {
        let now = self.now();
        let carriers = self.store.carriers(tenant.id).await?;
        let order_refs: Vec<String> = {
            let mut seen = HashSet::new();
            items
                .iter()
                .filter_map(|s| s.order.clone())
                .filter(|r| seen.insert(r.clone()))
                .collect()
        };
        let mut orders: HashMap<String, Order> = HashMap::new();
        for o in self.store.orders_by_refs(tenant.id, &order_refs).await? {
            orders.insert(o.external_ref.clone(), o);
        }
        // Order numbers are accepted too; look those up one by one (rare in bulk files).
        for r in &order_refs {
            if !orders.contains_key(r)
                && let Some(o) = self.store.order_by_ref(tenant.id, r).await?
            {
                orders.insert(r.clone(), o);
            }
        }
        let order_ids: Vec<OrderId> = {
            let mut seen = HashSet::new();
            orders
                .values()
                .map(|o| o.id)
                .filter(|id| seen.insert(*id))
                .collect()
        };
        let mut fulfilment = self.store.fulfilment_many(tenant.id, &order_ids).await?;

        // Which (carrier, tracking) pairs already exist, in bulk.
        let keys: Vec<(CarrierId, String)> = items
            .iter()
            .filter_map(|s| {
                find_carrier(&carriers, &s.carrier)
                    .map(|c| (c.id, s.tracking_number.trim().to_string()))
            })
            .collect();
        let existing = self.store.existing_tracking(tenant.id, &keys).await?;

        let mut errors: Vec<(usize, Invalid)> = Vec::new();
        let mut planned = Vec::with_capacity(items.len());
        let mut skipped = Vec::new();
        let mut in_batch: HashMap<(CarrierId, String), usize> = HashMap::new();
        let mut touched: Vec<OrderId> = Vec::new();
        for (i, s) in items.into_iter().enumerate() {
            let mut inv = s.validate(now);
            let carrier = find_carrier(&carriers, &s.carrier);
            if carrier.is_none() && !s.carrier.trim().is_empty() {
                inv.push(
                    "carrier",
                    format!(
                        "no carrier '{}' in tenant {}",
                        s.carrier.trim(),
                        tenant.slug
                    ),
                );
            }
            if let (Some(own), Some(c)) = (only_carrier, carrier)
                && c.id != own
            {
                inv.push(
                    "carrier",
                    "this identity may only create shipments of its own carrier",
                );
            }
            let order = s.order.as_ref().and_then(|r| orders.get(r));
            if let (Some(r), None) = (&s.order, order) {
                inv.push("order", format!("no order '{r}' in tenant {}", tenant.slug));
            }
            let tracking = s.tracking_number.trim().to_string();
            if let Some(c) = carrier {
                let key = (c.id, tracking.clone());
                if existing.contains(&key) {
                    if on_dup == OnDuplicate::Skip {
                        skipped.push(format!(
                            "{}:{tracking}",
                            c.scac.as_deref().unwrap_or(&c.name)
                        ));
                        continue;
                    }
                    errors.push((
                        i,
                        Invalid::one(
                            "tracking_number",
                            format!("{tracking} already exists for carrier {}", c.name),
                        ),
                    ));
                    continue;
                }
                if let Some(j) = in_batch.insert(key, i) {
                    inv.push(
                        "tracking_number",
                        format!("{tracking} appears twice in this batch (also item {j})"),
                    );
                }
            }
            let mut lines = Vec::new();
            // Returns link to their order for the record but do not count against what is
            // left to ship (the store's fulfilment counts outbound shipments only).
            if let Some(o) = order
                && s.direction == Direction::Return
            {
                let wanted: Vec<(u32, u32)> = s
                    .lines
                    .iter()
                    .flatten()
                    .map(|l| (l.line_no, l.quantity))
                    .collect();
                for (j, (line_no, q)) in wanted.iter().enumerate() {
                    match o.lines.iter().find(|l| l.line_no == *line_no) {
                        None => inv.push(
                            format!("lines[{j}].line_no"),
                            format!("order {} has no line {line_no}", o.number),
                        ),
                        Some(l) if *q == 0 || *q > l.quantity => inv.push(
                            format!("lines[{j}].quantity"),
                            format!("must be between 1 and the {} ordered", l.quantity),
                        ),
                        Some(_) => {}
                    }
                }
                lines = wanted
                    .into_iter()
                    .map(|(line_no, quantity)| ShipmentLine { line_no, quantity })
                    .collect();
            } else if let Some(o) = order {
                let (shipped, delivered) = fulfilment.entry(o.id).or_default();
                let wanted: Vec<(u32, u32)> = match &s.lines {
                    Some(l) => l.iter().map(|l| (l.line_no, l.quantity)).collect(),
                    None => o
                        .lines
                        .iter()
                        .map(|l| {
                            (
                                l.line_no,
                                l.quantity.saturating_sub(
                                    shipped.get(l.line_no as usize - 1).copied().unwrap_or(0),
                                ),
                            )
                        })
                        .filter(|(_, q)| *q > 0)
                        .collect(),
                };
                if wanted.is_empty() {
                    inv.push(
                        "order",
                        format!("order {} has nothing left to ship", o.external_ref),
                    );
                }
                for e in check_shipment_lines(o, shipped, &wanted) {
                    inv.errors.push(e);
                }
                if o.status == consign_core::order::OrderStatus::Cancelled {
                    inv.push("order", format!("order {} is cancelled", o.external_ref));
                }
                if inv.is_empty() {
                    let n = o.lines.len();
                    shipped.resize(shipped.len().max(n), 0);
                    delivered.resize(delivered.len().max(n), 0);
                    for (line_no, q) in &wanted {
                        let i = (*line_no as usize).saturating_sub(1);
                        shipped[i] = shipped[i].saturating_add(*q);
                        if s.delivered_at.is_some() {
                            delivered[i] = delivered[i].saturating_add(*q);
                        }
                    }
                    touched.push(o.id);
                }
                lines = wanted
                    .into_iter()
                    .map(|(line_no, quantity)| ShipmentLine { line_no, quantity })
                    .collect();
            }
            if !inv.is_empty() {
                errors.push((i, inv));
                continue;
            }
            let Some(carrier) = carrier else { continue };
            let created_at = s
                .picked_up_at
                .or(s.planned_pickup_at)
                .map(|t| t.min(now))
                .unwrap_or(now);
            planned.push(Shipment {
                id: ShipmentId::new_at(created_at, entropy()),
                tenant_id: tenant.id,
                number: String::new(),
                carrier_id: carrier.id,
                service_level: s.service_level.trim().to_string(),
                tracking_number: tracking,
                pro_number: s.pro_number.as_deref().map(|p| p.trim().to_string()),
                bol_number: s.bol_number.as_deref().map(|b| b.trim().to_string()),
                direction: s.direction,
                order_id: order.map(|o| o.id),
                lines,
                international: s
                    .international
                    .unwrap_or(s.origin.country != s.destination.country),
                promised_by: s.promised_by.or(order.and_then(|o| o.promised_by)),
                status: s.initial_status(),
                origin: s.origin,
                destination: s.destination,
                weight_kg: s.weight_kg.normalize(),
                pieces: s.pieces,
                planned_pickup_at: s.planned_pickup_at,
                pod_required: s.pod_required,
                picked_up_at: s.picked_up_at,
                delivered_at: s.delivered_at,
                created_at: now,
                updated_at: now,
            });
        }
        if !errors.is_empty() {
            return Err(AppError::InvalidItems(errors));
        }
        let by_id: HashMap<OrderId, &Order> = orders.values().map(|o| (o.id, o)).collect();
        let mut seen = HashSet::new();
        let mut order_updates = Vec::new();
        for id in touched {
            if !seen.insert(id) {
                continue;
            }
            let Some(o) = by_id.get(&id) else { continue };
            let (shipped, delivered) = fulfilment.get(&id).cloned().unwrap_or_default();
            // Every order a shipment draws on gets a new version, status change or not, so two
            // concurrent imports shipping the same lines cannot both commit (optimistic lock).
            let mut next = (*o).clone();
            next.status = status_from_fulfilment(o, &shipped, &delivered);
            next.updated_at = now;
            next.version += 1;
            order_updates.push(((*o).clone(), next));
        }
        Ok(PlannedShipments {
            shipments: planned,
            order_updates,
            skipped,
        })
    }

    pub async fn create_shipments(
        &self,
        p: &Principal,
        tenant: &Tenant,
        items: Vec<NewShipment>,
        on_dup: OnDuplicate,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> AppResult<BatchOutcome<Shipment>> {
        require(p, Capability::WriteShipments)?;
        let mut raced = 0;
        loop {
            // Lost a race for a tracking number or an order's lines: planned again, the
            // caller gets the answer a request made a moment later would get.
            let plan = self
                .plan_shipments(tenant, items.clone(), on_dup, p.carrier)
                .await?;
            match self.commit_shipments(p, tenant, plan, progress).await {
                Err(AppError::Duplicate { .. }) if raced < crate::RACE_RETRIES => raced += 1,
                other => return other,
            }
        }
    }

    /// Stores planned shipments and order status changes in one transaction.
    pub async fn commit_shipments(
        &self,
        p: &Principal,
        tenant: &Tenant,
        plan: PlannedShipments,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> AppResult<BatchOutcome<Shipment>> {
        let now = self.now();
        let actor = p.actor.label();
        let mut tx = self.begin().await?;
        // Order rows first, audit chain head last, in every transaction: a fixed lock order, so
        // two writers cannot each hold what the other waits for.
        let updated: Vec<_> = plan
            .order_updates
            .iter()
            .map(|(_, after)| after.clone())
            .collect();
        tx.update_orders(&updated).await?;
        let mut created = Vec::with_capacity(plan.shipments.len());
        let mut rest = plan.shipments.into_iter();
        loop {
            let mut chunk: Vec<Shipment> = rest.by_ref().take(COMMIT_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            let first = tx
                .next_numbers(tenant.id, "shipment", chunk.len() as u64)
                .await?;
            for (i, s) in chunk.iter_mut().enumerate() {
                s.number = format!("SHP-{:06}", first + i as i64);
            }
            tx.insert_shipments(&chunk).await?;
            // Events that arrived before their shipment wait as orphans; they join it now.
            let keys: Vec<_> = chunk
                .iter()
                .map(|s| (s.carrier_id, s.tracking_number.clone(), s.id))
                .collect();
            self.attach_orphans(&mut *tx, tenant.id, &actor, &keys)
                .await?;
            let audit = chunk
                .iter()
                .map(|s| {
                    AuditEntry::new(
                        Some(tenant.id),
                        now,
                        actor.clone(),
                        "shipment",
                        s.id,
                        "created",
                    )
                    .after(s)
                })
                .collect();
            tx.append_audit(audit).await?;
            progress(chunk.len() as u64);
            created.extend(chunk);
        }
        let mut audit = Vec::new();
        for (before, after) in plan
            .order_updates
            .iter()
            .filter(|(b, a)| b.status != a.status)
        {
            audit.push(
                AuditEntry::new(
                    Some(tenant.id),
                    now,
                    actor.clone(),
                    "order",
                    after.id,
                    "status_changed",
                )
                .before(&before.status)
                .after(&after.status),
            );
        }
        tx.append_audit(audit).await?;
        self.commit(tx).await?;
        Ok(BatchOutcome {
            created,
            skipped: plan.skipped,
        })
    }

    /// A shipment the caller may see: carrier users only their carrier's.
    pub async fn get_shipment(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: ShipmentId,
    ) -> AppResult<Shipment> {
        require(p, Capability::ReadShipments)?;
        match self.store.shipment(tenant.id, id).await? {
            Some(s) if p.carrier.is_none_or(|c| c == s.carrier_id) => Ok(s),
            _ => Err(AppError::NotFound(format!("shipment {id}"))),
        }
    }

    pub async fn list_shipments(
        &self,
        p: &Principal,
        tenant: &Tenant,
        filter: &ShipmentFilter,
    ) -> AppResult<Vec<Shipment>> {
        require(p, Capability::ReadShipments)?;
        let mut f = filter.clone();
        if let Some(own) = p.carrier {
            if f.carrier.is_some_and(|c| c != own) {
                return Ok(vec![]);
            }
            f.carrier = Some(own);
        }
        Ok(self.reads().shipments(tenant.id, &f).await?)
    }

    /// How many shipments [`App::list_shipments`] pages through for this filter, up to
    /// [`crate::COUNT_CAP`] (a list says "10,000+" beyond).
    pub async fn count_shipments_matching(
        &self,
        p: &Principal,
        tenant: &Tenant,
        filter: &ShipmentFilter,
    ) -> AppResult<u64> {
        require(p, Capability::ReadShipments)?;
        let mut f = filter.clone();
        if let Some(own) = p.carrier {
            if f.carrier.is_some_and(|c| c != own) {
                return Ok(0);
            }
            f.carrier = Some(own);
        }
        Ok(self
            .reads()
            .count_shipments_matching(tenant.id, &f, crate::COUNT_CAP)
            .await?)
    }
}
