//! Line breaks inside segments. CR and LF between segments are layout (files are often written
//! one segment per line); inside a segment, where neither is the terminator, they are a segment
//! wrapped over two lines by a mail gateway or an editor — never data. Strict reading rejects
//! such a segment (an invalid character, named as a line break); lenient reading drops the line
//! breaks first, with a warning naming the segment, so no value ever carries one.
//!
//! The reader is zero-copy (segments are slices of the input), so dropping bytes needs a copy:
//! [`prepare`] makes one only when a segment was wrapped, and [`Prepared::read`] reads it.

use std::borrow::Cow;

use crate::envelope::{Document, ReadOptions, read, skip_whitespace};
use crate::error::{EdiError, ErrorKind};
use crate::isa::parse_isa;
use crate::tokenizer::Tokenizer;

/// Input ready for [`read`]: the bytes as given, or (lenient, wrapped segments) a copy without
/// the line breaks inside segments, with a warning for each segment they were dropped from.
#[derive(Debug, Clone)]
pub struct Prepared<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub warnings: Vec<EdiError>,
}

impl Prepared<'_> {
    /// Reads the prepared bytes; each warning of the preparation goes to its interchange,
    /// ahead of the interchange's own (to the document when no interchange claims it).
    pub fn read(&self, options: &ReadOptions) -> Document<'_> {
        let mut doc = read(&self.bytes, options);
        for (k, w) in self.warnings.iter().enumerate().rev() {
            let ic = doc
                .interchanges
                .iter_mut()
                .find(|ic| w.interchange.as_deref() == Some(ic.header.control_number.as_str()));
            match ic {
                Some(ic) => ic.warnings.insert(0, w.clone()),
                None => doc.warnings.insert(0, self.warnings[k].clone()),
            }
        }
        doc
    }
}

/// Prepares `input` for reading with `options` (see the module docs). Strict reading gets the
/// input untouched: its segment check rejects a wrapped segment.
pub fn prepare<'a>(input: &'a [u8], options: &ReadOptions) -> Prepared<'a> {
    let untouched = |warnings| Prepared {
        bytes: Cow::Borrowed(input),
        warnings,
    };
    if !options.lenient {
        return untouched(Vec::new());
    }
    let mut stray: Vec<usize> = Vec::new();
    let mut warnings = Vec::new();
    let mut pos = skip_whitespace(input, usize::from(input.starts_with(b"\xEF\xBB\xBF")) * 3);
    while input.get(pos..).is_some_and(|r| r.starts_with(b"ISA")) {
        let Ok(isa) = parse_isa(input, pos) else {
            break;
        };
        let control = isa.header.control_number.clone();
        let mut tokens = Tokenizer::new(input, isa.next, isa.delimiters);
        let mut position = 1;
        let mut next = None;
        for seg in tokens.by_ref() {
            // Another ISA before this one's IEA starts the next interchange there, as the
            // reader has it (`envelope::read`).
            if crate::envelope::starts_interchange(&seg) {
                next = Some(seg.offset());
                break;
            }
            position += 1;
            let breaks: Vec<usize> = seg
                .raw()
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\r' || b == b'\n')
                .map(|(i, _)| seg.offset() + i)
                .collect();
            if let Some(&first) = breaks.first() {
                let id: String = String::from_utf8_lossy(seg.raw())
                    .chars()
                    .filter(|c| !matches!(c, '\r' | '\n'))
                    .take_while(|&c| c != char::from(isa.delimiters.element))
                    .collect();
                if warnings.len() < crate::envelope::MAX_FINDINGS {
                    warnings.push(
                        EdiError::new(
                            ErrorKind::InvalidCharacter,
                            format!(
                                "segment {position} of the interchange ({id}) is wrapped over {} lines; the line break(s) inside it were dropped",
                                breaks.len() + 1
                            ),
                        )
                        .interchange(&control)
                        .segment(position, id)
                        .offset(first),
                    );
                }
                stray.extend(breaks);
            }
            if seg.id_bytes() == b"IEA" {
                next = Some(tokens.position());
                break;
            }
        }
        match next {
            Some(at) if at > pos => pos = skip_whitespace(input, at),
            _ => break,
        }
    }
    if stray.is_empty() {
        return untouched(warnings);
    }
    let mut copy = Vec::with_capacity(input.len());
    let mut from = 0;
    for at in stray {
        copy.extend_from_slice(input.get(from..at).unwrap_or(&[]));
        from = at + 1;
    }
    copy.extend_from_slice(input.get(from..).unwrap_or(&[]));
    Prepared {
        bytes: Cow::Owned(copy),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*U*00401*000000001*0*P*:~";

    fn wrapped() -> String {
        format!(
            "{ISA}\nGS*QM*SENDER*RECEIVER*20200101*1200*1*X*004010~\nST*214*0001~\nB10*PRO1*SHIP\r\n1*GORK~\nSE*3*0001~\nGE*1*1~\nIEA*1*000000001~\n"
        )
    }

    #[test]
    fn lenient_reading_drops_line_breaks_inside_segments_and_names_them() {
        let input = wrapped();
        let prepared = prepare(input.as_bytes(), &ReadOptions::lenient());
        assert!(matches!(prepared.bytes, Cow::Owned(_)));
        assert_eq!(prepared.warnings.len(), 1);
        let w = &prepared.warnings[0];
        assert_eq!(w.segment_position, Some(4), "ISA, GS, ST, then the B10");
        assert!(w.reason.contains("wrapped over 3 lines"), "{w}");
        let doc = prepared.read(&ReadOptions::lenient());
        let set = doc.sets().next().unwrap();
        assert_eq!(set.segments[0].element(2).as_bytes(), b"SHIP1");
        assert_eq!(
            doc.interchanges[0].warnings[0], *w,
            "the preparation's warning is its interchange's"
        );
    }

    #[test]
    fn strict_reading_gets_the_input_untouched_and_rejects_the_set() {
        let input = wrapped();
        let prepared = prepare(input.as_bytes(), &ReadOptions::strict());
        assert!(matches!(prepared.bytes, Cow::Borrowed(_)));
        let doc = prepared.read(&ReadOptions::strict());
        let set = doc.sets().next().unwrap();
        assert!(!set.accepted);
        assert!(
            set.errors[0].reason.contains("line break"),
            "{}",
            set.errors[0]
        );
    }

    #[test]
    fn line_breaks_between_segments_are_layout() {
        let input = wrapped().replace("SHIP\r\n1", "SHIP1");
        let prepared = prepare(input.as_bytes(), &ReadOptions::lenient());
        assert!(matches!(prepared.bytes, Cow::Borrowed(_)));
        assert!(prepared.warnings.is_empty());
    }
}
