//! A tenant's scorecard for a period: the delivery figures summed from the rollup's daily
//! counts (with a 12-period trend of the headline figures), the case figures of the period,
//! and the definitions version it was judged under. Asked for another version than the one
//! in force, it is recomputed from the records under that version (slower, on request).

use super::may_read;
use super::refresh::zone_of;
use crate::{App, AppError, AppResult};
use consign_core::access::{Capability, Principal};
use consign_core::case::kpi::CaseKpis;
use consign_core::ids::{OrderId, ShipmentId};
use consign_core::kpi::Period;
use consign_core::kpi::Ratio;
use consign_core::kpi::period::DEFAULT_MAX_DAYS;
use consign_core::kpi::rollup::{DailyCount, daily_counts, figures_from_daily};
use consign_core::kpi::scorecard::{Breakdown, DeliveryFigures, OrderTurnaround, order_turnaround};
use consign_core::tenant::Tenant;
use consign_store::Days;
use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeMap;

/// Periods in a headline figure's trend, the scorecard's own last.
pub const TREND_PERIODS: usize = 12;

/// A headline figure with what it is made of.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figure {
    /// `on_time_delivery`, `otif`, `perfect_order`, `exception_rate`, `sla_attainment`, …
    pub key: String,
    pub label: String,
    pub numerator: u64,
    pub denominator: u64,
    /// `numerator / denominator`, absent when nothing was counted.
    pub value: Option<f64>,
    /// What the figure counts, in words.
    pub basis: String,
    /// The list of the records it counted (its denominator), and of those it counted as
    /// hits (its numerator; for SLA attainment, which counts targets, the cases that met
    /// every target they had); absent for the delivery figures of a scorecard recomputed
    /// under another definitions version than the one in force.
    pub records: Option<String>,
    pub hits: Option<String>,
}

/// One period of the trend.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrendPoint {
    pub period: String,
    pub on_time_delivery: Ratio,
    pub otif: Ratio,
    pub perfect_order: Ratio,
    pub exception_rate: Ratio,
    /// The case rates of the period (by when the cases were resolved); absent for a caller
    /// who may not read cases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla_attainment: Option<Ratio>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopen_rate: Option<Ratio>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_contact_resolution: Option<Ratio>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scorecard {
    pub tenant: String,
    pub tenant_name: String,
    /// As asked for: `2026-W48`, `2026-11` or `2026-11-01..2026-11-15`.
    pub period: String,
    pub first_day: Date,
    pub last_day: Date,
    /// The tenant's zone, in which the period's days are counted.
    pub time_zone: String,
    pub definitions_version: i64,
    /// `rollup` (the definitions in force, from the daily counts) or `recomputed` (another
    /// version, from the records).
    pub source: String,
    /// Changes not yet counted when the scorecard was read (the refresh worker's backlog).
    pub pending_changes: u64,
    /// OTIF and perfect order count the orders due before this day (the tenant's today when
    /// the period runs into it): an order due later is not due yet.
    pub orders_due_before: Date,
    /// The headline figures, delivery then cases.
    pub figures: Vec<Figure>,
    /// Every delivery figure with its breakdowns (carriers by name).
    pub delivery: DeliveryFigures,
    /// How long the period's orders waited to be released and then to ship.
    pub turnaround: OrderTurnaround,
    /// The period's case figures; absent for a caller who may not read cases.
    pub cases: Option<CaseKpis>,
    /// The headline figures over the last 12 periods of the same kind.
    pub trend: Vec<TrendPoint>,
}

fn figure(key: &str, label: &str, r: Ratio, basis: &str) -> Figure {
    Figure {
        key: key.into(),
        label: label.into(),
        numerator: r.numerator,
        denominator: r.denominator,
        value: r.value,
        basis: basis.into(),
        records: None,
        hits: None,
    }
}

/// Links each figure to its records: `…/shipments?kpi=…`, `…/orders?kpi=…` or
/// `…/cases?kpi=…`.
fn link_records(f: &mut Figure, tenant: &str, period: &str) {
    let list = match f.key.as_str() {
        "on_time_delivery" | "exception_rate" => "shipments",
        "otif" | "perfect_order" => "orders",
        k if super::CASE_FIGURES.contains(&k) => "cases",
        _ => return,
    };
    let base = format!(
        "/api/v1/tenants/{tenant}/{list}?kpi={}&kpi_period={period}",
        f.key
    );
    f.hits = Some(format!("{base}&kpi_outcome=hit"));
    f.records = Some(base);
}

/// Renames breakdown keys that are carrier ids to the carriers' names.
fn by_name(b: Breakdown, names: &BTreeMap<String, String>) -> Breakdown {
    b.into_iter()
        .map(|(k, v)| (names.get(&k).cloned().unwrap_or(k), v))
        .collect()
}

/// One tenant's headline delivery figures for a period (the provider's overview).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantHeadline {
    pub tenant: String,
    pub tenant_name: String,
    pub definitions_version: i64,
    pub pending_changes: u64,
    pub on_time_delivery: Ratio,
    pub otif: Ratio,
    pub perfect_order: Ratio,
    pub exception_rate: Ratio,
}

/// The headline figures of every tenant the caller reaches for one period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScorecardOverview {
    pub period: String,
    pub tenants: Vec<TenantHeadline>,
}

impl App {
    /// Every reachable tenant's headline figures for `period` (each in its own zone, under
    /// its definitions in force), from the rollup.
    pub async fn scorecard_overview(
        &self,
        p: &Principal,
        period: &str,
    ) -> AppResult<ScorecardOverview> {
        may_read(p)?;
        let period = Period::parse(period, DEFAULT_MAX_DAYS).map_err(AppError::Invalid)?;
        let mut tenants = Vec::new();
        for t in self.list_tenants(p).await? {
            let def = self.definitions_in_force(&t).await?;
            let counts = self
                .reads()
                .kpi_daily(t.id, period.first_day(), period.last_day())
                .await?;
            let today = self.now().to_zoned(zone_of(&t)).date();
            let f = figures_from_daily(&def.definitions, def.version, &period, &counts, today);
            tenants.push(TenantHeadline {
                pending_changes: self.reads().kpi_stale_count(Some(t.id)).await?,
                tenant: t.slug,
                tenant_name: t.name,
                definitions_version: def.version,
                on_time_delivery: f.on_time_delivery,
                otif: f.otif,
                perfect_order: f.perfect_order,
                exception_rate: f.exception_rate,
            });
        }
        Ok(ScorecardOverview {
            period: period.to_string(),
            tenants,
        })
    }

    /// The scorecard of `tenant` for `period`, under the definitions in force or under
    /// `version` when asked.
    pub async fn scorecard(
        &self,
        p: &Principal,
        tenant: &Tenant,
        period: &str,
        version: Option<i64>,
    ) -> AppResult<Scorecard> {
        may_read(p)?;
        let period = Period::parse(period, DEFAULT_MAX_DAYS).map_err(AppError::Invalid)?;
        let in_force = self.definitions_in_force(tenant).await?;
        let def = match version {
            Some(v) if v != in_force.version => self.kpi_definitions_version(p, tenant, v).await?,
            _ => in_force.clone(),
        };
        let trend = period.trend(TREND_PERIODS);
        let first = trend[0].first_day();
        let last = period.last_day();
        let pending = self.reads().kpi_stale_count(Some(tenant.id)).await?;
        let recomputed = def.version != in_force.version;
        let counts = if recomputed {
            self.recount(tenant, &def, first, last).await?
        } else {
            self.reads().kpi_daily(tenant.id, first, last).await?
        };
        let today = self.now().to_zoned(zone_of(tenant)).date();
        let figures =
            |p: &Period| figures_from_daily(&def.definitions, def.version, p, &counts, today);
        // The case rates of every period of the trend, in one read of the case facts.
        let reads_cases = p.can(Capability::ReadCases);
        let case_rates = if reads_cases {
            let zone = zone_of(tenant);
            let mut bounds: Vec<_> = trend.iter().map(|x| x.bounds(&zone).0).collect();
            if let Some(last) = trend.last() {
                bounds.push(last.bounds(&zone).1);
            }
            self.reads().kpi_case_rates(tenant.id, &bounds).await?
        } else {
            Vec::new()
        };
        let points: Vec<TrendPoint> = trend
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let f = figures(p);
                let c = case_rates.get(i);
                TrendPoint {
                    period: p.to_string(),
                    on_time_delivery: f.on_time_delivery,
                    otif: f.otif,
                    perfect_order: f.perfect_order,
                    exception_rate: f.exception_rate,
                    sla_attainment: c.map(|c| Ratio::of(c.sla_met, c.sla_applied)),
                    reopen_rate: c.map(|c| Ratio::of(c.reopened, c.resolved)),
                    first_contact_resolution: c.map(|c| Ratio::of(c.first_contact, c.resolved)),
                }
            })
            .collect();
        let d = self.with_carrier_names(tenant, figures(&period)).await?;
        let (from, to) = period.bounds(&zone_of(tenant));
        let (released, shipped) = self.reads().order_turnaround(tenant.id, from, to).await?;
        let cases = if reads_cases {
            Some(self.case_figures(tenant, from, to).await?)
        } else {
            None
        };
        let mut headline = vec![
            figure(
                "on_time_delivery",
                "On-time delivery",
                d.on_time_delivery,
                "shipments delivered by the promise ÷ shipments delivered with a promise",
            ),
            figure(
                "otif",
                "OTIF",
                d.otif,
                "orders delivered in full by the promise ÷ orders due",
            ),
            figure(
                "perfect_order",
                "Perfect order",
                d.perfect_order,
                "orders on time, in full, undamaged, documents accurate ÷ orders due",
            ),
            figure(
                "exception_rate",
                "Exception rate",
                d.exception_rate,
                "shipments with at least one case ÷ shipments that left",
            ),
        ];
        if !recomputed {
            for f in &mut headline {
                link_records(f, &tenant.slug, &period.to_string());
            }
        }
        if let Some(c) = &cases {
            headline.extend([
                figure(
                    "sla_attainment",
                    "SLA attainment",
                    c.sla_attainment,
                    "SLA targets met ÷ SLA targets applied",
                ),
                figure(
                    "reopen_rate",
                    "Reopen rate",
                    c.reopen_rate,
                    "cases reopened ÷ cases resolved",
                ),
                figure(
                    "first_contact_resolution",
                    "First-contact resolution",
                    c.first_contact_resolution,
                    "cases resolved with at most one outbound message and no reopening ÷ cases resolved",
                ),
            ]);
            // The case figures do not depend on the definitions: always linked.
            for f in headline.iter_mut().skip(4) {
                link_records(f, &tenant.slug, &period.to_string());
            }
        }
        Ok(Scorecard {
            tenant: tenant.slug.clone(),
            tenant_name: tenant.name.clone(),
            period: period.to_string(),
            first_day: period.first_day(),
            last_day: period.last_day(),
            time_zone: tenant.time_zone.clone(),
            definitions_version: def.version,
            source: if recomputed { "recomputed" } else { "rollup" }.into(),
            pending_changes: pending,
            orders_due_before: today,
            figures: headline,
            delivery: d,
            turnaround: order_turnaround(released, shipped),
            cases,
            trend: points,
        })
    }

    /// The figures with the carrier breakdowns keyed by the carriers' names.
    pub(super) async fn with_carrier_names(
        &self,
        tenant: &Tenant,
        mut d: DeliveryFigures,
    ) -> AppResult<DeliveryFigures> {
        // Two carriers may share a name; keyed by name alone, one's row replaced the other's.
        let carriers = self.reads().carriers(tenant.id).await?;
        let names: BTreeMap<String, String> = consign_core::party::carrier_labels(&carriers)
            .into_iter()
            .map(|(id, label)| (id.to_string(), label))
            .collect();
        d.on_time_by_carrier = by_name(d.on_time_by_carrier, &names);
        d.exceptions_by_carrier = by_name(d.exceptions_by_carrier, &names);
        Ok(d)
    }

    /// The daily counts from `first` to `last` computed afresh from the records under
    /// `def`: the records are those the facts rows say count on those days.
    async fn recount(
        &self,
        tenant: &Tenant,
        def: &super::DefinitionsVersion,
        first: Date,
        last: Date,
    ) -> AppResult<Vec<DailyCount>> {
        let (rows, orders) = self
            .reads()
            .kpi_rows(tenant.id, Days::Between(first, last))
            .await?;
        let shipments: Vec<ShipmentId> = rows.iter().map(|r| r.shipment).collect();
        let orders: Vec<OrderId> = orders.iter().map(|o| o.order).collect();
        let c = self
            .compute_kpi_rows(tenant, &def.definitions, def.version, &shipments, &orders)
            .await?;
        Ok(daily_counts(
            |d| first <= d && d <= last,
            &c.shipments,
            &c.orders,
        ))
    }
}

impl Scorecard {
    /// The scorecard as one CSV table a spreadsheet opens: `section, item, period,
    /// numerator, denominator, value`, the value a fraction (empty when nothing was
    /// counted). Sections: the headline figures, each breakdown, the trend; last the
    /// turnaround, whose rows carry the median minutes, the orders counted and the mean.
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "section",
            "item",
            "period",
            "numerator",
            "denominator",
            "value",
        ]);
        let mut row = |section: &str, item: &str, period: &str, r: Ratio| {
            let v = r.value.map(|v| format!("{v:.4}")).unwrap_or_default();
            let (n, d) = (r.numerator.to_string(), r.denominator.to_string());
            // Writing to a Vec cannot fail.
            let _ = w.write_record([section, item, period, &n, &d, &v]);
        };
        let period = self.period.as_str();
        for f in &self.figures {
            let r = Ratio::of(f.numerator, f.denominator);
            row("figure", &f.key, period, r);
        }
        let d = &self.delivery;
        for (section, b) in [
            ("on_time_by_carrier", &d.on_time_by_carrier),
            ("exceptions_by_carrier", &d.exceptions_by_carrier),
            ("exceptions_by_lane", &d.exceptions_by_lane),
            ("exceptions_by_reason", &d.exceptions_by_reason),
            ("exceptions_by_accountable", &d.exceptions_by_accountable),
        ] {
            for (k, r) in b {
                row(section, k, period, *r);
            }
        }
        row(
            "delivered_without_promise",
            "shipments",
            period,
            Ratio::of(d.delivered_without_promise, 0),
        );
        for t in &self.trend {
            for (item, r) in [
                ("on_time_delivery", t.on_time_delivery),
                ("otif", t.otif),
                ("perfect_order", t.perfect_order),
                ("exception_rate", t.exception_rate),
            ] {
                row("trend", item, &t.period, r);
            }
        }
        for (item, d) in [
            ("received_to_released", self.turnaround.received_to_released),
            ("released_to_shipped", self.turnaround.released_to_shipped),
        ] {
            let f = |m: Option<f64>| m.map(|m| format!("{m:.1}")).unwrap_or_default();
            let _ = w.write_record([
                "turnaround_minutes",
                item,
                period,
                &f(d.median_minutes),
                &d.count.to_string(),
                &f(d.mean_minutes),
            ]);
        }
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}
