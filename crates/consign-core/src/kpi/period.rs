//! Scorecard periods: an ISO week (`2026-W48`), a calendar month (`2026-11`) or a range of
//! days (`2026-11-01..2026-11-15`, both ends included). A period is a run of local dates; the
//! tenant's time zone turns it into instants, so a week is Monday 00:00 to Monday 00:00 where
//! the client is, 167 or 169 hours long in a week with a DST change.

use crate::Invalid;
use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use std::fmt;

/// The longest range of days a scorecard covers unless configured otherwise.
pub const DEFAULT_MAX_DAYS: i64 = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Week { year: i16, week: i8 },
    Month { year: i16, month: i8 },
    Days { first: Date, last: Date },
}

const FORMATS: &str = "an ISO week (2026-W48), a month (2026-11) or a range of days \
                       (2026-11-01..2026-11-15)";

impl Period {
    /// Reads a period as the API and CLI take it; a range longer than `max_days` is refused.
    pub fn parse(s: &str, max_days: i64) -> Result<Period, Invalid> {
        let bad = |why: String| Invalid::one("period", why);
        let s = s.trim();
        let p = if let Some((a, b)) = s.split_once("..") {
            let day = |x: &str| {
                x.parse::<Date>()
                    .map_err(|_| bad(format!("'{x}' is not a date (YYYY-MM-DD) in range '{s}'")))
            };
            let (first, last) = (day(a)?, day(b)?);
            if last < first {
                return Err(bad(format!("'{s}' ends before it starts")));
            }
            Period::Days { first, last }
        } else if let Some((y, w)) = s.split_once("-W") {
            let (Ok(year), Ok(week)) = (y.parse::<i16>(), w.parse::<i8>()) else {
                return Err(bad(format!("'{s}' is not {FORMATS}")));
            };
            if ISOWeekDate::new(year, week, Weekday::Monday).is_err() {
                return Err(bad(format!("{year} has no ISO week {week}")));
            }
            Period::Week { year, week }
        } else if s.len() == 7 && s.as_bytes()[4] == b'-' {
            let (Ok(year), Ok(month)) = (s[..4].parse::<i16>(), s[5..].parse::<i8>()) else {
                return Err(bad(format!("'{s}' is not {FORMATS}")));
            };
            if Date::new(year, month, 1).is_err() {
                return Err(bad(format!("'{s}' has no month {month}")));
            }
            Period::Month { year, month }
        } else {
            return Err(bad(format!("'{s}' is not {FORMATS}")));
        };
        if p.days() > max_days {
            return Err(bad(format!(
                "'{s}' covers {} days; a scorecard covers at most {max_days}",
                p.days()
            )));
        }
        Ok(p)
    }

    /// The week that holds `day`.
    pub fn week_of(day: Date) -> Period {
        let w = day.iso_week_date();
        Period::Week {
            year: w.year(),
            week: w.week(),
        }
    }

    /// The month that holds `day`.
    pub fn month_of(day: Date) -> Period {
        Period::Month {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn first_day(&self) -> Date {
        match *self {
            Period::Week { year, week } => ISOWeekDate::new(year, week, Weekday::Monday)
                .map(|w| w.date())
                .unwrap_or(Date::MIN),
            Period::Month { year, month } => Date::new(year, month, 1).unwrap_or(Date::MIN),
            Period::Days { first, .. } => first,
        }
    }

    pub fn last_day(&self) -> Date {
        match *self {
            Period::Week { .. } => self.first_day().saturating_add(6.days()),
            Period::Month { .. } => self.first_day().last_of_month(),
            Period::Days { last, .. } => last,
        }
    }

    /// Days in the period, both ends counted.
    pub fn days(&self) -> i64 {
        let span = self.first_day().until(self.last_day()).unwrap_or_default();
        i64::from(span.get_days()) + 1
    }

    pub fn contains(&self, day: Date) -> bool {
        self.first_day() <= day && day <= self.last_day()
    }

    /// `[start, end)`: midnight of the first day to midnight after the last, in `tz`.
    pub fn bounds(&self, tz: &TimeZone) -> (Timestamp, Timestamp) {
        let start = |d: Date| {
            d.to_zoned(tz.clone())
                .map(|z| z.timestamp())
                .unwrap_or(Timestamp::MIN)
        };
        let after = self.last_day().tomorrow().unwrap_or(Date::MAX);
        (start(self.first_day()), start(after))
    }

    /// The period just before: the week or month before, or as many days before a range.
    pub fn previous(&self) -> Period {
        match *self {
            Period::Week { .. } => Period::week_of(self.first_day().saturating_sub(1.day())),
            Period::Month { .. } => Period::month_of(self.first_day().saturating_sub(1.day())),
            Period::Days { first, .. } => {
                let last = first.saturating_sub(1.day());
                Period::Days {
                    first: last.saturating_sub((self.days() - 1).days()),
                    last,
                }
            }
        }
    }

    /// `n` periods ending with this one, oldest first (a scorecard's trend).
    /// The period of the same kind that follows (a range: as many days after it).
    pub fn next(&self) -> Period {
        let after = self.last_day().saturating_add(1.day());
        match *self {
            Period::Week { .. } => Period::week_of(after),
            Period::Month { .. } => Period::month_of(after),
            Period::Days { .. } => Period::Days {
                first: after,
                last: after.saturating_add((self.days() - 1).days()),
            },
        }
    }

    pub fn trend(&self, n: usize) -> Vec<Period> {
        let mut out = vec![*self];
        while out.len() < n {
            let p = out.last().map(Period::previous).unwrap_or(*self);
            out.push(p);
        }
        out.reverse();
        out
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Week { year, week } => write!(f, "{year:04}-W{week:02}"),
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Days { first, last } => write!(f, "{first}..{last}"),
        }
    }
}

/// The local date of `t` in the zone named `tz` (a place's or a tenant's); `None` for a zone
/// the time-zone database does not know, which validation refuses on the way in.
pub fn local_date(t: Timestamp, tz: &str) -> Option<Date> {
    TimeZone::get(tz).ok().map(|z| t.to_zoned(z).date())
}
