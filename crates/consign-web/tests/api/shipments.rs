//! Shipments and documents over HTTP, and the carrier's narrow view.

use crate::harness::*;
use consign_app::admin::NewToken;
use consign_core::access::{Principal, Role};
use consign_core::party::{Mode, NewCarrier};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn shipment_input_errors_name_the_field() {
    for t in spawn_alpha().await {
        let url = "/api/v1/tenants/alpha/shipments";
        let mut s = shipment_body("1Z1", Some("PO-404"));
        s["carrier"] = json!("NOPE");
        s["weight_kg"] = json!("-1");
        s["destination"]["time_zone"] = json!("Mars/Base");
        let p = t.post_problem(url, &t.admin_token, &s, 422).await;
        let fields: Vec<String> = field_errors(&p).into_iter().map(|e| e.0).collect();
        assert_eq!(
            fields,
            ["destination.time_zone", "weight_kg", "carrier", "order"],
            "{p}"
        );
        assert!(field_errors(&p)[2].1.contains("no carrier 'NOPE'"));

        let mut s = shipment_body("1Z1", None);
        s["delivered_at"] =
            json!((jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48)).to_string());
        let p = t.post_problem(url, &t.admin_token, &s, 422).await;
        assert_eq!(field_errors(&p)[0].0, "delivered_at");

        assert_eq!(
            t.post(url, &t.admin_token, &shipment_body("1Z1", None))
                .await
                .status(),
            201
        );
        let p = t
            .post_problem(url, &t.admin_token, &shipment_body("1Z1", None), 422)
            .await;
        assert!(
            field_errors(&p)[0].1.contains("already exists"),
            "tracking numbers are unique per carrier: {p}"
        );
        let list: Value = t.get_json(url, &t.admin_token).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn documents_are_stored_by_content_and_served_back() {
    for t in spawn_alpha().await {
        let s: Value = t.shipment_answer(&shipment_body("1Z9", None)).await;
        let base = format!(
            "/api/v1/tenants/alpha/shipments/{}/documents",
            s["id"].as_str().unwrap()
        );
        let pdf = b"%PDF-1.4 proof of delivery".to_vec();
        let res = t
            .req(
                Method::POST,
                &format!("{base}?kind=pod&filename=pod.pdf"),
                &t.admin_token,
            )
            .header("content-type", "application/pdf")
            .body(pdf.clone())
            .sent()
            .await;
        assert_eq!(res.status(), 201);
        let doc: Value = res.json().await.unwrap();
        assert_eq!(doc["kind"], "pod");
        assert_eq!(doc["size_bytes"], pdf.len());
        let got = t
            .get(
                &format!("{base}/{}", doc["id"].as_str().unwrap()),
                &t.admin_token,
            )
            .await;
        assert_eq!(
            got.headers().get("content-type").unwrap(),
            "application/pdf"
        );
        assert_eq!(
            got.headers().get("content-disposition").unwrap(),
            "attachment; filename=\"pod.pdf\""
        );
        assert_eq!(
            got.headers().get("x-content-type-options").unwrap(),
            "nosniff"
        );
        assert!(
            got.headers()
                .get("content-security-policy")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("sandbox")
        );
        assert_eq!(got.bytes().await.unwrap().to_vec(), pdf);
        // A file name with a control character (which would drop the attachment header) and
        // an HTML upload meant to run in our origin are refused at upload.
        let sneaky = t
            .req(
                Method::POST,
                &format!("{base}?kind=pod&filename=x%01.html"),
                &t.admin_token,
            )
            .header("content-type", "text/html")
            .body("<script>alert(1)</script>")
            .sent()
            .await;
        let p = problem(sneaky, 422).await;
        assert_eq!(field_errors(&p)[0].0, "filename");
        let listed: Value = t.get_json(&base, &t.admin_token).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);

        let bad = t
            .req(
                Method::POST,
                &format!("{base}?kind=selfie&filename=../x"),
                &t.admin_token,
            )
            .body("x")
            .sent()
            .await;
        let p = problem(bad, 422).await;
        let fields: Vec<String> = field_errors(&p).into_iter().map(|e| e.0).collect();
        assert_eq!(fields, ["kind", "filename"]);
        let empty = t
            .req(
                Method::POST,
                &format!("{base}?kind=bol&filename=bol.pdf"),
                &t.admin_token,
            )
            .body("")
            .sent()
            .await;
        problem(empty, 422).await;
        let huge = t
            .req(
                Method::POST,
                &format!("{base}?kind=bol&filename=bol.pdf"),
                &t.admin_token,
            )
            .body(vec![0u8; 21 * 1024 * 1024])
            .sent()
            .await;
        problem(huge, 413).await;
    }
}

#[tokio::test]
async fn carrier_tokens_see_only_their_own_shipments() {
    for t in spawn_alpha().await {
        let sys = Principal::system();
        let alpha = t.store.tenant_by_slug("alpha").await.unwrap().unwrap();
        t.app
            .create_carrier(
                &sys,
                &alpha,
                NewCarrier {
                    name: "Old Dominion".into(),
                    scac: Some("ODFL".into()),
                    mode: Mode::Ltl,
                },
            )
            .await
            .unwrap();
        let ups: Value = t.shipment_answer(&shipment_body("1ZUPS", None)).await;
        let mut od = shipment_body("PRO123", None);
        od["carrier"] = json!("ODFL");
        let od: Value = t.shipment_answer(&od).await;
        let (_, secret) = t
            .app
            .create_token(
                &sys,
                NewToken {
                    name: "odfl".into(),
                    role: Role::Carrier,
                    tenant: Some("alpha".into()),
                    carrier: Some("ODFL".into()),
                    scopes: None,
                    expires_at: None,
                },
            )
            .await
            .unwrap();
        let list: Value = t.get_json("/api/v1/tenants/alpha/shipments", &secret).await;
        let ids: Vec<&str> = strs(&list["items"], "id");
        assert_eq!(ids, [od["id"].as_str().unwrap()]);
        t.get_problem(
            &format!(
                "/api/v1/tenants/alpha/shipments/{}",
                ups["id"].as_str().unwrap()
            ),
            &secret,
            404,
        )
        .await;
        assert_eq!(
            t.get(
                &format!(
                    "/api/v1/tenants/alpha/shipments/{}",
                    od["id"].as_str().unwrap()
                ),
                &secret
            )
            .await
            .status(),
            200
        );
        t.get_problem("/api/v1/tenants/alpha/orders", &secret, 403)
            .await;
        // Data quality counts every carrier's events: not a carrier's to read.
        t.get_problem("/api/v1/tenants/alpha/tracking/quality", &secret, 403)
            .await;
    }
}

/// A shipment's PRO and bill of lading numbers are taken at creation, checked like the other
/// references, shown back, and found by the list's search and the search box.
#[tokio::test]
async fn freight_references_are_taken_checked_and_found() {
    for t in spawn_all().await {
        let e = t.engine;
        t.tenant("alpha").await;
        let url = "/api/v1/tenants/alpha/shipments";
        let mut s = shipment_body("1ZFREIGHT01", None);
        s["pro_number"] = json!("x".repeat(65));
        s["bol_number"] = json!("  ");
        let p = t.post_problem(url, &t.admin_token, &s, 422).await;
        let fields: Vec<String> = field_errors(&p).into_iter().map(|e| e.0).collect();
        assert_eq!(fields, ["pro_number", "bol_number"], "{e:?}: {p}");
        s["pro_number"] = json!(" 0004471123 ");
        s["bol_number"] = json!("NW-PO-88123-1");
        let created: Value = t.post(url, &t.admin_token, &s).await.json().await.unwrap();
        assert_eq!(created["pro_number"], "0004471123", "{e:?}: {created}");
        assert_eq!(created["bol_number"], "NW-PO-88123-1", "{e:?}");
        let list: Value = t
            .get_json(&format!("{url}?q=NW-PO-88123-1"), &t.admin_token)
            .await;
        assert_eq!(
            list["items"].as_array().map(Vec::len),
            Some(1),
            "{e:?}: {list}"
        );
        // The search box opens the one shipment a BOL names, in any letter case.
        let (browser, _) = t.admin_browser().await;
        let res = browser
            .get(t.url("/app/search?q=nw-po-88123-1"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{e:?}");
        let to = res.headers()["location"].to_str().unwrap().to_string();
        assert!(to.ends_with(created["id"].as_str().unwrap()), "{e:?}: {to}");
        let page = t.page(&browser, &to).await;
        assert!(
            page.contains("NW-PO-88123-1") && page.contains("0004471123"),
            "{e:?}"
        );
    }
}
