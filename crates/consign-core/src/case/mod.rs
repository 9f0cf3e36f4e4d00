//! Exception cases (SPEC §4): what a case is, its lifecycle, its timeline, the actions people
//! and the system take on it, who owns it, and the figures measured from it.

pub mod kpi;
pub mod ownership;
pub mod policy;
pub mod queue;
pub mod settings;
mod status;
mod subject;
mod timeline;
pub mod timers;
pub mod work;

pub use status::{CaseStatus, ResolutionCode, default_resolution};
pub use subject::CaseSubject;
pub use timeline::{TimelineEntry, TimelineKind, Visibility, actor_name};

use crate::ids::{CarrierId, CaseId, OrderId, PartnerId, ShipmentId, TenantId, UserId};
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
    /// One step up, for escalations (critical stays critical).
    pub fn raised(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }

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

/// Who tells the customer about a case of some type (the ownership matrix decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Informs {
    #[default]
    Provider,
    Client,
    Nobody,
}

impl Informs {
    pub fn as_str(self) -> &'static str {
        match self {
            Informs::Provider => "provider",
            Informs::Client => "client",
            Informs::Nobody => "nobody",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "provider" => Ok(Informs::Provider),
            "client" => Ok(Informs::Client),
            "nobody" => Ok(Informs::Nobody),
            _ => Err(format!(
                "unknown party '{s}' to inform the customer; expected provider, client or nobody"
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

/// Declares [`Case`] and its JSON form `CaseWire` from one list of the fields they share,
/// `head` before the links and `tail` after them, so that the two cannot drift apart: the case
/// keeps its subject, the JSON spells it out as the flat link fields the API has always had.
macro_rules! case_and_wire {
    (
        head { $($(#[$hm:meta])* $h:ident: $ht:ty,)* }
        tail { $($(#[$tm:meta])* $t:ident: $tt:ty,)* }
    ) => {
        /// A case. Its JSON keeps the flat link fields the API has always had (`shipment_id`,
        /// `order_id`, `carrier_id`, `partner_id`, `edi_group`), filled from the subject; it is
        /// only ever written, never read back from JSON (the store reads the subject key).
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(into = "CaseWire")]
        pub struct Case {
            $($(#[$hm])* pub $h: $ht,)*
            pub subject: CaseSubject,
            /// The order a shipment case's shipment belongs to, if any (a link for lists).
            pub order_id: Option<OrderId>,
            /// The carrier a case concerns: its subject, or the carrier of its shipment or
            /// partner.
            pub carrier_id: Option<CarrierId>,
            $($(#[$tm])* pub $t: $tt,)*
        }

        /// An exception case: what it is about (a shipment, a carrier or an EDI group we sent, with
        /// its order and carrier as links), its type, severity and status, and how often it was
        /// detected.
        #[derive(Debug, Clone, Serialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "openapi", schema(as = Case))]
        pub struct CaseWire {
            $($(#[$hm])* pub $h: $ht,)*
            pub shipment_id: Option<ShipmentId>,
            pub order_id: Option<OrderId>,
            pub carrier_id: Option<CarrierId>,
            /// EDI cases: the trading partner and the control number (GS06) of the functional group
            /// we sent it.
            pub partner_id: Option<PartnerId>,
            pub edi_group: Option<String>,
            $($(#[$tm])* pub $t: $tt,)*
        }

        impl From<Case> for CaseWire {
            fn from(c: Case) -> Self {
                let (shipment_id, partner_id, edi_group) = match &c.subject {
                    CaseSubject::Shipment(id) => (Some(*id), None, None),
                    CaseSubject::EdiGroup { partner, group } => {
                        (None, Some(*partner), Some(group.clone()))
                    }
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
                    $($h: c.$h,)*
                    shipment_id,
                    order_id,
                    carrier_id,
                    partner_id,
                    edi_group,
                    $($t: c.$t,)*
                }
            }
        }
    };
}

case_and_wire! {
    head {
        id: CaseId,
        tenant_id: TenantId,
        /// Human reference from the tenant's counter (`CASE-000042`).
        number: String,
        case_type: String,
        severity: Severity,
        accountable: String,
        owner_team: String,
        status: CaseStatus,
    }
    tail {
        /// Rulebook version whose rule opened the case.
        rulebook_version: i64,
        detections: u32,
        /// Timeline entries so far (the next entry's sequence number is this plus one).
        entries: u32,
        opened_at: Timestamp,
        updated_at: Timestamp,
        resolved_at: Option<Timestamp>,
        /// The person working the case, a member of its owner team.
        assignee: Option<UserId>,
        /// Raised by every change; an action sent against an older version is refused.
        version: i64,
        reopen_count: u32,
        resolution: Option<ResolutionCode>,
        /// When the case was first answered: its first external note or message, or an explicit
        /// acknowledgement by a person.
        first_response_at: Option<Timestamp>,
        closed_at: Option<Timestamp>,
        /// When its condition began and ended by the facts' own time (an event's occurrence, a
        /// deadline passing), which can be long before Consign learned of them (`opened_at`,
        /// `resolved_at`) when the facts arrive late.
        condition_began_at: Timestamp,
        condition_ended_at: Option<Timestamp>,
        /// Escalation ladder steps taken since the last breach began.
        escalation_level: u8,
        /// Who tells the customer, from the tenant's ownership matrix.
        informs: Informs,
        /// The next SLA deadline of a running metric (lists sort by it).
        sla_due_at: Option<Timestamp>,
        /// When the timer sweep next has something to do for this case (a warning, a breach, an
        /// escalation step, the automatic close).
        timer_at: Option<Timestamp>,
        /// Labels people file and filter cases by (`vip`, `claim-filed`): lower case, sorted, unique.
        tags: Vec<String>,
    }
}

/// What a new case is, before it gets an id, a number and its links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    pub subject: CaseSubject,
    pub case_type: String,
    pub severity: Severity,
    pub accountable: String,
    pub owner_team: String,
    /// The version of the rulebook whose rule opens it; 0 for a case opened by hand.
    pub rulebook_version: i64,
}

impl Case {
    /// A case as it starts: `new` when a rule opens it (nobody has looked at it yet), `open`
    /// when a person does. `now` is when Consign opens it, `began_at` when its condition began
    /// by the facts' own time.
    pub fn start(
        id: CaseId,
        tenant_id: TenantId,
        new: NewCase,
        status: CaseStatus,
        now: Timestamp,
        began_at: Timestamp,
    ) -> Case {
        Case {
            id,
            tenant_id,
            number: String::new(),
            case_type: new.case_type,
            severity: new.severity,
            accountable: new.accountable,
            owner_team: new.owner_team,
            status,
            subject: new.subject,
            order_id: None,
            carrier_id: None,
            rulebook_version: new.rulebook_version,
            detections: 1,
            entries: 1,
            opened_at: now,
            updated_at: now,
            resolved_at: None,
            assignee: None,
            version: 1,
            reopen_count: 0,
            resolution: None,
            first_response_at: None,
            closed_at: None,
            condition_began_at: began_at.min(now),
            condition_ended_at: None,
            escalation_level: 0,
            informs: Informs::Provider,
            sla_due_at: None,
            timer_at: None,
            tags: Vec::new(),
        }
    }

    /// A rule's automatic resolution at `now`, the condition having ended at `ended_at` by
    /// the facts' time: the case and its `resolved` entry (by `system`).
    pub fn resolve_by_rule(
        &mut self,
        code: ResolutionCode,
        detail: String,
        now: Timestamp,
        ended_at: Timestamp,
    ) -> TimelineEntry {
        let before = self.status;
        self.status = CaseStatus::Resolved;
        self.resolution = Some(code);
        self.resolved_at = Some(now);
        self.condition_ended_at = Some(ended_at.min(now));
        self.escalation_level = 0;
        // Due for the timer sweep now, which plans the automatic close (SPEC §4: closed 7 days
        // after resolution). Left as it was, a case with no timer pending (no SLA policy, a
        // paused or finished clock) stayed resolved for ever.
        self.timer_at = Some(now);
        self.updated_at = now;
        self.version += 1;
        self.entries += 1;
        let mut e = TimelineEntry::system(self.id, now, TimelineKind::Resolved, detail).changing(
            "status",
            Some(before.as_str().into()),
            Some(code.as_str().into()),
        );
        e.seq = self.entries;
        e
    }

    /// Appends a system entry of `kind` (a repeated detection, a rule's escalation) and
    /// returns it.
    pub fn note_by_system(
        &mut self,
        kind: TimelineKind,
        detail: String,
        now: Timestamp,
    ) -> TimelineEntry {
        self.entries += 1;
        self.version += 1;
        self.updated_at = now;
        let mut e = TimelineEntry::system(self.id, now, kind, detail);
        e.seq = self.entries;
        e
    }

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
