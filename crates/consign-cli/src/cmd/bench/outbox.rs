//! `consign bench outbox`: what the transactional outbox costs tracking ingest, and how fast
//! the delivery worker empties it into a local receiver, on each engine (issue 18). Figures
//! only; nothing here asserts a time.

use super::Engines;
use super::engines::open_app;
use super::fixtures::{insert_shipments, mapped, shipments_for, tenant_with_carriers};
use consign_app::App;
use consign_app::messages::MessagingConfig;
use consign_app::messages::delivery::Phases;
use consign_core::access::Principal;
use consign_core::ids::{CarrierId, ShipmentId};
use consign_core::message::endpoint::NewEndpoint;
use consign_core::message::outbox::DeliveryState;
use consign_core::shipment::Shipment;
use consign_core::tenant::Tenant;
use consign_core::tracking::NewTrackingEvent;
use jiff::{SignedDuration, Timestamp};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The targets, printed beside the figures.
const TARGET_DELIVERIES_PER_SEC: f64 = 2_000.0;
const TARGET_SLOWDOWN_PERCENT: f64 = 10.0;

#[derive(clap::Args)]
pub struct OutboxBench {
    /// Shipments per run; each gets one status change, so as many messages.
    #[arg(long, default_value_t = 20_000)]
    shipments: usize,
    /// Events per ingest call (one transaction).
    #[arg(long, default_value_t = 500)]
    batch: usize,
    #[command(flatten)]
    engines: Engines,
}

struct Figures {
    engine: String,
    plain: f64,
    subscribed: f64,
    messages: i64,
    delivered: usize,
    delivery_secs: f64,
    rounds: usize,
    phases: Phases,
    received: u64,
}

pub async fn outbox(b: OutboxBench, database_url: Option<&str>) -> anyhow::Result<ExitCode> {
    let defaults = MessagingConfig::default();
    println!(
        "bench outbox: {} shipments per run, one status change each, {} events per ingest; \
         delivery batch {}, concurrency {}",
        b.shipments, b.batch, defaults.batch, defaults.concurrency
    );
    let all = b
        .engines
        .on_each("outbox.db", database_url, async |engine, url, dir| {
            run_engine(&b, engine, url, dir).await
        })
        .await?;
    for f in &all {
        print_table(f);
    }
    Ok(ExitCode::SUCCESS)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn print_table(f: &Figures) {
    let slowdown = 100.0 * (1.0 - f.subscribed / f.plain.max(1e-9));
    let rate = f.delivered as f64 / f.delivery_secs.max(1e-9);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let total = ms(f.phases.claim) + ms(f.phases.send) + ms(f.phases.record);
    let share = |d: Duration| 100.0 * ms(d) / total.max(1e-9);
    println!("\n{}", f.engine);
    println!("  {:<34} {:>16}   target", "", "measured");
    println!("  {:<34} {:>11.0} ev/s", "ingest, no endpoint", f.plain);
    println!(
        "  {:<34} {:>11.0} ev/s",
        "ingest, endpoint subscribed", f.subscribed
    );
    println!(
        "  {:<34} {:>14.1} %   <= {TARGET_SLOWDOWN_PERCENT:.0} %  {}",
        "slowdown from enqueuing",
        slowdown,
        verdict(slowdown <= TARGET_SLOWDOWN_PERCENT)
    );
    println!(
        "  {:<34} {:>10.0} msg/s   >= {TARGET_DELIVERIES_PER_SEC:.0} msg/s  {}",
        "delivery, recorded durably",
        rate,
        verdict(rate >= TARGET_DELIVERIES_PER_SEC)
    );
    println!(
        "  {:<34} {:>16}",
        "messages delivered / in outbox",
        format!("{} / {}", f.delivered, f.messages)
    );
    println!(
        "  {:<34} {:>16}",
        "requests the receiver answered", f.received
    );
    println!(
        "  {:<34} {:>16}",
        "rounds",
        format!("{} in {:.2} s", f.rounds, f.delivery_secs)
    );
    println!(
        "  {:<34} {:>16}",
        "phases: claim / HTTP / record",
        format!(
            "{:.0} / {:.0} / {:.0} %",
            share(f.phases.claim),
            share(f.phases.send),
            share(f.phases.record)
        )
    );
    println!(
        "  {:<34} {:>16}",
        "  per round (ms)",
        format!(
            "{:.1} / {:.1} / {:.1}",
            ms(f.phases.claim) / f.rounds.max(1) as f64,
            ms(f.phases.send) / f.rounds.max(1) as f64,
            ms(f.phases.record) / f.rounds.max(1) as f64
        )
    );
}

/// A receiver that answers every POST with 204 at once and counts them; it verifies nothing
/// (the delivery path's signing is measured, not the receiver's checking). Returns its URL.
async fn receiver(count: Arc<AtomicU64>) -> anyhow::Result<String> {
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |axum::extract::State(n): axum::extract::State<Arc<AtomicU64>>| async move {
                    n.fetch_add(1, Ordering::Relaxed);
                    axum::http::StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state(count);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}/hook"))
}

/// `n` shipments in `tenant`, ids salted so that two tenants' shipments never share one.
fn shipments(tenant: &Tenant, carriers: &[CarrierId], n: usize, salt: u128) -> Vec<Shipment> {
    let t0 = Timestamp::now() - SignedDuration::from_hours(3);
    let mut v = shipments_for(tenant, carriers, n, |i| {
        t0 + SignedDuration::from_secs((i as i64 * 37) % 3_600)
    });
    for (i, s) in v.iter_mut().enumerate() {
        s.id = ShipmentId::new_at(s.created_at, (i as u128) ^ salt);
    }
    v
}

/// One pickup scan per shipment (each moves the status from `info_received` to
/// `picked_up`, so each enqueues one `shipment.status_changed` where an endpoint listens),
/// in batches of `batch`, as an integration would post them.
fn events(
    list: &[Shipment],
    scacs: &[(String, CarrierId)],
    batch: usize,
) -> anyhow::Result<Vec<Vec<(String, consign_core::tracking::MappedEvent)>>> {
    let at = Timestamp::now() - SignedDuration::from_hours(1);
    let scac = |c: CarrierId| {
        scacs
            .iter()
            .find(|x| x.1 == c)
            .map(|x| x.0.clone())
            .unwrap_or_default()
    };
    list.chunks(batch.max(1))
        .map(|chunk| {
            mapped(
                chunk
                    .iter()
                    .map(|s| NewTrackingEvent {
                        carrier: scac(s.carrier_id),
                        tracking_number: s.tracking_number.clone(),
                        occurred_at: at,
                        status: Some("picked_up".into()),
                        reason: None,
                        eta: None,
                        location: Some("Memphis hub".into()),
                        description: None,
                        message_id: None,
                        raw_code: None,
                    })
                    .collect(),
            )
        })
        .collect()
}

async fn run_engine(
    b: &OutboxBench,
    engine: &str,
    url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<Figures> {
    let app = open_app(engine, url, dir.join("documents"))
        .await?
        .with_messaging(MessagingConfig {
            allow_private_targets: true,
            ..Default::default()
        });
    let system = Principal::system();
    let received = Arc::new(AtomicU64::new(0));
    let hook = receiver(received.clone()).await?;

    // Two tenants doing the same work, one with an endpoint and one without.
    let pid = std::process::id();
    let (plain, plain_carriers) = tenant_with_carriers(&app, &format!("bench-plain-{pid}")).await?;
    let (subscribed, sub_carriers) =
        tenant_with_carriers(&app, &format!("bench-outbox-{pid}")).await?;
    let ids = |c: &[(String, CarrierId)]| c.iter().map(|x| x.1).collect::<Vec<_>>();
    let plain_ships = shipments(&plain, &ids(&plain_carriers), b.shipments, 0x0b0e);
    let sub_ships = shipments(&subscribed, &ids(&sub_carriers), b.shipments, 0x5ab5);
    let setup = Instant::now();
    // Interleaved chunk by chunk, so that neither tenant's rows all sit after the other's:
    // inserted one tenant after the other, the second ingested 3-8 % slower on PostgreSQL
    // with nobody subscribed at all, a bias as large as the effect being measured.
    for (p, s) in plain_ships
        .chunks(b.batch.max(1))
        .zip(sub_ships.chunks(b.batch.max(1)))
    {
        insert_shipments(&app, p.to_vec()).await?;
        insert_shipments(&app, s.to_vec()).await?;
    }
    app.tools().analyze().await?;
    app.tools().checkpoint().await?;
    let issued = app
        .create_endpoint(
            &system,
            &subscribed,
            NewEndpoint {
                url: hook.clone(),
                description: "bench receiver".into(),
                events: vec!["shipment.status_changed".into()],
            },
        )
        .await
        .map_err(crate::common::explain)?;
    println!(
        "setup: 2 × {} shipments in {:.1}s; endpoint {} → {hook}",
        b.shipments,
        setup.elapsed().as_secs_f64(),
        issued.endpoint.id
    );

    // (a) Ingest. The two tenants' batches are interleaved, and which goes first alternates,
    // so that both see the same table sizes, the same checkpoints and the same background
    // work: run one after the other, the second would meet tables already holding the first
    // one's rows, and either could land on a checkpoint the other missed.
    let plain_batches = events(&plain_ships, &plain_carriers, b.batch)?;
    let sub_batches = events(&sub_ships, &sub_carriers, b.batch)?;
    let (mut plain_secs, mut sub_secs) = (0.0, 0.0);
    let (mut plain_changed, mut sub_changed) = (0u64, 0u64);
    for (i, (p, s)) in plain_batches.into_iter().zip(sub_batches).enumerate() {
        let ingest = async |t: &Tenant, items| -> anyhow::Result<(f64, u64)> {
            let start = Instant::now();
            let o = app
                .ingest_events(&system, t, "bench", items)
                .await
                .map_err(crate::common::explain)?;
            Ok((start.elapsed().as_secs_f64(), o.accepted))
        };
        if i % 2 == 0 {
            let (secs, n) = ingest(&plain, p).await?;
            (plain_secs, plain_changed) = (plain_secs + secs, plain_changed + n);
            let (secs, n) = ingest(&subscribed, s).await?;
            (sub_secs, sub_changed) = (sub_secs + secs, sub_changed + n);
        } else {
            let (secs, n) = ingest(&subscribed, s).await?;
            (sub_secs, sub_changed) = (sub_secs + secs, sub_changed + n);
            let (secs, n) = ingest(&plain, p).await?;
            (plain_secs, plain_changed) = (plain_secs + secs, plain_changed + n);
        }
    }
    let plain_rate = plain_changed as f64 / plain_secs;
    let sub_rate = sub_changed as f64 / sub_secs;
    println!(
        "ingest: no endpoint {plain_changed} events in {plain_secs:.2}s = {plain_rate:.0} events/s; \
         endpoint subscribed {sub_changed} events in {sub_secs:.2}s = {sub_rate:.0} events/s"
    );
    let pending = count(&app, DeliveryState::Pending).await?;
    anyhow::ensure!(
        pending == sub_changed as i64,
        "expected one message per applied event of the subscribed tenant ({sub_changed}), \
         found {pending} pending"
    );

    // (b) Delivery: rounds as the worker runs them, each committing its record durably,
    // until nothing is due. The outbox's aftermath of ingest is settled first (not timed).
    app.tools().checkpoint().await?;
    let start = Instant::now();
    let mut rounds = 0;
    let mut delivered = 0;
    let mut phases = Phases::default();
    loop {
        let r = app.deliver_due().await.map_err(crate::common::explain)?;
        phases.claim += r.phases.claim;
        phases.send += r.phases.send;
        phases.record += r.phases.record;
        if r.claimed == 0 {
            break;
        }
        rounds += 1;
        delivered += r.delivered;
        anyhow::ensure!(
            r.retrying + r.dead == 0,
            "the local receiver refused deliveries: {r:?}"
        );
    }
    let delivery_secs = start.elapsed().as_secs_f64();
    let left = count(&app, DeliveryState::Pending).await?;
    let done = count(&app, DeliveryState::Delivered).await?;
    anyhow::ensure!(
        left == 0 && done == pending,
        "after delivery: {left} pending, {done} delivered of {pending}"
    );
    println!(
        "delivery: {delivered} messages in {rounds} rounds, {delivery_secs:.2}s = {:.0} messages/s",
        delivered as f64 / delivery_secs
    );
    Ok(Figures {
        engine: engine.into(),
        plain: plain_rate,
        subscribed: sub_rate,
        messages: pending,
        delivered,
        delivery_secs,
        rounds,
        phases,
        received: received.load(Ordering::Relaxed),
    })
}

async fn count(app: &App, state: DeliveryState) -> anyhow::Result<i64> {
    Ok(app
        .tools()
        .outbox_counts()
        .await
        .map_err(crate::common::explain)?
        .into_iter()
        .find(|(s, _)| *s == state)
        .map_or(0, |(_, n)| n))
}
