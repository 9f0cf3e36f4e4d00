//! 997 Functional Acknowledgment, read side: match a partner's acknowledgement to the group and
//! sets we sent (AK1 group control, AK2 set control) and see what they accepted. Writing a 997
//! is [`crate::ack::ack_997`].

use serde::{Deserialize, Serialize};

use super::Mapped;
use super::common::finish;
use crate::envelope::{ReadOptions, TransactionSet};
use crate::error::{EdiError, ErrorKind};
use crate::values::Mapper;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FunctionalAck997 {
    /// AK101 functional identifier code of the acknowledged group.
    pub functional_id: String,
    /// AK102 group control number (our GS06).
    pub group_control: String,
    /// AK103 version (5010).
    pub version: Option<String>,
    pub sets: Vec<SetAck>,
    /// AK901: `A`, `E`, `P` or `R`.
    pub group_status: String,
    /// AK902 number of transaction sets included.
    pub sets_included: Option<u32>,
    /// AK903 number received.
    pub sets_received: Option<u32>,
    /// AK904 number accepted.
    pub sets_accepted: Option<u32>,
    /// AK905..AK909 functional group syntax error codes.
    pub group_errors: Vec<String>,
    /// Faults tolerated in lenient mode (always empty in strict mode).
    #[serde(skip)]
    pub warnings: Vec<EdiError>,
}

impl FunctionalAck997 {
    /// True when the partner rejected the group or any set in it.
    pub fn has_rejection(&self) -> bool {
        self.group_status == "R"
            || self.group_status == "P"
            || self.sets.iter().any(SetAck::rejected)
    }

    /// The acknowledgement of set `control`, if listed. Trailing spaces do not count: they pad
    /// a short control number to AK202's minimum length.
    pub fn set(&self, control: &str) -> Option<&SetAck> {
        self.sets
            .iter()
            .find(|s| s.control.trim_end() == control.trim_end())
    }
}

/// One AK2 loop.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SetAck {
    /// AK201 transaction set identifier code.
    pub set_id: String,
    /// AK202 transaction set control number (our ST02).
    pub control: String,
    /// AK203 implementation convention reference (5010).
    pub implementation_ref: Option<String>,
    pub segment_notes: Vec<SegmentNote>,
    /// AK501: `A`, `E`, `M`, `R`, `W` or `X`.
    pub status: String,
    /// AK502..AK506 transaction set syntax error codes.
    pub errors: Vec<String>,
}

impl SetAck {
    pub fn rejected(&self) -> bool {
        matches!(self.status.as_str(), "R" | "M" | "W" | "X")
    }
}

/// AK3 data segment note with its AK4 element notes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SegmentNote {
    pub segment_id: String,
    pub position: Option<u32>,
    pub loop_id: Option<String>,
    /// AK304 segment syntax error code.
    pub code: Option<String>,
    pub elements: Vec<ElementNote>,
}

/// AK4 data element note.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ElementNote {
    /// AK401 (first component in 5010): element position in the segment.
    pub position: Option<u32>,
    /// AK401-2 (5010): component position.
    pub component: Option<u32>,
    /// AK402 data element reference number.
    pub element_ref: Option<String>,
    /// AK403 data element syntax error code.
    pub code: String,
    /// AK404 copy of the bad data element.
    pub bad_data: Option<String>,
}

/// Ends an AK2 loop at segment `i`; the loop must have had its AK5.
fn close_loop(
    m: &mut Mapper<'_, '_>,
    out: &mut FunctionalAck997,
    set: Option<SetAck>,
    ak5_seen: bool,
    i: usize,
    seg: &crate::Segment<'_>,
) {
    if let Some(s) = set {
        if !ak5_seen {
            m.segment_fault(
                i,
                seg,
                ErrorKind::MissingSegment,
                format!("AK2 loop of set {} ends without its AK5", s.control),
            );
        }
        out.sets.push(s);
    }
}

fn codes(seg: &crate::Segment<'_>, from: usize, to: usize) -> Vec<String> {
    (from..=to).filter_map(|n| seg.element(n).opt()).collect()
}

pub fn parse(set: &TransactionSet<'_>, options: &ReadOptions) -> Mapped<FunctionalAck997> {
    let mut m = Mapper::new(set, options, "997")?;
    let mut out = FunctionalAck997::default();
    let (mut seen_ak1, mut seen_ak9) = (false, false);
    let mut current: Option<SetAck> = None;
    let mut ak5_seen = false;
    for (i, seg) in m.segments() {
        match seg.id() {
            "AK1" => {
                seen_ak1 = true;
                out.functional_id = m.required(i, seg, 1, 479, "AK101 functional identifier code");
                out.group_control = m.required(i, seg, 2, 28, "AK102 group control number");
                out.version = m.text(seg, 3);
            }
            "AK2" => {
                close_loop(&mut m, &mut out, current.take(), ak5_seen, i, seg);
                ak5_seen = false;
                current = Some(SetAck {
                    set_id: m.required(i, seg, 1, 143, "AK201 transaction set identifier code"),
                    control: m.required(i, seg, 2, 329, "AK202 transaction set control number"),
                    implementation_ref: m.text(seg, 3),
                    ..SetAck::default()
                });
            }
            "AK3" => {
                let position = m.count(i, seg, 2, 719);
                if let Some(s) = current.as_mut() {
                    s.segment_notes.push(SegmentNote {
                        segment_id: seg.element(1).text().into_owned(),
                        position,
                        loop_id: seg.element(3).opt(),
                        code: seg.element(4).opt(),
                        elements: Vec::new(),
                    });
                }
            }
            "AK4" => {
                let at = seg.element(1);
                let position = crate::values::parse_count(at.component(1)).ok();
                let component = crate::values::parse_count(at.component(2)).ok();
                let note = ElementNote {
                    position,
                    component,
                    element_ref: m.text(seg, 2),
                    code: m.required(i, seg, 3, 723, "AK403 data element syntax error code"),
                    bad_data: m.text(seg, 4),
                };
                if let Some(n) = current.as_mut().and_then(|s| s.segment_notes.last_mut()) {
                    n.elements.push(note);
                }
            }
            "AK5" => {
                ak5_seen = true;
                let status =
                    m.required(i, seg, 1, 717, "AK501 transaction set acknowledgment code");
                if let Some(s) = current.as_mut() {
                    s.status = status;
                    s.errors = codes(seg, 2, 6);
                }
            }
            "AK9" => {
                seen_ak9 = true;
                close_loop(&mut m, &mut out, current.take(), ak5_seen, i, seg);
                ak5_seen = true;
                out.group_status =
                    m.required(i, seg, 1, 715, "AK901 functional group acknowledge code");
                out.sets_included = m.count(i, seg, 2, 97);
                out.sets_received = m.count(i, seg, 3, 123);
                out.sets_accepted = m.count(i, seg, 4, 2);
                out.group_errors = codes(seg, 5, 9);
            }
            _ => {}
        }
    }
    out.sets.extend(current.take());
    if !seen_ak1 {
        m.missing_segment("AK1", "functional group response header");
    }
    if !seen_ak9 {
        m.missing_segment("AK9", "functional group response trailer");
    }
    finish(m, out, |v| &mut v.warnings)
}
