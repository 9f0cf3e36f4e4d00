//! Segments shared by several sets (references, parties, dates, totals), read and written the
//! same way everywhere so that a party in a 204 and in a 940 are the same Rust value.

use compact_str::CompactString;
use jiff::civil::{Date, Time};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::EdiError;
use crate::values::{Mapper, ReadElements, format_decimal, format_implied};
use crate::writer::{OwnedSegment, format_date, format_time};

/// A qualified reference number (L11, N9 or REF).
///
/// The texts of references, parties and dates (and of the 214's own types) are
/// [`CompactString`]s: nearly all fit in its 24 inline bytes, so mapping a set does not allocate
/// once per element, which made the 214 mapping allocation-bound. It serializes as a plain
/// string, exactly like `String`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Reference identification qualifier (element 128), e.g. `BM` bill of lading.
    pub qualifier: CompactString,
    pub value: CompactString,
    pub description: Option<CompactString>,
}

impl Reference {
    pub fn new(qualifier: impl Into<CompactString>, value: impl Into<CompactString>) -> Self {
        Self {
            qualifier: qualifier.into(),
            value: value.into(),
            description: None,
        }
    }
}

/// L11: value first, then qualifier.
pub(crate) fn read_l11(seg: &impl ReadElements) -> Reference {
    Reference {
        value: seg.text_into(1),
        qualifier: seg.text_into(2),
        description: seg.opt_into(3),
    }
}

pub(crate) fn write_l11(r: &Reference) -> OwnedSegment {
    OwnedSegment::new(
        "L11",
        [Some(&r.value), Some(&r.qualifier), r.description.as_ref()],
    )
}

/// N9 and REF: qualifier first, then value.
pub(crate) fn read_n9(seg: &impl ReadElements) -> Reference {
    Reference {
        qualifier: seg.text_into(1),
        value: seg.text_into(2),
        description: seg.opt_into(3),
    }
}

pub(crate) fn write_n9(id: &str, r: &Reference) -> OwnedSegment {
    OwnedSegment::new(
        id,
        [Some(&r.qualifier), Some(&r.value), r.description.as_ref()],
    )
}

/// A party from an N1 loop (N1, N2, N3, N4).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Party {
    /// Entity identifier code (element 98), e.g. `SH` shipper, `CN` consignee, `ST` ship to.
    pub entity: CompactString,
    pub name: Option<CompactString>,
    /// Identification code qualifier (element 66), e.g. `93` or `UL` (GLN).
    pub id_qualifier: Option<CompactString>,
    pub id: Option<CompactString>,
    /// N2 additional names.
    pub additional_names: Vec<CompactString>,
    /// N3 address lines, in order.
    pub address: Vec<CompactString>,
    pub city: Option<CompactString>,
    pub state: Option<CompactString>,
    pub postal_code: Option<CompactString>,
    pub country: Option<CompactString>,
    /// N405/N406 location qualifier and identifier.
    pub location_qualifier: Option<CompactString>,
    pub location_id: Option<CompactString>,
}

impl Party {
    pub fn new(entity: impl Into<CompactString>, name: impl Into<CompactString>) -> Self {
        Self {
            entity: entity.into(),
            name: Some(name.into()),
            ..Self::default()
        }
    }
}

pub(crate) fn read_n1(m: &mut Mapper<'_, '_>, index: usize, seg: &impl ReadElements) -> Party {
    Party {
        entity: m.required(index, seg, 1, 98, "N101 entity identifier code"),
        name: m.text(seg, 2),
        id_qualifier: m.text(seg, 3),
        id: m.text(seg, 4),
        ..Party::default()
    }
}

/// What the warehouse sets (940, 945) keep of the segments they read alike.
pub(crate) trait WarehouseDocument {
    /// The header's parties, references and dates.
    fn header(&mut self) -> (&mut Vec<Party>, &mut Vec<Reference>, &mut Vec<DateTimeRef>);
    /// The references of the last line read, if any.
    fn line_references(&mut self) -> Option<&mut Vec<Reference>>;
}

/// Implements [`WarehouseDocument`] for a set whose header keeps `parties`, `references` and
/// `dates`, and whose `lines` each keep `references` (the 940 and the 945).
macro_rules! warehouse_document {
    ($doc:ty) => {
        impl $crate::sets::common::WarehouseDocument for $doc {
            fn header(&mut self) -> (&mut Vec<Party>, &mut Vec<Reference>, &mut Vec<DateTimeRef>) {
                (&mut self.parties, &mut self.references, &mut self.dates)
            }

            fn line_references(&mut self) -> Option<&mut Vec<Reference>> {
                self.lines.last_mut().map(|l| &mut l.references)
            }
        }
    };
}
pub(crate) use warehouse_document;

/// The walk the warehouse sets (940, 945) share, so both read their common segments alike:
/// the header N1 loop (an N1 opens a party, N2/N3/N4 add to it; G62, LX and the set's carrier
/// and line segments close it), N9 references (the header's, or the current line's once the
/// detail began), the header's G62 dates, and LX, which begins the detail and numbers the
/// lines after it.
#[derive(Debug, Default)]
pub(crate) struct WarehouseWalk {
    open: Option<Party>,
    /// The detail has begun: N1 and G62 are no longer the header's.
    pub(crate) in_detail: bool,
    /// The LX loop the next line belongs to.
    pub(crate) lx: Option<u32>,
}

impl WarehouseWalk {
    /// Takes an N1-loop segment of the header, an N9, a header G62 or an LX; false (nothing
    /// taken) for the set's own segments.
    pub(crate) fn take(
        &mut self,
        m: &mut Mapper<'_, '_>,
        index: usize,
        seg: &impl ReadElements,
        doc: &mut impl WarehouseDocument,
    ) -> bool {
        match (seg.id(), self.in_detail) {
            ("N1", false) => {
                let (parties, _, _) = doc.header();
                parties.extend(self.open.take());
                self.open = Some(read_n1(m, index, seg));
                true
            }
            ("N2" | "N3" | "N4", false) if self.open.is_some() => {
                extend_party(self.open.as_mut().expect("checked"), seg)
            }
            ("N9", _) => {
                let r = read_n9(seg);
                match doc.line_references().filter(|_| self.in_detail) {
                    Some(line) => line.push(r),
                    None => doc.header().1.push(r),
                }
                true
            }
            ("G62", false) => {
                self.close(doc);
                let d = read_g62(m, index, seg);
                doc.header().2.push(d);
                true
            }
            ("LX", _) => {
                self.close(doc);
                self.in_detail = true;
                self.lx = m.count(index, seg, 1, 554);
                true
            }
            _ => false,
        }
    }

    /// Ends the open party, if any: the loop is over.
    pub(crate) fn close(&mut self, doc: &mut impl WarehouseDocument) {
        doc.header().0.extend(self.open.take());
    }
}

/// Adds N2/N3/N4 to the party of the current loop; false for any other segment.
pub(crate) fn extend_party(party: &mut Party, seg: &impl ReadElements) -> bool {
    match seg.id() {
        "N2" => {
            party
                .additional_names
                .extend([1, 2].into_iter().filter_map(|n| seg.opt_into(n)));
            true
        }
        "N3" => {
            party
                .address
                .extend([1, 2].into_iter().filter_map(|n| seg.opt_into(n)));
            true
        }
        "N4" => {
            party.city = seg.opt_into(1);
            party.state = seg.opt_into(2);
            party.postal_code = seg.opt_into(3);
            party.country = seg.opt_into(4);
            party.location_qualifier = seg.opt_into(5);
            party.location_id = seg.opt_into(6);
            true
        }
        _ => false,
    }
}

pub(crate) fn write_party(p: &Party) -> Vec<OwnedSegment> {
    let mut out = vec![OwnedSegment::new(
        "N1",
        [
            Some(&p.entity),
            p.name.as_ref(),
            p.id_qualifier.as_ref(),
            p.id.as_ref(),
        ],
    )];
    for pair in p.additional_names.chunks(2) {
        out.push(OwnedSegment::new("N2", pair.iter()));
    }
    for pair in p.address.chunks(2) {
        out.push(OwnedSegment::new("N3", pair.iter()));
    }
    let n4 = [
        p.city.as_ref(),
        p.state.as_ref(),
        p.postal_code.as_ref(),
        p.country.as_ref(),
        p.location_qualifier.as_ref(),
        p.location_id.as_ref(),
    ];
    if n4.iter().any(Option::is_some) {
        out.push(OwnedSegment::new("N4", n4));
    }
    out
}

/// A G62 date/time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateTimeRef {
    /// Date qualifier (element 432), e.g. `10` requested ship date, `17` estimated delivery.
    pub qualifier: Option<CompactString>,
    pub date: Option<Date>,
    /// Time qualifier (element 176).
    pub time_qualifier: Option<CompactString>,
    pub time: Option<Time>,
    /// Time code (element 623), see [`crate::time::time_code`].
    pub time_code: Option<CompactString>,
}

pub(crate) fn read_g62(
    m: &mut Mapper<'_, '_>,
    index: usize,
    seg: &impl ReadElements,
) -> DateTimeRef {
    DateTimeRef {
        qualifier: m.text(seg, 1),
        date: m.date(index, seg, 2, 373),
        time_qualifier: m.text(seg, 3),
        time: m.time(index, seg, 4, 337),
        time_code: m.time_code(index, seg, 5),
    }
}

pub(crate) fn write_g62(d: &DateTimeRef) -> OwnedSegment {
    OwnedSegment::new(
        "G62",
        [
            owned(&d.qualifier),
            d.date.map(format_date),
            owned(&d.time_qualifier),
            d.time.map(format_time),
            owned(&d.time_code),
        ],
    )
}

/// An optional code as the owned text a written element takes.
pub(crate) fn owned(v: &Option<CompactString>) -> Option<String> {
    v.as_deref().map(str::to_owned)
}

/// L3 total weight and charges.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    /// L301 (R).
    pub weight: Option<Decimal>,
    /// L302 weight qualifier, e.g. `G` gross.
    pub weight_qualifier: Option<String>,
    /// L303 freight rate (R).
    pub rate: Option<Decimal>,
    /// L304 rate/value qualifier.
    pub rate_qualifier: Option<String>,
    /// L305 charge (N2, two implied decimals).
    pub charge: Option<Decimal>,
    /// L306 advances (N2).
    pub advances: Option<Decimal>,
    /// L307 prepaid amount (N2).
    pub prepaid: Option<Decimal>,
    /// L308 special charge or allowance code.
    pub special_charge_code: Option<String>,
    /// L309 volume (R).
    pub volume: Option<Decimal>,
    /// L310 volume unit qualifier.
    pub volume_unit: Option<String>,
    /// L311 lading quantity (N0).
    pub lading_quantity: Option<u32>,
    /// L312 weight unit code, e.g. `L` pounds, `K` kilograms.
    pub weight_unit: Option<String>,
}

pub(crate) fn read_l3(m: &mut Mapper<'_, '_>, index: usize, seg: &impl ReadElements) -> Totals {
    Totals {
        weight: m.decimal(index, seg, 1, 81),
        weight_qualifier: m.text(seg, 2),
        rate: m.decimal(index, seg, 3, 60),
        rate_qualifier: m.text(seg, 4),
        charge: m.implied(index, seg, 5, 58, 2),
        advances: m.implied(index, seg, 6, 191, 2),
        prepaid: m.implied(index, seg, 7, 117, 2),
        special_charge_code: m.text(seg, 8),
        volume: m.decimal(index, seg, 9, 183),
        volume_unit: m.text(seg, 10),
        lading_quantity: m.count(index, seg, 11, 80),
        weight_unit: m.text(seg, 12),
    }
}

pub(crate) fn write_l3(t: &Totals) -> OwnedSegment {
    OwnedSegment::new(
        "L3",
        [
            t.weight.map(format_decimal),
            t.weight_qualifier.clone(),
            t.rate.map(format_decimal),
            t.rate_qualifier.clone(),
            t.charge.map(|d| format_implied(d, 2)),
            t.advances.map(|d| format_implied(d, 2)),
            t.prepaid.map(|d| format_implied(d, 2)),
            t.special_charge_code.clone(),
            t.volume.map(format_decimal),
            t.volume_unit.clone(),
            t.lading_quantity.map(|n| n.to_string()),
            t.weight_unit.clone(),
        ],
    )
}

/// Attaches mapping warnings to a value, or returns the errors.
pub(crate) fn finish<T>(
    m: Mapper<'_, '_>,
    mut value: T,
    warnings: impl FnOnce(&mut T) -> &mut Vec<EdiError>,
) -> Result<T, Vec<EdiError>> {
    let w = m.finish()?;
    *warnings(&mut value) = w;
    Ok(value)
}
