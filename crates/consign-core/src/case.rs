//! Exception cases, minimal form: what the rule engine opens, re-detects, escalates and
//! resolves. Ownership, SLA clocks and communication build on these types later (SPEC §4).

use crate::ids::{CarrierId, CaseId, OrderId, PartnerId, ShipmentId, TenantId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity '{s}'; expected low, medium, high or critical"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Resolved,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Resolved => "resolved",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(CaseStatus::Open),
            "resolved" => Ok(CaseStatus::Resolved),
            _ => Err(format!(
                "unknown case status '{s}'; expected open or resolved"
            )),
        }
    }
}

/// Parties a case can be held against: the reason parties of SPEC §2 plus the ones the
/// non-tracking rules name.
pub const CASE_PARTIES: [&str; 8] = [
    "carrier",
    "shipper",
    "consignee",
    "customs",
    "external",
    "warehouse",
    "provider",
    "partner",
];

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

/// A case. Its JSON keeps the flat link fields the API has always had (`shipment_id`,
/// `order_id`, `carrier_id`, `partner_id`, `edi_group`), filled from the subject; it is only
/// ever written, never read back from JSON (the store reads the subject key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "CaseWire")]
pub struct Case {
    pub id: CaseId,
    pub tenant_id: TenantId,
    /// Human reference from the tenant's counter (`CASE-000042`).
    pub number: String,
    pub case_type: String,
    pub severity: Severity,
    pub accountable: String,
    pub owner_team: String,
    pub status: CaseStatus,
    pub subject: CaseSubject,
    /// The order a shipment case's shipment belongs to, if any (a link for lists).
    pub order_id: Option<OrderId>,
    /// The carrier a case concerns: its subject, or the carrier of its shipment or partner.
    pub carrier_id: Option<CarrierId>,
    /// Rulebook version whose rule opened the case.
    pub rulebook_version: i64,
    pub detections: u32,
    /// Timeline entries so far (the next entry's sequence number is this plus one).
    pub entries: u32,
    pub opened_at: Timestamp,
    pub updated_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

impl Case {
    pub fn shipment_id(&self) -> Option<ShipmentId> {
        match &self.subject {
            CaseSubject::Shipment(id) => Some(*id),
            _ => None,
        }
    }

    /// EDI cases: the trading partner and the control number (GS06) of the group we sent it.
    pub fn edi_group(&self) -> Option<(PartnerId, &str)> {
        match &self.subject {
            CaseSubject::EdiGroup { partner, group } => Some((*partner, group.as_str())),
            _ => None,
        }
    }
}

/// An exception case: what it is about (a shipment, a carrier or an EDI group we sent, with
/// its order and carrier as links), its type, severity and status, and how often it was
/// detected.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Case))]
pub struct CaseWire {
    pub id: CaseId,
    pub tenant_id: TenantId,
    /// Human reference from the tenant's counter (`CASE-000042`).
    pub number: String,
    pub case_type: String,
    pub severity: Severity,
    pub accountable: String,
    pub owner_team: String,
    pub status: CaseStatus,
    pub shipment_id: Option<ShipmentId>,
    pub order_id: Option<OrderId>,
    pub carrier_id: Option<CarrierId>,
    /// EDI cases: the trading partner and the control number (GS06) of the functional group
    /// we sent it.
    pub partner_id: Option<PartnerId>,
    pub edi_group: Option<String>,
    /// Rulebook version whose rule opened the case.
    pub rulebook_version: i64,
    pub detections: u32,
    /// Timeline entries so far (the next entry's sequence number is this plus one).
    pub entries: u32,
    pub opened_at: Timestamp,
    pub updated_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

impl From<Case> for CaseWire {
    fn from(c: Case) -> Self {
        let (shipment_id, partner_id, edi_group) = match &c.subject {
            CaseSubject::Shipment(id) => (Some(*id), None, None),
            CaseSubject::EdiGroup { partner, group } => (None, Some(*partner), Some(group.clone())),
            CaseSubject::Order(_) | CaseSubject::Carrier(_) => (None, None, None),
        };
        let order_id = match &c.subject {
            CaseSubject::Order(id) => Some(*id),
            _ => c.order_id,
        };
        let carrier_id = match &c.subject {
            CaseSubject::Carrier(id) => Some(*id),
            _ => c.carrier_id,
        };
        CaseWire {
            id: c.id,
            tenant_id: c.tenant_id,
            number: c.number,
            case_type: c.case_type,
            severity: c.severity,
            accountable: c.accountable,
            owner_team: c.owner_team,
            status: c.status,
            shipment_id,
            order_id,
            carrier_id,
            partner_id,
            edi_group,
            rulebook_version: c.rulebook_version,
            detections: c.detections,
            entries: c.entries,
            opened_at: c.opened_at,
            updated_at: c.updated_at,
            resolved_at: c.resolved_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Created,
    DetectedAgain,
    Escalated,
    AutoResolved,
}

impl TimelineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Created => "created",
            TimelineKind::DetectedAgain => "detected_again",
            TimelineKind::Escalated => "escalated",
            TimelineKind::AutoResolved => "auto_resolved",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "created" => Ok(TimelineKind::Created),
            "detected_again" => Ok(TimelineKind::DetectedAgain),
            "escalated" => Ok(TimelineKind::Escalated),
            "auto_resolved" => Ok(TimelineKind::AutoResolved),
            _ => Err(format!("unknown timeline entry kind '{s}'")),
        }
    }
}

/// One append-only line of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub case_id: CaseId,
    pub seq: u32,
    pub at: Timestamp,
    pub kind: TimelineKind,
    /// What caused it, in words an agent reads ("status delivery_attempted, reason
    /// recipient_unavailable at 2026-03-02T14:05Z").
    pub detail: String,
}

// The API documents a case by its JSON form.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Case {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <CaseWire as utoipa::PartialSchema>::schema()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Case {
    fn name() -> std::borrow::Cow<'static, str> {
        <CaseWire as utoipa::ToSchema>::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <CaseWire as utoipa::ToSchema>::schemas(schemas)
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
