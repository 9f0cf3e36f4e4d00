//! The case actions' decisions: the status machine, the records they leave, the refusals.

use super::*;
use crate::case::CaseSubject;
use crate::ids::{CaseId, ShipmentId, TenantId};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(crate) fn sample() -> Case {
    let mut c = Case::start(
        CaseId(uuid::Uuid::from_u128(7)),
        TenantId(uuid::Uuid::from_u128(1)),
        crate::case::NewCase {
            subject: CaseSubject::Shipment(ShipmentId(uuid::Uuid::from_u128(9))),
            case_type: "stalled".into(),
            severity: Severity::Medium,
            accountable: "carrier".into(),
            owner_team: "exceptions".into(),
            rulebook_version: 1,
        },
        CaseStatus::New,
        at("2026-03-02T08:00:00Z"),
        at("2026-03-02T07:00:00Z"),
    );
    c.number = "CASE-000007".into();
    c
}

const AGENT: &str = "user:00000000-0000-0000-0000-000000000005";

fn run(c: &Case, a: CaseAction) -> Decision {
    decide(c, &a, AGENT, at("2026-03-02T09:00:00Z")).unwrap()
}

fn kinds(d: &Decision) -> Vec<TimelineKind> {
    d.entries.iter().map(|e| e.kind).collect()
}

#[test]
fn an_agent_takes_a_case_from_new_to_resolved() {
    let c = sample();
    let d = run(&c, CaseAction::Acknowledge);
    assert_eq!(d.case.status, CaseStatus::Open);
    assert_eq!(d.case.first_response_at, Some(at("2026-03-02T09:00:00Z")));
    assert_eq!(
        kinds(&d),
        vec![TimelineKind::Acknowledged, TimelineKind::StatusChanged]
    );
    assert_eq!(
        d.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert!(d.entries.iter().all(|e| e.actor == AGENT));
    assert_eq!((d.case.version, d.case.entries), (2, 3));
    // Acknowledging again changes nothing and costs no version.
    let again = run(&d.case, CaseAction::Acknowledge);
    assert!(again.is_noop());
    assert_eq!(again.case, d.case);

    let w = run(
        &d.case,
        CaseAction::ChangeStatus {
            to: CaseStatus::WaitingCustomer,
        },
    );
    assert_eq!(w.entries[0].before.as_deref(), Some("open"));
    assert_eq!(w.entries[0].after.as_deref(), Some("waiting_customer"));
    assert_eq!(w.entries[0].visibility, Visibility::External);
    let r = run(
        &w.case,
        CaseAction::Resolve {
            code: ResolutionCode::CustomerInformed,
            condition_ended_at: None,
        },
    );
    assert_eq!(r.case.status, CaseStatus::Resolved);
    assert_eq!(r.case.resolution, Some(ResolutionCode::CustomerInformed));
    assert_eq!(r.entries[0].after.as_deref(), Some("customer_informed"));
    assert_eq!(r.case.condition_ended_at, r.case.resolved_at);
}

#[test]
fn an_external_note_answers_the_case_and_an_internal_one_does_not() {
    let c = sample();
    let internal = run(
        &c,
        CaseAction::Note {
            text: "  called the depot  ".into(),
            visibility: Visibility::Internal,
        },
    );
    assert_eq!(internal.case.status, CaseStatus::New);
    assert_eq!(internal.case.first_response_at, None);
    assert_eq!(internal.entries[0].detail, "called the depot");
    assert_eq!(internal.entries[0].visibility, Visibility::Internal);
    let external = run(
        &c,
        CaseAction::Note {
            text: "We are on it".into(),
            visibility: Visibility::External,
        },
    );
    assert_eq!(external.case.status, CaseStatus::Open);
    assert!(external.case.first_response_at.is_some());
    // A reply from the client is a message in; it answers nothing on the provider's side.
    let answer = run(&c, CaseAction::Answer { text: "ok".into() });
    assert_eq!(kinds(&answer), vec![TimelineKind::MessageIn]);
    assert_eq!(answer.entries[0].visibility, Visibility::External);
    assert_eq!(answer.case.first_response_at, None);
}

#[test]
fn reopening_counts_and_closing_is_final() {
    let mut c = sample();
    c.status = CaseStatus::Resolved;
    c.resolution = Some(ResolutionCode::Delivered);
    c.resolved_at = Some(at("2026-03-02T08:30:00Z"));
    let re = run(
        &c,
        CaseAction::Reopen {
            reason: "customer says the parcel is empty".into(),
        },
    );
    assert_eq!(
        (re.case.status, re.case.reopen_count, re.case.resolution),
        (CaseStatus::Open, 1, None)
    );
    let closed = run(&c, CaseAction::Close);
    assert_eq!(closed.case.status, CaseStatus::Closed);
    let err = decide(
        &closed.case,
        &CaseAction::Reopen { reason: "x".into() },
        AGENT,
        at("2026-03-10T00:00:00Z"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("closed case is final"), "{err}");
}

#[test]
fn refusals_name_the_rule_broken() {
    let c = sample();
    let now = at("2026-03-02T09:00:00Z");
    let refuse = |c: &Case, a: CaseAction| decide(c, &a, AGENT, now).unwrap_err().to_string();
    let e = refuse(
        &c,
        CaseAction::ChangeStatus {
            to: CaseStatus::Resolved,
        },
    );
    assert!(e.contains("resolve it with a code"), "{e}");
    let e = refuse(&c, CaseAction::Close);
    assert!(e.contains("only a resolved case closes"), "{e}");
    assert_eq!(
        refuse(
            &c,
            CaseAction::Note {
                text: " ".into(),
                visibility: Visibility::Internal
            }
        ),
        "text: must not be empty"
    );
    let e = refuse(&c, CaseAction::Reopen { reason: "x".into() });
    assert!(e.contains("it is not resolved"), "{e}");
    let mut resolved = c.clone();
    resolved.status = CaseStatus::Resolved;
    let e = refuse(
        &resolved,
        CaseAction::ChangeStatus {
            to: CaseStatus::WaitingCarrier,
        },
    );
    assert_eq!(
        e,
        "a case in status resolved cannot change status to waiting_carrier"
    );
    let e = refuse(
        &c,
        CaseAction::ChangeStatus {
            to: CaseStatus::New,
        },
    );
    assert!(e.ends_with("it can move to open, waiting_customer, waiting_carrier, waiting_client, waiting_warehouse"), "{e}");
}

#[test]
fn assignment_records_team_and_assignee_changes() {
    let c = sample();
    let u = crate::ids::UserId(uuid::Uuid::from_u128(5));
    let d = run(
        &c,
        CaseAction::Assign {
            team: Some("claims".into()),
            assignee: Some(u),
        },
    );
    assert_eq!(
        kinds(&d),
        vec![TimelineKind::FieldChanged, TimelineKind::Assigned]
    );
    assert_eq!(
        (d.case.owner_team.as_str(), d.case.assignee),
        ("claims", Some(u))
    );
    // Assignment alone does not open a new case: nobody has looked at it yet.
    assert_eq!(d.case.status, CaseStatus::New);
    assert!(
        run(
            &d.case,
            CaseAction::Assign {
                team: None,
                assignee: Some(u)
            }
        )
        .is_noop()
    );
    let s = run(
        &d.case,
        CaseAction::SetSeverity {
            severity: Severity::Critical,
        },
    );
    assert_eq!(s.entries[0].before.as_deref(), Some("medium"));
    assert_eq!(s.case.severity, Severity::Critical);
}

#[test]
fn a_message_sent_by_a_person_is_a_first_response_and_a_reply_ends_the_wait() {
    let c = sample();
    let sent = run(
        &c,
        CaseAction::SendMessage {
            summary: "email to ann@example.com: Your delivery is delayed".into(),
        },
    );
    assert_eq!(
        kinds(&sent),
        vec![TimelineKind::MessageOut, TimelineKind::StatusChanged]
    );
    assert_eq!(sent.entries[0].visibility, Visibility::External);
    assert_eq!(
        sent.case.first_response_at,
        Some(at("2026-03-02T09:00:00Z"))
    );
    // Sent by the system (a proactive notice): not a first response, the case stays new.
    let notice = decide(
        &c,
        &CaseAction::SendMessage {
            summary: "email to ann@example.com: notice".into(),
        },
        "system",
        at("2026-03-02T09:00:00Z"),
    )
    .unwrap();
    assert_eq!(notice.case.status, CaseStatus::New);
    assert_eq!(notice.case.first_response_at, None);
    // Waiting on the customer, a reply opens the case again (its clock runs again).
    let waiting = run(
        &sent.case,
        CaseAction::ChangeStatus {
            to: CaseStatus::WaitingCustomer,
        },
    );
    let reply = run(
        &waiting.case,
        CaseAction::Answer {
            text: "Leave it with the neighbour".into(),
        },
    );
    assert_eq!(
        kinds(&reply),
        vec![TimelineKind::MessageIn, TimelineKind::StatusChanged]
    );
    assert_eq!(reply.case.status, CaseStatus::Open);
    let resolved = run(
        &reply.case,
        CaseAction::Resolve {
            code: ResolutionCode::CustomerInformed,
            condition_ended_at: None,
        },
    );
    let refused = decide(
        &resolved.case,
        &CaseAction::SendMessage {
            summary: "x".into(),
        },
        AGENT,
        at("2026-03-02T10:00:00Z"),
    );
    assert!(matches!(refused, Err(Refusal::Transition { .. })));
}

#[test]
fn tags_are_normalised_recorded_and_refused_by_name() {
    let c = sample();
    let d = run(
        &c,
        CaseAction::SetTags {
            tags: vec!["VIP".into(), " claim-filed ".into(), "vip".into()],
        },
    );
    assert_eq!(d.case.tags, vec!["claim-filed".to_string(), "vip".into()]);
    assert_eq!(kinds(&d), vec![TimelineKind::FieldChanged]);
    assert_eq!(d.entries[0].visibility, Visibility::Internal);
    assert_eq!(d.entries[0].after.as_deref(), Some("claim-filed vip"));
    // The same set again changes nothing.
    assert!(
        run(
            &d.case,
            CaseAction::SetTags {
                tags: vec!["vip".into(), "claim-filed".into()]
            }
        )
        .is_noop()
    );
    let bad = decide(
        &c,
        &CaseAction::SetTags {
            tags: vec!["ok".into(), "no spaces".into()],
        },
        AGENT,
        at("2026-03-02T09:00:00Z"),
    );
    assert!(matches!(bad, Err(Refusal::Field { field, .. }) if field == "tags[1]"));
}
