//! Tracking events and shipment state, the ingest pipeline's writes: reads
//! ([`TrackingStore`]) and writes ([`TrackingTx`]).
//!
//! Writes are batched: one multi-row statement per chunk for events, state and cases, so an
//! ingest transaction costs a handful of round trips whatever its size.

use super::dialect::{Dialect, PushArg, QueryExt, RowExt, RowsAffected};
use super::orders::{
    FULFILMENT_HEAD, FULFILMENT_TAIL, ORDER_COLS, ORDER_LINES_HEAD, attach_order_lines,
    fold_fulfilment, order_row,
};
use super::{SqlStore, SqlTx, chunk_rows, json_col, ots, ous, parsed, sized_chunks, ts, us};
use crate::{Result, StoreError, TrackingQuality, TrackingStore, TrackingTx, UnmappedCode};
use consign_core::ids::{CarrierId, EventId, OrderId, ShipmentId, TenantId};
use consign_core::order::Order;
use consign_core::shipment::{Direction, ShipmentStatus};
use consign_core::tracking::{
    Accountable, TrackedShipment, TrackingEvent, TrackingState, reason_static,
};
use jiff::Timestamp;
use sqlx::QueryBuilder;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

const EVENT_COLS: &str = "tenant_id, id, dedup_key, carrier_id, shipment_id, tracking_number, \
    occurred_at, received_at, status, reason, accountable, eta, source, message_id, raw_code, \
    raw_reason, location, description, unmapped";

// No join with carriers: with stale statistics PostgreSQL would plan from the
// carriers side and scan every shipment of each; the tenant's few carriers are read
// separately and filled in.
const TRACKED_COLS: &str = "s.tenant_id, s.id, s.order_id, s.carrier_id, s.service_level, \
    s.direction, s.international, s.pod_required, s.planned_pickup_at, s.promised_by, \
    s.destination_json, s.created_at, t.status, t.status_at, t.reason, t.accountable, t.eta, \
    t.eta_at, t.last_event_at, t.picked_up_at, t.delivered_at, t.next_check_at, t.pod_attached, \
    t.documents_complete, t.open_cases AS has_open_cases";
/// `TRACKED_COLS` in two parts, for engines that read them apart (`lock_tracked`): the
/// shipment's facts, then its tracking state (checked against it by a test).
const FACTS_COLS: &str = "s.tenant_id, s.id, s.order_id, s.carrier_id, s.service_level, \
    s.direction, s.international, s.pod_required, s.planned_pickup_at, s.promised_by, \
    s.destination_json, s.created_at";
const STATE_COLS: &str = "t.status, t.status_at, t.reason, t.accountable, t.eta, t.eta_at, \
    t.last_event_at, t.picked_up_at, t.delivered_at, t.next_check_at, t.pod_attached, \
    t.documents_complete, t.open_cases AS has_open_cases";
const CARRIER_MODES: &str =
    "SELECT id, COALESCE(scac, '') AS scac, mode FROM carriers WHERE tenant_id = $1";

fn with_carriers<DB: Dialect>(
    mut rows: Vec<TrackedShipment>,
    carriers: Vec<DB::Row>,
) -> Result<Vec<TrackedShipment>> {
    fill_carriers::<DB>(&mut rows, carriers)?;
    Ok(rows)
}

/// Gives each row its carrier's SCAC and mode; false if some carrier was not among
/// `carriers`.
fn fill_carriers<DB: Dialect>(
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

fn key16(v: Vec<u8>) -> Result<[u8; 16]> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt("tracking_events.dedup_key is not 16 bytes".into()))
}

fn event_row<DB: Dialect>(r: &DB::Row) -> Result<TrackingEvent> {
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

fn tracked_row<DB: Dialect>(r: &DB::Row) -> Result<TrackedShipment> {
    tracked_parts::<DB>(r, r, 12)
}

// Columns are read by position (`RowExt::at`) and without the driver's per-value type
// check: a batch's tracking rows are decoded by the thousand, and looking each
// column up by name (a hash and a string comparison) and checking its type took
// most of the decoding time (docs/performance.md). Only for queries whose column
// list is the constant next to the decoder (`TRACKED_COLS`, checked by a test).
/// A tracked shipment from its facts (`FACTS_COLS` from column 0 of `f`) and its
/// state (`STATE_COLS` from column `so` of `s`); one row holds both when read joined.
fn tracked_parts<DB: Dialect>(f: &DB::Row, s: &DB::Row, so: usize) -> Result<TrackedShipment> {
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
fn tracked_row_reads_the_columns_of_tracked_cols_in_their_order() {
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

async fn fetch_pool<DB: Dialect>(
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

/// `lock_tracked`'s rows as read: one joined row per shipment, or the facts and the
/// state apart (`by_id` indexes the facts by shipment id).
enum RawTracked<DB: Dialect> {
    Joined(Vec<DB::Row>),
    Split {
        facts: Vec<DB::Row>,
        by_id: HashMap<Uuid, usize>,
        state: Vec<DB::Row>,
    },
}

fn decode_tracked<DB: Dialect>(raw: RawTracked<DB>) -> Result<Vec<TrackedShipment>> {
    match raw {
        RawTracked::Joined(rows) => rows.iter().map(tracked_row::<DB>).collect(),
        RawTracked::Split {
            facts,
            by_id,
            state,
        } => {
            let mut rows = Vec::with_capacity(state.len());
            for s in &state {
                let id: Uuid = s.at(0)?;
                let f = by_id.get(&id).map(|&i| &facts[i]).ok_or_else(|| {
                    StoreError::Corrupt(format!("shipment_tracking row {id} has no shipment"))
                })?;
                rows.push(tracked_parts::<DB>(f, s, 1)?);
            }
            Ok(rows)
        }
    }
}

/// The statements inserting these events, new ones only (`ON CONFLICT` on the dedup
/// key), each with the events it carries.
fn event_inserts<'e, DB: Dialect>(
    events: &'e [&'e TrackingEvent],
) -> Vec<(QueryBuilder<DB>, &'e [&'e TrackingEvent])> {
    sized_chunks(events, chunk_rows(19))
        .into_iter()
        .map(|chunk| {
            let mut qb =
                QueryBuilder::<DB>::new(format!("INSERT INTO tracking_events ({EVENT_COLS}) "));
            qb.push_values(chunk, |mut b, e| {
                b.push_arg(e.tenant_id.0)
                    .push_arg(e.id.0)
                    .push_arg(e.dedup_key.to_vec())
                    .push_arg(e.carrier_id.0)
                    .push_arg(e.shipment_id.map(|s| s.0))
                    .push_arg(e.tracking_number.clone())
                    .push_arg(us(e.occurred_at))
                    .push_arg(us(e.received_at))
                    .push_arg(e.status.map(|s| s.as_str()))
                    .push_arg(e.reason)
                    .push_arg(e.accountable.map(|a| a.as_str()))
                    .push_arg(ous(e.eta))
                    .push_arg(e.source.clone())
                    .push_arg(e.message_id.clone())
                    .push_arg(e.raw_code.clone())
                    .push_arg(e.raw_reason.clone())
                    .push_arg(e.location.clone())
                    .push_arg(e.description.clone())
                    .push_arg(e.unmapped);
            });
            qb.push(" ON CONFLICT (tenant_id, dedup_key) DO NOTHING");
            (qb, chunk)
        })
        .collect()
}
#[async_trait::async_trait]
impl<DB: Dialect> TrackingStore for SqlStore<DB> {
    async fn shipment_ids_by_tracking(
        &self,
        tenant: TenantId,
        keys: &[(CarrierId, String)],
    ) -> Result<HashMap<(CarrierId, String), ShipmentId>> {
        let mut found = HashMap::new();
        let numbers: Vec<String> = keys
            .iter()
            .map(|(_, t)| t.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for mut qb in DB::by_tracking_number(tenant.0, &numbers) {
            for r in qb.build().fetch_all(DB::pool(&self.read)).await? {
                found.insert(
                    (
                        CarrierId(r.col("carrier_id")?),
                        r.col::<String>("tracking_number")?,
                    ),
                    ShipmentId(r.col("id")?),
                );
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
            "SELECT {EVENT_COLS} FROM tracking_events WHERE tenant_id = $1 AND shipment_id IS NULL \
             ORDER BY id DESC LIMIT $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(tenant.0)
            .arg(limit as i64)
            .fetch_all(DB::pool(&self.read))
            .await?
            .iter()
            .map(event_row::<DB>)
            .collect()
    }
    async fn tracking_quality(&self, tenant: TenantId) -> Result<TrackingQuality> {
        let orphans: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM tracking_events WHERE tenant_id \
            = $1 AND shipment_id IS NULL",
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
            "SELECT source, raw_code, raw_reason, COUNT(*) AS n FROM tracking_events WHERE \
             tenant_id = $1 AND unmapped = $2 GROUP BY source, raw_code, raw_reason ORDER BY n \
             DESC, source, raw_code LIMIT 200",
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
        let rows = sqlx::query(
            "SELECT s.carrier_id, MAX(COALESCE(t.last_event_at, t.picked_up_at)) AS last FROM \
             shipment_tracking t JOIN shipments s ON s.tenant_id = t.tenant_id AND s.id = \
             t.shipment_id WHERE t.tenant_id = $1 AND t.picked_up_at IS NOT NULL AND t.status NOT \
             IN ('delivered', 'returned_to_sender', 'cancelled', 'lost') GROUP BY s.carrier_id",
        )
        .arg(tenant.0)
        .fetch_all(DB::pool(&self.read))
        .await?;
        rows.iter()
            .map(|r| Ok((CarrierId(r.col("carrier_id")?), ts(r.col("last")?))))
            .collect()
    }
    async fn due_shipments(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(TenantId, ShipmentId)>> {
        // Provider-level worker query: it names no tenant because it serves all of
        // them; every row it returns is then processed under its own tenant id.
        let rows = sqlx::query(
            "SELECT tenant_id, shipment_id AS id FROM shipment_tracking WHERE due_at IS NOT NULL \
             AND due_at <= $1 ORDER BY due_at LIMIT $2",
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

impl<DB: Dialect> SqlTx<DB> {
    /// The locking read of `lock_tracked`, its rows not yet decoded.
    async fn fetch_tracked(
        &mut self,
        tenant: TenantId,
        ids: &[ShipmentId],
    ) -> Result<RawTracked<DB>> {
        let mut sorted: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
        sorted.sort_unstable();
        sorted.dedup();
        // Only the tracking rows are locked (they are what the pipeline writes), in id
        // order so that two writers with overlapping batches queue instead of
        // deadlocking. SQLite's single writer needs no row locks.
        Ok(
            match DB::split_tracked_query(FACTS_COLS, STATE_COLS, tenant.0, &sorted) {
                // Read and locked in one statement.
                None => RawTracked::Joined(
                    fetch_conn::<DB>(
                        &mut self.tx,
                        DB::tracked_query(TRACKED_COLS, tenant.0, &sorted, true),
                    )
                    .await?,
                ),
                // The facts on a pooled connection while the transaction locks the state:
                // the two run at once in two server processes. Reading the facts outside
                // the transaction sees what the joined read would (shipment rows are not
                // locked either way), except shipments this transaction created itself:
                // those are read again inside it.
                Some((facts, state)) => {
                    let (facts, state) = tokio::join!(
                        fetch_pool(&self.read, vec![facts]),
                        fetch_conn::<DB>(&mut self.tx, vec![state])
                    );
                    let (mut facts, state) = (facts?, state?);
                    let mut by_id: HashMap<Uuid, usize> = HashMap::with_capacity(facts.len());
                    for (i, f) in facts.iter().enumerate() {
                        by_id.insert(f.at(1)?, i);
                    }
                    let unseen: Vec<Uuid> = state
                        .iter()
                        .map(|s| s.at::<Uuid>(0))
                        .collect::<sqlx::Result<Vec<_>>>()?
                        .into_iter()
                        .filter(|id| !by_id.contains_key(id))
                        .collect();
                    if !unseen.is_empty()
                        && let Some((q, _)) =
                            DB::split_tracked_query(FACTS_COLS, STATE_COLS, tenant.0, &unseen)
                    {
                        for f in fetch_conn::<DB>(&mut self.tx, vec![q]).await? {
                            by_id.insert(f.at(1)?, facts.len());
                            facts.push(f);
                        }
                    }
                    RawTracked::Split {
                        facts,
                        by_id,
                        state,
                    }
                }
            },
        )
    }

    async fn with_carrier_modes(
        &mut self,
        tenant: TenantId,
        rows: Vec<TrackedShipment>,
    ) -> Result<Vec<TrackedShipment>> {
        if rows.is_empty() {
            return Ok(rows);
        }
        let carriers = sqlx::query(CARRIER_MODES)
            .arg(tenant.0)
            .fetch_all(DB::conn(&mut self.tx))
            .await?;
        with_carriers::<DB>(rows, carriers)
    }

    /// Runs [`event_inserts`] and returns the dedup keys inserted.
    ///
    /// Why not `RETURNING dedup_key`: on SQLite every returned row is handed from
    /// the connection's thread to the caller's on its own, a wake-up of each, and in
    /// a busy webhook group nearly every event is new. So each statement only says
    /// how many rows it wrote, and when that falls short of its events (a
    /// re-delivery) the ones it did write are read back by id: an event's id is
    /// made new for each delivery, so it is in the table only if this statement
    /// put it there.
    async fn run_event_inserts(
        &mut self,
        queries: Vec<(QueryBuilder<DB>, &[&TrackingEvent])>,
    ) -> Result<HashSet<[u8; 16]>> {
        let mut inserted = HashSet::new();
        for (mut qb, events) in queries {
            let written = qb
                .build()
                .execute(DB::conn(&mut self.tx))
                .await?
                .rows_affected();
            if written == events.len() as u64 {
                inserted.extend(events.iter().map(|e| e.dedup_key));
            } else if written > 0 {
                let mut by_tenant: BTreeMap<TenantId, Vec<Uuid>> = BTreeMap::new();
                for e in events {
                    by_tenant.entry(e.tenant_id).or_default().push(e.id.0);
                }
                let head = "SELECT dedup_key FROM tracking_events WHERE tenant_id = ";
                for (tenant, ids) in by_tenant {
                    for r in fetch_conn::<DB>(
                        &mut self.tx,
                        id_queries::<DB>(head, tenant, "id", &ids, ""),
                    )
                    .await?
                    {
                        inserted.insert(key16(r.col("dedup_key")?)?);
                    }
                }
            }
        }
        Ok(inserted)
    }

    /// Orphan events and new shipments meet under one per-tenant lock (a
    /// transaction-scoped advisory lock on PostgreSQL; SQLite's single writer
    /// already serialises): either the shipment's attach sees the committed orphan,
    /// or the event's lookup sees the committed shipment. Without it, an event and
    /// its shipment arriving together on two servers could leave the event orphaned.
    async fn lock_orphans(&mut self, tenant: TenantId) -> Result<()> {
        if DB::CONCURRENT_WRITERS {
            let key = i64::from_be_bytes(tenant.0.as_bytes()[8..16].try_into().expect("8 bytes"));
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .arg(key)
                .execute(DB::conn(&mut self.tx))
                .await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> TrackingTx for SqlTx<DB> {
    async fn lock_tracked(
        &mut self,
        tenant: TenantId,
        ids: &[ShipmentId],
    ) -> Result<Vec<TrackedShipment>> {
        let raw = self.fetch_tracked(tenant, ids).await?;
        let rows = decode_tracked(raw)?;
        self.with_carrier_modes(tenant, rows).await
    }
    async fn insert_tracking_events(
        &mut self,
        events: &[&TrackingEvent],
    ) -> Result<HashSet<[u8; 16]>> {
        let queries = event_inserts::<DB>(events);
        self.run_event_inserts(queries).await
    }
    async fn lock_tracked_and_insert_events(
        &mut self,
        tenant: TenantId,
        ids: &[ShipmentId],
        events: &[&TrackingEvent],
    ) -> Result<(Vec<TrackedShipment>, HashSet<[u8; 16]>)> {
        // The same two steps in the same order (rows locked, then events inserted),
        // with this process's share of each done while the engine works on the
        // other: the inserts' statements are built while the locking read runs, and
        // the read's rows decoded while the inserts run. A future that awaits the
        // engine returns as soon as its statement is sent, so `join!` runs the
        // other side in the meantime (docs/performance.md).
        let (raw, queries) = tokio::join!(self.fetch_tracked(tenant, ids), async {
            event_inserts::<DB>(events)
        });
        let raw = raw?;
        // The carriers' modes come from a pooled connection meanwhile: on SQLite
        // that is a reader's thread, one statement fewer on the writer's.
        let read = self.read.clone();
        let modes = async move {
            sqlx::query(CARRIER_MODES)
                .arg(tenant.0)
                .fetch_all(DB::pool(&read))
                .await
        };
        let (inserted, rows, carriers) = tokio::join!(
            self.run_event_inserts(queries),
            async { decode_tracked(raw) },
            modes
        );
        let (inserted, mut rows, carriers) = (inserted?, rows?, carriers?);
        if !fill_carriers::<DB>(&mut rows, carriers)? {
            // A carrier created by this transaction is not visible outside it yet.
            rows = self.with_carrier_modes(tenant, rows).await?;
        }
        Ok((rows, inserted))
    }
    async fn update_tracked(&mut self, rows: &[TrackedShipment], now: Timestamp) -> Result<()> {
        for mut qb in DB::update_tracked(rows, now) {
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }
    async fn update_next_checks(&mut self, rows: &[TrackedShipment]) -> Result<()> {
        for chunk in sized_chunks(rows, chunk_rows(4)) {
            let mut qb = QueryBuilder::<DB>::new(
                "UPDATE shipment_tracking SET next_check_at = v.column3, due_at = v.column3, \
                 open_cases = v.column4 FROM (",
            );
            qb.push_values(chunk, |mut b, s| {
                b.push_arg(s.tenant_id.0)
                    .push_arg(s.id.0)
                    .push_arg(ous(s.next_check_at))
                    .push_arg(s.has_open_cases);
            });
            qb.push(
                ") AS v WHERE shipment_tracking.tenant_id = v.column1 AND \
                shipment_tracking.shipment_id = v.column2",
            );
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }
    async fn lock_order_fulfilment(
        &mut self,
        tenant: TenantId,
        orders: &[OrderId],
    ) -> Result<Vec<(Order, Vec<u32>, Vec<u32>)>> {
        let mut ids: Vec<Uuid> = orders.iter().map(|o| o.0).collect();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Locked in id order, after the batch's shipments (the ingest lock order).
        let head = format!("SELECT {} FROM orders WHERE tenant_id = ", ORDER_COLS);
        let rows = fetch_conn::<DB>(
            &mut self.tx,
            id_queries::<DB>(
                &head,
                tenant,
                "id",
                &ids,
                if DB::CONCURRENT_WRITERS {
                    " ORDER BY id FOR UPDATE"
                } else {
                    " ORDER BY id"
                },
            ),
        )
        .await?;
        let mut found = rows
            .iter()
            .map(order_row::<DB>)
            .collect::<Result<Vec<_>>>()?;
        let lines = fetch_conn::<DB>(
            &mut self.tx,
            id_queries::<DB>(
                ORDER_LINES_HEAD,
                tenant,
                "order_id",
                &ids,
                " ORDER BY order_id, line_no",
            ),
        )
        .await?;
        attach_order_lines::<DB>(&mut found, &lines)?;
        let rows = fetch_conn::<DB>(
            &mut self.tx,
            id_queries::<DB>(FULFILMENT_HEAD, tenant, "s.order_id", &ids, FULFILMENT_TAIL),
        )
        .await?;
        let mut fulfilment = HashMap::new();
        fold_fulfilment::<DB>(&rows, &mut fulfilment)?;
        Ok(found
            .into_iter()
            .map(|o| {
                let (shipped, delivered) = fulfilment.remove(&o.id).unwrap_or_default();
                (o, shipped, delivered)
            })
            .collect())
    }
    async fn orphan_lookup(
        &mut self,
        tenant: TenantId,
        keys: &[(CarrierId, String)],
    ) -> Result<HashMap<(CarrierId, String), ShipmentId>> {
        self.lock_orphans(tenant).await?;
        let mut found = HashMap::new();
        let numbers: Vec<String> = keys
            .iter()
            .map(|(_, t)| t.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for mut qb in DB::by_tracking_number(tenant.0, &numbers) {
            for r in qb.build().fetch_all(DB::conn(&mut self.tx)).await? {
                found.insert(
                    (
                        CarrierId(r.col("carrier_id")?),
                        r.col::<String>("tracking_number")?,
                    ),
                    ShipmentId(r.col("id")?),
                );
            }
        }
        Ok(found)
    }
    async fn attach_orphans(
        &mut self,
        tenant: TenantId,
        shipments: &[(CarrierId, String, ShipmentId)],
    ) -> Result<Vec<ShipmentId>> {
        self.lock_orphans(tenant).await?;
        let mut attached = HashSet::new();
        for chunk in sized_chunks(shipments, chunk_rows(4)) {
            let mut qb = QueryBuilder::<DB>::new(
                "UPDATE tracking_events SET shipment_id = v.column4 FROM (",
            );
            qb.push_values(chunk, |mut b, (carrier, tracking, id)| {
                b.push_arg(tenant.0)
                    .push_arg(carrier.0)
                    .push_arg(tracking.clone())
                    .push_arg(id.0);
            });
            qb.push(
                ") AS v WHERE tracking_events.tenant_id = v.column1 AND \
                 tracking_events.shipment_id IS NULL AND tracking_events.carrier_id = v.column2 \
                 AND tracking_events.tracking_number = v.column3 RETURNING \
                 tracking_events.shipment_id",
            );
            for r in qb.build().fetch_all(DB::conn(&mut self.tx)).await? {
                attached.insert(ShipmentId(r.col("shipment_id")?));
            }
        }
        Ok(attached.into_iter().collect())
    }
    async fn events_of(
        &mut self,
        tenant: TenantId,
        shipments: &[ShipmentId],
    ) -> Result<Vec<TrackingEvent>> {
        let ids: Vec<Uuid> = shipments.iter().map(|i| i.0).collect();
        let head = format!("SELECT {EVENT_COLS} FROM tracking_events WHERE tenant_id = ");
        fetch_conn::<DB>(
            &mut self.tx,
            id_queries::<DB>(&head, tenant, "shipment_id", &ids, ""),
        )
        .await?
        .iter()
        .map(event_row::<DB>)
        .collect()
    }
}
