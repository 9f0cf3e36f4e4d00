//! Arbitrary bytes through everything a partner's file reaches: the tokenizer, the preparation
//! (line breaks inside segments dropped when lenient), the envelope reader (strict and
//! lenient), the typed mapping of every set, the TA1 and the 997 and 999 for every group.
//! Nothing may panic, loop or blow up memory, whatever the bytes; and no value of an accepted
//! set may hold a delimiter, CR or LF.

#![no_main]

use consign_edi::sets::TypedSet;
use consign_edi::{
    GroupResult, ReadOptions, WriteOptions, ack_997, ack_999, parse_any, prepare, ta1,
    tokenize_count, write_segments,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
                            let d = ic.delimiters;
                            for element in seg.elements() {
                                for rep in element.repetitions() {
                                    for value in rep.components() {
                                        assert!(
                                            !value.iter().any(|&b| {
                                                d.is_delimiter(b) || b == b'\r' || b == b'\n'
                                            }),
                                            "an accepted value holds a delimiter or a line break"
                                        );
                                    }
                                }
                            }
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
                            let _ = event.instant(Some(jiff::tz::Offset::constant(-6)));
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
});
