//! The 204 load tenders: a two-stop original, a three-stop change, and a cancellation.

use consign_edi::sets::common::{Reference, Totals};
use consign_edi::sets::s204::{LoadTender204, Stop};

use super::{
    bill_to, crossdock_torrance, dec, g62_at, grocer_sacramento, party, s, warehouse_reno,
};

/// L3 of a tender: gross weight in pounds, pallets and charge.
fn tender_totals(weight: &str, pallets: u32, charge: &str) -> Totals {
    Totals {
        weight: Some(dec(weight)),
        weight_qualifier: s("G"),
        charge: Some(dec(charge)),
        lading_quantity: Some(pallets),
        weight_unit: s("L"),
        ..Totals::default()
    }
}

/// A stop of `pallets` pallets weighing `weight` pounds.
fn pallets(sequence: u32, reason: &str, weight: &str, pallets: &str) -> Stop {
    Stop {
        sequence: Some(sequence),
        reason: reason.into(),
        weight: Some(dec(weight)),
        weight_unit: s("L"),
        quantity: Some(dec(pallets)),
        unit: s("PL"),
        ..Stop::default()
    }
}

/// A two-stop dry van tender, original.
pub(super) fn tender_reno_sacramento() -> LoadTender204 {
    LoadTender204 {
        scac: s("ABCD"),
        shipment_id: s("LD260309001"),
        payment_method: "PP".into(),
        purpose: "00".into(),
        application_type: s("LT"),
        references: vec![
            Reference::new("BM", "BOL260309001"),
            Reference {
                qualifier: "PO".into(),
                value: "4500123987".into(),
                description: s("CUSTOMER PO"),
            },
            Reference::new("CR", "ACME-77310"),
        ],
        dates: vec![g62_at("64", "1", "2026-03-09 17:00:00 PT")],
        parties: vec![bill_to()],
        stops: vec![
            Stop {
                references: vec![Reference::new("DO", "PU-118")],
                dates: vec![
                    g62_at("37", "I", "2026-03-10 08:00:00 PT"),
                    g62_at("38", "K", "2026-03-10 12:00:00 PT"),
                ],
                parties: vec![warehouse_reno()],
                ..pallets(1, "CL", "38250", "22")
            },
            Stop {
                references: vec![Reference::new("AO", "APPT-5521")],
                dates: vec![g62_at("54", "L", "2026-03-11 06:30:00 PT")],
                parties: vec![grocer_sacramento()],
                ..pallets(2, "CU", "38250", "22")
            },
        ],
        totals: Some(tender_totals("38250", 22, "1875.00")),
        warnings: vec![],
    }
}

/// A three-stop tender (two pickups, one delivery) with a changed appointment.
pub(super) fn tender_multi_pick(purpose: &str, shipment: &str) -> LoadTender204 {
    let pick2 = party(
        "SF",
        "NORTHSIDE COPACKERS",
        Some(("93", "NCP2")),
        &["17 INDUSTRIAL WAY"],
        "SPARKS",
        "NV",
        "89431",
        "US",
    );
    let drop = crossdock_torrance("ST");
    LoadTender204 {
        scac: s("WXYZ"),
        shipment_id: s(shipment),
        payment_method: "TP".into(),
        purpose: purpose.into(),
        application_type: None,
        references: vec![Reference::new("BM", format!("BOL{shipment}"))],
        dates: vec![],
        parties: vec![bill_to()],
        stops: vec![
            Stop {
                dates: vec![g62_at("37", "I", "2026-03-12 07:00:00 PT")],
                parties: vec![warehouse_reno()],
                ..pallets(1, "LD", "12000.5", "10")
            },
            Stop {
                dates: vec![g62_at("37", "I", "2026-03-12 10:30:00 PT")],
                parties: vec![pick2],
                ..pallets(2, "LD", "8400", "6")
            },
            Stop {
                references: vec![Reference::new("DO", "RCV-88120")],
                dates: vec![
                    g62_at("53", "G", "2026-03-13 05:00:00 PT"),
                    g62_at("54", "L", "2026-03-13 11:00:00 PT"),
                ],
                parties: vec![drop],
                ..pallets(3, "UL", "20400.5", "16")
            },
        ],
        totals: Some(tender_totals("20400.5", 16, "2310.75")),
        warnings: vec![],
    }
}

/// A cancellation: the header and the stops it cancels, no totals.
pub(super) fn tender_cancellation() -> LoadTender204 {
    LoadTender204 {
        scac: s("ABCD"),
        shipment_id: s("LD260301044"),
        payment_method: "PP".into(),
        purpose: "01".into(),
        application_type: s("LT"),
        references: vec![Reference::new("BM", "BOL260301044")],
        dates: vec![],
        parties: vec![],
        stops: vec![
            Stop {
                sequence: Some(1),
                reason: "CL".into(),
                parties: vec![warehouse_reno()],
                ..Stop::default()
            },
            Stop {
                sequence: Some(2),
                reason: "CU".into(),
                parties: vec![grocer_sacramento()],
                ..Stop::default()
            },
        ],
        totals: None,
        warnings: vec![],
    }
}
