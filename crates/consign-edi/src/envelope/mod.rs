//! The envelope parser: interchanges (ISA/IEA), functional groups (GS/GE) and transaction sets
//! (ST/SE), with every control number and count checked. Faults are recorded on the level they
//! belong to; strict reading rejects that level, lenient reading keeps the data with a warning.

mod checks;
mod control;
mod levels;
mod reader;
#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::error::{EdiError, ErrorKind, quoted};
use crate::isa::parse_isa;
use crate::tokenizer::Segment;

pub use levels::{
    Group, GroupTrailer, Interchange, InterchangeTrailer, SetTrailer, TransactionSet,
};
pub(crate) use reader::MAX_FINDINGS;
use reader::read_interchange;

/// How forgiving to be. Strict is the default: envelope faults reject the affected level, as a
/// 997 would. Lenient (chosen per trading partner) keeps the data and turns the faults that do
/// not lose data into warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ReadOptions {
    pub lenient: bool,
}

impl ReadOptions {
    pub const fn strict() -> Self {
        Self { lenient: false }
    }

    pub const fn lenient() -> Self {
        Self { lenient: true }
    }
}

/// Everything read from one input: its interchanges, plus faults that stopped reading
/// altogether (empty input, an unreadable ISA, bytes that are not an interchange).
#[derive(Debug, Clone, Default)]
pub struct Document<'a> {
    pub interchanges: Vec<Interchange<'a>>,
    pub errors: Vec<EdiError>,
    pub warnings: Vec<EdiError>,
}

impl<'a> Document<'a> {
    /// Every error at every level, outermost first.
    pub fn all_errors(&self) -> Vec<&EdiError> {
        self.findings(|errors, _| errors)
    }

    /// Every warning at every level, outermost first.
    pub fn all_warnings(&self) -> Vec<&EdiError> {
        self.findings(|_, warnings| warnings)
    }

    /// The findings `pick` chooses from each level's (errors, warnings), outermost first.
    fn findings<'s>(
        &'s self,
        pick: impl Fn(&'s [EdiError], &'s [EdiError]) -> &'s [EdiError],
    ) -> Vec<&'s EdiError> {
        let mut out: Vec<&EdiError> = pick(&self.errors, &self.warnings).iter().collect();
        for ic in &self.interchanges {
            out.extend(pick(&ic.errors, &ic.warnings));
            for g in &ic.groups {
                out.extend(pick(&g.errors, &g.warnings));
                for s in &g.sets {
                    out.extend(pick(&s.errors, &s.warnings));
                }
            }
        }
        out
    }

    /// True when nothing at any level was rejected or warned about.
    pub fn is_clean(&self) -> bool {
        self.all_errors().is_empty() && self.all_warnings().is_empty()
    }

    /// All transaction sets of all groups of all interchanges, in order.
    pub fn sets(&self) -> impl Iterator<Item = &TransactionSet<'a>> {
        self.interchanges
            .iter()
            .flat_map(|ic| ic.groups.iter())
            .flat_map(|g| g.sets.iter())
    }
}

/// Skips ASCII whitespace between interchanges.
pub(crate) fn skip_whitespace(input: &[u8], mut pos: usize) -> usize {
    while input.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
}

/// Counts the segments of every interchange in `input` (ISA and IEA included), reading each
/// interchange's delimiters from its ISA. A cheap pass for benchmarks and size checks; it stops
/// at the first thing that is not an interchange.
pub fn tokenize_count(input: &[u8]) -> usize {
    let mut count = 0;
    let mut pos = skip_whitespace(input, 0);
    while input.get(pos..).is_some_and(|r| r.starts_with(b"ISA")) {
        let Ok(isa) = parse_isa(input, pos) else {
            break;
        };
        count += 1;
        let mut tokens = crate::tokenizer::Tokenizer::new(input, isa.next, isa.delimiters);
        let mut ended = false;
        for seg in tokens.by_ref() {
            count += 1;
            if seg.id_bytes() == b"IEA" {
                ended = true;
                break;
            }
        }
        if !ended {
            break;
        }
        pos = skip_whitespace(input, tokens.position());
    }
    count
}

/// GS01 functional identifier code for a transaction set we write.
pub fn functional_id(set_id: &str) -> Option<&'static str> {
    Some(match set_id {
        "204" => "SM",
        "210" => "IM",
        "214" => "QM",
        "856" => "SH",
        "940" => "OW",
        "945" => "SW",
        "990" => "GF",
        "997" => "FA",
        _ => return None,
    })
}

/// Reads every interchange in `input`. Never panics, whatever the bytes.
pub fn read<'a>(input: &'a [u8], options: &ReadOptions) -> Document<'a> {
    let mut doc = Document::default();
    let mut pos = 0;
    if input.starts_with(b"\xEF\xBB\xBF") {
        let e = EdiError::new(
            ErrorKind::InvalidCharacter,
            "input starts with a UTF-8 byte order mark, which X12 does not allow",
        )
        .offset(0);
        if options.lenient {
            doc.warnings.push(e);
        } else {
            doc.errors.push(e);
        }
        pos = 3;
    }
    pos = skip_whitespace(input, pos);
    if pos >= input.len() {
        doc.errors.push(EdiError::new(
            ErrorKind::EmptyInput,
            "input is empty (no ISA segment)",
        ));
        return doc;
    }
    while let Some(rest) = input.get(pos..) {
        if rest.is_empty() {
            break;
        }
        if !rest.starts_with(b"ISA") {
            let shown = quoted(rest.get(..rest.len().min(20)).unwrap_or(rest));
            let e = if doc.interchanges.is_empty() {
                EdiError::new(
                    ErrorKind::NotX12,
                    format!("input does not begin with an ISA segment (found {shown})"),
                )
            } else {
                EdiError::new(
                    ErrorKind::TrailingData,
                    format!("unexpected data after the last IEA at byte {pos}: {shown}"),
                )
            };
            doc.errors.push(e.offset(pos));
            break;
        }
        match parse_isa(input, pos) {
            Err(e) => {
                doc.errors.push(e);
                break;
            }
            Ok(isa) => {
                let (ic, next) = read_interchange(input, pos, isa, options);
                doc.interchanges.push(ic);
                if next <= pos {
                    break;
                }
                pos = skip_whitespace(input, next);
            }
        }
    }
    doc
}

/// Is this segment the start of another interchange (possibly with other delimiters)?
pub(crate) fn starts_interchange(seg: &Segment<'_>) -> bool {
    let raw = seg.raw();
    raw.starts_with(b"ISA") && raw.get(3).is_some_and(|b| !b.is_ascii_alphanumeric())
}
