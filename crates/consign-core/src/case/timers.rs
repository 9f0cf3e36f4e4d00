//! What a case's clocks have to do at `now` (SPEC §5): the warnings and breaches due, the
//! escalation ladder's next steps, the automatic close of a resolved case, and the instant
//! the timer sweep must look at the case next. Firing is decided from the timeline itself
//! (a warning already recorded is not recorded again), so deciding twice fires once. The
//! ladder climbs from the breach as recorded: a sweep that runs late delays the steps after
//! it, never skips them.

use super::policy::{LadderAction, LadderStep, PolicyRule};
use super::work::{CaseAction, Decision, decide};
use super::{Case, CaseStatus, TimelineEntry, TimelineKind, Visibility};
use crate::sla::calendar::Calendar;
use crate::sla::clock::{ClockEvent, Metric, MetricClock, SlaState, evaluate};
use jiff::{SignedDuration, Timestamp};

/// The clock's view of a timeline. Messages and external notes written by the system are
/// automated; the clock counts them as a first response only if the policy says so.
pub fn clock_events(entries: &[TimelineEntry]) -> Vec<ClockEvent> {
    entries
        .iter()
        .filter_map(|e| {
            let at = e.at;
            Some(match e.kind {
                TimelineKind::Created => ClockEvent::Opened { at },
                TimelineKind::StatusChanged => ClockEvent::StatusChanged {
                    at,
                    status: e.after.clone()?,
                },
                TimelineKind::Note if e.visibility == Visibility::External => {
                    ClockEvent::ExternalUpdate {
                        at,
                        automated: e.actor == "system",
                    }
                }
                TimelineKind::MessageOut => ClockEvent::ExternalUpdate {
                    at,
                    automated: e.actor == "system",
                },
                TimelineKind::Acknowledged => ClockEvent::Acknowledged { at },
                TimelineKind::Resolved => ClockEvent::Resolved { at },
                TimelineKind::Reopened => ClockEvent::Reopened { at },
                _ => return None,
            })
        })
        .collect()
}

/// Something a timer fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerAction {
    Warn(Metric),
    Breach(Metric),
    /// Step number `level` (from 1) of the ladder.
    Escalate {
        level: u8,
        step: LadderStep,
    },
    Close,
}

/// Where a case's clocks stand at `now` and what is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerPlan {
    pub fire: Vec<TimerAction>,
    pub clocks: Vec<MetricClock>,
    /// The next deadline of a metric still running (or the breach, once breached).
    pub sla_due_at: Option<Timestamp>,
    /// When the sweep must look again, if nothing else changes the case first.
    pub next_at: Option<Timestamp>,
}

/// The instant from which a metric's warnings and breaches count: the periodic update
/// starts over with every external update, the other metrics run once per case.
fn episode_start(metric: Metric, events: &[ClockEvent], now: Timestamp) -> Timestamp {
    let first = events.first().map_or(now, ClockEvent::at);
    if metric != Metric::PeriodicUpdate {
        return first;
    }
    events
        .iter()
        .filter_map(|e| match e {
            ClockEvent::ExternalUpdate { at, .. } if *at <= now => Some(*at),
            _ => None,
        })
        .max()
        .unwrap_or(first)
}

fn recorded(
    entries: &[TimelineEntry],
    kind: TimelineKind,
    metric: Metric,
    since: Timestamp,
) -> bool {
    entries
        .iter()
        .any(|e| e.kind == kind && e.at >= since && e.field.as_deref() == Some(metric.as_str()))
}

fn soon(t: Timestamp, next: &mut Option<Timestamp>) {
    *next = Some(next.map_or(t, |n| n.min(t)));
}

/// Plans the timers of `case` (whose timeline is `entries`) under `rule` on `calendar`; a
/// resolved case closes `close_after` past its resolution.
pub fn plan(
    case: &Case,
    entries: &[TimelineEntry],
    rule: Option<&PolicyRule>,
    calendar: &Calendar,
    close_after: SignedDuration,
    now: Timestamp,
) -> TimerPlan {
    let mut out = TimerPlan {
        fire: Vec::new(),
        clocks: Vec::new(),
        sla_due_at: None,
        next_at: None,
    };
    let events = clock_events(entries);
    if let Some(rule) = rule {
        out.clocks = evaluate(&events, calendar, &rule.clock, now);
    }
    match case.status {
        CaseStatus::Closed => return out,
        CaseStatus::Resolved => {
            let due = case.resolved_at.unwrap_or(case.updated_at) + close_after;
            if now >= due {
                out.fire.push(TimerAction::Close);
            } else {
                soon(due, &mut out.next_at);
            }
            return out;
        }
        _ => {}
    }
    let Some(rule) = rule else { return out };
    let mut breached_at: Option<Timestamp> = None;
    // The ladder climbs from the first breach since the case was (re)opened.
    let since_open = entries
        .iter()
        .rev()
        .find(|e| matches!(e.kind, TimelineKind::Created | TimelineKind::Reopened))
        .map_or(case.opened_at, |e| e.at);
    for e in entries {
        if e.kind == TimelineKind::SlaBreached && e.at >= since_open {
            breached_at = Some(breached_at.map_or(e.at, |b| b.min(e.at)));
        }
    }
    for c in &out.clocks {
        let since = episode_start(c.metric, &events, now);
        let warned = recorded(entries, TimelineKind::SlaWarning, c.metric, since);
        let breached = recorded(entries, TimelineKind::SlaBreached, c.metric, since);
        match c.state {
            SlaState::Breached if !breached => {
                // A sweep that comes late still records the warning first, so every breach
                // has its warning whatever pace the sweep runs at.
                if !warned {
                    out.fire.push(TimerAction::Warn(c.metric));
                }
                out.fire.push(TimerAction::Breach(c.metric));
                breached_at = Some(breached_at.map_or(now, |b| b.min(now)));
            }
            SlaState::Warning if !warned && !breached => out.fire.push(TimerAction::Warn(c.metric)),
            _ => {}
        }
        if matches!(c.state, SlaState::Met) {
            continue;
        }
        if let Some(t) = c.due_at {
            soon(t, &mut out.sla_due_at);
            if !breached {
                soon(t, &mut out.next_at);
            }
        } else if c.state == SlaState::Breached {
            soon(breached_at.unwrap_or(now), &mut out.sla_due_at);
        }
        if let Some(t) = c.warn_at
            && !warned
        {
            soon(t, &mut out.next_at);
        }
    }
    // Reopened with its resolution target already spent: that breach was recorded before
    // the reopening, so none is recorded again, and resolving reset the ladder. The case is
    // over target now: the ladder climbs again from the reopening.
    if breached_at.is_none()
        && out
            .clocks
            .iter()
            .any(|c| c.metric == Metric::Resolution && c.state == SlaState::Breached)
    {
        breached_at = Some(since_open);
    }
    if let Some(b) = breached_at {
        for (i, step) in rule
            .ladder
            .iter()
            .enumerate()
            .skip(case.escalation_level as usize)
        {
            let due = b + SignedDuration::from_mins(step.after_minutes);
            if now >= due {
                out.fire.push(TimerAction::Escalate {
                    level: i as u8 + 1,
                    step: step.clone(),
                });
            } else {
                soon(due, &mut out.next_at);
                break;
            }
        }
    }
    out
}

/// The change `fire` makes to `case`: its timeline entries (all by `system`) and the case
/// with its escalation level, team, severity or status moved.
pub fn apply(
    case: &Case,
    fire: &[TimerAction],
    rule: Option<&PolicyRule>,
    now: Timestamp,
) -> Decision {
    let mut c = case.clone();
    let mut out: Vec<TimelineEntry> = Vec::new();
    let push = |c: &mut Case, out: &mut Vec<TimelineEntry>, mut e: TimelineEntry| {
        c.entries += 1;
        e.seq = c.entries;
        out.push(e);
    };
    let entry = |kind, detail: String| TimelineEntry::system(case.id, now, kind, detail);
    for f in fire {
        match f {
            TimerAction::Warn(m) => {
                let share = rule.map_or(75, |r| r.clock.warning_percent);
                let e = entry(
                    TimelineKind::SlaWarning,
                    format!("{} target {share}% spent", m.as_str()),
                );
                push(&mut c, &mut out, e.changing(m.as_str(), None, None));
            }
            TimerAction::Breach(m) => {
                let e = entry(
                    TimelineKind::SlaBreached,
                    format!("{} target breached", m.as_str()),
                );
                push(&mut c, &mut out, e.changing(m.as_str(), None, None));
            }
            TimerAction::Escalate { level, step } => {
                let before = c.escalation_level;
                c.escalation_level = *level;
                let e = entry(
                    TimelineKind::Escalated,
                    format!("escalation step {level}: {}", step.action.as_str()),
                )
                .changing(
                    "escalation_level",
                    Some(before.to_string()),
                    Some(level.to_string()),
                );
                push(&mut c, &mut out, e);
                if step.action == LadderAction::MoveToSupervisors {
                    // The same changes a supervisor's own hand would make, recorded alike.
                    let team = rule.map_or("supervisors", |r| r.supervisor_team.as_str());
                    let moves = [
                        CaseAction::Assign {
                            team: Some(team.to_string()),
                            assignee: c.assignee,
                        },
                        CaseAction::SetSeverity {
                            severity: c.severity.raised(),
                        },
                    ];
                    for a in &moves {
                        if let Ok(d) = decide(&c, a, "system", now) {
                            c = d.case;
                            out.extend(d.entries);
                        }
                    }
                }
            }
            TimerAction::Close => {
                let e = entry(TimelineKind::Closed, "closed automatically".into()).changing(
                    "status",
                    Some("resolved".into()),
                    Some("closed".into()),
                );
                push(&mut c, &mut out, e);
                c.status = CaseStatus::Closed;
                c.closed_at = Some(now);
            }
        }
    }
    if !out.is_empty() {
        c.version += 1;
        c.updated_at = now;
    }
    Decision {
        case: c,
        entries: out,
    }
}

#[cfg(test)]
#[path = "timers_tests.rs"]
mod tests;
