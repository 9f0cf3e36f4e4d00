//! Opening and closing functional groups (GS/GE) and transaction sets (ST/SE): their control
//! numbers, identifiers and counts.

use super::checks::{check_segment, control_mismatch, count_fault, same_control};
use super::levels::{Group, GroupTrailer, SetTrailer, TransactionSet};
use super::reader::{MAX_SEGMENTS_HINT, Reader};
use crate::error::{EdiError, ErrorKind, quoted};
use crate::tokenizer::Segment;

impl<'a> Reader<'a, '_> {
    pub(super) fn open_group(&mut self, seg: &Segment<'a>, position: usize) {
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
            ..self.empty_group(position)
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

    /// A group at `position` of this interchange with no GS elements and nothing in it yet.
    fn empty_group(&self, position: usize) -> Group<'a> {
        Group {
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
        }
    }

    /// A group for sets that arrived without a GS, so their data is not lost.
    pub(super) fn open_orphan_group(&mut self, position: usize) {
        self.group = Some(self.empty_group(position));
        self.set_controls.clear();
    }

    pub(super) fn close_group(&mut self, trailer: Option<(&Segment<'a>, usize)>) {
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
                let count_fault = count_fault(
                    &count,
                    sets,
                    |n| {
                        let plural = if n == 1 { "" } else { "s" };
                        format!("GE01 says {n} transaction set{plural}, the group holds {sets}")
                    },
                    |shown| {
                        format!(
                            "GE01 {shown} is not a number of transaction sets (the group holds {sets})"
                        )
                    },
                );
                if let Some(reason) = count_fault {
                    self.group_fault(
                        EdiError::new(ErrorKind::SetCountMismatch, reason)
                            .segment(position, "GE")
                            .element(1)
                            .data(count.clone()),
                    );
                }
                if !same_control(&control, &gs06) {
                    self.group_fault(
                        control_mismatch(
                            ErrorKind::GroupControlMismatch,
                            ("GE02", &control),
                            ("GS06", &gs06),
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

    pub(super) fn open_set(&mut self, seg: &Segment<'a>) {
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
            let wanted = super::functional_id(&id).or_else(|| (id == "999").then_some("FA"))?;
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

    pub(super) fn close_set(&mut self, trailer: Option<&Segment<'a>>) {
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
                let count_fault = count_fault(
                    &count,
                    actual,
                    |n| format!("SE01 says {n} segments, the set has {actual} (ST through SE)"),
                    |shown| {
                        format!(
                            "SE01 {shown} is not a segment count (the set has {actual}, ST through SE)"
                        )
                    },
                );
                if let Some(reason) = count_fault {
                    self.set_fault(
                        EdiError::new(ErrorKind::SegmentCountMismatch, reason)
                            .segment(at, "SE")
                            .element(1)
                            .element_ref(96)
                            .data(count.clone()),
                    );
                }
                if control != st02 {
                    self.set_fault(
                        control_mismatch(
                            ErrorKind::SetControlMismatch,
                            ("SE02", &control),
                            ("ST02", &st02),
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
}
