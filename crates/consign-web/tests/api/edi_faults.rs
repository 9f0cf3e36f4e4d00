//! `POST …/edi` answers the fault files of `consign-edi/tests/edi/faults/` as `consign edi
//! check` and `consign import edi` do: a 997 for a readable interchange, a TA1 for one rejected
//! at its envelope, and a 422 naming the reason for bytes that are no interchange.

use crate::harness::*;
use reqwest::Method;
use serde_json::{Value, json};

#[path = "../../../consign-edi/tests/edi/faults/ack_codes.rs"]
mod ack_codes;
use ack_codes::{codes, expected_codes};

fn fault_file(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../consign-edi/tests/edi/faults/{name}.x12"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn the_http_intake_answers_partner_faults_like_the_cli() {
    for t in spawn_all().await {
        for (slug, lenient) in [("alpha", true), ("beta", false)] {
            t.tenant(slug).await;
            let res = t
                .post(
                    &format!("/api/v1/tenants/{slug}/edi/partners"),
                    &t.admin_token,
                    &json!({"name": "Acme WMS", "isa_qualifier": "ZZ", "isa_id": "ACMEWMS",
                        "our_isa_id": "CONSIGN", "kind": "carrier", "carrier": "UPSN", "lenient": lenient}),
                )
                .await;
            assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        }
        // alpha reads leniently and accepts each file, beta strictly and rejects it.
        let files = ["isa16_missing_940", "wrapped_940", "gs01_mismatch_940"];
        let modes = [("alpha", "accepted"), ("beta", "rejected")];
        for (name, (slug, status)) in files.iter().flat_map(|f| modes.map(|m| (*f, m))) {
            let want = expected_codes(name, slug == "alpha");
            let res = t
                .req(
                    Method::POST,
                    &format!("/api/v1/tenants/{slug}/edi"),
                    &t.admin_token,
                )
                .header("content-type", "application/edi-x12")
                .body(fault_file(name))
                .sent()
                .await;
            assert_eq!(res.status(), 200, "{name} {slug}");
            let report: Value = res.json().await.unwrap();
            let ic = &report["interchanges"][0];
            assert_eq!(ic["status"], status, "{name} {slug}: {report}");
            let acks = report["acknowledgements"].as_str().unwrap();
            assert_eq!(codes(acks), want.to_vec(), "{name} {slug}: {report}");
        }
        let p = t
            .req(Method::POST, "/api/v1/tenants/alpha/edi", &t.admin_token)
            .header("content-type", "application/edi-x12")
            .body("Hello, this is not X12\n")
            .problem(422)
            .await;
        assert!(
            detail(&p).contains("input does not begin with an ISA segment"),
            "{p}"
        );
    }
}
