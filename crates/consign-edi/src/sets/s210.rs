//! 210 Motor Carrier Freight Details and Invoice. Amounts are exact decimals: N2 elements (net
//! amount due, charges) carry two implied decimals, R elements (rates, weights) an explicit point.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Mapped;
use super::common::{
    DateTimeRef, Party, Reference, Totals, extend_party, finish, read_g62, read_l3, read_n1,
    read_n9, write_g62, write_l3, write_n9, write_party,
};
use crate::envelope::{ReadOptions, TransactionSet};
use crate::error::EdiError;
use crate::values::{Mapper, format_decimal, format_implied};
use crate::writer::{OwnedSegment, WriteOptions, format_date};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FreightInvoice210 {
    /// B301 shipment qualifier.
    pub shipment_qualifier: Option<String>,
    /// B302.
    pub invoice_number: String,
    /// B303 shipment identification number.
    pub shipment_id: Option<String>,
    /// B304 shipment method of payment, e.g. `PP` prepaid, `CC` collect.
    pub payment_method: String,
    /// B305 weight unit code.
    pub weight_unit: Option<String>,
    /// B306 invoice date.
    pub invoice_date: Option<Date>,
    /// B307 net amount due (N2).
    pub net_amount_due: Option<Decimal>,
    /// B308 correction indicator.
    pub correction_indicator: Option<String>,
    /// B309 delivery date.
    pub delivery_date: Option<Date>,
    /// B310 date/time qualifier.
    pub date_qualifier: Option<String>,
    /// B311.
    pub scac: String,
    /// C301 currency code.
    pub currency: Option<String>,
    /// Header N9 references.
    pub references: Vec<Reference>,
    /// Header G62 dates.
    pub dates: Vec<DateTimeRef>,
    pub parties: Vec<Party>,
    /// One per LX loop.
    pub lines: Vec<InvoiceLine>,
    /// L3 totals.
    pub totals: Option<Totals>,
    /// Faults tolerated in lenient mode (always empty in strict mode).
    #[serde(skip)]
    pub warnings: Vec<EdiError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// LX01.
    pub number: Option<u32>,
    /// N9 inside the loop.
    pub references: Vec<Reference>,
    pub descriptions: Vec<LadingDescription>,
    pub quantities: Vec<LineQuantity>,
    pub charges: Vec<LineCharge>,
    pub measurements: Vec<Measurement>,
    pub tariffs: Vec<TariffReference>,
}

/// L5 description, marks and numbers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LadingDescription {
    pub line_number: Option<u32>,
    pub description: Option<String>,
    pub commodity_code: Option<String>,
    pub commodity_code_qualifier: Option<String>,
    pub packaging_code: Option<String>,
}

/// L0 line item quantity and weight.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LineQuantity {
    /// L001.
    pub line_number: Option<u32>,
    /// L002 billed/rated-as quantity (R).
    pub billed_quantity: Option<Decimal>,
    /// L003 billed/rated-as qualifier.
    pub billed_qualifier: Option<String>,
    /// L004 weight (R).
    pub weight: Option<Decimal>,
    /// L005 weight qualifier.
    pub weight_qualifier: Option<String>,
    /// L006 volume (R).
    pub volume: Option<Decimal>,
    /// L007 volume unit qualifier.
    pub volume_unit: Option<String>,
    /// L008 lading quantity (N0).
    pub lading_quantity: Option<u32>,
    /// L009 packaging form code.
    pub packaging_form: Option<String>,
}

/// L1 rate and charges.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LineCharge {
    /// L101.
    pub line_number: Option<u32>,
    /// L102 freight rate (R).
    pub rate: Option<Decimal>,
    /// L103 rate/value qualifier.
    pub rate_qualifier: Option<String>,
    /// L104 amount charged (N2).
    pub amount: Option<Decimal>,
    /// L108 special charge or allowance code, e.g. `400` freight, `FUE` fuel.
    pub special_charge_code: Option<String>,
    /// L112 special charge description.
    pub description: Option<String>,
}

/// L4 measurements.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Measurement {
    pub length: Option<Decimal>,
    pub width: Option<Decimal>,
    pub height: Option<Decimal>,
    /// L404 measurement unit qualifier.
    pub unit: Option<String>,
    /// L405 quantity (R).
    pub quantity: Option<Decimal>,
}

/// L7 tariff reference.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TariffReference {
    pub line_number: Option<u32>,
    pub tariff_agency: Option<String>,
    pub tariff_number: Option<String>,
    pub tariff_section: Option<String>,
    pub tariff_item: Option<String>,
    /// L707 freight class code.
    pub freight_class: Option<String>,
}

pub fn parse(set: &TransactionSet<'_>, options: &ReadOptions) -> Mapped<FreightInvoice210> {
    let mut m = Mapper::new(set, options, "210")?;
    let mut out = FreightInvoice210::default();
    let mut seen_b3 = false;
    let mut party: Option<Party> = None;
    let mut line: Option<InvoiceLine> = None;
    for (i, seg) in m.segments() {
        match seg.id() {
            "B3" => {
                seen_b3 = true;
                out.shipment_qualifier = m.text(seg, 1);
                out.invoice_number = m.required(i, seg, 2, 76, "B302 invoice number");
                out.shipment_id = m.text(seg, 3);
                out.payment_method = m.required(i, seg, 4, 146, "B304 shipment method of payment");
                out.weight_unit = m.text(seg, 5);
                let date = m.date(i, seg, 6, 373);
                out.invoice_date = m.require(date, i, seg, 6, 373, "B306 date");
                let amount = m.implied(i, seg, 7, 193, 2);
                out.net_amount_due = m.require(amount, i, seg, 7, 193, "B307 net amount due");
                out.correction_indicator = m.text(seg, 8);
                out.delivery_date = m.date(i, seg, 9, 32);
                out.date_qualifier = m.text(seg, 10);
                out.scac = m.required(i, seg, 11, 140, "B311 SCAC");
            }
            "C3" => out.currency = m.text(seg, 1),
            "N9" => match line.as_mut() {
                Some(l) => l.references.push(read_n9(seg)),
                None => out.references.push(read_n9(seg)),
            },
            "G62" if line.is_none() => {
                let d = read_g62(&mut m, i, seg);
                out.dates.push(d);
            }
            "N1" if line.is_none() => {
                out.parties.extend(party.take());
                party = Some(read_n1(&mut m, i, seg));
            }
            "N2" | "N3" | "N4" if party.is_some() => {
                if let Some(p) = party.as_mut() {
                    extend_party(p, seg);
                }
            }
            "LX" => {
                out.parties.extend(party.take());
                out.lines.extend(line.take());
                line = Some(InvoiceLine {
                    number: m.count(i, seg, 1, 554),
                    ..InvoiceLine::default()
                });
            }
            "L5" | "L0" | "L1" | "L4" | "L7" if line.is_some() => {
                let Some(l) = line.as_mut() else { continue };
                match seg.id() {
                    "L5" => l.descriptions.push(LadingDescription {
                        line_number: m.count(i, seg, 1, 213),
                        description: m.text(seg, 2),
                        commodity_code: m.text(seg, 3),
                        commodity_code_qualifier: m.text(seg, 4),
                        packaging_code: m.text(seg, 5),
                    }),
                    "L0" => l.quantities.push(LineQuantity {
                        line_number: m.count(i, seg, 1, 213),
                        billed_quantity: m.decimal(i, seg, 2, 220),
                        billed_qualifier: m.text(seg, 3),
                        weight: m.decimal(i, seg, 4, 81),
                        weight_qualifier: m.text(seg, 5),
                        volume: m.decimal(i, seg, 6, 183),
                        volume_unit: m.text(seg, 7),
                        lading_quantity: m.count(i, seg, 8, 80),
                        packaging_form: m.text(seg, 9),
                    }),
                    "L1" => l.charges.push(LineCharge {
                        line_number: m.count(i, seg, 1, 213),
                        rate: m.decimal(i, seg, 2, 60),
                        rate_qualifier: m.text(seg, 3),
                        amount: m.implied(i, seg, 4, 58, 2),
                        special_charge_code: m.text(seg, 8),
                        description: m.text(seg, 12),
                    }),
                    "L4" => l.measurements.push(Measurement {
                        length: m.decimal(i, seg, 1, 82),
                        width: m.decimal(i, seg, 2, 189),
                        height: m.decimal(i, seg, 3, 65),
                        unit: m.text(seg, 4),
                        quantity: m.decimal(i, seg, 5, 380),
                    }),
                    _ => l.tariffs.push(TariffReference {
                        line_number: m.count(i, seg, 1, 213),
                        tariff_agency: m.text(seg, 2),
                        tariff_number: m.text(seg, 3),
                        tariff_section: m.text(seg, 4),
                        tariff_item: m.text(seg, 5),
                        freight_class: m.text(seg, 7),
                    }),
                }
            }
            "L3" => {
                out.parties.extend(party.take());
                out.lines.extend(line.take());
                out.totals = Some(read_l3(&mut m, i, seg));
            }
            _ => {}
        }
    }
    out.parties.extend(party.take());
    out.lines.extend(line.take());
    if !seen_b3 {
        m.missing_segment("B3", "beginning segment for carrier's invoice");
    }
    if out.totals.is_none() {
        m.missing_segment("L3", "total weight and charges");
    }
    finish(m, out, |v| &mut v.warnings)
}

/// The segments between ST and SE.
pub fn write(invoice: &FreightInvoice210, _options: &WriteOptions) -> Vec<OwnedSegment> {
    let mut out = vec![OwnedSegment::new(
        "B3",
        [
            invoice.shipment_qualifier.clone(),
            Some(invoice.invoice_number.clone()),
            invoice.shipment_id.clone(),
            Some(invoice.payment_method.clone()),
            invoice.weight_unit.clone(),
            invoice.invoice_date.map(format_date),
            invoice.net_amount_due.map(|d| format_implied(d, 2)),
            invoice.correction_indicator.clone(),
            invoice.delivery_date.map(format_date),
            invoice.date_qualifier.clone(),
            Some(invoice.scac.clone()),
        ],
    )];
    if let Some(c) = &invoice.currency {
        out.push(OwnedSegment::new("C3", [c]));
    }
    out.extend(invoice.references.iter().map(|r| write_n9("N9", r)));
    out.extend(invoice.dates.iter().map(write_g62));
    for p in &invoice.parties {
        out.extend(write_party(p));
    }
    for (k, line) in invoice.lines.iter().enumerate() {
        let number = line
            .number
            .unwrap_or_else(|| u32::try_from(k + 1).unwrap_or(u32::MAX));
        out.push(OwnedSegment::new("LX", [number.to_string()]));
        out.extend(line.references.iter().map(|r| write_n9("N9", r)));
        for d in &line.descriptions {
            out.push(OwnedSegment::new(
                "L5",
                [
                    d.line_number.map(|n| n.to_string()),
                    d.description.clone(),
                    d.commodity_code.clone(),
                    d.commodity_code_qualifier.clone(),
                    d.packaging_code.clone(),
                ],
            ));
        }
        for q in &line.quantities {
            out.push(OwnedSegment::new(
                "L0",
                [
                    q.line_number.map(|n| n.to_string()),
                    q.billed_quantity.map(format_decimal),
                    q.billed_qualifier.clone(),
                    q.weight.map(format_decimal),
                    q.weight_qualifier.clone(),
                    q.volume.map(format_decimal),
                    q.volume_unit.clone(),
                    q.lading_quantity.map(|n| n.to_string()),
                    q.packaging_form.clone(),
                ],
            ));
        }
        for c in &line.charges {
            out.push(OwnedSegment::new(
                "L1",
                [
                    c.line_number.map(|n| n.to_string()),
                    c.rate.map(format_decimal),
                    c.rate_qualifier.clone(),
                    c.amount.map(|d| format_implied(d, 2)),
                    None,
                    None,
                    None,
                    c.special_charge_code.clone(),
                    None,
                    None,
                    None,
                    c.description.clone(),
                ],
            ));
        }
        for l4 in &line.measurements {
            out.push(OwnedSegment::new(
                "L4",
                [
                    l4.length.map(format_decimal),
                    l4.width.map(format_decimal),
                    l4.height.map(format_decimal),
                    l4.unit.clone(),
                    l4.quantity.map(format_decimal),
                ],
            ));
        }
        for t in &line.tariffs {
            out.push(OwnedSegment::new(
                "L7",
                [
                    t.line_number.map(|n| n.to_string()),
                    t.tariff_agency.clone(),
                    t.tariff_number.clone(),
                    t.tariff_section.clone(),
                    t.tariff_item.clone(),
                    None,
                    t.freight_class.clone(),
                ],
            ));
        }
    }
    if let Some(t) = &invoice.totals {
        out.push(write_l3(t));
    }
    out
}
