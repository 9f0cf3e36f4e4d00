//! A message template as a tenant saves it: what it says, for which case type, audience,
//! channel and language (its check is in `check`, above the renderer it uses).

use serde::{Deserialize, Serialize};

string_enum! {
    /// How a message goes out: an e-mail (subject, text and HTML bodies), or a plain-text
    /// message posted to a portal or a webhook.
    pub enum Channel (Exact) {
        Email = "email",
        Text = "text",
    }
    unknown(s) => format!("unknown channel '{s}'; expected email or text");
}

string_enum! {
    /// Whom a message is written for: the consignee who waits for the goods, the client
    /// (the tenant's own staff, the shipper), or the carrier moving the shipment.
    pub enum Audience (Exact) {
        Customer = "customer",
        Client = "client",
        Carrier = "carrier",
    }
    unknown(s) => format!("unknown audience '{s}'; expected customer, client or carrier");
}

/// Longest subject line: mail clients cut far shorter, and a longer one is a body pasted
/// in the wrong field.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest body: generous for operational text, small enough to render on every send.
pub const MAX_BODY_CHARS: usize = 20_000;
/// The case type of a template that serves every type without one of its own.
pub const ANY_CASE_TYPE: &str = "*";

/// A message template: what to say, for which case type, audience, channel and language.
/// The same value describes the product's defaults and a tenant's own templates; which
/// tenant it belongs to is the store's business.
///
/// Subject and body are MiniJinja templates over [`ALLOWED_VARIABLES`]; the body is plain
/// text (the HTML body of an e-mail is made from it when rendered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// What the message is, in a word (`delay_notice`): how people find and override it.
    pub name: String,
    /// A case type word (`delay_risk`), or `*` for any type.
    pub case_type: String,
    pub audience: Audience,
    pub channel: Channel,
    /// BCP 47 language tag (`en`, `de`, `pt-BR`).
    pub language: String,
    /// The subject line: required for e-mail, absent for text messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub body: String,
}

impl Template {
    /// Whether this template serves any case type.
    pub fn is_for_any_case_type(&self) -> bool {
        self.case_type == ANY_CASE_TYPE
    }
}
