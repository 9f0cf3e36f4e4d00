//! The workspace in the browser, read as a person's session reads it: home pages by role,
//! the queue across the tenants a provider serves, its filters, and the bulk form across
//! tenants — and nothing of a tenant outside the viewer's reach, on both engines.

use crate::cases::{Person, new_case};
use crate::harness::*;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The case ids a page links to (`/app/{tenant}/cases/{id}`), in page order.
fn linked_cases(html: &str, tenant: &str) -> Vec<String> {
    let head = format!("href=\"/app/{tenant}/cases/");
    html.match_indices(&head)
        .map(|(i, _)| {
            let rest = &html[i + head.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// The number a tile of the home page shows, by its link.
fn tile(html: &str, href: &str) -> u64 {
    let at = html
        .find(&format!("href=\"{href}\"><span class=\"num\">"))
        .unwrap_or_else(|| panic!("no tile links to {href}: {html}"));
    let rest = &html[at..];
    let start = rest.find("<span class=\"num\">").unwrap() + "<span class=\"num\">".len();
    let end = start + rest[start..].find('<').unwrap();
    rest[start..end].replace(',', "").parse().unwrap()
}

#[tokio::test]
async fn home_pages_and_the_queue_show_each_viewer_their_work_across_their_tenants_only() {
    for t in spawn_tenants(&["alpha", "beta", "gamma"]).await {
        let e = t.engine;
        let agent = Person::new(&t, "ann@provider.test", "agent", &["alpha", "beta"]).await;
        let boss = Person::new(&t, "sue@provider.test", "supervisor", &["alpha", "beta"]).await;
        let client = Person::new(&t, "cm@client.test", "client_manager", &["alpha"]).await;
        let members = json!([{"user": agent.id, "on_shift": true}]);
        t.put_team(
            "exceptions",
            &json!({"name": "exceptions", "description": "desk", "assignment": "manual", "members": members}),
        )
        .await;
        // Two cases in alpha, one in beta, one in gamma (which nobody here serves).
        let mut ids: Vec<(&str, String)> = Vec::new();
        for (i, slug) in ["alpha", "alpha", "beta", "gamma"].into_iter().enumerate() {
            let s = t.admin_shipment(slug, &format!("1ZWORK{i:03}")).await;
            let c = t
                .admin_case(slug, &new_case(s["id"].as_str().unwrap()))
                .await;
            ids.push((slug, c["id"].as_str().unwrap().to_string()));
        }
        // Ann has the first alpha case.
        ok(t.post(
            &format!("/api/v1/tenants/alpha/cases/{}/actions", ids[0].1),
            &t.admin_token,
            &json!({"action": "assign", "assignee": agent.id}),
        )
        .await)
        .await;

        // The agent's home: her case first, her team's, and counts that open their queues.
        let (status, home) = agent.page("/app").await;
        assert_eq!(status, 200, "{e}");
        assert_eq!(tile(&home, "/app/cases?scope=mine"), 1, "{e}");
        assert_eq!(
            tile(&home, "/app/cases?scope=team&#38;team=exceptions"),
            3,
            "{e}"
        );
        assert_eq!(tile(&home, "/app/cases?scope=unassigned"), 2, "{e}");
        assert_eq!(
            linked_cases(&home, "alpha")[0],
            ids[0].1,
            "{e}: my case leads"
        );
        assert!(!home.contains(&ids[3].1), "{e}: gamma's case on ann's home");

        // The queue across tenants: alpha's and beta's cases, never gamma's.
        let (_, all) = agent.page("/app/cases?scope=open").await;
        let mut listed: Vec<String> = linked_cases(&all, "alpha");
        listed.extend(linked_cases(&all, "beta"));
        listed.sort();
        let mut served: Vec<String> = ids[..3].iter().map(|(_, id)| id.clone()).collect();
        served.sort();
        assert_eq!(listed, served, "{e}");
        assert!(!all.contains("/app/gamma/"), "{e}");
        // Narrowed to one tenant, and to a filter.
        let (_, beta) = agent.page("/app/cases?scope=open&tenant=beta").await;
        assert_eq!(linked_cases(&beta, "beta"), vec![ids[2].1.clone()], "{e}");
        assert!(linked_cases(&beta, "alpha").is_empty(), "{e}");
        let (_, none) = agent.page("/app/cases?scope=open&assignee=none").await;
        assert_eq!(linked_cases(&none, "alpha"), vec![ids[1].1.clone()], "{e}");
        let (_, high) = agent.page("/app/cases?scope=open&severity=low").await;
        assert!(high.contains("No cases match."), "{e}");
        // The shipment list marks the rows with an open case, in words as well as colour.
        let (_, list) = agent.page("/app/alpha/shipments").await;
        assert_eq!(list.matches("class=\"problem\"").count(), 2, "{e}");
        assert_eq!(list.matches("⚠ 1 open case(s)").count(), 2, "{e}");
        // A tenant outside the viewer's reach is the same 404 page as a missing one.
        for path in [
            "/app/cases?tenant=gamma",
            "/app/cases?tenant=nope",
            "/app/gamma/cases",
        ] {
            let (status, body) = agent.page(path).await;
            assert_eq!(status, 404, "{e}: {path}");
            assert!(body.contains("Not found"), "{e}: {path}");
        }

        // The supervisor's backlog: each team's count is what its link lists.
        let (_, home) = boss.page("/app").await;
        assert!(home.contains("id=\"backlog\""), "{e}");
        let row = &home[home
            .find("data-team=\"exceptions\"")
            .expect("exceptions row")..];
        let href = "/app/cases?scope=open&#38;team=exceptions";
        assert!(
            row[..row.find("</tr>").unwrap()].contains(&format!("<a href=\"{href}\">3</a>")),
            "{e}: {row}"
        );
        let (_, listed) = boss.page(&href.replace("&#38;", "&")).await;
        assert_eq!(listed.matches("name=\"ids\"").count(), 3, "{e}");

        // Bulk across tenants: one alpha and one beta case to Ann in one form.
        let form = format!(
            "csrf={}&ids={}&ids={}&bulk=assign&assignee={}&back=scope%3Dopen",
            boss.csrf, ids[1].1, ids[2].1, agent.id
        );
        let res = boss.post_encoded("/app/cases", form).await;
        let (status, done) = (res.status().as_u16(), res.text().await.unwrap());
        assert_eq!(status, 200, "{e}: followed to the queue: {done}");
        assert!(done.contains("Done: assign on 2 cases"), "{e}");
        for (slug, id) in &ids[1..3] {
            let c: Value = t
                .get_json(
                    &format!("/api/v1/tenants/{slug}/cases/{id}"),
                    &t.admin_token,
                )
                .await;
            assert_eq!(c["assignee"], agent.id.as_str(), "{e}: {slug}");
        }
        // A gamma case slipped into the selection: refused, nothing changed.
        let form = format!(
            "csrf={}&ids={}&ids={}&bulk=note&text=x&back=scope%3Dopen",
            boss.csrf, ids[0].1, ids[3].1
        );
        let res = boss.post_encoded("/app/cases", form).await;
        assert_eq!(res.status(), 404, "{e}");
        let c: Value = t
            .get_json(
                &format!("/api/v1/tenants/alpha/cases/{}", ids[0].1),
                &t.admin_token,
            )
            .await;
        assert_eq!(c["version"], 2, "{e}: the alpha case was noted anyway");

        // The client manager: the scorecard headline and alpha's open cases, nothing more.
        let (_, home) = client.page("/app").await;
        assert!(home.contains("data-headline=\"alpha\""), "{e}");
        assert_eq!(tile(&home, "/app/cases?scope=open"), 2, "{e}");
        assert!(
            !home.contains("/app/beta/") && !home.contains("id=\"backlog\""),
            "{e}"
        );
        let (_, queue) = client.page("/app/cases?scope=open").await;
        assert_eq!(linked_cases(&queue, "alpha").len(), 2, "{e}");
        assert!(!queue.contains("/app/beta/"), "{e}");
        assert_eq!(client.page("/app/cases?tenant=beta").await.0, 404, "{e}");
    }
}

/// A page asked for without a live session (never signed in, or the session expired) sends
/// the person to sign in and then back to that page — and only ever to a page of this site.
#[tokio::test]
async fn signing_in_returns_to_the_page_asked_for_and_only_to_this_site() {
    for t in spawn_alpha().await {
        let e = t.engine;
        let res = t
            .post(
                "/api/v1/users",
                &t.admin_token,
                &json!({"email": "ann@provider.test", "name": "Ann", "role": "agent", "tenants": ["alpha"], "password": "a long enough password"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{e}");
        let browser = browser();
        // An expired or forged session is no session.
        let res = browser
            .get(t.url("/app/alpha/cases?scope=open&severity=high"))
            .header("cookie", "consign_session=expired-or-forged")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{e}");
        let to = res.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(
            to, "/login?next=%2Fapp%2Falpha%2Fcases%3Fscope%3Dopen%26severity%3Dhigh",
            "{e}"
        );
        let login = t.page(&browser, &to).await;
        assert!(
            login.contains("name=\"next\" value=\"/app/alpha/cases?scope=open&#38;severity=high\""),
            "{e}: {login}"
        );
        let sign_in = |next: &'static str| {
            browser
                .post(t.url("/login"))
                .header("origin", t.url(""))
                .form(&[
                    ("email", "ann@provider.test"),
                    ("password", "a long enough password"),
                    ("next", next),
                ])
                .send()
        };
        let res = sign_in("/app/alpha/cases?scope=open&severity=high")
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{e}");
        assert_eq!(
            res.headers()["location"],
            "/app/alpha/cases?scope=open&severity=high",
            "{e}"
        );
        // Anywhere else is the home page.
        for elsewhere in [
            "//evil.example/app",
            "https://evil.example/app",
            "/api/v1/users",
            "/app\\evil",
        ] {
            let res = sign_in(elsewhere).await.unwrap();
            assert_eq!(res.headers()["location"], "/app", "{e}: {elsewhere}");
        }
    }
}

/// A carrier's narrow view: the cases addressed to it on its home page, the answer form on
/// the case page, and on the shipment page a scan posted (once, however often the form is
/// sent) and a proof of delivery uploaded from the browser — each form refused without the
/// session's token or with a time that is not one.
#[tokio::test]
async fn a_carrier_answers_its_case_posts_a_scan_and_attaches_a_pod_in_the_browser() {
    for t in spawn_alpha().await {
        let e = t.engine;
        let s = t.admin_shipment("alpha", "1ZCARRIER1").await;
        let sid = s["id"].as_str().unwrap().to_string();
        // No team: the tenant has none here; the case goes to the default queue.
        let mut body = new_case(&sid);
        body.as_object_mut().unwrap().remove("team");
        let c = t.admin_case("alpha", &body).await;
        let cid = c["id"].as_str().unwrap().to_string();
        let (browser, csrf) = t
            .browser_session(
                json!({"email": "dispatch@upsn.test", "name": "UPS dispatch", "role": "carrier",
                    "tenants": ["alpha"], "carrier": "UPSN", "password": "a long enough password"}),
            )
            .await;
        let get = |path: String| {
            let b = browser.clone();
            let url = t.url(&path);
            async move {
                let res = b.get(url).send().await.unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            }
        };
        // Home: the case addressed to the carrier, no totals of the tenant.
        let (_, home) = get("/app".into()).await;
        assert_eq!(linked_cases(&home, "alpha"), vec![cid.clone()], "{e}");
        assert!(!home.contains("id=\"backlog\""), "{e}");
        // Nor the tenant's shipment count (a carrier reads its own shipments only), nor
        // links to what it may not read.
        assert!(home.contains("data-kpi=\"shipments\">—<"), "{e}: {home}");
        assert!(
            !home.contains("/app/alpha/orders") && !home.contains("/app/alpha/scorecard"),
            "{e}"
        );
        // The case page answers.
        let (_, page) = get(format!("/app/alpha/cases/{cid}")).await;
        assert!(
            page.contains("id=\"answer\""),
            "{e}: the carrier's answer form"
        );
        let version = c["version"].as_i64().unwrap().to_string();
        let res = browser
            .post(t.url(&format!("/app/alpha/cases/{cid}")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("version", &version),
                ("action", "answer"),
                ("text", "Re-delivery booked for tomorrow morning"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{e}");
        let (_, page) = get(format!("/app/alpha/cases/{cid}")).await;
        assert!(
            page.contains("Re-delivery booked for tomorrow morning"),
            "{e}"
        );
        // The timeline names the carrier's own people, and the provider's as the desk: never
        // an id (the admin's token opened the case).
        assert!(
            page.contains("UPS dispatch") && page.contains("service desk"),
            "{e}: {page}"
        );
        assert!(
            !page.contains("token:") && !page.contains("user:"),
            "{e}: {page}"
        );
        // Closed for good, the case takes no more answers: the page says so instead of
        // offering a form the case would refuse.
        let act = format!("/api/v1/tenants/alpha/cases/{cid}/actions");
        for action in [
            json!({"action": "resolve", "code": "claim_filed"}),
            json!({"action": "close"}),
        ] {
            let res = t.post(&act, &t.admin_token, &action).await;
            assert_eq!(res.status(), 200, "{e}: {}", res.text().await.unwrap());
        }
        let (_, page) = get(format!("/app/alpha/cases/{cid}")).await;
        assert!(
            page.contains("id=\"closed-note\"") && !page.contains("id=\"answer\""),
            "{e}: {page}"
        );

        // The shipment page posts a scan; the same form sent twice is one event.
        let ship = format!("/app/alpha/shipments/{sid}");
        let (_, page) = get(ship.clone()).await;
        assert!(
            page.contains("id=\"event-form\"") && page.contains("id=\"document-form\""),
            "{e}"
        );
        assert!(
            !page.contains("id=\"override-form\""),
            "{e}: overrides are the desk's"
        );
        let scan = |csrf: String, at: &'static str| {
            browser
                .post(t.url(&ship))
                .form(&[
                    ("csrf", csrf),
                    ("status", "in_transit".to_string()),
                    ("occurred_at", at.to_string()),
                    ("location", "Memphis hub".to_string()),
                    ("message_id", "dashboard-test-1".to_string()),
                ])
                .send()
        };
        assert_eq!(scan("wrong".into(), "").await.unwrap().status(), 403, "{e}");
        let res = scan(csrf.clone(), "yesterday at noon").await.unwrap();
        assert_eq!(res.status(), 422, "{e}");
        assert!(
            res.text().await.unwrap().contains("is not a date and time"),
            "{e}"
        );
        for _ in 0..2 {
            let res = scan(csrf.clone(), "").await.unwrap();
            assert_eq!(res.status(), 303, "{e}");
        }
        let tracking = t.tracking_of(&sid).await;
        let events = tracking["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{e}: {tracking}");
        assert_eq!(events[0]["location"], "Memphis hub", "{e}");
        assert_eq!(events[0]["source"], "dashboard", "{e}");

        // A proof of delivery uploaded as a browser sends a file.
        let upload = |csrf: &str, file: &[u8]| {
            let boundary = "----consignboundary7";
            let mut body = Vec::new();
            for (name, value) in [("csrf", csrf), ("kind", "pod")] {
                body.extend_from_slice(
                    format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
                );
            }
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pod.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(file);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            browser
                .post(t.url(&format!("{ship}/documents")))
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body)
                .send()
        };
        let pdf =
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        assert_eq!(upload("wrong", pdf).await.unwrap().status(), 403, "{e}");
        let res = upload(&csrf, b"").await.unwrap();
        assert_eq!(res.status(), 422, "{e}: an empty file");
        let res = upload(&csrf, pdf).await.unwrap();
        assert_eq!(res.status(), 303, "{e}");
        let (_, page) = get(format!("{ship}?done=document")).await;
        assert!(
            page.contains("pod.pdf") && page.contains("The document was attached."),
            "{e}"
        );
        let docs = t
            .get_json(
                &format!("/api/v1/tenants/alpha/shipments/{sid}/documents"),
                &t.admin_token,
            )
            .await;
        assert_eq!(
            docs["items"].as_array().map(Vec::len),
            Some(1),
            "{e}: {docs}"
        );
        // A scan of several MB (over a form's 1 MiB, within a document's limit) is taken too.
        let mut scan = b"%PDF-1.4\n".to_vec();
        scan.resize(3 * 1024 * 1024, b'%');
        scan.extend_from_slice(b"\n%%EOF\n");
        let res = upload(&csrf, &scan).await.unwrap();
        assert_eq!(res.status(), 303, "{e}: a 3 MB scan");
        let docs = t
            .get_json(
                &format!("/api/v1/tenants/alpha/shipments/{sid}/documents"),
                &t.admin_token,
            )
            .await;
        assert_eq!(docs["items"].as_array().map(Vec::len), Some(2), "{e}");
    }
}

/// The scorecard's pickers: the page offers the viewer's clients and a period, and the
/// picker's form leads to that client's scorecard of that period — never another tenant's.
#[tokio::test]
async fn the_scorecard_picker_goes_to_the_chosen_client_and_period_within_reach() {
    for t in spawn_alpha().await {
        let e = t.engine;
        t.tenant("beta").await;
        t.tenant("gamma").await;
        let boss = Person::new(&t, "sue@provider.test", "supervisor", &["alpha", "beta"]).await;
        let (status, page) = boss.page("/app/alpha/scorecard?period=2026-W10").await;
        assert_eq!(status, 200, "{e}");
        assert!(page.contains("id=\"scorecard-pick\""), "{e}");
        assert!(
            page.contains("<option value=\"beta\""),
            "{e}: the other client served"
        );
        assert!(
            !page.contains("<option value=\"gamma\""),
            "{e}: a client not served"
        );
        // The picker's form, followed as a browser follows it.
        let res = boss.get("/app/scorecard?tenant=beta&period=2026-11").await;
        assert_eq!(res.status(), 200, "{e}: followed to beta's scorecard");
        assert_eq!(res.url().path(), "/app/beta/scorecard", "{e}");
        assert_eq!(res.url().query(), Some("period=2026-11"), "{e}");
        let res = boss.get("/app/scorecard?tenant=gamma&period=2026-11").await;
        assert_eq!(res.status(), 404, "{e}: a tenant out of reach");
    }
}

/// The header's search: a tracking number in another letter case opens its shipment; a part
/// of one lists every match across the clients served, with the client named; an order by
/// the client's reference; nothing of a tenant not served, and a carrier only its own.
#[tokio::test]
async fn the_search_box_finds_a_record_by_any_reference_within_reach() {
    for t in spawn_tenants(&["alpha", "beta", "gamma"]).await {
        let e = t.engine;
        let agent = Person::new(&t, "ann@provider.test", "agent", &["alpha", "beta"]).await;
        let mut ids = HashMap::new();
        for (slug, tracking) in [
            ("alpha", "1ZSEARCH000A1"),
            ("beta", "1ZSEARCH000B2"),
            ("gamma", "1ZSEARCH000C3"),
        ] {
            let s = t.admin_shipment(slug, tracking).await;
            ids.insert(slug, s["id"].as_str().unwrap().to_string());
        }
        ok(t.post(
            "/api/v1/tenants/alpha/orders",
            &t.admin_token,
            &order_body("PO-SEARCH-77"),
        )
        .await)
        .await;
        // One shipment: opened straight away.
        let res = agent.get("/app/search?q=1zsearch000b2").await;
        assert_eq!(res.status(), 200, "{e}");
        assert_eq!(
            res.url().path(),
            format!("/app/beta/shipments/{}", ids["beta"]),
            "{e}"
        );
        // A part: both served clients' shipments, never gamma's.
        let (_, html) = agent.page("/app/search?q=search000").await;
        assert!(
            html.contains(&ids["alpha"]) && html.contains(&ids["beta"]),
            "{e}: {html}"
        );
        assert!(
            !html.contains(&ids["gamma"]) && !html.contains("1ZSEARCH000C3"),
            "{e}"
        );
        assert!(html.contains("2 records found"), "{e}");
        // An order by the client's reference, in another case: its page.
        let res = agent.get("/app/search?q=po-search-77").await;
        assert_eq!(res.status(), 200, "{e}");
        assert!(
            res.url().path().starts_with("/app/alpha/orders/"),
            "{e}: {}",
            res.url()
        );
        let html = res.text().await.unwrap();
        assert!(
            html.contains("PO-SEARCH-77") && html.contains("id=\"lines\""),
            "{e}"
        );
        // Too short for a part: said so.
        let (_, html) = agent.page("/app/search?q=1zs").await;
        assert!(html.contains("needs at least 4 characters"), "{e}");
        // A carrier of another SCAC finds nothing of UPSN's.
        let carrier = ok(t
            .post(
                "/api/v1/tenants/alpha/carriers",
                &t.admin_token,
                &json!({"name": "FedEx Ground", "scac": "FDEG", "mode": "parcel"}),
            )
            .await)
        .await;
        assert!(carrier["id"].is_string(), "{e}");
        let res = t
            .post(
                "/api/v1/users",
                &t.admin_token,
                &json!({"email": "ops@fdeg.test", "name": "FedEx", "role": "carrier",
                        "tenants": ["alpha"], "carrier": "FDEG", "password": "a long enough password"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{e}");
        let fedex = cookie_jar();
        fedex
            .post(t.url("/api/v1/session"))
            .json(&json!({"email": "ops@fdeg.test", "password": "a long enough password"}))
            .send()
            .await
            .unwrap();
        let html = t.page(&fedex, "/app/search?q=search000").await;
        assert!(html.contains("0 records found"), "{e}: {html}");
    }
}

/// The order page: its lines with what has shipped of each, its shipments, its change
/// requests; another tenant's order is the same 404 as a missing one.
#[tokio::test]
async fn the_order_page_shows_lines_fulfilment_shipments_and_changes() {
    for t in spawn_alpha().await {
        let e = t.engine;
        t.tenant("beta").await;
        let agent = Person::alpha_agent(&t).await;
        let o = ok(t
            .post(
                "/api/v1/tenants/alpha/orders",
                &t.admin_token,
                &order_body("PO-PAGE-1"),
            )
            .await)
        .await;
        let oid = o["id"].as_str().unwrap().to_string();
        // A change request, while nothing has shipped (afterwards it is refused).
        let res = t
            .post(
                &format!("/api/v1/tenants/alpha/orders/{oid}/changes"),
                &t.admin_token,
                &json!({"kind": "promise_change",
                        "promised_by": (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(96)).to_string(),
                        "reason": "Customer asked for Friday"}),
            )
            .await;
        assert!(
            res.status().is_success(),
            "{e}: {}",
            res.text().await.unwrap()
        );
        // Line 1 (two ordered) ships one; line 2 nothing yet.
        let mut body = shipment_body("1ZORDERPAGE1", Some("PO-PAGE-1"));
        body["lines"] = json!([{"line_no": 1, "quantity": 1}]);
        let s = ok(t
            .post("/api/v1/tenants/alpha/shipments", &t.admin_token, &body)
            .await)
        .await;
        let (status, html) = agent.page(&format!("/app/alpha/orders/{oid}")).await;
        assert_eq!(status, 200, "{e}");
        let lines = &html[html.find("id=\"lines\"").unwrap()..];
        let first = &lines[lines.find("<tr><td>1</td>").expect("line 1")..];
        let first = &first[..first.find("</tr>").unwrap()];
        assert!(
            first.contains("<td>2</td><td>1</td><td><strong>1</strong></td>"),
            "{e}: {first}"
        );
        assert!(
            html.contains(s["id"].as_str().unwrap()),
            "{e}: the shipment is linked"
        );
        assert!(
            html.contains("Customer asked for Friday"),
            "{e}: the change request"
        );
        // The order list links to the page.
        let (_, list) = agent.page("/app/alpha/orders").await;
        assert!(list.contains(&format!("/app/alpha/orders/{oid}")), "{e}");
        // Another tenant's address for it, or a made-up id: the same 404 page.
        let (status, _) = agent.page(&format!("/app/beta/orders/{oid}")).await;
        assert_eq!(status, 404, "{e}");
        let (status, body) = agent
            .page("/app/alpha/orders/01a24288-b3dd-7000-8000-000000000007")
            .await;
        assert_eq!(status, 404, "{e}");
        assert!(body.contains("Not found"), "{e}");
    }
}

/// An agent overrides a shipment's status from its page, with a reason; without a reason,
/// or with a time that is not one, nothing is recorded and the page says why. (A carrier
/// has no override form: the carrier's test checks.)
#[tokio::test]
async fn an_agent_overrides_a_shipment_from_its_page_with_a_reason() {
    for t in spawn_alpha().await {
        let e = t.engine;
        let agent = Person::alpha_agent(&t).await;
        let s = t.admin_shipment("alpha", "1ZOVERRIDE1").await;
        let sid = s["id"].as_str().unwrap().to_string();
        let path = format!("/app/alpha/shipments/{sid}");
        let (_, html) = agent.page(&path).await;
        assert!(html.contains("id=\"override-form\""), "{e}");
        let send = |fields: Vec<(&'static str, &'static str)>| {
            let mut form = vec![("csrf", agent.csrf.clone())];
            form.extend(fields.into_iter().map(|(k, v)| (k, v.to_string())));
            agent
                .http
                .post(t.url(&format!("{path}/override")))
                .form(&form)
                .send()
        };
        let events = || async {
            t.tracking_of(&sid).await["events"]
                .as_array()
                .unwrap()
                .len()
        };
        let res = send(vec![("status", "delivered"), ("reason", "  ")])
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{e}: no reason");
        let res = send(vec![
            ("status", "delivered"),
            ("occurred_at", "last tuesday"),
            ("reason", "Customer confirmed"),
        ])
        .await
        .unwrap();
        assert_eq!(res.status(), 422, "{e}");
        assert!(
            res.text().await.unwrap().contains("is not a date and time"),
            "{e}"
        );
        assert_eq!(events().await, 0, "{e}: nothing recorded");
        let res = send(vec![
            ("status", "delivered"),
            ("reason", "Customer confirmed receipt by phone"),
        ])
        .await
        .unwrap();
        assert_eq!(res.status(), 200, "{e}: followed to the page");
        let html = res.text().await.unwrap();
        assert!(html.contains("The override was recorded."), "{e}");
        assert!(html.contains("id=\"shipment-status\">delivered<"), "{e}");
        assert_eq!(events().await, 1, "{e}");
    }
}

/// Tokens in the browser: an administrator makes one and sees its secret once, on that
/// answer only; the secret opens the API until the token is revoked from the same page.
/// Bad input is explained and makes nothing; a non-administrator gets the 403 page.
#[tokio::test]
async fn an_administrator_issues_and_revokes_a_token_in_the_browser() {
    for t in spawn_alpha().await {
        let e = t.engine;
        let (admin, csrf) = t.admin_browser().await;
        let make = |fields: Vec<(&'static str, String)>| {
            admin.post(t.url("/app/admin/tokens")).form(&fields).send()
        };
        let tokens_before = t.get_json("/api/v1/tokens", &t.admin_token).await;
        // Without the session's token, with a bad lifetime, with a bad role: nothing made.
        let res = make(vec![("name", "wms".into()), ("role", "integration".into())])
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{e}");
        let res = make(vec![
            ("csrf", csrf.clone()),
            ("name", "wms".into()),
            ("role", "integration".into()),
            ("tenant", "alpha".into()),
            ("expires_in_days", "forever".into()),
        ])
        .await
        .unwrap();
        assert_eq!(res.status(), 422, "{e}");
        assert!(res.text().await.unwrap().contains("expires in days"), "{e}");
        let res = make(vec![
            ("csrf", csrf.clone()),
            ("name", "wms".into()),
            ("role", "emperor".into()),
        ])
        .await
        .unwrap();
        assert_eq!(res.status(), 422, "{e}");
        assert_eq!(
            t.get_json("/api/v1/tokens", &t.admin_token).await,
            tokens_before,
            "{e}: a refused form made a token"
        );
        // Made: the secret on this answer, never cached; it opens the API.
        let res = make(vec![
            ("csrf", csrf.clone()),
            ("name", "northwind-wms".into()),
            ("role", "integration".into()),
            ("tenant", "alpha".into()),
            ("expires_in_days", "90".into()),
        ])
        .await
        .unwrap();
        assert_eq!(res.status(), 200, "{e}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{e}");
        let html = res.text().await.unwrap();
        let at = html
            .find("id=\"secret\" class=\"secret\">")
            .expect("the secret")
            + 27;
        let secret = html[at..at + html[at..].find('<').unwrap()].to_string();
        let api = |secret: String| {
            reqwest::Client::new()
                .get(t.url("/api/v1/tenants/alpha/orders"))
                .bearer_auth(secret)
                .send()
        };
        assert_eq!(api(secret.clone()).await.unwrap().status(), 200, "{e}");
        let (_, again) = {
            let res = admin.get(t.url("/app/admin")).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        };
        assert!(!again.contains(&secret), "{e}: the secret is shown once");
        // Revoked from the page: the API says 401.
        let tokens = t.get_json("/api/v1/tokens", &t.admin_token).await;
        let id = find_where(&tokens["items"], "name", "northwind-wms")["id"]
            .as_str()
            .unwrap()
            .to_string();
        let res = admin
            .post(t.url(&format!("/app/admin/tokens/{id}/revoke")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{e}");
        assert_eq!(api(secret).await.unwrap().status(), 401, "{e}");
        // Not an administrator: the 403 page.
        let agent = Person::alpha_agent(&t).await;
        let (status, body) = agent.page("/app/admin").await;
        assert_eq!(status, 403, "{e}");
        assert!(body.contains("Not allowed"), "{e}");
    }
}

/// Lists say how many records their filter matches and where the page stands, and the
/// count follows the filter (a search, a carrier's own shipments).
#[tokio::test]
async fn lists_say_how_many_records_match() {
    for t in spawn_all().await {
        let e = t.engine;
        t.tenant("alpha").await;
        for i in 0..3 {
            t.admin_shipment("alpha", &format!("1ZPAGE{i:04}")).await;
        }
        let root = Person::root(&t).await;
        let (status, html) = root.page("/app/alpha/shipments").await;
        assert_eq!(status, 200, "{e:?}");
        assert!(html.contains("data-count>1–3 of 3<"), "{e:?}: {html}");
        assert!(!html.contains("rel=\"next\""), "one page only: {e:?}");
        let (_, html) = root.page("/app/alpha/shipments?q=1ZPAGE0001").await;
        assert!(html.contains("data-count>1–1 of 1<"), "{e:?}");
        let (_, html) = root.page("/app/alpha/shipments?status=delivered").await;
        assert!(html.contains("data-count>none match<"), "{e:?}");
        let (_, html) = root.page("/app/alpha/orders").await;
        assert!(html.contains("data-count>none match<"), "{e:?}");
    }
}

#[tokio::test]
async fn a_record_page_or_form_naming_a_malformed_id_answers_not_found() {
    for t in spawn_alpha().await {
        let e = t.engine;
        let (admin, csrf) = t.admin_browser().await;
        for page in [
            "/app/alpha/shipments/not-an-id",
            "/app/alpha/orders/not-an-id",
            "/app/alpha/cases/CASE-1",
            "/app/alpha/edi/interchanges/not-an-id",
            "/app/alpha/webhooks/not-an-id",
        ] {
            let res = admin.get(t.url(page)).send().await.unwrap();
            assert_eq!(res.status(), 404, "{e}: {page}");
            assert!(
                res.text().await.unwrap().contains("Not found"),
                "{e}: {page}"
            );
        }
        // A form aimed at a malformed id does nothing and says so in the same words, whether
        // or not its CSRF token is the session's.
        for form in [
            "/app/alpha/shipments/not-an-id",
            "/app/alpha/shipments/not-an-id/override",
            "/app/alpha/cases/not-an-id",
            "/app/alpha/outbox/not-an-id/retry",
        ] {
            for token in [csrf.as_str(), "wrong"] {
                let res = admin
                    .post(t.url(form))
                    .form(&[("csrf", token), ("action", "acknowledge")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 404, "{e}: {form} with token {token}");
            }
        }
        // The tenant is still checked: an unknown one answers the same page.
        let res = admin
            .get(t.url("/app/nowhere/shipments/not-an-id"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{e}");
    }
}
