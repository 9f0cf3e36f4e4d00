//! Tenants: reads ([`TenantStore`]) and writes ([`TenantTx`]).

use super::dialect::{Dialect, QueryExt, RowExt};
use super::{SqlStore, SqlTx, fetch_row, fetch_rows, ts, us};
use crate::{Result, TenantStore, TenantTx};
use consign_core::ids::TenantId;
use consign_core::tenant::Tenant;

fn tenant_row<DB: Dialect>(r: &DB::Row) -> Result<Tenant> {
    Ok(Tenant {
        id: TenantId(r.col("id")?),
        slug: r.col("slug")?,
        name: r.col("name")?,
        time_zone: r.col("time_zone")?,
        created_at: ts(r.col("created_at")?),
    })
}

#[async_trait::async_trait]
impl<DB: Dialect> TenantStore for SqlStore<DB> {
    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>> {
        fetch_row(
            sqlx::query("SELECT id, slug, name, time_zone, created_at FROM tenants WHERE id = $1")
                .arg(id.0),
            &self.read,
            tenant_row::<DB>,
        )
        .await
    }

    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>> {
        fetch_row(
            sqlx::query(
                "SELECT id, slug, name, time_zone, created_at FROM tenants WHERE slug = $1",
            )
            .arg(slug.to_string()),
            &self.read,
            tenant_row::<DB>,
        )
        .await
    }

    async fn tenants(&self) -> Result<Vec<Tenant>> {
        fetch_rows(
            sqlx::query("SELECT id, slug, name, time_zone, created_at FROM tenants ORDER BY slug"),
            &self.read,
            tenant_row::<DB>,
        )
        .await
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> TenantTx for SqlTx<DB> {
    async fn insert_tenant(&mut self, t: &Tenant) -> Result<()> {
        sqlx::query(
            "INSERT INTO tenants (id, slug, name, time_zone, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .arg(t.id.0)
        .arg(t.slug.clone())
        .arg(t.name.clone())
        .arg(t.time_zone.clone())
        .arg(us(t.created_at))
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }
}
