//! The filters and tests a template's tags call, found by reading its tags: MiniJinja reports
//! an unknown filter or test only when the line runs, and a check at save time must also see
//! the lines a sample case does not reach.
//!
//! This reads only sources that MiniJinja has already compiled, so it can lean on them being
//! well formed; it follows the engine's lexer where that matters: strings are skipped, a tag
//! ends at its closing delimiter outside brackets, comments and `{% raw %}` blocks are text.

/// A filter (`{{ x|upper }}`, `{% filter upper %}`) or a test (`{% if x is none %}`) named in a
/// template, with the line it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call<'a> {
    Filter { name: &'a str, line: usize },
    Test { name: &'a str, line: usize },
}

impl<'a> Call<'a> {
    pub(crate) fn name_and_line(self) -> (&'a str, usize) {
        match self {
            Call::Filter { name, line } | Call::Test { name, line } => (name, line),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    /// A name, where it is, and whether a `.` came before it (an attribute, never a keyword).
    Word(&'a str, usize, bool),
    Pipe,
    /// A lone `=`: an assignment, which tells `{% set x = … %}` from a block `{% set x %}`.
    Assign,
}

/// One `{{ … }}` or `{% … %}` tag: whether it is a block tag, its tokens, and where it is.
struct Tag<'a> {
    is_block: bool,
    tokens: Vec<Token<'a>>,
    span: std::ops::Range<usize>,
}

impl<'a> Tag<'a> {
    /// The statement of a block tag (`if`, `endif`, `set`, …).
    fn keyword(&self) -> Option<&'a str> {
        match self.tokens.first() {
            Some(Token::Word(w, _, false)) if self.is_block => Some(w),
            _ => None,
        }
    }
}

/// The tags of `source` in order; comments and the insides of raw blocks are text.
fn tags(source: &str) -> Vec<Tag<'_>> {
    let bytes = source.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(open) = find(bytes, i, b"{") {
        let (close, is_block): (&[u8], bool) = match bytes.get(open + 1) {
            Some(b'{') => (b"}}", false),
            Some(b'%') => (b"%}", true),
            Some(b'#') => {
                i = find(bytes, open + 2, b"#}").map_or(bytes.len(), |end| end + 2);
                continue;
            }
            _ => {
                i = open + 1;
                continue;
            }
        };
        let (tokens, end) = tag_tokens(source, open + 2, close);
        i = end;
        let tag = Tag {
            is_block,
            tokens,
            span: open..end,
        };
        if tag.keyword() == Some("raw") {
            i = end_of_raw(source, end);
            continue;
        }
        tags.push(tag);
    }
    tags
}

fn line_at(source: &str, at: usize) -> usize {
    source[..at].matches('\n').count() + 1
}

/// Every filter and test the tags of `source` name, in order.
pub(crate) fn calls(source: &str) -> Vec<Call<'_>> {
    let mut calls = Vec::new();
    for tag in tags(source) {
        collect_calls(source, &tag, &mut calls);
    }
    calls
}

/// The line of the first tag that names `name` (a dotted variable path) as a whole, not as
/// the end of a longer path nor in the template's text.
pub(crate) fn line_of_name(source: &str, name: &str) -> Option<usize> {
    let part_of_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    tags(source).iter().find_map(|tag| {
        let inside = &source[tag.span.clone()];
        inside.match_indices(name).find_map(|(at, _)| {
            let before = inside[..at].chars().next_back();
            let after = inside[at + name.len()..].chars().next();
            let whole = !before.is_some_and(|c| part_of_name(c) || c == '.')
                && !after.is_some_and(part_of_name);
            whole.then(|| line_at(source, tag.span.start + at))
        })
    })
}

/// The statement of every block tag (`if`, `endif`, `set`, …) with its line.
pub(crate) fn statements(source: &str) -> Vec<(&str, usize)> {
    tags(source)
        .iter()
        .filter_map(|tag| match tag.tokens.first() {
            Some(Token::Word(keyword, at, false)) if tag.is_block => {
                Some((*keyword, line_at(source, *at)))
            }
            _ => None,
        })
        .collect()
}

/// The innermost block left open at the end of `source`, with the line of its opening tag:
/// where an "unexpected end of input" really is.
pub(crate) fn unclosed_block(source: &str) -> Option<(&str, usize)> {
    const OPENERS: [&str; 7] = ["if", "for", "filter", "with", "autoescape", "macro", "call"];
    let mut open: Vec<(&str, usize)> = Vec::new();
    for tag in tags(source) {
        let Some(keyword) = tag.keyword() else {
            continue;
        };
        let Some(Token::Word(_, at, _)) = tag.tokens.first() else {
            continue;
        };
        let block_set = keyword == "set" && !tag.tokens.contains(&Token::Assign);
        if OPENERS.contains(&keyword) || block_set {
            open.push((keyword, line_at(source, *at)));
        } else if let Some(opened) = keyword.strip_prefix("end")
            && open.last().is_some_and(|(k, _)| *k == opened)
        {
            open.pop();
        }
    }
    open.pop()
}

fn collect_calls<'a>(source: &str, tag: &Tag<'a>, out: &mut Vec<Call<'a>>) {
    let tokens = &tag.tokens;
    let word_at = |k: usize| match tokens.get(k) {
        Some(Token::Word(w, at, _)) => Some((*w, line_at(source, *at))),
        _ => None,
    };
    for (k, token) in tokens.iter().enumerate() {
        match token {
            Token::Pipe => {
                if let Some((name, line)) = word_at(k + 1) {
                    out.push(Call::Filter { name, line });
                }
            }
            // `{% filter upper %}` applies a filter to a block.
            Token::Word("filter", _, false) if k == 0 && tag.is_block => {
                if let Some((name, line)) = word_at(1) {
                    out.push(Call::Filter { name, line });
                }
            }
            Token::Word("is", _, false) => {
                let next = match word_at(k + 1) {
                    Some(("not", _)) => word_at(k + 2),
                    other => other,
                };
                if let Some((name, line)) = next {
                    out.push(Call::Test { name, line });
                }
            }
            Token::Word(..) | Token::Assign => {}
        }
    }
}

/// The words and pipes of one tag, from `start` (just after its opening delimiter), and the
/// offset after its closing delimiter.
fn tag_tokens<'a>(source: &'a str, start: usize, close: &[u8]) -> (Vec<Token<'a>>, usize) {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut after_dot = false;
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        if depth == 0 && bytes[i..].starts_with(close) {
            return (tokens, i + close.len());
        }
        match b {
            b'"' | b'\'' => {
                i = end_of_string(bytes, i);
                after_dot = false;
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'|' => tokens.push(Token::Pipe),
            b'=' if !matches!(bytes.get(i + 1), Some(b'='))
                && !matches!(
                    i.checked_sub(1).map(|p| bytes[p]),
                    Some(b'=' | b'!' | b'<' | b'>')
                ) =>
            {
                tokens.push(Token::Assign)
            }
            b'.' => {
                after_dot = true;
                i += 1;
                continue;
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let len = bytes[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                tokens.push(Token::Word(&source[i..i + len], i, after_dot));
                i += len;
                after_dot = false;
                continue;
            }
            b if b.is_ascii_digit() => {
                // A number, possibly with a fraction: its `.` is no attribute access.
                i += bytes[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'.')
                    .count();
                after_dot = false;
                continue;
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            after_dot = false;
        }
        i += 1;
    }
    (tokens, bytes.len())
}

/// The offset after a string literal starting at `start` (its quote), escapes included.
fn end_of_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The offset after the `{% endraw %}` that closes a raw block whose opening tag ends at `from`.
fn end_of_raw(source: &str, from: usize) -> usize {
    let bytes = source.as_bytes();
    let mut i = from;
    while let Some(open) = find(bytes, i, b"{%") {
        let inner = source[open + 2..]
            .trim_start_matches(['-', '+'])
            .trim_start();
        if let Some(rest) = inner.strip_prefix("endraw")
            && !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        {
            return find(bytes, open, b"%}").map_or(bytes.len(), |end| end + 2);
        }
        i = open + 2;
    }
    bytes.len()
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(source: &str) -> Vec<(&str, &str, usize)> {
        calls(source)
            .into_iter()
            .map(|c| match c {
                Call::Filter { name, line } => ("filter", name, line),
                Call::Test { name, line } => ("test", name, line),
            })
            .collect()
    }

    #[test]
    fn finds_filters_and_tests_with_their_lines() {
        let source = "Hi {{ order.customer_name|title }}\n\
            {% if shipment.eta is not none %}{{ shipment.eta | upper|trim }}{% endif %}\n\
            {% filter lower %}X{% endfilter %}{% if case.x is defined %}{% endif %}";
        assert_eq!(
            names(source),
            [
                ("filter", "title", 1),
                ("test", "none", 2),
                ("filter", "upper", 2),
                ("filter", "trim", 2),
                ("filter", "lower", 3),
                ("test", "defined", 3),
            ]
        );
    }

    #[test]
    fn names_are_found_in_tags_as_whole_paths() {
        let source = "Dear carrier,\n{{ shipment.carrier }}\n{{ order.number }}{{ carrier }}";
        assert_eq!(line_of_name(source, "carrier"), Some(3));
        assert_eq!(line_of_name(source, "number"), None);
        assert_eq!(line_of_name(source, "order"), Some(3));
        assert_eq!(line_of_name(source, "shipment.carrier"), Some(2));
    }

    #[test]
    fn strings_comments_raw_blocks_and_attributes_are_not_calls() {
        let source = "{{ 'a|b is c' }}{# {{ x|nope }} #}{% raw %}{{ y|nope }}{% endraw %}\
            {{ case.is }}{{ {'k': 1.5}['k'] }}{{ \"q\\\"|x\" }} text | with is pipes";
        assert_eq!(names(source), []);
        // After a raw block, tags count again.
        assert_eq!(
            names("{%- raw -%}{{ a|x }}{%- endraw -%}{{ b|y }}"),
            [("filter", "y", 1)]
        );
    }
}
