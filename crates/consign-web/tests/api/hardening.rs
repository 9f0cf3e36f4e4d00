//! What a probe of every intake path found missing: lost races on a duplicate answered with
//! the database's text, concurrent requests with one key, security headers, 401s without a
//! scheme, a logout without CSRF, empty event batches, unnamed fields, tokens that never
//! expire. Each test here failed before its fix.

use crate::harness::*;
use consign_core::access::Role;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

const ORDERS: &str = "/api/v1/tenants/alpha/orders";
const SHIPMENTS: &str = "/api/v1/tenants/alpha/shipments";
const EVENTS: &str = "/api/v1/tenants/alpha/tracking-events";

/// Fires `n` copies of one POST at once and returns every (status, body).
async fn at_once(
    t: &TestApp,
    path: &str,
    body: &Value,
    key: Option<&str>,
    n: usize,
) -> Vec<(u16, Value)> {
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..n {
        let mut r = t
            .req(reqwest::Method::POST, path, &t.admin_token)
            .json(body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        sends.spawn(async move {
            let res = r.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        });
    }
    sends.join_all().await
}

/// Fires `n` copies of one POST at once without a key, asserts exactly one of them created
/// its record, and returns the answers of the others (the lost races).
async fn one_created_of(t: &TestApp, path: &str, body: &Value, n: usize) -> Vec<(u16, Value)> {
    let answers = at_once(t, path, body, None, n).await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == 201).count(), 1);
    answers.into_iter().filter(|(s, _)| *s != 201).collect()
}

#[tokio::test]
async fn a_lost_duplicate_race_answers_like_a_later_request() {
    for t in spawn_alpha().await {
        let sequential = problem(
            {
                t.post(ORDERS, &t.admin_token, &order_body("R-0")).await;
                t.post(ORDERS, &t.admin_token, &order_body("R-0")).await
            },
            409,
        )
        .await;
        for round in 1..=3 {
            let body = order_body(&format!("R-{round}"));
            for (status, body) in &one_created_of(&t, ORDERS, &body, 16).await {
                assert_eq!(*status, 409, "{} {body}", t.engine);
                assert_eq!(field_errors(body)[0].0, "external_ref", "{body}");
                let text = body.to_string();
                assert!(
                    !text.contains("constraint") && !text.contains("duplicate key"),
                    "the database's own text leaked: {text}"
                );
                assert_eq!(
                    detail(body).replace(&format!("R-{round}"), "R-0"),
                    detail(&sequential),
                    "the same answer as a request made a moment later"
                );
            }
        }
        // Tracking numbers: one status whatever the timing, the field named.
        problem(
            {
                let s = shipment_body("1ZSEQ", None);
                t.post_shipment(&s).await;
                t.post_shipment(&s).await
            },
            422,
        )
        .await;
        for round in 1..=3 {
            let body = shipment_body(&format!("1ZRACE{round}"), None);
            for (status, body) in &one_created_of(&t, SHIPMENTS, &body, 12).await {
                assert_eq!(*status, 422, "{} {body}", t.engine);
                assert_eq!(field_errors(body)[0].0, "tracking_number", "{body}");
            }
        }
    }
}

#[tokio::test]
async fn concurrent_requests_with_one_key_get_one_answer_and_a_held_key_says_when_to_retry() {
    for t in spawn_alpha().await {
        let answers = at_once(&t, ORDERS, &order_body("K-1"), Some("same-key"), 10).await;
        for (status, body) in &answers {
            assert_eq!(*status, 201, "{} {body}", t.engine);
            assert_eq!(body, &answers[0].1, "every repeat replays the one answer");
        }

        // A key held by a request that is still running (or whose server died a moment ago):
        // the repeat waits briefly, then is told when to come back; once the lease has run
        // out the repeat runs.
        let body = order_body("K-2");
        let path = ORDERS;
        let mut h = Sha256::new();
        h.update("POST");
        h.update([0]);
        h.update(path);
        h.update([0]);
        h.update(serde_json::to_vec(&body).unwrap());
        let scope = t
            .app
            .principal_for_token(&t.admin_token)
            .await
            .unwrap()
            .actor
            .label();
        let now = t.app.now();
        t.store
            .reserve_key(
                &scope,
                "held",
                &h.finalize(),
                now,
                now + jiff::SignedDuration::from_millis(3_500),
            )
            .await
            .unwrap();
        let with_held_key = || {
            t.req(reqwest::Method::POST, path, &t.admin_token)
                .header("Idempotency-Key", "held")
                .json(&body)
                .sent()
        };
        let started = std::time::Instant::now();
        let res = with_held_key().await;
        let retry_after: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let p = problem(res, 409).await;
        assert_eq!(p["type"], "urn:consign:problem:idempotency-key-in-flight");
        assert!(
            started.elapsed() >= Duration::from_secs(2),
            "it waited for the other request first"
        );
        assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
        tokio::time::sleep(Duration::from_secs(retry_after) + Duration::from_millis(300)).await;
        let res = with_held_key().await;
        assert_eq!(res.status(), 201, "a lapsed lease is taken over");
    }
}

#[tokio::test]
async fn every_answer_carries_security_headers_and_authenticated_ones_are_not_cached() {
    for t in spawn_all().await {
        for (path, token) in [
            ("/login", None),
            ("/api/v1/tenants", Some(t.admin_token.as_str())),
            ("/api/v1/tenants", None),
            ("/healthz", None),
        ] {
            let mut r = t.http.get(t.url(path));
            if let Some(tok) = token {
                r = r.bearer_auth(tok);
            }
            let res = r.send().await.unwrap();
            let h = res.headers();
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe"),
                "{path}: {csp}"
            );
            assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
            assert_eq!(h["x-frame-options"], "DENY");
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert_eq!(h["referrer-policy"], "same-origin");
            if token.is_some() {
                assert_eq!(h["cache-control"], "no-store", "{path}");
            }
        }
    }
}

#[tokio::test]
async fn a_401_names_its_scheme_and_the_scheme_is_case_insensitive() {
    for t in spawn_all().await {
        let res = t.http.get(t.url("/api/v1/tenants")).send().await.unwrap();
        assert_eq!(
            res.headers()["www-authenticate"],
            "Bearer realm=\"consign\""
        );
        problem(res, 401).await;
        let res = t
            .http
            .get(t.url("/api/v1/tenants"))
            .header("authorization", "Bearer cst_not_a_real_token")
            .sent()
            .await;
        assert!(res.headers().contains_key("www-authenticate"));
        problem(res, 401).await;
        for scheme in ["bearer", "BEARER", "Bearer"] {
            let res = t
                .http
                .get(t.url("/api/v1/tenants"))
                .header("authorization", format!("{scheme} {}", t.admin_token))
                .sent()
                .await;
            assert_eq!(res.status(), 200, "{scheme}");
        }
    }
}

#[tokio::test]
async fn ending_a_cookie_session_needs_its_csrf_token() {
    for t in spawn_alpha().await {
        let res = t
            .post("/api/v1/users", &t.admin_token, &json!({"email": "agent@example.com", "name": "Agent", "role": "agent", "tenants": ["alpha"], "password": "a long enough password"}))
            .await;
        assert_eq!(res.status(), 201);
        let jar = cookie_jar();
        let body: Value = jar
            .post(t.url("/api/v1/session"))
            .json(&json!({"email": "agent@example.com", "password": "a long enough password"}))
            .sent()
            .await
            .json()
            .await
            .unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_string();
        let res = jar.delete(t.url("/api/v1/session")).send().await.unwrap();
        let p = problem(res, 403).await;
        assert_eq!(p["type"], "urn:consign:problem:csrf");
        let me = jar.get(t.url("/api/v1/session")).send().await.unwrap();
        assert_eq!(me.status(), 200, "the session is still there");
        let res = jar
            .delete(t.url("/api/v1/session"))
            .header("x-csrf-token", &csrf)
            .sent()
            .await;
        assert_eq!(res.status(), 204);
        let res = jar.get(t.url(ORDERS)).sent().await;
        problem(res, 401).await;
    }
}

#[tokio::test]
async fn an_empty_event_batch_and_unnamed_fields_are_refused_precisely() {
    for t in spawn_alpha().await {
        let p = problem(t.post_tracking_events(json!([])).await, 422).await;
        assert_eq!(field_errors(&p)[0].0, "events", "{p}");

        let mut body = order_body("F-1");
        body.as_object_mut().unwrap().remove("customer");
        let p = t.post_problem(ORDERS, &t.admin_token, &body, 422).await;
        assert_eq!(field_errors(&p)[0].0, "customer", "{p}");
        let mut body = order_body("F-2");
        body["customer"].as_object_mut().unwrap().remove("name");
        let p = t.post_problem(ORDERS, &t.admin_token, &body, 422).await;
        assert_eq!(field_errors(&p)[0].0, "customer.name", "{p}");
        // A repeated key: serde_json's Value keeps one, so the raw text is sent.
        let raw = order_body("F-3").to_string().replacen(
            "\"external_ref\":\"F-3\"",
            "\"external_ref\":\"F-3\",\"external_ref\":\"F-4\"",
            1,
        );
        let p = t
            .req(reqwest::Method::POST, ORDERS, &t.admin_token)
            .header("content-type", "application/json")
            .body(raw)
            .problem(422)
            .await;
        assert_eq!(field_errors(&p)[0].0, "external_ref", "{p}");
    }
}

#[tokio::test]
async fn a_token_stops_working_when_it_expires() {
    for t in spawn_alpha().await {
        let past = (t.app.now() - jiff::SignedDuration::from_mins(1)).to_string();
        let p = t
            .post_problem(
                "/api/v1/tokens",
                &t.admin_token,
                &json!({"name": "late", "role": "agent", "tenant": "alpha", "expires_at": past}),
                422,
            )
            .await;
        assert_eq!(field_errors(&p)[0].0, "expires_at");

        let soon = (t.app.now() + jiff::SignedDuration::from_millis(1_500)).to_string();
        let res = t
            .post(
                "/api/v1/tokens",
                &t.admin_token,
                &json!({"name": "short", "role": "agent", "tenant": "alpha", "expires_at": soon}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        let secret = created["secret"].as_str().unwrap().to_string();
        assert_eq!(t.get(ORDERS, &secret).await.status(), 200);
        let listed: Value = t.get_json("/api/v1/tokens", &t.admin_token).await;
        let mine = find_where(&listed["items"], "name", "short");
        assert_eq!(
            mine["expires_at"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap(),
            soon.parse::<jiff::Timestamp>().unwrap(),
            "the list shows the expiry"
        );
        tokio::time::sleep(Duration::from_millis(1_700)).await;
        let res = t.get(ORDERS, &secret).await;
        assert!(res.headers().contains_key("www-authenticate"));
        let p = problem(res, 401).await;
        assert!(detail(&p).contains("expired"), "{p}");
        // Tokens without an expiry keep working.
        let agent = t.token(Role::Agent, Some("alpha"), None).await;
        assert_eq!(t.get(ORDERS, &agent).await.status(), 200);
    }
}

#[tokio::test]
async fn keyed_tracking_events_replay_their_first_answer() {
    for t in spawn_alpha().await {
        let res = t.post_shipment(&shipment_body("1ZKEYED", None)).await;
        assert_eq!(res.status(), 201);
        let at = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2)).to_string();
        let batch = json!({"events": [
            { "carrier": "UPSN", "tracking_number": "1ZKEYED", "occurred_at": at, "status": "picked_up", "location": "Dallas TX" }
        ]});
        let mut answers = Vec::new();
        for _ in 0..2 {
            let res = t
                .req(reqwest::Method::POST, EVENTS, &t.admin_token)
                .header("Idempotency-Key", "events-1")
                .json(&batch)
                .sent()
                .await;
            assert_eq!(res.status(), 200);
            answers.push(res.text().await.unwrap());
        }
        assert_eq!(
            answers[0], answers[1],
            "the repeat replays the first answer"
        );
        let first: Value = serde_json::from_str(&answers[0]).unwrap();
        assert_eq!(first["accepted"], 1, "{first}");
        // Without the key the same event is a duplicate: the key's answer was replayed, not
        // recomputed.
        let again: Value = t.post_json(EVENTS, &t.admin_token, &batch).await;
        assert_eq!(again["duplicates"], 1, "{again}");
    }
}
