//! Trading partners and their EDI traffic in the browser: each partner's identifiers and
//! how it is answered, the latest interchanges both ways with their verdicts, one
//! interchange's transaction sets with every problem and its raw bytes; an administrator
//! registers a partner with the same checks as the API. A carrier sees its own traffic only.

use super::{Frame, PathId, TenantPage, error_page, local_zoned, problems, query_value, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use consign_app::AppError;
use consign_core::access::Capability;
use consign_core::edi::{NewTradingPartner, TradingPartner};
use consign_core::ids::{InterchangeId, PartnerId};
use consign_core::tenant::Tenant;
use jiff::tz::TimeZone;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{tenant}/edi", get(page))
        .route("/app/{tenant}/edi/partners", post(create_partner))
        .route("/app/{tenant}/edi/interchanges/{id}", get(interchange))
}

struct PartnerRow {
    name: String,
    isa: String,
    ours: String,
    kind: &'static str,
    answered_with: &'static str,
    options: String,
    qualifiers: String,
}

struct InterchangeRow {
    id: String,
    at: String,
    direction: &'static str,
    partner: String,
    control: String,
    status: String,
    /// For what we sent: the answer to its groups (`997 accepted`, `awaiting 997`).
    answer: String,
}

#[derive(Template)]
#[template(path = "edi.html")]
struct EdiPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    zone: String,
    partners: Vec<PartnerRow>,
    interchanges: Vec<InterchangeRow>,
    can_edit: bool,
    /// The partner form as typed, when it was refused.
    draft: HashMap<String, String>,
    problems: Vec<String>,
    done: Option<String>,
    /// The traffic filters (`direction`, `status`) and the pager over the latest 200.
    direction: String,
    status: String,
    statuses: Vec<String>,
    shown: String,
    prev: Option<String>,
    next: Option<String>,
}

/// Interchanges listed per page.
const PAGE: usize = 50;

impl EdiPage {
    /// A field of the refused form, as typed.
    fn d(&self, k: &str) -> &str {
        self.draft.get(k).map(String::as_str).unwrap_or_default()
    }

    fn d_or<'a>(&'a self, k: &str, default: &'a str) -> &'a str {
        self.draft.get(k).map(String::as_str).unwrap_or(default)
    }
}

fn partner_row(p: &TradingPartner) -> PartnerRow {
    let mut options = Vec::new();
    if p.lenient {
        options.push("lenient envelopes");
    }
    if p.allow_partial {
        options.push("partial groups");
    }
    PartnerRow {
        name: p.name.clone(),
        isa: format!("{}/{}", p.isa_qualifier, p.isa_id),
        ours: format!("{}/{}", p.our_isa_qualifier, p.our_isa_id),
        kind: p.kind.as_str(),
        answered_with: p.acknowledgement.as_str(),
        options: if options.is_empty() {
            "strict".into()
        } else {
            options.join(", ")
        },
        qualifiers: format!(
            "tracking {}; PRO {}; times in {}",
            p.tracking_qualifiers.join(" "),
            p.pro_qualifiers.join(" "),
            p.time_zone
        ),
    }
}

async fn show(
    st: &AppState,
    v: super::Viewer,
    t: Tenant,
    q: &HashMap<String, String>,
    draft: HashMap<String, String>,
    problems: Vec<String>,
) -> Response {
    let done = q.get("done").cloned();
    let direction = q.get("direction").cloned().unwrap_or_default();
    let wanted = q.get("status").cloned().unwrap_or_default();
    let page: usize = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let p = &v.principal;
    let (partners, interchanges) = match (
        st.app.list_partners(p, &t).await,
        st.app.list_interchanges(p, &t).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error_page(e),
    };
    let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
    let names: HashMap<PartnerId, String> =
        partners.iter().map(|p| (p.id, p.name.clone())).collect();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut statuses: Vec<String> = interchanges.iter().map(|i| i.status.clone()).collect();
    statuses.sort();
    statuses.dedup();
    let latest = interchanges.len();
    let matching: Vec<_> = interchanges
        .into_iter()
        .filter(|i| direction.is_empty() || i.direction.as_str() == direction)
        .filter(|i| wanted.is_empty() || i.status == wanted)
        .collect();
    let total = matching.len();
    // A page past the end (an old link, a typed number) shows the last one.
    let page = page.min(total.div_ceil(PAGE).max(1));
    let first = (page - 1) * PAGE;
    // What answered the groups we sent, per interchange (one read per partner).
    let mut answers: HashMap<InterchangeId, Vec<String>> = HashMap::new();
    if direction != "inbound" {
        for partner in &partners {
            let Ok(groups) = st.app.outbound_groups(p, &t, partner.id).await else {
                continue;
            };
            let ack = partner.acknowledgement.as_str();
            for g in groups {
                answers
                    .entry(g.interchange_id)
                    .or_default()
                    .push(match g.ack_status.as_deref() {
                        None => format!("awaiting {ack}"),
                        Some("A") => format!("{ack} accepted"),
                        Some("E") => format!("{ack} accepted with errors"),
                        Some("P") => format!("{ack} partly accepted"),
                        Some("R") => format!("{ack} rejected"),
                        Some(other) => format!("{ack} {other}"),
                    });
            }
        }
    }
    let link = |n: usize| {
        format!(
            "?direction={}&status={}&page={n}#traffic",
            query_value(&direction),
            query_value(&wanted)
        )
    };
    let shown = match total {
        0 => format!("none of the latest {latest} match"),
        _ => format!(
            "{}–{} of {} (of the latest {latest})",
            (first + 1).min(total),
            (first + PAGE).min(total),
            total
        ),
    };
    let page = render(EdiPage {
        prev: (page > 1).then(|| link(page - 1)),
        next: (first + PAGE < total).then(|| link(page + 1)),
        shown,
        direction: direction.clone(),
        status: wanted.clone(),
        statuses,
        can_edit: p.can(Capability::ManageParties),
        partners: partners.iter().map(partner_row).collect(),
        interchanges: matching
            .into_iter()
            .skip(first)
            .take(PAGE)
            .map(|i| InterchangeRow {
                id: i.id.to_string(),
                at: local_zoned(Some(i.at), &tz),
                direction: i.direction.as_str(),
                partner: names.get(&i.partner_id).cloned().unwrap_or_default(),
                answer: answers.get(&i.id).map(|a| a.join(", ")).unwrap_or_default(),
                control: i.control_number,
                status: i.status,
            })
            .collect(),
        zone: t.time_zone.clone(),
        slug: t.slug,
        tenant_name: t.name,
        draft,
        problems,
        done,
        frame: v.into(),
    });
    (status, page).into_response()
}

async fn page(
    TenantPage { st, v, t, .. }: TenantPage,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    show(&st, v, t, &q, HashMap::new(), Vec::new()).await
}

/// The partner form as the API's document: empty fields are left out so the API's defaults
/// apply, lists are split on spaces or commas, and the same checks refuse a bad one.
fn new_partner(form: &HashMap<String, String>) -> Result<NewTradingPartner, String> {
    let mut doc = serde_json::Map::new();
    for (k, v) in form {
        let v = v.trim();
        if k == "csrf" || v.is_empty() {
            continue;
        }
        let value = match k.as_str() {
            "lenient" | "allow_partial" => serde_json::Value::Bool(v == "on" || v == "true"),
            "tracking_qualifiers" | "pro_qualifiers" => v
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(|s| serde_json::Value::String(s.to_string()))
                .collect(),
            _ => serde_json::Value::String(v.to_string()),
        };
        doc.insert(k.clone(), value);
    }
    serde_json::from_value(serde_json::Value::Object(doc)).map_err(|e| e.to_string())
}

async fn create_partner(
    TenantPage { st, v, t, .. }: TenantPage,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let csrf = form.get("csrf").cloned().unwrap_or_default();
    if let Err(r) = v.check_csrf(&csrf) {
        return r;
    }
    let new = match new_partner(&form) {
        Ok(n) => n,
        Err(why) => return show(&st, v, t, &HashMap::new(), form, vec![why]).await,
    };
    match st.app.create_partner(&v.principal, &t, new).await {
        Ok(p) => Redirect::to(&format!(
            "/app/{}/edi?done={}",
            t.slug,
            query_value(&format!("trading partner {} registered", p.name))
        ))
        .into_response(),
        Err(AppError::Invalid(inv)) => show(&st, v, t, &HashMap::new(), form, problems(inv)).await,
        Err(e @ (AppError::Conflict { .. } | AppError::Duplicate { .. })) => {
            show(&st, v, t, &HashMap::new(), form, vec![e.to_string()]).await
        }
        Err(e) => error_page(e),
    }
}

struct SetRow {
    group: String,
    control: String,
    set_id: String,
    status: String,
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "interchange.html")]
struct InterchangePage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    row: InterchangeRow,
    sets: Vec<SetRow>,
    /// For what we sent: its functional groups and what answered each.
    groups: Vec<GroupRow>,
    raw: String,
}

struct GroupRow {
    control: String,
    function: String,
    sets: u32,
    answer: String,
    detail: String,
}

async fn interchange(
    TenantPage {
        st,
        v,
        t,
        path: PathId(id),
    }: TenantPage<PathId<InterchangeId>>,
) -> Response {
    let p = &v.principal;
    let ((i, sets), raw, partners) = match (
        st.app.interchange(p, &t, id).await,
        st.app.interchange_raw(p, &t, id).await,
        st.app.list_partners(p, &t).await,
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(e),
    };
    let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
    let mut groups = Vec::new();
    if i.direction.as_str() == "outbound" {
        let ack = partners
            .iter()
            .find(|x| x.id == i.partner_id)
            .map_or("997", |x| x.acknowledgement.as_str());
        let sent = match st.app.outbound_groups(p, &t, i.partner_id).await {
            Ok(g) => g,
            Err(e) => return error_page(e),
        };
        groups = sent
            .into_iter()
            .filter(|g| g.interchange_id == i.id)
            .map(|g| GroupRow {
                answer: match (g.ack_status.as_deref(), g.ack_at) {
                    (None, _) => format!("awaiting {ack}"),
                    (Some(s), at) => format!(
                        "{ack} {} {}",
                        match s {
                            "A" => "accepted",
                            "E" => "accepted with errors",
                            "P" => "partly accepted",
                            "R" => "rejected",
                            other => other,
                        },
                        local_zoned(at, &tz)
                    ),
                },
                detail: g.ack_detail.unwrap_or_default(),
                control: g.group_control,
                function: g.functional_id,
                sets: g.set_count,
            })
            .collect();
    }
    // Segments on lines of their own: an interchange is one line on the wire.
    let text = String::from_utf8_lossy(&raw);
    let terminator = text.chars().nth(105).filter(|c| !c.is_alphanumeric());
    let raw = match terminator {
        Some(term) => text
            .split(term)
            .map(|s| s.trim_matches(['\r', '\n']))
            .filter(|s| !s.is_empty())
            .map(|s| format!("{s}{term}"))
            .collect::<Vec<_>>()
            .join("\n"),
        None => text.into_owned(),
    };
    render(InterchangePage {
        row: InterchangeRow {
            id: i.id.to_string(),
            at: local_zoned(Some(i.at), &tz),
            direction: i.direction.as_str(),
            partner: partners
                .iter()
                .find(|p| p.id == i.partner_id)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            control: i.control_number,
            status: i.status,
            answer: String::new(),
        },
        sets: sets
            .into_iter()
            .map(|s| SetRow {
                group: s.group_control,
                control: s.set_control,
                set_id: s.set_id,
                status: s.status,
                problems: s.problems,
            })
            .collect(),
        raw,
        groups,
        slug: t.slug,
        tenant_name: t.name,
        frame: v.into(),
    })
}
