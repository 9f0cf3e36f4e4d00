//! KPI definitions over HTTP: the defaults as version 0, a checked new version, every
//! version kept, who may read and write them, and another tenant's answered as absent.

use crate::harness::{field_errors, problem, spawn_all};
use consign_core::access::Role;
use serde_json::json;

#[tokio::test]
async fn kpi_definitions_are_checked_versioned_and_the_clients_to_read() {
    for t in spawn_all().await {
        t.tenant("alpha").await;
        t.tenant("beta").await;
        let path = "/api/v1/tenants/alpha/kpi-definitions";
        let first = t.get_json(path, &t.admin_token).await;
        assert_eq!(first["version"], 0, "{}: {first}", t.engine);
        assert_eq!(first["definitions"]["on_time"]["early_counts"], true);
        assert_eq!(first["definitions"]["in_full"]["threshold_percent"], 100.0);

        let carriers = t
            .get_json("/api/v1/tenants/alpha/carriers", &t.admin_token)
            .await;
        let ups = carriers["items"][0]["id"].as_str().unwrap().to_string();
        let beta = t
            .get_json("/api/v1/tenants/beta/carriers", &t.admin_token)
            .await;
        let beta_ups = beta["items"][0]["id"].as_str().unwrap().to_string();

        // Every problem at once, each under its field; nothing stored.
        let bad = json!({
            "on_time": {"days_early": -1, "days_late": 2, "early_counts": false},
            "in_full": {"basis": "units", "threshold_percent": 140},
            "exclude_carriers": [beta_ups]
        });
        // The definitions as the admin writes them.
        let put = |body: &serde_json::Value| {
            t.req(reqwest::Method::PUT, path, &t.admin_token)
                .json(body)
                .send()
        };
        let res = put(&bad).await.unwrap();
        let p = problem(res, 422).await;
        let fields: Vec<String> = field_errors(&p).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "on_time.days_early",
                "in_full.threshold_percent",
                "exclude_carriers[0]"
            ],
            "{p}"
        );
        assert_eq!(t.get_json(path, &t.admin_token).await["version"], 0);

        let good = json!({
            "on_time": {"days_early": 1, "days_late": 1, "early_counts": false},
            "in_full": {"basis": "units", "threshold_percent": 95},
            "exclude_carriers": [ups],
            "exclude_channels": ["b2b"]
        });
        let res = put(&good).await.unwrap();
        assert_eq!(res.status(), 201);
        let stored: serde_json::Value = res.json().await.unwrap();
        assert_eq!(stored["version"], 1);
        assert_eq!(stored["definitions"]["exclude_carriers"][0], ups.as_str());
        let now = t.get_json(path, &t.admin_token).await;
        assert_eq!(now["version"], 1);
        assert_eq!(now["definitions"]["in_full"]["basis"], "units");
        let v0 = t.get_json(&format!("{path}/0"), &t.admin_token).await;
        assert_eq!(v0["definitions"]["in_full"]["basis"], "line");
        t.get_problem(&format!("{path}/7"), &t.admin_token, 404)
            .await;
        t.get_problem(&format!("{path}/seven"), &t.admin_token, 404)
            .await;
        // An unknown field is refused, not ignored.
        let res = t
            .req(reqwest::Method::PUT, path, &t.admin_token)
            .json(&json!({"on_time": {"days_early": 0, "days_late": 0, "early_counts": true, "grace_hours": 4},
                          "in_full": {"basis": "line", "threshold_percent": 100}}))
            .send()
            .await
            .unwrap();
        assert!(
            res.status() == 400 || res.status() == 422,
            "{}",
            res.status()
        );
        assert_eq!(t.get_json(path, &t.admin_token).await["version"], 1);

        // The client reads its own tenant's terms and cannot change them; a warehouse is
        // measured by them and does not read them; another tenant's are absent.
        let client = t.token(Role::ClientManager, Some("alpha"), None).await;
        assert_eq!(t.get_json(path, &client).await["version"], 1);
        let res = t
            .req(reqwest::Method::PUT, path, &client)
            .json(&good)
            .send()
            .await
            .unwrap();
        problem(res, 403).await;
        let warehouse = t.token(Role::Warehouse, Some("alpha"), None).await;
        t.get_problem(path, &warehouse, 403).await;
        t.get_problem("/api/v1/tenants/beta/kpi-definitions", &client, 404)
            .await;
        // Stored versions are audited.
        let tenants = t.get_json("/api/v1/tenants", &t.admin_token).await;
        let alpha = tenants["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["slug"] == "alpha")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let audit = t
            .get_json(
                &format!("/api/v1/tenants/alpha/audit/kpi_definitions/{alpha}"),
                &t.admin_token,
            )
            .await;
        assert!(audit.to_string().contains("\"version\":1"), "{audit}");
    }
}
