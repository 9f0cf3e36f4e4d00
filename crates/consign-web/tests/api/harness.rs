//! `spawn_app`: a server on 127.0.0.1:0 over a fresh store, an admin token, and a client.

use consign_app::App;
use consign_app::admin::NewToken;
use consign_app::messages::MessagingConfig;
use consign_core::access::{Principal, Role};
use consign_core::party::{Mode, NewCarrier};
use consign_core::tenant::NewTenant;
use consign_core::time::SystemClock;
use consign_store::DynStore;
use consign_web::WebConfig;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use std::sync::Arc;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub app: App,
    /// The same store the app uses, for tests that set up or inspect state directly.
    pub store: DynStore,
    pub admin_token: String,
    pub engine: &'static str,
    _guards: (Option<tempfile::TempDir>, tempfile::TempDir),
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
    /// The text of the page at `path` as `browser` (a signed-in client) receives it.
    pub async fn page(&self, browser: &reqwest::Client, path: &str) -> String {
        browser
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
    pub fn req(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }
    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.req(Method::GET, path, token).sent().await
    }
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.req(Method::POST, path, token).json(body).sent().await
    }
    /// The JSON body of a GET, whatever its status.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.get(path, token).await.json().await.unwrap()
    }
    /// The problem+json body of a GET refused with `status` (see [`problem`]).
    pub async fn get_problem(&self, path: &str, token: &str, status: u16) -> Value {
        problem(self.get(path, token).await, status).await
    }
    /// The problem+json body of a POST refused with `status` (see [`problem`]).
    pub async fn post_problem(&self, path: &str, token: &str, body: &Value, status: u16) -> Value {
        problem(self.post(path, token, body).await, status).await
    }
    /// The text of the page at `path` as anyone receives it, without credentials (health
    /// checks, metrics, the API's description).
    pub async fn public_text(&self, path: &str) -> String {
        let res = self.http.get(self.url(path)).sent().await;
        res.text().await.unwrap()
    }
    /// The version of alpha's case `id` as the admin reads it now.
    pub async fn case_version(&self, id: &str) -> i64 {
        let path = format!("/api/v1/tenants/alpha/cases/{id}");
        self.get_json(&path, &self.admin_token).await["version"]
            .as_i64()
            .unwrap()
    }
    /// Shipment `id`'s tracking in alpha (its status and events), as the admin reads it.
    pub async fn tracking_of(&self, id: &str) -> Value {
        let path = format!("/api/v1/tenants/alpha/shipments/{id}/tracking");
        self.get_json(&path, &self.admin_token).await
    }
    /// What the admin's creating the order `body` in alpha answers, whatever its status.
    pub async fn order_answer(&self, body: &Value) -> Value {
        let path = "/api/v1/tenants/alpha/orders";
        self.post_json(path, &self.admin_token, body).await
    }
    /// What the admin's creating the shipment `body` in alpha answers, whatever its status.
    pub async fn shipment_answer(&self, body: &Value) -> Value {
        let path = "/api/v1/tenants/alpha/shipments";
        self.post_json(path, &self.admin_token, body).await
    }
    /// The answer to the admin's creating a shipment in `alpha`.
    pub async fn post_shipment(&self, body: &Value) -> Response {
        let path = "/api/v1/tenants/alpha/shipments";
        self.post(path, &self.admin_token, body).await
    }
    /// The answer to the admin's posting the JSON array `events` to alpha's tracking-event
    /// batch endpoint, the way a carrier integration does.
    pub async fn post_tracking_events(&self, events: Value) -> Response {
        let path = "/api/v1/tenants/alpha/tracking-events";
        self.post(path, &self.admin_token, &json!({ "events": events }))
            .await
    }
    /// The audit trail of order `id` of `alpha`, as the admin sees it.
    pub async fn order_audit(&self, id: &str) -> Value {
        let path = format!("/api/v1/tenants/alpha/audit/order/{id}");
        self.get_json(&path, &self.admin_token).await
    }
    /// The JSON body of a POST, whatever its status.
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Value {
        self.post(path, token, body).await.json().await.unwrap()
    }
    /// Creates the user `user` (JSON as `POST /api/v1/users` takes it, with a password) and
    /// signs them in: a cookie-keeping client that does not follow redirects, and the
    /// session's CSRF token (what a browser's forms carry).
    /// The provider's administrator, root@provider.test, signed in from a browser: the
    /// browser and its session's CSRF token.
    pub async fn admin_browser(&self) -> (reqwest::Client, String) {
        self.browser_session(serde_json::json!({"email": "root@provider.test", "name": "Root", "role": "admin", "password": "a long enough password"}))
            .await
    }
    pub async fn browser_session(&self, user: serde_json::Value) -> (reqwest::Client, String) {
        let res = self.post("/api/v1/users", &self.admin_token, &user).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let browser = browser();
        let res = browser
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({"email": user["email"], "password": user["password"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let session: serde_json::Value = res.json().await.unwrap();
        let csrf = session["csrf_token"].as_str().unwrap().to_string();
        (browser, csrf)
    }

    /// The shipment the admin creates in `tenant` from [`shipment_body`] (no order), asserting
    /// it was made: the usual first step of a test about what happens to a shipment.
    pub async fn admin_shipment(&self, tenant: &str, tracking: &str) -> Value {
        let path = format!("/api/v1/tenants/{tenant}/shipments");
        ok(self
            .post(&path, &self.admin_token, &shipment_body(tracking, None))
            .await)
        .await
    }
    /// The case the admin opens by hand in `tenant` from `body`, asserting it was opened.
    pub async fn admin_case(&self, tenant: &str, body: &Value) -> Value {
        let path = format!("/api/v1/tenants/{tenant}/cases");
        ok(self.post(&path, &self.admin_token, body).await).await
    }
    /// The team `name` written by the admin (`PUT /api/v1/teams/{name}`), asserting it was
    /// saved: most case tests need a team to route to.
    pub async fn put_team(&self, name: &str, body: &Value) -> Value {
        let path = format!("/api/v1/teams/{name}");
        ok(self
            .req(Method::PUT, &path, &self.admin_token)
            .json(body)
            .sent()
            .await)
        .await
    }

    /// Creates a tenant with one carrier (SCAC `UPSN`).
    pub async fn tenant(&self, slug: &str) {
        let sys = Principal::system();
        let t = self
            .app
            .create_tenant(
                &sys,
                NewTenant {
                    slug: slug.into(),
                    name: slug.to_uppercase(),
                    time_zone: "America/Chicago".into(),
                },
            )
            .await
            .unwrap();
        self.app
            .create_carrier(
                &sys,
                &t,
                NewCarrier {
                    name: "UPS".into(),
                    scac: Some("UPSN".into()),
                    mode: Mode::Parcel,
                },
            )
            .await
            .unwrap();
    }
    pub async fn token(
        &self,
        role: Role,
        tenant: Option<&str>,
        scopes: Option<Vec<&str>>,
    ) -> String {
        let new = NewToken {
            name: "test".into(),
            role,
            tenant: tenant.map(String::from),
            carrier: None,
            scopes: scopes.map(|s| s.into_iter().map(String::from).collect()),
            expires_at: None,
        };
        self.app
            .create_token(&Principal::system(), new)
            .await
            .unwrap()
            .1
    }
}

pub async fn spawn_on(
    store: DynStore,
    sqlite_guard: Option<tempfile::TempDir>,
    cfg: WebConfig,
) -> TestApp {
    spawn_messaging_on(store, sqlite_guard, cfg, MessagingConfig::default()).await
}

/// [`spawn_on`] with the outbox's delivery settings (no delivery worker runs: tests run
/// delivery rounds themselves, or start the workers).
pub async fn spawn_messaging_on(
    store: DynStore,
    sqlite_guard: Option<tempfile::TempDir>,
    cfg: WebConfig,
    messaging: MessagingConfig,
) -> TestApp {
    let docs = tempfile::tempdir().unwrap();
    let engine = store.engine().name();
    let app = App::new(
        store.clone(),
        Arc::new(SystemClock),
        docs.path().to_path_buf(),
    )
    .with_messaging(messaging);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // As `serve` runs it: tracking ingests go through the group committer.
    let router = consign_web::router(app.clone().with_group_commit(), cfg);
    tokio::spawn(consign_web::serve(listener, router, std::future::pending()));
    let admin_token = app
        .create_token(
            &Principal::system(),
            NewToken {
                name: "admin".into(),
                role: Role::Admin,
                tenant: None,
                carrier: None,
                scopes: None,
                expires_at: None,
            },
        )
        .await
        .unwrap()
        .1;
    TestApp {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        app,
        store,
        admin_token,
        engine,
        _guards: (sqlite_guard, docs),
    }
}

/// One server per available engine (SQLite always; PostgreSQL when reachable, required in CI).
pub async fn spawn_all() -> Vec<TestApp> {
    spawn_all_with(WebConfig::default()).await
}

/// [`spawn_all`], each server with the tenant `alpha` (see [`TestApp::tenant`]): where most
/// tests start.
pub async fn spawn_alpha() -> Vec<TestApp> {
    spawn_tenants(&["alpha"]).await
}

/// [`spawn_all`], each server with the tenants `slugs` (see [`TestApp::tenant`]), made in
/// that order: for tests about who sees which tenant.
pub async fn spawn_tenants(slugs: &[&str]) -> Vec<TestApp> {
    let apps = spawn_all().await;
    for t in &apps {
        for slug in slugs {
            t.tenant(slug).await;
        }
    }
    apps
}

/// A cookie-keeping client that does not follow redirects: a browser whose every step the
/// test sees (sign-in redirects, `Location` headers).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A cookie-keeping client that follows redirects, as a browser does.
pub fn cookie_jar() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Asserts a 2xx answer and returns its JSON body (null when it has none).
pub async fn ok(res: Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// Sends a request the test expects an answer to: a transport failure panics.
pub trait Sent {
    /// The answer, whatever its status.
    fn sent(self) -> impl std::future::Future<Output = Response>;
    /// The answer's problem+json body, asserting it has `status` (see [`problem`]).
    fn problem(self, status: u16) -> impl std::future::Future<Output = Value>;
}

impl Sent for RequestBuilder {
    async fn sent(self) -> Response {
        self.send().await.expect("request")
    }
    async fn problem(self, status: u16) -> Value {
        problem(self.sent().await, status).await
    }
}

pub async fn spawn_all_with(cfg: WebConfig) -> Vec<TestApp> {
    let mut v = Vec::new();
    for (store, guard) in consign_store::testing::engines().await {
        v.push(spawn_on(store, guard, cfg.clone()).await);
    }
    v
}

pub fn order_body(external_ref: &str) -> Value {
    json!({
        "external_ref": external_ref,
        "customer": { "name": "Ann Lee", "email": "ann@example.com" },
        "ship_to": { "name": "Ann Lee", "line1": "1 Main St", "city": "Austin", "region": "TX", "postal_code": "78701", "country": "US" },
        "channel": "b2c",
        "lines": [
            { "sku": "SKU-1", "description": "Widget", "quantity": 2, "unit_price": "9.99" },
            { "sku": "SKU-2", "quantity": 1, "unit_price": "20.00" }
        ],
        "promised_by": (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(72)).to_string()
    })
}

pub fn shipment_body(tracking: &str, order: Option<&str>) -> Value {
    let mut v = json!({
        "carrier": "UPSN",
        "service_level": "ground",
        "tracking_number": tracking,
        "origin": { "city": "Dallas", "postal_code": "75201", "country": "US", "time_zone": "America/Chicago" },
        "destination": { "city": "Austin", "postal_code": "78701", "country": "US", "time_zone": "America/Chicago" },
        "weight_kg": "2.5",
        "pieces": 1
    });
    if let Some(o) = order {
        v["order"] = json!(o);
    }
    v
}

/// Asserts a problem+json answer with `status` and returns its body.
pub async fn problem(res: Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "unexpected status; body {body}");
    assert_eq!(ct, "application/problem+json", "body {body}");
    body
}

/// The `detail` of a problem, as text (panics if it has none).
pub fn detail(p: &Value) -> &str {
    p["detail"].as_str().unwrap()
}

/// The `errors` list of a problem as (field, reason) pairs.
pub fn field_errors(p: &Value) -> Vec<(String, String)> {
    p["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap().to_string(),
                        e["reason"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The string field `key` of every item of the JSON array `list`.
pub fn strs<'v>(list: &'v Value, key: &str) -> Vec<&'v str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item[key].as_str().unwrap())
        .collect()
}

/// The first item of the JSON array `list` whose field `key` is `value` (panics if none).
pub fn find_where<'v>(list: &'v Value, key: &str, value: &str) -> &'v Value {
    let items = list.as_array().unwrap();
    items.iter().find(|item| item[key] == value).unwrap()
}

/// How many items of the JSON array `list` have `value` in their field `key`.
pub fn count_where(list: &Value, key: &str, value: &str) -> usize {
    let items = list.as_array().unwrap();
    items.iter().filter(|item| item[key] == value).count()
}

/// The items of the JSON array `list` whose field `key` is `value`.
pub fn items_where<'v>(list: &'v Value, key: &str, value: &str) -> Vec<&'v Value> {
    let items = list.as_array().unwrap();
    items.iter().filter(|item| item[key] == value).collect()
}
