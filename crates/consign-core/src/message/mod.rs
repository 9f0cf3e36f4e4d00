//! Messages (SPEC §6). Templates: what a case's e-mails and text messages say, per tenant,
//! case type, audience, channel and language, rendered with MiniJinja from a fixed set of
//! variables.
//!
//! - [`template`]: the [`Template`] a tenant saves; `check` holds [`Template::check`], which
//!   refuses what would fail later (syntax, unknown variables, filters and tests).
//! - [`variables`]: the [`MessageContext`] built from the case, its shipment and order, and
//!   [`ALLOWED_VARIABLES`], the one list of what templates may name.
//! - [`render`](mod@render): a template and a context to a subject, a text body and an HTML
//!   body.
//! - [`defaults`](mod@defaults): the templates the product ships (`messages/defaults.toml`) and
//!   [`pick`], the choice between a tenant's templates and those.
//! - [`sample`]: sample contexts for checks and previews.
//!
//! Delivery (SPEC §6): [`outbox`] holds what one message to deliver is, the event types and the
//! retry schedule; [`endpoint`] the webhook endpoints and the addresses they may not reach;
//! [`webhook`] the Standard Webhooks signature.
//!
//! Undefined is an error, absent is not: a name outside [`ALLOWED_VARIABLES`] is refused when
//! the template is saved and fails if rendered anyway (strict undefined), while a variable the
//! case simply has no value for (no shipment, no ETA) is `none`, prints as nothing and is false
//! in `{% if %}`.

mod check;
pub mod defaults;
pub mod endpoint;
pub mod outbox;
pub mod render;
pub mod sample;
mod syntax;
pub mod template;
pub mod variables;
pub mod webhook;

pub use defaults::{defaults, pick};
pub use render::{RenderError, Rendered, render};
pub use template::{Audience, Channel, Template};
pub use variables::{ALLOWED_VARIABLES, MessageContext, MessageFacts, ShipmentFacts};

#[cfg(test)]
mod check_tests;
#[cfg(test)]
mod defaults_tests;
#[cfg(test)]
mod tests;
