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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
