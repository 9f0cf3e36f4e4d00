//! The per-shipment rules of the rulebook table (SPEC §3): which cases to open, re-detect,
//! escalate or resolve for one shipment, and when to look at it again.

use super::{Condition, Rulebook, ShipmentFacts};
use crate::case::{ResolutionCode, Severity, default_resolution};
use crate::reasons::Accountable;
use crate::shipment::ShipmentStatus;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub case_type: String,
    #[serde(default)]
    pub description: String,
    pub severity: Severity,
    /// A party name, or `by_reason`: the accountable party of the shipment's current reason
    /// (carrier when there is none).
    pub accountable: String,
    pub owner_team: String,
    pub when: Condition,
    /// Resolves the open case when this holds. Without it the case resolves when `when` stops
    /// holding, unless `auto_resolve = false`.
    #[serde(default)]
    pub resolve_when: Option<Condition>,
    #[serde(default = "yes")]
    pub auto_resolve: bool,
    /// The resolution code an automatic resolution records; without it, the type's default
    /// ([`default_resolution`]).
    #[serde(default)]
    pub resolution: Option<ResolutionCode>,
    #[serde(default)]
    pub escalate: Vec<Escalation>,
    /// Tell the customer when the case opens (the type's customer e-mail template), where the
    /// tenant's ownership matrix says the provider informs the customer; never for a
    /// delivered shipment, at most once per case.
    #[serde(default)]
    pub notify_customer: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub when: Condition,
    pub severity: Severity,
}

/// Why the shipment is being judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// New events arrived; the newest of them has this status and reason.
    Event {
        status: Option<ShipmentStatus>,
        reason: Option<&'a str>,
    },
    /// The shipment's `next_check_at` came due, or something other than an event changed.
    Sweep,
}

/// An open case of the shipment, as far as the engine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCase {
    pub case_type: String,
    pub severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseAction {
    Open {
        case_type: String,
        severity: Severity,
        accountable: String,
        owner_team: String,
        detail: String,
    },
    DetectedAgain {
        case_type: String,
        detail: String,
    },
    Escalate {
        case_type: String,
        from: Severity,
        to: Severity,
        detail: String,
    },
    Resolve {
        case_type: String,
        /// The code the resolution records: the rule's, or its type's default.
        resolution: ResolutionCode,
        detail: String,
    },
}

impl CaseAction {
    pub fn case_type(&self) -> &str {
        match self {
            CaseAction::Open { case_type, .. }
            | CaseAction::DetectedAgain { case_type, .. }
            | CaseAction::Escalate { case_type, .. }
            | CaseAction::Resolve { case_type, .. } => case_type,
        }
    }
}

/// What the engine decided for one shipment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    pub actions: Vec<CaseAction>,
    /// The earliest instant at which the shipment must be judged again if nothing happens.
    pub next_check_at: Option<Timestamp>,
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn describe(f: &ShipmentFacts) -> String {
    let mut s = format!("status {}", f.status.as_str());
    if let Some(r) = f.reason {
        s.push_str(&format!(", reason {r}"));
    }
    if let Some(at) = f.status_at {
        s.push_str(&format!(" at {at}"));
    }
    s
}

impl Rulebook {
    /// Judges one shipment: the case actions to take and when to look again.
    pub fn judge(
        &self,
        f: &ShipmentFacts,
        open: &[OpenCase],
        trigger: Trigger,
        now: Timestamp,
    ) -> Verdict {
        let mut v = Verdict::default();
        for rule in &self.rules {
            let when = rule.when.judge(f, now);
            let current = open.iter().find(|c| c.case_type == rule.case_type);
            match current {
                None => {
                    if when.holds {
                        let severity = rule
                            .escalate
                            .iter()
                            .filter(|e| e.when.judge(f, now).holds)
                            .map(|e| e.severity)
                            .max()
                            .unwrap_or(rule.severity)
                            .max(rule.severity);
                        v.actions.push(CaseAction::Open {
                            case_type: rule.case_type.clone(),
                            severity,
                            accountable: self.accountable_for(rule, f),
                            owner_team: rule.owner_team.clone(),
                            detail: describe(f),
                        });
                        v.next_check_at = earliest(
                            v.next_check_at,
                            self.escalation_next(rule, f, severity, now),
                        );
                    } else {
                        v.next_check_at = earliest(v.next_check_at, when.next);
                    }
                }
                Some(case) => {
                    let resolves = match &rule.resolve_when {
                        Some(c) => {
                            let j = c.judge(f, now);
                            v.next_check_at = earliest(v.next_check_at, j.next);
                            j.holds
                        }
                        None => rule.auto_resolve && !when.holds,
                    };
                    if resolves {
                        v.actions.push(CaseAction::Resolve {
                            case_type: rule.case_type.clone(),
                            resolution: rule
                                .resolution
                                .unwrap_or_else(|| default_resolution(&rule.case_type)),
                            detail: describe(f),
                        });
                        // Resolved now, it may come back by time alone (a new stall).
                        if !when.holds {
                            v.next_check_at = earliest(v.next_check_at, when.next);
                        }
                        continue;
                    }
                    if when.holds
                        && let Trigger::Event { status, reason } = trigger
                        && rule.when.mentions(status, reason)
                    {
                        v.actions.push(CaseAction::DetectedAgain {
                            case_type: rule.case_type.clone(),
                            detail: describe(f),
                        });
                    }
                    let raised = rule
                        .escalate
                        .iter()
                        .filter(|e| e.severity > case.severity && e.when.judge(f, now).holds)
                        .map(|e| e.severity)
                        .max();
                    let severity = if let Some(to) = raised {
                        v.actions.push(CaseAction::Escalate {
                            case_type: rule.case_type.clone(),
                            from: case.severity,
                            to,
                            detail: describe(f),
                        });
                        to
                    } else {
                        case.severity
                    };
                    v.next_check_at = earliest(
                        v.next_check_at,
                        self.escalation_next(rule, f, severity, now),
                    );
                }
            }
        }
        v
    }

    fn escalation_next(
        &self,
        rule: &Rule,
        f: &ShipmentFacts,
        severity: Severity,
        now: Timestamp,
    ) -> Option<Timestamp> {
        rule.escalate
            .iter()
            .filter(|e| e.severity > severity)
            .filter_map(|e| e.when.judge(f, now).next)
            .min()
    }

    fn accountable_for(&self, rule: &Rule, f: &ShipmentFacts) -> String {
        if rule.accountable == "by_reason" {
            f.accountable
                .unwrap_or(Accountable::Carrier)
                .as_str()
                .to_string()
        } else {
            rule.accountable.clone()
        }
    }
}
