//! The case page — the subject with its own history beside
//! the case timeline, the SLA clocks, and every action as one short form. Forms post back
//! to the case page with the version the person saw: a case that changed meanwhile is not
//! overwritten, the page says what happened instead.

use super::compose::Draft;
use super::{Frame, PathId, TenantPage, Viewer, error_page, local, query_value, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use consign_app::AppError;
use consign_core::access::{Actor, Capability, Principal};
use consign_core::case::work::CaseAction;
use consign_core::case::{
    Case, CaseStatus, CaseSubject, ResolutionCode, TimelineEntry, Visibility,
};
use consign_core::ids::{CaseId, UserId};
use consign_core::sla::{MetricClock, SlaState};
use consign_core::tenant::Tenant;
use jiff::tz::TimeZone;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/app/{tenant}/cases/{id}", get(case_page).post(act))
}

/// The statuses a person sets by hand while working a case.
pub(super) const WORK_STATUSES: [CaseStatus; 5] = [
    CaseStatus::Open,
    CaseStatus::WaitingCustomer,
    CaseStatus::WaitingCarrier,
    CaseStatus::WaitingClient,
    CaseStatus::WaitingWarehouse,
];

/// "in 2 h 10 min", "3 d 4 h ago": how far an instant is from now, to the minute.
pub(super) fn span(minutes: i64) -> String {
    let m = minutes.abs();
    let (d, h, min) = (m / 1440, m % 1440 / 60, m % 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {min} min")
    } else {
        format!("{min} min")
    }
}

pub(super) fn me(p: &Principal) -> Option<UserId> {
    match p.actor {
        Actor::User(u) => Some(u),
        _ => None,
    }
}

/// Names of the desk's people, for a provider viewer (others see "assigned").
pub(super) async fn people(st: &AppState, p: &Principal) -> HashMap<UserId, String> {
    if !p.role.is_provider() {
        return HashMap::new();
    }
    st.app
        .case_workers(p)
        .await
        .unwrap_or_default()
        .into_iter()
        .collect()
}

pub(super) fn assignee_name(
    c: &Case,
    names: &HashMap<UserId, String>,
    me: Option<UserId>,
) -> String {
    assignee_named(c, me, |u| names.get(&u).cloned())
}

/// The case's assignee as the viewer reads it: `me`, a name `name_of` knows, or `assigned`.
fn assignee_named(
    c: &Case,
    me: Option<UserId>,
    name_of: impl Fn(UserId) -> Option<String>,
) -> String {
    match c.assignee {
        None => "unassigned".into(),
        Some(u) if Some(u) == me => "me".into(),
        Some(u) => name_of(u).unwrap_or_else(|| "assigned".into()),
    }
}

struct EntryView {
    at: String,
    actor: String,
    kind: String,
    external: bool,
    detail: String,
}

struct ClockView {
    metric: &'static str,
    state: &'static str,
    elapsed: String,
    remaining: String,
    due: String,
}

struct EventView {
    at: String,
    status: String,
    location: String,
    detail: String,
    source: String,
}

/// What the case is about, with its own history.
struct SubjectView {
    kind: &'static str,
    title: String,
    link: Option<String>,
    facts: Vec<(&'static str, String)>,
    events: Vec<EventView>,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    zone: String,
    number: String,
    version: i64,
    case_type: String,
    severity: &'static str,
    status: &'static str,
    open: bool,
    resolved: bool,
    accountable: String,
    team: String,
    assignee: String,
    assigned_to_me: bool,
    /// The viewer is in the case's team and may take it.
    can_take: bool,
    /// The viewer may hand the case to someone (a supervisor, or its assignee).
    can_assign: bool,
    opened: String,
    resolved_at: String,
    tags: String,
    clocks: Vec<ClockView>,
    subject: SubjectView,
    timeline: Vec<EntryView>,
    /// What the viewer may do here.
    can_work: bool,
    can_answer: bool,
    people: Vec<(String, String)>,
    statuses: Vec<&'static str>,
    codes: Vec<&'static str>,
    /// Messages: the templates that fit, what is being written, and its preview.
    can_message: bool,
    choices: Vec<super::compose::Choice>,
    draft: Draft,
    /// What went wrong with the last form, in words.
    problem: Option<String>,
    /// What the last form did.
    done: Option<String>,
}

fn clock_view(c: &MetricClock, tz: &TimeZone) -> ClockView {
    ClockView {
        metric: match c.metric {
            consign_core::sla::Metric::FirstResponse => "First response",
            consign_core::sla::Metric::Resolution => "Resolution",
            consign_core::sla::Metric::PeriodicUpdate => "Periodic update",
        },
        state: match c.state {
            SlaState::Running => "running",
            SlaState::Paused => "paused",
            SlaState::Warning => "warning",
            SlaState::Breached => "breached",
            SlaState::Met => "met",
        },
        elapsed: span(c.elapsed_minutes),
        remaining: if c.remaining_minutes < 0 {
            format!("over by {}", span(c.remaining_minutes))
        } else {
            format!("{} left", span(c.remaining_minutes))
        },
        due: local(c.due_at, tz),
    }
}

/// `names`: actor label (`user:<id>`, `token:<id>`) → the name this viewer reads.
fn entry_view(e: &TimelineEntry, names: &HashMap<String, String>, tz: &TimeZone) -> EntryView {
    // Actors are labels (`user:<id>`, `token:<id>`, `system`); named where known.
    let actor = names
        .get(&e.actor)
        .cloned()
        .unwrap_or_else(|| e.actor.clone());
    // Details name people as the actors do (`assigned to user:<id> in …`).
    let mut detail = e.detail.clone();
    if detail.contains("user:") {
        for (label, name) in names {
            detail = detail.replace(label.as_str(), name);
        }
    }
    EntryView {
        at: local(Some(e.at), tz),
        actor,
        kind: e.kind.as_str().replace('_', " "),
        external: e.visibility == Visibility::External,
        detail,
    }
}

async fn subject_view(st: &AppState, p: &Principal, t: &Tenant, c: &Case) -> SubjectView {
    let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
    match &c.subject {
        CaseSubject::Shipment(id) => match st.app.get_shipment(p, t, *id).await {
            Ok(s) => {
                let events = match st.app.shipment_tracking(p, t, *id).await {
                    Ok((_, mut events)) => {
                        events.sort_by_key(|e| std::cmp::Reverse(e.occurred_at));
                        events
                            .iter()
                            .map(|e| EventView {
                                at: local(Some(e.occurred_at), &tz),
                                status: e.status.map(|s| s.as_str()).unwrap_or("—").into(),
                                location: e.location.clone(),
                                detail: super::joined(&[&e.raw_code, &e.description]),
                                source: e.source.clone(),
                            })
                            .collect()
                    }
                    Err(_) => Vec::new(),
                };
                SubjectView {
                    kind: "Shipment",
                    title: s.number.clone(),
                    link: Some(format!("/app/{}/shipments/{}", t.slug, s.id)),
                    facts: vec![
                        ("Status", s.status.as_str().to_string()),
                        ("Tracking", s.tracking_number.clone()),
                        ("Service", s.service_level.clone()),
                        (
                            "Route",
                            format!(
                                "{} {} → {} {}",
                                s.origin.city,
                                s.origin.country,
                                s.destination.city,
                                s.destination.country
                            ),
                        ),
                        ("Promised by", local(s.promised_by, &tz)),
                        ("Delivered", local(s.delivered_at, &tz)),
                    ],
                    events,
                }
            }
            Err(_) => SubjectView {
                kind: "Shipment",
                title: "(not visible to you)".into(),
                link: None,
                facts: vec![],
                events: vec![],
            },
        },
        CaseSubject::Order(id) => match st.app.get_order(p, t, *id).await {
            Ok(o) => SubjectView {
                kind: "Order",
                title: o.number.clone(),
                link: Some(format!(
                    "/app/{}/orders?q={}",
                    t.slug,
                    query_value(&o.number)
                )),
                facts: vec![
                    ("Status", o.status.as_str().to_string()),
                    ("Client reference", o.external_ref.clone()),
                    ("Customer", o.customer.name.clone()),
                    ("Ordered", local(Some(o.ordered_at), &tz)),
                    ("Promised by", local(o.promised_by, &tz)),
                ],
                events: vec![],
            },
            Err(_) => SubjectView {
                kind: "Order",
                title: "(not visible to you)".into(),
                link: None,
                facts: vec![],
                events: vec![],
            },
        },
        CaseSubject::Carrier(id) => {
            let name = st
                .app
                .list_carriers(p, t)
                .await
                .unwrap_or_default()
                .into_iter()
                .find(|k| k.id == *id)
                .map(|k| k.name)
                .unwrap_or_else(|| id.to_string());
            SubjectView {
                kind: "Carrier",
                title: name,
                link: None,
                facts: vec![],
                events: vec![],
            }
        }
        CaseSubject::EdiGroup { partner, group } => SubjectView {
            kind: "EDI group",
            title: format!("group {group}"),
            link: None,
            facts: vec![("Trading partner", partner.to_string())],
            events: vec![],
        },
    }
}

/// Renders the case page for `id` with an optional note about the last form.
async fn show(
    st: &AppState,
    v: Viewer,
    t: Tenant,
    id: CaseId,
    problem: Option<String>,
    done: Option<String>,
    draft: Draft,
) -> Response {
    let p = &v.principal;
    let (c, timeline) = match st.app.get_case(p, &t, id).await {
        Ok(x) => x,
        Err(e) => return error_page(e),
    };
    let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
    let clocks = st.app.sla_clocks(p, &t, &c).await.unwrap_or_default();
    // Everyone who may stand on the timeline, named as this viewer reads them (the desk's
    // people by name for the provider; "service desk" for a client or carrier).
    let names = st.app.timeline_names(p, &t).await.unwrap_or_default();
    let name_of = |u: UserId| {
        names
            .get(&consign_core::access::Actor::User(u).label())
            .cloned()
    };
    let subject = subject_view(st, p, &t, &c).await;
    let mut timeline: Vec<EntryView> = timeline
        .iter()
        .map(|e| entry_view(e, &names, &tz))
        .collect();
    timeline.reverse();
    let can_work = p.can(Capability::WorkCases);
    // A case is assigned within its owner team: the picker offers its members, and "take"
    // is for a member.
    let team = if p.role.is_provider() {
        st.app
            .teams(p)
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|t| t.name == c.owner_team)
    } else {
        None
    };
    let mut people: Vec<(String, String)> = team
        .iter()
        .flat_map(|t| t.members.iter())
        .map(|m| {
            let name = name_of(m.user).unwrap_or_else(|| m.user.to_string());
            let shift = if m.on_shift { "" } else { " (off shift)" };
            (m.user.to_string(), format!("{name}{shift}"))
        })
        .collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));
    // An agent takes an unassigned case of their team, or gives their own away; anything
    // else is a supervisor's reassignment.
    let supervise = p.can(Capability::SuperviseCases);
    let member = me(p).is_some_and(|u| team.as_ref().is_some_and(|t| t.has_member(u)));
    let can_take = member && (c.assignee.is_none() || supervise);
    let can_assign = supervise || (c.assignee.is_some() && c.assignee == me(p));
    let choices = if can_work {
        super::compose::choices(st, p, &t, &c).await
    } else {
        Vec::new()
    };
    render(CasePage {
        can_message: can_work,
        choices,
        draft,
        slug: t.slug.clone(),
        tenant_name: t.name.clone(),
        zone: t.time_zone.clone(),
        number: c.number.clone(),
        version: c.version,
        case_type: c.case_type.replace('_', " "),
        severity: c.severity.as_str(),
        status: c.status.as_str(),
        open: c.status.is_open(),
        resolved: c.status == CaseStatus::Resolved,
        accountable: c.accountable.clone(),
        team: c.owner_team.clone(),
        assignee: assignee_named(&c, me(p), name_of),
        assigned_to_me: c.assignee.is_some() && c.assignee == me(p),
        can_take,
        can_assign,
        opened: local(Some(c.opened_at), &tz),
        resolved_at: local(c.resolved_at, &tz),
        tags: c.tags.join(", "),
        clocks: clocks.iter().map(|k| clock_view(k, &tz)).collect(),
        subject,
        timeline,
        can_work,
        can_answer: !can_work && p.can(Capability::AnswerCases),
        people,
        statuses: WORK_STATUSES.iter().map(|s| s.as_str()).collect(),
        codes: ResolutionCode::ALL.iter().map(|c| c.as_str()).collect(),
        problem,
        done,
        frame: v.into(),
    })
}

async fn case_page(
    TenantPage {
        st,
        v,
        t,
        path: PathId(id),
    }: TenantPage<PathId<CaseId>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // After a form: what it did (the redirect carries it, so a reload does not repeat it).
    let done = q.get("done").map(|d| d.replace('_', " "));
    show(&st, v, t, id, None, done, Draft::default()).await
}

/// One form of the case page: `action` names it, `version` is the case as the person saw it.
#[derive(serde::Deserialize)]
struct ActForm {
    /// Missing is refused like wrong (403), not as a malformed form.
    #[serde(default)]
    csrf: String,
    version: i64,
    action: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    assignee: String,
    /// A message: the template chosen (`name|language`, empty for free text), whom free
    /// text is for, its subject and body.
    #[serde(default)]
    template: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    address: String,
}

/// The action a form asks for, or what is wrong with it.
fn action_of(f: &ActForm, me: Option<UserId>) -> Result<CaseAction, String> {
    Ok(match f.action.as_str() {
        "acknowledge" => CaseAction::Acknowledge,
        "take" => CaseAction::Assign {
            team: None,
            assignee: Some(me.ok_or("only a person can take a case")?),
        },
        "assign" => CaseAction::Assign {
            team: None,
            assignee: match f.assignee.as_str() {
                "" => None,
                id => Some(
                    id.parse()
                        .map_err(|_| "choose someone from the list".to_string())?,
                ),
            },
        },
        "status" => CaseAction::ChangeStatus {
            to: CaseStatus::parse(&f.status)?,
        },
        "note" => CaseAction::Note {
            text: f.text.clone(),
            visibility: if f.visibility == "external" {
                Visibility::External
            } else {
                Visibility::Internal
            },
        },
        "answer" => CaseAction::Answer {
            text: f.text.clone(),
        },
        "resolve" => CaseAction::Resolve {
            code: ResolutionCode::parse(&f.code)?,
            condition_ended_at: None,
        },
        "reopen" => CaseAction::Reopen {
            reason: f.text.clone(),
        },
        "close" => CaseAction::Close,
        other => return Err(format!("'{other}' is not an action of this page")),
    })
}

async fn act(
    TenantPage {
        st,
        v,
        t,
        path: PathId(case),
    }: TenantPage<PathId<CaseId>>,
    Form(f): Form<ActForm>,
) -> Response {
    if let Err(r) = v.check_csrf(&f.csrf) {
        return r;
    }
    if f.action == "preview" || f.action == "message" {
        return message(&st, v, t, case, &f).await;
    }
    let action = match action_of(&f, me(&v.principal)) {
        Ok(a) => a,
        Err(why) => return show(&st, v, t, case, Some(why), None, Draft::default()).await,
    };
    let name = action.name();
    match st
        .app
        .act_on_case(&v.principal, &t, case, action, Some(f.version))
        .await
    {
        // Post, redirect, get: a reload shows the case, it does not act again.
        Ok(_) => {
            Redirect::to(&format!("/app/{}/cases/{}?done={name}", t.slug, case)).into_response()
        }
        Err(AppError::Stale { .. }) => {
            let why = "The case changed while you had it open (someone else acted on it, or a \
                       rule or timer did). Your action was not applied: read the case as it \
                       is now and try again."
                .to_string();
            (
                StatusCode::CONFLICT,
                show(&st, v, t, case, Some(why), None, Draft::default()).await,
            )
                .into_response()
        }
        Err(AppError::NotFound(m)) => error_page(AppError::NotFound(m)),
        Err(e) => {
            let why = e.to_string();
            let status = crate::error::ApiError::from(e).status;
            (
                status,
                show(&st, v, t, case, Some(why), None, Draft::default()).await,
            )
                .into_response()
        }
    }
}

/// The message form: `preview` renders the draft against the case and shows it beside the
/// form, `message` sends it (refused, and the draft kept, when the case changed meanwhile).
async fn message(st: &AppState, v: Viewer, t: Tenant, case: CaseId, f: &ActForm) -> Response {
    let mut draft = Draft {
        choice: f.template.clone(),
        to: f.to.clone(),
        subject: f.subject.clone(),
        body: f.body.clone(),
        address: f.address.clone(),
        preview: None,
    };
    let p = v.principal.clone();
    let outcome = if f.action == "preview" {
        super::compose::preview(st, &p, &t, case, &draft)
            .await
            .map(|r| draft.preview = Some(r))
    } else {
        match super::compose::send(st, &p, &t, case, &draft, f.version).await {
            Ok(()) => {
                return Redirect::to(&format!("/app/{}/cases/{}?done=message", t.slug, case))
                    .into_response();
            }
            Err(e) => Err(e),
        }
    };
    match outcome {
        Ok(()) => show(st, v, t, case, None, None, draft).await,
        Err(AppError::NotFound(m)) => error_page(AppError::NotFound(m)),
        Err(e) => {
            let why = match &e {
                AppError::Stale { .. } => "The case changed while you had it open. Your message \
                     was not sent: read the case as it is now, then send it again (it is \
                     still in the form)."
                    .to_string(),
                other => other.to_string(),
            };
            // A stale page is a conflict for a person (409), as the other forms answer,
            // not the API's failed precondition.
            let status = match &e {
                AppError::Stale { .. } => StatusCode::CONFLICT,
                _ => crate::error::ApiError::from(e).status,
            };
            (status, show(st, v, t, case, Some(why), None, draft).await).into_response()
        }
    }
}
