//! Case endpoints: the queue and a case with its timeline, cases opened by hand, the actions
//! people take on a case (with `If-Match` on the case's version), bulk actions over a filtered
//! selection, teams, the tenant's case settings, and the case KPIs.

use crate::AppState;
use crate::api::{Created, Tenanted, TenantedJson, created};
use crate::api::{ListQuery, Page, PageParams, TenantSlug};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::json::ApiJson;
use crate::openapi_schemas::page_schema;
use crate::routing::ApiRoutes;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use consign_app::cases::actions::ManualCase;
use consign_app::cases::kpis::{CaseKpiReport, GroupBy};
use consign_app::cases::settings::SettingsVersion;
use consign_core::case::ownership::Team;
use consign_core::case::settings::CaseSettings;
use consign_core::case::work::CaseAction;
use consign_core::case::{
    Case, CaseStatus, CaseSubject, ResolutionCode, Severity, TimelineEntry, Visibility,
};
use consign_core::ids::{CarrierId, CaseId, OrderId, PartnerId, ShipmentId, UserId};
use consign_core::sla::MetricClock;
use consign_store::CaseFilter;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa_axum::routes;

page_schema!(CasePage => Case);

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(routes!(list_cases, open_case))
        .routes(routes!(get_case))
        .routes(routes!(act_on_case))
        .routes(routes!(bulk_act))
        .routes(routes!(get_case_settings, put_case_settings))
        .routes(routes!(case_kpis))
}

/// Teams are the provider's, not a tenant's.
pub fn provider_routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(routes!(list_teams))
        .routes(routes!(put_team))
        .routes(routes!(set_shift))
}

const FILTERS: &[&str] = &[
    "type",
    "status",
    "open",
    "severity",
    "carrier",
    "accountable",
    "team",
    "assignee",
    "from",
    "to",
    "shipment",
    "partner",
    "tag",
    "sort",
    "kpi",
    "kpi_period",
    "kpi_outcome",
    "kpi_key",
];

/// Reads the case filters of a query string (shared by the list and bulk actions).
async fn case_filter(
    st: &AppState,
    p: &consign_core::access::Principal,
    t: &consign_core::tenant::Tenant,
    raw: HashMap<String, String>,
) -> ApiResult<CaseFilter> {
    let mut q = ListQuery::new(raw, FILTERS);
    let records = crate::api::records_query(&mut q)?;
    let carrier_name = q.text("carrier");
    let mut filter = CaseFilter {
        case_type: q.text("type"),
        status: q.parse("status", CaseStatus::parse),
        open_only: q
            .parse("open", |s| match s {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(format!("'{s}' is not true or false")),
            })
            .unwrap_or(false),
        severity: q.parse("severity", Severity::parse),
        accountable: q.text("accountable"),
        team: q.text("team"),
        assignee: q.parse("assignee", |s| match s {
            "none" => Ok(None),
            _ => s
                .parse::<UserId>()
                .map(Some)
                .map_err(|_| format!("'{s}' is not a user id or 'none'")),
        }),
        tag: q.text("tag"),
        shipment: q.parse("shipment", |s| {
            s.parse::<ShipmentId>()
                .map_err(|_| format!("'{s}' is not a shipment id"))
        }),
        partner: q.parse("partner", |s| {
            s.parse::<PartnerId>()
                .map_err(|_| format!("'{s}' is not a trading partner id"))
        }),
        opened_from: q.time("from"),
        opened_to: q.time("to"),
        by_sla: q
            .parse("sort", |s| match s {
                "sla" => Ok(true),
                "newest" => Ok(false),
                _ => Err(format!("'{s}' is not a sort order; expected sla or newest")),
            })
            .unwrap_or(false),
        limit: q.limit(),
        after: q.cursor(),
        ..Default::default()
    };
    q.finish()?;
    if let Some(c) = carrier_name {
        filter.carrier = Some(crate::api::carrier_filter(st, p, t, &c).await?);
    }
    if let Some(r) = records {
        filter.ids = Some(st.app.kpi_case_ids(p, t, &r).await?);
    }
    Ok(filter)
}

/// Exception cases: newest first, or by next SLA deadline (`sort=sla`, the queue order), filtered by type, status, team, assignee, severity, carrier, accountable party, opened date
#[utoipa::path(
    get,
    path = "/cases",
    operation_id = "get_cases",
    params(
        TenantSlug,
        ("type" = Option<String>, Query, description = "Only cases of this type, e.g. `late_delivery`"),
        ("status" = Option<String>, Query, description = "Only cases in this status"),
        ("open" = Option<String>, Query, description = "`true`: only cases before `resolved` (new, open, waiting)"),
        ("severity" = Option<String>, Query, description = "Only cases of this severity"),
        ("carrier" = Option<String>, Query, description = "Only this carrier's: SCAC, id or name"),
        ("accountable" = Option<String>, Query, description = "Only cases this party is accountable for"),
        ("team" = Option<String>, Query, description = "Only cases in this team's queue"),
        ("assignee" = Option<String>, Query, description = "Only cases assigned to this user (an id), or `none` for unassigned"),
        ("shipment" = Option<String>, Query, description = "Only this shipment's (its id)"),
        ("tag" = Option<String>, Query, description = "Only cases carrying this tag"),
        ("partner" = Option<String>, Query, description = "Only this trading partner's (its id)"),
        ("from" = Option<String>, Query, description = "Opened at or after: RFC 3339 timestamp or YYYY-MM-DD (UTC)"),
        ("to" = Option<String>, Query, description = "Opened before: RFC 3339 timestamp or YYYY-MM-DD (UTC)"),
        ("sort" = Option<String>, Query, description = "`newest` (default) or `sla`: the next SLA deadline first, then cases without one; both paged by cursor"),
        ("kpi" = Option<String>, Query, description = "Only the cases behind a scorecard figure: sla_attainment, reopen_rate, first_contact_resolution (the cases resolved in the period)"),
        ("kpi_period" = Option<String>, Query, description = "The figure's period: 2026-W48, 2026-11 or 2026-11-01..2026-11-15"),
        ("kpi_outcome" = Option<String>, Query, description = "hit (reopened; resolved at first contact; every SLA target met) or miss; absent, every case the figure counted"),
        ("kpi_key" = Option<String>, Query, description = "Not used by the case figures (they have no breakdown); refused"),
        PageParams,
    ),
    responses((status = 200, description = "A page of cases", body = CasePage))
)]
pub async fn list_cases(
    Tenanted { st, p, t, .. }: Tenanted,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Case>>> {
    let filter = case_filter(&st, &p, &t, q).await?;
    let items = st.app.list_cases(&p, &t, &filter).await?;
    Ok(Json(Page::limited(items, filter.limit, |c| c.id)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub case: Case,
    /// What the caller may read of it: client users and carriers see external entries only.
    pub timeline: Vec<TimelineEntry>,
    /// The SLA clocks under the policy in force, per metric: business minutes elapsed and
    /// remaining, state, and when it falls due if nothing changes.
    pub sla: Vec<MetricClock>,
}

impl CaseView {
    pub(crate) async fn of(
        st: &AppState,
        p: &consign_core::access::Principal,
        t: &consign_core::tenant::Tenant,
        case: Case,
        timeline: Vec<TimelineEntry>,
    ) -> ApiResult<CaseView> {
        let sla = st.app.sla_clocks(p, t, &case).await?;
        Ok(CaseView {
            case,
            timeline,
            sla,
        })
    }
}

/// The case's version as an entity tag: what `If-Match` names.
pub(crate) fn with_etag(version: i64, body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

pub(crate) fn case_id(id: &str) -> ApiResult<CaseId> {
    id.parse()
        .map_err(|_| ApiError::not_found(&format!("case {id}")))
}

/// A case with its timeline; its `ETag` is its version
#[utoipa::path(
    get,
    path = "/cases/{id}",
    operation_id = "get_cases__id_",
    params(TenantSlug, ("id" = String, Path, description = "The case's id")),
    responses((status = 200, description = "The case and the part of its timeline the caller may read", body = CaseView))
)]
pub async fn get_case(Tenanted { st, p, t, path: id }: Tenanted<String>) -> ApiResult<Response> {
    let (case, timeline) = st.app.get_case(&p, &t, case_id(&id)?).await?;
    Ok(with_etag(
        case.version,
        Json(CaseView::of(&st, &p, &t, case, timeline).await?),
    ))
}

/// What a case opened by hand is about: exactly one subject.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectRef {
    pub shipment: Option<ShipmentId>,
    pub order: Option<OrderId>,
    pub carrier: Option<CarrierId>,
    /// With `edi_group`: a functional group we sent this trading partner.
    pub partner: Option<PartnerId>,
    pub edi_group: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseRequest {
    pub subject: SubjectRef,
    pub case_type: String,
    pub severity: Severity,
    pub accountable: String,
    /// Without it, the ownership matrix's team for the type.
    pub team: Option<String>,
    pub assignee: Option<UserId>,
    /// What the agent saw: the first timeline entry.
    pub description: String,
}

fn subject(s: SubjectRef) -> ApiResult<CaseSubject> {
    let SubjectRef {
        shipment,
        order,
        carrier,
        partner,
        edi_group,
    } = s;
    let mut found = Vec::new();
    if let Some(id) = shipment {
        found.push(CaseSubject::Shipment(id));
    }
    if let Some(id) = order {
        found.push(CaseSubject::Order(id));
    }
    if let Some(id) = carrier {
        found.push(CaseSubject::Carrier(id));
    }
    match (partner, edi_group) {
        (Some(partner), Some(group)) => found.push(CaseSubject::EdiGroup { partner, group }),
        (None, None) => {}
        _ => {
            return Err(ApiError::field(
                "subject.edi_group",
                "an EDI group subject names both partner and edi_group",
            ));
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(ApiError::field(
            "subject",
            format!("name exactly one of shipment, order, carrier, partner + edi_group (got {n})"),
        )),
    }
}

/// Open a case by hand on any subject of the tenant
#[utoipa::path(
    post,
    path = "/cases",
    operation_id = "post_cases",
    params(TenantSlug),
    request_body = NewCaseRequest,
    responses((status = 201, description = "The case, open, with its first entries", body = CaseView))
)]
pub async fn open_case(
    TenantedJson {
        st,
        p,
        t,
        body: req,
        ..
    }: TenantedJson<NewCaseRequest>,
) -> ApiResult<Response> {
    let m = ManualCase {
        subject: subject(req.subject)?,
        case_type: req.case_type,
        severity: req.severity,
        accountable: req.accountable,
        team: req.team,
        assignee: req.assignee,
        description: req.description,
    };
    let (case, timeline) = st.app.open_case(&p, &t, m).await?;
    Ok(with_etag(
        case.version,
        (
            StatusCode::CREATED,
            Json(CaseView::of(&st, &p, &t, case, timeline).await?),
        ),
    ))
}

/// One action on a case, named by `action`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionRequest {
    /// Take note of the case: `new` becomes `open`; stops the first-response clock.
    Acknowledge,
    /// Set the owner team (optional) and the assignee (absent: unassign); the assignee must be a member of the team.
    Assign {
        team: Option<String>,
        assignee: Option<UserId>,
    },
    /// Move between `open` and the waiting statuses.
    ChangeStatus {
        to: CaseStatus,
    },
    /// A note; `external` ones are updates the client sees and count as a first response.
    Note {
        text: String,
        #[serde(default = "internal")]
        visibility: Visibility,
    },
    /// A reply from the client or the carrier the case is addressed to.
    Answer {
        text: String,
    },
    Resolve {
        code: ResolutionCode,
    },
    Reopen {
        reason: String,
    },
    Close,
    SetSeverity {
        severity: Severity,
    },
    /// Replace the case's tags (lower case `a-z 0-9 - _`, at most 20).
    SetTags {
        tags: Vec<String>,
    },
}

fn internal() -> Visibility {
    Visibility::Internal
}

impl From<ActionRequest> for CaseAction {
    fn from(a: ActionRequest) -> CaseAction {
        match a {
            ActionRequest::Acknowledge => CaseAction::Acknowledge,
            ActionRequest::Assign { team, assignee } => CaseAction::Assign { team, assignee },
            ActionRequest::ChangeStatus { to } => CaseAction::ChangeStatus { to },
            ActionRequest::Note { text, visibility } => CaseAction::Note { text, visibility },
            ActionRequest::Answer { text } => CaseAction::Answer { text },
            ActionRequest::Resolve { code } => CaseAction::Resolve {
                code,
                condition_ended_at: None,
            },
            ActionRequest::Reopen { reason } => CaseAction::Reopen { reason },
            ActionRequest::Close => CaseAction::Close,
            ActionRequest::SetSeverity { severity } => CaseAction::SetSeverity { severity },
            ActionRequest::SetTags { tags } => CaseAction::SetTags { tags },
        }
    }
}

/// `If-Match: "7"` (or `W/"7"`, or a bare `7`): the version the action was decided on.
pub(crate) fn if_match(headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or("").trim();
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse::<i64>().map(Some).map_err(|_| {
        ApiError::field(
            "If-Match",
            format!("'{text}' is not a case version; send the ETag of GET …/cases/{{id}}"),
        )
    })
}

/// Act on a case: acknowledge, assign, change status, note, answer, resolve, reopen, close, set severity
///
/// With `If-Match` naming the case's version (its `ETag`), the action is refused with 412 and
/// the current case if someone changed it meanwhile. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(
    post,
    path = "/cases/{id}/actions",
    operation_id = "post_cases__id__actions",
    params(
        TenantSlug,
        ("id" = String, Path, description = "The case's id"),
        ("If-Match" = Option<String>, Header, description = "The case version the action was decided on, as its ETag"),
    ),
    request_body = ActionRequest,
    responses(
        (status = 200, description = "The case after the action, with its timeline", body = CaseView),
        (status = 409, description = "The status machine does not allow it", body = Problem),
        (status = 412, description = "The case changed meanwhile; `current` holds it", body = Problem),
    )
)]
pub async fn act_on_case(
    headers: HeaderMap,
    TenantedJson {
        st,
        p,
        t,
        body: req,
        path: id,
    }: TenantedJson<ActionRequest, String>,
) -> ApiResult<Response> {
    let id = case_id(&id)?;
    let version = if_match(&headers)?;
    let (case, timeline) = st.app.act_on_case(&p, &t, id, req.into(), version).await?;
    Ok(with_etag(
        case.version,
        Json(CaseView::of(&st, &p, &t, case, timeline).await?),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// The list filters (as on `GET …/cases`) that select the cases.
    #[serde(default)]
    pub filter: HashMap<String, String>,
    /// The ids the caller saw under that filter; if it now selects others, nothing changes.
    pub expected: Vec<CaseId>,
    /// The action for every selected case (`assign`, `change_status` or `note`).
    pub action: ActionRequest,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub changed: usize,
    pub cases: Vec<Case>,
}

/// Act on every case of a filtered selection, all or nothing (supervisors)
#[utoipa::path(
    post,
    path = "/cases/bulk",
    operation_id = "post_cases_bulk",
    params(TenantSlug),
    request_body = BulkRequest,
    responses(
        (status = 200, description = "Every selected case after the action", body = BulkResult),
        (status = 409, description = "The selection changed meanwhile, or a case refused the action", body = Problem),
    )
)]
pub async fn bulk_act(
    TenantedJson {
        st,
        p,
        t,
        body: req,
        ..
    }: TenantedJson<BulkRequest>,
) -> ApiResult<Json<BulkResult>> {
    let action: CaseAction = req.action.into();
    if !matches!(
        action,
        CaseAction::Assign { .. } | CaseAction::ChangeStatus { .. } | CaseAction::Note { .. }
    ) {
        return Err(ApiError::field(
            "action.action",
            "bulk actions are assign, change_status and note",
        ));
    }
    let mut filter_query = req.filter;
    filter_query.remove("limit");
    filter_query.remove("cursor");
    let filter = case_filter(&st, &p, &t, filter_query).await?;
    let cases = st
        .app
        .bulk_act_on_cases(&p, &t, &filter, &req.expected, action)
        .await?;
    Ok(Json(BulkResult {
        changed: cases.len(),
        cases,
    }))
}

/// The tenant's case settings in force: ownership matrix, calendars, SLA policies, days to the automatic close
#[utoipa::path(
    get,
    path = "/case-settings",
    operation_id = "get_case_settings",
    params(TenantSlug),
    responses((status = 200, description = "The version in force (0: the defaults)", body = SettingsVersion))
)]
pub async fn get_case_settings(
    Tenanted { st, p, t, .. }: Tenanted,
) -> ApiResult<Json<SettingsVersion>> {
    Ok(Json(st.app.case_settings(&p, &t).await?))
}

/// Store a new version of the tenant's case settings; open cases' deadlines follow it
#[utoipa::path(
    put,
    path = "/case-settings",
    operation_id = "put_case_settings",
    params(TenantSlug),
    request_body = CaseSettings,
    responses((status = 201, description = "The new version, now in force", body = SettingsVersion))
)]
pub async fn put_case_settings(
    TenantedJson {
        st,
        p,
        t,
        body: settings,
        ..
    }: TenantedJson<CaseSettings>,
) -> ApiResult<Created<SettingsVersion>> {
    Ok(created(st.app.put_case_settings(&p, &t, settings).await?))
}

/// Case KPIs for a period: MTTA, MTTR (business time), SLA attainment, reopen rate, first-contact resolution, backlog by age
#[utoipa::path(
    get,
    path = "/kpis/cases",
    operation_id = "get_kpis_cases",
    params(
        TenantSlug,
        ("from" = String, Query, description = "Start of the period: RFC 3339 timestamp or YYYY-MM-DD (UTC)"),
        ("to" = String, Query, description = "End of the period (exclusive)"),
        ("group_by" = Option<String>, Query, description = "tenant (default), type, carrier, accountable, team, or week or month (periods of the tenant's time zone, by opening)"),
    ),
    responses((status = 200, description = "The figures, each with numerator and denominator", body = CaseKpiReport))
)]
pub async fn case_kpis(
    Tenanted { st, p, t, .. }: Tenanted,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<CaseKpiReport>> {
    let mut q = ListQuery::new(q, &["from", "to", "group_by"]);
    let from = q.time("from");
    let to = q.time("to");
    let group = q
        .parse("group_by", GroupBy::parse)
        .unwrap_or(GroupBy::Tenant);
    q.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::field("from", "from and to are both required"));
    };
    Ok(Json(st.app.case_kpis(&p, &t, from, to, group).await?))
}

/// The provider's teams (queues) with their members and who is on shift
#[utoipa::path(
    get,
    path = "/teams",
    operation_id = "get_teams",
    responses((status = 200, description = "Every team", body = [Team]))
)]
pub async fn list_teams(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Vec<Team>>> {
    Ok(Json(st.app.teams(&p).await?))
}

/// Create or change a team: description, assignment mode (manual, round_robin, least_open), members
#[utoipa::path(
    put,
    path = "/teams/{name}",
    operation_id = "put_teams__name_",
    params(("name" = String, Path, description = "The team's name (a-z, 0-9, - and _)")),
    request_body = Team,
    responses((status = 200, description = "The team as stored", body = Team))
)]
pub async fn put_team(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(name): Path<String>,
    ApiJson(mut team): ApiJson<Team>,
) -> ApiResult<Json<Team>> {
    if team.name != name {
        return Err(ApiError::field(
            "name",
            format!("the body names team '{}', the path '{name}'", team.name),
        ));
    }
    team.last_assigned = None;
    Ok(Json(st.app.put_team(&p, team).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftRequest {
    pub on_shift: bool,
}

/// Put a team member on or off shift (agents themselves, supervisors anyone)
#[utoipa::path(
    put,
    path = "/teams/{name}/members/{user}/shift",
    operation_id = "put_teams__name__members__user__shift",
    params(
        ("name" = String, Path, description = "The team's name"),
        ("user" = String, Path, description = "The member's user id"),
    ),
    request_body = ShiftRequest,
    responses((status = 200, description = "The team as stored", body = Team))
)]
pub async fn set_shift(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((name, user)): Path<(String, String)>,
    ApiJson(req): ApiJson<ShiftRequest>,
) -> ApiResult<Json<Team>> {
    let user: UserId = user
        .parse()
        .map_err(|_| ApiError::not_found(&format!("member {user} of team '{name}'")))?;
    Ok(Json(
        st.app.set_on_shift(&p, &name, user, req.on_shift).await?,
    ))
}
