//! What the reader yields at each level: interchanges, functional groups and transaction sets,
//! each with its trailer as sent, its verdict and its own faults.

use serde::Serialize;

use crate::error::EdiError;
use crate::isa::IsaHeader;
use crate::tokenizer::{Delimiters, Segment};

/// One ISA..IEA envelope.
#[derive(Debug, Clone)]
pub struct Interchange<'a> {
    pub header: IsaHeader,
    pub delimiters: Delimiters,
    pub groups: Vec<Group<'a>>,
    pub trailer: Option<InterchangeTrailer>,
    /// False when strict reading rejected the interchange (see `errors`). Strict reading does
    /// not open an interchange whose ISA is faulty: `groups` is then empty.
    pub accepted: bool,
    pub errors: Vec<EdiError>,
    pub warnings: Vec<EdiError>,
    /// Byte offset of the ISA.
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterchangeTrailer {
    /// IEA01 as sent.
    pub group_count: String,
    /// IEA02 as sent.
    pub control_number: String,
}

/// One GS..GE functional group.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    /// GS01, e.g. `QM` for 214s.
    pub functional_id: String,
    pub application_sender: String,
    pub application_receiver: String,
    /// GS04, CCYYMMDD.
    pub date: String,
    /// GS05, HHMM[SS[D[D]]].
    pub time: String,
    /// GS06.
    pub control_number: String,
    /// GS07, normally `X`.
    pub agency: String,
    /// GS08, e.g. `004010` or `005010`.
    pub version: String,
    pub sets: Vec<TransactionSet<'a>>,
    pub trailer: Option<GroupTrailer>,
    pub accepted: bool,
    pub errors: Vec<EdiError>,
    pub warnings: Vec<EdiError>,
    /// Position of the GS within the interchange (ISA = 1).
    pub position: usize,
    /// ISA13 of the enclosing interchange.
    pub interchange_control: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTrailer {
    /// GE01 as sent.
    pub set_count: String,
    /// GE02 as sent.
    pub control_number: String,
}

/// One ST..SE transaction set. `segments` holds everything between ST and SE in order, unknown
/// segments included; segment `i` of the vector is at position `i + 2` in the set.
#[derive(Debug, Clone)]
pub struct TransactionSet<'a> {
    /// ST01, e.g. `214`.
    pub id: String,
    /// ST02.
    pub control: String,
    /// ST03 (5010 implementation convention reference), if sent.
    pub implementation_ref: Option<String>,
    pub segments: Vec<Segment<'a>>,
    pub trailer: Option<SetTrailer>,
    pub accepted: bool,
    pub errors: Vec<EdiError>,
    pub warnings: Vec<EdiError>,
    pub interchange_control: String,
    pub group_control: String,
    /// GS08 of the enclosing group.
    pub version: String,
    /// Byte offset of the ST.
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetTrailer {
    /// SE01 as sent.
    pub segment_count: String,
    /// SE02 as sent.
    pub control_number: String,
}

impl<'a> TransactionSet<'a> {
    /// Labels an error with this set's interchange, group and set control numbers.
    pub fn locate(&self, e: EdiError) -> EdiError {
        let e = if self.interchange_control.is_empty() {
            e
        } else {
            e.interchange(&self.interchange_control)
        };
        let e = if self.group_control.is_empty() {
            e
        } else {
            e.group(&self.group_control)
        };
        e.set(&self.control)
    }

    /// Position within the set (ST = 1) of body segment `index`.
    pub fn position_of(index: usize) -> usize {
        index + 2
    }

    /// Position of the SE (or where it should be).
    pub fn trailer_position(&self) -> usize {
        self.segments.len() + 2
    }

    /// Number of segments from ST to SE inclusive.
    pub fn segment_count(&self) -> usize {
        self.segments.len() + 2
    }
}
