//! The rulebook editor: the rules in force as TOML, checked on the server with every problem
//! named, and a preview that replays the edited rulebook over the tenant's recent history
//! beside what was opened, before anything is saved. Saving stores a new version (the old ones
//! stay, listed below the editor); who may not manage rules reads the page without the form.

use super::{Frame, TenantPage, error_page, local_zoned, query_value, render, thousands};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use consign_app::AppError;
use consign_core::access::Capability;
use consign_core::rules::{DEFAULT_RULEBOOK, Rulebook};
use consign_core::tenant::Tenant;
use jiff::tz::TimeZone;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/app/{tenant}/rulebook", get(page).post(submit))
}

struct VersionRow {
    version: i64,
    name: String,
    created: String,
    by: String,
}

/// One case type of a preview: what the rulebook in force and the edited one open on the
/// same replayed history, the edit's difference, and what was actually opened.
struct PreviewRow {
    case_type: String,
    in_force: String,
    edited: String,
    change: String,
    opened: String,
}

#[derive(Template)]
#[template(path = "rulebook.html")]
struct RulebookPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    in_force: String,
    source: String,
    can_edit: bool,
    days: i64,
    versions: Vec<VersionRow>,
    problems: Vec<String>,
    preview: Option<(String, Vec<PreviewRow>)>,
    done: Option<String>,
}

#[derive(serde::Deserialize)]
struct RulebookForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    days: String,
    /// `preview` or `save`: the two buttons of the one form.
    #[serde(default)]
    intent: String,
}

/// What the page shows around the editor, whatever the editor holds.
struct Around {
    in_force: String,
    stored_source: String,
    versions: Vec<VersionRow>,
}

async fn around(
    st: &AppState,
    p: &consign_core::access::Principal,
    t: &Tenant,
) -> Result<Around, AppError> {
    let history = st.app.rulebook_history(p, t).await?;
    let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
    let (in_force, stored_source) = match history.last() {
        Some(r) => (
            format!("version {} “{}”", r.version, r.name),
            r.source.clone(),
        ),
        None => (
            format!(
                "the shipped default “{}” (version 0)",
                Rulebook::default_rulebook().name
            ),
            DEFAULT_RULEBOOK.to_string(),
        ),
    };
    Ok(Around {
        in_force,
        stored_source,
        versions: history
            .into_iter()
            .rev()
            .map(|r| VersionRow {
                version: r.version,
                name: r.name,
                created: local_zoned(Some(r.created_at), &tz),
                by: r.created_by,
            })
            .collect(),
    })
}

async fn page(
    TenantPage { st, v, t, .. }: TenantPage,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let a = match around(&st, &v.principal, &t).await {
        Ok(a) => a,
        Err(e) => return error_page(e),
    };
    render(RulebookPage {
        can_edit: v.principal.can(Capability::ManageRules),
        slug: t.slug,
        tenant_name: t.name,
        in_force: a.in_force,
        source: a.stored_source,
        days: 30,
        versions: a.versions,
        problems: Vec::new(),
        preview: None,
        done: q.get("done").cloned(),
        frame: v.into(),
    })
}

async fn submit(TenantPage { st, v, t, .. }: TenantPage, Form(f): Form<RulebookForm>) -> Response {
    if let Err(r) = v.check_csrf(&f.csrf) {
        return r;
    }
    let a = match around(&st, &v.principal, &t).await {
        Ok(a) => a,
        Err(e) => return error_page(e),
    };
    let days = f.days.trim().parse::<i64>().unwrap_or(30);
    let mut problems = Vec::new();
    let mut preview = None;
    let status = if f.intent == "save" {
        match st.app.set_rulebook(&v.principal, &t, &f.source).await {
            Ok(r) => {
                return Redirect::to(&format!(
                    "/app/{}/rulebook?done={}",
                    t.slug,
                    query_value(&format!("version {} “{}” is in force", r.version, r.name))
                ))
                .into_response();
            }
            Err(AppError::Invalid(inv)) => {
                problems = inv.errors.into_iter().map(|e| e.reason).collect();
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Err(e) => return error_page(e),
        }
    } else {
        match st
            .app
            .preview_rulebook(&v.principal, &t, &f.source, days)
            .await
        {
            Ok(p) => {
                let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
                let head = format!(
                    "“{}” ({} rules) replayed over {} shipments and {} events from {} to {}",
                    p.name,
                    p.rules,
                    thousands(p.edited.shipments),
                    thousands(p.edited.events),
                    local_zoned(Some(p.from), &tz),
                    local_zoned(Some(p.to), &tz),
                );
                let mut types: Vec<&String> = p
                    .edited
                    .by_type
                    .keys()
                    .chain(p.in_force.by_type.keys())
                    .collect();
                types.sort();
                types.dedup();
                let rows = types
                    .into_iter()
                    .map(|ty| {
                        let edited = p.edited.by_type.get(ty).copied().unwrap_or_default();
                        let now = p.in_force.by_type.get(ty).map_or(0, |x| x.0);
                        let change = edited.0 as i64 - now as i64;
                        PreviewRow {
                            case_type: ty.clone(),
                            in_force: thousands(now),
                            edited: thousands(edited.0),
                            change: match change {
                                0 => "same".into(),
                                c if c > 0 => format!("+{}", thousands(c as u64)),
                                c => format!("−{}", thousands(c.unsigned_abs())),
                            },
                            opened: thousands(edited.1.max(0) as u64),
                        }
                    })
                    .collect();
                preview = Some((head, rows));
                StatusCode::OK
            }
            Err(AppError::Invalid(inv)) => {
                problems = inv
                    .errors
                    .into_iter()
                    .map(|e| match e.field.as_str() {
                        "rulebook" => e.reason,
                        f => format!("{f}: {}", e.reason),
                    })
                    .collect();
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Err(e) => return error_page(e),
        }
    };
    let page = render(RulebookPage {
        can_edit: true,
        slug: t.slug,
        tenant_name: t.name,
        in_force: a.in_force,
        // The editor keeps what was typed: a refused rulebook is corrected, not retyped.
        source: f.source,
        days,
        versions: a.versions,
        problems,
        preview,
        done: None,
        frame: v.into(),
    });
    (status, page).into_response()
}
