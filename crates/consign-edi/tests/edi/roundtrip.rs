//! Writing then reading gives the same sets: raw segments of every sample, typed values of the
//! samples and of hand-built documents, several interchanges and groups in one input.

use std::str::FromStr;

use consign_edi::sets::common::{DateTimeRef, Party, Reference, Totals};
use consign_edi::sets::s204::{LoadTender204, Stop};
use consign_edi::sets::s210::{
    FreightInvoice210, InvoiceLine, LadingDescription, LineCharge, LineQuantity, Measurement,
    TariffReference,
};
use consign_edi::sets::s214::{Equipment, ShipmentStatus214, StatusEvent};
use consign_edi::sets::s940::{CarrierInfo, OrderLine, OrderTotals, ShippingOrder940};
use consign_edi::sets::{s204, s210, s214, s940};
use consign_edi::{
    Delimiters, Envelope, OutgoingSet, OwnedSegment, ReadOptions, TransactionSet, Usage,
    WriteOptions, X12Version, functional_id, read, write_interchange,
};
use jiff::civil::{date, time};
use rust_decimal::Decimal;

use crate::outbound_fixtures::moment;
use crate::outbound_fixtures::statuses::{appointment, in_loop, lading, location, status};
use crate::support::{ISA_4010, LENIENT, SAMPLES, STRICT, read_sample, read_text};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn envelope(set_id: &str, version: X12Version, control: u32) -> Envelope {
    Envelope {
        sender_qualifier: "ZZ".into(),
        sender_id: "CONSIGN".into(),
        receiver_qualifier: "02".into(),
        receiver_id: "ABCD".into(),
        application_sender: Some("CONSIGNAPP".into()),
        application_receiver: None,
        date: date(2026, 2, 28),
        time: time(23, 59, 0, 0),
        interchange_control: control,
        group_control: control + 1,
        functional_id: functional_id(set_id).unwrap_or("ZZ").to_string(),
        version,
        usage: Usage::Production,
        ack_requested: true,
    }
}

/// Writes `sets` in one interchange, reads it strictly, and checks the envelope is clean.
fn write_and_read(
    set_id: &str,
    sets: &[OutgoingSet],
    version: X12Version,
    options: &WriteOptions,
) -> Vec<TransactionSet<'static>> {
    let bytes = write_interchange(&envelope(set_id, version, 900), sets, options).unwrap();
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let doc = read(bytes, &STRICT);
    assert!(doc.is_clean(), "{:?}", doc.all_errors());
    let ic = &doc.interchanges[0];
    assert_eq!(ic.header.control_number, "000000900");
    assert_eq!(ic.header.ack_requested, "1");
    assert_eq!(ic.groups[0].control_number, "901");
    assert_eq!(ic.groups[0].version, version.gs08());
    assert_eq!(ic.groups[0].application_sender, "CONSIGNAPP");
    assert_eq!(ic.groups[0].application_receiver, "ABCD");
    doc.sets().cloned().collect()
}

fn source_options(ic: &consign_edi::Interchange<'_>) -> WriteOptions {
    WriteOptions {
        delimiters: ic.delimiters,
        line_breaks: true,
    }
}

#[test]
fn raw_segments_of_every_sample_survive_write_and_read() {
    for name in SAMPLES {
        let doc = read_sample(name, LENIENT);
        for ic in &doc.interchanges {
            for g in &ic.groups {
                let version = X12Version::from_code(&g.version).unwrap();
                let sets: Vec<OutgoingSet> = g
                    .sets
                    .iter()
                    .map(|s| {
                        OutgoingSet::new(
                            s.id.clone(),
                            s.control.clone(),
                            s.segments
                                .iter()
                                .map(|seg| seg.to_owned_segment())
                                .collect(),
                        )
                    })
                    .collect();
                let back = write_and_read(&g.sets[0].id, &sets, version, &source_options(ic));
                assert_eq!(back.len(), sets.len(), "{name}");
                for (sent, got) in sets.iter().zip(&back) {
                    assert_eq!(got.id, sent.id, "{name}");
                    assert_eq!(got.control, sent.control, "{name}");
                    let got: Vec<OwnedSegment> =
                        got.segments.iter().map(|s| s.to_owned_segment()).collect();
                    assert_eq!(got, sent.segments, "{name}");
                }
            }
        }
    }
}

/// Parses a sample's sets, writes them back with the sample's delimiters, and parses again.
fn typed_sample_roundtrip<T: PartialEq + std::fmt::Debug>(
    name: &str,
    options: ReadOptions,
    parse: fn(&TransactionSet<'_>, &ReadOptions) -> Result<T, Vec<consign_edi::EdiError>>,
    write: fn(&T, &WriteOptions) -> Vec<OwnedSegment>,
    clear: fn(&mut T),
) {
    let doc = read_sample(name, options);
    let ic = &doc.interchanges[0];
    let version = X12Version::from_code(&ic.groups[0].version).unwrap();
    let wo = source_options(ic);
    let mut originals = Vec::new();
    let mut outgoing = Vec::new();
    for set in doc.sets() {
        let mut value = parse(set, &options).unwrap();
        clear(&mut value);
        outgoing.push(OutgoingSet::new(
            set.id.clone(),
            set.control.clone(),
            write(&value, &wo),
        ));
        originals.push(value);
    }
    let back = write_and_read(&ic.groups[0].sets[0].id, &outgoing, version, &wo);
    for (original, set) in originals.iter().zip(&back) {
        let again = parse(set, &STRICT).unwrap();
        assert_eq!(&again, original, "{name}");
    }
}

#[test]
fn typed_samples_round_trip() {
    // The warnings of lenient reading are not part of the value written.
    macro_rules! each {
        ($(($name:literal, $options:expr, $set:ident),)+) => {$(
            typed_sample_roundtrip($name, $options, $set::parse, $set::write, |v| {
                v.warnings.clear()
            });
        )+};
    }
    each! {
        ("v004010_204_01", STRICT, s204),
        ("v004010_204_02", STRICT, s204),
        ("v004010_214_01", STRICT, s214),
        ("v004010_214_02", LENIENT, s214),
        ("v005010_214_01", LENIENT, s214),
        ("v004010_940_02", STRICT, s940),
        ("v005010_210_01", LENIENT, s210),
    }
}

fn party(entity: &str, name: &str) -> Party {
    Party {
        entity: entity.into(),
        name: Some(name.into()),
        id_qualifier: Some("93".into()),
        id: Some(format!("{entity}-1").into()),
        additional_names: vec!["DOCK 4".into()],
        address: vec!["1 MAIN ST".into(), "SUITE 2".into(), "BUILDING C".into()],
        city: Some("RENO".into()),
        state: Some("NV".into()),
        postal_code: Some("89501".into()),
        country: Some("US".into()),
        location_qualifier: None,
        location_id: None,
    }
}

fn g62(
    q: &str,
    d: jiff::civil::Date,
    t: Option<jiff::civil::Time>,
    code: Option<&str>,
) -> DateTimeRef {
    DateTimeRef {
        qualifier: Some(q.into()),
        date: Some(d),
        time_qualifier: t.map(|_| "U".into()),
        time: t,
        time_code: code.map(Into::into),
    }
}

/// A G62 with a time (qualifier `U`): see [`moment`].
fn g62_at(q: &str, when: &str) -> DateTimeRef {
    let (d, t, code) = moment(when);
    g62(q, d, Some(t), Some(code))
}

fn typed_roundtrip<T: PartialEq + std::fmt::Debug>(
    set_id: &str,
    value: &T,
    parse: fn(&TransactionSet<'_>, &ReadOptions) -> Result<T, Vec<consign_edi::EdiError>>,
    write: fn(&T, &WriteOptions) -> Vec<OwnedSegment>,
) {
    for version in [X12Version::V004010, X12Version::V005010] {
        let wo = WriteOptions::default();
        let set = OutgoingSet::new(set_id, "0001", write(value, &wo));
        let back = write_and_read(set_id, &[set], version, &wo);
        assert_eq!(
            &parse(&back[0], &STRICT).unwrap(),
            value,
            "{set_id} {version:?}"
        );
    }
}

#[test]
fn load_tender_written_and_read_back() {
    let tender = LoadTender204 {
        scac: Some("ABCD".into()),
        shipment_id: Some("SH-1001".into()),
        payment_method: "PP".into(),
        purpose: "00".into(),
        application_type: Some("LT".into()),
        references: vec![
            Reference::new("BM", "BOL-77"),
            Reference {
                qualifier: "PO".into(),
                value: "PO-1".into(),
                description: Some("customer order".into()),
            },
        ],
        dates: vec![g62_at("64", "2026-03-01 17:00:00 ET")],
        parties: vec![party("BT", "CONSIGN CLIENT")],
        stops: vec![
            Stop {
                sequence: Some(1),
                reason: "CL".into(),
                weight: Some(dec("12000.5")),
                weight_unit: Some("L".into()),
                quantity: Some(dec("24")),
                unit: Some("PLT".into()),
                references: vec![Reference::new("DO", "D-1")],
                dates: vec![g62_at("37", "2026-03-02 08:00:00 LT")],
                parties: vec![party("SF", "WAREHOUSE ONE")],
            },
            Stop {
                sequence: Some(2),
                reason: "CU".into(),
                parties: vec![party("ST", "CUSTOMER")],
                dates: vec![g62("53", date(2026, 3, 4), None, None)],
                ..Stop::default()
            },
        ],
        totals: Some(Totals {
            weight: Some(dec("12000.5")),
            weight_qualifier: Some("G".into()),
            charge: Some(dec("1534.20")),
            lading_quantity: Some(24),
            weight_unit: Some("L".into()),
            ..Totals::default()
        }),
        warnings: vec![],
    };
    typed_roundtrip("204", &tender, s204::parse, s204::write);
    let body = s204::write(&tender, &WriteOptions::default());
    let l3 = body.iter().find(|s| s.id == "L3").unwrap();
    assert_eq!(l3.element(5), "153420", "L305 is N2: two implied decimals");
}

#[test]
fn shipment_status_written_and_read_back() {
    let status = ShipmentStatus214 {
        reference_id: Some("PRO123".into()),
        shipment_id: "SH-1001".into(),
        scac: "ABCD".into(),
        references: vec![Reference::new("BM", "BOL-77")],
        dates: vec![],
        parties: vec![party("SH", "SHIPPER"), party("CN", "CONSIGNEE")],
        events: [
            in_loop(
                vec![
                    StatusEvent {
                        equipment: Some(Equipment {
                            owner: Some("ABCD".into()),
                            number: Some("TRL-9".into()),
                            description_code: Some("TL".into()),
                        }),
                        ..status(
                            1,
                            "X3",
                            "NS",
                            "2026-03-02 08:05:30.25 CT",
                            location("CHICAGO", "IL"),
                        )
                    },
                    appointment(1, "AB", "2026-03-03 09:00:00 LT"),
                ],
                &[("CN", "PRO123")],
                lading("350.25", 3, 1),
            ),
            vec![status(2, "D1", "NS", "2026-03-03 14:12:00 UT", None)],
        ]
        .concat(),
        warnings: vec![],
    };
    typed_roundtrip("214", &status, s214::parse, s214::write);
    let body = s214::write(&status, &WriteOptions::default());
    assert_eq!(
        body.iter().filter(|s| s.id == "LX").count(),
        2,
        "events of one LX share it"
    );
    assert_eq!(
        status.events[0].instant(None).unwrap().unwrap(),
        "2026-03-02T14:05:30.25Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
    );
}

#[test]
fn freight_invoice_written_and_read_back() {
    let invoice = FreightInvoice210 {
        shipment_qualifier: None,
        invoice_number: "INV-2026-0001".into(),
        shipment_id: Some("SH-1001".into()),
        payment_method: "PP".into(),
        weight_unit: Some("L".into()),
        invoice_date: Some(date(2026, 3, 5)),
        net_amount_due: Some(dec("1820.45")),
        correction_indicator: None,
        delivery_date: Some(date(2026, 3, 3)),
        date_qualifier: Some("035".into()),
        scac: "ABCD".into(),
        currency: Some("USD".into()),
        references: vec![Reference::new("BM", "BOL-77")],
        dates: vec![g62("86", date(2026, 3, 1), None, None)],
        parties: vec![party("SH", "SHIPPER"), party("BT", "BILL TO")],
        lines: vec![
            InvoiceLine {
                number: Some(1),
                references: vec![Reference::new("PO", "PO-1")],
                descriptions: vec![LadingDescription {
                    line_number: Some(1),
                    description: Some("AUTO PARTS".into()),
                    commodity_code: Some("12345".into()),
                    commodity_code_qualifier: Some("N".into()),
                    packaging_code: Some("PLT".into()),
                }],
                quantities: vec![LineQuantity {
                    line_number: Some(1),
                    billed_quantity: Some(dec("1200")),
                    billed_qualifier: Some("FR".into()),
                    weight: Some(dec("1200")),
                    weight_qualifier: Some("G".into()),
                    lading_quantity: Some(2),
                    packaging_form: Some("PLT".into()),
                    ..LineQuantity::default()
                }],
                charges: vec![
                    LineCharge {
                        line_number: Some(1),
                        rate: Some(dec("1.25")),
                        rate_qualifier: Some("PH".into()),
                        amount: Some(dec("1500.00")),
                        special_charge_code: Some("400".into()),
                        description: Some("LINEHAUL".into()),
                    },
                    LineCharge {
                        line_number: Some(1),
                        amount: Some(dec("320.45")),
                        special_charge_code: Some("FUE".into()),
                        ..LineCharge::default()
                    },
                ],
                measurements: vec![Measurement {
                    length: Some(dec("48")),
                    width: Some(dec("40")),
                    height: Some(dec("52.5")),
                    unit: Some("N".into()),
                    quantity: Some(dec("2")),
                }],
                tariffs: vec![TariffReference {
                    line_number: Some(1),
                    freight_class: Some("70".into()),
                    ..TariffReference::default()
                }],
            },
            InvoiceLine {
                number: Some(2),
                charges: vec![LineCharge {
                    amount: Some(dec("-12.00")),
                    special_charge_code: Some("DSC".into()),
                    ..LineCharge::default()
                }],
                ..InvoiceLine::default()
            },
        ],
        totals: Some(Totals {
            weight: Some(dec("1200")),
            weight_qualifier: Some("G".into()),
            charge: Some(dec("1808.45")),
            ..Totals::default()
        }),
        warnings: vec![],
    };
    typed_roundtrip("210", &invoice, s210::parse, s210::write);
    let body = s210::write(&invoice, &WriteOptions::default());
    let b3 = &body[0];
    assert_eq!(b3.element(7), "182045");
    let l1 = body.iter().find(|s| s.id == "L1").unwrap();
    assert_eq!((l1.element(4), l1.element(8)), ("150000", "400"));
}

#[test]
fn shipping_order_written_and_read_back() {
    let order = ShippingOrder940 {
        order_status: "N".into(),
        depositor_order_number: "ORD-5001".into(),
        purchase_order_number: Some("PO-88".into()),
        link_sequence: None,
        master_reference: None,
        transaction_type: None,
        parties: vec![party("ST", "CUSTOMER"), party("SF", "WAREHOUSE")],
        references: vec![Reference::new("CO", "ORD-5001")],
        dates: vec![
            g62("10", date(2026, 3, 6), None, None),
            g62("02", date(2026, 3, 9), None, None),
        ],
        carrier: Some(CarrierInfo {
            payment_method: "PP".into(),
            transport_method: "M".into(),
            routing: Some("GROUND".into()),
            scac: Some("UPSN".into()),
        }),
        lines: vec![
            OrderLine {
                lx: Some(1),
                quantity: Some(dec("12")),
                unit: "EA".into(),
                upc: Some("012345678905".into()),
                product_ids: vec![
                    ("VN".into(), "SKU-1".into()),
                    ("BP".into(), "BUYER-1".into()),
                ],
                warehouse_lot: Some("LOT7".into()),
                description: Some("BLUE WIDGET".into()),
                references: vec![Reference::new("LI", "1")],
            },
            OrderLine {
                lx: Some(2),
                quantity: Some(dec("1.5")),
                unit: "CA".into(),
                product_ids: vec![("VN".into(), "SKU-2".into())],
                ..OrderLine::default()
            },
        ],
        totals: Some(OrderTotals {
            quantity: Some(dec("13.5")),
            weight: Some(dec("40.2")),
            weight_unit: Some("LB".into()),
            ..OrderTotals::default()
        }),
        warnings: vec![],
    };
    typed_roundtrip("940", &order, s940::parse, s940::write);
}

#[test]
fn several_interchanges_with_their_own_delimiters_and_several_groups() {
    let body = vec![
        OwnedSegment::new("B10", ["PRO1", "SH1", "ABCD"]),
        OwnedSegment::new("LX", ["1"]),
    ];
    let first = write_interchange(
        &envelope("214", X12Version::V004010, 1),
        &[OutgoingSet::new("214", "0001", body.clone())],
        &WriteOptions::default(),
    )
    .unwrap();
    let odd = WriteOptions {
        delimiters: Delimiters {
            element: b'|',
            component: b'\\',
            segment: b'\n',
            repetition: Some(b'{'),
        },
        line_breaks: false,
    };
    let second = write_interchange(
        &envelope("214", X12Version::V005010, 2),
        &[
            OutgoingSet::new("214", "0001", body.clone()),
            OutgoingSet::new("214", "0002", body.clone()),
        ],
        &odd,
    )
    .unwrap();
    let mut input = first.clone();
    input.extend_from_slice(b"\r\n");
    input.extend_from_slice(&second);
    let doc = read(&input, &STRICT);
    assert!(doc.is_clean(), "{:?}", doc.all_errors());
    assert_eq!(doc.interchanges.len(), 2);
    assert_eq!(doc.interchanges[1].delimiters.element, b'|');
    assert_eq!(doc.interchanges[1].delimiters.segment, b'\n');
    assert_eq!(doc.sets().count(), 3);
    for set in doc.sets() {
        let owned: Vec<OwnedSegment> = set.segments.iter().map(|s| s.to_owned_segment()).collect();
        assert_eq!(owned, body);
    }

    // Two groups in one interchange.
    let text = format!(
        "{ISA_4010}\nGS*QM*SENDER*RECEIVER*20200101*1200*1*X*004010~\nST*214*0001~\nB10*A*B*C~\nSE*3*0001~\nGE*1*1~\nGS*IM*SENDER*RECEIVER*20200101*1200*2*X*004010~\nST*210*0001~\nB3**INV1**PP**20200101*100****ABCD~\nL3*10~\nSE*4*0001~\nST*210*0002~\nB3**INV2**CC**20200101*250****ABCD~\nL3*20~\nSE*4*0002~\nGE*2*2~\nIEA*2*000000001~\n"
    );
    let doc = read_text(&text, STRICT);
    assert!(doc.is_clean(), "{:?}", doc.all_errors());
    let groups = &doc.interchanges[0].groups;
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[1].sets.len(), 2);
    let inv = s210::parse(&groups[1].sets[1], &STRICT).unwrap();
    assert_eq!(inv.invoice_number, "INV2");
    assert_eq!(inv.net_amount_due, Some(dec("2.50")));
}
