//! The envelope reader on small hand-written interchanges.

use super::checks::{same_control, valid_segment_id};
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
