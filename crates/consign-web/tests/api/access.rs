//! Authentication and authorisation: 401, 403, 404 across tenants, sessions with CSRF,
//! revoked tokens, health, metrics and the OpenAPI document.

use crate::harness::*;
use consign_core::access::Role;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn no_credentials_is_401_and_a_bad_token_is_not_anonymous() {
    for t in spawn_alpha().await {
        t.http
            .get(t.url("/api/v1/tenants/alpha/orders"))
            .problem(401)
            .await;
        t.http
            .get(t.url("/api/v1/tenants/alpha/orders"))
            .bearer_auth("cst_0000")
            .problem(401)
            .await;
        t.http
            .get(t.url("/api/v1/tenants/alpha/orders"))
            .header("authorization", "Basic abc")
            .problem(401)
            .await;
    }
}

#[tokio::test]
async fn a_client_token_sees_404_for_another_tenants_order() {
    for t in spawn_alpha().await {
        t.tenant("beta").await;
        let res = t
            .post(
                "/api/v1/tenants/beta/orders",
                &t.admin_token,
                &order_body("B-1"),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", t.engine);
        let beta_order: Value = res.json().await.unwrap();
        let id = beta_order["id"].as_str().unwrap();

        let alpha_viewer = t.token(Role::ClientViewer, Some("alpha"), None).await;
        // Through the other tenant's path: the tenant itself is out of reach.
        let p = t
            .get_problem(
                &format!("/api/v1/tenants/beta/orders/{id}"),
                &alpha_viewer,
                404,
            )
            .await;
        // Through its own tenant's path with the other tenant's id: not found either.
        let q = t
            .get_problem(
                &format!("/api/v1/tenants/alpha/orders/{id}"),
                &alpha_viewer,
                404,
            )
            .await;
        assert_eq!(p["title"], q["title"]);
        // A tenant that does not exist answers exactly like one out of reach.
        let r = t
            .get_problem("/api/v1/tenants/nope/orders", &alpha_viewer, 404)
            .await;
        assert_eq!(r["title"], p["title"]);
        // And the listing does not leak it.
        let list: Value = t.get_json("/api/v1/tenants", &alpha_viewer).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        assert_eq!(list["items"][0]["slug"], "alpha");
        // The admin reaches it.
        assert_eq!(
            t.get(&format!("/api/v1/tenants/beta/orders/{id}"), &t.admin_token)
                .await
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn roles_and_scopes_are_403() {
    for t in spawn_alpha().await {
        let viewer = t.token(Role::ClientViewer, Some("alpha"), None).await;
        let p = t
            .post_problem(
                "/api/v1/tenants/alpha/orders",
                &viewer,
                &order_body("X-1"),
                403,
            )
            .await;
        assert!(detail(&p).contains("orders:write"), "{p}");
        let tenant = json!({"slug": "x", "name": "X"});
        t.post_problem("/api/v1/tenants", &viewer, &tenant, 403)
            .await;

        let read_only = t
            .token(Role::Integration, Some("alpha"), Some(vec!["orders:read"]))
            .await;
        assert_eq!(
            t.get("/api/v1/tenants/alpha/orders", &read_only)
                .await
                .status(),
            200
        );
        t.post_problem(
            "/api/v1/tenants/alpha/orders",
            &read_only,
            &order_body("X-2"),
            403,
        )
        .await;
        t.get_problem("/api/v1/tenants/alpha/shipments", &read_only, 403)
            .await;

        // Asking for a scope the role cannot hold is refused when the token is made.
        let res = t
            .post("/api/v1/tokens", &t.admin_token, &json!({"name": "bad", "role": "client_viewer", "tenant": "alpha", "scopes": ["orders:write"]}))
            .await;
        let p = problem(res, 422).await;
        assert_eq!(field_errors(&p)[0].0, "scopes[0]");
    }
}

#[tokio::test]
async fn tokens_are_shown_once_and_revocation_takes_effect() {
    for t in spawn_alpha().await {
        let res = t
            .post(
                "/api/v1/tokens",
                &t.admin_token,
                &json!({"name": "wms", "role": "integration", "tenant": "alpha"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        let secret = created["secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with("cst_"));
        assert_eq!(
            t.get("/api/v1/tenants/alpha/orders", &secret)
                .await
                .status(),
            200
        );
        let listed = t
            .get("/api/v1/tokens", &t.admin_token)
            .await
            .text()
            .await
            .unwrap();
        assert!(!listed.contains(&secret), "the secret is never listed");
        let id = created["id"].as_str().unwrap();
        let res = t
            .req(
                Method::DELETE,
                &format!("/api/v1/tokens/{id}"),
                &t.admin_token,
            )
            .sent()
            .await;
        assert_eq!(res.status(), 204);
        t.get_problem("/api/v1/tenants/alpha/orders", &secret, 401)
            .await;
    }
}

#[tokio::test]
async fn sessions_need_the_csrf_token_on_unsafe_requests() {
    for t in spawn_alpha().await {
        let res = t
            .post("/api/v1/users", &t.admin_token, &json!({"email": "Agent@Example.com", "name": "Agent", "role": "agent", "tenants": ["alpha"], "password": "a long enough password"}))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let jar = cookie_jar();
        let bad = jar
            .post(t.url("/api/v1/session"))
            .json(&json!({"email": "agent@example.com", "password": "wrong password!!"}))
            .sent()
            .await;
        problem(bad, 401).await;
        let res = jar
            .post(t.url("/api/v1/session"))
            .json(&json!({"email": "agent@example.com", "password": "a long enough password"}))
            .sent()
            .await;
        assert_eq!(res.status(), 201);
        let cookie = res
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let body: Value = res.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_string();

        assert_eq!(
            jar.get(t.url("/api/v1/tenants/alpha/orders"))
                .sent()
                .await
                .status(),
            200,
            "reads need no CSRF token"
        );
        let no_csrf = jar
            .post(t.url("/api/v1/tenants/alpha/orders"))
            .json(&order_body("S-1"))
            .sent()
            .await;
        let p = problem(no_csrf, 403).await;
        assert_eq!(p["type"], "urn:consign:problem:csrf");
        let wrong = jar
            .post(t.url("/api/v1/tenants/alpha/orders"))
            .header("x-csrf-token", "nope")
            .json(&order_body("S-1"))
            .sent()
            .await;
        problem(wrong, 403).await;
        let ok = jar
            .post(t.url("/api/v1/tenants/alpha/orders"))
            .header("x-csrf-token", &csrf)
            .json(&order_body("S-1"))
            .sent()
            .await;
        assert_eq!(ok.status(), 201);
        let order: Value = ok.json().await.unwrap();
        let who: Value = jar
            .get(t.url("/api/v1/session"))
            .sent()
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(who["role"], "agent");
        // The audit names the person who did it.
        let audit: Value = t.order_audit(order["id"].as_str().unwrap()).await;
        assert!(
            audit["items"][0]["actor"]
                .as_str()
                .unwrap()
                .starts_with("user:"),
            "{audit}"
        );

        let out = jar
            .delete(t.url("/api/v1/session"))
            .header("x-csrf-token", &csrf)
            .sent()
            .await;
        assert_eq!(out.status(), 204);
        problem(
            jar.get(t.url("/api/v1/tenants/alpha/orders")).sent().await,
            401,
        )
        .await;
    }
}

#[tokio::test]
async fn health_readiness_metrics_and_openapi() {
    for t in spawn_all().await {
        assert_eq!(t.public_text("/healthz").await, "ok");
        let ready = t.http.get(t.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 200);
        assert!(ready.text().await.unwrap().contains(t.engine));
        t.get("/api/v1/tenants", &t.admin_token).await;
        let metrics = t.public_text("/metrics").await;
        assert!(metrics.contains("consign_http_requests_total"), "{metrics}");
        let doc: Value = serde_json::from_str(&t.public_text("/api/openapi.json").await).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/api/v1/tenants/{tenant}/orders"]["post"].is_object());
        let ui = t.http.get(t.url("/api/docs/")).send().await.unwrap();
        assert_eq!(ui.status(), 200);
        assert!(
            ui.text().await.unwrap().contains("swagger"),
            "Swagger UI is served from the binary"
        );
        t.get_problem("/api/v1/nothing-here", &t.admin_token, 404)
            .await;
    }
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let cfg = consign_web::WebConfig {
        requests_per_minute: 5,
        ..Default::default()
    };
    for t in spawn_all_with(cfg.clone()).await {
        let mut last = None;
        for _ in 0..7 {
            last = Some(t.get("/api/v1/tenants", &t.admin_token).await);
        }
        let res = last.unwrap();
        assert!(res.headers().get("retry-after").is_some());
        problem(res, 429).await;
    }
}

#[tokio::test]
async fn narrowed_admin_tokens_cannot_mint_identities_and_cross_site_sign_in_is_refused() {
    for t in spawn_alpha().await {
        let scoped = t.token(Role::Admin, None, Some(vec!["users:manage"])).await;
        let body = json!({"email": "boss@example.com", "name": "Boss", "role": "admin", "password": "a long enough password"});
        let p = t.post_problem("/api/v1/users", &scoped, &body, 403).await;
        assert!(detail(&p).contains("without narrowed scopes"), "{p}");
        let bound = t.token(Role::Admin, Some("alpha"), None).await;
        let new_admin_token = json!({"name": "x", "role": "admin"});
        t.post_problem("/api/v1/tokens", &bound, &new_admin_token, 403)
            .await;
        t.get_problem("/api/v1/users", &bound, 403).await;
        // The unrestricted admin still may.
        assert_eq!(
            t.post("/api/v1/users", &t.admin_token, &body)
                .await
                .status(),
            201
        );
        let cross = t
            .http
            .post(t.url("/api/v1/session"))
            .header("origin", "https://evil.example")
            .json(&json!({"email": "boss@example.com", "password": "a long enough password"}))
            .sent()
            .await;
        problem(cross, 403).await;
        let same = t
            .http
            .post(t.url("/api/v1/session"))
            .header("origin", t.base.clone())
            .json(&json!({"email": "boss@example.com", "password": "a long enough password"}))
            .sent()
            .await;
        assert_eq!(same.status(), 201);
        let form = t
            .http
            .post(t.url("/login"))
            .header("sec-fetch-site", "cross-site")
            .form(&[
                ("email", "boss@example.com"),
                ("password", "a long enough password"),
            ])
            .sent()
            .await;
        assert_eq!(form.status(), 403);
    }
}
