//! Tracking events and shipment state: their columns and decoders, and the reads
//! ([`TrackingStore`]). The ingest pipeline's writes are in `ingest.rs`.

use super::dialect::{Dialect, PushArg, QueryExt, RowExt};
use super::{SqlStore, fetch_rows, json_col, ots, parsed, sized_chunks, ts, us};
use crate::{Result, StoreError, TrackingQuality, TrackingStore, UnmappedCode};
use consign_core::ids::{CarrierId, EventId, OrderId, ShipmentId, TenantId};
use consign_core::shipment::{Direction, ShipmentStatus};
use consign_core::tracking::{
    Accountable, TrackedShipment, TrackingEvent, TrackingState, reason_static,
};
use jiff::Timestamp;
use sqlx::QueryBuilder;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub(super) const EVENT_COLS: &str = "tenant_id, id, dedup_key, carrier_id, shipment_id, \
    tracking_number, occurred_at, received_at, status, reason, accountable, eta, source, \
    message_id, raw_code, raw_reason, location, description, unmapped";

// No join with carriers: with stale statistics PostgreSQL would plan from the
// carriers side and scan every shipment of each; the tenant's few carriers are read
// separately and filled in.
pub(super) const TRACKED_COLS: &str = "s.tenant_id, s.id, s.order_id, s.carrier_id, \
    s.service_level, s.direction, s.international, s.pod_required, s.planned_pickup_at, \
    s.promised_by, s.destination_json, s.created_at, t.status, t.status_at, t.reason, \
    t.accountable, t.eta, t.eta_at, t.last_event_at, t.picked_up_at, t.delivered_at, \
    t.next_check_at, t.pod_attached, t.documents_complete, t.open_cases AS has_open_cases";
/// `TRACKED_COLS` in two parts, for engines that read them apart (`lock_tracked`): the
/// shipment's facts, then its tracking state (checked against it by a test).
pub(super) const FACTS_COLS: &str = "s.tenant_id, s.id, s.order_id, s.carrier_id, s.service_level, \
    s.direction, s.international, s.pod_required, s.planned_pickup_at, s.promised_by, \
    s.destination_json, s.created_at";
pub(super) const STATE_COLS: &str = "t.status, t.status_at, t.reason, t.accountable, t.eta, \
    t.eta_at, t.last_event_at, t.picked_up_at, t.delivered_at, t.next_check_at, t.pod_attached, \
    t.documents_complete, t.open_cases AS has_open_cases";
pub(super) const CARRIER_MODES: &str =
    "SELECT id, COALESCE(scac, '') AS scac, mode FROM carriers WHERE tenant_id = $1";

pub(super) fn with_carriers<DB: Dialect>(
    mut rows: Vec<TrackedShipment>,
    carriers: Vec<DB::Row>,
) -> Result<Vec<TrackedShipment>> {
    fill_carriers::<DB>(&mut rows, carriers)?;
    Ok(rows)
}

/// Gives each row its carrier's SCAC and mode; false if some carrier was not among
/// `carriers`.
pub(super) fn fill_carriers<DB: Dialect>(
    rows: &mut [TrackedShipment],
    carriers: Vec<DB::Row>,
) -> Result<bool> {
    let mut by_id = HashMap::new();
    for r in carriers {
        by_id.insert(
            CarrierId(r.col("id")?),
            (r.col::<String>("scac")?, r.col::<String>("mode")?),
        );
    }
    let mut all = true;
    for t in rows {
        match by_id.get(&t.carrier_id) {
            Some((scac, mode)) => {
                t.carrier_scac = scac.clone();
                t.mode = mode.clone();
            }
            None => all = false,
        }
    }
    Ok(all)
}

fn accountable(s: Option<&str>) -> Result<Option<Accountable>> {
    s.map(|s| parsed(Accountable::parse(s))).transpose()
}

fn reason(s: Option<&str>) -> Option<&'static str> {
    s.and_then(reason_static)
}

pub(super) fn key16(v: Vec<u8>) -> Result<[u8; 16]> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt("tracking_events.dedup_key is not 16 bytes".into()))
}

pub(super) fn event_row<DB: Dialect>(r: &DB::Row) -> Result<TrackingEvent> {
    let status: Option<String> = r.col("status")?;
    Ok(TrackingEvent {
        id: EventId(r.col("id")?),
        tenant_id: TenantId(r.col("tenant_id")?),
        carrier_id: CarrierId(r.col("carrier_id")?),
        shipment_id: r.col::<Option<Uuid>>("shipment_id")?.map(ShipmentId),
        tracking_number: r.col("tracking_number")?,
        occurred_at: ts(r.col("occurred_at")?),
        received_at: ts(r.col("received_at")?),
        status: status
            .map(|s| parsed(ShipmentStatus::parse(&s)))
            .transpose()?,
        reason: reason(r.col("reason")?),
        accountable: accountable(r.col("accountable")?)?,
        eta: ots(r.col("eta")?),
        source: r.col("source")?,
        message_id: r.col("message_id")?,
        raw_code: r.col("raw_code")?,
        raw_reason: r.col("raw_reason")?,
        location: r.col("location")?,
        description: r.col("description")?,
        unmapped: r.col("unmapped")?,
        dedup_key: key16(r.col("dedup_key")?)?,
    })
}

pub(super) fn tracked_row<DB: Dialect>(r: &DB::Row) -> Result<TrackedShipment> {
    tracked_parts::<DB>(r, r, 12)
}

/// A tracked shipment from its facts (`FACTS_COLS` from column 0 of `f`) and its
/// state (`STATE_COLS` from column `so` of `s`); one row holds both when read joined.
///
/// Columns are read by position (`RowExt::at`) and without the driver's per-value type
/// check: a batch's tracking rows are decoded by the thousand, and looking each
/// column up by name (a hash and a string comparison) and checking its type took
/// most of the decoding time (docs/performance.md). Only for queries whose column
/// list is the constant next to the decoder (`TRACKED_COLS`, checked by a test).
pub(super) fn tracked_parts<DB: Dialect>(
    f: &DB::Row,
    s: &DB::Row,
    so: usize,
) -> Result<TrackedShipment> {
    let dest: super::DestinationZone = json_col(f.at(10)?, "shipments.destination_json")?;
    Ok(TrackedShipment {
        tenant_id: TenantId(f.at(0)?),
        id: ShipmentId(f.at(1)?),
        order_id: f.at::<Option<Uuid>>(2)?.map(OrderId),
        carrier_id: CarrierId(f.at(3)?),
        carrier_scac: String::new(),
        mode: String::new(),
        service: f.at(4)?,
        direction: parsed(Direction::parse(f.at(5)?))?,
        international: f.at(6)?,
        pod_required: f.at(7)?,
        planned_pickup_at: ots(f.at(8)?),
        promised_by: ots(f.at(9)?),
        destination_tz: dest.time_zone,
        created_at: ts(f.at(11)?),
        state: TrackingState {
            status: parsed(ShipmentStatus::parse(s.at(so)?))?,
            status_at: ots(s.at(so + 1)?),
            reason: reason(s.at(so + 2)?),
            accountable: accountable(s.at(so + 3)?)?,
            eta: ots(s.at(so + 4)?),
            eta_at: ots(s.at(so + 5)?),
            last_event_at: ots(s.at(so + 6)?),
            picked_up_at: ots(s.at(so + 7)?),
            delivered_at: ots(s.at(so + 8)?),
        },
        next_check_at: ots(s.at(so + 9)?),
        pod_attached: s.at(so + 10)?,
        documents_complete: s.at(so + 11)?,
        has_open_cases: s.at(so + 12)?,
    })
}

#[cfg(test)]
#[test]
pub(super) fn tracked_row_reads_the_columns_of_tracked_cols_in_their_order() {
    let names: Vec<&str> = TRACKED_COLS
        .split(',')
        .map(|c| {
            c.trim()
                .rsplit(' ')
                .next()
                .unwrap()
                .rsplit('.')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        names,
        [
            "tenant_id",
            "id",
            "order_id",
            "carrier_id",
            "service_level",
            "direction",
            "international",
            "pod_required",
            "planned_pickup_at",
            "promised_by",
            "destination_json",
            "created_at",
            "status",
            "status_at",
            "reason",
            "accountable",
            "eta",
            "eta_at",
            "last_event_at",
            "picked_up_at",
            "delivered_at",
            "next_check_at",
            "pod_attached",
            "documents_complete",
            "has_open_cases",
        ]
    );
    let parts = format!("{FACTS_COLS}, {STATE_COLS}");
    let squash = |c: &str| c.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(squash(&parts), squash(TRACKED_COLS));
}

/// `SELECT … WHERE tenant_id = $t AND <col> <in ids>`, one query per chunk of ids; the
/// engine says how a list of ids is written (`Dialect::id_list`) and how many fit at once.
pub(super) fn id_queries<DB: Dialect>(
    head: &str,
    tenant: TenantId,
    col: &str,
    ids: &[Uuid],
    tail: &str,
) -> Vec<QueryBuilder<DB>> {
    let chunks = if DB::id_chunk() == 0 {
        vec![ids]
    } else {
        sized_chunks(ids, DB::id_chunk())
    };
    chunks
        .into_iter()
        .map(|chunk| {
            let mut qb = QueryBuilder::<DB>::new(head.to_string());
            qb.push_arg(tenant.0).push(" AND ");
            DB::id_list(&mut qb, col, chunk);
            qb.push(tail.to_string());
            qb
        })
        .collect()
}

pub(super) async fn fetch_pool<DB: Dialect>(
    pool: &sqlx::Pool<DB>,
    qbs: Vec<QueryBuilder<DB>>,
) -> Result<Vec<DB::Row>> {
    let mut out = Vec::new();
    for mut qb in qbs {
        out.extend(qb.build().fetch_all(DB::pool(pool)).await?);
    }
    Ok(out)
}

pub(super) async fn fetch_conn<DB: Dialect>(
    conn: &mut DB::Connection,
    qbs: Vec<QueryBuilder<DB>>,
) -> Result<Vec<DB::Row>> {
    let mut out = Vec::new();
    for mut qb in qbs {
        out.extend(qb.build().fetch_all(DB::conn(&mut *conn)).await?);
    }
    Ok(out)
}

/// The distinct tracking numbers of `keys`, for the lookup by number.
pub(crate) fn distinct_numbers(keys: &[(CarrierId, String)]) -> Vec<String> {
    keys.iter()
        .map(|(_, t)| t.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect()
}

/// Adds a row of the lookup by tracking number to what was found.
pub(crate) fn found_by_number<DB: Dialect>(
    r: &DB::Row,
    found: &mut HashMap<(CarrierId, String), ShipmentId>,
) -> Result<()> {
    found.insert(
        (
            CarrierId(r.col("carrier_id")?),
            r.col::<String>("tracking_number")?,
        ),
        ShipmentId(r.col("id")?),
    );
    Ok(())
}

#[async_trait::async_trait]
impl<DB: Dialect> TrackingStore for SqlStore<DB> {
    async fn shipment_ids_by_tracking(
        &self,
        tenant: TenantId,
        keys: &[(CarrierId, String)],
    ) -> Result<HashMap<(CarrierId, String), ShipmentId>> {
        let mut found = HashMap::new();
        for mut qb in DB::by_tracking_number(tenant.0, &distinct_numbers(keys)) {
            for r in qb.build().fetch_all(DB::pool(&self.read)).await? {
                found_by_number::<DB>(&r, &mut found)?;
            }
        }
        Ok(found)
    }

    async fn tracked_shipments(
        &self,
        tenant: TenantId,
        ids: &[ShipmentId],
    ) -> Result<Vec<TrackedShipment>> {
        let ids: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
        let rows = fetch_pool(
            &self.read,
            DB::tracked_query(TRACKED_COLS, tenant.0, &ids, false),
        )
        .await?
        .iter()
        .map(tracked_row::<DB>)
        .collect::<Result<Vec<_>>>()?;
        let carriers = sqlx::query(CARRIER_MODES)
            .arg(tenant.0)
            .fetch_all(DB::pool(&self.read))
            .await?;
        with_carriers::<DB>(rows, carriers)
    }

    async fn tracking_events(
        &self,
        tenant: TenantId,
        shipments: &[ShipmentId],
    ) -> Result<Vec<TrackingEvent>> {
        let ids: Vec<Uuid> = shipments.iter().map(|i| i.0).collect();
        let head = format!("SELECT {EVENT_COLS} FROM tracking_events WHERE tenant_id = ");
        let mut v = fetch_pool(
            &self.read,
            id_queries::<DB>(&head, tenant, "shipment_id", &ids, ""),
        )
        .await?
        .iter()
        .map(event_row::<DB>)
        .collect::<Result<Vec<_>>>()?;
        v.sort_by_key(|e| (e.occurred_at, e.id));
        Ok(v)
    }

    async fn orphan_events(&self, tenant: TenantId, limit: u32) -> Result<Vec<TrackingEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLS} FROM tracking_events WHERE tenant_id = $1 \
             AND shipment_id IS NULL ORDER BY id DESC LIMIT $2"
        );
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(limit as i64),
            &self.read,
            event_row::<DB>,
        )
        .await
    }

    async fn tracking_quality(&self, tenant: TenantId) -> Result<TrackingQuality> {
        let orphans: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM tracking_events WHERE tenant_id = $1 \
             AND shipment_id IS NULL",
        )
        .arg(tenant.0)
        .fetch_one(DB::pool(&self.read))
        .await?
        .col("n")?;
        let events: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM tracking_events WHERE tenant_id = $1")
                .arg(tenant.0)
                .fetch_one(DB::pool(&self.read))
                .await?
                .col("n")?;
        let rows = sqlx::query(
            "SELECT source, raw_code, raw_reason, COUNT(*) AS n FROM tracking_events \
             WHERE tenant_id = $1 AND unmapped = $2 GROUP BY source, raw_code, raw_reason \
             ORDER BY n DESC, source, raw_code LIMIT 200",
        )
        .arg(tenant.0)
        .arg(true)
        .fetch_all(DB::pool(&self.read))
        .await?;
        let mut unmapped = Vec::new();
        for r in rows {
            unmapped.push(UnmappedCode {
                source: r.col("source")?,
                raw_code: r.col("raw_code")?,
                raw_reason: r.col("raw_reason")?,
                count: r.col("n")?,
            });
        }
        Ok(TrackingQuality {
            events,
            orphans,
            unmapped,
        })
    }

    async fn carrier_activity(&self, tenant: TenantId) -> Result<Vec<(CarrierId, Timestamp)>> {
        // The statuses still moving, listed rather than negated, so the status index reads
        // only the shipments in flight (a tenant's delivered history is most of its rows);
        // `CROSS JOIN` keeps SQLite starting from them. 3 ms to 1 ms per sweep on the demo.
        let moving = ShipmentStatus::ALL
            .iter()
            .filter(|s| !s.is_terminal())
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT s.carrier_id, MAX(COALESCE(t.last_event_at, t.picked_up_at)) AS last \
             FROM shipment_tracking t CROSS JOIN shipments s WHERE s.tenant_id = t.tenant_id \
             AND s.id = t.shipment_id AND t.tenant_id = $1 AND t.picked_up_at IS NOT NULL \
             AND t.status IN ({moving}) GROUP BY s.carrier_id"
        );
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(tenant.0),
            &self.read,
            |r| Ok((CarrierId(r.col("carrier_id")?), ts(r.col("last")?))),
        )
        .await
    }

    async fn due_shipments(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(TenantId, ShipmentId)>> {
        // Provider-level worker query: it names no tenant because it serves all of
        // them; every row it returns is then processed under its own tenant id.
        let rows = sqlx::query(
            "SELECT tenant_id, shipment_id AS id FROM shipment_tracking \
             WHERE due_at IS NOT NULL AND due_at <= $1 ORDER BY due_at LIMIT $2",
        )
        .arg(us(now))
        .arg(limit as i64)
        .fetch_all(DB::pool(&self.read))
        .await?;
        rows.iter()
            .map(|r| Ok((TenantId(r.col("tenant_id")?), ShipmentId(r.col("id")?))))
            .collect()
    }

    async fn shipment_ids_page(
        &self,
        tenant: TenantId,
        after: Option<ShipmentId>,
        limit: u32,
    ) -> Result<Vec<ShipmentId>> {
        let rows = sqlx::query(
            "SELECT id FROM shipments WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .arg(tenant.0)
        .arg(after.map(|a| a.0).unwrap_or(Uuid::nil()))
        .arg(limit as i64)
        .fetch_all(DB::pool(&self.read))
        .await?;
        rows.iter().map(|r| Ok(ShipmentId(r.col("id")?))).collect()
    }
}
