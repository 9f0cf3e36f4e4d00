//! Sample contexts: a case with every optional value and one with none, for checking a
//! template when it is saved and for previews before any real case exists.

use super::variables::{AgentVars, CaseVars, MessageContext, OrderVars, ShipmentVars, TenantVars};

/// A delayed parcel on its way to a customer: every section and every optional value set.
pub fn full() -> MessageContext {
    MessageContext {
        tenant: TenantVars {
            name: "Northwind Outfitters".into(),
            slug: "northwind".into(),
            time_zone: "America/Chicago".into(),
        },
        case: CaseVars {
            number: "CASE-000042".into(),
            case_type: "delay_risk".into(),
            type_label: "Delay risk".into(),
            severity: "medium".into(),
            status: "open".into(),
            description: Some("ETA after the promised day, or the carrier reports a delay".into()),
            opened_at: "Mon 7 Dec 2026, 09:15 CST".into(),
            due: Some("Mon 7 Dec 2026, 13:15 CST".into()),
        },
        shipment: Some(ShipmentVars {
            number: "SHP-000318".into(),
            tracking_number: "1Z999AA10123456784".into(),
            carrier: "United Parcel Service".into(),
            service_level: "ground".into(),
            status: "delayed".into(),
            status_label: "Delayed".into(),
            promised_by: Some("Mon 7 Dec 2026, 23:59 CST".into()),
            eta: Some("Tue 8 Dec 2026, 17:00 CST".into()),
            destination_city: "Austin".into(),
            destination_country: "US".into(),
            delivered_at: Some("Tue 8 Dec 2026, 16:42 CST".into()),
        }),
        order: Some(OrderVars {
            number: "ORD-001207".into(),
            external_ref: "NW-58231".into(),
            customer_name: "Jane Roe".into(),
            customer_email: Some("jane.roe@example.com".into()),
            ship_to: "Jane Roe, 12 Main St, Apt 4, Austin TX 78701, US".into(),
        }),
        reply_to: Some("care@northwind.example".into()),
        agent: Some(AgentVars {
            name: "Sam Carter".into(),
        }),
    }
}

/// A case about a carrier, not a shipment: no shipment, order, reply address, agent,
/// description or deadline.
pub fn bare() -> MessageContext {
    let full = full();
    MessageContext {
        tenant: full.tenant,
        case: CaseVars {
            case_type: "carrier_silent".into(),
            type_label: "Carrier not reporting".into(),
            description: None,
            due: None,
            ..full.case
        },
        shipment: None,
        order: None,
        reply_to: None,
        agent: None,
    }
}
