//! Persistence for Consign: one set of store traits (one per aggregate) with an embedded
//! SQLite implementation and a PostgreSQL implementation, both exercised by one contract suite.
//!
//! Reads go through the aggregate traits on a [`Store`]; every write goes through a [`Tx`], so
//! a use case can change several aggregates and append its audit records in one transaction.
//! Every tenant-owned query takes a [`TenantId`] and filters on it: there is no method that
//! reads tenant data without naming the tenant.

mod access;
mod audit;
mod cases;
mod edi;
mod idempotency;
mod kpis;
mod messages;
mod migrate;
mod orders;
mod parties;
pub mod postgres;
mod rulebooks;
mod search;
mod shipments;
mod sql;
pub mod sqlite;
mod tenants;
#[cfg(feature = "testing")]
pub mod testing;
mod tracking;

use async_trait::async_trait;
use consign_core::ids::*;
use std::sync::Arc;

pub use access::{AccessStore, AccessTx};
pub use audit::{AuditStore, AuditTx};
pub use cases::{BacklogRow, CaseFilter, CaseStore, CaseTx, StoredCaseSettings};
pub use edi::{EdiStore, EdiTx};
pub use idempotency::{IdempotencyStore, IdempotencyTx, KeyAnswer, KeyState};
pub use kpis::{
    Days, KpiCaseStore, KpiCaseTx, KpiStore, KpiTx, OrderSource, ResolutionSums, Stale,
    StoredKpiDefinitions,
};
pub use messages::{DeliveryRecord, MessageStore, MessageTx, OutboxFilter};
pub use migrate::MIGRATION_COUNT;
pub use orders::{OrderFilter, OrderStore, OrderTx};
pub use parties::{PartyStore, PartyTx};
pub use rulebooks::{RulebookStore, RulebookTx, StoredRulebook};
pub use search::{Found, FoundKind, PART_MIN, SearchStore};
pub use shipments::{ShipmentFilter, ShipmentStore, ShipmentTx};
pub use tenants::{TenantStore, TenantTx};
pub use tracking::{TrackingQuality, TrackingStore, TrackingTx, UnmappedCode};

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
