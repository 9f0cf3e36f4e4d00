//! The canonical reason vocabulary (SPEC §2): why a shipment is held up, and who is
//! accountable for it. Tracking maps carriers' codes onto it; the rule engine decides by it.

use serde::{Deserialize, Serialize};

/// Who is accountable for a reason (and so for the exception it causes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accountable {
    Carrier,
    Shipper,
    Consignee,
    Customs,
    External,
}

impl Accountable {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Carrier => "carrier",
            Self::Shipper => "shipper",
            Self::Consignee => "consignee",
            Self::Customs => "customs",
            Self::External => "external",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "carrier" => Self::Carrier,
            "shipper" => Self::Shipper,
            "consignee" => Self::Consignee,
            "customs" => Self::Customs,
            "external" => Self::External,
            _ => return Err(format!("unknown accountable party '{s}'")),
        })
    }
}

/// The canonical reasons (SPEC §2), each with its default accountable party.
pub const REASONS: [(&str, Option<Accountable>); 17] = [
    ("address_incorrect", Some(Accountable::Consignee)),
    ("recipient_unavailable", Some(Accountable::Consignee)),
    ("refused", Some(Accountable::Consignee)),
    ("business_closed", Some(Accountable::Consignee)),
    ("damaged", Some(Accountable::Carrier)),
    ("missorted", Some(Accountable::Carrier)),
    ("mechanical", Some(Accountable::Carrier)),
    ("missed_pickup", Some(Accountable::Carrier)),
    ("customs_documentation", Some(Accountable::Shipper)),
    ("customs_inspection", Some(Accountable::Customs)),
    ("duties_unpaid", Some(Accountable::Consignee)),
    ("weather", Some(Accountable::External)),
    ("held_per_shipper", Some(Accountable::Shipper)),
    ("held_for_payment", Some(Accountable::Consignee)),
    ("lost", Some(Accountable::Carrier)),
    ("other", None),
    ("normal", None),
];
