//! Case KPIs (SPEC §10) measured from timelines: mean and median time to acknowledge and to
//! resolve in business time, SLA attainment, reopen rate, first-contact resolution, backlog
//! and its age. Every figure carries its numerator and denominator; the caller groups cases
//! (by tenant, type, carrier, accountable party, team) and asks for each group.

use super::{Case, TimelineEntry, TimelineKind, Visibility};
use crate::ids::CaseId;
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
    /// Counts one open case of this age.
    pub fn add(&mut self, age_hours: i64) {
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

/// What one case contributes to a period's figures: the pure judgement the figures fold, and
/// what a drill-down lists (the cases behind a rate are those judged a hit or a miss).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseJudgement {
    /// Opened within the period.
    pub opened: bool,
    /// Business minutes to the first response, when that response fell in the period.
    pub tta_minutes: Option<i64>,
    /// Its last resolution fell in the period (and it is not open again).
    pub resolved: Option<Resolution>,
    /// Open at the end of the period: its age then, in whole hours.
    pub open_at_end_hours: Option<i64>,
}

/// A resolution that counts in the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Business minutes open, less the stretches resolved before a reopening.
    pub open_minutes: i64,
    pub reopened: bool,
    pub first_contact: bool,
    /// SLA targets met and applied (first response, resolution) at the resolution.
    pub sla_met: u64,
    pub sla_applied: u64,
}

/// What a case contributes to any period's figures, whatever the period: when it opened,
/// its first response, and its last resolution if it is not open again. The KPI rollup keeps
/// one per case (`kpi_case_facts`), recomputed when the case or the tenant's case settings
/// change; a period's flow figures are read from these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFact {
    pub case: CaseId,
    pub opened_at: Timestamp,
    /// When it was first answered, and the business minutes to it.
    pub answered: Option<(Timestamp, i64)>,
    /// Its last resolution (not followed by a reopening), and what it counts.
    pub resolved: Option<(Timestamp, Resolution)>,
}

impl CaseFact {
    /// How the fact counts in `[from, to)` (all but the backlog, which needs the timeline).
    pub fn judged(&self, from: Timestamp, to: Timestamp) -> CaseJudgement {
        let in_period = |t: Timestamp| t >= from && t < to;
        CaseJudgement {
            opened: in_period(self.opened_at),
            tta_minutes: self.answered.filter(|(t, _)| in_period(*t)).map(|(_, m)| m),
            resolved: self.resolved.filter(|(t, _)| in_period(*t)).map(|(_, r)| r),
            open_at_end_hours: None,
        }
    }
}

/// The period-free part of the case's figures.
pub fn case_fact(r: &CaseRecord<'_>) -> CaseFact {
    let c = r.case;
    let mut fact = CaseFact {
        case: c.id,
        opened_at: c.opened_at,
        answered: c
            .first_response_at
            .map(|t| (t, minutes(r.calendar, c.opened_at, t))),
        resolved: None,
    };
    // The resolution that counts is the last one, of a case not open again.
    let Some(last) = r
        .entries
        .iter()
        .rev()
        .find(|e| e.kind == TimelineKind::Resolved)
        .filter(|_| !c.status.is_open())
    else {
        return fact;
    };
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
    let outbound = r
        .entries
        .iter()
        .filter(|e| {
            e.kind == TimelineKind::MessageOut
                || (e.kind == TimelineKind::Note && e.visibility == Visibility::External)
        })
        .count();
    let (mut met, mut applied) = (0, 0);
    if let Some(p) = r.policy {
        let events = crate::case::timers::clock_events(r.entries);
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
    fact.resolved = Some((
        last.at,
        Resolution {
            open_minutes,
            reopened: c.reopen_count > 0,
            first_contact: outbound <= 1 && c.reopen_count == 0,
            sla_met: met,
            sla_applied: applied,
        },
    ));
    fact
}

/// How one case counts in the period `[from, to)` as known at `now`.
pub fn judge(r: &CaseRecord<'_>, from: Timestamp, to: Timestamp, now: Timestamp) -> CaseJudgement {
    let mut j = case_fact(r).judged(from, to);
    // Open at the end of the period: opened before it, and not resolved by then.
    let end = to.min(now);
    let resolved_by_end = r
        .entries
        .iter()
        .filter(|e| e.at < end)
        .rev()
        .find(|e| matches!(e.kind, TimelineKind::Resolved | TimelineKind::Reopened))
        .is_some_and(|e| e.kind == TimelineKind::Resolved);
    if r.case.opened_at < end && !resolved_by_end {
        j.open_at_end_hours = Some(end.duration_since(r.case.opened_at).as_hours());
    }
    j
}

/// The figures for the period `[from, to)` as known at `now`.
pub fn case_kpis(
    records: &[CaseRecord<'_>],
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> CaseKpis {
    let judged: Vec<CaseJudgement> = records.iter().map(|r| judge(r, from, to, now)).collect();
    let mut k = fold(&judged);
    for j in &judged {
        if let Some(age) = j.open_at_end_hours {
            k.backlog.add(age);
        }
    }
    k
}

/// The figures of some judgements, all but the backlog (which a caller may count apart: a
/// store counts the open cases that were never reopened without reading their timelines).
pub fn fold(judged: &[CaseJudgement]) -> CaseKpis {
    let mut opened = 0;
    let (mut tta, mut ttr) = (Vec::new(), Vec::new());
    let (mut met, mut applied) = (0, 0);
    let (mut reopened, mut fcr) = (0, 0);
    for j in judged {
        opened += u64::from(j.opened);
        tta.extend(j.tta_minutes);
        if let Some(r) = j.resolved {
            ttr.push(r.open_minutes);
            reopened += u64::from(r.reopened);
            fcr += u64::from(r.first_contact);
            met += r.sla_met;
            applied += r.sla_applied;
        }
    }
    let resolved = ttr.len() as u64;
    CaseKpis {
        opened,
        resolved,
        mtta: Durations::of(tta),
        mttr: Durations::of(ttr),
        sla_attainment: Ratio::of(met, applied),
        reopen_rate: Ratio::of(reopened, resolved),
        first_contact_resolution: Ratio::of(fcr, resolved),
        backlog: Backlog::default(),
    }
}

#[cfg(test)]
#[path = "kpi_tests.rs"]
mod tests;
