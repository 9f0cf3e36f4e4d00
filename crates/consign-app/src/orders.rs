//! Order use cases: create (one or a batch), read, list, change requests and release.

use crate::{App, AppError, AppResult, entropy, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::audit::AuditEntry;
use consign_core::ids::*;
use consign_core::order::{
    AcceptedOrder, ChangeRefused, ChangeRequest, NewOrder, Order, OrderChange, OrderStatus,
    apply_change,
};
use consign_core::tenant::Tenant;
use consign_store::OrderFilter;
use std::collections::HashMap;

/// What to do with an item whose natural key (external reference, tracking number) is
/// already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Refuse the whole request (API creates: a duplicate is a client error).
    Reject,
    /// Skip it and count it (imports: re-importing a file is a no-op).
    Skip,
}

#[derive(Debug, Clone, Default)]
pub struct BatchOutcome<T> {
    pub created: Vec<T>,
    /// Natural keys skipped because they were already stored.
    pub skipped: Vec<String>,
}

/// Rows per store round trip when committing a batch.
pub(crate) const COMMIT_CHUNK: usize = 2_000;

impl App {
    /// Validates every order first; commits only when all are valid.
    pub fn validate_orders(
        &self,
        orders: Vec<NewOrder>,
    ) -> Result<Vec<AcceptedOrder>, Vec<(usize, Invalid)>> {
        let now = self.now();
        let mut accepted = Vec::with_capacity(orders.len());
        let mut errors = Vec::new();
        let mut first_seen: HashMap<String, usize> = HashMap::new();
        for (i, o) in orders.into_iter().enumerate() {
            let r = o.external_ref.trim().to_string();
            if let Some(&j) = first_seen.get(&r) {
                errors.push((
                    i,
                    Invalid::one(
                        "external_ref",
                        format!("'{r}' appears twice in this batch (also item {j})"),
                    ),
                ));
                continue;
            }
            first_seen.insert(r, i);
            match o.accept(now) {
                Ok(a) => accepted.push(a),
                Err(e) => errors.push((i, e)),
            }
        }
        if errors.is_empty() {
            Ok(accepted)
        } else {
            Err(errors)
        }
    }

    /// Creates orders in one transaction. `progress` is told how many were processed after
    /// each chunk (for the CLI's progress bar).
    pub async fn create_orders(
        &self,
        p: &Principal,
        tenant: &Tenant,
        orders: Vec<NewOrder>,
        on_dup: OnDuplicate,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> AppResult<BatchOutcome<Order>> {
        require(p, Capability::WriteOrders)?;
        let accepted = self
            .validate_orders(orders)
            .map_err(AppError::InvalidItems)?;
        let mut raced = 0;
        loop {
            // A concurrent request stored one of these references between our check and
            // our insert: checked again, the caller gets the same field-level answer as a
            // request made a moment later (or, importing, the reference skipped).
            match self
                .commit_orders(p, tenant, accepted.clone(), on_dup, progress)
                .await
            {
                Err(AppError::Duplicate { .. }) if raced < crate::RACE_RETRIES => raced += 1,
                other => return other,
            }
        }
    }

    pub async fn commit_orders(
        &self,
        p: &Principal,
        tenant: &Tenant,
        accepted: Vec<AcceptedOrder>,
        on_dup: OnDuplicate,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> AppResult<BatchOutcome<Order>> {
        let now = self.now();
        let actor = p.actor.label();
        let mut out = BatchOutcome {
            created: Vec::with_capacity(accepted.len()),
            skipped: vec![],
        };
        // Known references are looked up before the transaction (see
        // `OrderStore::existing_order_refs`); a concurrent import of the same reference then
        // fails on the unique constraint instead of duplicating.
        let refs: Vec<String> = accepted.iter().map(|o| o.external_ref.clone()).collect();
        let existing = self.store.existing_order_refs(tenant.id, &refs).await?;
        if on_dup == OnDuplicate::Reject
            && let Some(r) = refs.iter().find(|r| existing.contains(*r))
        {
            return Err(AppError::conflict(
                "external_ref",
                format!("order '{r}' already exists in {}", tenant.slug),
            ));
        }
        let mut tx = self.begin().await?;
        let mut rest = accepted.into_iter();
        loop {
            let chunk: Vec<AcceptedOrder> = rest.by_ref().take(COMMIT_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            let n = chunk.len() as u64;
            let fresh: Vec<AcceptedOrder> = chunk
                .into_iter()
                .filter(|o| {
                    let dup = existing.contains(&o.external_ref);
                    if dup {
                        out.skipped.push(o.external_ref.clone());
                    }
                    !dup
                })
                .collect();
            if !fresh.is_empty() {
                let first = tx
                    .next_numbers(tenant.id, "order", fresh.len() as u64)
                    .await?;
                let customers: Vec<_> = fresh.iter().map(|o| o.customer.clone()).collect();
                let customer_ids = tx
                    .upsert_customers(tenant.id, &customers, &mut || {
                        CustomerId::new_at(now, entropy())
                    })
                    .await?;
                let orders: Vec<Order> = fresh
                    .into_iter()
                    .zip(customer_ids)
                    .enumerate()
                    .map(|(i, (a, customer_id))| {
                        // Ids carry the order date, so newest-first lists follow order dates.
                        let id = OrderId::new_at(a.ordered_at, entropy());
                        let number = format!("ORD-{:06}", first + i as i64);
                        a.into_order(id, tenant.id, number, customer_id, now)
                    })
                    .collect();
                tx.insert_orders(&orders).await?;
                let audit = orders
                    .iter()
                    .map(|o| {
                        AuditEntry::new(
                            Some(tenant.id),
                            now,
                            actor.clone(),
                            "order",
                            o.id,
                            "created",
                        )
                        .after(o)
                    })
                    .collect();
                tx.append_audit(audit).await?;
                out.created.extend(orders);
            }
            progress(n);
        }
        self.commit(tx).await?;
        Ok(out)
    }

    /// The order with this external reference or number, if any (reads need `ReadOrders`:
    /// the answer reveals whether the order exists).
    pub async fn order_by_reference(
        &self,
        p: &Principal,
        tenant: &Tenant,
        reference: &str,
    ) -> AppResult<Option<Order>> {
        require(p, Capability::ReadOrders)?;
        Ok(self.store.order_by_ref(tenant.id, reference).await?)
    }

    pub async fn get_order(&self, p: &Principal, tenant: &Tenant, id: OrderId) -> AppResult<Order> {
        require(p, Capability::ReadOrders)?;
        self.store
            .order(tenant.id, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("order {id}")))
    }

    pub async fn list_orders(
        &self,
        p: &Principal,
        tenant: &Tenant,
        filter: &OrderFilter,
    ) -> AppResult<Vec<Order>> {
        require(p, Capability::ReadOrders)?;
        Ok(self.reads().orders(tenant.id, filter).await?)
    }

    /// How many orders [`App::list_orders`] pages through for this filter, up to
    /// [`crate::COUNT_CAP`].
    pub async fn count_orders_matching(
        &self,
        p: &Principal,
        tenant: &Tenant,
        filter: &OrderFilter,
    ) -> AppResult<u64> {
        require(p, Capability::ReadOrders)?;
        Ok(self
            .reads()
            .count_orders_matching(tenant.id, filter, crate::COUNT_CAP)
            .await?)
    }

    pub async fn order_changes(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: OrderId,
    ) -> AppResult<Vec<OrderChange>> {
        self.get_order(p, tenant, id).await?;
        Ok(self.store.order_changes(tenant.id, id).await?)
    }

    /// Applies an address change, cancellation or promise change; refused once anything shipped.
    pub async fn change_order(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: OrderId,
        req: ChangeRequest,
    ) -> AppResult<Order> {
        require(p, Capability::WriteOrders)?;
        let order = self.get_order(p, tenant, id).await?;
        let now = self.now();
        let next = apply_change(&order, &req, now).map_err(|e| match e {
            ChangeRefused::Invalid(i) => AppError::Invalid(i),
            ChangeRefused::Conflict(m) => AppError::conflict("kind", m),
        })?;
        let change = OrderChange {
            id: uuid::Uuid::now_v7(),
            order_id: id,
            kind: req.kind.name().into(),
            reason: req.reason.trim().into(),
            request: serde_json::to_value(&req).unwrap_or_default(),
            actor: p.actor.label(),
            at: now,
        };
        self.store_order_update(
            tenant,
            p.actor.label(),
            &order,
            &next,
            &format!("changed:{}", change.kind),
            Some(change),
        )
        .await?;
        Ok(next)
    }

    /// `received` → `released`: the order may now be picked and shipped.
    pub async fn release_order(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: OrderId,
    ) -> AppResult<Order> {
        let mut released = self.release_orders(p, tenant, &[id]).await?;
        released
            .pop()
            .ok_or_else(|| AppError::NotFound(format!("order {id}")))
    }

    /// A wave of releases (a warehouse releases its orders to the floor in waves): every
    /// order `received` → `released` in one transaction, each audited, or none when one of
    /// them is missing or no longer received.
    pub async fn release_orders(
        &self,
        p: &Principal,
        tenant: &Tenant,
        ids: &[OrderId],
    ) -> AppResult<Vec<Order>> {
        require(p, Capability::WriteOrders)?;
        let now = self.now();
        let mut released = Vec::with_capacity(ids.len());
        let mut audit = Vec::with_capacity(ids.len());
        for id in ids {
            let order = self.get_order(p, tenant, *id).await?;
            if order.status != OrderStatus::Received {
                return Err(AppError::conflict(
                    "status",
                    format!(
                        "order {} is {}, not received",
                        order.number,
                        order.status.as_str()
                    ),
                ));
            }
            let mut next = order.clone();
            next.status = OrderStatus::Released;
            next.updated_at = now;
            next.version += 1;
            audit.push(
                AuditEntry::new(
                    Some(tenant.id),
                    now,
                    p.actor.label(),
                    "order",
                    next.id,
                    "released",
                )
                .before(&order)
                .after(&next),
            );
            released.push(next);
        }
        let mut tx = self.begin().await?;
        tx.update_orders(&released).await?;
        tx.append_audit(audit).await?;
        self.commit(tx).await?;
        Ok(released)
    }

    async fn store_order_update(
        &self,
        tenant: &Tenant,
        actor: String,
        before: &Order,
        after: &Order,
        action: &str,
        change: Option<OrderChange>,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        tx.update_order(after).await?;
        if let Some(c) = &change {
            tx.insert_order_change(tenant.id, c).await?;
        }
        self.commit_audited(
            tx,
            AuditEntry::new(
                Some(tenant.id),
                after.updated_at,
                actor,
                "order",
                after.id,
                action,
            )
            .before(before)
            .after(after),
        )
        .await?;
        Ok(())
    }
}
