//! For every set the strict reader accepts and a typed writer exists for (204, 210, 214, 940):
//! map it, write it in an interchange with the same delimiters, read that strictly and map it
//! again (value A); write A, read and map again (value B). Every re-read must be clean and map,
//! and A must equal B: what we write reads back to itself. (The first round may normalise: a
//! line without an LX is given a loop number, for instance.) A value the writer refuses, one
//! that would clash with its delimiters, is skipped, not a failure.

#![no_main]

use consign_edi::sets::{TypedSet, s204, s210, s214, s940};
use consign_edi::{
    Envelope, OutgoingSet, OwnedSegment, ReadOptions, TransactionSet, Usage, WriteOptions,
    X12Version, functional_id, parse_any, read, write_interchange,
};
use libfuzzer_sys::fuzz_target;

fn write_typed(typed: &TypedSet, options: &WriteOptions) -> Option<Vec<OwnedSegment>> {
    Some(match typed {
        TypedSet::LoadTender204(v) => s204::write(v, options),
        TypedSet::FreightInvoice210(v) => s210::write(v, options),
        TypedSet::ShipmentStatus214(v) => s214::write(v, options),
        TypedSet::ShippingOrder940(v) => s940::write(v, options),
        _ => return None,
    })
}

fn envelope(set_id: &str, version: X12Version) -> Envelope {
    Envelope {
        sender_qualifier: "ZZ".into(),
        sender_id: "CONSIGN".into(),
        receiver_qualifier: "ZZ".into(),
        receiver_id: "PARTNER".into(),
        application_sender: None,
        application_receiver: None,
        date: jiff::civil::date(2026, 1, 2),
        time: jiff::civil::time(3, 4, 0, 0),
        interchange_control: 7,
        group_control: 8,
        functional_id: functional_id(set_id).unwrap_or("ZZ").to_string(),
        version,
        usage: Usage::Test,
        ack_requested: false,
    }
}

/// Writes `typed` in an interchange, reads it strictly and maps it again; `None` when the writer
/// refuses a value.
fn round(
    typed: &TypedSet,
    set_id: &str,
    version: X12Version,
    options: &WriteOptions,
) -> Option<TypedSet> {
    let body = write_typed(typed, options)?;
    let outgoing = OutgoingSet::new(set_id, "0001", body);
    let bytes = write_interchange(&envelope(set_id, version), &[outgoing], options).ok()?;
    let strict = ReadOptions::strict();
    let doc = read(&bytes, &strict);
    let shown = || String::from_utf8_lossy(&bytes).into_owned();
    assert!(
        doc.is_clean(),
        "written interchange reads with faults: {:?}\n{}",
        doc.all_errors(),
        shown()
    );
    let set = doc.sets().next().expect("one set");
    match parse_any(set, &strict) {
        Ok(t) => Some(t),
        Err(e) => panic!("written set does not map again: {e:?}\n{}", shown()),
    }
}

fn check(set: &TransactionSet<'_>, version: X12Version, options: &WriteOptions) {
    let Ok(typed) = parse_any(set, &ReadOptions::strict()) else {
        return;
    };
    let Some(first) = round(&typed, &set.id, version, options) else {
        return;
    };
    let Some(second) = round(&first, &set.id, version, options) else {
        panic!("the writer refuses what it wrote and read back: {first:?}");
    };
    assert_eq!(first, second);
}

fuzz_target!(|data: &[u8]| {
    let doc = read(data, &ReadOptions::strict());
    for ic in doc.interchanges.iter().filter(|ic| ic.accepted) {
        let write_options = WriteOptions {
            delimiters: ic.delimiters,
            line_breaks: false,
        };
        for group in ic.groups.iter().filter(|g| g.accepted) {
            let version = X12Version::from_code(&group.version).unwrap_or(X12Version::V005010);
            for set in group.sets.iter().filter(|s| s.accepted) {
                check(set, version, &write_options);
            }
        }
    }
});
