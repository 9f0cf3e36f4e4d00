//! 940 Warehouse Shipping Order: what Consign sends a 3PL to pick, pack and ship.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Mapped;
use super::common::{
    DateTimeRef, Party, Reference, WarehouseWalk, finish, warehouse_document, write_g62, write_n9,
    write_party,
};
use crate::envelope::{ReadOptions, TransactionSet};
use crate::error::EdiError;
use crate::values::{Mapper, format_decimal};
use crate::writer::{OwnedSegment, WriteOptions};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShippingOrder940 {
    /// W0501 order status code, e.g. `N` original.
    pub order_status: String,
    /// W0502 depositor order number.
    pub depositor_order_number: String,
    /// W0503.
    pub purchase_order_number: Option<String>,
    /// W0504 link sequence number.
    pub link_sequence: Option<String>,
    /// W0505 master reference (link) number.
    pub master_reference: Option<String>,
    /// W0506 transaction type code.
    pub transaction_type: Option<String>,
    pub parties: Vec<Party>,
    /// Header N9 references.
    pub references: Vec<Reference>,
    /// Header G62 dates.
    pub dates: Vec<DateTimeRef>,
    /// W66 warehouse carrier information.
    pub carrier: Option<CarrierInfo>,
    /// One per W01, in order.
    pub lines: Vec<OrderLine>,
    /// W76 totals.
    pub totals: Option<OrderTotals>,
    /// Faults tolerated in lenient mode (always empty in strict mode).
    #[serde(skip)]
    pub warnings: Vec<EdiError>,
}

/// W66.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CarrierInfo {
    /// W6601 shipment method of payment.
    pub payment_method: String,
    /// W6602 transportation method/type code.
    pub transport_method: String,
    /// W6605 routing.
    pub routing: Option<String>,
    /// W6610 SCAC.
    pub scac: Option<String>,
}

/// LX / W01 loop.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderLine {
    /// LX01 of the enclosing loop.
    pub lx: Option<u32>,
    /// W0101 quantity ordered.
    pub quantity: Option<Decimal>,
    /// W0102 unit or basis for measurement code, e.g. `EA`, `CA`.
    pub unit: String,
    /// W0103 U.P.C. case code.
    pub upc: Option<String>,
    /// (qualifier, id) from W0104/05, W0106/07 and W0115/16, e.g. (`VN`, vendor item).
    pub product_ids: Vec<(String, String)>,
    /// W0113 warehouse lot number.
    pub warehouse_lot: Option<String>,
    /// G6901 item description.
    pub description: Option<String>,
    /// N9 within the loop.
    pub references: Vec<Reference>,
}

/// W76 total shipping order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderTotals {
    pub quantity: Option<Decimal>,
    pub weight: Option<Decimal>,
    pub weight_unit: Option<String>,
    pub volume: Option<Decimal>,
    pub volume_unit: Option<String>,
}

/// W01 positions of (qualifier, id) pairs.
const PRODUCT_ID_PAIRS: [(usize, usize); 3] = [(4, 5), (6, 7), (15, 16)];

warehouse_document!(ShippingOrder940);

pub fn parse(set: &TransactionSet<'_>, options: &ReadOptions) -> Mapped<ShippingOrder940> {
    let mut m = Mapper::new(set, options, "940")?;
    let mut out = ShippingOrder940::default();
    let mut seen_w05 = false;
    let mut walk = WarehouseWalk::default();
    for (i, seg) in m.segments() {
        if walk.take(&mut m, i, seg, &mut out) {
            continue;
        }
        match seg.id() {
            "W05" => {
                seen_w05 = true;
                out.order_status = m.required(i, seg, 1, 473, "W0501 order status code");
                out.depositor_order_number =
                    m.required(i, seg, 2, 1041, "W0502 depositor order number");
                out.purchase_order_number = m.text(seg, 3);
                out.link_sequence = m.text(seg, 4);
                out.master_reference = m.text(seg, 5);
                out.transaction_type = m.text(seg, 6);
            }
            "W66" => {
                walk.close(&mut out);
                out.carrier = Some(CarrierInfo {
                    payment_method: m.required(i, seg, 1, 146, "W6601 shipment method of payment"),
                    transport_method: m.required(i, seg, 2, 91, "W6602 transportation method"),
                    routing: m.text(seg, 5),
                    scac: m.text(seg, 10),
                });
            }
            "W01" => {
                walk.close(&mut out);
                walk.in_detail = true;
                let quantity = m.decimal(i, seg, 1, 330);
                let quantity = m.require(quantity, i, seg, 1, 330, "W0101 quantity ordered");
                let product_ids = PRODUCT_ID_PAIRS
                    .iter()
                    .filter_map(|&(q, v)| {
                        let q = seg.element(q).text().into_owned();
                        let v = seg.element(v).text().into_owned();
                        (!(q.is_empty() && v.is_empty())).then_some((q, v))
                    })
                    .collect();
                out.lines.push(OrderLine {
                    lx: walk.lx,
                    quantity,
                    unit: m.required(i, seg, 2, 355, "W0102 unit of measurement"),
                    upc: m.text(seg, 3),
                    product_ids,
                    warehouse_lot: m.text(seg, 13),
                    description: None,
                    references: Vec::new(),
                });
            }
            "G69" => {
                if let Some(line) = out.lines.last_mut().filter(|_| walk.in_detail) {
                    line.description = m.text(seg, 1);
                }
            }
            "W76" => {
                let quantity = m.decimal(i, seg, 1, 347);
                out.totals = Some(OrderTotals {
                    quantity: m.require(quantity, i, seg, 1, 347, "W7601 total quantity ordered"),
                    weight: m.decimal(i, seg, 2, 81),
                    weight_unit: m.text(seg, 3),
                    volume: m.decimal(i, seg, 4, 183),
                    volume_unit: m.text(seg, 5),
                });
            }
            _ => {}
        }
    }
    walk.close(&mut out);
    if !seen_w05 {
        m.missing_segment("W05", "shipping order identification");
    }
    if out.totals.is_none() {
        m.missing_segment("W76", "total shipping order");
    }
    finish(m, out, |v| &mut v.warnings)
}

/// The segments between ST and SE. Consecutive lines with the same `lx` share an LX loop; a line
/// without one gets the next loop number.
pub fn write(order: &ShippingOrder940, _options: &WriteOptions) -> Vec<OwnedSegment> {
    let mut out = vec![OwnedSegment::new(
        "W05",
        [
            Some(order.order_status.clone()),
            Some(order.depositor_order_number.clone()),
            order.purchase_order_number.clone(),
            order.link_sequence.clone(),
            order.master_reference.clone(),
            order.transaction_type.clone(),
        ],
    )];
    for p in &order.parties {
        out.extend(write_party(p));
    }
    out.extend(order.references.iter().map(|r| write_n9("N9", r)));
    out.extend(order.dates.iter().map(write_g62));
    if let Some(c) = &order.carrier {
        let mut e: Vec<Option<String>> = vec![None; 10];
        if let Some(slot) = e.get_mut(0) {
            *slot = Some(c.payment_method.clone());
        }
        if let Some(slot) = e.get_mut(1) {
            *slot = Some(c.transport_method.clone());
        }
        if let Some(slot) = e.get_mut(4) {
            slot.clone_from(&c.routing);
        }
        if let Some(slot) = e.get_mut(9) {
            slot.clone_from(&c.scac);
        }
        out.push(OwnedSegment::new("W66", e));
    }
    let mut previous: Option<Option<u32>> = None;
    let mut loops = 0u32;
    for line in &order.lines {
        if previous != Some(line.lx) || line.lx.is_none() {
            loops += 1;
            out.push(OwnedSegment::new(
                "LX",
                [line.lx.unwrap_or(loops).to_string()],
            ));
        }
        previous = Some(line.lx);
        let mut e: Vec<Option<String>> = vec![None; 16];
        let mut set = |n: usize, v: Option<String>| {
            if let Some(slot) = e.get_mut(n - 1) {
                *slot = v;
            }
        };
        set(1, line.quantity.map(format_decimal));
        set(2, Some(line.unit.clone()));
        set(3, line.upc.clone());
        for (&(q, v), (qual, id)) in PRODUCT_ID_PAIRS.iter().zip(&line.product_ids) {
            set(q, Some(qual.clone()));
            set(v, Some(id.clone()));
        }
        set(13, line.warehouse_lot.clone());
        out.push(OwnedSegment::new("W01", e));
        if let Some(d) = &line.description {
            out.push(OwnedSegment::new("G69", [d]));
        }
        out.extend(line.references.iter().map(|r| write_n9("N9", r)));
    }
    if let Some(t) = &order.totals {
        out.push(OwnedSegment::new(
            "W76",
            [
                t.quantity.map(format_decimal),
                t.weight.map(format_decimal),
                t.weight_unit.clone(),
                t.volume.map(format_decimal),
                t.volume_unit.clone(),
            ],
        ));
    }
    out
}
