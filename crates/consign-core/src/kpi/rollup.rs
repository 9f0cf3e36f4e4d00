//! The scorecard's rollup. Each shipment and each due order becomes one row of facts with
//! the tenant's local days it counts on ([`ShipmentRow`], [`OrderRow`]); the rows of a day
//! become counts ([`daily_counts`]); a period's figures are sums of its days' counts
//! ([`figures_from_daily`]), so a scorecard reads a few hundred counts, not a million
//! shipments. The counts keep what a definition may still change — days late (clamped just
//! past the widest window), carrier and channel for the exclusions — so the on-time window
//! and the exclusions apply when the figures are read. Order outcomes depend on the in-full
//! rule as well and are counted under one definitions version, named in the key.
//!
//! The same functions give the full recomputation that `consign kpis verify` compares the
//! stored rollup with, and the tests hold [`figures_from_daily`] equal to
//! [`super::scorecard::delivery_figures`] over the same facts.

use super::definition::{KpiDefinitions, MAX_WINDOW_DAYS};
use super::facts::{OrderFact, ShipmentFact};
use super::period::Period;
use super::scorecard::{Breakdown, DeliveryFigures, order_outcome};
use crate::case::kpi::Ratio;
use crate::ids::{CarrierId, OrderId, ShipmentId};
use crate::order::Channel;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::BTreeMap;

/// Days late beyond this are counted at it: no window reaches it, so nothing is lost.
pub const DAYS_LATE_CLAMP: i64 = MAX_WINDOW_DAYS + 1;

/// The key of a delivery made without a promise.
pub const NO_PROMISE: &str = "none";

/// What a row of the rollup counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// Shipments delivered that day, keyed by days late (or [`NO_PROMISE`]).
    Delivered,
    /// Shipments that left that day, keyed by lane; hits are those with a case.
    Shipped,
    /// Shipments that left that day with a case of the key's type.
    ExceptionReason,
    /// Shipments that left that day with a case the key's party is accountable for.
    ExceptionParty,
    /// Orders due that day, keyed by definitions version; hits were on time in full.
    Otif,
    /// Orders due that day, keyed by definitions version; hits were perfect.
    PerfectOrder,
}

impl Measure {
    pub const ALL: [Measure; 6] = [
        Measure::Delivered,
        Measure::Shipped,
        Measure::ExceptionReason,
        Measure::ExceptionParty,
        Measure::Otif,
        Measure::PerfectOrder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Delivered => "delivered",
            Measure::Shipped => "shipped",
            Measure::ExceptionReason => "exception_reason",
            Measure::ExceptionParty => "exception_party",
            Measure::Otif => "otif",
            Measure::PerfectOrder => "perfect_order",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A shipment's facts with the tenant's local days it counts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentRow {
    pub shipment: ShipmentId,
    pub order: Option<OrderId>,
    pub carrier: CarrierId,
    pub lane: String,
    pub channel: Option<Channel>,
    /// The tenant's day it left.
    pub shipped_day: Date,
    /// The tenant's day it was delivered.
    pub delivered_day: Option<Date>,
    /// Days after the promise it was delivered, by the destination's calendar.
    pub days_late: Option<i64>,
    pub cancelled: bool,
    pub damaged: bool,
    pub documents_accurate: bool,
    /// Case types and accountable parties of its cases, each sorted and listed once.
    pub case_types: Vec<String>,
    pub accountables: Vec<String>,
}

impl ShipmentRow {
    pub fn of(f: &ShipmentFact, tenant_zone: &TimeZone) -> ShipmentRow {
        let day = |t: jiff::Timestamp| t.to_zoned(tenant_zone.clone()).date();
        let listed = |pick: fn(&(String, String)) -> &String| {
            let mut v: Vec<String> = f.cases.iter().map(|c| pick(c).clone()).collect();
            v.sort();
            v.dedup();
            v
        };
        ShipmentRow {
            shipment: f.shipment,
            order: f.order,
            carrier: f.carrier,
            lane: f.lane.clone(),
            channel: f.channel,
            shipped_day: day(f.shipped_at),
            delivered_day: f.delivered_at.map(day),
            days_late: f.days_late(),
            cancelled: f.cancelled,
            damaged: f.damaged,
            documents_accurate: f.documents_accurate,
            case_types: listed(|c| &c.0),
            accountables: listed(|c| &c.1),
        }
    }
}

/// A due order's outcome under one definitions version, on the tenant's day it was due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub order: OrderId,
    pub due_day: Date,
    pub channel: Channel,
    pub definitions_version: i64,
    /// False when cancelled or excluded by the definitions.
    pub counted: bool,
    pub otif: bool,
    pub perfect: bool,
}

/// The order's row, or `None` for an order without a promise (never due).
pub fn order_row(
    def: &KpiDefinitions,
    version: i64,
    f: &OrderFact,
    tenant_zone: &TimeZone,
) -> Option<OrderRow> {
    let due = f.promised_at?;
    let outcome = order_outcome(def, f);
    Some(OrderRow {
        order: f.order,
        due_day: due.to_zoned(tenant_zone.clone()).date(),
        channel: f.channel,
        definitions_version: version,
        counted: outcome.is_some(),
        otif: outcome.is_some_and(|o| o.otif),
        perfect: outcome.is_some_and(|o| o.perfect),
    })
}

/// One count of the rollup.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DailyCount {
    pub day: Date,
    pub measure: Measure,
    pub carrier: Option<CarrierId>,
    pub channel: Option<Channel>,
    pub key: String,
    pub hits: u64,
    pub total: u64,
}

type CountKey = (Date, Measure, Option<CarrierId>, Option<Channel>, String);

/// The counts of the days `on` accepts, from the rows that count on them (rows of other
/// days are ignored, so a caller may pass every row it read). Sorted, so two computations
/// compare equal.
pub fn daily_counts(
    on: impl Fn(Date) -> bool,
    shipments: &[ShipmentRow],
    orders: &[OrderRow],
) -> Vec<DailyCount> {
    let mut m: BTreeMap<CountKey, (u64, u64)> = BTreeMap::new();
    let mut add = |k: CountKey, hit: bool| {
        let e = m.entry(k).or_default();
        e.0 += u64::from(hit);
        e.1 += 1;
    };
    for s in shipments.iter().filter(|s| !s.cancelled) {
        let (c, ch) = (Some(s.carrier), s.channel);
        if let Some(d) = s.delivered_day.filter(|d| on(*d)) {
            let key = s.days_late.map_or(NO_PROMISE.to_string(), |n| {
                n.clamp(-DAYS_LATE_CLAMP, DAYS_LATE_CLAMP).to_string()
            });
            add((d, Measure::Delivered, c, ch, key), false);
        }
        if on(s.shipped_day) {
            let d = s.shipped_day;
            add(
                (d, Measure::Shipped, c, ch, s.lane.clone()),
                !s.case_types.is_empty(),
            );
            for t in &s.case_types {
                add((d, Measure::ExceptionReason, c, ch, t.clone()), true);
            }
            for a in &s.accountables {
                add((d, Measure::ExceptionParty, c, ch, a.clone()), true);
            }
        }
    }
    for o in orders.iter().filter(|o| o.counted && on(o.due_day)) {
        let key = || o.definitions_version.to_string();
        let ch = Some(o.channel);
        add((o.due_day, Measure::Otif, None, ch, key()), o.otif);
        add(
            (o.due_day, Measure::PerfectOrder, None, ch, key()),
            o.perfect,
        );
    }
    m.into_iter()
        .map(
            |((day, measure, carrier, channel, key), (hits, total))| DailyCount {
                day,
                measure,
                carrier,
                channel,
                key,
                hits,
                total,
            },
        )
        .collect()
}

#[derive(Default, Clone, Copy)]
struct Sum {
    hits: u64,
    total: u64,
}

impl Sum {
    fn add(&mut self, hits: u64, total: u64) {
        self.hits += hits;
        self.total += total;
    }
    fn ratio(self) -> Ratio {
        Ratio::of(self.hits, self.total)
    }
}

fn ratios(m: BTreeMap<String, Sum>) -> Breakdown {
    m.into_iter().map(|(k, s)| (k, s.ratio())).collect()
}

/// A period's delivery figures from its days' counts, under `def` for the window and the
/// exclusions and under definitions `version` for the order outcomes. Orders count only on
/// days before `due_before` (the tenant's today): an order due later is not due yet, and
/// counting it would show as a miss what may still arrive on time.
pub fn figures_from_daily(
    def: &KpiDefinitions,
    version: i64,
    period: &Period,
    counts: &[DailyCount],
    due_before: Date,
) -> DeliveryFigures {
    let version = version.to_string();
    let mut on_time = Sum::default();
    let mut on_time_by_carrier: BTreeMap<String, Sum> = BTreeMap::new();
    let mut without_promise = 0;
    let mut shipped = Sum::default();
    let mut by_carrier: BTreeMap<String, Sum> = BTreeMap::new();
    let mut by_lane: BTreeMap<String, Sum> = BTreeMap::new();
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_party: BTreeMap<String, u64> = BTreeMap::new();
    let (mut otif, mut perfect) = (Sum::default(), Sum::default());
    for c in counts.iter().filter(|c| period.contains(c.day)) {
        let carrier = c.carrier.map(|id| id.to_string()).unwrap_or_default();
        let excluded = c.carrier.is_some_and(|id| def.excludes(id, c.channel))
            || c.carrier.is_none() && c.channel.is_some_and(|ch| def.excludes_channel(ch));
        if excluded {
            continue;
        }
        match c.measure {
            Measure::Delivered => match c.key.parse::<i64>() {
                Ok(days_late) => {
                    let hits = if def.on_time.on_time(days_late) {
                        c.total
                    } else {
                        0
                    };
                    on_time.add(hits, c.total);
                    on_time_by_carrier
                        .entry(carrier)
                        .or_default()
                        .add(hits, c.total);
                }
                Err(_) => without_promise += c.total,
            },
            Measure::Shipped => {
                shipped.add(c.hits, c.total);
                by_carrier.entry(carrier).or_default().add(c.hits, c.total);
                by_lane
                    .entry(c.key.clone())
                    .or_default()
                    .add(c.hits, c.total);
            }
            Measure::ExceptionReason => *by_reason.entry(c.key.clone()).or_default() += c.total,
            Measure::ExceptionParty => *by_party.entry(c.key.clone()).or_default() += c.total,
            Measure::Otif if c.key == version && c.day < due_before => otif.add(c.hits, c.total),
            Measure::PerfectOrder if c.key == version && c.day < due_before => {
                perfect.add(c.hits, c.total)
            }
            Measure::Otif | Measure::PerfectOrder => {}
        }
    }
    let per_shipment = |m: BTreeMap<String, u64>| -> Breakdown {
        m.into_iter()
            .map(|(k, n)| (k, Ratio::of(n, shipped.total)))
            .collect()
    };
    DeliveryFigures {
        on_time_delivery: on_time.ratio(),
        on_time_by_carrier: ratios(on_time_by_carrier),
        delivered_without_promise: without_promise,
        otif: otif.ratio(),
        perfect_order: perfect.ratio(),
        exception_rate: shipped.ratio(),
        exceptions_by_carrier: ratios(by_carrier),
        exceptions_by_lane: ratios(by_lane),
        exceptions_by_reason: per_shipment(by_reason),
        exceptions_by_accountable: per_shipment(by_party),
    }
}
