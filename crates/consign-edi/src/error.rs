//! Faults found while reading or writing X12, each located precisely enough to answer a trading
//! partner (a 997 or TA1 names the segment and element) and to show an operator what to fix.

use std::fmt;

use serde::Serialize;

/// What went wrong. Each kind maps onto the standard X12 acknowledgement codes in [`crate::ack`],
/// so the kind, not the human reason, decides what a partner is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Nothing but whitespace, or no bytes at all.
    EmptyInput,
    /// The input does not begin with an `ISA` segment.
    NotX12,
    /// The input ends inside the ISA, or the ISA has fewer than 16 elements.
    TruncatedIsa,
    /// The ISA is not the fixed 106 bytes (its fields are not padded to their fixed widths).
    IsaNotFixedWidth,
    /// A delimiter is alphanumeric, a space, non-ASCII, or equal to another delimiter.
    InvalidDelimiters,
    /// An ISA value that breaks its syntax (control number not 9 digits, version not 5 digits).
    InvalidIsaValue,
    /// The interchange has no IEA before the input (or the next ISA) starts.
    MissingIea,
    /// IEA02 differs from ISA13.
    InterchangeControlMismatch,
    /// IEA01 differs from the number of functional groups actually present.
    GroupCountMismatch,
    /// Bytes after the last IEA that are not another interchange.
    TrailingData,
    /// A functional group has no GE.
    MissingGe,
    /// GE02 differs from GS06.
    GroupControlMismatch,
    /// GE01 differs from the number of transaction sets actually present.
    SetCountMismatch,
    /// GS06 is not a 1-9 digit number.
    InvalidGroupControl,
    /// Two groups of one interchange share a GS06.
    DuplicateGroupControl,
    /// A transaction set has no SE.
    MissingSe,
    /// SE02 differs from ST02.
    SetControlMismatch,
    /// SE01 differs from the number of segments from ST to SE inclusive.
    SegmentCountMismatch,
    /// ST01 is missing or not a 3-digit transaction set identifier.
    InvalidSetId,
    /// ST02 is missing.
    InvalidSetControl,
    /// Two sets of one group share an ST02.
    DuplicateSetControl,
    /// No typed mapping exists for this transaction set (the raw set is still kept).
    UnsupportedSet,
    /// A segment where the envelope or the set's structure does not allow it.
    UnexpectedSegment,
    /// A mandatory segment is absent.
    MissingSegment,
    /// A segment identifier that is not 2-3 upper-case letters or digits starting with a letter.
    InvalidSegmentId,
    /// Two segment terminators with nothing between them.
    EmptySegment,
    /// The input ends without a segment terminator after the last segment.
    UnterminatedSegment,
    /// An HL that names an unknown parent, repeats an id, or nests too deeply.
    InvalidHierarchy,
    /// A segment repeated more often than a loop allows (the extra ones are not mapped).
    SegmentExceedsMaximumUse,
    /// A byte X12 does not allow in data: control characters, DEL, or non-ASCII.
    InvalidCharacter,
    /// A mandatory element is empty or absent.
    MissingElement,
    /// An element required by another element's presence (an X12 syntax note) is absent.
    ConditionalElementMissing,
    /// A DT element that is not a real CCYYMMDD (or YYMMDD) date.
    InvalidDate,
    /// A TM element that is not HHMM[SS[D[D]]] with valid hours, minutes and seconds.
    InvalidTime,
    /// An N or R element that is not a number.
    InvalidNumber,
    /// An ID element whose code is not one we know (time codes, for instance).
    InvalidCode,
    /// The writer was given a value it cannot emit (contains a delimiter, too long, non-ASCII).
    InvalidValue,
}

/// One located fault. `Display` reads like
/// `interchange 000000001, group 1, set 0001, segment 5 (AT7), element 5: invalid date '20261345'`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdiError {
    /// ISA13 of the interchange, when known.
    pub interchange: Option<String>,
    /// GS06 of the functional group, when known.
    pub group: Option<String>,
    /// ST02 of the transaction set, when known.
    pub set: Option<String>,
    /// 1-based segment position: within the set (ST = 1) for set content, within the
    /// interchange (ISA = 1) for envelope segments.
    pub segment_position: Option<usize>,
    pub segment_id: Option<String>,
    /// 1-based element position within the segment.
    pub element: Option<usize>,
    /// X12 data element reference number (e.g. 373 for a date), when the mapping knows it;
    /// a 997 reports it in AK402.
    pub element_ref: Option<u16>,
    pub kind: ErrorKind,
    pub reason: String,
    /// A copy of the offending value, for AK404.
    pub data: Option<String>,
    /// Byte offset in the input, for people reading the raw file.
    pub offset: Option<usize>,
}

impl EdiError {
    pub fn new(kind: ErrorKind, reason: impl Into<String>) -> Self {
        Self {
            interchange: None,
            group: None,
            set: None,
            segment_position: None,
            segment_id: None,
            element: None,
            element_ref: None,
            kind,
            reason: reason.into(),
            data: None,
            offset: None,
        }
    }

    pub fn interchange(mut self, control: impl Into<String>) -> Self {
        self.interchange = Some(control.into());
        self
    }

    pub fn group(mut self, control: impl Into<String>) -> Self {
        self.group = Some(control.into());
        self
    }

    pub fn set(mut self, control: impl Into<String>) -> Self {
        self.set = Some(control.into());
        self
    }

    pub fn segment(mut self, position: usize, id: impl Into<String>) -> Self {
        self.segment_position = Some(position);
        self.segment_id = Some(id.into());
        self
    }

    pub fn element(mut self, position: usize) -> Self {
        self.element = Some(position);
        self
    }

    pub fn element_ref(mut self, reference: u16) -> Self {
        self.element_ref = Some(reference);
        self
    }

    /// Keeps at most 256 bytes of the value: enough for AK404 (99) and for a person, and a
    /// huge bad element does not get copied whole.
    pub fn data(mut self, data: impl Into<String>) -> Self {
        let mut data: String = data.into();
        if data.len() > 256 {
            let mut cut = 256;
            while !data.is_char_boundary(cut) {
                cut -= 1;
            }
            data.truncate(cut);
        }
        self.data = Some(data);
        self
    }

    pub fn offset(mut self, offset: usize) -> Self {
        self.offset = Some(offset);
        self
    }
}

impl fmt::Display for EdiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            if first {
                first = false;
                Ok(())
            } else {
                f.write_str(", ")
            }
        };
        if let Some(ic) = &self.interchange {
            sep(f)?;
            write!(f, "interchange {ic}")?;
        }
        if let Some(g) = &self.group {
            sep(f)?;
            write!(f, "group {g}")?;
        }
        if let Some(s) = &self.set {
            sep(f)?;
            write!(f, "set {s}")?;
        }
        match (self.segment_position, &self.segment_id) {
            (Some(p), Some(id)) => {
                sep(f)?;
                write!(f, "segment {p} ({id})")?;
            }
            (Some(p), None) => {
                sep(f)?;
                write!(f, "segment {p}")?;
            }
            (None, Some(id)) => {
                sep(f)?;
                write!(f, "segment {id}")?;
            }
            (None, None) => {}
        }
        if let Some(e) = self.element {
            sep(f)?;
            write!(f, "element {e}")?;
        }
        if first {
            f.write_str(&self.reason)
        } else {
            write!(f, ": {}", self.reason)
        }
    }
}

impl std::error::Error for EdiError {}

/// Quote a value for a reason string without letting control bytes into logs.
pub(crate) fn quoted(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('\'');
    for &b in bytes.iter().take(80) {
        if (0x20..0x7f).contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    if bytes.len() > 80 {
        s.push_str("...");
    }
    s.push('\'');
    s
}

/// A byte shown to a person: printable as itself, anything else in hex.
pub(crate) fn show_byte(b: u8) -> String {
    if (0x21..0x7f).contains(&b) {
        format!("'{}'", char::from(b))
    } else {
        format!("0x{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_every_known_coordinate() {
        let e = EdiError::new(ErrorKind::InvalidDate, "invalid date '20261345'")
            .interchange("000000001")
            .group("1")
            .set("0001")
            .segment(5, "AT7")
            .element(2);
        assert_eq!(
            e.to_string(),
            "interchange 000000001, group 1, set 0001, segment 5 (AT7), element 2: invalid date '20261345'"
        );
    }

    #[test]
    fn display_without_context_is_the_reason() {
        let e = EdiError::new(ErrorKind::EmptyInput, "input is empty");
        assert_eq!(e.to_string(), "input is empty");
    }

    #[test]
    fn quoted_escapes_control_and_high_bytes() {
        assert_eq!(quoted(b"a\x01\xff"), "'a\\x01\\xff'");
    }
}
