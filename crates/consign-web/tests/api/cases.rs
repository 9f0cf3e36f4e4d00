//! Case work over HTTP: the queue, opening by hand, taking, notes, waiting on the customer,
//! resolving with a code, reopening; `If-Match` and 412; who sees and does what; bulk
//! actions; settings and SLA timers; KPIs.

use crate::harness::{Sent, TestApp, field_errors, problem, shipment_body, spawn_all};
use reqwest::Response;
use serde_json::{Value, json};

/// A person signed in with a cookie session (what the dashboard uses), with their CSRF token.
pub(crate) struct Person {
    pub(crate) http: reqwest::Client,
    pub(crate) csrf: String,
    pub(crate) id: String,
    base: String,
}

impl Person {
    pub(crate) async fn new(t: &TestApp, email: &str, role: &str, tenants: &[&str]) -> Person {
        let res = t
            .post(
                "/api/v1/users",
                &t.admin_token,
                &json!({"email": email, "name": email, "role": role, "tenants": tenants,
                        "password": "a long enough password"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let user: Value = res.json().await.unwrap();
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let res = http
            .post(t.url("/api/v1/session"))
            .json(&json!({"email": email, "password": "a long enough password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        Person {
            http,
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
            id: user["id"].as_str().unwrap().to_string(),
            base: t.base.clone(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Response {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(body);
        if let Some(v) = if_match {
            r = r.header("if-match", v);
        }
        r.send().await.unwrap()
    }

    async fn post(&self, path: &str, body: &Value) -> Response {
        self.send(reqwest::Method::POST, path, body, None).await
    }

    /// An action on a case; with `version`, sent with `If-Match`.
    async fn act(&self, case: &str, body: Value, version: Option<i64>) -> Response {
        let tag = version.map(|v| format!("\"{v}\""));
        self.send(
            reqwest::Method::POST,
            &format!("/api/v1/tenants/alpha/cases/{case}/actions"),
            &body,
            tag.as_deref(),
        )
        .await
    }
}

pub(crate) async fn ok(res: Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn kinds(view: &Value) -> Vec<String> {
    view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

struct Desk {
    agent: Person,
    agent2: Person,
    supervisor: Person,
    client: Person,
    shipment: String,
}

/// Tenant alpha with a shipment, two agents and a supervisor in team `exceptions`, and a
/// client manager.
async fn desk(t: &TestApp) -> Desk {
    t.tenant("alpha").await;
    let agent = Person::new(t, "ann@provider.test", "agent", &["alpha"]).await;
    let agent2 = Person::new(t, "bob@provider.test", "agent", &["alpha"]).await;
    let supervisor = Person::new(t, "sue@provider.test", "supervisor", &["alpha"]).await;
    let client = Person::new(t, "cm@client.test", "client_manager", &["alpha"]).await;
    for (team, members) in [
        ("exceptions", vec![&agent.id, &agent2.id]),
        ("supervisors", vec![&supervisor.id]),
    ] {
        let members: Vec<Value> = members
            .into_iter()
            .map(|u| json!({"user": u, "on_shift": true}))
            .collect();
        let res = t
            .req(reqwest::Method::PUT, &format!("/api/v1/teams/{team}"), &t.admin_token)
            .json(&json!({"name": team, "description": "desk", "assignment": "manual", "members": members}))
            .send()
            .await
            .unwrap();
        ok(res).await;
    }
    let s = ok(t
        .post(
            "/api/v1/tenants/alpha/shipments",
            &t.admin_token,
            &shipment_body("1ZCASE001", None),
        )
        .await)
    .await;
    Desk {
        agent,
        agent2,
        supervisor,
        client,
        shipment: s["id"].as_str().unwrap().to_string(),
    }
}

pub(crate) fn new_case(shipment: &str) -> Value {
    json!({
        "subject": {"shipment": shipment},
        "case_type": "damaged",
        "severity": "high",
        "accountable": "carrier",
        "team": "exceptions",
        "description": "Customer reports a crushed box"
    })
}

#[tokio::test]
async fn an_agent_takes_a_case_from_the_queue_to_resolution() {
    for t in spawn_all().await {
        let d = desk(&t).await;
        let res = d
            .agent
            .post("/api/v1/tenants/alpha/cases", &new_case(&d.shipment))
            .await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["etag"], "\"1\"");
        let case = ok(res).await;
        let id = case["id"].as_str().unwrap().to_string();
        assert_eq!(case["status"], "open");
        assert_eq!(case["timeline"][0]["actor"], format!("user:{}", d.agent.id));

        // The team's queue, unassigned, by SLA deadline.
        let queue = ok(d
            .agent
            .get("/api/v1/tenants/alpha/cases?open=true&team=exceptions&assignee=none&sort=sla")
            .await)
        .await;
        assert_eq!(queue["items"][0]["id"], id.as_str(), "{queue}");

        // Ann takes it; Bob, who saw version 1 too, is refused with the case as it is now.
        let took = ok(d
            .agent
            .act(
                &id,
                json!({"action": "assign", "assignee": d.agent.id}),
                Some(1),
            )
            .await)
        .await;
        assert_eq!(took["version"], 2);
        let stale = problem(
            d.agent2
                .act(
                    &id,
                    json!({"action": "assign", "assignee": d.agent2.id}),
                    Some(1),
                )
                .await,
            412,
        )
        .await;
        assert_eq!(stale["current"]["version"], 2, "{stale}");
        assert_eq!(stale["current"]["assignee"], d.agent.id.as_str());
        // Without If-Match Bob still may not take Ann's case: reassigning is a supervisor's.
        problem(
            d.agent2
                .act(
                    &id,
                    json!({"action": "assign", "assignee": d.agent2.id}),
                    None,
                )
                .await,
            403,
        )
        .await;

        ok(d.agent
            .act(
                &id,
                json!({"action": "note", "text": "Depot says the box was wet"}),
                Some(2),
            )
            .await)
        .await;
        let ext = ok(d
            .agent
            .act(
                &id,
                json!({"action": "note", "text": "We are on it", "visibility": "external"}),
                None,
            )
            .await)
        .await;
        assert!(ext["first_response_at"].is_string(), "{ext}");
        let waiting = ok(d
            .agent
            .act(
                &id,
                json!({"action": "change_status", "to": "waiting_customer"}),
                None,
            )
            .await)
        .await;
        assert_eq!(waiting["status"], "waiting_customer");

        // The client manager sees the external part only, and answers.
        let seen = ok(d
            .client
            .get(&format!("/api/v1/tenants/alpha/cases/{id}"))
            .await)
        .await;
        let text = seen.to_string();
        assert!(
            !text.contains("box was wet"),
            "internal note leaked: {text}"
        );
        assert!(text.contains("We are on it"));
        assert!(!kinds(&seen).contains(&"assigned".to_string()), "{seen}");
        let answered = ok(d
            .client
            .act(
                &id,
                json!({"action": "answer", "text": "Photos attached to the e-mail"}),
                None,
            )
            .await)
        .await;
        assert!(kinds(&answered).contains(&"message_in".to_string()));
        // The answer ends the wait on the customer: the case is open again, its clocks run.
        assert_eq!(answered["status"], "open", "{answered}");
        problem(
            d.client
                .act(
                    &id,
                    json!({"action": "note", "text": "x", "visibility": "internal"}),
                    None,
                )
                .await,
            403,
        )
        .await;
        problem(
            d.client
                .act(&id, json!({"action": "change_status", "to": "open"}), None)
                .await,
            403,
        )
        .await;

        // Resolved with a code (none: refused).
        let p = problem(
            d.agent.act(&id, json!({"action": "resolve"}), None).await,
            422,
        )
        .await;
        assert!(p.to_string().contains("code"), "{p}");
        let p = problem(
            d.agent
                .act(&id, json!({"action": "resolve", "code": "fixed"}), None)
                .await,
            422,
        )
        .await;
        assert!(p.to_string().contains("fixed"), "{p}");
        let resolved = ok(d
            .agent
            .act(
                &id,
                json!({"action": "resolve", "code": "customer_informed"}),
                None,
            )
            .await)
        .await;
        assert_eq!(resolved["status"], "resolved");
        assert_eq!(resolved["resolution"], "customer_informed");
        let p = problem(
            d.agent
                .act(
                    &id,
                    json!({"action": "change_status", "to": "waiting_carrier"}),
                    None,
                )
                .await,
            409,
        )
        .await;
        assert_eq!(
            p["detail"],
            "a case in status resolved cannot change status to waiting_carrier"
        );
        let reopened = ok(d
            .agent
            .act(
                &id,
                json!({"action": "reopen", "reason": "Customer found a second damaged item"}),
                None,
            )
            .await)
        .await;
        assert_eq!(
            (
                reopened["status"].as_str(),
                reopened["reopen_count"].as_i64()
            ),
            (Some("open"), Some(1))
        );
        let kinds_now = kinds(&reopened);
        for k in [
            "created",
            "assigned",
            "note",
            "status_changed",
            "message_in",
            "resolved",
            "reopened",
        ] {
            assert!(
                kinds_now.contains(&k.to_string()),
                "{k} missing: {kinds_now:?}"
            );
        }

        // A supervisor reassigns; an assignee outside the team is refused by name.
        let p = problem(
            d.supervisor
                .act(
                    &id,
                    json!({"action": "assign", "team": "exceptions", "assignee": d.supervisor.id}),
                    None,
                )
                .await,
            422,
        )
        .await;
        assert_eq!(field_errors(&p)[0].0, "assignee");
        let moved = ok(d
            .supervisor
            .act(
                &id,
                json!({"action": "assign", "assignee": d.agent2.id}),
                None,
            )
            .await)
        .await;
        assert_eq!(moved["assignee"], d.agent2.id.as_str());

        // Every action is audited under its person.
        let audit = ok(t
            .get(
                &format!("/api/v1/tenants/alpha/audit/case/{id}"),
                &t.admin_token,
            )
            .await)
        .await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for a in [
            "opened_by_hand",
            "assign",
            "note",
            "change_status",
            "resolve",
            "reopen",
        ] {
            assert!(actions.contains(&a), "{a} not audited: {actions:?}");
        }

        // Another tenant's case is not found, whoever asks.
        t.tenant("beta").await;
        let other = ok(t
            .post(
                "/api/v1/tenants/beta/shipments",
                &t.admin_token,
                &shipment_body("1ZBETA01", None),
            )
            .await)
        .await;
        let beta_case = ok(t
            .post(
                "/api/v1/tenants/beta/cases",
                &t.admin_token,
                &json!({"subject": {"shipment": other["id"]}, "case_type": "damaged", "severity": "low",
                        "accountable": "carrier", "description": "x"}),
            )
            .await)
        .await;
        let bid = beta_case["id"].as_str().unwrap();
        problem(
            d.agent
                .get(&format!("/api/v1/tenants/alpha/cases/{bid}"))
                .await,
            404,
        )
        .await;
        problem(
            d.agent
                .act(bid, json!({"action": "acknowledge"}), None)
                .await,
            404,
        )
        .await;
        problem(
            d.agent
                .post("/api/v1/tenants/alpha/cases", &json!({"subject": {"shipment": other["id"]},
                    "case_type": "damaged", "severity": "low", "accountable": "carrier", "description": "x"}))
                .await,
            404,
        )
        .await;
    }
}

#[tokio::test]
async fn two_agents_acting_at_once_lose_no_action() {
    for t in spawn_all().await {
        let d = desk(&t).await;
        let case = ok(d
            .agent
            .post("/api/v1/tenants/alpha/cases", &new_case(&d.shipment))
            .await)
        .await;
        let id = case["id"].as_str().unwrap().to_string();
        for round in 0..5 {
            let view = ok(d
                .agent
                .get(&format!("/api/v1/tenants/alpha/cases/{id}"))
                .await)
            .await;
            let v = view["version"].as_i64().unwrap();
            let (a, b) = tokio::join!(
                d.agent.act(
                    &id,
                    json!({"action": "note", "text": format!("ann {round}")}),
                    Some(v)
                ),
                d.agent2.act(
                    &id,
                    json!({"action": "note", "text": format!("bob {round}")}),
                    Some(v)
                ),
            );
            let mut codes = [a.status().as_u16(), b.status().as_u16()];
            codes.sort();
            assert_eq!(codes, [200, 412], "{}: round {round}", t.engine);
            let after = ok(d
                .agent
                .get(&format!("/api/v1/tenants/alpha/cases/{id}"))
                .await)
            .await;
            assert_eq!(
                after["version"].as_i64().unwrap(),
                v + 1,
                "exactly one write"
            );
            let notes = after["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "note")
                .count();
            assert_eq!(
                notes,
                round + 1,
                "the winner's note is kept, the loser's not half-written"
            );
        }
    }
}

#[tokio::test]
async fn bulk_actions_are_all_or_nothing_over_the_selection_seen() {
    for t in spawn_all().await {
        let d = desk(&t).await;
        let mut ids = Vec::new();
        for i in 0..3 {
            let s = ok(t
                .post(
                    "/api/v1/tenants/alpha/shipments",
                    &t.admin_token,
                    &shipment_body(&format!("1ZBULK{i}"), None),
                )
                .await)
            .await;
            let c = ok(d
                .agent
                .post(
                    "/api/v1/tenants/alpha/cases",
                    &new_case(s["id"].as_str().unwrap()),
                )
                .await)
            .await;
            ids.push(c["id"].as_str().unwrap().to_string());
        }
        let filter = json!({"team": "exceptions", "open": "true"});
        // An agent may not act in bulk.
        problem(
            d.agent
                .post(
                    "/api/v1/tenants/alpha/cases/bulk",
                    &json!({"filter": filter, "expected": ids,
                    "action": {"action": "assign", "assignee": d.agent.id}}),
                )
                .await,
            403,
        )
        .await;
        // A selection that changed meanwhile changes nothing.
        let p = problem(
            d.supervisor
                .post(
                    "/api/v1/tenants/alpha/cases/bulk",
                    &json!({"filter": filter, "expected": &ids[..2],
                    "action": {"action": "assign", "assignee": d.agent2.id}}),
                )
                .await,
            409,
        )
        .await;
        assert!(
            p["detail"].as_str().unwrap().contains("selection changed"),
            "{p}"
        );
        let unassigned = ok(d
            .supervisor
            .get("/api/v1/tenants/alpha/cases?assignee=none")
            .await)
        .await;
        assert_eq!(unassigned["items"].as_array().unwrap().len(), 3);
        let done = ok(d
            .supervisor
            .post(
                "/api/v1/tenants/alpha/cases/bulk",
                &json!({"filter": filter, "expected": ids,
                "action": {"action": "assign", "assignee": d.agent2.id}}),
            )
            .await)
        .await;
        assert_eq!(done["changed"], 3);
        let mine = ok(d
            .agent2
            .get(&format!(
                "/api/v1/tenants/alpha/cases?assignee={}",
                d.agent2.id
            ))
            .await)
        .await;
        assert_eq!(mine["items"].as_array().unwrap().len(), 3);
        // Resolving is not a bulk action.
        problem(
            d.supervisor
                .post(
                    "/api/v1/tenants/alpha/cases/bulk",
                    &json!({"filter": filter, "expected": ids,
                    "action": {"action": "resolve", "code": "duplicate"}}),
                )
                .await,
            422,
        )
        .await;
    }
}

#[tokio::test]
async fn settings_drive_the_sla_clocks_and_a_breach_climbs_the_ladder() {
    for t in spawn_all().await {
        let d = desk(&t).await;
        let put = |body: Value| {
            t.req(
                reqwest::Method::PUT,
                "/api/v1/tenants/alpha/case-settings",
                &t.admin_token,
            )
            .json(&body)
            .send()
        };
        // Refused with every problem named.
        let p = problem(
            put(json!({
                "calendars": {"office": {"time_zone": "Europe/Atlantis", "hours": [
                    {"weekday": "monday", "open": "09:00", "close": "17:00"},
                    {"weekday": "monday", "open": "12:00", "close": "18:00"}]}},
                "policies": {"rules": [{"name": "p", "calendar": "office", "resolution": {"minutes": -5}}]},
                "ownership": {"rows": [{"case_type": "damaged", "team": "nobody-here"}]}
            }))
            .await
            .unwrap(),
            422,
        )
        .await;
        let fields: Vec<String> = field_errors(&p).into_iter().map(|(f, _)| f).collect();
        for f in [
            "calendars.office.time_zone",
            "policies.rules[0].resolution.minutes",
            "ownership.rows[0].team",
        ] {
            assert!(fields.contains(&f.to_string()), "{f} not named: {fields:?}");
        }
        assert!(
            fields
                .iter()
                .any(|f| f.starts_with("calendars.office.hours")),
            "{fields:?}"
        );
        // 24×7 targets of minutes, so the test does not wait on office hours.
        let stored = ok(put(json!({
            "policies": {"rules": [{"name": "fast", "first_response": {"minutes": 10, "business": false},
                "resolution": {"minutes": 60, "business": false}}]}
        }))
        .await
        .unwrap())
        .await;
        assert_eq!(stored["version"], 1);
        let case = ok(d
            .agent
            .post("/api/v1/tenants/alpha/cases", &new_case(&d.shipment))
            .await)
        .await;
        let id = case["id"].as_str().unwrap().to_string();
        assert!(case["sla_due_at"].is_string(), "{case}");
        let metrics: Vec<&str> = case["sla"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["metric"].as_str().unwrap())
            .collect();
        assert_eq!(metrics, ["first_response", "resolution"], "{case}");
        assert_eq!(case["sla"][0]["state"], "running");
        assert_eq!(case["sla"][0]["target_minutes"], 10);
        let opened: jiff::Timestamp = case["opened_at"].as_str().unwrap().parse().unwrap();
        // 8 minutes on: first response warned (75 % of 10); 11: breached, step 1; 72: two
        // more steps, and the resolution breached too.
        let at = |m: i64| opened + jiff::SignedDuration::from_mins(m);
        let s = t.app.sweep_all_case_timers(at(8), 100).await.unwrap();
        assert_eq!(s.warnings, 1);
        let s = t.app.sweep_all_case_timers(at(8), 100).await.unwrap();
        assert_eq!((s.warnings, s.breaches), (0, 0), "a timer fires once");
        t.app.sweep_all_case_timers(at(11), 100).await.unwrap();
        t.app.sweep_all_case_timers(at(72), 100).await.unwrap();
        t.app.sweep_all_case_timers(at(400), 100).await.unwrap();
        let view = ok(d
            .supervisor
            .get(&format!("/api/v1/tenants/alpha/cases/{id}"))
            .await)
        .await;
        let k = kinds(&view);
        let count = |name: &str| k.iter().filter(|x| *x == name).count();
        assert_eq!(
            (
                count("sla_warning"),
                count("sla_breached"),
                count("escalated")
            ),
            (2, 2, 3),
            "{k:?}"
        );
        assert_eq!(view["owner_team"], "supervisors");
        assert_eq!(
            view["severity"], "critical",
            "raised one step by the ladder"
        );
        assert_eq!(view["escalation_level"], 3);
        // Step 3 told the client manager, through the outbox (the case had no assignee for
        // step 1 to tell).
        let sent = ok(d
            .supervisor
            .get(&format!("/api/v1/tenants/alpha/cases/{id}/messages"))
            .await)
        .await;
        let notices: Vec<&Value> = sent["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == "escalation_notice")
            .collect();
        assert_eq!(notices.len(), 1, "{sent}");
        assert_eq!(notices[0]["recipient"], "cm@client.test");
        assert!(
            notices[0]["subject"]
                .as_str()
                .unwrap()
                .contains("escalation step 3"),
            "{sent}"
        );
        // Real time has not moved: the clocks the API shows are as of now, not the sweeps'.
        assert_eq!(view["sla"][0]["state"], "running", "{view}");
        // The client does not see how the provider works the case.
        let seen = ok(d
            .client
            .get(&format!("/api/v1/tenants/alpha/cases/{id}"))
            .await)
        .await;
        assert!(
            !kinds(&seen)
                .iter()
                .any(|k| k.starts_with("sla_") || k == "escalated")
        );
    }
}

/// Two servers on one PostgreSQL sweep the same due timers at the same instants: every
/// warning, breach, escalation step and automatic close is recorded exactly once.
#[tokio::test]
async fn two_servers_on_one_postgres_fire_every_timer_once() {
    use consign_core::access::Principal;
    use consign_core::time::SystemClock;
    let Some(url) = consign_store::testing::fresh_postgres_url().await else {
        eprintln!("SKIPPED: no PostgreSQL (required under CI=true)");
        return;
    };
    let server = |store| {
        consign_app::App::new(
            store,
            std::sync::Arc::new(SystemClock),
            std::env::temp_dir(),
        )
    };
    let a = server(consign_store::open(&url).await.unwrap());
    let b = server(consign_store::open(&url).await.unwrap());
    let sys = Principal::system();
    let t = a
        .create_tenant(
            &sys,
            consign_core::tenant::NewTenant {
                slug: "alpha".into(),
                name: "Alpha".into(),
                time_zone: "UTC".into(),
            },
        )
        .await
        .unwrap();
    let carrier = a
        .create_carrier(
            &sys,
            &t,
            consign_core::party::NewCarrier {
                name: "UPS".into(),
                scac: Some("UPSN".into()),
                mode: consign_core::party::Mode::Parcel,
            },
        )
        .await
        .unwrap();
    let settings: consign_core::case::settings::CaseSettings = serde_json::from_value(json!({
        "policies": {"rules": [{"name": "fast", "first_response": {"minutes": 10, "business": false},
            "resolution": {"minutes": 60, "business": false}}]},
        "close_after_days": 1
    }))
    .unwrap();
    a.put_case_settings(&sys, &t, settings).await.unwrap();
    let n = 60;
    let mut ids = Vec::new();
    for i in 0..n {
        let (c, _) = a
            .open_case(
                &sys,
                &t,
                consign_app::cases::actions::ManualCase {
                    subject: consign_core::case::CaseSubject::Carrier(carrier.id),
                    case_type: format!("check_{i}"),
                    severity: consign_core::case::Severity::Medium,
                    accountable: "carrier".into(),
                    team: None,
                    assignee: None,
                    description: "x".into(),
                },
            )
            .await
            .unwrap();
        ids.push(c.id);
    }
    // Half the cases are resolved at once, so the automatic close fires for them too.
    for id in ids.iter().step_by(2) {
        a.act_on_case(
            &sys,
            &t,
            *id,
            consign_core::case::work::CaseAction::Resolve {
                code: consign_core::case::ResolutionCode::NoActionNeeded,
                condition_ended_at: None,
            },
            None,
        )
        .await
        .unwrap();
    }
    let start = a.now();
    for m in [8, 11, 50, 72, 140, 260, 2_000] {
        let at = start + jiff::SignedDuration::from_mins(m);
        // Small batches, so the two servers interleave over the same due rows.
        let (ra, rb) = tokio::join!(
            a.sweep_all_case_timers(at, 7),
            b.sweep_all_case_timers(at, 7)
        );
        ra.unwrap();
        rb.unwrap();
    }
    for (k, id) in ids.iter().enumerate() {
        let (case, timeline) = a.get_case(&sys, &t, *id).await.unwrap();
        let seqs: Vec<u32> = timeline.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (1..=timeline.len() as u32).collect::<Vec<_>>(),
            "no gap, no repeat"
        );
        let count = |kind: &str, field: Option<&str>| {
            timeline
                .iter()
                .filter(|e| {
                    e.kind.as_str() == kind && (field.is_none() || e.field.as_deref() == field)
                })
                .count()
        };
        if k % 2 == 0 {
            assert_eq!(case.status.as_str(), "closed");
            assert_eq!(count("closed", None), 1, "{timeline:?}");
            assert_eq!(count("sla_warning", None), 0);
        } else {
            for m in ["first_response", "resolution"] {
                assert_eq!(count("sla_warning", Some(m)), 1, "{m}: {timeline:?}");
                assert_eq!(count("sla_breached", Some(m)), 1, "{m}: {timeline:?}");
            }
            let levels: Vec<String> = timeline
                .iter()
                .filter(|e| e.kind.as_str() == "escalated")
                .filter_map(|e| e.after.clone())
                .collect();
            assert_eq!(levels, ["1", "2", "3"], "{timeline:?}");
            assert_eq!(case.escalation_level, 3);
        }
    }
}

/// A resolved case cannot come back beside a newer open case of its type on the same
/// subject: the reopening is refused by name, and nothing changes.
#[tokio::test]
async fn a_reopening_is_refused_when_a_newer_case_covers_the_subject() {
    for t in spawn_all().await {
        let d = desk(&t).await;
        let first = ok(d
            .agent
            .post("/api/v1/tenants/alpha/cases", &new_case(&d.shipment))
            .await)
        .await;
        let id = first["id"].as_str().unwrap().to_string();
        ok(d.agent
            .act(
                &id,
                json!({"action": "resolve", "code": "claim_filed"}),
                None,
            )
            .await)
        .await;
        // A second damage report on the same shipment: a new case, allowed now.
        ok(d.agent
            .post("/api/v1/tenants/alpha/cases", &new_case(&d.shipment))
            .await)
        .await;
        let p = problem(
            d.agent
                .act(
                    &id,
                    json!({"action": "reopen", "reason": "more damage found"}),
                    None,
                )
                .await,
            409,
        )
        .await;
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("cannot be reopened: a newer open case"),
            "{p}"
        );
        let still = ok(d
            .agent
            .get(&format!("/api/v1/tenants/alpha/cases/{id}"))
            .await)
        .await;
        assert_eq!(
            (still["status"].as_str(), still["reopen_count"].as_i64()),
            (Some("resolved"), Some(0))
        );
    }
}

#[tokio::test]
async fn tagged_cases_are_found_by_their_tag() {
    for t in spawn_all().await {
        let d = desk(&t).await;
        let case = ok(d
            .agent
            .post("/api/v1/tenants/alpha/cases", &new_case(&d.shipment))
            .await)
        .await;
        let id = case["id"].as_str().unwrap().to_string();
        let tagged = ok(d
            .agent
            .act(
                &id,
                json!({"action": "set_tags", "tags": ["VIP", "claim-filed"]}),
                None,
            )
            .await)
        .await;
        assert_eq!(
            tagged["tags"],
            json!(["claim-filed", "vip"]),
            "{}",
            t.engine
        );
        let found = ok(d.agent.get("/api/v1/tenants/alpha/cases?tag=vip").await).await;
        assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
        let none = ok(d.agent.get("/api/v1/tenants/alpha/cases?tag=vi").await).await;
        assert!(
            none["items"].as_array().unwrap().is_empty(),
            "whole tags only: {none}"
        );
        let p = problem(
            d.agent
                .act(
                    &id,
                    json!({"action": "set_tags", "tags": ["ok", "two words"]}),
                    None,
                )
                .await,
            422,
        )
        .await;
        assert!(field_errors(&p).iter().any(|(f, _)| f == "tags[1]"), "{p}");
        problem(
            d.client
                .act(&id, json!({"action": "set_tags", "tags": []}), None)
                .await,
            403,
        )
        .await;
    }
}

/// A warehouse identity sees the cases the warehouse is accountable for, and those that
/// wait on its answer; nothing else, and only their external side. It answers; it does not
/// work cases or read the tenant's KPIs.
#[tokio::test]
async fn a_warehouse_sees_and_answers_only_the_cases_facing_it() {
    for t in spawn_all().await {
        let d = desk(&t).await;
        let dock = Person::new(&t, "dock@warehouse.test", "warehouse", &["alpha"]).await;
        let carriers = ok(d
            .agent
            .post("/api/v1/tenants/alpha/cases", &new_case(&d.shipment))
            .await)
        .await;
        let mut short = new_case(&d.shipment);
        short["case_type"] = json!("short_shipped");
        short["accountable"] = json!("warehouse");
        let ours = ok(d.agent.post("/api/v1/tenants/alpha/cases", &short).await).await;
        let (carriers, ours) = (
            carriers["id"].as_str().unwrap().to_string(),
            ours["id"].as_str().unwrap().to_string(),
        );
        ok(d.agent
            .act(
                &ours,
                json!({"action": "note", "text": "Picker on leave", "visibility": "internal"}),
                None,
            )
            .await)
        .await;

        let list = ok(dock.get("/api/v1/tenants/alpha/cases").await).await;
        let ids: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![ours.as_str()], "{}: {list}", t.engine);
        // Asking for the carrier's case by filter or by id changes nothing.
        let list = ok(dock
            .get("/api/v1/tenants/alpha/cases?accountable=carrier")
            .await)
        .await;
        assert!(list["items"].as_array().unwrap().is_empty(), "{list}");
        problem(
            dock.get(&format!("/api/v1/tenants/alpha/cases/{carriers}"))
                .await,
            404,
        )
        .await;
        let seen = ok(dock
            .get(&format!("/api/v1/tenants/alpha/cases/{ours}"))
            .await)
        .await;
        assert!(
            !seen.to_string().contains("Picker on leave"),
            "internal note leaked: {seen}"
        );

        // Once the agent waits on the warehouse for the carrier's case, it faces the
        // warehouse too; the warehouse's answer ends the wait.
        ok(d.agent
            .act(
                &carriers,
                json!({"action": "change_status", "to": "waiting_warehouse"}),
                None,
            )
            .await)
        .await;
        let answered = ok(dock
            .act(
                &carriers,
                json!({"action": "answer", "text": "Loaded at door 4, photo on file"}),
                None,
            )
            .await)
        .await;
        assert_eq!(answered["status"], "open", "{answered}");
        assert!(kinds(&answered).contains(&"message_in".to_string()));
        // Open again, and the carrier's: out of the warehouse's sight once more.
        problem(
            dock.get(&format!("/api/v1/tenants/alpha/cases/{carriers}"))
                .await,
            404,
        )
        .await;

        problem(
            dock.act(
                &ours,
                json!({"action": "change_status", "to": "waiting_carrier"}),
                None,
            )
            .await,
            403,
        )
        .await;
        problem(
            dock.act(
                &ours,
                json!({"action": "note", "text": "x", "visibility": "internal"}),
                None,
            )
            .await,
            403,
        )
        .await;
        problem(
            dock.get("/api/v1/tenants/alpha/kpis/cases?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z")
                .await,
            403,
        )
        .await;
    }
}

/// The dashboard's case forms (the case page's actions and the queue's bulk form) take a
/// session's CSRF token, name what is wrong with a form, and change nothing when refused.
#[tokio::test]
async fn the_dashboard_forms_refuse_bad_input_and_change_nothing() {
    for t in spawn_all().await {
        let d = desk(&t).await;
        let case = t
            .post_json(
                "/api/v1/tenants/alpha/cases",
                &t.admin_token,
                &new_case(&d.shipment),
            )
            .await;
        let id = case["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{case}"))
            .to_string();
        let (browser, csrf) = t
            .browser_session(json!({"email": "boss@provider.test", "name": "Boss", "role": "admin", "password": "a long enough password"}))
            .await;
        let version = || async {
            t.get_json(&format!("/api/v1/tenants/alpha/cases/{id}"), &t.admin_token)
                .await["version"]
                .as_i64()
                .unwrap()
        };
        let v0 = version().await;
        let page = format!("/app/alpha/cases/{id}");
        let v0s = v0.to_string();
        let form =
            |fields: Vec<(&'static str, String)>| browser.post(t.url(&page)).form(&fields).sent();

        // No token, a wrong one: refused before anything is read.
        let res = form(vec![("version", v0s.clone()), ("action", "close".into())]).await;
        assert_eq!(res.status(), 403, "{}", t.engine);
        let res = form(vec![
            ("csrf", "nope".into()),
            ("version", v0s.clone()),
            ("action", "acknowledge".into()),
        ])
        .await;
        assert_eq!(res.status(), 403);
        // An action the page does not have, an empty note, a stale version: each explained
        // on the page.
        let res = form(vec![
            ("csrf", csrf.clone()),
            ("version", v0s.clone()),
            ("action", "delete".into()),
        ])
        .await;
        let body = res.text().await.unwrap();
        assert!(
            body.contains("delete") && body.contains("is not an action of this page"),
            "{body}"
        );
        let res = form(vec![
            ("csrf", csrf.clone()),
            ("version", v0s.clone()),
            ("action", "note".into()),
            ("text", "   ".into()),
        ])
        .await;
        assert_eq!(res.status(), 422, "{}", t.engine);
        assert!(res.text().await.unwrap().contains("id=\"problem\""));
        let res = form(vec![
            ("csrf", csrf.clone()),
            ("version", (v0 - 1).to_string()),
            ("action", "acknowledge".into()),
        ])
        .await;
        assert_eq!(res.status(), 409);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("changed while you had it open")
        );
        assert_eq!(
            version().await,
            v0,
            "{}: a refused form changed the case",
            t.engine
        );

        // The bulk form: no token refused; a selection that is not case ids explained.
        let bulk = |body: String| {
            browser
                .post(t.url("/app/alpha/cases"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .sent()
        };
        let res = bulk(format!("ids={id}&bulk=note&text=x")).await;
        assert_eq!(res.status(), 403);
        let res = bulk(format!("csrf={csrf}&ids=CASE-1&bulk=note&text=x")).await;
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("a selected case is not a case id")
        );
        assert_eq!(version().await, v0);
        // A good one acts and sends the person back to the queue.
        let res = bulk(format!(
            "csrf={csrf}&ids={id}&bulk=note&text=checked&back=scope%3Dopen"
        ))
        .await;
        assert_eq!(res.status(), 303, "{}", t.engine);
        let to = res.headers()["location"].to_str().unwrap().to_string();
        assert!(to.starts_with("/app/alpha/cases?scope=open&done="), "{to}");
        assert_eq!(version().await, v0 + 1);
    }
}
