//! Tracking from the command line: event files, the sweep at a given instant, rulebooks and
//! replay, the ingest benchmark, and two servers ingesting into one PostgreSQL.

use super::*;
use consign_core::rules::SHIPMENT_CASE_TYPES;
use consign_core::tracking::FEED_LTL_TERMINAL_CODES;

const SHIPMENT_HEADER: &str = "carrier,service_level,tracking_number,direction,order,lines,origin_name,origin_city,origin_region,origin_postal_code,origin_country,origin_time_zone,destination_name,destination_city,destination_region,destination_postal_code,destination_country,destination_time_zone,weight_kg,pieces,planned_pickup_at,promised_by,international,pod_required,picked_up_at,delivered_at\n";

fn shipment_row(tracking: &str, planned: &str) -> String {
    format!(
        "UPSN,ground,{tracking},outbound,,,DC,Dallas,TX,75201,US,America/Chicago,Ann,Austin,TX,78701,US,America/Chicago,2.5,1,{planned},,false,false,,\n"
    )
}

async fn quality(e: &Env) -> consign_store::TrackingQuality {
    let (store, t) = e.alpha().await;
    store.tracking_quality(t.id).await.unwrap()
}

#[tokio::test]
async fn an_events_file_with_a_bad_row_commits_nothing_and_a_good_one_imports_once() {
    for e in envs().await {
        let bad = e.write(
            "bad.csv",
            b"carrier,tracking_number,occurred_at,status,location\n\
UPSN,1Z1,2026-11-20T10:00:00Z,picked_up,Dallas\n\
UPSN,,2026-11-20T11:00:00Z,in_transit,Dallas\n\
UPSN,1Z1,20/11/2026 12:00,delivered,Austin\n",
        );
        let out = e.try_import_into_alpha("events", &bad, &[]);
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        holds!(err, "line 3, tracking_number: must not be empty");
        holds!(
            err,
            "line 4, occurred_at: '20/11/2026 12:00' is not an RFC 3339 instant"
        );
        assert_eq!(quality(&e).await.events, 0, "nothing committed");

        // A carrier feed in its own codes, mapped by the shipped feed crosswalk.
        let codes = e.write("ltl.csv", FEED_LTL_TERMINAL_CODES.as_bytes());
        let feed = e.write(
            "feed.csv",
            b"carrier,tracking_number,occurred_at,code,location\n\
UPSN,PRO1,2026-11-20T10:00:00Z,PU,Dallas\n\
UPSN,PRO1,2026-11-20T18:00:00Z,DMG,Memphis\n\
UPSN,PRO1,2026-11-21T09:00:00Z,XYZ,Memphis\n",
        );
        let out = e.import_into_alpha("events", &feed, &["--codes", &codes]);
        holds!(
            out,
            "3 events into alpha: 0 applied, 3 orphans, 0 duplicates"
        );
        let out = e.import_into_alpha("events", &feed, &["--codes", &codes]);
        assert!(
            out.contains("0 orphans, 3 duplicates"),
            "re-import is a no-op: {out}"
        );
        let q = quality(&e).await;
        assert_eq!((q.events, q.orphans), (3, 3));
        assert_eq!(q.unmapped.len(), 1);
        assert_eq!(
            (
                q.unmapped[0].source.as_str(),
                q.unmapped[0].raw_code.as_str()
            ),
            ("csv:ltl", "XYZ")
        );

        // The shipment arrives: the orphans join it and the damage report opens its case.
        let ships = e.write(
            "s.csv",
            format!(
                "{SHIPMENT_HEADER}{}",
                shipment_row("PRO1", "2026-11-20T08:00:00Z")
            )
            .as_bytes(),
        );
        e.import_into_alpha("shipments", &ships, &[]);
        let q = quality(&e).await;
        assert_eq!(q.orphans, 0);
        let (store, t) = e.alpha().await;
        let cases = store
            .cases(
                t.id,
                &consign_store::CaseFilter {
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(cases.iter().any(|c| c.case_type == "damaged"), "{cases:?}");
    }
}

#[tokio::test]
async fn sweep_at_an_instant_and_rules_check_set_show_and_replay() {
    for e in envs().await {
        // A pickup planned for tomorrow; the sweep is asked about instants after it.
        let at =
            |h: i64| (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(h)).to_string();
        let planned = at(24);
        let ships = e.write(
            "s.csv",
            format!("{SHIPMENT_HEADER}{}", shipment_row("1Z7", &planned)).as_bytes(),
        );
        e.import_into_alpha("shipments", &ships, &[]);
        // Three hours after the planned pickup: within the allowance.
        let out = e.ok(&["sweep", "--at", &at(27)]);
        holds!(out, "cases opened 0");
        let out = e.ok(&["sweep", "--at", &at(29)]);
        holds!(out, "cases opened 1");
        let out = e.ok(&["sweep", "--at", &at(29)]);
        assert!(
            out.contains("0 shipment(s) judged"),
            "the same sweep again does nothing: {out}"
        );
        let out = e.run(&["sweep", "--at", "next tuesday"]);
        assert_eq!(out.status.code(), Some(1));
        holds!(text(&out.stderr), "--at: 'next tuesday' is not");

        let default =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../consign-core/rulebooks/default.toml");
        let out = e.ok(&["rules", "check", default.to_str().unwrap()]);
        holds!(out, "rulebook 'Consign default' is valid, 12 rule(s)");
        let bad = e.write(
            "bad.toml",
            b"name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"urgent\"\n",
        );
        let out = e.run(&["rules", "check", &bad]);
        assert_eq!(out.status.code(), Some(1));
        holds!(text(&out.stderr), "line 4");
        let out = e.run(&["rules", "set", "--tenant", "alpha", &bad]);
        assert_eq!(out.status.code(), Some(1), "refused before it is stored");
        assert!(
            e.ok(&["rules", "show", "--tenant", "alpha"])
                .starts_with("# version 0")
        );

        // A rulebook with a 2-hour pickup allowance, tried on history before it is stored.
        let strict = std::fs::read_to_string(&default).unwrap().replace(
            "hours_after_planned_pickup = 4 }",
            "hours_after_planned_pickup = 2 }",
        );
        let strict = e.write("strict.toml", strict.as_bytes());
        let (from, to) = (at(-24), at(72));
        let out = e.ok(&[
            "rules",
            "replay",
            "--rulebook",
            &strict,
            "--from",
            &from,
            "--to",
            &to,
            "--tenant",
            "alpha",
        ]);
        let row = out
            .lines()
            .find(|l| l.trim_start().starts_with("late_pickup"))
            .unwrap_or_else(|| panic!("{out}"));
        let nums: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            nums,
            ["late_pickup", "1", "1"],
            "would open 1, opened 1: {out}"
        );
        e.ok(&["rules", "set", "--tenant", "alpha", &strict]);
        assert!(
            e.ok(&["rules", "show", "--tenant", "alpha"])
                .starts_with("# version 1 of alpha")
        );
    }
}

#[test]
fn the_ingest_benchmark_prints_its_figures_and_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_consign"))
        .args([
            "bench",
            "ingest",
            "--events",
            "600",
            "--shipments",
            "60",
            "--batch",
            "100",
            "--webhooks",
            "200",
            "--webhook-rounds",
            "2",
            "--sweep-shipments",
            "500",
            "--sqlite-only",
        ])
        .env_remove("CONSIGN_CONFIG")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let so = text(&out.stdout);
    assert!(out.status.success(), "{so}\n{}", text(&out.stderr));
    assert!(
        so.contains("sqlite: pipeline") && so.contains("events/s"),
        "{so}"
    );
    assert!(
        so.contains("webhooks at concurrency 64") && so.contains("p99"),
        "{so}"
    );
    // Each round is its own 200 requests; the summary names the median of both.
    assert_eq!(
        so.matches("webhooks: 200 single-event requests").count(),
        2,
        "{so}"
    );
    holds!(so, "webhooks: median of 2 rounds");
    holds!(so, "sweep judged 5 due shipments out of 500");
    let last = so.lines().last().unwrap();
    assert!(
        last.starts_with("ratio (pipeline / ceiling, target >= 0.5): sqlite "),
        "{last}"
    );
}

/// SPEC §3 on the demo: replaying its carriers' feeds and its EDI partner day by day opens
/// cases of every type its data can trigger (the order, inventory, invoice and return rules
/// belong to later issues), and the EDI partner's tenders and 997s are on record.
#[tokio::test]
async fn the_demo_opens_cases_of_every_type_its_data_can_trigger() {
    let dir = tempfile::tempdir().unwrap();
    let out = consign_in(dir.path())
        .args(["demo", "--orders", "4000", "--no-serve", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let so = text(&out.stdout);
    assert!(out.status.success(), "{so}\n{}", text(&out.stderr));
    holds!(so, "load tenders (204) sent");
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    the_demo_is_worked_like_a_service_desk(&url).await;
    let store = consign_store::open(&url).await.unwrap();
    let (from, to) = (
        jiff::Timestamp::UNIX_EPOCH,
        jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1),
    );
    let mut opened: std::collections::BTreeMap<String, i64> = Default::default();
    for t in store.tenants().await.unwrap() {
        for (ty, n) in store.cases_opened_by_type(t.id, from, to).await.unwrap() {
            *opened.entry(ty).or_default() += n;
        }
    }
    let others = ["carrier_silent", "edi_unacknowledged"];
    for ty in SHIPMENT_CASE_TYPES.iter().chain(&others) {
        assert!(
            opened.get(*ty).is_some_and(|n| *n > 0),
            "no {ty} case: {opened:?}"
        );
    }
    // Around 8 % of shipments run late (SPEC-like demo mix): delay_risk is neither rare nor
    // everywhere.
    // The banner: "Demo ready in …: 4000 orders, 3950 shipments, …".
    let shipments: i64 = so
        .split(" orders, ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no shipment count in {so}"));
    let delayed = opened["delay_risk"] as f64 / shipments as f64;
    assert!(
        (0.03..0.2).contains(&delayed),
        "delay_risk on {delayed:.3} of shipments"
    );

    // The replay covers the carrier and EDI rules too: each would have opened cases.
    let to = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24)).to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_consign"))
        .args(["--database-url", &url, "--data-dir"])
        .arg(dir.path())
        .args(["rules", "replay", "--from", "2000-01-01", "--to", &to])
        .env_remove("CONSIGN_CONFIG")
        .output()
        .unwrap();
    let so = text(&out.stdout);
    assert!(out.status.success(), "{so}\n{}", text(&out.stderr));
    // Summed over the tenants, as the cases opened above are: which tenant's shipments hit a
    // customs hold depends on the hour the demo is generated (its dates are relative to now),
    // and one tenant alone had none in one CI run.
    for ty in ["carrier_silent", "edi_unacknowledged", "customs_hold"] {
        let rows: Vec<i64> = so
            .lines()
            .filter_map(|l| l.trim().strip_prefix(ty))
            .filter(|rest| rest.starts_with(' '))
            .map(|rest| {
                rest.split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("no {ty} count in {so}"))
            })
            .collect();
        assert!(!rows.is_empty(), "no {ty} row in {so}");
        let would: i64 = rows.iter().sum();
        assert!(would > 0, "replay would open no {ty}: {so}");
    }
}

/// Two `consign serve` processes on one PostgreSQL take overlapping event streams at the same
/// time: every event is stored once, and no shipment gets two open cases of a type.
#[tokio::test]
async fn two_servers_on_one_postgres_open_no_duplicate_case_and_lose_no_event() {
    let Some(url) = fresh_postgres_url().await else {
        eprintln!("SKIPPED: no PostgreSQL (required under CI=true)");
        return;
    };
    let e = Env {
        url,
        dir: tempfile::tempdir().unwrap(),
    };
    e.ok(&["tenant", "add", "alpha", "--name", "Alpha"]);
    e.ok(&[
        "carrier", "add", "--tenant", "alpha", "--name", "UPS", "--scac", "UPSN", "--mode",
        "parcel",
    ]);
    let n = 40;
    let rows: String = (0..n)
        .map(|i| shipment_row(&format!("1Z{i:03}"), "2026-11-20T08:00:00Z"))
        .collect();
    let ships = e.write("s.csv", format!("{SHIPMENT_HEADER}{rows}").as_bytes());
    e.import_into_alpha("shipments", &ships, &[]);
    let token = e.create_token("integration", &["--tenant", "alpha"]);
    let (a, b) = (serve(&e), serve(&e));

    // Every shipment: pickup, a failed attempt, a second attempt, delivery. Stream one sends
    // them in order in batches of 10; stream two sends the same events newest first, one per
    // request, so both servers judge the same shipments at the same time.
    let event = |i: usize, k: usize| {
        let (status, reason, hour) = [
            ("picked_up", None, 9),
            ("delivery_attempted", Some("recipient_unavailable"), 30),
            ("delivery_attempted", Some("recipient_unavailable"), 54),
            ("delivered", None, 78),
        ][k];
        let mut v = serde_json::json!({ "carrier": "UPSN", "tracking_number": format!("1Z{i:03}"),
            "occurred_at": format!("2026-11-2{}T{:02}:00:00Z", hour / 24, hour % 24), "status": status });
        if let Some(r) = reason {
            v["reason"] = serde_json::json!(r);
        }
        v
    };
    let all: Vec<serde_json::Value> = (0..n)
        .flat_map(|i| (0..4).map(move |k| (i, k)))
        .map(|(i, k)| event(i, k))
        .collect();
    let http = reqwest::Client::new();
    let post = |base: String, body: serde_json::Value| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let r = http
                .post(format!("{base}/api/v1/tenants/alpha/tracking-events"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }
    };
    let one = {
        let (all, base) = (all.clone(), a.1.clone());
        async move {
            for chunk in all.chunks(10) {
                post(base.clone(), serde_json::json!({ "events": chunk })).await;
            }
        }
    };
    let two = {
        let (all, base) = (all.clone(), b.1.clone());
        async move {
            let mut tasks = Vec::new();
            for e in all.into_iter().rev() {
                tasks.push(tokio::spawn(post(
                    base.clone(),
                    serde_json::json!({ "events": [e] }),
                )));
                if tasks.len() == 8 {
                    for t in tasks.drain(..) {
                        t.await.unwrap();
                    }
                }
            }
            for t in tasks {
                t.await.unwrap();
            }
        }
    };
    tokio::join!(one, two);

    let (store, t) = e.alpha().await;
    assert_eq!(
        store.tracking_quality(t.id).await.unwrap().events,
        (n * 4) as i64,
        "every event once"
    );
    let cases = store
        .cases(
            t.id,
            &consign_store::CaseFilter {
                case_type: Some("delivery_failed".into()),
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut per_shipment = std::collections::HashMap::new();
    for c in &cases {
        *per_shipment.entry(c.shipment_id()).or_insert(0) += 1;
    }
    // Where the newest-first stream reached a shipment first, its delivery was known before
    // the attempts arrived, and an attempt older than the delivery opens nothing: so some
    // shipments may have no case. None has two, and delivery resolved every one that opened.
    assert!(!per_shipment.is_empty(), "the in-order stream opens cases");
    assert!(
        per_shipment.values().all(|&k| k == 1),
        "a duplicate case: {per_shipment:?}"
    );
    assert!(
        cases
            .iter()
            .all(|c| c.status == consign_core::case::CaseStatus::Resolved),
        "{cases:?}"
    );
    let ids = store.shipment_ids_page(t.id, None, 500).await.unwrap();
    let tracked = store.tracked_shipments(t.id, &ids).await.unwrap();
    assert!(
        tracked
            .iter()
            .all(|s| s.state.status == consign_core::shipment::ShipmentStatus::Delivered)
    );
    drop((a, b));
}

/// The tracking settings are checked like the rest of the configuration: a bad value is
/// refused, naming where it came from, before anything runs.
#[test]
fn a_bad_sweep_interval_is_refused_with_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let out = consign_in(dir.path())
        .args(["--data-dir"])
        .arg(dir.path())
        .arg("migrate")
        .env("CONSIGN_SWEEP_INTERVAL_SECS", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("configuration")
            && err.to_lowercase().contains("sweep_interval_secs")
            && err.contains("CONSIGN_"),
        "{err}"
    );
    assert!(
        !dir.path().join("consign-data/consign.db").exists(),
        "nothing was created"
    );
}

/// The demo's feed arrives as it would have (not in midnight batches), and its cases are
/// worked: assigned, answered, waited on, resolved by people with codes, a few reopened,
/// warned and breached — so the case KPIs have something to say.
async fn the_demo_is_worked_like_a_service_desk(url: &str) {
    use sqlx::Row;
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let one = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    };
    let events = one("SELECT COUNT(*) FROM tracking_events").await;
    let instants = one("SELECT COUNT(DISTINCT received_at) FROM tracking_events").await;
    let at_midnight =
        one("SELECT COUNT(*) FROM tracking_events WHERE received_at % 86400000000 = 0").await;
    assert!(
        instants > 1_000,
        "{events} events received on {instants} instants"
    );
    assert!(
        at_midnight * 20 < events,
        "{at_midnight} of {events} received at midnight"
    );
    let lag = one("SELECT COUNT(*) FROM tracking_events WHERE received_at > occurred_at").await;
    assert!(
        lag * 10 > events * 9,
        "{lag} of {events} received after they occurred"
    );

    let assigned = one("SELECT COUNT(*) FROM cases WHERE assignee IS NOT NULL").await;
    let by_people =
        one("SELECT COUNT(*) FROM case_timeline WHERE actor LIKE 'user:%' AND kind = 'resolved'")
            .await;
    let reopened = one("SELECT COUNT(*) FROM case_timeline WHERE kind = 'reopened'").await;
    let waits =
        one("SELECT COUNT(*) FROM case_timeline WHERE after_value = 'waiting_customer'").await;
    let warnings = one("SELECT COUNT(*) FROM case_timeline WHERE kind = 'sla_warning'").await;
    let breaches = one("SELECT COUNT(*) FROM case_timeline WHERE kind = 'sla_breached'").await;
    let notes =
        one("SELECT COUNT(*) FROM case_timeline WHERE kind = 'note' AND visibility = 'external'")
            .await;
    for (what, n) in [
        ("assigned cases", assigned),
        ("resolutions by people", by_people),
        ("reopenings", reopened),
        ("waits on the customer", waits),
        ("SLA warnings", warnings),
        ("SLA breaches", breaches),
        ("updates to the client", notes),
    ] {
        assert!(n > 0, "the demo has no {what}");
    }
    let coded = one(
        "SELECT COUNT(*) FROM cases WHERE status IN ('resolved', 'closed') AND resolution IS NULL",
    )
    .await;
    assert_eq!(coded, 0, "every resolved case names its resolution");
    // Opened and resolved by the same batch at the same instant: rare now that the feed
    // arrives over the day (it was 954 of the resolved cases with midnight batches).
    let resolved = one("SELECT COUNT(*) FROM cases WHERE resolved_at IS NOT NULL").await;
    let instant = one("SELECT COUNT(*) FROM cases WHERE resolved_at = opened_at").await;
    assert!(
        instant * 20 < resolved,
        "{instant} of {resolved} resolved the instant they opened"
    );
    let before_tenant = one(
        "SELECT COUNT(*) FROM cases c JOIN tenants t ON t.id = c.tenant_id WHERE c.opened_at < t.created_at",
    )
    .await;
    assert_eq!(before_tenant, 0, "cases opened before their tenant existed");

    // Orders are released in waves and shipments created before their pickups over the
    // whole history, so every past week has an order turnaround (they were all stamped with
    // the moment the demo started).
    let release_days = one(
        "SELECT COUNT(DISTINCT released_at / 86400000000) FROM orders WHERE released_at IS NOT NULL",
    )
    .await;
    let ship_days = one(
        "SELECT COUNT(DISTINCT shipped_at / 86400000000) FROM orders WHERE shipped_at IS NOT NULL",
    )
    .await;
    let created_days = one("SELECT COUNT(DISTINCT created_at / 86400000000) FROM shipments").await;
    assert!(
        release_days > 40 && ship_days > 40 && created_days > 40,
        "released on {release_days} days, shipped on {ship_days}, shipments created on {created_days}"
    );
    let backwards = one(
        "SELECT COUNT(*) FROM orders WHERE shipped_at < released_at OR released_at < ordered_at",
    )
    .await;
    assert_eq!(
        backwards, 0,
        "orders shipped before released, or released before ordered"
    );
    let waited = one(
        "SELECT COUNT(*) FROM orders WHERE released_at > ordered_at AND shipped_at > released_at",
    )
    .await;
    let shipped = one("SELECT COUNT(*) FROM orders WHERE shipped_at IS NOT NULL").await;
    assert!(
        waited * 10 > shipped * 9,
        "{waited} of {shipped} shipped orders waited to be released and then to ship"
    );
}
