//! `consign kpis verify`: recomputes every facts row of a tenant (shipments, orders, cases)
//! from its records and every
//! daily count from the facts rows, and compares them with what the rollup holds. A rollup
//! that drifted (a write path that escaped the triggers, a bug in the refresh, a hand edit)
//! shows up here as the records and days that differ.

use super::refresh::Computed;
use crate::{App, AppResult};
use consign_core::ids::{CaseId, OrderId, ShipmentId};
use consign_core::kpi::Period;
use consign_core::kpi::rollup::{DailyCount, daily_counts, figures_from_daily};
use consign_core::kpi::scorecard::DeliveryFigures;
use consign_core::tenant::Tenant;
use consign_store::Days;
use jiff::ToSpan;
use serde::Serialize;
use std::collections::BTreeMap;

/// Records read per page.
const PAGE: i64 = 2_000;
/// Differences listed in full; the rest are counted.
const LISTED: usize = 20;

/// What a check found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KpiCheck {
    pub tenant: String,
    pub shipments: u64,
    pub orders: u64,
    pub cases: u64,
    pub days: u64,
    /// Marks still waiting for the refresh: differences they explain are not drift.
    pub pending_changes: u64,
    /// How many facts rows and daily counts differ from their recomputation.
    pub differences: u64,
    /// The first differences, in words.
    pub listed: Vec<String>,
}

impl KpiCheck {
    fn differs(&mut self, what: String) {
        self.differences += 1;
        if self.listed.len() < LISTED {
            self.listed.push(what);
        }
    }

    pub fn ok(&self) -> bool {
        self.differences == 0
    }
}

fn compare<K: Ord + std::fmt::Display, V: PartialEq + std::fmt::Debug>(
    check: &mut KpiCheck,
    what: &str,
    stored: BTreeMap<K, V>,
    mut computed: BTreeMap<K, V>,
) {
    for (k, v) in stored {
        match computed.remove(&k) {
            Some(c) if c == v => {}
            Some(c) => check.differs(format!("{what} {k}: stored {v:?}, recomputed {c:?}")),
            None => check.differs(format!("{what} {k}: stored {v:?}, recomputed none")),
        }
    }
    for (k, c) in computed {
        check.differs(format!("{what} {k}: stored none, recomputed {c:?}"));
    }
}

fn count_key(c: &DailyCount) -> String {
    format!(
        "{} {} carrier={} channel={} key={}",
        c.day,
        c.measure.as_str(),
        c.carrier.map(|x| x.to_string()).unwrap_or_default(),
        c.channel.map(|x| x.as_str()).unwrap_or(""),
        c.key
    )
}

/// Keyset paging: the page read after `after`, which moves to the page's last id; `None` once
/// a read comes back empty.
fn page<I: Copy>(ids: Vec<I>, after: &mut Option<I>) -> Option<Vec<I>> {
    *after = Some(*ids.last()?);
    Some(ids)
}

impl App {
    /// A period's delivery figures recomputed from every record of the tenant, as a scorecard
    /// would be without the rollup (the benchmark's comparison; slow by design).
    pub async fn recompute_delivery_figures(
        &self,
        tenant: &Tenant,
        period: &Period,
    ) -> AppResult<DeliveryFigures> {
        let def = self.definitions_in_force(tenant).await?;
        let on = |d| period.contains(d);
        let mut sums: BTreeMap<DailyCount, (u64, u64)> = BTreeMap::new();
        let mut add = |counts: Vec<DailyCount>| {
            for c in counts {
                let (h, t) = (c.hits, c.total);
                let e = sums
                    .entry(DailyCount {
                        hits: 0,
                        total: 0,
                        ..c
                    })
                    .or_default();
                e.0 += h;
                e.1 += t;
            }
        };
        let mut after: Option<ShipmentId> = None;
        while let Some(ids) = page(
            self.store.kpi_shipment_ids(tenant.id, after, PAGE).await?,
            &mut after,
        ) {
            let c = self
                .compute_kpi_rows(tenant, &def.definitions, def.version, &ids, &[])
                .await?;
            add(daily_counts(on, &c.shipments, &[]));
        }
        let mut after: Option<OrderId> = None;
        while let Some(ids) = page(
            self.store.kpi_order_ids(tenant.id, after, PAGE).await?,
            &mut after,
        ) {
            let c = self
                .compute_kpi_rows(tenant, &def.definitions, def.version, &[], &ids)
                .await?;
            add(daily_counts(on, &[], &c.orders));
        }
        let counts: Vec<DailyCount> = sums
            .into_iter()
            .map(|(c, (hits, total))| DailyCount { hits, total, ..c })
            .collect();
        let today = self.now().to_zoned(super::refresh::zone_of(tenant)).date();
        let f = figures_from_daily(&def.definitions, def.version, period, &counts, today);
        self.with_carrier_names(tenant, f).await
    }

    /// Checks one tenant's rollup against a full recomputation (an operator's tool: it reads
    /// every record of the tenant).
    pub async fn verify_kpis(&self, tenant: &Tenant) -> AppResult<KpiCheck> {
        let mut check = KpiCheck {
            tenant: tenant.slug.clone(),
            pending_changes: self.store.kpi_stale_count(Some(tenant.id)).await?,
            ..Default::default()
        };
        let def = self.definitions_in_force(tenant).await?;
        let mut after: Option<ShipmentId> = None;
        while let Some(ids) = page(
            self.store.kpi_shipment_ids(tenant.id, after, PAGE).await?,
            &mut after,
        ) {
            check.shipments += ids.len() as u64;
            let Computed { shipments, .. } = self
                .compute_kpi_rows(tenant, &def.definitions, def.version, &ids, &[])
                .await?;
            let (stored, _) = self.store.kpi_rows_of(tenant.id, &ids, &[]).await?;
            compare(
                &mut check,
                "shipment",
                stored.into_iter().map(|r| (r.shipment, r)).collect(),
                shipments.into_iter().map(|r| (r.shipment, r)).collect(),
            );
        }
        let mut after: Option<OrderId> = None;
        while let Some(ids) = page(
            self.store.kpi_order_ids(tenant.id, after, PAGE).await?,
            &mut after,
        ) {
            check.orders += ids.len() as u64;
            let c = self
                .compute_kpi_rows(tenant, &def.definitions, def.version, &[], &ids)
                .await?;
            let (_, stored) = self.store.kpi_rows_of(tenant.id, &[], &ids).await?;
            compare(
                &mut check,
                "order",
                stored.into_iter().map(|r| (r.order, r)).collect(),
                c.orders.into_iter().map(|r| (r.order, r)).collect(),
            );
        }
        let mut after: Option<CaseId> = None;
        while let Some(ids) = page(
            self.store.kpi_case_ids(tenant.id, after, PAGE).await?,
            &mut after,
        ) {
            check.cases += ids.len() as u64;
            let computed = self.compute_case_facts(tenant.id, &ids).await?;
            let stored = self.store.kpi_case_facts_of(tenant.id, &ids).await?;
            compare(
                &mut check,
                "case",
                stored.into_iter().map(|f| (f.case, f)).collect(),
                computed.into_iter().map(|f| (f.case, f)).collect(),
            );
        }
        if let Some((first, last)) = self.store.kpi_day_span(tenant.id).await? {
            let mut from = first;
            while from <= last {
                let to = from.saturating_add(6.days()).min(last);
                let (rows, orders) = self
                    .store
                    .kpi_rows(tenant.id, Days::Between(from, to))
                    .await?;
                let computed = daily_counts(|d| from <= d && d <= to, &rows, &orders);
                let stored = self.store.kpi_daily(tenant.id, from, to).await?;
                compare(
                    &mut check,
                    "count",
                    stored
                        .into_iter()
                        .map(|c| (count_key(&c), (c.hits, c.total)))
                        .collect(),
                    computed
                        .into_iter()
                        .map(|c| (count_key(&c), (c.hits, c.total)))
                        .collect(),
                );
                check.days +=
                    u64::from(from.until(to).map(|s| s.get_days()).unwrap_or(0) as u32) + 1;
                let Some(next) = to.tomorrow().ok() else {
                    break;
                };
                from = next;
            }
        }
        Ok(check)
    }
}
