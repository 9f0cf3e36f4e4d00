//! Crosswalks: carrier vocabularies (X12 214 AT7 codes, the 12-status model of open-source
//! multi-carrier APIs, the 9-tag model of tracking SaaS, a feed's own codes) mapped to status
//! and reason. They are data: CSV files in `crosswalks/`, compiled in, one row per source code.

use crate::reasons::{Accountable, REASONS};
use crate::shipment::ShipmentStatus;
use serde::Serialize;
use std::collections::HashMap;

/// What a source code means in Consign's words.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Mapped {
    /// `None`: the code changes no status (an estimated-delivery update, a normal reason).
    pub status: Option<ShipmentStatus>,
    pub reason: Option<&'static str>,
    pub accountable: Option<Accountable>,
    /// The code carries a new estimated delivery.
    pub eta_update: bool,
    /// No row for this code: the status becomes `unknown`, the raw code is kept and counted.
    pub unmapped: bool,
}

#[derive(Debug, Clone)]
struct StatusRow {
    status: Option<ShipmentStatus>,
    reason: Option<&'static str>,
    eta_update: bool,
}

#[derive(Debug, Clone)]
struct ReasonRow {
    reason: Option<&'static str>,
    accountable: Option<Accountable>,
    status_override: Option<ShipmentStatus>,
}

/// All crosswalks, parsed and checked.
#[derive(Debug, Clone)]
pub struct Crosswalks {
    x12_status: HashMap<String, StatusRow>,
    x12_reason: HashMap<String, ReasonRow>,
    open12: HashMap<String, StatusRow>,
    open12_reason: HashMap<String, ReasonRow>,
    saas: HashMap<String, StatusRow>,
}

pub const X12_214_STATUS: &str = include_str!("../../crosswalks/x12_214_status.csv");
pub const X12_214_REASON: &str = include_str!("../../crosswalks/x12_214_reason.csv");
pub const OPEN_SOURCE_12: &str = include_str!("../../crosswalks/open_source_12.csv");
pub const OPEN_SOURCE_12_REASONS: &str =
    include_str!("../../crosswalks/open_source_12_reasons.csv");
pub const TRACKING_SAAS_9TAG: &str = include_str!("../../crosswalks/tracking_saas_9tag.csv");

pub(crate) fn reason_word(s: &str) -> Result<Option<&'static str>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    REASONS
        .iter()
        .find(|(r, _)| *r == s)
        .map(|(r, _)| Some(*r))
        .ok_or_else(|| format!("unknown reason '{s}'"))
}

fn status_word(s: &str) -> Result<Option<ShipmentStatus>, String> {
    if s.is_empty() {
        Ok(None)
    } else {
        ShipmentStatus::parse(s).map(Some)
    }
}

/// Rows of a crosswalk file: `(line, columns)`, with the header checked.
fn rows<'a>(
    name: &str,
    text: &'a str,
    header: &[&str],
) -> Result<Vec<(usize, Vec<&'a str>)>, String> {
    let mut lines = text.lines().enumerate();
    let (_, head) = lines.next().ok_or_else(|| format!("{name}: empty"))?;
    let got: Vec<&str> = head.split(',').collect();
    if got != header {
        return Err(format!(
            "{name} line 1: header is {got:?}, expected {header:?}"
        ));
    }
    let mut out = Vec::new();
    for (i, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = l.split(',').map(str::trim).collect();
        if cols.len() != header.len() {
            return Err(format!(
                "{name} line {}: {} columns, expected {}",
                i + 1,
                cols.len(),
                header.len()
            ));
        }
        out.push((i + 1, cols));
    }
    Ok(out)
}

fn status_table(
    name: &str,
    text: &str,
    header: &[&str],
) -> Result<HashMap<String, StatusRow>, String> {
    let mut map = HashMap::new();
    for (line, c) in rows(name, text, header)? {
        let at = |e: String| format!("{name} line {line}: {e}");
        let row = StatusRow {
            status: status_word(c[1]).map_err(at)?,
            reason: reason_word(c[2]).map_err(at)?,
            eta_update: header.get(3) == Some(&"eta_update") && c[3] == "true",
        };
        if row.status.is_none() && !row.eta_update {
            return Err(at("a row must set a status or be an ETA update".into()));
        }
        if map.insert(c[0].to_string(), row).is_some() {
            return Err(at(format!("code '{}' appears twice", c[0])));
        }
    }
    Ok(map)
}

fn reason_table(
    name: &str,
    text: &str,
    header: &[&str],
) -> Result<HashMap<String, ReasonRow>, String> {
    let mut map = HashMap::new();
    for (line, c) in rows(name, text, header)? {
        let at = |e: String| format!("{name} line {line}: {e}");
        let reason = reason_word(c[1]).map_err(at)?;
        let accountable = if c[2].is_empty() {
            None
        } else {
            Some(Accountable::parse(c[2]).map_err(at)?)
        };
        let status_override = if header.get(3) == Some(&"status_override") {
            status_word(c[3]).map_err(at)?
        } else {
            None
        };
        if map
            .insert(
                c[0].to_string(),
                ReasonRow {
                    reason,
                    accountable,
                    status_override,
                },
            )
            .is_some()
        {
            return Err(at(format!("code '{}' appears twice", c[0])));
        }
    }
    Ok(map)
}

impl Crosswalks {
    /// The crosswalks shipped with Consign. Fails (naming file and line) if a file is malformed.
    pub fn builtin() -> Result<Self, String> {
        Ok(Crosswalks {
            x12_status: status_table(
                "x12_214_status.csv",
                X12_214_STATUS,
                &["code", "status", "reason", "eta_update", "description"],
            )?,
            x12_reason: reason_table(
                "x12_214_reason.csv",
                X12_214_REASON,
                &[
                    "code",
                    "reason",
                    "accountable",
                    "status_override",
                    "description",
                ],
            )?,
            open12: status_table(
                "open_source_12.csv",
                OPEN_SOURCE_12,
                &["code", "status", "reason", "description"],
            )?,
            open12_reason: reason_table(
                "open_source_12_reasons.csv",
                OPEN_SOURCE_12_REASONS,
                &["code", "reason", "accountable", "description"],
            )?,
            saas: status_table(
                "tracking_saas_9tag.csv",
                TRACKING_SAAS_9TAG,
                &["code", "status", "reason", "description"],
            )?,
        })
    }

    fn combine(
        status: Option<&StatusRow>,
        reason: Option<&ReasonRow>,
        has_status_code: bool,
    ) -> Mapped {
        let mut m = Mapped::default();
        match status {
            Some(s) => {
                m.status = s.status;
                m.reason = s.reason;
                m.eta_update = s.eta_update;
            }
            None if has_status_code => {
                m.status = Some(ShipmentStatus::Unknown);
                m.unmapped = true;
            }
            None => {}
        }
        if let Some(r) = reason {
            if r.reason.is_some() && r.reason != Some("normal") {
                m.reason = r.reason;
            }
            if let Some(o) = r.status_override
                && m.status.is_some_and(|s| !s.is_terminal())
            {
                m.status = Some(o);
            }
            m.accountable = r.accountable;
        }
        if m.accountable.is_none() {
            m.accountable = m
                .reason
                .and_then(|r| REASONS.iter().find(|(x, _)| *x == r).and_then(|(_, a)| *a));
        }
        m
    }

    /// X12 214: AT7-01 status code and AT7-02 reason code (or AT7-03/AT7-04 for appointments,
    /// which carry no status).
    pub fn x12(&self, status_code: &str, reason_code: &str) -> Mapped {
        let s = status_code.trim();
        let mut m = Self::combine(
            self.x12_status.get(s),
            self.x12_reason.get(reason_code.trim()),
            !s.is_empty(),
        );
        if !reason_code.trim().is_empty() && !self.x12_reason.contains_key(reason_code.trim()) {
            m.unmapped = true;
        }
        m
    }

    /// The 12-status vocabulary of open-source multi-carrier APIs, with its incident reasons.
    pub fn open_source(&self, status: &str, reason: &str) -> Mapped {
        Self::combine(
            self.open12.get(status.trim()),
            self.open12_reason.get(reason.trim()),
            true,
        )
    }

    /// The 9-tag vocabulary of tracking SaaS: `Tag` or `Tag_NNN` subtags (falls back to the tag).
    pub fn tracking_saas(&self, tag: &str, subtag: &str) -> Mapped {
        let row = self
            .saas
            .get(subtag.trim())
            .or_else(|| self.saas.get(tag.trim()));
        Self::combine(row, None, true)
    }

    /// Every code of each crosswalk, for coverage reports.
    pub fn codes(&self) -> [(&'static str, Vec<&str>); 3] {
        fn keys(m: &HashMap<String, StatusRow>) -> Vec<&str> {
            let mut v: Vec<&str> = m.keys().map(String::as_str).collect();
            v.sort_unstable();
            v
        }
        [
            ("x12_214", keys(&self.x12_status)),
            ("open_source_12", keys(&self.open12)),
            ("tracking_saas_9tag", keys(&self.saas)),
        ]
    }
}

/// A per-feed crosswalk: one carrier's native codes (a CSV or portal export) to status and
/// reason, loaded from a data file with the same columns as the shipped JSON crosswalks.
#[derive(Debug, Clone)]
pub struct FeedCrosswalk {
    pub name: String,
    rows: HashMap<String, StatusRow>,
}

impl FeedCrosswalk {
    pub fn parse(name: &str, text: &str) -> Result<Self, String> {
        Ok(FeedCrosswalk {
            name: name.to_string(),
            rows: status_table(name, text, &["code", "status", "reason", "description"])?,
        })
    }

    /// Unknown codes become `unknown`, flagged unmapped.
    pub fn map(&self, code: &str) -> Mapped {
        Crosswalks::combine(self.rows.get(code.trim()), None, true)
    }

    pub fn codes(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.rows.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

/// Example per-feed crosswalk shipped with Consign: an LTL carrier's terminal codes.
pub const FEED_LTL_TERMINAL_CODES: &str =
    include_str!("../../crosswalks/feeds/ltl_terminal_codes.csv");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_crosswalks_name_the_line() {
        let e = status_table(
            "t.csv",
            "code,status,reason,description\nX,teleported,,x\n",
            &["code", "status", "reason", "description"],
        )
        .unwrap_err();
        assert!(
            e.starts_with("t.csv line 2: unknown shipment status 'teleported'"),
            "{e}"
        );
        let e = status_table(
            "t.csv",
            "code,status,reason,description\nX,delivered,,x\nX,delivered,,y\n",
            &["code", "status", "reason", "description"],
        )
        .unwrap_err();
        assert!(e.contains("line 3") && e.contains("twice"), "{e}");
    }
}
