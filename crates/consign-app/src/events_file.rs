//! Tracking events from files (`consign import events`): CSV with canonical columns, where a
//! `code` column is mapped through a per-feed crosswalk, or JSON lines of the API's event
//! shape. The whole file is checked first; every bad row is reported (line, column, reason).

use crate::import::{Format, RowError};
use consign_core::Invalid;
use consign_core::shipment::ShipmentStatus;
use consign_core::tracking::{
    FeedCrosswalk, Mapped, MappedEvent, NewTrackingEvent, REASONS, canonical_raw_code,
    reason_static,
};
use jiff::Timestamp;

const COLUMNS: [&str; 10] = [
    "carrier",
    "tracking_number",
    "occurred_at",
    "status",
    "reason",
    "code",
    "eta",
    "location",
    "description",
    "message_id",
];

fn err(line: u64, field: &str, reason: impl Into<String>) -> RowError {
    RowError {
        line,
        field: field.into(),
        reason: reason.into(),
    }
}

fn instant(s: &str) -> Result<Timestamp, String> {
    s.parse::<Timestamp>().map_err(|_| {
        format!("'{s}' is not an RFC 3339 instant with an offset (2026-11-20T14:05:00-05:00)")
    })
}

/// Reads a whole events file. `feed` maps the `code` column when present.
pub fn read_events(
    bytes: &[u8],
    format: Format,
    feed: Option<&FeedCrosswalk>,
) -> Result<Vec<(String, MappedEvent)>, Vec<RowError>> {
    match format {
        Format::JsonLines => read_jsonl(bytes),
        Format::Csv => read_csv(bytes, feed),
    }
}

fn read_jsonl(bytes: &[u8]) -> Result<Vec<(String, MappedEvent)>, Vec<RowError>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| vec![err(0, "", format!("not UTF-8 at byte {}", e.valid_up_to()))])?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let line = i as u64 + 1;
        if l.trim().is_empty() {
            continue;
        }
        let d = &mut serde_json::Deserializer::from_str(l);
        match serde_path_to_error::deserialize::<_, NewTrackingEvent>(d) {
            Err(e) => errors.push(err(line, &e.path().to_string(), e.inner().to_string())),
            Ok(e) => {
                let mut inv = Invalid::default();
                match e.into_mapped("", &mut inv) {
                    Some(m) => out.push((format!("line {line}"), m)),
                    None => errors.extend(
                        inv.errors
                            .into_iter()
                            .map(|f| err(line, &f.field, f.reason)),
                    ),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn read_csv(
    bytes: &[u8],
    feed: Option<&FeedCrosswalk>,
) -> Result<Vec<(String, MappedEvent)>, Vec<RowError>> {
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = r
        .headers()
        .map_err(|e| vec![err(1, "", format!("cannot read the header: {e}"))])?
        .clone();
    let mut errors = Vec::new();
    let mut idx = std::collections::HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        if !COLUMNS.contains(&h) {
            errors.push(err(
                1,
                h,
                format!("unknown column; expected {}", COLUMNS.join(", ")),
            ));
        }
        idx.insert(h.to_string(), i);
    }
    for need in ["carrier", "tracking_number", "occurred_at"] {
        if !idx.contains_key(need) {
            errors.push(err(1, need, "required column is missing"));
        }
    }
    if idx.contains_key("code") && feed.is_none() {
        errors.push(err(
            1,
            "code",
            "a code column needs a feed crosswalk (--codes FILE) to map it",
        ));
    }
    if !idx.contains_key("status") && !idx.contains_key("code") && !idx.contains_key("eta") {
        errors.push(err(
            1,
            "status",
            "the file needs a status, code or eta column",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Vec::new();
    // Blank lines are skipped and a quoted description may span lines: counting records would
    // name the wrong line.
    let mut lines = crate::import::LineCounter::new(bytes);
    let mut rec = csv::StringRecord::new();
    loop {
        match r.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = lines.line_of(r.position().byte(), rec.iter().map(str::as_bytes));
                errors.push(err(line, "", e.to_string()));
                continue;
            }
        }
        let line = lines.line_of(r.position().byte(), rec.iter().map(str::as_bytes));
        let get = |c: &str| {
            idx.get(c)
                .and_then(|i| rec.get(*i))
                .map(str::trim)
                .unwrap_or("")
        };
        let mut row_ok = true;
        let mut fail = |f: &str, reason: String| {
            errors.push(err(line, f, reason));
            row_ok = false;
        };
        let occurred_at = match instant(get("occurred_at")) {
            Ok(t) => Some(t),
            Err(e) => {
                fail("occurred_at", e);
                None
            }
        };
        let eta = match get("eta") {
            "" => None,
            s => match instant(s) {
                Ok(t) => Some(t),
                Err(e) => {
                    fail("eta", e);
                    None
                }
            },
        };
        let code = get("code");
        let mut mapped = if !code.is_empty() {
            feed.map(|f| f.map(code)).unwrap_or_default()
        } else {
            Mapped::default()
        };
        match get("status") {
            "" => {}
            s => match ShipmentStatus::parse(s) {
                Ok(st) => {
                    mapped.status = Some(st);
                    mapped.unmapped = false;
                }
                Err(e) => fail("status", e),
            },
        }
        match get("reason") {
            "" => {}
            s => match reason_static(s) {
                Some(r) => mapped.reason = Some(r),
                None => fail(
                    "reason",
                    format!(
                        "unknown reason '{s}'; expected one of {}",
                        REASONS.map(|(r, _)| r).join(", ")
                    ),
                ),
            },
        }
        if mapped.accountable.is_none() {
            mapped.accountable = mapped
                .reason
                .and_then(|r| REASONS.iter().find(|(x, _)| *x == r).and_then(|(_, a)| *a));
        }
        mapped.eta_update = eta.is_some();
        if get("tracking_number").is_empty() {
            fail("tracking_number", "must not be empty".into());
        }
        if get("carrier").is_empty() {
            fail("carrier", "must not be empty".into());
        }
        let (Some(occurred_at), true) = (occurred_at, row_ok) else {
            continue;
        };
        let raw_code = if code.is_empty() {
            canonical_raw_code(mapped.status, mapped.reason)
        } else {
            code.to_string()
        };
        out.push((
            format!("line {line}"),
            MappedEvent {
                carrier: get("carrier").to_string(),
                tracking_number: get("tracking_number").to_string(),
                occurred_at,
                mapped,
                eta,
                raw_code,
                raw_reason: get("reason").to_string(),
                location: get("location").to_string(),
                description: get("description").to_string(),
                message_id: Some(get("message_id").to_string()).filter(|m| !m.is_empty()),
            },
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use consign_core::tracking::FEED_LTL_TERMINAL_CODES;

    #[test]
    fn csv_rows_map_through_the_feed_and_bad_rows_are_named() {
        let feed = FeedCrosswalk::parse("ltl", FEED_LTL_TERMINAL_CODES).unwrap();
        let ok = b"carrier,tracking_number,occurred_at,code,location\nODFL,PRO1,2026-11-20T10:00:00Z,DMG,Dallas TX\nODFL,PRO1,2026-11-20T11:00:00Z,QQQ,\n";
        let ev = read_events(ok, Format::Csv, Some(&feed)).unwrap();
        assert_eq!(ev[0].1.mapped.reason, Some("damaged"));
        assert!(
            ev[1].1.mapped.unmapped,
            "an unknown code is kept and flagged"
        );
        let bad = b"carrier,tracking_number,occurred_at,status\nODFL,,2026-11-20T10:00:00Z,delivered\nODFL,P2,yesterday,teleported\n";
        let e = read_events(bad, Format::Csv, None).unwrap_err();
        let text: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert!(
            text.contains(&"line 2, tracking_number: must not be empty".to_string()),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("line 3, occurred_at: 'yesterday'")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("line 3, status: unknown shipment status 'teleported'")),
            "{text:?}"
        );
    }

    #[test]
    fn rows_without_a_status_take_their_reason_or_eta_as_raw_code() {
        let file = b"carrier,tracking_number,occurred_at,reason,eta\n\
ODFL,P1,2026-11-20T10:00:00Z,weather,\n\
ODFL,P1,2026-11-20T10:00:00Z,,2026-11-23T10:00:00Z\n";
        let ev = read_events(file, Format::Csv, None).unwrap();
        let codes: Vec<&str> = ev.iter().map(|(_, e)| e.raw_code.as_str()).collect();
        assert_eq!(codes, ["weather", "eta"]);
    }

    #[test]
    fn a_bad_row_is_named_by_the_line_it_is_on_after_blank_lines_and_multi_line_fields() {
        // Line 2 holds a description over two lines (2-3), line 4 is blank, line 5 is bad.
        let file = b"carrier,tracking_number,occurred_at,status,description
\
ODFL,P1,2026-11-20T10:00:00Z,in_transit,\"left the dock,\nfirst trailer\"\n\
\n\
ODFL,P2,2026-11-20T11:00:00Z,teleported,\n";
        let e = read_events(file, Format::Csv, None).unwrap_err();
        let text: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert_eq!(text.len(), 1, "{text:?}");
        assert!(
            text[0].starts_with("line 5, status: unknown shipment status 'teleported'"),
            "{text:?}"
        );
    }
}
