//! 204 Motor Carrier Load Tender: what Consign sends a carrier to offer a load; read back too,
//! for round-trip tests and for loads tendered to us.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Mapped;
use super::common::{
    DateTimeRef, Party, Reference, Totals, extend_party, finish, read_g62, read_l3, read_l11,
    read_n1, write_g62, write_l3, write_l11, write_party,
};
use crate::envelope::{ReadOptions, TransactionSet};
use crate::error::EdiError;
use crate::values::{Mapper, format_decimal};
use crate::writer::{OwnedSegment, WriteOptions};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LoadTender204 {
    /// B202.
    pub scac: Option<String>,
    /// B204 shipment identification number.
    pub shipment_id: Option<String>,
    /// B206 shipment method of payment, e.g. `PP`.
    pub payment_method: String,
    /// B2A01 transaction set purpose code: `00` original, `01` cancellation, `04` change.
    pub purpose: String,
    /// B2A02 application type.
    pub application_type: Option<String>,
    /// Header L11.
    pub references: Vec<Reference>,
    /// Header G62.
    pub dates: Vec<DateTimeRef>,
    /// Header N1 loops.
    pub parties: Vec<Party>,
    /// S5 stop-off loops, in order.
    pub stops: Vec<Stop>,
    /// L3 totals.
    pub totals: Option<Totals>,
    /// Faults tolerated in lenient mode (always empty in strict mode).
    #[serde(skip)]
    pub warnings: Vec<EdiError>,
}

/// One S5 loop.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stop {
    /// S501 stop sequence number.
    pub sequence: Option<u32>,
    /// S502 stop reason code, e.g. `LD` load, `UL` unload, `CL` complete load, `CU` complete
    /// unload.
    pub reason: String,
    /// S503.
    pub weight: Option<Decimal>,
    /// S504.
    pub weight_unit: Option<String>,
    /// S505 number of units shipped.
    pub quantity: Option<Decimal>,
    /// S506.
    pub unit: Option<String>,
    pub references: Vec<Reference>,
    pub dates: Vec<DateTimeRef>,
    pub parties: Vec<Party>,
}

pub fn parse(set: &TransactionSet<'_>, options: &ReadOptions) -> Mapped<LoadTender204> {
    let mut m = Mapper::new(set, options, "204")?;
    let mut out = LoadTender204::default();
    let (mut seen_b2, mut seen_b2a) = (false, false);
    let mut party: Option<Party> = None;
    let mut stop: Option<Stop> = None;
    let flush_party =
        |party: &mut Option<Party>, stop: &mut Option<Stop>, out: &mut LoadTender204| {
            if let Some(p) = party.take() {
                match stop.as_mut() {
                    Some(s) => s.parties.push(p),
                    None => out.parties.push(p),
                }
            }
        };
    for (i, seg) in m.segments() {
        match seg.id() {
            "B2" => {
                seen_b2 = true;
                out.scac = m.text(seg, 2);
                out.shipment_id = m.text(seg, 4);
                out.payment_method = m.required(i, seg, 6, 146, "B206 shipment method of payment");
            }
            "B2A" => {
                seen_b2a = true;
                out.purpose = m.required(i, seg, 1, 353, "B2A01 transaction set purpose code");
                out.application_type = m.text(seg, 2);
            }
            "L11" => {
                let r = read_l11(seg);
                match stop.as_mut() {
                    Some(s) => s.references.push(r),
                    None => out.references.push(r),
                }
            }
            "G62" => {
                let d = read_g62(&mut m, i, seg);
                match stop.as_mut() {
                    Some(s) => s.dates.push(d),
                    None => out.dates.push(d),
                }
            }
            "N1" => {
                flush_party(&mut party, &mut stop, &mut out);
                party = Some(read_n1(&mut m, i, seg));
            }
            "N2" | "N3" | "N4" => {
                if let Some(p) = party.as_mut() {
                    extend_party(p, seg);
                }
            }
            "S5" => {
                flush_party(&mut party, &mut stop, &mut out);
                out.stops.extend(stop.take());
                let sequence = m.count(i, seg, 1, 165);
                stop = Some(Stop {
                    sequence: m.require(sequence, i, seg, 1, 165, "S501 stop sequence number"),
                    reason: m.required(i, seg, 2, 163, "S502 stop reason code"),
                    weight: m.decimal(i, seg, 3, 81),
                    weight_unit: m.text(seg, 4),
                    quantity: m.decimal(i, seg, 5, 382),
                    unit: m.text(seg, 6),
                    ..Stop::default()
                });
            }
            "L3" => {
                flush_party(&mut party, &mut stop, &mut out);
                out.stops.extend(stop.take());
                out.totals = Some(read_l3(&mut m, i, seg));
            }
            // Any other segment ends an N1 loop (its G61, N7, L5 ... are not modelled here).
            "G61" | "PER" => {}
            _ => flush_party(&mut party, &mut stop, &mut out),
        }
    }
    flush_party(&mut party, &mut stop, &mut out);
    out.stops.extend(stop.take());
    if !seen_b2 {
        m.missing_segment("B2", "beginning segment for shipment information");
    }
    if !seen_b2a {
        m.missing_segment("B2A", "set purpose");
    }
    if out.stops.is_empty() {
        m.missing_segment("S5", "stop off details");
    }
    finish(m, out, |v| &mut v.warnings)
}

/// The segments between ST and SE.
pub fn write(tender: &LoadTender204, _options: &WriteOptions) -> Vec<OwnedSegment> {
    let mut out = vec![
        OwnedSegment::new(
            "B2",
            [
                None,
                tender.scac.clone(),
                None,
                tender.shipment_id.clone(),
                None,
                Some(tender.payment_method.clone()),
            ],
        ),
        OwnedSegment::new(
            "B2A",
            [
                Some(tender.purpose.clone()),
                tender.application_type.clone(),
            ],
        ),
    ];
    out.extend(tender.references.iter().map(write_l11));
    out.extend(tender.dates.iter().map(write_g62));
    for p in &tender.parties {
        out.extend(write_party(p));
    }
    for s in &tender.stops {
        out.push(OwnedSegment::new(
            "S5",
            [
                s.sequence.map(|n| n.to_string()),
                Some(s.reason.clone()),
                s.weight.map(format_decimal),
                s.weight_unit.clone(),
                s.quantity.map(format_decimal),
                s.unit.clone(),
            ],
        ));
        out.extend(s.references.iter().map(write_l11));
        out.extend(s.dates.iter().map(write_g62));
        for p in &s.parties {
            out.extend(write_party(p));
        }
    }
    if let Some(t) = &tender.totals {
        out.push(write_l3(t));
    }
    out
}
