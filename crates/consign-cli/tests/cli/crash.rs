//! A retried POST never runs twice, even across a crash: `consign serve` is killed with
//! SIGKILL while several clients create orders and change their promise, each request with an
//! `Idempotency-Key`; after a restart every key is retried (at once, and again after the
//! lease has run out), and every key's effect must exist exactly once and every retry must
//! answer exactly what the first committed answer was. On SQLite and PostgreSQL, many cycles,
//! bounded in time.

use super::{Env, KillRun, Server, assert_kill_run, jitter, kill_9_on_every_engine, serve_with};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Lease of a reservation in these servers (seconds): short, so that a cycle's retries of the
/// requests cut off by the kill need not wait the default ten seconds.
const LEASE_SECS: u64 = 1;
const CLIENTS: usize = 8;
/// Cycles per engine at most, and the time after which no new cycle starts.
const MAX_CYCLES: usize = 10;
const BUDGET: Duration = Duration::from_secs(35);

fn serve(e: &Env) -> Server {
    serve_with(
        e,
        &[
            ("CONSIGN_SWEEP_INTERVAL_SECS", "0".into()),
            ("CONSIGN_IDEMPOTENCY_LEASE_SECS", LEASE_SECS.to_string()),
        ],
    )
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Order,
    Change,
}

/// One keyed request and the answer its first attempt got (none when the kill cut it off).
#[derive(Clone, Debug)]
struct Sent {
    kind: Kind,
    key: String,
    path: String,
    body: Value,
    /// The order's external reference (both kinds), which names the change's reason too.
    reference: String,
    first: Option<(u16, Vec<u8>)>,
}

#[derive(Default, Debug)]
struct Figures {
    cycles: usize,
    keys: usize,
    cut_off: usize,
    waited_for_lease: usize,
    ran_on_retry: usize,
    replayed: usize,
}

/// POSTs with the key; `None` when the connection failed (the server is gone).
async fn post(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    s: &Sent,
) -> Option<(u16, Vec<u8>, bool, Option<u64>)> {
    let res = http
        .post(format!("{base}{}", s.path))
        .bearer_auth(token)
        .header("Idempotency-Key", &s.key)
        .json(&s.body)
        .send()
        .await
        .ok()?;
    let status = res.status().as_u16();
    let replayed = res.headers().contains_key("idempotent-replayed");
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = res.bytes().await.ok()?.to_vec();
    Some((status, body, replayed, retry_after))
}

/// Retries until the key is no longer in flight; returns the settled answer.
async fn settle(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    s: &Sent,
    f: &Mutex<Figures>,
) -> (u16, Vec<u8>, bool) {
    for _ in 0..40 {
        let (status, body, replayed, retry_after) = post(http, base, token, s)
            .await
            .unwrap_or_else(|| panic!("the restarted server did not answer {}", s.key));
        if status == 409 && String::from_utf8_lossy(&body).contains("idempotency-key-in-flight") {
            let wait = retry_after.expect("an in-flight 409 carries Retry-After");
            assert!(
                (1..=LEASE_SECS + 1).contains(&wait),
                "Retry-After {wait} s for a {LEASE_SECS} s lease"
            );
            f.lock().unwrap().waited_for_lease += 1;
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        return (status, body, replayed);
    }
    panic!("{} stayed in flight", s.key)
}

fn in_days(d: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * d))
        .round(jiff::Unit::Second)
        .unwrap()
        .to_string()
}

fn order_body(reference: &str) -> Value {
    json!({
        "external_ref": reference,
        "customer": { "name": "Ann Lee", "email": "ann@example.com" },
        "ship_to": { "name": "Ann Lee", "line1": "1 Main St", "city": "Austin", "region": "TX", "postal_code": "78701", "country": "US" },
        "channel": "b2c",
        "lines": [{ "sku": "SKU-1", "quantity": 2, "unit_price": "9.99" }],
        "promised_by": in_days(30)
    })
}

/// One client: creates orders and changes each one's promise until the server dies.
async fn client(base: String, token: String, prefix: String, log: Arc<Mutex<Vec<Sent>>>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    for i in 0.. {
        let reference = format!("{prefix}-{i}");
        let mut order = Sent {
            kind: Kind::Order,
            key: format!("order-{reference}"),
            path: "/api/v1/tenants/alpha/orders".into(),
            body: order_body(&reference),
            reference: reference.clone(),
            first: None,
        };
        let answer = post(&http, &base, &token, &order).await;
        order.first = answer.as_ref().map(|a| (a.0, a.1.clone()));
        log.lock().unwrap().push(order);
        let Some((201, body, ..)) = answer else {
            let text = answer
                .as_ref()
                .map(|a| String::from_utf8_lossy(&a.1).into_owned());
            assert!(answer.is_none(), "order {reference}: {text:?}");
            return;
        };
        let id = serde_json::from_slice::<Value>(&body).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let mut change = Sent {
            kind: Kind::Change,
            key: format!("change-{reference}"),
            path: format!("/api/v1/tenants/alpha/orders/{id}/changes"),
            body: json!({"kind": "promise_change", "promised_by": in_days(32), "reason": format!("crash {reference}")}),
            reference,
            first: None,
        };
        let answer = post(&http, &base, &token, &change).await;
        change.first = answer.as_ref().map(|a| (a.0, a.1.clone()));
        log.lock().unwrap().push(change);
        match answer {
            Some((200, ..)) => {}
            None => return,
            other => panic!("change: {other:?}"),
        }
    }
}

async fn cycles(e: &Env, engine: &str) -> Figures {
    let token = e.create_token("admin", &["--name", "crash"]);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let f = Mutex::new(Figures::default());
    let mut all: Vec<Sent> = Vec::new();
    let started = Instant::now();
    for cycle in 0..MAX_CYCLES {
        if started.elapsed() > BUDGET {
            break;
        }
        let server = serve(e);
        let log = Arc::new(Mutex::new(Vec::new()));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                tokio::spawn(client(
                    server.1.clone(),
                    token.clone(),
                    format!("{engine}-{cycle}-{c}"),
                    log.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(jitter(150..900))).await;
        drop(server); // SIGKILL mid-traffic
        for c in clients {
            c.await.expect("a client failed");
        }
        let mut sent = std::mem::take(&mut *log.lock().unwrap());
        let server = serve(e);
        // At once: every key, the answered and the cut-off alike.
        for s in &mut sent {
            let (status, body, replayed) = settle(&http, &server.1, &token, s, &f).await;
            let mut figures = f.lock().unwrap();
            match &s.first {
                Some((first_status, first_body)) => {
                    assert_eq!(
                        (status, String::from_utf8_lossy(&body)),
                        (*first_status, String::from_utf8_lossy(first_body)),
                        "{}: a retry answers what the first attempt was answered",
                        s.key
                    );
                    assert!(replayed, "{}: an answered key is replayed", s.key);
                    figures.replayed += 1;
                }
                None => {
                    figures.cut_off += 1;
                    if !replayed {
                        figures.ran_on_retry += 1;
                    }
                    let want = if s.kind == Kind::Order { 201 } else { 200 };
                    assert_eq!(
                        status,
                        want,
                        "{}: {}",
                        s.key,
                        String::from_utf8_lossy(&body)
                    );
                    s.first = Some((status, body));
                }
            }
        }
        // Again once every lease of the killed server has surely run out: the same answers.
        tokio::time::sleep(Duration::from_millis(LEASE_SECS * 1000 + 300)).await;
        for s in &sent {
            let (status, body, replayed) = settle(&http, &server.1, &token, s, &f).await;
            let first = s.first.as_ref().unwrap();
            assert_eq!(
                (status, String::from_utf8_lossy(&body)),
                (first.0, String::from_utf8_lossy(&first.1)),
                "{}: the second retry answers the first committed answer",
                s.key
            );
            assert!(replayed, "{}", s.key);
        }
        drop(server);
        let mut figures = f.lock().unwrap();
        figures.cycles += 1;
        figures.keys += sent.len();
        all.extend(sent);
    }

    // Every key's effect exists exactly once: one order per reference (the store's unique
    // reference guarantees that much), one change record and one audit record per change.
    let (store, tenant) = e.alpha().await;
    for s in &all {
        let order = store
            .order_by_ref(tenant.id, &s.reference)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{}: no order", s.key));
        let (status, body) = s.first.as_ref().unwrap();
        if s.kind == Kind::Order {
            assert_eq!(*status, 201);
            let answered: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(
                answered["id"].as_str().unwrap(),
                order.id.to_string(),
                "{}: the answer names the stored order",
                s.key
            );
            continue;
        }
        let reason = format!("crash {}", s.reference);
        let changes = store.order_changes(tenant.id, order.id).await.unwrap();
        assert_eq!(
            changes.iter().filter(|c| c.reason == reason).count(),
            1,
            "{}: one change record",
            s.key
        );
        let audit = store
            .audit_for_entity(tenant.id.0, "order", &order.id.to_string())
            .await
            .unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|r| r.entry.action.starts_with("changed:"))
                .count(),
            1,
            "{}: one audit record of the change",
            s.key
        );
    }
    f.into_inner().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_post_runs_once_across_kill_9() {
    kill_9_on_every_engine(cycles, |engine, f| {
        eprintln!(
            "crash-and-retry on {engine}: {} cycles, {} keys; {} cut off by the kill, of which {} ran on retry and {} had committed and were replayed; {} answered before the kill and replayed; {} waits for a lease",
            f.cycles,
            f.keys,
            f.cut_off,
            f.ran_on_retry,
            f.cut_off - f.ran_on_retry,
            f.replayed,
            f.waited_for_lease
        );
        let run = KillRun {
            kills: (f.cycles, "cycles"),
            traffic: (f.keys, f.cycles * CLIENTS),
            caught: (f.cut_off > 0, "no request was cut off by a kill"),
        };
        assert_kill_run(engine, &f, run);
    })
    .await;
}
