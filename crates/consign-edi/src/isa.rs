//! The ISA header: where an interchange's delimiters come from. Strict reading takes the fixed
//! 106-byte layout; lenient reading also accepts unpadded headers by splitting on the element
//! separator, because some partners' software trims the fields.

use serde::Serialize;

use crate::error::{EdiError, ErrorKind, quoted, show_byte};
use crate::tokenizer::Delimiters;

/// Fixed ISA length: "ISA", 16 separators, 89 bytes of fields, the terminator.
pub const ISA_LEN: usize = 106;

/// Widths of ISA01..ISA16.
const WIDTHS: [usize; 16] = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];

/// The ISA's fields, as sent (padding kept; see the trimming accessors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IsaHeader {
    pub authorization_qualifier: String,
    pub authorization: String,
    pub security_qualifier: String,
    pub security: String,
    pub sender_qualifier: String,
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    /// ISA09, YYMMDD.
    pub date: String,
    /// ISA10, HHMM.
    pub time: String,
    /// ISA11: the repetition separator from 00402 on, the standards identifier (`U`) before.
    pub standards_or_repetition: String,
    /// ISA12, e.g. `00401` or `00501`.
    pub version: String,
    /// ISA13.
    pub control_number: String,
    /// ISA14, `0` or `1`.
    pub ack_requested: String,
    /// ISA15, `P` production or `T` test.
    pub usage: String,
    /// ISA16, the component separator as sent.
    pub component_separator: String,
}

impl IsaHeader {
    pub fn sender(&self) -> &str {
        self.sender_id.trim_end()
    }

    pub fn receiver(&self) -> &str {
        self.receiver_id.trim_end()
    }

    pub fn is_test(&self) -> bool {
        self.usage == "T"
    }
}

/// What reading the ISA yields.
#[derive(Debug, Clone)]
pub(crate) struct IsaParse {
    pub header: IsaHeader,
    pub delimiters: Delimiters,
    /// Byte after the ISA's terminator.
    pub next: usize,
    /// Faults that do not stop reading: the ISA is unpadded, ISA11 cannot be a repetition
    /// separator, ISA13 is not 9 digits. Strict reading rejects the interchange for them.
    pub faults: Vec<EdiError>,
    /// Oddities that are unambiguous and so never reject, in either mode: a 00402+ header
    /// that still carries the old standards identifier `U` in ISA11.
    pub notes: Vec<EdiError>,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Reads the ISA starting at `start` (which the caller checked begins with `ISA`). An `Err` is
/// fatal: the delimiters cannot be known, so nothing after can be read.
pub(crate) fn parse_isa(input: &[u8], start: usize) -> Result<IsaParse, EdiError> {
    let bytes = input.get(start..).unwrap_or(&[]);
    let at = |e: EdiError| e.offset(start).segment(1, "ISA");
    let Some(&element) = bytes.get(3) else {
        return Err(at(EdiError::new(
            ErrorKind::TruncatedIsa,
            format!(
                "input ends {} bytes into the ISA, before its element separator",
                bytes.len()
            ),
        )));
    };
    if element.is_ascii_alphanumeric()
        || element == b' '
        || element >= 0x80
        || element == b'\r'
        || element == b'\n'
    {
        return Err(at(EdiError::new(
            ErrorKind::InvalidDelimiters,
            format!(
                "element separator {} (the byte after ISA) is alphanumeric, a space, a line break or non-ASCII",
                show_byte(element)
            ),
        )));
    }

    let mut faults = Vec::new();
    let mut notes = Vec::new();
    // Field byte ranges, relative to `bytes`.
    let mut fields: [(usize, usize); 16] = [(0, 0); 16];
    let fixed = fixed_layout(bytes, element);
    let term_at = if let Some(layout) = fixed {
        fields = layout;
        ISA_LEN - 1
    } else {
        // Unpadded (or broken) header: find the 16 separators, then ISA16's single byte.
        // A real ISA is never this long; stop instead of scanning a whole bad file.
        const SCAN_LIMIT: usize = 4 * ISA_LEN;
        let seps: Vec<usize> = bytes
            .iter()
            .enumerate()
            .take(SCAN_LIMIT)
            .skip(3)
            .filter(|&(_, &b)| b == element)
            .map(|(i, _)| i)
            .take(16)
            .collect();
        let (Some(&last), true) = (seps.last(), seps.len() == 16) else {
            let reason = if bytes.len() <= SCAN_LIMIT {
                format!(
                    "ISA is truncated: {} of its 16 element separators found before the input ends",
                    seps.len()
                )
            } else {
                format!(
                    "ISA is malformed: only {} of its 16 element separators {} in its first {SCAN_LIMIT} bytes",
                    seps.len(),
                    show_byte(element),
                )
            };
            return Err(at(EdiError::new(ErrorKind::TruncatedIsa, reason)));
        };
        for (k, field) in fields.iter_mut().enumerate() {
            let begin = seps.get(k).map_or(0, |&s| s + 1);
            let end = seps.get(k + 1).copied().unwrap_or(last + 2);
            *field = (begin, end);
        }
        let term_at = last + 2;
        if bytes.get(term_at).is_none() {
            return Err(at(EdiError::new(
                ErrorKind::TruncatedIsa,
                "input ends inside the ISA, before its segment terminator",
            )));
        }
        let mut detail = Vec::new();
        for (k, &(b, e)) in fields.iter().enumerate() {
            let w = e.saturating_sub(b);
            if let Some(&want) = WIDTHS.get(k)
                && w != want
            {
                detail.push(format!("ISA{:02} is {w} characters, not {want}", k + 1));
            }
        }
        // Right widths but no fixed layout means the terminator equals the element
        // separator; `validate` reports that.
        if !detail.is_empty() {
            let reason = format!(
                "ISA is {} bytes, not the fixed {ISA_LEN} (fields not padded: {})",
                term_at + 1,
                detail.join("; ")
            );
            faults.push(at(EdiError::new(ErrorKind::IsaNotFixedWidth, reason)));
        }
        term_at
    };

    let field = |k: usize| -> &[u8] {
        fields
            .get(k)
            .and_then(|&(b, e)| bytes.get(b..e))
            .unwrap_or(&[])
    };
    let component_field = field(15);
    let component = component_field.first().copied().unwrap_or(0);
    let Some(&segment) = bytes.get(term_at) else {
        return Err(at(EdiError::new(
            ErrorKind::TruncatedIsa,
            "input ends inside the ISA, before its segment terminator",
        )));
    };

    let version = field(11);
    let repetition_field = field(10);
    let uses_repetition = version.len() == 5
        && version.iter().all(u8::is_ascii_digit)
        && version >= b"00402".as_slice();
    let mut repetition = None;
    if uses_repetition {
        match repetition_field {
            // Equality with another delimiter is left to `validate`, which names both.
            [r] if !r.is_ascii_alphanumeric() && *r != b' ' && *r < 0x80 => {
                repetition = Some(*r);
            }
            // Senders upgraded from 4010 often leave the standards identifier here. It cannot
            // be a delimiter (it is a letter), so reading on without one loses nothing.
            [b'U'] => notes.push(
                at(EdiError::new(
                    ErrorKind::InvalidDelimiters,
                    format!(
                        "ISA11 'U' is the pre-00402 standards identifier, not a repetition separator, in a version {} header; read without a repetition separator",
                        text(version)
                    ),
                ))
                .element(11),
            ),
            _ => faults.push(
                at(EdiError::new(
                    ErrorKind::InvalidDelimiters,
                    format!(
                        "ISA11 {} cannot be the repetition separator of version {}; read without one",
                        quoted(repetition_field),
                        text(version)
                    ),
                ))
                .element(11),
            ),
        }
    }
    let mut delimiters = Delimiters {
        element,
        component,
        segment,
        repetition,
    };
    // Some senders leave ISA16 out (`…*0*P*~`) and end every segment with `~` and a line
    // break. Read literally, `~` is the component separator and the line break terminates
    // segments, so every segment's last value would end in a stray `~` (a SCAC stored as
    // `GORK~`). When the byte in ISA16 ends every following segment right before its line
    // break, it is the terminator: read it as one, and report the missing ISA16 (a warning
    // when lenient; strict reading rejects the interchange for it).
    if (segment == b'\r' || segment == b'\n')
        && component_field.len() == 1
        && let Some(end) = ends_every_line(bytes, term_at + 1, component, segment)
    {
        let spare = unused_byte(bytes.get(..end).unwrap_or(bytes), &[element, component])
            .filter(|&b| Some(b) != repetition);
        if let Some(spare) = spare {
            delimiters.segment = component;
            delimiters.component = spare;
            faults.push(
                at(EdiError::new(
                    ErrorKind::InvalidDelimiters,
                    format!(
                        "ISA16 (component separator) is missing: {} ends every segment right before its line break, so it is the segment terminator; read with {} as the terminator and {} as the component separator",
                        show_byte(component),
                        show_byte(component),
                        show_byte(spare)
                    ),
                ))
                .element(16),
            );
        }
    }
    delimiters.validate().map_err(at)?;

    if fixed.is_some() {
        let control = field(12);
        if control.len() != 9 || !control.iter().all(u8::is_ascii_digit) {
            faults.push(
                at(EdiError::new(
                    ErrorKind::InvalidIsaValue,
                    format!(
                        "ISA13 interchange control number {} is not 9 digits",
                        quoted(control)
                    ),
                ))
                .element(13),
            );
        }
        if !version.iter().all(u8::is_ascii_digit) {
            faults.push(
                at(EdiError::new(
                    ErrorKind::InvalidIsaValue,
                    format!("ISA12 version {} is not 5 digits", quoted(version)),
                ))
                .element(12),
            );
        }
    }
    if component_field.len() != 1 {
        faults.push(
            at(EdiError::new(
                ErrorKind::InvalidDelimiters,
                format!(
                    "ISA16 {} must be a single component separator",
                    quoted(component_field)
                ),
            ))
            .element(16),
        );
    }

    let header = IsaHeader {
        authorization_qualifier: text(field(0)),
        authorization: text(field(1)),
        security_qualifier: text(field(2)),
        security: text(field(3)),
        sender_qualifier: text(field(4)),
        sender_id: text(field(5)),
        receiver_qualifier: text(field(6)),
        receiver_id: text(field(7)),
        date: text(field(8)),
        time: text(field(9)),
        standards_or_repetition: text(repetition_field),
        version: text(version),
        control_number: text(field(12)),
        ack_requested: text(field(13)),
        usage: text(field(14)),
        component_separator: text(component_field),
    };
    let control = header.control_number.clone();
    let faults = faults
        .into_iter()
        .map(|f| f.interchange(&control))
        .collect();
    let notes = notes.into_iter().map(|f| f.interchange(&control)).collect();
    Ok(IsaParse {
        header,
        delimiters,
        next: start + term_at + 1,
        faults,
        notes,
    })
}

/// Whether `last` ends every segment after the ISA: each of its occurrences from `from` on is
/// followed by a line break (or the end), up to the one that ends the IEA, and there are at
/// least two (a group header and a trailer). Returns where the interchange ends. A component
/// separator, which stands inside elements, is followed by data; line breaks that wrap a
/// segment add no occurrence, so a wrapped file is recognised too.
fn ends_every_line(bytes: &[u8], from: usize, last: u8, line_break: u8) -> Option<usize> {
    let is_break = |b: &u8| *b == b'\r' || *b == b'\n' || *b == line_break;
    let mut count = 0;
    let mut segment_start = from;
    let mut pos = from;
    while let Some(i) = bytes
        .get(pos..)
        .and_then(|r| r.iter().position(|&b| b == last))
    {
        let at = pos + i;
        if !bytes.get(at + 1).is_none_or(is_break) {
            return None;
        }
        count += 1;
        let segment = bytes.get(segment_start..at).unwrap_or(&[]);
        let segment = segment
            .iter()
            .position(|b| !is_break(b))
            .and_then(|s| segment.get(s..))
            .unwrap_or(&[]);
        if segment.starts_with(b"IEA") {
            return (count >= 2).then_some(at + 1);
        }
        segment_start = at + 1;
        pos = at + 1;
    }
    (count >= 2).then_some(bytes.len())
}

/// A punctuation byte that occurs nowhere in `bytes` and is none of `taken`, to stand in as a
/// delimiter the sender did not give; when the data uses every one, the unit separator (a
/// control character, which X12 data never holds).
fn unused_byte(bytes: &[u8], taken: &[u8]) -> Option<u8> {
    let mut seen = [false; 256];
    for &b in bytes {
        seen[usize::from(b)] = true;
    }
    b":>^|!\\<{}@$%&\x1f"
        .iter()
        .copied()
        .find(|b| !seen[usize::from(*b)] && !taken.contains(b))
}

/// Field ranges when every separator sits at its fixed position and no field holds one.
fn fixed_layout(bytes: &[u8], element: u8) -> Option<[(usize, usize); 16]> {
    let isa = bytes.get(..ISA_LEN)?;
    let mut fields = [(0, 0); 16];
    let mut pos = 3;
    for (k, &w) in WIDTHS.iter().enumerate() {
        if *isa.get(pos)? != element {
            return None;
        }
        let begin = pos + 1;
        let end = begin + w;
        if isa.get(begin..end)?.contains(&element) {
            return None;
        }
        *fields.get_mut(k)? = (begin, end);
        pos = end;
    }
    // After ISA16 comes the terminator at 105; it must not be the element separator.
    (pos == ISA_LEN - 1 && *isa.get(pos)? != element).then_some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &[u8] = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*^*00501*000000001*0*P*>~GS";

    #[test]
    fn fixed_width_isa_gives_delimiters() {
        let p = parse_isa(GOOD, 0).unwrap();
        assert_eq!(p.delimiters.element, b'*');
        assert_eq!(p.delimiters.component, b'>');
        assert_eq!(p.delimiters.segment, b'~');
        assert_eq!(p.delimiters.repetition, Some(b'^'));
        assert_eq!(p.next, ISA_LEN);
        assert!(p.faults.is_empty());
        assert_eq!(p.header.sender(), "SENDER");
        assert_eq!(p.header.control_number, "000000001");
    }

    #[test]
    fn version_4010_has_no_repetition_separator() {
        let isa = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*U*00401*000000001*0*P*>~";
        let p = parse_isa(isa, 0).unwrap();
        assert_eq!(p.delimiters.repetition, None);
        assert!(p.faults.is_empty());
    }

    #[test]
    fn unpadded_isa_is_split_and_flagged() {
        let isa = b"ISA*00* *00* *02*SCAC *02*KLSA *060301*0028*U*00401*001*0*P*:~\nGS";
        let p = parse_isa(isa, 0).unwrap();
        assert_eq!(p.delimiters.segment, b'~');
        assert_eq!(p.delimiters.component, b':');
        assert_eq!(p.header.control_number, "001");
        assert_eq!(p.faults.len(), 1);
        assert_eq!(p.faults[0].kind, ErrorKind::IsaNotFixedWidth);
        assert!(p.faults[0].reason.contains("ISA02 is 1 characters, not 10"));
    }

    #[test]
    fn a_missing_isa16_before_line_breaks_is_read_as_the_terminator_and_flagged() {
        let body = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*U*00401*000000001*0*P*~\nGS*SM*A*B*20200101*1200*1*X*004010~\nGE*0*1~\nIEA*1*000000001~\n";
        let p = parse_isa(body, 0).unwrap();
        assert_eq!(p.delimiters.segment, b'~');
        assert_eq!(
            p.delimiters.component, b':',
            "a byte the interchange does not use"
        );
        assert_eq!(p.faults.len(), 1);
        assert_eq!(p.faults[0].element, Some(16));
        assert!(p.faults[0].reason.contains("ISA16"), "{}", p.faults[0]);
        // CRLF line ends read the same.
        let crlf: Vec<u8> = body
            .iter()
            .flat_map(|&b| {
                if b == b'\n' {
                    vec![b'\r', b'\n']
                } else {
                    vec![b]
                }
            })
            .collect();
        let p = parse_isa(&crlf, 0).unwrap();
        assert_eq!(p.delimiters.segment, b'~');
        // A line that does not end with it: ISA16 is what it says, the line break terminates.
        let mixed = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*U*00401*000000001*0*P*~\nGS*SM*A*B*20200101*1200*1*X*004010\nGE*0*1~\n";
        let p = parse_isa(mixed, 0).unwrap();
        assert_eq!(
            (p.delimiters.segment, p.delimiters.component),
            (b'\n', b'~')
        );
        assert!(p.faults.is_empty());
    }

    #[test]
    fn truncated_isa_is_fatal() {
        let e = parse_isa(b"ISA*00*   ", 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TruncatedIsa);
        let e = parse_isa(b"ISA", 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TruncatedIsa);
    }

    #[test]
    fn terminator_equal_to_separator_is_fatal() {
        let mut isa = GOOD.to_vec();
        isa[105] = b'>';
        let e = parse_isa(&isa, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidDelimiters);
    }

    #[test]
    fn alphanumeric_element_separator_is_fatal() {
        let e = parse_isa(b"ISAX00X", 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidDelimiters);
    }

    #[test]
    fn alphanumeric_repetition_in_5010_is_a_fault_not_fatal() {
        let mut isa = GOOD.to_vec();
        isa[82] = b'X';
        let p = parse_isa(&isa, 0).unwrap();
        assert_eq!(p.delimiters.repetition, None);
        assert_eq!(p.faults[0].kind, ErrorKind::InvalidDelimiters);
        assert_eq!(p.faults[0].element, Some(11));
    }

    #[test]
    fn legacy_u_in_5010_is_only_a_note() {
        let mut isa = GOOD.to_vec();
        isa[82] = b'U';
        let p = parse_isa(&isa, 0).unwrap();
        assert_eq!(p.delimiters.repetition, None);
        assert!(p.faults.is_empty());
        assert_eq!(p.notes[0].element, Some(11));
    }
}
