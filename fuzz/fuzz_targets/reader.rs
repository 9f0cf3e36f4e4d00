//! Arbitrary bytes through everything a partner's file reaches: the tokenizer, the envelope
//! reader (strict and lenient), the typed mapping of every set, the TA1 and the 997 for every
//! group. Nothing may panic, loop or blow up memory, whatever the bytes.

#![no_main]

use consign_edi::sets::TypedSet;
use consign_edi::{
    GroupResult, ReadOptions, WriteOptions, ack_997, parse_any, read, ta1, tokenize_count,
    write_segments,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tokenize_count(data);
    for options in [ReadOptions::strict(), ReadOptions::lenient()] {
        let doc = read(data, &options);
        let _ = doc.is_clean();
        for e in doc.all_errors().into_iter().chain(doc.all_warnings()) {
            let _ = e.to_string();
        }
        for ic in &doc.interchanges {
            let _ = write_segments(&[ta1(ic)], &WriteOptions::default());
            for group in &ic.groups {
                for set in &group.sets {
                    for seg in &set.segments {
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
            }
        }
    }
});
