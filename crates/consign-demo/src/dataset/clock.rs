//! Local-time arithmetic on whole Unix seconds: promises at the end of a delivery day,
//! deliveries in delivery hours, order days in the tenant's zone.

use super::model::DAY;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rand::Rng;
use rand::rngs::StdRng;
use std::io;

/// Moves a night-time delivery into delivery hours (the next morning, or else earlier the same
/// day) when that keeps it within `lo..=hi`; drivers do not knock at 3 a.m.
pub(super) fn daytime(tz: &TimeZone, t: i64, lo: i64, hi: i64, rng: &mut StdRng) -> i64 {
    let Ok(ts) = Timestamp::from_second(t) else {
        return t;
    };
    let local = tz.to_datetime(ts);
    if (8..20).contains(&local.hour()) {
        return t;
    }
    let date = local.date();
    let morning = if local.hour() >= 20 {
        date.tomorrow().ok()
    } else {
        Some(date)
    };
    let candidates = [
        morning.and_then(|d| random_time(tz, d, 9..17, rng)),
        random_time(tz, date, 9..20, rng),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|m| (lo..=hi).contains(m))
        .unwrap_or(t)
}

fn random_time(
    tz: &TimeZone,
    date: Date,
    hours: std::ops::Range<i64>,
    rng: &mut StdRng,
) -> Option<i64> {
    let secs = rng.random_range(hours.start * 3600..hours.end * 3600);
    local_instant(
        tz,
        date,
        (secs / 3600) as i8,
        (secs / 60 % 60) as i8,
        (secs % 60) as i8,
    )
}

/// 20:00 local time `days` days after the local date of `t`: promises are end of a delivery day
/// in the destination's zone.
pub(super) fn end_of_day(tz: &TimeZone, t: i64, days: i64) -> i64 {
    let fallback = t + days * DAY;
    let Ok(ts) = Timestamp::from_second(t) else {
        return fallback;
    };
    let date = tz.to_datetime(ts).date();
    let Ok(date) = date.checked_add(jiff::Span::new().days(days)) else {
        return fallback;
    };
    let eod = local_instant(tz, date, 20, 0, 0).unwrap_or(fallback);
    // An order placed after 20:00 cannot be promised for "today".
    if eod < t { eod + DAY } else { eod }
}

pub(super) fn local_instant(
    tz: &TimeZone,
    date: Date,
    hour: i8,
    minute: i8,
    second: i8,
) -> Option<i64> {
    let dt = date.at(hour, minute, second, 0);
    tz.to_ambiguous_timestamp(dt)
        .compatible()
        .ok()
        .map(|t| t.as_second())
}

/// The last `days` local calendar dates up to and including today, newest first.
pub(super) fn local_dates(tz: &TimeZone, now: i64, days: i64) -> Vec<Date> {
    let today = Timestamp::from_second(now)
        .map(|t| tz.to_datetime(t).date())
        .unwrap_or_default();
    let mut dates = Vec::with_capacity(days as usize);
    let mut d = today;
    for _ in 0..days {
        dates.push(d);
        match d.yesterday() {
            Ok(y) => d = y,
            Err(_) => break,
        }
    }
    dates
}

pub(super) fn round_up(t: i64, step: i64) -> i64 {
    t + (step - t.rem_euclid(step)) % step
}

pub(super) fn stamp(t: i64) -> io::Result<String> {
    Timestamp::from_second(t)
        .map(|t| t.to_string())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("timestamp {t}: {e}")))
}
