//! A tenant's case queue: my cases, each of my teams', unassigned, every open case, every
//! case — open queues by the next SLA deadline with countdowns — and the supervisor's bulk
//! form over the selected rows (all or nothing: the app re-checks the selection).

use super::cases::{WORK_STATUSES, assignee_name, me, people, span};
use super::{Viewer, error_page, local, query_value, render, tenant_page};
use crate::AppState;
use crate::auth::{Authenticated, Via};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use consign_core::access::Capability;
use consign_core::case::work::CaseAction;
use consign_core::case::{CaseStatus, CaseSubject, Severity, Visibility};
use consign_core::ids::CaseId;
use consign_core::tenant::Tenant;
use consign_store::CaseFilter;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::collections::HashMap;
use subtle::ConstantTimeEq;

pub fn routes() -> Router<AppState> {
    Router::new().route("/app/{tenant}/cases", get(queue).post(bulk))
}

/// The next SLA deadline as a countdown, and how urgent it is (`breached`, `at-risk`).
fn countdown(due: Option<Timestamp>, now: Timestamp) -> (String, &'static str) {
    let Some(due) = due else {
        return ("—".into(), "");
    };
    let minutes = due.duration_since(now).as_mins();
    if minutes < 0 {
        (format!("breached {} ago", span(minutes)), "breached")
    } else if minutes < 1 {
        ("due within a minute".into(), "at-risk")
    } else if minutes < 120 {
        (format!("due in {}", span(minutes)), "at-risk")
    } else {
        (format!("due in {}", span(minutes)), "")
    }
}

fn subject_label(s: &CaseSubject) -> &'static str {
    match s {
        CaseSubject::Shipment(_) => "shipment",
        CaseSubject::Order(_) => "order",
        CaseSubject::Carrier(_) => "carrier",
        CaseSubject::EdiGroup { .. } => "EDI group",
    }
}

struct QueueRow {
    id: String,
    number: String,
    case_type: String,
    severity: &'static str,
    status: &'static str,
    subject: &'static str,
    accountable: String,
    team: String,
    assignee: String,
    opened: String,
    due: String,
    due_at: String,
    urgency: &'static str,
}

/// A queue's tab: where it goes, what it says, whether it is the one shown.
struct Tab {
    href: String,
    label: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct QueuePage {
    tenants: Vec<Tenant>,
    user_name: String,
    csrf: String,
    slug: String,
    tenant_name: String,
    zone: String,
    tabs: Vec<Tab>,
    scope: String,
    team: String,
    case_type: String,
    severity: String,
    severities: Vec<&'static str>,
    rows: Vec<QueueRow>,
    next_cursor: Option<String>,
    /// The query string without the cursor, for the pager.
    query: String,
    kpi_label: Option<String>,
    /// A supervisor selects rows and acts on them together.
    supervise: bool,
    people: Vec<(String, String)>,
    teams: Vec<String>,
    statuses: Vec<&'static str>,
    /// What the last bulk form did, or what was wrong with it.
    done: Option<String>,
    problem: Option<String>,
}

async fn queue(
    State(st): State<AppState>,
    auth: Option<Extension<Authenticated>>,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (v, t) = match tenant_page(&st, auth, &slug).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let done = q.get("done").cloned();
    queue_page(&st, v, t, &q, done, None).await
}

/// Renders a queue for the query `q`, with what the last bulk form did or why it did not.
async fn queue_page(
    st: &AppState,
    v: Viewer,
    t: Tenant,
    q: &HashMap<String, String>,
    done: Option<String>,
    problem: Option<String>,
) -> Response {
    let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
    let p = &v.principal;
    let provider = p.role.is_provider();
    let records = q.get("kpi").map(|figure| consign_app::kpis::RecordsQuery {
        figure: figure.clone(),
        period: q.get("kpi_period").cloned(),
        outcome: q.get("kpi_outcome").cloned(),
        key: q.get("kpi_key").cloned(),
    });
    let all_teams = if provider {
        st.app.teams(p).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    // The teams the viewer works in: each has its queue.
    let my_teams: Vec<String> = match (provider, me(p)) {
        (true, Some(u)) => all_teams
            .iter()
            .filter(|t| t.has_member(u))
            .map(|t| t.name.clone())
            .collect(),
        _ => Vec::new(),
    };
    // A person with work of their own starts on it; everyone else on the open queue.
    let default_scope = if provider && me(p).is_some() {
        "mine"
    } else {
        "open"
    };
    let scope = match q.get("scope").map(String::as_str) {
        Some(s @ ("mine" | "team" | "unassigned" | "open" | "all")) => s,
        _ if records.is_some() => "all",
        _ => default_scope,
    }
    .to_string();
    let team = q
        .get("team")
        .cloned()
        .filter(|t| !t.is_empty())
        .or_else(|| my_teams.first().cloned())
        .unwrap_or_default();
    let case_type = q.get("type").cloned().unwrap_or_default();
    let severity = q.get("severity").cloned().unwrap_or_default();
    let mut filter = CaseFilter {
        case_type: Some(case_type.clone()).filter(|s| !s.is_empty()),
        severity: Severity::parse(&severity).ok(),
        open_only: scope != "all",
        by_sla: scope != "all",
        team: Some(team.clone()).filter(|t| scope == "team" && !t.is_empty()),
        assignee: match scope.as_str() {
            "mine" => me(p).map(Some),
            "unassigned" => Some(None),
            _ => None,
        },
        after: q.get("cursor").and_then(|c| c.parse().ok()),
        limit: 50,
        ..Default::default()
    };
    let mut kpi_label = None;
    if let Some(r) = &records {
        match st.app.kpi_case_ids(p, &t, r).await {
            Ok(ids) => filter.ids = Some(ids),
            Err(e) => return error_page(e),
        }
        kpi_label = Some(format!(
            "The cases behind {} in {}{}",
            r.figure.replace('_', " "),
            r.period.clone().unwrap_or_default(),
            match r.outcome.as_deref() {
                Some("hit") => ", the ones it counted as met",
                Some(_) => ", the ones it counted as missed",
                None => "",
            }
        ));
    }
    let list = match st.app.list_cases(p, &t, &filter).await {
        Ok(l) => l,
        Err(e) => return error_page(e),
    };
    let next_cursor = consign_store::next_cursor(&list, filter.limit, |c| c.id);
    let names = people(st, p).await;
    let now = st.app.now();
    let rows = list
        .iter()
        .map(|c| {
            let (due, urgency) = countdown(c.sla_due_at.filter(|_| c.status.is_open()), now);
            QueueRow {
                id: c.id.to_string(),
                number: c.number.clone(),
                case_type: c.case_type.replace('_', " "),
                severity: c.severity.as_str(),
                status: c.status.as_str(),
                subject: subject_label(&c.subject),
                accountable: c.accountable.clone(),
                team: c.owner_team.clone(),
                assignee: assignee_name(c, &names, me(p)),
                opened: local(Some(c.opened_at), &tz),
                due,
                due_at: local(c.sla_due_at, &tz),
                urgency,
            }
        })
        .collect();
    let filters = format!(
        "&type={}&severity={}",
        query_value(&case_type),
        query_value(&severity)
    );
    let mut tabs = Vec::new();
    let mut tab = |key: &str, team_name: Option<&str>, label: String| {
        let current = scope == key && team_name.is_none_or(|n| n == team);
        let team_q = team_name.map(|n| format!("&team={}", query_value(n)));
        tabs.push(Tab {
            href: format!("?scope={key}{}{filters}", team_q.unwrap_or_default()),
            label,
            current,
        });
    };
    if provider && me(p).is_some() {
        tab("mine", None, "My cases".into());
    }
    for name in &my_teams {
        tab("team", Some(name), format!("Team {name}"));
    }
    tab("unassigned", None, "Unassigned".into());
    tab("open", None, "All open".into());
    tab("all", None, "Every case".into());
    let mut query = format!(
        "scope={}&team={}{filters}",
        query_value(&scope),
        query_value(&team),
    );
    for k in ["kpi", "kpi_period", "kpi_outcome"] {
        if let Some(x) = q.get(k) {
            query.push_str(&format!("&{k}={}", query_value(x)));
        }
    }
    render(QueuePage {
        tenants: v.tenants,
        user_name: v.user_name,
        csrf: v.csrf,
        slug: t.slug,
        tenant_name: t.name,
        zone: t.time_zone,
        tabs,
        scope,
        team,
        case_type,
        severity,
        severities: ["low", "medium", "high", "critical"].to_vec(),
        rows,
        next_cursor,
        query,
        kpi_label,
        supervise: p.can(Capability::SuperviseCases),
        people: {
            let mut v: Vec<(String, String)> = names
                .iter()
                .map(|(id, n)| (id.to_string(), n.clone()))
                .collect();
            v.sort_by(|a, b| a.1.cmp(&b.1));
            v
        },
        teams: all_teams.into_iter().map(|t| t.name).collect(),
        statuses: WORK_STATUSES.iter().map(|s| s.as_str()).collect(),
        done,
        problem,
    })
}

/// The bulk form of the queue: the selected cases (`ids`, repeated), one action, and the
/// queue's own query to come back to. All or nothing: the app re-checks the selection.
async fn bulk(
    State(st): State<AppState>,
    auth: Option<Extension<Authenticated>>,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let csrf_expected = match &auth {
        Some(Extension(Authenticated {
            via: Via::Session { csrf, .. },
            ..
        })) => Some(csrf.clone()),
        _ => None,
    };
    let (v, t) = match tenant_page(&st, auth, &slug).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut form: HashMap<String, String> = HashMap::new();
    let mut ids = Vec::new();
    for (k, val) in form_urlencoded::parse(&body) {
        if k == "ids" {
            ids.push(val.into_owned());
        } else {
            form.insert(k.into_owned(), val.into_owned());
        }
    }
    let csrf_ok = csrf_expected.is_some_and(|c| {
        bool::from(
            form.get("csrf")
                .map(String::as_bytes)
                .unwrap_or_default()
                .ct_eq(c.as_bytes()),
        )
    });
    if !csrf_ok {
        return (StatusCode::FORBIDDEN, "CSRF token missing or wrong").into_response();
    }
    // The queue the form was on, to show again.
    let back: HashMap<String, String> =
        form_urlencoded::parse(form.get("back").map(String::as_bytes).unwrap_or_default())
            .into_owned()
            .collect();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let ids: Result<Vec<CaseId>, _> = ids.iter().map(|i| i.parse::<CaseId>()).collect();
    let action = match (ids, field("bulk").as_str()) {
        (Err(_), _) => Err("a selected case is not a case id".to_string()),
        (Ok(ids), _) if ids.is_empty() => Err("select the cases to act on first".to_string()),
        (Ok(ids), "assign") => {
            let team = Some(field("team")).filter(|t| !t.is_empty());
            match field("assignee").as_str() {
                "" => Ok((
                    ids,
                    CaseAction::Assign {
                        team,
                        assignee: None,
                    },
                )),
                u => u
                    .parse()
                    .map(|u| {
                        (
                            ids,
                            CaseAction::Assign {
                                team,
                                assignee: Some(u),
                            },
                        )
                    })
                    .map_err(|_| "choose someone from the list".to_string()),
            }
        }
        (Ok(ids), "status") => {
            CaseStatus::parse(&field("status")).map(|to| (ids, CaseAction::ChangeStatus { to }))
        }
        (Ok(ids), "note") => Ok((
            ids,
            CaseAction::Note {
                text: field("text"),
                visibility: Visibility::Internal,
            },
        )),
        (Ok(_), other) => Err(format!("'{other}' is not a bulk action")),
    };
    let (ids, action) = match action {
        Ok(x) => x,
        Err(why) => return queue_page(&st, v, t, &back, None, Some(why)).await,
    };
    let filter = CaseFilter {
        ids: Some(ids.clone()),
        ..Default::default()
    };
    let name = action.name();
    match st
        .app
        .bulk_act_on_cases(&v.principal, &t, &filter, &ids, action)
        .await
    {
        Ok(changed) => {
            let mut to = format!("/app/{}/cases?", t.slug);
            for (k, val) in &back {
                if k != "done" {
                    to.push_str(&format!("{k}={}&", query_value(val)));
                }
            }
            to.push_str(&format!(
                "done={}",
                query_value(&format!("{name} on {} cases", changed.len()))
            ));
            Redirect::to(&to).into_response()
        }
        Err(e) => {
            let why = e.to_string();
            let status = crate::error::ApiError::from(e).status;
            (status, queue_page(&st, v, t, &back, None, Some(why)).await).into_response()
        }
    }
}
