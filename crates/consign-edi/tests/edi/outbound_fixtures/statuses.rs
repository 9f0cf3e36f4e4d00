//! The 214 status messages: a truckload from pickup to delivery and a delayed LTL shipment.
//! The event helpers serve the round-trip tests too.

use consign_edi::sets::common::Reference;
use consign_edi::sets::s214::{Equipment, EventLocation, Lading, ShipmentStatus214, StatusEvent};

use super::{crossdock_torrance, dec, grocer_sacramento, moment, s, warehouse_reno};

pub(crate) fn lading(weight: &str, pieces: u32, handling_units: u32) -> Vec<Lading> {
    vec![Lading {
        weight_qualifier: s("G"),
        weight_unit: s("L"),
        weight: Some(dec(weight)),
        lading_quantity: Some(pieces),
        handling_units: Some(handling_units),
    }]
}

pub(crate) fn location(city: &str, state: &str) -> Option<EventLocation> {
    Some(EventLocation {
        city: s(city),
        state: s(state),
        country: s("US"),
        ..EventLocation::default()
    })
}

/// An event's moment: see [`moment`].
fn at(when: &str) -> StatusEvent {
    let (date, time, zone) = moment(when);
    StatusEvent {
        date: Some(date),
        time: Some(time),
        time_code: s(zone),
        ..StatusEvent::default()
    }
}

pub(crate) fn status(
    lx: u32,
    code: &str,
    reason: &str,
    when: &str,
    location: Option<EventLocation>,
) -> StatusEvent {
    StatusEvent {
        lx: Some(lx),
        status_code: s(code),
        status_reason: s(reason),
        location,
        ..at(when)
    }
}

pub(crate) fn appointment(lx: u32, code: &str, when: &str) -> StatusEvent {
    StatusEvent {
        lx: Some(lx),
        appointment_code: s(code),
        appointment_reason: s("NA"),
        ..at(when)
    }
}

/// Events of one LX loop share the loop's L11 and AT8 (the reader copies them into each).
pub(crate) fn in_loop(
    mut events: Vec<StatusEvent>,
    refs: &[(&str, &str)],
    lad: Vec<Lading>,
) -> Vec<StatusEvent> {
    for e in &mut events {
        e.references = refs.iter().map(|(q, v)| Reference::new(*q, *v)).collect();
        e.lading.clone_from(&lad);
    }
    events
}

/// Pickup to delivery of one truckload, an LX loop per stage.
pub(super) fn status_truckload() -> ShipmentStatus214 {
    let trailer = Some(Equipment {
        owner: s("ABCD"),
        number: s("53102"),
        description_code: s("TL"),
    });
    let mut events = Vec::new();
    events.extend(in_loop(
        vec![
            appointment(1, "AA", "2026-03-10 08:00:00 PT"),
            status(
                1,
                "X3",
                "NS",
                "2026-03-10 07:52:00 PT",
                location("RENO", "NV"),
            ),
            StatusEvent {
                equipment: trailer.clone(),
                ..status(
                    1,
                    "AF",
                    "NS",
                    "2026-03-10 09:41:00 PT",
                    location("RENO", "NV"),
                )
            },
        ],
        &[("DO", "PU-118")],
        lading("38250", 22, 22),
    ));
    events.extend(in_loop(
        vec![status(
            2,
            "X6",
            "NS",
            "2026-03-10 15:20:00 PT",
            location("AUBURN", "CA"),
        )],
        &[],
        vec![],
    ));
    events.extend(in_loop(
        vec![
            appointment(3, "AB", "2026-03-11 06:30:00 PT"),
            status(
                3,
                "X1",
                "NS",
                "2026-03-11 06:12:00 PT",
                location("SACRAMENTO", "CA"),
            ),
            StatusEvent {
                equipment: trailer,
                ..status(
                    3,
                    "D1",
                    "NS",
                    "2026-03-11 07:48:30 PT",
                    location("SACRAMENTO", "CA"),
                )
            },
        ],
        &[("DO", "APPT-5521"), ("PO", "4500123987")],
        lading("38250", 22, 22),
    ));
    ShipmentStatus214 {
        reference_id: s("PRO7734001"),
        shipment_id: "LD260309001".into(),
        scac: "ABCD".into(),
        references: vec![
            Reference::new("BM", "BOL260309001"),
            Reference::new("PO", "4500123987"),
        ],
        dates: vec![],
        parties: vec![warehouse_reno(), grocer_sacramento()],
        events,
        warnings: vec![],
    }
}

/// A delayed LTL shipment: an exception with its reason, then the new estimate, in UTC.
pub(super) fn status_delayed(pro: &str, shipment: &str) -> ShipmentStatus214 {
    let mut events = Vec::new();
    events.extend(in_loop(
        vec![
            status(
                1,
                "AF",
                "NS",
                "2026-03-12 18:05:00 UT",
                location("SPARKS", "NV"),
            ),
            status(
                1,
                "SD",
                "AO",
                "2026-03-13 02:40:00 UT",
                location("TRUCKEE", "CA"),
            ),
            status(1, "AG", "AO", "2026-03-13 21:00:00 UT", None),
        ],
        &[("CN", pro)],
        lading("1840.25", 4, 2),
    ));
    events.extend(in_loop(
        vec![status(
            2,
            "D1",
            "NS",
            "2026-03-13 20:15:00 UT",
            location("TORRANCE", "CA"),
        )],
        &[("CN", pro), ("DO", "RCV-88120")],
        lading("1840.25", 4, 2),
    ));
    ShipmentStatus214 {
        reference_id: s(pro),
        shipment_id: shipment.into(),
        scac: "WXYZ".into(),
        references: vec![Reference::new("BM", format!("BOL{shipment}"))],
        dates: vec![],
        parties: vec![crossdock_torrance("CN")],
        events,
        warnings: vec![],
    }
}
