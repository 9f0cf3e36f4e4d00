//! Who may do what (SPEC §11): roles, the capabilities they carry, token scopes, and the
//! tenant reach of a principal. Authorisation decisions are pure functions of a `Principal`.

use crate::ids::{CarrierId, TenantId, TokenId, UserId};
pub use crate::vocab::Role;
use serde::{Deserialize, Serialize};

impl Role {
    /// Provider roles work across the tenants they are granted; the others belong to one tenant.
    pub fn is_provider(self) -> bool {
        matches!(self, Role::Admin | Role::Supervisor | Role::Agent)
    }

    /// What the role may do before any token scope narrows it.
    pub fn capabilities(self) -> &'static [Capability] {
        use Capability::*;
        match self {
            Role::Admin => &ADMIN,
            Role::Supervisor => &SUPERVISOR,
            Role::Agent => &AGENT,
            Role::ClientManager => &[
                ReadOrders,
                ReadShipments,
                ReadCases,
                AnswerCases,
                ManageWebhooks,
            ],
            Role::ClientViewer => &[ReadOrders, ReadShipments, ReadCases],
            // A carrier reads and answers the cases about its own carrier only.
            Role::Carrier => &[
                ReadShipments,
                AttachDocuments,
                PostEdi,
                PostEvents,
                ReadCases,
                AnswerCases,
                ManageWebhooks,
            ],
            // A warehouse reads and answers the cases that face the warehouse.
            Role::Warehouse => &[
                ReadShipments,
                AttachDocuments,
                PostEdi,
                PostEvents,
                ReadCases,
                AnswerCases,
            ],
            Role::Integration => &[
                ReadOrders,
                WriteOrders,
                ReadShipments,
                WriteShipments,
                AttachDocuments,
                PostEdi,
                PostEvents,
                ManageWebhooks,
                RelayMessages,
            ],
        }
    }
}

/// An agent works orders, shipments and cases, and sends EDI and tracking events.
const AGENT: [Capability; 10] = {
    use Capability::*;
    [
        ReadOrders,
        WriteOrders,
        ReadShipments,
        WriteShipments,
        AttachDocuments,
        PostEdi,
        PostEvents,
        ReadCases,
        WorkCases,
        OverrideShipments,
    ]
};

/// A supervisor may do what an agent does, and reassign others' cases and act in bulk.
const SUPERVISOR: [Capability; AGENT.len() + 1] = {
    let mut out = [Capability::SuperviseCases; AGENT.len() + 1];
    let mut i = 0;
    while i < AGENT.len() {
        out[i] = AGENT[i];
        i += 1;
    }
    out
};

/// An administrator may do everything except answer cases as a party to them (clients,
/// carriers and warehouses answer; staff work the case).
const ADMIN: [Capability; Capability::ALL.len() - 1] = {
    let mut out = [Capability::ReadOrders; Capability::ALL.len() - 1];
    let (mut i, mut j) = (0, 0);
    while i < Capability::ALL.len() {
        if !matches!(Capability::ALL[i], Capability::AnswerCases) {
            out[j] = Capability::ALL[i];
            j += 1;
        }
        i += 1;
    }
    out
};

/// The capabilities with their token scope names, each written once: the enum, `ALL` and
/// `scope_name` are generated from the one list.
macro_rules! capabilities {
    (
        $(#[$attr:meta])*
        pub enum Capability {
            $( $(#[$vattr:meta])* $cap:ident = $scope:literal, )+
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum Capability {
            $( $(#[$vattr])* $cap, )+
        }

        impl Capability {
            pub const ALL: [Capability; [$($scope),+].len()] = [$(Capability::$cap),+];

            pub fn scope_name(self) -> &'static str {
                match self {
                    $(Capability::$cap => $scope,)+
                }
            }
        }
    };
}

capabilities! {
    /// One thing a caller may do. Token scopes are written as these names (`orders:write`).
    pub enum Capability {
        ReadOrders = "orders:read",
        WriteOrders = "orders:write",
        ReadShipments = "shipments:read",
        WriteShipments = "shipments:write",
        AttachDocuments = "documents:write",
        ManageTenants = "tenants:manage",
        ManageUsers = "users:manage",
        ManageTokens = "tokens:manage",
        ManageParties = "parties:manage",
        ReadAudit = "audit:read",
        /// Send EDI interchanges (carriers, warehouses, integrations, staff).
        PostEdi = "edi:write",
        /// Send tracking events (carriers for their own shipments, integrations, staff).
        PostEvents = "events:write",
        ReadCases = "cases:read",
        /// Store a tenant's rulebook.
        ManageRules = "rules:manage",
        /// Work cases: open, acknowledge, take, note, change status, resolve, reopen.
        WorkCases = "cases:work",
        /// Reassign other people's cases and act in bulk.
        SuperviseCases = "cases:supervise",
        /// Answer on cases addressed to the caller (clients, carriers).
        AnswerCases = "cases:answer",
        /// Teams, ownership matrices, calendars and SLA policies.
        ManageCaseSettings = "cases:configure",
        /// Set a shipment's status or promised date by hand, with a reason (people, not feeds).
        OverrideShipments = "shipments:override",
        /// Register webhook endpoints for the caller's tenant (a carrier's: for its own
        /// shipments), rotate their secrets, read their delivery logs and replay deliveries.
        ManageWebhooks = "webhooks:manage",
        /// Read every message of a tenant's outbox, its dead letters, and retry them by hand.
        ManageOutbox = "outbox:manage",
        /// Post inbound replies to cases (a mail relay), matched by their reply token.
        RelayMessages = "messages:relay",
    }
}

impl Capability {
    pub fn from_scope(s: &str) -> Result<Self, String> {
        Capability::ALL
            .into_iter()
            .find(|c| c.scope_name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown scope '{s}'; expected one of {}",
                    Capability::ALL.map(|c| c.scope_name()).join(", ")
                )
            })
    }
}

/// Which tenants a principal reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantReach {
    /// Administrators of the provider.
    All,
    /// Provider staff granted some tenants, or a client/carrier bound to its own.
    Only(Vec<TenantId>),
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    User(UserId),
    Token(TokenId),
    System,
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::User(id) => format!("user:{id}"),
            Actor::Token(id) => format!("token:{id}"),
            Actor::System => "system".into(),
        }
    }
}

/// An authenticated caller with everything authorisation needs.
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    pub role: Role,
    pub reach: TenantReach,
    /// For token principals with explicit scopes: the subset of the role's capabilities.
    pub scopes: Option<Vec<Capability>>,
    /// Carrier users and tokens see only their own carrier's shipments.
    pub carrier: Option<CarrierId>,
}

impl Principal {
    pub fn system() -> Self {
        Principal {
            actor: Actor::System,
            role: Role::Admin,
            reach: TenantReach::All,
            scopes: None,
            carrier: None,
        }
    }

    pub fn can(&self, cap: Capability) -> bool {
        self.role.capabilities().contains(&cap)
            && self.scopes.as_ref().is_none_or(|s| s.contains(&cap))
    }

    pub fn reaches(&self, tenant: TenantId) -> bool {
        match &self.reach {
            TenantReach::All => true,
            TenantReach::Only(ids) => ids.contains(&tenant),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_narrow_but_never_widen_a_role() {
        let p = Principal {
            actor: Actor::System,
            role: Role::ClientViewer,
            reach: TenantReach::Only(vec![]),
            scopes: Some(vec![Capability::ReadOrders, Capability::WriteOrders]),
            carrier: None,
        };
        assert!(p.can(Capability::ReadOrders));
        assert!(
            !p.can(Capability::WriteOrders),
            "a viewer token cannot gain write by scope"
        );
        assert!(
            !p.can(Capability::ReadShipments),
            "scope list excludes shipments"
        );
    }

    #[test]
    fn an_administrator_may_do_everything_but_answer_as_a_party() {
        let admin = Role::Admin.capabilities();
        for c in Capability::ALL {
            assert_eq!(admin.contains(&c), c != Capability::AnswerCases, "{c:?}");
        }
        assert_eq!(
            admin.len(),
            Capability::ALL.len() - 1,
            "each capability once"
        );
        assert_eq!(Capability::ALL.len(), 22);
        assert_eq!(
            Capability::ManageCaseSettings.scope_name(),
            "cases:configure"
        );
    }

    #[test]
    fn a_supervisor_may_do_what_an_agent_does_and_supervise() {
        let agent = Role::Agent.capabilities();
        let supervisor = Role::Supervisor.capabilities();
        for c in Capability::ALL {
            let expected = agent.contains(&c) || c == Capability::SuperviseCases;
            assert_eq!(supervisor.contains(&c), expected, "{c:?}");
        }
        assert!(!agent.contains(&Capability::SuperviseCases));
        assert!(agent.contains(&Capability::WorkCases));
        assert!(!agent.contains(&Capability::ManageUsers));
    }

    #[test]
    fn role_and_scope_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        for c in Capability::ALL {
            assert_eq!(Capability::from_scope(c.scope_name()).unwrap(), c);
        }
        assert!(
            "root"
                .parse::<Role>()
                .unwrap_err()
                .contains("unknown role 'root'")
        );
    }
}

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Provider staff: the tenants granted (empty for admins, who reach all). Client, carrier
    /// and warehouse users: exactly their own tenant.
    pub tenants: Vec<TenantId>,
    pub carrier_id: Option<CarrierId>,
    pub created_at: jiff::Timestamp,
    pub disabled: bool,
}

impl User {
    pub fn principal(&self) -> Principal {
        Principal {
            actor: Actor::User(self.id),
            role: self.role,
            reach: if self.role == Role::Admin {
                TenantReach::All
            } else {
                TenantReach::Only(self.tenants.clone())
            },
            scopes: None,
            carrier: self.carrier_id,
        }
    }
}

/// An API token's stored description. The secret itself is shown once and stored only as a
/// SHA-256 hash (it has 160+ bits of entropy, so a slow hash adds nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: TokenId,
    pub name: String,
    pub role: Role,
    pub tenant_id: Option<TenantId>,
    pub carrier_id: Option<CarrierId>,
    pub scopes: Option<Vec<String>>,
    pub created_at: jiff::Timestamp,
    pub created_by: String,
    pub revoked_at: Option<jiff::Timestamp>,
    /// Past this instant the token answers 401 like a revoked one; `None` never expires.
    #[serde(default)]
    pub expires_at: Option<jiff::Timestamp>,
}

impl ApiToken {
    /// Whether the token may still be used at `now`.
    pub fn live_at(&self, now: jiff::Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }

    pub fn principal(&self) -> Principal {
        Principal {
            actor: Actor::Token(self.id),
            role: self.role,
            reach: match self.tenant_id {
                Some(t) => TenantReach::Only(vec![t]),
                None if self.role == Role::Admin => TenantReach::All,
                None => TenantReach::Only(vec![]),
            },
            scopes: self.scopes.as_ref().map(|s| {
                s.iter()
                    .filter_map(|n| Capability::from_scope(n).ok())
                    .collect()
            }),
            carrier: self.carrier_id,
        }
    }
}

/// Checks a new user's or token's role against its tenant binding: client, carrier and
/// warehouse identities must belong to exactly one tenant.
pub fn check_binding(role: Role, tenants: &[TenantId], invalid: &mut crate::Invalid) {
    match role {
        Role::Admin if !tenants.is_empty() => invalid.push(
            "tenants",
            "an admin reaches every tenant; do not grant tenants",
        ),
        Role::ClientManager
        | Role::ClientViewer
        | Role::Carrier
        | Role::Warehouse
        | Role::Integration
            if tenants.len() != 1 =>
        {
            invalid.push("tenant", format!("a {role} belongs to exactly one tenant"))
        }
        _ => {}
    }
}
