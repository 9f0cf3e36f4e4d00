//! What several benchmarks start from: a tenant with five carriers, shipments on one lane,
//! carrier scans of them, and generated events mapped as the API would map them.

use consign_app::App;
use consign_core::access::Principal;
use consign_core::ids::*;
use consign_core::party::{Mode, NewCarrier};
use consign_core::shipment::{Direction, Place, Shipment, ShipmentStatus};
use consign_core::tenant::{NewTenant, Tenant};
use consign_core::tracking::NewTrackingEvent;
use jiff::{SignedDuration, Timestamp};

fn place(city: &str, tz: &str) -> Place {
    Place {
        name: None,
        city: city.into(),
        region: None,
        postal_code: "00000".into(),
        country: "US".into(),
        time_zone: tz.into(),
    }
}

pub(super) fn shipments_for(
    tenant: &Tenant,
    carriers: &[CarrierId],
    n: usize,
    created: impl Fn(usize) -> Timestamp,
) -> Vec<Shipment> {
    (0..n)
        .map(|i| {
            let at = created(i);
            Shipment {
                id: ShipmentId::new_at(at, i as u128 ^ 0x5eed),
                tenant_id: tenant.id,
                number: format!("SHP-B{i:08}"),
                carrier_id: carriers[i % carriers.len()],
                service_level: "ground".into(),
                tracking_number: format!("BT{i:010}"),
                pro_number: None,
                bol_number: None,
                direction: Direction::Outbound,
                order_id: None,
                lines: vec![],
                origin: place("Memphis", "America/Chicago"),
                destination: place("Denver", "America/Denver"),
                weight_kg: rust_decimal::Decimal::new(2500, 3),
                pieces: 1,
                planned_pickup_at: Some(at),
                promised_by: Some(at + SignedDuration::from_hours(96)),
                international: false,
                pod_required: false,
                status: ShipmentStatus::InfoReceived,
                picked_up_at: None,
                delivered_at: None,
                created_at: at,
                updated_at: at,
            }
        })
        .collect()
}

/// A carrier scan of `s` at `at` (the `k`th of its journey), as a carrier feed would bring
/// it, for the benchmarks that write events directly.
pub(super) fn scan(
    s: &Shipment,
    k: usize,
    at: Timestamp,
    status: ShipmentStatus,
) -> consign_core::tracking::TrackingEvent {
    let location = format!("Hub {}", k % 9);
    consign_core::tracking::TrackingEvent {
        id: consign_core::ids::EventId::new_at(
            at,
            (k as u128) << 64 | s.id.0.as_u128() & 0xffff_ffff_ffff,
        ),
        tenant_id: s.tenant_id,
        carrier_id: s.carrier_id,
        shipment_id: Some(s.id),
        tracking_number: s.tracking_number.clone(),
        occurred_at: at,
        received_at: at,
        status: Some(status),
        reason: None,
        accountable: None,
        eta: None,
        source: "bench".into(),
        message_id: None,
        raw_code: status.as_str().into(),
        raw_reason: String::new(),
        dedup_key: consign_core::tracking::dedup_key(
            s.carrier_id,
            None,
            &s.tracking_number,
            status.as_str(),
            at,
            &location,
        ),
        location,
        description: String::new(),
        unmapped: false,
    }
}

pub(super) async fn insert_shipments(app: &App, shipments: Vec<Shipment>) -> anyhow::Result<()> {
    for chunk in shipments.chunks(10_000) {
        let mut tx = app.tools().begin().await?;
        tx.insert_shipments(chunk).await?;
        tx.commit().await?;
    }
    Ok(())
}

pub(super) async fn tenant_with_carriers(
    app: &App,
    slug: &str,
) -> anyhow::Result<(Tenant, Vec<(String, CarrierId)>)> {
    let system = Principal::system();
    let t = app
        .create_tenant(
            &system,
            NewTenant {
                slug: slug.into(),
                name: slug.into(),
                time_zone: "UTC".into(),
            },
        )
        .await
        .map_err(crate::common::explain)?;
    let mut carriers = Vec::new();
    for (scac, mode) in [
        ("UPSN", Mode::Parcel),
        ("FDEG", Mode::Parcel),
        ("USPS", Mode::Parcel),
        ("ODFL", Mode::Ltl),
        ("JBHT", Mode::Ftl),
    ] {
        let c = app
            .create_carrier(
                &system,
                &t,
                NewCarrier {
                    name: scac.into(),
                    scac: Some(scac.into()),
                    mode,
                },
            )
            .await
            .map_err(crate::common::explain)?;
        carriers.push((scac.to_string(), c.id));
    }
    Ok((t, carriers))
}

pub(super) fn mapped(
    evs: Vec<NewTrackingEvent>,
) -> anyhow::Result<Vec<(String, consign_core::tracking::MappedEvent)>> {
    let mut inv = consign_core::Invalid::default();
    let items: Vec<_> = evs
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| {
            e.into_mapped(&format!("events[{i}]"), &mut inv)
                .map(|m| (String::new(), m))
        })
        .collect();
    if !inv.is_empty() {
        anyhow::bail!("generated events are invalid: {}", inv.summary());
    }
    Ok(items)
}
