//! The actions people and the system take on a case, decided as pure functions: given the
//! case as stored and an action, either the changed case and the timeline entries that record
//! the change, or a precise refusal. The caller persists both in one transaction.

use super::{Case, CaseStatus, ResolutionCode, Severity, TimelineEntry, TimelineKind, Visibility};
use crate::ids::UserId;
use jiff::Timestamp;

/// What someone does to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseAction {
    /// A person takes note of the case: a `new` case becomes `open`, and the first-response
    /// clock stops.
    Acknowledge,
    /// Sets the owner team (`None` keeps it) and the assignee (`None` unassigns). The
    /// caller has checked that the assignee is a member of the team.
    Assign {
        team: Option<String>,
        assignee: Option<UserId>,
    },
    ChangeStatus {
        to: CaseStatus,
    },
    /// A note by the provider; an external one is an update to the customer or client and
    /// counts as a first response.
    Note {
        text: String,
        visibility: Visibility,
    },
    /// A reply by the client or the carrier the case is addressed to, or by the customer
    /// (through the mail relay): a case waiting on someone is open again, so its clocks run.
    Answer {
        text: String,
    },
    /// A message the provider sends (an e-mail through the outbox): `summary` is what the
    /// timeline shows (recipient and subject); it is an external update and a first
    /// response when a person sends it.
    SendMessage {
        summary: String,
    },
    Resolve {
        code: ResolutionCode,
        /// When the condition ended by the facts' own time (a late delivery scan), if the
        /// resolution follows from facts.
        condition_ended_at: Option<Timestamp>,
    },
    Reopen {
        reason: String,
    },
    Close,
    SetSeverity {
        severity: Severity,
    },
    /// Replaces the case's tags (their change is an internal timeline entry).
    SetTags {
        tags: Vec<String>,
    },
}

impl CaseAction {
    /// The action's name in the API, the CLI and the audit trail.
    pub fn name(&self) -> &'static str {
        match self {
            CaseAction::Acknowledge => "acknowledge",
            CaseAction::Assign { .. } => "assign",
            CaseAction::ChangeStatus { .. } => "change_status",
            CaseAction::Note { .. } => "note",
            CaseAction::Answer { .. } => "answer",
            CaseAction::SendMessage { .. } => "send_message",
            CaseAction::Resolve { .. } => "resolve",
            CaseAction::Reopen { .. } => "reopen",
            CaseAction::Close => "close",
            CaseAction::SetSeverity { .. } => "set_severity",
            CaseAction::SetTags { .. } => "set_tags",
        }
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The status machine does not allow it.
    #[error("a case in status {from} cannot {action}{}", allowed_text(.allowed))]
    Transition {
        from: CaseStatus,
        action: String,
        allowed: Vec<CaseStatus>,
    },
    /// A field of the action is wrong.
    #[error("{field}: {reason}")]
    Field { field: String, reason: String },
}

fn allowed_text(allowed: &[CaseStatus]) -> String {
    if allowed.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        format!("; it can move to {}", names.join(", "))
    }
}

/// The decided change: the case as it will be stored and the entries to append (their
/// `seq` numbered after the case's last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub case: Case,
    pub entries: Vec<TimelineEntry>,
}

impl Decision {
    /// Whether the action changed nothing (acknowledging twice): the caller answers with
    /// the case as it is and writes nothing.
    pub fn is_noop(&self) -> bool {
        self.entries.is_empty()
    }
}

fn field(field: &str, reason: impl Into<String>) -> Refusal {
    Refusal::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

fn transition(case: &Case, action: &str) -> Refusal {
    Refusal::Transition {
        from: case.status,
        action: action.into(),
        allowed: case.status.next_statuses(),
    }
}

/// Tags as stored: trimmed, lower case, unique and sorted; each 1 to 40 of `a-z 0-9 - _`, at
/// most 20 of them.
pub fn normalise_tags(tags: &[String]) -> Result<Vec<String>, Refusal> {
    let mut out: Vec<String> = Vec::new();
    for (i, t) in tags.iter().enumerate() {
        let t = t.trim().to_lowercase();
        if t.is_empty()
            || t.len() > 40
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(field(
                &format!("tags[{i}]"),
                format!("'{t}' is not a tag: 1 to 40 of a-z, 0-9, - and _"),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 20 {
        return Err(field("tags", "at most 20 tags"));
    }
    out.sort();
    Ok(out)
}

/// Longest note or answer accepted, in characters.
pub const MAX_TEXT: usize = 10_000;

fn text(name: &str, t: &str) -> Result<String, Refusal> {
    let t = t.trim();
    if t.is_empty() {
        return Err(field(name, "must not be empty"));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(field(name, format!("longer than {MAX_TEXT} characters")));
    }
    Ok(t.to_string())
}

/// Decides `action` by `actor` (`user:<id>`, `token:<id>` or `system`) at `now`.
pub fn decide(
    case: &Case,
    action: &CaseAction,
    actor: &str,
    now: Timestamp,
) -> Result<Decision, Refusal> {
    let mut c = case.clone();
    let mut out: Vec<TimelineEntry> = Vec::new();
    let entry = |kind: TimelineKind, detail: String| {
        TimelineEntry::system(case.id, now, kind, detail).by(actor)
    };
    let status_entry = |from: CaseStatus, to: CaseStatus| {
        entry(TimelineKind::StatusChanged, format!("{from} → {to}")).changing(
            "status",
            Some(from.as_str().into()),
            Some(to.as_str().into()),
        )
    };
    // Work on a case a person has not yet opened opens it.
    let take = |c: &mut Case, out: &mut Vec<TimelineEntry>| {
        if c.status == CaseStatus::New {
            out.push(status_entry(CaseStatus::New, CaseStatus::Open));
            c.status = CaseStatus::Open;
        }
    };
    match action {
        CaseAction::Acknowledge => {
            if !c.status.is_open() {
                return Err(transition(case, "be acknowledged"));
            }
            if c.first_response_at.is_none() {
                out.push(entry(TimelineKind::Acknowledged, "acknowledged".into()));
                c.first_response_at = Some(now);
            }
            take(&mut c, &mut out);
        }
        CaseAction::Assign { team, assignee } => {
            if !c.status.is_open() {
                return Err(transition(case, "be assigned"));
            }
            if let Some(team) = team {
                if team.trim().is_empty() {
                    return Err(field("team", "must not be empty"));
                }
                if *team != c.owner_team {
                    out.push(
                        entry(
                            TimelineKind::FieldChanged,
                            format!("owner team {} → {team}", c.owner_team),
                        )
                        .changing(
                            "owner_team",
                            Some(c.owner_team.clone()),
                            Some(team.clone()),
                        ),
                    );
                    c.owner_team = team.clone();
                }
            }
            if *assignee != c.assignee {
                let name = |u: Option<UserId>| u.map(|u| format!("user:{u}"));
                let detail = match assignee {
                    Some(u) => format!("assigned to user:{u} in {}", c.owner_team),
                    None => "unassigned".into(),
                };
                out.push(entry(TimelineKind::Assigned, detail).changing(
                    "assignee",
                    name(c.assignee),
                    name(*assignee),
                ));
                c.assignee = *assignee;
            }
        }
        CaseAction::ChangeStatus { to } => {
            if !c.status.may_change_to(*to) {
                let action = match to {
                    CaseStatus::Resolved => {
                        "change status to resolved (resolve it with a code)".to_string()
                    }
                    CaseStatus::Closed => {
                        "change status to closed (resolve it, then close it)".to_string()
                    }
                    _ => format!("change status to {to}"),
                };
                return Err(transition(case, &action));
            }
            out.push(status_entry(c.status, *to));
            c.status = *to;
        }
        CaseAction::Note {
            text: t,
            visibility,
        } => {
            if c.status == CaseStatus::Closed {
                return Err(transition(case, "take notes (it is closed)"));
            }
            let t = text("text", t)?;
            out.push(entry(TimelineKind::Note, t).visible(*visibility));
            if *visibility == Visibility::External && c.status.is_open() {
                if c.first_response_at.is_none() {
                    c.first_response_at = Some(now);
                }
                take(&mut c, &mut out);
            }
        }
        CaseAction::Answer { text: t } => {
            if c.status == CaseStatus::Closed {
                return Err(transition(case, "be answered (it is closed)"));
            }
            let t = text("text", t)?;
            out.push(entry(TimelineKind::MessageIn, t));
            if c.status.is_waiting() {
                out.push(status_entry(c.status, CaseStatus::Open));
                c.status = CaseStatus::Open;
            }
        }
        CaseAction::SendMessage { summary } => {
            if !c.status.is_open() {
                return Err(transition(case, "send a message (it is not open)"));
            }
            let summary = text("summary", summary)?;
            out.push(entry(TimelineKind::MessageOut, summary).visible(Visibility::External));
            if actor != "system" {
                if c.first_response_at.is_none() {
                    c.first_response_at = Some(now);
                }
                take(&mut c, &mut out);
            }
        }
        CaseAction::Resolve {
            code,
            condition_ended_at,
        } => {
            if !c.status.is_open() {
                return Err(transition(case, "be resolved"));
            }
            out.push(
                entry(
                    TimelineKind::Resolved,
                    format!("resolved: {}", code.as_str()),
                )
                .changing(
                    "status",
                    Some(c.status.as_str().into()),
                    Some(code.as_str().into()),
                ),
            );
            c.status = CaseStatus::Resolved;
            c.resolution = Some(*code);
            c.resolved_at = Some(now);
            c.condition_ended_at = Some(condition_ended_at.unwrap_or(now));
            c.escalation_level = 0;
        }
        CaseAction::Reopen { reason } => {
            if c.status != CaseStatus::Resolved {
                let why = if c.status == CaseStatus::Closed {
                    "be reopened (a closed case is final; open a new one)"
                } else {
                    "be reopened (it is not resolved)"
                };
                return Err(transition(case, why));
            }
            let reason = text("reason", reason)?;
            out.push(entry(TimelineKind::Reopened, reason).changing(
                "status",
                Some("resolved".into()),
                Some("open".into()),
            ));
            c.status = CaseStatus::Open;
            c.reopen_count += 1;
            c.resolution = None;
            c.resolved_at = None;
            c.condition_ended_at = None;
        }
        CaseAction::Close => {
            if c.status != CaseStatus::Resolved {
                return Err(transition(case, "be closed (only a resolved case closes)"));
            }
            out.push(entry(TimelineKind::Closed, "closed".into()).changing(
                "status",
                Some("resolved".into()),
                Some("closed".into()),
            ));
            c.status = CaseStatus::Closed;
            c.closed_at = Some(now);
        }
        CaseAction::SetSeverity { severity } => {
            if !c.status.is_open() {
                return Err(transition(case, "change severity"));
            }
            if *severity != c.severity {
                out.push(
                    entry(
                        TimelineKind::FieldChanged,
                        format!("severity {} → {}", c.severity.as_str(), severity.as_str()),
                    )
                    .changing(
                        "severity",
                        Some(c.severity.as_str().into()),
                        Some(severity.as_str().into()),
                    ),
                );
                c.severity = *severity;
            }
        }
        CaseAction::SetTags { tags } => {
            let tags = normalise_tags(tags)?;
            if c.status == CaseStatus::Closed {
                return Err(transition(case, "be tagged (it is closed)"));
            }
            if tags != c.tags {
                let show = |t: &[String]| {
                    if t.is_empty() {
                        "none".to_string()
                    } else {
                        t.join(", ")
                    }
                };
                out.push(
                    entry(
                        TimelineKind::FieldChanged,
                        format!("tags {} → {}", show(&c.tags), show(&tags)),
                    )
                    .changing(
                        "tags",
                        Some(c.tags.join(" ")),
                        Some(tags.join(" ")),
                    ),
                );
                c.tags = tags;
            }
        }
    }
    if !out.is_empty() {
        for (i, e) in out.iter_mut().enumerate() {
            e.seq = c.entries + 1 + i as u32;
        }
        c.entries += out.len() as u32;
        c.version += 1;
        c.updated_at = now;
    }
    Ok(Decision {
        case: c,
        entries: out,
    })
}

#[cfg(test)]
#[path = "work_tests.rs"]
pub(crate) mod tests;
