//! Typed mappings, one module per transaction set, all of the same shape: `parse(&set,
//! &options) -> Result<T, Vec<EdiError>>` and, for the sets Consign sends, `write(&T,
//! &options) -> Vec<OwnedSegment>` giving the segments between ST and SE.
//!
//! A mapping reads the segments it models and ignores the others (the raw set keeps them).
//! Strict mode fails on bad values (dates, times, numbers, codes) and missing mandatory
//! segments or elements; lenient mode reads such values as absent and lists the faults in the
//! value's `warnings`.
//!
//! A mapping does not look at the envelope's verdict: check `set.accepted` (and the group's
//! and interchange's) before acting on a mapped value.

pub mod common;
pub mod s204;
pub mod s210;
pub mod s214;
pub mod s856;
pub mod s940;
pub mod s945;
pub mod s990;
pub mod s997;

use serde::Serialize;

use crate::envelope::{ReadOptions, TransactionSet};
use crate::error::{EdiError, ErrorKind, quoted};

pub use common::{DateTimeRef, Party, Reference, Totals};
pub use s204::LoadTender204;
pub use s210::FreightInvoice210;
pub use s214::{ShipmentStatus214, StatusEvent};
pub use s856::ShipNotice856;
pub use s940::ShippingOrder940;
pub use s945::ShippingAdvice945;
pub use s990::TenderResponse990;
pub use s997::FunctionalAck997;

/// What mapping a set gives: its typed value, or every fault that stopped the mapping.
pub type Mapped<T> = Result<T, Vec<EdiError>>;

/// Any set with a typed mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TypedSet {
    LoadTender204(LoadTender204),
    FreightInvoice210(FreightInvoice210),
    ShipmentStatus214(ShipmentStatus214),
    ShipNotice856(ShipNotice856),
    ShippingOrder940(ShippingOrder940),
    ShippingAdvice945(ShippingAdvice945),
    TenderResponse990(TenderResponse990),
    FunctionalAck997(FunctionalAck997),
}

/// Transaction set identifiers with a typed mapping.
pub const SUPPORTED: [&str; 8] = ["204", "210", "214", "856", "940", "945", "990", "997"];

/// Maps a set by its ST01; an unknown identifier gives one `UnsupportedSet` error (the raw set
/// is still in the envelope, untouched).
pub fn parse_any(set: &TransactionSet<'_>, options: &ReadOptions) -> Mapped<TypedSet> {
    Ok(match set.id.as_str() {
        "204" => TypedSet::LoadTender204(s204::parse(set, options)?),
        "210" => TypedSet::FreightInvoice210(s210::parse(set, options)?),
        "214" => TypedSet::ShipmentStatus214(s214::parse(set, options)?),
        "856" => TypedSet::ShipNotice856(s856::parse(set, options)?),
        "940" => TypedSet::ShippingOrder940(s940::parse(set, options)?),
        "945" => TypedSet::ShippingAdvice945(s945::parse(set, options)?),
        "990" => TypedSet::TenderResponse990(s990::parse(set, options)?),
        "997" => TypedSet::FunctionalAck997(s997::parse(set, options)?),
        other => {
            return Err(vec![
                set.locate(
                    EdiError::new(
                        ErrorKind::UnsupportedSet,
                        format!(
                            "no typed mapping for transaction set {}",
                            quoted(other.as_bytes())
                        ),
                    )
                    .segment(1, "ST")
                    .element(1),
                ),
            ]);
        }
    })
}

impl TypedSet {
    /// Faults tolerated in lenient mode.
    pub fn warnings(&self) -> &[EdiError] {
        match self {
            Self::LoadTender204(v) => &v.warnings,
            Self::FreightInvoice210(v) => &v.warnings,
            Self::ShipmentStatus214(v) => &v.warnings,
            Self::ShipNotice856(v) => &v.warnings,
            Self::ShippingOrder940(v) => &v.warnings,
            Self::ShippingAdvice945(v) => &v.warnings,
            Self::TenderResponse990(v) => &v.warnings,
            Self::FunctionalAck997(v) => &v.warnings,
        }
    }
}
