//! Messages on a case: an agent sends a templated or free-text e-mail to the customer, the
//! client or the carrier (a `message_out` entry and an outbox message, in one transaction);
//! replies come back as `message_in` — posted on the case, or e-mailed to its reply address
//! and handed over by a mail relay, which finds the case by the reply token.

use crate::{App, AppError, AppResult, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::case::settings::check_address;
use consign_core::case::work::CaseAction;
use consign_core::case::{Case, TimelineEntry};
use consign_core::ids::CaseId;
use consign_core::message::outbox::{DeliveryState, OutboxMessage, Transport};
use consign_core::message::{Audience, Channel, Template, defaults, pick, render};
use consign_core::tenant::Tenant;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an agent sends.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OutgoingMessage {
    /// `customer`, `client` or `carrier`.
    pub to: String,
    /// A template's name (the tenant's own or a default, e.g. `delay_notice`); or give
    /// `subject` and `body` as free text.
    #[serde(default)]
    pub template: Option<String>,
    /// The template's language (default: the tenant's).
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    /// The recipient's address; for the customer, the order's e-mail when left out.
    #[serde(default)]
    pub address: Option<String>,
}

/// A reply to a case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InboundMessage {
    /// Who wrote it (an address or a name).
    pub from: String,
    pub text: String,
}

/// An e-mail a mail relay received at a reply address.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InboundEmail {
    /// The address it was sent to (`reply+<token>@…`).
    pub to: String,
    pub from: String,
    #[serde(default)]
    pub subject: String,
    pub text: String,
}

/// The case a reply address or subject names: `reply+<32 hex>@…`, or `[CASE-000042]`.
fn reply_token(to: &str) -> Option<CaseId> {
    let at = to.find("reply+")? + "reply+".len();
    let hex: String = to[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    (hex.len() == 32)
        .then(|| Uuid::parse_str(&hex).ok())
        .flatten()
        .map(CaseId)
}

fn case_number_in(subject: &str) -> Option<String> {
    let start = subject.find("[CASE-")? + 1;
    let rest = &subject[start..];
    let end = rest.find(']')?;
    let n = &rest[..end];
    (n.len() > 5 && n[5..].chars().all(|c| c.is_ascii_digit())).then(|| n.to_string())
}

/// The parts of an e-mail on a case that every e-mail shares.
struct CaseEmail {
    case: CaseId,
    tenant: consign_core::ids::TenantId,
    sender: String,
    address: String,
    reply_to: Option<String>,
    kind: String,
    subject: String,
    text: String,
    html: Option<String>,
}

impl CaseEmail {
    /// The outbox row: its Message-ID (the dedup key) under the sender's domain, ordered per
    /// address and case.
    fn into_message(self, now: jiff::Timestamp) -> OutboxMessage {
        let id = Uuid::now_v7();
        let domain = self
            .sender
            .rsplit('@')
            .next()
            .unwrap_or("consign.invalid")
            .to_string();
        OutboxMessage {
            id,
            tenant_id: self.tenant,
            transport: Transport::Email,
            endpoint_id: None,
            dedup_key: format!("<{}@{domain}>", id.simple()),
            ordering_key: format!("email:{}|case:{}", self.address, self.case),
            recipient: self.address,
            kind: self.kind,
            sender: Some(self.sender),
            reply_to: self.reply_to,
            subject: self.subject,
            body: self.text,
            body_html: self.html,
            case_id: Some(self.case),
            state: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            last_status: None,
            created_at: now,
            delivered_at: None,
        }
    }
}

/// What an e-mail says: a template by name, the case type's template for the audience, or
/// free text.
enum Content {
    Named(String),
    ForCaseType,
    Free { subject: String, body: String },
}

/// A written e-mail and the line the case's timeline shows for it.
struct Composed {
    message: OutboxMessage,
    summary: String,
}

impl App {
    /// Writes an e-mail on `case` for `audience` at `address` (for the customer, the order's
    /// e-mail when `None`), rendered in the tenant's language unless `language` says another.
    #[allow(clippy::too_many_arguments)]
    async fn compose(
        &self,
        p: &Principal,
        tenant: &Tenant,
        settings: &consign_core::case::settings::ActiveSettings,
        case: &Case,
        audience: Audience,
        address: Option<String>,
        content: Content,
        language: Option<String>,
    ) -> AppResult<Composed> {
        let email = &settings.settings.email;
        let reply_to = email
            .reply_domain
            .as_ref()
            .map(|d| format!("reply+{}@{d}", case.id.0.simple()));
        let ctx = self
            .message_context(p, tenant, case, reply_to.as_deref())
            .await?;
        let address = match (address, audience) {
            (Some(a), _) => a.trim().to_string(),
            (None, Audience::Customer) => {
                match ctx.order.as_ref().and_then(|o| o.customer_email.clone()) {
                    Some(a) => a,
                    None => {
                        return Err(Invalid::one(
                        "address",
                        format!(
                            "no e-mail address is on file for the customer of case {}; give `address`",
                            case.number
                        ),
                    )
                    .into());
                    }
                }
            }
            (None, _) => {
                return Err(Invalid::one(
                    "address",
                    format!("give the {} contact's `address`", audience.as_str()),
                )
                .into());
            }
        };
        let mut bad = Invalid::default();
        check_address("address", &address, &mut bad);
        if !bad.is_empty() {
            return Err(bad.into());
        }
        let language = language.unwrap_or_else(|| email.language.clone());
        let (name, subject, text, html) = match content {
            Content::Named(_) | Content::ForCaseType => {
                let own = self.store.message_templates(tenant.id).await?;
                let t = match &content {
                    Content::Named(name) => {
                        let named: Vec<Template> = own
                            .iter()
                            .chain(defaults())
                            .filter(|t| &t.name == name && t.channel == Channel::Email)
                            .cloned()
                            .collect();
                        pick(&named, &[], &case.case_type, audience, Channel::Email, &language)
                            .or_else(|| named.first())
                            .cloned()
                            .ok_or_else(|| {
                                Invalid::one(
                                    "template",
                                    format!("no e-mail template named '{name}' (see GET …/message-templates)"),
                                )
                            })?
                    }
                    _ => pick(
                        &own,
                        defaults(),
                        &case.case_type,
                        audience,
                        Channel::Email,
                        &language,
                    )
                    .cloned()
                    .ok_or_else(|| {
                        Invalid::one(
                            "template",
                            format!(
                                "no {} e-mail template for case type {}",
                                audience.as_str(),
                                case.case_type
                            ),
                        )
                    })?,
                };
                let r = render(&t, &ctx).map_err(|e| Invalid::one(e.field, e.reason))?;
                (
                    t.name.clone(),
                    r.subject.unwrap_or_default(),
                    r.body_text,
                    r.body_html,
                )
            }
            Content::Free { subject, body } => {
                let (s, b) = (subject.trim(), body.trim());
                let mut bad = Invalid::default();
                if s.is_empty() || s.chars().count() > 200 || s.contains(['\r', '\n']) {
                    bad.push("subject", "1 to 200 characters on one line");
                }
                if b.is_empty() || b.chars().count() > 20_000 {
                    bad.push("body", "1 to 20,000 characters");
                }
                if !bad.is_empty() {
                    return Err(bad.into());
                }
                (
                    "message".to_string(),
                    s.to_string(),
                    b.to_string(),
                    Some(consign_core::message::render::html_of_text(b)),
                )
            }
        };
        // The case number in the subject lets a reply find its case even when a mail client
        // drops the reply address.
        let subject = if subject.contains(&case.number) {
            subject
        } else {
            format!("{subject} [{}]", case.number)
        };
        let sender = email
            .from
            .clone()
            .unwrap_or_else(|| self.messaging.config.email_from.clone());
        let summary = format!("e-mail to {address} ({}): {subject}", audience.as_str());
        Ok(Composed {
            message: CaseEmail {
                case: case.id,
                tenant: tenant.id,
                sender,
                address,
                reply_to,
                kind: name,
                subject,
                text,
                html,
            }
            .into_message(self.now()),
            summary,
        })
    }

    /// Sends an e-mail on a case (see the module's documentation); answers the case, its
    /// timeline and the message as queued.
    pub async fn send_case_message(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: CaseId,
        msg: OutgoingMessage,
        if_match: Option<i64>,
    ) -> AppResult<(Case, Vec<TimelineEntry>, OutboxMessage)> {
        require(p, Capability::WorkCases)?;
        let audience = Audience::parse(&msg.to).map_err(|e| Invalid::one("to", e))?;
        let settings = self.settings_in_force(tenant.id).await?;
        let (case, _) = self.get_case(p, tenant, id).await?;
        let content = match (msg.template, msg.subject, msg.body) {
            (Some(name), None, None) => Content::Named(name),
            (None, Some(subject), Some(body)) => Content::Free { subject, body },
            _ => {
                return Err(Invalid::one(
                    "template",
                    "give either `template`, or `subject` and `body` (free text)",
                )
                .into());
            }
        };
        let c = self
            .compose(
                p,
                tenant,
                &settings,
                &case,
                audience,
                msg.address,
                content,
                msg.language,
            )
            .await?;
        let (case, timeline) = self
            .act_with_messages(
                p,
                tenant,
                id,
                CaseAction::SendMessage { summary: c.summary },
                if_match,
                vec![c.message.clone()],
            )
            .await?;
        Ok((case, timeline, c.message))
    }

    /// The customer notice a rule asks for (`notify_customer`) when its case opened: sent
    /// when the tenant's ownership matrix says the provider informs the customer, the
    /// shipment is not delivered, the order has an e-mail and the type has a customer
    /// template; at most once per case (the timeline says whether it was). `None` when any
    /// of that is missing. The timer sweep, which looks at every new case at once, sends it.
    pub(crate) async fn proactive_notice(
        &self,
        settings: &consign_core::case::settings::ActiveSettings,
        case: &Case,
        timeline: &[TimelineEntry],
    ) -> AppResult<Option<(OutboxMessage, String)>> {
        use consign_core::case::Informs;
        if case.informs != Informs::Provider
            || timeline
                .iter()
                .any(|e| e.kind == consign_core::case::TimelineKind::MessageOut)
        {
            return Ok(None);
        }
        let book = self.rulebook_in_force(case.tenant_id).await?;
        if !book
            .book
            .rules
            .iter()
            .any(|r| r.case_type == case.case_type && r.notify_customer)
        {
            return Ok(None);
        }
        let Some(s) = case.shipment_id() else {
            return Ok(None);
        };
        let delivered = self
            .store
            .tracked_shipments(case.tenant_id, &[s])
            .await?
            .first()
            .is_none_or(|t| t.state.delivered_at.is_some());
        let Some(tenant) = self.store.tenant(case.tenant_id).await? else {
            return Ok(None);
        };
        if delivered {
            return Ok(None);
        }
        match self
            .compose(
                &Principal::system(),
                &tenant,
                settings,
                case,
                Audience::Customer,
                None,
                Content::ForCaseType,
                None,
            )
            .await
        {
            Ok(c) => Ok(Some((c.message, format!("notice {}", c.summary)))),
            // No address or no template: nobody to tell, nothing to send.
            Err(AppError::Invalid(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A reply posted on the case (by the client or carrier it is addressed to, an agent
    /// recording a phone call, or the mail relay).
    pub async fn receive_case_message(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: CaseId,
        msg: InboundMessage,
    ) -> AppResult<(Case, Vec<TimelineEntry>)> {
        let from = msg.from.trim();
        if from.is_empty() || from.chars().count() > 254 {
            return Err(Invalid::one("from", "1 to 254 characters").into());
        }
        self.act_on_case(
            p,
            tenant,
            id,
            CaseAction::Answer {
                text: format!("from {from}: {}", msg.text.trim()),
            },
            None,
        )
        .await
    }

    /// An e-mail the mail relay received: matched to its case by the reply token in the
    /// address, else by the case number in the subject, within the tenant only.
    pub async fn receive_email(
        &self,
        p: &Principal,
        tenant: &Tenant,
        mail: InboundEmail,
    ) -> AppResult<(Case, Vec<TimelineEntry>)> {
        require(p, Capability::RelayMessages)?;
        let case = match reply_token(&mail.to) {
            Some(id) => self.store.case(tenant.id, id).await?,
            None => match case_number_in(&mail.subject) {
                Some(n) => self.store.case_by_number(tenant.id, &n).await?,
                None => {
                    return Err(Invalid::one(
                        "to",
                        "no reply token (reply+<token>@…) in the address and no [CASE-…] in the subject",
                    )
                    .into());
                }
            },
        };
        let case = case.ok_or_else(|| AppError::NotFound("the case this reply answers".into()))?;
        let text = if mail.subject.trim().is_empty() {
            mail.text
        } else {
            format!("{}\n\n{}", mail.subject.trim(), mail.text.trim())
        };
        self.receive_case_message(
            p,
            tenant,
            case.id,
            InboundMessage {
                from: mail.from,
                text,
            },
        )
        .await
    }
}

/// The kind of [`staff_notice`]'s messages.
pub(crate) const ESCALATION_NOTICE: &str = "escalation_notice";

/// An escalation notice to the provider's or the client's own staff: plain words about the
/// case, from the tenant's address, written as an outbox e-mail on the case (it is not a
/// message to the customer, so it adds no timeline entry; `escalated` records the step).
pub(crate) fn staff_notice(
    app: &App,
    settings: &consign_core::case::settings::ActiveSettings,
    c: &Case,
    address: &str,
    level: u8,
    action: consign_core::case::policy::LadderAction,
    now: jiff::Timestamp,
) -> OutboxMessage {
    let sender = settings
        .settings
        .email
        .from
        .clone()
        .unwrap_or_else(|| app.messaging.config.email_from.clone());
    let who = match action {
        consign_core::case::policy::LadderAction::NotifyAssignee => "you are its assignee",
        _ => "you manage this client's account",
    };
    let subject = format!(
        "[{}] SLA breached: escalation step {level} ({} {})",
        c.number,
        c.severity.as_str(),
        c.case_type.replace('_', " ")
    );
    let body = format!(
        "Case {} ({}, severity {}) has breached its SLA and reached escalation step {level}.\n\n\
         Status: {}\nOwner team: {}\nOpened: {}\n\n\
         You receive this because {who}. Open the case in Consign to act on it.",
        c.number,
        c.case_type,
        c.severity.as_str(),
        c.status.as_str(),
        c.owner_team,
        c.opened_at,
    );
    CaseEmail {
        case: c.id,
        tenant: c.tenant_id,
        sender,
        address: address.to_string(),
        reply_to: None,
        kind: ESCALATION_NOTICE.into(),
        subject,
        html: Some(consign_core::message::render::html_of_text(&body)),
        text: body,
    }
    .into_message(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_find_their_case_by_token_or_number() {
        let id = Uuid::from_u128(0x0192_f7a0_0000_7000_8000_0000_0000_0042);
        assert_eq!(
            reply_token(&format!("Desk <reply+{}@replies.example.com>", id.simple())),
            Some(CaseId(id))
        );
        assert_eq!(reply_token("reply+1234@x.example"), None);
        assert_eq!(reply_token("desk@x.example"), None);
        assert_eq!(
            case_number_in("Re: Your delivery is delayed [CASE-000042]"),
            Some("CASE-000042".into())
        );
        assert_eq!(case_number_in("Re: [CASE-]"), None);
        assert_eq!(case_number_in("Re: [CASE-12x]"), None);
    }
}
