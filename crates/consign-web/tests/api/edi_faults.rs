//! `POST …/edi` answers the fault files of `consign-edi/tests/edi/faults/` as `consign edi
//! check` and `consign import edi` do: a 997 for a readable interchange, a TA1 for one rejected
//! at its envelope, and a 422 naming the reason for bytes that are no interchange.

use crate::harness::*;
use reqwest::Method;
use serde_json::{Value, json};

fn fault_file(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../consign-edi/tests/edi/faults/{name}.x12"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// AK segments whole, and the TA1's status and note (dates and control numbers differ).
fn codes(ack: &str) -> Vec<String> {
    ack.split('~')
        .map(str::trim)
        .filter_map(|seg| match seg.split('*').next()? {
            "AK1" | "AK2" | "AK3" | "AK4" | "AK5" | "AK9" => Some(seg.to_string()),
            "TA1" => Some(format!(
                "TA1*{}",
                seg.split('*').skip(4).collect::<Vec<_>>().join("*")
            )),
            _ => None,
        })
        .collect()
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
        let cases: [(&str, &str, &str, &[&str]); 6] = [
            (
                "isa16_missing_940",
                "alpha",
                "accepted",
                &["AK1*OW*101", "AK2*940*0001", "AK5*A", "AK9*A*1*1*1"],
            ),
            ("isa16_missing_940", "beta", "rejected", &["TA1*R*027"]),
            (
                "wrapped_940",
                "alpha",
                "accepted",
                &["AK1*OW*101", "AK2*940*0001", "AK5*A", "AK9*A*1*1*1"],
            ),
            (
                "wrapped_940",
                "beta",
                "rejected",
                &[
                    "AK1*OW*101",
                    "AK2*940*0001",
                    "AK3*N1*3**8",
                    "AK4*2**6",
                    "AK3*W66*7**8",
                    "AK4*5**6",
                    "AK5*R*5",
                    "AK9*R*1*1*0",
                ],
            ),
            (
                "gs01_mismatch_940",
                "alpha",
                "accepted",
                &["AK1*IN*101", "AK2*940*0001", "AK5*E*6", "AK9*E*1*1*1"],
            ),
            (
                "gs01_mismatch_940",
                "beta",
                "rejected",
                &["AK1*IN*101", "AK2*940*0001", "AK5*R*6", "AK9*R*1*1*0"],
            ),
        ];
        for (name, slug, status, want) in cases {
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
            p["detail"]
                .as_str()
                .unwrap()
                .contains("input does not begin with an ISA segment"),
            "{p}"
        );
    }
}
