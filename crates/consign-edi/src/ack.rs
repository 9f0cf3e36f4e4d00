//! Acknowledgements we send: the 997 for a functional group (AK1/AK2/AK3/AK4/AK5/AK9), its 5010
//! alternative the 999 (AK1/AK2/IK3/IK4/IK5/AK9, 005010X231A1), and the TA1 for an interchange,
//! with our error kinds mapped onto the standard X12 code lists.

use std::collections::HashMap;

use serde::Serialize;

use crate::envelope::{Group, Interchange, ReadOptions};
use crate::error::{EdiError, ErrorKind};
use crate::sets::parse_any;
use crate::writer::{OutgoingSet, OwnedElement, OwnedSegment, pad_to_min_length};

/// The outcome for one transaction set: envelope faults, plus whatever the caller adds (typed
/// mapping faults, business rejections expressed as X12 faults).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SetResult {
    pub errors: Vec<EdiError>,
    pub warnings: Vec<EdiError>,
}

/// The outcome for one functional group, set by set, in the group's order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GroupResult {
    pub errors: Vec<EdiError>,
    pub warnings: Vec<EdiError>,
    pub sets: Vec<SetResult>,
}

/// AK501 / AK901 / TA104 acknowledgement codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AckCode {
    Accepted,
    AcceptedWithErrors,
    PartiallyAccepted,
    Rejected,
}

impl AckCode {
    pub fn code(self) -> &'static str {
        match self {
            Self::Accepted => "A",
            Self::AcceptedWithErrors => "E",
            Self::PartiallyAccepted => "P",
            Self::Rejected => "R",
        }
    }
}

impl GroupResult {
    /// The envelope's own verdict on the group and its sets.
    pub fn from_group(group: &Group<'_>) -> Self {
        Self {
            errors: group.errors.clone(),
            warnings: group.warnings.clone(),
            sets: group
                .sets
                .iter()
                .map(|s| SetResult {
                    errors: s.errors.clone(),
                    warnings: s.warnings.clone(),
                })
                .collect(),
        }
    }

    /// The envelope's verdict plus each set's typed mapping: bad values and missing mandatory
    /// segments become AK3/AK4 notes, and sets without a mapping are answered "not supported".
    pub fn with_mappings(group: &Group<'_>, options: &ReadOptions) -> Self {
        let mut result = Self::from_group(group);
        for (set, res) in group.sets.iter().zip(result.sets.iter_mut()) {
            match parse_any(set, options) {
                Ok(typed) => res.warnings.extend(typed.warnings().iter().cloned()),
                Err(errors) => res.errors.extend(errors),
            }
        }
        result
    }

    pub fn set_status(&self, index: usize) -> AckCode {
        match self.sets.get(index) {
            Some(s) if !s.errors.is_empty() => AckCode::Rejected,
            Some(s) if !s.warnings.is_empty() => AckCode::AcceptedWithErrors,
            _ => AckCode::Accepted,
        }
    }

    pub fn accepted_sets(&self) -> usize {
        (0..self.sets.len())
            .filter(|&i| self.set_status(i) != AckCode::Rejected)
            .count()
    }

    pub fn group_status(&self) -> AckCode {
        let received = self.sets.len();
        let accepted = self.accepted_sets();
        if !self.errors.is_empty() || (received > 0 && accepted == 0) {
            AckCode::Rejected
        } else if accepted < received {
            AckCode::PartiallyAccepted
        } else if !self.warnings.is_empty()
            || (0..received).any(|i| self.set_status(i) == AckCode::AcceptedWithErrors)
        {
            AckCode::AcceptedWithErrors
        } else {
            AckCode::Accepted
        }
    }
}

/// AK502..AK506 transaction set syntax error code for a set-level fault.
pub fn ak5_code(kind: ErrorKind) -> Option<&'static str> {
    Some(match kind {
        ErrorKind::UnsupportedSet => "1",
        ErrorKind::MissingSe => "2",
        ErrorKind::SetControlMismatch => "3",
        ErrorKind::SegmentCountMismatch => "4",
        ErrorKind::InvalidSetId => "6",
        ErrorKind::InvalidSetControl => "7",
        ErrorKind::DuplicateSetControl => "23",
        _ => return None,
    })
}

/// AK905..AK909 functional group syntax error code for a group-level fault.
pub fn ak9_code(kind: ErrorKind) -> Option<&'static str> {
    Some(match kind {
        ErrorKind::MissingGe => "3",
        ErrorKind::GroupControlMismatch => "4",
        ErrorKind::SetCountMismatch => "5",
        ErrorKind::InvalidGroupControl => "6",
        ErrorKind::DuplicateGroupControl => "19",
        _ => return None,
    })
}

/// AK304 segment syntax error code for a fault about a whole segment.
pub fn ak304_code(kind: ErrorKind) -> Option<&'static str> {
    Some(match kind {
        ErrorKind::InvalidSegmentId | ErrorKind::EmptySegment => "1",
        ErrorKind::UnexpectedSegment => "2",
        ErrorKind::MissingSegment => "3",
        ErrorKind::InvalidHierarchy => "7",
        ErrorKind::SegmentExceedsMaximumUse => "5",
        _ => return None,
    })
}

/// AK403 data element syntax error code for a fault about one element.
pub fn ak403_code(kind: ErrorKind) -> Option<&'static str> {
    Some(match kind {
        ErrorKind::MissingElement => "1",
        ErrorKind::ConditionalElementMissing => "2",
        ErrorKind::InvalidCharacter | ErrorKind::InvalidNumber | ErrorKind::InvalidValue => "6",
        ErrorKind::InvalidCode => "7",
        ErrorKind::InvalidDate => "8",
        ErrorKind::InvalidTime => "9",
        _ => return None,
    })
}

/// TA105 interchange note code for an interchange-level fault.
pub fn ta1_code(e: &EdiError) -> &'static str {
    match e.kind {
        ErrorKind::InterchangeControlMismatch => "001",
        ErrorKind::InvalidIsaValue if e.element == Some(12) => "017",
        ErrorKind::InvalidIsaValue if e.element == Some(13) => "018",
        ErrorKind::InvalidDelimiters if e.element == Some(16) => "027",
        ErrorKind::InvalidDelimiters if e.element == Some(11) => "016",
        ErrorKind::GroupCountMismatch => "021",
        ErrorKind::MissingIea | ErrorKind::UnterminatedSegment => "023",
        ErrorKind::UnexpectedSegment
        | ErrorKind::InvalidCharacter
        | ErrorKind::InvalidSegmentId => "024",
        _ => "022",
    }
}

/// Keeps a copy of bad data only when it cannot clash with any delimiter we would write with.
fn safe_copy(data: &str) -> Option<String> {
    let ok = !data.is_empty()
        && data.len() <= 99
        && data
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'.' | b'-' | b'/'));
    ok.then(|| data.to_string())
}

fn segment_id_for_ack(id: &str) -> Option<String> {
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        .take(3)
        .collect();
    (id.len() >= 2).then_some(id)
}

fn push_codes(codes: &mut Vec<&'static str>, code: Option<&'static str>) {
    if let Some(c) = code
        && !codes.contains(&c)
        && codes.len() < 5
    {
        codes.push(c);
    }
}

/// AK4/IK4: one element fault of a noted segment.
struct ElementNote {
    position: usize,
    element_ref: Option<u16>,
    code: &'static str,
    bad_data: Option<String>,
}

/// AK3/IK3 and the element notes under it.
struct SegmentNote {
    segment_id: String,
    position: usize,
    code: &'static str,
    elements: Vec<ElementNote>,
}

/// What AK2..AK5 (997) or AK2..IK5 (999) say about one set.
struct SetAck {
    set_id: String,
    control: String,
    implementation_ref: Option<String>,
    notes: Vec<SegmentNote>,
    status: AckCode,
    codes: Vec<&'static str>,
}

/// The verdict a 997 and a 999 share: both acknowledgements render this, so the two can never
/// disagree about which faults are reported or how they are coded.
struct GroupAck {
    sets: Vec<SetAck>,
    included: usize,
    received: usize,
    accepted: usize,
    status: AckCode,
    codes: Vec<&'static str>,
}

fn acknowledge(group: &Group<'_>, result: &GroupResult) -> GroupAck {
    let mut sets = Vec::with_capacity(group.sets.len());
    for (i, set) in group.sets.iter().enumerate() {
        // AK202 is element 329, AN 4/9: a partner's shorter ST02 is padded, not altered.
        let control = if set.control.is_empty() {
            String::new()
        } else {
            pad_to_min_length(&set.control, 4)
        };
        let empty = SetResult::default();
        let res = result.sets.get(i).unwrap_or(&empty);
        let findings: Vec<&EdiError> = res.errors.iter().chain(res.warnings.iter()).collect();

        let mut set_codes: Vec<&'static str> = Vec::new();
        // Findings per segment, in order of first appearance; a map keeps this linear when a
        // hostile set carries thousands of faults.
        let mut segment_keys: Vec<(usize, &str)> = Vec::new();
        let mut per_segment: HashMap<(usize, &str), Vec<&EdiError>> = HashMap::new();
        for e in &findings {
            if let Some(code) = ak5_code(e.kind) {
                push_codes(&mut set_codes, Some(code));
                continue;
            }
            let noted = ak304_code(e.kind).is_some() || ak403_code(e.kind).is_some();
            if let (true, Some(pos), Some(id)) = (noted, e.segment_position, &e.segment_id) {
                let key = (pos, id.as_str());
                let entry = per_segment.entry(key).or_default();
                if entry.is_empty() {
                    segment_keys.push(key);
                }
                entry.push(e);
            }
        }
        let mut notes = Vec::new();
        for key in &segment_keys {
            let (pos, id) = *key;
            let here = per_segment.get(key).map(Vec::as_slice).unwrap_or(&[]);
            let element_notes: Vec<(&EdiError, &'static str)> = here
                .iter()
                .copied()
                .filter(|e| e.element.is_some())
                .filter_map(|e| ak403_code(e.kind).map(|code| (e, code)))
                .collect();
            let segment_code = if element_notes.is_empty() {
                here.iter().find_map(|e| ak304_code(e.kind)).unwrap_or("8")
            } else {
                "8"
            };
            let Some(segment_id) = segment_id_for_ack(id) else {
                // An unreadable segment id cannot be echoed; AK5 code 5 still reports it.
                push_codes(&mut set_codes, Some("5"));
                continue;
            };
            let elements = element_notes
                .iter()
                .take(99)
                .filter_map(|&(e, code)| {
                    // Element position is N0 1/2: a larger one cannot be written.
                    let position = e.element.filter(|&n| n <= 99)?;
                    Some(ElementNote {
                        position,
                        element_ref: e.element_ref,
                        code,
                        bad_data: e.data.as_deref().and_then(safe_copy),
                    })
                })
                .collect();
            notes.push(SegmentNote {
                segment_id,
                position: pos,
                code: segment_code,
                elements,
            });
            push_codes(&mut set_codes, Some("5"));
        }
        if findings.iter().any(|e| ak5_code(e.kind).is_none())
            && segment_keys.is_empty()
            && !findings.is_empty()
        {
            push_codes(&mut set_codes, Some("5"));
        }
        sets.push(SetAck {
            set_id: set.id.clone(),
            control,
            implementation_ref: set.implementation_ref.clone(),
            notes,
            status: result.set_status(i),
            codes: set_codes,
        });
    }

    let received = group.sets.len();
    let included = group
        .trailer
        .as_ref()
        .and_then(|t| t.set_count.parse::<usize>().ok())
        .unwrap_or(received);
    let mut group_codes: Vec<&'static str> = Vec::new();
    for e in result.errors.iter().chain(result.warnings.iter()) {
        push_codes(&mut group_codes, ak9_code(e.kind));
    }
    GroupAck {
        sets,
        included,
        received,
        accepted: result.accepted_sets(),
        status: result.group_status(),
        codes: group_codes,
    }
}

/// A status code followed by its error codes: AK5, IK5 and AK9's tail.
fn status_elements(status: AckCode, codes: &[&str]) -> Vec<String> {
    let mut elements = vec![status.code().to_string()];
    elements.extend(codes.iter().map(|c| c.to_string()));
    elements
}

fn ak9(ack: &GroupAck) -> OwnedSegment {
    let mut elements = vec![
        ack.status.code().to_string(),
        ack.included.to_string(),
        ack.received.to_string(),
        ack.accepted.to_string(),
    ];
    elements.extend(ack.codes.iter().map(|c| c.to_string()));
    OwnedSegment::new("AK9", elements)
}

/// A 997 answering `group`, as the body of a set with control number `set_control`; wrap it
/// with [`crate::write_interchange`] and functional identifier `FA`. Every set gets an AK2 and
/// an AK5; segment and element faults become AK3/AK4 notes (at most 99 AK4 per AK3); AK9
/// counts the sets claimed by GE01, received, and accepted (AK5 `A` or `E`). A copy of bad
/// data (AK404) is kept only when it is letters, digits, space, `.`, `-` or `/`, so it cannot
/// clash with the delimiters of the reply. A control number shorter than AK202's 4-character
/// minimum is padded with trailing spaces, as X12 pads AN values.
pub fn ack_997(group: &Group<'_>, result: &GroupResult, set_control: &str) -> OutgoingSet {
    let v5010 = group.version.starts_with("005");
    let ack = acknowledge(group, result);
    let mut body = Vec::new();
    let mut ak1 = vec![group.functional_id.clone(), group.control_number.clone()];
    if v5010 {
        ak1.push(group.version.clone());
    }
    body.push(OwnedSegment::new("AK1", ak1));

    for set in &ack.sets {
        let mut ak2 = vec![set.set_id.clone(), set.control.clone()];
        if v5010 && let Some(r) = &set.implementation_ref {
            ak2.push(r.clone());
        }
        body.push(OwnedSegment::new("AK2", ak2));
        for note in &set.notes {
            body.push(note_segment("AK3", note));
            for e in &note.elements {
                body.push(OwnedSegment::new(
                    "AK4",
                    [
                        Some(e.position.to_string()),
                        e.element_ref.map(|r| r.to_string()),
                        Some(e.code.to_string()),
                        e.bad_data.clone(),
                    ],
                ));
            }
        }
        body.push(OwnedSegment::new(
            "AK5",
            status_elements(set.status, &set.codes),
        ));
    }
    body.push(ak9(&ack));

    OutgoingSet::new("997", set_control, body)
}

/// The segment noting a faulty segment: AK3 in the 997, IK3 in the 999, with the same
/// elements (id, position, no loop id, the fault's code).
fn note_segment(id: &str, note: &SegmentNote) -> OwnedSegment {
    OwnedSegment::new(
        id,
        [
            note.segment_id.clone(),
            note.position.to_string(),
            String::new(),
            note.code.to_string(),
        ],
    )
}

/// ST03 and GS08 of the 999 implementation acknowledgment guide that [`ack_999`] follows.
pub const X231A1: &str = "005010X231A1";

/// A 999 implementation acknowledgment (005010X231A1) answering `group`, as the body of a set
/// with control number `set_control` and ST03 [`X231A1`]. It reports exactly what
/// [`ack_997`] reports, in the 999's segments: AK1 always carries the received GS08 (AK103),
/// each set gets an AK2 (AK203 echoing its ST03, if any), IK3/IK4 notes and an IK5 (`A`, `E`
/// or `R`: the 999 has no partial acceptance of a set), and AK9 is the 997's. IK401 is the
/// element's position (C030, without a component position: our faults locate elements, not
/// components). The 999 is a 5010 document whatever version it answers: write it in a 005010
/// envelope with functional identifier `FA` and GS08 [`X231A1`]
/// ([`crate::write_interchange_with_gs08`]), or ST03 is dropped.
pub fn ack_999(group: &Group<'_>, result: &GroupResult, set_control: &str) -> OutgoingSet {
    let ack = acknowledge(group, result);
    let mut body = Vec::new();
    body.push(OwnedSegment::new(
        "AK1",
        [
            group.functional_id.clone(),
            group.control_number.clone(),
            group.version.clone(),
        ],
    ));
    for set in &ack.sets {
        body.push(OwnedSegment::new(
            "AK2",
            [
                Some(set.set_id.clone()),
                Some(set.control.clone()),
                set.implementation_ref.clone(),
            ],
        ));
        for note in &set.notes {
            body.push(note_segment("IK3", note));
            for e in &note.elements {
                body.push(OwnedSegment::new(
                    "IK4",
                    [
                        OwnedElement::composite([e.position.to_string()]),
                        e.element_ref.map(|r| r.to_string()).into(),
                        e.code.into(),
                        e.bad_data.clone().into(),
                    ],
                ));
            }
        }
        body.push(OwnedSegment::new(
            "IK5",
            status_elements(set.status, &set.codes),
        ));
    }
    body.push(ak9(&ack));

    let mut set = OutgoingSet::new("999", set_control, body);
    set.implementation_ref = Some(X231A1.to_string());
    set
}

/// The TA1 answering an interchange: `A`/000 when clean, `E` with the first warning's note
/// code when read leniently with faults, `R` with the first error's code when rejected.
pub fn ta1(interchange: &Interchange<'_>) -> OwnedSegment {
    let (status, note) = if let Some(e) = interchange.errors.first() {
        (AckCode::Rejected, ta1_code(e))
    } else if let Some(w) = interchange.warnings.first() {
        (AckCode::AcceptedWithErrors, ta1_code(w))
    } else {
        (AckCode::Accepted, "000")
    };
    let h = &interchange.header;
    let control = h.control_number.trim();
    let control = if !control.is_empty()
        && control.len() < 9
        && control.bytes().all(|b| b.is_ascii_digit())
    {
        format!("{control:0>9}")
    } else {
        control.to_string()
    };
    OwnedSegment::new(
        "TA1",
        [
            control,
            h.date.trim().to_string(),
            h.time.trim().to_string(),
            status.code().to_string(),
            note.to_string(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::read;

    const ISA: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*^*00501*000000001*0*P*>~";

    type Ack = fn(&Group<'_>, &GroupResult, &str) -> OutgoingSet;

    fn lines_of(set: &OutgoingSet) -> Vec<String> {
        set.segments
            .iter()
            .map(|s| {
                let mut line = s.id.clone();
                for e in &s.elements {
                    line.push('*');
                    line.push_str(e.as_simple().unwrap_or("?"));
                }
                line
            })
            .collect()
    }

    fn answer(ack: Ack, body: &str, options: ReadOptions) -> OutgoingSet {
        let text = format!("{ISA}{body}");
        let doc = read(text.as_bytes(), &options);
        let g = &doc.interchanges[0].groups[0];
        ack(g, &GroupResult::with_mappings(g, &options), "0001")
    }

    fn ack_lines(body: &str, options: ReadOptions) -> Vec<String> {
        lines_of(&answer(ack_997, body, options))
    }

    const CLEAN_214: &str = "GS*QM*S*R*20200101*1200*1*X*005010~ST*214*0001~B10*A*B*SCAC~LX*1~SE*4*0001~GE*1*1~IEA*1*000000001~";
    const BAD_DATE_214: &str = "GS*QM*S*R*20200101*1200*1*X*005010~ST*214*0001~B10*A*B*SCAC~LX*1~AT7*X1*NS***20261345*0830*UT~SE*5*0001~GE*1*1~IEA*1*000000001~";

    #[test]
    fn bad_date_gives_ak3_ak4_and_rejects_the_set() {
        let lines = ack_lines(BAD_DATE_214, ReadOptions::strict());
        assert_eq!(
            lines,
            vec![
                "AK1*QM*1*005010",
                "AK2*214*0001",
                "AK3*AT7*4**8",
                "AK4*5*373*8*20261345",
                "AK5*R*5",
                "AK9*R*1*1*0",
            ]
        );
    }

    #[test]
    fn unknown_set_is_not_supported() {
        let lines = ack_lines(
            "GS*PO*S*R*20200101*1200*1*X*005010~ST*850*0001~BEG*00~SE*3*0001~GE*1*1~IEA*1*000000001~",
            ReadOptions::strict(),
        );
        assert_eq!(lines[2], "AK5*R*1");
        assert_eq!(lines[3], "AK9*R*1*1*0");
    }

    #[test]
    fn clean_group_gives_an_accepting_999() {
        let set = answer(ack_999, CLEAN_214, ReadOptions::strict());
        assert_eq!((set.id.as_str(), set.control.as_str()), ("999", "0001"));
        assert_eq!(set.implementation_ref.as_deref(), Some("005010X231A1"));
        assert_eq!(
            lines_of(&set),
            vec!["AK1*QM*1*005010", "AK2*214*0001", "IK5*A", "AK9*A*1*1*1"]
        );
    }

    #[test]
    fn bad_date_gives_ik3_ik4_and_rejects_the_set_in_a_999() {
        let set = answer(ack_999, BAD_DATE_214, ReadOptions::strict());
        assert_eq!(
            lines_of(&set),
            vec![
                "AK1*QM*1*005010",
                "AK2*214*0001",
                "IK3*AT7*4**8",
                "IK4*5*373*8*20261345",
                "IK5*R*5",
                "AK9*R*1*1*0",
            ]
        );
        // IK401 is the C030 composite; with no component position it holds the element alone.
        let ik4 = &set.segments[3];
        assert_eq!(ik4.elements[0], OwnedElement::composite(["5"]));
    }

    #[test]
    fn a_4010_group_is_answered_with_its_version_in_ak103() {
        let text = ISA.replace("*^*00501*", "*U*00401*")
            + "GS*QM*S*R*20200101*1200*7*X*004010~ST*214*12~B10*A*B*SCAC~SE*3*12~GE*1*7~IEA*1*000000001~";
        let doc = read(text.as_bytes(), &ReadOptions::strict());
        let g = &doc.interchanges[0].groups[0];
        let set = ack_999(g, &GroupResult::from_group(g), "0002");
        assert_eq!(
            lines_of(&set),
            vec!["AK1*QM*7*004010", "AK2*214*12  ", "IK5*A", "AK9*A*1*1*1"]
        );
    }

    #[test]
    fn set_implementation_reference_is_echoed_in_ak203() {
        let set = answer(
            ack_999,
            "GS*QM*S*R*20200101*1200*1*X*005010~ST*214*0001*005010X999~B10*A*B*SCAC~LX*1~SE*4*0001~GE*1*1~IEA*1*000000001~",
            ReadOptions::strict(),
        );
        assert_eq!(lines_of(&set)[1], "AK2*214*0001*005010X999");
    }

    #[test]
    fn ta1_codes() {
        let text = format!(
            "{ISA}GS*QM*S*R*20200101*1200*1*X*005010~ST*214*0001~B10*A*B*C~SE*3*0001~GE*1*1~IEA*1*000000002~"
        );
        let doc = read(text.as_bytes(), &ReadOptions::strict());
        let seg = ta1(&doc.interchanges[0]);
        assert_eq!(seg.element(1), "000000001");
        assert_eq!(seg.element(4), "R");
        assert_eq!(seg.element(5), "001");
    }
}
