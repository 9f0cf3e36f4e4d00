//! Carriers, warehouses and customers: reads ([`PartyStore`]) and writes ([`PartyTx`]).

use crate::Result;
use async_trait::async_trait;
use consign_core::ids::*;
use consign_core::order::CustomerInfo;
use consign_core::party::{Carrier, Customer, Warehouse};

#[async_trait]
pub trait PartyStore {
    async fn carriers(&self, tenant: TenantId) -> Result<Vec<Carrier>>;
    async fn warehouses(&self, tenant: TenantId) -> Result<Vec<Warehouse>>;
    async fn customers(
        &self,
        tenant: TenantId,
        after: Option<CustomerId>,
        limit: u32,
    ) -> Result<Vec<Customer>>;
}

/// The writes of carriers, warehouses and customers (part of every [`Tx`](crate::Tx)).
#[async_trait]
pub trait PartyTx: Send {
    async fn insert_carrier(&mut self, carrier: &Carrier) -> Result<()>;
    async fn insert_warehouse(&mut self, warehouse: &Warehouse) -> Result<()>;
    /// Finds or creates the tenant's customers by key; returns their ids in input order.
    /// `new_id` mints ids for customers not seen before.
    async fn upsert_customers(
        &mut self,
        tenant: TenantId,
        customers: &[CustomerInfo],
        new_id: &mut (dyn FnMut() -> CustomerId + Send),
    ) -> Result<Vec<CustomerId>>;
}
