//! A route's body limit holds whoever reads the body first: the handler's extractor, or the
//! idempotency middleware, which hashes a keyed request's body before the handler runs.

use crate::harness::*;
use reqwest::Method;

#[tokio::test]
async fn keyed_requests_are_read_under_their_routes_limit() {
    for t in spawn_alpha().await {
        // JSON allows trailing whitespace: 2 MiB of it is over the JSON limit (1 MiB) and well
        // within the tracking-event limit (16 MiB).
        let padding = " ".repeat(2 * 1024 * 1024);
        let at = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2)).to_string();
        let events = format!(
            r#"{{"events": [{{ "carrier": "UPSN", "tracking_number": "1ZPADDED", "occurred_at": "{at}", "status": "picked_up", "location": "Dallas TX" }}]}}{padding}"#
        );
        let order = format!("{}{padding}", order_body("PO-PADDED"));
        for key in [None, Some("padded")] {
            let send = |path: &str, body: String| {
                let mut r = t
                    .req(Method::POST, path, &t.admin_token)
                    .header("content-type", "application/json")
                    .body(body);
                if let Some(k) = key {
                    r = r.header("Idempotency-Key", format!("{k}-{path}"));
                }
                r.send()
            };
            let res = send("/api/v1/tenants/alpha/tracking-events", events.clone())
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                200,
                "key {key:?}: {}",
                res.text().await.unwrap()
            );
            let res = send("/api/v1/tenants/alpha/orders", order.clone())
                .await
                .unwrap();
            problem(res, 413).await;
        }
    }
}
