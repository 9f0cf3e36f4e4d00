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
fn next_undoes_previous() {
    for p in [
        "2026-W01",
        "2026-W53",
        "2026-12",
        "2026-01",
        "2026-02-27..2026-03-02",
    ] {
        let p = Period::parse(p, 400).unwrap();
        assert_eq!(p.previous().next(), p, "{p}");
        assert_eq!(p.next().previous(), p, "{p}");
    }
    assert_eq!(
        Period::parse("2026-W53", 400).unwrap().next().to_string(),
        "2027-W01"
    );
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
fn a_cancelled_shipment_of_an_excluded_carrier_does_not_take_its_order_out() {
    use super::scorecard::order_outcome;
    let p = Some(date(2026, 11, 25));
    // Booked with carrier 8 (excluded), cancelled before pickup; sent with carrier 7 instead
    // and delivered two days late.
    let mut booked = shipment(20, 8, p, None);
    booked.cancelled = true;
    let sent = shipment(21, 7, p, Some("2026-11-27T20:00:00Z"));
    let o = order(9, p, vec![1], vec![(booked, vec![1]), (sent, vec![1])]);
    let def = KpiDefinitions {
        exclude_carriers: vec![CarrierId(id(8))],
        ..Default::default()
    };
    let outcome = order_outcome(&def, &o).expect("counted: carrier 8 carried nothing");
    assert!(!outcome.otif);
    // Had carrier 8 carried it, the order would be the carrier's and left out.
    let mut carried = o.clone();
    carried.shipments[0].0.cancelled = false;
    assert_eq!(order_outcome(&def, &carried), None);
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

/// A varied, deterministic set of facts around the end of US daylight time (1 November
/// 2026): promises and deliveries on either side of midnight in two zones, cancellations,
/// partial and split orders, cases of every kind, two channels, four carriers.
fn generated_facts() -> (Vec<ShipmentFact>, Vec<OrderFact>) {
    let zones = ["America/Los_Angeles", "America/New_York"];
    let start = ts("2026-10-20T00:00:00Z");
    let mut shipments = Vec::new();
    let mut orders = Vec::new();
    let mut seed: u64 = 0x9e37_79b9;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for o in 0..300u128 {
        let zone = zones[(o % 2) as usize];
        let shipped_at = start + jiff::SignedDuration::from_mins(193 * o as i64);
        let promise = (next(10) > 0).then(|| {
            local_date(shipped_at, zone)
                .unwrap()
                .saturating_add(jiff::Span::new().days(next(5) as i64 + 1))
        });
        let lines: Vec<u32> = (0..next(3) + 1).map(|_| next(4) as u32 + 1).collect();
        let parts = next(2) + 1;
        let mut carried = Vec::new();
        for p in 0..parts {
            let n = o * 10 + p as u128;
            let delivered_at = (next(8) > 0)
                .then(|| shipped_at + jiff::SignedDuration::from_mins(60 * (next(150) as i64 + 6)));
            let mut cases = Vec::new();
            for (ty, who) in [
                ("damaged", "carrier"),
                ("late_delivery", "carrier"),
                ("pod_missing", "carrier"),
                ("address_issue", "customer"),
            ] {
                if next(9) == 0 {
                    cases.push((ty.to_string(), who.to_string()));
                }
            }
            let s = ShipmentFact {
                shipment: ShipmentId(id(n)),
                order: Some(OrderId(id(o))),
                carrier: CarrierId(id(100 + u128::from(next(4) as u8))),
                lane: format!("US-IL>US-{}", ["CA", "NY", "TX"][next(3) as usize]),
                channel: Some(if o % 3 == 0 {
                    Channel::B2b
                } else {
                    Channel::B2c
                }),
                shipped_at,
                delivered_at,
                promised_on: promise,
                delivered_on: delivered_at.map(|t| local_date(t, zone).unwrap()),
                cancelled: next(20) == 0,
                damaged: cases.iter().any(|(t, _)| t == "damaged"),
                documents_accurate: !cases.iter().any(|(t, _)| t == "pod_missing"),
                cases,
            };
            // The last part carries what the others did not; a part may carry a line short.
            let share: Vec<u32> = lines
                .iter()
                .map(|q| {
                    if p + 1 == parts {
                        q / parts as u32 + q % parts as u32
                    } else {
                        q / parts as u32
                    }
                })
                .map(|q| q.saturating_sub(u32::from(next(12) == 0)))
                .collect();
            carried.push((s.clone(), share));
            shipments.push(s);
        }
        orders.push(OrderFact {
            order: OrderId(id(o)),
            channel: if o % 3 == 0 {
                Channel::B2b
            } else {
                Channel::B2c
            },
            promised_at: promise.map(|d| {
                d.to_zoned(TimeZone::get(zone).unwrap())
                    .unwrap()
                    .timestamp()
                    .saturating_add(jiff::SignedDuration::from_hours(20))
                    .unwrap()
            }),
            promised_on: promise,
            cancelled: next(25) == 0,
            ordered: lines,
            shipments: carried,
        });
    }
    (shipments, orders)
}

#[test]
fn a_period_summed_from_daily_counts_equals_the_figures_over_its_facts() {
    use super::rollup::{OrderRow, ShipmentRow, daily_counts, figures_from_daily, order_row};
    let (shipments, orders) = generated_facts();
    let chicago = TimeZone::get("America/Chicago").unwrap();
    let rows: Vec<ShipmentRow> = shipments
        .iter()
        .map(|s| ShipmentRow::of(s, &chicago))
        .collect();
    let lax = KpiDefinitions {
        on_time: OnTimeWindow {
            days_early: 1,
            days_late: 2,
            early_counts: false,
        },
        in_full: InFullRule {
            basis: InFullBasis::Units,
            threshold_percent: 90.0,
        },
        exclude_carriers: vec![CarrierId(id(101))],
        exclude_channels: vec![Channel::B2b],
    };
    for (version, def) in [(0, KpiDefinitions::default()), (3, lax)] {
        let order_rows: Vec<OrderRow> = orders
            .iter()
            .filter_map(|o| order_row(&def, version, o, &chicago))
            .collect();
        let counts = daily_counts(|_| true, &rows, &order_rows);
        // Counting day by day gives the same counts as counting everything at once.
        let mut by_day = Vec::new();
        let mut day = date(2026, 10, 15);
        while day < date(2027, 1, 31) {
            by_day.extend(daily_counts(|d| d == day, &rows, &order_rows));
            day = day.tomorrow().unwrap();
        }
        by_day.sort();
        assert!(
            by_day == counts,
            "day-by-day counts differ from counting at once"
        );
        for p in [
            "2026-W43",
            "2026-W44",
            "2026-W45",
            "2026-W46",
            "2026-11",
            "2026-10-28..2026-11-03",
        ] {
            let period = Period::parse(p, 400).unwrap();
            let expected = delivery_figures(&def, period.bounds(&chicago), &shipments, &orders);
            let summed = figures_from_daily(&def, version, &period, &counts, Date::MAX);
            assert_eq!(summed, expected, "{p} under version {version}");
        }
        // Counts under another version are not this version's order outcomes.
        let other = figures_from_daily(
            &def,
            version + 1,
            &Period::parse("2026-11", 400).unwrap(),
            &counts,
            Date::MAX,
        );
        assert_eq!(other.otif.denominator, 0);
    }
    // The data has what the test is about.
    let nov = Period::parse("2026-11", 400).unwrap();
    let f = delivery_figures(
        &KpiDefinitions::default(),
        nov.bounds(&chicago),
        &shipments,
        &orders,
    );
    assert!(f.on_time_delivery.denominator > 100 && f.on_time_delivery.numerator > 10);
    assert!(f.on_time_delivery.numerator < f.on_time_delivery.denominator);
    assert!(
        f.otif.denominator > 50 && f.otif.numerator > 0 && f.otif.numerator < f.otif.denominator
    );
    assert!(f.perfect_order.numerator < f.otif.numerator);
    assert!(f.delivered_without_promise > 0);
    assert!(f.exceptions_by_reason.len() == 4 && f.exceptions_by_accountable.len() == 2);
}

#[test]
fn records_become_facts_judged_where_the_goods_go() {
    use super::facts::{ShipmentRecord, lane};
    use crate::shipment::{Place, ShipmentStatus};
    let place = |city: &str, region: Option<&str>, zone: &str| Place {
        name: None,
        city: city.into(),
        region: region.map(Into::into),
        postal_code: "00000".into(),
        country: "US".into(),
        time_zone: zone.into(),
    };
    let origin = place("Chicago", Some("IL"), "America/Chicago");
    let dest = place("Los Angeles", None, "America/Los_Angeles");
    assert_eq!(lane(&origin, &dest), "US-IL>US-Los Angeles");
    let mut r = ShipmentRecord {
        shipment: ShipmentId(id(1)),
        order: None,
        carrier: CarrierId(id(2)),
        origin,
        destination: dest,
        channel: None,
        created_at: ts("2026-11-20T10:00:00Z"),
        planned_pickup_at: Some(ts("2026-11-21T10:00:00Z")),
        picked_up_at: None,
        promised_by: Some(ts("2026-11-26T07:00:00Z")),
        delivered_at: Some(ts("2026-11-26T07:30:00Z")),
        status: ShipmentStatus::Delivered,
        pod_required: true,
        pod_attached: true,
        international: false,
        documents_complete: false,
        cases: vec![("late_delivery".into(), "carrier".into())],
    };
    let f = r.fact();
    // 07:00Z and 07:30Z on the 26th are the 25th in Los Angeles: on the promise day.
    assert_eq!(f.promised_on, Some(date(2026, 11, 25)));
    assert_eq!(f.days_late(), Some(0));
    assert_eq!(f.shipped_at, ts("2026-11-21T10:00:00Z"));
    assert!(f.documents_accurate && !f.damaged && !f.cancelled);
    r.picked_up_at = Some(ts("2026-11-22T10:00:00Z"));
    r.cases.push(("pod_missing".into(), "carrier".into()));
    r.cases.push(("damaged".into(), "carrier".into()));
    let f = r.fact();
    assert_eq!(f.shipped_at, ts("2026-11-22T10:00:00Z"));
    assert!(!f.documents_accurate && f.damaged);
    r.cases.clear();
    r.pod_attached = false;
    assert!(!r.fact().documents_accurate, "a required POD not on file");
    r.pod_attached = true;
    r.international = true;
    assert!(
        !r.fact().documents_accurate,
        "an international shipment without its papers"
    );
    r.status = ShipmentStatus::Cancelled;
    assert!(r.fact().cancelled);
}

#[test]
fn orders_not_due_yet_are_not_counted() {
    use super::rollup::{OrderRow, daily_counts, figures_from_daily};
    let row = |n: u128, d: Date, otif: bool| OrderRow {
        order: OrderId(id(n)),
        due_day: d,
        channel: Channel::B2c,
        definitions_version: 0,
        counted: true,
        otif,
        perfect: otif,
    };
    let rows = [
        row(1, date(2026, 12, 1), true),
        row(2, date(2026, 12, 2), false),
        row(3, date(2026, 12, 4), false),
    ];
    let counts = daily_counts(|_| true, &[], &rows);
    let week = Period::parse("2026-W49", 400).unwrap();
    let def = KpiDefinitions::default();
    // On the 4th, the order due that day may still arrive: two orders are due so far.
    let f = figures_from_daily(&def, 0, &week, &counts, date(2026, 12, 4));
    assert_eq!((f.otif.numerator, f.otif.denominator), (1, 2));
    let f = figures_from_daily(&def, 0, &week, &counts, date(2026, 12, 7));
    assert_eq!((f.otif.numerator, f.otif.denominator), (1, 3));
}
