//! The templates the product ships (`messages/defaults.toml`, English) and the choice of the
//! template for a message among a tenant's own and those.

use super::template::{Audience, Channel, Template};
use serde::Deserialize;
use std::sync::OnceLock;

/// The shipped templates, as data: wording is edited there, not in code.
const DEFAULTS_TOML: &str = include_str!("../../messages/defaults.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsFile {
    template: Vec<Template>,
}

/// The default templates, parsed once. The file is part of the build and its tests check and
/// render every template in it, so a failure to parse is a bug in this crate.
pub fn defaults() -> &'static [Template] {
    static DEFAULTS: OnceLock<Vec<Template>> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        toml::from_str::<DefaultsFile>(DEFAULTS_TOML)
            .expect("messages/defaults.toml is valid")
            .template
    })
}

/// The language every default is written in, and the fallback for any other.
pub const FALLBACK_LANGUAGE: &str = "en";

/// The template for a message about a case of `case_type` to `audience` on `channel`, in
/// `language` where one exists.
///
/// Among the templates for that audience and channel, the first by, in this order:
/// 1. language: the requested one, then its primary language (`de` for `de-AT`), then
///    English; a reader is better served by a general message they can read than by a
///    precise one they cannot;
/// 2. case type: the exact type over `*`, so a catch-all fills the gaps and does not hide the
///    messages written for a type;
/// 3. source: the tenant's own over the defaults (an override of the same slot).
///
/// `None` when nothing fits. Within one rank the first in the slice wins (the store keeps one
/// template per slot, so this is no real choice).
pub fn pick<'a>(
    tenant_templates: &'a [Template],
    defaults: &'a [Template],
    case_type: &str,
    audience: Audience,
    channel: Channel,
    language: &str,
) -> Option<&'a Template> {
    let primary = language.split('-').next().unwrap_or(language);
    let language_rank = |t: &Template| {
        if t.language.eq_ignore_ascii_case(language) {
            Some(0)
        } else if t.language.eq_ignore_ascii_case(primary) {
            Some(1)
        } else if t.language.eq_ignore_ascii_case(FALLBACK_LANGUAGE) {
            Some(2)
        } else {
            None
        }
    };
    let type_rank = |t: &Template| {
        if t.case_type == case_type {
            Some(0)
        } else if t.is_for_any_case_type() {
            Some(1)
        } else {
            None
        }
    };
    let tenant = tenant_templates.iter().map(|t| (0, t));
    let shipped = defaults.iter().map(|t| (1, t));
    tenant
        .chain(shipped)
        .filter(|(_, t)| t.audience == audience && t.channel == channel)
        .filter_map(|(source, t)| Some(((language_rank(t)?, type_rank(t)?, source), t)))
        // `min_by_key` keeps the first of equals.
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, t)| t)
}
