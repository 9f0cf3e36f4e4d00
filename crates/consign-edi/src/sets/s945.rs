//! 945 Warehouse Shipping Advice: what a 3PL shipped against a 940, line by line.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Mapped;
use super::common::{DateTimeRef, Party, Reference, WarehouseWalk, finish, warehouse_document};
use crate::envelope::{ReadOptions, TransactionSet};
use crate::error::EdiError;
use crate::values::Mapper;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShippingAdvice945 {
    /// W0601 reporting code, e.g. `F` final, `P` partial.
    pub reporting_code: String,
    /// W0602 depositor order number (matches the 940's W0502).
    pub depositor_order_number: Option<String>,
    /// W0603.
    pub date: Option<Date>,
    /// W0604 shipment identification number.
    pub shipment_id: Option<String>,
    /// W0605 agent shipment id.
    pub agent_shipment_id: Option<String>,
    /// W0606 purchase order number.
    pub purchase_order_number: Option<String>,
    pub parties: Vec<Party>,
    pub references: Vec<Reference>,
    pub dates: Vec<DateTimeRef>,
    /// W27 carrier detail.
    pub carrier: Option<CarrierDetail>,
    /// One per W12, in order.
    pub lines: Vec<ShippedLine>,
    /// W03 totals (mandatory in the standard).
    pub totals: Option<ShipmentTotals>,
    /// Faults tolerated in lenient mode (always empty in strict mode).
    #[serde(skip)]
    pub warnings: Vec<EdiError>,
}

/// W27.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CarrierDetail {
    /// W2701 transportation method/type code.
    pub transport_method: String,
    /// W2702.
    pub scac: Option<String>,
    /// W2703.
    pub routing: Option<String>,
    /// W2704 shipment method of payment.
    pub payment_method: Option<String>,
}

/// LX / W12 loop.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShippedLine {
    pub lx: Option<u32>,
    /// W1201 shipment/order status code, e.g. `CC` complete, `CP` partial, `SH` shorted.
    pub status: String,
    /// W1202 quantity ordered.
    pub ordered: Option<Decimal>,
    /// W1203 number of units shipped.
    pub shipped: Option<Decimal>,
    /// W1204 quantity difference.
    pub difference: Option<Decimal>,
    /// W1205 unit of measure.
    pub unit: Option<String>,
    /// W1206 U.P.C. case code.
    pub upc: Option<String>,
    /// W1207/W1208 product id qualifier and id.
    pub product_id: Option<(String, String)>,
    /// W1209 warehouse lot number.
    pub warehouse_lot: Option<String>,
    pub references: Vec<Reference>,
}

/// W03 total shipment information.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShipmentTotals {
    pub units_shipped: Option<Decimal>,
    pub weight: Option<Decimal>,
    pub weight_unit: Option<String>,
    pub volume: Option<Decimal>,
    pub volume_unit: Option<String>,
}

warehouse_document!(ShippingAdvice945);

pub fn parse(set: &TransactionSet<'_>, options: &ReadOptions) -> Mapped<ShippingAdvice945> {
    let mut m = Mapper::new(set, options, "945")?;
    let mut out = ShippingAdvice945::default();
    let mut seen_w06 = false;
    let mut walk = WarehouseWalk::default();
    for (i, seg) in m.segments() {
        if walk.take(&mut m, i, seg, &mut out) {
            continue;
        }
        match seg.id() {
            "W06" => {
                seen_w06 = true;
                out.reporting_code = m.required(i, seg, 1, 1073, "W0601 reporting code");
                out.depositor_order_number = m.text(seg, 2);
                out.date = m.date(i, seg, 3, 373);
                out.shipment_id = m.text(seg, 4);
                out.agent_shipment_id = m.text(seg, 5);
                out.purchase_order_number = m.text(seg, 6);
            }
            "W27" => {
                walk.close(&mut out);
                out.carrier = Some(CarrierDetail {
                    transport_method: m.required(i, seg, 1, 91, "W2701 transportation method"),
                    scac: m.text(seg, 2),
                    routing: m.text(seg, 3),
                    payment_method: m.text(seg, 4),
                });
            }
            "W12" => {
                walk.in_detail = true;
                let q = seg.element(7).text().into_owned();
                let v = seg.element(8).text().into_owned();
                out.lines.push(ShippedLine {
                    lx: walk.lx,
                    status: m.required(i, seg, 1, 668, "W1201 shipment/order status code"),
                    ordered: m.decimal(i, seg, 2, 330),
                    shipped: m.decimal(i, seg, 3, 382),
                    difference: m.decimal(i, seg, 4, 1004),
                    unit: m.text(seg, 5),
                    upc: m.text(seg, 6),
                    product_id: (!(q.is_empty() && v.is_empty())).then_some((q, v)),
                    warehouse_lot: m.text(seg, 9),
                    references: Vec::new(),
                });
            }
            "W03" => {
                let units = m.decimal(i, seg, 1, 382);
                out.totals = Some(ShipmentTotals {
                    units_shipped: m.require(
                        units,
                        i,
                        seg,
                        1,
                        382,
                        "W0301 number of units shipped",
                    ),
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
    if !seen_w06 {
        m.missing_segment("W06", "warehouse shipment identification");
    }
    if out.totals.is_none() {
        m.missing_segment("W03", "total shipment information");
    }
    finish(m, out, |v| &mut v.warnings)
}
