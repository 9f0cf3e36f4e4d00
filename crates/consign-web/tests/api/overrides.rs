//! Manual overrides of a shipment's status and promised date over HTTP, on both engines: a
//! manual event in the history, judged by the rules at once, audited, allowed after delivery,
//! and refused precisely (nothing written) when the request is wrong or not the caller's.

use crate::harness::*;
use consign_core::access::Role;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

fn at(hours: i64) -> String {
    let t = Timestamp::now() + SignedDuration::from_hours(hours);
    Timestamp::from_second(t.as_second()).unwrap().to_string()
}

async fn shipment_promised(t: &TestApp, tracking: &str, promise_hours: i64) -> String {
    let mut body = shipment_body(tracking, None);
    body["promised_by"] = json!(at(promise_hours));
    let res = t.post_shipment(&body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let s: Value = res.json().await.unwrap();
    s["id"].as_str().unwrap().to_string()
}

async fn events(t: &TestApp, list: Value) {
    let res = t.post_tracking_events(list).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

fn scan(tracking: &str, hours: i64, status: &str, eta: Option<i64>) -> Value {
    let mut e = json!({ "carrier": "UPSN", "tracking_number": tracking, "occurred_at": at(hours), "status": status, "location": "Dallas TX" });
    if let Some(h) = eta {
        e["eta"] = json!(at(h));
    }
    e
}

fn path(id: &str) -> String {
    format!("/api/v1/tenants/alpha/shipments/{id}/overrides")
}

async fn open_case_types(t: &TestApp, id: &str) -> Vec<String> {
    let path = format!("/api/v1/tenants/alpha/cases?shipment={id}&open=true");
    let v = t.get_json(&path, &t.admin_token).await;
    let types = strs(&v["items"], "case_type");
    types.into_iter().map(String::from).collect()
}

#[tokio::test]
async fn a_promise_moved_earlier_is_judged_at_once_and_audited() {
    for t in spawn_alpha().await {
        let id = shipment_promised(&t, "1ZP1", 240).await;
        events(
            &t,
            json!([
                scan("1ZP1", -30, "picked_up", None),
                scan("1ZP1", -10, "in_transit", Some(72))
            ]),
        )
        .await;
        assert!(
            open_case_types(&t, &id).await.is_empty(),
            "{}: ETA within the promise",
            t.engine
        );
        let new_promise = at(24);
        let res = t
            .post(
                &path(&id),
                &t.admin_token,
                &json!({ "promised_by": new_promise, "reason": "client moved the delivery window" }),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let view: Value = res.json().await.unwrap();
        assert_eq!(
            view["promised_by"]
                .as_str()
                .unwrap()
                .parse::<Timestamp>()
                .unwrap(),
            new_promise.parse::<Timestamp>().unwrap(),
            "{}",
            t.engine
        );
        assert_eq!(
            view["status"], "in_transit",
            "a promise change leaves the status"
        );
        let last = view["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["source"] == "manual")
            .unwrap_or_else(|| panic!("{}: no manual event in {view}", t.engine))
            .clone();
        assert_eq!(last["raw_code"], "manual_promise");
        assert!(
            last["description"]
                .as_str()
                .unwrap()
                .contains("client moved the delivery window"),
            "{last}"
        );
        // The rules judged the shipment with the new promise: the ETA now misses it.
        assert_eq!(
            open_case_types(&t, &id).await,
            vec!["delay_risk".to_string()],
            "{}",
            t.engine
        );
        let shipment = t
            .get_json(
                &format!("/api/v1/tenants/alpha/shipments/{id}"),
                &t.admin_token,
            )
            .await;
        assert_eq!(shipment["promised_by"], view["promised_by"]);
        let audit = t
            .get_json(
                &format!("/api/v1/tenants/alpha/audit/shipment/{id}"),
                &t.admin_token,
            )
            .await;
        let entry = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["action"] == "overridden")
            .unwrap_or_else(|| panic!("{}: no audit record in {audit}", t.engine))
            .clone();
        assert_eq!(entry["after"]["reason"], "client moved the delivery window");
        assert!(entry["before"]["promised_by"].is_string(), "{entry}");
        assert!(
            entry["actor"].as_str().unwrap().starts_with("token:"),
            "{entry}"
        );
    }
}

#[tokio::test]
async fn a_status_set_by_hand_after_delivery_stands_and_opens_its_case() {
    for t in spawn_alpha().await {
        let id = shipment_promised(&t, "1ZP2", 48).await;
        events(
            &t,
            json!([
                scan("1ZP2", -30, "picked_up", None),
                scan("1ZP2", -5, "delivered", None)
            ]),
        )
        .await;
        let before = t.tracking_of(&id).await;
        assert_eq!(before["status"], "delivered");
        let agent = t.token(Role::Agent, Some("alpha"), None).await;
        let res = t
            .post(
                &path(&id),
                &agent,
                &json!({ "status": "lost", "reason": "customer has nothing; the POD shows another street" }),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let view: Value = res.json().await.unwrap();
        assert_eq!(view["status"], "lost", "{}: {view}", t.engine);
        assert_eq!(
            view["last_event_at"], before["last_event_at"],
            "a manual event is not a carrier scan"
        );
        assert_eq!(view["delivered_at"], before["delivered_at"]);
        assert!(
            open_case_types(&t, &id).await.contains(&"lost".to_string()),
            "{}: the rulebook judged the manual status",
            t.engine
        );
        // A status dated before the latest event is recorded but does not replace it.
        let res = t
            .post(
                &path(&id),
                &agent,
                &json!({ "status": "in_transit", "occurred_at": at(-20), "reason": "depot log shows a transfer" }),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let view: Value = res.json().await.unwrap();
        assert_eq!(
            view["status"], "lost",
            "{}: latest occurrence wins",
            t.engine
        );
        let manual = count_where(&view["events"], "source", "manual");
        assert_eq!(
            manual, 2,
            "{}: both statements are in the history",
            t.engine
        );
    }
}

#[tokio::test]
async fn wrong_overrides_are_refused_precisely_and_write_nothing() {
    for t in spawn_alpha().await {
        let id = shipment_promised(&t, "1ZP3", 48).await;
        events(&t, json!([scan("1ZP3", -3, "picked_up", None)])).await;
        let count = || async { t.tracking_of(&id).await["events"].as_array().unwrap().len() };
        let n = count().await;
        for (body, field) in [
            (json!({ "status": "lost" }), "reason"),
            (json!({ "status": "lost", "reason": "  " }), "reason"),
            (json!({ "status": "teleported", "reason": "x" }), "status"),
            (json!({ "reason": "x" }), "status"),
            (
                json!({ "status": "delivered", "occurred_at": at(5), "reason": "x" }),
                "occurred_at",
            ),
            (
                json!({ "promised_by": "next tuesday", "reason": "x" }),
                "promised_by",
            ),
            (
                json!({ "status": "lost", "reason": "x", "colour": "red" }),
                "colour",
            ),
        ] {
            let p = t.post_problem(&path(&id), &t.admin_token, &body, 422).await;
            let fields: Vec<String> = field_errors(&p).into_iter().map(|(f, _)| f).collect();
            assert!(
                fields.iter().any(|f| f == field),
                "{}: {body} should name {field}, got {p}",
                t.engine
            );
        }
        let client = t.token(Role::ClientManager, Some("alpha"), None).await;
        t.post_problem(
            &path(&id),
            &client,
            &json!({ "status": "lost", "reason": "x" }),
            403,
        )
        .await;
        t.tenant("beta").await;
        let other = t.token(Role::Agent, Some("beta"), None).await;
        t.post_problem(
            &format!("/api/v1/tenants/beta/shipments/{id}/overrides"),
            &other,
            &json!({ "status": "lost", "reason": "x" }),
            404,
        )
        .await;
        assert_eq!(count().await, n, "{}: nothing was written", t.engine);
    }
}
