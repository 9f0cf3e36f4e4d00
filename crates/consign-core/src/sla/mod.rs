//! SLA clocks (SPEC §5): business calendars, the clock that counts a case's time against its
//! policy's targets, the policies a tenant configures, and the timers that fire warnings,
//! breaches, escalations and automatic closes. Pure: the caller passes the timeline, the
//! calendar and `now`.

pub mod calendar;
pub mod clock;
pub mod policy;
pub mod timers;

pub use calendar::{Calendar, CalendarSpec, OpeningHours};
pub use clock::{ClockEvent, Metric, MetricClock, Policy, SlaState, Target, evaluate};
pub use policy::{LadderAction, LadderStep, PolicyRule, PolicySet};
