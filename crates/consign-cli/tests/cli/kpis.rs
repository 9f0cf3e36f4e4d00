//! The KPI rollup from the command line: a scorecard as CSV, `kpis verify` on a rollup
//! broken on purpose (exit 2, the differing counts named), `kpis rebuild` mending it, and a
//! bad period refused precisely.

use super::*;

const HEADER: &str = "carrier,service_level,tracking_number,direction,order,lines,origin_name,origin_city,origin_region,origin_postal_code,origin_country,origin_time_zone,destination_name,destination_city,destination_region,destination_postal_code,destination_country,destination_time_zone,weight_kg,pieces,planned_pickup_at,promised_by,international,pod_required,picked_up_at,delivered_at\n";

fn row(tracking: &str, promised: &str) -> String {
    format!(
        "UPSN,ground,{tracking},outbound,,,DC,Dallas,TX,75201,US,America/Chicago,Ann,Austin,TX,78701,US,America/Chicago,2.5,1,2026-10-26T14:00:00Z,{promised},false,false,,\n"
    )
}

#[tokio::test]
async fn verify_finds_a_rollup_broken_on_purpose_and_rebuild_mends_it() {
    for e in envs().await {
        let shipments = e.write(
            "shipments.csv",
            format!(
                "{HEADER}{}{}{}",
                // Promised by the end of 28 October in Austin.
                row("K1", "2026-10-29T04:00:00Z"),
                // Promised by the end of 27 October.
                row("K2", "2026-10-28T04:00:00Z"),
                row("K3", "")
            )
            .as_bytes(),
        );
        e.import_into_alpha("shipments", &shipments, &[]);
        let events = e.write(
            "events.csv",
            b"carrier,tracking_number,occurred_at,status,location\n\
UPSN,K1,2026-10-26T15:00:00Z,picked_up,Dallas\n\
UPSN,K1,2026-10-28T20:00:00Z,delivered,Austin\n\
UPSN,K2,2026-10-26T15:00:00Z,picked_up,Dallas\n\
UPSN,K2,2026-10-29T15:00:00Z,delivered,Austin\n\
UPSN,K3,2026-10-26T15:00:00Z,picked_up,Dallas\n\
UPSN,K3,2026-10-30T15:00:00Z,delivered,Austin\n",
        );
        e.import_into_alpha("events", &events, &[]);

        let out = e.ok(&["kpis", "verify", "--tenant", "alpha"]);
        holds!(
            out,
            "alpha: rollup matches a full recomputation (3 shipments, 0 orders"
        );
        let csv = e.ok(&[
            "report",
            "scorecard",
            "--tenant",
            "alpha",
            "--period",
            "2026-W44",
            "--format",
            "csv",
        ]);
        holds!(csv, "section,item,period,numerator,denominator,value");
        // K1 on its promise day, K2 a day late; K3 had no promise and is counted apart.
        holds!(csv, "figure,on_time_delivery,2026-W44,1,2,0.5000");
        holds!(csv, "delivered_without_promise,shipments,2026-W44,1,0,");
        holds!(csv, "figure,exception_rate,2026-W44,");

        let (store, _) = e.alpha().await;
        let broken = store
            .execute_raw("UPDATE kpi_daily SET total = total + 1 WHERE measure = 'delivered'")
            .await
            .unwrap();
        assert!(broken >= 2, "the delivered counts exist");
        let out = e.run(&["kpis", "verify", "--tenant", "alpha", "--no-refresh"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
        let said = text(&out.stdout);
        holds!(said, "alpha: rollup DIFFERS from a full recomputation");
        holds!(said, "count 2026-10-28 delivered");
        holds!(said, "stored (0, 2), recomputed (0, 1)");

        let out = e.ok(&["kpis", "rebuild", "--tenant", "alpha"]);
        holds!(out, "KPI rollup of alpha rebuilt");
        holds!(
            e.ok(&["kpis", "verify", "--tenant", "alpha", "--no-refresh"]),
            "alpha: rollup matches"
        );

        let scorecard = |period: &str| {
            e.run(&[
                "report",
                "scorecard",
                "--tenant",
                "alpha",
                "--period",
                period,
            ])
        };
        let out = scorecard("2026-W60");
        assert_eq!(out.status.code(), Some(1));
        holds!(text(&out.stderr), "period: 2026 has no ISO week 60");
        let out = scorecard("2025-01-01..2026-12-31");
        holds!(
            text(&out.stderr),
            "covers 730 days; a scorecard covers at most 400"
        );
    }
}
