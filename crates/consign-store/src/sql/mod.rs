//! The SQL both engines share, one file per aggregate (`tenants.rs`, `access.rs`,
//! `parties.rs`, `orders.rs`, `shipments.rs`, `audit.rs`, `edi.rs`, `idempotency.rs`,
//! `tracking.rs` and `ingest.rs`, `cases.rs`, `rulebooks.rs`, `messages.rs`), each with the aggregate's reads
//! (its `…Store` trait on [`SqlStore`]) and writes (its `…Tx` trait on [`SqlTx`]).
//!
//! The schema is column-for-column the same on SQLite and PostgreSQL and `$N` placeholders
//! work on both, so each query is written once, in a function generic over the engine's
//! [`Dialect`](dialect::Dialect) (`dialect.rs`). The few places where the engines differ (row
//! locks, how a transaction starts and becomes durable, the tracking batch's array or `IN`
//! list queries) are the dialect's constants and methods, implemented in `sqlite/dialect.rs`
//! and `postgres.rs` beside each engine's connection setup and migrations.

mod access;
mod audit;
mod case_writes;
mod cases;
pub(crate) mod dialect;
mod edi;
mod idempotency;
mod ingest;
mod kpi_cases;
mod kpi_writes;
mod kpis;
pub(crate) mod messages;
pub(crate) mod orders;
mod parties;
mod rulebooks;
mod search;
mod shipments;
mod teams;
mod tenants;
mod tracking;

use crate::{Durable, Engine, Result, Store, StoreError, Tx};
use consign_core::time::from_micros;
use dialect::Dialect;
use jiff::Timestamp;

/// The one row `q` finds on `pool`, decoded by `row`, or `None`: the shape of every lookup by
/// key.
pub(crate) async fn fetch_row<DB: Dialect, T>(
    q: dialect::DbQuery<'_, DB>,
    pool: &sqlx::Pool<DB>,
    row: impl FnOnce(&DB::Row) -> Result<T>,
) -> Result<Option<T>> {
    q.fetch_optional(DB::pool(pool))
        .await?
        .map(|r| row(&r))
        .transpose()
}

/// Every row `q` finds on `pool`, each decoded by `row`: the shape of every list read.
pub(crate) async fn fetch_rows<DB: Dialect, T>(
    q: dialect::DbQuery<'_, DB>,
    pool: &sqlx::Pool<DB>,
    row: impl FnMut(&DB::Row) -> Result<T>,
) -> Result<Vec<T>> {
    q.fetch_all(DB::pool(pool)).await?.iter().map(row).collect()
}

/// [`fetch_rows`] inside a transaction: the rows it reads see its own writes and locks.
pub(crate) async fn fetch_rows_in<DB: Dialect, T>(
    q: dialect::DbQuery<'_, DB>,
    conn: &mut DB::Connection,
    row: impl FnMut(&DB::Row) -> Result<T>,
) -> Result<Vec<T>> {
    q.fetch_all(DB::conn(conn)).await?.iter().map(row).collect()
}

pub(crate) fn ts(us: i64) -> Timestamp {
    from_micros(us)
}

pub(crate) fn ots(us: Option<i64>) -> Option<Timestamp> {
    us.map(from_micros)
}

pub(crate) fn us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn ous(t: Option<Timestamp>) -> Option<i64> {
    t.map(us)
}

pub(crate) fn json_col<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Only the time zone of a stored place: the rule engine reads it for every judged event, and
/// parsing the whole place (names, address lines) would allocate each of them.
#[derive(serde::Deserialize)]
pub(crate) struct DestinationZone {
    pub time_zone: String,
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain types serialise to JSON")
}

pub(crate) fn parsed<T>(r: std::result::Result<T, String>) -> Result<T> {
    r.map_err(StoreError::Corrupt)
}

/// Escapes LIKE wildcards so a search for `50%_OFF` matches literally.
pub(crate) fn like_prefix(q: &str) -> String {
    let mut s = String::with_capacity(q.len() + 1);
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// Rows per multi-row INSERT: under SQLite's 32766 and PostgreSQL's 65535 bind limits.
pub(crate) fn chunk_rows(columns: usize) -> usize {
    (30_000 / columns).max(1)
}

/// The `shipment_tracking` columns a tracking update writes from the batch (besides the
/// statement's own `updated_at` and the derived `due_at`), in the order the engines bind them.
pub(crate) const TRACKING_UPDATE_COLUMNS: [&str; 13] = [
    "status",
    "status_at",
    "reason",
    "accountable",
    "eta",
    "eta_at",
    "last_event_at",
    "picked_up_at",
    "delivered_at",
    "next_check_at",
    "pod_attached",
    "documents_complete",
    "open_cases",
];

/// The `SET` list of the tracking update, shared by both engines' statements; `v` names the
/// incoming value of a column (`updated_at` is set by each statement itself). `due_at`, the
/// sweep's index, keeps an earlier instant still owed a check: ingest never moves it later.
/// Without `indexed`, the list leaves out the columns that indexes hold (`status`, `due_at`),
/// for rows where they keep their values (`tracking_keys_kept`).
pub(crate) fn tracking_update_set(v: impl Fn(&str) -> String, indexed: bool) -> String {
    let mut set: Vec<String> = TRACKING_UPDATE_COLUMNS
        .iter()
        .filter(|c| indexed || **c != "status")
        .map(|c| format!("{c} = {}", v(c)))
        .collect();
    if indexed {
        set.push(format!("due_at = {}", new_due_at(&v("next_check_at"))));
    }
    set.join(", ")
}

/// The `due_at` a tracking update leaves, given the incoming `next_check_at`.
fn new_due_at(next: &str) -> String {
    format!(
        "CASE WHEN shipment_tracking.due_at IS NOT NULL AND ({next} IS NULL OR \
         shipment_tracking.due_at <= {next}) THEN shipment_tracking.due_at ELSE {next} END"
    )
}

/// True (in SQL) for a tracking row whose indexed columns the update leaves as they are: the
/// same status, and a `due_at` that stays.
pub(crate) fn tracking_keys_kept(v: impl Fn(&str) -> String) -> String {
    format!(
        "shipment_tracking.status = {} AND ({}) IS shipment_tracking.due_at",
        v("status"),
        new_due_at(&v("next_check_at"))
    )
}

/// Rows up to which a multi-row statement is sent whole, whatever its exact size.
const EXACT_ROWS: usize = 128;

/// Splits `items` into chunks of `max`; a remainder of up to [`EXACT_ROWS`] stays whole, a
/// larger one goes in powers of two (300 rows: 256, 32, 8, 4). A multi-row statement's text
/// depends on its row count and the drivers cache prepared statements by text (capacity set
/// in `sqlite/mod.rs` and `postgres.rs`): small batches (group commits of webhooks) take one
/// statement from a bounded set of sizes, and bulk batches a handful of sizes.
pub(crate) fn sized_chunks<T>(items: &[T], max: usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let n = if rest.len() >= max {
            max
        } else if rest.len() <= EXACT_ROWS {
            rest.len()
        } else {
            1 << (usize::BITS - 1 - rest.len().leading_zeros())
        };
        let (a, b) = rest.split_at(n);
        out.push(a);
        rest = b;
    }
    out
}

/// A store on either engine: its read pool and its writer.
pub struct SqlStore<DB: Dialect> {
    pub(crate) read: sqlx::Pool<DB>,
    pub(crate) write: sqlx::Pool<DB>,
    /// Handed to every transaction to make its commit durable (`Dialect::committed`).
    pub(crate) durability: DB::Durability,
    /// A background task of the engine's (SQLite's checkpointer), stopped with the store.
    pub(crate) background: Option<tokio::task::AbortHandle>,
}

/// One write transaction on either engine.
pub struct SqlTx<DB: Dialect> {
    pub(crate) tx: sqlx::Transaction<'static, DB>,
    /// The store's read pool, for reads that need not be inside the transaction and can run
    /// beside it (the facts of shipments being locked, `lock_tracked`).
    pub(crate) read: sqlx::Pool<DB>,
    /// Each commit is counted there and, on SQLite, synced to disk (`sqlite/durability.rs`).
    pub(crate) durability: DB::Durability,
    /// Whether this transaction changed a shipment's facts (a manual promise): the facts
    /// are then read inside it, not beside it on the pool, which cannot see the change.
    pub(crate) changed_facts: bool,
}

impl<DB: Dialect> Drop for SqlStore<DB> {
    fn drop(&mut self) {
        if let Some(task) = &self.background {
            task.abort();
        }
    }
}

impl<DB: Dialect> SqlStore<DB> {
    pub(crate) async fn begin_write(&self) -> Result<SqlTx<DB>> {
        let tx = match DB::BEGIN {
            Some(begin) => self.write.begin_with(begin).await?,
            None => self.write.begin().await?,
        };
        Ok(SqlTx {
            tx,
            read: self.read.clone(),
            durability: self.durability.clone(),
            changed_facts: false,
        })
    }
}

impl<DB: Dialect> SqlTx<DB> {
    pub(crate) async fn stage_commit(self) -> Result<Durable> {
        self.tx.commit().await?;
        Ok(DB::committed(&self.durability))
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> Store for SqlStore<DB> {
    fn engine(&self) -> Engine {
        DB::ENGINE
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(DB::pool(&self.read))
            .await?;
        Ok(())
    }

    async fn begin(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(self.begin_write().await?))
    }

    async fn analyze(&self) -> Result<()> {
        if let Some(analyze) = DB::ANALYZE {
            sqlx::raw_sql(analyze)
                .execute(DB::pool(&self.write))
                .await?;
        }
        Ok(())
    }

    async fn checkpoint(&self) -> Result<()> {
        sqlx::raw_sql(DB::CHECKPOINT)
            .execute(DB::pool(&self.write))
            .await?;
        Ok(())
    }

    #[cfg(feature = "testing")]
    async fn execute_raw(&self, sql: &str) -> Result<u64> {
        use dialect::RowsAffected;
        Ok(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(DB::pool(&self.write))
            .await?
            .rows_affected())
    }

    #[cfg(feature = "testing")]
    async fn query_integers_raw(&self, sql: &str) -> Result<Vec<i64>> {
        use dialect::RowExt;
        use sqlx::{Column as _, Row};
        let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(DB::pool(&self.read))
            .await?;
        let names: Vec<String> = row.columns().iter().map(|c| c.name().to_string()).collect();
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = names.iter().find(|n| !seen.insert(*n)) {
            return Err(StoreError::Corrupt(format!(
                "column '{dup}' is named twice; name each column of the query"
            )));
        }
        names
            .iter()
            .map(|name| Ok(row.col::<Option<i64>>(name)?.unwrap_or(0)))
            .collect()
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> Tx for SqlTx<DB> {
    async fn commit_staged(self: Box<Self>) -> Result<Durable> {
        (*self).stage_commit().await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sized_chunks_use_few_distinct_sizes() {
        let v: Vec<u32> = (0..31).collect();
        let sizes: Vec<usize> = super::sized_chunks(&v, 10)
            .iter()
            .map(|c| c.len())
            .collect();
        assert_eq!(sizes, [10, 10, 10, 1]);
        let sizes: Vec<usize> = super::sized_chunks(&v, 100)
            .iter()
            .map(|c| c.len())
            .collect();
        assert_eq!(sizes, [31]);
        let v: Vec<u32> = (0..300).collect();
        let sizes: Vec<usize> = super::sized_chunks(&v, 1000)
            .iter()
            .map(|c| c.len())
            .collect();
        assert_eq!(sizes, [256, 44]);
        assert!(super::sized_chunks::<u32>(&[], 5).is_empty());
    }
}
