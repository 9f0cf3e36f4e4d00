//! The check that refuses a message template that would fail or say something undefined
//! when a case later sends it: it compiles and renders the template, so it sits above both
//! `template` and `render`.

use super::render::{self, environment};
use super::syntax::{self, Call};
use super::template::{Channel, MAX_BODY_CHARS, MAX_SUBJECT_CHARS, Template};
use super::variables::{ALLOWED_VARIABLES, is_allowed_variable};
use crate::Invalid;

impl Template {
    /// Refuses a template that could not be sent: bad words in its fields, a missing or
    /// superfluous subject, text too long, a syntax error (with its line), a variable, filter
    /// or test that does not exist, or an error when rendered for a sample case with and
    /// without shipment and order. Every problem found is reported, by field.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut inv = Invalid::default();
        check_word(&self.name, "name", &mut inv);
        if !self.is_for_any_case_type() {
            check_word(&self.case_type, "case_type", &mut inv);
        }
        check_language(&self.language, "language", &mut inv);
        let subject = self.subject.as_deref().unwrap_or("");
        match self.channel {
            Channel::Email if subject.trim().is_empty() => {
                inv.push("subject", "an e-mail template needs a subject");
            }
            Channel::Email if subject.contains(['\n', '\r']) => {
                inv.push("subject", "must be one line");
            }
            Channel::Email => check_source("subject", subject, MAX_SUBJECT_CHARS, &mut inv),
            Channel::Text if !subject.is_empty() => {
                inv.push("subject", "a text message has no subject; leave it out");
            }
            Channel::Text => {}
        }
        if self.body.trim().is_empty() {
            inv.push("body", "must not be empty");
        } else {
            check_source("body", &self.body, MAX_BODY_CHARS, &mut inv);
        }
        inv.into_result(())
    }
}

/// Names and case types: the rulebook's alphabet for case types.
fn check_word(word: &str, field: &str, inv: &mut Invalid) {
    let ok = (1..=64).contains(&word.len())
        && word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        inv.push(
            field,
            format!(
                "'{word}' must be 1-64 lower-case letters, digits and '_', starting with a letter"
            ),
        );
    }
}

/// A simple BCP 47 shape: a 2-3 letter lower-case language, then subtags of 2-8 letters or
/// digits (`en`, `en-GB`, `zh-Hant`, `es-419`). Enough to keep typos out; which languages a
/// tenant writes in is theirs to say.
fn check_language(tag: &str, field: &str, inv: &mut Invalid) {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    let ok = (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && parts
            .all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !ok {
        inv.push(
            field,
            format!("'{tag}' is not a language tag like en, de or pt-BR"),
        );
    }
}

/// The statements a message may use. Escaping is the renderer's (the text body has none, the
/// HTML body escapes everything), so `autoescape` is not among them; the engine is built
/// without includes, macros and loop controls, which are syntax errors.
const STATEMENTS: &[&str] = &[
    "if",
    "elif",
    "else",
    "endif",
    "for",
    "endfor",
    "set",
    "endset",
    "filter",
    "endfilter",
    "with",
    "endwith",
];

/// Checks one template source (`subject` or `body`), pushing its problems under `field`.
fn check_source(field: &str, source: &str, max_chars: usize, inv: &mut Invalid) {
    let chars = source.chars().count();
    if chars > max_chars {
        inv.push(
            field,
            format!("{chars} characters is above the limit of {max_chars}"),
        );
        return;
    }
    let env = environment();
    let compiled = match env.template_from_named_str(field, source) {
        Ok(t) => t,
        Err(e) => {
            inv.push(field, compile_error(source, &e));
            return;
        }
    };
    let before = inv.errors.len();
    let mut unknown: Vec<String> = compiled
        .undeclared_variables(true)
        .into_iter()
        .filter(|v| !is_allowed_variable(v))
        .collect();
    unknown.sort();
    for name in unknown {
        inv.push(field, unknown_variable(source, &name));
    }
    for call in syntax::calls(source) {
        let (kind, known) = match call {
            Call::Filter { .. } => ("filter", render::FILTERS),
            Call::Test { .. } => ("test", render::TESTS),
        };
        let (name, line) = call.name_and_line();
        if !known.contains(&name) {
            inv.push(
                field,
                format!(
                    "line {line}: unknown {kind} '{name}'; the {kind}s are {}",
                    known.join(", ")
                ),
            );
        }
    }
    for (keyword, line) in syntax::statements(source) {
        if !STATEMENTS.contains(&keyword) {
            inv.push(
                field,
                format!(
                    "line {line}: '{{% {keyword} %}}' is not available in messages; the statements are {}",
                    STATEMENTS.join(", ")
                ),
            );
        }
    }
    if inv.errors.len() > before {
        return;
    }
    // What static analysis cannot see (a filter given the wrong arguments, a comparison of
    // unlike values) shows when the template runs; a case with every optional value and one
    // with none take both sides of the usual `{% if %}`s.
    for sample in [super::sample::full(), super::sample::bare()] {
        if let Err(e) = compiled.render(sample.to_value()) {
            inv.push(field, render::describe(&e));
            return;
        }
    }
}

/// A syntax error with its line. The engine places an unclosed block at the end of the
/// input; the author needs the line that opened it.
fn compile_error(source: &str, e: &minijinja::Error) -> String {
    let at_end = e
        .detail()
        .is_some_and(|d| d.contains("unexpected end of input"));
    match syntax::unclosed_block(source) {
        Some((keyword, line)) if at_end => format!(
            "line {line}: syntax error: '{{% {keyword} %}}' is never closed with \
             '{{% end{keyword} %}}' ({})",
            e.detail().unwrap_or_default()
        ),
        _ => render::describe(e),
    }
}

/// `unknown variable 'case.numbr' (line 2); did you mean 'case.number'?`
fn unknown_variable(source: &str, name: &str) -> String {
    let mut reason = String::new();
    if let Some(line) = syntax::line_of_name(source, name) {
        reason.push_str(&format!("line {line}: "));
    }
    reason.push_str(&format!("unknown variable '{name}'"));
    let nearest = ALLOWED_VARIABLES
        .iter()
        .map(|v| (edit_distance(v, name), *v))
        .min();
    match nearest {
        Some((d, v)) if d <= 2 => reason.push_str(&format!("; did you mean '{v}'?")),
        _ => reason.push_str("; see the list of message variables"),
    }
    reason
}

/// Levenshtein distance, for "did you mean" (names are short, so the plain table is fine).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("case.number", "case.numbr"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn language_tags() {
        for ok in ["en", "de", "pt-BR", "zh-Hant", "es-419", "gsw"] {
            let mut inv = Invalid::default();
            check_language(ok, "language", &mut inv);
            assert!(inv.is_empty(), "{ok}");
        }
        for bad in ["", "EN", "english", "en_GB", "en-", "e", "en-toolongsubtag"] {
            let mut inv = Invalid::default();
            check_language(bad, "language", &mut inv);
            assert_eq!(inv.fields(), ["language"], "{bad}");
        }
    }
}
