//! Tenants' rulebooks, every version kept: reads ([`RulebookStore`]) and writes
//! ([`RulebookTx`]).

use super::dialect::{Dialect, QueryExt, RowExt};
use super::{SqlStore, SqlTx, fetch_row, fetch_rows, ts, us};
use crate::{Result, RulebookStore, RulebookTx, StoredRulebook};
use consign_core::ids::TenantId;

fn rulebook_row<DB: Dialect>(r: &DB::Row) -> Result<StoredRulebook> {
    Ok(StoredRulebook {
        version: r.col("version")?,
        name: r.col("name")?,
        source: r.col("source")?,
        created_at: ts(r.col("created_at")?),
        created_by: r.col("created_by")?,
    })
}

#[async_trait::async_trait]
impl<DB: Dialect> RulebookStore for SqlStore<DB> {
    async fn rulebook(&self, tenant: TenantId) -> Result<Option<StoredRulebook>> {
        fetch_row(
            sqlx::query(
                "SELECT version, name, source, created_at, created_by FROM rulebooks \
             WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1",
            )
            .arg(tenant.0),
            &self.read,
            rulebook_row::<DB>,
        )
        .await
    }

    async fn rulebooks(&self, tenant: TenantId) -> Result<Vec<StoredRulebook>> {
        fetch_rows(
            sqlx::query(
                "SELECT version, name, source, created_at, created_by FROM rulebooks \
                 WHERE tenant_id = $1 ORDER BY version",
            )
            .arg(tenant.0),
            &self.read,
            rulebook_row::<DB>,
        )
        .await
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> RulebookTx for SqlTx<DB> {
    async fn insert_rulebook(&mut self, tenant: TenantId, b: &StoredRulebook) -> Result<()> {
        sqlx::query(
            "INSERT INTO rulebooks (tenant_id, version, name, source, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .arg(tenant.0)
        .arg(b.version)
        .arg(b.name.clone())
        .arg(b.source.clone())
        .arg(us(b.created_at))
        .arg(b.created_by.clone())
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }
}
