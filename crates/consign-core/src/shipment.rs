//! Shipments: what a carrier moves for an order (or back, for returns), with the promise,
//! the documents attached and the milestones known so far. Status uses the one canonical
//! vocabulary of SPEC §2; the tracking pipeline derives it from events.

use crate::Invalid;
use crate::ids::{CarrierId, DocumentId, OrderId, ShipmentId, TenantId};
use crate::order::{validate_country, validate_reference};
use crate::tenant::{validate_name, validate_time_zone};
use crate::time::check_plausible;
pub use crate::vocab::{DocumentKind, ShipmentStatus};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

string_enum! {
    pub enum Direction (Trimmed) {
        Outbound = "outbound",
        Return = "return",
    }
    unknown(s) => format!("unknown direction '{s}'; expected outbound or return");
}

impl ShipmentStatus {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ShipmentStatus::ReturnedToSender
                | ShipmentStatus::Delivered
                | ShipmentStatus::Cancelled
                | ShipmentStatus::Lost
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Place {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    /// IANA zone of the place: promised-by and end-of-day are judged in it.
    pub time_zone: String,
}

impl Place {
    pub fn validate(&self, prefix: &str, inv: &mut Invalid) {
        validate_name(&self.city, &format!("{prefix}.city"), 100, inv);
        validate_name(&self.postal_code, &format!("{prefix}.postal_code"), 20, inv);
        validate_country(&self.country, &format!("{prefix}.country"), inv);
        validate_time_zone(&self.time_zone, &format!("{prefix}.time_zone"), inv);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShipmentLine {
    pub line_no: u32,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shipment {
    pub id: ShipmentId,
    pub tenant_id: TenantId,
    /// Human reference from the tenant's counter (`SHP-000042`).
    pub number: String,
    pub carrier_id: CarrierId,
    pub service_level: String,
    pub tracking_number: String,
    /// The carrier's PRO number (freight: LTL and truckload), once known.
    pub pro_number: Option<String>,
    /// The bill of lading number the shipment moves under.
    pub bol_number: Option<String>,
    pub direction: Direction,
    pub order_id: Option<OrderId>,
    pub lines: Vec<ShipmentLine>,
    pub origin: Place,
    pub destination: Place,
    pub weight_kg: Decimal,
    pub pieces: u32,
    pub planned_pickup_at: Option<Timestamp>,
    pub promised_by: Option<Timestamp>,
    pub international: bool,
    pub pod_required: bool,
    pub status: ShipmentStatus,
    pub picked_up_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewShipmentLine {
    pub line_no: u32,
    pub quantity: u32,
}

/// A shipment as submitted. The carrier is named by SCAC or carrier id, the order by its
/// external reference or number, so integrations need not look up our ids first.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewShipment {
    pub carrier: String,
    #[serde(default = "default_service")]
    pub service_level: String,
    pub tracking_number: String,
    /// The carrier's PRO number (freight), when the shipper has it at booking.
    #[serde(default)]
    pub pro_number: Option<String>,
    /// The bill of lading number.
    #[serde(default)]
    pub bol_number: Option<String>,
    #[serde(default = "default_direction")]
    pub direction: Direction,
    #[serde(default)]
    pub order: Option<String>,
    /// Order lines carried; omitted means everything still unshipped on the order.
    #[serde(default)]
    pub lines: Option<Vec<NewShipmentLine>>,
    pub origin: Place,
    pub destination: Place,
    pub weight_kg: Decimal,
    #[serde(default = "one")]
    pub pieces: u32,
    #[serde(default)]
    pub planned_pickup_at: Option<Timestamp>,
    /// Defaults to the order's promise; never taken from the carrier.
    #[serde(default)]
    pub promised_by: Option<Timestamp>,
    /// Defaults to origin and destination countries differing.
    #[serde(default)]
    pub international: Option<bool>,
    #[serde(default)]
    pub pod_required: bool,
    /// Past milestones, for onboarding history.
    #[serde(default)]
    pub picked_up_at: Option<Timestamp>,
    #[serde(default)]
    pub delivered_at: Option<Timestamp>,
}

fn default_service() -> String {
    "standard".into()
}
fn default_direction() -> Direction {
    Direction::Outbound
}
fn one() -> u32 {
    1
}

/// Upper bound on a single shipment's weight: a loaded 53' trailer is about 20 t; anything
/// far above is a unit mistake (grams for kilograms).
pub const MAX_WEIGHT_KG: i64 = 50_000;

impl NewShipment {
    /// Field checks that need nothing from the store. Carrier and order resolution happen in
    /// the app layer, which reports their errors on the same fields.
    pub fn validate(&self, now: Timestamp) -> Invalid {
        let mut inv = Invalid::default();
        validate_reference(&self.carrier, "carrier", &mut inv);
        validate_reference(&self.tracking_number, "tracking_number", &mut inv);
        for (field, value) in [
            ("pro_number", &self.pro_number),
            ("bol_number", &self.bol_number),
        ] {
            if let Some(v) = value {
                validate_reference(v, field, &mut inv);
            }
        }
        validate_name(&self.service_level, "service_level", 64, &mut inv);
        self.origin.validate("origin", &mut inv);
        self.destination.validate("destination", &mut inv);
        if self.weight_kg <= Decimal::ZERO {
            inv.push("weight_kg", "must be greater than zero");
        } else if self.weight_kg > Decimal::from(MAX_WEIGHT_KG) {
            inv.push(
                "weight_kg",
                format!(
                    "{} kg is above the limit of {MAX_WEIGHT_KG} kg",
                    self.weight_kg
                ),
            );
        } else if self.weight_kg.normalize().scale() > 3 {
            inv.push("weight_kg", "at most three decimal places (grams)");
        }
        if self.pieces == 0 || self.pieces > 100_000 {
            inv.push(
                "pieces",
                format!("must be between 1 and 100000, got {}", self.pieces),
            );
        }
        for (f, t) in [
            ("planned_pickup_at", self.planned_pickup_at),
            ("promised_by", self.promised_by),
            ("picked_up_at", self.picked_up_at),
            ("delivered_at", self.delivered_at),
        ] {
            if let Some(t) = t {
                check_plausible(f, t, now, &mut inv);
            }
        }
        let future = now + jiff::SignedDuration::from_mins(5);
        for (f, t) in [
            ("picked_up_at", self.picked_up_at),
            ("delivered_at", self.delivered_at),
        ] {
            if t.is_some_and(|t| t > future) {
                inv.push(f, "a milestone cannot be in the future");
            }
        }
        if let (Some(p), Some(d)) = (self.picked_up_at, self.delivered_at)
            && d < p
        {
            inv.push("delivered_at", "must not be before picked_up_at");
        }
        if let Some(lines) = &self.lines {
            if self.order.is_none() {
                inv.push("lines", "lines are given but no order is named");
            }
            if lines.is_empty() {
                inv.push("lines", "when given, must name at least one order line");
            }
        }
        inv
    }

    /// The status implied by the milestones given at creation.
    pub fn initial_status(&self) -> ShipmentStatus {
        if self.delivered_at.is_some() {
            ShipmentStatus::Delivered
        } else if self.picked_up_at.is_some() {
            ShipmentStatus::PickedUp
        } else {
            ShipmentStatus::InfoReceived
        }
    }
}

/// Metadata of a document; the bytes live in a content-addressed folder keyed by `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Document {
    pub id: DocumentId,
    pub tenant_id: TenantId,
    pub shipment_id: ShipmentId,
    pub kind: DocumentKind,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub size_bytes: u64,
    pub uploaded_at: Timestamp,
    pub uploaded_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_statuses_match_the_spec() {
        let terminal: Vec<_> = ShipmentStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            terminal,
            ["returned_to_sender", "delivered", "cancelled", "lost"]
        );
        for s in ShipmentStatus::ALL {
            assert_eq!(ShipmentStatus::parse(s.as_str()).unwrap(), s);
        }
    }

    #[test]
    fn shipment_validation() {
        let now: Timestamp = "2026-01-10T00:00:00Z".parse().unwrap();
        let place = Place {
            name: None,
            city: "Austin".into(),
            region: None,
            postal_code: "78701".into(),
            country: "US".into(),
            time_zone: "America/Chicago".into(),
        };
        let s = NewShipment {
            carrier: "UPSN".into(),
            service_level: "ground".into(),
            tracking_number: "1Z999".into(),
            pro_number: None,
            bol_number: None,
            direction: Direction::Outbound,
            order: None,
            lines: Some(vec![]),
            origin: place.clone(),
            destination: Place {
                time_zone: "Nowhere/Else".into(),
                ..place
            },
            weight_kg: Decimal::ZERO,
            pieces: 0,
            planned_pickup_at: None,
            promised_by: None,
            international: None,
            pod_required: false,
            picked_up_at: Some("2026-01-09T00:00:00Z".parse().unwrap()),
            delivered_at: Some("2026-01-08T00:00:00Z".parse().unwrap()),
        };
        let inv = s.validate(now);
        let fields: Vec<_> = inv.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "destination.time_zone",
                "weight_kg",
                "pieces",
                "delivered_at",
                "lines",
                "lines"
            ]
        );
    }
}
