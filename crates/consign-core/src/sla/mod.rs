//! SLA clocks (SPEC §5): business calendars and the clock that counts a case's time against
//! its policy's targets. Pure: the caller passes the timeline, the calendar and `now`.

pub mod calendar;
pub mod clock;

pub use calendar::{Calendar, CalendarSpec, OpeningHours};
pub use clock::{ClockEvent, Metric, MetricClock, Policy, SlaState, Target, evaluate};
