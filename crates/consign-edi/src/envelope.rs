//! The envelope parser: interchanges (ISA/IEA), functional groups (GS/GE) and transaction sets
//! (ST/SE), with every control number and count checked. Faults are recorded on the level they
//! belong to; strict reading rejects that level, lenient reading keeps the data with a warning.

use std::collections::HashSet;

use serde::Serialize;

use crate::error::{EdiError, ErrorKind, quoted, show_byte};
use crate::isa::{IsaHeader, IsaParse, parse_isa};
use crate::tokenizer::{Delimiters, Segment, Tokenizer};

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
        let mut out: Vec<&EdiError> = self.errors.iter().collect();
        for ic in &self.interchanges {
            out.extend(ic.errors.iter());
            for g in &ic.groups {
                out.extend(g.errors.iter());
                for s in &g.sets {
                    out.extend(s.errors.iter());
                }
            }
        }
        out
    }

    /// Every warning at every level, outermost first.
    pub fn all_warnings(&self) -> Vec<&EdiError> {
        let mut out: Vec<&EdiError> = self.warnings.iter().collect();
        for ic in &self.interchanges {
            out.extend(ic.warnings.iter());
            for g in &ic.groups {
                out.extend(g.warnings.iter());
                for s in &g.sets {
                    out.extend(s.warnings.iter());
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

/// Caps the findings kept per level so a garbage file cannot make error lists the size of the
/// input; the level is rejected either way.
pub(crate) const MAX_FINDINGS: usize = 1000;

/// The most body segments a new set reserves room for ahead of reading them.
const MAX_SEGMENTS_HINT: usize = 256;

fn record(
    errors: &mut Vec<EdiError>,
    warnings: &mut Vec<EdiError>,
    accepted: &mut bool,
    e: EdiError,
    lenient: bool,
) {
    if lenient {
        if warnings.len() < MAX_FINDINGS {
            warnings.push(e);
        }
    } else {
        *accepted = false;
        if errors.len() < MAX_FINDINGS {
            errors.push(e);
        }
    }
}

/// Skips ASCII whitespace between interchanges.
pub(crate) fn skip_whitespace(input: &[u8], mut pos: usize) -> usize {
    while input.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
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

fn valid_segment_id(id: &[u8]) -> bool {
    (2..=3).contains(&id.len())
        && id.first().is_some_and(u8::is_ascii_uppercase)
        && id
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The first byte X12 forbids in data, with the element it sits in (0 = the segment id).
fn first_invalid_byte(seg: &Segment<'_>) -> Option<(usize, u8, usize)> {
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
fn same_control(a: &str, b: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if digits(a) && digits(b) {
        a.trim_start_matches('0') == b.trim_start_matches('0')
    } else {
        a == b
    }
}

fn parse_count(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Checks one segment's id and bytes; faults are returned for the caller to file.
fn check_segment(seg: &Segment<'_>, position: usize) -> Vec<EdiError> {
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

struct Reader<'a, 'o> {
    options: &'o ReadOptions,
    ic: Interchange<'a>,
    group: Option<Group<'a>>,
    set: Option<TransactionSet<'a>>,
    group_controls: HashSet<String>,
    set_controls: HashSet<String>,
    /// Body segments of the last set, capped: the capacity a new set starts with, since sets of
    /// one file tend to be alike (saves regrowing the vector segment by segment).
    segments_hint: usize,
}

impl<'a> Reader<'a, '_> {
    fn lenient(&self) -> bool {
        self.options.lenient
    }

    fn ic_fault(&mut self, e: EdiError) {
        let e = e.interchange(&self.ic.header.control_number);
        let lenient = self.lenient();
        let ic = &mut self.ic;
        record(
            &mut ic.errors,
            &mut ic.warnings,
            &mut ic.accepted,
            e,
            lenient,
        );
    }

    fn group_fault(&mut self, e: EdiError) {
        let lenient = self.lenient();
        match self.group.as_mut() {
            Some(g) => {
                let e = e.interchange(&g.interchange_control);
                let e = if g.control_number.is_empty() {
                    e
                } else {
                    e.group(&g.control_number)
                };
                record(&mut g.errors, &mut g.warnings, &mut g.accepted, e, lenient);
            }
            None => self.ic_fault(e),
        }
    }

    fn set_fault(&mut self, e: EdiError) {
        let lenient = self.lenient();
        match self.set.as_mut() {
            Some(s) => {
                let e = s.locate(e);
                record(&mut s.errors, &mut s.warnings, &mut s.accepted, e, lenient);
            }
            None => self.group_fault(e),
        }
    }

    fn open_group(&mut self, seg: &Segment<'a>, position: usize) {
        let text = |n: usize| seg.element(n).text().into_owned();
        let control = text(6);
        self.group = Some(Group {
            functional_id: text(1),
            application_sender: text(2),
            application_receiver: text(3),
            date: text(4),
            time: text(5),
            control_number: control.clone(),
            agency: text(7),
            version: text(8),
            sets: Vec::new(),
            trailer: None,
            accepted: true,
            errors: Vec::new(),
            warnings: Vec::new(),
            position,
            interchange_control: self.ic.header.control_number.clone(),
        });
        self.set_controls.clear();
        let well_formed =
            (1..=9).contains(&control.len()) && control.bytes().all(|c| c.is_ascii_digit());
        if !well_formed {
            self.group_fault(
                EdiError::new(
                    ErrorKind::InvalidGroupControl,
                    format!(
                        "GS06 group control number {} is not 1-9 digits",
                        quoted(control.as_bytes())
                    ),
                )
                .segment(position, "GS")
                .element(6),
            );
        } else if !self
            .group_controls
            .insert(control.trim_start_matches('0').to_string())
        {
            self.group_fault(
                EdiError::new(
                    ErrorKind::DuplicateGroupControl,
                    format!(
                        "GS06 group control number {control} is used twice in this interchange"
                    ),
                )
                .segment(position, "GS")
                .element(6),
            );
        }
    }

    /// A group for sets that arrived without a GS, so their data is not lost.
    fn open_orphan_group(&mut self, position: usize) {
        self.group = Some(Group {
            functional_id: String::new(),
            application_sender: String::new(),
            application_receiver: String::new(),
            date: String::new(),
            time: String::new(),
            control_number: String::new(),
            agency: String::new(),
            version: String::new(),
            sets: Vec::new(),
            trailer: None,
            accepted: true,
            errors: Vec::new(),
            warnings: Vec::new(),
            position,
            interchange_control: self.ic.header.control_number.clone(),
        });
        self.set_controls.clear();
    }

    fn close_group(&mut self, trailer: Option<(&Segment<'a>, usize)>) {
        if self.group.is_none() {
            return;
        }
        match trailer {
            None => {
                let at = self.group.as_ref().map_or(0, |g| g.position);
                self.group_fault(
                    EdiError::new(ErrorKind::MissingGe, "functional group has no GE trailer")
                        .segment(at, "GS"),
                );
            }
            Some((seg, position)) => {
                let count = seg.element(1).text().into_owned();
                let control = seg.element(2).text().into_owned();
                let (sets, gs06) = match self.group.as_ref() {
                    Some(g) => (g.sets.len(), g.control_number.clone()),
                    None => (0, String::new()),
                };
                match parse_count(&count) {
                    Some(n) if n == sets => {}
                    Some(n) => self.group_fault(
                        EdiError::new(
                            ErrorKind::SetCountMismatch,
                            format!(
                                "GE01 says {n} transaction set{}, the group holds {sets}",
                                if n == 1 { "" } else { "s" }
                            ),
                        )
                        .segment(position, "GE")
                        .element(1)
                        .data(count.clone()),
                    ),
                    None => self.group_fault(
                        EdiError::new(
                            ErrorKind::SetCountMismatch,
                            format!(
                                "GE01 {} is not a number of transaction sets (the group holds {sets})",
                                quoted(count.as_bytes())
                            ),
                        )
                        .segment(position, "GE")
                        .element(1)
                        .data(count.clone()),
                    ),
                }
                if !same_control(&control, &gs06) {
                    self.group_fault(
                        EdiError::new(
                            ErrorKind::GroupControlMismatch,
                            format!(
                                "GE02 {} does not match GS06 {}",
                                quoted(control.as_bytes()),
                                quoted(gs06.as_bytes())
                            ),
                        )
                        .segment(position, "GE")
                        .element(2)
                        .data(control.clone()),
                    );
                }
                if let Some(g) = self.group.as_mut() {
                    g.trailer = Some(GroupTrailer {
                        set_count: count,
                        control_number: control,
                    });
                }
            }
        }
        if let Some(g) = self.group.take() {
            self.ic.groups.push(g);
        }
    }

    fn open_set(&mut self, seg: &Segment<'a>) {
        let id = seg.element(1).text().into_owned();
        let control = seg.element(2).text().into_owned();
        let (interchange_control, group_control, version) = match self.group.as_ref() {
            Some(g) => (
                g.interchange_control.clone(),
                g.control_number.clone(),
                g.version.clone(),
            ),
            None => (
                self.ic.header.control_number.clone(),
                String::new(),
                String::new(),
            ),
        };
        let valid_id = id.len() == 3 && id.bytes().all(|c| c.is_ascii_digit());
        let invalid_id = (!valid_id).then(|| quoted(id.as_bytes()));
        // A group holds sets of one functional identifier (GS01): an 856 in an `IN` group was
        // routed or enveloped wrongly, whatever its content.
        let misfiled = self.group.as_ref().and_then(|g| {
            let wanted =
                crate::writer::functional_id(&id).or_else(|| (id == "999").then_some("FA"))?;
            (g.functional_id != wanted).then(|| (wanted, g.functional_id.clone()))
        });
        self.set = Some(TransactionSet {
            id,
            control: control.clone(),
            implementation_ref: seg.element(3).opt(),
            segments: Vec::with_capacity(self.segments_hint),
            trailer: None,
            accepted: true,
            errors: Vec::new(),
            warnings: Vec::new(),
            interchange_control,
            group_control,
            version,
            offset: seg.offset(),
        });
        for e in check_segment(seg, 1) {
            self.set_fault(e);
        }
        if let Some(shown) = invalid_id {
            self.set_fault(
                EdiError::new(
                    ErrorKind::InvalidSetId,
                    format!("ST01 {shown} is not a 3-digit transaction set identifier"),
                )
                .segment(1, "ST")
                .element(1),
            );
        }
        if let Some((wanted, gs01)) = misfiled {
            let id = self.set.as_ref().map(|s| s.id.clone()).unwrap_or_default();
            self.set_fault(
                EdiError::new(
                    ErrorKind::InvalidSetId,
                    format!(
                        "a {id} belongs in a functional group with GS01 {wanted}, not in this {} group",
                        quoted(gs01.as_bytes())
                    ),
                )
                .segment(1, "ST")
                .element(1),
            );
        }
        if control.is_empty() {
            self.set_fault(
                EdiError::new(
                    ErrorKind::InvalidSetControl,
                    "ST02 transaction set control number is missing",
                )
                .segment(1, "ST")
                .element(2),
            );
        } else if !self.set_controls.insert(control.clone()) {
            self.set_fault(
                EdiError::new(
                    ErrorKind::DuplicateSetControl,
                    format!("ST02 control number {control} is used twice in this group"),
                )
                .segment(1, "ST")
                .element(2),
            );
        }
    }

    fn close_set(&mut self, trailer: Option<&Segment<'a>>) {
        let Some((actual, st02, at)) = self
            .set
            .as_ref()
            .map(|s| (s.segment_count(), s.control.clone(), s.trailer_position()))
        else {
            return;
        };
        match trailer {
            None => self.set_fault(EdiError::new(
                ErrorKind::MissingSe,
                "transaction set has no SE trailer",
            )),
            Some(seg) => {
                for e in check_segment(seg, at) {
                    self.set_fault(e);
                }
                let count = seg.element(1).text().into_owned();
                let control = seg.element(2).text().into_owned();
                match parse_count(&count) {
                    Some(n) if n == actual => {}
                    Some(n) => self.set_fault(
                        EdiError::new(
                            ErrorKind::SegmentCountMismatch,
                            format!(
                                "SE01 says {n} segments, the set has {actual} (ST through SE)"
                            ),
                        )
                        .segment(at, "SE")
                        .element(1)
                        .element_ref(96)
                        .data(count.clone()),
                    ),
                    None => self.set_fault(
                        EdiError::new(
                            ErrorKind::SegmentCountMismatch,
                            format!(
                                "SE01 {} is not a segment count (the set has {actual}, ST through SE)",
                                quoted(count.as_bytes())
                            ),
                        )
                        .segment(at, "SE")
                        .element(1)
                        .element_ref(96)
                        .data(count.clone()),
                    ),
                }
                if control != st02 {
                    self.set_fault(
                        EdiError::new(
                            ErrorKind::SetControlMismatch,
                            format!(
                                "SE02 {} does not match ST02 {}",
                                quoted(control.as_bytes()),
                                quoted(st02.as_bytes())
                            ),
                        )
                        .segment(at, "SE")
                        .element(2)
                        .element_ref(329)
                        .data(control.clone()),
                    );
                }
                if let Some(s) = self.set.as_mut() {
                    s.trailer = Some(SetTrailer {
                        segment_count: count,
                        control_number: control,
                    });
                }
            }
        }
        if let Some(mut s) = self.set.take() {
            self.segments_hint = s.segments.len().min(MAX_SEGMENTS_HINT);
            s.segments.shrink_to_fit();
            match self.group.as_mut() {
                Some(g) => g.sets.push(s),
                None => {
                    // Unreachable in practice: a set is only opened inside a group.
                    self.open_orphan_group(0);
                    if let Some(g) = self.group.as_mut() {
                        g.sets.push(s);
                    }
                }
            }
        }
    }

    fn outside_set(&mut self, seg: &Segment<'a>, position: usize, what: &str) {
        let id = String::from_utf8_lossy(seg.id_bytes()).into_owned();
        self.group_fault(
            EdiError::new(
                ErrorKind::UnexpectedSegment,
                format!("{} {what}; ignored", quoted(seg.id_bytes())),
            )
            .segment(position, id)
            .offset(seg.offset()),
        );
    }
}

fn read_interchange<'a>(
    input: &'a [u8],
    start: usize,
    isa: IsaParse,
    options: &ReadOptions,
) -> (Interchange<'a>, usize) {
    let IsaParse {
        header,
        delimiters,
        next,
        faults,
        notes,
    } = isa;
    let mut r = Reader {
        options,
        ic: Interchange {
            header,
            delimiters,
            groups: Vec::new(),
            trailer: None,
            accepted: true,
            errors: Vec::new(),
            warnings: Vec::new(),
            offset: start,
        },
        group: None,
        set: None,
        group_controls: HashSet::new(),
        set_controls: HashSet::new(),
        segments_hint: 0,
    };
    let header_faulty = !faults.is_empty();
    for f in faults {
        r.ic_fault(f);
    }
    r.ic.warnings.extend(notes);
    let mut tokens = Tokenizer::new(input, next, delimiters);

    if header_faulty && !options.lenient {
        // A rejected ISA is not opened (a TA1 answers it); skip to its IEA so that any
        // following interchange can still be read.
        while let Some(seg) = tokens.next() {
            if starts_interchange(&seg) {
                tokens.seek(seg.offset());
                break;
            }
            if seg.id_bytes() == b"IEA" {
                break;
            }
        }
        return (r.ic, tokens.position());
    }

    let mut position = 1;
    let mut ended = false;
    while let Some(seg) = tokens.next() {
        if starts_interchange(&seg) {
            tokens.seek(seg.offset());
            break;
        }
        if seg.raw().is_empty() {
            let e = EdiError::new(
                ErrorKind::EmptySegment,
                "empty segment (two segment terminators in a row); ignored",
            )
            .offset(seg.offset());
            r.set_fault(e);
            continue;
        }
        position += 1;
        if !seg.is_terminated() {
            let id = String::from_utf8_lossy(seg.id_bytes()).into_owned();
            r.ic_fault(
                EdiError::new(
                    ErrorKind::UnterminatedSegment,
                    format!(
                        "input ends without a segment terminator {} after this segment",
                        show_byte(delimiters.segment)
                    ),
                )
                .segment(position, id)
                .offset(seg.offset()),
            );
        }
        match seg.id_bytes() {
            b"IEA" => {
                for e in check_segment(&seg, position) {
                    r.ic_fault(e);
                }
                r.close_set(None);
                r.close_group(None);
                let count = seg.element(1).text().into_owned();
                let control = seg.element(2).text().into_owned();
                let groups = r.ic.groups.len();
                match parse_count(&count) {
                    Some(n) if n == groups => {}
                    _ => r.ic_fault(
                        EdiError::new(
                            ErrorKind::GroupCountMismatch,
                            format!(
                                "IEA01 {} does not match the {groups} functional group{} present",
                                quoted(count.as_bytes()),
                                if groups == 1 { "" } else { "s" }
                            ),
                        )
                        .segment(position, "IEA")
                        .element(1)
                        .data(count.clone()),
                    ),
                }
                let isa13 = r.ic.header.control_number.clone();
                if !same_control(&control, &isa13) {
                    r.ic_fault(
                        EdiError::new(
                            ErrorKind::InterchangeControlMismatch,
                            format!(
                                "IEA02 {} does not match ISA13 {}",
                                quoted(control.as_bytes()),
                                quoted(isa13.as_bytes())
                            ),
                        )
                        .segment(position, "IEA")
                        .element(2)
                        .data(control.clone()),
                    );
                }
                r.ic.trailer = Some(InterchangeTrailer {
                    group_count: count,
                    control_number: control,
                });
                ended = true;
                break;
            }
            b"GS" => {
                r.close_set(None);
                r.close_group(None);
                r.open_group(&seg, position);
                for e in check_segment(&seg, position) {
                    r.group_fault(e);
                }
            }
            b"GE" => {
                r.close_set(None);
                if r.group.is_some() {
                    for e in check_segment(&seg, position) {
                        r.group_fault(e);
                    }
                    r.close_group(Some((&seg, position)));
                } else {
                    r.outside_set(&seg, position, "GE without a GS");
                }
            }
            b"ST" => {
                r.close_set(None);
                if r.group.is_none() {
                    r.open_orphan_group(position);
                    r.group_fault(
                        EdiError::new(
                            ErrorKind::UnexpectedSegment,
                            "ST before any GS: transaction set outside a functional group",
                        )
                        .segment(position, "ST")
                        .offset(seg.offset()),
                    );
                }
                r.open_set(&seg);
            }
            b"SE" => {
                if r.set.is_some() {
                    r.close_set(Some(&seg));
                } else {
                    r.outside_set(&seg, position, "SE without an ST");
                }
            }
            _ => {
                if r.set.is_some() {
                    let at = r.set.as_ref().map_or(0, |s| s.trailer_position());
                    for e in check_segment(&seg, at) {
                        r.set_fault(e);
                    }
                    if let Some(s) = r.set.as_mut() {
                        s.segments.push(seg);
                    }
                } else if r.group.is_some() {
                    r.outside_set(&seg, position, "segment outside any transaction set");
                } else {
                    r.outside_set(&seg, position, "segment outside any functional group");
                }
            }
        }
    }
    if !ended {
        r.close_set(None);
        r.close_group(None);
        r.ic_fault(EdiError::new(
            ErrorKind::MissingIea,
            "interchange has no IEA trailer",
        ));
    }
    (r.ic, tokens.position())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*^*00501*000000001*0*P*>~";

    fn doc(body: &str, lenient: bool) -> Document<'static> {
        let text: &'static str = Box::leak(format!("{ISA}{body}").into_boxed_str());
        read(text.as_bytes(), &ReadOptions { lenient })
    }

    #[test]
    fn well_formed_interchange_reads_clean() {
        let d = doc(
            "GS*QM*S*R*20200101*1200*1*X*005010~ST*214*0001~B10*A*B*SCAC~LX*1~SE*4*0001~GE*1*1~IEA*1*000000001~",
            false,
        );
        assert!(d.is_clean(), "{:?}", d.all_errors());
        let set = &d.interchanges[0].groups[0].sets[0];
        assert_eq!(set.id, "214");
        assert_eq!(set.segments.len(), 2);
        assert_eq!(set.segments[0].id(), "B10");
    }

    #[test]
    fn se_count_wrong_rejects_set_in_strict_and_warns_in_lenient() {
        let body = "GS*QM*S*R*20200101*1200*1*X*005010~ST*214*0001~B10*A*B*SCAC~SE*4*0001~GE*1*1~IEA*1*000000001~";
        let strict = doc(body, false);
        let set = &strict.interchanges[0].groups[0].sets[0];
        assert!(!set.accepted);
        assert_eq!(set.errors[0].kind, ErrorKind::SegmentCountMismatch);
        assert_eq!(
            set.errors[0].to_string(),
            "interchange 000000001, group 1, set 0001, segment 3 (SE), element 1: SE01 says 4 segments, the set has 3 (ST through SE)"
        );
        let lenient = doc(body, true);
        let set = &lenient.interchanges[0].groups[0].sets[0];
        assert!(set.accepted);
        assert_eq!(set.warnings[0].kind, ErrorKind::SegmentCountMismatch);
    }

    #[test]
    fn st_before_gs_is_kept_in_an_orphan_group() {
        let d = doc("ST*214*0001~B10*A*B*C~SE*3*0001~IEA*0*000000001~", true);
        let g = &d.interchanges[0].groups[0];
        assert_eq!(g.sets.len(), 1);
        assert_eq!(g.warnings[0].kind, ErrorKind::UnexpectedSegment);
        assert_eq!(g.warnings[1].kind, ErrorKind::MissingGe);
    }

    #[test]
    fn missing_se_and_ge_and_iea_are_reported() {
        let d = doc(
            "GS*QM*S*R*20200101*1200*1*X*005010~ST*214*0001~B10*A*B*C~",
            false,
        );
        let ic = &d.interchanges[0];
        assert_eq!(ic.errors[0].kind, ErrorKind::MissingIea);
        assert_eq!(ic.groups[0].errors[0].kind, ErrorKind::MissingGe);
        assert_eq!(ic.groups[0].sets[0].errors[0].kind, ErrorKind::MissingSe);
    }

    #[test]
    fn same_control_ignores_leading_zeros_of_numbers_only() {
        assert!(same_control("000000001", "1"));
        assert!(!same_control("001 N/L", "001"));
        assert!(same_control("ab", "ab"));
    }

    #[test]
    fn segment_ids_are_checked() {
        assert!(valid_segment_id(b"AT7"));
        assert!(valid_segment_id(b"N1"));
        assert!(!valid_segment_id(b"n1"));
        assert!(!valid_segment_id(b"1N"));
        assert!(!valid_segment_id(b"ABCD"));
    }
}
