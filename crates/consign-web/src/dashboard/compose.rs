//! Writing to the customer, the client or the carrier from the case page: a template for
//! the case's type (the tenant's own or a default) or free text, previewed against the case
//! as it stands, then sent through the outbox with the version of the case the person saw.

use crate::AppState;
use consign_app::messages::send::OutgoingMessage;
use consign_app::{AppError, AppResult};
use consign_core::access::Principal;
use consign_core::case::Case;
use consign_core::ids::CaseId;
use consign_core::message::Rendered;
use consign_core::message::template::{ANY_CASE_TYPE, Audience, Channel, Template};
use consign_core::tenant::Tenant;

/// What the person has written so far: the choice (`name|language`, or empty for free
/// text), the audience, and for free text the subject and body; with its preview once asked.
#[derive(Debug, Default, Clone)]
pub(super) struct Draft {
    pub choice: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The recipient's address; empty for the customer means the order's.
    pub address: String,
    pub preview: Option<Rendered>,
}

/// A template the page offers: its form value, its label and whom it is written for.
pub(super) struct Choice {
    pub value: String,
    pub label: String,
    pub audience: &'static str,
}

/// The e-mail templates that fit the case: its own type's first, then those for any type;
/// a tenant's override hides the default of the same name and language.
pub(super) async fn choices(st: &AppState, p: &Principal, t: &Tenant, c: &Case) -> Vec<Choice> {
    let Ok(list) = st.app.list_templates(p, t).await else {
        return Vec::new();
    };
    let mut fit: Vec<&Template> = list
        .iter()
        .filter(|v| !v.overridden)
        .map(|v| &v.template)
        .filter(|t| t.channel == Channel::Email)
        .filter(|t| t.case_type == c.case_type || t.is_for_any_case_type())
        .collect();
    fit.sort_by_key(|t| {
        (
            t.case_type == ANY_CASE_TYPE,
            t.name.clone(),
            t.language.clone(),
        )
    });
    fit.into_iter()
        .map(|t| Choice {
            value: format!("{}|{}", t.name, t.language),
            label: format!(
                "{} — to the {} ({})",
                t.name.replace('_', " "),
                t.audience.as_str(),
                t.language
            ),
            audience: t.audience.as_str(),
        })
        .collect()
}

/// The template a choice names, as the tenant has it in force.
async fn template_of(
    st: &AppState,
    p: &Principal,
    t: &Tenant,
    choice: &str,
) -> AppResult<Template> {
    let (name, language) = choice.split_once('|').unwrap_or((choice, ""));
    st.app
        .list_templates(p, t)
        .await?
        .into_iter()
        .filter(|v| !v.overridden)
        .map(|v| v.template)
        .find(|tpl| tpl.name == name && (language.is_empty() || tpl.language == language))
        .ok_or_else(|| {
            AppError::Invalid(consign_core::Invalid::one(
                "template",
                format!("no template '{name}' for this tenant"),
            ))
        })
}

/// Renders the draft against the case, sending nothing. Free text is shown as it will go.
pub(super) async fn preview(
    st: &AppState,
    p: &Principal,
    t: &Tenant,
    id: CaseId,
    draft: &Draft,
) -> AppResult<Rendered> {
    if draft.choice.is_empty() {
        free_text(draft)?;
        return Ok(Rendered {
            subject: Some(draft.subject.trim().to_string()),
            body_text: draft.body.clone(),
            body_html: None,
        });
    }
    let template = template_of(st, p, t, &draft.choice).await?;
    st.app.preview_template(p, t, id, &template).await
}

fn free_text(draft: &Draft) -> AppResult<()> {
    let mut bad = consign_core::Invalid::default();
    if Audience::parse(&draft.to).is_err() {
        bad.push("to", "choose whom the message is for");
    }
    if draft.subject.trim().is_empty() {
        bad.push("subject", "a message needs a subject");
    }
    if draft.body.trim().is_empty() {
        bad.push("body", "a message needs a text");
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(bad))
    }
}

/// Sends the draft on the case, if the case is still at `version`.
pub(super) async fn send(
    st: &AppState,
    p: &Principal,
    t: &Tenant,
    id: CaseId,
    draft: &Draft,
    version: i64,
) -> AppResult<()> {
    let msg = if draft.choice.is_empty() {
        free_text(draft)?;
        OutgoingMessage {
            to: draft.to.clone(),
            template: None,
            language: None,
            subject: Some(draft.subject.trim().to_string()),
            body: Some(draft.body.clone()),
            address: Some(draft.address.trim().to_string()).filter(|a| !a.is_empty()),
        }
    } else {
        let template = template_of(st, p, t, &draft.choice).await?;
        OutgoingMessage {
            to: template.audience.as_str().to_string(),
            template: Some(template.name),
            language: Some(template.language),
            subject: None,
            body: None,
            address: Some(draft.address.trim().to_string()).filter(|a| !a.is_empty()),
        }
    };
    st.app
        .send_case_message(p, t, id, msg, Some(version))
        .await
        .map(|_| ())
}
