//! Bad input, each answered with one precise error: empty input, truncated ISA, inconsistent
//! delimiters, mismatched control numbers, wrong counts, unknown sets, bad dates and times,
//! non-ASCII bytes, broken structure.

use consign_edi::sets::{s214, s856};
use consign_edi::{ErrorKind, GroupResult, ack_997, parse_any};

use crate::support::{
    ISA_4010, ISA_5010, LENIENT, STRICT, envelope_ack_lines, error_kinds, line, read_text,
    warning_kinds, wrap_214,
};

fn only_error(text: &str) -> consign_edi::EdiError {
    let doc = read_text(text, STRICT);
    let errors = doc.all_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0].clone()
}

#[test]
fn empty_and_whitespace_input() {
    for text in ["", "   \r\n\t "] {
        let doc = read_text(text, LENIENT);
        assert_eq!(error_kinds(&doc), [ErrorKind::EmptyInput]);
        assert_eq!(doc.errors[0].to_string(), "input is empty (no ISA segment)");
    }
}

#[test]
fn input_that_is_not_x12() {
    let e = only_error("UNA:+.? 'UNB+UNOC:3");
    assert_eq!(e.kind, ErrorKind::NotX12);
    assert_eq!(
        e.to_string(),
        "input does not begin with an ISA segment (found 'UNA:+.? 'UNB+UNOC:3')"
    );
}

#[test]
fn truncated_isa() {
    let e = only_error(&ISA_5010[..50]);
    assert_eq!(e.kind, ErrorKind::TruncatedIsa);
    assert_eq!(
        e.to_string(),
        "segment 1 (ISA): ISA is truncated: 6 of its 16 element separators found before the input ends"
    );
    // Every element is there but the terminator is not.
    let e = only_error(&ISA_5010[..105]);
    assert_eq!(e.kind, ErrorKind::TruncatedIsa);
    assert!(e.reason.contains("before its segment terminator"), "{e}");
    assert_eq!(only_error("ISA").kind, ErrorKind::TruncatedIsa);
}

#[test]
fn inconsistent_delimiters() {
    // Segment terminator equal to the element separator.
    let isa = ISA_5010.replace(">~", ">*");
    let e = only_error(&format!("{isa}GS*QM~"));
    assert_eq!(e.kind, ErrorKind::InvalidDelimiters);
    assert_eq!(
        e.to_string(),
        "segment 1 (ISA): element separator and segment terminator are both '*'"
    );
    // Component separator equal to the repetition separator.
    let isa = ISA_5010.replace("*P*>~", "*P*^~");
    assert_eq!(
        only_error(&isa).reason,
        "component separator and repetition separator are both '^'"
    );
    // An alphanumeric component separator.
    let isa = ISA_4010.replace("*P*>~", "*P*A~");
    assert_eq!(
        only_error(&isa).reason,
        "component separator 'A' is alphanumeric, a space or non-ASCII"
    );
    // An alphanumeric element separator.
    let e = only_error(&ISA_4010.replace('*', "0"));
    assert_eq!(e.kind, ErrorKind::InvalidDelimiters);
    // 5010 with a letter other than the legacy U as repetition separator: the ISA is rejected.
    let isa = ISA_5010.replace("*^*00501", "*X*00501");
    let doc = read_text(&format!("{isa}IEA*0*000000001~"), STRICT);
    assert_eq!(error_kinds(&doc), [ErrorKind::InvalidDelimiters]);
    assert!(!doc.interchanges[0].accepted);
}

#[test]
fn mismatched_control_numbers() {
    let body = "GS*QM*S*R*20200101*1200*7*X*005010~ST*214*0001~B10*A*B*C~SE*3*0002~GE*1*8~IEA*1*000000009~";
    let doc = read_text(&format!("{ISA_5010}{body}"), STRICT);
    let shown: Vec<String> = doc.all_errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "interchange 000000001, segment 7 (IEA), element 2: IEA02 '000000009' does not match ISA13 '000000001'",
            "interchange 000000001, group 7, segment 6 (GE), element 2: GE02 '8' does not match GS06 '7'",
            "interchange 000000001, group 7, set 0001, segment 3 (SE), element 2: SE02 '0002' does not match ST02 '0001'",
        ]
    );
    let g = &doc.interchanges[0].groups[0];
    let ack = envelope_ack_lines(g);
    assert_eq!(
        ack,
        [
            "AK1*QM*7*005010",
            "AK2*214*0001",
            "AK5*R*3",
            "AK9*R*1*1*0*4"
        ]
    );
}

#[test]
fn wrong_counts() {
    let body = "GS*QM*S*R*20200101*1200*7*X*005010~ST*214*0001~B10*A*B*C~SE*9*0001~GE*3*7~IEA*2*000000001~";
    let doc = read_text(&format!("{ISA_5010}{body}"), STRICT);
    let kinds = error_kinds(&doc);
    assert_eq!(
        kinds,
        [
            ErrorKind::GroupCountMismatch,
            ErrorKind::SetCountMismatch,
            ErrorKind::SegmentCountMismatch
        ]
    );
    assert_eq!(
        doc.all_errors()[0].reason,
        "IEA01 '2' does not match the 1 functional group present"
    );
    let lenient = read_text(&format!("{ISA_5010}{body}"), LENIENT);
    assert!(error_kinds(&lenient).is_empty());
    assert_eq!(warning_kinds(&lenient), kinds);
    // A non-numeric count is a count fault too.
    let doc = read_text(&wrap_214("B10*A*B*C~").replace("SE*3*", "SE*x3*"), STRICT);
    assert_eq!(
        doc.all_errors()[0].reason,
        "SE01 'x3' is not a segment count (the set has 3, ST through SE)"
    );
}

#[test]
fn duplicate_control_numbers() {
    let body = "GS*QM*S*R*20200101*1200*7*X*005010~ST*214*0001~B10*A*B*C~SE*3*0001~ST*214*0001~B10*A*B*C~SE*3*0001~GE*2*7~GS*QM*S*R*20200101*1200*7*X*005010~GE*0*7~IEA*2*000000001~";
    let doc = read_text(&format!("{ISA_5010}{body}"), STRICT);
    assert_eq!(
        error_kinds(&doc),
        [
            ErrorKind::DuplicateSetControl,
            ErrorKind::DuplicateGroupControl
        ]
    );
    let g = &doc.interchanges[0].groups[0];
    let ack = envelope_ack_lines(g);
    assert_eq!(ack[4], "AK5*R*23");
}

#[test]
fn unknown_transaction_set_is_kept_and_unsupported() {
    let text = format!(
        "{ISA_5010}GS*PO*S*R*20200101*1200*1*X*005010~ST*850*0001~BEG*00*SA*PO1**20200101~PO1*1*5*EA~SE*4*0001~GE*1*1~IEA*1*000000001~"
    );
    let doc = read_text(&text, STRICT);
    assert!(doc.is_clean());
    let set = doc.sets().next().unwrap();
    assert_eq!(set.id, "850");
    let ids: Vec<&str> = set.segments.iter().map(|s| s.id()).collect();
    assert_eq!(ids, ["BEG", "PO1"]);
    let errors = parse_any(set, &STRICT).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, ErrorKind::UnsupportedSet);
    assert_eq!(
        errors[0].to_string(),
        "interchange 000000001, group 1, set 0001, segment 1 (ST), element 1: no typed mapping for transaction set '850'"
    );
    // A typed mapping refuses another set type.
    let e = s214::parse(set, &STRICT).unwrap_err();
    assert_eq!(e[0].reason, "transaction set '850' is not a 214");
}

#[test]
fn bad_dates_and_times_name_segment_and_element() {
    let text = wrap_214(
        "B10*A*B*SCAC~LX*1~AT7*X1*NS***20261345*0830*UT~AT7*D1*NS***20260102*2460*UT~AT7*AF*NS***20260102*1200*QQ~",
    );
    let doc = read_text(&text, STRICT);
    assert!(doc.is_clean());
    let set = doc.sets().next().unwrap();
    let errors = s214::parse(set, &STRICT).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "interchange 000000001, group 1, set 0001, segment 4 (AT7), element 5: invalid date '20261345' (expected CCYYMMDD)",
            "interchange 000000001, group 1, set 0001, segment 5 (AT7), element 6: invalid time '2460' (expected HHMM[SS[D[D]]])",
            "interchange 000000001, group 1, set 0001, segment 6 (AT7), element 7: unknown time code 'QQ'",
        ]
    );
    assert_eq!(
        errors.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [
            ErrorKind::InvalidDate,
            ErrorKind::InvalidTime,
            ErrorKind::InvalidCode
        ]
    );
    // Lenient: the event stays, the bad value reads as absent, the fault is a warning.
    let s = s214::parse(set, &LENIENT).unwrap();
    assert_eq!(s.events.len(), 3);
    assert_eq!(s.events[0].date, None);
    assert_eq!(s.events[1].time, None);
    assert_eq!(s.warnings.len(), 3);
    let g = &doc.interchanges[0].groups[0];
    let ack: Vec<String> = ack_997(g, &GroupResult::with_mappings(g, &STRICT), "1")
        .segments
        .iter()
        .map(line)
        .collect();
    assert_eq!(
        ack,
        [
            "AK1*QM*1*005010",
            "AK2*214*0001",
            "AK3*AT7*4**8",
            "AK4*5*373*8*20261345",
            "AK3*AT7*5**8",
            "AK4*6*337*9*2460",
            "AK3*AT7*6**8",
            "AK4*7*623*7*QQ",
            "AK5*R*5",
            "AK9*R*1*1*0",
        ]
    );
}

#[test]
fn at7_syntax_notes() {
    let text = wrap_214(
        "B10*A*B*SCAC~LX*1~AT7*****20260101*1200*UT~AT7*X1****20260101*1200~AT7*X1*NS***20260101**UT~",
    );
    let doc = read_text(&text, STRICT);
    let errors = s214::parse(doc.sets().next().unwrap(), &STRICT).unwrap_err();
    let got: Vec<(usize, Option<usize>, ErrorKind)> = errors
        .iter()
        .map(|e| (e.segment_position.unwrap(), e.element, e.kind))
        .collect();
    assert_eq!(
        got,
        [
            (4, Some(1), ErrorKind::ConditionalElementMissing),
            (5, Some(2), ErrorKind::ConditionalElementMissing),
            (6, Some(6), ErrorKind::ConditionalElementMissing),
        ]
    );
}

#[test]
fn non_ascii_and_control_bytes() {
    let text = wrap_214("B10*A*B*SCAC~N1*CN*CAF\u{e9} M\u{fc}NCHEN~LX*1~");
    let doc = read_text(&text, STRICT);
    let errors = doc.all_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        "interchange 000000001, group 1, set 0001, segment 3 (N1), element 2: invalid character 0xc3 (X12 data is printable ASCII)"
    );
    assert!(!doc.interchanges[0].groups[0].sets[0].accepted);
    let g = &doc.interchanges[0].groups[0];
    let ack = envelope_ack_lines(g);
    assert_eq!(ack[2..5], ["AK3*N1*3**8", "AK4*2**6", "AK5*R*5"]);
    // Lenient keeps the data (lossily decoded) with a warning.
    let doc = read_text(&text, LENIENT);
    assert_eq!(warning_kinds(&doc), [ErrorKind::InvalidCharacter]);
    let s = s214::parse(doc.sets().next().unwrap(), &LENIENT).unwrap();
    assert_eq!(s.parties[0].name.as_deref(), Some("CAF\u{e9} M\u{fc}NCHEN"));
    // A control character inside an element.
    let doc = read_text(&wrap_214("B10*A\u{1}*B*SCAC~"), STRICT);
    assert_eq!(
        doc.all_errors()[0].reason,
        "invalid character 0x01 (X12 data is printable ASCII)"
    );
    assert_eq!(doc.all_errors()[0].element, Some(1));
    // A byte order mark.
    let doc = read_text(&format!("\u{feff}{}", wrap_214("B10*A*B*C~")), STRICT);
    assert_eq!(error_kinds(&doc), [ErrorKind::InvalidCharacter]);
    assert_eq!(doc.sets().count(), 1);
}

#[test]
fn broken_structure() {
    let isa = ISA_5010;
    // ST before GS.
    let doc = read_text(
        &format!("{isa}ST*214*0001~B10*A*B*C~SE*3*0001~IEA*1*000000001~"),
        STRICT,
    );
    let e = &doc.all_errors()[0];
    assert_eq!(e.kind, ErrorKind::UnexpectedSegment);
    assert_eq!(
        e.to_string(),
        "interchange 000000001, segment 2 (ST): ST before any GS: transaction set outside a functional group"
    );
    // Missing SE: the next ST closes the set.
    let doc = read_text(
        &format!(
            "{isa}GS*QM*S*R*20200101*1200*1*X*005010~ST*214*0001~B10*A*B*C~ST*214*0002~B10*A*B*C~SE*3*0002~GE*2*1~IEA*1*000000001~"
        ),
        STRICT,
    );
    assert_eq!(error_kinds(&doc), [ErrorKind::MissingSe]);
    assert_eq!(
        doc.all_errors()[0].to_string(),
        "interchange 000000001, group 1, set 0001: transaction set has no SE trailer"
    );
    assert_eq!(doc.sets().count(), 2);
    // Data between sets, and an SE without ST.
    let doc = read_text(
        &format!("{isa}GS*QM*S*R*20200101*1200*1*X*005010~N1*XX~SE*1*0001~GE*0*1~IEA*1*000000001~"),
        STRICT,
    );
    let shown: Vec<String> = doc.all_errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "interchange 000000001, group 1, segment 3 (N1): 'N1' segment outside any transaction set; ignored",
            "interchange 000000001, group 1, segment 4 (SE): 'SE' SE without an ST; ignored",
        ]
    );
    // Missing GE and IEA at the end of the input.
    let doc = read_text(
        &format!("{isa}GS*QM*S*R*20200101*1200*1*X*005010~ST*214*0001~B10*A*B*C~SE*3*0001~"),
        STRICT,
    );
    assert_eq!(
        error_kinds(&doc),
        [ErrorKind::MissingIea, ErrorKind::MissingGe]
    );
    // An empty segment and an invalid segment identifier.
    let doc = read_text(
        &wrap_214("B10*A*B*C~~n1*XX~").replace("SE*5*", "SE*4*"),
        STRICT,
    );
    let kinds = error_kinds(&doc);
    assert_eq!(
        kinds,
        [ErrorKind::EmptySegment, ErrorKind::InvalidSegmentId]
    );
    // The last segment without its terminator.
    let text = wrap_214("B10*A*B*C~");
    let doc = read_text(text.trim_end_matches('~'), STRICT);
    assert_eq!(error_kinds(&doc), [ErrorKind::UnterminatedSegment]);
    // Garbage after the last IEA.
    let doc = read_text(&format!("{}\nGARBAGE", wrap_214("B10*A*B*C~")), STRICT);
    assert_eq!(error_kinds(&doc), [ErrorKind::TrailingData]);
    assert_eq!(doc.sets().count(), 1);
}

#[test]
fn an_isa_without_the_previous_iea_starts_a_new_interchange() {
    let first = wrap_214("B10*A*B*C~");
    let first = first.trim_end_matches("IEA*1*000000001~");
    let second = wrap_214("B10*D*E*F~");
    let doc = read_text(&format!("{first}{second}"), STRICT);
    assert_eq!(doc.interchanges.len(), 2);
    assert_eq!(error_kinds(&doc), [ErrorKind::MissingIea]);
    assert_eq!(doc.sets().count(), 2);
}

#[test]
fn line_breaks_between_segments_and_lf_terminators() {
    let crlf = wrap_214("B10*A*B*C~LX*1~").replace('~', "~\r\n");
    let doc = read_text(&crlf, STRICT);
    assert!(doc.is_clean(), "{:?}", doc.all_errors());
    assert_eq!(doc.sets().next().unwrap().segments.len(), 2);
    // LF as the terminator, with CR before it.
    let lf = wrap_214("B10*A*B*C~LX*1~").replace('~', "\r\n");
    let doc = read_text(&lf, STRICT);
    assert!(doc.is_clean(), "{:?}", doc.all_errors());
    assert_eq!(doc.interchanges[0].delimiters.segment, b'\r');
}

#[test]
fn hierarchy_faults() {
    let text = format!(
        "{ISA_5010}GS*SH*S*R*20200101*1200*1*X*005010~ST*856*0001~BSN*00*S1*20200101*1200~HL*1**S~HL*2*9*O~HL*1*1*I~SE*6*0001~GE*1*1~IEA*1*000000001~"
    );
    let doc = read_text(&text, STRICT);
    let set = doc.sets().next().unwrap();
    let errors = s856::parse(set, &STRICT).unwrap_err();
    assert_eq!(
        errors
            .iter()
            .map(|e| (e.segment_position, e.kind))
            .collect::<Vec<_>>(),
        [
            (Some(4), ErrorKind::InvalidHierarchy),
            (Some(5), ErrorKind::InvalidHierarchy)
        ]
    );
    assert_eq!(
        errors[0].reason,
        "HL02 parent '9' is not an earlier HL01; level kept at the top"
    );
    let n = s856::parse(set, &LENIENT).unwrap();
    assert_eq!(n.levels.len(), 2);
    assert_eq!(n.levels[0].children.len(), 1);

    // A chain deeper than the cap is cut, not recursed into.
    let mut body = String::from("BSN*00*S1*20200101*1200~HL*1**S~");
    for i in 2..200 {
        body.push_str(&format!("HL*{i}*{}*I~", i - 1));
    }
    let count = body.matches('~').count() + 2;
    let text = format!(
        "{ISA_5010}GS*SH*S*R*20200101*1200*1*X*005010~ST*856*0001~{body}SE*{count}*0001~GE*1*1~IEA*1*000000001~"
    );
    let doc = read_text(&text, STRICT);
    let n = s856::parse(doc.sets().next().unwrap(), &LENIENT).unwrap();
    assert!(
        n.warnings
            .iter()
            .all(|w| w.kind == ErrorKind::InvalidHierarchy)
    );
    assert_eq!(n.walk().len(), 199);
    assert!(n.levels.len() > 1);
}

#[test]
fn hostile_sizes_stay_linear() {
    // One LIN with 200 000 elements.
    let lin = format!("LIN{}", "*UP*1".repeat(100_000));
    let text = format!(
        "{ISA_5010}GS*SH*S*R*20200101*1200*1*X*005010~ST*856*0001~BSN*00*S1*20200101*1200~HL*1**I~{lin}~SE*5*0001~GE*1*1~IEA*1*000000001~"
    );
    let doc = read_text(&text, STRICT);
    let n = s856::parse(doc.sets().next().unwrap(), &STRICT).unwrap();
    assert_eq!(n.levels[0].items[0].ids.len(), 100_000);

    // One LX with 2 000 events and 1 000 references: the references are capped.
    let body = format!(
        "B10*A*B*C~LX*1~{}{}",
        "AT7*X1*NS***20260101*1200*UT~".repeat(2_000),
        "L11*R*BM~".repeat(1_000)
    );
    let doc = read_text(&wrap_214(&body), STRICT);
    let set = doc.sets().next().unwrap();
    let errors = s214::parse(set, &STRICT).unwrap_err();
    assert_eq!(errors.len(), 900);
    assert_eq!(errors[0].kind, ErrorKind::SegmentExceedsMaximumUse);
    let s = s214::parse(set, &LENIENT).unwrap();
    assert_eq!(s.events.len(), 2_000);
    assert_eq!(s.events[0].references.len(), 100);

    // Thousands of bad dates: findings are capped, the 997 is built in one pass.
    let body = format!(
        "B10*A*B*C~LX*1~{}",
        "AT7*X1*NS***20261399*1200*UT~".repeat(20_000)
    );
    let doc = read_text(&wrap_214(&body), STRICT);
    let g = &doc.interchanges[0].groups[0];
    let result = GroupResult::with_mappings(g, &STRICT);
    assert_eq!(result.sets[0].errors.len(), 1000);
    let ack = ack_997(g, &result, "1");
    assert_eq!(ack.segments.iter().filter(|s| s.id == "AK3").count(), 1000);
}
