//! SLA clock evaluations per second on one core (issue 17 asks for at least 1,000,000): a
//! case's timeline (opened, an acknowledgement, a wait on the customer, an external update)
//! judged against a two-metric policy on an office calendar in a DST zone and around the
//! clock, at `now` instants spread over the case's first two weeks.
//!
//! `cargo bench -p consign-core --bench sla`

use consign_core::sla::{
    Calendar, CalendarSpec, ClockEvent, OpeningHours, Policy, Target, evaluate,
};
use jiff::{SignedDuration, Timestamp};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let office = Calendar::new(&CalendarSpec {
        time_zone: "America/New_York".into(),
        hours: ["monday", "tuesday", "wednesday", "thursday", "friday"]
            .iter()
            .map(|d| OpeningHours {
                weekday: d.to_string(),
                open: "09:00".into(),
                close: "17:00".into(),
            })
            .collect(),
        holidays: vec![jiff::civil::date(2026, 11, 26)],
    })
    .expect("office calendar");
    let opened: Timestamp = "2026-11-20T15:00:00Z".parse().expect("instant");
    let h = |n: i64| opened + SignedDuration::from_hours(n);
    let events = [
        ClockEvent::Opened { at: opened },
        ClockEvent::Acknowledged { at: h(1) },
        ClockEvent::StatusChanged {
            at: h(20),
            status: "waiting_customer".into(),
        },
        ClockEvent::StatusChanged {
            at: h(70),
            status: "open".into(),
        },
        ClockEvent::ExternalUpdate {
            at: h(72),
            automated: false,
        },
    ];
    let policy = |business: bool| Policy {
        first_response: Some(Target {
            minutes: 60,
            business,
        }),
        resolution: Some(Target {
            minutes: 3 * 480,
            business,
        }),
        periodic_update: None,
        pause_in: vec!["waiting_customer".into(), "waiting_client".into()],
        warning_percent: 75,
        automated_counts: false,
    };
    let n = 1_000_000u32;
    for (name, cal, p) in [
        ("office hours", &office, policy(true)),
        ("24x7", &Calendar::always_open(), policy(false)),
    ] {
        let start = Instant::now();
        for i in 0..n {
            // Every few minutes across the first two weeks.
            let now = opened + SignedDuration::from_secs(i64::from(i % 4_032) * 300);
            black_box(evaluate(black_box(&events), cal, &p, now));
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "sla {name}: {n} evaluations in {secs:.2}s = {:.0} evaluations/s (target >= 1000000)",
            f64::from(n) / secs
        );
    }
}
