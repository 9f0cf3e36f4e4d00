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
    /// The answer to the admin's creating a shipment in `alpha`.
    pub async fn post_shipment(&self, body: &Value) -> Response {
        let path = "/api/v1/tenants/alpha/shipments";
        self.post(path, &self.admin_token, body).await
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
    pub async fn browser_session(&self, user: serde_json::Value) -> (reqwest::Client, String) {
        let res = self.post("/api/v1/users", &self.admin_token, &user).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
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
    let apps = spawn_all().await;
    for t in &apps {
        t.tenant("alpha").await;
    }
    apps
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
