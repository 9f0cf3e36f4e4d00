//! Parties a tenant works with: carriers (by SCAC where they have one), warehouses and
//! customers. Each belongs to one tenant.

use crate::Invalid;
use crate::ids::{CarrierId, TenantId, WarehouseId};
use crate::tenant::{validate_name, validate_time_zone};
pub use crate::vocab::Mode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Carrier {
    pub id: CarrierId,
    pub tenant_id: TenantId,
    pub name: String,
    /// Standard Carrier Alpha Code: 2-4 upper-case letters, unique per tenant when present.
    pub scac: Option<String>,
    pub mode: Mode,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCarrier {
    pub name: String,
    #[serde(default)]
    pub scac: Option<String>,
    pub mode: Mode,
}

pub fn validate_scac(scac: &str, field: &str, invalid: &mut Invalid) {
    if !(2..=4).contains(&scac.len()) || !scac.bytes().all(|b| b.is_ascii_uppercase()) {
        invalid.push(
            field,
            format!("'{scac}' is not a SCAC (2-4 upper-case letters)"),
        );
    }
}

impl NewCarrier {
    pub fn accept(self, id: CarrierId, tenant_id: TenantId) -> Result<Carrier, Invalid> {
        let mut inv = Invalid::default();
        validate_name(&self.name, "name", 200, &mut inv);
        let scac = self
            .scac
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if let Some(s) = &scac {
            validate_scac(s, "scac", &mut inv);
        }
        inv.into_result(Carrier {
            id,
            tenant_id,
            name: self.name.trim().into(),
            scac,
            mode: self.mode,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Warehouse {
    pub id: WarehouseId,
    pub tenant_id: TenantId,
    /// Short site code used in files and EDI (e.g. `DAL1`).
    pub code: String,
    pub name: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWarehouse {
    pub code: String,
    pub name: String,
    pub time_zone: String,
}

impl NewWarehouse {
    pub fn accept(self, id: WarehouseId, tenant_id: TenantId) -> Result<Warehouse, Invalid> {
        let mut inv = Invalid::default();
        let code = self.code.trim().to_ascii_uppercase();
        if code.is_empty()
            || code.len() > 16
            || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            inv.push("code", "must be 1-16 letters, digits or '-'");
        }
        validate_name(&self.name, "name", 200, &mut inv);
        validate_time_zone(&self.time_zone, "time_zone", &mut inv);
        inv.into_result(Warehouse {
            id,
            tenant_id,
            code,
            name: self.name.trim().into(),
            time_zone: self.time_zone,
        })
    }
}

/// Each carrier's label where people read carriers side by side (a scorecard's breakdown):
/// its name, or where two carriers share a name (names are not unique, SCACs are), the name
/// with its SCAC, else with the start of its id, so that no two rows merge into one.
pub fn carrier_labels(carriers: &[Carrier]) -> std::collections::HashMap<CarrierId, String> {
    let mut uses: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for c in carriers {
        *uses.entry(c.name.as_str()).or_default() += 1;
    }
    carriers
        .iter()
        .map(|c| {
            let label = if uses[c.name.as_str()] > 1 {
                let tag = c
                    .scac
                    .clone()
                    .unwrap_or_else(|| c.id.to_string().chars().take(8).collect());
                format!("{} ({tag})", c.name)
            } else {
                c.name.clone()
            };
            (c.id, label)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriers_sharing_a_name_are_told_apart_by_scac() {
        let carrier = |name: &str, scac: Option<&str>| Carrier {
            id: CarrierId::random(),
            tenant_id: TenantId::random(),
            name: name.into(),
            scac: scac.map(String::from),
            mode: Mode::Parcel,
        };
        let all = [
            carrier("FedEx", Some("FDEG")),
            carrier("FedEx", Some("FXFE")),
            carrier("UPS", Some("UPSN")),
        ];
        let labels = carrier_labels(&all);
        assert_eq!(labels[&all[0].id], "FedEx (FDEG)");
        assert_eq!(labels[&all[1].id], "FedEx (FXFE)");
        assert_eq!(labels[&all[2].id], "UPS");
    }

    #[test]
    fn carrier_scac_is_checked() {
        let bad = NewCarrier {
            name: "Acme".into(),
            scac: Some("ac1".into()),
            mode: Mode::Ltl,
        };
        let err = bad
            .accept(CarrierId::random(), TenantId::random())
            .unwrap_err();
        assert_eq!(err.errors[0].field, "scac");
        let ok = NewCarrier {
            name: "Acme".into(),
            scac: Some("ACME".into()),
            mode: Mode::Ltl,
        };
        assert!(ok.accept(CarrierId::random(), TenantId::random()).is_ok());
    }
}

/// A consignee known to a tenant, found again by e-mail (or name when there is none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: crate::ids::CustomerId,
    pub tenant_id: TenantId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}
