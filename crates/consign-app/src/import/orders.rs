//! Orders from CSV (rows with the same external_ref form one order) or JSON lines, and where
//! their validation errors belong in the file.

use super::Format;
use super::csv::{RowReader, decimal, integer, read_table};
use super::json_lines::read_json_file;
use super::mapping::Mapping;
use super::rows::{ColumnNames, FileRead, RowError, locate_all};
use consign_core::order::{Address, Channel, CustomerInfo, NewOrder, NewOrderLine};
use consign_core::{FieldError, Invalid};
use std::collections::HashMap;

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

/// Orders read from a file, each with the line of its first row and the line of each of its
/// order lines (so validation errors can point at the right row).
#[derive(Debug)]
pub struct OrderRows {
    pub order: NewOrder,
    pub line: u64,
    pub line_rows: Vec<u64>,
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

/// The columns that describe an order rather than one of its lines: all of `ORDER_FIELDS` but
/// the reference that groups rows into orders and the four line columns at its end.
pub(super) const ORDER_LEVEL_FIELDS: &[&str] = ORDER_FIELDS
    .split_at(ORDER_FIELDS.len() - 4)
    .0
    .split_at(1)
    .1;

/// Reads orders from CSV (rows with the same external_ref form one order) or JSON lines.
/// Returns also a function naming the file's column for a field.
pub fn read_orders(
    bytes: &[u8],
    format: Format,
    mapping: Option<&Mapping>,
) -> Result<FileRead<OrderRows>, Vec<RowError>> {
    if format == Format::JsonLines {
        return read_json_file(bytes, |line, order: NewOrder| {
            let n = order.lines.len();
            OrderRows {
                order,
                line,
                line_rows: vec![line; n],
            }
        });
    }
    let (table, mut errors) = read_table(bytes, mapping, ORDER_FIELDS)?;
    let mut orders: Vec<OrderRows> = Vec::new();
    let mut failed: Vec<bool> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    // Each order's first-row values of ORDER_LEVEL_FIELDS.
    let mut heads: Vec<Vec<Option<String>>> = Vec::new();
    for (line, row) in &table.rows {
        let mut r = RowReader::new(&table, row, *line);
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
        columns: table.columns,
    })
}

/// Converts per-item validation errors of orders read from a file into row errors.
pub fn order_errors(
    rows: &[OrderRows],
    errs: Vec<(usize, Invalid)>,
    columns: &ColumnNames,
) -> Vec<RowError> {
    locate_all(errs, |i, e| {
        locate_order_error(&rows[i], e, &|f| columns.of(f))
    })
}
