//! What a scorecard reads about each shipment and order: a few facts fixed when they are
//! recorded (dates already in the destination's time zone, whether a case was opened), so
//! that a figure under any definition is arithmetic over them. The store keeps them as rows
//! (and counts of rows); tests build them by hand.

use crate::ids::{CarrierId, OrderId, ShipmentId};
use crate::order::Channel;
use crate::shipment::{Place, ShipmentStatus};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// One outbound shipment, as the delivery figures see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentFact {
    pub shipment: ShipmentId,
    pub order: Option<OrderId>,
    pub carrier: CarrierId,
    /// Origin and destination, as `US-IL>US-CA` (country and region, or country and city
    /// where a region is missing): the lanes of a scorecard.
    pub lane: String,
    pub channel: Option<Channel>,
    /// When it left (picked up, else planned pickup, else recorded): the period an
    /// exception rate counts it in.
    pub shipped_at: Timestamp,
    /// When it was delivered: the period an on-time figure counts it in.
    pub delivered_at: Option<Timestamp>,
    /// The promise as a date where the goods go; `None` when the shipment had none.
    pub promised_on: Option<Date>,
    /// The delivery as a date where the goods went; `None` while not delivered.
    pub delivered_on: Option<Date>,
    pub cancelled: bool,
    /// A `damaged` reason or case on the shipment.
    pub damaged: bool,
    /// Every required document on file (a POD where one is required, a commercial invoice
    /// for an international shipment) and no `missing_documents` or `pod_missing` case.
    pub documents_accurate: bool,
    /// The cases opened about the shipment: (case type, accountable party).
    pub cases: Vec<(String, String)>,
}

impl ShipmentFact {
    /// Whole days from the promise date to the delivery date (negative: early); `None`
    /// when either is missing.
    pub fn days_late(&self) -> Option<i64> {
        let (p, d) = (self.promised_on?, self.delivered_on?);
        p.until(d).ok().map(|s| i64::from(s.get_days()))
    }
}

/// One line of an order: what was ordered, and what of it each shipment carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFact {
    pub order: OrderId,
    pub channel: Channel,
    /// The order's promise: the period OTIF counts it in (an order is due then).
    pub promised_at: Option<Timestamp>,
    /// The same promise as a date where its goods go, which deliveries are judged against.
    pub promised_on: Option<Date>,
    pub cancelled: bool,
    /// Ordered quantity per line, in line order.
    pub ordered: Vec<u32>,
    /// The order's outbound shipments (the cancelled ones marked so), with the quantity of
    /// each line they carry (same order as `ordered`).
    pub shipments: Vec<(ShipmentFact, Vec<u32>)>,
}

/// The lane between two places: `US-IL>US-CA` (country and region, or the city where a
/// region is missing).
pub fn lane(origin: &Place, destination: &Place) -> String {
    let end = |p: &Place| format!("{}-{}", p.country, p.region.as_deref().unwrap_or(&p.city));
    format!("{}>{}", end(origin), end(destination))
}

/// A shipment as the store records it, before its facts are judged.
#[derive(Debug, Clone)]
pub struct ShipmentRecord {
    pub shipment: ShipmentId,
    pub order: Option<OrderId>,
    pub carrier: CarrierId,
    pub origin: Place,
    pub destination: Place,
    /// The order's channel, if the shipment fulfils one.
    pub channel: Option<Channel>,
    pub created_at: Timestamp,
    pub planned_pickup_at: Option<Timestamp>,
    pub picked_up_at: Option<Timestamp>,
    /// The shipment's own promise, else its order's.
    pub promised_by: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub status: ShipmentStatus,
    pub pod_required: bool,
    pub pod_attached: bool,
    pub international: bool,
    pub documents_complete: bool,
    /// Every case ever opened about it: (case type, accountable party).
    pub cases: Vec<(String, String)>,
}

/// The case types that say a shipment's documents were not accurate.
const DOCUMENT_CASES: [&str; 2] = ["missing_documents", "pod_missing"];

impl ShipmentRecord {
    /// The facts the figures read, with the promise and the delivery as dates where the
    /// goods go.
    pub fn fact(&self) -> ShipmentFact {
        let tz = TimeZone::get(&self.destination.time_zone).unwrap_or(TimeZone::UTC);
        let date = |t: Timestamp| t.to_zoned(tz.clone()).date();
        let has_case = |ty: &str| self.cases.iter().any(|(t, _)| t == ty);
        let mut cases = self.cases.clone();
        cases.sort();
        cases.dedup();
        ShipmentFact {
            shipment: self.shipment,
            order: self.order,
            carrier: self.carrier,
            lane: lane(&self.origin, &self.destination),
            channel: self.channel,
            shipped_at: self
                .picked_up_at
                .or(self.planned_pickup_at)
                .unwrap_or(self.created_at),
            delivered_at: self.delivered_at,
            promised_on: self.promised_by.map(date),
            delivered_on: self.delivered_at.map(date),
            cancelled: self.status == ShipmentStatus::Cancelled,
            damaged: has_case("damaged"),
            documents_accurate: (!self.pod_required || self.pod_attached)
                && (!self.international || self.documents_complete)
                && !DOCUMENT_CASES.iter().any(|t| has_case(t)),
            cases,
        }
    }
}

/// An order as the store records it: its lines' quantities and, per shipment, what the
/// shipment carries of each line.
#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub order: OrderId,
    pub channel: Channel,
    pub promised_by: Option<Timestamp>,
    pub cancelled: bool,
    /// (line number, quantity ordered).
    pub lines: Vec<(i64, u32)>,
    /// Each shipment's facts and its (line number, quantity).
    pub shipments: Vec<(ShipmentFact, Vec<(i64, u32)>)>,
    /// The zone the promise is judged in when no shipment says where the goods go.
    pub fallback_zone: String,
}

impl OrderRecord {
    /// The order's facts: quantities by line position, the promise as a date in the zone of
    /// its first shipment's destination.
    pub fn fact(&self, destination_zone: Option<&str>) -> OrderFact {
        let zone = destination_zone.unwrap_or(&self.fallback_zone);
        let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
        let position = |line: i64| self.lines.iter().position(|(n, _)| *n == line);
        OrderFact {
            order: self.order,
            channel: self.channel,
            promised_at: self.promised_by,
            promised_on: self.promised_by.map(|t| t.to_zoned(tz.clone()).date()),
            cancelled: self.cancelled,
            ordered: self.lines.iter().map(|(_, q)| *q).collect(),
            shipments: self
                .shipments
                .iter()
                .map(|(s, lines)| {
                    let mut by_position = vec![0u32; self.lines.len()];
                    for (n, q) in lines {
                        if let Some(i) = position(*n) {
                            by_position[i] = by_position[i].saturating_add(*q);
                        }
                    }
                    (s.clone(), by_position)
                })
                .collect(),
        }
    }
}
