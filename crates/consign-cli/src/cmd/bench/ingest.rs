//! `consign bench ingest`: tracking ingest measured end to end against the storage engine's
//! own ceiling in the same run, single-event webhooks at concurrency 64, and a sweep over
//! many active shipments. Figures only; nothing here asserts a time.

use super::Engines;
use super::engines::open_app;
use super::fixtures::{insert_shipments, mapped, shipments_for, tenant_with_carriers};
use anyhow::Context;
use consign_app::App;
use consign_app::admin::NewToken;
use consign_core::access::{Principal, Role};
use consign_core::ids::*;
use consign_core::shipment::{Shipment, ShipmentStatus};
use consign_core::tenant::Tenant;
use consign_core::time::FixedClock;
use consign_core::tracking::{NewTrackingEvent, TrackingEvent};
use jiff::{SignedDuration, Timestamp};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct IngestBench {
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    #[arg(long, default_value_t = 100_000)]
    shipments: usize,
    /// Events per transaction for both the pipeline and the ceiling.
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
    /// Single-event webhook requests sent at concurrency 64 (0 skips).
    #[arg(long, default_value_t = 50_000)]
    webhooks: usize,
    /// Rounds of --webhooks requests each; the median round is reported (identical rounds
    /// vary by a tenth or more on a shared VM). Each round sends new events.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=9))]
    webhook_rounds: u32,
    /// Active shipments for the sweep measurement, 1 % of them due (0 skips).
    #[arg(long, default_value_t = 1_000_000)]
    sweep_shipments: usize,
    #[command(flatten)]
    engines: Engines,
}

struct Figures {
    engine: String,
    pipeline: f64,
    ceiling: f64,
    cases: u64,
    webhook: Option<(f64, f64, f64)>,
    sweep: Option<(u64, f64)>,
}

pub async fn ingest(b: IngestBench, database_url: Option<&str>) -> anyhow::Result<ExitCode> {
    println!(
        "bench ingest: {} events over {} shipments, {} per transaction; webhooks {}; sweep over {} shipments",
        b.events, b.shipments, b.batch, b.webhooks, b.sweep_shipments
    );
    let all = b
        .engines
        .on_each("bench.db", database_url, async |engine, url, dir| {
            run_engine(&b, engine, url, dir).await
        })
        .await?;
    println!();
    for f in &all {
        println!(
            "{}: pipeline {:.0} events/s, ceiling {:.0} events/s, {} cases opened",
            f.engine, f.pipeline, f.ceiling, f.cases
        );
        if let Some((rps, p50, p99)) = f.webhook {
            println!(
                "{}: webhooks at concurrency 64: {rps:.0} req/s, p50 {p50:.1} ms, p99 {p99:.1} ms",
                f.engine
            );
        }
        if let Some((n, secs)) = f.sweep {
            println!(
                "{}: sweep judged {n} due shipments out of {} active in {secs:.3} s",
                f.engine, b.sweep_shipments
            );
        }
    }
    let ratios: Vec<String> = all
        .iter()
        .map(|f| format!("{} {:.2}", f.engine, f.pipeline / f.ceiling.max(1e-9)))
        .collect();
    println!(
        "ratio (pipeline / ceiling, target >= 0.5): {}",
        ratios.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// User plus system CPU time of this process so far, from `/proc/self/stat` (Linux; `None`
/// elsewhere). Clock ticks are taken as the usual 100 per second.
fn process_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// A realistic stream: each shipment's journey (info, pickup, scans, out for delivery,
/// delivered; some failed attempts, damage and delays), interleaved across shipments in
/// time order, about 1 % re-delivered.
fn journeys(
    n_events: usize,
    shipments: &[Shipment],
    scac: &dyn Fn(CarrierId) -> String,
    t0: Timestamp,
) -> Vec<NewTrackingEvent> {
    use ShipmentStatus::*;
    // A live feed: each journey's scans ten minutes apart, journeys starting across an hour,
    // all of it in the last few hours (events days old would be judged as long-silent).
    let per = (n_events / shipments.len().max(1)).max(1);
    let mut out = Vec::with_capacity(n_events + n_events / 50);
    for (i, s) in shipments.iter().enumerate() {
        let start = t0 + SignedDuration::from_secs((i as i64 * 37) % 3_600);
        for k in 0..per {
            let status = match k {
                0 => InfoReceived,
                1 => PickedUp,
                _ if k + 1 == per => Delivered,
                _ if k + 2 == per => OutForDelivery,
                _ if i % 37 == 0 && k == 3 => DeliveryAttempted,
                _ if i % 53 == 0 && k == 4 => Exception,
                _ if i % 29 == 0 && k == 2 => Delayed,
                _ => InTransit,
            };
            let reason = match status {
                DeliveryAttempted => Some("recipient_unavailable".to_string()),
                Exception => Some("damaged".to_string()),
                Delayed => Some("weather".to_string()),
                _ => None,
            };
            let e = NewTrackingEvent {
                carrier: scac(s.carrier_id),
                tracking_number: s.tracking_number.clone(),
                occurred_at: start + SignedDuration::from_mins(k as i64 * 10),
                status: Some(status.as_str().into()),
                reason,
                eta: (k == 1).then(|| start + SignedDuration::from_hours(72)),
                location: Some(format!("Hub {}", k % 7)),
                description: None,
                message_id: None,
                raw_code: None,
            };
            if (i + k) % 100 == 0 {
                out.push(e.clone());
            }
            out.push(e);
        }
    }
    out.sort_by_key(|e| e.occurred_at);
    out
}

async fn run_engine(
    b: &IngestBench,
    engine: &str,
    url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<Figures> {
    let app = open_app(engine, url, dir.join("documents")).await?;
    let system = Principal::system();
    let now = app.now();
    let t0 = now - SignedDuration::from_hours(3);
    let (pipe, pipe_carriers) =
        tenant_with_carriers(&app, &format!("bench-pipe-{}", std::process::id())).await?;
    let (ceil, ceil_carriers) =
        tenant_with_carriers(&app, &format!("bench-ceil-{}", std::process::id())).await?;
    let ids: Vec<CarrierId> = pipe_carriers.iter().map(|c| c.1).collect();
    let shipments = shipments_for(&pipe, &ids, b.shipments, |i| {
        t0 + SignedDuration::from_secs((i as i64 * 37) % 3_600)
    });
    let scac_of = |c: CarrierId| {
        pipe_carriers
            .iter()
            .find(|x| x.1 == c)
            .map(|x| x.0.clone())
            .unwrap_or_default()
    };
    let stream = journeys(b.events, &shipments, &scac_of, t0);
    let setup = Instant::now();
    insert_shipments(&app, shipments.clone()).await?;
    app.tools().analyze().await?;
    // The shipments are not due for the sweep during the measurement.
    println!(
        "setup: {} shipments in {:.1}s, {} events generated",
        b.shipments,
        setup.elapsed().as_secs_f64(),
        stream.len()
    );

    // The pipeline's input is what integrations send: JSON bodies of `batch` events.
    let bodies: Vec<Vec<u8>> = stream
        .chunks(b.batch)
        .map(|c| serde_json::to_vec(&serde_json::json!({ "events": c })))
        .collect::<Result<_, _>>()?;
    let n = stream.len();

    // Ceiling: the same rows, prepared up front, inserted in batches of the same size into
    // the same table (same dedup index) under another tenant, one transaction per batch.
    let ceil_rows: Vec<TrackingEvent> = {
        let mut v = Vec::with_capacity(n);
        let ceil_ids: Vec<CarrierId> = ceil_carriers.iter().map(|c| c.1).collect();
        for body in &bodies {
            let batch: Batch = serde_json::from_slice(body)?;
            let items = mapped(batch.events)?;
            let (mut rows, _) = consign_app::tracking::build_events(
                &app.tools().carriers(pipe.id).await?,
                &system,
                &pipe,
                now,
                "bench",
                items,
            );
            for r in &mut rows {
                r.tenant_id = ceil.id;
                let k = ids.iter().position(|c| *c == r.carrier_id).unwrap_or(0);
                r.carrier_id = ceil_ids[k];
            }
            v.extend(rows);
        }
        v
    };
    // The two are interleaved, batch by batch, so that both see the same table sizes, the
    // same checkpoints and the same background work on the machine: run one after the other,
    // the second ran against a table already holding the first one's rows, and either could
    // land on a checkpoint or an autovacuum the other missed (the ratio moved by ±0.05
    // between identical runs).
    let mut ceiling_secs = 0.0;
    let mut secs = 0.0;
    let mut cpu = Some(0.0);
    let mut cases = 0;
    let mut accepted = 0;
    let mut dups = 0;
    for (i, (chunk, body)) in ceil_rows.chunks(b.batch).zip(&bodies).enumerate() {
        if i == bodies.len() / 10 {
            // From here on the statistics know the events table is large, as on a server
            // whose autovacuum has run (not timed).
            app.tools().analyze().await?;
        }
        let start = Instant::now();
        let mut tx = app.tools().begin().await?;
        tx.insert_tracking_events(&chunk.iter().collect::<Vec<_>>())
            .await?;
        tx.commit().await?;
        ceiling_secs += start.elapsed().as_secs_f64();

        let start = Instant::now();
        let cpu0 = process_cpu_secs();
        // Parsed as the HTTP handler parses a request body: straight into the batch type.
        let batch: Batch = serde_json::from_slice(body)?;
        let items = mapped(batch.events)?;
        let o = app
            .ingest_events(&system, &pipe, "bench", items)
            .await
            .map_err(crate::common::explain)?;
        secs += start.elapsed().as_secs_f64();
        cpu = cpu
            .zip(process_cpu_secs().zip(cpu0).map(|(a, b)| a - b))
            .map(|(t, d)| t + d);
        cases += o.cases.opened;
        accepted += o.accepted;
        dups += o.duplicates;
    }
    let ceiling = n as f64 / ceiling_secs;
    println!("ceiling: {n} rows in {ceiling_secs:.2}s = {ceiling:.0} events/s");
    let pipeline = n as f64 / secs;
    println!(
        "pipeline: {n} events in {secs:.2}s = {pipeline:.0} events/s ({accepted} applied, {dups} duplicates, {cases} cases opened)"
    );
    if let Some(cpu) = cpu {
        // Where the time went on the Consign side; the rest is the engine's (its own process
        // for PostgreSQL, sqlx's worker threads inside this one for SQLite).
        println!(
            "pipeline: this process used {cpu:.2}s of CPU ({:.0}% of the wall time)",
            100.0 * cpu / secs
        );
    }
    println!("ratio {engine}: {:.2}", pipeline / ceiling);

    let webhook = if b.webhooks > 0 {
        // The bulk load's aftermath is settled first (its WAL copied into the database file
        // and synced; PostgreSQL's checkpoint flushes its dirty buffers), so the webhooks are
        // measured against the million events loaded, not against the disk still writing
        // back a gigabyte from the phase before (which cost SQLite a tenth of its requests
        // in a run and varied from run to run). Not timed.

        // Several rounds, the median reported: identical runs on this kind of shared VM vary
        // by a tenth or more, so one round says as much about the neighbours as about
        // Consign. Every round is printed; each sends events not seen before.
        let mut rounds = Vec::new();
        for round in 0..b.webhook_rounds {
            app.tools().checkpoint().await?;
            rounds.push(
                webhooks(
                    &app,
                    &pipe,
                    &shipments,
                    &scac_of,
                    b.webhooks,
                    round as usize,
                )
                .await?,
            );
        }
        let median = median_round(&rounds);
        if rounds.len() > 1 {
            let rps: Vec<String> = rounds.iter().map(|r| format!("{:.0}", r.0)).collect();
            let p99: Vec<String> = rounds.iter().map(|r| format!("{:.1}", r.2)).collect();
            println!(
                "webhooks: median of {} rounds {:.0} req/s, p99 {:.1} ms (rounds: {} req/s; p99 {} ms)",
                rounds.len(),
                median.0,
                median.2,
                rps.join(", "),
                p99.join(", "),
            );
        }
        Some(median)
    } else {
        None
    };
    let sweep = if b.sweep_shipments > 0 {
        Some(sweep(&app, b.sweep_shipments).await?)
    } else {
        None
    };
    Ok(Figures {
        engine: engine.into(),
        pipeline,
        ceiling,
        cases,
        webhook,
        sweep,
    })
}

/// A request body of `POST …/tracking-events`.
#[derive(serde::Deserialize)]
struct Batch {
    events: Vec<NewTrackingEvent>,
}

/// The round of median throughput (the higher middle one of an even count).
fn median_round(rounds: &[(f64, f64, f64)]) -> (f64, f64, f64) {
    let mut sorted = rounds.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    sorted[sorted.len() / 2]
}

/// Single-event webhooks over HTTP at concurrency 64 against an in-process server (with the
/// group committer, as `serve` runs). Returns (requests/s, p50 ms, p99 ms).
async fn webhooks(
    app: &App,
    tenant: &Tenant,
    shipments: &[Shipment],
    scac: &dyn Fn(CarrierId) -> String,
    total: usize,
    round: usize,
) -> anyhow::Result<(f64, f64, f64)> {
    let system = Principal::system();
    let (_, secret) = app
        .create_token(
            &system,
            NewToken {
                name: "bench".into(),
                role: Role::Integration,
                tenant: Some(tenant.slug.clone()),
                carrier: None,
                scopes: None,
                expires_at: None,
            },
        )
        .await
        .map_err(crate::common::explain)?;
    let cfg = consign_web::WebConfig {
        requests_per_minute: 0,
        ..Default::default()
    };
    let router = consign_web::router(app.clone().with_group_commit(), cfg);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(consign_web::serve(listener, router, async move {
        let _ = stop_rx.await;
    }));
    let path = format!("/api/v1/tenants/{}/webhooks/open_source_12", tenant.slug);
    let base = app.now() - SignedDuration::from_hours(1);
    // Whole HTTP/1.1 requests, built up front: the load generator shares the machine's cores
    // with the server, so it does as little as wrk would (keep-alive connections, raw bytes).
    let requests: Vec<Vec<u8>> = (0..total)
        .map(|i| round * total + i)
        .map(|n| {
            let s = &shipments[n % shipments.len()];
            let body = serde_json::json!({
                "id": format!("wh-{n}"),
                "data": { "carrier": scac(s.carrier_id), "tracking_number": s.tracking_number,
                          "events": [{ "timestamp": (base + SignedDuration::from_millis(n as i64)).to_string(), "status": "in_transit", "location": "Hub" }] }
            })
            .to_string();
            format!(
                "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {secret}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect();
    let requests = Arc::new(requests);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (requests, next) = (requests.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let mut conn = tokio::net::TcpStream::connect(addr).await?;
            conn.set_nodelay(true)?;
            let mut buf = Vec::with_capacity(8192);
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= requests.len() {
                    break;
                }
                let t = Instant::now();
                conn.write_all(&requests[i]).await?;
                let status = read_response(&mut conn, &mut buf).await?;
                if !(200..300).contains(&status) {
                    anyhow::bail!(
                        "webhook {i} answered {status}: {}",
                        String::from_utf8_lossy(&buf)
                    );
                }
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let _ = conn.shutdown().await;
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    let secs = start.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    let _ = server.await;
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    let rps = total as f64 / secs;
    println!(
        "webhooks: {total} single-event requests at concurrency 64 in {secs:.2}s = {rps:.0} req/s, p50 {:.1} ms, p99 {:.1} ms",
        pct(0.5),
        pct(0.99)
    );
    Ok((rps, pct(0.5), pct(0.99)))
}

/// `n` active shipments in a fresh tenant, 1 % due now and the rest due tomorrow; one sweep.
async fn sweep(app: &App, n: usize) -> anyhow::Result<(u64, f64)> {
    let (t, carriers) =
        tenant_with_carriers(app, &format!("bench-sweep-{}", std::process::id())).await?;
    let ids: Vec<CarrierId> = carriers.iter().map(|c| c.1).collect();
    let now = app.now();
    // A new shipment's next check is its creation instant, so creation times place the due 1 %
    // (an hour ago) and the rest (tomorrow).
    let ships = shipments_for(&t, &ids, n, |i| {
        if i % 100 == 0 {
            now - SignedDuration::from_hours(1)
        } else {
            now + SignedDuration::from_hours(24)
        }
    });
    let setup = Instant::now();
    let mut at = app.clone();
    at.clock = Arc::new(FixedClock(now));
    // Whatever else is due (the ingest tenant's shipments) is judged first, untimed.
    at.sweep(5_000).await.map_err(crate::common::explain)?;
    insert_shipments(app, ships).await?;
    app.tools().analyze().await?;
    println!(
        "sweep setup: {n} shipments in {:.1}s",
        setup.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let (judged, c) = at.sweep(5_000).await.map_err(crate::common::explain)?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sweep: {judged} of {n} shipments due, judged in {secs:.3}s (cases opened {})",
        c.opened
    );
    Ok((judged, secs))
}

/// Reads one HTTP/1.1 response (status line, headers, a Content-Length body) and returns the
/// status; `buf` holds the body afterwards.
async fn read_response(conn: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<u16> {
    use tokio::io::AsyncReadExt;
    buf.clear();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = conn.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no status line")?;
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = conn.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "the server closed the connection mid-body");
        buf.extend_from_slice(&chunk[..n]);
    }
    buf.drain(..head_end);
    Ok(status)
}
