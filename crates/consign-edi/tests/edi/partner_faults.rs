//! 940 interchanges as trading partners really send them, faults and all, written for these
//! tests (`tests/edi/faults/`): ISA16 left out before line breaks, segments wrapped over two
//! lines, a group whose GS01 does not fit its sets. Each fault class is read strictly and leniently; the lenient
//! reading never leaves a line break or a stray terminator in a value, and every readable
//! group gets an acknowledgement that can be written.

use consign_edi::sets::s940;
use consign_edi::{
    Envelope, ErrorKind, GroupResult, ReadOptions, Usage, WriteOptions, X12Version, ack_997,
    parse_any, prepare, ta1, write_interchange, write_ta1_interchange,
};
use jiff::civil::{date, time};

use crate::support::{LENIENT, STRICT, line};

/// One of the fault files in `tests/edi/faults/` (see its README).
pub fn fault_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/edi/faults")
        .join(format!("{name}.x12"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn reply() -> Envelope {
    Envelope {
        sender_qualifier: "ZZ".into(),
        sender_id: "CONSIGN".into(),
        receiver_qualifier: "ZZ".into(),
        receiver_id: "ACMEWMS".into(),
        application_sender: None,
        application_receiver: None,
        date: date(2026, 12, 4),
        time: time(12, 5, 0, 0),
        interchange_control: 1,
        group_control: 1,
        functional_id: "FA".into(),
        version: X12Version::V004010,
        usage: Usage::Production,
        ack_requested: false,
    }
}

/// The 997 lines for the first group, after the typed mappings, and that it can be written.
fn ack(doc: &consign_edi::Document<'_>, options: &ReadOptions) -> Vec<String> {
    let g = &doc.interchanges[0].groups[0];
    let set = ack_997(g, &GroupResult::with_mappings(g, options), "0001");
    write_interchange(
        &reply(),
        std::slice::from_ref(&set),
        &WriteOptions::default(),
    )
    .expect("the 997 of a readable group can always be written");
    set.segments.iter().map(line).collect()
}

#[test]
fn the_clean_order_reads_in_both_modes() {
    let text = fault_file("clean_940");
    for options in [STRICT, LENIENT] {
        let prepared = prepare(text.as_bytes(), &options);
        let doc = prepared.read(&options);
        assert!(doc.is_clean(), "{:?}", doc.all_errors());
        let order = s940::parse(doc.sets().next().unwrap(), &options).unwrap();
        assert_eq!(order.carrier.unwrap().scac.as_deref(), Some("GORK"));
    }
}

#[test]
fn isa16_left_out_strict_rejects_the_interchange_and_answers_a_ta1() {
    let text = fault_file("isa16_missing_940");
    let prepared = prepare(text.as_bytes(), &STRICT);
    let doc = prepared.read(&STRICT);
    let ic = &doc.interchanges[0];
    assert!(!ic.accepted);
    assert!(ic.groups.is_empty(), "a rejected ISA is not opened");
    let e = &ic.errors[0];
    assert_eq!(
        (e.kind, e.element),
        (ErrorKind::InvalidDelimiters, Some(16))
    );
    assert_eq!(e.interchange.as_deref(), Some("000000102"));
    assert!(
        e.reason
            .contains("ISA16 (component separator) is missing: '~' ends every segment"),
        "{e}"
    );
    assert!(
        doc.errors.is_empty(),
        "the reader found the IEA with `~` and nothing after it: {:?}",
        doc.errors
    );
    let t = ta1(ic);
    assert_eq!(line(&t), "TA1*000000102*261204*1200*R*027");
    let bytes = write_ta1_interchange(&reply(), &t, &WriteOptions::default()).unwrap();
    assert!(bytes.starts_with(b"ISA*"));
}

#[test]
fn isa16_left_out_lenient_reads_tilde_as_the_terminator_with_a_warning() {
    for text in [
        fault_file("isa16_missing_940"),
        fault_file("isa16_missing_crlf_940"),
    ] {
        let prepared = prepare(text.as_bytes(), &LENIENT);
        let doc = prepared.read(&LENIENT);
        let ic = &doc.interchanges[0];
        assert!(ic.accepted && ic.errors.is_empty(), "{:?}", ic.errors);
        assert_eq!(ic.delimiters.segment, b'~');
        assert_eq!(ic.warnings[0].element, Some(16));
        let set = doc.sets().next().unwrap();
        assert!(set.accepted && set.errors.is_empty());
        // No value keeps a stray `~`.
        let order = s940::parse(set, &LENIENT).unwrap();
        let carrier = order.carrier.unwrap();
        assert_eq!(carrier.scac.as_deref(), Some("GORK"));
        assert_eq!(order.depositor_order_number, "ORD-1001");
        assert_eq!(order.purchase_order_number.as_deref(), Some("PO-77"));
        assert_eq!(set.control, "0001", "SE02 matches ST02 without a stray '~'");
        assert_eq!(
            ack(&doc, &LENIENT),
            ["AK1*OW*101", "AK2*940*0001", "AK5*A", "AK9*A*1*1*1"]
        );
    }
}

#[test]
fn wrapped_segments_strict_rejects_the_set_naming_the_line_break() {
    let text = fault_file("wrapped_940");
    let prepared = prepare(text.as_bytes(), &STRICT);
    let doc = prepared.read(&STRICT);
    let set = doc.sets().next().unwrap();
    assert!(!set.accepted);
    let e = &set.errors[0];
    assert_eq!(e.kind, ErrorKind::InvalidCharacter);
    assert_eq!(
        (e.segment_position, e.segment_id.as_deref()),
        (Some(3), Some("N1"))
    );
    assert!(
        e.reason.contains("line break 0x0d inside the segment"),
        "{e}"
    );
    let lines = ack(&doc, &STRICT);
    assert_eq!(lines[2], "AK3*N1*3**8");
    assert!(lines.contains(&"AK5*R*5".to_string()), "{lines:?}");
}

#[test]
fn wrapped_segments_lenient_drops_the_line_breaks_with_a_warning_each() {
    let text = fault_file("wrapped_940");
    let prepared = prepare(text.as_bytes(), &LENIENT);
    let doc = prepared.read(&LENIENT);
    let names: Vec<(Option<usize>, Option<&str>)> = doc.interchanges[0]
        .warnings
        .iter()
        .map(|w| (w.segment_position, w.segment_id.as_deref()))
        .collect();
    assert_eq!(names, [(Some(5), Some("N1")), (Some(9), Some("W66"))]);
    let set = doc.sets().next().unwrap();
    assert!(set.accepted && set.errors.is_empty() && set.warnings.is_empty());
    let order = s940::parse(set, &LENIENT).unwrap();
    assert_eq!(order.parties[0].name.as_deref(), Some("ANN LEE"));
    assert_eq!(order.carrier.unwrap().scac.as_deref(), Some("GORK"));
    assert_eq!(
        ack(&doc, &LENIENT),
        ["AK1*OW*101", "AK2*940*0001", "AK5*A", "AK9*A*1*1*1"]
    );
}

#[test]
fn a_group_that_does_not_fit_its_sets_is_named() {
    let text = fault_file("gs01_mismatch_940");
    let prepared = prepare(text.as_bytes(), &STRICT);
    let doc = prepared.read(&STRICT);
    let set = doc.sets().next().unwrap();
    assert!(!set.accepted);
    assert_eq!(set.errors[0].kind, ErrorKind::InvalidSetId);
    assert!(
        set.errors[0]
            .reason
            .contains("a 940 belongs in a functional group with GS01 OW, not in this 'IN' group"),
        "{}",
        set.errors[0]
    );
    assert_eq!(
        ack(&doc, &STRICT),
        ["AK1*IN*101", "AK2*940*0001", "AK5*R*6", "AK9*R*1*1*0"]
    );

    let prepared = prepare(text.as_bytes(), &LENIENT);
    let doc = prepared.read(&LENIENT);
    let set = doc.sets().next().unwrap();
    assert!(set.accepted);
    assert_eq!(set.warnings[0].kind, ErrorKind::InvalidSetId);
    assert!(matches!(
        parse_any(set, &LENIENT),
        Ok(consign_edi::TypedSet::ShippingOrder940(_))
    ));
    assert_eq!(
        ack(&doc, &LENIENT),
        ["AK1*IN*101", "AK2*940*0001", "AK5*E*6", "AK9*E*1*1*1"]
    );
}
