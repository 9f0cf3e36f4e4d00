//! `edi_unacknowledged` (SPEC §3): judged per functional group we sent a trading partner.

use super::condition::hours;
use crate::case::Severity;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// SPEC §3 `edi_unacknowledged`: a functional group we sent that has no 997 `hours` after it
/// went out, or whose 997 rejected it (AK9 `R` or `P`, or any AK5 `R`), gets one open case
/// addressed to the partner; an accepting 997 (AK9 `A` or `E`, no set rejected) resolves it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdiAcknowledgement {
    pub hours: f64,
    pub severity: Severity,
    pub owner_team: String,
}

/// What is known of the answer to one group we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupAnswer {
    /// No 997 yet.
    Awaiting,
    /// A 997 accepted every set (AK9 `A`, or `E`: accepted with errors noted).
    Accepted { ak9: String },
    /// A 997 rejected the group or some of its sets; `why` names the AK9 and rejected sets.
    Rejected { why: String },
}

/// When the group is judged: by the sweep, or because a 997 for it has just arrived (a
/// repeated rejection is then a new detection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckTrigger {
    Sweep,
    AnswerArrived,
}

/// What to do about one sent group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckAction {
    Open { detail: String },
    DetectedAgain { detail: String },
    Resolve { detail: String },
    Nothing,
}

impl EdiAcknowledgement {
    /// `sent_at`: when the group went out; `open`: whether its case is open already.
    pub fn judge(
        &self,
        sent_at: Timestamp,
        answer: &GroupAnswer,
        open: bool,
        trigger: AckTrigger,
        now: Timestamp,
    ) -> AckAction {
        match answer {
            GroupAnswer::Awaiting => {
                let overdue = self.due(sent_at).is_some_and(|due| due <= now);
                if overdue && !open {
                    AckAction::Open {
                        detail: format!(
                            "no 997 {:.1} h after it was sent at {sent_at}",
                            now.duration_since(sent_at).as_secs_f64() / 3600.0
                        ),
                    }
                } else {
                    AckAction::Nothing
                }
            }
            GroupAnswer::Rejected { why } => match (open, trigger) {
                (false, _) => AckAction::Open {
                    detail: format!("the partner's 997 rejected it: {why}"),
                },
                (true, AckTrigger::AnswerArrived) => AckAction::DetectedAgain {
                    detail: format!("another 997 rejected it: {why}"),
                },
                (true, AckTrigger::Sweep) => AckAction::Nothing,
            },
            GroupAnswer::Accepted { ak9 } if open => AckAction::Resolve {
                detail: format!("acknowledged: 997 with AK9 {ak9}"),
            },
            GroupAnswer::Accepted { .. } => AckAction::Nothing,
        }
    }

    /// For `rules replay`: when a case would have opened for a group sent at `sent_at` whose
    /// (latest) answer came at `answered_at` — at the deadline if no answer came by then, at
    /// the answer if it rejected the group, never if it accepted it in time.
    pub fn replay(
        &self,
        sent_at: Timestamp,
        answer: &GroupAnswer,
        answered_at: Option<Timestamp>,
    ) -> Option<Timestamp> {
        let due = self.due(sent_at)?;
        match (answer, answered_at) {
            (GroupAnswer::Awaiting, _) | (_, None) => Some(due),
            (_, Some(at)) if at >= due => Some(due),
            (GroupAnswer::Rejected { .. }, Some(at)) => Some(at),
            (GroupAnswer::Accepted { .. }, Some(_)) => None,
        }
    }

    /// The instant an unanswered group sent at `sent_at` becomes overdue.
    pub fn due(&self, sent_at: Timestamp) -> Option<Timestamp> {
        sent_at.checked_add(hours(self.hours)).ok()
    }
}
