//! KPIs in SQL: the definitions (a row per version, the definitions as JSON, checked by the
//! core before they are written and read back strictly), the records the facts are computed
//! from, the facts rows and the daily counts of the rollup, and the stale marks. This file
//! holds the rows and the reads ([`KpiStore`]); the writes are in `kpi_writes.rs`.
//!
//! Days are `YYYY-MM-DD` text on both engines: they sort as dates, compare with `BETWEEN`,
//! and read the same in a plain SQL check as in the code.

use super::dialect::{Dialect, PushArg, QueryExt, RowExt};
use super::tracking::{fetch_pool, id_queries};
use super::{SqlStore, fetch_row, fetch_rows, json_col, ots, parsed, ts, us};
use crate::{Days, KpiStore, OrderSource, Result, StoreError, StoredKpiDefinitions};
use consign_core::ids::{CarrierId, OrderId, ShipmentId, TenantId};
use consign_core::kpi::facts::ShipmentRecord;
use consign_core::kpi::records::RecordFilter;
use consign_core::kpi::rollup::{DailyCount, Measure, OrderRow, ShipmentRow};
use consign_core::order::{Channel, OrderStatus};
use consign_core::shipment::{Place, ShipmentStatus};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::QueryBuilder;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

pub(super) fn day(s: &str) -> Result<Date> {
    s.parse()
        .map_err(|e| StoreError::Corrupt(format!("'{s}' is not a day: {e}")))
}

pub(super) fn list(v: &[String]) -> String {
    v.join(",")
}

fn unlist(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

pub(super) const SHIPMENT_ROW_COLS: &str = "shipment_id, order_id, carrier_id, lane, channel, shipped_on, \
     delivered_on, days_late, cancelled, damaged, documents_accurate, case_types, accountables";

fn shipment_row<DB: Dialect>(r: &DB::Row) -> Result<ShipmentRow> {
    Ok(ShipmentRow {
        shipment: ShipmentId(r.col("shipment_id")?),
        order: r.col::<Option<Uuid>>("order_id")?.map(OrderId),
        carrier: CarrierId(r.col("carrier_id")?),
        lane: r.col("lane")?,
        channel: r
            .col::<Option<String>>("channel")?
            .map(|c| parsed(Channel::parse(&c)))
            .transpose()?,
        shipped_day: day(r.col("shipped_on")?)?,
        delivered_day: r
            .col::<Option<&str>>("delivered_on")?
            .map(day)
            .transpose()?,
        days_late: r.col("days_late")?,
        cancelled: r.col("cancelled")?,
        damaged: r.col("damaged")?,
        documents_accurate: r.col("documents_accurate")?,
        case_types: unlist(r.col("case_types")?),
        accountables: unlist(r.col("accountables")?),
    })
}

pub(super) const ORDER_ROW_COLS: &str =
    "order_id, due_on, channel, definitions_version, counted, otif, perfect";

pub(super) fn order_row<DB: Dialect>(r: &DB::Row) -> Result<OrderRow> {
    Ok(OrderRow {
        order: OrderId(r.col("order_id")?),
        due_day: day(r.col("due_on")?)?,
        channel: parsed(Channel::parse(r.col("channel")?))?,
        definitions_version: r.col("definitions_version")?,
        counted: r.col("counted")?,
        otif: r.col("otif")?,
        perfect: r.col("perfect")?,
    })
}

fn daily_row<DB: Dialect>(r: &DB::Row) -> Result<DailyCount> {
    let measure: String = r.col("measure")?;
    let carrier: Uuid = r.col("carrier_id")?;
    let channel: &str = r.col("channel")?;
    Ok(DailyCount {
        day: day(r.col("day")?)?,
        measure: Measure::parse(&measure)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown KPI measure '{measure}'")))?,
        carrier: (!carrier.is_nil()).then_some(CarrierId(carrier)),
        channel: (!channel.is_empty())
            .then(|| parsed(Channel::parse(channel)))
            .transpose()?,
        key: r.col("key")?,
        hits: r.col::<i64>("hits")? as u64,
        total: r.col::<i64>("total")? as u64,
    })
}

/// The queries for the rows counting on `days`: shipments shipped on one, shipments
/// delivered on one, orders due on one.
pub(super) fn rows_queries<DB: Dialect>(
    tenant: TenantId,
    days: Days<'_>,
) -> (Vec<QueryBuilder<DB>>, QueryBuilder<DB>) {
    let on = |qb: &mut QueryBuilder<DB>, col: &str| match days {
        Days::These(d) => {
            qb.push(format!(" AND {col} IN ("));
            let mut sep = qb.separated(", ");
            for x in d {
                sep.push_arg(x.to_string());
            }
            qb.push(")");
        }
        Days::Between(a, b) => {
            qb.push(format!(" AND {col} BETWEEN "))
                .push_arg(a.to_string())
                .push(" AND ")
                .push_arg(b.to_string());
        }
    };
    let shipments = ["shipped_on", "delivered_on"]
        .into_iter()
        .map(|col| {
            let mut qb = QueryBuilder::<DB>::new(format!(
                "SELECT {SHIPMENT_ROW_COLS} FROM kpi_shipment_facts WHERE tenant_id = "
            ));
            qb.push_arg(tenant.0);
            on(&mut qb, col);
            qb
        })
        .collect();
    let mut orders = QueryBuilder::<DB>::new(format!(
        "SELECT {ORDER_ROW_COLS} FROM kpi_order_facts WHERE tenant_id = "
    ));
    orders.push_arg(tenant.0);
    on(&mut orders, "due_on");
    (shipments, orders)
}

/// Decodes shipment rows read by several queries, each shipment once.
pub(super) fn distinct_shipments<DB: Dialect>(rows: &[DB::Row]) -> Result<Vec<ShipmentRow>> {
    let mut out = BTreeMap::new();
    for r in rows {
        let row = shipment_row::<DB>(r)?;
        out.insert(row.shipment, row);
    }
    Ok(out.into_values().collect())
}

const RECORD_COLS: &str = "s.id, s.order_id, s.carrier_id, s.origin_json, s.destination_json, \
     o.channel, s.created_at, s.planned_pickup_at, t.picked_up_at, \
     COALESCE(s.promised_by, o.promised_by) AS promised_by, t.delivered_at, t.status, \
     s.pod_required, COALESCE(t.pod_attached, FALSE) AS pod_attached, s.international, \
     COALESCE(t.documents_complete, FALSE) AS documents_complete";

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
        fetch_row(
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(tenant.0),
            &self.read,
            definitions_row::<DB>,
        )
        .await
    }

    async fn kpi_definitions_version(
        &self,
        tenant: TenantId,
        version: i64,
    ) -> Result<Option<StoredKpiDefinitions>> {
        let sql =
            format!("SELECT {COLS} FROM kpi_definitions WHERE tenant_id = $1 AND version = $2");
        fetch_row(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(version),
            &self.read,
            definitions_row::<DB>,
        )
        .await
    }

    async fn kpi_shipment_records(
        &self,
        tenant: TenantId,
        ids: &[ShipmentId],
    ) -> Result<Vec<ShipmentRecord>> {
        let ids: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
        let head = format!(
            "SELECT {RECORD_COLS} FROM shipments s \
             LEFT JOIN shipment_tracking t ON t.tenant_id = s.tenant_id AND t.shipment_id = s.id \
             LEFT JOIN orders o ON o.tenant_id = s.tenant_id AND o.id = s.order_id \
             WHERE s.tenant_id = "
        );
        // Outbound only: a return leg carries the order's promise but is not a delivery to the
        // customer, and counted it would be judged late against that promise.
        let rows = self
            .by_ids(&head, tenant, "s.id", &ids, " AND s.direction = 'outbound'")
            .await?;
        let mut out: Vec<ShipmentRecord> =
            rows.iter().map(record_row::<DB>).collect::<Result<_>>()?;
        let cases = self
            .by_ids(
                "SELECT shipment_id, case_type, accountable FROM cases WHERE tenant_id = ",
                tenant,
                "shipment_id",
                &ids,
                "",
            )
            .await?;
        let mut by_shipment: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
        for r in &cases {
            by_shipment
                .entry(r.col("shipment_id")?)
                .or_default()
                .push((r.col("case_type")?, r.col("accountable")?));
        }
        for rec in &mut out {
            rec.cases = by_shipment.remove(&rec.shipment.0).unwrap_or_default();
        }
        Ok(out)
    }

    async fn kpi_order_sources(
        &self,
        tenant: TenantId,
        ids: &[OrderId],
    ) -> Result<Vec<OrderSource>> {
        let ids: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
        let orders = self
            .by_ids(
                "SELECT id, channel, promised_by, status FROM orders WHERE tenant_id = ",
                tenant,
                "id",
                &ids,
                "",
            )
            .await?;
        let lines = self
            .by_ids(
                "SELECT order_id, line_no, quantity FROM order_lines WHERE tenant_id = ",
                tenant,
                "order_id",
                &ids,
                " ORDER BY order_id, line_no",
            )
            .await?;
        let shipments = self
            .by_ids(
                "SELECT order_id, id FROM shipments WHERE tenant_id = ",
                tenant,
                "order_id",
                &ids,
                " AND direction = 'outbound' ORDER BY id",
            )
            .await?;
        let shipment_ids: Vec<Uuid> = shipments
            .iter()
            .map(|r| r.col::<Uuid>("id").map_err(StoreError::from))
            .collect::<Result<_>>()?;
        let shipped = self
            .by_ids(
                "SELECT shipment_id, line_no, quantity FROM shipment_lines WHERE tenant_id = ",
                tenant,
                "shipment_id",
                &shipment_ids,
                " ORDER BY shipment_id, line_no",
            )
            .await?;
        let mut lines_of: HashMap<Uuid, Vec<(i64, u32)>> = HashMap::new();
        for r in &lines {
            lines_of
                .entry(r.col("order_id")?)
                .or_default()
                .push((r.col("line_no")?, quantity(r.col("quantity")?)));
        }
        let mut carried: HashMap<Uuid, Vec<(i64, u32)>> = HashMap::new();
        for r in &shipped {
            carried
                .entry(r.col("shipment_id")?)
                .or_default()
                .push((r.col("line_no")?, quantity(r.col("quantity")?)));
        }
        let mut shipments_of: HashMap<Uuid, Vec<(ShipmentId, Vec<(i64, u32)>)>> = HashMap::new();
        for r in &shipments {
            let id: Uuid = r.col("id")?;
            shipments_of
                .entry(r.col("order_id")?)
                .or_default()
                .push((ShipmentId(id), carried.remove(&id).unwrap_or_default()));
        }
        orders
            .iter()
            .map(|r| {
                let id: Uuid = r.col("id")?;
                let status = parsed(OrderStatus::parse(r.col("status")?))?;
                Ok(OrderSource {
                    order: OrderId(id),
                    channel: parsed(Channel::parse(r.col("channel")?))?,
                    promised_by: ots(r.col("promised_by")?),
                    cancelled: status == OrderStatus::Cancelled,
                    lines: lines_of.remove(&id).unwrap_or_default(),
                    shipments: shipments_of.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn kpi_rows(
        &self,
        tenant: TenantId,
        days: Days<'_>,
    ) -> Result<(Vec<ShipmentRow>, Vec<OrderRow>)> {
        let (shipments, mut orders) = rows_queries::<DB>(tenant, days);
        let rows = fetch_pool(&self.read, shipments).await?;
        let orders = orders.build().fetch_all(DB::pool(&self.read)).await?;
        Ok((
            distinct_shipments::<DB>(&rows)?,
            orders.iter().map(order_row::<DB>).collect::<Result<_>>()?,
        ))
    }

    async fn kpi_rows_of(
        &self,
        tenant: TenantId,
        shipments: &[ShipmentId],
        orders: &[OrderId],
    ) -> Result<(Vec<ShipmentRow>, Vec<OrderRow>)> {
        let s: Vec<Uuid> = shipments.iter().map(|i| i.0).collect();
        let o: Vec<Uuid> = orders.iter().map(|i| i.0).collect();
        let head = format!("SELECT {SHIPMENT_ROW_COLS} FROM kpi_shipment_facts WHERE tenant_id = ");
        let rows = self.by_ids(&head, tenant, "shipment_id", &s, "").await?;
        let head = format!("SELECT {ORDER_ROW_COLS} FROM kpi_order_facts WHERE tenant_id = ");
        let orows = self.by_ids(&head, tenant, "order_id", &o, "").await?;
        Ok((
            distinct_shipments::<DB>(&rows)?,
            orows.iter().map(order_row::<DB>).collect::<Result<_>>()?,
        ))
    }

    async fn kpi_daily(
        &self,
        tenant: TenantId,
        first: Date,
        last: Date,
    ) -> Result<Vec<DailyCount>> {
        let rows = sqlx::query(
            "SELECT day, measure, carrier_id, channel, key, hits, total FROM kpi_daily \
             WHERE tenant_id = $1 AND day BETWEEN $2 AND $3",
        )
        .arg(tenant.0)
        .arg(first.to_string())
        .arg(last.to_string())
        .fetch_all(DB::pool(&self.read))
        .await?;
        let mut out: Vec<DailyCount> = rows.iter().map(daily_row::<DB>).collect::<Result<_>>()?;
        out.sort();
        Ok(out)
    }

    async fn kpi_day_span(&self, tenant: TenantId) -> Result<Option<(Date, Date)>> {
        let r = sqlx::query(
            "SELECT MIN(d) AS first, MAX(d) AS last FROM ( \
               SELECT MIN(shipped_on) AS d FROM kpi_shipment_facts WHERE tenant_id = $1 \
               UNION ALL SELECT MAX(shipped_on) FROM kpi_shipment_facts WHERE tenant_id = $1 \
               UNION ALL SELECT MAX(delivered_on) FROM kpi_shipment_facts WHERE tenant_id = $1 \
               UNION ALL SELECT MIN(due_on) FROM kpi_order_facts WHERE tenant_id = $1 \
               UNION ALL SELECT MAX(due_on) FROM kpi_order_facts WHERE tenant_id = $1 \
               UNION ALL SELECT MIN(day) FROM kpi_daily WHERE tenant_id = $1 \
               UNION ALL SELECT MAX(day) FROM kpi_daily WHERE tenant_id = $1) AS spans",
        )
        .arg(tenant.0)
        .fetch_one(DB::pool(&self.read))
        .await?;
        match (
            r.col::<Option<&str>>("first")?,
            r.col::<Option<&str>>("last")?,
        ) {
            (Some(a), Some(b)) => Ok(Some((day(a)?, day(b)?))),
            _ => Ok(None),
        }
    }

    async fn kpi_shipment_ids(
        &self,
        tenant: TenantId,
        after: Option<ShipmentId>,
        limit: i64,
    ) -> Result<Vec<ShipmentId>> {
        let ids = self
            .ids_after("shipments", tenant, after.map(|a| a.0), limit)
            .await?;
        Ok(ids.into_iter().map(ShipmentId).collect())
    }

    async fn kpi_order_ids(
        &self,
        tenant: TenantId,
        after: Option<OrderId>,
        limit: i64,
    ) -> Result<Vec<OrderId>> {
        let ids = self
            .ids_after("orders", tenant, after.map(|a| a.0), limit)
            .await?;
        Ok(ids.into_iter().map(OrderId).collect())
    }

    async fn order_turnaround(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<(Vec<i64>, Vec<i64>)> {
        let minutes = |sql: &'static str| async move {
            fetch_rows(
                sqlx::query(sql).arg(tenant.0).arg(us(from)).arg(us(to)),
                &self.read,
                |r| Ok(r.col::<i64>("m")?),
            )
            .await
        };
        Ok((
            minutes(
                "SELECT (released_at - ordered_at) / 60000000 AS m FROM orders \
                 WHERE tenant_id = $1 AND released_at >= $2 AND released_at < $3",
            )
            .await?,
            minutes(
                "SELECT (shipped_at - released_at) / 60000000 AS m FROM orders \
                 WHERE tenant_id = $1 AND shipped_at >= $2 AND shipped_at < $3 \
                 AND released_at IS NOT NULL",
            )
            .await?,
        ))
    }

    async fn kpi_stale_count(&self, tenant: Option<TenantId>) -> Result<u64> {
        let r = match tenant {
            Some(t) => {
                sqlx::query("SELECT COUNT(*) AS n FROM kpi_stale WHERE tenant_id = $1")
                    .arg(t.0)
                    .fetch_one(DB::pool(&self.read))
                    .await?
            }
            None => {
                sqlx::query("SELECT COUNT(*) AS n FROM kpi_stale")
                    .fetch_one(DB::pool(&self.read))
                    .await?
            }
        };
        Ok(r.col::<i64>("n")? as u64)
    }
}

impl<DB: Dialect> SqlStore<DB> {
    /// A page of a tenant's ids in `table` (`shipments` or `orders`), in id order after `after`.
    pub(super) async fn ids_after(
        &self,
        table: &'static str,
        tenant: TenantId,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<Uuid>> {
        let sql =
            format!("SELECT id FROM {table} WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3");
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(after.unwrap_or(Uuid::nil()))
                .arg(limit),
            &self.read,
            |r| Ok(r.col::<Uuid>("id")?),
        )
        .await
    }

    /// The rows of `head` for these ids on the read pool (`… AND col IN (…) tail`, one query
    /// per chunk of ids).
    pub(super) async fn by_ids(
        &self,
        head: &str,
        tenant: TenantId,
        col: &str,
        ids: &[Uuid],
        tail: &str,
    ) -> Result<Vec<DB::Row>> {
        fetch_pool(&self.read, id_queries::<DB>(head, tenant, col, ids, tail)).await
    }
}

fn record_row<DB: Dialect>(r: &DB::Row) -> Result<ShipmentRecord> {
    let origin: String = r.col("origin_json")?;
    let destination: String = r.col("destination_json")?;
    Ok(ShipmentRecord {
        shipment: ShipmentId(r.col("id")?),
        order: r.col::<Option<Uuid>>("order_id")?.map(OrderId),
        carrier: CarrierId(r.col("carrier_id")?),
        origin: json_col::<Place>(&origin, "shipments.origin_json")?,
        destination: json_col::<Place>(&destination, "shipments.destination_json")?,
        channel: r
            .col::<Option<String>>("channel")?
            .map(|c| parsed(Channel::parse(&c)))
            .transpose()?,
        created_at: ts(r.col("created_at")?),
        planned_pickup_at: ots(r.col("planned_pickup_at")?),
        picked_up_at: ots(r.col("picked_up_at")?),
        promised_by: ots(r.col("promised_by")?),
        delivered_at: ots(r.col("delivered_at")?),
        // A shipment without a tracking row has heard nothing yet.
        status: r
            .col::<Option<String>>("status")?
            .map(|s| parsed(ShipmentStatus::parse(&s)))
            .transpose()?
            .unwrap_or(ShipmentStatus::InfoReceived),
        pod_required: r.col("pod_required")?,
        pod_attached: r.col("pod_attached")?,
        international: r.col("international")?,
        documents_complete: r.col("documents_complete")?,
        cases: Vec::new(),
    })
}

fn quantity(r: i64) -> u32 {
    u32::try_from(r.max(0)).unwrap_or(u32::MAX)
}

/// `value` for a `LIKE` that matches it exactly inside a comma-separated list (`_` and `%`
/// in a case type are letters, not wildcards).
fn listed_like(value: &str) -> String {
    let mut s = String::from("%,");
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push_str(",%");
    s
}

/// Appends ` AND <id_col> IN (…)`: the records behind a scorecard figure, from the facts
/// rows (the same rows the figure was counted from).
pub(super) fn push_records<DB: Dialect>(
    qb: &mut QueryBuilder<DB>,
    tenant: TenantId,
    f: &RecordFilter,
    id_col: &str,
) {
    use consign_core::kpi::records::{Outcome, RecordKind};
    let (table, id, day) = match f.kind {
        RecordKind::OnTime(_) | RecordKind::WithoutPromise => {
            ("kpi_shipment_facts", "shipment_id", "delivered_on")
        }
        RecordKind::Exceptions { .. } => ("kpi_shipment_facts", "shipment_id", "shipped_on"),
        RecordKind::Otif { .. } | RecordKind::Perfect { .. } => {
            ("kpi_order_facts", "order_id", "due_on")
        }
    };
    qb.push(format!(
        " AND {id_col} IN (SELECT k.{id} FROM {table} k WHERE k.tenant_id = "
    ))
    .push_arg(tenant.0)
    .push(format!(" AND k.{day} BETWEEN "))
    .push_arg(f.first.to_string())
    .push(" AND ")
    .push_arg(f.last.to_string());
    let hit: Option<bool> = f.outcome.map(|o| o == Outcome::Hit);
    let judged = |qb: &mut QueryBuilder<DB>, cond: &str| {
        if let Some(h) = hit {
            qb.push(format!(" AND {}({cond})", if h { "" } else { "NOT " }));
        }
    };
    if table == "kpi_shipment_facts" {
        qb.push(" AND k.cancelled = FALSE");
        if !f.exclude_carriers.is_empty() {
            qb.push(" AND k.carrier_id NOT IN (");
            let mut sep = qb.separated(", ");
            for c in &f.exclude_carriers {
                sep.push_arg(c.0);
            }
            qb.push(")");
        }
        if !f.exclude_channels.is_empty() {
            qb.push(" AND (k.channel IS NULL OR k.channel NOT IN (");
            let mut sep = qb.separated(", ");
            for c in &f.exclude_channels {
                sep.push_arg(c.as_str());
            }
            qb.push("))");
        }
    }
    match &f.kind {
        RecordKind::OnTime(w) => {
            qb.push(" AND k.days_late IS NOT NULL");
            let mut cond = format!("k.days_late <= {}", w.days_late);
            if !w.early_counts {
                cond.push_str(&format!(" AND k.days_late >= {}", -w.days_early));
            }
            judged(qb, &cond);
        }
        RecordKind::WithoutPromise => {
            qb.push(" AND k.days_late IS NULL");
        }
        RecordKind::Exceptions {
            case_type,
            party,
            lane,
        } => {
            if let Some(l) = lane {
                qb.push(" AND k.lane = ").push_arg(l.clone());
            }
            if let Some(h) = hit {
                let not = if h { "" } else { "NOT " };
                match (case_type, party) {
                    (Some(v), _) | (None, Some(v)) => {
                        let col = if case_type.is_some() {
                            "case_types"
                        } else {
                            "accountables"
                        };
                        qb.push(format!(" AND {not}((',' || k.{col} || ',') LIKE "))
                            .push_arg(listed_like(v))
                            .push(" ESCAPE '\\')");
                    }
                    (None, None) => {
                        qb.push(format!(" AND {not}(k.case_types <> '')"));
                    }
                }
            }
        }
        RecordKind::Otif { version } | RecordKind::Perfect { version } => {
            qb.push(" AND k.counted = TRUE AND k.definitions_version = ")
                .push_arg(*version);
            let col = if matches!(f.kind, RecordKind::Otif { .. }) {
                "otif"
            } else {
                "perfect"
            };
            judged(qb, &format!("k.{col} = TRUE"));
        }
    }
    qb.push(")");
}
