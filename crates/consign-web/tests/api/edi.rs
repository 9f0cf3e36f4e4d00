//! EDI intake over HTTP with the shared real-world samples: partner matching, strict and
//! lenient partners, 997s, raw storage, re-delivery as a no-op, and received 997s matched to
//! the groups we sent.

use crate::harness::*;
use consign_core::edi::{OutboundGroup, PartnerKind};
use reqwest::Method;
use serde_json::{Value, json};

pub(crate) fn sample(name: &str) -> Vec<u8> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/x12");
    std::fs::read(dir.join(format!("{name}.x12-types-0.12.0.x12"))).expect("shared sample")
}

pub(crate) async fn partner(
    t: &TestApp,
    isa_qualifier: &str,
    isa_id: &str,
    lenient: bool,
) -> Value {
    let body = json!({
        "name": format!("{isa_id} EDI"), "isa_qualifier": isa_qualifier, "isa_id": isa_id,
        "our_isa_id": "CONSIGN", "kind": "carrier", "carrier": "UPSN", "lenient": lenient
    });
    let res = t
        .post("/api/v1/tenants/alpha/edi/partners", &t.admin_token, &body)
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

pub(crate) async fn send(t: &TestApp, bytes: Vec<u8>) -> Value {
    let res = t
        .req(Method::POST, "/api/v1/tenants/alpha/edi", &t.admin_token)
        .header("content-type", "application/edi-x12")
        .body(bytes)
        .sent()
        .await;
    assert_eq!(res.status(), 200, "{}", t.engine);
    res.json().await.unwrap()
}

/// The carrier's 997 (ISA 02:UPSN, control `control`) for the interchange we sent it,
/// accepting it or rejecting its set.
fn carrier_997(x12: &str, reject: bool, control: u32) -> Vec<u8> {
    let doc = consign_edi::read(x12.as_bytes(), &consign_edi::ReadOptions::strict());
    let g = &doc.interchanges[0].groups[0];
    let mut result = consign_edi::GroupResult::from_group(g);
    if reject {
        result.sets[0].errors.push(consign_edi::EdiError::new(
            consign_edi::ErrorKind::MissingSegment,
            "test rejection",
        ));
    }
    let ack = consign_edi::ack_997(g, &result, "0001");
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    let env = consign_edi::Envelope {
        sender_qualifier: "02".into(),
        sender_id: "UPSN".into(),
        receiver_qualifier: "ZZ".into(),
        receiver_id: "CONSIGN".into(),
        application_sender: None,
        application_receiver: None,
        date: now.date(),
        time: now.time(),
        interchange_control: control,
        group_control: control,
        functional_id: "FA".into(),
        version: consign_edi::X12Version::V004010,
        usage: consign_edi::Usage::Production,
        ack_requested: false,
    };
    consign_edi::write_interchange(&env, &[ack], &consign_edi::WriteOptions::default()).unwrap()
}

/// How many cases one sweep of the unacknowledged EDI groups opens, at `at`'s clock.
async fn cases_opened_by_sweep(at: &consign_app::App) -> u64 {
    at.sweep_edi_groups().await.unwrap().opened
}

/// The groups sent to partner `id` and what became of them, as the API lists them.
async fn outbound_groups(t: &TestApp, id: &dyn std::fmt::Display) -> Value {
    let path = format!("/api/v1/tenants/alpha/edi/partners/{id}/outbound");
    t.get_json(&path, &t.admin_token).await
}

/// Where shipment `s` (as the API answered it) is tendered to its carrier.
fn tender_path(s: &Value) -> String {
    let id = s["id"].as_str().unwrap();
    format!("/api/v1/tenants/alpha/shipments/{id}/tender")
}

/// Creates the shipment `body` and tenders it to its carrier's partner: the shipment and
/// what the tender answered.
async fn tender_shipment(t: &TestApp, body: &Value) -> (Value, Value) {
    let s: Value = t
        .post_json("/api/v1/tenants/alpha/shipments", &t.admin_token, body)
        .await;
    let res = t.post(&tender_path(&s), &t.admin_token, &json!({})).await;
    assert_eq!(res.status(), 201, "{}", t.engine);
    (s, res.json().await.unwrap())
}

/// Tenders a new shipment with tracking number `tracking` to the UPSN partner: the 204's X12
/// and its group control number.
async fn tender(t: &TestApp, tracking: &str) -> (String, String) {
    let (_, sent) = tender_shipment(t, &shipment_body(tracking, None)).await;
    (
        sent["x12"].as_str().unwrap().to_string(),
        sent["group_control"].as_str().unwrap().to_string(),
    )
}

async fn edi_cases(t: &TestApp, query: &str) -> Vec<Value> {
    let path = format!("/api/v1/tenants/alpha/cases?type=edi_unacknowledged{query}");
    let res = t.get(&path, &t.admin_token).await;
    assert_eq!(res.status(), 200, "{}", t.engine);
    let v: Value = res.json().await.unwrap();
    v["items"].as_array().unwrap().clone()
}

/// SPEC §3 `edi_unacknowledged`: a tender without a 997 for 24 h gets one case, addressed to
/// the partner and naming the group, which the partner's accepting 997 resolves; a rejecting
/// 997 opens one at once, another rejection is a new detection on it, not a second case.
#[tokio::test]
async fn an_unanswered_or_rejected_tender_opens_an_edi_case_that_acceptance_resolves() {
    use consign_core::time::FixedClock;
    use jiff::{SignedDuration, Timestamp};
    use std::sync::Arc;
    for t in spawn_alpha().await {
        let p = partner(&t, "02", "UPSN", false).await;
        let pid = p["id"].as_str().unwrap();
        let (x12, group) = tender(&t, "1ZSILENT").await;
        let mut at = t.app.clone();
        at.clock = Arc::new(FixedClock(
            Timestamp::now() + SignedDuration::from_hours(23),
        ));
        assert_eq!(cases_opened_by_sweep(&at).await, 0, "{}", t.engine);
        at.clock = Arc::new(FixedClock(
            Timestamp::now() + SignedDuration::from_hours(25),
        ));
        assert_eq!(cases_opened_by_sweep(&at).await, 1, "{}", t.engine);
        assert_eq!(cases_opened_by_sweep(&at).await, 0, "{}", t.engine);
        let open = edi_cases(&t, "&open=true").await;
        assert_eq!(open.len(), 1, "{}", t.engine);
        let case = &open[0];
        assert_eq!(case["partner_id"], pid);
        assert_eq!(case["edi_group"], group.as_str());
        assert_eq!(case["accountable"], "carrier");
        assert_eq!(case["severity"], "medium");
        assert_eq!(case["owner_team"], "edi-desk");
        assert!(case["shipment_id"].is_null());
        // Filtered by partner and by carrier it is there; for another partner it is not.
        assert_eq!(edi_cases(&t, &format!("&partner={pid}")).await.len(), 1);
        assert_eq!(edi_cases(&t, "&carrier=UPSN").await.len(), 1);
        let other = uuid::Uuid::now_v7();
        assert!(edi_cases(&t, &format!("&partner={other}")).await.is_empty());
        let bad = t
            .get_problem(
                "/api/v1/tenants/alpha/cases?partner=nope",
                &t.admin_token,
                422,
            )
            .await;
        assert_eq!(field_errors(&bad)[0].0, "partner", "{bad}");

        // The 997 arrives late, accepting: the case resolves as it is received.
        let report = send(&t, carrier_997(&x12, false, 501)).await;
        assert_eq!(report["interchanges"][0]["status"], "accepted", "{report}");
        assert!(edi_cases(&t, "&open=true").await.is_empty(), "{}", t.engine);
        let id = case["id"].as_str().unwrap();
        let view: Value = t
            .get_json(&format!("/api/v1/tenants/alpha/cases/{id}"), &t.admin_token)
            .await;
        assert_eq!(view["status"], "resolved", "{view}");
        let kinds: Vec<&str> = strs(&view["timeline"], "kind");
        assert_eq!(kinds, ["created", "resolved"], "{view}");
        // The rule's resolution names its code and is the system's doing.
        assert_eq!(view["resolution"], "no_action_needed", "{view}");
        assert_eq!(view["timeline"][1]["after"], "no_action_needed", "{view}");
        assert_eq!(view["timeline"][1]["actor"], "system", "{view}");

        // A rejecting 997 opens a case at once, long before 24 h.
        let (x12, group) = tender(&t, "1ZREJECT").await;
        send(&t, carrier_997(&x12, true, 502)).await;
        let open = edi_cases(&t, "&open=true").await;
        assert_eq!(open.len(), 1, "{}", t.engine);
        assert_eq!(open[0]["edi_group"], group.as_str());
        // Rejected again (a second 997 for the group): the same case, detected again.
        send(&t, carrier_997(&x12, true, 503)).await;
        let open = edi_cases(&t, "&open=true").await;
        assert_eq!(open.len(), 1, "{}", t.engine);
        assert_eq!(open[0]["detections"], 2, "{}", t.engine);
        // Re-delivering that interchange changes nothing.
        send(&t, carrier_997(&x12, true, 503)).await;
        assert_eq!(edi_cases(&t, "&open=true").await[0]["detections"], 2);
        // The sweep leaves a rejected group's case as it is; acceptance resolves it.
        assert_eq!(cases_opened_by_sweep(&at).await, 0, "{}", t.engine);
        send(&t, carrier_997(&x12, false, 504)).await;
        assert!(edi_cases(&t, "&open=true").await.is_empty(), "{}", t.engine);
        assert_eq!(edi_cases(&t, "&status=resolved").await.len(), 2);
    }
}

/// Concurrent intake (as two servers on one PostgreSQL would see it): two rejecting 997s for
/// one group arriving at the same instant open one case, detected twice, and both are
/// answered; the same interchange delivered twice at once is taken once and the other
/// delivery is reported a duplicate, not an error.
#[tokio::test]
async fn concurrent_997s_for_one_group_open_one_case_and_a_concurrent_redelivery_is_a_duplicate() {
    for t in spawn_alpha().await {
        partner(&t, "02", "UPSN", false).await;
        let n = 6;
        let mut groups = Vec::new();
        for i in 0..n {
            groups.push(tender(&t, &format!("1ZRACE{i}")).await);
        }
        let send_raw = |bytes: Vec<u8>| {
            let req = t
                .req(Method::POST, "/api/v1/tenants/alpha/edi", &t.admin_token)
                .header("content-type", "application/edi-x12")
                .body(bytes);
            async move {
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                (status, res.text().await.unwrap())
            }
        };
        // Per group: two different rejecting 997s at once, then a third one delivered twice
        // at once.
        for (i, (x12, _)) in groups.iter().enumerate() {
            let c = 700 + 10 * i as u32;
            let (a, b) = tokio::join!(
                send_raw(carrier_997(x12, true, c)),
                send_raw(carrier_997(x12, true, c + 1))
            );
            assert_eq!((a.0, b.0), (200, 200), "{}: {a:?} {b:?}", t.engine);
            let again = carrier_997(x12, true, c + 2);
            let (a, b) = tokio::join!(send_raw(again.clone()), send_raw(again));
            assert_eq!((a.0, b.0), (200, 200), "{}: {a:?} {b:?}", t.engine);
            let mut statuses: Vec<String> = [&a.1, &b.1]
                .iter()
                .map(|r| {
                    let v: Value = serde_json::from_str(r).unwrap();
                    v["interchanges"][0]["status"].as_str().unwrap().to_string()
                })
                .collect();
            statuses.sort();
            assert_eq!(statuses, ["accepted", "duplicate"], "{}", t.engine);
        }
        let open = edi_cases(&t, "&open=true&limit=100").await;
        assert_eq!(open.len(), n, "{}: one case per group: {open:?}", t.engine);
        for (_, group) in &groups {
            let case = open
                .iter()
                .find(|c| c["edi_group"] == group.as_str())
                .unwrap_or_else(|| panic!("{}: no case for group {group}", t.engine));
            assert_eq!(case["detections"], 3, "{}: {case}", t.engine);
        }
    }
}

#[tokio::test]
async fn a_lenient_partner_loads_a_faulty_214_once_and_gets_its_997() {
    for t in spawn_alpha().await {
        partner(&t, "ZZ", "ABCDEFGHIJKLMNO", true).await;
        let raw = sample("v004010_214_01");
        let report = send(&t, raw.clone()).await;
        let ic = &report["interchanges"][0];
        assert_eq!(ic["status"], "accepted", "{report}");
        assert!(
            ic["warnings"][0]
                .as_str()
                .unwrap()
                .contains("IEA02 '000002510' does not match ISA13 '000003438'"),
            "{ic}"
        );
        let set = &ic["groups"][0]["sets"][0];
        assert_eq!(set["status"], "accepted");
        assert!(
            set["content"]["ShipmentStatus214"]["events"]
                .as_array()
                .is_some_and(|e| !e.is_empty()),
            "{set}"
        );
        let ack = report["acknowledgements"].as_str().unwrap();
        assert!(
            ack.starts_with(
                "ISA*00*          *00*          *ZZ*123456789012345*ZZ*ABCDEFGHIJKLMNO*"
            ),
            "{ack}"
        );
        assert!(
            ack.contains("AK1*QM*2510~") && ack.contains("AK9*A*1*1*1~"),
            "{ack}"
        );

        // Re-delivery of the same interchange is a no-op.
        let again = send(&t, raw.clone()).await;
        assert_eq!(again["interchanges"][0]["status"], "duplicate");
        assert_eq!(again["acknowledgements"], "");
        let list: Value = t
            .get_json("/api/v1/tenants/alpha/edi/interchanges", &t.admin_token)
            .await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(
            items.len(),
            2,
            "the inbound 214 and our outbound 997: {list}"
        );
        let inbound = items.iter().find(|i| i["direction"] == "inbound").unwrap();
        let id = inbound["id"].as_str().unwrap();
        let raw_path = format!("/api/v1/tenants/alpha/edi/interchanges/{id}/raw");
        let stored = t
            .get(&raw_path, &t.admin_token)
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(stored.to_vec(), raw, "stored raw, byte for byte");
        let detail: Value = t
            .get_json(
                &format!("/api/v1/tenants/alpha/edi/interchanges/{id}"),
                &t.admin_token,
            )
            .await;
        assert_eq!(detail["sets"][0]["set_id"], "214");
        assert_eq!(detail["sets"][0]["status"], "accepted");
    }
}

#[tokio::test]
async fn a_strict_partner_gets_rejections_with_the_fault_named_and_nothing_committed() {
    for t in spawn_alpha().await {
        partner(&t, "ZZ", "SENDER", false).await;
        let report = send(&t, sample("v004010_945_03")).await;
        let ic = &report["interchanges"][0];
        assert_eq!(ic["status"], "rejected", "{report}");
        let set = &ic["groups"][0]["sets"][0];
        assert_eq!(set["status"], "rejected");
        assert!(
            set["problems"][0]
                .as_str()
                .unwrap()
                .contains("SE01 says 4 segments, the set has 5"),
            "{set}"
        );
        assert!(
            set.get("content").is_none(),
            "a rejected set carries no content"
        );
        let ack = report["acknowledgements"].as_str().unwrap();
        assert!(
            ack.contains("AK5*R*4*5~") && ack.contains("AK3*W03*5**3~"),
            "{ack}"
        );
        // Accept: application/edi-x12 gives the 997 itself. The same ISA13 may come again once
        // corrected, because a rejected interchange does not count as received.
        let res = t
            .req(Method::POST, "/api/v1/tenants/alpha/edi", &t.admin_token)
            .header("accept", "application/edi-x12")
            .body(sample("v004010_945_03"))
            .sent()
            .await;
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/edi-x12"
        );
        assert!(res.text().await.unwrap().contains("AK5*R*4"));

        // An unknown sender is refused and named.
        let report = send(&t, sample("v004010_204_02")).await;
        assert_eq!(report["interchanges"][0]["status"], "rejected");
        assert!(
            report["interchanges"][0]["problems"][0]
                .as_str()
                .unwrap()
                .contains("no trading partner with ISA sender ZZ:USANYC999")
        );
        // Garbage and empty bodies are precise errors.
        let post_edi = |body: Vec<u8>| {
            t.req(Method::POST, "/api/v1/tenants/alpha/edi", &t.admin_token)
                .body(body)
        };
        let p = post_edi(b"hello".to_vec()).problem(422).await;
        assert!(detail(&p).contains("ISA"), "{p}");
        let p = post_edi(Vec::new()).problem(422).await;
        assert_eq!(field_errors(&p)[0].0, "body");
        // A 50 MB body is refused before it is read.
        let huge = vec![b'A'; 50 * 1024 * 1024];
        post_edi(huge).problem(413).await;
    }
}

#[tokio::test]
async fn received_997s_are_matched_to_the_groups_we_sent() {
    for t in spawn_alpha().await {
        let p = partner(&t, "ZZ", "SENDER", true).await;
        let partner_id: consign_core::ids::PartnerId = p["id"].as_str().unwrap().parse().unwrap();
        let tenant = t.store.tenant_by_slug("alpha").await.unwrap().unwrap();
        // The group the sample 997 acknowledges (AK1*HC*17456), as if we had sent it.
        let sent = OutboundGroup {
            partner_id,
            group_control: "17456".into(),
            interchange_id: consign_core::ids::InterchangeId::random(),
            functional_id: "HC".into(),
            set_count: 1,
            sent_at: jiff::Timestamp::now(),
            ack_status: None,
            ack_at: None,
            ack_detail: None,
        };
        let mut tx = t.store.begin().await.unwrap();
        tx.insert_outbound_group(tenant.id, &sent).await.unwrap();
        tx.commit().await.unwrap();
        let before: Value = outbound_groups(&t, &partner_id).await;
        assert!(
            before["items"][0]["ack_status"].is_null(),
            "awaiting its 997"
        );
        let report = send(&t, sample("v005010_997_01")).await;
        assert_eq!(report["interchanges"][0]["status"], "accepted");
        assert_eq!(report["acknowledgements"], "", "a 997 is not acknowledged");
        let after: Value = outbound_groups(&t, &partner_id).await;
        assert_eq!(after["items"][0]["ack_status"], "A", "{after}");
        let _ = PartnerKind::Carrier;
    }
}

#[tokio::test]
async fn partner_input_is_checked() {
    for t in spawn_alpha().await {
        let bad = json!({"name": "", "isa_qualifier": "Z", "isa_id": "WAY*TOO*LONG*FOR*ISA", "our_isa_id": "X", "kind": "carrier", "carrier": "NOPE"});
        let p = t
            .post_problem(
                "/api/v1/tenants/alpha/edi/partners",
                &t.admin_token,
                &bad,
                422,
            )
            .await;
        let mut fields: Vec<String> = field_errors(&p).into_iter().map(|e| e.0).collect();
        fields.sort();
        assert_eq!(
            fields,
            ["carrier", "isa_id", "isa_qualifier", "name"],
            "{p}"
        );
        partner(&t, "02", "ODFL", false).await;
        let dup = json!({"name": "again", "isa_qualifier": "02", "isa_id": "ODFL", "our_isa_id": "X", "kind": "carrier", "carrier": "UPSN"});
        t.post_problem(
            "/api/v1/tenants/alpha/edi/partners",
            &t.admin_token,
            &dup,
            409,
        )
        .await;
        // Client viewers may not post EDI.
        let viewer = t
            .token(
                consign_core::access::Role::ClientViewer,
                Some("alpha"),
                None,
            )
            .await;
        problem(
            t.req(Method::POST, "/api/v1/tenants/alpha/edi", &viewer)
                .body(sample("v004010_214_01"))
                .sent()
                .await,
            403,
        )
        .await;
    }
}

#[tokio::test]
async fn a_tendered_204_is_stored_awaits_its_997_and_reads_back() {
    for t in spawn_alpha().await {
        let p = partner(&t, "02", "UPSN", false).await;
        // A destination whose name is not ASCII: X12 carries it transliterated.
        let mut body = shipment_body("1ZTENDER", None);
        body["bol_number"] = json!("PO-55-1");
        body["destination"] = json!({ "city": "Ciudad de México", "postal_code": "06600",
            "country": "MX", "time_zone": "America/Mexico_City" });
        let (s, sent) = tender_shipment(&t, &body).await;
        let x12 = sent["x12"].as_str().unwrap().to_string();
        // Our own reader reads it back, strictly, as the tender we meant.
        let doc = consign_edi::read(x12.as_bytes(), &consign_edi::ReadOptions::strict());
        assert!(doc.all_errors().is_empty(), "{:?}", doc.all_errors());
        let ic = &doc.interchanges[0];
        assert_eq!(
            (
                ic.header.receiver_qualifier.trim(),
                ic.header.receiver_id.trim()
            ),
            ("02", "UPSN")
        );
        let set = &ic.groups[0].sets[0];
        let Ok(consign_edi::TypedSet::LoadTender204(tender)) =
            consign_edi::parse_any(set, &consign_edi::ReadOptions::strict())
        else {
            panic!("not a 204: {x12}")
        };
        assert_eq!(tender.scac.as_deref(), Some("UPSN"));
        assert_eq!(tender.shipment_id.as_deref(), s["number"].as_str());
        assert_eq!(tender.stops.len(), 2);
        assert_eq!(
            tender.stops[1].parties[0].city.as_deref(),
            Some("Ciudad de Mexico"),
            "{x12}"
        );
        assert_eq!(tender.references[0].value, "1ZTENDER");
        // The bill of lading travels as L11 with qualifier BM.
        assert_eq!(
            (
                tender.references[1].qualifier.as_str(),
                tender.references[1].value.as_str()
            ),
            ("BM", "PO-55-1"),
            "{x12}"
        );

        let pid = p["id"].as_str().unwrap();
        let groups: Value = outbound_groups(&t, &pid).await;
        assert!(groups["items"][0]["ack_status"].is_null());
        // The carrier answers with a 997 rejecting the set: visible on the partner.
        let report = send(&t, carrier_997(&x12, true, 77)).await;
        assert_eq!(report["interchanges"][0]["status"], "accepted", "{report}");
        let groups: Value = outbound_groups(&t, &pid).await;
        assert_eq!(groups["items"][0]["ack_status"], "R", "{groups}");

        // A carrier without a trading partner cannot be tendered to.
        let alpha = t.store.tenant_by_slug("alpha").await.unwrap().unwrap();
        let od_carrier = consign_core::party::NewCarrier {
            name: "Old Dominion".into(),
            scac: Some("ODFL".into()),
            mode: consign_core::party::Mode::Ltl,
        };
        t.app
            .create_carrier(
                &consign_core::access::Principal::system(),
                &alpha,
                od_carrier,
            )
            .await
            .unwrap();
        let mut body = shipment_body("PRO1", None);
        body["carrier"] = json!("ODFL");
        let od: Value = t.shipment_answer(&body).await;
        let p = t
            .post_problem(&tender_path(&od), &t.admin_token, &json!({}), 409)
            .await;
        assert!(detail(&p).contains("no EDI trading partner"), "{p}");
    }
}

#[tokio::test]
async fn an_order_goes_to_its_warehouse_as_a_940() {
    for t in spawn_alpha().await {
        let w = json!({"code": "DAL1", "name": "Dallas DC", "time_zone": "America/Chicago"});
        assert_eq!(
            t.post("/api/v1/tenants/alpha/warehouses", &t.admin_token, &w)
                .await
                .status(),
            201
        );
        let p = json!({"name": "Dallas WMS", "isa_qualifier": "ZZ", "isa_id": "DALWMS", "our_isa_id": "CONSIGN", "kind": "warehouse", "warehouse": "DAL1"});
        assert_eq!(
            t.post("/api/v1/tenants/alpha/edi/partners", &t.admin_token, &p)
                .await
                .status(),
            201
        );
        let order: Value = t.order_answer(&order_body("PO-940")).await;
        let url = format!(
            "/api/v1/tenants/alpha/orders/{}/warehouse-order",
            order["id"].as_str().unwrap()
        );
        let res = t
            .post(&format!("{url}?warehouse=DAL1"), &t.admin_token, &json!({}))
            .await;
        assert_eq!(res.status(), 201, "{}", t.engine);
        let sent: Value = res.json().await.unwrap();
        let x12 = sent["x12"].as_str().unwrap();
        let doc = consign_edi::read(x12.as_bytes(), &consign_edi::ReadOptions::strict());
        assert!(doc.all_errors().is_empty(), "{:?}", doc.all_errors());
        let Ok(consign_edi::TypedSet::ShippingOrder940(o)) = consign_edi::parse_any(
            &doc.interchanges[0].groups[0].sets[0],
            &consign_edi::ReadOptions::strict(),
        ) else {
            panic!("not a 940: {x12}")
        };
        assert_eq!(o.depositor_order_number, order["number"].as_str().unwrap());
        assert_eq!(o.purchase_order_number.as_deref(), Some("PO-940"));
        assert_eq!(o.lines.len(), 2);
        assert_eq!(
            o.lines[0].product_ids[0],
            ("VN".to_string(), "SKU-1".to_string())
        );
        let p = t.post_problem(&url, &t.admin_token, &json!({}), 422).await;
        assert_eq!(field_errors(&p)[0].0, "warehouse");
        t.post_problem(
            &format!("{url}?warehouse=NOPE"),
            &t.admin_token,
            &json!({}),
            422,
        )
        .await;
    }
}

/// A carrier's 214 moves the shipments it names: each status AT7 becomes a tracking event
/// (B10's shipment id matches ours here), and re-sending the interchange changes nothing.
#[tokio::test]
async fn an_accepted_214_becomes_tracking_events_of_its_shipments() {
    for t in spawn_alpha().await {
        partner(&t, "ZZ", "ABCDEFGHIJKLMNO", true).await;
        let res = t.post_shipment(&shipment_body("99948782", None)).await;
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let report = send(&t, sample("v004010_214_01")).await;
        let warnings = report["interchanges"][0]["warnings"].to_string();
        assert!(warnings.contains("214:"), "{warnings}");
        let st: Value = t.tracking_of(&id).await;
        // AT7 X3, CP, X1, D1 per LX loop (the appointment-only AT7s set no status), times in
        // Pacific Standard (PS): the status is the latest (D1 of 2011-12-22 07:45), the
        // delivery instant the first D1 (2011-12-19 04:30).
        assert_eq!(st["status"], "delivered", "{}: {st}", t.engine);
        assert_eq!(st["status_at"], "2011-12-22T15:45:00Z", "{st}");
        assert_eq!(st["delivered_at"], "2011-12-19T12:30:00Z", "{st}");
        assert_eq!(st["picked_up_at"], "2011-12-17T17:30:00Z", "{st}");
        let events = st["events"].as_array().unwrap();
        assert!(events.iter().all(|e| e["source"] == "edi:214"), "{st}");
        let codes: Vec<&str> = events
            .iter()
            .map(|e| e["raw_code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&"D1") && codes.contains(&"CP"), "{codes:?}");
        let quality: Value = t
            .get_json("/api/v1/tenants/alpha/tracking/quality", &t.admin_token)
            .await;
        // Three LX loops of four status AT7s each; the shipment id in B10 claims them all.
        let stored = quality["events"].as_i64().unwrap();
        assert_eq!(
            (stored, quality["orphans"].as_i64()),
            (12, Some(0)),
            "{quality}"
        );
        // The same interchange again is a duplicate: no event stored twice.
        send(&t, sample("v004010_214_01")).await;
        let again: Value = t
            .get_json("/api/v1/tenants/alpha/tracking/quality", &t.admin_token)
            .await;
        assert_eq!(again["events"].as_i64(), Some(stored));
    }
}

/// One interchange from ABCDEFGHIJKLMNO whose groups are given as (GS06, AT7 elements 1 to 7
/// of the group's one 214). Every set is `ST*214*0001`: ST02 need be unique only in its group.
fn interchange_of_214_groups(isa13: &str, tracking: &str, groups: &[(&str, &str)]) -> Vec<u8> {
    let mut x = format!(
        "ISA*00*          *00*          *ZZ*ABCDEFGHIJKLMNO*ZZ*CONSIGN        *260308*1500*U*00401*{isa13}*0*P*>~"
    );
    for (gs06, at7) in groups {
        x += &format!(
            "GS*QM*ABCDEFGHIJKLMNO*CONSIGN*20260308*1500*{gs06}*X*004010~\
             ST*214*0001~B10*REF{gs06}*{tracking}*UPSN~LX*1~AT7*{at7}~SE*5*0001~GE*1*{gs06}~"
        );
    }
    x += &format!("IEA*{}*{isa13}~", groups.len());
    x.into_bytes()
}

#[tokio::test]
async fn a_214s_local_times_take_the_partners_offset_at_their_own_hour_and_every_group_counts() {
    for t in spawn_alpha().await {
        let body = json!({
            "name": "Chicago carrier", "isa_qualifier": "ZZ", "isa_id": "ABCDEFGHIJKLMNO",
            "our_isa_id": "CONSIGN", "kind": "carrier", "carrier": "UPSN",
            "time_zone": "America/Chicago"
        });
        let res = t
            .post("/api/v1/tenants/alpha/edi/partners", &t.admin_token, &body)
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let res = t.post_shipment(&shipment_body("1ZDST0308", None)).await;
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        // 2026-03-08, the day Chicago's clocks go forward at 02:00: both times are CDT (-5),
        // though midnight that day was CST (-6). No AT707: local time, the partner's zone.
        let x12 = interchange_of_214_groups(
            "000000901",
            "1ZDST0308",
            &[
                ("1", "AF*NS***20260308*0900"),
                ("2", "X6*NS***20260308*1400"),
            ],
        );
        let report = send(&t, x12.clone()).await;
        assert_eq!(
            report["interchanges"][0]["status"], "accepted",
            "{}: {report}",
            t.engine
        );
        let st = t.tracking_of(&id).await;
        assert_eq!(st["picked_up_at"], "2026-03-08T14:00:00Z", "{st}");
        assert_eq!(st["status"], "out_for_delivery", "{st}");
        assert_eq!(st["status_at"], "2026-03-08T19:00:00Z", "{st}");
        // Each group's set 0001 is its own: both events are stored, neither taken for the
        // other's re-delivery.
        let stored = |st: &Value| st["events"].as_array().unwrap().len();
        assert_eq!(stored(&st), 2, "{}: {st}", t.engine);
        // The same interchange again stays a no-op.
        let again = send(&t, x12).await;
        assert_eq!(again["interchanges"][0]["status"], "duplicate", "{again}");
        assert_eq!(stored(&t.tracking_of(&id).await), 2);
    }
}
