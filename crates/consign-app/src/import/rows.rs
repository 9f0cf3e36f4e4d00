//! What every reader reports: a problem at a line and column, the file's own column names,
//! and what a whole file yielded.

use consign_core::{FieldError, Invalid};
use std::collections::HashMap;

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

pub(super) fn file_error(field: &str, reason: impl Into<String>) -> Vec<RowError> {
    vec![RowError {
        line: 0,
        field: field.into(),
        reason: reason.into(),
    }]
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

impl<T> FileRead<T> {
    /// The file's parse errors followed by `more`, in line order.
    pub fn all_errors(&self, more: Vec<RowError>) -> Vec<RowError> {
        let mut all = self.errors.clone();
        all.extend(more);
        all.sort_by_key(|e| e.line);
        all
    }
}

/// The file's own name for each field (identity when there was no mapping).
#[derive(Debug, Default, Clone)]
pub struct ColumnNames(pub(super) HashMap<&'static str, String>);

impl ColumnNames {
    pub fn of(&self, field: &str) -> String {
        self.0
            .get(field)
            .cloned()
            .unwrap_or_else(|| field.to_string())
    }
}

/// Converts per-item validation errors of records read from a file into row errors, placing
/// each with `locate` (given the item's index), in line order.
pub(super) fn locate_all(
    errs: Vec<(usize, Invalid)>,
    locate: impl Fn(usize, &FieldError) -> RowError,
) -> Vec<RowError> {
    let mut out: Vec<RowError> = errs
        .into_iter()
        .flat_map(|(i, inv)| inv.errors.into_iter().map(move |e| (i, e)))
        .map(|(i, e)| locate(i, &e))
        .collect();
    out.sort_by_key(|e| e.line);
    out
}
