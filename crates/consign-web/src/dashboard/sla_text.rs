//! The text of the calendar and SLA policy forms, both ways: a weekday's opening hours
//! (`08:00-12:00, 13:00-18:00`; empty is closed) and a target's duration (`30 min`, `4 h`,
//! `2 d`), as the settings page shows them and as its forms are read back.

use consign_core::sla::{OpeningHours, Target};

pub(super) const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A weekday's opening hours as the form shows them: `08:00-12:00, 13:00-18:00`.
pub(super) fn day_hours(hours: &[OpeningHours], day: &str) -> String {
    hours
        .iter()
        .filter(|h| h.weekday.eq_ignore_ascii_case(day))
        .map(|h| format!("{}-{}", h.open, h.close))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The intervals of one weekday's field; the calendar's own check judges the times.
pub(super) fn parse_day(day: &str, text: &str) -> Result<Vec<OpeningHours>, String> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|span| {
            let (open, close) = span
                .split_once(['-', '–'])
                .ok_or_else(|| format!("{day}: '{span}' is not a span like 08:00-18:00"))?;
            Ok(OpeningHours {
                weekday: day.to_string(),
                open: open.trim().to_string(),
                close: close.trim().to_string(),
            })
        })
        .collect()
}

/// A target's minutes from `90`, `30 min`, `4 h`, `1.5 h` or `2 d`; empty is no target.
pub(super) fn parse_minutes(text: &str) -> Result<Option<i64>, String> {
    let t = text.trim().to_lowercase();
    if t.is_empty() {
        return Ok(None);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 30 min, 4 h or 2 d"))?;
    let per = match unit.trim() {
        "" | "m" | "min" | "mins" | "minute" | "minutes" => 1.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 60.0,
        "d" | "day" | "days" => 1440.0,
        u => return Err(format!("'{u}' is not a unit: use min, h or d")),
    };
    let minutes = (n * per).round();
    if !(1.0..=527_040.0).contains(&minutes) {
        return Err(format!("'{text}' is not between a minute and a year"));
    }
    Ok(Some(minutes as i64))
}

/// A target as the form shows it: whole days, hours or minutes.
pub(super) fn minutes_text(t: &Option<Target>) -> String {
    match t.map(|t| t.minutes) {
        None => String::new(),
        Some(m) if m % 1440 == 0 => format!("{} d", m / 1440),
        Some(m) if m % 60 == 0 => format!("{} h", m / 60),
        Some(m) => format!("{m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_minutes("90"), Ok(Some(90)));
        assert_eq!(parse_minutes("30 min"), Ok(Some(30)));
        assert_eq!(parse_minutes("4h"), Ok(Some(240)));
        assert_eq!(parse_minutes("1.5 h"), Ok(Some(90)));
        assert_eq!(parse_minutes("2 d"), Ok(Some(2880)));
        assert_eq!(parse_minutes(" "), Ok(None));
        assert!(parse_minutes("soon").is_err());
        assert!(parse_minutes("3 weeks").is_err());
        assert!(parse_minutes("0").is_err());
        let t = |m| {
            Some(Target {
                minutes: m,
                business: true,
            })
        };
        assert_eq!(minutes_text(&t(2880)), "2 d");
        assert_eq!(minutes_text(&t(240)), "4 h");
        assert_eq!(minutes_text(&t(45)), "45 min");
        assert_eq!(parse_minutes(&minutes_text(&t(45))), Ok(Some(45)));
    }

    #[test]
    fn a_day_has_any_number_of_spans() {
        let h = parse_day("monday", "08:00-12:00, 13:00–18:00").unwrap();
        assert_eq!(day_hours(&h, "monday"), "08:00-12:00, 13:00-18:00");
        assert!(parse_day("monday", "").unwrap().is_empty());
        assert!(parse_day("monday", "all day").is_err());
    }
}
