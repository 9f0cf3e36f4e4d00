//! KPI definitions in SQL: a row per version, the definitions as JSON (checked by the core
//! before they are written, read back strictly).

use super::dialect::{Dialect, QueryExt, RowExt};
use super::{SqlStore, SqlTx, json_col, to_json, ts, us};
use crate::{KpiStore, KpiTx, Result, StoredKpiDefinitions};
use consign_core::ids::TenantId;
use consign_core::kpi::KpiDefinitions;
use jiff::Timestamp;

fn definitions_row<DB: Dialect>(r: &DB::Row) -> Result<StoredKpiDefinitions> {
    let json: String = r.col("definitions_json")?;
    Ok(StoredKpiDefinitions {
        version: r.col("version")?,
        definitions: json_col(&json, "kpi_definitions.definitions_json")?,
        created_at: ts(r.col("created_at")?),
        created_by: r.col("created_by")?,
    })
}

const COLS: &str = "version, definitions_json, created_at, created_by";

#[async_trait::async_trait]
impl<DB: Dialect> KpiStore for SqlStore<DB> {
    async fn kpi_definitions(&self, tenant: TenantId) -> Result<Option<StoredKpiDefinitions>> {
        let sql = format!(
            "SELECT {COLS} FROM kpi_definitions WHERE tenant_id = $1 \
             ORDER BY version DESC LIMIT 1"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(tenant.0)
            .fetch_optional(DB::pool(&self.read))
            .await?
            .map(|r| definitions_row::<DB>(&r))
            .transpose()
    }

    async fn kpi_definitions_version(
        &self,
        tenant: TenantId,
        version: i64,
    ) -> Result<Option<StoredKpiDefinitions>> {
        let sql =
            format!("SELECT {COLS} FROM kpi_definitions WHERE tenant_id = $1 AND version = $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(tenant.0)
            .arg(version)
            .fetch_optional(DB::pool(&self.read))
            .await?
            .map(|r| definitions_row::<DB>(&r))
            .transpose()
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> KpiTx for SqlTx<DB> {
    async fn insert_kpi_definitions(
        &mut self,
        tenant: TenantId,
        definitions: &KpiDefinitions,
        at: Timestamp,
        by: &str,
    ) -> Result<i64> {
        // The write transaction serialises versions on SQLite; on PostgreSQL two editors
        // racing for one number meet the primary key, and the loser's save is refused.
        let row = sqlx::query(
            "SELECT COALESCE(MAX(version), 0) AS v FROM kpi_definitions WHERE tenant_id = $1",
        )
        .arg(tenant.0)
        .fetch_one(DB::conn(&mut self.tx))
        .await?;
        let version: i64 = row.col::<i64>("v")? + 1;
        sqlx::query(
            "INSERT INTO kpi_definitions (tenant_id, version, definitions_json, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5)",
        )
        .arg(tenant.0)
        .arg(version)
        .arg(to_json(definitions))
        .arg(us(at))
        .arg(by.to_string())
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(version)
    }
}
