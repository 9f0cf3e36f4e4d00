//! Orders over HTTP: creation, idempotency, every kind of bad input, changes, pagination.

use crate::harness::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn order_count(t: &TestApp, tenant: &str) -> usize {
    let path = format!("/api/v1/tenants/{tenant}/orders?limit=500");
    let v: Value = t.get_json(&path, &t.admin_token).await;
    v["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn replaying_a_post_with_the_same_idempotency_key_creates_one_order() {
    for t in spawn_alpha().await {
        let send = |body: Value, key: &'static str| {
            t.req(Method::POST, "/api/v1/tenants/alpha/orders", &t.admin_token)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
        };
        // One body value: order_body stamps promised_by from the clock, and a different body
        // under the same key is (correctly) a conflict.
        let body = order_body("PO-1");
        let first = send(body.clone(), "key-1").await.unwrap();
        assert_eq!(first.status(), 201, "{}", t.engine);
        assert!(first.headers().get("idempotent-replayed").is_none());
        let first_body: Value = first.json().await.unwrap();
        let again = send(body.clone(), "key-1").await.unwrap();
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
        let again_body: Value = again.json().await.unwrap();
        assert_eq!(again_body, first_body, "the first response is replayed");
        assert_eq!(order_count(&t, "alpha").await, 1);

        let p = problem(send(order_body("PO-2"), "key-1").await.unwrap(), 409).await;
        assert_eq!(p["type"], "urn:consign:problem:idempotency-key-reused");
        assert_eq!(order_count(&t, "alpha").await, 1);

        // Without a key, a second POST of the same order is a duplicate external reference.
        let p = t
            .post_problem(
                "/api/v1/tenants/alpha/orders",
                &t.admin_token,
                &order_body("PO-1"),
                409,
            )
            .await;
        assert_eq!(field_errors(&p)[0].0, "external_ref");

        // A failed (4xx) request is replayed as well: the key names the request, not success.
        let bad = send(json!({"external_ref": ""}), "key-2").await.unwrap();
        assert_eq!(bad.status(), 422);
        let bad_again = send(json!({"external_ref": ""}), "key-2").await.unwrap();
        assert_eq!(
            bad_again.headers().get("idempotent-replayed").unwrap(),
            "true"
        );
        let long_key = "k".repeat(300);
        t.req(Method::POST, "/api/v1/tenants/alpha/orders", &t.admin_token)
            .header("Idempotency-Key", long_key)
            .json(&order_body("PO-3"))
            .problem(400)
            .await;
    }
}

#[tokio::test]
async fn bad_order_input_is_answered_precisely_and_commits_nothing() {
    for t in spawn_alpha().await {
        let url = "/api/v1/tenants/alpha/orders";
        // Malformed JSON: 400 with line and column.
        let p = t
            .req(Method::POST, url, &t.admin_token)
            .header("content-type", "application/json")
            .body("{\"external_ref\": ")
            .problem(400)
            .await;
        assert!(detail(&p).contains("line 1 column"), "{p}");
        // Wrong content type: 415.
        t.req(Method::POST, url, &t.admin_token)
            .header("content-type", "text/plain")
            .body("hi")
            .problem(415)
            .await;
        // Unknown field in our own body: named.
        let mut b = order_body("PO-1");
        b["colour"] = json!("red");
        let p = t.post_problem(url, &t.admin_token, &b, 422).await;
        assert!(
            field_errors(&p)[0].1.contains("unknown field `colour`"),
            "{p}"
        );
        // Wrong type: the path to the field.
        let mut b = order_body("PO-1");
        b["lines"][1]["quantity"] = json!("two");
        let p = t.post_problem(url, &t.admin_token, &b, 422).await;
        assert_eq!(field_errors(&p)[0].0, "lines[1].quantity");
        // Unknown enum value.
        let mut b = order_body("PO-1");
        b["channel"] = json!("b2x");
        let p = t.post_problem(url, &t.admin_token, &b, 422).await;
        assert_eq!(field_errors(&p)[0].0, "channel");
        // Zero and negative quantities, excess precision, bad country, absurd date: all at once.
        let mut b = order_body("PO-1");
        b["lines"][0]["quantity"] = json!(0);
        b["lines"][1]["quantity"] = json!(-4);
        b["lines"][1]["unit_price"] = json!("1.005");
        b["ship_to"]["country"] = json!("USA");
        b["promised_by"] = json!("2300-01-01T00:00:00Z");
        let p = t.post_problem(url, &t.admin_token, &b, 422).await;
        let fields: Vec<String> = field_errors(&p).into_iter().map(|e| e.0).collect();
        assert_eq!(
            fields,
            [
                "ship_to.country",
                "lines[0].quantity",
                "lines[1].quantity",
                "lines[1].unit_price",
                "promised_by"
            ],
            "{p}"
        );
        // No lines at all.
        let mut b = order_body("PO-1");
        b["lines"] = json!([]);
        let p = t.post_problem(url, &t.admin_token, &b, 422).await;
        assert_eq!(field_errors(&p)[0].0, "lines");
        // Oversized body: 413.
        let huge = json!({"external_ref": "X".repeat(2 * 1024 * 1024)});
        t.post_problem(url, &t.admin_token, &huge, 413).await;
        // Bad list filters are named too.
        let p = t
            .get_problem(
                &format!("{url}?status=lost&limit=0&colour=red"),
                &t.admin_token,
                422,
            )
            .await;
        let mut fields: Vec<String> = field_errors(&p).into_iter().map(|e| e.0).collect();
        fields.sort();
        assert_eq!(fields, ["colour", "limit", "status"]);
        assert_eq!(order_count(&t, "alpha").await, 0, "nothing was committed");
        assert_eq!(
            t.store
                .audit_page(
                    t.store.tenant_by_slug("alpha").await.unwrap().unwrap().id.0,
                    0,
                    100
                )
                .await
                .unwrap()
                .len(),
            1,
            "only the carrier's creation is audited"
        );
    }
}

#[tokio::test]
async fn changes_are_allowed_until_something_ships() {
    for t in spawn_alpha().await {
        let order: Value = t.order_answer(&order_body("PO-1")).await;
        let id = order["id"].as_str().unwrap();
        let base = format!("/api/v1/tenants/alpha/orders/{id}");
        assert_eq!(order["status"], "received");
        assert_eq!(order["number"], "ORD-000001");

        let new_promise =
            (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(120)).to_string();
        let res = t.post(&format!("{base}/changes"), &t.admin_token, &json!({"kind": "promise_change", "promised_by": new_promise, "reason": "customer asked"})).await;
        assert_eq!(res.status(), 200);
        let changed: Value = res.json().await.unwrap();
        assert_eq!(
            changed["promised_by"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap(),
            new_promise.parse::<jiff::Timestamp>().unwrap()
        );
        let changes = format!("{base}/changes");
        // A change request to the order that is refused as unprocessable: the problem.
        let refused_change =
            async |change: Value| t.post_problem(&changes, &t.admin_token, &change, 422).await;
        let p = refused_change(json!({"kind": "cancel", "reason": ""})).await;
        assert_eq!(field_errors(&p)[0].0, "reason");
        let p = refused_change(json!({"kind": "teleport", "reason": "x"})).await;
        assert!(field_errors(&p)[0].1.contains("unknown variant"), "{p}");

        let released: Value = t
            .post_json(&format!("{base}/release"), &t.admin_token, &json!({}))
            .await;
        assert_eq!(released["status"], "released");
        // Line 1 named twice: each entry fits what is unshipped (2), together they would ship
        // 4. Refused, naming the repeat, and nothing is shipped.
        let mut twice = shipment_body("1Z000", Some("PO-1"));
        twice["lines"] = json!([{ "line_no": 1, "quantity": 2 }, { "line_no": 1, "quantity": 2 }]);
        let p = t
            .post_problem(
                "/api/v1/tenants/alpha/shipments",
                &t.admin_token,
                &twice,
                422,
            )
            .await;
        assert_eq!(
            field_errors(&p),
            [(
                "lines[1].line_no".to_string(),
                "line 1 is already named in lines[0]; name each line once".to_string()
            )],
            "{p}"
        );
        let still: Value = t.get_json(&base, &t.admin_token).await;
        assert_eq!(still["status"], "released");
        // Ship one of the two lines.
        let mut s = shipment_body("1Z001", Some("PO-1"));
        s["lines"] = json!([{ "line_no": 1, "quantity": 2 }]);
        let res = t
            .post("/api/v1/tenants/alpha/shipments", &t.admin_token, &s)
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let now_order: Value = t.get_json(&base, &t.admin_token).await;
        assert_eq!(now_order["status"], "partially_shipped");

        let addr = json!({"kind": "address_change", "reason": "moved", "ship_to": {"name": "Ann", "line1": "9 Elm", "city": "Waco", "postal_code": "76701", "country": "US"}});
        let p = t
            .post_problem(&format!("{base}/changes"), &t.admin_token, &addr, 409)
            .await;
        assert!(detail(&p).contains("partially_shipped"), "{p}");
        let after: Value = t.get_json(&base, &t.admin_token).await;
        assert_eq!(
            after["ship_to"]["city"], "Austin",
            "the refused change left the order as it was"
        );
        let changes: Value = t.get_json(&format!("{base}/changes"), &t.admin_token).await;
        assert_eq!(changes["items"].as_array().unwrap().len(), 1);
        assert_eq!(changes["items"][0]["reason"], "customer asked");

        // Ship the rest: the order is shipped.
        let res = t.post_shipment(&shipment_body("1Z002", Some("PO-1"))).await;
        assert_eq!(res.status(), 201);
        let shipped: Value = res.json().await.unwrap();
        assert_eq!(
            shipped["lines"],
            json!([{ "line_no": 2, "quantity": 1 }]),
            "omitted lines mean everything still unshipped"
        );
        let done: Value = t.get_json(&base, &t.admin_token).await;
        assert_eq!(done["status"], "shipped");
        let p = t
            .post_problem(
                "/api/v1/tenants/alpha/shipments",
                &t.admin_token,
                &shipment_body("1Z003", Some("PO-1")),
                422,
            )
            .await;
        assert!(
            field_errors(&p)[0].1.contains("nothing left to ship"),
            "{p}"
        );
        // Its audit trail shows every step with before and after.
        let audit: Value = t.order_audit(id).await;
        let actions: Vec<&str> = strs(&audit["items"], "action");
        assert_eq!(
            actions,
            [
                "created",
                "changed:promise_change",
                "released",
                "status_changed",
                "status_changed"
            ]
        );
    }
}

#[tokio::test]
async fn lists_paginate_filter_and_search() {
    for t in spawn_alpha().await {
        for i in 0..7 {
            assert_eq!(
                t.post(
                    "/api/v1/tenants/alpha/orders",
                    &t.admin_token,
                    &order_body(&format!("PO-{i}"))
                )
                .await
                .status(),
                201
            );
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor {
                Some(c) => format!("?limit=3&cursor={c}"),
                None => "?limit=3".into(),
            };
            let page: Value = t
                .get_json(&format!("/api/v1/tenants/alpha/orders{q}"), &t.admin_token)
                .await;
            for o in page["items"].as_array().unwrap() {
                seen.push(o["external_ref"].as_str().unwrap().to_string());
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(
            seen,
            ["PO-6", "PO-5", "PO-4", "PO-3", "PO-2", "PO-1", "PO-0"]
        );
        let hit: Value = t
            .get_json("/api/v1/tenants/alpha/orders?q=PO-3", &t.admin_token)
            .await;
        assert_eq!(hit["items"].as_array().unwrap().len(), 1);
        let by_number: Value = t
            .get_json("/api/v1/tenants/alpha/orders?q=ORD-000002", &t.admin_token)
            .await;
        assert_eq!(by_number["items"][0]["external_ref"], "PO-1");
        let future: Value = t
            .get_json(
                "/api/v1/tenants/alpha/orders?from=2999-01-01",
                &t.admin_token,
            )
            .await;
        assert!(future["items"].as_array().unwrap().is_empty());
        let received: Value = t
            .get_json(
                "/api/v1/tenants/alpha/orders?status=received",
                &t.admin_token,
            )
            .await;
        assert_eq!(received["items"].as_array().unwrap().len(), 7);
        t.get_problem(
            "/api/v1/tenants/alpha/orders/not-a-uuid",
            &t.admin_token,
            404,
        )
        .await;
    }
}
