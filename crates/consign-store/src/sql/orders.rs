//! Orders, their lines and changes: reads ([`OrderStore`]) and writes ([`OrderTx`]).

use super::dialect::{DbQuery, Dialect, PushArg, QueryExt, RowExt, RowsAffected};
use super::{
    SqlStore, SqlTx, chunk_rows, fetch_rows, json_col, like_prefix, ots, ous, parsed, to_json, ts,
    us,
};
use crate::{OrderFilter, OrderStore, OrderTx, Result, StoreError};
use consign_core::ids::{CustomerId, OrderId, TenantId};
use consign_core::money::{Currency, from_minor, to_minor};
use consign_core::order::{Channel, Order, OrderChange, OrderLine, OrderStatus};
use sqlx::QueryBuilder;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub(crate) const ORDER_COLS: &str = "id, number, external_ref, customer_id, customer_json, \
    ship_to_json, channel, currency, promised_by, status, ordered_at, created_at, updated_at, \
    version, tenant_id";

pub(crate) const ORDER_LINES_HEAD: &str = "SELECT order_id, line_no, sku, description, quantity, \
    unit_price_minor FROM order_lines WHERE tenant_id = ";

/// Puts order-line rows (`ORDER_LINES_HEAD`) under their orders.
pub(crate) fn attach_order_lines<DB: Dialect>(
    orders: &mut [Order],
    rows: &[DB::Row],
) -> Result<()> {
    let index: HashMap<Uuid, usize> = orders
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.0, i))
        .collect();
    for r in rows {
        let oid: Uuid = r.col("order_id")?;
        let Some(&i) = index.get(&oid) else { continue };
        let o = &mut orders[i];
        let line_no: i64 = r.col("line_no")?;
        let qty: i64 = r.col("quantity")?;
        let price: i64 = r.col("unit_price_minor")?;
        o.lines.push(OrderLine {
            line_no: line_no as u32,
            sku: r.col("sku")?,
            description: r.col("description")?,
            quantity: qty as u32,
            unit_price: from_minor(price, &o.currency),
        });
    }
    Ok(())
}

/// Shipped and delivered quantities per order line, from outbound shipments that are
/// not cancelled (delivered: their tracking state has a delivery). The caller adds the
/// order condition between head and tail.
///
/// `CROSS JOIN` with the join conditions in `WHERE` is an inner join on both engines, but
/// SQLite also keeps the tables in the written order: without it, its planner (with no
/// statistics) started from the tenant's every shipment line and the query grew with the
/// tenant rather than with the orders asked for — 5 ms a call on the demo's ingest path.
pub(crate) const FULFILMENT_HEAD: &str = "SELECT s.order_id, sl.line_no, CAST(SUM(sl.quantity) AS \
    BIGINT) AS shipped, CAST(SUM(CASE WHEN t.delivered_at IS NOT NULL THEN sl.quantity \
    ELSE 0 END) AS BIGINT) AS delivered FROM shipments s CROSS JOIN shipment_lines sl \
    CROSS JOIN shipment_tracking t WHERE sl.tenant_id = s.tenant_id AND sl.shipment_id = s.id \
    AND t.tenant_id = s.tenant_id AND t.shipment_id = s.id AND s.tenant_id = ";
pub(crate) const FULFILMENT_TAIL: &str =
    " AND s.direction = 'outbound' AND t.status <> 'cancelled' GROUP BY s.order_id, sl.line_no";

pub(crate) fn fold_fulfilment<DB: Dialect>(
    rows: &[DB::Row],
    out: &mut HashMap<OrderId, (Vec<u32>, Vec<u32>)>,
) -> Result<()> {
    for r in rows {
        let order = OrderId(r.col("order_id")?);
        let line: i64 = r.col("line_no")?;
        let i = (line.max(1) - 1) as usize;
        let (shipped, delivered) = out.entry(order).or_default();
        if shipped.len() <= i {
            shipped.resize(i + 1, 0);
            delivered.resize(i + 1, 0);
        }
        shipped[i] = r.col::<i64>("shipped")? as u32;
        delivered[i] = r.col::<i64>("delivered")? as u32;
    }
    Ok(())
}

pub(crate) fn order_row<DB: Dialect>(r: &DB::Row) -> Result<Order> {
    let channel: String = r.col("channel")?;
    let status: String = r.col("status")?;
    let currency: String = r.col("currency")?;
    let customer_json: String = r.col("customer_json")?;
    let ship_to_json: String = r.col("ship_to_json")?;
    Ok(Order {
        id: OrderId(r.col("id")?),
        tenant_id: TenantId(r.col("tenant_id")?),
        number: r.col("number")?,
        external_ref: r.col("external_ref")?,
        customer_id: CustomerId(r.col("customer_id")?),
        customer: json_col(&customer_json, "orders.customer_json")?,
        ship_to: json_col(&ship_to_json, "orders.ship_to_json")?,
        channel: parsed(Channel::parse(&channel))?,
        currency: parsed(Currency::parse(&currency))?,
        lines: Vec::new(),
        promised_by: ots(r.col("promised_by")?),
        status: parsed(OrderStatus::parse(&status))?,
        ordered_at: ts(r.col("ordered_at")?),
        created_at: ts(r.col("created_at")?),
        updated_at: ts(r.col("updated_at")?),
        version: r.col("version")?,
    })
}

impl<DB: Dialect> SqlStore<DB> {
    /// Attaches order lines to orders with one query for the whole page (no N+1).
    async fn with_order_lines(
        &self,
        tenant: TenantId,
        mut orders: Vec<Order>,
    ) -> Result<Vec<Order>> {
        if orders.is_empty() {
            return Ok(orders);
        }
        let mut qb = QueryBuilder::<DB>::new(ORDER_LINES_HEAD);
        qb.push_arg(tenant.0).push(" AND order_id IN (");
        let mut sep = qb.separated(", ");
        for o in &orders {
            sep.push_arg(o.id.0);
        }
        qb.push(") ORDER BY order_id, line_no");
        let rows = qb.build().fetch_all(DB::pool(&self.read)).await?;
        attach_order_lines::<DB>(&mut orders, &rows)?;
        Ok(orders)
    }

    /// The orders `q` reads (`ORDER_COLS`), with their lines.
    async fn orders_read(&self, tenant: TenantId, q: DbQuery<'_, DB>) -> Result<Vec<Order>> {
        let orders = fetch_rows(q, &self.read, order_row::<DB>).await?;
        self.with_order_lines(tenant, orders).await
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> OrderStore for SqlStore<DB> {
    async fn order(&self, tenant: TenantId, id: OrderId) -> Result<Option<Order>> {
        let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE tenant_id = $1 AND id = $2");
        let q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(tenant.0)
            .arg(id.0);
        Ok(self.orders_read(tenant, q).await?.pop())
    }

    async fn order_by_ref(&self, tenant: TenantId, reference: &str) -> Result<Option<Order>> {
        let sql = format!(
            "SELECT {ORDER_COLS} FROM orders WHERE tenant_id = $1 AND external_ref = $2 \
             UNION ALL SELECT {ORDER_COLS} FROM orders WHERE tenant_id = $1 AND number = $2 LIMIT 1"
        );
        let q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(tenant.0)
            .arg(reference.to_string());
        Ok(self.orders_read(tenant, q).await?.pop())
    }

    async fn orders(&self, tenant: TenantId, f: &OrderFilter) -> Result<Vec<Order>> {
        let mut qb = QueryBuilder::<DB>::new("");
        push_orders(&mut qb, ORDER_COLS, tenant, f, true);
        self.orders_read(tenant, qb.build()).await
    }

    async fn count_orders_matching(
        &self,
        tenant: TenantId,
        f: &OrderFilter,
        cap: u32,
    ) -> Result<u64> {
        // The same rows as the list without its page, at most `cap` of them read: a list says
        // "10,000+" rather than counting a million rows on every page.
        let f = OrderFilter {
            after: None,
            limit: cap,
            ..f.clone()
        };
        let mut qb = QueryBuilder::<DB>::new("SELECT COUNT(*) AS n FROM (");
        push_orders(&mut qb, "id", tenant, &f, false);
        qb.push(") AS matching");
        let n: i64 = qb.build().fetch_one(DB::pool(&self.read)).await?.col("n")?;
        Ok(n.max(0) as u64)
    }

    async fn order_changes(&self, tenant: TenantId, order: OrderId) -> Result<Vec<OrderChange>> {
        let rows = sqlx::query(
            "SELECT id, order_id, kind, reason, request_json, actor, at FROM order_changes \
             WHERE tenant_id = $1 AND order_id = $2 ORDER BY at, id",
        )
        .arg(tenant.0)
        .arg(order.0)
        .fetch_all(DB::pool(&self.read))
        .await?;
        rows.iter()
            .map(|r| {
                let req: String = r.col("request_json")?;
                Ok(OrderChange {
                    id: r.col("id")?,
                    order_id: OrderId(r.col("order_id")?),
                    kind: r.col("kind")?,
                    reason: r.col("reason")?,
                    request: json_col(&req, "order_changes.request_json")?,
                    actor: r.col("actor")?,
                    at: ts(r.col("at")?),
                })
            })
            .collect()
    }

    async fn orders_by_refs(&self, tenant: TenantId, refs: &[String]) -> Result<Vec<Order>> {
        let mut out = Vec::with_capacity(refs.len());
        for chunk in refs.chunks(chunk_rows(1)) {
            let mut qb = QueryBuilder::<DB>::new(format!(
                "SELECT {ORDER_COLS} FROM orders WHERE tenant_id = "
            ));
            qb.push_arg(tenant.0).push(" AND external_ref IN (");
            let mut sep = qb.separated(", ");
            for r in chunk {
                sep.push_arg(r.clone());
            }
            qb.push(")");
            let orders = fetch_rows(qb.build(), &self.read, order_row::<DB>).await?;
            for part in orders.chunks(chunk_rows(1)) {
                out.extend(self.with_order_lines(tenant, part.to_vec()).await?);
            }
        }
        Ok(out)
    }

    async fn fulfilment_many(
        &self,
        tenant: TenantId,
        orders: &[OrderId],
    ) -> Result<HashMap<OrderId, (Vec<u32>, Vec<u32>)>> {
        let mut out: HashMap<OrderId, (Vec<u32>, Vec<u32>)> = HashMap::new();
        for chunk in orders.chunks(chunk_rows(1)) {
            let mut qb = QueryBuilder::<DB>::new(FULFILMENT_HEAD);
            qb.push_arg(tenant.0).push(" AND s.order_id IN (");
            let mut sep = qb.separated(", ");
            for o in chunk {
                sep.push_arg(o.0);
            }
            qb.push(")").push(FULFILMENT_TAIL);
            fold_fulfilment::<DB>(&qb.build().fetch_all(DB::pool(&self.read)).await?, &mut out)?;
        }
        Ok(out)
    }

    async fn existing_order_refs(
        &self,
        tenant: TenantId,
        refs: &[String],
    ) -> Result<HashSet<String>> {
        let mut found = HashSet::new();
        for chunk in refs.chunks(chunk_rows(1)) {
            let mut qb =
                QueryBuilder::<DB>::new("SELECT external_ref FROM orders WHERE tenant_id = ");
            qb.push_arg(tenant.0).push(" AND external_ref IN (");
            let mut sep = qb.separated(", ");
            for r in chunk {
                sep.push_arg(r.clone());
            }
            qb.push(")");
            for r in qb.build().fetch_all(DB::pool(&self.read)).await? {
                found.insert(r.col("external_ref")?);
            }
        }
        Ok(found)
    }

    async fn count_orders(&self, tenant: TenantId) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM orders WHERE tenant_id = $1")
                .arg(tenant.0)
                .fetch_one(DB::pool(&self.read))
                .await?
                .col("n")?,
        )
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> OrderTx for SqlTx<DB> {
    async fn next_numbers(&mut self, tenant: TenantId, counter: &str, n: u64) -> Result<i64> {
        let last: i64 = sqlx::query(
            "INSERT INTO counters (tenant_id, name, value) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, name) DO UPDATE SET value = counters.value + $3 \
             RETURNING value",
        )
        .arg(tenant.0)
        .arg(counter.to_string())
        .arg(n as i64)
        .fetch_one(DB::conn(&mut self.tx))
        .await?
        .col("value")?;
        Ok(last - n as i64 + 1)
    }

    async fn insert_orders(&mut self, orders: &[Order]) -> Result<()> {
        for chunk in orders.chunks(chunk_rows(16)) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO orders (tenant_id, id, number, external_ref, customer_id, \
                 customer_json, ship_to_json, channel, currency, total_minor, promised_by, status, \
                 ordered_at, created_at, updated_at, version) ",
            );
            let mut bad = None;
            qb.push_values(chunk, |mut b, o| {
                let total = to_minor(o.total(), &o.currency).unwrap_or_else(|e| {
                    bad = Some(e);
                    0
                });
                b.push_arg(o.tenant_id.0)
                    .push_arg(o.id.0)
                    .push_arg(o.number.clone())
                    .push_arg(o.external_ref.clone())
                    .push_arg(o.customer_id.0)
                    .push_arg(to_json(&o.customer))
                    .push_arg(to_json(&o.ship_to))
                    .push_arg(o.channel.as_str())
                    .push_arg(o.currency.code().to_string())
                    .push_arg(total)
                    .push_arg(ous(o.promised_by))
                    .push_arg(o.status.as_str())
                    .push_arg(us(o.ordered_at))
                    .push_arg(us(o.created_at))
                    .push_arg(us(o.updated_at))
                    .push_arg(o.version);
            });
            if let Some(e) = bad {
                return Err(StoreError::Corrupt(format!("order total: {e}")));
            }
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        let lines: Vec<(&Order, &OrderLine)> = orders
            .iter()
            .flat_map(|o| o.lines.iter().map(move |l| (o, l)))
            .collect();
        for chunk in lines.chunks(chunk_rows(7)) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO order_lines (tenant_id, order_id, line_no, sku, description, \
                 quantity, unit_price_minor) ",
            );
            let mut bad = None;
            qb.push_values(chunk, |mut b, (o, l)| {
                let price = to_minor(l.unit_price, &o.currency).unwrap_or_else(|e| {
                    bad = Some(e);
                    0
                });
                b.push_arg(o.tenant_id.0)
                    .push_arg(o.id.0)
                    .push_arg(l.line_no as i64)
                    .push_arg(l.sku.clone())
                    .push_arg(l.description.clone())
                    .push_arg(l.quantity as i64)
                    .push_arg(price);
            });
            if let Some(e) = bad {
                return Err(StoreError::Corrupt(format!("unit price: {e}")));
            }
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }

    async fn update_orders(&mut self, orders: &[Order]) -> Result<()> {
        // One statement per chunk: UPDATE … FROM (VALUES …) works on both engines, and
        // VALUES columns are named column1… on both (SQLite has no alias column lists).
        for chunk in orders.chunks(chunk_rows(8)) {
            let mut qb = QueryBuilder::<DB>::new(
                "UPDATE orders SET ship_to_json = v.column3, promised_by = v.column4, status = \
                 v.column5, updated_at = v.column6, version = v.column7 FROM (",
            );
            qb.push_values(chunk, |mut b, o| {
                b.push_arg(o.tenant_id.0)
                    .push_arg(o.id.0)
                    .push_arg(to_json(&o.ship_to))
                    .push_arg(ous(o.promised_by))
                    .push_arg(o.status.as_str())
                    .push_arg(us(o.updated_at))
                    .push_arg(o.version)
                    .push_arg(o.version - 1);
            });
            qb.push(
                ") AS v WHERE orders.tenant_id = v.column1 AND orders.id = v.column2 \
                 AND orders.version = v.column8",
            );
            let n = qb
                .build()
                .execute(DB::conn(&mut self.tx))
                .await?
                .rows_affected();
            if n != chunk.len() as u64 {
                let which = if chunk.len() == 1 {
                    format!("order {}", chunk[0].number)
                } else {
                    format!("{} of {} orders", chunk.len() as u64 - n, chunk.len())
                };
                return Err(StoreError::Concurrent(which));
            }
        }
        Ok(())
    }

    async fn insert_order_change(&mut self, tenant: TenantId, c: &OrderChange) -> Result<()> {
        sqlx::query(
            "INSERT INTO order_changes (tenant_id, id, order_id, kind, reason, request_json, \
             actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .arg(tenant.0)
        .arg(c.id)
        .arg(c.order_id.0)
        .arg(c.kind.clone())
        .arg(c.reason.clone())
        .arg(to_json(&c.request))
        .arg(c.actor.clone())
        .arg(us(c.at))
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }
}

/// The filter's orders of `tenant`, newest first, one page (`after`, `limit`): the list and
/// its count read the same rows (the count unordered: any `limit` rows will do).
fn push_orders<DB: Dialect>(
    qb: &mut QueryBuilder<DB>,
    cols: &str,
    tenant: TenantId,
    f: &OrderFilter,
    ordered: bool,
) {
    qb.push(format!("SELECT {cols} FROM orders WHERE tenant_id = "));
    qb.push_arg(tenant.0);
    if let Some(s) = f.status {
        qb.push(" AND status = ").push_arg(s.as_str());
    }
    if let Some(t) = f.ordered_from {
        qb.push(" AND ordered_at >= ").push_arg(us(t));
    }
    if let Some(t) = f.ordered_to {
        qb.push(" AND ordered_at < ").push_arg(us(t));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        qb.push(" AND (external_ref = ").push_arg(q.to_string());
        qb.push(" OR number = ").push_arg(q.to_string());
        qb.push(" OR external_ref LIKE ")
            .push_arg(like_prefix(q))
            .push(" ESCAPE '\\')");
    }
    if let Some(r) = &f.kpi {
        super::kpis::push_records::<DB>(qb, tenant, r, "id");
    }
    if let Some(a) = f.after {
        qb.push(" AND id < ").push_arg(a.0);
    }
    if ordered {
        qb.push(" ORDER BY id DESC");
    }
    qb.push(" LIMIT ").push_arg(f.limit as i64);
}
