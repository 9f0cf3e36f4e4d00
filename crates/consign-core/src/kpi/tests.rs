//! Periods, definitions and the delivery figures on hand-built facts with the issue's edge
//! cases: a promise day in another time zone, DST weeks, partial shipments, cancelled
//! orders, shipments without a promise.

use super::definition::{InFullBasis, InFullRule, KpiDefinitions, OnTimeWindow};
use super::facts::{OrderFact, ShipmentFact};
use super::period::{Period, local_date};
use super::scorecard::delivery_figures;
use crate::ids::{CarrierId, OrderId, ShipmentId};
use crate::order::Channel;
use jiff::Timestamp;
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn field_of(e: crate::Invalid) -> (String, String) {
    let f = &e.errors[0];
    (f.field.clone(), f.reason.clone())
}

#[test]
fn periods_read_weeks_months_and_ranges() {
    let p = Period::parse("2026-W48", 400).unwrap();
    assert_eq!(p.first_day(), date(2026, 11, 23));
    assert_eq!(p.last_day(), date(2026, 11, 29));
    assert_eq!(p.to_string(), "2026-W48");
    let m = Period::parse("2026-02", 400).unwrap();
    assert_eq!(
        (m.first_day(), m.last_day(), m.days()),
        (date(2026, 2, 1), date(2026, 2, 28), 28)
    );
    let r = Period::parse(" 2026-11-01..2026-11-15 ", 400).unwrap();
    assert_eq!(r.days(), 15);
    assert_eq!(Period::parse(&r.to_string(), 400).unwrap(), r);
    // 2026 has 53 ISO weeks; 2025 has 52.
    assert!(Period::parse("2026-W53", 400).is_ok());
    for (bad, why) in [
        ("2025-W53", "2025 has no ISO week 53"),
        ("2026-13", "no month 13"),
        ("2026/11", "is not an ISO week"),
        ("last week", "is not an ISO week"),
        ("2026-11-15..2026-11-01", "ends before it starts"),
        ("2026-11-31..2026-12-01", "is not a date"),
        (
            "2025-01-01..2026-12-31",
            "covers 730 days; a scorecard covers at most 400",
        ),
    ] {
        let (field, reason) = field_of(Period::parse(bad, 400).unwrap_err());
        assert_eq!(field, "period");
        assert!(reason.contains(why), "{bad}: {reason}");
    }
}

#[test]
fn a_week_with_a_dst_change_is_a_local_week() {
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    // Summer time starts on Sunday 2026-03-29: that week is an hour short.
    let (start, end) = Period::parse("2026-W13", 400).unwrap().bounds(&berlin);
    assert_eq!(start, ts("2026-03-22T23:00:00Z"));
    assert_eq!(end, ts("2026-03-29T22:00:00Z"));
    assert_eq!(end.duration_since(start).as_hours(), 167);
    // And the week it ends (Sunday 2026-10-25) an hour long.
    let (start, end) = Period::parse("2026-W43", 400).unwrap().bounds(&berlin);
    assert_eq!(end.duration_since(start).as_hours(), 169);
}

#[test]
fn previous_periods_cross_years_and_keep_a_range_length() {
    let w = Period::parse("2026-W01", 400).unwrap();
    assert_eq!(w.first_day(), date(2025, 12, 29));
    assert_eq!(w.previous().to_string(), "2025-W52");
    assert_eq!(
        Period::parse("2026-01", 400)
            .unwrap()
            .previous()
            .to_string(),
        "2025-12"
    );
    let r = Period::parse("2026-03-01..2026-03-10", 400).unwrap();
    assert_eq!(r.previous().to_string(), "2026-02-19..2026-02-28");
    let trend = Period::parse("2026-W02", 400).unwrap().trend(12);
    assert_eq!(trend.len(), 12);
    assert_eq!(trend[0].to_string(), "2025-W43");
    assert_eq!(trend[11].to_string(), "2026-W02");
    assert!(
        trend
            .windows(2)
            .all(|w| w[0].last_day().tomorrow().unwrap() == w[1].first_day())
    );
}

#[test]
fn the_on_time_window_counts_days_either_side_of_the_promise() {
    let spec = KpiDefinitions::default().on_time;
    assert!(spec.on_time(-5) && spec.on_time(0) && !spec.on_time(1));
    let strict = OnTimeWindow {
        days_early: 1,
        days_late: 2,
        early_counts: false,
    };
    let got: Vec<bool> = (-3..=3).map(|d| strict.on_time(d)).collect();
    assert_eq!(got, [false, false, true, true, true, true, false]);
}

#[test]
fn in_full_by_line_or_by_units() {
    let line = InFullRule {
        basis: InFullBasis::Line,
        threshold_percent: 100.0,
    };
    assert!(line.in_full(&[2, 3], &[2, 3]));
    assert!(!line.in_full(&[2, 3], &[2, 2]));
    assert!(
        !line.in_full(&[2, 3], &[2]),
        "a line with nothing delivered"
    );
    let units = InFullRule {
        basis: InFullBasis::Units,
        threshold_percent: 80.0,
    };
    // 8 of 10 units, though line one is short.
    assert!(units.in_full(&[5, 5], &[3, 5]));
    assert!(!units.in_full(&[5, 5], &[2, 5]));
    // Extra units on one line do not make up for another.
    assert!(!units.in_full(&[5, 5], &[9, 0]));
}

#[test]
fn definitions_are_checked_field_by_field() {
    let mut d = KpiDefinitions::default();
    assert!(d.check().is_ok());
    d.on_time.days_late = -1;
    d.on_time.days_early = 40;
    d.in_full.threshold_percent = 120.0;
    d.exclude_carriers = vec![CarrierId(uuid::Uuid::nil()), CarrierId(uuid::Uuid::nil())];
    let e = d.check().unwrap_err();
    let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "on_time.days_early",
            "on_time.days_late",
            "in_full.threshold_percent",
            "exclude_carriers[1]"
        ]
    );
    assert!(e.errors[1].reason.contains("negative"), "{e:?}");
    d.in_full.threshold_percent = f64::NAN;
    assert!(d.check().is_err());
    let unknown = serde_json::from_str::<KpiDefinitions>(
        r#"{"on_time":{"days_early":0,"days_late":0,"early_counts":true,"grace":1},
            "in_full":{"basis":"line","threshold_percent":100}}"#,
    );
    assert!(unknown.unwrap_err().to_string().contains("grace"));
}

fn id(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

fn shipment(
    n: u128,
    carrier: u128,
    promised: Option<Date>,
    delivered: Option<&str>,
) -> ShipmentFact {
    ShipmentFact {
        shipment: ShipmentId(id(n)),
        order: None,
        carrier: CarrierId(id(carrier)),
        lane: "US-IL>US-CA".into(),
        channel: Some(Channel::B2c),
        shipped_at: ts("2026-11-23T15:00:00Z"),
        delivered_at: delivered.map(ts),
        promised_on: promised,
        delivered_on: delivered.map(|d| local_date(ts(d), "America/Los_Angeles").unwrap()),
        cancelled: false,
        damaged: false,
        documents_accurate: true,
        cases: Vec::new(),
    }
}

/// Week 48 of 2026 in Chicago (the tenant's zone).
fn week48() -> (Timestamp, Timestamp) {
    Period::parse("2026-W48", 400)
        .unwrap()
        .bounds(&TimeZone::get("America/Chicago").unwrap())
}

#[test]
fn on_time_is_judged_on_the_destinations_date() {
    let promise = Some(date(2026, 11, 25));
    let facts = vec![
        // 05:00Z on the 26th is still the 25th in Los Angeles: on time.
        shipment(1, 7, promise, Some("2026-11-26T05:00:00Z")),
        // 09:00Z on the 26th is the 26th there: a day late.
        shipment(2, 7, promise, Some("2026-11-26T09:00:00Z")),
        // Early counts by default.
        shipment(3, 8, promise, Some("2026-11-24T18:00:00Z")),
        // Delivered without a promise: judged by nothing, counted apart.
        shipment(4, 8, None, Some("2026-11-24T18:00:00Z")),
        // Delivered the week after (Chicago's Monday 00:00 is 06:00Z).
        shipment(5, 8, promise, Some("2026-11-30T07:00:00Z")),
        // Not delivered.
        shipment(6, 8, promise, None),
    ];
    let f = delivery_figures(&KpiDefinitions::default(), week48(), &facts, &[]);
    assert_eq!(
        (f.on_time_delivery.numerator, f.on_time_delivery.denominator),
        (2, 3)
    );
    assert_eq!(f.delivered_without_promise, 1);
    let c7 = &f.on_time_by_carrier[&CarrierId(id(7)).to_string()];
    assert_eq!((c7.numerator, c7.denominator), (1, 2));
    // A day's grace makes the late one on time; refusing early ones drops the early one.
    let mut d = KpiDefinitions::default();
    d.on_time.days_late = 1;
    d.on_time.early_counts = false;
    let f = delivery_figures(&d, week48(), &facts, &[]);
    assert_eq!(
        (f.on_time_delivery.numerator, f.on_time_delivery.denominator),
        (2, 3)
    );
    // Leaving carrier 8 out leaves 7's two.
    let d = KpiDefinitions {
        exclude_carriers: vec![CarrierId(id(8))],
        ..Default::default()
    };
    let f = delivery_figures(&d, week48(), &facts, &[]);
    assert_eq!(f.on_time_delivery.denominator, 2);
    assert_eq!(f.exception_rate.denominator, 2);
}

fn order(
    n: u128,
    promised: Option<Date>,
    ordered: Vec<u32>,
    shipments: Vec<(ShipmentFact, Vec<u32>)>,
) -> OrderFact {
    OrderFact {
        order: OrderId(id(n)),
        channel: Channel::B2c,
        promised_at: promised.map(|d| {
            d.to_zoned(TimeZone::get("America/Los_Angeles").unwrap())
                .unwrap()
                .timestamp()
        }),
        promised_on: promised,
        cancelled: false,
        ordered,
        shipments,
    }
}

#[test]
fn otif_and_perfect_orders_follow_partial_shipments() {
    let p = Some(date(2026, 11, 25));
    let on_time = |n| shipment(n, 7, p, Some("2026-11-25T20:00:00Z"));
    let late = |n| shipment(n, 7, p, Some("2026-11-27T20:00:00Z"));
    let mut damaged = on_time(13);
    damaged.damaged = true;
    let mut no_pod = on_time(14);
    no_pod.documents_accurate = false;
    let mut cancelled_shipment = on_time(15);
    cancelled_shipment.cancelled = true;
    let mut cancelled_order = order(6, p, vec![1], vec![(on_time(16), vec![1])]);
    cancelled_order.cancelled = true;
    let orders = vec![
        // Two shipments, both on time, together in full: OTIF and perfect.
        order(
            1,
            p,
            vec![2, 3],
            vec![(on_time(10), vec![2, 1]), (on_time(11), vec![0, 2])],
        ),
        // The second part late: not OTIF by line at 100 %.
        order(
            2,
            p,
            vec![2, 3],
            vec![(on_time(12), vec![2, 1]), (late(17), vec![0, 2])],
        ),
        // OTIF, but damaged: not perfect.
        order(3, p, vec![1], vec![(damaged, vec![1])]),
        // OTIF, but a document missing: not perfect.
        order(4, p, vec![1], vec![(no_pod, vec![1])]),
        // Only a cancelled shipment delivered: not in full.
        order(5, p, vec![1], vec![(cancelled_shipment, vec![1])]),
        // Cancelled orders and orders without a promise are due in no period.
        cancelled_order,
        order(7, None, vec![1], vec![(on_time(18), vec![1])]),
    ];
    let f = delivery_figures(&KpiDefinitions::default(), week48(), &[], &orders);
    assert_eq!((f.otif.numerator, f.otif.denominator), (3, 5));
    assert_eq!(
        (f.perfect_order.numerator, f.perfect_order.denominator),
        (1, 5)
    );
    // By units at 60 %: order 2 has 3 of 5 units on time.
    let d = KpiDefinitions {
        in_full: InFullRule {
            basis: InFullBasis::Units,
            threshold_percent: 60.0,
        },
        ..Default::default()
    };
    let f = delivery_figures(&d, week48(), &[], &orders);
    assert_eq!(f.otif.numerator, 4);
}

#[test]
fn the_exception_rate_counts_a_shipment_once_per_breakdown() {
    let p = Some(date(2026, 11, 25));
    let mut a = shipment(1, 7, p, None);
    a.cases = vec![
        ("delay_risk".into(), "carrier".into()),
        ("delay_risk".into(), "carrier".into()),
        ("address_issue".into(), "consignee".into()),
    ];
    let mut b = shipment(2, 8, p, None);
    b.lane = "US-IL>US-NY".into();
    b.cases = vec![("late_pickup".into(), "carrier".into())];
    let c = shipment(3, 8, p, None);
    let mut before = shipment(4, 8, p, None);
    before.shipped_at = ts("2026-11-20T12:00:00Z");
    before.cases = vec![("lost".into(), "carrier".into())];
    let f = delivery_figures(
        &KpiDefinitions::default(),
        week48(),
        &[a, b, c, before],
        &[],
    );
    assert_eq!(
        (f.exception_rate.numerator, f.exception_rate.denominator),
        (2, 3)
    );
    let r = |m: &super::scorecard::Breakdown, k: &str| (m[k].numerator, m[k].denominator);
    assert_eq!(r(&f.exceptions_by_reason, "delay_risk"), (1, 3));
    assert_eq!(r(&f.exceptions_by_accountable, "carrier"), (2, 3));
    assert_eq!(r(&f.exceptions_by_lane, "US-IL>US-NY"), (1, 1));
    assert_eq!(
        r(&f.exceptions_by_carrier, &CarrierId(id(8)).to_string()),
        (1, 2)
    );
    assert!(
        !f.exceptions_by_reason.contains_key("lost"),
        "shipped the week before"
    );
}
