//! Realistic outbound interchanges built with our writers: 204 load tenders, 214 status
//! messages (several LX loops and AT7 events) and 940 warehouse orders (several LX/W01 lines),
//! in 004010 and 005010, one or two sets per group. Shared by `tests/edi/outbound.rs` and by
//! `examples/write_samples.rs` (which includes this file with `#[path]`), so the example writes
//! for the external validators exactly what the test reads back.

use std::str::FromStr;

use consign_edi::sets::common::{DateTimeRef, Party, Reference, Totals};
use consign_edi::sets::s204::{LoadTender204, Stop};
use consign_edi::sets::s214::{Equipment, EventLocation, Lading, ShipmentStatus214, StatusEvent};
use consign_edi::sets::s940::{CarrierInfo, OrderLine, OrderTotals, ShippingOrder940};
use consign_edi::sets::{s204, s214, s940};
use consign_edi::{
    EdiError, Envelope, OutgoingSet, OwnedSegment, ReadOptions, TransactionSet, Usage,
    WriteOptions, X12Version, functional_id, read, write_interchange,
};
use jiff::civil::{Date, Time, date, time};
use rust_decimal::Decimal;

/// One transaction set's typed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Tender(LoadTender204),
    Status(ShipmentStatus214),
    Order(ShippingOrder940),
}

impl Body {
    pub fn set_id(&self) -> &'static str {
        match self {
            Self::Tender(_) => "204",
            Self::Status(_) => "214",
            Self::Order(_) => "940",
        }
    }

    pub fn write(&self, options: &WriteOptions) -> Vec<OwnedSegment> {
        match self {
            Self::Tender(v) => s204::write(v, options),
            Self::Status(v) => s214::write(v, options),
            Self::Order(v) => s940::write(v, options),
        }
    }

    /// Maps `set` with the mapping of this value's set type.
    pub fn parse_like(&self, set: &TransactionSet<'_>) -> Result<Body, Vec<EdiError>> {
        let strict = ReadOptions::strict();
        Ok(match self {
            Self::Tender(_) => Self::Tender(s204::parse(set, &strict)?),
            Self::Status(_) => Self::Status(s214::parse(set, &strict)?),
            Self::Order(_) => Self::Order(s940::parse(set, &strict)?),
        })
    }
}

/// One outbound interchange: one functional group of sets of one type.
#[derive(Debug, Clone)]
pub struct OutboundDoc {
    /// File name the example writes it to, e.g. `out_204_1.x12`.
    pub file: String,
    pub envelope: Envelope,
    pub options: WriteOptions,
    pub sets: Vec<Body>,
}

impl OutboundDoc {
    /// ST02 of set `index` (0-based).
    pub fn set_control(index: usize) -> String {
        format!("{:04}", index + 1)
    }

    pub fn outgoing(&self) -> Vec<OutgoingSet> {
        self.sets
            .iter()
            .enumerate()
            .map(|(i, b)| {
                OutgoingSet::new(b.set_id(), Self::set_control(i), b.write(&self.options))
            })
            .collect()
    }

    // The library's own error type, as `write_interchange` returns it (see the crate root).
    #[allow(clippy::result_large_err)]
    pub fn write(&self) -> Result<Vec<u8>, EdiError> {
        write_interchange(&self.envelope, &self.outgoing(), &self.options)
    }

    /// The interchange written (panicking when the writer refuses it), and whether it reads
    /// back as written (see [`check_read_back`]).
    pub fn write_and_read_back(&self) -> (Vec<u8>, Result<(), String>) {
        let bytes = self
            .write()
            .unwrap_or_else(|e| panic!("{}: cannot write: {e}", self.file));
        let back = check_read_back(self, &bytes);
        (bytes, back)
    }

    /// Segments in the whole interchange: ISA, GS, each ST..SE, GE, IEA.
    pub fn segment_count(&self) -> usize {
        4 + self
            .outgoing()
            .iter()
            .map(|s| s.segments.len() + 2)
            .sum::<usize>()
    }
}

/// Reads `bytes` strictly and checks that they give back exactly what `doc` wrote: a clean
/// envelope with its control numbers, the raw segments, and equal typed values. `Err` describes
/// the first difference.
pub fn check_read_back(doc: &OutboundDoc, bytes: &[u8]) -> Result<(), String> {
    let name = &doc.file;
    let read_doc = read(bytes, &ReadOptions::strict());
    if !read_doc.is_clean() {
        let faults: Vec<String> = read_doc
            .all_errors()
            .into_iter()
            .chain(read_doc.all_warnings())
            .map(ToString::to_string)
            .collect();
        return Err(format!(
            "{name}: our reader reports faults:\n  {}",
            faults.join("\n  ")
        ));
    }
    let [ic] = read_doc.interchanges.as_slice() else {
        return Err(format!(
            "{name}: {} interchanges read back, 1 written",
            read_doc.interchanges.len()
        ));
    };
    let [group] = ic.groups.as_slice() else {
        return Err(format!(
            "{name}: {} groups read back, 1 written",
            ic.groups.len()
        ));
    };
    let env = &doc.envelope;
    let envelope_checks = [
        (
            "ISA13",
            ic.header.control_number.clone(),
            format!("{:09}", env.interchange_control),
        ),
        (
            "GS06",
            group.control_number.clone(),
            env.group_control.to_string(),
        ),
        (
            "GS01",
            group.functional_id.clone(),
            env.functional_id.clone(),
        ),
        (
            "GS08",
            group.version.clone(),
            env.version.gs08().to_string(),
        ),
        (
            "ISA12",
            ic.header.version.clone(),
            env.version.isa12().to_string(),
        ),
    ];
    for (what, got, want) in envelope_checks {
        if got != want {
            return Err(format!(
                "{name}: {what} read back as {got:?}, written {want:?}"
            ));
        }
    }
    let outgoing = doc.outgoing();
    if group.sets.len() != doc.sets.len() {
        return Err(format!(
            "{name}: {} transaction sets read back, {} written",
            group.sets.len(),
            doc.sets.len()
        ));
    }
    for ((written, sent), set) in doc.sets.iter().zip(&outgoing).zip(&group.sets) {
        if set.id != sent.id || set.control != sent.control {
            return Err(format!(
                "{name}: set {} {} read back as {} {}",
                sent.id, sent.control, set.id, set.control
            ));
        }
        let raw: Vec<OwnedSegment> = set.segments.iter().map(|s| s.to_owned_segment()).collect();
        if raw != sent.segments {
            return Err(format!(
                "{name}: set {}: segments read back\n{raw:#?}\nwritten\n{:#?}",
                sent.control, sent.segments
            ));
        }
        let typed = written.parse_like(set).map_err(|errors| {
            let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
            format!(
                "{name}: set {}: typed mapping fails:\n  {}",
                sent.control,
                errors.join("\n  ")
            )
        })?;
        if &typed != written {
            return Err(format!(
                "{name}: set {}: read back as\n{typed:#?}\nwritten\n{written:#?}",
                sent.control
            ));
        }
    }
    Ok(())
}

fn dec(s: &str) -> Decimal {
    match Decimal::from_str(s) {
        Ok(d) => d,
        Err(e) => panic!("bad decimal {s:?} in a fixture: {e}"),
    }
}

/// An optional text field, `String` or `CompactString` as the field is.
fn s<T: for<'x> From<&'x str>>(v: &str) -> Option<T> {
    Some(T::from(v))
}

#[allow(clippy::too_many_arguments)]
fn party(
    entity: &str,
    name: &str,
    id: Option<(&str, &str)>,
    address: &[&str],
    city: &str,
    state: &str,
    postal_code: &str,
    country: &str,
) -> Party {
    Party {
        entity: entity.into(),
        name: s(name),
        id_qualifier: id.map(|(q, _)| q.into()),
        id: id.map(|(_, v)| v.into()),
        additional_names: Vec::new(),
        address: address.iter().map(|&a| a.into()).collect(),
        city: s(city),
        state: s(state),
        postal_code: s(postal_code),
        country: s(country),
        location_qualifier: None,
        location_id: None,
    }
}

/// A date, time and X12 time code written as `2026-03-10 07:52:00 PT`.
pub(crate) fn moment(when: &str) -> (Date, Time, &str) {
    let [d, t, zone] = when.split(' ').collect::<Vec<_>>()[..] else {
        panic!("bad moment {when:?} in a fixture: want `date time zone`");
    };
    let date = Date::from_str(d).unwrap_or_else(|e| panic!("bad date {d:?} in a fixture: {e}"));
    let time = Time::from_str(t).unwrap_or_else(|e| panic!("bad time {t:?} in a fixture: {e}"));
    (date, time, zone)
}

/// A G62 with a time: see [`moment`].
fn g62_at(qualifier: &str, time_qualifier: &str, when: &str) -> DateTimeRef {
    let (d, t, zone) = moment(when);
    g62(qualifier, d, Some((time_qualifier, t, zone)))
}

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

fn g62(qualifier: &str, d: Date, at: Option<(&str, Time, &str)>) -> DateTimeRef {
    DateTimeRef {
        qualifier: s(qualifier),
        date: Some(d),
        time_qualifier: at.map(|(q, _, _)| q.into()),
        time: at.map(|(_, t, _)| t),
        time_code: at.map(|(_, _, c)| c.into()),
    }
}

fn envelope(set_id: &str, version: X12Version, control: u32, receiver: (&str, &str)) -> Envelope {
    Envelope {
        sender_qualifier: "ZZ".into(),
        sender_id: "CONSIGN".into(),
        receiver_qualifier: receiver.0.into(),
        receiver_id: receiver.1.into(),
        application_sender: None,
        application_receiver: None,
        date: date(2026, 3, 9),
        time: time(14, 5, 0, 0),
        interchange_control: control,
        group_control: control,
        functional_id: functional_id(set_id).unwrap_or("ZZ").to_string(),
        version,
        usage: Usage::Test,
        ack_requested: false,
    }
}

/// Document `n` (1 to 4) of a kind: the odd ones in 004010, the even ones in 005010; 3 and 4
/// with line breaks after the segment terminators.
fn doc(kind: &str, n: u32, receiver: (&str, &str), sets: Vec<Body>) -> OutboundDoc {
    let version = if n % 2 == 1 {
        X12Version::V004010
    } else {
        X12Version::V005010
    };
    let line_breaks = n > 2;
    let base = match kind {
        "204" => 2040,
        "214" => 2140,
        _ => 9400,
    };
    OutboundDoc {
        file: format!("out_{kind}_{n}.x12"),
        envelope: envelope(kind, version, base + n, receiver),
        options: WriteOptions {
            line_breaks,
            ..WriteOptions::default()
        },
        sets,
    }
}

/// The crossdock the multi-stop loads go to, as ship-to (`ST`) or consignee (`CN`).
fn crossdock_torrance(entity: &str) -> Party {
    party(
        entity,
        "PACIFIC GROCERY CROSSDOCK",
        None,
        &["2100 W 190TH ST"],
        "TORRANCE",
        "CA",
        "90504",
        "US",
    )
}

fn warehouse_reno() -> Party {
    party(
        "SF",
        "CONSIGN FULFILLMENT RENO",
        Some(("93", "RNO1")),
        &["4855 ECHO AVE", "DOCK DOOR 12"],
        "RENO",
        "NV",
        "89506",
        "US",
    )
}

fn grocer_sacramento() -> Party {
    party(
        "ST",
        "VALLEY FRESH MARKETS DC",
        Some(("92", "VF-DC-07")),
        &["8800 POWER INN RD"],
        "SACRAMENTO",
        "CA",
        "95828",
        "US",
    )
}

fn bill_to() -> Party {
    let mut p = party(
        "BT",
        "ACME FOODS INC",
        Some(("93", "ACME")),
        &["PO BOX 4411", "ATTN FREIGHT PAYABLES"],
        "DENVER",
        "CO",
        "80202",
        "US",
    );
    p.additional_names = vec!["ACCOUNTS PAYABLE".into()];
    p
}

/// A two-stop dry van tender, original.
fn tender_reno_sacramento() -> LoadTender204 {
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
fn tender_multi_pick(purpose: &str, shipment: &str) -> LoadTender204 {
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
fn tender_cancellation() -> LoadTender204 {
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
fn status_truckload() -> ShipmentStatus214 {
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
fn status_delayed(pro: &str, shipment: &str) -> ShipmentStatus214 {
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
fn order_replenishment(number: &str, po: &str) -> ShippingOrder940 {
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
fn order_parcel(number: &str) -> ShippingOrder940 {
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

/// Every outbound document, in file order: four of each set type, 004010 and 005010, one or two
/// sets per group, with and without line breaks after the segment terminators.
pub fn outbound_documents() -> Vec<OutboundDoc> {
    let carrier_a = ("02", "ABCD");
    let carrier_w = ("02", "WXYZ");
    let customer = ("ZZ", "ACMEFOODS");
    let warehouse = ("01", "123456789");
    vec![
        doc(
            "204",
            1,
            carrier_a,
            vec![Body::Tender(tender_reno_sacramento())],
        ),
        doc(
            "204",
            2,
            carrier_w,
            vec![Body::Tender(tender_multi_pick("00", "LD260312007"))],
        ),
        doc(
            "204",
            3,
            carrier_a,
            vec![
                Body::Tender(tender_cancellation()),
                Body::Tender(tender_reno_sacramento()),
            ],
        ),
        doc(
            "204",
            4,
            carrier_w,
            vec![
                Body::Tender(tender_multi_pick("04", "LD260312007")),
                Body::Tender(tender_multi_pick("00", "LD260312009")),
            ],
        ),
        doc("214", 1, customer, vec![Body::Status(status_truckload())]),
        doc(
            "214",
            2,
            customer,
            vec![Body::Status(status_delayed("PRO5501277", "LD260312007"))],
        ),
        doc(
            "214",
            3,
            customer,
            vec![
                Body::Status(status_delayed("PRO5501277", "LD260312007")),
                Body::Status(status_delayed("PRO5501290", "LD260312009")),
            ],
        ),
        doc(
            "214",
            4,
            customer,
            vec![
                Body::Status(status_truckload()),
                Body::Status(status_delayed("PRO5501290", "LD260312009")),
            ],
        ),
        doc(
            "940",
            1,
            warehouse,
            vec![Body::Order(order_replenishment(
                "SO-260309-01",
                "4500123987",
            ))],
        ),
        doc(
            "940",
            2,
            warehouse,
            vec![Body::Order(order_parcel("WEB-100233"))],
        ),
        doc(
            "940",
            3,
            warehouse,
            vec![
                Body::Order(order_parcel("WEB-100234")),
                Body::Order(order_parcel("WEB-100235")),
            ],
        ),
        doc(
            "940",
            4,
            warehouse,
            vec![
                Body::Order(order_replenishment("SO-260309-02", "4500124001")),
                Body::Order(order_parcel("WEB-100236")),
            ],
        ),
    ]
}
