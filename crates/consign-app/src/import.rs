//! File intake for `consign import`: CSV (with an optional mapping file that renames columns,
//! supplies defaults, and sets date format, time zone, delimiter and encoding) and JSON lines.
//! Readers are pure: bytes in, domain requests out, or every bad row with its line, column and
//! reason. Nothing here touches the store; the CLI validates the whole file and only then commits.

use consign_core::order::{Address, Channel, CustomerInfo, NewOrder, NewOrderLine};
use consign_core::shipment::{Direction, NewShipment, NewShipmentLine, Place};
use consign_core::{FieldError, Invalid};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

/// One problem in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file (0 for problems with the file or mapping as a whole).
    pub line: u64,
    /// The column as named in the file (or the field, for JSON lines).
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.field.is_empty()) {
            (0, true) => write!(f, "{}", self.reason),
            (0, false) => write!(f, "{}: {}", self.field, self.reason),
            (l, true) => write!(f, "line {l}: {}", self.reason),
            (l, false) => write!(f, "line {l}, {}: {}", self.field, self.reason),
        }
    }
}

fn file_error(field: &str, reason: impl Into<String>) -> Vec<RowError> {
    vec![RowError {
        line: 0,
        field: field.into(),
        reason: reason.into(),
    }]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn from_path(path: &std::path::Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("jsonl" | "ndjson" | "json") => Format::JsonLines,
            _ => Format::Csv,
        }
    }
}

/// A mapping file: see `docs/import.md`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Source column → Consign field.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    #[serde(default)]
    pub defaults: BTreeMap<String, String>,
    #[serde(default)]
    pub options: MappingOptions,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingOptions {
    pub date_format: Option<String>,
    pub time_zone: Option<String>,
    pub delimiter: Option<String>,
    pub encoding: Option<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Windows1252,
}

pub const ORDER_FIELDS: &[&str] = &[
    "external_ref",
    "customer_name",
    "customer_email",
    "customer_phone",
    "ship_to_name",
    "ship_to_line1",
    "ship_to_line2",
    "ship_to_city",
    "ship_to_region",
    "ship_to_postal_code",
    "ship_to_country",
    "channel",
    "currency",
    "ordered_at",
    "promised_by",
    "sku",
    "description",
    "quantity",
    "unit_price",
];

pub const SHIPMENT_FIELDS: &[&str] = &[
    "carrier",
    "service_level",
    "tracking_number",
    "direction",
    "order",
    "lines",
    "origin_name",
    "origin_city",
    "origin_region",
    "origin_postal_code",
    "origin_country",
    "origin_time_zone",
    "destination_name",
    "destination_city",
    "destination_region",
    "destination_postal_code",
    "destination_country",
    "destination_time_zone",
    "weight_kg",
    "pieces",
    "planned_pickup_at",
    "promised_by",
    "international",
    "pod_required",
    "picked_up_at",
    "delivered_at",
];

impl Mapping {
    pub fn parse(text: &str) -> Result<Mapping, Vec<RowError>> {
        toml::from_str::<Mapping>(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1) as u64)
                .unwrap_or(0);
            vec![RowError {
                line,
                field: "mapping".into(),
                reason: e.message().to_string(),
            }]
        })
    }

    fn check(&self, known: &[&str]) -> Result<Encoding, Vec<RowError>> {
        let mut errs = Vec::new();
        for (col, field) in &self.columns {
            if !known.contains(&field.as_str()) {
                errs.push(RowError {
                    line: 0,
                    field: format!("mapping columns.\"{col}\""),
                    reason: format!(
                        "'{field}' is not a field; expected one of {}",
                        known.join(", ")
                    ),
                });
            }
        }
        for field in self.defaults.keys() {
            if !known.contains(&field.as_str()) {
                errs.push(RowError {
                    line: 0,
                    field: format!("mapping defaults.{field}"),
                    reason: "not a field".into(),
                });
            }
        }
        if let Some(tz) = &self.options.time_zone
            && jiff::tz::TimeZone::get(tz).is_err()
        {
            errs.push(RowError {
                line: 0,
                field: "mapping options.time_zone".into(),
                reason: format!("unknown time zone '{tz}'"),
            });
        }
        if let Some(d) = &self.options.delimiter
            && d.len() != 1
        {
            errs.push(RowError {
                line: 0,
                field: "mapping options.delimiter".into(),
                reason: "must be one ASCII character".into(),
            });
        }
        let enc = match self
            .options
            .encoding
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("utf-8" | "utf8") => Encoding::Utf8,
            Some("windows-1252" | "cp1252" | "latin1" | "iso-8859-1") => Encoding::Windows1252,
            Some(other) => {
                errs.push(RowError {
                    line: 0,
                    field: "mapping options.encoding".into(),
                    reason: format!("unsupported encoding '{other}'; use utf-8 or windows-1252"),
                });
                Encoding::Utf8
            }
        };
        if errs.is_empty() { Ok(enc) } else { Err(errs) }
    }
}

/// Windows-1252's 0x80–0x9F block; 0xA0–0xFF equal Latin-1. Carrier and ERP exports are
/// often in this encoding, and decoding it is a 32-entry table, not a dependency.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

fn decode(bytes: &[u8], enc: Encoding) -> Result<String, String> {
    match enc {
        Encoding::Utf8 => std::str::from_utf8(bytes).map(str::to_string).map_err(|e| {
            format!(
                "not valid UTF-8 (byte {} of the field); if the file is Windows-1252, say so with options.encoding in a mapping file",
                e.valid_up_to() + 1
            )
        }),
        Encoding::Windows1252 => Ok(bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9f => CP1252_HIGH[(b - 0x80) as usize],
                _ => b as char,
            })
            .collect()),
    }
}

/// A CSV table with its columns resolved to fields.
struct Table {
    /// Field → column name as the file calls it (for error messages).
    column_of: HashMap<&'static str, String>,
    rows: Vec<(u64, HashMap<&'static str, String>)>,
    defaults: HashMap<&'static str, String>,
    date_format: Option<String>,
    time_zone: jiff::tz::TimeZone,
}

/// Reads and decodes the table. Header problems stop here; row-level problems (field counts,
/// encoding) come back beside the table so they are reported together with value errors.
fn read_table(
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
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
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
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
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
        let line = record.position().map(|p| p.line()).unwrap_or(0);
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
            column_of,
            rows,
            defaults,
            date_format: m.options.date_format.clone(),
            time_zone,
        },
        errs,
    ))
}

/// Reads one row's fields, collecting every parse error with its column.
struct RowReader<'a> {
    table: &'a Table,
    row: &'a HashMap<&'static str, String>,
    line: u64,
    errors: Vec<RowError>,
}

impl<'a> RowReader<'a> {
    fn column(&self, f: &str) -> String {
        self.table
            .column_of
            .get(f)
            .cloned()
            .unwrap_or_else(|| f.to_string())
    }
    fn fail(&mut self, f: &str, reason: impl Into<String>) {
        let field = self.column(f);
        self.errors.push(RowError {
            line: self.line,
            field,
            reason: reason.into(),
        });
    }
    fn opt(&self, f: &str) -> Option<String> {
        self.row
            .get(f)
            .or_else(|| self.table.defaults.get(f))
            .cloned()
    }
    fn req(&mut self, f: &str) -> String {
        match self.opt(f) {
            Some(v) => v,
            None => {
                self.fail(f, "is required");
                String::new()
            }
        }
    }
    fn parse<T>(
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
    fn time(&mut self, f: &str) -> Option<Timestamp> {
        let fmt = self.table.date_format.clone();
        let tz = self.table.time_zone.clone();
        self.parse(f, false, |s| parse_time(s, fmt.as_deref(), &tz))
    }
    fn bool(&mut self, f: &str) -> Option<bool> {
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

fn decimal(s: &str) -> Result<Decimal, String> {
    Decimal::from_str(s).map_err(|_| format!("'{s}' is not a decimal number"))
}

fn integer(s: &str) -> Result<i64, String> {
    s.parse::<i64>()
        .map_err(|_| format!("'{s}' is not a whole number"))
}

/// Orders read from a file, each with the line of its first row and the line of each of its
/// order lines (so validation errors can point at the right row).
#[derive(Debug)]
pub struct OrderRows {
    pub order: NewOrder,
    pub line: u64,
    pub line_rows: Vec<u64>,
}

/// What a file yielded: the records that parsed, every row problem found, and the file's own
/// column names (for reporting later validation errors). Records with a parse problem are left
/// out of `rows` so validation does not report follow-on errors for values that never parsed.
#[derive(Debug)]
pub struct FileRead<T> {
    pub rows: Vec<T>,
    pub errors: Vec<RowError>,
    pub columns: ColumnNames,
}

/// Shipments read from a file with their line numbers.
#[derive(Debug)]
pub struct ShipmentRow {
    pub shipment: NewShipment,
    pub line: u64,
}

/// Where an error on a domain field of an order read from CSV belongs: which line, and which
/// column as the file names it.
pub fn locate_order_error(
    rows: &OrderRows,
    e: &FieldError,
    column_of: &dyn Fn(&str) -> String,
) -> RowError {
    let (line, field) = match e
        .field
        .strip_prefix("lines[")
        .and_then(|r| r.split_once("]."))
    {
        Some((i, rest)) => (
            i.parse::<usize>()
                .ok()
                .and_then(|i| rows.line_rows.get(i).copied())
                .unwrap_or(rows.line),
            rest.to_string(),
        ),
        None => (rows.line, e.field.replace('.', "_")),
    };
    RowError {
        line,
        field: column_of(&field),
        reason: e.reason.clone(),
    }
}

/// The columns that describe an order rather than one of its lines.
const ORDER_LEVEL_FIELDS: &[&str] = &[
    "customer_name",
    "customer_email",
    "customer_phone",
    "ship_to_name",
    "ship_to_line1",
    "ship_to_line2",
    "ship_to_city",
    "ship_to_region",
    "ship_to_postal_code",
    "ship_to_country",
    "channel",
    "currency",
    "ordered_at",
    "promised_by",
];

/// Reads orders from CSV (rows with the same external_ref form one order) or JSON lines.
/// Returns also a function naming the file's column for a field.
pub fn read_orders(
    bytes: &[u8],
    format: Format,
    mapping: Option<&Mapping>,
) -> Result<FileRead<OrderRows>, Vec<RowError>> {
    if format == Format::JsonLines {
        let (items, errors) = read_json_lines::<NewOrder>(bytes)?;
        let rows = items.into_iter().map(|(line, order)| {
            let n = order.lines.len();
            OrderRows {
                order,
                line,
                line_rows: vec![line; n],
            }
        });
        return Ok(FileRead {
            rows: rows.collect(),
            errors,
            columns: ColumnNames::default(),
        });
    }
    let (table, mut errors) = read_table(bytes, mapping, ORDER_FIELDS)?;
    let mut orders: Vec<OrderRows> = Vec::new();
    let mut failed: Vec<bool> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    // Each order's first-row values of ORDER_LEVEL_FIELDS.
    let mut heads: Vec<Vec<Option<String>>> = Vec::new();
    for (line, row) in &table.rows {
        let mut r = RowReader {
            table: &table,
            row,
            line: *line,
            errors: vec![],
        };
        let external_ref = r.req("external_ref");
        let quantity = r.parse("quantity", true, integer);
        let unit_price = r.parse("unit_price", true, decimal);
        let order_line = NewOrderLine {
            sku: r.req("sku"),
            description: r.opt("description").unwrap_or_default(),
            quantity: quantity.unwrap_or(0),
            unit_price: unit_price.unwrap_or_default(),
        };
        if let Some(&i) = index.get(&external_ref) {
            // A continuation row may leave the order's own columns blank, but what it fills
            // in must agree with the order's first row: otherwise two different orders share
            // a reference, and merging them would silently drop one customer or address.
            for (f, first) in ORDER_LEVEL_FIELDS.iter().zip(&heads[i]) {
                if let Some(v) = row.get(f).filter(|v| !v.is_empty())
                    && first.as_ref() != Some(v)
                {
                    let was = first.as_deref().unwrap_or("");
                    r.fail(
                        f,
                        format!(
                            "'{v}' differs from line {} ('{was}') of order '{external_ref}': rows of one order must agree on its customer and address",
                            orders[i].line
                        ),
                    );
                }
            }
            failed[i] |= !r.errors.is_empty();
            errors.extend(r.errors);
            orders[i].order.lines.push(order_line);
            orders[i].line_rows.push(*line);
            continue;
        }
        let customer_name = r.req("customer_name");
        let channel = r.parse("channel", true, Channel::parse);
        let ordered_at = r.time("ordered_at");
        let promised_by = r.time("promised_by");
        let order = NewOrder {
            external_ref: external_ref.clone(),
            customer: CustomerInfo {
                name: customer_name.clone(),
                email: r.opt("customer_email"),
                phone: r.opt("customer_phone"),
            },
            ship_to: Address {
                name: r.opt("ship_to_name").unwrap_or(customer_name),
                line1: r.req("ship_to_line1"),
                line2: r.opt("ship_to_line2"),
                city: r.req("ship_to_city"),
                region: r.opt("ship_to_region"),
                postal_code: r.req("ship_to_postal_code"),
                country: r.req("ship_to_country"),
            },
            channel: channel.unwrap_or(Channel::B2c),
            currency: r.opt("currency").unwrap_or_else(|| "USD".into()),
            lines: vec![order_line],
            promised_by,
            ordered_at,
        };
        failed.push(!r.errors.is_empty());
        errors.extend(r.errors);
        heads.push(
            ORDER_LEVEL_FIELDS
                .iter()
                .map(|f| row.get(f).filter(|v| !v.is_empty()).cloned())
                .collect(),
        );
        if !external_ref.is_empty() {
            index.insert(external_ref, orders.len());
        }
        orders.push(OrderRows {
            order,
            line: *line,
            line_rows: vec![*line],
        });
    }
    errors.sort_by_key(|e| e.line);
    let rows = orders
        .into_iter()
        .zip(failed)
        .filter(|(_, f)| !f)
        .map(|(o, _)| o)
        .collect();
    Ok(FileRead {
        rows,
        errors,
        columns: ColumnNames(table.column_of),
    })
}

/// The file's own name for each field (identity when there was no mapping).
#[derive(Debug, Default, Clone)]
pub struct ColumnNames(HashMap<&'static str, String>);

impl ColumnNames {
    pub fn of(&self, field: &str) -> String {
        self.0
            .get(field)
            .cloned()
            .unwrap_or_else(|| field.to_string())
    }
}

fn parse_lines(s: &str) -> Result<Vec<NewShipmentLine>, String> {
    s.split(';')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (l, q) = p
                .split_once(':')
                .ok_or_else(|| format!("'{p}' is not line_no:quantity"))?;
            let line_no = l
                .trim()
                .parse::<u32>()
                .map_err(|_| format!("'{l}' is not a line number"))?;
            let quantity = q
                .trim()
                .parse::<u32>()
                .map_err(|_| format!("'{q}' is not a quantity"))?;
            if line_no == 0 {
                return Err("line numbers start at 1".into());
            }
            Ok(NewShipmentLine { line_no, quantity })
        })
        .collect()
}

pub fn read_shipments(
    bytes: &[u8],
    format: Format,
    mapping: Option<&Mapping>,
) -> Result<FileRead<ShipmentRow>, Vec<RowError>> {
    if format == Format::JsonLines {
        let (items, errors) = read_json_lines::<NewShipment>(bytes)?;
        let rows = items
            .into_iter()
            .map(|(line, shipment)| ShipmentRow { shipment, line })
            .collect();
        return Ok(FileRead {
            rows,
            errors,
            columns: ColumnNames::default(),
        });
    }
    let (table, mut errors) = read_table(bytes, mapping, SHIPMENT_FIELDS)?;
    let mut out = Vec::with_capacity(table.rows.len());
    for (line, row) in &table.rows {
        let mut r = RowReader {
            table: &table,
            row,
            line: *line,
            errors: vec![],
        };
        let place = |r: &mut RowReader, p: &str| Place {
            name: r.opt(&format!("{p}_name")),
            city: r.req(&format!("{p}_city")),
            region: r.opt(&format!("{p}_region")),
            postal_code: r.req(&format!("{p}_postal_code")),
            country: r.req(&format!("{p}_country")),
            time_zone: r.req(&format!("{p}_time_zone")),
        };
        let origin = place(&mut r, "origin");
        let destination = place(&mut r, "destination");
        let shipment = NewShipment {
            carrier: r.req("carrier"),
            service_level: r.opt("service_level").unwrap_or_else(|| "standard".into()),
            tracking_number: r.req("tracking_number"),
            direction: r
                .parse("direction", false, Direction::parse)
                .unwrap_or(Direction::Outbound),
            order: r.opt("order"),
            lines: r.parse("lines", false, parse_lines),
            origin,
            destination,
            weight_kg: r.parse("weight_kg", true, decimal).unwrap_or(Decimal::ONE),
            pieces: r
                .parse("pieces", false, |s| {
                    integer(s).and_then(|n| {
                        u32::try_from(n).map_err(|_| format!("'{s}' is out of range"))
                    })
                })
                .unwrap_or(1),
            planned_pickup_at: r.time("planned_pickup_at"),
            promised_by: r.time("promised_by"),
            international: r.bool("international"),
            pod_required: r.bool("pod_required").unwrap_or(false),
            picked_up_at: r.time("picked_up_at"),
            delivered_at: r.time("delivered_at"),
        };
        if r.errors.is_empty() {
            out.push(ShipmentRow {
                shipment,
                line: *line,
            });
        }
        errors.extend(r.errors);
    }
    errors.sort_by_key(|e| e.line);
    Ok(FileRead {
        rows: out,
        errors,
        columns: ColumnNames(table.column_of),
    })
}

/// Maps a shipment validation error to its row and column.
pub fn locate_shipment_error(line: u64, e: &FieldError, columns: &ColumnNames) -> RowError {
    let field = match e.field.split_once('[') {
        Some((head, _)) => head.to_string(),
        None => e.field.replace('.', "_"),
    };
    RowError {
        line,
        field: columns.of(&field),
        reason: e.reason.clone(),
    }
}

/// Items that parsed and the problems of those that did not; `Err` only for an empty file.
type JsonLines<T> = (Vec<(u64, T)>, Vec<RowError>);

fn read_json_lines<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<JsonLines<T>, Vec<RowError>> {
    if bytes.is_empty() {
        return Err(file_error("", "the file is empty"));
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(e) => {
                errors.push(RowError {
                    line,
                    field: String::new(),
                    reason: format!("not valid UTF-8 at byte {}", e.valid_up_to() + 1),
                });
                continue;
            }
        };
        let de = &mut serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => out.push((line, v)),
            Err(e) => {
                let path = e.path().to_string();
                errors.push(RowError {
                    line,
                    field: if path == "." { String::new() } else { path },
                    reason: e.into_inner().to_string(),
                });
            }
        }
    }
    Ok((out, errors))
}

impl<T> FileRead<T> {
    /// The file's parse errors followed by `more`, in line order.
    pub fn all_errors(&self, more: Vec<RowError>) -> Vec<RowError> {
        let mut all = self.errors.clone();
        all.extend(more);
        all.sort_by_key(|e| e.line);
        all
    }
}

/// Converts per-item validation errors of orders read from a file into row errors.
pub fn order_errors(
    rows: &[OrderRows],
    errs: Vec<(usize, Invalid)>,
    columns: &ColumnNames,
) -> Vec<RowError> {
    let mut out: Vec<RowError> = errs
        .into_iter()
        .flat_map(|(i, inv)| inv.errors.into_iter().map(move |e| (i, e)))
        .map(|(i, e)| locate_order_error(&rows[i], &e, &|f| columns.of(f)))
        .collect();
    out.sort_by_key(|e| e.line);
    out
}

pub fn shipment_errors(
    rows: &[ShipmentRow],
    errs: Vec<(usize, Invalid)>,
    columns: &ColumnNames,
) -> Vec<RowError> {
    let mut out: Vec<RowError> = errs
        .into_iter()
        .flat_map(|(i, inv)| inv.errors.into_iter().map(move |e| (i, e)))
        .map(|(i, e)| locate_shipment_error(rows[i].line, &e, columns))
        .collect();
    out.sort_by_key(|e| e.line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "external_ref,customer_name,customer_email,ship_to_line1,ship_to_city,ship_to_region,ship_to_postal_code,ship_to_country,channel,sku,quantity,unit_price\n";

    #[test]
    fn rows_with_one_reference_form_one_order() {
        let csv = format!(
            "{HEADER}PO-1,Ann,ann@x.com,1 Main,Austin,TX,78701,US,b2c,A,2,9.99\nPO-1,Ann,,1 Main,Austin,TX,78701,US,b2c,B,1,5\nPO-2,Bob,,2 Elm,Dallas,TX,75201,US,b2b,A,10,9.99\n"
        );
        let orders = read_orders(csv.as_bytes(), Format::Csv, None).unwrap().rows;
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].order.lines.len(), 2);
        assert_eq!(orders[0].line_rows, [2, 3]);
        assert_eq!(orders[1].line, 4);
    }

    #[test]
    fn rows_of_one_reference_that_disagree_are_refused_by_line() {
        let csv = format!(
            "{HEADER}PO-1,Ann,ann@x.com,1 Main,Austin,TX,78701,US,b2c,A,2,9.99\nPO-1,Bob,,1 Main,Austin,TX,78701,US,b2c,B,1,5\nPO-1,,,9 Oak,Austin,TX,78701,US,,C,1,5\nPO-2,Bob,,2 Elm,Dallas,TX,75201,US,b2b,A,10,9.99\n"
        );
        let file = read_orders(csv.as_bytes(), Format::Csv, None).unwrap();
        let got: Vec<String> = file.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            got,
            [
                "line 3, customer_name: 'Bob' differs from line 2 ('Ann') of order 'PO-1': rows of one order must agree on its customer and address",
                "line 4, ship_to_line1: '9 Oak' differs from line 2 ('1 Main') of order 'PO-1': rows of one order must agree on its customer and address",
            ]
        );
        assert_eq!(file.rows.len(), 1, "only PO-2 passes");
        assert_eq!(file.rows[0].order.external_ref, "PO-2");
    }

    #[test]
    fn every_bad_row_is_reported_with_line_and_column() {
        let csv = format!(
            "{HEADER}PO-1,Ann,,1 Main,Austin,TX,78701,US,b2x,A,two,9.99\nPO-2,Bob,,2 Elm,Dallas,TX,75201,US,b2b,A,1\n"
        );
        let file = read_orders(csv.as_bytes(), Format::Csv, None).unwrap();
        assert!(
            file.rows.is_empty(),
            "rows with parse problems are not passed on"
        );
        let got: Vec<String> = file.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(got[0], "line 2, quantity: 'two' is not a whole number");
        assert_eq!(
            got[1],
            "line 2, channel: unknown channel 'b2x'; expected b2c or b2b"
        );
        assert_eq!(got[2], "line 3: has 11 fields, the header has 12");
    }

    #[test]
    fn mapping_renames_columns_sets_defaults_and_reads_windows_1252() {
        let mapping = Mapping::parse(
            r#"
[columns]
"Order No" = "external_ref"
"Kunde" = "customer_name"
"Strasse" = "ship_to_line1"
"Ort" = "ship_to_city"
"PLZ" = "ship_to_postal_code"
"Artikel" = "sku"
"Menge" = "quantity"
"Preis" = "unit_price"
"Bestellt" = "ordered_at"
[defaults]
ship_to_country = "DE"
channel = "b2b"
currency = "EUR"
[options]
delimiter = ";"
encoding = "windows-1252"
date_format = "%d.%m.%Y %H:%M"
time_zone = "Europe/Berlin"
ignore = ["Notiz"]
"#,
        )
        .unwrap();
        let mut file =
            b"Order No;Kunde;Strasse;Ort;PLZ;Artikel;Menge;Preis;Bestellt;Notiz\n".to_vec();
        file.extend_from_slice(
            b"B-1;M\xfcller GmbH;Hauptstr. 1;K\xf6ln;50667;X1;3;12.50;01.03.2026 09:30;egal\n",
        );
        let read = read_orders(&file, Format::Csv, Some(&mapping)).unwrap();
        assert!(read.errors.is_empty(), "{:?}", read.errors);
        let (orders, cols) = (read.rows, read.columns);
        let o = &orders[0].order;
        assert_eq!(o.customer.name, "Müller GmbH");
        assert_eq!(o.ship_to.city, "Köln");
        assert_eq!(o.currency, "EUR");
        assert_eq!(o.ordered_at.unwrap().to_string(), "2026-03-01T08:30:00Z");
        assert_eq!(cols.of("quantity"), "Menge");
    }

    #[test]
    fn mapping_naming_a_missing_column_is_refused_before_reading() {
        let mapping = Mapping::parse("[columns]\n\"Order Number\" = \"external_ref\"\n").unwrap();
        let errs = read_orders(HEADER.as_bytes(), Format::Csv, Some(&mapping)).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.field == "mapping columns.\"Order Number\""
                    && e.reason
                        .starts_with("the file has no column 'Order Number'")),
            "{errs:?}"
        );
        let bad = Mapping::parse("[columns]\n\"A\" = \"externl_ref\"\n").unwrap();
        let errs = read_orders(HEADER.as_bytes(), Format::Csv, Some(&bad)).unwrap_err();
        assert!(errs[0].reason.starts_with("'externl_ref' is not a field"));
        let syntax = Mapping::parse("[columns\n").unwrap_err();
        assert_eq!(syntax[0].line, 1);
        let unknown = Mapping::parse("[optionz]\n").unwrap_err();
        assert!(unknown[0].reason.contains("unknown field"), "{unknown:?}");
    }

    #[test]
    fn non_utf8_is_reported_not_mangled() {
        let mut file = HEADER.as_bytes().to_vec();
        file.extend_from_slice(b"PO-1,M\xfcller,,1 Main,Austin,TX,78701,US,b2c,A,1,1\n");
        let errs = read_orders(&file, Format::Csv, None).unwrap().errors;
        assert_eq!(errs[0].line, 2);
        assert_eq!(errs[0].field, "customer_name");
        assert!(
            errs[0].reason.starts_with("not valid UTF-8 (byte 2"),
            "{}",
            errs[0].reason
        );
    }

    #[test]
    fn unknown_columns_and_json_lines_errors_are_precise() {
        let errs = read_orders(b"external_ref,colour\nPO-1,red\n", Format::Csv, None).unwrap_err();
        assert_eq!(errs[0].field, "column 'colour'");
        let jl = b"{\"external_ref\": \"A\"}\n\n{\"external_ref\": 5}\n";
        let errs = read_orders(jl, Format::JsonLines, None).unwrap().errors;
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].line, 1);
        assert!(errs[0].reason.contains("missing field"), "{:?}", errs[0]);
        assert_eq!((errs[1].line, errs[1].field.as_str()), (3, "external_ref"));
    }

    #[test]
    fn shipment_lines_column() {
        assert_eq!(parse_lines("1:2; 3:1").unwrap().len(), 2);
        assert!(parse_lines("1-2").is_err());
        assert!(parse_lines("0:1").is_err());
    }
}
