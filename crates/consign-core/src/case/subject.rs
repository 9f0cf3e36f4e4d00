//! What a case is about: exactly one subject, whose key backs the one uniqueness rule.

use crate::ids::{CarrierId, OrderId, PartnerId, ShipmentId};

/// What a case is about: exactly one subject (SPEC §4). Its [`key`](CaseSubject::key) is
/// the one column behind "at most one open case per (tenant, subject, type)", so a new kind of
/// subject (invoice, return, sku-location) is a new variant here, not a new column, index and
/// optional field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseSubject {
    Shipment(ShipmentId),
    Order(OrderId),
    Carrier(CarrierId),
    /// A functional group we sent a trading partner, by its control number (GS06).
    EdiGroup {
        partner: PartnerId,
        group: String,
    },
}

impl CaseSubject {
    /// The kind's name, which also leads the key.
    pub fn kind(&self) -> &'static str {
        match self {
            CaseSubject::Shipment(_) => "shipment",
            CaseSubject::Order(_) => "order",
            CaseSubject::Carrier(_) => "carrier",
            CaseSubject::EdiGroup { .. } => "edi_group",
        }
    }

    /// `kind:id` (`edi_group:partner:group` for a group): the stored subject key. The
    /// migration that introduced it builds the same text in SQL, so both must keep this form.
    pub fn key(&self) -> String {
        match self {
            CaseSubject::Shipment(id) => format!("shipment:{id}"),
            CaseSubject::Order(id) => format!("order:{id}"),
            CaseSubject::Carrier(id) => format!("carrier:{id}"),
            CaseSubject::EdiGroup { partner, group } => format!("edi_group:{partner}:{group}"),
        }
    }

    /// Reads a stored key back.
    pub fn parse_key(key: &str) -> Result<Self, String> {
        let bad = || format!("'{key}' is not a case subject key");
        let (kind, rest) = key.split_once(':').ok_or_else(bad)?;
        let uuid = |s: &str| uuid::Uuid::parse_str(s).map_err(|_| bad());
        Ok(match kind {
            "shipment" => CaseSubject::Shipment(ShipmentId(uuid(rest)?)),
            "order" => CaseSubject::Order(OrderId(uuid(rest)?)),
            "carrier" => CaseSubject::Carrier(CarrierId(uuid(rest)?)),
            "edi_group" => {
                let (partner, group) = rest.split_once(':').ok_or_else(bad)?;
                CaseSubject::EdiGroup {
                    partner: PartnerId(uuid(partner)?),
                    group: group.to_string(),
                }
            }
            _ => return Err(bad()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_keys_read_back() {
        let id = uuid::Uuid::parse_str("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
        for s in [
            CaseSubject::Shipment(ShipmentId(id)),
            CaseSubject::Order(OrderId(id)),
            CaseSubject::Carrier(CarrierId(id)),
            CaseSubject::EdiGroup {
                partner: PartnerId(id),
                group: "000123".into(),
            },
        ] {
            assert_eq!(CaseSubject::parse_key(&s.key()).unwrap(), s);
            assert!(s.key().starts_with(s.kind()));
        }
        assert_eq!(
            CaseSubject::Shipment(ShipmentId(id)).key(),
            "shipment:01890a5d-ac96-774b-bcce-b302099a8057"
        );
        assert!(CaseSubject::parse_key("invoice:x").is_err());
        assert!(CaseSubject::parse_key("shipment").is_err());
    }
}
