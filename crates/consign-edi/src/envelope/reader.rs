//! The interchange reader: walks the segments of one interchange, keeps the open group and
//! set, and files every fault on the level it belongs to.

use std::collections::HashSet;

use super::ReadOptions;
use super::checks::{check_segment, control_mismatch, parse_count, same_control};
use super::levels::{Group, Interchange, InterchangeTrailer, TransactionSet};
use super::starts_interchange;
use crate::error::{EdiError, ErrorKind, quoted, show_byte};
use crate::isa::IsaParse;
use crate::tokenizer::{Segment, Tokenizer};

/// input; the level is rejected either way.
pub(crate) const MAX_FINDINGS: usize = 1000;

/// The most body segments a new set reserves room for ahead of reading them.
pub(super) const MAX_SEGMENTS_HINT: usize = 256;

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

pub(super) struct Reader<'a, 'o> {
    pub(super) options: &'o ReadOptions,
    pub(super) ic: Interchange<'a>,
    pub(super) group: Option<Group<'a>>,
    pub(super) set: Option<TransactionSet<'a>>,
    pub(super) group_controls: HashSet<String>,
    pub(super) set_controls: HashSet<String>,
    /// Body segments of the last set, capped: the capacity a new set starts with, since sets of
    /// one file tend to be alike (saves regrowing the vector segment by segment).
    pub(super) segments_hint: usize,
}

impl<'a> Reader<'a, '_> {
    fn lenient(&self) -> bool {
        self.options.lenient
    }

    pub(super) fn ic_fault(&mut self, e: EdiError) {
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

    pub(super) fn group_fault(&mut self, e: EdiError) {
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

    pub(super) fn set_fault(&mut self, e: EdiError) {
        let lenient = self.lenient();
        match self.set.as_mut() {
            Some(s) => {
                let e = s.locate(e);
                record(&mut s.errors, &mut s.warnings, &mut s.accepted, e, lenient);
            }
            None => self.group_fault(e),
        }
    }

    pub(super) fn outside_set(&mut self, seg: &Segment<'a>, position: usize, what: &str) {
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

pub(super) fn read_interchange<'a>(
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
                        control_mismatch(
                            ErrorKind::InterchangeControlMismatch,
                            ("IEA02", &control),
                            ("ISA13", &isa13),
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
