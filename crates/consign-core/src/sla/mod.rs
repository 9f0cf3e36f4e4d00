//! SLA clocks (SPEC §5): business calendars and the clock that counts time against a
//! policy's targets. Pure time arithmetic that knows nothing of cases: the policies a tenant
//! configures per case type and severity (`case::policy`) and the timers that fire warnings,
//! breaches, escalations and automatic closes (`case::timers`) are case work built on it.

pub mod calendar;
pub mod clock;

pub use calendar::{Calendar, CalendarSpec, OpeningHours};
pub use clock::{ClockEvent, Metric, MetricClock, Policy, SlaState, Target, evaluate};
