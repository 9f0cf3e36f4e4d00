//! What the `reader` fuzz target does with its bytes. Shared with consign-edi's
//! `tests/edi/fuzz_regressions.rs`, which includes this file with `#[path]`, so the saved finds
//! are replayed through exactly what the fuzzer ran.

use consign_edi::sets::TypedSet;
use consign_edi::{
    Delimiters, GroupResult, ReadOptions, Segment, WriteOptions, ack_997, ack_999, parse_any,
    prepare, ta1, tokenize_count, write_segments,
};

/// Runs `data` through everything a partner's file reaches: the tokenizer, the preparation,
/// the envelope reader (strict and lenient), the typed mapping of every set, the TA1 and the
/// 997 and 999 for every group. Panics only where an accepted value holds a delimiter, CR or LF.
pub fn read_everything(data: &[u8]) {
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
                        let _ = seg.id();
                        let owned = seg.to_owned_segment();
                        let _ = owned.element(1);
                        for element in seg.elements() {
                            let _ = element.component(2);
                        }
                    }
                    if let Ok(TypedSet::ShipmentStatus214(status)) = parse_any(set, &options) {
                        for event in &status.events {
                            let _ = event.instant(None);
                            let _ = event.instant(Some(&jiff::tz::TimeZone::fixed(
                                jiff::tz::Offset::constant(-6),
                            )));
                        }
                    }
                }
                let result = GroupResult::with_mappings(group, &options);
                let _ = result.group_status();
                let ack = ack_997(group, &result, "0001");
                let _ = write_segments(&ack.segments, &WriteOptions::default());
                let ack = ack_999(group, &result, "0001");
                let _ = write_segments(&ack.segments, &WriteOptions::default());
            }
        }
    }
}

/// No value of an accepted set holds a delimiter, CR or LF.
fn assert_clean(d: Delimiters, seg: &Segment<'_>) {
    for element in seg.elements() {
        for rep in element.repetitions() {
            for value in rep.components() {
                assert!(
                    !value
                        .iter()
                        .any(|&b| d.is_delimiter(b) || b == b'\r' || b == b'\n'),
                    "an accepted value holds a delimiter or a line break: segment {}, value {:?}",
                    seg.id(),
                    String::from_utf8_lossy(value)
                );
            }
        }
    }
}
