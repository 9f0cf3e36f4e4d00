//! Acknowledgements we send: the 997 for a functional group (AK1/AK2/AK3/AK4/AK5/AK9) and the
//! TA1 for an interchange, with our error kinds mapped onto the standard X12 code lists.

use std::collections::HashMap;

use serde::Serialize;

use crate::envelope::{Group, Interchange, ReadOptions};
use crate::error::{EdiError, ErrorKind};
use crate::sets::parse_any;
use crate::writer::{OutgoingSet, OwnedSegment, pad_to_min_length};

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

/// A 997 answering `group`, as the body of a set with control number `set_control`; wrap it
/// with [`crate::write_interchange`] and functional identifier `FA`. Every set gets an AK2 and
/// an AK5; segment and element faults become AK3/AK4 notes (at most 99 AK4 per AK3); AK9
/// counts the sets claimed by GE01, received, and accepted (AK5 `A` or `E`). A copy of bad
/// data (AK404) is kept only when it is letters, digits, space, `.`, `-` or `/`, so it cannot
/// clash with the delimiters of the reply. A control number shorter than AK202's 4-character
/// minimum is padded with trailing spaces, as X12 pads AN values.
pub fn ack_997(group: &Group<'_>, result: &GroupResult, set_control: &str) -> OutgoingSet {
    let v5010 = group.version.starts_with("005");
    let mut body = Vec::new();
    let mut ak1 = vec![group.functional_id.clone(), group.control_number.clone()];
    if v5010 {
        ak1.push(group.version.clone());
    }
    body.push(OwnedSegment::new("AK1", ak1));

    for (i, set) in group.sets.iter().enumerate() {
        // AK202 is element 329, AN 4/9: a partner's shorter ST02 is padded, not altered.
        let control = if set.control.is_empty() {
            String::new()
        } else {
            pad_to_min_length(&set.control, 4)
        };
        let mut ak2 = vec![set.id.clone(), control];
        if v5010 && let Some(r) = &set.implementation_ref {
            ak2.push(r.clone());
        }
        body.push(OwnedSegment::new("AK2", ak2));
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
        for key in &segment_keys {
            let (pos, id) = *key;
            let here = per_segment.get(key).map(Vec::as_slice).unwrap_or(&[]);
            let element_notes: Vec<&EdiError> = here
                .iter()
                .copied()
                .filter(|e| e.element.is_some() && ak403_code(e.kind).is_some())
                .collect();
            let segment_code = if element_notes.is_empty() {
                here.iter().find_map(|e| ak304_code(e.kind)).unwrap_or("8")
            } else {
                "8"
            };
            let Some(ak_id) = segment_id_for_ack(id) else {
                // An unreadable segment id cannot be echoed; AK5 code 5 still reports it.
                push_codes(&mut set_codes, Some("5"));
                continue;
            };
            body.push(OwnedSegment::new(
                "AK3",
                [
                    ak_id,
                    pos.to_string(),
                    String::new(),
                    segment_code.to_string(),
                ],
            ));
            for e in element_notes.iter().take(99) {
                let Some(element) = e.element.filter(|&n| n <= 99) else {
                    continue;
                };
                body.push(OwnedSegment::new(
                    "AK4",
                    [
                        Some(element.to_string()),
                        e.element_ref.map(|r| r.to_string()),
                        ak403_code(e.kind).map(str::to_string),
                        e.data.as_deref().and_then(safe_copy),
                    ],
                ));
            }
            push_codes(&mut set_codes, Some("5"));
        }
        if findings.iter().any(|e| ak5_code(e.kind).is_none())
            && segment_keys.is_empty()
            && !findings.is_empty()
        {
            push_codes(&mut set_codes, Some("5"));
        }
        let mut ak5 = vec![result.set_status(i).code().to_string()];
        ak5.extend(set_codes.iter().map(|c| c.to_string()));
        body.push(OwnedSegment::new("AK5", ak5));
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
    let mut ak9 = vec![
        result.group_status().code().to_string(),
        included.to_string(),
        received.to_string(),
        result.accepted_sets().to_string(),
    ];
    ak9.extend(group_codes.iter().map(|c| c.to_string()));
    body.push(OwnedSegment::new("AK9", ak9));

    OutgoingSet::new("997", set_control, body)
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

    fn ack_lines(body: &str, options: ReadOptions) -> Vec<String> {
        let text = format!("{ISA}{body}");
        let doc = read(text.as_bytes(), &options);
        let g = &doc.interchanges[0].groups[0];
        let set = ack_997(g, &GroupResult::with_mappings(g, &options), "0001");
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

    #[test]
    fn bad_date_gives_ak3_ak4_and_rejects_the_set() {
        let lines = ack_lines(
            "GS*QM*S*R*20200101*1200*1*X*005010~ST*214*0001~B10*A*B*SCAC~LX*1~AT7*X1*NS***20261345*0830*UT~SE*5*0001~GE*1*1~IEA*1*000000001~",
            ReadOptions::strict(),
        );
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
