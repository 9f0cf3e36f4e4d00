//! The outbound 204, 214 and 940 interchanges that `examples/write_samples.rs` hands to the
//! external validators: each one written by our writers is read back by our reader and typed
//! mappings as exactly the values that were written.

use std::collections::HashSet;

use crate::outbound_fixtures::{Body, outbound_documents};
use consign_edi::X12Version;

#[test]
fn every_outbound_document_reads_back_as_written() {
    let docs = outbound_documents();
    for doc in &docs {
        if let (_, Err(difference)) = doc.write_and_read_back() {
            panic!("{difference}");
        }
    }
}

#[test]
fn outbound_documents_cover_each_set_type_in_both_versions() {
    let docs = outbound_documents();
    let names: HashSet<&str> = docs.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(names.len(), docs.len(), "file names are unique");
    for set_id in ["204", "214", "940"] {
        for version in [X12Version::V004010, X12Version::V005010] {
            let of_kind: Vec<_> = docs
                .iter()
                .filter(|d| d.envelope.version == version)
                .filter(|d| d.sets.iter().all(|b| b.set_id() == set_id))
                .collect();
            assert!(!of_kind.is_empty(), "no {set_id} in {version:?}");
            assert!(
                of_kind.iter().any(|d| d.sets.len() > 1),
                "no {set_id} group with several sets in {version:?}"
            );
        }
    }
    for doc in &docs {
        for body in &doc.sets {
            match body {
                Body::Status(s) => {
                    let loops: HashSet<Option<u32>> = s.events.iter().map(|e| e.lx).collect();
                    assert!(
                        loops.len() > 1 && s.events.len() > 2,
                        "{}: too few events",
                        doc.file
                    );
                }
                Body::Order(o) => assert!(o.lines.len() > 1, "{}: one line only", doc.file),
                Body::Tender(t) => assert!(t.stops.len() > 1, "{}: one stop only", doc.file),
            }
        }
    }
}

#[test]
fn segment_counts_match_the_bytes() {
    for doc in outbound_documents() {
        let bytes = doc.write().unwrap();
        let terminators = bytes.iter().filter(|&&b| b == b'~').count();
        assert_eq!(terminators, doc.segment_count(), "{}", doc.file);
    }
}
