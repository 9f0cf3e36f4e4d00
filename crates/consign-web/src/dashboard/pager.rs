//! Paging a list both ways and saying how many records match. Lists page by keyset (the
//! cursor is the last row's id), which cannot step back by itself; so each page's link
//! carries the cursors of the pages before it (`trail`), and "newer" pops the last one. The
//! position and the count come from the same filter the list used, counted up to
//! [`consign_app::COUNT_CAP`].

use super::{query_value, thousands};
use std::collections::HashMap;

/// The marker of the first page in `trail` (it has no cursor).
const FIRST: &str = "-";

/// Where a list page stands: "51–100 of 3,412", and the links to the pages around it.
pub(super) struct Pager {
    pub shown: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the list's address with its filters (`?q=…&status=…`, no cursor); `rows` is
    /// how many this page shows, `total` the filter's count, `next_cursor` the cursor of the
    /// page after this one, if there is one.
    pub(super) fn new(
        q: &HashMap<String, String>,
        base: &str,
        rows: usize,
        limit: u32,
        total: u64,
        next_cursor: Option<String>,
    ) -> Pager {
        let cursor = q.get("cursor").filter(|c| !c.is_empty());
        let trail: Vec<&str> = match cursor {
            Some(_) => q
                .get("trail")
                .map(|b| b.split(',').filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        // A cursor without its trail (an old link, a bookmark) still pages on; only the
        // position is unknown, and "newer" goes to the first page.
        let known = cursor.is_none() || !trail.is_empty();
        let page = if cursor.is_some() { trail.len() + 1 } else { 1 };
        let sep = if base.contains('?') { "&" } else { "?" };
        let link = |cursor: &str, before: &[&str]| {
            if cursor == FIRST {
                base.to_string()
            } else {
                format!(
                    "{base}{sep}cursor={}&trail={}",
                    query_value(cursor),
                    query_value(&before.join(","))
                )
            }
        };
        let prev = cursor.map(|_| match trail.split_last() {
            Some((last, rest)) => link(last, rest),
            None => base.to_string(),
        });
        let next = next_cursor.map(|n| {
            let mut longer = trail.clone();
            longer.push(cursor.map(String::as_str).unwrap_or(FIRST));
            link(&n, &longer)
        });
        let count = if total >= consign_app::COUNT_CAP as u64 {
            format!("{}+", thousands(total))
        } else {
            thousands(total)
        };
        let shown = match (rows, known) {
            (0, _) if total == 0 => "none match".to_string(),
            (0, _) => format!("no more: {count} match"),
            (n, true) => {
                let first = (page - 1) * limit as usize + 1;
                format!(
                    "{}–{} of {count}",
                    thousands(first as u64),
                    thousands((first + n - 1) as u64)
                )
            }
            (n, false) => format!("{} shown of {count}", thousands(n as u64)),
        };
        Pager { shown, prev, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pages_forward_and_back_through_the_trail() {
        let first = Pager::new(&q(&[]), "?status=x", 50, 50, 120, Some("c1".into()));
        assert_eq!(first.shown, "1–50 of 120");
        assert_eq!(first.prev, None);
        assert_eq!(first.next.as_deref(), Some("?status=x&cursor=c1&trail=-"));
        let second = Pager::new(
            &q(&[("cursor", "c1"), ("trail", "-")]),
            "?status=x",
            50,
            50,
            120,
            Some("c2".into()),
        );
        assert_eq!(second.shown, "51–100 of 120");
        assert_eq!(second.prev.as_deref(), Some("?status=x"));
        assert_eq!(
            second.next.as_deref(),
            Some("?status=x&cursor=c2&trail=-%2Cc1")
        );
        let third = Pager::new(
            &q(&[("cursor", "c2"), ("trail", "-,c1")]),
            "?status=x",
            20,
            50,
            120,
            None,
        );
        assert_eq!(third.shown, "101–120 of 120");
        assert_eq!(third.prev.as_deref(), Some("?status=x&cursor=c1&trail=-"));
        assert_eq!(third.next, None);
    }

    #[test]
    fn says_when_the_count_stopped_and_when_nothing_matches() {
        let capped = Pager::new(&q(&[]), "/x", 50, 50, 10_000, Some("c".into()));
        assert_eq!(capped.shown, "1–50 of 10,000+");
        assert_eq!(capped.next.as_deref(), Some("/x?cursor=c&trail=-"));
        let none = Pager::new(&q(&[]), "/x", 0, 50, 0, None);
        assert_eq!(none.shown, "none match");
        let lost = Pager::new(&q(&[("cursor", "c9")]), "/x", 10, 50, 70, None);
        assert_eq!(lost.shown, "10 shown of 70");
        assert_eq!(lost.prev.as_deref(), Some("/x"));
    }
}
