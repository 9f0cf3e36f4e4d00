//! EDI trading partners and the records the gateway keeps: who a partner is (ISA ids, the
//! tenant and carrier or warehouse it stands for) and how strictly its files are read. The X12
//! grammar itself lives in the `consign-edi` crate.

use crate::Invalid;
use crate::ids::{CarrierId, InterchangeId, PartnerId, TenantId, WarehouseId};
use crate::tenant::{validate_name, validate_time_zone};
pub use crate::vocab::{Acknowledgement, PartnerKind};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TradingPartner {
    pub id: PartnerId,
    pub tenant_id: TenantId,
    pub name: String,
    /// ISA05/ISA06 of the partner (ISA07/ISA08 on what we send it).
    pub isa_qualifier: String,
    pub isa_id: String,
    /// Our own ISA qualifier and id towards this partner.
    pub our_isa_qualifier: String,
    pub our_isa_id: String,
    pub kind: PartnerKind,
    pub carrier_id: Option<CarrierId>,
    pub warehouse_id: Option<WarehouseId>,
    /// Accept envelope faults (counts, control numbers, unpadded ISA) with a warning.
    pub lenient: bool,
    /// Commit the good sets of a group that also holds rejected ones.
    pub allow_partial: bool,
    /// Zone for local times the partner sends without a time code.
    pub time_zone: String,
    /// Reference qualifiers (L11, N9, REF) that carry the tracking number / the PRO.
    pub tracking_qualifiers: Vec<String>,
    pub pro_qualifiers: Vec<String>,
    /// What its 005010 groups are answered with (997 or 999).
    #[serde(default)]
    pub acknowledgement: Acknowledgement,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTradingPartner {
    pub name: String,
    pub isa_qualifier: String,
    pub isa_id: String,
    #[serde(default = "default_our_qualifier")]
    pub our_isa_qualifier: String,
    pub our_isa_id: String,
    pub kind: PartnerKind,
    /// SCAC, name or id of the tenant's carrier (kind carrier).
    #[serde(default)]
    pub carrier: Option<String>,
    /// Code of the tenant's warehouse (kind warehouse).
    #[serde(default)]
    pub warehouse: Option<String>,
    #[serde(default)]
    pub lenient: bool,
    #[serde(default)]
    pub allow_partial: bool,
    #[serde(default = "default_tz")]
    pub time_zone: String,
    #[serde(default = "default_tracking")]
    pub tracking_qualifiers: Vec<String>,
    #[serde(default = "default_pro")]
    pub pro_qualifiers: Vec<String>,
    /// `997` (default) or `999` for the partner's 005010 groups.
    #[serde(default)]
    pub acknowledgement: Acknowledgement,
}

fn default_our_qualifier() -> String {
    "ZZ".into()
}
fn default_tz() -> String {
    "UTC".into()
}
fn default_tracking() -> Vec<String> {
    vec!["CN".into(), "2I".into()]
}
fn default_pro() -> Vec<String> {
    vec!["CN".into(), "P8".into()]
}

/// ISA ids are 15 characters of the basic character set, compared after trimming the padding.
pub fn validate_isa_id(v: &str, field: &str, inv: &mut Invalid) {
    let t = v.trim();
    if t.is_empty()
        || t.len() > 15
        || !t.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        || t.contains(['*', '~', ':', '^'])
    {
        inv.push(
            field,
            format!("'{v}' is not an ISA id (1-15 printable characters, no delimiters)"),
        );
    }
}

pub fn validate_isa_qualifier(v: &str, field: &str, inv: &mut Invalid) {
    if v.len() != 2 || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
        inv.push(
            field,
            format!("'{v}' is not an ISA id qualifier (two letters or digits, e.g. ZZ, 02, 01)"),
        );
    }
}

impl NewTradingPartner {
    /// Field checks; the carrier or warehouse is resolved by the caller, which passes the ids.
    pub fn accept(
        self,
        id: PartnerId,
        tenant_id: TenantId,
        carrier_id: Option<CarrierId>,
        warehouse_id: Option<WarehouseId>,
        now: Timestamp,
    ) -> Result<TradingPartner, Invalid> {
        let mut inv = Invalid::default();
        validate_name(&self.name, "name", 200, &mut inv);
        validate_isa_qualifier(&self.isa_qualifier, "isa_qualifier", &mut inv);
        validate_isa_id(&self.isa_id, "isa_id", &mut inv);
        validate_isa_qualifier(&self.our_isa_qualifier, "our_isa_qualifier", &mut inv);
        validate_isa_id(&self.our_isa_id, "our_isa_id", &mut inv);
        validate_time_zone(&self.time_zone, "time_zone", &mut inv);
        match self.kind {
            PartnerKind::Carrier if self.carrier.is_none() => {
                inv.push("carrier", "a carrier partner names its carrier")
            }
            PartnerKind::Warehouse if self.warehouse.is_none() => {
                inv.push("warehouse", "a warehouse partner names its warehouse")
            }
            _ => {}
        }
        for (f, list) in [
            ("tracking_qualifiers", &self.tracking_qualifiers),
            ("pro_qualifiers", &self.pro_qualifiers),
        ] {
            for (i, q) in list.iter().enumerate() {
                if q.is_empty() || q.len() > 3 || !q.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    inv.push(
                        format!("{f}[{i}]"),
                        format!("'{q}' is not a reference qualifier"),
                    );
                }
            }
        }
        inv.into_result(TradingPartner {
            id,
            tenant_id,
            name: self.name.trim().into(),
            isa_qualifier: self.isa_qualifier.to_ascii_uppercase(),
            isa_id: self.isa_id.trim().into(),
            our_isa_qualifier: self.our_isa_qualifier.to_ascii_uppercase(),
            our_isa_id: self.our_isa_id.trim().into(),
            kind: self.kind,
            carrier_id,
            warehouse_id,
            lenient: self.lenient,
            allow_partial: self.allow_partial,
            time_zone: self.time_zone,
            tracking_qualifiers: self.tracking_qualifiers,
            pro_qualifiers: self.pro_qualifiers,
            acknowledgement: self.acknowledgement,
            created_at: now,
        })
    }
}

string_enum! {
    #[cfg_attr(feature = "openapi", schema(as = EdiDirection))]
    pub enum Direction (Exact) {
        Inbound = "inbound",
        Outbound = "outbound",
    }
    unknown(s) => format!("unknown EDI direction '{s}'");
}

/// An interchange as stored: the raw bytes are kept beside it for audit and replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InterchangeRecord {
    pub id: InterchangeId,
    pub tenant_id: TenantId,
    pub partner_id: PartnerId,
    pub direction: Direction,
    /// ISA13.
    pub control_number: String,
    /// `accepted`, `partially_accepted` or `rejected`.
    pub status: String,
    pub at: Timestamp,
    pub sha256: String,
    /// What was accepted and rejected, per group and set.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub summary: serde_json::Value,
}

/// One transaction set and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetRecord {
    pub id: crate::ids::EdiSetId,
    pub interchange_id: InterchangeId,
    pub partner_id: PartnerId,
    pub direction: Direction,
    pub group_control: String,
    pub set_control: String,
    /// ST01, e.g. `214`.
    pub set_id: String,
    /// `accepted`, `accepted_with_warnings` or `rejected`.
    pub status: String,
    /// The typed content of an accepted set.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub content: Option<serde_json::Value>,
    pub problems: Vec<String>,
    pub at: Timestamp,
}

/// A functional group we sent, and the 997 that answered it (if any yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboundGroup {
    pub partner_id: PartnerId,
    pub group_control: String,
    pub interchange_id: InterchangeId,
    pub functional_id: String,
    pub set_count: u32,
    pub sent_at: Timestamp,
    /// AK901 of the answering 997: A, E, P or R; `None` while unacknowledged.
    pub ack_status: Option<String>,
    pub ack_at: Option<Timestamp>,
    pub ack_detail: Option<String>,
}
