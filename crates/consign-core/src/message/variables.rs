//! The variables a message template may use, built from the case, its shipment and order by a
//! pure function, with every time written out in the tenant's time zone.
//!
//! Everything a template sees is a string or `none`: the context is a finished, human-readable
//! picture of the case, so templates need no date or number filters and render the same
//! wherever they run.

use crate::case::Case;
use crate::order::{Address, Order};
use crate::shipment::{Shipment, ShipmentStatus};
use crate::tenant::Tenant;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use minijinja::Value;
use minijinja::value::Object;
use serde::Serialize;
use std::sync::Arc;

/// Every variable a template may name, as dotted paths: the one list that [`check`] compares a
/// template's variables with and that the sections below must match field for field (a test
/// holds them together). The section names themselves (`shipment`, `order`, `agent`) may be
/// used alone to test whether the section is there: `{% if shipment %}`.
///
/// Optional values are `none` when the data has none (a carrier case has no shipment, a
/// shipment may have no ETA); they print as nothing, and `{% if shipment.eta %}` is false.
///
/// [`check`]: super::Template::check
pub const ALLOWED_VARIABLES: &[&str] = &[
    "tenant.name",
    "tenant.slug",
    "tenant.time_zone",
    "case.number",
    "case.case_type",
    "case.type_label",
    "case.severity",
    "case.status",
    "case.description",
    "case.opened_at",
    "case.due",
    "shipment.number",
    "shipment.tracking_number",
    "shipment.carrier",
    "shipment.service_level",
    "shipment.status",
    "shipment.status_label",
    "shipment.promised_by",
    "shipment.eta",
    "shipment.destination_city",
    "shipment.destination_country",
    "shipment.delivered_at",
    "order.number",
    "order.external_ref",
    "order.customer_name",
    "order.customer_email",
    "order.ship_to",
    "reply_to",
    "agent.name",
];

/// Whether `name` (a dotted path from a template) is a variable or a section of the context.
pub fn is_allowed_variable(name: &str) -> bool {
    ALLOWED_VARIABLES.contains(&name)
        || ALLOWED_VARIABLES.iter().any(|v| {
            v.split_once('.')
                .is_some_and(|(section, _)| section == name)
        })
}

/// What a message can say about a case: the template's whole world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageContext {
    pub tenant: TenantVars,
    pub case: CaseVars,
    /// Absent for cases not about a shipment (a carrier gone silent, an EDI group).
    pub shipment: Option<ShipmentVars>,
    /// Absent when the case's shipment has no order, or the case has no shipment.
    pub order: Option<OrderVars>,
    /// The address a recipient's reply should go to, when the channel has one.
    pub reply_to: Option<String>,
    /// The person sending, when a person sends it; automatic messages have none.
    pub agent: Option<AgentVars>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantVars {
    pub name: String,
    pub slug: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseVars {
    pub number: String,
    /// The word (`delay_risk`), for conditions in templates.
    pub case_type: String,
    /// The same in words for people (`Delay risk`).
    pub type_label: String,
    pub severity: String,
    pub status: String,
    /// What the rule that opened it looks for, or what the person who opened it wrote.
    pub description: Option<String>,
    pub opened_at: String,
    /// The next SLA deadline, while one is running.
    pub due: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShipmentVars {
    pub number: String,
    pub tracking_number: String,
    /// The carrier's name.
    pub carrier: String,
    pub service_level: String,
    /// The canonical status word (`out_for_delivery`), for conditions.
    pub status: String,
    /// The status in words (`Out for delivery`).
    pub status_label: String,
    pub promised_by: Option<String>,
    pub eta: Option<String>,
    pub destination_city: String,
    pub destination_country: String,
    pub delivered_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderVars {
    pub number: String,
    pub external_ref: String,
    pub customer_name: String,
    pub customer_email: Option<String>,
    /// The delivery address on one line.
    pub ship_to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentVars {
    pub name: String,
}

/// A case's shipment as a message needs it: the shipment, its carrier's name, and the ETA
/// tracking holds (the shipment row does not carry it).
#[derive(Debug, Clone, Copy)]
pub struct ShipmentFacts<'a> {
    pub shipment: &'a Shipment,
    pub carrier_name: &'a str,
    pub eta: Option<Timestamp>,
}

/// Everything [`MessageContext::build`] reads, as the store returned it.
#[derive(Debug, Clone, Copy)]
pub struct MessageFacts<'a> {
    pub tenant: &'a Tenant,
    pub case: &'a Case,
    /// The description of the rule that opened the case (or the reason given by hand).
    pub case_description: Option<&'a str>,
    pub shipment: Option<ShipmentFacts<'a>>,
    pub order: Option<&'a Order>,
    pub reply_to: Option<&'a str>,
    pub agent_name: Option<&'a str>,
}

impl MessageContext {
    /// The context for `facts`, every instant written in `tz` (the tenant's zone: the reader
    /// is the tenant's customer, carrier or staff, and one zone per message reads best).
    pub fn build(facts: &MessageFacts<'_>, tz: &TimeZone) -> MessageContext {
        let when = |t: Timestamp| format_instant(t, tz);
        let case = facts.case;
        MessageContext {
            tenant: TenantVars {
                name: facts.tenant.name.clone(),
                slug: facts.tenant.slug.clone(),
                time_zone: facts.tenant.time_zone.clone(),
            },
            case: CaseVars {
                number: case.number.clone(),
                case_type: case.case_type.clone(),
                type_label: case_type_label(&case.case_type),
                severity: case.severity.as_str().to_string(),
                status: case.status.as_str().to_string(),
                description: non_empty(facts.case_description),
                opened_at: when(case.opened_at),
                due: case.sla_due_at.map(when),
            },
            shipment: facts.shipment.map(|f| {
                let s = f.shipment;
                ShipmentVars {
                    number: s.number.clone(),
                    tracking_number: s.tracking_number.clone(),
                    carrier: f.carrier_name.to_string(),
                    service_level: s.service_level.clone(),
                    status: s.status.as_str().to_string(),
                    status_label: status_label(s.status).to_string(),
                    promised_by: s.promised_by.map(when),
                    eta: f.eta.map(when),
                    destination_city: s.destination.city.clone(),
                    destination_country: s.destination.country.clone(),
                    delivered_at: s.delivered_at.map(when),
                }
            }),
            order: facts.order.map(|o| OrderVars {
                number: o.number.clone(),
                external_ref: o.external_ref.clone(),
                customer_name: o.customer.name.clone(),
                customer_email: non_empty(o.customer.email.as_deref()),
                ship_to: one_line(&o.ship_to),
            }),
            reply_to: non_empty(facts.reply_to),
            agent: non_empty(facts.agent_name).map(|name| AgentVars { name }),
        }
    }

    /// The context as the template engine sees it. An absent section is not `none` but a
    /// falsy stand-in whose variables are all `none`, so `{% if shipment.eta %}` is simply false
    /// on a case without a shipment, while a misspelt `shipment.etaa` is still an error.
    pub fn to_value(&self) -> Value {
        fn section<T: Serialize>(name: &'static str, v: &Option<T>) -> Value {
            match v {
                Some(v) => Value::from_serialize(v),
                None => Value::from_object(AbsentSection(name)),
            }
        }
        Value::from_iter([
            ("tenant", Value::from_serialize(&self.tenant)),
            ("case", Value::from_serialize(&self.case)),
            ("shipment", section("shipment", &self.shipment)),
            ("order", section("order", &self.order)),
            ("reply_to", Value::from_serialize(&self.reply_to)),
            ("agent", section("agent", &self.agent)),
        ])
    }
}

/// A section the case has no data for (no shipment, no order, no agent).
#[derive(Debug)]
pub(crate) struct AbsentSection(&'static str);

impl Object for AbsentSection {
    /// Its own variables are there and `none`; any other name stays undefined, which strict
    /// rendering refuses.
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        ALLOWED_VARIABLES
            .iter()
            .filter_map(|v| v.split_once('.'))
            .any(|(section, field)| section == self.0 && field == key)
            .then(|| Value::from(()))
    }

    fn is_true(self: &Arc<Self>) -> bool {
        false
    }

    fn render(self: &Arc<Self>, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

/// Whether a template value stands for "nothing": `none`, or a section that is absent.
pub(crate) fn is_nothing(v: &Value) -> bool {
    v.is_none() || v.downcast_object_ref::<AbsentSection>().is_some()
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `Tue 8 Dec 2026, 17:00 CST`: day and month spelt out so no reader mistakes 8/12 for 12/8,
/// with the zone's abbreviation so the hour is unambiguous.
pub fn format_instant(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%a %-d %b %Y, %H:%M %Z")
        .to_string()
}

/// An address on one line: `Jane Roe, 12 Main St, Apt 4, Austin TX 78701, US`.
pub fn one_line(a: &Address) -> String {
    let mut parts: Vec<&str> = vec![a.name.trim(), a.line1.trim()];
    if let Some(l2) = a.line2.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        parts.push(l2);
    }
    let place = [
        a.city.trim(),
        a.region.as_deref().unwrap_or("").trim(),
        a.postal_code.trim(),
    ]
    .into_iter()
    .filter(|p| !p.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    parts.push(&place);
    parts.push(a.country.trim());
    parts.retain(|p| !p.is_empty());
    parts.join(", ")
}

/// The case type in words. Rulebooks may add types of their own; those get their word with
/// spaces (`cold_chain_breach` → `Cold chain breach`).
pub fn case_type_label(case_type: &str) -> String {
    let known = match case_type {
        "late_pickup" => "Late pickup",
        "stalled" => "No tracking updates",
        "delay_risk" => "Delay risk",
        "late_delivery" => "Late delivery",
        "delivery_failed" => "Delivery failed",
        "address_issue" => "Address issue",
        "damaged" => "Damaged shipment",
        "lost" => "Lost shipment",
        "customs_hold" => "Customs hold",
        "missing_documents" => "Missing documents",
        "pod_missing" => "Proof of delivery missing",
        "returned_to_sender" => "Returned to sender",
        "carrier_silent" => "Carrier not reporting",
        "edi_unacknowledged" => "EDI not acknowledged",
        other => {
            let words = other.replace('_', " ");
            let mut chars = words.chars();
            return match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            };
        }
    };
    known.to_string()
}

/// A shipment status in the words a customer reads on a tracking page.
pub fn status_label(s: ShipmentStatus) -> &'static str {
    match s {
        ShipmentStatus::InfoReceived => "Label created",
        ShipmentStatus::PickedUp => "Picked up",
        ShipmentStatus::InTransit => "In transit",
        ShipmentStatus::OutForDelivery => "Out for delivery",
        ShipmentStatus::AvailableForPickup => "Ready for collection",
        ShipmentStatus::DeliveryAttempted => "Delivery attempted",
        ShipmentStatus::Delayed => "Delayed",
        ShipmentStatus::OnHold => "On hold",
        ShipmentStatus::Exception => "Exception",
        ShipmentStatus::ReturningToSender => "Returning to sender",
        ShipmentStatus::ReturnedToSender => "Returned to sender",
        ShipmentStatus::Delivered => "Delivered",
        ShipmentStatus::Cancelled => "Cancelled",
        ShipmentStatus::Lost => "Lost",
        ShipmentStatus::Unknown => "Status unknown",
    }
}
