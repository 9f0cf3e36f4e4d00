//! X12 time codes (element 623) and turning a date, time and time code into an instant. Zone
//! rules come from jiff's bundled tz database, so results never depend on the host's zoneinfo.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::{Offset, TimeZone, TimeZoneDatabase};
use serde::Serialize;

/// What an X12 time code means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TimeCode {
    /// A fixed offset from UTC (UT, GM, the *S/*D standard and daylight codes, 01-24).
    Fixed(i32),
    /// A region's civil time, daylight saving included (ET, CT, MT, PT, AT, HT, TT, NT).
    Zone(&'static str),
    /// LT: local time at the place of the event, which the caller must supply.
    Local,
}

/// Looks up an element 623 code. Besides the standard two-letter codes this accepts the
/// everyday abbreviations partners put there anyway (`EST`, `PDT`, `UTC`, `Z`, ...). Note that
/// in X12, `AT` is Alaska Time; Atlantic is `TT`/`TS`/`TD`.
pub fn time_code(code: &str) -> Option<TimeCode> {
    const H: i32 = 3600;
    use TimeCode::{Fixed, Local, Zone};
    Some(match code {
        "UT" | "GM" | "UTC" | "GMT" | "Z" => Fixed(0),
        "LT" => Local,
        "ET" => Zone("America/New_York"),
        "ES" | "EST" => Fixed(-5 * H),
        "ED" | "EDT" => Fixed(-4 * H),
        "CT" => Zone("America/Chicago"),
        "CS" | "CST" => Fixed(-6 * H),
        "CD" | "CDT" => Fixed(-5 * H),
        "MT" => Zone("America/Denver"),
        "MS" | "MST" => Fixed(-7 * H),
        "MD" | "MDT" => Fixed(-6 * H),
        "PT" => Zone("America/Los_Angeles"),
        "PS" | "PST" => Fixed(-8 * H),
        "PD" | "PDT" => Fixed(-7 * H),
        "AT" => Zone("America/Anchorage"),
        "AS" | "AKST" => Fixed(-9 * H),
        "AD" | "AKDT" => Fixed(-8 * H),
        // Hawaii-Aleutian time as shippers use it means Hawaii, which keeps no daylight time.
        "HT" => Zone("Pacific/Honolulu"),
        "HS" | "HST" => Fixed(-10 * H),
        "HD" | "HDT" => Fixed(-9 * H),
        "TT" => Zone("America/Halifax"),
        "TS" | "AST" => Fixed(-4 * H),
        "TD" | "ADT" => Fixed(-3 * H),
        "NT" => Zone("America/St_Johns"),
        "NS" | "NST" => Fixed(-(3 * H + H / 2)),
        "ND" | "NDT" => Fixed(-(2 * H + H / 2)),
        _ => {
            // 01-12 are ISO P01-P12 (UTC+1..+12); 13-24 are M12..M01 (UTC-12..-1).
            let n: i32 = match code.as_bytes() {
                [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                    i32::from(a - b'0') * 10 + i32::from(b - b'0')
                }
                _ => return None,
            };
            match n {
                1..=12 => Fixed(n * H),
                13..=24 => Fixed(-(25 - n) * H),
                _ => return None,
            }
        }
    })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstantError {
    #[error("unknown time code '{0}'")]
    UnknownTimeCode(String),
    #[error("local time (code {0}) needs the place's time zone, and none was given")]
    NoOffset(&'static str),
    #[error("cannot resolve {0} in time zone {1}")]
    Zone(String, &'static str),
}

/// The instant meant by an X12 date, time and time code. A missing code is read as local time,
/// like LT. `local_zone` is the zone of the place the event happened, used for local time. A zone,
/// not an offset: the offset of a local time depends on the time itself, and on the day a clock
/// changes, midnight and 14:00 have different offsets.
pub fn resolve_instant(
    date: Date,
    time: Time,
    time_code: Option<&str>,
    local_zone: Option<&TimeZone>,
) -> Result<Timestamp, InstantError> {
    let dt = date.to_datetime(time);
    let code = match time_code {
        None => TimeCode::Local,
        Some(c) => {
            self::time_code(c).ok_or_else(|| InstantError::UnknownTimeCode(c.to_string()))?
        }
    };
    let offset = |secs: i32| {
        Offset::from_seconds(secs).map_err(|_| InstantError::Zone(dt.to_string(), "fixed offset"))
    };
    match code {
        TimeCode::Fixed(secs) => offset(secs)?
            .to_timestamp(dt)
            .map_err(|_| InstantError::Zone(dt.to_string(), "fixed offset")),
        TimeCode::Local => {
            let tz = local_zone.ok_or(InstantError::NoOffset(match time_code {
                Some(_) => "LT",
                None => "absent",
            }))?;
            // The same "compatible" rule as the named zones below.
            tz.to_timestamp(dt)
                .map_err(|_| InstantError::Zone(dt.to_string(), "local time zone"))
        }
        TimeCode::Zone(name) => {
            let tz: TimeZone = TimeZoneDatabase::bundled()
                .get(name)
                .map_err(|_| InstantError::Zone(dt.to_string(), name))?;
            // Jiff's "compatible" rule: a time in a DST gap moves forward, a time in a fold
            // takes the earlier instant, as people reading a clock would.
            tz.to_timestamp(dt)
                .map_err(|_| InstantError::Zone(dt.to_string(), name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn fixed_codes() {
        let d = date(2011, 12, 17);
        let t = time(8, 30, 0, 0);
        assert_eq!(
            resolve_instant(d, t, Some("PS"), None).unwrap(),
            at("2011-12-17T16:30:00Z")
        );
        assert_eq!(
            resolve_instant(d, t, Some("UT"), None).unwrap(),
            at("2011-12-17T08:30:00Z")
        );
        assert_eq!(
            resolve_instant(d, t, Some("ED"), None).unwrap(),
            at("2011-12-17T12:30:00Z")
        );
        assert_eq!(
            resolve_instant(d, t, Some("NS"), None).unwrap(),
            at("2011-12-17T12:00:00Z")
        );
        assert_eq!(
            resolve_instant(d, t, Some("01"), None).unwrap(),
            at("2011-12-17T07:30:00Z")
        );
        assert_eq!(
            resolve_instant(d, t, Some("24"), None).unwrap(),
            at("2011-12-17T09:30:00Z")
        );
    }

    #[test]
    fn zone_codes_follow_daylight_saving() {
        let t = time(12, 0, 0, 0);
        assert_eq!(
            resolve_instant(date(2024, 1, 15), t, Some("ET"), None).unwrap(),
            at("2024-01-15T17:00:00Z")
        );
        assert_eq!(
            resolve_instant(date(2024, 7, 15), t, Some("ET"), None).unwrap(),
            at("2024-07-15T16:00:00Z")
        );
        assert_eq!(
            resolve_instant(date(2024, 7, 15), t, Some("HT"), None).unwrap(),
            at("2024-07-15T22:00:00Z")
        );
        assert_eq!(
            resolve_instant(date(2024, 7, 15), t, Some("AT"), None).unwrap(),
            at("2024-07-15T20:00:00Z")
        );
    }

    #[test]
    fn local_time_needs_an_offset() {
        let d = date(2006, 3, 1);
        let t = time(8, 0, 0, 0);
        assert_eq!(
            resolve_instant(d, t, Some("LT"), None),
            Err(InstantError::NoOffset("LT"))
        );
        let pst = TimeZone::fixed(Offset::from_seconds(-8 * 3600).unwrap());
        assert_eq!(
            resolve_instant(d, t, Some("LT"), Some(&pst)).unwrap(),
            at("2006-03-01T16:00:00Z")
        );
        assert_eq!(
            resolve_instant(d, t, None, Some(&pst)).unwrap(),
            at("2006-03-01T16:00:00Z")
        );
    }

    #[test]
    fn local_time_takes_the_offset_of_its_own_hour_on_the_day_clocks_change() {
        // 2026-03-08: Chicago goes from CST (-6) to CDT (-5) at 02:00. Midnight is CST; 14:00
        // is CDT. Reading the afternoon with midnight's offset put it an hour late.
        let chicago = TimeZone::get("America/Chicago").unwrap();
        let d = date(2026, 3, 8);
        assert_eq!(
            resolve_instant(d, time(0, 30, 0, 0), None, Some(&chicago)).unwrap(),
            at("2026-03-08T06:30:00Z")
        );
        assert_eq!(
            resolve_instant(d, time(14, 0, 0, 0), Some("LT"), Some(&chicago)).unwrap(),
            at("2026-03-08T19:00:00Z")
        );
        // 02:30 does not exist that day: it moves forward, as a person reading the clock would.
        assert_eq!(
            resolve_instant(d, time(2, 30, 0, 0), None, Some(&chicago)).unwrap(),
            at("2026-03-08T08:30:00Z")
        );
        // 2026-11-01, the fall back: 01:30 happens twice; the earlier one is taken.
        assert_eq!(
            resolve_instant(date(2026, 11, 1), time(1, 30, 0, 0), None, Some(&chicago)).unwrap(),
            at("2026-11-01T06:30:00Z")
        );
    }

    #[test]
    fn unknown_codes_are_refused() {
        assert_eq!(
            resolve_instant(date(2020, 1, 1), time(0, 0, 0, 0), Some("XX"), None),
            Err(InstantError::UnknownTimeCode("XX".into()))
        );
        assert!(time_code("00").is_none());
        assert!(time_code("25").is_none());
    }
}
