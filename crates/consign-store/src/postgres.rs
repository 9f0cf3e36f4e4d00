//! The PostgreSQL store, for scale-out: many `consign serve` processes share one database.
//! Migrations run under an advisory lock so processes starting together do not race, and
//! audit chain heads are locked with `FOR UPDATE` so concurrent writers queue per chain.

use crate::migrate::{CREATE_TABLE, POSTGRES};
use crate::{Result, StoreError};
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

pub struct PgStore {
    pub(crate) read: PgPool,
    pub(crate) write: PgPool,
}

/// Arbitrary constant naming Consign's migration lock.
const MIGRATION_LOCK: i64 = 0x0C0_5161;

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
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
    for_update = " FOR UPDATE"
);
