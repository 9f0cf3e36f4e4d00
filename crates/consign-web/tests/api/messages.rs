//! Webhooks through the outbox, on both engines, to a real receiver on a loopback port that
//! verifies every signature with the `standardwebhooks` reference library: events in the
//! order they happened, failures retried on the schedule and dead-lettered, retried by hand
//! with the same `webhook-id`, 410 disabling the endpoint, `Retry-After`, receivers that hang
//! or hang up, secret rotation, SSRF refusals, and two servers delivering each message once.

use crate::harness::*;
use crate::receiver::{Behaviour, Receiver, hang_up};
use consign_app::App;
use consign_app::messages::MessagingConfig;
use consign_core::access::Role;
use consign_core::message::outbox::RetrySchedule;
use consign_core::time::SystemClock;
use consign_web::WebConfig;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const ENDPOINTS: &str = "/api/v1/tenants/alpha/webhook-endpoints";

/// Retries a second apart, two of them: a failing receiver is dead-lettered in seconds.
fn quick() -> MessagingConfig {
    MessagingConfig {
        allow_private_targets: true,
        retry: RetrySchedule {
            delays_secs: vec![1, 1],
        },
        attempt_timeout: Duration::from_millis(800),
        lease: Duration::from_secs(5),
        ..Default::default()
    }
}

async fn spawn_quick() -> Vec<TestApp> {
    let mut v = Vec::new();
    for (store, guard) in consign_store::testing::engines().await {
        let t = spawn_messaging_on(store, guard, WebConfig::default(), quick()).await;
        t.tenant("alpha").await;
        v.push(t);
    }
    v
}

/// Registers an endpoint; returns its id and secret.
async fn endpoint(t: &TestApp, token: &str, url: &str, events: &[&str]) -> (String, String) {
    let res = t
        .post(
            ENDPOINTS,
            token,
            &json!({ "url": url, "events": events, "description": "ERP" }),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let v: Value = res.json().await.unwrap();
    (
        v["endpoint"]["id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

/// An endpoint the administrator subscribes to shipment status changes at `url`: its id
/// and signing secret.
async fn status_endpoint(t: &TestApp, url: &str) -> (String, String) {
    endpoint(t, &t.admin_token, url, &["shipment.status_changed"]).await
}

fn at(hours: i64) -> String {
    (Timestamp::now() + SignedDuration::from_hours(hours)).to_string()
}

async fn scan(t: &TestApp, tracking: &str, hours: i64, status: &str, reason: Option<&str>) {
    let mut e = json!({ "carrier": "UPSN", "tracking_number": tracking, "occurred_at": at(hours), "status": status });
    if let Some(r) = reason {
        e["reason"] = json!(r);
    }
    let res = t.post_tracking_events(json!([e])).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn shipment(t: &TestApp, tracking: &str) {
    let res = t.post_shipment(&shipment_body(tracking, None)).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

/// Delivery rounds until nothing is due now.
async fn drain(app: &App) {
    for _ in 0..100 {
        if app.deliver_due().await.unwrap().claimed == 0 {
            return;
        }
    }
    panic!("the outbox did not drain in 100 rounds");
}

/// Delivery rounds until `done` holds, for up to `secs` seconds.
async fn deliver_until(t: &TestApp, secs: u64, done: impl AsyncFn() -> bool) {
    let until = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < until {
        t.app.deliver_due().await.unwrap();
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{}: not done within {secs} s", t.engine);
}

async fn outbox(t: &TestApp, query: &str) -> Vec<Value> {
    let path = format!("/api/v1/tenants/alpha/outbox{query}");
    let v = t.get_json(&path, &t.admin_token).await;
    v["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_client_endpoint_receives_signed_events_in_the_order_they_happened() {
    let r = Receiver::start().await;
    for t in spawn_quick().await {
        let path = format!("erp-{}", t.engine);
        let client = t.token(Role::ClientManager, Some("alpha"), None).await;
        let (id, secret) = endpoint(
            &t,
            &client,
            &r.url(&path),
            &[
                "shipment.status_changed",
                "shipment.delivered",
                "case.opened",
            ],
        )
        .await;
        assert!(secret.starts_with("whsec_"), "{secret}");
        r.trust(&secret);
        let shown = t.get_json(&format!("{ENDPOINTS}/{id}"), &client).await;
        assert!(
            shown.get("secret").is_none(),
            "a secret is shown once: {shown}"
        );
        assert_eq!(shown["secrets_in_force"], 1);

        shipment(&t, "1ZW1").await;
        scan(&t, "1ZW1", -30, "picked_up", None).await;
        scan(&t, "1ZW1", -20, "in_transit", Some("damaged")).await;
        scan(&t, "1ZW1", -2, "delivered", None).await;
        drain(&t.app).await;

        let got = r.delivered(&path);
        let changes: Vec<&str> = got
            .iter()
            .filter(|d| d.body["type"] == "shipment.status_changed")
            .map(|d| d.body["data"]["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            changes,
            vec!["picked_up", "in_transit", "delivered"],
            "{}",
            t.engine
        );
        assert_eq!(
            got.iter()
                .filter(|d| d.body["type"] == "shipment.delivered")
                .count(),
            1
        );
        let opened: Vec<&Value> = got
            .iter()
            .filter(|d| d.body["type"] == "case.opened")
            .map(|d| &d.body["data"]["case"])
            .collect();
        assert_eq!(opened.len(), 1, "{}: {got:?}", t.engine);
        assert_eq!(opened[0]["case_type"], "damaged");
        let mut ids: Vec<&str> = got.iter().map(|d| d.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), got.len(), "one webhook-id per message");
        assert_eq!(r.bad_signatures(), 0);

        let log = t
            .get_json(&format!("{ENDPOINTS}/{id}/deliveries"), &client)
            .await;
        let items = log["items"].as_array().unwrap();
        assert_eq!(items.len(), got.len(), "{log}");
        for d in items {
            assert_eq!(d["state"], "delivered", "{d}");
            assert_eq!(d["attempts_log"][0]["status"], 204, "{d}");
        }
        // Replayed by its owner: the same webhook-id again.
        let first = items.last().unwrap()["id"].as_str().unwrap();
        let res = t
            .post(
                &format!("{ENDPOINTS}/{id}/deliveries/{first}/replay"),
                &client,
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        drain(&t.app).await;
        let again = r.delivered(&path);
        assert_eq!(again.len(), got.len() + 1);
        assert_eq!(again.last().unwrap().id, got[0].id, "{}", t.engine);
        // The outbox is the administrator's, not the client's.
        t.get_problem("/api/v1/tenants/alpha/outbox", &client, 403)
            .await;
    }
}

#[tokio::test]
async fn a_failing_receiver_is_retried_then_dead_lettered_and_holds_nothing_up() {
    let r = Receiver::start().await;
    for t in spawn_quick().await {
        let (bad, good) = (format!("bad-{}", t.engine), format!("good-{}", t.engine));
        r.set(&bad, Behaviour::Fail);
        let (bad_id, s1) = status_endpoint(&t, &r.url(&bad)).await;
        let (_, s2) = status_endpoint(&t, &r.url(&good)).await;
        r.trust(&s1);
        r.trust(&s2);
        shipment(&t, "1ZF1").await;
        scan(&t, "1ZF1", -3, "picked_up", None).await;
        t.app.deliver_due().await.unwrap();
        assert_eq!(r.delivered(&good).len(), 1, "{}: not held up", t.engine);
        deliver_until(&t, 15, async || !outbox(&t, "?state=dead").await.is_empty()).await;
        let dead = outbox(&t, "?state=dead").await;
        assert_eq!(dead.len(), 1, "{}", t.engine);
        let d = &dead[0];
        assert_eq!(d["attempts_log"].as_array().unwrap().len(), 3, "{d}");
        assert_eq!(d["last_status"], 500);
        assert!(
            d["last_error"]
                .as_str()
                .unwrap()
                .contains("gave up after 3 attempts"),
            "{d}"
        );
        let hits = r.hits(&bad);
        assert_eq!(hits.len(), 3);
        assert!(
            hits.iter().all(|h| *h == hits[0]),
            "the same webhook-id on every retry"
        );

        // Retried by hand, in the browser, once the receiver is fixed: delivered, with the
        // same id.
        r.set(&bad, Behaviour::Accept);
        let mid = d["id"].as_str().unwrap();
        let (browser, csrf) = t.admin_browser().await;
        let csrf = csrf.as_str();
        let page = t.page(&browser, "/app/alpha/outbox?state=dead").await;
        assert!(
            page.contains(&format!("id=\"retry-{mid}\"")),
            "{}: {page}",
            t.engine
        );
        assert!(page.contains("gave up after 3 attempts"), "{}", t.engine);
        let res = browser
            .post(t.url(&format!("/app/alpha/outbox/{mid}/retry")))
            .form(&[("csrf", csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{}", t.engine);
        assert!(outbox(&t, "?state=dead").await.is_empty(), "{}", t.engine);
        let p = t
            .post_problem(
                &format!("/api/v1/tenants/alpha/outbox/{mid}/retry"),
                &t.admin_token,
                &json!({}),
                409,
            )
            .await;
        assert!(p.to_string().contains("pending already"), "{p}");
        drain(&t.app).await;
        let delivered = r.delivered(&bad);
        assert_eq!(delivered.len(), 1, "{}", t.engine);
        assert_eq!(delivered[0].id, hits[0]);
        assert!(outbox(&t, "?state=dead").await.is_empty());

        // The endpoint's page: its delivery log with each attempt, and one delivery sent
        // again by hand (the same message, so the same webhook-id).
        let list = t.page(&browser, "/app/alpha/webhooks").await;
        assert!(
            list.contains(&format!("/app/alpha/webhooks/{bad_id}")),
            "{}",
            t.engine
        );
        let log = t
            .page(&browser, &format!("/app/alpha/webhooks/{bad_id}"))
            .await;
        assert!(
            log.contains(&format!("id=\"replay-{mid}\"")),
            "{}: {log}",
            t.engine
        );
        assert!(
            log.contains("#1 ") && log.contains("#3 "),
            "{}: every attempt logged",
            t.engine
        );
        let res = browser
            .post(t.url(&format!(
                "/app/alpha/webhooks/{bad_id}/deliveries/{mid}/replay"
            )))
            .form(&[("csrf", csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{}", t.engine);
        drain(&t.app).await;
        let again = r.delivered(&bad);
        assert_eq!(again.len(), 2, "{}", t.engine);
        assert_eq!(again[1].id, hits[0], "{}: the same webhook-id", t.engine);
    }
}

#[tokio::test]
async fn a_gone_receiver_disables_its_endpoint() {
    let r = Receiver::start().await;
    for t in spawn_quick().await {
        let path = format!("gone-{}", t.engine);
        r.set(&path, Behaviour::Gone);
        let (id, _) = status_endpoint(&t, &r.url(&path)).await;
        shipment(&t, "1ZG1").await;
        scan(&t, "1ZG1", -3, "picked_up", None).await;
        drain(&t.app).await;
        let e = t
            .get_json(&format!("{ENDPOINTS}/{id}"), &t.admin_token)
            .await;
        assert!(e["disabled_at"].is_string(), "{}: {e}", t.engine);
        assert!(
            e["disabled_reason"].as_str().unwrap().contains("410"),
            "{e}"
        );
        assert_eq!(outbox(&t, "?state=dead").await.len(), 1);
        scan(&t, "1ZG1", -1, "in_transit", None).await;
        assert_eq!(
            outbox(&t, "").await.len(),
            1,
            "a disabled endpoint gets nothing new"
        );
        assert_eq!(r.hits(&path).len(), 1);
    }
}

#[tokio::test]
async fn retry_after_hanging_and_hanging_up_receivers_are_retried_in_bounded_time() {
    let r = Receiver::start().await;
    let cut = hang_up().await;
    for t in spawn_quick().await {
        let (later, slow) = (format!("later-{}", t.engine), format!("slow-{}", t.engine));
        r.set(&later, Behaviour::RetryAfter(30));
        r.set(&slow, Behaviour::Hang);
        for url in [r.url(&later), r.url(&slow), cut.clone()] {
            status_endpoint(&t, &url).await;
        }
        shipment(&t, "1ZR1").await;
        scan(&t, "1ZR1", -3, "picked_up", None).await;
        let began = std::time::Instant::now();
        let round = t.app.deliver_due().await.unwrap();
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "bounded by the attempt timeout"
        );
        assert_eq!(
            (round.claimed, round.retrying),
            (3, 3),
            "{}: {round:?}",
            t.engine
        );
        let pending = outbox(&t, "?state=pending").await;
        let by_url = |u: &str| {
            pending
                .iter()
                .find(|m| m["recipient"].as_str().unwrap() == u)
                .unwrap_or_else(|| panic!("no message for {u}"))
                .clone()
        };
        let next: Timestamp = by_url(&r.url(&later))["next_attempt_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            next >= Timestamp::now() + SignedDuration::from_secs(25),
            "{}: Retry-After: 30 honoured, next at {next}",
            t.engine
        );
        assert!(
            by_url(&r.url(&slow))["last_error"]
                .as_str()
                .unwrap()
                .contains("timed out"),
            "{:?}",
            by_url(&r.url(&slow))
        );
        assert!(by_url(&cut)["last_error"].is_string());
        assert!(by_url(&cut)["last_status"].is_null());
    }
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one() {
    let r = Receiver::start().await;
    for t in spawn_quick().await {
        let path = format!("rot-{}", t.engine);
        let (id, old) = status_endpoint(&t, &r.url(&path)).await;
        let res = t
            .post(
                &format!("{ENDPOINTS}/{id}/rotate-secret"),
                &t.admin_token,
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        let new = v["secret"].as_str().unwrap().to_string();
        assert_ne!(new, old);
        assert_eq!(v["endpoint"]["secrets_in_force"], 2);
        shipment(&t, &format!("1ZS{}", t.engine)).await;
        // Verified with the new secret alone, then with the old alone.
        r.untrust_all();
        r.trust(&new);
        scan(&t, &format!("1ZS{}", t.engine), -3, "picked_up", None).await;
        drain(&t.app).await;
        r.untrust_all();
        r.trust(&old);
        scan(&t, &format!("1ZS{}", t.engine), -2, "in_transit", None).await;
        drain(&t.app).await;
        let got = r.delivered(&path);
        assert_eq!(
            got.len(),
            2,
            "{}: bad signatures {}",
            t.engine,
            r.bad_signatures()
        );
        assert!(got.iter().all(|d| d.signatures == 2));
    }
}

#[tokio::test]
async fn endpoints_that_would_reach_the_server_network_or_are_malformed_are_refused() {
    for t in spawn_alpha().await {
        // A subscription to opened cases at `url`.
        let opens_cases = |url: &str| json!({ "url": url, "events": ["case.opened"] });
        for (body, field) in [
            (opens_cases("ftp://hooks.example.com/x"), "url"),
            (opens_cases("http://127.0.0.1:9/hook"), "url"),
            (opens_cases("http://10.1.2.3/hook"), "url"),
            (
                opens_cases("http://169.254.169.254/latest/meta-data"),
                "url",
            ),
            (opens_cases("http://[::1]:9/hook"), "url"),
            (opens_cases("http://localhost:9/hook"), "url"),
            (
                json!({ "url": "https://hooks.example.com/x", "events": [] }),
                "events",
            ),
            (
                json!({ "url": "https://hooks.example.com/x", "events": ["case.closed"] }),
                "events[0]",
            ),
            (
                json!({ "url": "https://hooks.example.com/x", "events": ["case.opened"], "secret": "x" }),
                "secret",
            ),
        ] {
            let p = t.post_problem(ENDPOINTS, &t.admin_token, &body, 422).await;
            assert!(
                field_errors(&p).iter().any(|(f, _)| f == field),
                "{}: {body} should name {field}: {p}",
                t.engine
            );
        }
        let body = opens_cases("http://127.0.0.1:9/hook");
        let p = t.post_problem(ENDPOINTS, &t.admin_token, &body, 422).await;
        assert!(p.to_string().contains("private"), "{p}");
        let viewer = t.token(Role::ClientViewer, Some("alpha"), None).await;
        t.get_problem(ENDPOINTS, &viewer, 403).await;
        let missing = format!("{ENDPOINTS}/{}", uuid::Uuid::now_v7());
        t.get_problem(&missing, &t.admin_token, 404).await;
    }
}

#[tokio::test]
async fn two_servers_deliver_every_message_once() {
    let r = Receiver::start().await;
    for t in spawn_quick().await {
        let path = format!("once-{}", t.engine);
        let (_, secret) = status_endpoint(&t, &r.url(&path)).await;
        r.trust(&secret);
        let mut events = Vec::new();
        for i in 0..120 {
            shipment(&t, &format!("1ZO{i}")).await;
            events.push(json!({ "carrier": "UPSN", "tracking_number": format!("1ZO{i}"), "occurred_at": at(-2), "status": "picked_up" }));
        }
        let res = t.post_tracking_events(json!(events)).await;
        assert_eq!(res.status(), 200);
        let docs = tempfile::tempdir().unwrap();
        let mut cfg = quick();
        cfg.batch = 10;
        let second = App::new(
            t.store.clone(),
            Arc::new(SystemClock),
            docs.path().to_path_buf(),
        )
        .with_messaging(cfg.clone());
        let first = App::new(
            t.store.clone(),
            Arc::new(SystemClock),
            docs.path().to_path_buf(),
        )
        .with_messaging(cfg);
        let (a, b) = tokio::join!(drain(&first), drain(&second));
        let _ = (a, b);
        let got = r.delivered(&path);
        let mut ids: Vec<&str> = got.iter().map(|d| d.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(
            (got.len(), ids.len()),
            (120, 120),
            "{}: each once",
            t.engine
        );
    }
}

#[tokio::test]
async fn a_rejected_interchange_is_an_edi_rejected_event() {
    let r = Receiver::start().await;
    for t in spawn_quick().await {
        let path = format!("edi-{}", t.engine);
        let (_, secret) = endpoint(&t, &t.admin_token, &r.url(&path), &["edi.rejected"]).await;
        r.trust(&secret);
        crate::edi::partner(&t, "ZZ", "SENDER", false).await;
        let report = crate::edi::send(&t, crate::edi::sample("v004010_945_03")).await;
        assert_eq!(report["interchanges"][0]["status"], "rejected", "{report}");
        drain(&t.app).await;
        let got = r.delivered(&path);
        assert_eq!(got.len(), 1, "{}", t.engine);
        let data = &got[0].body["data"];
        assert_eq!(got[0].body["type"], "edi.rejected");
        assert_eq!(data["status"], "rejected");
        assert_eq!(data["partner"], "SENDER EDI");
        let problems = data["groups"][0]["rejected_sets"][0]["problems"].to_string();
        assert!(problems.contains("SE01"), "{data}");
    }
}
