//! Message templates in the browser: the tenant's own and the product's defaults beside them,
//! an editor that checks a template on the server (a syntax error by line, an unknown
//! variable by name, each next to its field) and previews it against a real case of the
//! tenant before it is saved; removing a tenant's template puts its default back in force.

use super::{Frame, TenantPage, error_page, query_value, render};
use crate::AppState;
use axum::Router;
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use consign_app::AppError;
use consign_core::access::{Capability, Principal};
use consign_core::ids::CaseId;
use consign_core::message::Rendered;
use consign_core::message::template::{ANY_CASE_TYPE, Audience, Channel, Template};
use consign_core::message::variables::ALLOWED_VARIABLES;
use consign_core::tenant::Tenant;
use consign_store::CaseFilter;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{tenant}/templates", get(list).post(submit))
        .route("/app/{tenant}/templates/edit", get(edit))
}

struct Row {
    name: String,
    language: String,
    case_type: String,
    audience: &'static str,
    channel: &'static str,
    subject: String,
    source: &'static str,
    overridden: bool,
}

#[derive(askama::Template)]
#[template(path = "templates.html")]
struct ListPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    rows: Vec<Row>,
    can_edit: bool,
    done: Option<String>,
}

async fn list(
    TenantPage { st, v, t, .. }: TenantPage,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let list = match st.app.list_templates(&v.principal, &t).await {
        Ok(l) => l,
        Err(e) => return error_page(e),
    };
    let rows = list
        .into_iter()
        .map(|v| Row {
            source: v.source,
            overridden: v.overridden,
            name: v.template.name,
            language: v.template.language,
            case_type: v.template.case_type,
            audience: v.template.audience.as_str(),
            channel: v.template.channel.as_str(),
            subject: v.template.subject.unwrap_or_default(),
        })
        .collect();
    render(ListPage {
        can_edit: v.principal.can(Capability::ManageCaseSettings),
        slug: t.slug,
        tenant_name: t.name,
        rows,
        done: q.get("done").cloned(),
        frame: v.into(),
    })
}

/// The editor's fields as typed (strings, so a refused value is shown back as it was).
#[derive(Debug, Default, Clone, serde::Deserialize)]
struct TemplateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    case_type: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// The case the preview renders against.
    #[serde(default)]
    case: String,
    /// `preview`, `save` or `delete`.
    #[serde(default)]
    intent: String,
    /// Whether the template being edited is the tenant's own (it may be removed).
    #[serde(default)]
    own: String,
}

impl TemplateForm {
    fn from_template(t: &Template, own: bool) -> Self {
        TemplateForm {
            name: t.name.clone(),
            case_type: t.case_type.clone(),
            audience: t.audience.as_str().into(),
            channel: t.channel.as_str().into(),
            language: t.language.clone(),
            subject: t.subject.clone().unwrap_or_default(),
            body: t.body.clone(),
            own: if own { "1".into() } else { String::new() },
            ..Default::default()
        }
    }

    /// The template the fields describe, or every field that does not name a choice.
    fn template(&self) -> Result<Template, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let audience = Audience::parse(self.audience.trim())
            .map_err(|e| errors.push(("audience".to_string(), e.to_string())))
            .ok();
        let channel = Channel::parse(self.channel.trim())
            .map_err(|e| errors.push(("channel".to_string(), e.to_string())))
            .ok();
        let (Some(audience), Some(channel)) = (audience, channel) else {
            return Err(errors);
        };
        let subject = self.subject.trim();
        Ok(Template {
            name: self.name.trim().to_string(),
            case_type: self.case_type.trim().to_string(),
            audience,
            channel,
            language: self.language.trim().to_string(),
            subject: (channel == Channel::Email || !subject.is_empty())
                .then(|| subject.to_string()),
            // Line endings as a browser sends them (CRLF) would shift nothing but bytes.
            body: self.body.replace("\r\n", "\n"),
        })
    }
}

#[derive(askama::Template)]
#[template(path = "template_edit.html")]
struct EditPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    f: TemplateForm,
    can_edit: bool,
    /// Problems by field (`body`, `subject`, …); `""` for the form as a whole.
    errors: Vec<(String, String)>,
    cases: Vec<(String, String)>,
    audiences: Vec<&'static str>,
    channels: Vec<&'static str>,
    variables: Vec<&'static str>,
    preview: Option<Rendered>,
}

impl EditPage {
    fn error(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, r)| r.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Recent cases of the template's type (any type for `*`) to preview against.
async fn preview_cases(
    st: &AppState,
    p: &Principal,
    t: &Tenant,
    case_type: &str,
) -> Vec<(String, String)> {
    let filter = CaseFilter {
        case_type: Some(case_type.to_string()).filter(|c| !c.is_empty() && c != ANY_CASE_TYPE),
        limit: 20,
        ..Default::default()
    };
    st.app
        .list_cases(p, t, &filter)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            (
                c.id.to_string(),
                format!("{} · {} · {}", c.number, c.case_type, c.status.as_str()),
            )
        })
        .collect()
}

async fn edit_page(
    st: &AppState,
    v: super::Viewer,
    t: Tenant,
    mut f: TemplateForm,
    errors: Vec<(String, String)>,
    preview: Option<Rendered>,
) -> Response {
    let cases = preview_cases(st, &v.principal, &t, &f.case_type).await;
    if f.case.is_empty()
        && let Some((id, _)) = cases.first()
    {
        f.case = id.clone();
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = render(EditPage {
        can_edit: v.principal.can(Capability::ManageCaseSettings),
        slug: t.slug,
        tenant_name: t.name,
        f,
        errors,
        cases,
        audiences: Audience::ALL.iter().map(|a| a.as_str()).collect(),
        channels: Channel::ALL.iter().map(|c| c.as_str()).collect(),
        variables: ALLOWED_VARIABLES.to_vec(),
        preview,
        frame: v.into(),
    });
    (status, page).into_response()
}

/// The editor, with the named template (the tenant's own first, else the default) or a new one.
async fn edit(
    TenantPage { st, v, t, .. }: TenantPage,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let f = match (q.get("name"), q.get("language")) {
        (Some(name), Some(language)) => {
            let list = match st.app.list_templates(&v.principal, &t).await {
                Ok(l) => l,
                Err(e) => return error_page(e),
            };
            // Defaults share a name across case types, audiences and channels
            // (`carrier_chase` for several types): the link names those too, and the
            // tenant's own copy comes first.
            let differs = |k: &str, v: &str| q.get(k).is_some_and(|want| want != v);
            let found = list
                .iter()
                .filter(|x| &x.template.name == name && &x.template.language == language)
                .min_by_key(|x| {
                    let t = &x.template;
                    (
                        differs("case_type", &t.case_type)
                            || differs("audience", t.audience.as_str())
                            || differs("channel", t.channel.as_str()),
                        x.source != "tenant",
                    )
                });
            match found {
                Some(x) => TemplateForm::from_template(&x.template, x.source == "tenant"),
                None => {
                    return error_page(AppError::NotFound(format!("template {name} ({language})")));
                }
            }
        }
        _ => TemplateForm {
            case_type: ANY_CASE_TYPE.into(),
            audience: "customer".into(),
            channel: "email".into(),
            language: "en".into(),
            ..Default::default()
        },
    };
    edit_page(&st, v, t, f, Vec::new(), None).await
}

async fn submit(TenantPage { st, v, t, .. }: TenantPage, Form(f): Form<TemplateForm>) -> Response {
    if let Err(r) = v.check_csrf(&f.csrf) {
        return r;
    }
    if f.intent == "delete" {
        return match st
            .app
            .delete_template(&v.principal, &t, f.name.trim(), f.language.trim())
            .await
        {
            Ok(()) => Redirect::to(&format!(
                "/app/{}/templates?done={}",
                t.slug,
                query_value(&format!(
                    "{} ({}) removed; the default of that name, if any, is in force",
                    f.name.trim(),
                    f.language.trim()
                ))
            ))
            .into_response(),
            Err(e) => error_page(e),
        };
    }
    let template = match f.template() {
        Ok(x) => x,
        Err(errors) => return edit_page(&st, v, t, f, errors, None).await,
    };
    let fields = |inv: consign_core::Invalid| -> Vec<(String, String)> {
        inv.errors
            .into_iter()
            .map(|e| (e.field, e.reason))
            .collect()
    };
    if f.intent == "save" {
        return match st.app.put_template(&v.principal, &t, template).await {
            Ok(saved) => Redirect::to(&format!(
                "/app/{}/templates?done={}",
                t.slug,
                query_value(&format!("{} ({}) saved", saved.name, saved.language))
            ))
            .into_response(),
            Err(AppError::Invalid(inv)) => edit_page(&st, v, t, f, fields(inv), None).await,
            Err(e) => error_page(e),
        };
    }
    let Ok(case) = f.case.trim().parse::<CaseId>() else {
        let why = vec![(
            "case".to_string(),
            "choose a case to preview against (the tenant has none of this type yet)".to_string(),
        )];
        return edit_page(&st, v, t, f, why, None).await;
    };
    match st
        .app
        .preview_template(&v.principal, &t, case, &template)
        .await
    {
        Ok(r) => edit_page(&st, v, t, f, Vec::new(), Some(r)).await,
        Err(AppError::Invalid(inv)) => edit_page(&st, v, t, f, fields(inv), None).await,
        Err(e) => error_page(e),
    }
}
