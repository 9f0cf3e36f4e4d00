//! Shipments and their documents: reads ([`ShipmentStore`], paged by [`ShipmentFilter`]) and
//! writes ([`ShipmentTx`]).

use crate::Result;
use async_trait::async_trait;
use consign_core::ids::*;
use consign_core::shipment::{Document, Shipment, ShipmentStatus};
use jiff::Timestamp;
use std::collections::HashSet;

#[derive(Debug, Clone, Default)]
pub struct ShipmentFilter {
    pub status: Option<ShipmentStatus>,
    pub carrier: Option<CarrierId>,
    pub order: Option<OrderId>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    /// Exact tracking number or shipment number, or a prefix of the tracking number.
    pub q: Option<String>,
    /// Only the shipments behind a scorecard figure.
    pub kpi: Option<consign_core::kpi::records::RecordFilter>,
    pub after: Option<ShipmentId>,
    pub limit: u32,
}

#[async_trait]
pub trait ShipmentStore {
    async fn shipment(&self, tenant: TenantId, id: ShipmentId) -> Result<Option<Shipment>>;
    async fn shipments(&self, tenant: TenantId, filter: &ShipmentFilter) -> Result<Vec<Shipment>>;
    async fn documents(&self, tenant: TenantId, shipment: ShipmentId) -> Result<Vec<Document>>;
    async fn document(&self, tenant: TenantId, id: DocumentId) -> Result<Option<Document>>;
    async fn count_shipments(&self, tenant: TenantId) -> Result<i64>;
    /// How many shipments the filter lists over all its pages (`after` and `limit` ignored),
    /// counting no further than `cap`.
    async fn count_shipments_matching(
        &self,
        tenant: TenantId,
        filter: &ShipmentFilter,
        cap: u32,
    ) -> Result<u64>;
    /// Which of these (carrier, tracking number) pairs the tenant already has.
    async fn existing_tracking(
        &self,
        tenant: TenantId,
        keys: &[(CarrierId, String)],
    ) -> Result<HashSet<(CarrierId, String)>>;
}

/// The writes of shipments and their documents (part of every [`Tx`](crate::Tx)).
#[async_trait]
pub trait ShipmentTx: Send {
    async fn insert_shipments(&mut self, shipments: &[Shipment]) -> Result<()>;
    async fn insert_document(&mut self, document: &Document) -> Result<()>;
    /// Sets a shipment's promised delivery instant (a manual override; the event that records
    /// it is written beside). False when the tenant has no such shipment.
    async fn set_promise(
        &mut self,
        tenant: TenantId,
        id: ShipmentId,
        promised_by: Timestamp,
        now: Timestamp,
    ) -> Result<bool>;
}
