//! The SQL of tracking events, shipment state, cases and rulebooks, shared by both engines in
//! the same way as `sql.rs` (expanded per engine by `impl_tracking_store!`).
//!
//! Writes are batched: one multi-row statement per chunk for events, state and cases, so an
//! ingest transaction costs a handful of round trips whatever its size.

macro_rules! impl_tracking_store {
    (
        $store:ty, $tx:ty, $db:ty, for_update = $for_update:literal,
        id_list = $id_list:path, id_chunk = $id_chunk:expr,
        tracked_query = $tracked_query:path, by_tracking_number = $by_tracking_number:path,
        update_tracked = $update_tracked:path, split_tracked_query = $split_tracked_query:path
    ) => {
        mod tracking_sql {
            use crate::sql::{chunk_rows, ots, ous, parsed, sized_chunks, ts, us};
            use crate::*;
            use consign_core::case::{Case, CaseStatus, CaseSubject, Severity, TimelineEntry, TimelineKind};
            use consign_core::shipment::{Direction, ShipmentStatus};
            use consign_core::tracking::{Accountable, TrackedShipment, TrackingEvent, TrackingState, reason_static};
            use sqlx::{QueryBuilder, Row};
            use std::collections::{BTreeMap, HashMap, HashSet};
            use uuid::Uuid;

            type DbRow = <$db as sqlx::Database>::Row;

            const EVENT_COLS: &str = "tenant_id, id, dedup_key, carrier_id, shipment_id, tracking_number, occurred_at, received_at, \
                status, reason, accountable, eta, source, message_id, raw_code, raw_reason, location, description, unmapped";
            const CASE_COLS: &str = "tenant_id, id, number, case_type, severity, accountable, owner_team, status, shipment_id, order_id, \
                carrier_id, partner_id, edi_group, rulebook_version, detections, entries, opened_at, updated_at, resolved_at, subject_key";
            // No join with carriers: with stale statistics PostgreSQL would plan from the
            // carriers side and scan every shipment of each; the tenant's few carriers are read
            // separately and filled in.
            const TRACKED_COLS: &str = "s.tenant_id, s.id, s.order_id, s.carrier_id, s.service_level, \
                s.direction, s.international, s.pod_required, s.planned_pickup_at, s.promised_by, s.destination_json, s.created_at, \
                t.status, t.status_at, t.reason, t.accountable, t.eta, t.eta_at, t.last_event_at, t.picked_up_at, t.delivered_at, \
                t.next_check_at, \
                t.pod_attached, t.documents_complete, t.open_cases AS has_open_cases";
            /// `TRACKED_COLS` in two parts, for engines that read them apart (`lock_tracked`): the
            /// shipment's facts, then its tracking state (checked against it by a test).
            const FACTS_COLS: &str = "s.tenant_id, s.id, s.order_id, s.carrier_id, s.service_level, \
                s.direction, s.international, s.pod_required, s.planned_pickup_at, s.promised_by, s.destination_json, s.created_at";
            const STATE_COLS: &str = "t.status, t.status_at, t.reason, t.accountable, t.eta, t.eta_at, t.last_event_at, \
                t.picked_up_at, t.delivered_at, t.next_check_at, t.pod_attached, t.documents_complete, t.open_cases AS has_open_cases";
            const CARRIER_MODES: &str = "SELECT id, COALESCE(scac, '') AS scac, mode FROM carriers WHERE tenant_id = $1";

            fn with_carriers(mut rows: Vec<TrackedShipment>, carriers: Vec<DbRow>) -> Result<Vec<TrackedShipment>> {
                fill_carriers(&mut rows, carriers)?;
                Ok(rows)
            }

            /// Gives each row its carrier's SCAC and mode; false if some carrier was not among
            /// `carriers`.
            fn fill_carriers(rows: &mut [TrackedShipment], carriers: Vec<DbRow>) -> Result<bool> {
                let mut by_id = HashMap::new();
                for r in carriers {
                    by_id.insert(CarrierId(r.try_get("id")?), (r.try_get::<String, _>("scac")?, r.try_get::<String, _>("mode")?));
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
                v.try_into().map_err(|_| StoreError::Corrupt("tracking_events.dedup_key is not 16 bytes".into()))
            }

            fn event_row(r: &DbRow) -> Result<TrackingEvent> {
                let status: Option<String> = r.try_get("status")?;
                Ok(TrackingEvent {
                    id: EventId(r.try_get("id")?),
                    tenant_id: TenantId(r.try_get("tenant_id")?),
                    carrier_id: CarrierId(r.try_get("carrier_id")?),
                    shipment_id: r.try_get::<Option<Uuid>, _>("shipment_id")?.map(ShipmentId),
                    tracking_number: r.try_get("tracking_number")?,
                    occurred_at: ts(r.try_get("occurred_at")?),
                    received_at: ts(r.try_get("received_at")?),
                    status: status.map(|s| parsed(ShipmentStatus::parse(&s))).transpose()?,
                    reason: reason(r.try_get("reason")?),
                    accountable: accountable(r.try_get("accountable")?)?,
                    eta: ots(r.try_get("eta")?),
                    source: r.try_get("source")?,
                    message_id: r.try_get("message_id")?,
                    raw_code: r.try_get("raw_code")?,
                    raw_reason: r.try_get("raw_reason")?,
                    location: r.try_get("location")?,
                    description: r.try_get("description")?,
                    unmapped: r.try_get("unmapped")?,
                    dedup_key: key16(r.try_get("dedup_key")?)?,
                })
            }

            /// Reads column `i` of a row by position and without the driver's per-value type
            /// check: a batch's tracking rows are decoded by the thousand, and looking each
            /// column up by name (a hash and a string comparison) and checking its type took
            /// most of the decoding time (docs/performance.md). Only for queries whose column
            /// list is the constant next to the decoder (`TRACKED_COLS`, checked by a test).
            fn at<'r, T: sqlx::Decode<'r, $db>>(r: &'r DbRow, i: usize) -> Result<T> {
                Ok(r.try_get_unchecked(i)?)
            }

            fn tracked_row(r: &DbRow) -> Result<TrackedShipment> {
                tracked_parts(r, r, 12)
            }

            /// A tracked shipment from its facts (`FACTS_COLS` from column 0 of `f`) and its
            /// state (`STATE_COLS` from column `so` of `s`); one row holds both when read joined.
            fn tracked_parts(f: &DbRow, s: &DbRow, so: usize) -> Result<TrackedShipment> {
                let dest: crate::sql::DestinationZone = crate::sql::json_col(at(f, 10)?, "shipments.destination_json")?;
                Ok(TrackedShipment {
                    tenant_id: TenantId(at(f, 0)?),
                    id: ShipmentId(at(f, 1)?),
                    order_id: at::<Option<Uuid>>(f, 2)?.map(OrderId),
                    carrier_id: CarrierId(at(f, 3)?),
                    carrier_scac: String::new(),
                    mode: String::new(),
                    service: at(f, 4)?,
                    direction: parsed(Direction::parse(at(f, 5)?))?,
                    international: at(f, 6)?,
                    pod_required: at(f, 7)?,
                    planned_pickup_at: ots(at(f, 8)?),
                    promised_by: ots(at(f, 9)?),
                    destination_tz: dest.time_zone,
                    created_at: ts(at(f, 11)?),
                    state: TrackingState {
                        status: parsed(ShipmentStatus::parse(at(s, so)?))?,
                        status_at: ots(at(s, so + 1)?),
                        reason: reason(at(s, so + 2)?),
                        accountable: accountable(at(s, so + 3)?)?,
                        eta: ots(at(s, so + 4)?),
                        eta_at: ots(at(s, so + 5)?),
                        last_event_at: ots(at(s, so + 6)?),
                        picked_up_at: ots(at(s, so + 7)?),
                        delivered_at: ots(at(s, so + 8)?),
                    },
                    next_check_at: ots(at(s, so + 9)?),
                    pod_attached: at(s, so + 10)?,
                    documents_complete: at(s, so + 11)?,
                    has_open_cases: at(s, so + 12)?,
                })
            }

            #[cfg(test)]
            #[test]
            fn tracked_row_reads_the_columns_of_tracked_cols_in_their_order() {
                let names: Vec<&str> = TRACKED_COLS
                    .split(',')
                    .map(|c| c.trim().rsplit(' ').next().unwrap().rsplit('.').next().unwrap())
                    .collect();
                assert_eq!(
                    names,
                    [
                        "tenant_id", "id", "order_id", "carrier_id", "service_level", "direction", "international",
                        "pod_required", "planned_pickup_at", "promised_by", "destination_json", "created_at", "status",
                        "status_at", "reason", "accountable", "eta", "eta_at", "last_event_at", "picked_up_at",
                        "delivered_at", "next_check_at", "pod_attached", "documents_complete", "has_open_cases",
                    ]
                );
                let parts = format!("{FACTS_COLS}, {STATE_COLS}");
                let squash = |c: &str| c.split_whitespace().collect::<Vec<_>>().join(" ");
                assert_eq!(squash(&parts), squash(TRACKED_COLS));
            }

            fn case_row(r: &DbRow) -> Result<Case> {
                let severity: String = r.try_get("severity")?;
                let status: String = r.try_get("status")?;
                let detections: i64 = r.try_get("detections")?;
                let entries: i64 = r.try_get("entries")?;
                Ok(Case {
                    id: CaseId(r.try_get("id")?),
                    tenant_id: TenantId(r.try_get("tenant_id")?),
                    number: r.try_get("number")?,
                    case_type: r.try_get("case_type")?,
                    severity: parsed(Severity::parse(&severity))?,
                    accountable: r.try_get("accountable")?,
                    owner_team: r.try_get("owner_team")?,
                    status: parsed(CaseStatus::parse(&status))?,
                    subject: parsed(CaseSubject::parse_key(&r.try_get::<String, _>("subject_key")?))?,
                    order_id: r.try_get::<Option<Uuid>, _>("order_id")?.map(OrderId),
                    carrier_id: r.try_get::<Option<Uuid>, _>("carrier_id")?.map(CarrierId),
                    rulebook_version: r.try_get("rulebook_version")?,
                    detections: detections as u32,
                    entries: entries as u32,
                    opened_at: ts(r.try_get("opened_at")?),
                    updated_at: ts(r.try_get("updated_at")?),
                    resolved_at: ots(r.try_get("resolved_at")?),
                })
            }

            fn rulebook_row(r: &DbRow) -> Result<StoredRulebook> {
                Ok(StoredRulebook {
                    version: r.try_get("version")?,
                    name: r.try_get("name")?,
                    source: r.try_get("source")?,
                    created_at: ts(r.try_get("created_at")?),
                    created_by: r.try_get("created_by")?,
                })
            }

            /// `SELECT … WHERE tenant_id = $t AND <col> <in ids>`, one query per chunk of ids; the
            /// engine says how a list of ids is written (`$id_list`) and how many fit at once.
            fn id_queries(head: &str, tenant: TenantId, col: &str, ids: &[Uuid], tail: &str) -> Vec<QueryBuilder<$db>> {
                let chunks = if $id_chunk == 0 { vec![ids] } else { sized_chunks(ids, $id_chunk) };
                chunks
                    .into_iter()
                    .map(|chunk| {
                        let mut qb = QueryBuilder::<$db>::new(head.to_string());
                        qb.push_bind(tenant.0).push(" AND ");
                        $id_list(&mut qb, col, chunk);
                        qb.push(tail.to_string());
                        qb
                    })
                    .collect()
            }

            async fn fetch_pool(pool: &sqlx::Pool<$db>, qbs: Vec<QueryBuilder<$db>>) -> Result<Vec<DbRow>> {
                let mut out = Vec::new();
                for mut qb in qbs {
                    out.extend(qb.build().fetch_all(pool).await?);
                }
                Ok(out)
            }

            async fn fetch_conn(conn: &mut <$db as sqlx::Database>::Connection, qbs: Vec<QueryBuilder<$db>>) -> Result<Vec<DbRow>> {
                let mut out = Vec::new();
                for mut qb in qbs {
                    out.extend(qb.build().fetch_all(&mut *conn).await?);
                }
                Ok(out)
            }

            /// The batch's new tracking state as `UPDATE … FROM (VALUES …)`: SQLite's builder
            /// (PostgreSQL passes its own, with one array per column). Two statements per chunk
            /// of rows, sent as one text. SQLite deletes and re-inserts a row's entry in every
            /// index over a column the `SET` list names, changed or not, so the rows whose
            /// status and `due_at` stay (most scans: another `in_transit`) are written by a
            /// statement that names neither, and only the others by the full one: two random
            /// index pages fewer per such event (docs/performance.md). That statement runs
            /// first; the full one then skips the rows it wrote, as their keys still stay.
            /// (PostgreSQL compares the values itself and leaves unchanged index entries alone.)
            #[allow(dead_code)]
            pub(super) fn values_update_tracked(rows: &[TrackedShipment], now: Timestamp) -> Vec<QueryBuilder<$db>> {
                // `VALUES` columns in the order bound below.
                const ORDER: [&str; 16] = [
                    "tenant_id", "shipment_id", "status", "status_at", "reason", "accountable", "eta", "eta_at",
                    "last_event_at", "picked_up_at", "delivered_at", "next_check_at", "updated_at", "pod_attached",
                    "documents_complete", "open_cases",
                ];
                let v = |c: &str| format!("v.column{}", ORDER.iter().position(|o| *o == c).expect("a tracking column") + 1);
                let kept = crate::sql::tracking_keys_kept(v);
                let mut out = Vec::new();
                for chunk in sized_chunks(rows, chunk_rows(16)) {
                    // Both statements in one text: one round trip to the connection's thread.
                    let mut qb = QueryBuilder::<$db>::new("");
                    for (indexed, filter) in [(false, kept.clone()), (true, format!("NOT ({kept})"))] {
                        qb.push(format!(
                            "{}UPDATE shipment_tracking SET {}, updated_at = {} FROM (",
                            if indexed { "; " } else { "" },
                            crate::sql::tracking_update_set(v, indexed),
                            v("updated_at")
                        ));
                        qb.push_values(chunk, |mut b, s| {
                            b.push_bind(s.tenant_id.0)
                                .push_bind(s.id.0)
                                .push_bind(s.state.status.as_str())
                                .push_bind(ous(s.state.status_at))
                                .push_bind(s.state.reason)
                                .push_bind(s.state.accountable.map(|a| a.as_str()))
                                .push_bind(ous(s.state.eta))
                                .push_bind(ous(s.state.eta_at))
                                .push_bind(ous(s.state.last_event_at))
                                .push_bind(ous(s.state.picked_up_at))
                                .push_bind(ous(s.state.delivered_at))
                                .push_bind(ous(s.next_check_at))
                                .push_bind(us(now))
                                .push_bind(s.pod_attached)
                                .push_bind(s.documents_complete)
                                .push_bind(s.has_open_cases);
                        });
                        qb.push(format!(
                            ") AS v WHERE shipment_tracking.tenant_id = v.column1 AND shipment_tracking.shipment_id = v.column2 AND {filter}"
                        ));
                    }
                    out.push(qb);
                }
                out
            }

            /// `lock_tracked`'s rows as read: one joined row per shipment, or the facts and the
            /// state apart (`by_id` indexes the facts by shipment id).
            enum RawTracked {
                Joined(Vec<DbRow>),
                Split { facts: Vec<DbRow>, by_id: HashMap<Uuid, usize>, state: Vec<DbRow> },
            }

            fn decode_tracked(raw: RawTracked) -> Result<Vec<TrackedShipment>> {
                match raw {
                    RawTracked::Joined(rows) => rows.iter().map(tracked_row).collect(),
                    RawTracked::Split { facts, by_id, state } => {
                        let mut rows = Vec::with_capacity(state.len());
                        for s in &state {
                            let id: Uuid = at(s, 0)?;
                            let f = by_id.get(&id).map(|&i| &facts[i]).ok_or_else(|| {
                                StoreError::Corrupt(format!("shipment_tracking row {id} has no shipment"))
                            })?;
                            rows.push(tracked_parts(f, s, 1)?);
                        }
                        Ok(rows)
                    }
                }
            }

            /// The statements inserting these events, new ones only (`ON CONFLICT` on the dedup
            /// key), each with the events it carries.
            fn event_inserts<'e>(events: &'e [&'e TrackingEvent]) -> Vec<(QueryBuilder<$db>, &'e [&'e TrackingEvent])> {
                sized_chunks(events, chunk_rows(19))
                    .into_iter()
                    .map(|chunk| {
                        let mut qb = QueryBuilder::<$db>::new(format!("INSERT INTO tracking_events ({EVENT_COLS}) "));
                        qb.push_values(chunk, |mut b, e| {
                            b.push_bind(e.tenant_id.0)
                                .push_bind(e.id.0)
                                .push_bind(e.dedup_key.to_vec())
                                .push_bind(e.carrier_id.0)
                                .push_bind(e.shipment_id.map(|s| s.0))
                                .push_bind(e.tracking_number.clone())
                                .push_bind(us(e.occurred_at))
                                .push_bind(us(e.received_at))
                                .push_bind(e.status.map(|s| s.as_str()))
                                .push_bind(e.reason)
                                .push_bind(e.accountable.map(|a| a.as_str()))
                                .push_bind(ous(e.eta))
                                .push_bind(e.source.clone())
                                .push_bind(e.message_id.clone())
                                .push_bind(e.raw_code.clone())
                                .push_bind(e.raw_reason.clone())
                                .push_bind(e.location.clone())
                                .push_bind(e.description.clone())
                                .push_bind(e.unmapped);
                        });
                        qb.push(" ON CONFLICT (tenant_id, dedup_key) DO NOTHING");
                        (qb, chunk)
                    })
                    .collect()
            }

            #[async_trait::async_trait]
            impl TrackingStore for $store {
                async fn shipment_ids_by_tracking(
                    &self,
                    tenant: TenantId,
                    keys: &[(CarrierId, String)],
                ) -> Result<HashMap<(CarrierId, String), ShipmentId>> {
                    let mut found = HashMap::new();
                    let numbers: Vec<String> = keys.iter().map(|(_, t)| t.clone()).collect::<HashSet<_>>().into_iter().collect();
                    for mut qb in $by_tracking_number(tenant.0, &numbers) {
                        for r in qb.build().fetch_all(&self.read).await? {
                            found.insert(
                                (CarrierId(r.try_get("carrier_id")?), r.try_get::<String, _>("tracking_number")?),
                                ShipmentId(r.try_get("id")?),
                            );
                        }
                    }
                    Ok(found)
                }
                async fn tracked_shipments(&self, tenant: TenantId, ids: &[ShipmentId]) -> Result<Vec<TrackedShipment>> {
                    let ids: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
                    let rows = fetch_pool(&self.read, $tracked_query(TRACKED_COLS, tenant.0, &ids, false))
                        .await?
                        .iter()
                        .map(tracked_row)
                        .collect::<Result<Vec<_>>>()?;
                    let carriers = sqlx::query(CARRIER_MODES).bind(tenant.0).fetch_all(&self.read).await?;
                    with_carriers(rows, carriers)
                }
                async fn tracking_events(&self, tenant: TenantId, shipments: &[ShipmentId]) -> Result<Vec<TrackingEvent>> {
                    let ids: Vec<Uuid> = shipments.iter().map(|i| i.0).collect();
                    let head = format!("SELECT {EVENT_COLS} FROM tracking_events WHERE tenant_id = ");
                    let mut v = fetch_pool(&self.read, id_queries(&head, tenant, "shipment_id", &ids, ""))
                        .await?
                        .iter()
                        .map(event_row)
                        .collect::<Result<Vec<_>>>()?;
                    v.sort_by_key(|e| (e.occurred_at, e.id));
                    Ok(v)
                }
                async fn orphan_events(&self, tenant: TenantId, limit: u32) -> Result<Vec<TrackingEvent>> {
                    let sql = format!(
                        "SELECT {EVENT_COLS} FROM tracking_events WHERE tenant_id = $1 AND shipment_id IS NULL ORDER BY id DESC LIMIT $2"
                    );
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(tenant.0)
                        .bind(limit as i64)
                        .fetch_all(&self.read)
                        .await?
                        .iter()
                        .map(event_row)
                        .collect()
                }
                async fn tracking_quality(&self, tenant: TenantId) -> Result<TrackingQuality> {
                    let orphans: i64 = sqlx::query("SELECT COUNT(*) AS n FROM tracking_events WHERE tenant_id = $1 AND shipment_id IS NULL")
                        .bind(tenant.0)
                        .fetch_one(&self.read)
                        .await?
                        .try_get("n")?;
                    let events: i64 = sqlx::query("SELECT COUNT(*) AS n FROM tracking_events WHERE tenant_id = $1")
                        .bind(tenant.0)
                        .fetch_one(&self.read)
                        .await?
                        .try_get("n")?;
                    let rows = sqlx::query(
                        "SELECT source, raw_code, raw_reason, COUNT(*) AS n FROM tracking_events WHERE tenant_id = $1 AND unmapped = $2 \
                         GROUP BY source, raw_code, raw_reason ORDER BY n DESC, source, raw_code LIMIT 200",
                    )
                    .bind(tenant.0)
                    .bind(true)
                    .fetch_all(&self.read)
                    .await?;
                    let mut unmapped = Vec::new();
                    for r in rows {
                        unmapped.push(UnmappedCode {
                            source: r.try_get("source")?,
                            raw_code: r.try_get("raw_code")?,
                            raw_reason: r.try_get("raw_reason")?,
                            count: r.try_get("n")?,
                        });
                    }
                    Ok(TrackingQuality { events, orphans, unmapped })
                }
                async fn carrier_activity(&self, tenant: TenantId) -> Result<Vec<(CarrierId, Timestamp)>> {
                    let rows = sqlx::query(
                        "SELECT s.carrier_id, MAX(COALESCE(t.last_event_at, t.picked_up_at)) AS last \
                         FROM shipment_tracking t JOIN shipments s ON s.tenant_id = t.tenant_id AND s.id = t.shipment_id \
                         WHERE t.tenant_id = $1 AND t.picked_up_at IS NOT NULL \
                         AND t.status NOT IN ('delivered', 'returned_to_sender', 'cancelled', 'lost') \
                         GROUP BY s.carrier_id",
                    )
                    .bind(tenant.0)
                    .fetch_all(&self.read)
                    .await?;
                    rows.iter().map(|r| Ok((CarrierId(r.try_get("carrier_id")?), ts(r.try_get("last")?)))).collect()
                }
                async fn due_shipments(&self, now: Timestamp, limit: u32) -> Result<Vec<(TenantId, ShipmentId)>> {
                    // Provider-level worker query: it names no tenant because it serves all of
                    // them; every row it returns is then processed under its own tenant id.
                    let rows = sqlx::query(
                        "SELECT tenant_id, shipment_id AS id FROM shipment_tracking WHERE due_at IS NOT NULL AND due_at <= $1 \
                         ORDER BY due_at LIMIT $2",
                    )
                    .bind(us(now))
                    .bind(limit as i64)
                    .fetch_all(&self.read)
                    .await?;
                    rows.iter()
                        .map(|r| Ok((TenantId(r.try_get("tenant_id")?), ShipmentId(r.try_get("id")?))))
                        .collect()
                }
                async fn shipment_ids_page(&self, tenant: TenantId, after: Option<ShipmentId>, limit: u32) -> Result<Vec<ShipmentId>> {
                    let rows = sqlx::query("SELECT id FROM shipments WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                        .bind(tenant.0)
                        .bind(after.map(|a| a.0).unwrap_or(Uuid::nil()))
                        .bind(limit as i64)
                        .fetch_all(&self.read)
                        .await?;
                    rows.iter().map(|r| Ok(ShipmentId(r.try_get("id")?))).collect()
                }
                async fn cases(&self, tenant: TenantId, f: &CaseFilter) -> Result<Vec<Case>> {
                    let mut qb = QueryBuilder::<$db>::new(format!("SELECT {CASE_COLS} FROM cases WHERE tenant_id = "));
                    qb.push_bind(tenant.0);
                    if let Some(t) = &f.case_type {
                        qb.push(" AND case_type = ").push_bind(t.clone());
                    }
                    if let Some(s) = f.status {
                        qb.push(" AND status = ").push_bind(s.as_str());
                    }
                    if let Some(s) = f.severity {
                        qb.push(" AND severity = ").push_bind(s.as_str());
                    }
                    if let Some(c) = f.carrier {
                        qb.push(" AND carrier_id = ").push_bind(c.0);
                    }
                    if let Some(a) = &f.accountable {
                        qb.push(" AND accountable = ").push_bind(a.clone());
                    }
                    if let Some(s) = f.shipment {
                        qb.push(" AND shipment_id = ").push_bind(s.0);
                    }
                    if let Some(pid) = f.partner {
                        qb.push(" AND partner_id = ").push_bind(pid.0);
                    }
                    if let Some(t) = f.opened_from {
                        qb.push(" AND opened_at >= ").push_bind(us(t));
                    }
                    if let Some(t) = f.opened_to {
                        qb.push(" AND opened_at < ").push_bind(us(t));
                    }
                    if let Some(a) = f.after {
                        qb.push(" AND id < ").push_bind(a.0);
                    }
                    qb.push(" ORDER BY id DESC LIMIT ").push_bind(f.limit as i64);
                    qb.build().fetch_all(&self.read).await?.iter().map(case_row).collect()
                }
                async fn case(&self, tenant: TenantId, id: CaseId) -> Result<Option<Case>> {
                    let sql = format!("SELECT {CASE_COLS} FROM cases WHERE tenant_id = $1 AND id = $2");
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(tenant.0)
                        .bind(id.0)
                        .fetch_optional(&self.read)
                        .await?
                        .map(|r| case_row(&r))
                        .transpose()
                }
                async fn case_timeline(&self, tenant: TenantId, id: CaseId) -> Result<Vec<TimelineEntry>> {
                    let rows = sqlx::query(
                        "SELECT case_id, seq, at, kind, detail FROM case_timeline WHERE tenant_id = $1 AND case_id = $2 ORDER BY seq",
                    )
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_all(&self.read)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            let kind: String = r.try_get("kind")?;
                            let seq: i64 = r.try_get("seq")?;
                            Ok(TimelineEntry {
                                case_id: CaseId(r.try_get("case_id")?),
                                seq: seq as u32,
                                at: ts(r.try_get("at")?),
                                kind: parsed(TimelineKind::parse(&kind))?,
                                detail: r.try_get("detail")?,
                            })
                        })
                        .collect()
                }
                async fn cases_opened_by_type(
                    &self,
                    tenant: TenantId,
                    from: Timestamp,
                    to: Timestamp,
                ) -> Result<Vec<(String, i64)>> {
                    let rows = sqlx::query(
                        "SELECT case_type, COUNT(*) AS n FROM cases WHERE tenant_id = $1 AND opened_at >= $2 AND opened_at < $3 \
                         GROUP BY case_type ORDER BY case_type",
                    )
                    .bind(tenant.0)
                    .bind(us(from))
                    .bind(us(to))
                    .fetch_all(&self.read)
                    .await?;
                    rows.iter().map(|r| Ok((r.try_get("case_type")?, r.try_get("n")?))).collect()
                }
                async fn rulebook(&self, tenant: TenantId) -> Result<Option<StoredRulebook>> {
                    sqlx::query(
                        "SELECT version, name, source, created_at, created_by FROM rulebooks WHERE tenant_id = $1 \
                         ORDER BY version DESC LIMIT 1",
                    )
                    .bind(tenant.0)
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| rulebook_row(&r))
                    .transpose()
                }
                async fn rulebooks(&self, tenant: TenantId) -> Result<Vec<StoredRulebook>> {
                    sqlx::query(
                        "SELECT version, name, source, created_at, created_by FROM rulebooks WHERE tenant_id = $1 ORDER BY version",
                    )
                    .bind(tenant.0)
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(rulebook_row)
                    .collect()
                }
            }

            impl $tx {
                /// The locking read of `lock_tracked`, its rows not yet decoded.
                async fn fetch_tracked(&mut self, tenant: TenantId, ids: &[ShipmentId]) -> Result<RawTracked> {
                    let mut sorted: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
                    sorted.sort_unstable();
                    sorted.dedup();
                    // Only the tracking rows are locked (they are what the pipeline writes), in id
                    // order so that two writers with overlapping batches queue instead of
                    // deadlocking. SQLite's single writer needs no row locks.
                    Ok(match $split_tracked_query(FACTS_COLS, STATE_COLS, tenant.0, &sorted) {
                        // Read and locked in one statement.
                        None => RawTracked::Joined(fetch_conn(&mut self.tx, $tracked_query(TRACKED_COLS, tenant.0, &sorted, true)).await?),
                        // The facts on a pooled connection while the transaction locks the state:
                        // the two run at once in two server processes. Reading the facts outside
                        // the transaction sees what the joined read would (shipment rows are not
                        // locked either way), except shipments this transaction created itself:
                        // those are read again inside it.
                        Some((facts, state)) => {
                            let (facts, state) = tokio::join!(fetch_pool(&self.read, vec![facts]), fetch_conn(&mut self.tx, vec![state]));
                            let (mut facts, state) = (facts?, state?);
                            let mut by_id: HashMap<Uuid, usize> = HashMap::with_capacity(facts.len());
                            for (i, f) in facts.iter().enumerate() {
                                by_id.insert(at(f, 1)?, i);
                            }
                            let unseen: Vec<Uuid> = state
                                .iter()
                                .map(|s| at::<Uuid>(s, 0))
                                .collect::<Result<Vec<_>>>()?
                                .into_iter()
                                .filter(|id| !by_id.contains_key(id))
                                .collect();
                            if !unseen.is_empty() {
                                if let Some((q, _)) = $split_tracked_query(FACTS_COLS, STATE_COLS, tenant.0, &unseen) {
                                    for f in fetch_conn(&mut self.tx, vec![q]).await? {
                                        by_id.insert(at(&f, 1)?, facts.len());
                                        facts.push(f);
                                    }
                                }
                            }
                            RawTracked::Split { facts, by_id, state }
                        }
                    })
                }

                async fn with_carrier_modes(&mut self, tenant: TenantId, rows: Vec<TrackedShipment>) -> Result<Vec<TrackedShipment>> {
                    if rows.is_empty() {
                        return Ok(rows);
                    }
                    let carriers = sqlx::query(CARRIER_MODES).bind(tenant.0).fetch_all(&mut *self.tx).await?;
                    with_carriers(rows, carriers)
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
                async fn run_event_inserts(&mut self, queries: Vec<(QueryBuilder<$db>, &[&TrackingEvent])>) -> Result<HashSet<[u8; 16]>> {
                    let mut inserted = HashSet::new();
                    for (mut qb, events) in queries {
                        let written = qb.build().execute(&mut *self.tx).await?.rows_affected();
                        if written == events.len() as u64 {
                            inserted.extend(events.iter().map(|e| e.dedup_key));
                        } else if written > 0 {
                            let mut by_tenant: BTreeMap<TenantId, Vec<Uuid>> = BTreeMap::new();
                            for e in events {
                                by_tenant.entry(e.tenant_id).or_default().push(e.id.0);
                            }
                            let head = "SELECT dedup_key FROM tracking_events WHERE tenant_id = ";
                            for (tenant, ids) in by_tenant {
                                for r in fetch_conn(&mut self.tx, id_queries(head, tenant, "id", &ids, "")).await? {
                                    inserted.insert(key16(r.try_get("dedup_key")?)?);
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
                    if !$for_update.is_empty() {
                        let key = i64::from_be_bytes(tenant.0.as_bytes()[8..16].try_into().expect("8 bytes"));
                        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(key).execute(&mut *self.tx).await?;
                    }
                    Ok(())
                }
            }

            #[async_trait::async_trait]
            impl TrackingTx for $tx {
                async fn lock_tracked(&mut self, tenant: TenantId, ids: &[ShipmentId]) -> Result<Vec<TrackedShipment>> {
                    let raw = self.fetch_tracked(tenant, ids).await?;
                    let rows = decode_tracked(raw)?;
                    self.with_carrier_modes(tenant, rows).await
                }
                async fn insert_tracking_events(&mut self, events: &[&TrackingEvent]) -> Result<HashSet<[u8; 16]>> {
                    let queries = event_inserts(events);
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
                    let (raw, queries) = tokio::join!(self.fetch_tracked(tenant, ids), async { event_inserts(events) });
                    let raw = raw?;
                    // The carriers' modes come from a pooled connection meanwhile: on SQLite
                    // that is a reader's thread, one statement fewer on the writer's.
                    let read = self.read.clone();
                    let modes = async move { sqlx::query(CARRIER_MODES).bind(tenant.0).fetch_all(&read).await };
                    let (inserted, rows, carriers) =
                        tokio::join!(self.run_event_inserts(queries), async { decode_tracked(raw) }, modes);
                    let (inserted, mut rows, carriers) = (inserted?, rows?, carriers?);
                    if !fill_carriers(&mut rows, carriers)? {
                        // A carrier created by this transaction is not visible outside it yet.
                        rows = self.with_carrier_modes(tenant, rows).await?;
                    }
                    Ok((rows, inserted))
                }
                async fn update_tracked(&mut self, rows: &[TrackedShipment], now: Timestamp) -> Result<()> {
                    for mut qb in $update_tracked(rows, now) {
                        qb.build().execute(&mut *self.tx).await?;
                    }
                    Ok(())
                }
                async fn update_next_checks(&mut self, rows: &[TrackedShipment]) -> Result<()> {
                    for chunk in sized_chunks(rows, chunk_rows(4)) {
                        let mut qb = QueryBuilder::<$db>::new(
                            "UPDATE shipment_tracking SET next_check_at = v.column3, due_at = v.column3, open_cases = v.column4 FROM (",
                        );
                        qb.push_values(chunk, |mut b, s| {
                            b.push_bind(s.tenant_id.0).push_bind(s.id.0).push_bind(ous(s.next_check_at)).push_bind(s.has_open_cases);
                        });
                        qb.push(") AS v WHERE shipment_tracking.tenant_id = v.column1 AND shipment_tracking.shipment_id = v.column2");
                        qb.build().execute(&mut *self.tx).await?;
                    }
                    Ok(())
                }
                async fn open_non_shipment_cases(&mut self, tenant: TenantId, case_type: &str) -> Result<Vec<Case>> {
                    let sql = format!(
                        "SELECT {CASE_COLS} FROM cases WHERE tenant_id = $1 AND status = 'open' AND case_type = $2 AND shipment_id IS NULL"
                    );
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(tenant.0)
                        .bind(case_type.to_string())
                        .fetch_all(&mut *self.tx)
                        .await?
                        .iter()
                        .map(case_row)
                        .collect()
                }
                async fn lock_order_fulfilment(
                    &mut self,
                    tenant: TenantId,
                    orders: &[OrderId],
                ) -> Result<Vec<(consign_core::order::Order, Vec<u32>, Vec<u32>)>> {
                    let mut ids: Vec<Uuid> = orders.iter().map(|o| o.0).collect();
                    ids.sort();
                    ids.dedup();
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    // Locked in id order, after the batch's shipments (the ingest lock order).
                    let head = format!("SELECT {} FROM orders WHERE tenant_id = ", crate::sql::orders::ORDER_COLS);
                    let rows = fetch_conn(&mut self.tx, id_queries(&head, tenant, "id", &ids, concat!(" ORDER BY id", $for_update))).await?;
                    let mut found = rows.iter().map(crate::sql::orders::order_row::<$db>).collect::<Result<Vec<_>>>()?;
                    let lines = fetch_conn(&mut self.tx, id_queries(crate::sql::orders::ORDER_LINES_HEAD, tenant, "order_id", &ids, " ORDER BY order_id, line_no")).await?;
                    crate::sql::orders::attach_order_lines::<$db>(&mut found, &lines)?;
                    let rows = fetch_conn(&mut self.tx, id_queries(crate::sql::orders::FULFILMENT_HEAD, tenant, "s.order_id", &ids, crate::sql::orders::FULFILMENT_TAIL)).await?;
                    let mut fulfilment = HashMap::new();
                    crate::sql::orders::fold_fulfilment::<$db>(&rows, &mut fulfilment)?;
                    Ok(found
                        .into_iter()
                        .map(|o| {
                            let (shipped, delivered) = fulfilment.remove(&o.id).unwrap_or_default();
                            (o, shipped, delivered)
                        })
                        .collect())
                }
                async fn open_cases(&mut self, tenant: TenantId, shipments: &[ShipmentId]) -> Result<Vec<Case>> {
                    let ids: Vec<Uuid> = shipments.iter().map(|i| i.0).collect();
                    let head = format!("SELECT {CASE_COLS} FROM cases WHERE status = 'open' AND tenant_id = ");
                    fetch_conn(&mut self.tx, id_queries(&head, tenant, "shipment_id", &ids, "")).await?.iter().map(case_row).collect()
                }
                async fn insert_cases(&mut self, cases: &[Case]) -> Result<()> {
                    for chunk in sized_chunks(cases, chunk_rows(20)) {
                        let mut qb = QueryBuilder::<$db>::new(format!("INSERT INTO cases ({CASE_COLS}) "));
                        qb.push_values(chunk, |mut b, c| {
                            // The link columns, for lists and filters, follow from the subject.
                            let (carrier, order) = match &c.subject {
                                CaseSubject::Carrier(id) => (Some(id.0), c.order_id.map(|o| o.0)),
                                CaseSubject::Order(id) => (c.carrier_id.map(|x| x.0), Some(id.0)),
                                _ => (c.carrier_id.map(|x| x.0), c.order_id.map(|o| o.0)),
                            };
                            let group = c.edi_group();
                            b.push_bind(c.tenant_id.0)
                                .push_bind(c.id.0)
                                .push_bind(c.number.clone())
                                .push_bind(c.case_type.clone())
                                .push_bind(c.severity.as_str())
                                .push_bind(c.accountable.clone())
                                .push_bind(c.owner_team.clone())
                                .push_bind(c.status.as_str())
                                .push_bind(c.shipment_id().map(|s| s.0))
                                .push_bind(order)
                                .push_bind(carrier)
                                .push_bind(group.map(|(p, _)| p.0))
                                .push_bind(group.map(|(_, g)| g.to_string()))
                                .push_bind(c.rulebook_version)
                                .push_bind(c.detections as i64)
                                .push_bind(c.entries as i64)
                                .push_bind(us(c.opened_at))
                                .push_bind(us(c.updated_at))
                                .push_bind(ous(c.resolved_at))
                                .push_bind(c.subject.key());
                        });
                        qb.build().execute(&mut *self.tx).await?;
                    }
                    Ok(())
                }
                async fn update_cases(&mut self, cases: &[Case]) -> Result<()> {
                    for chunk in sized_chunks(cases, chunk_rows(8)) {
                        let mut qb = QueryBuilder::<$db>::new(
                            "UPDATE cases SET severity = v.column3, status = v.column4, detections = v.column5, entries = v.column6, \
                             updated_at = v.column7, resolved_at = v.column8 FROM (",
                        );
                        qb.push_values(chunk, |mut b, c| {
                            b.push_bind(c.tenant_id.0)
                                .push_bind(c.id.0)
                                .push_bind(c.severity.as_str())
                                .push_bind(c.status.as_str())
                                .push_bind(c.detections as i64)
                                .push_bind(c.entries as i64)
                                .push_bind(us(c.updated_at))
                                .push_bind(ous(c.resolved_at));
                        });
                        qb.push(") AS v WHERE cases.tenant_id = v.column1 AND cases.id = v.column2");
                        qb.build().execute(&mut *self.tx).await?;
                    }
                    Ok(())
                }
                async fn append_timeline(&mut self, tenant: TenantId, entries: &[TimelineEntry]) -> Result<()> {
                    for chunk in sized_chunks(entries, chunk_rows(6)) {
                        let mut qb = QueryBuilder::<$db>::new("INSERT INTO case_timeline (tenant_id, case_id, seq, at, kind, detail) ");
                        qb.push_values(chunk, |mut b, e| {
                            b.push_bind(tenant.0)
                                .push_bind(e.case_id.0)
                                .push_bind(e.seq as i64)
                                .push_bind(us(e.at))
                                .push_bind(e.kind.as_str())
                                .push_bind(e.detail.clone());
                        });
                        qb.build().execute(&mut *self.tx).await?;
                    }
                    Ok(())
                }
                async fn orphan_lookup(
                    &mut self,
                    tenant: TenantId,
                    keys: &[(CarrierId, String)],
                ) -> Result<HashMap<(CarrierId, String), ShipmentId>> {
                    self.lock_orphans(tenant).await?;
                    let mut found = HashMap::new();
                    let numbers: Vec<String> = keys.iter().map(|(_, t)| t.clone()).collect::<HashSet<_>>().into_iter().collect();
                    for mut qb in $by_tracking_number(tenant.0, &numbers) {
                        for r in qb.build().fetch_all(&mut *self.tx).await? {
                            found.insert(
                                (CarrierId(r.try_get("carrier_id")?), r.try_get::<String, _>("tracking_number")?),
                                ShipmentId(r.try_get("id")?),
                            );
                        }
                    }
                    Ok(found)
                }
                async fn attach_orphans(&mut self, tenant: TenantId, shipments: &[(CarrierId, String, ShipmentId)]) -> Result<Vec<ShipmentId>> {
                    self.lock_orphans(tenant).await?;
                    let mut attached = HashSet::new();
                    for chunk in sized_chunks(shipments, chunk_rows(4)) {
                        let mut qb = QueryBuilder::<$db>::new("UPDATE tracking_events SET shipment_id = v.column4 FROM (");
                        qb.push_values(chunk, |mut b, (carrier, tracking, id)| {
                            b.push_bind(tenant.0).push_bind(carrier.0).push_bind(tracking.clone()).push_bind(id.0);
                        });
                        qb.push(
                            ") AS v WHERE tracking_events.tenant_id = v.column1 AND tracking_events.shipment_id IS NULL \
                             AND tracking_events.carrier_id = v.column2 AND tracking_events.tracking_number = v.column3 \
                             RETURNING tracking_events.shipment_id",
                        );
                        for r in qb.build().fetch_all(&mut *self.tx).await? {
                            attached.insert(ShipmentId(r.try_get("shipment_id")?));
                        }
                    }
                    Ok(attached.into_iter().collect())
                }
                async fn events_of(&mut self, tenant: TenantId, shipments: &[ShipmentId]) -> Result<Vec<TrackingEvent>> {
                    let ids: Vec<Uuid> = shipments.iter().map(|i| i.0).collect();
                    let head = format!("SELECT {EVENT_COLS} FROM tracking_events WHERE tenant_id = ");
                    fetch_conn(&mut self.tx, id_queries(&head, tenant, "shipment_id", &ids, "")).await?.iter().map(event_row).collect()
                }
                async fn insert_rulebook(&mut self, tenant: TenantId, b: &StoredRulebook) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO rulebooks (tenant_id, version, name, source, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(tenant.0)
                    .bind(b.version)
                    .bind(b.name.clone())
                    .bind(b.source.clone())
                    .bind(us(b.created_at))
                    .bind(b.created_by.clone())
                    .execute(&mut *self.tx)
                    .await?;
                    Ok(())
                }
            }
        }
    };
}

pub(crate) use impl_tracking_store;
