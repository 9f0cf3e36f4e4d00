//! Business calendars (SPEC §5): opening hours per weekday in a time zone, and holidays. A
//! target in business minutes counts only the minutes a calendar is open; the wall clock of
//! its zone decides, so a DST change moves when the hours fall, never how long they are.

use crate::Invalid;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One opening interval, `open` to `close` on `weekday`, local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpeningHours {
    /// `monday` … `sunday`.
    pub weekday: String,
    /// `HH:MM`.
    pub open: String,
    /// `HH:MM`; `24:00` closes at the end of the day.
    pub close: String,
}

/// A calendar as stored and edited: data, checked by [`Calendar::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarSpec {
    pub time_zone: String,
    pub hours: Vec<OpeningHours>,
    /// Local dates on which the calendar is closed all day.
    #[serde(default)]
    pub holidays: Vec<Date>,
}

/// A checked calendar. Intervals are seconds from local midnight, sorted, not overlapping.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
    /// Per weekday, Monday first.
    open: [Vec<(i32, i32)>; 7],
    holidays: BTreeSet<Date>,
    /// Always open: elapsed time is calendar time (24×7 targets).
    always: bool,
}

/// How far [`Calendar::add`] looks ahead before it decides the calendar never opens.
const MAX_DAYS_AHEAD: i32 = 3_660;

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "monday" | "mon" => Weekday::Monday,
        "tuesday" | "tue" => Weekday::Tuesday,
        "wednesday" | "wed" => Weekday::Wednesday,
        "thursday" | "thu" => Weekday::Thursday,
        "friday" | "fri" => Weekday::Friday,
        "saturday" | "sat" => Weekday::Saturday,
        "sunday" | "sun" => Weekday::Sunday,
        _ => return None,
    })
}

/// `HH:MM` as seconds from midnight; `24:00` is the end of the day.
fn clock_time(s: &str) -> Option<i32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(86_400),
        (0..=23, 0..=59) => Some(h * 3_600 + m * 60),
        _ => None,
    }
}

impl Calendar {
    /// Open around the clock: business minutes are calendar minutes.
    pub fn always_open() -> Calendar {
        Calendar {
            tz: TimeZone::UTC,
            open: Default::default(),
            holidays: BTreeSet::new(),
            always: true,
        }
    }

    /// Checks a calendar: a known IANA zone, valid weekdays and times, every interval
    /// closing after it opens, and no two intervals of one weekday overlapping.
    pub fn new(spec: &CalendarSpec) -> Result<Calendar, Invalid> {
        let mut inv = Invalid::default();
        let tz = TimeZone::get(&spec.time_zone);
        if tz.is_err() {
            inv.push(
                "time_zone",
                format!("'{}' is not a known IANA time zone", spec.time_zone),
            );
        }
        let mut open: [Vec<(i32, i32, usize)>; 7] = Default::default();
        for (i, h) in spec.hours.iter().enumerate() {
            let at = |f: &str| format!("hours[{i}].{f}");
            let day = weekday(&h.weekday);
            let (from, to) = (clock_time(&h.open), clock_time(&h.close));
            if day.is_none() {
                inv.push(at("weekday"), format!("'{}' is not a weekday", h.weekday));
            }
            if from.is_none() || from == Some(86_400) {
                inv.push(at("open"), format!("'{}' is not a time (HH:MM)", h.open));
            }
            if to.is_none() {
                inv.push(at("close"), format!("'{}' is not a time (HH:MM)", h.close));
            }
            if let (Some(d), Some(a), Some(b)) = (day, from, to) {
                if b <= a {
                    inv.push(at("close"), format!("{} is not after {}", h.close, h.open));
                } else {
                    open[d.to_monday_zero_offset() as usize].push((a, b, i));
                }
            }
        }
        for day in &mut open {
            day.sort();
            for pair in day.windows(2) {
                if pair[1].0 < pair[0].1 {
                    inv.push(
                        format!("hours[{}]", pair[1].2),
                        format!("overlaps hours[{}] on the same weekday", pair[0].2),
                    );
                }
            }
        }
        let tz = match tz {
            Ok(tz) if inv.is_empty() => tz,
            _ => return Err(inv),
        };
        Ok(Calendar {
            tz,
            open: open.map(|d| d.into_iter().map(|(a, b, _)| (a, b)).collect()),
            holidays: spec.holidays.iter().copied().collect(),
            always: false,
        })
    }

    /// The day's opening intervals as instants. An iterator, not a list: the clock asks for
    /// these many times per evaluation, and an allocation per day showed in the benchmark.
    fn day_intervals(&self, date: Date) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let closed = self.holidays.contains(&date);
        let local = move |secs: i32| -> Option<Timestamp> {
            // `24:00` is the next day's midnight. A time in a DST gap is taken as the wall
            // clock would move past it (jiff's "compatible" rule), so no interval is lost.
            let (d, s) = if secs >= 86_400 {
                (date.tomorrow().ok()?, secs - 86_400)
            } else {
                (date, secs)
            };
            let t = Time::new((s / 3_600) as i8, ((s / 60) % 60) as i8, 0, 0).ok()?;
            self.tz
                .to_ambiguous_timestamp(d.to_datetime(t))
                .compatible()
                .ok()
        };
        let day = if closed {
            &[][..]
        } else {
            &self.open[date.weekday().to_monday_zero_offset() as usize][..]
        };
        day.iter()
            .filter_map(move |&(a, b)| Some((local(a)?, local(b)?)))
            .filter(|(a, b)| a < b)
    }

    fn local_date(&self, t: Timestamp) -> Date {
        self.tz.to_datetime(t).date()
    }

    /// Seconds the calendar is open within `[from, to)`; 0 when `to <= from`.
    pub fn open_seconds(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        if self.always {
            return to.duration_since(from).as_secs();
        }
        let mut total = 0;
        // One day of slack on each side: an interval closing at 24:00 belongs to its day.
        let last = self.local_date(to);
        let Some(mut days) =
            Days::new(self, self.local_date(from).yesterday().unwrap_or(Date::MIN))
        else {
            return 0;
        };
        while days.day <= last {
            let more = days.each(|a, b| {
                let (s, e) = (a.max(from), b.min(to));
                if s < e {
                    total += e.duration_since(s).as_secs();
                }
            });
            if more.is_none() {
                break;
            }
        }
        total
    }

    /// Whole minutes the calendar is open within `[from, to)`.
    pub fn open_minutes(&self, from: Timestamp, to: Timestamp) -> i64 {
        self.open_seconds(from, to) / 60
    }

    /// The instant at which `seconds` of open time have passed since `from`; `None` when the
    /// calendar does not open for that long within ten years.
    pub fn add_seconds(&self, from: Timestamp, seconds: i64) -> Option<Timestamp> {
        if seconds <= 0 {
            return Some(from);
        }
        if self.always {
            return from.checked_add(SignedDuration::from_secs(seconds)).ok();
        }
        let mut left = seconds;
        let mut reached = None;
        let mut days = Days::new(self, self.local_date(from).yesterday().ok()?)?;
        for _ in 0..MAX_DAYS_AHEAD {
            days.each(|a, b| {
                let s = a.max(from);
                if reached.is_some() || s >= b {
                    return;
                }
                let span = b.duration_since(s).as_secs();
                if span >= left {
                    reached = s.checked_add(SignedDuration::from_secs(left)).ok();
                } else {
                    left -= span;
                }
            })?;
            if reached.is_some() {
                return reached;
            }
        }
        None
    }
}

/// Walks a calendar's local days, giving each day's opening intervals as instants. Away from
/// the zone's offset changes an interval's instants are its local times less the offset in
/// force (arithmetic); on the days around a change each is converted exactly
/// (`day_intervals`). The SLA clock asks for thousands of days a second, and a conversion
/// per interval end was most of its time.
struct Days<'a> {
    cal: &'a Calendar,
    day: Date,
    /// The day's local midnight in seconds since the epoch, as if local time were UTC.
    civil_midnight: i64,
    /// The zone's offset in seconds, and the next instant it changes (`None`: never again).
    offset: i64,
    change: Option<Timestamp>,
}

impl<'a> Days<'a> {
    fn new(cal: &'a Calendar, day: Date) -> Option<Days<'a>> {
        let mut d = Days {
            cal,
            day,
            civil_midnight: day
                .to_datetime(Time::midnight())
                .to_zoned(TimeZone::UTC)
                .ok()?
                .timestamp()
                .as_second(),
            offset: 0,
            change: None,
        };
        d.settle()?;
        Some(d)
    }

    /// Reads the offset in force at the day's local midnight and the next change after it.
    fn settle(&mut self) -> Option<()> {
        let midnight = self
            .cal
            .tz
            .to_ambiguous_timestamp(self.day.to_datetime(Time::midnight()))
            .compatible()
            .ok()?;
        self.offset = i64::from(self.cal.tz.to_offset(midnight).seconds());
        self.change = self
            .cal
            .tz
            .following(midnight)
            .next()
            .map(|t| t.timestamp());
        Some(())
    }

    /// Calls `f` with each opening interval of the current day, then moves to the next day;
    /// `None` past the end of the calendar's range.
    fn each(&mut self, mut f: impl FnMut(Timestamp, Timestamp)) -> Option<()> {
        let start = self.civil_midnight - self.offset;
        // A day's intervals reach at most to the next midnight; a day of margin covers any
        // offset the zone could move to.
        let near_change = self
            .change
            .is_some_and(|c| c.as_second() <= start + 2 * 86_400);
        if near_change {
            for (a, b) in self.cal.day_intervals(self.day) {
                f(a, b);
            }
        } else if !self.cal.holidays.contains(&self.day) {
            let weekday = self.day.weekday().to_monday_zero_offset() as usize;
            for &(a, b) in &self.cal.open[weekday] {
                let at = |secs: i32| Timestamp::from_second(start + i64::from(secs)).ok();
                if let (Some(a), Some(b)) = (at(a), at(b)) {
                    f(a, b);
                }
            }
        }
        self.day = self.day.tomorrow().ok()?;
        self.civil_midnight += 86_400;
        if near_change {
            self.settle()?;
        }
        Some(())
    }
}

/// Office hours, Monday to Friday 09:00 to 17:00 in `tz`: the calendar the SLA tests measure
/// against.
#[cfg(test)]
pub(crate) fn office(tz: &str, holidays: Vec<Date>) -> Calendar {
    let hours = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        .iter()
        .map(|d| OpeningHours {
            weekday: d.to_string(),
            open: "09:00".into(),
            close: "17:00".into(),
        })
        .collect();
    Calendar::new(&CalendarSpec {
        time_zone: tz.into(),
        hours,
        holidays,
    })
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str, tz: &str) -> Timestamp {
        s.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned(TimeZone::get(tz).unwrap())
            .unwrap()
            .timestamp()
    }

    #[test]
    fn bad_calendars_are_refused_field_by_field() {
        let e = Calendar::new(&CalendarSpec {
            time_zone: "Mars/Olympus".into(),
            hours: vec![
                OpeningHours {
                    weekday: "monday".into(),
                    open: "09:00".into(),
                    close: "13:00".into(),
                },
                OpeningHours {
                    weekday: "Mon".into(),
                    open: "12:00".into(),
                    close: "18:00".into(),
                },
                OpeningHours {
                    weekday: "funday".into(),
                    open: "25:00".into(),
                    close: "08:00".into(),
                },
                OpeningHours {
                    weekday: "friday".into(),
                    open: "17:00".into(),
                    close: "09:00".into(),
                },
            ],
            holidays: vec![],
        })
        .unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "time_zone",
                "hours[2].weekday",
                "hours[2].open",
                "hours[3].close",
                "hours[1]"
            ],
            "{e:?}"
        );
    }

    #[test]
    fn a_week_of_office_hours_across_both_dst_changes() {
        let ny = "America/New_York";
        let cal = office(ny, vec![]);
        // The spring-forward weekend (8 March 2026) and the fall-back one (1 November).
        for (mon, next) in [
            ("2026-03-02T00:00", "2026-03-09T00:00"),
            ("2026-03-09T00:00", "2026-03-16T00:00"),
            ("2026-10-26T00:00", "2026-11-02T00:00"),
            ("2026-11-02T00:00", "2026-11-09T00:00"),
        ] {
            assert_eq!(
                cal.open_minutes(at(mon, ny), at(next, ny)),
                5 * 480,
                "{mon}"
            );
        }
        // Friday 16:00 plus two business hours: Monday 10:00 local, whatever the offset.
        let friday = at("2026-03-06T16:00", ny);
        assert_eq!(
            cal.add_seconds(friday, 7_200),
            Some(at("2026-03-09T10:00", ny))
        );
        // Around the clock, the spring-forward day has 23 hours.
        let always = Calendar::always_open();
        assert_eq!(
            always.open_minutes(at("2026-03-08T00:00", ny), at("2026-03-09T00:00", ny)),
            23 * 60
        );
    }

    #[test]
    fn a_holiday_closes_its_day() {
        let ny = "America/New_York";
        let thanksgiving = Date::new(2026, 11, 26).unwrap();
        let cal = office(ny, vec![thanksgiving]);
        let week = (at("2026-11-23T00:00", ny), at("2026-11-30T00:00", ny));
        assert_eq!(cal.open_minutes(week.0, week.1), 4 * 480);
        // Wednesday 16:00 plus two hours skips the holiday: Friday 10:00.
        assert_eq!(
            cal.add_seconds(at("2026-11-25T16:00", ny), 7_200),
            Some(at("2026-11-27T10:00", ny))
        );
    }

    #[test]
    fn a_calendar_that_never_opens_never_reaches_a_target() {
        let cal = Calendar::new(&CalendarSpec {
            time_zone: "UTC".into(),
            hours: vec![],
            holidays: vec![],
        })
        .unwrap();
        assert_eq!(cal.add_seconds(Timestamp::UNIX_EPOCH, 60), None);
    }

    /// The exact reference: every interval converted from local time.
    fn exact_open_seconds(cal: &Calendar, from: Timestamp, to: Timestamp) -> i64 {
        let mut total = 0;
        let mut day = cal.local_date(from).yesterday().unwrap();
        while day <= cal.local_date(to) {
            for (a, b) in cal.day_intervals(day) {
                let (s, e) = (a.max(from), b.min(to));
                if s < e {
                    total += e.duration_since(s).as_secs();
                }
            }
            day = day.tomorrow().unwrap();
        }
        total
    }

    proptest! {
        /// The arithmetic walk over days gives what converting every interval gives, in zones
        /// with and without DST, over spans that cross their changes, with night hours too.
        #[test]
        fn the_day_walk_matches_exact_conversion(
            zone in proptest::sample::select(vec!["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]),
            start in 1_767_225_600i64..1_798_761_600,
            len in 0i64..8_000_000,
        ) {
            let mut cal = office(zone, vec![]);
            // Hours that straddle the usual change times (01:00-03:00) as well.
            cal.open[6] = vec![(0, 4 * 3_600), (20 * 3_600, 86_400)];
            let (a, b) = (Timestamp::from_second(start).unwrap(), Timestamp::from_second(start + len).unwrap());
            prop_assert_eq!(cal.open_seconds(a, b), exact_open_seconds(&cal, a, b));
        }

        /// Open time is additive over any split, and `add_seconds` is its inverse: adding the
        /// open time between two instants lands no later than the second, at an instant where
        /// exactly that much open time has passed. Across DST in both directions and holidays.
        #[test]
        fn open_time_is_additive_and_add_is_its_inverse(
            zone in proptest::sample::select(vec!["America/New_York", "Europe/Berlin", "Australia/Sydney", "UTC"]),
            start in 1_767_225_600i64..1_798_761_600, // 2026
            a in 0i64..3_000_000,
            b in 0i64..3_000_000,
            holiday_offset in 0i64..40,
        ) {
            let t0 = Timestamp::from_second(start).unwrap();
            let t1 = Timestamp::from_second(start + a.min(b)).unwrap();
            let t2 = Timestamp::from_second(start + a.max(b)).unwrap();
            let holiday = t0.to_zoned(TimeZone::get(zone).unwrap()).date()
                .checked_add(jiff::Span::new().days(holiday_offset)).unwrap();
            let cal = office(zone, vec![holiday]);
            let whole = cal.open_seconds(t0, t2);
            prop_assert_eq!(whole, cal.open_seconds(t0, t1) + cal.open_seconds(t1, t2));
            if whole > 0 {
                let reached = cal.add_seconds(t0, whole).unwrap();
                prop_assert!(reached <= t2);
                prop_assert_eq!(cal.open_seconds(t0, reached), whole);
            }
        }
    }
}
