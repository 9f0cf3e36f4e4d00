//! What we send: 204 load tenders and 940 shipping orders, written in X12's character set and
//! recorded as groups awaiting their 997.

use super::acks::reply_options;
use super::interchange_record;
use crate::{App, AppError, AppResult, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::audit::AuditEntry;
use consign_core::edi::{Direction, InterchangeRecord, TradingPartner};
use consign_core::ids::*;
use consign_core::tenant::Tenant;
use consign_edi::{Envelope, Usage, WriteOptions, X12Version, write_interchange};
use serde::Serialize;

/// What an outbound tender produced: the stored interchange and its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub interchange: InterchangeRecord,
    pub group_control: String,
    /// The interchange as X12 text.
    pub x12: String,
}

pub(super) fn party(
    entity: &str,
    name: Option<String>,
    place: &consign_core::shipment::Place,
) -> consign_edi::sets::Party {
    consign_edi::sets::Party {
        entity: entity.into(),
        name: Some(name.as_deref().unwrap_or(&place.city).into()),
        city: Some(place.city.as_str().into()),
        state: place.region.as_deref().map(Into::into),
        postal_code: Some(place.postal_code.as_str().into()),
        country: Some(place.country.as_str().into()),
        ..Default::default()
    }
}

pub(super) fn local(t: jiff::Timestamp, tz: &str) -> (jiff::civil::Date, jiff::civil::Time) {
    let z = t.to_zoned(jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC));
    (z.date(), z.time())
}

/// The 204 load tender for a shipment: shipper and consignee, a pick-up stop at the origin on
/// the planned pick-up and a delivery stop at the destination by the promise (local times of
/// each place), weight in kilograms and pieces.
pub fn load_tender(
    s: &consign_core::shipment::Shipment,
    carrier: &consign_core::party::Carrier,
) -> consign_edi::sets::LoadTender204 {
    use consign_edi::sets::{DateTimeRef, LoadTender204, Reference, Totals, s204::Stop};
    let dt = |qualifier: &str, t: jiff::Timestamp, tz: &str| {
        let (date, time) = local(t, tz);
        DateTimeRef {
            qualifier: Some(qualifier.into()),
            date: Some(date),
            time_qualifier: Some("U".into()),
            time: Some(time),
            time_code: Some("LT".into()),
        }
    };
    // Both stops carry the whole load: picked up complete at the origin, delivered complete at
    // the destination, each dated in its own place's zone.
    let stop = |sequence: u32,
                reason: &str,
                entity: &str,
                place: &consign_core::shipment::Place,
                date: Option<(&str, jiff::Timestamp)>| Stop {
        sequence: Some(sequence),
        reason: reason.into(),
        weight: Some(s.weight_kg),
        weight_unit: Some("K".into()),
        quantity: Some(rust_decimal::Decimal::from(s.pieces)),
        unit: Some("PCS".into()),
        parties: vec![party(entity, place.name.clone(), place)],
        dates: date
            .map(|(q, t)| dt(q, t, &place.time_zone))
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let pickup = stop(
        1,
        "CL",
        "SF",
        &s.origin,
        s.planned_pickup_at.map(|t| ("69", t)),
    );
    let delivery = stop(
        2,
        "CU",
        "ST",
        &s.destination,
        s.promised_by.map(|t| ("70", t)),
    );
    LoadTender204 {
        scac: carrier.scac.clone(),
        shipment_id: Some(s.number.clone()),
        payment_method: "PP".into(),
        purpose: "00".into(),
        application_type: Some("LT".into()),
        // The carrier's number for the load, and the bill of lading it moves under when the
        // shipper gave one (L11 qualifier BM), which the carrier quotes back on its 214s.
        references: std::iter::once(Reference::new("CN", s.tracking_number.clone()))
            .chain(s.bol_number.clone().map(|b| Reference::new("BM", b)))
            .collect(),
        dates: vec![],
        parties: vec![
            party("SH", s.origin.name.clone(), &s.origin),
            party("CN", s.destination.name.clone(), &s.destination),
        ],
        stops: vec![pickup, delivery],
        totals: Some(Totals {
            weight: Some(s.weight_kg),
            weight_qualifier: Some("G".into()),
            weight_unit: Some("K".into()),
            lading_quantity: Some(s.pieces),
            ..Default::default()
        }),
        warnings: vec![],
    }
}

impl App {
    /// Tenders a shipment to its carrier as an EDI 204: written with the carrier's trading
    /// partner ids and per-partner control numbers, stored raw, and recorded as a group awaiting
    /// its 997.
    pub async fn tender_shipment(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: ShipmentId,
    ) -> AppResult<Sent> {
        require(p, Capability::WriteShipments)?;
        let s = self.get_shipment(p, tenant, id).await?;
        let carrier = self
            .store
            .carriers(tenant.id)
            .await?
            .into_iter()
            .find(|c| c.id == s.carrier_id)
            .ok_or_else(|| AppError::NotFound(format!("carrier of shipment {}", s.number)))?;
        let partner = self
            .store
            .partners(tenant.id)
            .await?
            .into_iter()
            .find(|x| x.carrier_id == Some(carrier.id))
            .ok_or_else(|| {
                AppError::conflict(
                    "carrier",
                    format!(
                        "carrier {} has no EDI trading partner in {}",
                        carrier.name, tenant.slug
                    ),
                )
            })?;
        let segments =
            consign_edi::sets::s204::write(&load_tender(&s, &carrier), &WriteOptions::default());
        let audit = (s.id.to_string(), "shipment", "tendered_204");
        let summary = serde_json::json!({ "tender": { "shipment": s.number, "set": "204" } });
        self.send_set(p, tenant, &partner, "204", segments, audit, summary)
            .await
    }

    /// Sends an order to a warehouse as an EDI 940 shipping order, through the warehouse's
    /// trading partner.
    pub async fn send_warehouse_order(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: OrderId,
        warehouse: &str,
    ) -> AppResult<Sent> {
        require(p, Capability::WriteOrders)?;
        let order = self.get_order(p, tenant, id).await?;
        let w = self
            .store
            .warehouses(tenant.id)
            .await?
            .into_iter()
            .find(|x| x.code.eq_ignore_ascii_case(warehouse))
            .ok_or_else(|| {
                AppError::Invalid(Invalid::one(
                    "warehouse",
                    format!("no warehouse '{warehouse}' in {}", tenant.slug),
                ))
            })?;
        let partner = self
            .store
            .partners(tenant.id)
            .await?
            .into_iter()
            .find(|x| x.warehouse_id == Some(w.id))
            .ok_or_else(|| {
                AppError::conflict(
                    "warehouse",
                    format!(
                        "warehouse {} has no EDI trading partner in {}",
                        w.code, tenant.slug
                    ),
                )
            })?;
        let segments =
            consign_edi::sets::s940::write(&shipping_order(&order), &WriteOptions::default());
        let audit = (order.id.to_string(), "order", "sent_940");
        let summary = serde_json::json!({ "warehouse_order": { "order": order.number, "warehouse": w.code, "set": "940" } });
        self.send_set(p, tenant, &partner, "940", segments, audit, summary)
            .await
    }

    /// Writes one set in an interchange to `partner` (control numbers from the partner's
    /// counter), stores it raw with an outbound group awaiting its 997, and audits it.
    #[allow(clippy::too_many_arguments)]
    async fn send_set(
        &self,
        p: &Principal,
        tenant: &Tenant,
        partner: &TradingPartner,
        set_id: &str,
        segments: Vec<consign_edi::OwnedSegment>,
        audit: (String, &str, &str),
        summary: serde_json::Value,
    ) -> AppResult<Sent> {
        let functional_id = consign_edi::functional_id(set_id)
            .unwrap_or("ZZ")
            .to_string();
        let now = self.now();
        let mut tx = self.begin().await?;
        let counter = format!("edi-out:{}", partner.id);
        let n = tx.next_numbers(tenant.id, &counter, 1).await?;
        let n = u32::try_from(n % 1_000_000_000).unwrap_or(1).max(1);
        let utc = now.to_zoned(jiff::tz::TimeZone::UTC);
        let env = Envelope {
            sender_qualifier: partner.our_isa_qualifier.clone(),
            sender_id: partner.our_isa_id.clone(),
            receiver_qualifier: partner.isa_qualifier.clone(),
            receiver_id: partner.isa_id.clone(),
            application_sender: None,
            application_receiver: None,
            date: utc.date(),
            time: utc.time(),
            interchange_control: n,
            group_control: n,
            functional_id: functional_id.clone(),
            version: X12Version::V004010,
            usage: Usage::Production,
            ack_requested: false,
        };
        // X12's character set is ASCII: names and places are transliterated ("Ciudad de
        // México" goes out as "Ciudad de Mexico") rather than refused.
        let segments: Vec<_> = segments.into_iter().map(ascii_segment).collect();
        let set = consign_edi::OutgoingSet::new(set_id, "0001", segments);
        let bytes = write_interchange(&env, &[set], &reply_options())
            .map_err(|e| AppError::Invalid(Invalid::one(audit.1, e.to_string())))?;
        let record = InterchangeRecord {
            summary,
            ..interchange_record(
                tenant,
                partner,
                Direction::Outbound,
                format!("{n:09}"),
                "sent".into(),
                now,
                &bytes,
            )
        };
        tx.insert_interchange(&record, &bytes).await?;
        tx.insert_outbound_group(
            tenant.id,
            &consign_core::edi::OutboundGroup {
                partner_id: partner.id,
                group_control: n.to_string(),
                interchange_id: record.id,
                functional_id,
                set_count: 1,
                sent_at: now,
                ack_status: None,
                ack_at: None,
                ack_detail: None,
            },
        )
        .await?;
        self.commit_audited(
            tx,
            AuditEntry::new(Some(tenant.id), now, p.actor.label(), audit.1, audit.0, audit.2)
                .after(&serde_json::json!({ "partner": partner.name, "interchange": record.control_number })),
        )
        .await?;
        Ok(Sent {
            interchange: record,
            group_control: n.to_string(),
            x12: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// The 940 for an order: ship-to party, the promise as the requested ship date, one W01 per
/// line (quantity in eaches, vendor item number = our SKU).
pub fn shipping_order(o: &consign_core::order::Order) -> consign_edi::sets::ShippingOrder940 {
    use consign_edi::sets::s940::{OrderLine, OrderTotals, ShippingOrder940};
    use consign_edi::sets::{DateTimeRef, Party, Reference};
    let ship_to = Party {
        entity: "ST".into(),
        name: Some(o.ship_to.name.as_str().into()),
        address: [Some(&o.ship_to.line1), o.ship_to.line2.as_ref()]
            .into_iter()
            .flatten()
            .map(|line| line.as_str().into())
            .collect(),
        city: Some(o.ship_to.city.as_str().into()),
        state: o.ship_to.region.as_deref().map(Into::into),
        postal_code: Some(o.ship_to.postal_code.as_str().into()),
        country: Some(o.ship_to.country.as_str().into()),
        ..Default::default()
    };
    let mut dates = Vec::new();
    if let Some(t) = o.promised_by {
        let (date, _) = local(t, "UTC");
        dates.push(DateTimeRef {
            qualifier: Some("02".into()),
            date: Some(date),
            time_qualifier: None,
            time: None,
            time_code: None,
        });
    }
    let lines: Vec<OrderLine> = o
        .lines
        .iter()
        .map(|l| OrderLine {
            lx: Some(l.line_no),
            quantity: Some(rust_decimal::Decimal::from(l.quantity)),
            unit: "EA".into(),
            product_ids: vec![("VN".into(), l.sku.clone())],
            description: Some(l.description.clone()).filter(|d| !d.is_empty()),
            ..Default::default()
        })
        .collect();
    let total: u64 = o.lines.iter().map(|l| u64::from(l.quantity)).sum();
    ShippingOrder940 {
        order_status: "N".into(),
        depositor_order_number: o.number.clone(),
        purchase_order_number: Some(o.external_ref.clone()),
        parties: vec![ship_to],
        references: vec![Reference::new("CO", o.external_ref.clone())],
        dates,
        lines,
        totals: Some(OrderTotals {
            quantity: Some(rust_decimal::Decimal::from(total)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The segment with every value in ASCII (`deunicode` transliteration), the rest untouched.
pub(super) fn ascii_segment(mut seg: consign_edi::OwnedSegment) -> consign_edi::OwnedSegment {
    for element in &mut seg.elements {
        for value in element.0.iter_mut().flatten() {
            if !value.is_ascii() {
                *value = deunicode::deunicode(value);
            }
        }
    }
    seg
}
