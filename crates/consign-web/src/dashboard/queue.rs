//! The case queue: my cases, each of my teams', unassigned, every open case, every case —
//! open queues by the next SLA deadline with countdowns — over every tenant the viewer
//! serves (`/app/cases`) or one (`/app/{tenant}/cases`), with filters on everything a desk
//! sorts its work by, and the supervisor's bulk form over the selected rows (all or nothing
//! per tenant: the app re-checks the selection).

use super::cases::{WORK_STATUSES, assignee_name, me, people, span};
use super::{Frame, TenantPage, Viewer, error_page, local_zoned, query_value, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use consign_core::access::Capability;
use consign_core::case::queue::{AgeBucket, DueState};
use consign_core::case::work::CaseAction;
use consign_core::case::{CaseStatus, CaseSubject, Severity, Visibility};
use consign_core::ids::{CarrierId, CaseId, TenantId};
use consign_core::tenant::Tenant;
use consign_store::CaseFilter;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/cases", get(all_queue).post(all_bulk))
        .route("/app/{tenant}/cases", get(queue).post(bulk))
}

/// The next SLA deadline as a countdown, and how urgent it is (`breached`, `at-risk`): the
/// core's deadline states, so a row's colour and the SLA filter agree.
pub(super) fn countdown(due: Option<Timestamp>, now: Timestamp) -> (String, &'static str) {
    let Some(at) = due else {
        return ("—".into(), "");
    };
    let minutes = at.duration_since(now).as_mins();
    match DueState::of(due, now) {
        DueState::Breached => (
            format!("breached {} ago", span(minutes.min(-1))),
            "breached",
        ),
        DueState::AtRisk if minutes < 1 => ("due within a minute".into(), "at-risk"),
        DueState::AtRisk => (format!("due in {}", span(minutes)), "at-risk"),
        _ => (format!("due in {}", span(minutes)), ""),
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
    slug: String,
    tenant: String,
    number: String,
    case_type: String,
    severity: &'static str,
    status: &'static str,
    status_label: String,
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

/// What a queue shows: its scope tab and every filter, read from the query string and
/// written back into every link (tabs, pager, the bulk form's way back), so a filter chosen
/// once stays while the agent pages, switches tabs and acts.
#[derive(Default, Clone)]
pub(super) struct QueueQuery {
    scope: String,
    team: String,
    /// A tenant's slug on the all-tenants queue (empty: every one).
    tenant: String,
    case_type: String,
    severity: String,
    status: String,
    sla: String,
    age: String,
    accountable: String,
    /// A person's id, or `none` for the unassigned.
    assignee: String,
    carrier: String,
    kpi: Vec<(String, String)>,
}

impl QueueQuery {
    fn read(q: &HashMap<String, String>) -> QueueQuery {
        let get = |k: &str| q.get(k).cloned().unwrap_or_default();
        QueueQuery {
            scope: get("scope"),
            team: get("team"),
            tenant: get("tenant"),
            case_type: get("type"),
            severity: get("severity"),
            status: get("status"),
            sla: get("sla"),
            age: get("age"),
            accountable: get("accountable"),
            assignee: get("assignee"),
            carrier: get("carrier"),
            kpi: ["kpi", "kpi_period", "kpi_outcome"]
                .into_iter()
                .filter_map(|k| q.get(k).map(|v| (k.to_string(), v.clone())))
                .collect(),
        }
    }

    /// The filters (everything but the scope and team), as `&k=v` pairs.
    fn filters(&self) -> String {
        let mut out = String::new();
        for (k, v) in [
            ("tenant", &self.tenant),
            ("type", &self.case_type),
            ("severity", &self.severity),
            ("status", &self.status),
            ("sla", &self.sla),
            ("age", &self.age),
            ("accountable", &self.accountable),
            ("assignee", &self.assignee),
            ("carrier", &self.carrier),
        ] {
            if !v.is_empty() {
                out.push_str(&format!("&{k}={}", query_value(v)));
            }
        }
        for (k, v) in &self.kpi {
            out.push_str(&format!("&{k}={}", query_value(v)));
        }
        out
    }

    fn query(&self) -> String {
        format!(
            "scope={}&team={}{}",
            query_value(&self.scope),
            query_value(&self.team),
            self.filters()
        )
    }

    /// How many filters narrow the queue beyond its tab (shown on the filter bar).
    fn narrowing(&self) -> usize {
        [
            &self.case_type,
            &self.severity,
            &self.status,
            &self.sla,
            &self.age,
            &self.accountable,
            &self.assignee,
            &self.carrier,
        ]
        .iter()
        .filter(|v| !v.is_empty())
        .count()
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct QueuePage {
    frame: Frame,
    /// Where the queue lives: `/app/cases` or `/app/{tenant}/cases`.
    base: String,
    title: String,
    /// The tenant the page is of, on a tenant's own queue.
    slug: Option<String>,
    /// Several tenants are listed (a tenant column, a tenant filter).
    across: bool,
    tabs: Vec<Tab>,
    f: QueueQuery,
    tenant_choices: Vec<(String, String)>,
    case_types: Vec<&'static str>,
    severities: Vec<&'static str>,
    statuses: Vec<(&'static str, String)>,
    slas: Vec<(&'static str, &'static str)>,
    ages: Vec<(&'static str, &'static str)>,
    accountables: Vec<&'static str>,
    carriers: Vec<(String, String)>,
    narrowing: usize,
    rows: Vec<QueueRow>,
    pager: super::pager::Pager,
    /// The query string without the cursor, for the bulk form's way back.
    query: String,
    kpi_label: Option<String>,
    /// A supervisor selects rows and acts on them together.
    supervise: bool,
    people: Vec<(String, String)>,
    teams: Vec<String>,
    work_statuses: Vec<(&'static str, String)>,
    /// What the last bulk form did, or what was wrong with it.
    done: Option<String>,
    problem: Option<String>,
}

async fn queue(
    TenantPage { st, v, t, .. }: TenantPage,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let done = q.get("done").cloned();
    queue_page(&st, v, Some(t), &q, done, None).await
}

async fn all_queue(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let done = q.get("done").cloned();
    queue_page(&st, v, None, &q, done, None).await
}

/// The accountable parties of SPEC §2 and the ownership matrix.
const ACCOUNTABLE: [&str; 6] = [
    "carrier",
    "shipper",
    "consignee",
    "customs",
    "external",
    "warehouse",
];

/// Renders a queue for the query `q` — of one tenant, or of every tenant the viewer serves
/// (narrowed by `tenant=`) — with what the last bulk form did or why it did not.
async fn queue_page(
    st: &AppState,
    v: Viewer,
    one: Option<Tenant>,
    q: &HashMap<String, String>,
    done: Option<String>,
    problem: Option<String>,
) -> Response {
    let p = &v.principal;
    let provider = p.role.is_provider();
    let mut f = QueueQuery::read(q);
    let base = match &one {
        Some(t) => format!("/app/{}/cases", t.slug),
        None => "/app/cases".to_string(),
    };
    // The tenants listed: the page's own, or the chosen one, or every one served.
    let listed: Vec<Tenant> = match &one {
        Some(t) => vec![t.clone()],
        None if !f.tenant.is_empty() => {
            match v.tenants.iter().find(|t| t.slug == f.tenant) {
                Some(t) => vec![t.clone()],
                // A tenant outside the viewer's reach is the same 404 as a missing one.
                None => return error_page(consign_app::AppError::NotFound("tenant".into())),
            }
        }
        None => v.tenants.clone(),
    };
    if one.is_some() {
        f.tenant.clear();
    }
    let single = (listed.len() == 1).then(|| listed[0].clone());
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
    f.scope = match f.scope.as_str() {
        s @ ("mine" | "team" | "unassigned" | "open" | "all") => s,
        _ if records.is_some() => "all",
        _ => default_scope,
    }
    .to_string();
    if f.scope == "team" && f.team.is_empty() {
        f.team = my_teams.first().cloned().unwrap_or_default();
    }
    let now = st.app.now();
    let mut filter = CaseFilter {
        case_type: Some(f.case_type.clone()).filter(|s| !s.is_empty()),
        severity: Severity::parse(&f.severity).ok(),
        status: CaseStatus::parse(&f.status).ok(),
        open_only: f.scope != "all",
        by_sla: f.scope != "all",
        team: Some(f.team.clone()).filter(|t| !t.is_empty() && f.scope != "mine"),
        accountable: Some(f.accountable.clone()).filter(|s| !s.is_empty()),
        due: DueState::parse(&f.sla).map(|d| d.window(now)),
        assignee: match f.scope.as_str() {
            "mine" => me(p).map(Some),
            "unassigned" => Some(None),
            _ => match f.assignee.as_str() {
                "" => None,
                "none" => Some(None),
                id => id.parse().ok().map(Some),
            },
        },
        after: q.get("cursor").and_then(|c| c.parse().ok()),
        limit: 50,
        ..Default::default()
    };
    if let Some(age) = AgeBucket::parse(&f.age) {
        (filter.opened_from, filter.opened_to) = age.opened_window(now);
    }
    if !f.carrier.is_empty() {
        filter.carrier = f.carrier.parse().ok().map(CarrierId);
    }
    let mut kpi_label = None;
    if let Some(r) = &records {
        let Some(t) = &single else {
            return error_page(consign_app::AppError::Invalid(consign_core::Invalid::one(
                "tenant",
                "a scorecard figure's cases are one tenant's: choose the tenant",
            )));
        };
        match st.app.kpi_case_ids(p, t, r).await {
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
    let (list, total) = tokio::join!(
        st.app.work_queue(p, &listed, &filter),
        st.app.count_queue(p, &listed, &filter)
    );
    let (list, total) = match (list, total) {
        (Ok(l), Ok(n)) => (l, n),
        (Err(e), _) | (_, Err(e)) => return error_page(e),
    };
    let next_cursor = consign_store::next_cursor(&list, filter.limit, |c| c.id);
    let pager = super::pager::Pager::new(
        q,
        &format!("{base}?{}", f.query()),
        list.len(),
        filter.limit,
        total,
        next_cursor,
    );
    let names = people(st, p).await;
    let by_id: HashMap<TenantId, &Tenant> = listed.iter().map(|t| (t.id, t)).collect();
    let rows = list
        .iter()
        .map(|c| {
            let t = by_id.get(&c.tenant_id);
            let tz = t
                .and_then(|t| TimeZone::get(&t.time_zone).ok())
                .unwrap_or(TimeZone::UTC);
            let (due, urgency) = countdown(c.sla_due_at.filter(|_| c.status.is_open()), now);
            QueueRow {
                id: c.id.to_string(),
                slug: t.map(|t| t.slug.clone()).unwrap_or_default(),
                tenant: t.map(|t| t.name.clone()).unwrap_or_default(),
                number: c.number.clone(),
                case_type: c.case_type.replace('_', " "),
                severity: c.severity.as_str(),
                status: c.status.as_str(),
                status_label: c.status.as_str().replace('_', " "),
                subject: subject_label(&c.subject),
                accountable: c.accountable.clone(),
                team: c.owner_team.clone(),
                assignee: assignee_name(c, &names, me(p)),
                opened: local_zoned(Some(c.opened_at), &tz),
                due,
                due_at: local_zoned(c.sla_due_at, &tz),
                urgency,
            }
        })
        .collect();
    let filters = f.filters();
    let mut tabs = Vec::new();
    let mut tab = |key: &str, team_name: Option<&str>, label: String| {
        let current = f.scope == key && team_name.is_none_or(|n| n == f.team);
        let team_q = team_name.map(|n| format!("&team={}", query_value(n)));
        tabs.push(Tab {
            href: format!("{base}?scope={key}{}{filters}", team_q.unwrap_or_default()),
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
    let carriers = match &single {
        Some(t) => st
            .app
            .list_carriers(p, t)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.id.0.to_string(), c.scac.unwrap_or(c.name)))
            .collect(),
        None => Vec::new(),
    };
    let title = match (&one, &single) {
        (Some(t), _) => format!("Cases · {}", t.name),
        (None, Some(t)) if v.tenants.len() > 1 => format!("Cases · {} (of all clients)", t.name),
        (None, Some(t)) => format!("Cases · {}", t.name),
        (None, None) => "Cases · all clients".to_string(),
    };
    render(QueuePage {
        across: single.is_none(),
        slug: one.as_ref().map(|t| t.slug.clone()),
        tenant_choices: if one.is_none() && v.tenants.len() > 1 {
            v.tenants
                .iter()
                .map(|t| (t.slug.clone(), t.name.clone()))
                .collect()
        } else {
            Vec::new()
        },
        base,
        title,
        tabs,
        narrowing: f.narrowing(),
        query: f.query(),
        f,
        case_types: consign_core::rules::SHIPMENT_CASE_TYPES
            .into_iter()
            .chain(["carrier_silent", "edi_unacknowledged"])
            .collect(),
        severities: ["low", "medium", "high", "critical"].to_vec(),
        statuses: CaseStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.as_str().replace('_', " ")))
            .collect(),
        slas: DueState::ALL
            .iter()
            .map(|d| (d.as_str(), d.label()))
            .collect(),
        ages: AgeBucket::ALL
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
        accountables: ACCOUNTABLE.to_vec(),
        carriers,
        rows,
        pager,
        kpi_label,
        supervise: p.can(Capability::SuperviseCases),
        frame: v.into(),
        people: {
            let mut v: Vec<(String, String)> = names
                .iter()
                .map(|(id, n)| (id.to_string(), n.clone()))
                .collect();
            v.sort_by(|a, b| a.1.cmp(&b.1));
            v
        },
        teams: all_teams.into_iter().map(|t| t.name).collect(),
        work_statuses: WORK_STATUSES
            .iter()
            .map(|s| (s.as_str(), s.as_str().replace('_', " ")))
            .collect(),
        done,
        problem,
    })
}

/// The bulk form of a tenant's queue.
async fn bulk(page: TenantPage, body: axum::body::Bytes) -> Response {
    let TenantPage { st, v, t, .. } = page;
    bulk_form(st, v, Some(t), body).await
}

/// The bulk form of the queue across tenants.
async fn all_bulk(State(st): State<AppState>, v: Viewer, body: axum::body::Bytes) -> Response {
    bulk_form(st, v, None, body).await
}

/// The bulk form: the selected cases (`ids`, repeated), one action, and the queue's own
/// query to come back to. All or nothing per tenant: the app re-checks each tenant's
/// selection in one transaction; across tenants, the tenants are acted on in turn and the
/// page says which were changed if one refuses.
async fn bulk_form(
    st: AppState,
    v: Viewer,
    one: Option<Tenant>,
    body: axum::body::Bytes,
) -> Response {
    let mut form: HashMap<String, String> = HashMap::new();
    let mut ids = Vec::new();
    for (k, val) in form_urlencoded::parse(&body) {
        if k == "ids" {
            ids.push(val.into_owned());
        } else {
            form.insert(k.into_owned(), val.into_owned());
        }
    }
    if let Err(r) = v.check_csrf(form.get("csrf").map(String::as_str).unwrap_or_default()) {
        return r;
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
        Err(why) => return queue_page(&st, v, one, &back, None, Some(why)).await,
    };
    // The selection's tenants: the page's own, or, across tenants, the ones the selected
    // cases belong to (read within the viewer's reach: a foreign id finds nothing).
    let groups: Vec<(Tenant, Vec<CaseId>)> = match &one {
        Some(t) => vec![(t.clone(), ids.clone())],
        None => {
            let found = st
                .app
                .work_queue(
                    &v.principal,
                    &v.tenants,
                    &CaseFilter {
                        ids: Some(ids.clone()),
                        limit: ids.len() as u32 + 1,
                        ..Default::default()
                    },
                )
                .await;
            let found = match found {
                Ok(f) => f,
                Err(e) => return error_page(e),
            };
            if found.len() != ids.len() {
                let why = "a selected case is not one you may act on (or no longer exists)";
                return (
                    StatusCode::NOT_FOUND,
                    queue_page(&st, v, one, &back, None, Some(why.into())).await,
                )
                    .into_response();
            }
            v.tenants
                .iter()
                .map(|t| {
                    let mine: Vec<CaseId> = found
                        .iter()
                        .filter(|c| c.tenant_id == t.id)
                        .map(|c| c.id)
                        .collect();
                    (t.clone(), mine)
                })
                .filter(|(_, ids)| !ids.is_empty())
                .collect()
        }
    };
    let name = action.name();
    let mut changed = 0;
    let mut done_in = Vec::new();
    for (t, ids) in groups {
        let filter = CaseFilter {
            ids: Some(ids.clone()),
            ..Default::default()
        };
        match st
            .app
            .bulk_act_on_cases(&v.principal, &t, &filter, &ids, action.clone())
            .await
        {
            Ok(c) => {
                changed += c.len();
                done_in.push(t.name.clone());
            }
            Err(e) => {
                let mut why = format!("{}: {e}", t.name);
                if !done_in.is_empty() {
                    why.push_str(&format!(
                        " ({name} was done on {changed} cases of {} first)",
                        done_in.join(", ")
                    ));
                }
                let status = crate::error::ApiError::from(e).status;
                return (
                    status,
                    queue_page(&st, v, one, &back, None, Some(why)).await,
                )
                    .into_response();
            }
        }
    }
    let mut to = match &one {
        Some(t) => format!("/app/{}/cases?", t.slug),
        None => "/app/cases?".to_string(),
    };
    for (k, val) in &back {
        if k != "done" {
            to.push_str(&format!("{k}={}&", query_value(val)));
        }
    }
    to.push_str(&format!(
        "done={}",
        query_value(&format!("{name} on {changed} cases"))
    ));
    Redirect::to(&to).into_response()
}
