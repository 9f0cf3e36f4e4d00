//! The tracking ingest pipeline's writes ([`TrackingTx`]): the batch's shipments locked and
//! read, its events inserted, the derived state written, orphan events attached.
//!
//! Writes are batched: one multi-row statement per chunk for events, state and cases, so an
//! ingest transaction costs a handful of round trips whatever its size.

use super::dialect::{Dialect, PushArg, QueryExt, RowExt, RowsAffected};
use super::orders::{
    FULFILMENT_HEAD, FULFILMENT_TAIL, ORDER_COLS, ORDER_LINES_HEAD, attach_order_lines,
    fold_fulfilment, order_row,
};
use super::tracking::{
    CARRIER_MODES, EVENT_COLS, FACTS_COLS, STATE_COLS, TRACKED_COLS, distinct_numbers, event_row,
    fetch_conn, fetch_pool, fill_carriers, found_by_number, id_queries, key16, tracked_parts,
    tracked_row, with_carriers,
};
use super::{SqlTx, chunk_rows, ous, sized_chunks, us};
use crate::{Result, StoreError, TrackingTx};
use consign_core::ids::{CarrierId, OrderId, ShipmentId, TenantId};
use consign_core::order::Order;
use consign_core::tracking::{TrackedShipment, TrackingEvent};
use jiff::Timestamp;
use sqlx::QueryBuilder;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

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
            match DB::split_tracked_query(FACTS_COLS, STATE_COLS, tenant.0, &sorted)
                .filter(|_| !self.changed_facts)
            {
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
                ") AS v WHERE shipment_tracking.tenant_id = v.column1 \
                 AND shipment_tracking.shipment_id = v.column2",
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
        for mut qb in DB::by_tracking_number(tenant.0, &distinct_numbers(keys)) {
            for r in qb.build().fetch_all(DB::conn(&mut self.tx)).await? {
                found_by_number::<DB>(&r, &mut found)?;
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
                ") AS v WHERE tracking_events.tenant_id = v.column1 \
                 AND tracking_events.shipment_id IS NULL AND tracking_events.carrier_id = \
                 v.column2 AND tracking_events.tracking_number = v.column3 \
                 RETURNING tracking_events.shipment_id",
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
