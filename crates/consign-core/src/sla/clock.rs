//! The SLA clock (SPEC §5) as a pure function of (timeline, calendar, policy, now): for each
//! metric of the policy, the time spent, the time left, its state, and the instant it will be
//! due if nothing changes. Nothing is stored as truth: a changed calendar or policy gives new
//! deadlines on the next evaluation.

use super::calendar::Calendar;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What the clock needs of a case's timeline, in order of `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockEvent {
    Opened {
        at: Timestamp,
    },
    /// The case entered `status` (`open`, `waiting_customer`, …).
    StatusChanged {
        at: Timestamp,
        status: String,
    },
    /// An external note or message to the customer, client or carrier.
    ExternalUpdate {
        at: Timestamp,
        automated: bool,
    },
    /// A person acknowledged the case explicitly.
    Acknowledged {
        at: Timestamp,
    },
    Resolved {
        at: Timestamp,
    },
    Reopened {
        at: Timestamp,
    },
}

impl ClockEvent {
    pub(crate) fn at(&self) -> Timestamp {
        match self {
            ClockEvent::Opened { at }
            | ClockEvent::StatusChanged { at, .. }
            | ClockEvent::ExternalUpdate { at, .. }
            | ClockEvent::Acknowledged { at }
            | ClockEvent::Resolved { at }
            | ClockEvent::Reopened { at } => *at,
        }
    }
}

/// A target: minutes of the calendar's open time, or of wall-clock time (24×7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Target {
    pub minutes: i64,
    #[serde(default = "yes")]
    pub business: bool,
}

fn yes() -> bool {
    true
}

/// An SLA policy's clock settings (its matching on tenant, type and severity is the
/// caller's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Policy {
    pub first_response: Option<Target>,
    pub resolution: Option<Target>,
    /// Longest allowed gap between external updates while the case is open.
    pub periodic_update: Option<Target>,
    /// Statuses in which every clock stands still.
    #[serde(default = "default_pauses")]
    pub pause_in: Vec<String>,
    /// Percent of a target at which a metric turns to warning.
    #[serde(default = "default_warning")]
    pub warning_percent: u8,
    /// Whether an automated message counts as a first response.
    #[serde(default)]
    pub automated_counts: bool,
}

fn default_pauses() -> Vec<String> {
    vec!["waiting_customer".into(), "waiting_client".into()]
}

fn default_warning() -> u8 {
    75
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Metric {
    FirstResponse,
    Resolution,
    PeriodicUpdate,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::FirstResponse => "first_response",
            Metric::Resolution => "resolution",
            Metric::PeriodicUpdate => "periodic_update",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SlaState {
    /// Running, less than the warning share spent.
    Running,
    /// Standing still (a paused status); the time spent so far stays.
    Paused,
    Warning,
    Breached,
    /// Stopped within its target.
    Met,
}

/// One metric as of `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricClock {
    pub metric: Metric,
    pub target_minutes: i64,
    pub elapsed_minutes: i64,
    /// Negative once breached.
    pub remaining_minutes: i64,
    pub state: SlaState,
    /// When the target will be reached if the clock keeps running (`None` when stopped or
    /// paused, or when the calendar never opens long enough).
    pub due_at: Option<Timestamp>,
    /// When the warning share will be reached, while still ahead.
    pub warn_at: Option<Timestamp>,
}

/// Intervals during which the case is open and not paused, up to `now`, and whether the
/// case is in such a running stretch at `now`.
fn running_spans(
    events: &[ClockEvent],
    pauses: &[String],
    now: Timestamp,
) -> (Vec<(Timestamp, Timestamp)>, bool) {
    let mut spans = Vec::new();
    let mut open = false;
    let mut paused = false;
    let mut since: Option<Timestamp> = None;
    for e in events.iter().filter(|e| e.at() <= now) {
        let running_before = open && !paused;
        match e {
            ClockEvent::Opened { .. } | ClockEvent::Reopened { .. } => {
                open = true;
                paused = false;
            }
            ClockEvent::Resolved { .. } => open = false,
            ClockEvent::StatusChanged { status, .. } => {
                paused = pauses.iter().any(|p| p == status);
            }
            _ => {}
        }
        let running_after = open && !paused;
        match (running_before, running_after) {
            (false, true) => since = Some(e.at()),
            (true, false) => {
                if let Some(s) = since.take() {
                    spans.push((s, e.at()));
                }
            }
            _ => {}
        }
    }
    if let Some(s) = since {
        spans.push((s, now));
        return (spans, true);
    }
    (spans, false)
}

fn seconds_in(cal: &Calendar, target: Target, from: Timestamp, to: Timestamp) -> i64 {
    if target.business {
        cal.open_seconds(from, to)
    } else {
        to.duration_since(from).as_secs().max(0)
    }
}

fn add(cal: &Calendar, target: Target, from: Timestamp, seconds: i64) -> Option<Timestamp> {
    if target.business {
        cal.add_seconds(from, seconds)
    } else {
        from.checked_add(jiff::SignedDuration::from_secs(seconds))
            .ok()
    }
}

/// Elapsed seconds of `spans` clipped to `[from, until)`.
fn spent(
    cal: &Calendar,
    target: Target,
    spans: &[(Timestamp, Timestamp)],
    from: Timestamp,
    until: Timestamp,
) -> i64 {
    spans
        .iter()
        .map(|&(a, b)| {
            let (a, b) = (a.max(from), b.min(until));
            if a < b {
                seconds_in(cal, target, a, b)
            } else {
                0
            }
        })
        .sum()
}

/// Where one metric stands: seconds spent, whether its clock stopped for good (answered,
/// resolved), and whether the case's clocks run at `now`.
struct Progress {
    elapsed: i64,
    stopped: bool,
    running_now: bool,
}

fn clock(
    cal: &Calendar,
    policy: &Policy,
    (metric, target): (Metric, Target),
    Progress {
        elapsed,
        stopped,
        running_now,
    }: Progress,
    now: Timestamp,
) -> MetricClock {
    let goal = target.minutes * 60;
    let warn = goal * i64::from(policy.warning_percent) / 100;
    // Breach at 100 % (SPEC §5): a running clock that has used its whole target is breached
    // at that instant, not a tick later (a due time at closing hour otherwise breached the
    // next business morning). A clock stopped at exactly its target made it: met.
    let state = if elapsed > goal || (elapsed == goal && !stopped) {
        SlaState::Breached
    } else if stopped {
        SlaState::Met
    } else if elapsed >= warn {
        SlaState::Warning
    } else if running_now {
        SlaState::Running
    } else {
        SlaState::Paused
    };
    let ahead = !stopped && running_now;
    MetricClock {
        metric,
        target_minutes: target.minutes,
        elapsed_minutes: elapsed / 60,
        remaining_minutes: (goal - elapsed) / 60,
        state,
        due_at: (ahead && elapsed <= goal)
            .then(|| add(cal, target, now, goal - elapsed))
            .flatten(),
        warn_at: (ahead && elapsed < warn)
            .then(|| add(cal, target, now, warn - elapsed))
            .flatten(),
    }
}

/// Every metric of `policy` for a case with this timeline, as of `now`.
pub fn evaluate(
    events: &[ClockEvent],
    cal: &Calendar,
    policy: &Policy,
    now: Timestamp,
) -> Vec<MetricClock> {
    let (spans, running_now) = running_spans(events, &policy.pause_in, now);
    let Some(opened) = events.iter().find_map(|e| match e {
        ClockEvent::Opened { at } => Some(*at),
        _ => None,
    }) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(target) = policy.first_response {
        let answered = events
            .iter()
            .filter(|e| e.at() <= now)
            .find_map(|e| match e {
                ClockEvent::ExternalUpdate { at, automated }
                    if !automated || policy.automated_counts =>
                {
                    Some(*at)
                }
                ClockEvent::Acknowledged { at } => Some(*at),
                _ => None,
            });
        let until = answered.unwrap_or(now);
        let elapsed = spent(cal, target, &spans, opened, until);
        out.push(clock(
            cal,
            policy,
            (Metric::FirstResponse, target),
            Progress {
                elapsed,
                stopped: answered.is_some(),
                running_now,
            },
            now,
        ));
    }
    if let Some(target) = policy.resolution {
        // Time already spent before a reopening counts: the clock resumes, not restarts.
        let elapsed = spent(cal, target, &spans, opened, now);
        let resolved = !running_now
            && events
                .iter()
                .filter(|e| e.at() <= now)
                .rev()
                .find(|e| matches!(e, ClockEvent::Resolved { .. } | ClockEvent::Reopened { .. }))
                .is_some_and(|e| matches!(e, ClockEvent::Resolved { .. }));
        out.push(clock(
            cal,
            policy,
            (Metric::Resolution, target),
            Progress {
                elapsed,
                stopped: resolved,
                running_now,
            },
            now,
        ));
    }
    if let Some(target) = policy.periodic_update {
        // The gap since the last external update (or the opening), counted while running.
        let last = events
            .iter()
            .filter(|e| e.at() <= now)
            .filter_map(|e| match e {
                ClockEvent::ExternalUpdate { at, .. } | ClockEvent::Opened { at } => Some(*at),
                _ => None,
            })
            .max()
            .unwrap_or(opened);
        let elapsed = spent(cal, target, &spans, last, now);
        // Stopped once nothing runs any more, including at the very instant it stopped (the
        // case KPIs judge the clocks at the resolution instant: with `<` this metric was
        // never met there).
        let closed = !running_now && spans.last().is_some_and(|s| s.1 <= now);
        out.push(clock(
            cal,
            policy,
            (Metric::PeriodicUpdate, target),
            Progress {
                elapsed,
                stopped: closed,
                running_now,
            },
            now,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    const NY: &str = "America/New_York";

    fn at(s: &str) -> Timestamp {
        s.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned(TimeZone::get(NY).unwrap())
            .unwrap()
            .timestamp()
    }

    fn office() -> Calendar {
        crate::sla::calendar::office(NY, vec![jiff::civil::date(2026, 11, 26)])
    }

    fn policy() -> Policy {
        Policy {
            first_response: Some(Target {
                minutes: 60,
                business: true,
            }),
            resolution: Some(Target {
                minutes: 16 * 60,
                business: true,
            }),
            periodic_update: None,
            pause_in: default_pauses(),
            warning_percent: 75,
            automated_counts: false,
        }
    }

    fn metric(v: &[MetricClock], m: Metric) -> MetricClock {
        v.iter().find(|c| c.metric == m).cloned().unwrap()
    }

    #[test]
    fn business_time_pauses_over_a_weekend_a_holiday_and_a_dst_change() {
        let cal = office();
        // Opened Friday 16:00 before the spring-forward Sunday; the customer is waited on
        // from Monday 10:00 to Tuesday 11:00.
        let events = [
            ClockEvent::Opened {
                at: at("2026-03-06T16:00"),
            },
            ClockEvent::ExternalUpdate {
                at: at("2026-03-06T16:30"),
                automated: true,
            },
            ClockEvent::StatusChanged {
                at: at("2026-03-09T10:00"),
                status: "waiting_customer".into(),
            },
            ClockEvent::StatusChanged {
                at: at("2026-03-10T11:00"),
                status: "open".into(),
            },
        ];
        let now = at("2026-03-10T12:00");
        let v = evaluate(&events, &cal, &policy(), now);
        // Friday 16:00-17:00 and Monday 09:00-10:00 ran; Tuesday 11:00-12:00 ran: 3 hours.
        let r = metric(&v, Metric::Resolution);
        assert_eq!((r.elapsed_minutes, r.state), (180, SlaState::Running));
        // 13 business hours left from Tuesday 12:00: Tuesday 5 h, Wednesday 8 h: 17:00.
        assert_eq!(r.due_at, Some(at("2026-03-11T17:00")));
        // The automated message does not answer; 60 business minutes passed on Friday and
        // Monday before anyone did: breached.
        let f = metric(&v, Metric::FirstResponse);
        assert_eq!(f.state, SlaState::Breached);
        assert_eq!(f.elapsed_minutes, 180);
    }

    #[test]
    fn paused_stays_paused_and_warning_and_met_follow_the_target() {
        let cal = office();
        let opened = at("2026-11-23T09:00");
        let mut events = vec![
            ClockEvent::Opened { at: opened },
            ClockEvent::Acknowledged {
                at: at("2026-11-23T09:20"),
            },
            ClockEvent::StatusChanged {
                at: at("2026-11-24T09:00"),
                status: "waiting_client".into(),
            },
        ];
        let v = evaluate(&events, &cal, &policy(), at("2026-11-25T12:00"));
        let r = metric(&v, Metric::Resolution);
        assert_eq!(
            (r.elapsed_minutes, r.state, r.due_at),
            (480, SlaState::Paused, None)
        );
        assert_eq!(metric(&v, Metric::FirstResponse).state, SlaState::Met);
        // Back to open Wednesday 12:00: by Friday 9:30 (Thursday is a holiday) 13.5 h are
        // spent, past 75 % of 16 h.
        events.push(ClockEvent::StatusChanged {
            at: at("2026-11-25T12:00"),
            status: "open".into(),
        });
        let v = evaluate(&events, &cal, &policy(), at("2026-11-27T09:30"));
        let r = metric(&v, Metric::Resolution);
        assert_eq!(
            (r.elapsed_minutes, r.state),
            (480 + 300 + 30, SlaState::Warning)
        );
        events.push(ClockEvent::Resolved {
            at: at("2026-11-27T10:00"),
        });
        let v = evaluate(&events, &cal, &policy(), at("2026-11-30T09:00"));
        let r = metric(&v, Metric::Resolution);
        assert_eq!(
            (r.elapsed_minutes, r.state, r.due_at),
            (840, SlaState::Met, None)
        );
    }

    #[test]
    fn a_reopened_case_resumes_its_resolution_clock() {
        let cal = Calendar::always_open();
        let p = Policy {
            resolution: Some(Target {
                minutes: 600,
                business: false,
            }),
            ..policy()
        };
        let t = |h: i64| Timestamp::from_second(1_800_000_000 + h * 3_600).unwrap();
        let events = [
            ClockEvent::Opened { at: t(0) },
            ClockEvent::Resolved { at: t(4) },
            ClockEvent::Reopened { at: t(20) },
        ];
        let r = metric(&evaluate(&events, &cal, &p, t(23)), Metric::Resolution);
        assert_eq!((r.elapsed_minutes, r.state), (7 * 60, SlaState::Running));
        assert_eq!(r.due_at, Some(t(26)));
        assert_eq!(r.warn_at, Some(t(23) + jiff::SignedDuration::from_mins(30)));
        let r = metric(&evaluate(&events, &cal, &p, t(27)), Metric::Resolution);
        assert_eq!((r.remaining_minutes, r.state), (-60, SlaState::Breached));
    }

    /// The default policy with a 2-hour periodic-update target in calendar time.
    fn periodic_policy() -> Policy {
        Policy {
            periodic_update: Some(Target {
                minutes: 120,
                business: false,
            }),
            ..policy()
        }
    }

    /// `m` minutes after a fixed instant.
    fn t(m: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + m * 60).unwrap()
    }

    #[test]
    fn periodic_updates_measure_the_gap_since_the_last_one() {
        let (cal, p) = (Calendar::always_open(), periodic_policy());
        let events = [
            ClockEvent::Opened { at: t(0) },
            ClockEvent::ExternalUpdate {
                at: t(100),
                automated: false,
            },
        ];
        let u = metric(&evaluate(&events, &cal, &p, t(190)), Metric::PeriodicUpdate);
        assert_eq!(
            (u.elapsed_minutes, u.state, u.due_at),
            (90, SlaState::Warning, Some(t(220)))
        );
    }

    #[test]
    fn a_clock_breaches_at_exactly_its_target_and_is_met_when_stopped_there() {
        let cal = office();
        // 16 business hours from Monday 09:00 fill Monday and Tuesday: due Tuesday 17:00.
        let opened = at("2026-11-23T09:00");
        let events = [ClockEvent::Opened { at: opened }];
        let r = metric(
            &evaluate(&events, &cal, &policy(), at("2026-11-24T16:59")),
            Metric::Resolution,
        );
        assert_eq!(
            (r.state, r.due_at),
            (SlaState::Warning, Some(at("2026-11-24T17:00")))
        );
        let r = metric(
            &evaluate(&events, &cal, &policy(), at("2026-11-24T17:00")),
            Metric::Resolution,
        );
        assert_eq!((r.remaining_minutes, r.state), (0, SlaState::Breached));
        // Overnight nothing is spent: still breached, not "warning" until 09:00.
        let r = metric(
            &evaluate(&events, &cal, &policy(), at("2026-11-24T23:00")),
            Metric::Resolution,
        );
        assert_eq!(r.state, SlaState::Breached);
        // Resolved at 17:00 sharp: the target was made.
        let resolved = [
            ClockEvent::Opened { at: opened },
            ClockEvent::Resolved {
                at: at("2026-11-24T17:00"),
            },
        ];
        let r = metric(
            &evaluate(&resolved, &cal, &policy(), at("2026-11-25T10:00")),
            Metric::Resolution,
        );
        assert_eq!(r.state, SlaState::Met);
    }

    #[test]
    fn the_periodic_update_clock_is_judged_at_the_instant_the_case_is_resolved() {
        let (cal, p) = (Calendar::always_open(), periodic_policy());
        let events = [
            ClockEvent::Opened { at: t(0) },
            ClockEvent::ExternalUpdate {
                at: t(100),
                automated: false,
            },
            ClockEvent::Resolved { at: t(190) },
        ];
        let u = metric(&evaluate(&events, &cal, &p, t(190)), Metric::PeriodicUpdate);
        assert_eq!((u.elapsed_minutes, u.state), (90, SlaState::Met));
        let late = [
            ClockEvent::Opened { at: t(0) },
            ClockEvent::Resolved { at: t(150) },
        ];
        let u = metric(&evaluate(&late, &cal, &p, t(150)), Metric::PeriodicUpdate);
        assert_eq!(u.state, SlaState::Breached);
    }

    proptest! {
        /// A pause removes exactly the business time it spans, whatever it covers (nights,
        /// weekends, DST changes), and resolution time never decreases as time goes on.
        #[test]
        fn a_pause_removes_exactly_its_business_time(
            open_at in 0i64..2_000_000,
            pause_from in 0i64..2_000_000,
            pause_len in 0i64..2_000_000,
            later in 0i64..2_000_000,
        ) {
            let base = 1_772_000_000i64; // late February 2026, so March's DST change is inside
            let ts = |s: i64| Timestamp::from_second(base + s).unwrap();
            let cal = office();
            let p = Policy { first_response: None, ..policy() };
            let (o, a) = (open_at, open_at + pause_from);
            let b = a + pause_len;
            let now = b + later;
            let events = [
                ClockEvent::Opened { at: ts(o) },
                ClockEvent::StatusChanged { at: ts(a), status: "waiting_customer".into() },
                ClockEvent::StatusChanged { at: ts(b), status: "open".into() },
            ];
            let r = metric(&evaluate(&events, &cal, &p, ts(now)), Metric::Resolution);
            let expected = (cal.open_seconds(ts(o), ts(now)) - cal.open_seconds(ts(a), ts(b))) / 60;
            prop_assert_eq!(r.elapsed_minutes, expected);
            let r2 = metric(&evaluate(&events, &cal, &p, ts(now + 3_600)), Metric::Resolution);
            prop_assert!(r2.elapsed_minutes >= r.elapsed_minutes);
        }
    }
}
