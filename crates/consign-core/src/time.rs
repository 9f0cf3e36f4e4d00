//! Time helpers: instants are `jiff::Timestamp` (UTC); the store keeps them as microseconds
//! since the Unix epoch so both engines sort and compare them as plain integers.

use jiff::Timestamp;

/// A source of "now". Core functions take `now` as a value; this trait is for the adapters
/// that need to obtain one (and for tests and replays that need to fix it).
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock fixed at one instant (tests, `--at` runs).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

pub fn to_micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub fn from_micros(us: i64) -> Timestamp {
    // Values come from our own writes; an out-of-range value means a corrupted row, and the
    // epoch is a visible, harmless stand-in rather than a panic in a read path.
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Business dates we accept: anything outside this range is a typo (year 20025) or an
/// uninitialised value (0001-01-01) rather than a real shipment.
pub fn check_plausible(field: &str, t: Timestamp, now: Timestamp, invalid: &mut crate::Invalid) {
    let min = Timestamp::from_second(946_684_800).expect("2000-01-01 is valid"); // 2000-01-01
    let max_ahead = jiff::SignedDuration::from_hours(24 * 366 * 2);
    if t < min {
        invalid.push(
            field,
            format!("{t} is before 2000-01-01; dates that old are not accepted"),
        );
    } else if t > now + max_ahead {
        invalid.push(field, format!("{t} is more than two years in the future"));
    }
}
