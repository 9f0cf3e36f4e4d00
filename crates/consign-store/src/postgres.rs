//! The PostgreSQL store, for scale-out: many `consign serve` processes share one database.
//! Migrations run under an advisory lock so processes starting together do not race, and
//! audit chain heads are locked with `FOR UPDATE` so concurrent writers queue per chain.

use crate::migrate::{CREATE_TABLE, POSTGRES};
use crate::sql::SqlStore;
use crate::sql::dialect::{Dialect, RowsAffected};
use crate::sql::{ous, tracking_update_set, us};
use crate::{Durable, Engine, Result, StoreError};
use consign_core::message::outbox::OutboxMessage;
use consign_core::tracking::TrackedShipment;
use jiff::Timestamp;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgConnection, Pool, Postgres, QueryBuilder};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// The PostgreSQL store: the shared SQL (`crate::sql`) on one pool.
pub type PgStore = SqlStore<Postgres>;

/// Arbitrary constant naming Consign's migration lock.
const MIGRATION_LOCK: i64 = 0x0C0_5161;

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = pool(url).await?;
        let store = PgStore {
            read: pool.clone(),
            write: pool,
            durability: (),
            background: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// A read replica (a hot standby, or any copy kept current): connected like the primary
    /// but never migrated (a standby refuses writes); its schema must be the one this build
    /// expects, or the replica's reads would not fit the code.
    pub async fn connect_replica(url: &str) -> Result<Self> {
        let pool = pool(url).await?;
        let at: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&pool)
            .await
            .map_err(|e| {
                StoreError::Corrupt(format!(
                    "the read replica has no Consign schema ({e}); point read_database_url at a copy of the primary"
                ))
            })?;
        let want = POSTGRES.len() as i64;
        if at != Some(want) {
            return Err(StoreError::Corrupt(format!(
                "the read replica's schema is at migration {}, this build needs {want}; let it catch up with the primary",
                at.unwrap_or(0)
            )));
        }
        Ok(PgStore {
            read: pool.clone(),
            write: pool,
            durability: (),
            background: None,
        })
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.write.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        let result = async {
            sqlx::query(CREATE_TABLE).execute(&mut *conn).await?;
            for m in POSTGRES {
                let done: Option<i64> =
                    sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                        .bind(m.version)
                        .fetch_optional(&mut *conn)
                        .await?;
                if done.is_some() {
                    continue;
                }
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                m.apply::<Postgres>(&mut tx).await?;
                tx.commit().await?;
            }
            Ok::<_, StoreError>(())
        }
        .await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        result
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::postgres::PgQueryResult::rows_affected(self)
    }
}

impl Dialect for Postgres {
    const ENGINE: Engine = Engine::Postgres;
    const CONCURRENT_WRITERS: bool = true;
    const MULTI_STATEMENT: bool = false;
    const BEGIN: Option<&'static str> = None;
    const ANALYZE: Option<&'static str> = Some("ANALYZE");
    const CHECKPOINT: &'static str = "CHECKPOINT";

    type Durability = ();

    /// PostgreSQL's commits are durable when they return (`synchronous_commit`).
    fn committed(_: &()) -> Durable {
        Durable::done()
    }

    fn pool<'c>(pool: &'c Pool<Postgres>) -> impl Executor<'c, Database = Postgres> {
        pool
    }

    fn conn<'c>(conn: &'c mut PgConnection) -> impl Executor<'c, Database = Postgres> {
        conn
    }

    /// All ids in one array parameter (see `id_list`).
    fn id_chunk() -> usize {
        0
    }

    /// `<col> = ANY($n)`: the ids as one array parameter, so one statement (one text, one plan)
    /// whatever their number (`id_chunk` is 0); used where `<col>` leads an index after the
    /// tenant (events and open cases by shipment), so each id is an index probe. (The batch's
    /// shipments themselves are read by `tracked_query`.)
    fn id_list(qb: &mut QueryBuilder<Postgres>, col: &str, ids: &[Uuid]) {
        qb.push(col)
            .push(" = ANY(")
            .push_bind(ids.to_vec())
            .push(")");
    }

    /// A batch's shipments with their tracking state, one index lookup per id: the ids come as
    /// one array and each is looked up in a `LATERAL` subquery (`OFFSET 0` or `FOR UPDATE` keeps
    /// the planner from flattening it into a hash join that scans every shipment of the tenant,
    /// which it chose for batches of thousands and which grew with the table). The tracking row
    /// and its shipment are joined inside the one subquery: with two subqueries the planner put
    /// a `Memoize` over the shipments lookup, which cost 20 of 48 ms for 5,000 ids whose keys
    /// never repeat (docs/performance.md). With `lock`, each tracking row is locked as it is
    /// read, in the array's (sorted) order.
    fn tracked_query(
        cols: &str,
        tenant: Uuid,
        ids: &[Uuid],
        lock: bool,
    ) -> Vec<QueryBuilder<Postgres>> {
        let lock = if lock {
            " FOR UPDATE OF t"
        } else {
            " OFFSET 0"
        };
        let mut qb = QueryBuilder::new("SELECT x.* FROM unnest(");
        qb.push_bind(ids.to_vec())
            .push(format!(
                "::uuid[]) WITH ORDINALITY AS k(id, n) CROSS JOIN LATERAL (SELECT {cols} \
                 FROM shipment_tracking t JOIN shipments s ON s.tenant_id = t.tenant_id \
                 AND s.id = t.shipment_id WHERE t.tenant_id = "
            ))
            .push_bind(tenant)
            .push(format!(" AND t.shipment_id = k.id{lock}) x ORDER BY k.n"));
        vec![qb]
    }

    /// A batch's shipment facts and its tracking state as two queries, which `lock_tracked` runs
    /// at once on two connections: the facts on a pooled one, the state (locked) in the
    /// transaction. Of the joined read's 35 ms for 5,000 shipments, the shipments half then
    /// overlaps the tracking half instead of following it (docs/performance.md). The state
    /// query leads with `t.shipment_id` to pair its rows with the facts.
    fn split_tracked_query(
        facts: &str,
        state: &str,
        tenant: Uuid,
        ids: &[Uuid],
    ) -> Option<(QueryBuilder<Postgres>, QueryBuilder<Postgres>)> {
        let mut f = QueryBuilder::new("SELECT x.* FROM unnest(");
        f.push_bind(ids.to_vec())
            .push(format!(
                "::uuid[]) AS k(id) CROSS JOIN LATERAL (SELECT {facts} FROM shipments s \
                 WHERE s.tenant_id = "
            ))
            .push_bind(tenant)
            .push(" AND s.id = k.id OFFSET 0) x");
        let mut s = QueryBuilder::new("SELECT x.* FROM unnest(");
        s.push_bind(ids.to_vec())
            .push(format!(
                "::uuid[]) WITH ORDINALITY AS k(id, n) CROSS JOIN LATERAL (SELECT t.shipment_id, \
                 {state} FROM shipment_tracking t WHERE t.tenant_id = "
            ))
            .push_bind(tenant)
            .push(" AND t.shipment_id = k.id FOR UPDATE) x ORDER BY k.n");
        Some((f, s))
    }

    /// `id, carrier_id, tracking_number` of the tenant's shipments with these tracking numbers,
    /// one index lookup per number (see `tracked_query`).
    fn by_tracking_number(tenant: Uuid, numbers: &[String]) -> Vec<QueryBuilder<Postgres>> {
        let mut qb = QueryBuilder::new("SELECT s.id, s.carrier_id, s.tracking_number FROM unnest(");
        qb.push_bind(numbers.to_vec())
            .push(
                "::text[]) AS k(number) CROSS JOIN LATERAL (SELECT id, carrier_id, tracking_number \
                 FROM shipments WHERE tenant_id = ",
            )
            .push_bind(tenant)
            .push(" AND tracking_number = k.number OFFSET 0) s");
        vec![qb]
    }

    /// Outbox rows in one statement whatever their number, one array parameter per column
    /// (as `update_tracked`): the `VALUES` form costs PostgreSQL a parse and a plan of 19
    /// parameters per message. Rows are inserted in the order given, so `seq` follows it.
    fn enqueue_outbox(messages: &[OutboxMessage]) -> Vec<QueryBuilder<Postgres>> {
        if messages.is_empty() {
            return Vec::new();
        }
        let text = |f: &dyn Fn(&OutboxMessage) -> &str| messages.iter().map(f).collect::<Vec<_>>();
        let opt_text =
            |f: &dyn Fn(&OutboxMessage) -> Option<&str>| messages.iter().map(f).collect::<Vec<_>>();
        let int =
            |f: &dyn Fn(&OutboxMessage) -> Option<i64>| messages.iter().map(f).collect::<Vec<_>>();
        let cols = crate::sql::messages::ENQUEUE_COLS;
        let mut qb = QueryBuilder::new(format!(
            "INSERT INTO outbox ({cols}) SELECT {cols} FROM unnest("
        ));
        qb.push_bind(messages.iter().map(|m| m.id).collect::<Vec<_>>())
            .push("::uuid[], ")
            .push_bind(messages.iter().map(|m| m.tenant_id.0).collect::<Vec<_>>())
            .push("::uuid[], ")
            .push_bind(text(&|m| m.transport.as_str()))
            .push("::text[], ")
            .push_bind(messages.iter().map(|m| m.endpoint_id).collect::<Vec<_>>())
            .push("::uuid[], ")
            .push_bind(text(&|m| &m.recipient))
            .push("::text[], ")
            .push_bind(text(&|m| &m.kind))
            .push("::text[], ")
            .push_bind(text(&|m| &m.dedup_key))
            .push("::text[], ")
            .push_bind(text(&|m| &m.ordering_key))
            .push("::text[], ")
            .push_bind(opt_text(&|m| m.sender.as_deref()))
            .push("::text[], ")
            .push_bind(opt_text(&|m| m.reply_to.as_deref()))
            .push("::text[], ")
            .push_bind(text(&|m| &m.subject))
            .push("::text[], ")
            .push_bind(text(&|m| &m.body))
            .push("::text[], ")
            .push_bind(opt_text(&|m| m.body_html.as_deref()))
            .push("::text[], ")
            .push_bind(
                messages
                    .iter()
                    .map(|m| m.case_id.map(|c| c.0))
                    .collect::<Vec<_>>(),
            )
            .push("::uuid[], ")
            .push_bind(text(&|m| m.state.as_str()))
            .push("::text[], ")
            .push_bind(int(&|m| Some(i64::from(m.attempts))))
            .push("::int8[], ")
            .push_bind(int(&|m| Some(us(m.next_attempt_at))))
            .push("::int8[], ")
            .push_bind(opt_text(&|m| m.last_error.as_deref()))
            .push("::text[], ")
            .push_bind(int(&|m| m.last_status.map(i64::from)))
            .push("::int8[], ")
            .push_bind(int(&|m| Some(us(m.created_at))))
            .push("::int8[], ")
            .push_bind(int(&|m| ous(m.delivered_at)))
            // In the order given: `seq` orders delivery per ordering key.
            .push(format!(
                "::int8[]) WITH ORDINALITY AS v({cols}, n) ORDER BY n"
            ));
        vec![qb]
    }

    /// The batch's new tracking state in one statement whatever its size: each column is one
    /// array parameter and `unnest` turns them back into rows. The `VALUES` form SQLite uses
    /// costs PostgreSQL a parse and a plan of up to 30,000 parameters per statement, and the
    /// client a statement text of as many placeholders; this one has 17 parameters, one cached
    /// statement and one plan (a nested loop of primary-key probes, as the array's size is
    /// unknown to the planner). `due_at` keeps an earlier instant still owed a check.
    fn update_tracked(rows: &[TrackedShipment], now: Timestamp) -> Vec<QueryBuilder<Postgres>> {
        use ous;
        if rows.is_empty() {
            return Vec::new();
        }
        let col =
            |f: &dyn Fn(&TrackedShipment) -> Option<i64>| rows.iter().map(f).collect::<Vec<_>>();
        let mut qb = QueryBuilder::new(format!(
            "UPDATE shipment_tracking SET {}, updated_at = ",
            tracking_update_set(|c| format!("v.{c}"), true)
        ));
        qb.push_bind(us(now));
        qb.push(" FROM unnest(");
        qb.push_bind(rows.iter().map(|s| s.tenant_id.0).collect::<Vec<_>>())
            .push("::uuid[], ")
            .push_bind(rows.iter().map(|s| s.id.0).collect::<Vec<_>>())
            .push("::uuid[], ")
            .push_bind(
                rows.iter()
                    .map(|s| s.state.status.as_str())
                    .collect::<Vec<_>>(),
            )
            .push("::text[], ")
            .push_bind(col(&|s| ous(s.state.status_at)))
            .push("::int8[], ")
            .push_bind(rows.iter().map(|s| s.state.reason).collect::<Vec<_>>())
            .push("::text[], ")
            .push_bind(
                rows.iter()
                    .map(|s| s.state.accountable.map(|a| a.as_str()))
                    .collect::<Vec<_>>(),
            )
            .push("::text[], ")
            .push_bind(col(&|s| ous(s.state.eta)))
            .push("::int8[], ")
            .push_bind(col(&|s| ous(s.state.eta_at)))
            .push("::int8[], ")
            .push_bind(col(&|s| ous(s.state.last_event_at)))
            .push("::int8[], ")
            .push_bind(col(&|s| ous(s.state.picked_up_at)))
            .push("::int8[], ")
            .push_bind(col(&|s| ous(s.state.delivered_at)))
            .push("::int8[], ")
            .push_bind(col(&|s| ous(s.next_check_at)))
            .push("::int8[], ")
            .push_bind(rows.iter().map(|s| s.pod_attached).collect::<Vec<_>>())
            .push("::bool[], ")
            .push_bind(
                rows.iter()
                    .map(|s| s.documents_complete)
                    .collect::<Vec<_>>(),
            )
            .push("::bool[], ")
            .push_bind(rows.iter().map(|s| s.has_open_cases).collect::<Vec<_>>())
            .push(
                "::bool[]) AS v(tenant_id, shipment_id, status, status_at, reason, accountable, \
                 eta, eta_at, last_event_at, picked_up_at, delivered_at, next_check_at, \
                 pod_attached, documents_complete, open_cases) WHERE shipment_tracking.tenant_id = \
                 v.tenant_id AND shipment_tracking.shipment_id = v.shipment_id",
            );
        vec![qb]
    }
}

/// A pool of Consign's connections to `url` (the primary's, or a replica's).
async fn pool(url: &str) -> Result<sqlx::PgPool> {
    // PostgreSQL's default `random_page_cost` (4) prices an index lookup for a spinning
    // disk. Consign's hot rows (tracking state, recent events) are in memory or on SSD,
    // and with the default the planner turned each batch's update and read of a few
    // thousand shipments into a hash join over a scan of every shipment, a cost that
    // grew with the table (docs/performance.md). 1.1 is the usual SSD setting; it only
    // applies to Consign's own connections.
    let options = PgConnectOptions::from_str(url)?
        .options([("random_page_cost", "1.1")])
        // Every multi-row statement size up to 128 rows, per statement kind (`sized_chunks`).
        .statement_cache_capacity(1024);
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    Ok(pool)
}
