//! A CSV file read as a table of fields (after the mapping's renames and defaults), and the
//! per-row reader that parses its values and collects every problem with its column.

use super::mapping::{Mapping, decode};
use super::rows::{ColumnNames, RowError, file_error};
use jiff::Timestamp;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

/// A CSV table with its columns resolved to fields.
pub(super) struct Table {
    /// Field → column name as the file calls it (for error messages).
    pub(super) columns: ColumnNames,
    pub(super) rows: Vec<(u64, HashMap<&'static str, String>)>,
    defaults: HashMap<&'static str, String>,
    date_format: Option<String>,
    time_zone: jiff::tz::TimeZone,
}

/// The line a CSV record starts on, as a person opening the file counts lines. The csv crate's
/// own record positions skip blank lines (and point into them), so a row after a blank line
/// was reported a line early. Instead: the newlines before the record's end (counted once, as
/// records come in order), less its terminator and the newlines inside its quoted fields.
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    newlines: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            counted_to: 0,
            newlines: 0,
        }
    }

    /// `end`: the reader's byte position just after the record; `fields`: the record's fields.
    pub(crate) fn line_of<'f>(
        &mut self,
        end: u64,
        fields: impl IntoIterator<Item = &'f [u8]>,
    ) -> u64 {
        let end = usize::try_from(end)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        if end > self.counted_to {
            let more = self.bytes[self.counted_to..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.newlines += more as u64;
            self.counted_to = end;
        }
        let terminator = u64::from(end > 0 && self.bytes[end - 1] == b'\n');
        let inside: u64 = fields
            .into_iter()
            .map(|f| f.iter().filter(|b| **b == b'\n').count() as u64)
            .sum();
        (self.newlines + 1).saturating_sub(terminator + inside)
    }
}

/// Reads and decodes the table. Header problems stop here; row-level problems (field counts,
/// encoding) come back beside the table so they are reported together with value errors.
pub(super) fn read_table(
    bytes: &[u8],
    mapping: Option<&Mapping>,
    known: &'static [&'static str],
) -> Result<(Table, Vec<RowError>), Vec<RowError>> {
    let default_mapping = Mapping::default();
    let m = mapping.unwrap_or(&default_mapping);
    let enc = m.check(known)?;
    if bytes.is_empty() {
        return Err(file_error("", "the file is empty"));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let delimiter = m
        .options
        .delimiter
        .as_deref()
        .map(|d| d.as_bytes()[0])
        .unwrap_or(b',');
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .from_reader(bytes);
    let header = rdr
        .byte_headers()
        .map_err(|e| file_error("header", e.to_string()))?
        .clone();
    let mut errs = Vec::new();
    let mut fields = Vec::with_capacity(header.len());
    let mut column_of = HashMap::new();
    for (i, raw) in header.iter().enumerate() {
        let name = match decode(raw, enc) {
            Ok(n) => n.trim().to_string(),
            Err(e) => {
                errs.push(RowError {
                    line: 1,
                    field: format!("column {}", i + 1),
                    reason: e,
                });
                continue;
            }
        };
        let target = m
            .columns
            .get(&name)
            .map(String::as_str)
            .or_else(|| known.iter().copied().find(|k| *k == name));
        match target {
            Some(f) => {
                let f: &'static str = known
                    .iter()
                    .copied()
                    .find(|k| *k == f)
                    .expect("mapping was checked");
                if column_of.insert(f, name.clone()).is_some() {
                    errs.push(RowError {
                        line: 1,
                        field: name,
                        reason: format!("a second column feeds '{f}'"),
                    });
                }
                fields.push(Some(f));
            }
            None if m.options.ignore.contains(&name) => fields.push(None),
            None => {
                errs.push(RowError {
                    line: 1,
                    field: format!("column '{name}'"),
                    reason: "unknown column; map it to a field or list it under options.ignore in a mapping file".into(),
                });
                fields.push(None);
            }
        }
    }
    // Decoded as the mapping above decoded them: a Windows-1252 header's `Straße` must be
    // found as `Straße`, not as the UTF-8 reading of its bytes.
    let names: Vec<String> = header
        .iter()
        .map(|h| {
            decode(h, enc)
                .unwrap_or_else(|_| String::from_utf8_lossy(h).into_owned())
                .trim()
                .to_string()
        })
        .collect();
    for col in m.columns.keys() {
        if !names.contains(col) {
            errs.push(RowError {
                line: 1,
                field: format!("mapping columns.\"{col}\""),
                reason: format!(
                    "the file has no column '{col}'; its header is: {}",
                    names.join(", ")
                ),
            });
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let defaults: HashMap<&'static str, String> = m
        .defaults
        .iter()
        .filter_map(|(k, v)| {
            known
                .iter()
                .copied()
                .find(|f| f == k)
                .map(|f| (f, v.clone()))
        })
        .collect();
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut lines = LineCounter::new(bytes);
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = lines.line_of(rdr.position().byte(), &record);
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        format!("has {len} fields, the header has {expected_len}")
                    }
                    _ => e.to_string(),
                };
                errs.push(RowError {
                    line,
                    field: String::new(),
                    reason,
                });
                if errs.len() > 10_000 {
                    break;
                }
                continue;
            }
        }
        let line = lines.line_of(rdr.position().byte(), &record);
        let mut row = HashMap::with_capacity(fields.len());
        for (i, raw) in record.iter().enumerate() {
            let Some(Some(f)) = fields.get(i) else {
                continue;
            };
            match decode(raw, enc) {
                Ok(v) => {
                    let v = v.trim();
                    if !v.is_empty() {
                        row.insert(*f, v.to_string());
                    }
                }
                Err(e) => errs.push(RowError {
                    line,
                    field: column_of[f].clone(),
                    reason: e,
                }),
            }
        }
        rows.push((line, row));
    }
    let time_zone = m
        .options
        .time_zone
        .as_deref()
        .map(|z| jiff::tz::TimeZone::get(z).expect("checked"))
        .unwrap_or(jiff::tz::TimeZone::UTC);
    Ok((
        Table {
            columns: ColumnNames(column_of),
            rows,
            defaults,
            date_format: m.options.date_format.clone(),
            time_zone,
        },
        errs,
    ))
}

/// Reads one row's fields, collecting every parse error with its column.
pub(super) struct RowReader<'a> {
    table: &'a Table,
    row: &'a HashMap<&'static str, String>,
    line: u64,
    pub(super) errors: Vec<RowError>,
}

impl<'a> RowReader<'a> {
    pub(super) fn new(table: &'a Table, row: &'a HashMap<&'static str, String>, line: u64) -> Self {
        RowReader {
            table,
            row,
            line,
            errors: vec![],
        }
    }

    fn column(&self, f: &str) -> String {
        self.table.columns.of(f)
    }
    pub(super) fn fail(&mut self, f: &str, reason: impl Into<String>) {
        let field = self.column(f);
        self.errors.push(RowError {
            line: self.line,
            field,
            reason: reason.into(),
        });
    }
    pub(super) fn opt(&self, f: &str) -> Option<String> {
        self.row
            .get(f)
            .or_else(|| self.table.defaults.get(f))
            .cloned()
    }
    pub(super) fn req(&mut self, f: &str) -> String {
        match self.opt(f) {
            Some(v) => v,
            None => {
                self.fail(f, "is required");
                String::new()
            }
        }
    }
    pub(super) fn parse<T>(
        &mut self,
        f: &str,
        required: bool,
        p: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let v = if required {
            Some(self.req(f)).filter(|v| !v.is_empty())
        } else {
            self.opt(f)
        };
        match v.as_deref().map(&p) {
            Some(Ok(x)) => Some(x),
            Some(Err(e)) => {
                self.fail(f, e);
                None
            }
            None => None,
        }
    }
    pub(super) fn time(&mut self, f: &str) -> Option<Timestamp> {
        let fmt = self.table.date_format.clone();
        let tz = self.table.time_zone.clone();
        self.parse(f, false, |s| parse_time(s, fmt.as_deref(), &tz))
    }
    pub(super) fn bool(&mut self, f: &str) -> Option<bool> {
        self.parse(f, false, |s| match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Ok(true),
            "false" | "no" | "n" | "0" => Ok(false),
            _ => Err(format!("'{s}' is not true or false")),
        })
    }
}

pub fn parse_time(
    s: &str,
    format: Option<&str>,
    tz: &jiff::tz::TimeZone,
) -> Result<Timestamp, String> {
    match format {
        None => s.parse::<Timestamp>().or_else(|_| {
            // A civil date-time without offset is read in the mapping's zone (UTC by default).
            // A bare date is refused: whether it means start or end of day is the file's
            // convention, which only a mapping's date_format can state.
            if !s.contains(['T', 't', ' ']) {
                return Err(format!("'{s}' is not an RFC 3339 timestamp (e.g. 2026-03-01T14:30:00Z); for other formats set options.date_format in a mapping file"));
            }
            jiff::civil::DateTime::from_str(s)
                .map_err(|_| {
                    format!("'{s}' is not an RFC 3339 timestamp (e.g. 2026-03-01T14:30:00Z)")
                })
                .and_then(|dt| {
                    dt.to_zoned(tz.clone())
                        .map(|z| z.timestamp())
                        .map_err(|e| e.to_string())
                })
        }),
        Some(fmt) => {
            let tm = jiff::fmt::strtime::parse(fmt, s)
                .map_err(|_| format!("'{s}' does not match the date format '{fmt}'"))?;
            if tm.offset().is_some() {
                return tm.to_timestamp().map_err(|e| format!("'{s}': {e}"));
            }
            let dt = match tm.to_datetime() {
                Ok(dt) => dt,
                Err(_) => tm
                    .to_date()
                    .map_err(|e| format!("'{s}': {e}"))?
                    .to_datetime(jiff::civil::Time::midnight()),
            };
            dt.to_zoned(tz.clone())
                .map(|z| z.timestamp())
                .map_err(|e| format!("'{s}': {e}"))
        }
    }
}

/// A decimal as a spreadsheet writes it: digits, one point, a sign. Exactly: a value with more
/// digits than a decimal holds is refused, not rounded (a price of
/// `12.340000000000000000000000000001` was read as 12.34), and `1_000` (which the parser
/// takes) is not a number in a CSV file.
pub(super) fn decimal(s: &str) -> Result<Decimal, String> {
    let plain = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
    match Decimal::from_str_exact(s) {
        Ok(d) if plain => Ok(d),
        _ => Err(format!(
            "'{s}' is not a decimal number (digits and one point, at most 28 digits)"
        )),
    }
}

pub(super) fn integer(s: &str) -> Result<i64, String> {
    s.parse::<i64>()
        .map_err(|_| format!("'{s}' is not a whole number"))
}
