//! Property tests: random delimiters and segments survive write then read; no byte input, random
//! or a mutated sample, makes the reader, the typed mappings or the acknowledgements panic.

use consign_edi::{
    Delimiters, Envelope, GroupResult, OutgoingSet, OwnedElement, OwnedSegment, ReadOptions, Usage,
    WriteOptions, X12Version, ack_997, parse_any, read, ta1, tokenize_count, write_interchange,
};
use jiff::civil::{date, time};
use proptest::prelude::*;

use crate::support::{ISA_4010, ISA_5010, SAMPLES, sample};

/// Printable ASCII that is neither alphanumeric nor a space: what a delimiter may be here.
const DELIMITER_CANDIDATES: &[u8] = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

fn delimiters() -> impl Strategy<Value = Delimiters> {
    proptest::sample::subsequence(DELIMITER_CANDIDATES.to_vec(), 4)
        .prop_shuffle()
        .prop_map(|d| Delimiters {
            element: d[0],
            component: d[1],
            segment: d[2],
            repetition: Some(d[3]),
        })
}

fn segment_id() -> impl Strategy<Value = String> {
    "[A-Z][A-Z0-9]{1,2}".prop_filter("not an envelope segment", |id| {
        !matches!(id.as_str(), "ISA" | "IEA" | "GS" | "GE" | "ST" | "SE")
    })
}

/// A value without any delimiter byte.
fn value(d: Delimiters, max: usize) -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = (0x20u8..0x7f)
        .filter(|b| !d.is_delimiter(*b))
        .map(char::from)
        .collect();
    proptest::collection::vec(proptest::sample::select(alphabet), 0..max)
        .prop_map(|c| c.into_iter().collect::<String>())
}

/// A repetition: one or more components, the last of a composite non-empty (the writer drops
/// trailing empty components, as X12 wants).
fn repetition(d: Delimiters) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(value(d, 8), 1..4).prop_map(|mut comps| {
        if comps.len() > 1
            && let Some(last) = comps.last_mut()
            && last.is_empty()
        {
            last.push('x');
        }
        comps
    })
}

fn element(d: Delimiters, repeated: bool) -> impl Strategy<Value = OwnedElement> {
    let reps = if repeated { 1..3usize } else { 1..2usize };
    proptest::collection::vec(repetition(d), reps).prop_map(OwnedElement)
}

fn segment(d: Delimiters, repeated: bool) -> impl Strategy<Value = OwnedSegment> {
    (
        segment_id(),
        proptest::collection::vec(element(d, repeated), 1..7),
    )
        .prop_map(|(id, mut elements)| {
            // The last element must carry data, or the writer would (rightly) drop it.
            if let Some(last) = elements.last_mut()
                && last.is_empty()
            {
                *last = OwnedElement::simple("z");
            }
            OwnedSegment { id, elements }
        })
}

fn case() -> impl Strategy<Value = (Delimiters, X12Version, Vec<Vec<OwnedSegment>>)> {
    (
        delimiters(),
        prop_oneof![Just(X12Version::V004010), Just(X12Version::V005010)],
    )
        .prop_flat_map(|(d, version)| {
            let repeated = version == X12Version::V005010;
            (
                Just(d),
                Just(version),
                proptest::collection::vec(
                    proptest::collection::vec(segment(d, repeated), 0..12),
                    1..4,
                ),
            )
        })
}

fn envelope(version: X12Version) -> Envelope {
    Envelope {
        sender_qualifier: "ZZ".into(),
        sender_id: "SENDER".into(),
        receiver_qualifier: "ZZ".into(),
        receiver_id: "RECEIVER".into(),
        application_sender: None,
        application_receiver: None,
        date: date(2026, 1, 1),
        time: time(0, 0, 0, 0),
        interchange_control: 123_456_789,
        group_control: 42,
        functional_id: "QM".into(),
        version,
        usage: Usage::Test,
        ack_requested: false,
    }
}

/// Everything a caller might run on untrusted bytes; it must return, not panic.
fn exercise(bytes: &[u8]) {
    let _ = tokenize_count(bytes);
    for options in [ReadOptions::strict(), ReadOptions::lenient()] {
        let doc = read(bytes, &options);
        let _ = doc.all_errors().iter().map(ToString::to_string).count();
        for ic in &doc.interchanges {
            let _ = ta1(ic);
            for g in &ic.groups {
                let result = GroupResult::with_mappings(g, &options);
                let ack = ack_997(g, &result, "0001");
                let _ = write_interchange(
                    &envelope(X12Version::V005010),
                    &[ack],
                    &WriteOptions::default(),
                );
                for s in &g.sets {
                    let _ = parse_any(s, &options);
                    for seg in &s.segments {
                        let _ = seg.to_owned_segment();
                    }
                }
            }
        }
    }
}

/// A segment built from the ids the typed mappings look at, with values drawn to hit every
/// branch: digits, dates, times, empties, punctuation.
fn mapping_segment() -> impl Strategy<Value = String> {
    let ids = proptest::sample::select(vec![
        "B10", "L11", "N1", "N2", "N3", "N4", "G62", "LX", "AT7", "MS1", "MS2", "AT8", "B3", "C3",
        "N9", "L5", "L0", "L1", "L4", "L7", "L3", "BSN", "HL", "TD1", "TD5", "REF", "DTM", "MAN",
        "LIN", "SN1", "PRF", "CTT", "W05", "W66", "W01", "G69", "W76", "W06", "W27", "W12", "W03",
        "B2", "B2A", "S5", "B1", "AK1", "AK2", "AK3", "AK4", "AK5", "AK9", "ZZZ",
    ]);
    let values = proptest::sample::select(vec![
        "",
        "1",
        "2",
        "01",
        "0",
        "-5",
        "1.5",
        "12.345",
        "20260230",
        "20240229",
        "2359",
        "2400",
        "083015",
        "0830155",
        "UT",
        "LT",
        "ET",
        "XX",
        "PS",
        "S",
        "O",
        "I",
        "A",
        "R",
        "E",
        "999999999999",
        "N",
        "a b",
        "HL",
        "1:2",
    ]);
    (ids, proptest::collection::vec(values, 0..12)).prop_map(|(id, v)| {
        let mut s = id.to_string();
        for e in v {
            s.push('*');
            s.push_str(e);
        }
        s.push('~');
        s
    })
}

// Default config: 256 cases, more with PROPTEST_CASES in a longer run.
/// The 214 bodies as sets with ST02 `0001`, `0002`, ...
fn numbered_214s(sets: &[Vec<OwnedSegment>]) -> Vec<OutgoingSet> {
    sets.iter()
        .enumerate()
        .map(|(i, body)| OutgoingSet::new("214", format!("{:04}", i + 1), body.clone()))
        .collect()
}

/// Sample `name` with `edits` applied in order: at an index, kind 0 overwrites the byte, 1
/// inserts it, 2 removes the byte there, 3 cuts the rest off; an emptied input takes no more.
fn mutated(name: &str, edits: &[(prop::sample::Index, u8, u8)]) -> Vec<u8> {
    let mut bytes = sample(name);
    for (at, kind, byte) in edits {
        if bytes.is_empty() {
            break;
        }
        let i = at.index(bytes.len());
        match kind {
            0 => bytes[i] = *byte,
            1 => bytes.insert(i, *byte),
            2 => {
                bytes.remove(i);
            }
            _ => bytes.truncate(i),
        }
    }
    bytes
}

proptest! {
    #[test]
    fn write_then_read_gives_the_same_segments((d, version, sets) in case()) {
        let outgoing = numbered_214s(&sets);
        let options = WriteOptions { delimiters: d, line_breaks: false };
        let bytes = write_interchange(&envelope(version), &outgoing, &options).unwrap();
        prop_assert_eq!(bytes.get(105).copied(), Some(d.segment));
        let doc = read(&bytes, &ReadOptions::strict());
        prop_assert!(doc.is_clean(), "{:?}", doc.all_errors());
        let ic = &doc.interchanges[0];
        prop_assert_eq!(ic.delimiters.element, d.element);
        prop_assert_eq!(ic.delimiters.component, d.component);
        prop_assert_eq!(ic.delimiters.segment, d.segment);
        prop_assert_eq!(ic.delimiters.repetition, (version == X12Version::V005010).then_some(d.repetition).flatten());
        let got: Vec<Vec<OwnedSegment>> = doc
            .sets()
            .map(|s| s.segments.iter().map(|seg| seg.to_owned_segment()).collect())
            .collect();
        prop_assert_eq!(got, sets);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        exercise(&bytes);
    }

    #[test]
    fn random_bytes_after_a_valid_isa_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..600),
        five in any::<bool>(),
    ) {
        let mut bytes = if five { ISA_5010 } else { ISA_4010 }.as_bytes().to_vec();
        bytes.extend_from_slice(&tail);
        exercise(&bytes);
    }

    #[test]
    fn mutated_samples_never_panic(
        which in 0..SAMPLES.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..8),
    ) {
        exercise(&mutated(SAMPLES[which], &edits));
    }

    #[test]
    fn random_segments_in_every_set_type_never_panic(
        set_id in proptest::sample::select(vec!["204", "210", "214", "856", "940", "945", "990", "997", "850"]),
        body in proptest::collection::vec(mapping_segment(), 0..40),
    ) {
        let count = body.len() + 2;
        let text = format!(
            "{ISA_5010}GS*QM*S*R*20200101*1200*1*X*005010~ST*{set_id}*0001~{}SE*{count}*0001~GE*1*1~IEA*1*000000001~",
            body.concat()
        );
        exercise(text.as_bytes());
    }
}

/// Every leaf value (component of a repetition of an element) of every accepted set is free
/// of the interchange's delimiters and of CR and LF.
fn accepted_values_are_clean(doc: &consign_edi::Document<'_>) -> Result<(), TestCaseError> {
    for ic in &doc.interchanges {
        let d = ic.delimiters;
        for s in ic
            .groups
            .iter()
            .flat_map(|g| &g.sets)
            .filter(|s| s.accepted)
        {
            for seg in &s.segments {
                for e in seg.elements() {
                    for r in e.repetitions() {
                        for c in r.components() {
                            prop_assert!(
                                !c.iter()
                                    .any(|&b| d.is_delimiter(b) || b == b'\r' || b == b'\n'),
                                "set {} segment {}: value {:?}",
                                s.control,
                                seg.id(),
                                String::from_utf8_lossy(c)
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    /// Written interchanges wrapped at random places (CR, LF or CRLF inside segments), or
    /// written the way senders that leave ISA16 out do (`…*P*~` and a line break after every
    /// `~`): read strictly or leniently, no accepted set holds a value with a delimiter, CR or
    /// LF; and leniently every set is accepted.
    #[test]
    fn no_accepted_value_holds_a_delimiter_or_a_line_break(
        (d, version, sets) in case(),
        breaks in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3), 0..6),
        isa16_missing in any::<bool>(),
    ) {
        let outgoing = numbered_214s(&sets);
        let options = WriteOptions { delimiters: d, line_breaks: true };
        let mut bytes = write_interchange(&envelope(version), &outgoing, &options).unwrap();
        if isa16_missing {
            // ISA16 left out: the terminator stands where ISA16 should, a line break where
            // the terminator should; every other segment keeps its terminator and line break.
            let t = d.segment;
            bytes[104] = t;
            bytes[105] = b'\n';
            let body: Vec<u8> = bytes[106..].iter().copied().filter(|&b| b != b'\n').collect();
            bytes.truncate(106);
            for seg in body.split(|&b| b == t).filter(|s| !s.is_empty()) {
                bytes.extend_from_slice(seg);
                bytes.extend_from_slice(&[t, b'\n']);
            }
        }
        // Wrap segments: a line break inside a segment, never at one's start.
        for (at, kind) in breaks {
            let i = 107 + at.index(bytes.len() - 107);
            if bytes[i - 1] == d.segment
                || matches!(bytes[i - 1], b'\n' | b'\r')
                || matches!(bytes[i], b'\n' | b'\r')
            {
                continue;
            }
            let wrap: &[u8] = match kind { 0 => b"\n", 1 => b"\r", _ => b"\r\n" };
            bytes.splice(i..i, wrap.iter().copied());
        }
        for options in [ReadOptions::strict(), ReadOptions::lenient()] {
            let prepared = consign_edi::prepare(&bytes, &options);
            let doc = prepared.read(&options);
            accepted_values_are_clean(&doc)?;
            if options.lenient {
                prop_assert_eq!(doc.interchanges.len(), 1);
                prop_assert!(
                    doc.sets().all(|s| s.accepted),
                    "{:?}", doc.all_errors()
                );
                prop_assert_eq!(doc.sets().count(), sets.len());
            }
        }
    }

    /// Mutated shared samples, with line breaks and delimiter bytes among the edits.
    #[test]
    fn no_accepted_value_of_a_mutated_sample_holds_a_delimiter_or_a_line_break(
        which in 0..SAMPLES.len(),
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), 0u8..3, proptest::sample::select(b"\r\n~*:>^+\\|".to_vec())),
            1..6,
        ),
    ) {
        let bytes = mutated(SAMPLES[which], &edits);
        for options in [ReadOptions::strict(), ReadOptions::lenient()] {
            let prepared = consign_edi::prepare(&bytes, &options);
            accepted_values_are_clean(&prepared.read(&options))?;
        }
    }
}
