//! Scorecards over HTTP on a dataset built for the edge cases: a delivery on the promise day
//! in another time zone that is already the next day for the client, the week US daylight
//! time ends, a partial shipment, a cancelled order, a shipment without a promise, a damaged
//! one. Every figure is checked against numbers worked out by hand and, on PostgreSQL,
//! against a plain SQL computation written here over the recorded tables (`AT TIME ZONE`
//! for the local days); both engines must agree with both.

use crate::harness::{Sent, TestApp, field_errors, spawn_alpha};
use consign_core::access::Role;
use serde_json::{Value, json};

const LA: &str = "America/Los_Angeles";
const NY: &str = "America/New_York";

async fn order(t: &TestApp, reference: &str, quantities: &[u32], promised: &str) -> String {
    let lines: Vec<Value> = quantities
        .iter()
        .enumerate()
        .map(|(i, q)| json!({ "sku": format!("SKU-{i}"), "quantity": q, "unit_price": "5.00" }))
        .collect();
    let body = json!({
        "external_ref": reference,
        "customer": { "name": "Ann Lee", "email": "ann@example.com" },
        "ship_to": { "name": "Ann Lee", "line1": "1 Main St", "city": "Los Angeles", "region": "CA", "postal_code": "90001", "country": "US" },
        "channel": "b2c",
        "lines": lines,
        "ordered_at": "2026-10-25T12:00:00Z",
        "promised_by": promised,
    });
    let o = t.order_answer(&body).await;
    o["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{o}"))
        .to_string()
}

async fn shipment(
    t: &TestApp,
    tracking: &str,
    order: Option<&str>,
    lines: &[(u32, u32)],
    zone: &str,
    promised: Option<&str>,
) {
    let mut body = json!({
        "carrier": "UPSN",
        "tracking_number": tracking,
        "origin": { "city": "Dallas", "region": "TX", "postal_code": "75201", "country": "US", "time_zone": "America/Chicago" },
        "destination": { "city": "Far", "region": if zone == LA { "CA" } else { "NY" }, "postal_code": "10001", "country": "US", "time_zone": zone },
        "weight_kg": "2.5",
    });
    if let Some(o) = order {
        body["order"] = json!(o);
        body["lines"] = json!(
            lines
                .iter()
                .map(|(l, q)| json!({ "line_no": l, "quantity": q }))
                .collect::<Vec<_>>()
        );
    }
    if let Some(p) = promised {
        body["promised_by"] = json!(p);
    }
    let res = t.post_shipment(&body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

async fn events(t: &TestApp, list: &[(&str, &str, &str, Option<&str>)]) {
    let events: Vec<Value> = list
        .iter()
        .map(|(n, at, status, reason)| {
            let mut e = json!({ "carrier": "UPSN", "tracking_number": n, "occurred_at": at, "status": status });
            if let Some(r) = reason {
                e["reason"] = json!(r);
            }
            e
        })
        .collect();
    let res = t.post_tracking_events(json!(events)).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
}

/// The dataset; the comments give each record's part in the figures of 2026-W44 (26 October
/// to 1 November in Chicago, the tenant's zone; daylight time ends there on 1 November).
async fn load(t: &TestApp) {
    // O1: promised by 23:00 on 28 Oct in Los Angeles, delivered 22:30 that evening there,
    // 00:30 on the 29th in Chicago: on time, in full.
    order(t, "O1", &[2, 1], "2026-10-29T06:00:00Z").await;
    shipment(t, "S1", Some("O1"), &[(1, 2), (2, 1)], LA, None).await;
    // O2: four units in two parts; the second part two days late: not in full on time.
    order(t, "O2", &[4], "2026-10-30T03:00:00Z").await;
    shipment(t, "S2A", Some("O2"), &[(1, 2)], LA, None).await;
    shipment(t, "S2B", Some("O2"), &[(1, 2)], LA, None).await;
    // O3: cancelled: not due.
    let o3 = order(t, "O3", &[1], "2026-10-30T12:00:00Z").await;
    let res = t
        .post(
            &format!("/api/v1/tenants/alpha/orders/{o3}/changes"),
            &t.admin_token,
            &json!({ "kind": "cancel", "reason": "customer cancelled" }),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    // S4: no order, no promise: delivered, judged by nothing.
    shipment(t, "S4", None, &[], NY, None).await;
    // O5: due 23:00 on 1 Nov in New York (22:00 in Chicago, still W44), delivered on the
    // promise day but damaged on the way: OTIF, not perfect.
    order(t, "O5", &[1], "2026-11-02T04:00:00Z").await;
    shipment(t, "S5", Some("O5"), &[(1, 1)], NY, None).await;
    // S6: delivered 23:30 on 1 Nov in Chicago (after the clocks went back: a fixed -5 h
    // offset would put it in W45), 00:30 on 2 Nov in New York, its promise day.
    shipment(t, "S6", None, &[], NY, Some("2026-11-03T04:59:00Z")).await;
    // S7: the week after, two days late.
    shipment(t, "S7", None, &[], LA, Some("2026-11-05T07:00:00Z")).await;
    // R1: O1's goods coming back, delivered to the warehouse on 31 Oct, three days after O1's
    // promise: a return leg is not a delivery to the customer and counts in no figure.
    let res = t
        .post_shipment(&json!({
            "carrier": "UPSN", "tracking_number": "R1", "order": "O1", "direction": "return",
            "lines": [{ "line_no": 1, "quantity": 1 }],
            "origin": { "city": "Los Angeles", "region": "CA", "postal_code": "90001", "country": "US", "time_zone": LA },
            "destination": { "city": "Dallas", "region": "TX", "postal_code": "75201", "country": "US", "time_zone": "America/Chicago" },
            "weight_kg": "2.5",
        }))
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    events(
        t,
        &[
            ("S1", "2026-10-26T15:00:00Z", "picked_up", None),
            ("S1", "2026-10-29T05:30:00Z", "delivered", None),
            ("S2A", "2026-10-27T15:00:00Z", "picked_up", None),
            ("S2A", "2026-10-29T18:00:00Z", "delivered", None),
            ("S2B", "2026-10-27T16:00:00Z", "picked_up", None),
            ("S2B", "2026-10-31T18:00:00Z", "delivered", None),
            ("S4", "2026-10-27T15:00:00Z", "picked_up", None),
            ("S4", "2026-10-28T15:00:00Z", "delivered", None),
            ("S5", "2026-10-28T15:00:00Z", "picked_up", None),
            ("S5", "2026-10-29T12:00:00Z", "exception", Some("damaged")),
            ("S5", "2026-11-02T04:30:00Z", "delivered", None),
            ("S6", "2026-10-31T15:00:00Z", "picked_up", None),
            ("S6", "2026-11-02T05:30:00Z", "delivered", None),
            ("S7", "2026-11-03T15:00:00Z", "picked_up", None),
            ("S7", "2026-11-06T20:00:00Z", "delivered", None),
            ("R1", "2026-10-29T15:00:00Z", "picked_up", None),
            ("R1", "2026-10-30T12:00:00Z", "exception", Some("damaged")),
            ("R1", "2026-10-31T18:00:00Z", "delivered", None),
        ],
    )
    .await;
    t.app.refresh_kpis_until_done().await.unwrap();
}

/// (numerator, denominator) of on-time delivery, OTIF, perfect order and exception rate.
type Four = [(u64, u64); 4];

fn delivery(s: &Value) -> Four {
    let f = |k: &str| {
        let x = s["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == k)
            .unwrap_or_else(|| panic!("no figure {k} in {s}"));
        (
            x["numerator"].as_u64().unwrap(),
            x["denominator"].as_u64().unwrap(),
        )
    };
    [
        f("on_time_delivery"),
        f("otif"),
        f("perfect_order"),
        f("exception_rate"),
    ]
}

/// The same four figures computed by plain SQL over the recorded tables (PostgreSQL).
async fn independent(t: &TestApp, first: &str, last: &str) -> Four {
    let tenant = t.store.tenant_by_slug("alpha").await.unwrap().unwrap().id.0;
    let local = |micros: &str, zone: &str| {
        format!("(to_timestamp(({micros}) / 1e6) AT TIME ZONE {zone})::date")
    };
    let dest = "(s.destination_json::jsonb ->> 'time_zone')";
    let chicago = "'America/Chicago'";
    let joined = "shipments s JOIN shipment_tracking t ON t.tenant_id = s.tenant_id \
         AND t.shipment_id = s.id LEFT JOIN orders o ON o.tenant_id = s.tenant_id AND o.id = s.order_id";
    let on_time = format!(
        "WITH d AS (SELECT {} AS tenant_day, {} AS dest_day, {} AS promise_day FROM {joined} \
         WHERE s.tenant_id = '{tenant}' AND s.direction = 'outbound' AND t.delivered_at IS NOT NULL \
         AND t.status <> 'cancelled') \
         SELECT COUNT(*) FILTER (WHERE promise_day IS NOT NULL AND dest_day <= promise_day) AS hit, \
         COUNT(*) FILTER (WHERE promise_day IS NOT NULL) AS total FROM d \
         WHERE tenant_day BETWEEN '{first}' AND '{last}'",
        local("t.delivered_at", chicago),
        local("t.delivered_at", dest),
        local("COALESCE(s.promised_by, o.promised_by)", dest),
    );
    let exceptions = format!(
        "WITH d AS (SELECT {} AS day, EXISTS (SELECT 1 FROM cases c WHERE c.tenant_id = s.tenant_id \
         AND c.shipment_id = s.id) AS cased FROM {joined} \
         WHERE s.tenant_id = '{tenant}' AND s.direction = 'outbound' AND t.status <> 'cancelled') \
         SELECT COUNT(*) FILTER (WHERE cased) AS hit, COUNT(*) AS total FROM d WHERE day BETWEEN '{first}' AND '{last}'",
        local(
            "COALESCE(t.picked_up_at, s.planned_pickup_at, s.created_at)",
            chicago
        ),
    );
    let orders = format!(
        "WITH due AS (SELECT o.id, o.promised_by FROM orders o WHERE o.tenant_id = '{tenant}' \
           AND o.status <> 'cancelled' AND o.promised_by IS NOT NULL \
           AND {} BETWEEN '{first}' AND '{last}'), \
         line AS (SELECT due.id, l.quantity, COALESCE((SELECT SUM(sl.quantity) FROM shipments s \
           JOIN shipment_tracking t ON t.tenant_id = s.tenant_id AND t.shipment_id = s.id \
           JOIN shipment_lines sl ON sl.tenant_id = s.tenant_id AND sl.shipment_id = s.id \
             AND sl.line_no = l.line_no \
           WHERE s.tenant_id = '{tenant}' AND s.order_id = due.id AND s.direction = 'outbound' \
             AND t.status <> 'cancelled' AND t.delivered_at IS NOT NULL AND {} <= {}), 0) AS got \
           FROM due JOIN order_lines l ON l.tenant_id = '{tenant}' AND l.order_id = due.id), \
         otif AS (SELECT id, bool_and(got >= quantity) AS ok FROM line GROUP BY id), \
         clean AS (SELECT due.id, NOT EXISTS (SELECT 1 FROM shipments s \
           JOIN shipment_tracking t ON t.tenant_id = s.tenant_id AND t.shipment_id = s.id \
           WHERE s.tenant_id = '{tenant}' AND s.order_id = due.id AND s.direction = 'outbound' \
             AND t.status <> 'cancelled' AND ( \
             EXISTS (SELECT 1 FROM cases c WHERE c.tenant_id = s.tenant_id AND c.shipment_id = s.id \
               AND c.case_type IN ('damaged', 'missing_documents', 'pod_missing')) \
             OR (s.pod_required AND NOT t.pod_attached) \
             OR (s.international AND NOT t.documents_complete))) AS ok FROM due) \
         SELECT COUNT(*) FILTER (WHERE otif.ok) AS otif, \
           COUNT(*) FILTER (WHERE otif.ok AND clean.ok) AS perfect, COUNT(*) AS due \
           FROM otif JOIN clean USING (id)",
        local("o.promised_by", chicago),
        local("t.delivered_at", dest),
        local("due.promised_by", dest),
    );
    let q = |sql: String| async move { t.store.query_integers_raw(&sql).await.unwrap() };
    let a = q(on_time).await;
    let e = q(exceptions).await;
    let o = q(orders).await;
    let u = |x: i64| x as u64;
    [
        (u(a[0]), u(a[1])),
        (u(o[0]), u(o[2])),
        (u(o[1]), u(o[2])),
        (u(e[0]), u(e[1])),
    ]
}

const PERIODS: [(&str, &str, &str); 4] = [
    ("2026-W44", "2026-10-26", "2026-11-01"),
    ("2026-W45", "2026-11-02", "2026-11-08"),
    ("2026-10", "2026-10-01", "2026-10-31"),
    ("2026-10-29..2026-11-02", "2026-10-29", "2026-11-02"),
];

#[tokio::test]
async fn scorecard_figures_match_the_hand_count_and_an_independent_sql_on_both_engines() {
    let apps = spawn_alpha().await;
    let mut by_engine: Vec<(&str, Vec<Four>)> = Vec::new();
    for t in &apps {
        load(t).await;
        let mut figures = Vec::new();
        for (period, ..) in PERIODS {
            let s = t
                .get_json(
                    &format!("/api/v1/tenants/alpha/scorecards/{period}"),
                    &t.admin_token,
                )
                .await;
            assert_eq!(s["source"], "rollup", "{}: {s}", t.engine);
            assert_eq!(s["pending_changes"], 0);
            assert_eq!(s["trend"].as_array().unwrap().len(), 12);
            assert_eq!(s["trend"][11]["period"], period);
            figures.push(delivery(&s));
            if period == "2026-W44" {
                let [on_time, otif, perfect, _] = delivery(&s);
                // Worked out by hand from the comments in `load`.
                assert_eq!(on_time, (4, 5), "{}: {s}", t.engine);
                assert_eq!(otif, (2, 3), "{}", t.engine);
                assert_eq!(perfect, (1, 3), "{}", t.engine);
                assert_eq!(s["delivery"]["delivered_without_promise"], 1);
                assert_eq!(
                    s["delivery"]["exceptions_by_reason"]["damaged"]["numerator"],
                    1
                );
                assert_eq!(s["delivery"]["on_time_by_carrier"]["UPS"]["denominator"], 5);
                assert_eq!(s["first_day"], "2026-10-26");
                assert_eq!(s["time_zone"], "America/Chicago");
            }
            if period == "2026-W45" {
                assert_eq!(delivery(&s)[0], (0, 1), "{}: S7 only", t.engine);
            }
        }
        // Every delivery figure links to exactly the records it counted.
        let w44 = t
            .get_json("/api/v1/tenants/alpha/scorecards/2026-W44", &t.admin_token)
            .await;
        let listed = |path: String| {
            let t = &t;
            async move {
                let page = t.get_json(&path, &t.admin_token).await;
                let mut v: Vec<String> = page["items"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{path}: {page}"))
                    .iter()
                    .map(|x| {
                        x.get("tracking_number")
                            .unwrap_or(&x["external_ref"])
                            .as_str()
                            .unwrap()
                            .to_string()
                    })
                    .collect();
                v.sort();
                v
            }
        };
        for f in w44["figures"].as_array().unwrap().iter().take(4) {
            let hits = listed(f["hits"].as_str().unwrap().to_string()).await;
            let all = listed(f["records"].as_str().unwrap().to_string()).await;
            assert_eq!(
                hits.len() as u64,
                f["numerator"].as_u64().unwrap(),
                "{}: {f}",
                t.engine
            );
            assert_eq!(
                all.len() as u64,
                f["denominator"].as_u64().unwrap(),
                "{}: {f}",
                t.engine
            );
        }
        let list = "/api/v1/tenants/alpha/shipments?kpi_period=2026-W44&kpi=";
        let orders = "/api/v1/tenants/alpha/orders?kpi_period=2026-W44&kpi=";
        for (path, expected) in [
            (
                format!("{list}on_time_delivery&kpi_outcome=hit"),
                &["S1", "S2A", "S5", "S6"][..],
            ),
            (format!("{list}on_time_delivery&kpi_outcome=miss"), &["S2B"]),
            (format!("{list}delivered_without_promise"), &["S4"]),
            (
                format!("{list}exceptions_by_reason&kpi_key=damaged&kpi_outcome=hit"),
                &["S5"],
            ),
            (format!("{orders}otif&kpi_outcome=hit"), &["O1", "O5"]),
            (format!("{orders}otif&kpi_outcome=miss"), &["O2"]),
            (format!("{orders}perfect_order&kpi_outcome=hit"), &["O1"]),
        ] {
            assert_eq!(listed(path.clone()).await, expected, "{path}");
        }
        for (path, field) in [
            (format!("{orders}on_time_delivery"), "kpi"),
            (format!("{list}otif"), "kpi"),
            (
                format!("{list}on_time_delivery&kpi_outcome=maybe"),
                "kpi_outcome",
            ),
            (format!("{list}exceptions_by_reason"), "kpi_key"),
            (format!("{list}nonsense"), "kpi"),
            (
                "/api/v1/tenants/alpha/shipments?kpi=otif".to_string(),
                "kpi_period",
            ),
            (
                "/api/v1/tenants/alpha/shipments?kpi_period=2026-W44".to_string(),
                "kpi",
            ),
            (
                "/api/v1/tenants/alpha/shipments?kpi=exception_rate&kpi_period=W44".to_string(),
                "kpi_period",
            ),
        ] {
            let p = t.get_problem(&path, &t.admin_token, 422).await;
            assert_eq!(field_errors(&p)[0].0, field, "{path}: {p}");
        }

        // The rollup equals a full recomputation.
        let tenant = t.store.tenant_by_slug("alpha").await.unwrap().unwrap();
        let check = t.app.verify_kpis(&tenant).await.unwrap();
        assert!(check.ok(), "{}: {:?}", t.engine, check.listed);
        // Every shipment is checked, the return leg too (it has a facts row in neither).
        assert_eq!((check.shipments, check.orders), (8, 4));
        by_engine.push((t.engine, figures));
    }
    match apps.iter().find(|t| t.engine == "postgres") {
        Some(pg) => {
            let expected: Vec<Four> = {
                let mut v = Vec::new();
                for (_, first, last) in PERIODS {
                    v.push(independent(pg, first, last).await);
                }
                v
            };
            for (engine, figures) in &by_engine {
                for (i, (period, ..)) in PERIODS.iter().enumerate() {
                    assert_eq!(
                        figures[i], expected[i],
                        "{engine} {period}: [on time, OTIF, perfect, exception rate]"
                    );
                }
            }
        }
        None => eprintln!(
            "SKIPPED: the independent SQL check needs PostgreSQL (set CONSIGN_TEST_DATABASE_URL)"
        ),
    }
}

/// The header `name` of an answer, as text.
fn header<'r>(res: &'r reqwest::Response, name: &str) -> &'r str {
    res.headers()[name].to_str().unwrap()
}

#[tokio::test]
async fn scorecards_export_recompute_and_refuse_what_they_should() {
    for t in spawn_alpha().await {
        t.tenant("beta").await;
        load(&t).await;
        let base = "/api/v1/tenants/alpha/scorecards/2026-W44";

        // CSV and the printable page.
        let res = t.get(&format!("{base}?format=csv"), &t.admin_token).await;
        assert_eq!(res.status(), 200);
        assert!(header(&res, "content-type").starts_with("text/csv"));
        assert!(header(&res, "content-disposition").contains("scorecard-alpha-2026-W44.csv"));
        let csv = res.text().await.unwrap();
        assert!(
            csv.contains("figure,on_time_delivery,2026-W44,4,5,0.8000"),
            "{csv}"
        );
        assert!(csv.contains("figure,otif,2026-W44,2,3,0.6667"), "{csv}");
        let res = t.get(&format!("{base}?format=html"), &t.admin_token).await;
        assert!(header(&res, "content-type").starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains("ALPHA — scorecard 2026-W44"), "{html}");
        assert_eq!(
            html.matches("<svg").count(),
            4 + 3 + 5,
            "trends of the four delivery figures and the three case rates, and five bar charts"
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "nothing fetched"
        );

        // A new definition (two days' grace, half the units) is counted under its version;
        // the old one is recomputed on request.
        let res = t
            .req(
                reqwest::Method::PUT,
                "/api/v1/tenants/alpha/kpi-definitions",
                &t.admin_token,
            )
            .json(&json!({
                "on_time": {"days_early": 0, "days_late": 2, "early_counts": true},
                "in_full": {"basis": "units", "threshold_percent": 50}
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let s = t.get_json(base, &t.admin_token).await;
        assert!(
            s["pending_changes"].as_u64().unwrap() > 0,
            "orders wait to be judged again"
        );
        t.app.refresh_kpis_until_done().await.unwrap();
        let s = t.get_json(base, &t.admin_token).await;
        assert_eq!(s["definitions_version"], 1);
        assert_eq!(
            delivery(&s)[0],
            (5, 5),
            "{}: S2B within the grace",
            t.engine
        );
        assert_eq!(delivery(&s)[1], (3, 3), "{}: O2 in full by units", t.engine);
        let old = t
            .get_json(&format!("{base}?definitions=0"), &t.admin_token)
            .await;
        assert_eq!(old["source"], "recomputed");
        assert_eq!(old["definitions_version"], 0);
        assert_eq!(delivery(&old)[0], (4, 5));
        assert_eq!(delivery(&old)[1], (2, 3));

        // Bad input, each with its field.
        for (path, field) in [
            ("/api/v1/tenants/alpha/scorecards/2026-W60", "period"),
            ("/api/v1/tenants/alpha/scorecards/last-week", "period"),
            (
                "/api/v1/tenants/alpha/scorecards/2024-01-01..2026-01-01",
                "period",
            ),
            (
                "/api/v1/tenants/alpha/scorecards/2026-W44?format=pdf",
                "format",
            ),
            (
                "/api/v1/tenants/alpha/scorecards/2026-W44?definitions=x",
                "definitions",
            ),
            (
                "/api/v1/tenants/alpha/scorecards/2026-W44?colour=red",
                "colour",
            ),
        ] {
            let p = t.get_problem(path, &t.admin_token, 422).await;
            assert_eq!(field_errors(&p)[0].0, field, "{path}: {p}");
        }
        let res = t
            .get(&format!("{base}?definitions=9"), &t.admin_token)
            .await;
        assert_eq!(res.status(), 404);

        // Order turnaround: the shipments above drew on O1, O2 and O5 just now (released and
        // shipped at once, 41 days after they were ordered); O6, ordered two hours ago, is
        // released by hand. Counted over the days around today in Chicago.
        let two_hours_ago =
            (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2)).to_string();
        let mut o6 = crate::harness::order_body("O6");
        o6["ordered_at"] = json!(two_hours_ago);
        let o6 = t.order_answer(&o6).await;
        let res = t
            .post(
                &format!(
                    "/api/v1/tenants/alpha/orders/{}/release",
                    o6["id"].as_str().unwrap()
                ),
                &t.admin_token,
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::get("America/Chicago").unwrap())
            .date();
        let around = format!(
            "{}..{}",
            today.yesterday().unwrap(),
            today.tomorrow().unwrap()
        );
        let s = t
            .get_json(
                &format!("/api/v1/tenants/alpha/scorecards/{around}"),
                &t.admin_token,
            )
            .await;
        let ta = &s["turnaround"];
        assert_eq!(ta["received_to_released"]["count"], 4, "{}: {ta}", t.engine);
        let median = ta["received_to_released"]["median_minutes"]
            .as_f64()
            .unwrap();
        assert!(median > 40.0 * 24.0 * 60.0, "{median}");
        assert_eq!(ta["released_to_shipped"]["count"], 3);
        assert_eq!(ta["released_to_shipped"]["median_minutes"], 0.0);
        let as_csv = format!("/api/v1/tenants/alpha/scorecards/{around}?format=csv");
        let csv = t.get(&as_csv, &t.admin_token).await.text().await.unwrap();
        assert!(
            csv.contains(&format!(
                "turnaround_minutes,released_to_shipped,{around},0.0,3,"
            )),
            "{csv}"
        );

        // The provider's overview: every tenant's headline figures for the period.
        let all = t
            .get_json("/api/v1/scorecards/2026-W44", &t.admin_token)
            .await;
        let slugs = crate::harness::strs(&all["tenants"], "tenant");
        assert_eq!(slugs, ["alpha", "beta"], "{all}");
        assert_eq!(all["tenants"][0]["on_time_delivery"]["numerator"], 5);
        assert_eq!(all["tenants"][1]["on_time_delivery"]["denominator"], 0);
        let p = t
            .get_problem("/api/v1/scorecards/2026-13", &t.admin_token, 422)
            .await;
        assert_eq!(field_errors(&p)[0].0, "period");

        // A client manager reads their own tenant's, not another's; warehouses (like
        // carriers, who are measured by it) read none.
        let client = t.token(Role::ClientManager, Some("alpha"), None).await;
        assert_eq!(t.get(base, &client).await.status(), 200);
        let mine = t.get_json("/api/v1/scorecards/2026-W44", &client).await;
        assert_eq!(mine["tenants"].as_array().unwrap().len(), 1, "{mine}");
        let other = t
            .get("/api/v1/tenants/beta/scorecards/2026-W44", &client)
            .await;
        assert_eq!(other.status(), 404);
        let warehouse = t.token(Role::Warehouse, Some("alpha"), None).await;
        assert_eq!(t.get(base, &warehouse).await.status(), 403);
    }
}

/// `read_database_url`: a second PostgreSQL database stands in for the replica, holding the
/// same tenant with other orders, so every read shows which database answered it.
#[tokio::test]
async fn lists_and_scorecards_read_the_replica_when_one_is_configured() {
    use consign_app::App;
    use consign_app::orders::OnDuplicate;
    use consign_core::access::Principal;
    use consign_core::tenant::NewTenant;
    use consign_store::testing::{fresh_postgres_url, migrate_up_to};
    use std::sync::Arc;

    let (Some(primary_url), Some(replica_url)) =
        (fresh_postgres_url().await, fresh_postgres_url().await)
    else {
        eprintln!("SKIPPED: the replica test needs PostgreSQL");
        return;
    };
    let system = Principal::system();
    let app_on = |store| {
        App::new(
            store,
            Arc::new(consign_core::time::SystemClock),
            std::env::temp_dir(),
        )
    };
    let primary = app_on(consign_store::open(&primary_url).await.unwrap());
    let copy = app_on(consign_store::open(&replica_url).await.unwrap());
    let t = primary
        .create_tenant(
            &system,
            NewTenant {
                slug: "alpha".into(),
                name: "Alpha".into(),
                time_zone: "America/Chicago".into(),
            },
        )
        .await
        .unwrap();
    let mut tx = copy.tools().begin().await.unwrap();
    tx.insert_tenant(&t).await.unwrap();
    tx.commit().await.unwrap();
    let orders = |refs: &[&str]| -> Vec<consign_core::order::NewOrder> {
        refs.iter()
            .map(|r| serde_json::from_value(crate::harness::order_body(r)).unwrap())
            .collect()
    };
    primary
        .create_orders(&system, &t, orders(&["P1"]), OnDuplicate::Reject, &|_| {})
        .await
        .unwrap();
    copy.create_orders(
        &system,
        &t,
        orders(&["R1", "R2"]),
        OnDuplicate::Reject,
        &|_| {},
    )
    .await
    .unwrap();

    let first_fifty = consign_store::OrderFilter {
        limit: 50,
        ..Default::default()
    };
    let app = app_on(consign_store::open(&primary_url).await.unwrap())
        .with_read_replica(consign_store::open_replica(&replica_url).await.unwrap());
    let mut listed: Vec<String> = app
        .list_orders(&system, &t, &first_fifty)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.external_ref)
        .collect();
    listed.sort();
    assert_eq!(listed, ["R1", "R2"], "the list comes from the replica");
    // A write goes to the primary (and shows in the replica's lists once replicated).
    app.create_orders(&system, &t, orders(&["P2"]), OnDuplicate::Reject, &|_| {})
        .await
        .unwrap();
    let on_primary = primary
        .list_orders(&system, &t, &first_fifty)
        .await
        .unwrap();
    assert_eq!(on_primary.len(), 2);
    // The scorecard reads the replica's rollup: its two orders wait to be counted there.
    let s = app.scorecard(&system, &t, "2026-W44", None).await.unwrap();
    assert_eq!(
        s.pending_changes, 2,
        "the replica's marks, not the primary's"
    );
    let o = app.scorecard_overview(&system, "2026-W44").await.unwrap();
    assert_eq!(o.tenants[0].pending_changes, 2);

    // What is not a replica is refused with the reason.
    let e = consign_store::open_replica("sqlite://replica.db")
        .await
        .err()
        .unwrap();
    assert!(
        e.to_string()
            .contains("a read replica is a PostgreSQL database"),
        "{e}"
    );
    let empty = fresh_postgres_url().await.unwrap();
    let e = consign_store::open_replica(&empty).await.err().unwrap();
    assert!(e.to_string().contains("has no Consign schema"), "{e}");
    let behind = fresh_postgres_url().await.unwrap();
    let last = consign_store::MIGRATION_COUNT as i64;
    migrate_up_to(&behind, last - 1).await;
    let e = consign_store::open_replica(&behind).await.err().unwrap();
    assert!(
        e.to_string().contains(&format!(
            "is at migration {}, this build needs {last}",
            last - 1
        )),
        "{e}"
    );
}

/// Cases opened every 13 hours over five weeks and worked through every path a case can
/// take (answered, resolved, reopened, closed, left open), each timeline made by the case
/// actions themselves at their instants.
async fn worked_cases(t: &TestApp) -> consign_core::tenant::Tenant {
    use consign_core::case::work::{CaseAction, decide};
    use consign_core::case::{
        Case, CaseStatus, CaseSubject, NewCase, ResolutionCode, Severity, TimelineEntry,
        TimelineKind, Visibility,
    };
    use consign_core::ids::{CaseId, ShipmentId};
    use jiff::{SignedDuration, Timestamp};
    let tenant = t.store.tenant_by_slug("alpha").await.unwrap().unwrap();
    put_round_the_clock_policy(t, "day", 60, 1440).await;
    let now = Timestamp::now();
    let h = SignedDuration::from_hours;
    let resolve = || CaseAction::Resolve {
        code: ResolutionCode::Delivered,
        condition_ended_at: None,
    };
    let reopen = || CaseAction::Reopen {
        reason: "it came back".into(),
    };
    let note = |text: &str| CaseAction::Note {
        text: text.into(),
        visibility: Visibility::External,
    };
    let (mut cases, mut entries) = (Vec::new(), Vec::new());
    for i in 0..64u32 {
        let opened = now - h(35 * 24) + h(13 * i as i64);
        let id = CaseId::new_at(opened, u128::from(i) ^ 0x5ca1e);
        let case_type = ["late_delivery", "damaged", "address_issue"][i as usize % 3];
        let mut c = Case::start(
            id,
            tenant.id,
            NewCase {
                subject: CaseSubject::Shipment(ShipmentId::new_at(opened, u128::from(i))),
                case_type: case_type.into(),
                severity: Severity::Medium,
                accountable: "carrier".into(),
                owner_team: "carrier-desk".into(),
                rulebook_version: 1,
            },
            CaseStatus::New,
            opened,
            opened,
        );
        c.number = format!("CASE-T{i:04}");
        let mut created = TimelineEntry::system(id, opened, TimelineKind::Created, "opened".into());
        created.seq = 1;
        entries.push(created);
        let steps: Vec<(SignedDuration, CaseAction)> = match i % 7 {
            // Left open, answered or not.
            0 => vec![(h(2), CaseAction::Acknowledge)],
            // Answered within the hour, resolved the same day: first contact, on time.
            1 => vec![
                (SignedDuration::from_mins(30), CaseAction::Acknowledge),
                (h(3), resolve()),
            ],
            // Two messages, resolved, reopened the next day, resolved again.
            2 => vec![
                (SignedDuration::from_mins(10), note("on it")),
                (h(1), note("found it")),
                (h(5), resolve()),
                (h(29), reopen()),
                (h(50), resolve()),
            ],
            // Resolved late (two days), closed after five.
            3 => vec![
                (h(3), note("asked the carrier")),
                (h(48), resolve()),
                (h(120), CaseAction::Close),
            ],
            // Resolved within hours, reopened and still open.
            4 => vec![(h(1), resolve()), (h(3), reopen())],
            // Resolved after six days, reopened after eight, resolved after nine.
            5 => vec![(h(144), resolve()), (h(192), reopen()), (h(216), resolve())],
            // Never answered, resolved the next week.
            _ => vec![(h(170), resolve())],
        };
        for (after, action) in steps {
            let at = opened + after;
            if at >= now {
                break;
            }
            let d = decide(&c, &action, "user:agent", at).unwrap();
            c = d.case;
            entries.extend(d.entries);
        }
        cases.push(c);
    }
    let mut tx = t.store.begin().await.unwrap();
    tx.insert_cases(&cases).await.unwrap();
    tx.append_timeline(tenant.id, &entries).await.unwrap();
    tx.commit().await.unwrap();
    t.app.refresh_kpis_until_done().await.unwrap();
    tenant
}

/// How many cases a list link holds (one page of up to 500).
async fn listed(t: &TestApp, url: &str) -> u64 {
    let page = t
        .get_json(&format!("{url}&limit=500"), &t.admin_token)
        .await;
    page["items"].as_array().unwrap().len() as u64
}

/// Alpha's case settings as one SLA policy `name` that counts every hour of the week, with
/// these targets in minutes; asserts the settings were taken.
async fn put_round_the_clock_policy(t: &TestApp, name: &str, first_response: u32, resolution: u32) {
    let res = t
        .req(
            reqwest::Method::PUT,
            "/api/v1/tenants/alpha/case-settings",
            &t.admin_token,
        )
        .json(&json!({"policies": {"rules": [{"name": name,
            "first_response": {"minutes": first_response, "business": false},
            "resolution": {"minutes": resolution, "business": false}}]}}))
        .sent()
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
}

/// Alpha's scorecard of `period` and the case report over the same span (the period's
/// bounds in `zone`): the two readings the case figures must agree between.
async fn card_and_case_report(
    t: &TestApp,
    period: &consign_core::kpi::Period,
    zone: &jiff::tz::TimeZone,
) -> (Value, Value) {
    let (from, to) = period.bounds(zone);
    let card = t
        .get_json(
            &format!("/api/v1/tenants/alpha/scorecards/{period}"),
            &t.admin_token,
        )
        .await;
    let span = format!("from={from}&to={to}");
    let report = t
        .get_json(
            &format!("/api/v1/tenants/alpha/kpis/cases?{span}"),
            &t.admin_token,
        )
        .await;
    (card, report)
}

#[tokio::test]
async fn case_figures_read_from_the_period_equal_the_case_report_and_list_their_cases() {
    use consign_core::kpi::Period;
    for t in spawn_alpha().await {
        let tenant = worked_cases(&t).await;
        let zone = jiff::tz::TimeZone::get(&tenant.time_zone).unwrap();
        let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
        let this_week = Period::week_of(today);
        let mut periods: Vec<Period> = vec![this_week.previous()];
        for _ in 0..4 {
            let p = periods.last().unwrap().previous();
            periods.push(p);
        }
        periods.push(
            Period::parse(&today.strftime("%Y-%m").to_string(), 400)
                .unwrap()
                .previous(),
        );
        let (mut reopened, mut resolved, mut backlog, mut met) = (0, 0, 0, 0);
        let mut weekly = Vec::new();
        for period in &periods {
            let (card, report) = card_and_case_report(&t, period, &zone).await;
            // The report reads every case open or changed since the period began and judges
            // it whole; the scorecard reads the rollup's case facts of the period and counts
            // the backlog apart.
            assert_eq!(card["cases"], report["total"], "{}: {period}", t.engine);
            let c = &card["cases"];
            weekly.push((period.to_string(), c.clone(), card["trend"].clone()));
            reopened += c["reopen_rate"]["numerator"].as_u64().unwrap();
            resolved += c["resolved"].as_u64().unwrap();
            backlog += c["backlog"]["open"].as_u64().unwrap();
            met += c["sla_attainment"]["numerator"].as_u64().unwrap();

            // Each case figure lists exactly the cases it counted.
            let figures = card["figures"].as_array().unwrap();
            for key in ["reopen_rate", "first_contact_resolution", "sla_attainment"] {
                let f = figures.iter().find(|f| f["key"] == key).unwrap();
                let link = f["records"].as_str().unwrap();
                assert_eq!(
                    link,
                    format!("/api/v1/tenants/alpha/cases?kpi={key}&kpi_period={period}")
                );
                let all = listed(&t, link).await;
                let hits = listed(&t, f["hits"].as_str().unwrap()).await;
                let misses = listed(&t, &format!("{link}&kpi_outcome=miss")).await;
                assert_eq!(hits + misses, all, "{key} {period}");
                if key == "sla_attainment" {
                    // Targets counted, cases listed: each case had one or two targets.
                    let (n, d) = (
                        f["numerator"].as_u64().unwrap(),
                        f["denominator"].as_u64().unwrap(),
                    );
                    assert!(
                        all <= d && d <= 2 * all,
                        "{key} {period}: {all} cases, {d} targets"
                    );
                    assert!(
                        hits <= n,
                        "{key} {period}: {hits} cases met all, {n} targets met"
                    );
                } else {
                    assert_eq!(all, f["denominator"].as_u64().unwrap(), "{key} {period}");
                    assert_eq!(hits, f["numerator"].as_u64().unwrap(), "{key} {period}");
                }
            }
        }
        // The last week's trend holds each earlier week's case rates as that week's own
        // scorecard has them.
        let trend = weekly[0].2.as_array().unwrap();
        assert_eq!(trend.len(), 12);
        for (period, c, _) in weekly.iter().filter(|w| w.0.contains('W')) {
            let point = trend
                .iter()
                .find(|p| p["period"] == period.as_str())
                .unwrap_or_else(|| panic!("{period} in the trend"));
            for key in ["sla_attainment", "reopen_rate", "first_contact_resolution"] {
                assert_eq!(
                    point[key], c[key],
                    "{}: {key} of {period} in the trend",
                    t.engine
                );
            }
        }
        // The dataset reaches every path: reopenings, resolutions, a backlog, targets met.
        assert!(reopened > 0 && resolved > reopened && backlog > 0 && met > 0);

        // New SLA targets judge every case again: the rollup follows the settings.
        put_round_the_clock_policy(&t, "strict", 15, 120).await;
        t.app.refresh_kpis_until_done().await.unwrap();
        let mut after = 0;
        for period in &periods {
            let (card, report) = card_and_case_report(&t, period, &zone).await;
            assert_eq!(
                card["cases"], report["total"],
                "{}: {period} under new targets",
                t.engine
            );
            after += card["cases"]["sla_attainment"]["numerator"]
                .as_u64()
                .unwrap();
        }
        assert!(
            after < met,
            "{after} targets met under stricter ones, {met} before"
        );

        // `kpis verify` holds the case facts to a recomputation, and sees one broken.
        let check = t.app.verify_kpis(&tenant).await.unwrap();
        assert!(check.ok() && check.cases == 64, "{check:?}");
        let broken = t
            .store
            .execute_raw("UPDATE kpi_case_facts SET ttr_minutes = ttr_minutes + 1 WHERE ttr_minutes IS NOT NULL")
            .await
            .unwrap();
        let check = t.app.verify_kpis(&tenant).await.unwrap();
        assert_eq!(check.differences, broken, "{check:?}");
        assert!(check.listed[0].starts_with("case "), "{check:?}");

        // Asked wrongly, the list says what is wrong.
        for (query, field) in [
            ("kpi=otif&kpi_period=2026-W40", "kpi"),
            ("kpi=reopen_rate&kpi_period=2026-W40&kpi_key=x", "kpi_key"),
        ] {
            let path = format!("/api/v1/tenants/alpha/cases?{query}");
            let p = t.get_problem(&path, &t.admin_token, 422).await;
            assert_eq!(field_errors(&p)[0].0, field, "{p}");
        }
    }
}
