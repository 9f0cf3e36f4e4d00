//! Timers: warnings, breaches, the ladder and the automatic close fire once each, at the
//! instants the clock says, whatever pace the sweep runs at.

use super::*;
use crate::case::policy::default_ladder;
use crate::case::{ResolutionCode, Severity};
use crate::sla::clock::{Policy, Target};
use proptest::prelude::*;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn office() -> Calendar {
    // Office hours in New York; 2026-11-26 (Thanksgiving) closed.
    crate::sla::calendar::office("America/New_York", vec![jiff::civil::date(2026, 11, 26)])
}

fn rule() -> PolicyRule {
    PolicyRule {
        name: "default".into(),
        case_type: None,
        severity: None,
        calendar: Some("office".into()),
        clock: Policy {
            first_response: Some(Target {
                minutes: 60,
                business: true,
            }),
            resolution: Some(Target {
                minutes: 8 * 60,
                business: true,
            }),
            periodic_update: None,
            pause_in: vec!["waiting_customer".into(), "waiting_client".into()],
            warning_percent: 75,
            automated_counts: false,
        },
        ladder: default_ladder(),
        supervisor_team: "supervisors".into(),
    }
}

/// A rule-opened case on Tuesday 2026-11-24 at 10:00 New York (15:00Z).
fn opened() -> (Case, Vec<TimelineEntry>) {
    let t = at("2026-11-24T15:00:00Z");
    let mut case = crate::case::work::tests::sample();
    case.opened_at = t;
    case.updated_at = t;
    case.condition_began_at = t;
    let mut created = TimelineEntry::system(case.id, t, TimelineKind::Created, "opened".into());
    created.seq = 1;
    (case, vec![created])
}

/// What the sweep plans for the case at `now`, under [`rule`], [`office`] hours and a week's
/// automatic close.
fn plan_at(case: &Case, entries: &[TimelineEntry], now: Timestamp) -> TimerPlan {
    plan(case, entries, Some(&rule()), &office(), WEEK, now)
}

const WEEK: SignedDuration = SignedDuration::from_hours(24 * 7);

/// Runs the sweep at each instant of `ticks` (ascending), applying what fires.
fn sweep(
    mut case: Case,
    mut entries: Vec<TimelineEntry>,
    ticks: &[Timestamp],
) -> (Case, Vec<TimelineEntry>) {
    let r = rule();
    for &now in ticks {
        let p = plan_at(&case, &entries, now);
        if !p.fire.is_empty() {
            let d = apply(&case, &p.fire, Some(&r), now);
            case = d.case;
            entries.extend(d.entries);
        }
    }
    (case, entries)
}

#[test]
fn a_first_response_warns_breaches_and_climbs_the_ladder() {
    let (case, entries) = opened();
    let r = rule();
    let p = plan_at(&case, &entries, at("2026-11-24T15:10:00Z"));
    assert!(p.fire.is_empty());
    // 45 of 60 business minutes: 10:45 New York.
    assert_eq!(p.next_at, Some(at("2026-11-24T15:45:00Z")));
    assert_eq!(p.sla_due_at, Some(at("2026-11-24T16:00:00Z")));

    let p = plan_at(&case, &entries, at("2026-11-24T15:45:00Z"));
    assert_eq!(p.fire, vec![TimerAction::Warn(Metric::FirstResponse)]);
    let d = apply(&case, &p.fire, Some(&r), at("2026-11-24T15:45:00Z"));
    assert_eq!(d.entries[0].kind, TimelineKind::SlaWarning);
    assert_eq!(d.entries[0].visibility, Visibility::Internal);
    let (case, mut entries) = (d.case, [entries, d.entries].concat());
    // Deciding again at the same instant fires nothing more.
    let again = plan_at(&case, &entries, at("2026-11-24T15:45:00Z"));
    assert!(again.fire.is_empty());
    assert_eq!(again.next_at, Some(at("2026-11-24T16:00:00Z")));

    let t = at("2026-11-24T16:00:01Z");
    let p = plan_at(&case, &entries, t);
    assert_eq!(
        p.fire,
        vec![
            TimerAction::Breach(Metric::FirstResponse),
            TimerAction::Escalate {
                level: 1,
                step: default_ladder()[0].clone()
            }
        ]
    );
    let d = apply(&case, &p.fire, Some(&r), t);
    entries.extend(d.entries);
    let case = d.case;
    assert_eq!(case.escalation_level, 1);
    let p = plan_at(&case, &entries, t);
    assert!(p.fire.is_empty());
    // Step 2 an hour after the breach.
    assert_eq!(p.next_at, Some(at("2026-11-24T17:00:01Z")));
    let t2 = at("2026-11-24T17:05:00Z");
    let p = plan_at(&case, &entries, t2);
    let d = apply(&case, &p.fire, Some(&r), t2);
    assert_eq!(
        (
            d.case.escalation_level,
            d.case.owner_team.as_str(),
            d.case.severity
        ),
        (2, "supervisors", Severity::High)
    );
}

#[test]
fn a_paused_case_has_no_timer_and_a_resolved_one_closes_after_a_week() {
    let (case, mut entries) = opened();
    let r = rule();
    let act = |c: &Case, action: CaseAction, t: &str| {
        crate::case::work::decide(c, &action, "user:x", at(t)).unwrap()
    };
    // Acknowledged at once, then waiting on the customer: the resolution clock stands still.
    let ack = act(&case, CaseAction::Acknowledge, "2026-11-24T15:01:00Z");
    entries.extend(ack.entries);
    let to = CaseStatus::WaitingCustomer;
    let wait = act(
        &ack.case,
        CaseAction::ChangeStatus { to },
        "2026-11-24T15:02:00Z",
    );
    entries.extend(wait.entries);
    let p = plan_at(&wait.case, &entries, at("2026-11-30T15:00:00Z"));
    assert!(p.fire.is_empty() && p.next_at.is_none(), "{p:?}");

    let resolve = CaseAction::Resolve {
        code: ResolutionCode::CustomerInformed,
        condition_ended_at: None,
    };
    let res = act(&wait.case, resolve, "2026-11-30T15:00:00Z");
    entries.extend(res.entries);
    let p = plan_at(&res.case, &entries, at("2026-12-01T00:00:00Z"));
    assert_eq!(p.next_at, Some(at("2026-12-07T15:00:00Z")));
    let p = plan_at(&res.case, &entries, at("2026-12-07T15:00:00Z"));
    assert_eq!(p.fire, vec![TimerAction::Close]);
    let closed = apply(&res.case, &p.fire, Some(&r), at("2026-12-07T15:00:00Z"));
    assert_eq!(closed.case.status, CaseStatus::Closed);
    assert_eq!(closed.entries[0].actor, "system");
}

#[test]
fn timeline_entries_become_clock_events() {
    let (case, mut entries) = opened();
    let note = |actor: &str, v: Visibility| {
        TimelineEntry::system(
            case.id,
            at("2026-11-24T16:00:00Z"),
            TimelineKind::Note,
            "n".into(),
        )
        .by(actor)
        .visible(v)
    };
    entries.push(note("user:x", Visibility::Internal));
    entries.push(note("user:x", Visibility::External));
    entries.push(note("system", Visibility::External));
    let ev = clock_events(&entries);
    assert_eq!(ev.len(), 3);
    assert_eq!(
        ev[1],
        ClockEvent::ExternalUpdate {
            at: at("2026-11-24T16:00:00Z"),
            automated: false
        }
    );
    assert_eq!(
        ev[2],
        ClockEvent::ExternalUpdate {
            at: at("2026-11-24T16:00:00Z"),
            automated: true
        }
    );
}

proptest! {
    /// Whatever pace the sweep runs at, over the same period the same warnings and breaches
    /// fire, each once, and the ladder's steps are taken in order, each once.
    #[test]
    fn the_sweep_pace_does_not_change_what_fires(
        gaps in proptest::collection::vec(1i64..=36 * 60, 1..40),
    ) {
        let (case, entries) = opened();
        let end = at("2026-11-27T23:00:00Z");
        let mut ticks = Vec::new();
        let mut t = case.opened_at;
        for g in gaps.iter().cycle() {
            t += SignedDuration::from_mins(*g);
            if t >= end {
                break;
            }
            ticks.push(t);
        }
        ticks.push(end);
        let (slow, slow_entries) = sweep(case.clone(), entries.clone(), &ticks);
        let (_, fast_entries) = sweep(case, entries, &[end]);
        let alarms = |e: &[TimelineEntry]| -> Vec<(&'static str, Option<String>)> {
            let mut v: Vec<_> = e
                .iter()
                .filter(|e| matches!(e.kind, TimelineKind::SlaWarning | TimelineKind::SlaBreached))
                .map(|e| (e.kind.as_str(), e.field.clone()))
                .collect();
            v.sort();
            v
        };
        let expected = vec![
            ("sla_breached", Some("first_response".to_string())),
            ("sla_breached", Some("resolution".to_string())),
            ("sla_warning", Some("first_response".to_string())),
            ("sla_warning", Some("resolution".to_string())),
        ];
        prop_assert_eq!(alarms(&slow_entries), expected.clone());
        prop_assert_eq!(alarms(&fast_entries), expected);
        let levels: Vec<String> = slow_entries
            .iter()
            .filter(|e| e.kind == TimelineKind::Escalated)
            .filter_map(|e| e.after.clone())
            .collect();
        let climbed: Vec<String> = (1..=slow.escalation_level).map(|l| l.to_string()).collect();
        prop_assert_eq!(levels, climbed);
        prop_assert!(slow.escalation_level >= 1);
    }
}

/// Swept every five minutes, the ladder reaches its top by the end of the day of the breach.
#[test]
fn a_regular_sweep_climbs_the_whole_ladder() {
    let (case, entries) = opened();
    let ticks: Vec<Timestamp> = (1..=12 * 12)
        .map(|i| case.opened_at + SignedDuration::from_mins(5 * i))
        .collect();
    let (c, e) = sweep(case, entries, &ticks);
    assert_eq!(c.escalation_level, 3);
    let steps: Vec<(Timestamp, String)> = e
        .iter()
        .filter(|e| e.kind == TimelineKind::Escalated)
        .map(|e| (e.at, e.detail.clone()))
        .collect();
    // First response due 11:00 New York (16:00Z): breached at 100 %, so the 16:00Z sweep
    // finds it (not the next one, at 16:05Z).
    assert_eq!(
        steps,
        vec![
            (
                at("2026-11-24T16:00:00Z"),
                "escalation step 1: notify_assignee".into()
            ),
            (
                at("2026-11-24T17:00:00Z"),
                "escalation step 2: move_to_supervisors".into()
            ),
            (
                at("2026-11-24T20:00:00Z"),
                "escalation step 3: notify_client_manager".into()
            ),
        ]
    );
}

/// Reopened while already over its resolution target (the breach recorded before it was
/// resolved), the case climbs the ladder again from its reopening: resolving reset the
/// ladder, and with no new breach to record it once sat over target with no one told.
#[test]
fn a_case_reopened_over_its_target_climbs_the_ladder_again() {
    use crate::case::work::{CaseAction, decide};
    let (case, entries) = opened();
    // Swept from Tuesday 10:00 to Wednesday 11:30 New York: the first response breached on
    // Tuesday, the resolution target (8 business hours) at 10:00 on Wednesday.
    let ticks: Vec<Timestamp> = (1..=12 * 25 + 6)
        .map(|i| case.opened_at + SignedDuration::from_mins(5 * i))
        .collect();
    let (case, mut entries) = sweep(case, entries, &ticks);
    assert_eq!(case.escalation_level, 3);
    let breached = |entries: &[TimelineEntry]| {
        entries
            .iter()
            .filter(|e| {
                e.kind == TimelineKind::SlaBreached && e.field.as_deref() == Some("resolution")
            })
            .count()
    };
    assert_eq!(breached(&entries), 1, "the resolution breach is recorded");
    let act = |case: &Case, a: CaseAction, t: &str| decide(case, &a, "user:a", at(t)).unwrap();
    // Resolved Wednesday 12:00 New York, reopened at 13:00 with the resolution target spent.
    let d = act(
        &case,
        CaseAction::Resolve {
            code: ResolutionCode::Delivered,
            condition_ended_at: None,
        },
        "2026-11-25T17:00:00Z",
    );
    entries.extend(d.entries);
    assert_eq!(d.case.escalation_level, 0);
    let d = act(
        &d.case,
        CaseAction::Reopen {
            reason: "the customer called back".into(),
        },
        "2026-11-25T18:00:00Z",
    );
    entries.extend(d.entries);
    let reopened = at("2026-11-25T18:00:00Z");
    let ticks: Vec<Timestamp> = (0..=12 * 6)
        .map(|i| reopened + SignedDuration::from_mins(5 * i))
        .collect();
    let (case, entries) = sweep(d.case, entries, &ticks);
    let again: Vec<(Timestamp, String)> = entries
        .iter()
        .filter(|e| e.kind == TimelineKind::Escalated && e.at >= reopened)
        .map(|e| (e.at, e.after.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        again,
        vec![
            (reopened, "1".to_string()),
            (reopened + SignedDuration::from_hours(1), "2".to_string()),
            (reopened + SignedDuration::from_hours(4), "3".to_string()),
        ]
    );
    assert_eq!(case.escalation_level, 3);
    // No second breach is recorded: the one before the reopening stands.
    assert_eq!(breached(&entries), 1);
}
