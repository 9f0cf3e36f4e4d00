//! File intake for `consign import`: CSV (with an optional mapping file that renames columns,
//! supplies defaults, and sets date format, time zone, delimiter and encoding) and JSON lines.
//! Readers are pure: bytes in, domain requests out, or every bad row with its line, column and
//! reason. Nothing here touches the store; the CLI validates the whole file and only then commits.

mod csv;
mod json_lines;
mod mapping;
mod orders;
mod rows;
mod shipments;
#[cfg(test)]
mod tests;

pub(crate) use csv::LineCounter;
pub use csv::parse_time;
pub use mapping::{Mapping, MappingOptions};
pub use orders::{ORDER_FIELDS, OrderRows, locate_order_error, order_errors, read_orders};
pub use rows::{ColumnNames, FileRead, RowError};
pub use shipments::{
    SHIPMENT_FIELDS, ShipmentRow, locate_shipment_error, read_shipments, shipment_errors,
};

/// A reader of one record kind: [`read_orders`] or [`read_shipments`].
pub type ReadFile<T> = fn(&[u8], Format, Option<&Mapping>) -> Result<FileRead<T>, Vec<RowError>>;

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
