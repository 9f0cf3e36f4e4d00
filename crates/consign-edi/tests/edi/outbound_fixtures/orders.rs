//! The 940 warehouse orders: a grocery replenishment and small parcel orders.

use consign_edi::sets::common::Reference;
use consign_edi::sets::s940::{CarrierInfo, OrderLine, OrderTotals, ShippingOrder940};
use jiff::civil::date;

use super::{bill_to, dec, g62, grocer_sacramento, party, s, warehouse_reno};

fn line(
    lx: u32,
    quantity: &str,
    unit: &str,
    upc: Option<&str>,
    ids: &[(&str, &str)],
    description: &str,
) -> OrderLine {
    OrderLine {
        lx: Some(lx),
        quantity: Some(dec(quantity)),
        unit: unit.into(),
        upc: upc.map(str::to_string),
        product_ids: ids
            .iter()
            .map(|(q, v)| (q.to_string(), v.to_string()))
            .collect(),
        warehouse_lot: None,
        description: s(description),
        references: vec![Reference::new("LI", lx.to_string())],
    }
}

/// A grocery replenishment order for a distribution centre.
pub(super) fn order_replenishment(number: &str, po: &str) -> ShippingOrder940 {
    let mut lot_line = line(
        3,
        "12",
        "CA",
        None,
        &[("VN", "ACM-OAT-500"), ("BP", "VF55123")],
        "ROLLED OATS 500G 12CT",
    );
    lot_line.warehouse_lot = s("L2602A");
    ShippingOrder940 {
        order_status: "N".into(),
        depositor_order_number: number.into(),
        purchase_order_number: s(po),
        link_sequence: None,
        master_reference: None,
        transaction_type: None,
        parties: vec![grocer_sacramento(), warehouse_reno(), bill_to()],
        references: vec![
            Reference::new("CO", number),
            Reference {
                qualifier: "ZZ".into(),
                value: "PALLETIZE".into(),
                description: s("STRETCH WRAP EACH PALLET"),
            },
        ],
        dates: vec![
            g62("10", date(2026, 3, 10), None),
            g62("02", date(2026, 3, 11), None),
        ],
        carrier: Some(CarrierInfo {
            payment_method: "PP".into(),
            transport_method: "M".into(),
            routing: s("ABCD TRUCKLOAD"),
            scac: s("ABCD"),
        }),
        lines: vec![
            line(
                1,
                "40",
                "CA",
                Some("012345678905"),
                &[("VN", "ACM-GRN-1KG"), ("BP", "VF55120")],
                "GRANOLA 1KG 6CT",
            ),
            line(
                2,
                "25.5",
                "CA",
                Some("012345678912"),
                &[("VN", "ACM-MSL-750")],
                "MUESLI 750G 8CT",
            ),
            lot_line,
        ],
        totals: Some(OrderTotals {
            quantity: Some(dec("77.5")),
            weight: Some(dec("2310.4")),
            weight_unit: s("L"),
            volume: Some(dec("186")),
            volume_unit: s("E"),
        }),
        warnings: vec![],
    }
}

/// A small parcel order to a consumer, eaches.
pub(super) fn order_parcel(number: &str) -> ShippingOrder940 {
    ShippingOrder940 {
        order_status: "N".into(),
        depositor_order_number: number.into(),
        purchase_order_number: None,
        link_sequence: None,
        master_reference: None,
        transaction_type: None,
        parties: vec![party(
            "ST",
            "JORDAN LEE",
            None,
            &["742 EVERGREEN TER", "APT 3"],
            "PORTLAND",
            "OR",
            "97201",
            "US",
        )],
        references: vec![Reference::new("CO", number)],
        dates: vec![g62("10", date(2026, 3, 9), None)],
        carrier: Some(CarrierInfo {
            payment_method: "PP".into(),
            transport_method: "U".into(),
            routing: s("GROUND"),
            scac: s("UPSN"),
        }),
        lines: vec![
            line(
                1,
                "2",
                "EA",
                None,
                &[("SK", "MUG-BLU-12OZ")],
                "CERAMIC MUG BLUE 12OZ",
            ),
            line(
                2,
                "1",
                "EA",
                None,
                &[("SK", "TEA-SMP-6")],
                "TEA SAMPLER 6 FLAVOURS",
            ),
        ],
        totals: Some(OrderTotals {
            quantity: Some(dec("3")),
            weight: Some(dec("4.2")),
            weight_unit: s("L"),
            ..OrderTotals::default()
        }),
        warnings: vec![],
    }
}
