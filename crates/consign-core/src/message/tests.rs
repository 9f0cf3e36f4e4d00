//! Tests of message templates: fixtures built from real core types (tenant, case, shipment,
//! order), and the context, optional against undefined values, escaping and determinism.
//! The check's refusals are in `check_tests`, the defaults and `pick` in `defaults_tests`.

use super::variables::{case_type_label, format_instant, one_line};
use super::*;
use crate::case::{Case, CaseStatus, CaseSubject, NewCase, Severity};
use crate::ids::{CarrierId, CaseId, CustomerId, OrderId, ShipmentId, TenantId};
use crate::money::Currency;
use crate::order::{Address, Channel as SalesChannel, CustomerInfo, Order, OrderLine, OrderStatus};
use crate::shipment::{Direction, Place, Shipment, ShipmentStatus};
use crate::tenant::Tenant;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

pub(super) fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(super) fn chicago() -> TimeZone {
    TimeZone::get("America/Chicago").unwrap()
}

pub(super) fn tenant() -> Tenant {
    Tenant {
        id: TenantId::random(),
        slug: "northwind".into(),
        name: "Northwind Outfitters".into(),
        time_zone: "America/Chicago".into(),
        created_at: at("2026-01-01T00:00:00Z"),
    }
}

pub(super) fn case(case_type: &str, subject: CaseSubject) -> Case {
    let mut c = Case::start(
        CaseId::random(),
        TenantId::random(),
        NewCase {
            subject,
            case_type: case_type.into(),
            severity: Severity::Medium,
            accountable: "carrier".into(),
            owner_team: "customer-care".into(),
            rulebook_version: 1,
        },
        CaseStatus::New,
        at("2026-12-07T15:15:00Z"),
        at("2026-12-07T15:00:00Z"),
    );
    c.number = "CASE-000042".into();
    c.sla_due_at = Some(at("2026-12-07T19:15:00Z"));
    c
}

pub(super) fn order(customer_name: &str) -> Order {
    Order {
        id: OrderId::random(),
        tenant_id: TenantId::random(),
        number: "ORD-001207".into(),
        external_ref: "NW-58231".into(),
        customer_id: CustomerId::random(),
        customer: CustomerInfo {
            name: customer_name.into(),
            email: Some("jane.roe@example.com".into()),
            phone: None,
        },
        ship_to: Address {
            name: customer_name.into(),
            line1: "12 Main St".into(),
            line2: Some("Apt 4".into()),
            city: "Austin".into(),
            region: Some("TX".into()),
            postal_code: "78701".into(),
            country: "US".into(),
        },
        channel: SalesChannel::B2c,
        currency: Currency::parse("USD").unwrap(),
        lines: vec![OrderLine {
            line_no: 1,
            sku: "TENT-2P".into(),
            description: "Two-person tent".into(),
            quantity: 1,
            unit_price: Decimal::new(19900, 2),
        }],
        promised_by: Some(at("2026-12-08T05:59:00Z")),
        status: OrderStatus::Shipped,
        ordered_at: at("2026-12-03T10:00:00Z"),
        created_at: at("2026-12-03T10:00:00Z"),
        updated_at: at("2026-12-04T10:00:00Z"),
        version: 3,
    }
}

pub(super) fn shipment(order: Option<&Order>) -> Shipment {
    let place = |city: &str, postal: &str| Place {
        name: None,
        city: city.into(),
        region: Some("TX".into()),
        postal_code: postal.into(),
        country: "US".into(),
        time_zone: "America/Chicago".into(),
    };
    Shipment {
        id: ShipmentId::random(),
        tenant_id: TenantId::random(),
        number: "SHP-000318".into(),
        carrier_id: CarrierId::random(),
        service_level: "ground".into(),
        tracking_number: "1Z999AA10123456784".into(),
        pro_number: None,
        bol_number: None,
        direction: Direction::Outbound,
        order_id: order.map(|o| o.id),
        lines: vec![],
        origin: place("Dallas", "75201"),
        destination: place("Austin", "78701"),
        weight_kg: Decimal::new(42, 1),
        pieces: 1,
        planned_pickup_at: Some(at("2026-12-04T20:00:00Z")),
        promised_by: Some(at("2026-12-08T05:59:00Z")),
        international: false,
        pod_required: false,
        status: ShipmentStatus::Delayed,
        picked_up_at: Some(at("2026-12-04T21:10:00Z")),
        delivered_at: None,
        created_at: at("2026-12-04T10:00:00Z"),
        updated_at: at("2026-12-07T15:00:00Z"),
    }
}

/// What a case may come with, from everything to nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Shape {
    /// Shipment with ETA, order, reply address and agent.
    Full,
    /// Shipment without ETA or order (a shipment booked by hand).
    ShipmentOnly,
    /// A case about a carrier: no shipment, no order.
    Bare,
}

pub(super) fn context_for(case_type: &str, shape: Shape, customer_name: &str) -> MessageContext {
    let tenant = tenant();
    let order = order(customer_name);
    let shipment = shipment(Some(&order));
    let subject = match shape {
        Shape::Bare => CaseSubject::Carrier(CarrierId::random()),
        _ => CaseSubject::Shipment(shipment.id),
    };
    let case = case(case_type, subject);
    let facts = MessageFacts {
        tenant: &tenant,
        case: &case,
        case_description: Some("ETA after the promised day, or the carrier reports a delay"),
        shipment: (shape != Shape::Bare).then_some(ShipmentFacts {
            shipment: &shipment,
            carrier_name: "United Parcel Service",
            eta: (shape == Shape::Full).then(|| at("2026-12-08T23:00:00Z")),
        }),
        order: (shape == Shape::Full).then_some(&order),
        reply_to: (shape == Shape::Full).then_some("care@northwind.example"),
        agent_name: (shape == Shape::Full).then_some("Sam Carter"),
    };
    MessageContext::build(&facts, &chicago())
}

pub(super) fn template(channel: Channel, subject: Option<&str>, body: &str) -> Template {
    Template {
        name: "test_message".into(),
        case_type: "delay_risk".into(),
        audience: Audience::Customer,
        channel,
        language: "en".into(),
        subject: subject.map(str::to_string),
        body: body.into(),
    }
}

pub(super) fn email(body: &str) -> Template {
    template(Channel::Email, Some("Case {{ case.number }}"), body)
}

#[test]
fn the_context_is_built_from_core_types_in_the_tenant_time_zone() {
    let ctx = context_for("delay_risk", Shape::Full, "Jane Roe");
    assert_eq!(ctx.case.type_label, "Delay risk");
    assert_eq!(ctx.case.opened_at, "Mon 7 Dec 2026, 09:15 CST");
    assert_eq!(ctx.case.due.as_deref(), Some("Mon 7 Dec 2026, 13:15 CST"));
    let s = ctx.shipment.as_ref().unwrap();
    assert_eq!(s.eta.as_deref(), Some("Tue 8 Dec 2026, 17:00 CST"));
    assert_eq!(
        (s.status.as_str(), s.status_label.as_str()),
        ("delayed", "Delayed")
    );
    assert_eq!(s.delivered_at, None);
    let o = ctx.order.as_ref().unwrap();
    assert_eq!(
        o.ship_to,
        "Jane Roe, 12 Main St, Apt 4, Austin TX 78701, US"
    );
    // Summer time shows as such, and another zone as its own abbreviation.
    let july = at("2026-07-01T17:00:00Z");
    assert_eq!(
        format_instant(july, &chicago()),
        "Wed 1 Jul 2026, 12:00 CDT"
    );
    assert_eq!(
        format_instant(july, &TimeZone::UTC),
        "Wed 1 Jul 2026, 17:00 UTC"
    );
    assert_eq!(case_type_label("cold_chain_breach"), "Cold chain breach");
    let bare = Address {
        name: "Depot".into(),
        line1: "1 Dock Rd".into(),
        line2: Some(" ".into()),
        city: "Leeds".into(),
        region: None,
        postal_code: "LS1 1AA".into(),
        country: "GB".into(),
    };
    assert_eq!(one_line(&bare), "Depot, 1 Dock Rd, Leeds LS1 1AA, GB");
}

#[test]
fn allowed_variables_are_exactly_the_fields_of_the_context() {
    fn paths(prefix: &str, v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    paths(&p, v, out);
                }
            }
            _ => {
                out.insert(prefix.to_string());
            }
        }
    }
    let mut found = BTreeSet::new();
    paths(
        "",
        &serde_json::to_value(sample::full()).unwrap(),
        &mut found,
    );
    let allowed: BTreeSet<String> = ALLOWED_VARIABLES.iter().map(|s| s.to_string()).collect();
    assert_eq!(found, allowed);
    // The sample with every value set has every one of them set.
    let json = serde_json::to_string(&sample::full()).unwrap();
    assert!(!json.contains("null"), "{json}");
}

#[test]
fn optional_values_are_none_and_misspelt_ones_are_errors_when_rendered() {
    let bare = context_for("carrier_silent", Shape::Bare, "Jane Roe");
    let text = |body: &str, ctx: &MessageContext| {
        render(&template(Channel::Text, None, body), ctx).map(|r| r.body_text)
    };
    // Guards on an absent section, and on an absent value of a present one.
    let guarded = "A{% if shipment %}S{% endif %}{% if shipment.eta %}E{% endif %}\
        {% if order.customer_email %}M{% endif %}{% if agent %}G{% endif %}\
        {% if reply_to is none %}R{% endif %}{% if shipment is none %}N{% endif %}";
    assert_eq!(text(guarded, &bare).unwrap(), "ARN");
    let shipment_only = context_for("stalled", Shape::ShipmentOnly, "Jane Roe");
    assert_eq!(text(guarded, &shipment_only).unwrap(), "ASR");
    assert_eq!(
        text(guarded, &context_for("stalled", Shape::Full, "Jane Roe")).unwrap(),
        "ASEMG"
    );
    // Printed without a guard, an absent value is nothing; `or` gives a fallback.
    assert_eq!(
        text(
            "[{{ shipment.eta }}|{{ shipment }}|{{ agent.name or 'the team' }}]",
            &bare
        )
        .unwrap(),
        "[||the team]"
    );
    // A name that is not a variable fails even where it is only tested, and in an absent
    // section too: strict undefined.
    for body in [
        "{{ case.numbr }}",
        "{% if case.numbr %}x{% endif %}",
        "{{ shipment.etaa }}",
        "{{ nothing }}",
    ] {
        let err = text(body, &bare).unwrap_err();
        assert_eq!(err.field, "body");
        assert!(
            err.reason.starts_with("line 1: undefined value"),
            "{body}: {err}"
        );
    }
}

#[test]
fn html_escapes_a_hostile_name_that_text_keeps() {
    let ctx = context_for(
        "delay_risk",
        Shape::Full,
        "<script>alert('x')</script> & Co",
    );
    let t = template(
        Channel::Email,
        Some("Hello {{ order.customer_name }}"),
        "Dear {{ order.customer_name }},\n\nParcels < 5 kg\nship free.",
    );
    let r = render(&t, &ctx).unwrap();
    assert_eq!(
        r.body_text,
        "Dear <script>alert('x')</script> & Co,\n\nParcels < 5 kg\nship free."
    );
    assert_eq!(
        r.body_html.as_deref(),
        Some(
            "<p>Dear &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co,</p>\n\
             <p>Parcels &lt; 5 kg<br>\nship free.</p>"
        )
    );
    // The subject is a header: kept as text, on one line whatever the value holds.
    assert_eq!(
        r.subject.as_deref(),
        Some("Hello <script>alert('x')</script> & Co")
    );
    let ctx = context_for("delay_risk", Shape::Full, "Jane\r\nBcc: x@example.com");
    assert_eq!(
        render(&t, &ctx).unwrap().subject.as_deref(),
        Some("Hello Jane Bcc: x@example.com")
    );
}

#[test]
fn rendering_is_deterministic() {
    let ctx = context_for("lost", Shape::Full, "Jane Roe");
    for t in defaults() {
        assert_eq!(render(t, &ctx), render(t, &ctx.clone()));
    }
}

#[test]
fn templates_round_trip_as_json_and_toml() {
    let t = Template {
        name: "delay_notice".into(),
        subject: Some("S".into()),
        body: "B".into(),
        ..template(Channel::Email, None, "")
    };
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(
        json,
        r#"{"name":"delay_notice","case_type":"delay_risk","audience":"customer","channel":"email","language":"en","subject":"S","body":"B"}"#
    );
    assert_eq!(serde_json::from_str::<Template>(&json).unwrap(), t);
    let text = Template {
        channel: Channel::Text,
        subject: None,
        ..t
    };
    assert!(!serde_json::to_string(&text).unwrap().contains("subject"));
    assert!(serde_json::from_str::<Template>(r#"{"name":"x","case_type":"*","audience":"client","channel":"sms","language":"en","body":"B"}"#).is_err());
}
