//! Persistence for Consign: one set of store traits (one per aggregate) with an embedded
//! SQLite implementation and a PostgreSQL implementation, both exercised by one contract suite.
//!
//! Reads go through the aggregate traits on a [`Store`]; every write goes through a [`Tx`], so
//! a use case can change several aggregates and append its audit records in one transaction.
//! Every tenant-owned query takes a [`TenantId`] and filters on it: there is no method that
//! reads tenant data without naming the tenant.

mod cases;
mod kpis;
mod messages;
mod migrate;
pub mod postgres;
mod search;
mod sql;
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

use async_trait::async_trait;
use consign_core::access::{ApiToken, User};
use consign_core::audit::{AuditEntry, AuditRecord};
use consign_core::edi::{
    Direction as EdiDirection, InterchangeRecord, OutboundGroup, SetRecord, TradingPartner,
};
use consign_core::ids::*;
use consign_core::order::{CustomerInfo, Order, OrderChange, OrderStatus};
use consign_core::party::{Carrier, Customer, Warehouse};
use consign_core::shipment::{Document, Shipment, ShipmentStatus};
use consign_core::tenant::Tenant;
use consign_core::tracking::{TrackedShipment, TrackingEvent};
use jiff::Timestamp;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub use cases::{BacklogRow, CaseFilter, CaseStore, CaseTx, StoredCaseSettings};
pub use kpis::{
    Days, KpiCaseStore, KpiCaseTx, KpiStore, KpiTx, OrderSource, ResolutionSums, Stale,
    StoredKpiDefinitions,
};
pub use messages::{DeliveryRecord, MessageStore, MessageTx, OutboxFilter};
pub use migrate::MIGRATION_COUNT;
pub use search::{Found, FoundKind, PART_MIN, SearchStore};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was violated (slug, e-mail, external reference, tracking number…).
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// An optimistic-lock check failed: someone changed the record since it was read.
    #[error("{0} was changed concurrently; reload and retry")]
    Concurrent(String),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Db(sqlx::Error),
    #[error("migration {version} ({name}): {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: sqlx::Error,
    },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(d) = &e
            && d.is_unique_violation()
        {
            return StoreError::Duplicate(d.message().to_string());
        }
        StoreError::Db(e)
    }
}

/// The columns whose uniqueness a request can collide with, as the field names the API uses.
const UNIQUE_FIELDS: &[&str] = &[
    "external_ref",
    "tracking_number",
    "scac",
    "slug",
    "email",
    "isa_id",
    "code",
    "number",
];

impl StoreError {
    /// For a [`StoreError::Duplicate`], the field whose value collided, read from the
    /// constraint's name (PostgreSQL: `orders_tenant_id_external_ref_key`) or the columns
    /// SQLite lists (`UNIQUE constraint failed: orders.tenant_id, orders.external_ref`); the
    /// database's own text is never shown to a caller.
    pub fn duplicate_field(&self) -> Option<&'static str> {
        let StoreError::Duplicate(detail) = self else {
            return None;
        };
        let d = detail.as_str();
        UNIQUE_FIELDS.iter().copied().find(|f| {
            d.contains(&format!(".{f}"))
                || d.contains(&format!("_{f}_key"))
                || d.contains(&format!("_{f}\""))
        })
    }

    /// A PostgreSQL deadlock or serialisation failure: the transaction was rolled back and
    /// running it again is safe.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(d))
            if matches!(d.code().as_deref(), Some("40P01") | Some("40001")))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

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

/// What an `Idempotency-Key` lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// First use, or a takeover of a reservation whose lease ran out: the key is now reserved
    /// for this request under `attempt`, which its answer must name (see
    /// [`IdempotencyTx::complete_key`]).
    Reserved { attempt: i64 },
    /// Same key, same request, already answered: replay this.
    Completed {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    /// Same key, same request, still being processed by another call whose lease runs until
    /// `lease_until`.
    InFlight { lease_until: Timestamp },
    /// Same key, different request.
    Mismatch,
}

/// An answer to store under a reserved key.
#[derive(Debug, Clone, Copy)]
pub struct KeyAnswer<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub attempt: i64,
    pub status: u16,
    pub content_type: &'a str,
    pub body: &'a [u8],
}

#[async_trait]
pub trait TenantStore {
    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>>;
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>>;
    async fn tenants(&self) -> Result<Vec<Tenant>>;
}

#[async_trait]
pub trait AccessStore {
    /// The user and their Argon2id password hash.
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>>;
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    async fn users(&self) -> Result<Vec<User>>;
    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<ApiToken>>;
    async fn tokens(&self) -> Result<Vec<ApiToken>>;
    /// The session's user and CSRF token, if the session exists and has not expired.
    async fn session(&self, hash: &[u8], now: Timestamp) -> Result<Option<(User, String)>>;
}

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

#[async_trait]
pub trait AuditStore {
    /// Every chain: the tenant ids plus the nil UUID for provider-level records.
    async fn audit_chains(&self) -> Result<Vec<uuid::Uuid>>;
    /// Records of one chain with `seq > after_seq`, in order.
    async fn audit_page(
        &self,
        chain: uuid::Uuid,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>>;
    /// The chain's head as last written: (last seq, last hash). Verification compares it with
    /// the last record so that deleting the newest records is detected too.
    async fn audit_head(&self, chain: uuid::Uuid) -> Result<Option<(i64, [u8; 32])>>;
    async fn audit_for_entity(
        &self,
        chain: uuid::Uuid,
        entity: &str,
        entity_id: &str,
    ) -> Result<Vec<AuditRecord>>;
}

#[async_trait]
pub trait EdiStore {
    async fn partners(&self, tenant: TenantId) -> Result<Vec<TradingPartner>>;
    /// The partner whose ISA sender qualifier and id these are.
    async fn partner_by_isa(
        &self,
        tenant: TenantId,
        qualifier: &str,
        id: &str,
    ) -> Result<Option<TradingPartner>>;
    /// The interchange already stored under this control number, if any (re-delivery check).
    async fn interchange_by_control(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        direction: EdiDirection,
        control: &str,
    ) -> Result<Option<InterchangeRecord>>;
    async fn interchanges(
        &self,
        tenant: TenantId,
        partner: Option<PartnerId>,
        limit: u32,
    ) -> Result<Vec<InterchangeRecord>>;
    async fn interchange_raw(&self, tenant: TenantId, id: InterchangeId)
    -> Result<Option<Vec<u8>>>;
    async fn edi_sets(
        &self,
        tenant: TenantId,
        interchange: InterchangeId,
    ) -> Result<Vec<SetRecord>>;
    async fn outbound_groups(
        &self,
        tenant: TenantId,
        partner: PartnerId,
    ) -> Result<Vec<OutboundGroup>>;
    async fn outbound_group(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        group_control: &str,
    ) -> Result<Option<OutboundGroup>>;
    /// Groups of any partner still without a 997 that were sent at or before `sent_before`,
    /// oldest first (a partial index holds only the unanswered ones).
    async fn unanswered_groups(
        &self,
        tenant: TenantId,
        sent_before: Timestamp,
    ) -> Result<Vec<OutboundGroup>>;
}

#[async_trait]
pub trait IdempotencyStore {
    /// Reserves `key` for a request until `lease_until`, or reports what holds it. A
    /// reservation whose lease ran out (its process died, or stalled past its lease) is taken
    /// over under a new attempt number.
    async fn reserve_key(
        &self,
        scope: &str,
        key: &str,
        request_hash: &[u8],
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<KeyState>;
    /// Extends a running request's lease; false when the reservation is no longer this
    /// attempt's (answered, released, or taken over).
    async fn renew_key(
        &self,
        scope: &str,
        key: &str,
        attempt: i64,
        lease_until: Timestamp,
    ) -> Result<bool>;
    /// Stores the answer of a request that changed nothing (its own short transaction);
    /// false when the reservation is no longer this attempt's.
    async fn complete_key(&self, answer: KeyAnswer<'_>) -> Result<bool>;
    /// Forgets a reservation whose request failed before producing a replayable answer.
    async fn release_key(&self, scope: &str, key: &str, attempt: i64) -> Result<()>;
    async fn purge_keys(&self, older_than: Timestamp) -> Result<u64>;
}

/// One version of a tenant's rulebook, as stored (the TOML text is kept verbatim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRulebook {
    pub version: i64,
    pub name: String,
    pub source: String,
    pub created_at: Timestamp,
    pub created_by: String,
}

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

#[async_trait]
pub trait RulebookStore {
    /// The tenant's rulebook in force (its newest version), if it stored one.
    async fn rulebook(&self, tenant: TenantId) -> Result<Option<StoredRulebook>>;
    async fn rulebooks(&self, tenant: TenantId) -> Result<Vec<StoredRulebook>>;
}

/// The tracking pipeline's writes of events and shipment state (part of every [`Tx`]).
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

/// The writes of rulebooks (part of every [`Tx`]).
#[async_trait]
pub trait RulebookTx: Send {
    async fn insert_rulebook(&mut self, tenant: TenantId, book: &StoredRulebook) -> Result<()>;
}

/// Everything a running Consign needs from storage.
#[async_trait]
pub trait Store:
    TenantStore
    + AccessStore
    + PartyStore
    + OrderStore
    + ShipmentStore
    + AuditStore
    + IdempotencyStore
    + EdiStore
    + TrackingStore
    + CaseStore
    + RulebookStore
    + MessageStore
    + KpiStore
    + KpiCaseStore
    + SearchStore
    + Send
    + Sync
{
    fn engine(&self) -> Engine;
    async fn ping(&self) -> Result<()>;
    /// Starts a write transaction (on SQLite `BEGIN IMMEDIATE`, so writers queue instead of
    /// failing on lock upgrade).
    async fn begin(&self) -> Result<Box<dyn Tx>>;
    /// Refreshes the planner's statistics after a bulk load (PostgreSQL `ANALYZE`; nothing on
    /// SQLite): autovacuum gets there eventually, but until then a freshly loaded table is
    /// planned as if it were empty.
    async fn analyze(&self) -> Result<()>;
    /// Writes everything committed back to the database files (SQLite: a `TRUNCATE` WAL
    /// checkpoint; PostgreSQL: `CHECKPOINT`), for tools that measure the next phase alone.
    async fn checkpoint(&self) -> Result<()>;
    /// Test hook: runs raw SQL (the `audit verify` tests tamper with a row with it).
    #[cfg(feature = "testing")]
    async fn execute_raw(&self, sql: &str) -> Result<u64>;
    /// Test hook: the integers of the first row of a raw query (the KPI tests' independent
    /// computations), each column read as a 64-bit integer.
    #[cfg(feature = "testing")]
    async fn query_integers_raw(&self, sql: &str) -> Result<Vec<i64>>;
}

/// The writes of tenants (part of every [`Tx`]).
#[async_trait]
pub trait TenantTx: Send {
    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<()>;
}

/// The writes of users, API tokens and sessions (part of every [`Tx`]).
#[async_trait]
pub trait AccessTx: Send {
    async fn insert_user(&mut self, user: &User, password_hash: &str) -> Result<()>;
    async fn insert_token(&mut self, token: &ApiToken, hash: &[u8]) -> Result<()>;
    async fn revoke_token(&mut self, id: TokenId, at: Timestamp) -> Result<bool>;
    async fn insert_session(
        &mut self,
        hash: &[u8],
        user: UserId,
        csrf: &str,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<()>;
    async fn delete_session(&mut self, hash: &[u8]) -> Result<()>;
}

/// The writes of carriers, warehouses and customers (part of every [`Tx`]).
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

/// The writes of orders, their numbers and changes (part of every [`Tx`]).
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

/// The writes of shipments and their documents (part of every [`Tx`]).
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

/// The writes of EDI partners, interchanges, sets and groups (part of every [`Tx`]).
#[async_trait]
pub trait EdiTx: Send {
    async fn insert_partner(&mut self, partner: &TradingPartner) -> Result<()>;
    async fn insert_interchange(&mut self, record: &InterchangeRecord, raw: &[u8]) -> Result<()>;
    async fn insert_edi_sets(&mut self, tenant: TenantId, sets: &[SetRecord]) -> Result<()>;
    async fn insert_outbound_group(
        &mut self,
        tenant: TenantId,
        group: &OutboundGroup,
    ) -> Result<()>;
    /// Records the 997 answering one of our groups; returns when the group was sent, or
    /// `None` when no such group was sent.
    async fn acknowledge_group(
        &mut self,
        tenant: TenantId,
        partner: PartnerId,
        group_control: &str,
        status: &str,
        at: Timestamp,
        detail: &str,
    ) -> Result<Option<Timestamp>>;
}

/// The appends to the audit chains (part of every [`Tx`]).
#[async_trait]
pub trait AuditTx: Send {
    /// Appends entries to their chains (per tenant; provider-level when `tenant_id` is None).
    async fn append_audit(&mut self, entries: Vec<AuditEntry>) -> Result<()>;
}

/// Answers stored under `Idempotency-Key` reservations (part of every [`Tx`]).
#[async_trait]
pub trait IdempotencyTx: Send {
    /// Stores a request's answer under its reserved key in this transaction, so that its
    /// changes and its answer commit together or not at all. False when the reservation is
    /// no longer this attempt's: the caller must then roll back.
    async fn complete_key(&mut self, answer: KeyAnswer<'_>) -> Result<bool>;
}

/// One write transaction: the write traits of every aggregate, combined as [`Store`] combines
/// the read traits. Dropped without `commit`, it rolls back.
#[async_trait]
pub trait Tx:
    TenantTx
    + AccessTx
    + PartyTx
    + OrderTx
    + ShipmentTx
    + EdiTx
    + AuditTx
    + IdempotencyTx
    + TrackingTx
    + CaseTx
    + RulebookTx
    + MessageTx
    + KpiTx
    + KpiCaseTx
    + Send
{
    /// Commits and returns once the commit is durable (on disk, or flushed to PostgreSQL's WAL).
    async fn commit(self: Box<Self>) -> Result<()> {
        self.commit_staged().await?.wait().await
    }

    /// Commits, freeing the writer for the next transaction at once, and returns what to
    /// await before acknowledging the commit: on SQLite the commit is visible when this
    /// returns but on disk only once [`Durable::wait`] does (see `sqlite/durability.rs`). The group
    /// committer uses it to run the next group while this one's sync is under way.
    async fn commit_staged(self: Box<Self>) -> Result<Durable>;
}

/// What a staged commit still owes: its sync to disk, if any.
pub struct Durable(Option<std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send>>>);

impl Durable {
    /// Durable already (PostgreSQL flushes its WAL before a commit returns).
    pub fn done() -> Durable {
        Durable(None)
    }

    pub(crate) fn after(
        sync: impl std::future::Future<Output = Result<()>> + Send + 'static,
    ) -> Durable {
        Durable(Some(Box::pin(sync)))
    }

    /// Returns once the commit is durable, or the error that kept it from being so.
    pub async fn wait(self) -> Result<()> {
        match self.0 {
            Some(f) => f.await,
            None => Ok(()),
        }
    }
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store a URL names: `sqlite://path` (created and migrated if missing) or
/// `postgres://…` (migrated).
pub async fn open(url: &str) -> Result<DynStore> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else {
        Ok(Arc::new(sqlite::SqliteStore::connect(url).await?))
    }
}

/// Opens a PostgreSQL read replica for reports and lists (`read_database_url`): not
/// migrated, its schema checked against this build. Only PostgreSQL has replicas.
pub async fn open_replica(url: &str) -> Result<DynStore> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect_replica(url).await?))
    } else {
        Err(StoreError::Corrupt(format!(
            "a read replica is a PostgreSQL database (postgres://…), not '{}'",
            url.split("://").next().unwrap_or(url)
        )))
    }
}

/// The chain an entry belongs to.
pub fn chain_of(tenant: Option<TenantId>) -> uuid::Uuid {
    tenant.map(|t| t.0).unwrap_or(uuid::Uuid::nil())
}

/// Where a cursor for the next page comes from: the last row's id when the page was full.
pub fn next_cursor<T, I: ToString>(rows: &[T], limit: u32, id: impl Fn(&T) -> I) -> Option<String> {
    if rows.len() as u32 >= limit && limit > 0 {
        rows.last().map(|r| id(r).to_string())
    } else {
        None
    }
}
