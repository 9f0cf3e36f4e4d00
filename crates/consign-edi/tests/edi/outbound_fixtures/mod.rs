//! Realistic outbound interchanges built with our writers: 204 load tenders, 214 status
//! messages (several LX loops and AT7 events) and 940 warehouse orders (several LX/W01 lines),
//! in 004010 and 005010, one or two sets per group. Shared by `tests/edi/outbound.rs` and by
//! `examples/write_samples.rs` (which includes this folder with `#[path]`), so the example
//! writes for the external validators exactly what the test reads back. The values of each set
//! type are in their own file; the parties and value helpers they share are here.

mod orders;
pub(crate) mod statuses;
mod tenders;

use std::str::FromStr;

use consign_edi::sets::common::{DateTimeRef, Party};
use consign_edi::sets::s204::LoadTender204;
use consign_edi::sets::s214::ShipmentStatus214;
use consign_edi::sets::s940::ShippingOrder940;
use consign_edi::sets::{s204, s214, s940};
use consign_edi::{
    EdiError, Envelope, OutgoingSet, OwnedSegment, ReadOptions, TransactionSet, Usage,
    WriteOptions, X12Version, functional_id, read, write_interchange,
};
use jiff::civil::{Date, Time, date, time};
use orders::{order_parcel, order_replenishment};
use rust_decimal::Decimal;
use statuses::{status_delayed, status_truckload};
use tenders::{tender_cancellation, tender_multi_pick, tender_reno_sacramento};

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
