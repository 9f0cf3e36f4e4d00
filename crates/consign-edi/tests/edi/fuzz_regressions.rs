//! Inputs found by the fuzz targets of `fuzz/` (see `fuzz/README.md`), kept so that what they
//! showed stays fixed. Every file in `tests/edi/fuzz/` goes through what the `reader` target
//! does and must not panic; a `roundtrip` find is also checked for the property it broke.

use std::path::PathBuf;

use consign_edi::sets::s940;
use consign_edi::{
    Envelope, OutgoingSet, Usage, WriteOptions, X12Version, read, write_interchange,
};

use crate::support::{STRICT, partner_envelope};

#[path = "../../../../fuzz/fuzz_targets/read_everything.rs"]
mod read_everything;
use read_everything::read_everything;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/edi/fuzz")
}

fn fuzz_input(name: &str) -> Vec<u8> {
    let path = fuzz_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn every_saved_fuzz_input_reads_without_panicking() {
    let mut count = 0;
    for entry in std::fs::read_dir(fuzz_dir()).expect("tests/edi/fuzz") {
        let path = entry.expect("directory entry").path();
        let data = std::fs::read(&path).expect("fuzz input");
        read_everything(&data);
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
