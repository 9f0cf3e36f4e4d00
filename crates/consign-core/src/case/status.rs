//! A case's lifecycle (SPEC §4): its statuses, which moves between them are allowed, and the
//! resolution codes a resolved case must carry.

use serde::{Deserialize, Serialize};

/// Where a case stands. Every status before [`CaseStatus::Resolved`] counts as open, for the
/// rule "at most one open case per (subject, type)" as for backlogs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Opened by a rule and not yet touched by a person.
    New,
    Open,
    WaitingCustomer,
    WaitingCarrier,
    WaitingClient,
    WaitingWarehouse,
    Resolved,
    /// Final: a resolved case past its reopening window.
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 8] = [
        CaseStatus::New,
        CaseStatus::Open,
        CaseStatus::WaitingCustomer,
        CaseStatus::WaitingCarrier,
        CaseStatus::WaitingClient,
        CaseStatus::WaitingWarehouse,
        CaseStatus::Resolved,
        CaseStatus::Closed,
    ];

    /// The statuses the store counts as open, as SQL text for `status IN (…)`.
    pub const OPEN_SQL: &'static str = "'new', 'open', 'waiting_customer', 'waiting_carrier', 'waiting_client', 'waiting_warehouse'";

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::New => "new",
            CaseStatus::Open => "open",
            CaseStatus::WaitingCustomer => "waiting_customer",
            CaseStatus::WaitingCarrier => "waiting_carrier",
            CaseStatus::WaitingClient => "waiting_client",
            CaseStatus::WaitingWarehouse => "waiting_warehouse",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        CaseStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown case status '{s}'; expected one of {}",
                    CaseStatus::ALL.map(|c| c.as_str()).join(", ")
                )
            })
    }

    /// Before `resolved`: the case is still someone's work.
    pub fn is_open(self) -> bool {
        !matches!(self, CaseStatus::Resolved | CaseStatus::Closed)
    }

    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            CaseStatus::WaitingCustomer
                | CaseStatus::WaitingCarrier
                | CaseStatus::WaitingClient
                | CaseStatus::WaitingWarehouse
        )
    }

    /// Whether a status change (not a resolution, reopening or closing, which are actions of
    /// their own with their own requirements) may move a case from `self` to `to`.
    pub fn may_change_to(self, to: CaseStatus) -> bool {
        use CaseStatus::*;
        match (self, to) {
            (New, Open) => true,
            (New | Open, w) => w.is_waiting(),
            (w, Open) => w.is_waiting(),
            // One waiting status to another: the ball moves from the customer to the
            // carrier without the case pretending to be worked in between.
            (a, b) => a.is_waiting() && b.is_waiting() && a != b,
        }
    }

    /// The statuses a status change may lead to from here, for error messages and menus.
    pub fn next_statuses(self) -> Vec<CaseStatus> {
        CaseStatus::ALL
            .into_iter()
            .filter(|to| self.may_change_to(*to))
            .collect()
    }
}

impl std::fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a case ended (SPEC §4). Resolving always names one; a rule's automatic resolution
/// names the one its rule declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResolutionCode {
    Delivered,
    Reshipped,
    Refunded,
    Replaced,
    ClaimFiled,
    ClaimPaid,
    AddressCorrected,
    CustomerInformed,
    CarrierResolved,
    NoActionNeeded,
    Duplicate,
    Cancelled,
}

impl ResolutionCode {
    pub const ALL: [ResolutionCode; 12] = [
        ResolutionCode::Delivered,
        ResolutionCode::Reshipped,
        ResolutionCode::Refunded,
        ResolutionCode::Replaced,
        ResolutionCode::ClaimFiled,
        ResolutionCode::ClaimPaid,
        ResolutionCode::AddressCorrected,
        ResolutionCode::CustomerInformed,
        ResolutionCode::CarrierResolved,
        ResolutionCode::NoActionNeeded,
        ResolutionCode::Duplicate,
        ResolutionCode::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionCode::Delivered => "delivered",
            ResolutionCode::Reshipped => "reshipped",
            ResolutionCode::Refunded => "refunded",
            ResolutionCode::Replaced => "replaced",
            ResolutionCode::ClaimFiled => "claim_filed",
            ResolutionCode::ClaimPaid => "claim_paid",
            ResolutionCode::AddressCorrected => "address_corrected",
            ResolutionCode::CustomerInformed => "customer_informed",
            ResolutionCode::CarrierResolved => "carrier_resolved",
            ResolutionCode::NoActionNeeded => "no_action_needed",
            ResolutionCode::Duplicate => "duplicate",
            ResolutionCode::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        ResolutionCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown resolution code '{s}'; expected one of {}",
                    ResolutionCode::ALL.map(|c| c.as_str()).join(", ")
                )
            })
    }
}

/// The code a rule's automatic resolution records when its rule names none: what making the
/// condition go away usually means for a case of that type.
pub fn default_resolution(case_type: &str) -> ResolutionCode {
    match case_type {
        "delay_risk" | "delivery_failed" | "address_issue" | "lost" => ResolutionCode::Delivered,
        "late_pickup" | "stalled" | "pod_missing" | "carrier_silent" | "customs_hold" => {
            ResolutionCode::CarrierResolved
        }
        _ => ResolutionCode::NoActionNeeded,
    }
}

#[cfg(test)]
mod tests {
    use super::CaseStatus::*;
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()).unwrap(), s);
        }
        for c in ResolutionCode::ALL {
            assert_eq!(ResolutionCode::parse(c.as_str()).unwrap(), c);
        }
        let err = CaseStatus::parse("pending").unwrap_err();
        assert!(
            err.contains("'pending'") && err.contains("waiting_carrier"),
            "{err}"
        );
        let open: Vec<String> = CaseStatus::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        assert_eq!(CaseStatus::OPEN_SQL, open.join(", "));
    }

    #[test]
    fn the_status_machine_follows_the_spec() {
        assert!(New.may_change_to(Open));
        assert!(New.may_change_to(WaitingCustomer));
        assert!(Open.may_change_to(WaitingCarrier));
        assert!(WaitingCarrier.may_change_to(Open));
        assert!(WaitingCarrier.may_change_to(WaitingCustomer));
        // Resolving, reopening and closing are actions of their own.
        for s in CaseStatus::ALL {
            assert!(!s.may_change_to(Resolved), "{s} -> resolved");
            assert!(!s.may_change_to(Closed), "{s} -> closed");
            assert!(!s.may_change_to(New), "{s} -> new");
            assert!(!s.may_change_to(s), "{s} -> itself");
            assert!(Resolved.next_statuses().is_empty());
            assert!(Closed.next_statuses().is_empty());
        }
        assert!(!Open.may_change_to(New));
    }
}
