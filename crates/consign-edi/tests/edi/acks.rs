//! 997, 999 and TA1 generation for the samples, with counts and codes checked, and the 997 and
//! 999 we write read back by our own reader.

use consign_edi::sets::s997;
use consign_edi::{
    Envelope, ErrorKind, GroupResult, OutgoingSet, OwnedSegment, Usage, WriteOptions, X12Version,
    X231A1, ack_997, ack_999, read, ta1, write_interchange, write_interchange_with_gs08,
};

use crate::support::{
    ISA_5010, LENIENT, SAMPLES, STRICT, line, partner_envelope, read_sample, read_text,
};

/// A 214 whose AT7 date is 2026-13-45.
const BAD_DATE_214: &str = "GS*QM*S*R*20200101*1200*1*X*005010~ST*214*0001~B10*A*B*SCAC~LX*1~AT7*X1*NS***20261345*0830*UT~SE*5*0001~GE*1*1~IEA*1*000000001~";

fn ack_lines(set: &OutgoingSet) -> Vec<String> {
    set.segments.iter().map(line).collect()
}

/// The 997 for the first group of a sample, from the envelope's verdict alone.
fn envelope_ack(name: &str, options: consign_edi::ReadOptions) -> Vec<String> {
    let doc = read_sample(name, options);
    let g = &doc.interchanges[0].groups[0];
    ack_lines(&ack_997(g, &GroupResult::from_group(g), "0001"))
}

#[test]
fn strict_997_for_every_sample_group() {
    let expected: [(&str, &[&str]); 10] = [
        (
            "v004010_204_01",
            &["AK1*SM*22310", "AK2*204*22310", "AK5*A", "AK9*A*1*1*1"],
        ),
        (
            "v004010_204_02",
            &["AK1*SM*136909", "AK2*204*136581", "AK5*A", "AK9*A*1*1*1"],
        ),
        // The group is sound; the interchange's IEA02 fault is answered by a TA1.
        (
            "v004010_214_01",
            &["AK1*QM*2510", "AK2*214*0001", "AK5*A", "AK9*A*1*1*1"],
        ),
        // GE01 claims 2 sets, 1 arrived: group rejected with code 5; and the 856 stands in a
        // group with GS01 `IN` (invoices), not `SH`: set rejected with code 6.
        (
            "v004010_856_03",
            &[
                "AK1*IN*000000001",
                "AK2*856*0001",
                "AK5*R*6",
                "AK9*R*2*1*0*5",
            ],
        ),
        (
            "v004010_940_02",
            &["AK1*OW*575103", "AK2*940*0001", "AK5*A", "AK9*A*1*1*1"],
        ),
        // SE01 wrong: set rejected with code 4, so nothing in the group is accepted.
        (
            "v004010_945_03",
            &["AK1*SW*1", "AK2*945*0001", "AK5*R*4", "AK9*R*1*1*0"],
        ),
        (
            "v005010_210_01",
            &["AK1*IM*1*005010", "AK2*210*0001", "AK5*A", "AK9*A*1*1*1"],
        ),
        (
            "v005010_214_01",
            &["AK1*QM*1*005010", "AK2*214*0001", "AK5*R*4", "AK9*R*1*1*0"],
        ),
        // A 990 belongs in a GF group, not SR: set rejected with code 6.
        (
            "v005010_990_01",
            &["AK1*SR*1*005010", "AK2*990*0001", "AK5*R*6", "AK9*R*1*1*0"],
        ),
        (
            "v005010_997_01",
            &["AK1*FA*1*005010", "AK2*997*1234", "AK5*A", "AK9*A*1*1*1"],
        ),
    ];
    for (name, lines) in expected {
        assert_eq!(envelope_ack(name, STRICT), lines, "{name}");
    }
    // The unpadded ISA is rejected before any group is opened: no 997, a TA1 instead.
    assert!(
        read_sample("v004010_214_02", STRICT).interchanges[0]
            .groups
            .is_empty()
    );
}

#[test]
fn lenient_997_accepts_with_errors_noted() {
    assert_eq!(
        envelope_ack("v004010_856_03", LENIENT),
        [
            "AK1*IN*000000001",
            "AK2*856*0001",
            "AK5*E*6",
            "AK9*E*2*1*1*5"
        ]
    );
    assert_eq!(
        envelope_ack("v004010_945_03", LENIENT),
        ["AK1*SW*1", "AK2*945*0001", "AK5*E*4", "AK9*E*1*1*1"]
    );
    assert_eq!(
        envelope_ack("v005010_214_01", LENIENT),
        ["AK1*QM*1*005010", "AK2*214*0001", "AK5*E*4", "AK9*E*1*1*1"]
    );
    // ST02 `001` is shorter than AK202's minimum of 4: echoed padded with a space.
    assert_eq!(
        envelope_ack("v004010_214_02", LENIENT),
        [
            "AK1*QM*001",
            "AK2*214*001 ",
            "AK5*E*3",
            "AK2*214*002 ",
            "AK5*A",
            "AK9*E*2*2*2"
        ]
    );
}

#[test]
fn mapping_faults_become_ak3_ak4_notes() {
    let doc = read_sample("v004010_856_03", STRICT);
    let g = &doc.interchanges[0].groups[0];
    let lines = ack_lines(&ack_997(g, &GroupResult::with_mappings(g, &STRICT), "0001"));
    assert_eq!(
        lines,
        [
            "AK1*IN*000000001",
            "AK2*856*0001",
            "AK3*DTM*10**8",
            "AK4*2*373*8*200",
            "AK5*R*6*5",
            "AK9*R*2*1*0*5"
        ]
    );
    let doc = read_sample("v005010_210_01", STRICT);
    let g = &doc.interchanges[0].groups[0];
    let lines = ack_lines(&ack_997(g, &GroupResult::with_mappings(g, &STRICT), "0001"));
    assert_eq!(
        lines,
        [
            "AK1*IM*1*005010",
            "AK2*210*0001",
            "AK3*B3*2**8",
            "AK4*9*32*8*N",
            "AK5*R*5",
            "AK9*R*1*1*0"
        ]
    );
    let doc = read_sample("v004010_945_03", STRICT);
    let g = &doc.interchanges[0].groups[0];
    let lines = ack_lines(&ack_997(g, &GroupResult::with_mappings(g, &STRICT), "0001"));
    assert_eq!(
        lines,
        [
            "AK1*SW*1",
            "AK2*945*0001",
            "AK3*W03*5**3",
            "AK5*R*4*5",
            "AK9*R*1*1*0"
        ]
    );
}

#[test]
fn counts_are_consistent_for_every_group_in_both_modes() {
    for name in SAMPLES {
        for options in [STRICT, LENIENT] {
            let doc = read_sample(name, options);
            for ic in &doc.interchanges {
                for g in &ic.groups {
                    let set = ack_997(g, &GroupResult::with_mappings(g, &options), "0001");
                    let ids: Vec<&str> = set.segments.iter().map(|s| s.id.as_str()).collect();
                    let ak2 = ids.iter().filter(|&&i| i == "AK2").count();
                    let ak5: Vec<&str> = set
                        .segments
                        .iter()
                        .filter(|s| s.id == "AK5")
                        .map(|s| s.element(1))
                        .collect();
                    assert_eq!(ak2, g.sets.len(), "{name}");
                    assert_eq!(ak5.len(), g.sets.len(), "{name}");
                    let ak9 = set.segments.last().unwrap();
                    assert_eq!(ak9.id, "AK9");
                    assert_eq!(ak9.element(3), g.sets.len().to_string(), "{name}");
                    let accepted = ak5.iter().filter(|c| matches!(**c, "A" | "E")).count();
                    assert_eq!(ak9.element(4), accepted.to_string(), "{name}");
                    assert_eq!(ids.first(), Some(&"AK1"));
                }
            }
        }
    }
}

#[test]
fn ta1_answers_interchange_faults() {
    let seg = ta1(&read_sample("v004010_214_01", STRICT).interchanges[0]);
    assert_eq!(line(&seg), "TA1*000003438*101127*1719*R*001");
    let seg = ta1(&read_sample("v004010_214_02", STRICT).interchanges[0]);
    assert_eq!(line(&seg), "TA1*000000001*060301*0028*R*022");
    let seg = ta1(&read_sample("v004010_214_02", LENIENT).interchanges[0]);
    assert_eq!(line(&seg), "TA1*000000001*060301*0028*E*022");
    let seg = ta1(&read_sample("v004010_940_02", STRICT).interchanges[0]);
    assert_eq!(line(&seg), "TA1*000575103*180327*0131*A*000");
}

#[test]
fn the_997_we_write_is_read_back_by_our_997_reader() {
    for (name, options) in [
        ("v004010_856_03", STRICT),
        ("v005010_210_01", STRICT),
        ("v004010_214_02", LENIENT),
    ] {
        let doc = read_sample(name, options);
        let g = &doc.interchanges[0].groups[0];
        let ack = ack_997(g, &GroupResult::with_mappings(g, &options), "0001");
        let bytes = write_interchange(
            &partner_envelope(),
            std::slice::from_ref(&ack),
            &WriteOptions::default(),
        )
        .unwrap();
        let back = read(&bytes, &STRICT);
        assert!(back.is_clean(), "{name}: {:?}", back.all_errors());
        let set = back.sets().next().unwrap();
        let parsed = s997::parse(set, &STRICT).unwrap();
        assert_eq!(parsed.functional_id, g.functional_id, "{name}");
        assert_eq!(parsed.group_control, g.control_number, "{name}");
        assert_eq!(parsed.sets.len(), g.sets.len(), "{name}");
        for (sent, acked) in g.sets.iter().zip(&parsed.sets) {
            // A short control number comes back padded to AK202's minimum length.
            assert_eq!(acked.control.trim_end(), sent.control, "{name}");
            assert!(acked.control.len() >= 4, "{name}");
            assert_eq!(acked.set_id, sent.id, "{name}");
            assert_eq!(
                parsed.set(&sent.control).map(|a| a.set_id.as_str()),
                Some(sent.id.as_str()),
                "{name}"
            );
        }
        let ak9 = ack.segments.last().unwrap();
        assert_eq!(parsed.group_status, ak9.element(1), "{name}");
    }
    let doc = read_sample("v004010_856_03", STRICT);
    let g = &doc.interchanges[0].groups[0];
    let ack = ack_997(g, &GroupResult::with_mappings(g, &STRICT), "0001");
    let bytes = write_interchange(
        &Envelope {
            sender_id: "A".into(),
            receiver_id: "B".into(),
            interchange_control: 1,
            group_control: 1,
            version: X12Version::V004010,
            usage: Usage::Test,
            ..partner_envelope()
        },
        &[ack],
        &WriteOptions::default(),
    )
    .unwrap();
    let back = read(&bytes, &STRICT);
    let parsed = s997::parse(back.sets().next().unwrap(), &STRICT).unwrap();
    assert!(parsed.has_rejection());
    assert_eq!(parsed.group_errors, ["5"]);
    let note = &parsed.sets[0].segment_notes[0];
    assert_eq!(
        (
            note.segment_id.as_str(),
            note.position,
            note.code.as_deref()
        ),
        ("DTM", Some(10), Some("8"))
    );
    assert_eq!(note.elements[0].position, Some(2));
    assert_eq!(note.elements[0].code, "8");
    assert_eq!(note.elements[0].bad_data.as_deref(), Some("200"));
}

/// The 999 says what the 997 says: for a 5010 group segment for segment, with the 999's ids
/// (AK3/AK4/AK5 become IK3/IK4/IK5); for a 4010 group AK1 also carries the version, which the
/// 4010 997 has no element for.
#[test]
fn the_999_reports_what_the_997_reports_for_every_sample_group() {
    let mut answered = 0;
    for name in SAMPLES {
        for options in [STRICT, LENIENT] {
            let doc = read_sample(name, options);
            for ic in &doc.interchanges {
                for g in &ic.groups {
                    let result = GroupResult::with_mappings(g, &options);
                    let ack = ack_999(g, &result, "0001");
                    assert_eq!(ack.id, "999");
                    assert_eq!(ack.implementation_ref.as_deref(), Some("005010X231A1"));
                    let mut expected = ack_lines(&ack_997(g, &result, "0001"));
                    for l in &mut expected {
                        for (from, to) in [("AK3*", "IK3*"), ("AK4*", "IK4*"), ("AK5*", "IK5*")] {
                            if let Some(rest) = l.strip_prefix(from) {
                                *l = format!("{to}{rest}");
                            }
                        }
                    }
                    if !g.version.starts_with("005") {
                        expected[0] = format!("{}*{}", expected[0], g.version);
                    }
                    assert_eq!(ack_lines(&ack), expected, "{name}");
                    answered += 1;
                }
            }
        }
    }
    // Every sample but the unpadded ISA, whose group is read only leniently, in both modes.
    assert_eq!(answered, 2 * SAMPLES.len() - 1);
}

#[test]
fn the_999_for_a_mapping_fault_names_segment_and_element() {
    let doc = read_sample("v005010_210_01", STRICT);
    let g = &doc.interchanges[0].groups[0];
    let lines = ack_lines(&ack_999(g, &GroupResult::with_mappings(g, &STRICT), "0001"));
    assert_eq!(
        lines,
        [
            "AK1*IM*1*005010",
            "AK2*210*0001",
            "IK3*B3*2**8",
            "IK4*9*32*8*N",
            "IK5*R*5",
            "AK9*R*1*1*0"
        ]
    );
}

#[test]
fn the_999_we_write_is_read_back_strictly_without_faults() {
    for (name, options) in [
        ("v005010_210_01", STRICT),
        ("v005010_214_01", LENIENT),
        ("v005010_997_01", STRICT),
    ] {
        let doc = read_sample(name, options);
        let g = &doc.interchanges[0].groups[0];
        let ack = ack_999(g, &GroupResult::with_mappings(g, &options), "0001");
        let bytes = write_interchange_with_gs08(
            &partner_envelope(),
            X231A1,
            std::slice::from_ref(&ack),
            &WriteOptions::default(),
        )
        .unwrap();
        let back = read(&bytes, &STRICT);
        assert!(back.is_clean(), "{name}: {:?}", back.all_errors());
        assert!(
            back.all_warnings().is_empty(),
            "{name}: {:?}",
            back.all_warnings()
        );
        let group = &back.interchanges[0].groups[0];
        assert_eq!(
            (group.functional_id.as_str(), group.version.as_str()),
            ("FA", "005010X231A1"),
            "{name}"
        );
        let set = &group.sets[0];
        assert_eq!(
            (set.id.as_str(), set.implementation_ref.as_deref()),
            ("999", Some("005010X231A1")),
            "{name}"
        );
        let segments: Vec<_> = set.segments.iter().map(|s| s.to_owned_segment()).collect();
        assert_eq!(segments, ack.segments, "{name}");
    }
}

/// The 999 goes out in a 5010 `FA` group with GS08 and ST03 005010X231A1 and reads back clean;
/// a GS08 of another version than the envelope is refused.
#[test]
fn the_999_is_written_as_005010x231a1_and_read_back_cleanly() {
    let doc = read_text(&format!("{ISA_5010}{BAD_DATE_214}"), STRICT);
    let g = &doc.interchanges[0].groups[0];
    let set = ack_999(g, &GroupResult::with_mappings(g, &STRICT), "0001");
    let envelope = partner_envelope();
    let bytes = write_interchange_with_gs08(
        &envelope,
        X231A1,
        std::slice::from_ref(&set),
        &WriteOptions::default(),
    )
    .unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains(
            "~GS*FA*CONSIGN*PARTNER*20260102*0304*6*X*005010X231A1~ST*999*0001*005010X231A1~AK1*QM*1*005010~AK2*214*0001~IK3*AT7*4**8~IK4*5*373*8*20261345~IK5*R*5~AK9*R*1*1*0~SE*8*0001~GE*1*6~"
        ),
        "{text}"
    );
    let back = read(&bytes, &STRICT);
    assert!(back.is_clean(), "{:?}", back.all_errors());
    assert!(back.all_warnings().is_empty(), "{:?}", back.all_warnings());
    let group = &back.interchanges[0].groups[0];
    assert_eq!(group.functional_id, "FA");
    assert_eq!(group.version, "005010X231A1");
    let read_set = &group.sets[0];
    assert_eq!(read_set.id, "999");
    assert_eq!(read_set.implementation_ref.as_deref(), Some("005010X231A1"));
    let read_lines: Vec<OwnedSegment> = read_set
        .segments
        .iter()
        .map(|s| s.to_owned_segment())
        .collect();
    assert_eq!(read_lines, set.segments);

    // A GS08 of another version than the envelope's is refused, not written.
    let e = write_interchange_with_gs08(
        &envelope,
        "004010",
        std::slice::from_ref(&set),
        &WriteOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert!(e.reason.contains("GS08"), "{e}");
}
