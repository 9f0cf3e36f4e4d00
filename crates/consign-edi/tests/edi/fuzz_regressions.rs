//! Inputs found by the fuzz targets of `fuzz/` (see `fuzz/README.md`), kept so that what they
//! showed stays fixed. Every file in `tests/edi/fuzz/` goes through what the `reader` target
//! does and must not panic; a `roundtrip` find is also checked for the property it broke.

use std::path::PathBuf;

use consign_edi::sets::{TypedSet, s940};
use consign_edi::{
    Envelope, GroupResult, OutgoingSet, ReadOptions, Usage, WriteOptions, X12Version, ack_997,
    ack_999, parse_any, prepare, read, ta1, tokenize_count, write_interchange, write_segments,
};

use crate::support::{STRICT, partner_envelope};

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/edi/fuzz")
}

fn fuzz_input(name: &str) -> Vec<u8> {
    let path = fuzz_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The body of the `reader` fuzz target.
fn exercise_reader(data: &[u8]) {
    let _ = tokenize_count(data);
    for options in [ReadOptions::strict(), ReadOptions::lenient()] {
        let prepared = prepare(data, &options);
        let doc = prepared.read(&options);
        let _ = doc.is_clean();
        for e in doc.all_errors().into_iter().chain(doc.all_warnings()) {
            let _ = e.to_string();
        }
        for ic in &doc.interchanges {
            let _ = write_segments(&[ta1(ic)], &WriteOptions::default());
            for group in &ic.groups {
                for set in &group.sets {
                    for seg in &set.segments {
                        if set.accepted {
                            assert_clean(ic.delimiters, seg);
                        }
                        let _ = seg.to_owned_segment();
                        for element in seg.elements() {
                            let _ = element.component(2);
                        }
                    }
                    if let Ok(TypedSet::ShipmentStatus214(status)) = parse_any(set, &options) {
                        for event in &status.events {
                            let _ = event.instant(None);
                            let _ = event.instant(Some(jiff::tz::Offset::constant(-6)));
                        }
                    }
                }
                let result = GroupResult::with_mappings(group, &options);
                let ack = ack_997(group, &result, "0001");
                let _ = write_segments(&ack.segments, &WriteOptions::default());
                let ack = ack_999(group, &result, "0001");
                let _ = write_segments(&ack.segments, &WriteOptions::default());
            }
        }
    }
}

/// No value of an accepted set holds a delimiter, CR or LF (the `reader` target asserts it).
fn assert_clean(d: consign_edi::Delimiters, seg: &consign_edi::Segment<'_>) {
    for element in seg.elements() {
        for rep in element.repetitions() {
            for value in rep.components() {
                assert!(
                    !value
                        .iter()
                        .any(|&b| d.is_delimiter(b) || b == b'\r' || b == b'\n'),
                    "segment {}: value {:?}",
                    seg.id(),
                    String::from_utf8_lossy(value)
                );
            }
        }
    }
}

#[test]
fn every_saved_fuzz_input_reads_without_panicking() {
    let mut count = 0;
    for entry in std::fs::read_dir(fuzz_dir()).expect("tests/edi/fuzz") {
        let path = entry.expect("directory entry").path();
        let data = std::fs::read(&path).expect("fuzz input");
        exercise_reader(&data);
        count += 1;
    }
    assert!(count > 0, "no saved fuzz inputs");
}

fn envelope_940() -> Envelope {
    Envelope {
        interchange_control: 7,
        group_control: 8,
        functional_id: "OW".into(),
        version: X12Version::V004010,
        usage: Usage::Test,
        ..partner_envelope()
    }
}

/// Writes a 940, reads it back strictly and maps it again, with the bytes written.
fn write_and_read_940(
    order: &s940::ShippingOrder940,
    options: &WriteOptions,
) -> (s940::ShippingOrder940, String) {
    let set = OutgoingSet::new("940", "0001", s940::write(order, options));
    let bytes = write_interchange(&envelope_940(), &[set], options).expect("writable");
    let text = String::from_utf8(bytes.clone()).expect("ASCII");
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let doc = read(bytes, &STRICT);
    assert!(doc.is_clean(), "{:?}\n{text}", doc.all_errors());
    let set = doc.sets().next().expect("one set");
    let order = s940::parse(set, &STRICT).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    (order, text)
}

/// Found by the `roundtrip` target (2026-11-22): a 940 whose first W01 comes before any LX, then
/// `LX*1`. Writing numbers the LX-less line 1 as well, so the written set has `LX*1` twice; read
/// back, both lines carry LX 1 and the next writing puts them under one `LX*1`. Values read
/// from what we wrote must come back unchanged from then on.
#[test]
fn a_940_line_before_any_lx_round_trips_to_a_fixed_point() {
    let data: &'static [u8] =
        Box::leak(fuzz_input("roundtrip-940-line-before-lx.x12").into_boxed_slice());
    let doc = read(data, &STRICT);
    let ic = &doc.interchanges[0];
    let options = WriteOptions {
        delimiters: ic.delimiters,
        line_breaks: false,
    };
    let set = doc.sets().next().expect("one set");
    assert!(set.accepted);
    let original = s940::parse(set, &STRICT).expect("maps");
    assert_eq!(original.lines[0].lx, None, "the first line has no LX");
    let (first, text) = write_and_read_940(&original, &options);
    assert_eq!(text.matches("~LX*1~").count(), 2, "{text}");
    assert!(first.lines.iter().take(2).all(|l| l.lx == Some(1)));
    let (second, _) = write_and_read_940(&first, &options);
    assert_eq!(first, second);
}
