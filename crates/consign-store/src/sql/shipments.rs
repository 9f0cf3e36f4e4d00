//! Shipments, their lines and documents: reads ([`ShipmentStore`]) and writes
//! ([`ShipmentTx`]).

use super::dialect::{DbQuery, Dialect, PushArg, QueryExt, RowExt};
use super::{
    SqlStore, SqlTx, chunk_rows, fetch_row, fetch_rows, json_col, like_prefix, ots, ous, parsed,
    to_json, ts, us,
};
use crate::{Result, ShipmentFilter, ShipmentStore, ShipmentTx};
use consign_core::ids::{CarrierId, DocumentId, OrderId, ShipmentId, TenantId};
use consign_core::shipment::{
    Direction, Document, DocumentKind, Shipment, ShipmentLine, ShipmentStatus,
};
use sqlx::QueryBuilder;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

// A shipment's status and milestones live in `shipment_tracking` (written by every event;
// see migration 0004), the rest in `shipments` (written when the shipment is).
const SHIPMENT_COLS: &str = "s.id, s.number, s.carrier_id, s.service_level, s.tracking_number, \
    s.pro_number, s.bol_number, s.direction, s.order_id, s.origin_json, s.destination_json, s.weight_g, s.pieces, \
    s.planned_pickup_at, s.promised_by, s.international, s.pod_required, t.status, t.picked_up_at, \
    t.delivered_at, s.created_at, CASE WHEN t.updated_at > s.updated_at THEN t.updated_at \
    ELSE s.updated_at END AS updated_at, s.tenant_id";
const SHIPMENT_FROM: &str = " FROM shipments s JOIN shipment_tracking t ON t.tenant_id = \
    s.tenant_id AND t.shipment_id = s.id";
const DOC_COLS: &str = "id, tenant_id, shipment_id, kind, filename, content_type, sha256, \
    size_bytes, uploaded_at, uploaded_by";

fn shipment_row<DB: Dialect>(r: &DB::Row) -> Result<Shipment> {
    let direction: String = r.col("direction")?;
    let status: String = r.col("status")?;
    let origin: String = r.col("origin_json")?;
    let destination: String = r.col("destination_json")?;
    let weight_g: i64 = r.col("weight_g")?;
    let pieces: i64 = r.col("pieces")?;
    Ok(Shipment {
        id: ShipmentId(r.col("id")?),
        tenant_id: TenantId(r.col("tenant_id")?),
        number: r.col("number")?,
        carrier_id: CarrierId(r.col("carrier_id")?),
        service_level: r.col("service_level")?,
        tracking_number: r.col("tracking_number")?,
        pro_number: r.col("pro_number")?,
        bol_number: r.col("bol_number")?,
        direction: parsed(Direction::parse(&direction))?,
        order_id: r.col::<Option<Uuid>>("order_id")?.map(OrderId),
        lines: Vec::new(),
        origin: json_col(&origin, "shipments.origin_json")?,
        destination: json_col(&destination, "shipments.destination_json")?,
        weight_kg: rust_decimal::Decimal::new(weight_g, 3).normalize(),
        pieces: pieces as u32,
        planned_pickup_at: ots(r.col("planned_pickup_at")?),
        promised_by: ots(r.col("promised_by")?),
        international: r.col("international")?,
        pod_required: r.col("pod_required")?,
        status: parsed(ShipmentStatus::parse(&status))?,
        picked_up_at: ots(r.col("picked_up_at")?),
        delivered_at: ots(r.col("delivered_at")?),
        created_at: ts(r.col("created_at")?),
        updated_at: ts(r.col("updated_at")?),
    })
}

fn document_row<DB: Dialect>(r: &DB::Row) -> Result<Document> {
    let kind: String = r.col("kind")?;
    let size: i64 = r.col("size_bytes")?;
    Ok(Document {
        id: DocumentId(r.col("id")?),
        tenant_id: TenantId(r.col("tenant_id")?),
        shipment_id: ShipmentId(r.col("shipment_id")?),
        kind: parsed(DocumentKind::parse(&kind))?,
        filename: r.col("filename")?,
        content_type: r.col("content_type")?,
        sha256: r.col("sha256")?,
        size_bytes: size as u64,
        uploaded_at: ts(r.col("uploaded_at")?),
        uploaded_by: r.col("uploaded_by")?,
    })
}

impl<DB: Dialect> SqlStore<DB> {
    /// The shipments `q` reads (`SHIPMENT_COLS`), with their lines: one query for the page.
    async fn shipments_read(&self, tenant: TenantId, q: DbQuery<'_, DB>) -> Result<Vec<Shipment>> {
        let mut shipments = fetch_rows(q, &self.read, shipment_row::<DB>).await?;
        if shipments.is_empty() {
            return Ok(shipments);
        }
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT shipment_id, line_no, quantity FROM shipment_lines WHERE tenant_id = ",
        );
        qb.push_arg(tenant.0).push(" AND shipment_id IN (");
        let mut sep = qb.separated(", ");
        for s in &shipments {
            sep.push_arg(s.id.0);
        }
        qb.push(") ORDER BY shipment_id, line_no");
        let rows = qb.build().fetch_all(DB::pool(&self.read)).await?;
        let index: HashMap<Uuid, usize> = shipments
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.0, i))
            .collect();
        for r in rows {
            let sid: Uuid = r.col("shipment_id")?;
            let Some(&i) = index.get(&sid) else { continue };
            let line_no: i64 = r.col("line_no")?;
            let qty: i64 = r.col("quantity")?;
            shipments[i].lines.push(ShipmentLine {
                line_no: line_no as u32,
                quantity: qty as u32,
            });
        }
        Ok(shipments)
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> ShipmentStore for SqlStore<DB> {
    async fn shipment(&self, tenant: TenantId, id: ShipmentId) -> Result<Option<Shipment>> {
        let sql =
            format!("SELECT {SHIPMENT_COLS}{SHIPMENT_FROM} WHERE s.tenant_id = $1 AND s.id = $2");
        let q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(tenant.0)
            .arg(id.0);
        Ok(self.shipments_read(tenant, q).await?.pop())
    }

    async fn shipments(&self, tenant: TenantId, f: &ShipmentFilter) -> Result<Vec<Shipment>> {
        let mut qb = QueryBuilder::<DB>::new("");
        push_shipments(&mut qb, SHIPMENT_COLS, tenant, f, true);
        self.shipments_read(tenant, qb.build()).await
    }

    async fn count_shipments_matching(
        &self,
        tenant: TenantId,
        f: &ShipmentFilter,
        cap: u32,
    ) -> Result<u64> {
        // As for orders: the list's rows without its page, at most `cap` read.
        let f = ShipmentFilter {
            after: None,
            limit: cap,
            ..f.clone()
        };
        let mut qb = QueryBuilder::<DB>::new("SELECT COUNT(*) AS n FROM (");
        push_shipments(&mut qb, "s.id", tenant, &f, false);
        qb.push(") AS matching");
        let n: i64 = qb.build().fetch_one(DB::pool(&self.read)).await?.col("n")?;
        Ok(n.max(0) as u64)
    }

    async fn documents(&self, tenant: TenantId, shipment: ShipmentId) -> Result<Vec<Document>> {
        let sql = format!(
            "SELECT {DOC_COLS} FROM documents WHERE tenant_id = $1 AND shipment_id = $2 ORDER BY id"
        );
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(shipment.0),
            &self.read,
            document_row::<DB>,
        )
        .await
    }

    async fn document(&self, tenant: TenantId, id: DocumentId) -> Result<Option<Document>> {
        let sql = format!("SELECT {DOC_COLS} FROM documents WHERE tenant_id = $1 AND id = $2");
        fetch_row(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(id.0),
            &self.read,
            document_row::<DB>,
        )
        .await
    }

    async fn existing_tracking(
        &self,
        tenant: TenantId,
        keys: &[(CarrierId, String)],
    ) -> Result<HashSet<(CarrierId, String)>> {
        let mut found = HashSet::new();
        for chunk in keys.chunks(chunk_rows(1)) {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT carrier_id, tracking_number FROM shipments WHERE tenant_id = ",
            );
            qb.push_arg(tenant.0).push(" AND tracking_number IN (");
            let mut sep = qb.separated(", ");
            for (_, t) in chunk {
                sep.push_arg(t.clone());
            }
            qb.push(")");
            for r in qb.build().fetch_all(DB::pool(&self.read)).await? {
                found.insert((CarrierId(r.col("carrier_id")?), r.col("tracking_number")?));
            }
        }
        let wanted: HashSet<&(CarrierId, String)> = keys.iter().collect();
        found.retain(|k| wanted.contains(k));
        Ok(found)
    }

    async fn count_shipments(&self, tenant: TenantId) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM shipments WHERE tenant_id = $1")
                .arg(tenant.0)
                .fetch_one(DB::pool(&self.read))
                .await?
                .col("n")?,
        )
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> ShipmentTx for SqlTx<DB> {
    async fn insert_shipments(&mut self, shipments: &[Shipment]) -> Result<()> {
        // A new shipment is due for judgement at once (next_check_at = created_at): the
        // sweep applies time-based rules (late pickup, missing documents) to it.
        // The milestones given at creation date the initial status (`status_at`), so a
        // scan that happened before them, arriving late, cannot replace it.
        for chunk in shipments.chunks(chunk_rows(25)) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO shipments (tenant_id, id, number, carrier_id, service_level, \
                 tracking_number, pro_number, bol_number, direction, order_id, origin_json, destination_json, weight_g, \
                 pieces, planned_pickup_at, promised_by, international, pod_required, created_at, \
                 updated_at) ",
            );
            qb.push_values(chunk, |mut b, s| {
                let grams = (s.weight_kg * rust_decimal::Decimal::from(1000)).trunc();
                b.push_arg(s.tenant_id.0)
                    .push_arg(s.id.0)
                    .push_arg(s.number.clone())
                    .push_arg(s.carrier_id.0)
                    .push_arg(s.service_level.clone())
                    .push_arg(s.tracking_number.clone())
                    .push_arg(s.pro_number.clone())
                    .push_arg(s.bol_number.clone())
                    .push_arg(s.direction.as_str())
                    .push_arg(s.order_id.map(|o| o.0))
                    .push_arg(to_json(&s.origin))
                    .push_arg(to_json(&s.destination))
                    .push_arg(i64::try_from(grams).unwrap_or(i64::MAX))
                    .push_arg(s.pieces as i64)
                    .push_arg(ous(s.planned_pickup_at))
                    .push_arg(ous(s.promised_by))
                    .push_arg(s.international)
                    .push_arg(s.pod_required)
                    .push_arg(us(s.created_at))
                    .push_arg(us(s.updated_at));
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        for chunk in shipments.chunks(chunk_rows(10)) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO shipment_tracking (tenant_id, shipment_id, status, status_at, \
                 picked_up_at, delivered_at, next_check_at, due_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, s| {
                b.push_arg(s.tenant_id.0)
                    .push_arg(s.id.0)
                    .push_arg(s.status.as_str())
                    .push_arg(ous(s.delivered_at.or(s.picked_up_at)))
                    .push_arg(ous(s.picked_up_at))
                    .push_arg(ous(s.delivered_at))
                    .push_arg(us(s.created_at))
                    .push_arg(us(s.created_at))
                    .push_arg(us(s.updated_at));
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        let lines: Vec<(&Shipment, &ShipmentLine)> = shipments
            .iter()
            .flat_map(|s| s.lines.iter().map(move |l| (s, l)))
            .collect();
        for chunk in lines.chunks(chunk_rows(4)) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO shipment_lines (tenant_id, shipment_id, line_no, quantity) ",
            );
            qb.push_values(chunk, |mut b, (s, l)| {
                b.push_arg(s.tenant_id.0)
                    .push_arg(s.id.0)
                    .push_arg(l.line_no as i64)
                    .push_arg(l.quantity as i64);
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }

    async fn insert_document(&mut self, d: &Document) -> Result<()> {
        sqlx::query(
            "INSERT INTO documents (tenant_id, id, shipment_id, kind, filename, content_type, \
             sha256, size_bytes, uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10)",
        )
        .arg(d.tenant_id.0)
        .arg(d.id.0)
        .arg(d.shipment_id.0)
        .arg(d.kind.as_str())
        .arg(d.filename.clone())
        .arg(d.content_type.clone())
        .arg(d.sha256.clone())
        .arg(d.size_bytes as i64)
        .arg(us(d.uploaded_at))
        .arg(d.uploaded_by.clone())
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }

    async fn set_promise(
        &mut self,
        tenant: TenantId,
        id: ShipmentId,
        promised_by: jiff::Timestamp,
        now: jiff::Timestamp,
    ) -> Result<bool> {
        self.changed_facts = true;
        let done = sqlx::query(
            "UPDATE shipments SET promised_by = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .arg(us(promised_by))
        .arg(us(now))
        .arg(tenant.0)
        .arg(id.0)
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(super::dialect::RowsAffected::rows_affected(&done) == 1)
    }
}

/// The filter's shipments of `tenant`, newest first, one page (`after`, `limit`): the list and
/// its count read the same rows (the count unordered: any `limit` rows will do).
fn push_shipments<DB: Dialect>(
    qb: &mut QueryBuilder<DB>,
    cols: &str,
    tenant: TenantId,
    f: &ShipmentFilter,
    ordered: bool,
) {
    qb.push(format!("SELECT {cols}{SHIPMENT_FROM} WHERE s.tenant_id = "));
    qb.push_arg(tenant.0);
    if let Some(s) = f.status {
        // Through `shipment_tracking_by_status`, newest first like the rest.
        qb.push(" AND t.status = ").push_arg(s.as_str());
    }
    if let Some(c) = f.carrier {
        qb.push(" AND s.carrier_id = ").push_arg(c.0);
    }
    if let Some(o) = f.order {
        qb.push(" AND s.order_id = ").push_arg(o.0);
    }
    if let Some(t) = f.created_from {
        qb.push(" AND s.created_at >= ").push_arg(us(t));
    }
    if let Some(t) = f.created_to {
        qb.push(" AND s.created_at < ").push_arg(us(t));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        qb.push(" AND (s.tracking_number = ")
            .push_arg(q.to_string());
        qb.push(" OR s.number = ").push_arg(q.to_string());
        qb.push(" OR s.pro_number = ").push_arg(q.to_string());
        qb.push(" OR s.bol_number = ").push_arg(q.to_string());
        qb.push(" OR s.tracking_number LIKE ")
            .push_arg(like_prefix(q))
            .push(" ESCAPE '\\')");
    }
    if let Some(r) = &f.kpi {
        super::kpis::push_records::<DB>(qb, tenant, r, "s.id");
    }
    if let Some(a) = f.after {
        qb.push(" AND s.id < ").push_arg(a.0);
    }
    if ordered {
        qb.push(" ORDER BY s.id DESC");
    }
    qb.push(" LIMIT ").push_arg(f.limit as i64);
}
