//! The delivery figures of a scorecard (SPEC §10) from shipment and order facts under a
//! tenant's definitions: on-time delivery, OTIF, perfect order and the exception rate with
//! its breakdowns. Every figure is a [`Ratio`] (numerator, denominator, value).

use super::definition::KpiDefinitions;
use super::facts::{OrderFact, ShipmentFact};
use crate::case::kpi::Ratio;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// A ratio per key (carrier id, lane, case type, accountable party), keys in order.
pub type Breakdown = BTreeMap<String, Ratio>;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryFigures {
    /// Shipments delivered on time ÷ shipments delivered in the period (with a promise).
    pub on_time_delivery: Ratio,
    pub on_time_by_carrier: Breakdown,
    /// Delivered in the period without a promise to judge them by (in no denominator).
    pub delivered_without_promise: u64,
    /// Orders due in the period delivered in full within the on-time window ÷ orders due.
    pub otif: Ratio,
    /// OTIF orders also damage-free and with accurate documents ÷ orders due.
    pub perfect_order: Ratio,
    /// Shipments with at least one case ÷ shipments that left in the period.
    pub exception_rate: Ratio,
    pub exceptions_by_carrier: Breakdown,
    pub exceptions_by_lane: Breakdown,
    /// Shipments with a case of this type ÷ shipments that left in the period.
    pub exceptions_by_reason: Breakdown,
    /// Shipments with a case held against this party ÷ shipments that left in the period.
    pub exceptions_by_accountable: Breakdown,
}

/// Counts kept while reading facts.
#[derive(Default, Clone, Copy)]
struct Tally {
    hit: u64,
    all: u64,
}

impl Tally {
    fn add(&mut self, hit: bool) {
        self.all += 1;
        self.hit += u64::from(hit);
    }
    fn ratio(self) -> Ratio {
        Ratio::of(self.hit, self.all)
    }
}

fn breakdown(m: BTreeMap<String, Tally>) -> Breakdown {
    m.into_iter().map(|(k, t)| (k, t.ratio())).collect()
}

fn within(t: Timestamp, (start, end): (Timestamp, Timestamp)) -> bool {
    start <= t && t < end
}

/// The delivery figures of the period `[start, end)` (instants: the tenant's local period).
pub fn delivery_figures(
    def: &KpiDefinitions,
    bounds: (Timestamp, Timestamp),
    shipments: &[ShipmentFact],
    orders: &[OrderFact],
) -> DeliveryFigures {
    let mut on_time = Tally::default();
    let mut on_time_by_carrier: BTreeMap<String, Tally> = BTreeMap::new();
    let mut without_promise = 0;
    let mut exceptions = Tally::default();
    let mut by_carrier: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_lane: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_accountable: BTreeMap<String, u64> = BTreeMap::new();
    for s in shipments {
        if s.cancelled || def.excludes(s.carrier, s.channel) {
            continue;
        }
        if s.delivered_at.is_some_and(|t| within(t, bounds)) {
            match s.days_late() {
                Some(d) => {
                    let hit = def.on_time.on_time(d);
                    on_time.add(hit);
                    on_time_by_carrier
                        .entry(s.carrier.to_string())
                        .or_default()
                        .add(hit);
                }
                None => without_promise += 1,
            }
        }
        if within(s.shipped_at, bounds) {
            let hit = !s.cases.is_empty();
            exceptions.add(hit);
            by_carrier
                .entry(s.carrier.to_string())
                .or_default()
                .add(hit);
            by_lane.entry(s.lane.clone()).or_default().add(hit);
            // A shipment counts once per reason and once per party, however many cases.
            let mut reasons: Vec<&str> = s.cases.iter().map(|(t, _)| t.as_str()).collect();
            reasons.sort_unstable();
            reasons.dedup();
            for r in reasons {
                *by_reason.entry(r.to_string()).or_default() += 1;
            }
            let mut parties: Vec<&str> = s.cases.iter().map(|(_, a)| a.as_str()).collect();
            parties.sort_unstable();
            parties.dedup();
            for a in parties {
                *by_accountable.entry(a.to_string()).or_default() += 1;
            }
        }
    }
    let per_shipment = |m: BTreeMap<String, u64>| -> Breakdown {
        m.into_iter()
            .map(|(k, n)| (k, Ratio::of(n, exceptions.all)))
            .collect()
    };

    let mut otif = Tally::default();
    let mut perfect = Tally::default();
    for o in orders {
        if !o.promised_at.is_some_and(|due| within(due, bounds)) {
            continue;
        }
        if let Some(outcome) = order_outcome(def, o) {
            otif.add(outcome.otif);
            perfect.add(outcome.perfect);
        }
    }

    DeliveryFigures {
        on_time_delivery: on_time.ratio(),
        on_time_by_carrier: breakdown(on_time_by_carrier),
        delivered_without_promise: without_promise,
        otif: otif.ratio(),
        perfect_order: perfect.ratio(),
        exception_rate: exceptions.ratio(),
        exceptions_by_carrier: breakdown(by_carrier),
        exceptions_by_lane: breakdown(by_lane),
        exceptions_by_reason: per_shipment(by_reason),
        exceptions_by_accountable: per_shipment(by_accountable),
    }
}

/// How one due order scores under a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderOutcome {
    /// Every line delivered in full (by the in-full rule) within the on-time window.
    pub otif: bool,
    /// OTIF, and no shipment of it damaged or with inaccurate documents.
    pub perfect: bool,
}

/// The order's OTIF and perfect-order outcome, or `None` when the order is not counted:
/// no promise, cancelled, or left out by the definition's exclusions.
pub fn order_outcome(def: &KpiDefinitions, o: &OrderFact) -> Option<OrderOutcome> {
    o.promised_at?;
    if o.cancelled || def.exclude_channels.contains(&o.channel) {
        return None;
    }
    // An order carried by an excluded carrier is the carrier's, and left out with it. A
    // cancelled shipment carried nothing: its carrier does not take the order out.
    if o.shipments
        .iter()
        .any(|(s, _)| !s.cancelled && def.exclude_carriers.contains(&s.carrier))
    {
        return None;
    }
    let in_time = |s: &ShipmentFact| match (o.promised_on, s.delivered_on) {
        (Some(p), Some(d)) => p
            .until(d)
            .ok()
            .is_some_and(|span| def.on_time.on_time(i64::from(span.get_days()))),
        _ => false,
    };
    let mut delivered = vec![0u32; o.ordered.len()];
    for (s, lines) in &o.shipments {
        if s.cancelled || !in_time(s) {
            continue;
        }
        for (i, q) in lines.iter().enumerate() {
            if let Some(d) = delivered.get_mut(i) {
                *d = d.saturating_add(*q);
            }
        }
    }
    let otif = !o.ordered.is_empty() && def.in_full.in_full(&o.ordered, &delivered);
    let clean = o
        .shipments
        .iter()
        .filter(|(s, _)| !s.cancelled)
        .all(|(s, _)| !s.damaged && s.documents_accurate);
    Some(OrderOutcome {
        otif,
        perfect: otif && clean,
    })
}

/// Order turnaround (SPEC §10): how long orders waited to be released, and then to ship, in
/// wall-clock minutes, for the orders released (shipped) in the period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderTurnaround {
    pub received_to_released: crate::case::kpi::Durations,
    pub released_to_shipped: crate::case::kpi::Durations,
}

/// The turnaround from each order's minutes (negative ones, a clock's error, count as 0).
pub fn order_turnaround(released: Vec<i64>, shipped: Vec<i64>) -> OrderTurnaround {
    let clamp = |v: Vec<i64>| v.into_iter().map(|m| m.max(0)).collect();
    OrderTurnaround {
        received_to_released: crate::case::kpi::Durations::of(clamp(released)),
        released_to_shipped: crate::case::kpi::Durations::of(clamp(shipped)),
    }
}
