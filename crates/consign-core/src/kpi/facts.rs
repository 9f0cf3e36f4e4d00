//! What a scorecard reads about each shipment and order: a few facts fixed when they are
//! recorded (dates already in the destination's time zone, whether a case was opened), so
//! that a figure under any definition is arithmetic over them. The store keeps them as rows
//! (and counts of rows); tests build them by hand.

use crate::ids::{CarrierId, OrderId, ShipmentId};
use crate::order::Channel;
use jiff::Timestamp;
use jiff::civil::Date;

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
    /// The order's outbound shipments that were not cancelled, with the quantity of each
    /// line they carry (same order as `ordered`).
    pub shipments: Vec<(ShipmentFact, Vec<u32>)>,
}
