//! Case KPIs over timelines built by the case actions themselves.

use super::*;
use crate::case::work::tests::sample;
use crate::case::work::{CaseAction, decide};
use crate::case::{CaseStatus, ResolutionCode};
use crate::sla::Target;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

struct Built {
    case: Case,
    entries: Vec<TimelineEntry>,
}

/// A case opened at `opened` and put through `steps` (each at its instant).
fn build(opened: &str, steps: &[(&str, CaseAction)]) -> Built {
    let mut case = sample();
    case.opened_at = at(opened);
    let mut created = TimelineEntry::system(
        case.id,
        case.opened_at,
        TimelineKind::Created,
        "opened".into(),
    );
    created.seq = 1;
    let mut entries = vec![created];
    for (t, a) in steps {
        let d = decide(&case, a, "user:a", at(t)).unwrap();
        case = d.case;
        entries.extend(d.entries);
    }
    Built { case, entries }
}

fn resolve() -> CaseAction {
    CaseAction::Resolve {
        code: ResolutionCode::Delivered,
        condition_ended_at: None,
    }
}

fn external(text: &str) -> CaseAction {
    CaseAction::Note {
        text: text.into(),
        visibility: Visibility::External,
    }
}

#[test]
fn figures_come_from_the_timelines() {
    let cal = Calendar::always_open();
    let policy = Policy {
        first_response: Some(Target {
            minutes: 30,
            business: false,
        }),
        resolution: None,
        periodic_update: None,
        pause_in: vec![],
        warning_percent: 75,
        automated_counts: false,
    };
    let cases = [
        // Answered in 10 minutes, resolved after an hour: first contact.
        build(
            "2026-03-02T08:00:00Z",
            &[
                ("2026-03-02T08:10:00Z", CaseAction::Acknowledge),
                ("2026-03-02T09:00:00Z", resolve()),
            ],
        ),
        // Answered in 50 minutes (breach), two messages, resolved, reopened, resolved again:
        // open 2 h + 1 h, the hour resolved in between does not count.
        build(
            "2026-03-02T08:00:00Z",
            &[
                ("2026-03-02T08:50:00Z", external("on it")),
                ("2026-03-02T09:00:00Z", external("found it")),
                ("2026-03-02T10:00:00Z", resolve()),
                (
                    "2026-03-02T11:00:00Z",
                    CaseAction::Reopen {
                        reason: "not found after all".into(),
                    },
                ),
                ("2026-03-02T12:00:00Z", resolve()),
            ],
        ),
        // Still open: in the backlog, 30 hours old at the end of the period.
        build(
            "2026-03-02T18:00:00Z",
            &[("2026-03-02T18:20:00Z", CaseAction::Acknowledge)],
        ),
        // Opened after the period.
        build("2026-03-04T08:00:00Z", &[]),
    ];
    let records: Vec<CaseRecord<'_>> = cases
        .iter()
        .map(|b| CaseRecord {
            case: &b.case,
            entries: &b.entries,
            calendar: &cal,
            policy: Some(&policy),
        })
        .collect();
    let k = case_kpis(
        &records,
        at("2026-03-02T00:00:00Z"),
        at("2026-03-04T00:00:00Z"),
        at("2026-03-10T00:00:00Z"),
    );
    assert_eq!((k.opened, k.resolved), (3, 2));
    assert_eq!(k.mtta.count, 3);
    assert_eq!(k.mtta.median_minutes, Some(20.0));
    assert_eq!(k.mttr.mean_minutes, Some((60.0 + 180.0) / 2.0));
    assert_eq!(k.mttr.median_minutes, Some(120.0));
    assert_eq!(
        (k.sla_attainment.numerator, k.sla_attainment.denominator),
        (1, 2)
    );
    assert_eq!((k.reopen_rate.numerator, k.reopen_rate.denominator), (1, 2));
    assert_eq!(k.first_contact_resolution.value, Some(0.5));
    assert_eq!(
        k.backlog,
        Backlog {
            open: 1,
            under_3d: 1,
            ..Backlog::default()
        }
    );
    assert_eq!(cases[2].case.status, CaseStatus::Open);
}

#[test]
fn business_time_leaves_out_closed_hours() {
    let cal = crate::sla::Calendar::new(&crate::sla::CalendarSpec {
        time_zone: "UTC".into(),
        hours: ["monday", "tuesday"]
            .iter()
            .map(|d| crate::sla::OpeningHours {
                weekday: d.to_string(),
                open: "09:00".into(),
                close: "17:00".into(),
            })
            .collect(),
        holidays: vec![],
    })
    .unwrap();
    // Monday 16:00 to Tuesday 10:00: two business hours.
    let b = build(
        "2026-03-02T16:00:00Z",
        &[("2026-03-03T10:00:00Z", resolve())],
    );
    let k = case_kpis(
        &[CaseRecord {
            case: &b.case,
            entries: &b.entries,
            calendar: &cal,
            policy: None,
        }],
        at("2026-03-01T00:00:00Z"),
        at("2026-03-08T00:00:00Z"),
        at("2026-03-08T00:00:00Z"),
    );
    assert_eq!(k.mttr.mean_minutes, Some(120.0));
    assert_eq!(k.sla_attainment.value, None);
}
