//! Validation errors that name the field and the reason, so every intake path can answer
//! precisely (HTTP problem details, CSV line and column, CLI messages).

use serde::Serialize;

/// One rejected field: a dotted path (`lines[2].quantity`) and a human reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A rejected input: every field problem found, not just the first, so a user fixes a record
/// in one round trip.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
#[error("invalid input: {}", self.summary())]
pub struct Invalid {
    pub errors: Vec<FieldError>,
}

impl Invalid {
    pub fn one(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            errors: vec![FieldError::new(field, reason)],
        }
    }

    pub fn push(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(FieldError::new(field, reason));
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(v)` when nothing was pushed; lets validators collect then decide once.
    pub fn into_result<T>(self, value: T) -> Result<T, Invalid> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Prefix every field path, e.g. when a nested object is validated on its own.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        for e in &mut self.errors {
            e.field = if e.field.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}.{}", e.field)
            };
        }
        self
    }

    pub fn extend(&mut self, other: Invalid) {
        self.errors.extend(other.errors);
    }

    /// The fields named, in order: what tests of a validation compare.
    pub fn fields(self) -> Vec<String> {
        self.errors.into_iter().map(|e| e.field).collect()
    }

    pub fn summary(&self) -> String {
        self.errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.reason))
            .collect::<Vec<_>>()
            .join("; ")
    }
}
