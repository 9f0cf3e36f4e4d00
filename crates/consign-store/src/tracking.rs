//! Tracking events and the tracked shipments' state: reads ([`TrackingStore`], with the feed's
//! data quality) and the ingest pipeline's writes ([`TrackingTx`]).

use crate::Result;
use async_trait::async_trait;
use consign_core::ids::*;
use consign_core::order::Order;
use consign_core::tracking::{TrackedShipment, TrackingEvent};
use jiff::Timestamp;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnmappedCode {
    pub source: String,
    pub raw_code: String,
    pub raw_reason: String,
    pub count: i64,
}

/// Data-quality figures of a tenant's tracking feed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrackingQuality {
    pub events: i64,
    /// Events waiting for their shipment.
    pub orphans: i64,
    /// Codes without a crosswalk row, per source, most frequent first.
    pub unmapped: Vec<UnmappedCode>,
}

#[async_trait]
pub trait TrackingStore {
    /// Shipment ids by (carrier, tracking number); pairs without a shipment are absent.
    async fn shipment_ids_by_tracking(
        &self,
        tenant: TenantId,
        keys: &[(CarrierId, String)],
    ) -> Result<HashMap<(CarrierId, String), ShipmentId>>;
    async fn tracked_shipments(
        &self,
        tenant: TenantId,
        ids: &[ShipmentId],
    ) -> Result<Vec<TrackedShipment>>;
    /// Events of these shipments, oldest occurrence first.
    async fn tracking_events(
        &self,
        tenant: TenantId,
        shipments: &[ShipmentId],
    ) -> Result<Vec<TrackingEvent>>;
    async fn orphan_events(&self, tenant: TenantId, limit: u32) -> Result<Vec<TrackingEvent>>;
    async fn tracking_quality(&self, tenant: TenantId) -> Result<TrackingQuality>;
    /// Per carrier with shipments under way (picked up, not finished): its latest scan among
    /// them (the pickup when there is none since).
    async fn carrier_activity(&self, tenant: TenantId) -> Result<Vec<(CarrierId, Timestamp)>>;
    /// Provider-level (the sweep worker serves every tenant): shipments whose due instant is at
    /// or before `now`, most overdue first. The due instant is never later than
    /// `next_check_at` but may be earlier (ingest only moves it earlier, see
    /// `update_tracked`): the caller judges those whose `next_check_at` has come and files the
    /// others again with `update_next_checks`.
    async fn due_shipments(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(TenantId, ShipmentId)>>;
    /// Shipment ids in id order after `after` (replays page through a tenant with this).
    async fn shipment_ids_page(
        &self,
        tenant: TenantId,
        after: Option<ShipmentId>,
        limit: u32,
    ) -> Result<Vec<ShipmentId>>;
}

/// The tracking pipeline's writes of events and shipment state (part of every [`Tx`](crate::Tx)).
#[async_trait]
pub trait TrackingTx: Send {
    /// Loads these shipments with their facts and state, locking them until commit on
    /// PostgreSQL (SQLite's single writer already serialises).
    async fn lock_tracked(
        &mut self,
        tenant: TenantId,
        ids: &[ShipmentId],
    ) -> Result<Vec<TrackedShipment>>;
    /// Inserts events not seen before; returns the dedup keys that were new.
    async fn insert_tracking_events(
        &mut self,
        events: &[&TrackingEvent],
    ) -> Result<HashSet<[u8; 16]>>;
    /// [`lock_tracked`](Self::lock_tracked), then
    /// [`insert_tracking_events`](Self::insert_tracking_events), in that order: the ingest
    /// pipeline's first two steps, which an engine may overlap with its own work.
    async fn lock_tracked_and_insert_events(
        &mut self,
        tenant: TenantId,
        ids: &[ShipmentId],
        events: &[&TrackingEvent],
    ) -> Result<(Vec<TrackedShipment>, HashSet<[u8; 16]>)> {
        let tracked = self.lock_tracked(tenant, ids).await?;
        Ok((tracked, self.insert_tracking_events(events).await?))
    }
    /// Locks these orders (after the batch's shipments) and returns each with its lines and
    /// the shipped and delivered quantity per line as this transaction sees them, for the
    /// order status that deliveries imply.
    async fn lock_order_fulfilment(
        &mut self,
        tenant: TenantId,
        orders: &[OrderId],
    ) -> Result<Vec<(Order, Vec<u32>, Vec<u32>)>>;
    /// Writes the derived state and `next_check_at`. The sweep's due instant is only moved
    /// earlier here, never later: a new scan pushes the stall deadline later on every event,
    /// and leaving the indexed instant alone lets PostgreSQL update the row in place.
    async fn update_tracked(&mut self, rows: &[TrackedShipment], now: Timestamp) -> Result<()>;
    /// Writes only `next_check_at`, setting the due instant to exactly it, and whether the
    /// shipment has open cases (a sweep changes nothing else of a shipment).
    async fn update_next_checks(&mut self, rows: &[TrackedShipment]) -> Result<()>;
    /// Looks up, inside the transaction and under the tenant's orphan lock, shipments for
    /// events that found none before it began.
    async fn orphan_lookup(
        &mut self,
        tenant: TenantId,
        keys: &[(CarrierId, String)],
    ) -> Result<HashMap<(CarrierId, String), ShipmentId>>;
    /// Gives orphan events their shipment (under the tenant's orphan lock); returns the
    /// shipments that received some.
    async fn attach_orphans(
        &mut self,
        tenant: TenantId,
        shipments: &[(CarrierId, String, ShipmentId)],
    ) -> Result<Vec<ShipmentId>>;
    async fn events_of(
        &mut self,
        tenant: TenantId,
        shipments: &[ShipmentId],
    ) -> Result<Vec<TrackingEvent>>;
}
