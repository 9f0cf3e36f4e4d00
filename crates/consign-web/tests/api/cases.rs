//! Case work over HTTP: the queue, opening by hand, taking, notes, waiting on the customer,
//! resolving with a code, reopening; `If-Match` and 412; who sees and does what; bulk
//! actions; KPIs. (The SLA timers are `case_timers.rs`'s.)

use crate::harness::{
    Sent, TestApp, count_where, detail, field_errors, ok, problem, spawn_all, strs,
};
use reqwest::Response;
use serde_json::{Value, json};

/// Where a supervisor acts on a selection of alpha's cases at once.
const BULK: &str = "/api/v1/tenants/alpha/cases/bulk";

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
        let http = crate::harness::cookie_jar();
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

    /// The provider's administrator, root@provider.test, signed in.
    pub(crate) async fn root(t: &TestApp) -> Person {
        Person::new(t, "root@provider.test", "admin", &[]).await
    }

    /// Ann, an agent of alpha only, signed in.
    pub(crate) async fn alpha_agent(t: &TestApp) -> Person {
        Person::new(t, "ann@provider.test", "agent", &["alpha"]).await
    }

    /// The status and text of the page at `path`, as this person's browser receives it.
    pub(crate) async fn page(&self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Posts the browser form `form` to `path` exactly as given (a missing or forged token
    /// included): the status and the page answered.
    pub(crate) async fn submit_as_is(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .form(form)
            .sent()
            .await;
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Posts a browser form to `path` the way the page does: the session's CSRF token first,
    /// then `fields`. The status and the page answered.
    pub(crate) async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let form: Vec<(&str, &str)> = [&[("csrf", self.csrf.as_str())], fields].concat();
        self.submit_as_is(path, &form).await
    }

    /// Posts a form already URL-encoded (one that repeats a key, as the queue's `ids` do) to
    /// `path`: the answer.
    pub(crate) async fn post_encoded(&self, path: &str, form: String) -> Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .sent()
            .await
    }

    /// The JSON body of a GET this person expects to succeed.
    pub(crate) async fn read(&self, path: &str) -> Value {
        ok(self.get(path).await).await
    }

    /// Case `id` of alpha as this person sees it, which they expect to be allowed.
    pub(crate) async fn case(&self, id: &str) -> Value {
        self.read(&format!("/api/v1/tenants/alpha/cases/{id}"))
            .await
    }

    /// Opens a case in alpha by hand with `body`, expecting it to be opened.
    pub(crate) async fn open_case(&self, body: &Value) -> Value {
        ok(self.post("/api/v1/tenants/alpha/cases", body).await).await
    }

    /// An action on a case without `If-Match` that this person expects to be done.
    pub(crate) async fn acted(&self, case: &str, body: Value) -> Value {
        ok(self.act(case, body, None).await).await
    }

    /// An action on a case without `If-Match` that is refused with `status`: the problem.
    pub(crate) async fn refused(&self, case: &str, body: Value, status: u16) -> Value {
        problem(self.act(case, body, None).await, status).await
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

/// The kinds of a case view's timeline entries, in order.
pub(crate) fn kinds(view: &Value) -> Vec<String> {
    let kinds = strs(&view["timeline"], "kind");
    kinds.into_iter().map(String::from).collect()
}

/// The case action that moves a case to status `to`.
fn change_status(to: &str) -> Value {
    json!({"action": "change_status", "to": to})
}

/// The case action that resolves a case with the resolution code `code`.
fn resolve_with(code: &str) -> Value {
    json!({"action": "resolve", "code": code})
}

/// The case action that reopens a resolved case, for `reason`.
fn reopen_for(reason: &str) -> Value {
    json!({"action": "reopen", "reason": reason})
}

pub(crate) struct Desk {
    pub(crate) agent: Person,
    pub(crate) agent2: Person,
    pub(crate) supervisor: Person,
    pub(crate) client: Person,
    pub(crate) shipment: String,
}

/// Tenant alpha with a shipment, two agents and a supervisor in team `exceptions`, and a
/// client manager.
pub(crate) async fn desk(t: &TestApp) -> Desk {
    t.tenant("alpha").await;
    let agent = Person::alpha_agent(t).await;
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
        t.put_team(
            team,
            &json!({"name": team, "description": "desk", "assignment": "manual", "members": members}),
        )
        .await;
    }
    let s = t.admin_shipment("alpha", "1ZCASE001").await;
    Desk {
        agent,
        agent2,
        supervisor,
        client,
        shipment: s["id"].as_str().unwrap().to_string(),
    }
}

/// The desk and the id of a damaged case its agent opened on its shipment: where the tests
/// of one case's work start.
async fn desk_with_case(t: &TestApp) -> (Desk, String) {
    let d = desk(t).await;
    let case = d.agent.open_case(&new_case(&d.shipment)).await;
    (d, case["id"].as_str().unwrap().to_string())
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

/// A token narrowed to working cases opens one and is answered with the case: the answer's SLA
/// clocks once needed `cases:read` too, so the case was committed and the caller got a 403
/// (and a retry opened it again).
#[tokio::test]
async fn a_token_narrowed_to_case_work_gets_the_case_it_opened_and_may_not_act_without_reading() {
    for t in spawn_all().await {
        let d = desk(&t).await;
        let work = t
            .token(
                consign_core::access::Role::Agent,
                Some("alpha"),
                Some(vec!["cases:work"]),
            )
            .await;
        let res = t
            .post("/api/v1/tenants/alpha/cases", &work, &new_case(&d.shipment))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let case: Value = res.json().await.unwrap();
        assert!(case["sla"].is_array(), "{case}");
        let id = case["id"].as_str().unwrap();
        // Acting needs `cases:read` as well, and is refused before anything is written.
        let res = t
            .post(
                &format!("/api/v1/tenants/alpha/cases/{id}/actions"),
                &work,
                &json!({"action": "note", "text": "called the carrier", "visibility": "internal"}),
            )
            .await;
        problem(res, 403).await;
        t.get_problem(&format!("/api/v1/tenants/alpha/cases/{id}"), &work, 403)
            .await;
        let seen = d
            .agent
            .read(&format!("/api/v1/tenants/alpha/cases/{id}"))
            .await;
        assert!(!seen.to_string().contains("called the carrier"), "{seen}");
        let all = d.agent.read("/api/v1/tenants/alpha/cases").await;
        assert_eq!(all["items"].as_array().map(Vec::len), Some(1), "{all}");
    }
}

#[tokio::test]
async fn an_agent_takes_a_case_from_the_queue_to_resolution() {
    for t in spawn_all().await {
        let Desk {
            agent,
            agent2,
            supervisor,
            client,
            shipment,
        } = desk(&t).await;
        let res = agent
            .post("/api/v1/tenants/alpha/cases", &new_case(&shipment))
            .await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["etag"], "\"1\"");
        let case = ok(res).await;
        let id = case["id"].as_str().unwrap().to_string();
        assert_eq!(case["status"], "open");
        assert_eq!(case["timeline"][0]["actor"], format!("user:{}", agent.id));

        // The team's queue, unassigned, by SLA deadline.
        let queue = agent
            .read("/api/v1/tenants/alpha/cases?open=true&team=exceptions&assignee=none&sort=sla")
            .await;
        assert_eq!(queue["items"][0]["id"], id.as_str(), "{queue}");

        // Ann takes it; Bob, who saw version 1 too, is refused with the case as it is now.
        let took = ok(agent
            .act(
                &id,
                json!({"action": "assign", "assignee": agent.id}),
                Some(1),
            )
            .await)
        .await;
        assert_eq!(took["version"], 2);
        let stale = problem(
            agent2
                .act(
                    &id,
                    json!({"action": "assign", "assignee": agent2.id}),
                    Some(1),
                )
                .await,
            412,
        )
        .await;
        assert_eq!(stale["current"]["version"], 2, "{stale}");
        assert_eq!(stale["current"]["assignee"], agent.id.as_str());
        // Without If-Match Bob still may not take Ann's case: reassigning is a supervisor's.
        agent2
            .refused(&id, json!({"action": "assign", "assignee": agent2.id}), 403)
            .await;

        ok(agent
            .act(
                &id,
                json!({"action": "note", "text": "Depot says the box was wet"}),
                Some(2),
            )
            .await)
        .await;
        let ext = agent
            .acted(
                &id,
                json!({"action": "note", "text": "We are on it", "visibility": "external"}),
            )
            .await;
        assert!(ext["first_response_at"].is_string(), "{ext}");
        let waiting = agent.acted(&id, change_status("waiting_customer")).await;
        assert_eq!(waiting["status"], "waiting_customer");

        // The client manager sees the external part only, and answers.
        let seen = client.case(&id).await;
        let text = seen.to_string();
        assert!(
            !text.contains("box was wet"),
            "internal note leaked: {text}"
        );
        assert!(text.contains("We are on it"));
        assert!(!kinds(&seen).contains(&"assigned".to_string()), "{seen}");
        let answered = client
            .acted(
                &id,
                json!({"action": "answer", "text": "Photos attached to the e-mail"}),
            )
            .await;
        assert!(kinds(&answered).contains(&"message_in".to_string()));
        // The answer ends the wait on the customer: the case is open again, its clocks run.
        assert_eq!(answered["status"], "open", "{answered}");
        client
            .refused(
                &id,
                json!({"action": "note", "text": "x", "visibility": "internal"}),
                403,
            )
            .await;
        client.refused(&id, change_status("open"), 403).await;

        // Resolved with a code (none: refused).
        let p = agent.refused(&id, json!({"action": "resolve"}), 422).await;
        assert!(p.to_string().contains("code"), "{p}");
        let p = agent.refused(&id, resolve_with("fixed"), 422).await;
        assert!(p.to_string().contains("fixed"), "{p}");
        let resolved = agent.acted(&id, resolve_with("customer_informed")).await;
        assert_eq!(resolved["status"], "resolved");
        assert_eq!(resolved["resolution"], "customer_informed");
        let p = agent
            .refused(&id, change_status("waiting_carrier"), 409)
            .await;
        assert_eq!(
            p["detail"],
            "a case in status resolved cannot change status to waiting_carrier"
        );
        let reopened = agent
            .acted(&id, reopen_for("Customer found a second damaged item"))
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
        let p = supervisor
            .refused(
                &id,
                json!({"action": "assign", "team": "exceptions", "assignee": supervisor.id}),
                422,
            )
            .await;
        assert_eq!(field_errors(&p)[0].0, "assignee");
        let moved = supervisor
            .acted(&id, json!({"action": "assign", "assignee": agent2.id}))
            .await;
        assert_eq!(moved["assignee"], agent2.id.as_str());

        // Every action is audited under its person.
        let audit = ok(t
            .get(
                &format!("/api/v1/tenants/alpha/audit/case/{id}"),
                &t.admin_token,
            )
            .await)
        .await;
        let actions = strs(&audit["items"], "action");
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
        let other = t.admin_shipment("beta", "1ZBETA01").await;
        let beta_body = json!({"subject": {"shipment": other["id"]}, "case_type": "damaged",
            "severity": "low", "accountable": "carrier", "description": "x"});
        let beta_case = t.admin_case("beta", &beta_body).await;
        let bid = beta_case["id"].as_str().unwrap();
        problem(
            agent
                .get(&format!("/api/v1/tenants/alpha/cases/{bid}"))
                .await,
            404,
        )
        .await;
        agent
            .refused(bid, json!({"action": "acknowledge"}), 404)
            .await;
        let res = agent.post("/api/v1/tenants/alpha/cases", &beta_body).await;
        problem(res, 404).await;
    }
}

#[tokio::test]
async fn two_agents_acting_at_once_lose_no_action() {
    for t in spawn_all().await {
        let (Desk { agent, agent2, .. }, id) = desk_with_case(&t).await;
        for round in 0..5 {
            let view = agent.case(&id).await;
            let v = view["version"].as_i64().unwrap();
            let (a, b) = tokio::join!(
                agent.act(
                    &id,
                    json!({"action": "note", "text": format!("ann {round}")}),
                    Some(v)
                ),
                agent2.act(
                    &id,
                    json!({"action": "note", "text": format!("bob {round}")}),
                    Some(v)
                ),
            );
            let mut codes = [a.status().as_u16(), b.status().as_u16()];
            codes.sort();
            assert_eq!(codes, [200, 412], "{}: round {round}", t.engine);
            let after = agent.case(&id).await;
            assert_eq!(
                after["version"].as_i64().unwrap(),
                v + 1,
                "exactly one write"
            );
            let notes = count_where(&after["timeline"], "kind", "note");
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
        let Desk {
            agent,
            agent2,
            supervisor,
            ..
        } = desk(&t).await;
        let mut ids = Vec::new();
        for i in 0..3 {
            let s = t.admin_shipment("alpha", &format!("1ZBULK{i}")).await;
            let c = agent.open_case(&new_case(s["id"].as_str().unwrap())).await;
            ids.push(c["id"].as_str().unwrap().to_string());
        }
        let filter = json!({"team": "exceptions", "open": "true"});
        // The bulk form's body: `action` over the cases of `filter`, expected to be `seen`.
        let bulk = |seen: &[String], action: Value| json!({"filter": filter, "expected": seen, "action": action});
        let assign_to = |p: &Person| json!({"action": "assign", "assignee": p.id});
        // An agent may not act in bulk.
        let res = agent.post(BULK, &bulk(&ids, assign_to(&agent))).await;
        problem(res, 403).await;
        // A selection that changed meanwhile changes nothing.
        let res = supervisor
            .post(BULK, &bulk(&ids[..2], assign_to(&agent2)))
            .await;
        let p = problem(res, 409).await;
        assert!(detail(&p).contains("selection changed"), "{p}");
        let unassigned = supervisor
            .read("/api/v1/tenants/alpha/cases?assignee=none")
            .await;
        assert_eq!(unassigned["items"].as_array().unwrap().len(), 3);
        let res = supervisor.post(BULK, &bulk(&ids, assign_to(&agent2))).await;
        let done = ok(res).await;
        assert_eq!(done["changed"], 3);
        let mine = agent2
            .read(&format!(
                "/api/v1/tenants/alpha/cases?assignee={}",
                agent2.id
            ))
            .await;
        assert_eq!(mine["items"].as_array().unwrap().len(), 3);
        // Resolving is not a bulk action.
        let resolve = resolve_with("duplicate");
        let res = supervisor.post(BULK, &bulk(&ids, resolve)).await;
        problem(res, 422).await;
    }
}

/// A resolved case cannot come back beside a newer open case of its type on the same
/// subject: the reopening is refused by name, and nothing changes.
#[tokio::test]
async fn a_reopening_is_refused_when_a_newer_case_covers_the_subject() {
    for t in spawn_all().await {
        let (
            Desk {
                agent, shipment, ..
            },
            id,
        ) = desk_with_case(&t).await;
        agent.acted(&id, resolve_with("claim_filed")).await;
        // A second damage report on the same shipment: a new case, allowed now.
        agent.open_case(&new_case(&shipment)).await;
        let p = agent
            .refused(&id, reopen_for("more damage found"), 409)
            .await;
        assert!(
            detail(&p).contains("cannot be reopened: a newer open case"),
            "{p}"
        );
        let still = agent.case(&id).await;
        assert_eq!(
            (still["status"].as_str(), still["reopen_count"].as_i64()),
            (Some("resolved"), Some(0))
        );
    }
}

#[tokio::test]
async fn tagged_cases_are_found_by_their_tag() {
    for t in spawn_all().await {
        let (Desk { agent, client, .. }, id) = desk_with_case(&t).await;
        let tagged = agent
            .acted(
                &id,
                json!({"action": "set_tags", "tags": ["VIP", "claim-filed"]}),
            )
            .await;
        assert_eq!(
            tagged["tags"],
            json!(["claim-filed", "vip"]),
            "{}",
            t.engine
        );
        let found = agent.read("/api/v1/tenants/alpha/cases?tag=vip").await;
        assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
        let none = agent.read("/api/v1/tenants/alpha/cases?tag=vi").await;
        assert!(
            none["items"].as_array().unwrap().is_empty(),
            "whole tags only: {none}"
        );
        let p = agent
            .refused(
                &id,
                json!({"action": "set_tags", "tags": ["ok", "two words"]}),
                422,
            )
            .await;
        assert!(field_errors(&p).iter().any(|(f, _)| f == "tags[1]"), "{p}");
        client
            .refused(&id, json!({"action": "set_tags", "tags": []}), 403)
            .await;
    }
}

/// A warehouse identity sees the cases the warehouse is accountable for, and those that
/// wait on its answer; nothing else, and only their external side. It answers; it does not
/// work cases or read the tenant's KPIs.
#[tokio::test]
async fn a_warehouse_sees_and_answers_only_the_cases_facing_it() {
    for t in spawn_all().await {
        let Desk {
            agent, shipment, ..
        } = desk(&t).await;
        let dock = Person::new(&t, "dock@warehouse.test", "warehouse", &["alpha"]).await;
        let carriers = agent.open_case(&new_case(&shipment)).await;
        let mut short = new_case(&shipment);
        short["case_type"] = json!("short_shipped");
        short["accountable"] = json!("warehouse");
        let ours = agent.open_case(&short).await;
        let (carriers, ours) = (
            carriers["id"].as_str().unwrap().to_string(),
            ours["id"].as_str().unwrap().to_string(),
        );
        agent
            .acted(
                &ours,
                json!({"action": "note", "text": "Picker on leave", "visibility": "internal"}),
            )
            .await;

        let list = dock.read("/api/v1/tenants/alpha/cases").await;
        let ids = strs(&list["items"], "id");
        assert_eq!(ids, vec![ours.as_str()], "{}: {list}", t.engine);
        // Asking for the carrier's case by filter or by id changes nothing.
        let list = dock
            .read("/api/v1/tenants/alpha/cases?accountable=carrier")
            .await;
        assert!(list["items"].as_array().unwrap().is_empty(), "{list}");
        problem(
            dock.get(&format!("/api/v1/tenants/alpha/cases/{carriers}"))
                .await,
            404,
        )
        .await;
        let seen = dock.case(&ours).await;
        assert!(
            !seen.to_string().contains("Picker on leave"),
            "internal note leaked: {seen}"
        );

        // Once the agent waits on the warehouse for the carrier's case, it faces the
        // warehouse too; the warehouse's answer ends the wait.
        agent
            .acted(&carriers, change_status("waiting_warehouse"))
            .await;
        let answered = dock
            .acted(
                &carriers,
                json!({"action": "answer", "text": "Loaded at door 4, photo on file"}),
            )
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

        dock.refused(&ours, change_status("waiting_carrier"), 403)
            .await;
        dock.refused(
            &ours,
            json!({"action": "note", "text": "x", "visibility": "internal"}),
            403,
        )
        .await;
        problem(dock.get("/api/v1/tenants/alpha/kpis/cases?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z").await, 403).await;
    }
}

/// The dashboard's case forms (the case page's actions and the queue's bulk form) take a
/// session's CSRF token, name what is wrong with a form, and change nothing when refused.
#[tokio::test]
async fn the_dashboard_forms_refuse_bad_input_and_change_nothing() {
    for t in spawn_all().await {
        let Desk { shipment, .. } = desk(&t).await;
        let case = t
            .post_json(
                "/api/v1/tenants/alpha/cases",
                &t.admin_token,
                &new_case(&shipment),
            )
            .await;
        let id = case["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{case}"))
            .to_string();
        let (browser, csrf) = t
            .browser_session(json!({"email": "boss@provider.test", "name": "Boss", "role": "admin", "password": "a long enough password"}))
            .await;
        let version = || t.case_version(&id);
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
