//! A tenant's case settings in the browser: the ownership matrix (who owns, who is
//! accountable, who informs, per case type), the business calendars, the SLA policies with
//! their targets and escalation ladders, and the days before a resolved case closes — read as
//! tables, changed as one checked document. The form carries the version it was read at, so a
//! change saved meanwhile by someone else is explained (409) instead of overwritten.

use super::{error_page, form_tenant, problems, query_value, render, tenant_page};
use crate::AppState;
use crate::auth::Authenticated;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use consign_app::AppError;
use consign_core::access::Capability;
use consign_core::case::settings::CaseSettings;
use consign_core::sla::Target;
use consign_core::tenant::Tenant;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/app/{tenant}/settings", get(page).post(submit))
}

struct OwnerRow {
    case_type: String,
    team: String,
    accountable: String,
    informs: &'static str,
}

struct CalendarRow {
    name: String,
    zone: String,
    hours: String,
    holidays: String,
}

struct PolicyRow {
    name: String,
    applies: String,
    calendar: String,
    first_response: String,
    resolution: String,
    periodic: String,
    pauses: String,
    ladder: Vec<String>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    tenants: Vec<Tenant>,
    user_name: String,
    csrf: String,
    slug: String,
    tenant_name: String,
    version: i64,
    close_after_days: u32,
    email: String,
    owners: Vec<OwnerRow>,
    calendars: Vec<CalendarRow>,
    policies: Vec<PolicyRow>,
    can_edit: bool,
    document: String,
    problems: Vec<String>,
    done: Option<String>,
}

/// `4 h business`, `30 min`, `—`: a target as a person reads it.
fn target(t: &Option<Target>) -> String {
    let Some(t) = t else { return "—".into() };
    let span = match t.minutes {
        m if m % (24 * 60) == 0 && !t.business => format!("{} d", m / (24 * 60)),
        m if m % 60 == 0 => format!("{} h", m / 60),
        m => format!("{m} min"),
    };
    if t.business {
        format!("{span} business")
    } else {
        span
    }
}

/// `mon–fri 08:00–18:00, sat 09:00–13:00`: runs of consecutive days with the same hours
/// written once.
fn opening_hours(hours: &[consign_core::sla::OpeningHours]) -> String {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let day = |d: &str| {
        let d = d.trim().to_lowercase();
        DAYS.iter().position(|x| d.starts_with(x))
    };
    // (first day, last day, span); a day that is not a weekday name stays on its own.
    let mut runs: Vec<(String, Option<usize>, String, String)> = Vec::new();
    for h in hours {
        let span = format!("{}–{}", h.open, h.close);
        let i = day(&h.weekday);
        match (runs.last_mut(), i) {
            (Some((_, Some(prev), last, s)), Some(i)) if *s == span && i == *prev + 1 => {
                *prev = i;
                *last = DAYS[i].to_string();
            }
            _ => {
                let name = i.map_or(h.weekday.clone(), |i| DAYS[i].to_string());
                runs.push((name.clone(), i, name, span));
            }
        }
    }
    runs.into_iter()
        .map(|(first, _, last, span)| {
            if first == last {
                format!("{first} {span}")
            } else {
                format!("{first}–{last} {span}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn view(
    v: super::Viewer,
    t: Tenant,
    version: i64,
    s: &CaseSettings,
    document: String,
    problems: Vec<String>,
    done: Option<String>,
) -> SettingsPage {
    SettingsPage {
        can_edit: v.principal.can(Capability::ManageCaseSettings),
        slug: t.slug,
        tenant_name: t.name,
        version,
        close_after_days: s.close_after_days,
        email: format!(
            "from {}, replies to {}, written in {}",
            s.email
                .from
                .as_deref()
                .unwrap_or("the installation's address"),
            s.email
                .reply_domain
                .as_deref()
                .map(|d| format!("reply+…@{d}"))
                .unwrap_or_else(|| "the sender".into()),
            s.email.language
        ),
        owners: s
            .ownership
            .rows
            .iter()
            .map(|r| OwnerRow {
                case_type: r.case_type.clone(),
                team: r.team.clone(),
                accountable: r
                    .accountable
                    .clone()
                    .unwrap_or_else(|| "as the rule says".into()),
                informs: r.informs.as_str(),
            })
            .collect(),
        calendars: s
            .calendars
            .iter()
            .map(|(name, c)| CalendarRow {
                name: name.clone(),
                zone: c.time_zone.clone(),
                hours: opening_hours(&c.hours),
                holidays: c
                    .holidays
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        policies: s
            .policies
            .rules
            .iter()
            .map(|r| PolicyRow {
                name: r.name.clone(),
                applies: format!(
                    "{} · {}",
                    r.case_type.as_deref().unwrap_or("any type"),
                    r.severity.map(|s| s.as_str()).unwrap_or("any severity")
                ),
                calendar: r.calendar.clone().unwrap_or_else(|| "24×7".into()),
                first_response: target(&r.clock.first_response),
                resolution: target(&r.clock.resolution),
                periodic: target(&r.clock.periodic_update),
                pauses: r.clock.pause_in.join(", "),
                ladder: r
                    .ladder
                    .iter()
                    .map(|s| {
                        format!(
                            "after {}: {}",
                            target(&Some(Target {
                                minutes: s.after_minutes,
                                business: false
                            })),
                            s.action.as_str().replace('_', " ")
                        )
                    })
                    .collect(),
            })
            .collect(),
        document,
        problems,
        done,
        tenants: v.tenants,
        user_name: v.user_name,
        csrf: v.csrf,
    }
}

fn pretty(s: &CaseSettings) -> String {
    serde_json::to_string_pretty(s).unwrap_or_default()
}

async fn page(
    State(st): State<AppState>,
    auth: Option<Extension<Authenticated>>,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (v, t) = match tenant_page(&st, auth, &slug).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let s = match st.app.case_settings(&v.principal, &t).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    let doc = pretty(&s.settings);
    render(view(
        v,
        t,
        s.version,
        &s.settings,
        doc,
        Vec::new(),
        q.get("done").cloned(),
    ))
}

#[derive(serde::Deserialize)]
struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    document: String,
    /// The version the editor was filled from.
    #[serde(default)]
    version: String,
}

async fn submit(
    State(st): State<AppState>,
    auth: Option<Extension<Authenticated>>,
    Path(slug): Path<String>,
    Form(f): Form<SettingsForm>,
) -> Response {
    let (v, t) = match form_tenant(&st, auth, &slug, &f.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let current = match st.app.case_settings(&v.principal, &t).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    let refused = |v, t, status: StatusCode, problems: Vec<String>| {
        // The page shows what is in force; the editor keeps what was typed.
        let page = render(view(
            v,
            t,
            current.version,
            &current.settings,
            f.document.clone(),
            problems,
            None,
        ));
        (status, page).into_response()
    };
    if f.version.trim() != current.version.to_string() {
        let why = format!(
            "version {} was saved after you opened this page (you edited version {}); the tables show it now. Compare, then save your change again.",
            current.version,
            f.version.trim()
        );
        return refused(v, t, StatusCode::CONFLICT, vec![why]);
    }
    let settings: CaseSettings = match serde_json::from_str(&f.document) {
        Ok(s) => s,
        Err(e) => {
            return refused(v, t, StatusCode::UNPROCESSABLE_ENTITY, vec![e.to_string()]);
        }
    };
    match st.app.put_case_settings(&v.principal, &t, settings).await {
        Ok(saved) => Redirect::to(&format!(
            "/app/{}/settings?done={}",
            t.slug,
            query_value(&format!(
                "version {} is in force; open cases' deadlines follow it",
                saved.version
            ))
        ))
        .into_response(),
        Err(AppError::Invalid(inv)) => {
            refused(v, t, StatusCode::UNPROCESSABLE_ENTITY, problems(inv))
        }
        Err(e) => error_page(e),
    }
}
