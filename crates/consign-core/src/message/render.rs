//! Rendering a checked template for one case: the subject line, the plain-text body and, for
//! e-mail, an HTML body made from the text with everything escaped.
//!
//! The HTML body is the rendered text escaped as a whole, not a second rendering with
//! MiniJinja's auto-escaping: auto-escaping escapes the values only, and a plain-text body's
//! own words (`parcels < 5 kg`) need escaping as much as a customer's name does. Escaping the
//! finished text covers both, once, and nothing in a template (`|safe`, `{% autoescape %}`)
//! can switch it off.
//!
//! Rendering reads no clock and no locale: the same template and context give the same bytes,
//! so a message rendered into the outbox and rendered again for a preview agree.

use super::template::{Channel, Template};
use super::variables::{MessageContext, is_nothing};
use minijinja::value::Value;
use minijinja::{Environment, Error, UndefinedBehavior};
use std::sync::OnceLock;

/// The filters templates may use: text shaping only. Everything else a message needs is
/// already a finished string in the context.
pub const FILTERS: &[&str] = &[
    "upper",
    "lower",
    "title",
    "capitalize",
    "trim",
    "replace",
    "default",
];

/// The tests templates may use after `is` (`{% if shipment.eta is none %}`).
pub const TESTS: &[&str] = &["defined", "undefined", "none"];

/// Instructions one rendering may run. Templates have no lists to loop over, but a tenant's
/// template can still loop over a string's characters; this bounds what a save can cost.
const FUEL: u64 = 200_000;

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rendered {
    /// One line (line breaks from values become spaces); `None` for text messages.
    pub subject: Option<String>,
    pub body_text: String,
    /// For e-mail: `body_text` escaped, paragraphs as `<p>`, line breaks inside them as
    /// `<br>`. A fragment for the mailer's layout, not a whole document.
    pub body_html: Option<String>,
}

/// A template that failed for this context. A checked template fails only if it was saved
/// before a variable was removed, or if a value trips a filter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RenderError {
    /// `subject` or `body`.
    pub field: &'static str,
    /// What went wrong, with the line when the engine knows it.
    pub reason: String,
}

/// The one environment every check and rendering uses, so that what was checked is what runs.
pub(crate) fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        // `empty` starts without filters, tests or globals: templates get exactly the lists
        // above, and no functions at all (`range`, `debug`, `namespace`).
        let mut env = Environment::empty();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Block tags on lines of their own leave no blank line behind in a text body.
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_fuel(Some(FUEL));
        // `none` prints as nothing rather than "none" when a template prints an optional value
        // without a guard; an absent section too.
        env.set_formatter(|out, state, value| {
            if is_nothing(value) {
                Ok(())
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        env.add_filter("upper", minijinja::filters::upper);
        env.add_filter("lower", minijinja::filters::lower);
        env.add_filter("title", minijinja::filters::title);
        env.add_filter("capitalize", minijinja::filters::capitalize);
        env.add_filter("trim", minijinja::filters::trim);
        env.add_filter("replace", minijinja::filters::replace);
        env.add_filter("default", minijinja::filters::default);
        env.add_test("defined", minijinja::tests::is_defined);
        env.add_test("undefined", minijinja::tests::is_undefined);
        env.add_test("none", |v: &Value| is_nothing(v));
        env
    })
}

/// `line 3: syntax error: unexpected end of input, expected end of block`.
pub(crate) fn describe(e: &Error) -> String {
    let what = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    match e.line() {
        Some(line) => format!("line {line}: {what}"),
        None => what,
    }
}

/// Renders `template` for `context`. E-mail gets its subject and an HTML body; a text
/// message gets its body only.
pub fn render(template: &Template, context: &MessageContext) -> Result<Rendered, RenderError> {
    let values = context.to_value();
    let run = |field: &'static str, source: &str| {
        environment()
            .render_named_str(field, source, &values)
            .map_err(|e| RenderError {
                field,
                reason: describe(&e),
            })
    };
    let body_text = tidy(&run("body", &template.body)?);
    match template.channel {
        Channel::Email => {
            let subject = run("subject", template.subject.as_deref().unwrap_or(""))?;
            Ok(Rendered {
                subject: Some(one_line(&subject)),
                body_html: Some(to_html(&body_text)),
                body_text,
            })
        }
        Channel::Text => Ok(Rendered {
            subject: None,
            body_text,
            body_html: None,
        }),
    }
}

/// A subject on one line: a value with a line break (a description, a name typed badly) must
/// not break the header it goes into.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Plain text as a reader should get it when optional parts were left out: no trailing
/// spaces, no run of blank lines, no blank lines at either end, `\n` line ends.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = false;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank_run = !out.is_empty();
            continue;
        }
        if blank_run {
            out.push('\n');
            blank_run = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

/// The text body as HTML: blank lines separate paragraphs, other line breaks become `<br>`,
/// and every character that means something in HTML is escaped, whether it came from a value
/// (a customer named `<script>`) or from the template's own text (`< 5 kg`).
/// A plain-text body as the HTML fragment an e-mail's HTML part carries (escaped, paragraphs
/// and line breaks kept): for free text an agent writes.
pub fn html_of_text(text: &str) -> String {
    to_html(text)
}

fn to_html(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            let lines: Vec<String> = paragraph.lines().map(escape_html).collect();
            format!("<p>{}</p>", lines.join("<br>\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_drops_the_gaps_left_by_optional_parts() {
        assert_eq!(
            tidy("\n\nHello,  \n\n\n\nLine one\nLine two\t\n\n\nBye\n\n"),
            "Hello,\n\nLine one\nLine two\n\nBye"
        );
        assert_eq!(tidy("a\r\nb"), "a\nb");
        assert_eq!(tidy(""), "");
    }

    #[test]
    fn html_has_paragraphs_line_breaks_and_escapes() {
        assert_eq!(
            to_html("Dear <b>Jo</b> & co,\n\nLine 'one'\nLine \"two\""),
            "<p>Dear &lt;b&gt;Jo&lt;/b&gt; &amp; co,</p>\n\
             <p>Line &#39;one&#39;<br>\nLine &quot;two&quot;</p>"
        );
    }
}
