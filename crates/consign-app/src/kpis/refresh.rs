//! The rollup's refresh. The database's triggers mark every shipment, order and case whose
//! facts may have changed; a round takes a batch of marks, recomputes those records' facts rows
//! from what is recorded (the core judges them), and recounts every local day an old or a
//! new row counts on. Marks are taken in the round's transaction, so a change committed
//! meanwhile marks its record again and the next round sees it.
//!
//! Why a worker and not the write path: the write paths that change a figure are many
//! (ingest, sweeps, documents, cases, imports, edits) and the ingest is the one that must
//! stay fast; a trigger's mark is one small insert, and the recount happens off the hot
//! path in batches, where one day's recount serves many changes. A scorecard says how many
//! marks were still waiting when it was read.

use crate::{App, AppResult};
use consign_core::ids::{CaseId, OrderId, ShipmentId, TenantId};
use consign_core::kpi::KpiDefinitions;
use consign_core::kpi::facts::{OrderRecord, ShipmentFact, ShipmentRecord};
use consign_core::kpi::rollup::{OrderRow, ShipmentRow, daily_counts, order_row};
use consign_core::tenant::Tenant;
use consign_store::Stale;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A tenant's marks in one round.
#[derive(Default)]
struct Marked {
    shipments: Vec<ShipmentId>,
    orders: Vec<OrderId>,
    cases: Vec<CaseId>,
}

/// Marks one round takes.
const ROUND: i64 = 2_000;

/// The facts rows of some shipments and orders, computed from their records.
pub(crate) struct Computed {
    pub shipments: Vec<ShipmentRow>,
    pub orders: Vec<OrderRow>,
    /// Every order whose row was computed (the ones asked for, and those of the shipments).
    pub order_ids: Vec<OrderId>,
}

pub(crate) fn zone_of(tenant: &Tenant) -> TimeZone {
    TimeZone::get(&tenant.time_zone).unwrap_or(TimeZone::UTC)
}

impl App {
    /// Computes the facts rows of `shipments` and `orders` (and of the orders those
    /// shipments fulfil) from the records, under `def` as version `version`.
    pub(crate) async fn compute_kpi_rows(
        &self,
        tenant: &Tenant,
        def: &KpiDefinitions,
        version: i64,
        shipments: &[ShipmentId],
        orders: &[OrderId],
    ) -> AppResult<Computed> {
        let zone = zone_of(tenant);
        let mut records: HashMap<ShipmentId, ShipmentRecord> = self
            .store
            .kpi_shipment_records(tenant.id, shipments)
            .await?
            .into_iter()
            .map(|r| (r.shipment, r))
            .collect();
        let mut order_ids: BTreeSet<OrderId> = orders.iter().copied().collect();
        order_ids.extend(records.values().filter_map(|r| r.order));
        let order_ids: Vec<OrderId> = order_ids.into_iter().collect();
        let sources = self.store.kpi_order_sources(tenant.id, &order_ids).await?;
        let missing: Vec<ShipmentId> = sources
            .iter()
            .flat_map(|o| o.shipments.iter().map(|(s, _)| *s))
            .filter(|s| !records.contains_key(s))
            .collect();
        if !missing.is_empty() {
            for r in self.store.kpi_shipment_records(tenant.id, &missing).await? {
                records.insert(r.shipment, r);
            }
        }
        let facts: HashMap<ShipmentId, ShipmentFact> =
            records.iter().map(|(id, r)| (*id, r.fact())).collect();
        let shipment_rows = shipments
            .iter()
            .filter_map(|id| facts.get(id))
            .map(|f| ShipmentRow::of(f, &zone))
            .collect();
        let order_rows = sources
            .into_iter()
            .filter_map(|o| {
                let destination = o
                    .shipments
                    .iter()
                    .find_map(|(s, _)| records.get(s))
                    .map(|r| r.destination.time_zone.clone());
                let record = OrderRecord {
                    order: o.order,
                    channel: o.channel,
                    promised_by: o.promised_by,
                    cancelled: o.cancelled,
                    lines: o.lines,
                    shipments: o
                        .shipments
                        .into_iter()
                        .filter_map(|(s, lines)| facts.get(&s).map(|f| (f.clone(), lines)))
                        .collect(),
                    fallback_zone: tenant.time_zone.clone(),
                };
                order_row(def, version, &record.fact(destination.as_deref()), &zone)
            })
            .collect();
        Ok(Computed {
            shipments: shipment_rows,
            orders: order_rows,
            order_ids,
        })
    }

    /// One round of the refresh; returns how many marks it took (0: nothing was stale).
    pub async fn refresh_kpis(&self) -> AppResult<usize> {
        let mut tx = self.begin().await?;
        let taken = tx.take_kpi_stale(ROUND).await?;
        if taken.is_empty() {
            return Ok(0);
        }
        let mut by_tenant: BTreeMap<TenantId, Marked> = BTreeMap::new();
        for (tenant, stale) in &taken {
            let e = by_tenant.entry(*tenant).or_default();
            match stale {
                Stale::Shipment(id) => e.shipments.push(*id),
                Stale::Order(id) => e.orders.push(*id),
                Stale::Case(id) => e.cases.push(*id),
            }
        }
        for (tenant_id, marked) in by_tenant {
            let Marked {
                shipments,
                orders,
                cases,
            } = marked;
            if !cases.is_empty() {
                let facts = self.compute_case_facts(tenant_id, &cases).await?;
                tx.put_kpi_case_facts(tenant_id, &cases, &facts).await?;
            }
            if shipments.is_empty() && orders.is_empty() {
                continue;
            }
            // A tenant is never deleted; a mark without one has nothing to count.
            let Some(tenant) = self.store.tenant(tenant_id).await? else {
                continue;
            };
            let def = self.definitions_in_force(&tenant).await?;
            let c = self
                .compute_kpi_rows(&tenant, &def.definitions, def.version, &shipments, &orders)
                .await?;
            let mut days: BTreeSet<Date> = tx
                .kpi_days_of(tenant_id, &shipments, &c.order_ids)
                .await?
                .into_iter()
                .collect();
            for s in &c.shipments {
                days.insert(s.shipped_day);
                days.extend(s.delivered_day);
            }
            days.extend(c.orders.iter().map(|o| o.due_day));
            tx.put_kpi_rows(tenant_id, &shipments, &c.order_ids, &c.shipments, &c.orders)
                .await?;
            let days: Vec<Date> = days.into_iter().collect();
            let (rows, order_rows) = tx.kpi_rows_for_update(tenant_id, &days).await?;
            let counts = daily_counts(|d| days.binary_search(&d).is_ok(), &rows, &order_rows);
            tx.replace_kpi_daily(tenant_id, &days, &counts).await?;
        }
        self.commit(tx).await?;
        Ok(taken.len())
    }

    /// Rebuilds a tenant's rollup from its records (after `kpis verify` found drift):
    /// empties it, marks every shipment, order and case, and refreshes until done.
    pub async fn rebuild_kpis(&self, tenant: &Tenant) -> AppResult<usize> {
        let mut tx = self.begin().await?;
        tx.reset_kpi_rollup(tenant.id).await?;
        self.commit(tx).await?;
        self.refresh_kpis_until_done().await
    }

    /// Rounds until nothing is stale; returns how many marks were taken in all.
    pub async fn refresh_kpis_until_done(&self) -> AppResult<usize> {
        let mut total = 0;
        loop {
            let n = self.refresh_kpis().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }
}
