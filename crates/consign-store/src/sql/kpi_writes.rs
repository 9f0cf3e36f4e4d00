//! KPI writes ([`KpiTx`]): definitions versions, the facts rows and daily counts the rollup
//! replaces, and the stale marks; the reads are in `kpis.rs`.

use super::dialect::{Dialect, PushArg, QueryExt, RowExt};
use super::kpis::{
    ORDER_ROW_COLS, SHIPMENT_ROW_COLS, day, distinct_shipments, list, order_row, rows_queries,
};
use super::tracking::{fetch_conn, id_queries};
use super::{SqlTx, chunk_rows, fetch_rows_in, sized_chunks, to_json, us};
use crate::{Days, KpiTx, Result, Stale, StoreError};
use consign_core::ids::{OrderId, ShipmentId, TenantId};
use consign_core::kpi::KpiDefinitions;
use consign_core::kpi::rollup::{DailyCount, OrderRow, ShipmentRow};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::QueryBuilder;
use std::collections::BTreeSet;
use uuid::Uuid;

/// The first key of the advisory lock under which one tenant's daily KPI counts are recounted
/// (`KPI` in ASCII).
const KPI_RECOUNT_LOCK: i64 = 0x004b_5049;

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

    async fn take_kpi_stale(&mut self, limit: i64) -> Result<Vec<(TenantId, Stale)>> {
        // Deleted first and returned: a writer that marks one of these again while this
        // transaction is open waits for it, and its mark then survives for the next round.
        // Two servers' workers skip each other's marks on PostgreSQL.
        let skip = if DB::CONCURRENT_WRITERS {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "DELETE FROM kpi_stale WHERE (tenant_id, kind, id) IN \
             (SELECT tenant_id, kind, id FROM kpi_stale LIMIT $1{skip}) \
             RETURNING tenant_id, kind, id"
        );
        fetch_rows_in::<DB, _>(
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(limit),
            &mut self.tx,
            |r| {
                let tenant = TenantId(r.col("tenant_id")?);
                let id: Uuid = r.col("id")?;
                let kind: &str = r.col("kind")?;
                let stale = match kind {
                    "s" => Stale::Shipment(ShipmentId(id)),
                    "o" => Stale::Order(OrderId(id)),
                    "c" => Stale::Case(consign_core::ids::CaseId(id)),
                    other => {
                        return Err(StoreError::Corrupt(format!("unknown KPI mark '{other}'")));
                    }
                };
                Ok((tenant, stale))
            },
        )
        .await
    }

    async fn reset_kpi_rollup(&mut self, tenant: TenantId) -> Result<u64> {
        for table in [
            "kpi_daily",
            "kpi_shipment_facts",
            "kpi_order_facts",
            "kpi_case_facts",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE tenant_id = $1"
            )))
            .arg(tenant.0)
            .execute(DB::conn(&mut self.tx))
            .await?;
        }
        let mut marked = 0;
        for (kind, table) in [("s", "shipments"), ("o", "orders"), ("c", "cases")] {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO kpi_stale (tenant_id, kind, id) SELECT tenant_id, '{kind}', id \
                 FROM {table} WHERE tenant_id = $1 ON CONFLICT DO NOTHING"
            )))
            .arg(tenant.0)
            .execute(DB::conn(&mut self.tx))
            .await?;
            marked += super::dialect::RowsAffected::rows_affected(&r);
        }
        Ok(marked)
    }

    async fn mark_kpi_orders_stale(&mut self, tenant: TenantId) -> Result<u64> {
        let r = sqlx::query(
            "INSERT INTO kpi_stale (tenant_id, kind, id) SELECT tenant_id, 'o', id FROM orders \
             WHERE tenant_id = $1 AND promised_by IS NOT NULL ON CONFLICT DO NOTHING",
        )
        .arg(tenant.0)
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(super::dialect::RowsAffected::rows_affected(&r))
    }

    async fn kpi_days_of(
        &mut self,
        tenant: TenantId,
        shipments: &[ShipmentId],
        orders: &[OrderId],
    ) -> Result<Vec<Date>> {
        let s: Vec<Uuid> = shipments.iter().map(|i| i.0).collect();
        let o: Vec<Uuid> = orders.iter().map(|i| i.0).collect();
        let mut days = BTreeSet::new();
        let rows = fetch_conn::<DB>(
            &mut self.tx,
            id_queries::<DB>(
                "SELECT shipped_on, delivered_on FROM kpi_shipment_facts WHERE tenant_id = ",
                tenant,
                "shipment_id",
                &s,
                "",
            ),
        )
        .await?;
        for r in &rows {
            days.insert(day(r.col("shipped_on")?)?);
            if let Some(d) = r.col::<Option<&str>>("delivered_on")? {
                days.insert(day(d)?);
            }
        }
        let rows = fetch_conn::<DB>(
            &mut self.tx,
            id_queries::<DB>(
                "SELECT due_on FROM kpi_order_facts WHERE tenant_id = ",
                tenant,
                "order_id",
                &o,
                "",
            ),
        )
        .await?;
        for r in &rows {
            days.insert(day(r.col("due_on")?)?);
        }
        Ok(days.into_iter().collect())
    }

    async fn put_kpi_rows(
        &mut self,
        tenant: TenantId,
        shipments: &[ShipmentId],
        orders: &[OrderId],
        shipment_rows: &[ShipmentRow],
        order_rows: &[OrderRow],
    ) -> Result<()> {
        let s: Vec<Uuid> = shipments.iter().map(|i| i.0).collect();
        let o: Vec<Uuid> = orders.iter().map(|i| i.0).collect();
        for mut qb in id_queries::<DB>(
            "DELETE FROM kpi_shipment_facts WHERE tenant_id = ",
            tenant,
            "shipment_id",
            &s,
            "",
        ) {
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        for mut qb in id_queries::<DB>(
            "DELETE FROM kpi_order_facts WHERE tenant_id = ",
            tenant,
            "order_id",
            &o,
            "",
        ) {
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        for chunk in sized_chunks(shipment_rows, chunk_rows(14)) {
            let mut qb = QueryBuilder::<DB>::new(format!(
                "INSERT INTO kpi_shipment_facts (tenant_id, {SHIPMENT_ROW_COLS}) "
            ));
            qb.push_values(chunk, |mut b, r| {
                b.push_arg(tenant.0)
                    .push_arg(r.shipment.0)
                    .push_arg(r.order.map(|o| o.0))
                    .push_arg(r.carrier.0)
                    .push_arg(r.lane.clone())
                    .push_arg(r.channel.map(|c| c.as_str()))
                    .push_arg(r.shipped_day.to_string())
                    .push_arg(r.delivered_day.map(|d| d.to_string()))
                    .push_arg(r.days_late)
                    .push_arg(r.cancelled)
                    .push_arg(r.damaged)
                    .push_arg(r.documents_accurate)
                    .push_arg(list(&r.case_types))
                    .push_arg(list(&r.accountables));
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        for chunk in sized_chunks(order_rows, chunk_rows(8)) {
            let mut qb = QueryBuilder::<DB>::new(format!(
                "INSERT INTO kpi_order_facts (tenant_id, {ORDER_ROW_COLS}) "
            ));
            qb.push_values(chunk, |mut b, r| {
                b.push_arg(tenant.0)
                    .push_arg(r.order.0)
                    .push_arg(r.due_day.to_string())
                    .push_arg(r.channel.as_str())
                    .push_arg(r.definitions_version)
                    .push_arg(r.counted)
                    .push_arg(r.otif)
                    .push_arg(r.perfect);
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }

    async fn kpi_rows_for_update(
        &mut self,
        tenant: TenantId,
        days: &[Date],
    ) -> Result<(Vec<ShipmentRow>, Vec<OrderRow>)> {
        if days.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        // Two servers' workers take different marks (`SKIP LOCKED`) that may share a day. Each
        // recounts the day from the facts rows and replaces its counts: read at once, each saw
        // only its own new rows and the later write dropped the other's. One tenant's recounts
        // take turns under a transaction-scoped advisory lock (the two-key space, apart from
        // the ingest's one-key locks); each statement after it reads what the one before
        // committed. SQLite's single writer already serialises them.
        if DB::CONCURRENT_WRITERS {
            let b = tenant.0.as_bytes();
            let key = i64::from(i32::from_be_bytes([b[12], b[13], b[14], b[15]]));
            sqlx::query("SELECT pg_advisory_xact_lock(CAST($1 AS INTEGER), CAST($2 AS INTEGER))")
                .arg(KPI_RECOUNT_LOCK)
                .arg(key)
                .execute(DB::conn(&mut self.tx))
                .await?;
        }
        let (shipments, mut orders) = rows_queries::<DB>(tenant, Days::These(days));
        let rows = fetch_conn::<DB>(&mut self.tx, shipments).await?;
        let orders = orders.build().fetch_all(DB::conn(&mut self.tx)).await?;
        Ok((
            distinct_shipments::<DB>(&rows)?,
            orders.iter().map(order_row::<DB>).collect::<Result<_>>()?,
        ))
    }

    async fn replace_kpi_daily(
        &mut self,
        tenant: TenantId,
        days: &[Date],
        counts: &[DailyCount],
    ) -> Result<()> {
        for chunk in days.chunks(500) {
            let mut qb = QueryBuilder::<DB>::new("DELETE FROM kpi_daily WHERE tenant_id = ");
            qb.push_arg(tenant.0).push(" AND day IN (");
            let mut sep = qb.separated(", ");
            for d in chunk {
                sep.push_arg(d.to_string());
            }
            qb.push(")");
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        for chunk in sized_chunks(counts, chunk_rows(8)) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO kpi_daily (tenant_id, day, measure, carrier_id, channel, key, hits, \
                 total) ",
            );
            qb.push_values(chunk, |mut b, c| {
                b.push_arg(tenant.0)
                    .push_arg(c.day.to_string())
                    .push_arg(c.measure.as_str())
                    .push_arg(c.carrier.map(|x| x.0).unwrap_or(Uuid::nil()))
                    .push_arg(c.channel.map(|x| x.as_str()).unwrap_or(""))
                    .push_arg(c.key.clone())
                    .push_arg(c.hits as i64)
                    .push_arg(c.total as i64);
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }
}
