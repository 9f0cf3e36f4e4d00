//! SQLite's side of the [`Dialect`] seam: one writer, its own `BEGIN IMMEDIATE`, commits made
//! durable by the WAL syncer, and its own statements for the tracking batch's reads and
//! writes (no array parameters).

use super::durability::WalSyncer;
use crate::sql::dialect::{Dialect, RowsAffected};
use crate::sql::{
    TRACKING_UPDATE_COLUMNS, chunk_rows, ous, sized_chunks, tracking_keys_kept,
    tracking_update_set, us,
};
use crate::{Durable, Engine};
use consign_core::message::outbox::OutboxMessage;
use consign_core::tracking::TrackedShipment;
use jiff::Timestamp;
use sqlx::{Executor, Pool, QueryBuilder, Sqlite, SqliteConnection};
use std::sync::Arc;
use uuid::Uuid;

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::sqlite::SqliteQueryResult::rows_affected(self)
    }
}

impl Dialect for Sqlite {
    const ENGINE: Engine = Engine::Sqlite;
    const CONCURRENT_WRITERS: bool = false;
    const MULTI_STATEMENT: bool = true;
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
    // writes can fail with SQLITE_BUSY on upgrade, which busy_timeout does not cover.
    const BEGIN: Option<&'static str> = Some("BEGIN IMMEDIATE");
    // SQLite plans these queries well without statistics (and measurably worse for the
    // webhook path with them), so only PostgreSQL is analysed.
    const ANALYZE: Option<&'static str> = None;
    const CHECKPOINT: &'static str = "PRAGMA wal_checkpoint(TRUNCATE)";

    type Durability = Arc<WalSyncer>;

    fn committed(wal: &Arc<WalSyncer>) -> Durable {
        wal.committed()
    }

    fn pool<'c>(pool: &'c Pool<Sqlite>) -> impl Executor<'c, Database = Sqlite> {
        pool
    }

    fn conn<'c>(conn: &'c mut SqliteConnection) -> impl Executor<'c, Database = Sqlite> {
        conn
    }

    fn id_chunk() -> usize {
        chunk_rows(1)
    }

    /// `<col> IN (…)`: SQLite has no array parameters.
    fn id_list(qb: &mut QueryBuilder<Sqlite>, col: &str, ids: &[Uuid]) {
        qb.push(col).push(" IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        qb.push(")");
    }

    /// A batch's shipments with their tracking state (SQLite plans the `IN` list as lookups;
    /// its single writer needs no row locks, so `lock` changes nothing).
    fn tracked_query(
        cols: &str,
        tenant: Uuid,
        ids: &[Uuid],
        _lock: bool,
    ) -> Vec<QueryBuilder<Sqlite>> {
        sized_chunks(ids, chunk_rows(1))
            .into_iter()
            .map(|chunk| {
                let mut qb = QueryBuilder::new(format!(
                    "SELECT {cols} FROM shipments s JOIN shipment_tracking t \
                     ON t.tenant_id = s.tenant_id AND t.shipment_id = s.id WHERE t.tenant_id = "
                ));
                qb.push_bind(tenant).push(" AND ");
                Self::id_list(&mut qb, "t.shipment_id", chunk);
                qb
            })
            .collect()
    }

    /// SQLite reads a batch's shipments and their tracking state in one joined query: its one
    /// writer connection would gain nothing from a second reader on the same few cores, and
    /// the webhook path is bound by CPU.
    fn split_tracked_query(
        _facts: &str,
        _state: &str,
        _tenant: Uuid,
        _ids: &[Uuid],
    ) -> Option<(QueryBuilder<Sqlite>, QueryBuilder<Sqlite>)> {
        None
    }

    /// `id, carrier_id, tracking_number` of the tenant's shipments with these tracking numbers.
    fn by_tracking_number(tenant: Uuid, numbers: &[String]) -> Vec<QueryBuilder<Sqlite>> {
        sized_chunks(numbers, chunk_rows(1))
            .into_iter()
            .map(|chunk| {
                let mut qb = QueryBuilder::new(
                    "SELECT id, carrier_id, tracking_number FROM shipments WHERE tenant_id = ",
                );
                qb.push_bind(tenant).push(" AND tracking_number IN (");
                let mut sep = qb.separated(", ");
                for t in chunk {
                    sep.push_bind(t.clone());
                }
                qb.push(")");
                qb
            })
            .collect()
    }

    /// The batch's new tracking state as `UPDATE … FROM (VALUES …)`: SQLite's builder
    /// (PostgreSQL passes its own, with one array per column). Two statements per chunk
    /// of rows, sent as one text. SQLite deletes and re-inserts a row's entry in every
    /// index over a column the `SET` list names, changed or not, so the rows whose
    /// status and `due_at` stay (most scans: another `in_transit`) are written by a
    /// statement that names neither, and only the others by the full one: two random
    /// index pages fewer per such event (docs/performance.md). That statement runs
    /// first; the full one then skips the rows it wrote, as their keys still stay.
    /// (PostgreSQL compares the values itself and leaves unchanged index entries alone.)
    fn enqueue_outbox(messages: &[OutboxMessage]) -> Vec<QueryBuilder<Sqlite>> {
        crate::sql::messages::enqueue_values(messages)
    }

    fn update_tracked(rows: &[TrackedShipment], now: Timestamp) -> Vec<QueryBuilder<Sqlite>> {
        // `VALUES` columns in the order bound below: the key, the update's columns, then
        // `updated_at` (the 16th).
        let v = |c: &str| {
            let at = match c {
                "tenant_id" => 1,
                "shipment_id" => 2,
                "updated_at" => TRACKING_UPDATE_COLUMNS.len() + 3,
                c => {
                    3 + TRACKING_UPDATE_COLUMNS
                        .iter()
                        .position(|o| *o == c)
                        .expect("a tracking column")
                }
            };
            format!("v.column{at}")
        };
        let kept = tracking_keys_kept(v);
        let mut out = Vec::new();
        for chunk in sized_chunks(rows, chunk_rows(16)) {
            // Both statements in one text: one round trip to the connection's thread.
            let mut qb = QueryBuilder::<Sqlite>::new("");
            for (indexed, filter) in [(false, kept.clone()), (true, format!("NOT ({kept})"))] {
                qb.push(format!(
                    "{}UPDATE shipment_tracking SET {}, updated_at = {} FROM (",
                    if indexed { "; " } else { "" },
                    tracking_update_set(v, indexed),
                    v("updated_at")
                ));
                qb.push_values(chunk, |mut b, s| {
                    b.push_bind(s.tenant_id.0)
                        .push_bind(s.id.0)
                        .push_bind(s.state.status.as_str())
                        .push_bind(ous(s.state.status_at))
                        .push_bind(s.state.reason)
                        .push_bind(s.state.accountable.map(|a| a.as_str()))
                        .push_bind(ous(s.state.eta))
                        .push_bind(ous(s.state.eta_at))
                        .push_bind(ous(s.state.last_event_at))
                        .push_bind(ous(s.state.picked_up_at))
                        .push_bind(ous(s.state.delivered_at))
                        .push_bind(ous(s.next_check_at))
                        .push_bind(s.pod_attached)
                        .push_bind(s.documents_complete)
                        .push_bind(s.has_open_cases)
                        .push_bind(us(now));
                });
                qb.push(format!(
                    ") AS v WHERE shipment_tracking.tenant_id = v.column1 \
                     AND shipment_tracking.shipment_id = v.column2 AND {filter}"
                ));
            }
            out.push(qb);
        }
        out
    }
}
