//! The canonical reason vocabulary (SPEC §2): why a shipment is held up, and who is
//! accountable for it. Tracking maps carriers' codes onto it; the rule engine decides by it.

pub use crate::vocab::Accountable;

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
