//! Checks that need no reader state: a segment's id and bytes, control numbers compared as
//! X12 means them, and trailer counts.

use crate::error::{EdiError, ErrorKind, quoted, show_byte};
use crate::tokenizer::Segment;

pub(super) fn valid_segment_id(id: &[u8]) -> bool {
    (2..=3).contains(&id.len())
        && id.first().is_some_and(u8::is_ascii_uppercase)
        && id
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The first byte X12 forbids in data, with the element it sits in (0 = the segment id).
pub(super) fn first_invalid_byte(seg: &Segment<'_>) -> Option<(usize, u8, usize)> {
    // Nearly every segment is printable ASCII throughout: one quick pass settles it.
    if crate::tokenizer::all_printable(seg.raw()) {
        return None;
    }
    let d = seg.delimiters();
    let mut element = 0;
    for (i, &b) in seg.raw().iter().enumerate() {
        if b == d.element {
            element += 1;
        } else if !(0x20..0x7f).contains(&b) && !d.is_delimiter(b) {
            return Some((element, b, seg.offset() + i));
        }
    }
    None
}

/// Compares two control numbers: numerically when both are digits (N0 allows leading zeros),
/// else as text.
pub(super) fn same_control(a: &str, b: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if digits(a) && digits(b) {
        a.trim_start_matches('0') == b.trim_start_matches('0')
    } else {
        a == b
    }
}

pub(super) fn parse_count(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Checks one segment's id and bytes; faults are returned for the caller to file.
pub(super) fn check_segment(seg: &Segment<'_>, position: usize) -> Vec<EdiError> {
    let mut out = Vec::new();
    let valid_id = valid_segment_id(seg.id_bytes());
    let bad_byte = first_invalid_byte(seg);
    // The common case allocates nothing.
    if valid_id && bad_byte.is_none() {
        return out;
    }
    let id = String::from_utf8_lossy(seg.id_bytes()).into_owned();
    if !valid_id {
        out.push(
            EdiError::new(
                ErrorKind::InvalidSegmentId,
                format!(
                    "segment identifier {} is not 2-3 upper-case letters or digits",
                    quoted(seg.id_bytes())
                ),
            )
            .segment(position, id.clone())
            .offset(seg.offset()),
        );
    }
    if let Some((element, byte, offset)) = bad_byte {
        let reason = if byte == b'\r' || byte == b'\n' {
            format!(
                "line break {} inside the segment: it is wrapped over two lines (line breaks may only stand between segments)",
                show_byte(byte)
            )
        } else {
            format!(
                "invalid character {} (X12 data is printable ASCII)",
                show_byte(byte)
            )
        };
        let mut e = EdiError::new(ErrorKind::InvalidCharacter, reason)
            .segment(position, id)
            .offset(offset);
        if element > 0 {
            e = e.element(element);
            let value = seg.element(element).as_bytes();
            e = e.data(String::from_utf8_lossy(value).into_owned());
        }
        out.push(e);
    }
    out
}

/// The fault of a trailer's control number that does not match its header's, each given as
/// (element, value), e.g. `("GE02", ..)` and `("GS06", ..)`.
pub(super) fn control_mismatch(
    kind: ErrorKind,
    (trailer, control): (&str, &str),
    (header, expected): (&str, &str),
) -> EdiError {
    EdiError::new(
        kind,
        format!(
            "{trailer} {} does not match {header} {}",
            quoted(control.as_bytes()),
            quoted(expected.as_bytes())
        ),
    )
}

/// Why a trailer's count is wrong for the `actual` number, if it is: `differs` words a count
/// that is a number, `not_a_number` one that is not (given the count quoted).
pub(super) fn count_fault(
    count: &str,
    actual: usize,
    differs: impl FnOnce(usize) -> String,
    not_a_number: impl FnOnce(String) -> String,
) -> Option<String> {
    match parse_count(count) {
        Some(n) if n == actual => None,
        Some(n) => Some(differs(n)),
        None => Some(not_a_number(quoted(count.as_bytes()))),
    }
}
