//! Orders, their numbers and change requests: reads ([`OrderStore`], paged by
//! [`OrderFilter`]) and writes ([`OrderTx`]).

use crate::Result;
use async_trait::async_trait;
use consign_core::ids::*;
use consign_core::order::{Order, OrderChange, OrderStatus};
use jiff::Timestamp;
use std::collections::{HashMap, HashSet};

/// Keyset page: rows strictly after `after` in the list's order (newest first), at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub ordered_from: Option<Timestamp>,
    pub ordered_to: Option<Timestamp>,
    /// Exact external reference or order number, or a prefix of the external reference.
    pub q: Option<String>,
    /// Only the orders behind a scorecard figure.
    pub kpi: Option<consign_core::kpi::records::RecordFilter>,
    pub after: Option<OrderId>,
    pub limit: u32,
}

#[async_trait]
pub trait OrderStore {
    async fn order(&self, tenant: TenantId, id: OrderId) -> Result<Option<Order>>;
    /// By external reference or by order number.
    async fn order_by_ref(&self, tenant: TenantId, reference: &str) -> Result<Option<Order>>;
    async fn orders(&self, tenant: TenantId, filter: &OrderFilter) -> Result<Vec<Order>>;
    async fn order_changes(&self, tenant: TenantId, order: OrderId) -> Result<Vec<OrderChange>>;
    /// Orders by external reference, for bulk lookups (imports); missing refs are absent.
    async fn orders_by_refs(&self, tenant: TenantId, refs: &[String]) -> Result<Vec<Order>>;
    /// Quantities shipped and delivered per order line (index = line_no - 1).
    async fn fulfilment(&self, tenant: TenantId, order: OrderId) -> Result<(Vec<u32>, Vec<u32>)> {
        Ok(self
            .fulfilment_many(tenant, &[order])
            .await?
            .remove(&order)
            .unwrap_or_default())
    }
    async fn fulfilment_many(
        &self,
        tenant: TenantId,
        orders: &[OrderId],
    ) -> Result<HashMap<OrderId, (Vec<u32>, Vec<u32>)>>;
    async fn count_orders(&self, tenant: TenantId) -> Result<i64>;
    /// How many orders the filter lists over all its pages (`after` and `limit` ignored),
    /// counting no further than `cap`.
    async fn count_orders_matching(
        &self,
        tenant: TenantId,
        filter: &OrderFilter,
        cap: u32,
    ) -> Result<u64>;
    /// Which of these external references the tenant already has. Imports check the whole file
    /// before their transaction: inside a long PostgreSQL transaction the planner's statistics
    /// predate the rows being added, and the lookup degrades to scans.
    async fn existing_order_refs(
        &self,
        tenant: TenantId,
        refs: &[String],
    ) -> Result<HashSet<String>>;
}

/// The writes of orders, their numbers and changes (part of every [`Tx`](crate::Tx)).
#[async_trait]
pub trait OrderTx: Send {
    /// Reserves `n` consecutive values of a per-tenant counter; returns the first.
    async fn next_numbers(&mut self, tenant: TenantId, counter: &str, n: u64) -> Result<i64>;
    async fn insert_orders(&mut self, orders: &[Order]) -> Result<()>;
    /// Writes orders' mutable fields (ship-to, promise, status) where each stored version is
    /// `order.version - 1`; any other version is a `Concurrent` error (optimistic lock).
    async fn update_orders(&mut self, orders: &[Order]) -> Result<()>;
    async fn update_order(&mut self, order: &Order) -> Result<()> {
        self.update_orders(std::slice::from_ref(order)).await
    }
    async fn insert_order_change(&mut self, tenant: TenantId, change: &OrderChange) -> Result<()>;
}
