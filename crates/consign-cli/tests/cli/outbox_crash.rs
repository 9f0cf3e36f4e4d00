//! Webhooks survive kill -9: `consign serve` delivers `shipment.status_changed` messages to a
//! receiver in this test (which verifies every signature with the `standardwebhooks`
//! reference library) while a client posts status changes, and is killed with SIGKILL at a
//! random moment, restarted, killed again; finally it drains the outbox. Every message the
//! outbox holds must be delivered and must have reached the receiver at least once; only
//! messages in flight at a kill may arrive twice. On SQLite and PostgreSQL, a bounded number
//! of cycles, bounded in time.

use super::{Env, KillRun, Server, assert_kill_run, jitter, kill_9_on_every_engine, serve_with};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use consign_core::message::outbox::{DeliveryState, OutboxMessage};
use consign_store::OutboxFilter;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The outbox lease in these servers (seconds): the killed server's claimed messages go to
/// the next one after this, not after the default minute.
const LEASE_SECS: u64 = 1;
/// Cycles per engine at most, and the time after which no new cycle starts.
const MAX_CYCLES: usize = 8;
const BUDGET: Duration = Duration::from_secs(20);
/// How long the last server may take to drain what the cycles left (it is done in a few
/// seconds; this only bounds a failure).
const DRAIN: Duration = Duration::from_secs(60);
/// Messages one round claims (`MessagingConfig::default().batch`): at most this many are in
/// flight when a server dies, and only they may reach the receiver twice.
const BATCH: usize = 400;
/// Shipments per cycle (more than a cycle's traffic reaches before its kill), moved through
/// four statuses in requests of `PER_REQUEST` events.
const SHIPMENTS: usize = 1_000;
const PER_REQUEST: usize = 50;
const STATUSES: [&str; 4] = ["picked_up", "in_transit", "out_for_delivery", "delivered"];

#[derive(Default)]
struct Seen {
    secret: Option<String>,
    /// Every verified delivery's `webhook-id`, repeats included.
    ids: Vec<String>,
    bad_signatures: usize,
}

/// A webhook receiver on a loopback port: verifies, records the `webhook-id`, answers 204.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Seen>>,
}

async fn receive(
    State(seen): State<Arc<Mutex<Seen>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if !record(&seen, &headers, &body) {
        return StatusCode::UNAUTHORIZED;
    }
    // A receiver's work: deliveries take a moment each, so a kill finds some in flight.
    tokio::time::sleep(Duration::from_millis(2)).await;
    StatusCode::NO_CONTENT
}

/// Verifies a delivery and records its `webhook-id`; false for a bad signature. Received
/// (and, for a real receiver, acted on) before it answers: a kill that lands while the
/// answer is on its way leaves a message received but not recorded as delivered, which must
/// then arrive again.
fn record(seen: &Mutex<Seen>, headers: &HeaderMap, body: &[u8]) -> bool {
    let mut s = seen.lock().unwrap();
    let verified = s.secret.as_deref().is_some_and(|secret| {
        standardwebhooks::Webhook::new(secret)
            .and_then(|w| w.verify(body, headers))
            .is_ok()
    });
    if !verified {
        s.bad_signatures += 1;
        return false;
    }
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    s.ids.push(id);
    true
}

impl Receiver {
    async fn start() -> Receiver {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url: format!("http://{addr}/hook"),
            seen,
        }
    }
}

fn serve(e: &Env) -> Server {
    serve_with(
        e,
        &[
            ("CONSIGN_WEBHOOKS_ALLOW_PRIVATE", "true".into()),
            ("CONSIGN_SWEEP_INTERVAL_SECS", "0".into()),
            ("CONSIGN_CASE_TIMER_INTERVAL_SECS", "0".into()),
            ("CONSIGN_OUTBOX_LEASE_SECS", LEASE_SECS.to_string()),
        ],
    )
}

fn tracking(engine: &str, cycle: usize, i: usize) -> String {
    format!("OX{engine}{cycle}N{i:04}")
}

/// One client: moves the cycle's shipments through the statuses, `PER_REQUEST` shipments at
/// a time, each event changing a shipment's status (so each enqueues one message), until the
/// server dies or every change is sent.
async fn client(base: String, token: String, engine: String, cycle: usize) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let start = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(10);
    for chunk in (0..SHIPMENTS).collect::<Vec<_>>().chunks(PER_REQUEST) {
        for (step, status) in STATUSES.iter().enumerate() {
            let at = (start + jiff::SignedDuration::from_hours(step as i64 * 2)).to_string();
            let events: Vec<Value> = chunk
                .iter()
                .map(|i| {
                    json!({ "carrier": "UPSN", "tracking_number": tracking(&engine, cycle, *i),
                            "occurred_at": at, "status": status })
                })
                .collect();
            let res = http
                .post(format!("{base}/api/v1/tenants/alpha/tracking-events"))
                .bearer_auth(&token)
                .json(&json!({ "events": events }))
                .send()
                .await;
            match res {
                Ok(r) => assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default()),
                // The server was killed.
                Err(_) => return,
            }
        }
    }
}

/// Every message of the tenant, paging through the store's newest-first list.
async fn all_messages(
    store: &consign_store::DynStore,
    tenant: consign_core::ids::TenantId,
) -> Vec<OutboxMessage> {
    let mut out: Vec<OutboxMessage> = Vec::new();
    loop {
        let page = store
            .outbox_messages(
                tenant,
                &OutboxFilter {
                    before: out.last().map(|m| m.id),
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

async fn pending(store: &consign_store::DynStore) -> i64 {
    store
        .outbox_counts()
        .await
        .unwrap()
        .into_iter()
        .filter(|(s, _)| *s == DeliveryState::Pending)
        .map(|(_, n)| n)
        .sum()
}

#[derive(Debug, Default)]
struct Figures {
    kills: usize,
    /// Kills that caught deliveries in flight, and how many messages they caught.
    kills_in_flight: usize,
    in_flight: usize,
    messages: usize,
    received: usize,
    repeats: usize,
}

async fn cycles(e: &Env, engine: &str) -> Figures {
    // Shipments for every cycle up front (not timed; the CLI, no server needed).
    let mut csv = String::from(
        "carrier,tracking_number,order,origin_city,origin_postal_code,origin_country,origin_time_zone,destination_city,destination_postal_code,destination_country,destination_time_zone,weight_kg\n",
    );
    for cycle in 0..MAX_CYCLES {
        for i in 0..SHIPMENTS {
            csv.push_str(&format!(
                "UPSN,{},,Dallas,75201,US,America/Chicago,Austin,78701,US,America/Chicago,2.5\n",
                tracking(engine, cycle, i)
            ));
        }
    }
    let f = e.write("outbox-shipments.csv", csv.as_bytes());
    e.import_into_alpha("shipments", &f, &[]);
    let token = e.create_token("admin", &["--name", "outbox"]);
    let receiver = Receiver::start().await;
    let (store, tenant) = e.alpha().await;
    let mut figures = Figures::default();

    let started = Instant::now();
    for cycle in 0..MAX_CYCLES {
        if started.elapsed() > BUDGET {
            break;
        }
        let server = serve(e);
        if cycle == 0 {
            let res = reqwest::Client::new()
                .post(format!(
                    "{}/api/v1/tenants/alpha/webhook-endpoints",
                    server.1
                ))
                .bearer_auth(&token)
                .json(&json!({ "url": receiver.url, "events": ["shipment.status_changed"] }))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            let v: Value = res.json().await.unwrap();
            receiver.seen.lock().unwrap().secret = Some(v["secret"].as_str().unwrap().into());
        }
        let traffic = tokio::spawn(client(
            server.1.clone(),
            token.clone(),
            engine.to_string(),
            cycle,
        ));
        tokio::time::sleep(Duration::from_millis(jitter(300..1500))).await;
        drop(server); // SIGKILL, mid-traffic and mid-delivery
        traffic.await.expect("the client failed");
        figures.kills += 1;
        // Pending messages that were claimed (each claim counts an attempt, and this
        // receiver never refuses one): the dead server's deliveries in flight.
        let in_flight = all_messages(&store, tenant.id)
            .await
            .iter()
            .filter(|m| m.state == DeliveryState::Pending && m.attempts > 0)
            .count();
        if in_flight > 0 {
            figures.kills_in_flight += 1;
            figures.in_flight += in_flight;
        }
    }

    // The last server drains what every killed one left: messages never claimed, and the
    // ones claimed by a killed server, once their lease has lapsed.
    let server = serve(e);
    let until = Instant::now() + DRAIN;
    while pending(&store).await > 0 {
        assert!(
            Instant::now() < until,
            "{engine}: the outbox did not drain in {DRAIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(server);

    let messages = all_messages(&store, tenant.id).await;
    let seen = receiver.seen.lock().unwrap();
    assert_eq!(seen.bad_signatures, 0, "{engine}: every signature verifies");
    for m in &messages {
        assert_eq!(
            m.state,
            DeliveryState::Delivered,
            "{engine}: {} is {:?} ({:?})",
            m.dedup_key,
            m.state,
            m.last_error
        );
    }
    let mut times: HashMap<&str, usize> = HashMap::new();
    for id in &seen.ids {
        *times.entry(id.as_str()).or_default() += 1;
    }
    let mut keys: Vec<&str> = messages.iter().map(|m| m.dedup_key.as_str()).collect();
    keys.sort_unstable();
    let mut ids: Vec<&str> = times.keys().copied().collect();
    ids.sort_unstable();
    assert_eq!(
        ids.len(),
        keys.len(),
        "{engine}: distinct webhook-ids received vs messages in the outbox"
    );
    assert!(
        ids == keys,
        "{engine}: the webhook-ids received are the outbox's dedup keys"
    );
    // A message is sent only after a committed claim, which counts an attempt: one that
    // reached the receiver k times was claimed at least k times, i.e. it was in flight when
    // a server died (or its record was lost with the server) and claimed again after.
    for m in &messages {
        let n = times[m.dedup_key.as_str()];
        assert!(
            n as u32 <= m.attempts,
            "{engine}: {} received {n} times after {} claims",
            m.dedup_key,
            m.attempts
        );
    }
    figures.messages = messages.len();
    figures.received = seen.ids.len();
    figures.repeats = times.values().filter(|n| **n > 1).count();
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_outbox_message_is_delivered_across_kill_9() {
    kill_9_on_every_engine(cycles, |engine, f| {
        eprintln!(
            "outbox kill -9 on {engine}: {} kills, {} of them with deliveries in flight ({} \
             messages); {} messages, {} deliveries received, {} messages received more than once",
            f.kills, f.kills_in_flight, f.in_flight, f.messages, f.received, f.repeats
        );
        let run = KillRun {
            kills: (f.kills, "kills"),
            traffic: (f.messages, f.kills * PER_REQUEST),
            caught: (f.kills_in_flight > 0, "no kill caught a delivery in flight"),
        };
        assert_kill_run(engine, &f, run);
        assert!(
            f.repeats <= f.kills * BATCH && f.repeats <= f.in_flight,
            "{engine}: more repeats than the kills can explain: {f:?}"
        );
    })
    .await;
}
