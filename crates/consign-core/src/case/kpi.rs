//! Case KPIs (SPEC §10) measured from timelines: mean and median time to acknowledge and to
//! resolve in business time, SLA attainment, reopen rate, first-contact resolution, backlog
//! and its age. Every figure carries its numerator and denominator; the caller groups cases
//! (by tenant, type, carrier, accountable party, team) and asks for each group.

use super::{Case, TimelineEntry, TimelineKind, Visibility};
use crate::sla::{Calendar, Policy, SlaState};
use jiff::Timestamp;
use serde::Serialize;

/// A ratio with what it is made of.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ratio {
    pub numerator: u64,
    pub denominator: u64,
    /// `numerator / denominator`, absent when nothing was counted.
    pub value: Option<f64>,
}

impl Ratio {
    pub fn of(numerator: u64, denominator: u64) -> Ratio {
        Ratio {
            numerator,
            denominator,
            value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
        }
    }
}

/// Durations in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Durations {
    pub count: u64,
    pub mean_minutes: Option<f64>,
    pub median_minutes: Option<f64>,
}

impl Durations {
    /// The count, mean and median of these minutes.
    pub fn of(mut minutes: Vec<i64>) -> Durations {
        minutes.sort_unstable();
        let n = minutes.len();
        let median = match n {
            0 => None,
            _ if n % 2 == 1 => Some(minutes[n / 2] as f64),
            _ => Some((minutes[n / 2 - 1] + minutes[n / 2]) as f64 / 2.0),
        };
        Durations {
            count: n as u64,
            mean_minutes: (n > 0).then(|| minutes.iter().sum::<i64>() as f64 / n as f64),
            median_minutes: median,
        }
    }
}

/// Open cases by age (SPEC §10's buckets).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Backlog {
    pub open: u64,
    pub under_4h: u64,
    pub under_1d: u64,
    pub under_3d: u64,
    pub under_7d: u64,
    pub over_7d: u64,
}

impl Backlog {
    fn add(&mut self, age_hours: i64) {
        self.open += 1;
        match age_hours {
            ..4 => self.under_4h += 1,
            4..24 => self.under_1d += 1,
            24..72 => self.under_3d += 1,
            72..168 => self.under_7d += 1,
            _ => self.over_7d += 1,
        }
    }
}

/// One group's figures for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseKpis {
    /// Cases opened in the period.
    pub opened: u64,
    /// Cases resolved in the period (the base of the rates below).
    pub resolved: u64,
    /// Time to the first response, for cases first answered in the period.
    pub mtta: Durations,
    /// Time from opening to resolution, less the time spent resolved before a reopening.
    pub mttr: Durations,
    pub sla_attainment: Ratio,
    pub reopen_rate: Ratio,
    pub first_contact_resolution: Ratio,
    /// Open cases at the end of the period.
    pub backlog: Backlog,
}

/// What the KPIs need of one case.
#[derive(Clone, Copy)]
pub struct CaseRecord<'a> {
    pub case: &'a Case,
    /// In `seq` order.
    pub entries: &'a [TimelineEntry],
    /// The calendar of its policy (24×7 when none).
    pub calendar: &'a Calendar,
    pub policy: Option<&'a Policy>,
}

fn minutes(cal: &Calendar, from: Timestamp, to: Timestamp) -> i64 {
    cal.open_seconds(from, to) / 60
}

/// The figures for the period `[from, to)` as known at `now`.
pub fn case_kpis(
    records: &[CaseRecord<'_>],
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> CaseKpis {
    let in_period = |t: Timestamp| t >= from && t < to;
    let end = to.min(now);
    let mut opened = 0;
    let mut resolved = 0;
    let (mut tta, mut ttr) = (Vec::new(), Vec::new());
    let (mut met, mut applied) = (0, 0);
    let (mut reopened, mut fcr) = (0, 0);
    let mut backlog = Backlog::default();
    for r in records {
        let c = r.case;
        if in_period(c.opened_at) {
            opened += 1;
        }
        if let Some(t) = c.first_response_at
            && in_period(t)
        {
            tta.push(minutes(r.calendar, c.opened_at, t));
        }
        // Open at the end of the period: opened before it, and not resolved by then.
        let resolved_by_end = r
            .entries
            .iter()
            .filter(|e| e.at < end)
            .rev()
            .find(|e| matches!(e.kind, TimelineKind::Resolved | TimelineKind::Reopened))
            .is_some_and(|e| e.kind == TimelineKind::Resolved);
        if c.opened_at < end && !resolved_by_end {
            backlog.add(end.duration_since(c.opened_at).as_hours());
        }
        // The resolution that counts is the last one, if it falls in the period.
        let Some(last) = r
            .entries
            .iter()
            .rev()
            .find(|e| e.kind == TimelineKind::Resolved)
            .filter(|e| in_period(e.at) && !c.status.is_open())
        else {
            continue;
        };
        resolved += 1;
        // Time open: opening to last resolution, less each resolved stretch before a reopening.
        let mut open_minutes = minutes(r.calendar, c.opened_at, last.at);
        let mut resolved_since: Option<Timestamp> = None;
        for e in r.entries.iter().filter(|e| e.at <= last.at) {
            match e.kind {
                TimelineKind::Resolved => resolved_since = Some(e.at),
                TimelineKind::Reopened => {
                    if let Some(s) = resolved_since.take() {
                        open_minutes -= minutes(r.calendar, s, e.at);
                    }
                }
                _ => {}
            }
        }
        ttr.push(open_minutes);
        if c.reopen_count > 0 {
            reopened += 1;
        }
        let outbound = r
            .entries
            .iter()
            .filter(|e| {
                e.kind == TimelineKind::MessageOut
                    || (e.kind == TimelineKind::Note && e.visibility == Visibility::External)
            })
            .count();
        if outbound <= 1 && c.reopen_count == 0 {
            fcr += 1;
        }
        if let Some(p) = r.policy {
            let events = crate::sla::timers::clock_events(r.entries);
            for clock in crate::sla::evaluate(&events, r.calendar, p, last.at) {
                match clock.state {
                    SlaState::Met => {
                        met += 1;
                        applied += 1;
                    }
                    SlaState::Breached => applied += 1,
                    _ => {}
                }
            }
        }
    }
    CaseKpis {
        opened,
        resolved,
        mtta: Durations::of(tta),
        mttr: Durations::of(ttr),
        sla_attainment: Ratio::of(met, applied),
        reopen_rate: Ratio::of(reopened, resolved),
        first_contact_resolution: Ratio::of(fcr, resolved),
        backlog,
    }
}

#[cfg(test)]
#[path = "kpi_tests.rs"]
mod tests;
