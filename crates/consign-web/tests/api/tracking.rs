//! Tracking events, webhooks, cases and rulebooks over HTTP, on both engines.

use crate::harness::*;
use consign_core::access::Role;
use consign_core::time::FixedClock;
use consign_web::WebConfig;
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

const EVENTS: &str = "/api/v1/tenants/alpha/tracking-events";

fn ago(hours: i64) -> String {
    (Timestamp::now() - SignedDuration::from_hours(hours)).to_string()
}

fn ev(tracking: &str, hours_ago: i64, status: &str) -> Value {
    json!({ "carrier": "UPSN", "tracking_number": tracking, "occurred_at": ago(hours_ago), "status": status, "location": "Dallas TX" })
}

async fn shipment(t: &TestApp, tracking: &str) -> String {
    let res = t.post_shipment(&shipment_body(tracking, None)).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let s: Value = res.json().await.unwrap();
    s["id"].as_str().unwrap().to_string()
}

async fn post_events(t: &TestApp, events: Value) -> Value {
    let res = t
        .post(EVENTS, &t.admin_token, &json!({ "events": events }))
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}: {}",
        t.engine,
        res.text().await.unwrap()
    );
    res.json().await.unwrap()
}

async fn tracking(t: &TestApp, id: &str) -> Value {
    let res = t
        .get(
            &format!("/api/v1/tenants/alpha/shipments/{id}/tracking"),
            &t.admin_token,
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn cases(t: &TestApp, query: &str) -> Vec<Value> {
    let path = format!("/api/v1/tenants/alpha/cases{query}");
    let res = t.get(&path, &t.admin_token).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let v: Value = res.json().await.unwrap();
    v["items"].as_array().unwrap().clone()
}

/// The `result` of each item of a batch's answer, in order.
fn results(out: &Value) -> Vec<String> {
    let results = strs(&out["items"], "result");
    results.into_iter().map(String::from).collect()
}

/// Events in Consign's words with no status at one instant and place: a reason and an
/// estimate are two events (both had the raw code `eta`, so the second was taken for a
/// re-delivery of the first), and each stays a no-op when delivered again.
#[tokio::test]
async fn a_reason_and_an_estimate_at_one_instant_are_two_events() {
    for t in spawn_alpha().await {
        let id = shipment(&t, "1ZWX").await;
        let at = ago(3);
        let eta = (Timestamp::now() + SignedDuration::from_hours(50)).to_string();
        let batch = json!([
            { "carrier": "UPSN", "tracking_number": "1ZWX", "occurred_at": at, "reason": "weather", "location": "Memphis TN" },
            { "carrier": "UPSN", "tracking_number": "1ZWX", "occurred_at": at, "reason": "mechanical", "location": "Memphis TN" },
            { "carrier": "UPSN", "tracking_number": "1ZWX", "occurred_at": at, "eta": eta, "location": "Memphis TN" }
        ]);
        let out = post_events(&t, batch.clone()).await;
        assert_eq!(
            results(&out),
            ["accepted", "accepted", "accepted"],
            "{}: {out}",
            t.engine
        );
        let again = post_events(&t, batch).await;
        assert_eq!(results(&again), ["duplicate", "duplicate", "duplicate"]);
        let st = tracking(&t, &id).await;
        let mut codes = strs(&st["events"], "raw_code");
        codes.sort();
        assert_eq!(codes, ["eta", "mechanical", "weather"], "{st}");
    }
}

#[tokio::test]
async fn redelivery_is_a_no_op_and_a_late_in_transit_leaves_the_shipment_delivered() {
    for t in spawn_alpha().await {
        let id = shipment(&t, "1Z1").await;
        let batch = json!([
            ev("1Z1", 30, "picked_up"),
            ev("1Z1", 20, "in_transit"),
            ev("1Z1", 2, "delivered")
        ]);
        let out = post_events(&t, batch.clone()).await;
        assert_eq!(
            results(&out),
            ["accepted", "accepted", "accepted"],
            "{}: {out}",
            t.engine
        );
        assert_eq!(out["items"][2]["shipment_id"], id.as_str());

        let again = post_events(&t, batch).await;
        assert_eq!(results(&again), ["duplicate", "duplicate", "duplicate"]);
        assert_eq!(again["accepted"], 0);

        // A scan that happened before delivery but arrives after it.
        let late = post_events(&t, json!([ev("1Z1", 10, "in_transit")])).await;
        assert_eq!(results(&late), ["accepted"]);
        let st = tracking(&t, &id).await;
        assert_eq!(st["status"], "delivered", "{}: {st}", t.engine);
        assert_eq!(
            st["events"].as_array().unwrap().len(),
            4,
            "nothing stored twice"
        );
        assert!(st["picked_up_at"].is_string() && st["delivered_at"].is_string());
        let s: Value = t
            .get_json(
                &format!("/api/v1/tenants/alpha/shipments/{id}"),
                &t.admin_token,
            )
            .await;
        assert_eq!(s["status"], "delivered");

        // Same message id with different content is still the same message.
        let m = json!([{ "carrier": "UPSN", "tracking_number": "1Z1", "occurred_at": ago(1), "status": "exception", "reason": "damaged", "message_id": "m-1" }]);
        assert_eq!(results(&post_events(&t, m).await), ["accepted"]);
        let m2 = json!([{ "carrier": "UPSN", "tracking_number": "1Z1", "occurred_at": ago(1), "status": "delivered", "message_id": "m-1" }]);
        assert_eq!(results(&post_events(&t, m2).await), ["duplicate"]);
    }
}

#[tokio::test]
async fn events_for_an_unknown_tracking_number_wait_as_orphans() {
    for t in spawn_alpha().await {
        let out = post_events(
            &t,
            json!([ev("1Z9", 5, "picked_up"), ev("1Z9", 3, "out_for_delivery")]),
        )
        .await;
        assert_eq!(results(&out), ["orphan", "orphan"], "{}", t.engine);
        let q: Value = t
            .get_json("/api/v1/tenants/alpha/tracking/quality", &t.admin_token)
            .await;
        assert_eq!(
            (q["events"].as_i64(), q["orphans"].as_i64()),
            (Some(2), Some(2)),
            "{q}"
        );

        let id = shipment(&t, "1Z9").await;
        let st = tracking(&t, &id).await;
        assert_eq!(st["status"], "out_for_delivery", "{}: {st}", t.engine);
        assert_eq!(st["events"].as_array().unwrap().len(), 2);
        let q: Value = t
            .get_json("/api/v1/tenants/alpha/tracking/quality", &t.admin_token)
            .await;
        assert_eq!(q["orphans"], 0);
    }
}

#[tokio::test]
async fn a_bad_batch_is_refused_whole_with_each_item_named() {
    for t in spawn_alpha().await {
        shipment(&t, "1Z1").await;
        let far = (Timestamp::now() + SignedDuration::from_hours(24 * 30)).to_string();
        let batch = json!({ "events": [
            ev("1Z1", 5, "picked_up"),
            { "carrier": "NOPE", "tracking_number": "1Z1", "occurred_at": ago(4), "status": "in_transit" },
            { "carrier": "UPSN", "tracking_number": "1Z1", "occurred_at": ago(4), "status": "teleported" },
            { "carrier": "UPSN", "tracking_number": "", "occurred_at": ago(4), "status": "in_transit" },
            { "carrier": "UPSN", "tracking_number": "1Z1", "occurred_at": far, "status": "in_transit" },
        ]});
        let p = t.post_problem(EVENTS, &t.admin_token, &batch, 422).await;
        let fields: Vec<String> = field_errors(&p).into_iter().map(|e| e.0).collect();
        assert!(
            fields.contains(&"events[2].status".to_string()),
            "{}: {p}",
            t.engine
        );
        // Status words are checked first; the rest in a second round, once the words are
        // right. Either way nothing was stored.
        let q: Value = t
            .get_json("/api/v1/tenants/alpha/tracking/quality", &t.admin_token)
            .await;
        assert_eq!(q["events"], 0);

        let mut fixed = batch.clone();
        fixed["events"][2]["status"] = json!("in_transit");
        let p = t.post_problem(EVENTS, &t.admin_token, &fixed, 422).await;
        let errs = field_errors(&p);
        let fields: Vec<&str> = errs.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            fields,
            [
                "events[1].carrier",
                "events[3].tracking_number",
                "events[4].occurred_at"
            ],
            "{p}"
        );
        assert!(errs[0].1.contains("unknown carrier 'NOPE'"));
        assert!(errs[2].1.contains("ahead of now"), "{}", errs[2].1);
        let q: Value = t
            .get_json("/api/v1/tenants/alpha/tracking/quality", &t.admin_token)
            .await;
        assert_eq!(q["events"], 0, "nothing partial committed");

        // Unparseable timestamps are caught with their path; so is a batch over the limit.
        let bad_ts = json!({ "events": [{ "carrier": "UPSN", "tracking_number": "1Z1", "occurred_at": "yesterday", "status": "delivered" }] });
        let p = t.post_problem(EVENTS, &t.admin_token, &bad_ts, 422).await;
        assert!(
            field_errors(&p)[0].0.starts_with("events[0].occurred_at"),
            "{p}"
        );
        let many: Vec<Value> = (0..10_001)
            .map(|i| ev(&format!("T{i}"), 1, "in_transit"))
            .collect();
        let p = t
            .post_problem(EVENTS, &t.admin_token, &json!({ "events": many }), 422)
            .await;
        assert_eq!(field_errors(&p)[0].0, "events", "{p}");
        let res = t
            .post(
                "/api/v1/tenants/nobody/tracking-events",
                &t.admin_token,
                &json!({ "events": [] }),
            )
            .await;
        assert_eq!(res.status(), 404);
    }
}

#[tokio::test]
async fn a_failed_attempt_opens_one_case_that_repeats_and_resolves_on_delivery() {
    for t in spawn_alpha().await {
        t.tenant("beta").await;
        let id = shipment(&t, "1Z1").await;
        let attempt = |h: i64| json!({ "carrier": "UPSN", "tracking_number": "1Z1", "occurred_at": ago(h), "status": "delivery_attempted", "reason": "recipient_unavailable" });
        let out = post_events(&t, json!([ev("1Z1", 40, "picked_up"), attempt(20)])).await;
        assert_eq!(out["cases"]["opened"], 1, "{}: {out}", t.engine);
        let open = cases(&t, "?type=delivery_failed&open=true").await;
        assert_eq!(open.len(), 1);
        let c = &open[0];
        assert_eq!(
            (c["severity"].as_str(), c["accountable"].as_str()),
            (Some("high"), Some("consignee"))
        );
        assert_eq!(c["shipment_id"], id.as_str());

        // A second attempt is the same problem again: no second case.
        post_events(&t, json!([attempt(10)])).await;
        assert_eq!(
            cases(&t, "?type=delivery_failed").await.len(),
            1,
            "{}",
            t.engine
        );
        // The sweep finds nothing to time on the open case (no SLA policy here).
        t.app.sweep_all_case_timers(t.app.now(), 100).await.unwrap();
        post_events(&t, json!([ev("1Z1", 1, "delivered")])).await;
        let resolved = cases(&t, "?type=delivery_failed&status=resolved").await;
        assert_eq!(resolved.len(), 1, "{}", t.engine);
        let case_id = resolved[0]["id"].as_str().unwrap();
        let detail: Value = t
            .get_json(
                &format!("/api/v1/tenants/alpha/cases/{case_id}"),
                &t.admin_token,
            )
            .await;
        let kinds: Vec<&str> = strs(&detail["timeline"], "kind");
        assert_eq!(kinds, ["created", "detected_again", "resolved"], "{detail}");
        assert_eq!(detail["resolution"], "delivered", "{detail}");
        assert_eq!(detail["detections"], 2);
        // Resolved by the rule, it closes by itself a week later like any resolved case, with
        // no SLA policy in force (it once kept no timer and stayed resolved for ever).
        let week = t.app.now() + SignedDuration::from_hours(7 * 24 - 1);
        t.app.sweep_all_case_timers(week, 100).await.unwrap();
        let closed = cases(&t, "?type=delivery_failed&status=closed").await;
        assert!(
            closed.is_empty(),
            "{}: not before the week is out",
            t.engine
        );
        let week = t.app.now() + SignedDuration::from_hours(7 * 24 + 1);
        t.app.sweep_all_case_timers(week, 100).await.unwrap();
        let closed = cases(&t, "?type=delivery_failed&status=closed").await;
        assert_eq!(closed.len(), 1, "{}", t.engine);

        // Filters are checked; another tenant's client sees nothing of it.
        let p = t
            .get_problem(
                "/api/v1/tenants/alpha/cases?status=bogus",
                &t.admin_token,
                422,
            )
            .await;
        assert_eq!(field_errors(&p)[0].0, "status");
        let other = t.token(Role::ClientManager, Some("beta"), None).await;
        let alpha_case = format!("/api/v1/tenants/alpha/cases/{case_id}");
        assert_eq!(t.get(&alpha_case, &other).await.status(), 404);
        assert_eq!(
            t.get(&format!("/api/v1/tenants/beta/cases/{case_id}"), &other)
                .await
                .status(),
            404
        );
        let own = t.token(Role::ClientViewer, Some("alpha"), None).await;
        assert_eq!(t.get(&alpha_case, &own).await.status(), 200);
        // Clients read; they do not send carrier events.
        assert_eq!(
            t.post(
                EVENTS,
                &own,
                &json!({ "events": [ev("1Z1", 1, "delivered")] })
            )
            .await
            .status(),
            403
        );
    }
}

#[tokio::test]
async fn webhooks_map_both_vocabularies_and_require_a_valid_signature_when_configured() {
    let cfg = WebConfig {
        webhook_secret: Some("s3cret".into()),
        ..Default::default()
    };
    for t in spawn_all_with(cfg).await {
        t.tenant("alpha").await;
        let id = shipment(&t, "1Z1").await;
        let scanned = ago(5);
        let tracker = |delivery: &str, eta: Timestamp| {
            json!({ "id": delivery, "data": { "carrier": "UPSN", "tracking_number": "1Z1", "estimated_delivery": eta.to_string(),
                "events": [{ "timestamp": scanned, "status": "in_transit", "code": "IT", "location": "Memphis TN" }] } })
            .to_string()
        };
        let first_eta = (Timestamp::now() + SignedDuration::from_hours(30))
            .round(jiff::Unit::Second)
            .unwrap();
        let body = tracker("delivery-1", first_eta);
        let send = |path: &str, body: String, sig: Option<String>| {
            let mut r = t
                .req(Method::POST, path, &t.admin_token)
                .header("content-type", "application/json")
                .body(body);
            if let Some(s) = sig {
                r = r.header("x-consign-signature", s);
            }
            r.send()
        };
        let sign = |b: &str| {
            format!(
                "sha256={}",
                hex::encode(consign_app::webhooks::hmac_sha256(b"s3cret", b.as_bytes()))
            )
        };
        let url = "/api/v1/tenants/alpha/webhooks/open_source_12";
        assert_eq!(
            send(url, body.clone(), None).await.unwrap().status(),
            401,
            "{}",
            t.engine
        );
        assert_eq!(
            send(url, body.clone(), Some(sign("other")))
                .await
                .unwrap()
                .status(),
            401
        );
        let res = send(url, body.clone(), Some(sign(&body))).await.unwrap();
        assert_eq!(res.status(), 200);
        let out: Value = res.json().await.unwrap();
        assert_eq!(
            results(&out),
            ["accepted", "accepted"],
            "the scan and the estimate: {out}"
        );
        let again: Value = send(url, body.clone(), Some(sign(&body)))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            results(&again),
            ["duplicate", "duplicate"],
            "a re-delivered webhook is a no-op"
        );
        let st = tracking(&t, &id).await;
        assert_eq!(st["status"], "in_transit");
        let eta_of = |st: &Value| st["eta"].as_str().map(|s| s.parse::<Timestamp>().unwrap());
        assert_eq!(
            eta_of(&st),
            Some(first_eta),
            "the tracker's estimate becomes the ETA: {st}"
        );
        // The tracker revises its estimate with no new scan: the scan is a duplicate, the
        // estimate is not, and it becomes the ETA (it was lost with the duplicate scan).
        let later = first_eta + SignedDuration::from_hours(48);
        let revised = tracker("delivery-2", later);
        let out: Value = send(url, revised.clone(), Some(sign(&revised)))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(results(&out), ["duplicate", "accepted"], "{out}");
        assert_eq!(eta_of(&tracking(&t, &id).await), Some(later));

        let saas = json!({ "event_id": "e-7", "msg": { "slug": "ups", "tracking_number": "1Z1",
            "checkpoints": [{ "checkpoint_time": ago(2), "tag": "Exception", "subtag": "Exception_007", "message": "Damaged" },
                            { "checkpoint_time": ago(1), "tag": "Teleported" }] } })
        .to_string();
        let url2 = "/api/v1/tenants/alpha/webhooks/tracking_saas?carrier=UPSN";
        let out: Value = send(url2, saas.clone(), Some(sign(&saas)))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(results(&out), ["accepted", "accepted"], "{out}");
        assert_eq!(cases(&t, "?type=damaged").await.len(), 1, "{}", t.engine);
        let q: Value = t
            .get_json("/api/v1/tenants/alpha/tracking/quality", &t.admin_token)
            .await;
        assert_eq!(
            q["unmapped"][0]["raw_code"], "Teleported",
            "an unmapped tag is kept and counted: {q}"
        );
        assert_eq!(q["unmapped"][0]["source"], "webhook:tracking_saas");
        let st = tracking(&t, &id).await;
        assert_eq!(
            st["status"], "exception",
            "an unmapped code never replaces a status the carrier did tell us"
        );

        let nope = "{}".to_string();
        let res = send(
            "/api/v1/tenants/alpha/webhooks/carrier_pigeon",
            nope.clone(),
            Some(sign(&nope)),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 404);
        let bad =
            r#"{"id":"x","data":{"tracking_number":"1Z1","events":[{"status":"in_transit"}]}}"#
                .to_string();
        let p = problem(send(url, bad.clone(), Some(sign(&bad))).await.unwrap(), 422).await;
        assert!(field_errors(&p)[0].0.contains("events[0]"), "{p}");
    }
}

#[tokio::test]
async fn rulebooks_are_checked_before_they_are_stored_and_then_used() {
    for t in spawn_alpha().await {
        let put = |body: &str, token: &str| {
            t.req(Method::PUT, "/api/v1/tenants/alpha/rulebook", token)
                .header("content-type", "application/toml")
                .body(body.to_string())
                .send()
        };
        let p = problem(
            put("name = \"x\"\n[[rule]]\ncase_type = ", &t.admin_token)
                .await
                .unwrap(),
            422,
        )
        .await;
        assert!(field_errors(&p)[0].1.starts_with("line 3"), "{p}");
        let unknown = "name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"carrier\"\nowner_team = \"t\"\nwhen = { colour = \"red\" }\n";
        let p = problem(put(unknown, &t.admin_token).await.unwrap(), 422).await;
        assert!(
            field_errors(&p)[0].1.contains("unknown field `colour`"),
            "{p}"
        );
        let silent = "name = \"x\"\n[carrier_silent]\nhours = 0\nseverity = \"high\"\nowner_team = \"desk\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"carrier\"\nowner_team = \"t\"\nwhen = { terminal = false }\n";
        let p = problem(put(silent, &t.admin_token).await.unwrap(), 422).await;
        assert!(
            field_errors(&p)
                .iter()
                .any(|(_, reason)| reason.starts_with("carrier_silent.hours")),
            "{p}"
        );
        let edi = "name = \"x\"\n[edi_unacknowledged]\nhours = 24\nseverity = \"medium\"\nowner_team = \"desk\"\nresend = true\n";
        let p = problem(put(edi, &t.admin_token).await.unwrap(), 422).await;
        assert!(
            field_errors(&p)[0].1.contains("unknown field `resend`"),
            "{p}"
        );
        let current: Value = t
            .get_json("/api/v1/tenants/alpha/rulebook", &t.admin_token)
            .await;
        assert_eq!(
            current["version"], 0,
            "nothing stored: the default is in force"
        );

        // A stricter rulebook: anything picked up and silent for an hour is stalled.
        let strict = "name = \"strict\"\n[[rule]]\ncase_type = \"stalled\"\nseverity = \"high\"\naccountable = \"carrier\"\nowner_team = \"desk\"\nwhen = { terminal = false, picked_up = true, hours_since_last_event = 1 }\n";
        let viewer = t.token(Role::ClientManager, Some("alpha"), None).await;
        assert_eq!(put(strict, &viewer).await.unwrap().status(), 403);
        let res = put(strict, &t.admin_token).await.unwrap();
        assert_eq!(res.status(), 201, "{}", t.engine);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["version"], 1);

        shipment(&t, "1Z1").await;
        let scan = Timestamp::now() - SignedDuration::from_mins(30);
        let out = post_events(
            &t,
            json!([{ "carrier": "UPSN", "tracking_number": "1Z1", "occurred_at": scan.to_string(), "status": "picked_up" }]),
        )
        .await;
        assert_eq!(out["cases"]["opened"], 0, "silent for 30 minutes only");
        // The sweep an hour later finds it silent for 90 minutes.
        let mut later = t.app.clone();
        later.clock = Arc::new(FixedClock(Timestamp::now() + SignedDuration::from_hours(1)));
        let (_, c) = later.sweep(100).await.unwrap();
        assert_eq!(c.opened, 1, "{}", t.engine);
        let open = cases(&t, "?type=stalled").await;
        assert_eq!(
            (
                open[0]["severity"].as_str(),
                open[0]["rulebook_version"].as_i64()
            ),
            (Some("high"), Some(1))
        );
    }
}

#[tokio::test]
async fn the_sweep_opens_time_based_cases_as_of_its_instant() {
    for t in spawn_alpha().await {
        let mut body = shipment_body("1Z1", None);
        let planned = Timestamp::now() + SignedDuration::from_hours(2);
        body["planned_pickup_at"] = json!(planned.to_string());
        let res = t
            .post("/api/v1/tenants/alpha/shipments", &t.admin_token, &body)
            .await;
        assert_eq!(res.status(), 201);
        let mut at = t.app.clone();
        at.clock = Arc::new(FixedClock(planned + SignedDuration::from_hours(3)));
        at.sweep(100).await.unwrap();
        assert!(
            cases(&t, "?type=late_pickup").await.is_empty(),
            "3 h late is within the 4 h allowance"
        );
        at.clock = Arc::new(FixedClock(planned + SignedDuration::from_hours(5)));
        let (_, c) = at.sweep(100).await.unwrap();
        assert_eq!(c.opened, 1, "{}", t.engine);
        assert_eq!(cases(&t, "?type=late_pickup&open=true").await.len(), 1);
        // Running the same sweep again changes nothing.
        let (n, c) = at.sweep(100).await.unwrap();
        assert_eq!((n, c.opened), (0, 0));
        // The pickup scan resolves it.
        post_events(&t, json!([{ "carrier": "UPSN", "tracking_number": "1Z1", "occurred_at": Timestamp::now().to_string(), "status": "picked_up" }])).await;
        assert_eq!(
            cases(&t, "?type=late_pickup&status=resolved").await.len(),
            1,
            "{}",
            t.engine
        );
    }
}

/// A document that answers a case settles it: the rules read "commercial invoice on file" and
/// "proof of delivery on file" from the shipment's tracking state, which the upload updates.
#[tokio::test]
async fn documents_settle_the_cases_they_answer() {
    for t in spawn_alpha().await {
        let upload = |id: String, kind: &'static str| {
            let t = &t;
            async move {
                let res = t
                    .req(
                        Method::POST,
                        &format!("/api/v1/tenants/alpha/shipments/{id}/documents?kind={kind}&filename={kind}.pdf"),
                        &t.admin_token,
                    )
                    .header("content-type", "application/pdf")
                    .body(format!("%PDF-1.4 {kind}").into_bytes())
                    .sent()
                    .await;
                assert_eq!(res.status(), 201, "{}", t.engine);
            }
        };
        // International, picking up in 12 h, no commercial invoice: missing_documents.
        let mut body = shipment_body("1ZINTL", None);
        body["international"] = json!(true);
        body["planned_pickup_at"] =
            json!((Timestamp::now() + SignedDuration::from_hours(12)).to_string());
        let intl: Value = t.shipment_answer(&body).await;
        let intl = intl["id"].as_str().unwrap().to_string();
        let open = |ty: &'static str| {
            let t = &t;
            async move { cases(t, &format!("?type={ty}&open=true")).await.len() }
        };
        let mut at = t.app.clone();
        at.clock = Arc::new(FixedClock(Timestamp::now() + SignedDuration::from_mins(1)));
        at.sweep(100).await.unwrap();
        assert_eq!(open("missing_documents").await, 1, "{}", t.engine);
        upload(intl.clone(), "commercial_invoice").await;
        assert_eq!(open("missing_documents").await, 0, "{}", t.engine);
        assert_eq!(
            cases(&t, "?type=missing_documents&status=resolved")
                .await
                .len(),
            1
        );
        // Delivered 30 h ago, proof of delivery required and missing: pod_missing.
        let mut body = shipment_body("1ZPOD", None);
        body["pod_required"] = json!(true);
        let pod: Value = t.shipment_answer(&body).await;
        let pod = pod["id"].as_str().unwrap().to_string();
        post_events(
            &t,
            json!([{ "carrier": "UPSN", "tracking_number": "1ZPOD", "status": "delivered",
            "occurred_at": (Timestamp::now() - SignedDuration::from_hours(30)).to_string() }]),
        )
        .await;
        assert_eq!(open("pod_missing").await, 1, "{}", t.engine);
        upload(pod.clone(), "pod").await;
        assert_eq!(open("pod_missing").await, 0, "{}", t.engine);
        // Settled for good: a later sweep and a repeated scan open nothing again.
        at.clock = Arc::new(FixedClock(
            Timestamp::now() + SignedDuration::from_hours(48),
        ));
        at.sweep(100).await.unwrap();
        post_events(
            &t,
            json!([{ "carrier": "UPSN", "tracking_number": "1ZPOD", "status": "delivered",
            "occurred_at": (Timestamp::now() - SignedDuration::from_hours(29)).to_string() }]),
        )
        .await;
        let q = format!("?shipment={pod}&open=true");
        assert!(
            cases(&t, &q).await.is_empty(),
            "{}: {:?}",
            t.engine,
            cases(&t, &q).await
        );
        assert_eq!(
            cases(&t, "?type=missing_documents&open=true").await.len(),
            0
        );
        assert!(
            tracking(&t, &pod).await["open_cases"]
                .as_array()
                .is_none_or(|c| c.is_empty())
        );
    }
}

/// SPEC §3 `carrier_silent`: a carrier with a shipment under way and no scan for 12 h gets one
/// case addressed to it (not to the shipment), which resolves when its scans resume.
#[tokio::test]
async fn a_silent_carrier_gets_one_case_that_resolves_when_scans_resume() {
    for t in spawn_alpha().await {
        let res = t.post_shipment(&shipment_body("1ZQUIET", None)).await;
        assert_eq!(res.status(), 201);
        let scan = |status: &'static str, hours_ago: i64| {
            json!([{ "carrier": "UPSN", "tracking_number": "1ZQUIET", "status": status,
                "occurred_at": (Timestamp::now() - SignedDuration::from_hours(hours_ago)).to_string() }])
        };
        post_events(&t, scan("picked_up", 13)).await;
        let quiet = |ty: &'static str| {
            let t = &t;
            async move { cases(t, &format!("?type=carrier_silent&status={ty}")).await }
        };
        // 11 h after the scan: not yet.
        let mut at = t.app.clone();
        at.clock = Arc::new(FixedClock(Timestamp::now() - SignedDuration::from_hours(2)));
        assert_eq!(at.sweep_carriers().await.unwrap().opened, 0, "{}", t.engine);
        // 13 h: one case, on the carrier, and only one however often the sweep runs.
        at.clock = Arc::new(FixedClock(Timestamp::now()));
        assert_eq!(at.sweep_carriers().await.unwrap().opened, 1, "{}", t.engine);
        assert_eq!(at.sweep_carriers().await.unwrap().opened, 0, "{}", t.engine);
        let open = quiet("new").await;
        assert_eq!(open.len(), 1, "{}", t.engine);
        assert!(open[0]["shipment_id"].is_null());
        assert!(open[0]["carrier_id"].is_string());
        assert_eq!(open[0]["accountable"], "carrier");
        assert_eq!(open[0]["severity"], "high");
        // A scan arrives: the next sweep resolves it.
        post_events(&t, scan("in_transit", 0)).await;
        assert_eq!(
            at.sweep_carriers().await.unwrap().resolved,
            1,
            "{}",
            t.engine
        );
        assert!(quiet("new").await.is_empty());
        assert_eq!(quiet("resolved").await.len(), 1);
        // Delivered: nothing under way, so a long silence afterwards opens nothing.
        post_events(&t, scan("delivered", 0)).await;
        at.clock = Arc::new(FixedClock(
            Timestamp::now() + SignedDuration::from_hours(48),
        ));
        assert_eq!(at.sweep_carriers().await.unwrap().opened, 0, "{}", t.engine);
    }
}

/// A hold reported and released within one batch still opens its case (judged as the state
/// stood until the release), and the release resolves it: a backlog does not hide problems.
#[tokio::test]
async fn a_customs_hold_released_within_one_batch_opens_and_resolves_its_case() {
    for t in spawn_alpha().await {
        let id = shipment(&t, "1ZCUSTOMS").await;
        let out = post_events(
            &t,
            json!([
                ev("1ZCUSTOMS", 30, "picked_up"),
                { "carrier": "UPSN", "tracking_number": "1ZCUSTOMS", "occurred_at": ago(20),
                  "status": "on_hold", "reason": "customs_inspection", "location": "customs" },
                ev("1ZCUSTOMS", 16, "in_transit"),
            ]),
        )
        .await;
        assert_eq!(out["cases"]["opened"], 1, "{}: {out}", t.engine);
        assert_eq!(out["cases"]["resolved"], 1, "{}: {out}", t.engine);
        let held = cases(&t, "?type=customs_hold").await;
        assert_eq!(held.len(), 1, "{}", t.engine);
        assert_eq!(held[0]["status"], "resolved");
        assert_eq!(held[0]["accountable"], "customs");
        assert_eq!(held[0]["shipment_id"], id.as_str());
        assert_eq!(tracking(&t, &id).await["status"], "in_transit");
    }
}

/// A delivery scan moves the order on: delivered once every line is, with an audit record;
/// a re-delivered scan changes nothing.
#[tokio::test]
async fn deliveries_move_the_order_to_delivered_once_every_line_is() {
    for t in spawn_alpha().await {
        let res = t
            .post(
                "/api/v1/tenants/alpha/orders",
                &t.admin_token,
                &order_body("PO-77"),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let order: Value = res.json().await.unwrap();
        let base = format!(
            "/api/v1/tenants/alpha/orders/{}",
            order["id"].as_str().unwrap()
        );
        t.post(&format!("{base}/release"), &t.admin_token, &json!({}))
            .await;
        let mut first = shipment_body("1ZLINE1", Some("PO-77"));
        first["lines"] = json!([{ "line_no": 1, "quantity": 2 }]);
        for body in [first, shipment_body("1ZLINE2", Some("PO-77"))] {
            let res = t
                .post("/api/v1/tenants/alpha/shipments", &t.admin_token, &body)
                .await;
            assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        }
        let status = || {
            let (t, base) = (&t, base.clone());
            async move {
                let o: Value = t.get_json(&base, &t.admin_token).await;
                o["status"].as_str().unwrap().to_string()
            }
        };
        assert_eq!(status().await, "shipped", "{}", t.engine);
        post_events(&t, json!([ev("1ZLINE1", 2, "delivered")])).await;
        assert_eq!(status().await, "shipped", "{}: one line of two", t.engine);
        let last = json!([ev("1ZLINE2", 1, "delivered")]);
        post_events(&t, last.clone()).await;
        assert_eq!(status().await, "delivered", "{}", t.engine);
        let again = post_events(&t, last).await;
        assert_eq!(again["duplicates"], 1);
        let audit: Value = t.order_audit(order["id"].as_str().unwrap()).await;
        let by_delivery: Vec<&Value> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "status_changed" && a["after"]["by"] == "delivery")
            .collect();
        assert_eq!(by_delivery.len(), 1, "{audit}");
        assert_eq!(by_delivery[0]["after"]["status"], "delivered");
        assert_eq!(by_delivery[0]["before"]["status"], "shipped");
    }
}
