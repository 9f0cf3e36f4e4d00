//! Who owns a case (SPEC §4): provider teams (queues) and their members, the tenant's
//! ownership matrix (case type → owner team, accountable party, who informs the customer),
//! and automatic assignment among the members on shift.

use super::{CASE_PARTIES, Informs};
use crate::Invalid;
use crate::ids::UserId;
use serde::{Deserialize, Serialize};

/// How a team hands out new cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssignmentMode {
    /// Cases wait in the queue until someone takes them or a supervisor assigns them.
    #[default]
    Manual,
    /// To the member on shift after the one who got the last case.
    RoundRobin,
    /// To the member on shift with the fewest open cases.
    LeastOpen,
}

impl AssignmentMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentMode::Manual => "manual",
            AssignmentMode::RoundRobin => "round_robin",
            AssignmentMode::LeastOpen => "least_open",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "manual" => Ok(AssignmentMode::Manual),
            "round_robin" => Ok(AssignmentMode::RoundRobin),
            "least_open" => Ok(AssignmentMode::LeastOpen),
            _ => Err(format!(
                "unknown assignment mode '{s}'; expected manual, round_robin or least_open"
            )),
        }
    }
}

/// A team's name as cases carry it (`owner_team`): lowercase letters, digits, `-` and `_`.
pub fn check_team_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{name}' is not a team name: 1 to 64 of a-z, 0-9, '-' and '_'"
        ))
    }
}

/// One row of a tenant's ownership matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnershipRow {
    pub case_type: String,
    pub team: String,
    /// Overrides the rule's accountable party when set.
    #[serde(default)]
    pub accountable: Option<String>,
    #[serde(default)]
    pub informs: Informs,
}

/// A tenant's ownership matrix; rows take precedence over a rule's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnershipMatrix {
    pub rows: Vec<OwnershipRow>,
}

/// Who a new case goes to: the owner team, the accountable party and who informs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    pub team: String,
    pub accountable: String,
    pub informs: Informs,
}

impl OwnershipMatrix {
    /// Checks the rows: known parties, valid team names, one row per case type.
    /// `known_teams` are the teams that exist.
    pub fn validate(&self, known_teams: &[String]) -> Result<(), Invalid> {
        let mut bad = Invalid::default();
        let mut seen = std::collections::HashSet::new();
        for (i, r) in self.rows.iter().enumerate() {
            let at = |f: &str| format!("rows[{i}].{f}");
            if r.case_type.trim().is_empty() {
                bad.push(at("case_type"), "must not be empty");
            } else if !seen.insert(r.case_type.as_str()) {
                bad.push(
                    at("case_type"),
                    format!("'{}' has a row already", r.case_type),
                );
            }
            if let Err(e) = check_team_name(&r.team) {
                bad.push(at("team"), e);
            } else if !known_teams.contains(&r.team) {
                bad.push(at("team"), format!("no team named '{}'", r.team));
            }
            if let Some(a) = &r.accountable
                && !CASE_PARTIES.contains(&a.as_str())
            {
                bad.push(
                    at("accountable"),
                    format!(
                        "unknown party '{a}'; expected one of {}",
                        CASE_PARTIES.join(", ")
                    ),
                );
            }
        }
        bad.into_result(())
    }

    /// The ownership of a new case of `case_type`, given the rule's defaults.
    pub fn resolve(&self, case_type: &str, rule_team: &str, rule_accountable: &str) -> Ownership {
        match self.rows.iter().find(|r| r.case_type == case_type) {
            Some(r) => Ownership {
                team: r.team.clone(),
                accountable: r
                    .accountable
                    .clone()
                    .unwrap_or_else(|| rule_accountable.to_string()),
                informs: r.informs,
            },
            None => Ownership {
                team: rule_team.to_string(),
                accountable: rule_accountable.to_string(),
                informs: Informs::Provider,
            },
        }
    }
}

/// A team member as automatic assignment sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub user: UserId,
    pub on_shift: bool,
    pub open_cases: u32,
}

/// The member a new case goes to under `mode`, among `members` (in the team's order) on
/// shift; `last` is who got the team's previous automatic assignment. `None`: nobody is on
/// shift (or the team assigns by hand) and the case waits in the queue.
pub fn pick_assignee(
    mode: AssignmentMode,
    members: &[Candidate],
    last: Option<UserId>,
) -> Option<UserId> {
    let on: Vec<&Candidate> = members.iter().filter(|m| m.on_shift).collect();
    if on.is_empty() {
        return None;
    }
    // Where the rotation stands: just after the last one served, if still on shift; the
    // rotation is over the team's order, so someone coming on shift joins their place.
    let start = last
        .and_then(|l| members.iter().position(|m| m.user == l))
        .map_or(0, |p| p + 1);
    let rotated = || {
        members[start.min(members.len())..]
            .iter()
            .chain(&members[..start.min(members.len())])
            .filter(|m| m.on_shift)
    };
    match mode {
        AssignmentMode::Manual => None,
        AssignmentMode::RoundRobin => rotated().next().map(|m| m.user),
        // Ties go round the rotation too, so equal loads still take turns.
        AssignmentMode::LeastOpen => rotated().min_by_key(|m| m.open_cases).map(|m| m.user),
    }
}

/// A provider team (queue): cases of the types the ownership matrix gives it wait here for
/// its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub assignment: AssignmentMode,
    #[serde(default)]
    pub members: Vec<TeamMember>,
    /// Who got the team's last automatic assignment (where round-robin goes on from).
    #[serde(default)]
    pub last_assigned: Option<UserId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamMember {
    pub user: UserId,
    pub on_shift: bool,
}

impl Team {
    pub fn has_member(&self, user: UserId) -> bool {
        self.members.iter().any(|m| m.user == user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: u128) -> UserId {
        UserId(uuid::Uuid::from_u128(n))
    }

    fn team(on: &[(u128, bool, u32)]) -> Vec<Candidate> {
        on.iter()
            .map(|&(n, on_shift, open_cases)| Candidate {
                user: user(n),
                on_shift,
                open_cases,
            })
            .collect()
    }

    #[test]
    fn round_robin_turns_among_those_on_shift() {
        let t = team(&[(1, true, 0), (2, false, 0), (3, true, 0)]);
        let mut last = None;
        let mut got = Vec::new();
        for _ in 0..4 {
            last = pick_assignee(AssignmentMode::RoundRobin, &t, last);
            got.push(last.unwrap());
        }
        assert_eq!(got, vec![user(1), user(3), user(1), user(3)]);
        assert_eq!(
            pick_assignee(AssignmentMode::RoundRobin, &team(&[(1, false, 0)]), None),
            None
        );
        assert_eq!(pick_assignee(AssignmentMode::Manual, &t, None), None);
    }

    #[test]
    fn least_open_takes_the_lightest_load_and_rotates_ties() {
        let t = team(&[(1, true, 5), (2, true, 2), (3, false, 0), (4, true, 2)]);
        assert_eq!(
            pick_assignee(AssignmentMode::LeastOpen, &t, None),
            Some(user(2))
        );
        assert_eq!(
            pick_assignee(AssignmentMode::LeastOpen, &t, Some(user(2))),
            Some(user(4))
        );
    }

    #[test]
    fn the_matrix_overrides_rule_defaults_and_is_checked() {
        let m = OwnershipMatrix {
            rows: vec![OwnershipRow {
                case_type: "damaged".into(),
                team: "claims".into(),
                accountable: Some("carrier".into()),
                informs: Informs::Client,
            }],
        };
        let o = m.resolve("damaged", "exceptions", "shipper");
        assert_eq!(
            (o.team.as_str(), o.accountable.as_str(), o.informs),
            ("claims", "carrier", Informs::Client)
        );
        let d = m.resolve("stalled", "exceptions", "carrier");
        assert_eq!(
            (d.team.as_str(), d.informs),
            ("exceptions", Informs::Provider)
        );
        assert!(m.validate(&["claims".into()]).is_ok());
        let err = m.validate(&["exceptions".into()]).unwrap_err();
        assert_eq!(err.errors[0].field, "rows[0].team");
        let bad = OwnershipMatrix {
            rows: vec![
                OwnershipRow {
                    case_type: "lost".into(),
                    team: "Claims Team".into(),
                    accountable: Some("santa".into()),
                    informs: Informs::Nobody,
                },
                OwnershipRow {
                    case_type: "lost".into(),
                    team: "claims".into(),
                    accountable: None,
                    informs: Informs::Nobody,
                },
            ],
        };
        let fields: Vec<String> = bad.validate(&["claims".into()]).unwrap_err().fields();
        assert_eq!(
            fields,
            vec!["rows[0].team", "rows[0].accountable", "rows[1].case_type"]
        );
    }
}
