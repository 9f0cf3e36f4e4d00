//! 214 Transportation Carrier Shipment Status Message. Status, reason and appointment codes stay
//! raw here: mapping them to Consign's canonical statuses is the tracking crosswalk's job.

use compact_str::CompactString;
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Mapped;
use super::common::{
    DateTimeRef, Party, Reference, extend_party, finish, owned, read_g62, read_l11, read_n1,
    write_g62, write_l11, write_party,
};
use crate::envelope::{ReadOptions, TransactionSet};
use crate::error::{EdiError, ErrorKind};
use crate::time::{InstantError, resolve_instant};
use crate::tokenizer::Fields;
use crate::values::{Mapper, format_decimal};
use crate::writer::{OwnedSegment, WriteOptions, format_date, format_time};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShipmentStatus214 {
    /// B1001, the carrier's reference (often the PRO number).
    pub reference_id: Option<CompactString>,
    /// B1002, the shipper's shipment identification number.
    pub shipment_id: CompactString,
    /// B1003.
    pub scac: CompactString,
    /// Header L11 references.
    pub references: Vec<Reference>,
    /// Header G62 dates.
    pub dates: Vec<DateTimeRef>,
    /// Header N1 loops.
    pub parties: Vec<Party>,
    /// One per AT7, in order, each carrying its LX loop's data.
    pub events: Vec<StatusEvent>,
    /// Faults tolerated in lenient mode (always empty in strict mode).
    #[serde(skip)]
    pub warnings: Vec<EdiError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatusEvent {
    /// LX01 of the loop the AT7 is in.
    pub lx: Option<u32>,
    /// AT701 shipment status code (element 1650), raw.
    pub status_code: Option<CompactString>,
    /// AT702 status reason code (element 1651), raw.
    pub status_reason: Option<CompactString>,
    /// AT703 appointment status code (element 1652), raw.
    pub appointment_code: Option<CompactString>,
    /// AT704 appointment reason code (element 1651), raw.
    pub appointment_reason: Option<CompactString>,
    /// AT705.
    pub date: Option<Date>,
    /// AT706.
    pub time: Option<Time>,
    /// AT707 time code (element 623), raw.
    pub time_code: Option<CompactString>,
    /// MS1 after the AT7.
    pub location: Option<EventLocation>,
    /// MS2 after the AT7.
    pub equipment: Option<Equipment>,
    /// AT8 of the LX loop.
    pub lading: Vec<Lading>,
    /// L11 of the LX loop.
    pub references: Vec<Reference>,
}

impl StatusEvent {
    /// The event's instant, resolving its time code; `local_zone` is the time zone of the
    /// place for local time (`LT` or no code).
    pub fn instant(
        &self,
        local_zone: Option<&TimeZone>,
    ) -> Option<Result<Timestamp, InstantError>> {
        let date = self.date?;
        let time = self.time?;
        Some(resolve_instant(
            date,
            time,
            self.time_code.as_deref(),
            local_zone,
        ))
    }
}

/// MS1 equipment, shipment or real property location.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventLocation {
    pub city: Option<CompactString>,
    pub state: Option<CompactString>,
    pub country: Option<CompactString>,
    /// MS104/MS105 longitude and latitude codes as sent.
    pub longitude: Option<CompactString>,
    pub latitude: Option<CompactString>,
}

/// MS2 equipment or container owner and type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Equipment {
    /// MS201 SCAC of the equipment owner.
    pub owner: Option<CompactString>,
    /// MS202 equipment number.
    pub number: Option<CompactString>,
    /// MS203 equipment description code.
    pub description_code: Option<CompactString>,
}

/// AT8 shipment weight, packaging and quantity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Lading {
    /// AT801 weight qualifier, e.g. `G` gross.
    pub weight_qualifier: Option<CompactString>,
    /// AT802 weight unit code, e.g. `L` pounds.
    pub weight_unit: Option<CompactString>,
    /// AT803.
    pub weight: Option<Decimal>,
    /// AT804 lading quantity (pieces).
    pub lading_quantity: Option<u32>,
    /// AT805 lading quantity (handling units).
    pub handling_units: Option<u32>,
}

/// LX-level L11 and AT8 are copied into every event of the loop, so their number is capped
/// (the standard allows far fewer) to keep a hostile loop from multiplying into millions of
/// copies.
pub const MAX_LOOP_DETAIL: usize = 100;

fn too_many(m: &mut Mapper<'_, '_>, i: usize, seg: &crate::Segment<'_>) {
    m.segment_fault(
        i,
        seg,
        ErrorKind::SegmentExceedsMaximumUse,
        format!(
            "more than {MAX_LOOP_DETAIL} {} segments in one LX loop; the rest are not mapped",
            seg.id()
        ),
    );
}

/// The LX loop being read. Its events go straight into the output (from `start` on); its
/// number, AT8 and L11 are filled into them when the loop ends.
struct Loop {
    number: Option<u32>,
    start: usize,
    lading: Vec<Lading>,
    references: Vec<Reference>,
}

fn flush(events: &mut [StatusEvent], lp: Option<Loop>) {
    let Some(Loop {
        number,
        start,
        lading,
        references,
    }) = lp
    else {
        return;
    };
    let Some((last, others)) = events.get_mut(start..).and_then(|e| e.split_last_mut()) else {
        return;
    };
    // The last event takes the loop's detail; the others get copies.
    for e in others {
        e.lx = number;
        e.lading.clone_from(&lading);
        e.references.clone_from(&references);
    }
    last.lx = number;
    last.lading = lading;
    last.references = references;
}

pub fn parse(set: &TransactionSet<'_>, options: &ReadOptions) -> Mapped<ShipmentStatus214> {
    let mut m = Mapper::new(set, options, "214")?;
    // One AT7, one event: sizing the list up front spares regrowing it (its elements are large).
    let at7s = set
        .segments
        .iter()
        .filter(|s| s.id_bytes() == b"AT7")
        .count();
    let mut out = ShipmentStatus214 {
        events: Vec::with_capacity(at7s),
        ..ShipmentStatus214::default()
    };
    let mut seen_b10 = false;
    let mut party: Option<Party> = None;
    let mut lp: Option<Loop> = None;
    // AT7s before any LX (not allowed, but seen) are kept as events without a loop number,
    // L11 or AT8.
    for (i, seg) in m.segments() {
        let f = Fields::new(seg);
        match f.id() {
            "B10" => {
                seen_b10 = true;
                out.reference_id = m.text(&f, 1);
                out.shipment_id = m.required(i, &f, 2, 145, "B1002 shipment identification number");
                out.scac = m.required(i, &f, 3, 140, "B1003 SCAC");
            }
            "L11" => match lp.as_mut() {
                Some(l) if l.references.len() >= MAX_LOOP_DETAIL => {
                    too_many(&mut m, i, seg);
                }
                Some(l) => l.references.push(read_l11(&f)),
                None => out.references.push(read_l11(&f)),
            },
            "G62" if lp.is_none() => {
                let d = read_g62(&mut m, i, &f);
                out.dates.push(d);
            }
            "N1" if lp.is_none() => {
                out.parties.extend(party.take());
                party = Some(read_n1(&mut m, i, &f));
            }
            "N2" | "N3" | "N4" if party.is_some() => {
                if let Some(p) = party.as_mut() {
                    extend_party(p, &f);
                }
            }
            "LX" => {
                out.parties.extend(party.take());
                flush(&mut out.events, lp.take());
                let number = m.count(i, &f, 1, 554);
                let number = m.require(number, i, &f, 1, 554, "LX01 assigned number");
                lp = Some(Loop {
                    number,
                    start: out.events.len(),
                    lading: Vec::new(),
                    references: Vec::new(),
                });
            }
            "AT7" => {
                let event = read_at7(&mut m, i, &f);
                out.events.push(event);
            }
            "MS1" => {
                if let Some(e) = loop_event(&lp, &mut out.events) {
                    e.location = Some(EventLocation {
                        city: m.text(&f, 1),
                        state: m.text(&f, 2),
                        country: m.text(&f, 3),
                        longitude: m.text(&f, 4),
                        latitude: m.text(&f, 5),
                    });
                }
            }
            "MS2" => {
                if let Some(e) = loop_event(&lp, &mut out.events) {
                    e.equipment = Some(Equipment {
                        owner: m.text(&f, 1),
                        number: m.text(&f, 2),
                        description_code: m.text(&f, 3),
                    });
                }
            }
            "AT8"
                if lp
                    .as_ref()
                    .is_some_and(|l| l.lading.len() >= MAX_LOOP_DETAIL) =>
            {
                too_many(&mut m, i, seg);
            }
            "AT8" if lp.is_some() => {
                let lading = Lading {
                    weight_qualifier: m.text(&f, 1),
                    weight_unit: m.text(&f, 2),
                    weight: m.decimal(i, &f, 3, 81),
                    lading_quantity: m.count(i, &f, 4, 80),
                    handling_units: m.count(i, &f, 5, 80),
                };
                if let Some(l) = lp.as_mut() {
                    l.lading.push(lading);
                }
            }
            _ => {}
        }
    }
    out.parties.extend(party.take());
    flush(&mut out.events, lp.take());
    if !seen_b10 {
        m.missing_segment("B10", "beginning segment for shipment status");
    }
    finish(m, out, |v| &mut v.warnings)
}

/// The last event of the current LX loop, which an MS1 or MS2 describes; none outside a loop
/// or before the loop's first AT7.
fn loop_event<'e>(lp: &Option<Loop>, events: &'e mut [StatusEvent]) -> Option<&'e mut StatusEvent> {
    let start = lp.as_ref()?.start;
    events.get_mut(start..)?.last_mut()
}

fn read_at7(m: &mut Mapper<'_, '_>, i: usize, seg: &Fields<'_, '_>) -> StatusEvent {
    let event = StatusEvent {
        lx: None,
        status_code: m.text(seg, 1),
        status_reason: m.text(seg, 2),
        appointment_code: m.text(seg, 3),
        appointment_reason: m.text(seg, 4),
        date: m.date(i, seg, 5, 373),
        time: m.time(i, seg, 6, 337),
        time_code: m.time_code(i, seg, 7),
        location: None,
        equipment: None,
        lading: Vec::new(),
        references: Vec::new(),
    };
    // AT7 syntax notes: R0103 (a status or an appointment), P0102 and P0304 (each code with its
    // reason), C0706 (a time code needs a time).
    if event.status_code.is_none() && event.appointment_code.is_none() {
        m.conditional(
            i,
            seg,
            1,
            1650,
            "AT7 needs a shipment status code (AT701) or an appointment status code (AT703)".into(),
        );
    }
    for (code, reason, n) in [
        (&event.status_code, &event.status_reason, 1usize),
        (&event.appointment_code, &event.appointment_reason, 3),
    ] {
        if code.is_some() != reason.is_some() {
            let missing = if code.is_some() { n + 1 } else { n };
            // Element numbers of AT701..AT704: status, reason, appointment, reason.
            let element_ref = [1650, 1651, 1652, 1651]
                .get(missing - 1)
                .copied()
                .unwrap_or(0);
            m.conditional(
                i,
                seg,
                missing,
                element_ref,
                format!("AT7{n:02} and AT7{:02} must be sent together", n + 1),
            );
        }
    }
    if event.time_code.is_some() && seg.element(6).is_empty() {
        m.conditional(
            i,
            seg,
            6,
            337,
            "AT707 time code needs the AT706 time".into(),
        );
    }
    event
}

/// The segments between ST and SE. Consecutive events with the same LX number and the same LX
/// data share one LX loop; an event without a number gets its position among the loops.
pub fn write(status: &ShipmentStatus214, _options: &WriteOptions) -> Vec<OwnedSegment> {
    let mut out = vec![OwnedSegment::new(
        "B10",
        [
            status.reference_id.as_ref(),
            Some(&status.shipment_id),
            Some(&status.scac),
        ],
    )];
    out.extend(status.references.iter().map(write_l11));
    out.extend(status.dates.iter().map(write_g62));
    for p in &status.parties {
        out.extend(write_party(p));
    }
    let mut loops = 0u32;
    let mut idx = 0;
    while let Some(first) = status.events.get(idx) {
        let same_loop = |e: &StatusEvent| {
            e.lx == first.lx && e.lading == first.lading && e.references == first.references
        };
        let len = status.events.get(idx..).map_or(1, |rest| {
            rest.iter().take_while(|e| same_loop(e)).count().max(1)
        });
        loops += 1;
        out.push(OwnedSegment::new(
            "LX",
            [first.lx.unwrap_or(loops).to_string()],
        ));
        for e in status.events.iter().skip(idx).take(len) {
            out.push(OwnedSegment::new(
                "AT7",
                [
                    owned(&e.status_code),
                    owned(&e.status_reason),
                    owned(&e.appointment_code),
                    owned(&e.appointment_reason),
                    e.date.map(format_date),
                    e.time.map(format_time),
                    owned(&e.time_code),
                ],
            ));
            if let Some(l) = &e.location {
                out.push(OwnedSegment::new(
                    "MS1",
                    [
                        l.city.as_ref(),
                        l.state.as_ref(),
                        l.country.as_ref(),
                        l.longitude.as_ref(),
                        l.latitude.as_ref(),
                    ],
                ));
            }
            if let Some(q) = &e.equipment {
                out.push(OwnedSegment::new(
                    "MS2",
                    [
                        q.owner.as_ref(),
                        q.number.as_ref(),
                        q.description_code.as_ref(),
                    ],
                ));
            }
        }
        out.extend(first.references.iter().map(write_l11));
        for l in &first.lading {
            out.push(OwnedSegment::new(
                "AT8",
                [
                    owned(&l.weight_qualifier),
                    owned(&l.weight_unit),
                    l.weight.map(format_decimal),
                    l.lading_quantity.map(|n| n.to_string()),
                    l.handling_units.map(|n| n.to_string()),
                ],
            ));
        }
        idx += len;
    }
    out
}
