//! Shipments from CSV (one a row) or JSON lines, and where their validation errors belong in
//! the file.

use super::Format;
use super::csv::{RowReader, decimal, integer, read_table};
use super::json_lines::read_json_file;
use super::mapping::Mapping;
use super::rows::{ColumnNames, FileRead, RowError, locate_all};
use consign_core::shipment::{Direction, NewShipment, NewShipmentLine, Place};
use consign_core::{FieldError, Invalid};
use rust_decimal::Decimal;

pub const SHIPMENT_FIELDS: &[&str] = &[
    "carrier",
    "service_level",
    "tracking_number",
    "pro_number",
    "bol_number",
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

/// Shipments read from a file with their line numbers.
#[derive(Debug)]
pub struct ShipmentRow {
    pub shipment: NewShipment,
    pub line: u64,
}

pub(super) fn parse_lines(s: &str) -> Result<Vec<NewShipmentLine>, String> {
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
        return read_json_file(bytes, |line, shipment| ShipmentRow { shipment, line });
    }
    let (table, mut errors) = read_table(bytes, mapping, SHIPMENT_FIELDS)?;
    let mut out = Vec::with_capacity(table.rows.len());
    for (line, row) in &table.rows {
        let mut r = RowReader::new(&table, row, *line);
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
            pro_number: r.opt("pro_number"),
            bol_number: r.opt("bol_number"),
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
        columns: table.columns,
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

pub fn shipment_errors(
    rows: &[ShipmentRow],
    errs: Vec<(usize, Invalid)>,
    columns: &ColumnNames,
) -> Vec<RowError> {
    locate_all(errs, |i, e| locate_shipment_error(rows[i].line, e, columns))
}
