//! A case's timeline (SPEC §4): append-only entries, each with its actor and a visibility
//! that decides whether client users and carriers may see it.

use crate::ids::CaseId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Created,
    DetectedAgain,
    Assigned,
    /// A person took note of the case explicitly (stops the first-response clock).
    Acknowledged,
    StatusChanged,
    Note,
    MessageOut,
    MessageIn,
    SlaWarning,
    SlaBreached,
    Escalated,
    Resolved,
    Reopened,
    Closed,
    FieldChanged,
}

impl TimelineKind {
    pub const ALL: [TimelineKind; 15] = [
        TimelineKind::Created,
        TimelineKind::DetectedAgain,
        TimelineKind::Assigned,
        TimelineKind::Acknowledged,
        TimelineKind::StatusChanged,
        TimelineKind::Note,
        TimelineKind::MessageOut,
        TimelineKind::MessageIn,
        TimelineKind::SlaWarning,
        TimelineKind::SlaBreached,
        TimelineKind::Escalated,
        TimelineKind::Resolved,
        TimelineKind::Reopened,
        TimelineKind::Closed,
        TimelineKind::FieldChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Created => "created",
            TimelineKind::DetectedAgain => "detected_again",
            TimelineKind::Assigned => "assigned",
            TimelineKind::Acknowledged => "acknowledged",
            TimelineKind::StatusChanged => "status_changed",
            TimelineKind::Note => "note",
            TimelineKind::MessageOut => "message_out",
            TimelineKind::MessageIn => "message_in",
            TimelineKind::SlaWarning => "sla_warning",
            TimelineKind::SlaBreached => "sla_breached",
            TimelineKind::Escalated => "escalated",
            TimelineKind::Resolved => "resolved",
            TimelineKind::Reopened => "reopened",
            TimelineKind::Closed => "closed",
            TimelineKind::FieldChanged => "field_changed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        TimelineKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown timeline entry kind '{s}'"))
    }

    /// Who sees an entry of this kind when its writer does not choose: the case's course
    /// (opened, waiting on whom, resolved) is the client's business; how the provider works
    /// it (assignment, SLA alarms, escalations, repeated detections) is not.
    pub fn default_visibility(self) -> Visibility {
        match self {
            TimelineKind::Created
            | TimelineKind::StatusChanged
            | TimelineKind::MessageOut
            | TimelineKind::MessageIn
            | TimelineKind::Resolved
            | TimelineKind::Reopened
            | TimelineKind::Closed => Visibility::External,
            _ => Visibility::Internal,
        }
    }
}

/// Whether client users and carriers may see an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Internal,
    External,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Internal => "internal",
            Visibility::External => "external",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "internal" => Ok(Visibility::Internal),
            "external" => Ok(Visibility::External),
            _ => Err(format!(
                "unknown visibility '{s}'; expected internal or external"
            )),
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
    /// Who wrote it: `system`, `user:<id>` or `token:<id>`.
    pub actor: String,
    pub visibility: Visibility,
    /// What happened, in words an agent reads ("status delivery_attempted, reason
    /// recipient_unavailable at 2026-03-02T14:05Z"), or the note's text.
    pub detail: String,
    /// The field a change concerns (`status`, `assignee`, `severity`, `owner_team`, an SLA
    /// metric for SLA entries) with its value before and after; a resolution's code is its
    /// `after`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl TimelineEntry {
    /// An entry by the system with its kind's visibility and no field change; `seq` is set
    /// when it is appended.
    pub fn system(case_id: CaseId, at: Timestamp, kind: TimelineKind, detail: String) -> Self {
        TimelineEntry {
            case_id,
            seq: 0,
            at,
            kind,
            actor: "system".into(),
            visibility: kind.default_visibility(),
            detail,
            field: None,
            before: None,
            after: None,
        }
    }

    /// The same entry recording a change of `field`.
    pub fn changing(mut self, field: &str, before: Option<String>, after: Option<String>) -> Self {
        self.field = Some(field.into());
        self.before = before;
        self.after = after;
        self
    }

    pub fn by(mut self, actor: &str) -> Self {
        self.actor = actor.into();
        self
    }

    pub fn visible(mut self, visibility: Visibility) -> Self {
        self.visibility = visibility;
        self
    }
}

/// The party a role belongs to: who a person on a timeline speaks for.
fn party(role: crate::access::Role) -> &'static str {
    use crate::access::Role::*;
    match role {
        Admin | Supervisor | Agent => "service desk",
        ClientManager | ClientViewer => "client",
        Carrier => "carrier",
        Warehouse => "warehouse",
        Integration => "integration",
    }
}

/// How `viewer` reads the name of an actor on a case's timeline: a person or an API token,
/// with its `role` and, for a carrier's, its carrier. The provider's staff see every actor by
/// name, outsiders with their party (`Jo Park (carrier)`). Clients, carriers and warehouses
/// see their own party's actors by name and everyone else by party: the desk is "service
/// desk", not a person's name, and never an id.
pub fn actor_name(
    viewer: &crate::access::Principal,
    name: &str,
    role: crate::access::Role,
    carrier: Option<crate::ids::CarrierId>,
) -> String {
    if viewer.role.is_provider() {
        return if role.is_provider() {
            name.to_string()
        } else {
            format!("{name} ({})", party(role))
        };
    }
    let same_party = party(viewer.role) == party(role)
        && (role != crate::access::Role::Carrier || viewer.carrier == carrier);
    if same_party {
        name.to_string()
    } else {
        party(role).to_string()
    }
}

#[cfg(test)]
mod actor_name_tests {
    use super::actor_name;
    use crate::access::{Actor, Principal, Role, TenantReach};
    use crate::ids::{CarrierId, TenantId, UserId};

    /// A person as `actor_name` takes them.
    fn user(
        name: &str,
        role: Role,
        carrier: Option<CarrierId>,
    ) -> (String, Role, Option<CarrierId>) {
        (name.to_string(), role, carrier)
    }

    fn viewer(role: Role, carrier: Option<CarrierId>) -> Principal {
        Principal {
            actor: Actor::User(UserId::random()),
            role,
            reach: TenantReach::Only(vec![TenantId::random()]),
            scopes: None,
            carrier,
        }
    }

    fn name(viewer: &Principal, who: &(String, Role, Option<CarrierId>)) -> String {
        actor_name(viewer, &who.0, who.1, who.2)
    }

    #[test]
    fn each_party_reads_its_own_people_by_name_and_the_others_by_party() {
        let (ups, fedex) = (CarrierId::random(), CarrierId::random());
        let ava = user("Ava", Role::Agent, None);
        let cm = user("Chris", Role::ClientManager, None);
        let ups_user = user("Dana", Role::Carrier, Some(ups));
        let fedex_user = user("Eli", Role::Carrier, Some(fedex));
        let agent = viewer(Role::Supervisor, None);
        assert_eq!(name(&agent, &ava), "Ava");
        assert_eq!(name(&agent, &cm), "Chris (client)");
        assert_eq!(name(&agent, &ups_user), "Dana (carrier)");
        let client = viewer(Role::ClientViewer, None);
        assert_eq!(name(&client, &ava), "service desk");
        assert_eq!(name(&client, &cm), "Chris");
        assert_eq!(name(&client, &ups_user), "carrier");
        let ups_view = viewer(Role::Carrier, Some(ups));
        assert_eq!(name(&ups_view, &ups_user), "Dana");
        assert_eq!(name(&ups_view, &fedex_user), "carrier");
        assert_eq!(name(&ups_view, &cm), "client");
    }
}
