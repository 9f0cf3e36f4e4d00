//! The PostgreSQL store, for scale-out: many `consign serve` processes share one database.
//! Migrations run under an advisory lock so processes starting together do not race, and
//! audit chain heads are locked with `FOR UPDATE` so concurrent writers queue per chain.

use crate::migrate::{CREATE_TABLE, POSTGRES};
use crate::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

pub struct PgStore {
    pub(crate) read: PgPool,
    pub(crate) write: PgPool,
}

/// Arbitrary constant naming Consign's migration lock.
const MIGRATION_LOCK: i64 = 0x0C0_5161;

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self> {
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
        let store = PgStore {
            read: pool.clone(),
            write: pool,
        };
        store.migrate().await?;
        Ok(store)
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
                let err = |source| StoreError::Migration {
                    version: m.version,
                    name: m.name,
                    source,
                };
                sqlx::raw_sql(m.sql).execute(&mut *tx).await.map_err(err)?;
                sqlx::query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                )
                .bind(m.version)
                .bind(m.name)
                .bind(jiff::Timestamp::now().as_microsecond())
                .execute(&mut *tx)
                .await?;
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

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.write.begin().await?)
    }
}

crate::sql::impl_sql_store!(
    PgStore,
    PgTx,
    sqlx::Postgres,
    Engine::Postgres,
    for_update = " FOR UPDATE"
);

crate::sql_tracking::impl_tracking_store!(
    PgStore,
    PgTx,
    sqlx::Postgres,
    for_update = " FOR UPDATE",
    id_list = super::id_list,
    id_chunk = 0,
    tracked_query = super::tracked_query,
    by_tracking_number = super::by_tracking_number
);

/// A batch's shipments with their tracking state, one index lookup per id: the ids come as
/// one array and each is looked up in a `LATERAL` subquery (`OFFSET 0` keeps the planner
/// from flattening it into a hash join that scans every shipment of the tenant, which it
/// chose for batches of thousands and which grew with the table). With `lock`, each tracking
/// row is locked as it is read, in the array's (sorted) order.
fn tracked_query(
    cols: &str,
    tenant: uuid::Uuid,
    ids: &[uuid::Uuid],
    lock: bool,
) -> Vec<sqlx::QueryBuilder<sqlx::Postgres>> {
    let lock = if lock { " FOR UPDATE" } else { " OFFSET 0" };
    let mut qb = sqlx::QueryBuilder::new(format!("SELECT {cols} FROM unnest("));
    qb.push_bind(ids.to_vec())
        .push("::uuid[]) WITH ORDINALITY AS k(id, n) CROSS JOIN LATERAL (SELECT * FROM shipment_tracking t0 WHERE t0.tenant_id = ")
        .push_bind(tenant)
        .push(format!(" AND t0.shipment_id = k.id{lock}) t CROSS JOIN LATERAL (SELECT * FROM shipments s0 WHERE s0.tenant_id = t.tenant_id AND s0.id = t.shipment_id OFFSET 0) s ORDER BY k.n"));
    vec![qb]
}

/// `id, carrier_id, tracking_number` of the tenant's shipments with these tracking numbers,
/// one index lookup per number (see `tracked_query`).
fn by_tracking_number(
    tenant: uuid::Uuid,
    numbers: &[String],
) -> Vec<sqlx::QueryBuilder<sqlx::Postgres>> {
    let mut qb =
        sqlx::QueryBuilder::new("SELECT s.id, s.carrier_id, s.tracking_number FROM unnest(");
    qb.push_bind(numbers.to_vec())
        .push("::text[]) AS k(number) CROSS JOIN LATERAL (SELECT id, carrier_id, tracking_number FROM shipments WHERE tenant_id = ")
        .push_bind(tenant)
        .push(" AND tracking_number = k.number OFFSET 0) s");
    vec![qb]
}

/// `<col> = ANY($n)`: the ids as one array parameter, so one statement (one text, one plan)
/// whatever their number (`id_chunk = 0`); used where `<col>` leads an index after the
/// tenant (events and open cases by shipment), so each id is an index probe. (The batch's
/// shipments themselves are read by `tracked_query`.)
fn id_list(qb: &mut sqlx::QueryBuilder<sqlx::Postgres>, col: &str, ids: &[uuid::Uuid]) {
    qb.push(col)
        .push(" = ANY(")
        .push_bind(ids.to_vec())
        .push(")");
}
