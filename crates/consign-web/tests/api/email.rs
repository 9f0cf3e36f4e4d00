//! E-mail on cases, on both engines, through a real SMTP server on loopback: an agent sends
//! the templated delay notice to the customer, it arrives once with its Message-ID, From,
//! Reply-To and the case number; the customer's reply, handed over by a mail relay, lands on
//! the case as `message_in` and ends the wait; templates are checked and previewed; refusals
//! and an unreachable server are dead letters or retries.

use crate::harness::*;
use crate::smtp::SmtpSink;
use consign_app::messages::MessagingConfig;
use consign_core::access::Role;
use consign_core::message::outbox::RetrySchedule;
use consign_web::WebConfig;
use serde_json::{Value, json};
use std::time::Duration;

const T: &str = "/api/v1/tenants/alpha";

fn mail_config(smtp: &str) -> MessagingConfig {
    MessagingConfig {
        allow_private_targets: true,
        retry: RetrySchedule {
            delays_secs: vec![1],
        },
        attempt_timeout: Duration::from_secs(3),
        smtp_url: Some(smtp.to_string()),
        email_from: "consign@provider.example".into(),
        ..Default::default()
    }
}

async fn spawn_mail(smtp: &str) -> Vec<TestApp> {
    let mut v = Vec::new();
    for (store, guard) in consign_store::testing::engines().await {
        let t = spawn_messaging_on(store, guard, WebConfig::default(), mail_config(smtp)).await;
        t.tenant("alpha").await;
        v.push(t);
    }
    v
}

async fn drain(t: &TestApp) {
    for _ in 0..50 {
        if t.app.deliver_due().await.unwrap().claimed == 0 {
            return;
        }
    }
}

/// An order for `email`, its shipment, and a delay case opened by hand on the shipment.
async fn case_for(t: &TestApp, reference: &str, email: &str) -> (String, String) {
    let mut order = order_body(reference);
    order["customer"]["email"] = json!(email);
    let res = t.post(&format!("{T}/orders"), &t.admin_token, &order).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let tracking = format!("1Z{reference}");
    let res = t
        .post_shipment(&shipment_body(&tracking, Some(reference)))
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let s: Value = res.json().await.unwrap();
    let res = t
        .post(
            &format!("{T}/cases"),
            &t.admin_token,
            &json!({ "subject": { "shipment": s["id"] }, "case_type": "delay_risk", "severity": "medium",
                     "accountable": "carrier", "description": "The carrier reports a delay at the hub" }),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let c: Value = res.json().await.unwrap();
    (c["id"].as_str().unwrap().to_string(), tracking)
}

/// The answer to the admin's writing `template` among alpha's message templates.
async fn put_templates(t: &TestApp, template: &Value) -> reqwest::Response {
    let path = format!("{T}/message-templates");
    t.req(reqwest::Method::PUT, &path, &t.admin_token)
        .json(template)
        .sent()
        .await
}

#[tokio::test]
async fn an_agent_emails_the_customer_and_the_reply_comes_back_through_the_relay() {
    let smtp = SmtpSink::start();
    for t in spawn_mail(&smtp.url).await {
        let customer = format!("ann.{}@customer.example", t.engine);
        let put = t
            .req(reqwest::Method::PUT, &format!("{T}/case-settings"), &t.admin_token)
            .json(&json!({ "email": { "from": "desk@alpha.example", "reply_domain": "replies.alpha.example" } }))
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 201, "{}", put.text().await.unwrap());
        let (case, tracking) = case_for(&t, &format!("E{}", t.engine), &customer).await;
        let agent = t.token(Role::Agent, Some("alpha"), None).await;

        let res = t
            .post(
                &format!("{T}/cases/{case}/messages/send"),
                &agent,
                &json!({ "to": "customer", "template": "delay_notice" }),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let sent: Value = res.json().await.unwrap();
        let message = &sent["message"];
        assert_eq!(
            message["state"], "pending",
            "queued, not sent in the request"
        );
        let number = sent["case"]["number"].as_str().unwrap().to_string();
        let out = sent["case"]["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "message_out")
            .unwrap_or_else(|| panic!("no message_out: {sent}"))
            .clone();
        assert_eq!(out["visibility"], "external");
        assert!(
            sent["case"]["first_response_at"].is_string(),
            "a first response"
        );

        drain(&t).await;
        let mails = smtp.to(&customer);
        assert_eq!(mails.len(), 1, "{}: delivered once", t.engine);
        let m = &mails[0];
        assert!(m.from.contains("desk@alpha.example"), "{}", m.from);
        assert_eq!(
            m.header("Message-ID").as_deref(),
            message["dedup_key"].as_str()
        );
        let reply_to = m.header("Reply-To").unwrap();
        assert!(
            reply_to.contains("@replies.alpha.example") && reply_to.contains("reply+"),
            "{reply_to}"
        );
        let subject = m.header("Subject").unwrap();
        assert!(subject.contains(&number), "{subject}");
        assert!(
            m.data.contains(&tracking),
            "the body names the shipment: {}",
            m.data
        );
        assert!(m.data.contains("text/html"), "an HTML part beside the text");
        let log = t
            .get_json(&format!("{T}/cases/{case}/messages"), &agent)
            .await;
        assert_eq!(log["items"][0]["state"], "delivered", "{log}");
        assert_eq!(log["items"][0]["attempts_log"][0]["status"], 250);

        // The customer's reply, through the mail relay, ends the wait on the customer.
        let res = t
            .post(
                &format!("{T}/cases/{case}/actions"),
                &agent,
                &json!({ "action": "change_status", "to": "waiting_customer" }),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let relay = t.token(Role::Integration, Some("alpha"), None).await;
        let token_to = reply_to
            .trim_start_matches(|c| c != 'r')
            .trim_end_matches('>')
            .to_string();
        let res = t
            .post(
                &format!("{T}/inbound-email"),
                &relay,
                &json!({ "to": token_to, "from": customer, "subject": format!("Re: {subject}"),
                         "text": "Please leave it with the neighbour at no. 3" }),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let receipt: Value = res.json().await.unwrap();
        assert_eq!(receipt["number"], number.as_str());
        assert_eq!(receipt["status"], "open", "{}: {receipt}", t.engine);
        let back = t.get_json(&format!("{T}/cases/{case}"), &agent).await;
        let last_in = back["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|e| e["kind"] == "message_in")
            .unwrap()
            .clone();
        assert!(
            last_in["detail"].as_str().unwrap().contains("neighbour"),
            "{last_in}"
        );
        // Matched by the case number alone when the address lost its token.
        let res = t
            .post(
                &format!("{T}/inbound-email"),
                &relay,
                &json!({ "to": "desk@alpha.example", "from": customer, "subject": format!("Re: [{number}]"), "text": "Thanks" }),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        // The relay may also attach a reply to a case it knows by id; the answer is the case
        // (the relay has no `cases:read`, and answered 403 after committing the reply).
        let res = t
            .post(
                &format!("{T}/cases/{case}/messages"),
                &relay,
                &json!({ "from": customer, "text": "And ring twice, please" }),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let view: Value = res.json().await.unwrap();
        assert!(view["sla"].is_array(), "{view}");
        let back = t.get_json(&format!("{T}/cases/{case}"), &agent).await;
        let twice = back["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["detail"].as_str().unwrap_or("").contains("ring twice"))
            .count();
        assert_eq!(twice, 1, "{back}");
        // A client manager reads both messages on the case.
        let client = t.token(Role::ClientManager, Some("alpha"), None).await;
        let seen = t.get_json(&format!("{T}/cases/{case}"), &client).await;
        let kinds = strs(&seen["timeline"], "kind");
        assert!(
            kinds.contains(&"message_out") && kinds.contains(&"message_in"),
            "{kinds:?}"
        );
        assert!(
            !kinds.contains(&"assigned"),
            "internal entries stay internal"
        );

        // Another tenant's relay cannot reach the case.
        t.tenant("beta").await;
        let other = t.token(Role::Integration, Some("beta"), None).await;
        t.post_problem(
            "/api/v1/tenants/beta/inbound-email",
            &other,
            &json!({ "to": token_to, "from": customer, "subject": "", "text": "x" }),
            404,
        )
        .await;
        t.post_problem(&format!("{T}/inbound-email"), &relay, &json!({ "to": "desk@alpha.example", "from": customer, "subject": "hello", "text": "x" }), 422)
        .await;
    }
}

#[tokio::test]
async fn templates_are_checked_previewed_and_refusals_are_precise() {
    let smtp = SmtpSink::start();
    for t in spawn_mail(&smtp.url).await {
        let (case, tracking) =
            case_for(&t, &format!("P{}", t.engine), "bob@customer.example").await;
        let agent = t.token(Role::Agent, Some("alpha"), None).await;
        let bad = json!({ "name": "delay_notice", "case_type": "delay_risk", "audience": "customer",
                          "channel": "email", "language": "en", "subject": "About {{ shipment.number }}",
                          "body": "Hello {{ order.customer_name }},\n\nYour parcel {{ shipment.trackingnumber }} is late." });
        let p = problem(put_templates(&t, &bad).await, 422).await;
        let errs = field_errors(&p);
        assert!(
            errs.iter()
                .any(|(f, r)| f == "body" && r.contains("shipment.trackingnumber")),
            "{p}"
        );
        let mut broken = bad.clone();
        broken["body"] = json!("Hello\n\n{% if shipment.eta %}\nsoon");
        let p = problem(put_templates(&t, &broken).await, 422).await;
        assert!(p.to_string().contains("line 3"), "{p}");
        let mut good = bad.clone();
        good["body"] = json!(
            "Hello {{ order.customer_name }}, parcel {{ shipment.tracking_number }} ({{ case.number }})."
        );
        let res = put_templates(&t, &good).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let list = t.get_json(&format!("{T}/message-templates"), &agent).await;
        let items = list["items"].as_array().unwrap();
        assert!(
            items
                .iter()
                .any(|i| i["name"] == "delay_notice" && i["source"] == "tenant")
        );
        assert!(items.iter().any(|i| i["name"] == "delay_notice"
            && i["source"] == "default"
            && i["overridden"] == true));
        let preview = t
            .post(&format!("{T}/cases/{case}/messages/preview"), &agent, &good)
            .await;
        assert_eq!(preview.status(), 200);
        let r: Value = preview.json().await.unwrap();
        assert!(r["body_text"].as_str().unwrap().contains(&tracking), "{r}");
        assert!(r["body_text"].as_str().unwrap().contains("Ann Lee"), "{r}");
        assert!(
            smtp.to("bob@customer.example").is_empty(),
            "a preview sends nothing"
        );

        for (body, field) in [
            (
                json!({ "to": "customer", "template": "no_such_template" }),
                "template",
            ),
            (json!({ "to": "customer", "subject": "Hi" }), "template"),
            (
                json!({ "to": "carrier", "subject": "Chase", "body": "Any news?" }),
                "address",
            ),
            (
                json!({ "to": "customer", "subject": "Hi", "body": "x", "address": "not-an-address" }),
                "address",
            ),
            (
                json!({ "to": "the moon", "subject": "Hi", "body": "x" }),
                "to",
            ),
        ] {
            let p = t
                .post_problem(
                    &format!("{T}/cases/{case}/messages/send"),
                    &agent,
                    &body,
                    422,
                )
                .await;
            assert!(
                field_errors(&p).iter().any(|(f, _)| f == field),
                "{body}: {p}"
            );
        }
        // The SMTP server refuses the recipient: a dead letter that says so, at once.
        let res = t
            .post(
                &format!("{T}/cases/{case}/messages/send"),
                &agent,
                &json!({ "to": "carrier", "subject": "Chase", "body": "Any news?", "address": "ops@bounce.example" }),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        drain(&t).await;
        let dead = t
            .get_json(&format!("{T}/outbox?state=dead"), &t.admin_token)
            .await;
        let d = &dead["items"][0];
        assert_eq!(d["recipient"], "ops@bounce.example", "{}: {dead}", t.engine);
        assert!(d["last_error"].as_str().unwrap().contains("refused"), "{d}");
    }
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_retried_not_lost() {
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("smtp://{}", l.local_addr().unwrap())
    };
    for t in spawn_mail(&closed).await {
        let (case, _) = case_for(&t, &format!("U{}", t.engine), "cy@customer.example").await;
        let res = t
            .post(
                &format!("{T}/cases/{case}/messages/send"),
                &t.admin_token,
                &json!({ "to": "customer", "template": "delay_notice" }),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let round = t.app.deliver_due().await.unwrap();
        assert_eq!(
            (round.claimed, round.retrying),
            (1, 1),
            "{}: {round:?}",
            t.engine
        );
        let pending = t
            .get_json(&format!("{T}/outbox?state=pending"), &t.admin_token)
            .await;
        assert!(
            pending["items"][0]["last_error"]
                .as_str()
                .unwrap()
                .contains("SMTP"),
            "{pending}"
        );
    }
}

#[tokio::test]
async fn a_rule_tells_the_customer_once_when_the_provider_informs() {
    let smtp = SmtpSink::start();
    for t in spawn_mail(&smtp.url).await {
        let notify = async |reference: &str, email: &str, eta_hours: i64| {
            let mut order = order_body(reference);
            order["customer"]["email"] = json!(email);
            let res = t.post(&format!("{T}/orders"), &t.admin_token, &order).await;
            assert_eq!(res.status(), 201);
            let tracking = format!("1Z{reference}");
            let res = t
                .post_shipment(&shipment_body(&tracking, Some(reference)))
                .await;
            assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
            let eta =
                (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(eta_hours)).to_string();
            let at = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1)).to_string();
            let res = t
                .post(
                    &format!("{T}/tracking-events"),
                    &t.admin_token,
                    &json!({ "events": [{ "carrier": "UPSN", "tracking_number": tracking, "occurred_at": at, "status": "in_transit", "eta": eta }] }),
                )
                .await;
            assert_eq!(res.status(), 200);
            // The timer sweep looks at new cases at once; twice, to show it tells once.
            for _ in 0..2 {
                t.app.sweep_all_case_timers(t.app.now(), 100).await.unwrap();
            }
            drain(&t).await;
            smtp.to(email)
        };
        // The order's promise is 72 h out; an ETA five days out misses it: delay_risk.
        let told = notify(
            &format!("N{}", t.engine),
            &format!("dee.{}@customer.example", t.engine),
            120,
        )
        .await;
        assert_eq!(told.len(), 1, "{}: told once", t.engine);
        let subject = told[0].header("Subject").unwrap();
        assert!(subject.contains("CASE-"), "{subject}");
        let cases = t
            .get_json(
                &format!("{T}/cases?type=delay_risk&open=true"),
                &t.admin_token,
            )
            .await;
        let case = &cases["items"][0];
        assert_eq!(
            case["status"], "new",
            "an automated notice is no first response: {case}"
        );
        assert!(case["first_response_at"].is_null());
        let view = t
            .get_json(
                &format!("{T}/cases/{}", case["id"].as_str().unwrap()),
                &t.admin_token,
            )
            .await;
        let out = items_where(&view["timeline"], "kind", "message_out");
        assert_eq!(out.len(), 1, "{view}");
        assert_eq!(out[0]["actor"], "system");

        // Where the client informs its customers, the provider sends nothing.
        let team = t
            .req(reqwest::Method::PUT, "/api/v1/teams/customer-care", &t.admin_token)
            .json(&json!({ "name": "customer-care", "description": "desk", "assignment": "manual", "members": [] }))
            .send()
            .await
            .unwrap();
        assert!(team.status().is_success(), "{}", team.text().await.unwrap());
        let put = t
            .req(reqwest::Method::PUT, &format!("{T}/case-settings"), &t.admin_token)
            .json(&json!({ "ownership": { "rows": [{ "case_type": "delay_risk", "team": "customer-care", "accountable": "carrier", "informs": "client" }] } }))
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 201, "{}", put.text().await.unwrap());
        let quiet = notify(
            &format!("Q{}", t.engine),
            &format!("eve.{}@customer.example", t.engine),
            120,
        )
        .await;
        assert!(quiet.is_empty(), "{}: the client informs", t.engine);
    }
}

/// The case page writes to the customer as the API does: the templates that fit the case's
/// type are offered, a preview renders the chosen one against the case and sends nothing,
/// a stale form sends nothing and keeps the draft, and the form sent goes out once.
#[tokio::test]
async fn the_case_page_previews_a_template_and_sends_it_once() {
    let smtp = SmtpSink::start();
    for t in spawn_mail(&smtp.url).await {
        let e = t.engine;
        let customer = format!("page.{e}@customer.example");
        let (case, tracking) = case_for(&t, &format!("P{e}"), &customer).await;
        let agent = crate::cases::Person::alpha_agent(&t).await;
        let page_path = format!("/app/alpha/cases/{case}");
        let page = agent.get(&page_path).await.text().await.unwrap();
        assert!(
            page.contains("value=\"delay_notice|en\""),
            "{e}: the delay notice is offered for a delay case"
        );
        let version = || t.case_version(&case);
        let v0 = version().await;
        let form = |action: &'static str, v: i64| {
            agent
                .http
                .post(t.url(&page_path))
                .form(&[
                    ("csrf", agent.csrf.clone()),
                    ("version", v.to_string()),
                    ("action", action.to_string()),
                    ("template", "delay_notice|en".to_string()),
                ])
                .send()
        };
        let res = form("preview", v0).await.unwrap();
        assert_eq!(res.status(), 200, "{e}");
        let previewed = res.text().await.unwrap();
        let shown = &previewed[previewed.find("id=\"preview\"").expect("a preview")..];
        assert!(
            shown.contains(&tracking),
            "{e}: the preview names the shipment"
        );
        assert!(
            previewed.contains("value=\"delay_notice|en\" data-audience=\"customer\" selected"),
            "{e}: the draft is kept"
        );
        assert_eq!(version().await, v0, "{e}: a preview changes nothing");
        // A stale form is refused and sends nothing.
        let res = form("message", v0 - 1).await.unwrap();
        assert_eq!(res.status(), 409, "{e}");
        assert!(
            res.text().await.unwrap().contains("still in the form"),
            "{e}"
        );
        // Free text without a subject is explained, field by field.
        let res = agent
            .http
            .post(t.url(&page_path))
            .form(&[
                ("csrf", agent.csrf.as_str()),
                ("version", &v0.to_string()),
                ("action", "message"),
                ("template", ""),
                ("to", "customer"),
                ("subject", " "),
                ("body", "Hello"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{e}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("a message needs a subject"),
            "{e}"
        );
        // Sent: the page reloads on the case, the timeline has the message, one e-mail.
        let res = form("message", v0).await.unwrap();
        assert_eq!(res.status(), 200, "{e}: followed to the case page");
        let after = res.text().await.unwrap();
        assert!(
            after.contains("message out"),
            "{e}: the timeline shows the message"
        );
        drain(&t).await;
        assert_eq!(smtp.to(&customer).len(), 1, "{e}: delivered once");
    }
}
