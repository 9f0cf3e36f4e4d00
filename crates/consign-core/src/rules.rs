//! The exception rule engine (SPEC §3): rulebooks are TOML data, parsed and checked here,
//! and evaluated against one shipment's facts at an instant the caller supplies. The engine
//! decides which cases to open, re-detect, escalate or resolve, and when the shipment next
//! needs looking at (`next_check_at`) if nothing else happens: time-based rules are driven by
//! that instant, never by scanning every shipment.
//!
//! Conditions are conjunctions of predicates with an optional `any` list of alternatives.
//! Every time predicate is monotone (once `now` passes its threshold it stays true), so the
//! earliest instant a false condition can become true is computable without guessing.

use crate::case::{CASE_PARTIES, Severity};
use crate::shipment::{Direction, ShipmentStatus};
use crate::tracking::{Accountable, REASONS};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// The rulebook shipped with Consign: SPEC §3's table for the shipment-level rules.
pub const DEFAULT_RULEBOOK: &str = include_str!("../rulebooks/default.toml");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rulebook {
    pub name: String,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
    /// The carrier-level rule (`carrier_silent`): judged per carrier, not per shipment.
    #[serde(default)]
    pub carrier_silent: Option<CarrierSilence>,
    /// The EDI rule (`edi_unacknowledged`): judged per functional group we sent.
    #[serde(default)]
    pub edi_unacknowledged: Option<EdiAcknowledgement>,
}

/// SPEC §3 `carrier_silent`: a carrier with shipments under way (picked up, not finished) that
/// has sent no scan for any of them for `hours` gets one open case, addressed to it, which
/// resolves when its scans resume.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierSilence {
    pub hours: f64,
    pub severity: Severity,
    pub owner_team: String,
}

/// What to do about one carrier at a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SilenceAction {
    Open { detail: String },
    Resolve { detail: String },
    Nothing,
}

impl CarrierSilence {
    /// `last_scan`: the latest scan among the carrier's shipments under way (`None`: it has
    /// none, so it cannot be silent); `open`: whether its case is open already.
    pub fn judge(&self, last_scan: Option<Timestamp>, open: bool, now: Timestamp) -> SilenceAction {
        let silent =
            last_scan.is_some_and(|t| t.checked_add(hours(self.hours)).is_ok_and(|due| due <= now));
        match (silent, open, last_scan) {
            (true, false, Some(t)) => SilenceAction::Open {
                detail: format!(
                    "no scan for {:.1} h (last at {t}) while shipments are under way",
                    now.duration_since(t).as_secs_f64() / 3600.0
                ),
            },
            (false, true, Some(t)) => SilenceAction::Resolve {
                detail: format!("scans resumed (last at {t})"),
            },
            (false, true, None) => SilenceAction::Resolve {
                detail: "no shipments under way any more".into(),
            },
            _ => SilenceAction::Nothing,
        }
    }
}

impl CarrierSilence {
    /// Replays the rule over one carrier's history for `rules replay`: `scans` are its events
    /// in time order as (instant, shipment, whether that shipment is under way after it). The
    /// carrier's last scan is the latest among shipments still under way, as the live sweep
    /// reads it; returns the instants a case would have opened, before `until`.
    pub fn replay<K: Copy + Eq + std::hash::Hash>(
        &self,
        scans: &[(Timestamp, K, bool)],
        until: Timestamp,
    ) -> Vec<Timestamp> {
        use std::collections::{BTreeMap, HashMap};
        let gap = hours(self.hours);
        let mut last: HashMap<K, Timestamp> = HashMap::new();
        let mut latest: BTreeMap<Timestamp, u32> = BTreeMap::new();
        let (mut open, mut opened) = (false, Vec::new());
        let mut i = 0;
        loop {
            let next = scans.get(i).map_or(until, |s| s.0.min(until));
            if !open
                && let Some(due) = latest
                    .last_key_value()
                    .and_then(|(t, _)| t.checked_add(gap).ok())
                && due <= next
                && due < until
            {
                opened.push(due);
                open = true;
            }
            let Some(&(t, shipment, under_way)) = scans.get(i) else {
                break;
            };
            if t >= until {
                break;
            }
            if let Some(old) = last.remove(&shipment)
                && let Some(n) = latest.get_mut(&old)
            {
                *n -= 1;
                if *n == 0 {
                    latest.remove(&old);
                }
            }
            if under_way {
                last.insert(shipment, t);
                *latest.entry(t).or_default() += 1;
            }
            // Scans resumed, or nothing is under way any more: the case would resolve.
            open = open
                && latest
                    .last_key_value()
                    .and_then(|(l, _)| l.checked_add(gap).ok())
                    .is_some_and(|due| due <= t);
            i += 1;
        }
        opened
    }
}

/// SPEC §3 `edi_unacknowledged`: a functional group we sent that has no 997 `hours` after it
/// went out, or whose 997 rejected it (AK9 `R` or `P`, or any AK5 `R`), gets one open case
/// addressed to the partner; an accepting 997 (AK9 `A` or `E`, no set rejected) resolves it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdiAcknowledgement {
    pub hours: f64,
    pub severity: Severity,
    pub owner_team: String,
}

/// What is known of the answer to one group we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupAnswer {
    /// No 997 yet.
    Awaiting,
    /// A 997 accepted every set (AK9 `A`, or `E`: accepted with errors noted).
    Accepted { ak9: String },
    /// A 997 rejected the group or some of its sets; `why` names the AK9 and rejected sets.
    Rejected { why: String },
}

/// When the group is judged: by the sweep, or because a 997 for it has just arrived (a
/// repeated rejection is then a new detection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckTrigger {
    Sweep,
    AnswerArrived,
}

/// What to do about one sent group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckAction {
    Open { detail: String },
    DetectedAgain { detail: String },
    Resolve { detail: String },
    Nothing,
}

impl EdiAcknowledgement {
    /// `sent_at`: when the group went out; `open`: whether its case is open already.
    pub fn judge(
        &self,
        sent_at: Timestamp,
        answer: &GroupAnswer,
        open: bool,
        trigger: AckTrigger,
        now: Timestamp,
    ) -> AckAction {
        match answer {
            GroupAnswer::Awaiting => {
                let overdue = self.due(sent_at).is_some_and(|due| due <= now);
                if overdue && !open {
                    AckAction::Open {
                        detail: format!(
                            "no 997 {:.1} h after it was sent at {sent_at}",
                            now.duration_since(sent_at).as_secs_f64() / 3600.0
                        ),
                    }
                } else {
                    AckAction::Nothing
                }
            }
            GroupAnswer::Rejected { why } => match (open, trigger) {
                (false, _) => AckAction::Open {
                    detail: format!("the partner's 997 rejected it: {why}"),
                },
                (true, AckTrigger::AnswerArrived) => AckAction::DetectedAgain {
                    detail: format!("another 997 rejected it: {why}"),
                },
                (true, AckTrigger::Sweep) => AckAction::Nothing,
            },
            GroupAnswer::Accepted { ak9 } if open => AckAction::Resolve {
                detail: format!("acknowledged: 997 with AK9 {ak9}"),
            },
            GroupAnswer::Accepted { .. } => AckAction::Nothing,
        }
    }

    /// For `rules replay`: when a case would have opened for a group sent at `sent_at` whose
    /// (latest) answer came at `answered_at` — at the deadline if no answer came by then, at
    /// the answer if it rejected the group, never if it accepted it in time.
    pub fn replay(
        &self,
        sent_at: Timestamp,
        answer: &GroupAnswer,
        answered_at: Option<Timestamp>,
    ) -> Option<Timestamp> {
        let due = self.due(sent_at)?;
        match (answer, answered_at) {
            (GroupAnswer::Awaiting, _) | (_, None) => Some(due),
            (_, Some(at)) if at >= due => Some(due),
            (GroupAnswer::Rejected { .. }, Some(at)) => Some(at),
            (GroupAnswer::Accepted { .. }, Some(_)) => None,
        }
    }

    /// The instant an unanswered group sent at `sent_at` becomes overdue.
    pub fn due(&self, sent_at: Timestamp) -> Option<Timestamp> {
        sent_at.checked_add(hours(self.hours)).ok()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub case_type: String,
    #[serde(default)]
    pub description: String,
    pub severity: Severity,
    /// A party name, or `by_reason`: the accountable party of the shipment's current reason
    /// (carrier when there is none).
    pub accountable: String,
    pub owner_team: String,
    pub when: Condition,
    /// Resolves the open case when this holds. Without it the case resolves when `when` stops
    /// holding, unless `auto_resolve = false`.
    #[serde(default)]
    pub resolve_when: Option<Condition>,
    #[serde(default = "yes")]
    pub auto_resolve: bool,
    #[serde(default)]
    pub escalate: Vec<Escalation>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub when: Condition,
    pub severity: Severity,
}

/// Every field present must hold; `any` adds alternatives of which one must hold.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub status: Option<Vec<ShipmentStatus>>,
    pub not_status: Option<Vec<ShipmentStatus>>,
    pub terminal: Option<bool>,
    pub reason: Option<Vec<String>>,
    pub accountable: Option<Vec<Accountable>>,
    /// Carrier SCACs.
    pub carrier: Option<Vec<String>>,
    pub service: Option<Vec<String>>,
    /// parcel, ltl, ftl.
    pub mode: Option<Vec<String>>,
    pub direction: Option<Direction>,
    pub international: Option<bool>,
    pub picked_up: Option<bool>,
    /// ETA after the end of the promised day (destination time zone).
    pub eta_after_promised: Option<bool>,
    /// Delivered after the end of the promised day (destination time zone).
    pub delivered_late: Option<bool>,
    pub pod_required: Option<bool>,
    pub pod_attached: Option<bool>,
    /// International shipments: commercial invoice and customs documents attached.
    pub documents_complete: Option<bool>,
    pub hours_since_last_event: Option<f64>,
    pub hours_since_status: Option<f64>,
    pub hours_after_planned_pickup: Option<f64>,
    pub hours_after_promised: Option<f64>,
    pub hours_since_delivered: Option<f64>,
    pub any: Option<Vec<Condition>>,
}

/// What the engine knows about a shipment when it judges it.
#[derive(Debug, Clone)]
pub struct ShipmentFacts<'a> {
    pub status: ShipmentStatus,
    pub status_at: Option<Timestamp>,
    pub reason: Option<&'a str>,
    pub accountable: Option<Accountable>,
    pub carrier: &'a str,
    pub service: &'a str,
    pub mode: &'a str,
    pub direction: Direction,
    pub international: bool,
    pub planned_pickup_at: Option<Timestamp>,
    pub promised_by: Option<Timestamp>,
    /// Destination time zone: the promised day ends at midnight there.
    pub destination_tz: &'a str,
    pub eta: Option<Timestamp>,
    pub last_event_at: Option<Timestamp>,
    pub picked_up_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub pod_required: bool,
    pub pod_attached: bool,
    pub documents_complete: bool,
}

impl ShipmentFacts<'_> {
    fn promised_end_of_day(&self) -> Option<Timestamp> {
        let p = self.promised_by?;
        let tz = jiff::tz::TimeZone::get(self.destination_tz).unwrap_or(jiff::tz::TimeZone::UTC);
        let day = p.to_zoned(tz.clone()).date();
        day.tomorrow()
            .ok()
            .and_then(|d| d.to_zoned(tz).ok())
            .map(|z| z.timestamp())
            .or(Some(p))
    }
}

/// Outcome of a condition at `now`: holds, or the earliest instant it can come to hold if
/// nothing but time changes (`None`: not by time alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judgement {
    pub holds: bool,
    pub next: Option<Timestamp>,
}

const NEVER: Judgement = Judgement {
    holds: false,
    next: None,
};

fn hours(h: f64) -> SignedDuration {
    SignedDuration::from_secs_f64(h * 3600.0)
}

impl Condition {
    fn is_empty(&self) -> bool {
        let Condition {
            status,
            not_status,
            terminal,
            reason,
            accountable,
            carrier,
            service,
            mode,
            direction,
            international,
            picked_up,
            eta_after_promised,
            delivered_late,
            pod_required,
            pod_attached,
            documents_complete,
            hours_since_last_event,
            hours_since_status,
            hours_after_planned_pickup,
            hours_after_promised,
            hours_since_delivered,
            any,
        } = self;
        status.is_none()
            && not_status.is_none()
            && terminal.is_none()
            && reason.is_none()
            && accountable.is_none()
            && carrier.is_none()
            && service.is_none()
            && mode.is_none()
            && direction.is_none()
            && international.is_none()
            && picked_up.is_none()
            && eta_after_promised.is_none()
            && delivered_late.is_none()
            && pod_required.is_none()
            && pod_attached.is_none()
            && documents_complete.is_none()
            && hours_since_last_event.is_none()
            && hours_since_status.is_none()
            && hours_after_planned_pickup.is_none()
            && hours_after_promised.is_none()
            && hours_since_delivered.is_none()
            && any.is_none()
    }

    fn check(&self, at: &str, errors: &mut Vec<String>) {
        if self.is_empty() {
            errors.push(format!(
                "{at}: the condition is empty (it would always hold)"
            ));
        }
        if let Some(rs) = &self.reason {
            for r in rs {
                if !REASONS.iter().any(|(x, _)| x == r) {
                    errors.push(format!(
                        "{at}.reason: unknown reason '{r}'; expected one of {}",
                        REASONS.map(|(x, _)| x).join(", ")
                    ));
                }
            }
        }
        if let Some(ms) = &self.mode {
            for m in ms {
                if crate::party::Mode::parse(m).is_err() {
                    errors.push(format!(
                        "{at}.mode: unknown mode '{m}'; expected parcel, ltl or ftl"
                    ));
                }
            }
        }
        for (name, h) in [
            ("hours_since_last_event", self.hours_since_last_event),
            ("hours_since_status", self.hours_since_status),
            (
                "hours_after_planned_pickup",
                self.hours_after_planned_pickup,
            ),
            ("hours_after_promised", self.hours_after_promised),
            ("hours_since_delivered", self.hours_since_delivered),
        ] {
            if let Some(h) = h
                && (!h.is_finite() || h.abs() > 24.0 * 366.0)
            {
                errors.push(format!(
                    "{at}.{name}: {h} hours is outside ±8784 (one year)"
                ));
            }
        }
        if let Some(any) = &self.any {
            if any.is_empty() {
                errors.push(format!("{at}.any: must list at least one alternative"));
            }
            for (i, c) in any.iter().enumerate() {
                c.check(&format!("{at}.any[{i}]"), errors);
            }
        }
    }

    /// Does this condition name the event's status or reason? Then a new event with them,
    /// arriving while the case is open, is a repeated detection.
    fn mentions(&self, status: Option<ShipmentStatus>, reason: Option<&str>) -> bool {
        let s = status.is_some_and(|s| self.status.as_ref().is_some_and(|l| l.contains(&s)));
        let r = reason.is_some_and(|r| {
            self.reason
                .as_ref()
                .is_some_and(|l| l.iter().any(|x| x == r))
        });
        s || r
            || self
                .any
                .as_ref()
                .is_some_and(|a| a.iter().any(|c| c.mentions(status, reason)))
    }

    pub fn judge(&self, f: &ShipmentFacts, now: Timestamp) -> Judgement {
        fn within<T: PartialEq>(l: &Option<Vec<T>>, v: &T) -> bool {
            l.as_ref().is_none_or(|l| l.contains(v))
        }
        fn flag(want: Option<bool>, have: bool) -> bool {
            want.is_none_or(|w| w == have)
        }
        // The end of the promised day needs a time-zone lookup; only the few conditions that
        // mention the promise pay for it (judging runs once per event on the ingest path).
        let eod = || f.promised_end_of_day();
        let statics = within(&self.status, &f.status)
            && self
                .not_status
                .as_ref()
                .is_none_or(|l| !l.contains(&f.status))
            && flag(self.terminal, f.status.is_terminal())
            && self
                .reason
                .as_ref()
                .is_none_or(|l| f.reason.is_some_and(|r| l.iter().any(|x| x == r)))
            && self
                .accountable
                .as_ref()
                .is_none_or(|l| f.accountable.is_some_and(|a| l.contains(&a)))
            && self
                .carrier
                .as_ref()
                .is_none_or(|l| l.iter().any(|c| c.eq_ignore_ascii_case(f.carrier)))
            && self
                .service
                .as_ref()
                .is_none_or(|l| l.iter().any(|c| c.eq_ignore_ascii_case(f.service)))
            && self
                .mode
                .as_ref()
                .is_none_or(|l| l.iter().any(|c| c.eq_ignore_ascii_case(f.mode)))
            && self.direction.is_none_or(|d| d == f.direction)
            && flag(self.international, f.international)
            && flag(self.picked_up, f.picked_up_at.is_some())
            && self
                .eta_after_promised
                .is_none_or(|w| w == matches!((f.eta, eod()), (Some(e), Some(p)) if e > p))
            && self.delivered_late.is_none_or(|w| {
                w == matches!((f.delivered_at, eod()), (Some(d), Some(p)) if d > p)
            })
            && flag(self.pod_required, f.pod_required)
            && flag(self.pod_attached, f.pod_attached)
            && flag(self.documents_complete, f.documents_complete);
        if !statics {
            return NEVER;
        }
        // Time predicates: each has a threshold instant; all must be reached.
        let mut latest: Option<Timestamp> = None;
        for (h, anchor) in [
            (self.hours_since_last_event, f.last_event_at),
            (self.hours_since_status, f.status_at),
            (self.hours_after_planned_pickup, f.planned_pickup_at),
            (
                self.hours_after_promised,
                self.hours_after_promised.and_then(|_| eod()),
            ),
            (self.hours_since_delivered, f.delivered_at),
        ] {
            let Some(h) = h else { continue };
            let Some(anchor) = anchor else {
                return NEVER;
            };
            let Ok(threshold) = anchor.checked_add(hours(h)) else {
                return NEVER;
            };
            if threshold > now {
                latest = latest.max(Some(threshold));
            }
        }
        let own = Judgement {
            holds: latest.is_none(),
            next: latest,
        };
        let Some(any) = &self.any else { return own };
        let mut alt = NEVER;
        for c in any {
            let j = c.judge(f, now);
            if j.holds {
                alt = j;
                break;
            }
            alt.next = match (alt.next, j.next) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        match (own.holds, alt.holds) {
            (true, true) => own,
            _ if alt.next.is_none() && !alt.holds => NEVER,
            (true, false) => alt,
            (false, true) => own,
            (false, false) => Judgement {
                holds: false,
                next: own.next.max(alt.next),
            },
        }
    }
}

/// Why the shipment is being judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// New events arrived; the newest of them has this status and reason.
    Event {
        status: Option<ShipmentStatus>,
        reason: Option<&'a str>,
    },
    /// The shipment's `next_check_at` came due, or something other than an event changed.
    Sweep,
}

/// An open case of the shipment, as far as the engine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCase {
    pub case_type: String,
    pub severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseAction {
    Open {
        case_type: String,
        severity: Severity,
        accountable: String,
        owner_team: String,
        detail: String,
    },
    DetectedAgain {
        case_type: String,
        detail: String,
    },
    Escalate {
        case_type: String,
        from: Severity,
        to: Severity,
        detail: String,
    },
    Resolve {
        case_type: String,
        detail: String,
    },
}

impl CaseAction {
    pub fn case_type(&self) -> &str {
        match self {
            CaseAction::Open { case_type, .. }
            | CaseAction::DetectedAgain { case_type, .. }
            | CaseAction::Escalate { case_type, .. }
            | CaseAction::Resolve { case_type, .. } => case_type,
        }
    }
}

/// What the engine decided for one shipment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    pub actions: Vec<CaseAction>,
    /// The earliest instant at which the shipment must be judged again if nothing happens.
    pub next_check_at: Option<Timestamp>,
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn describe(f: &ShipmentFacts) -> String {
    let mut s = format!("status {}", f.status.as_str());
    if let Some(r) = f.reason {
        s.push_str(&format!(", reason {r}"));
    }
    if let Some(at) = f.status_at {
        s.push_str(&format!(" at {at}"));
    }
    s
}

impl Rulebook {
    /// Parses and checks a rulebook; every problem is reported with where it is (TOML line and
    /// column for syntax and unknown fields, the rule's index and field for the rest).
    pub fn parse(text: &str) -> Result<Rulebook, Vec<String>> {
        let book: Rulebook = toml::from_str(text).map_err(|e| vec![toml_error(text, &e)])?;
        let mut errors = Vec::new();
        if book.name.trim().is_empty() {
            errors.push("name: must not be empty".to_string());
        }
        if book.rules.is_empty() {
            errors.push("the rulebook has no [[rule]]".to_string());
        }
        for (i, r) in book.rules.iter().enumerate() {
            let at = format!("rule[{i}] ({})", r.case_type);
            if r.case_type.is_empty()
                || !r
                    .case_type
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
            {
                errors.push(format!(
                    "{at}.case_type: must be lower-case letters, digits and '_'"
                ));
            }
            if let Some(j) = book.rules[..i]
                .iter()
                .position(|o| o.case_type == r.case_type)
            {
                errors.push(format!(
                    "{at}.case_type: rule[{j}] already opens '{}' cases; put alternatives in `any`",
                    r.case_type
                ));
            }
            if r.accountable != "by_reason" && !CASE_PARTIES.contains(&r.accountable.as_str()) {
                errors.push(format!(
                    "{at}.accountable: unknown party '{}'; expected by_reason or one of {}",
                    r.accountable,
                    CASE_PARTIES.join(", ")
                ));
            }
            if r.owner_team.trim().is_empty() {
                errors.push(format!("{at}.owner_team: must not be empty"));
            }
            r.when.check(&format!("{at}.when"), &mut errors);
            if let Some(c) = &r.resolve_when {
                c.check(&format!("{at}.resolve_when"), &mut errors);
            }
            for (k, e) in r.escalate.iter().enumerate() {
                e.when
                    .check(&format!("{at}.escalate[{k}].when"), &mut errors);
                if e.severity <= r.severity {
                    errors.push(format!(
                        "{at}.escalate[{k}].severity: {} does not raise the rule's {}",
                        e.severity.as_str(),
                        r.severity.as_str()
                    ));
                }
            }
        }
        if let Some(c) = &book.carrier_silent {
            if !(c.hours.is_finite() && c.hours > 0.0 && c.hours <= 24.0 * 365.0) {
                errors.push(format!(
                    "carrier_silent.hours: {} is not a number of hours between 0 and a year",
                    c.hours
                ));
            }
            if c.owner_team.trim().is_empty() {
                errors.push("carrier_silent.owner_team: must not be empty".to_string());
            }
            if book.rules.iter().any(|r| r.case_type == "carrier_silent") {
                errors.push(
                    "carrier_silent: a shipment [[rule]] already opens 'carrier_silent' cases"
                        .to_string(),
                );
            }
        }
        if let Some(c) = &book.edi_unacknowledged {
            if !(c.hours.is_finite() && c.hours > 0.0 && c.hours <= 24.0 * 365.0) {
                errors.push(format!(
                    "edi_unacknowledged.hours: {} is not a number of hours between 0 and a year",
                    c.hours
                ));
            }
            if c.owner_team.trim().is_empty() {
                errors.push("edi_unacknowledged.owner_team: must not be empty".to_string());
            }
            if book
                .rules
                .iter()
                .any(|r| r.case_type == "edi_unacknowledged")
            {
                errors.push(
                    "edi_unacknowledged: a shipment [[rule]] already opens 'edi_unacknowledged' cases"
                        .to_string(),
                );
            }
        }
        if errors.is_empty() {
            Ok(book)
        } else {
            Err(errors)
        }
    }

    pub fn default_rulebook() -> Rulebook {
        Rulebook::parse(DEFAULT_RULEBOOK).expect("the shipped default rulebook is valid")
    }

    pub fn rule(&self, case_type: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.case_type == case_type)
    }

    /// Judges one shipment: the case actions to take and when to look again.
    pub fn judge(
        &self,
        f: &ShipmentFacts,
        open: &[OpenCase],
        trigger: Trigger,
        now: Timestamp,
    ) -> Verdict {
        let mut v = Verdict::default();
        for rule in &self.rules {
            let when = rule.when.judge(f, now);
            let current = open.iter().find(|c| c.case_type == rule.case_type);
            match current {
                None => {
                    if when.holds {
                        let severity = rule
                            .escalate
                            .iter()
                            .filter(|e| e.when.judge(f, now).holds)
                            .map(|e| e.severity)
                            .max()
                            .unwrap_or(rule.severity)
                            .max(rule.severity);
                        v.actions.push(CaseAction::Open {
                            case_type: rule.case_type.clone(),
                            severity,
                            accountable: self.accountable_for(rule, f),
                            owner_team: rule.owner_team.clone(),
                            detail: describe(f),
                        });
                        v.next_check_at = earliest(
                            v.next_check_at,
                            self.escalation_next(rule, f, severity, now),
                        );
                    } else {
                        v.next_check_at = earliest(v.next_check_at, when.next);
                    }
                }
                Some(case) => {
                    let resolves = match &rule.resolve_when {
                        Some(c) => {
                            let j = c.judge(f, now);
                            v.next_check_at = earliest(v.next_check_at, j.next);
                            j.holds
                        }
                        None => rule.auto_resolve && !when.holds,
                    };
                    if resolves {
                        v.actions.push(CaseAction::Resolve {
                            case_type: rule.case_type.clone(),
                            detail: describe(f),
                        });
                        // Resolved now, it may come back by time alone (a new stall).
                        if !when.holds {
                            v.next_check_at = earliest(v.next_check_at, when.next);
                        }
                        continue;
                    }
                    if when.holds
                        && let Trigger::Event { status, reason } = trigger
                        && rule.when.mentions(status, reason)
                    {
                        v.actions.push(CaseAction::DetectedAgain {
                            case_type: rule.case_type.clone(),
                            detail: describe(f),
                        });
                    }
                    let raised = rule
                        .escalate
                        .iter()
                        .filter(|e| e.severity > case.severity && e.when.judge(f, now).holds)
                        .map(|e| e.severity)
                        .max();
                    let severity = if let Some(to) = raised {
                        v.actions.push(CaseAction::Escalate {
                            case_type: rule.case_type.clone(),
                            from: case.severity,
                            to,
                            detail: describe(f),
                        });
                        to
                    } else {
                        case.severity
                    };
                    v.next_check_at = earliest(
                        v.next_check_at,
                        self.escalation_next(rule, f, severity, now),
                    );
                }
            }
        }
        v
    }

    fn escalation_next(
        &self,
        rule: &Rule,
        f: &ShipmentFacts,
        severity: Severity,
        now: Timestamp,
    ) -> Option<Timestamp> {
        rule.escalate
            .iter()
            .filter(|e| e.severity > severity)
            .filter_map(|e| e.when.judge(f, now).next)
            .min()
    }

    fn accountable_for(&self, rule: &Rule, f: &ShipmentFacts) -> String {
        if rule.accountable == "by_reason" {
            f.accountable
                .unwrap_or(Accountable::Carrier)
                .as_str()
                .to_string()
        } else {
            rule.accountable.clone()
        }
    }
}

/// A TOML error as one line: where (line and column) and what.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + h * 3600).unwrap()
    }

    fn facts() -> ShipmentFacts<'static> {
        ShipmentFacts {
            status: ShipmentStatus::InTransit,
            status_at: Some(t(0)),
            reason: None,
            accountable: None,
            carrier: "UPSN",
            service: "ground",
            mode: "parcel",
            direction: Direction::Outbound,
            international: false,
            planned_pickup_at: Some(t(-10)),
            promised_by: Some(t(72)),
            destination_tz: "UTC",
            eta: None,
            last_event_at: Some(t(0)),
            picked_up_at: Some(t(-8)),
            delivered_at: None,
            pod_required: false,
            pod_attached: false,
            documents_complete: true,
        }
    }

    fn types(v: &Verdict) -> Vec<(&'static str, String)> {
        v.actions
            .iter()
            .map(|a| {
                let k = match a {
                    CaseAction::Open { .. } => "open",
                    CaseAction::DetectedAgain { .. } => "again",
                    CaseAction::Escalate { .. } => "escalate",
                    CaseAction::Resolve { .. } => "resolve",
                };
                (k, a.case_type().to_string())
            })
            .collect()
    }

    #[test]
    fn the_default_rulebook_parses_and_covers_the_shipment_rules_of_spec_3() {
        let b = Rulebook::default_rulebook();
        for ty in [
            "late_pickup",
            "stalled",
            "delay_risk",
            "late_delivery",
            "delivery_failed",
            "address_issue",
            "damaged",
            "lost",
            "customs_hold",
            "missing_documents",
            "pod_missing",
            "returned_to_sender",
        ] {
            assert!(b.rule(ty).is_some(), "default rulebook lacks {ty}");
        }
    }

    #[test]
    fn stalled_fires_after_48_hours_for_parcel_and_24_for_ltl_and_resolves_on_a_new_scan() {
        let b = Rulebook::default_rulebook();
        let f = facts();
        let v = b.judge(&f, &[], Trigger::Sweep, t(47));
        assert!(!types(&v).contains(&("open", "stalled".into())));
        assert_eq!(
            v.next_check_at,
            Some(t(48)),
            "next look is when parcel stalls"
        );
        let v = b.judge(&f, &[], Trigger::Sweep, t(48));
        assert!(types(&v).contains(&("open", "stalled".into())), "{v:?}");
        let ltl = ShipmentFacts {
            mode: "ltl",
            ..facts()
        };
        let v = b.judge(&ltl, &[], Trigger::Sweep, t(24));
        assert!(types(&v).contains(&("open", "stalled".into())));
        // A new scan clears it.
        let open = [OpenCase {
            case_type: "stalled".into(),
            severity: Severity::Medium,
        }];
        let moved = ShipmentFacts {
            last_event_at: Some(t(49)),
            ..facts()
        };
        let v = b.judge(
            &moved,
            &open,
            Trigger::Event {
                status: Some(ShipmentStatus::InTransit),
                reason: None,
            },
            t(49),
        );
        assert_eq!(types(&v), vec![("resolve", "stalled".to_string())]);
        assert_eq!(v.next_check_at, Some(t(49 + 48)));
    }

    #[test]
    fn a_failed_attempt_opens_once_is_detected_again_and_resolves_on_delivery() {
        let b = Rulebook::default_rulebook();
        let f = ShipmentFacts {
            status: ShipmentStatus::DeliveryAttempted,
            reason: Some("recipient_unavailable"),
            accountable: Some(Accountable::Consignee),
            ..facts()
        };
        let ev = Trigger::Event {
            status: Some(ShipmentStatus::DeliveryAttempted),
            reason: Some("recipient_unavailable"),
        };
        let v = b.judge(&f, &[], ev, t(1));
        let open = v
            .actions
            .iter()
            .find(|a| a.case_type() == "delivery_failed")
            .expect("opens delivery_failed");
        assert!(
            matches!(open, CaseAction::Open { severity: Severity::High, accountable, .. } if accountable == "consignee")
        );
        let cases = [OpenCase {
            case_type: "delivery_failed".into(),
            severity: Severity::High,
        }];
        let v = b.judge(&f, &cases, ev, t(25));
        assert!(types(&v).contains(&("again", "delivery_failed".into())));
        assert!(
            !types(&v).contains(&("open", "delivery_failed".into())),
            "never a duplicate"
        );
        // Out for delivery again: still open (resolves on delivery only).
        let ofd = ShipmentFacts {
            status: ShipmentStatus::OutForDelivery,
            reason: None,
            ..facts()
        };
        assert!(
            !types(&b.judge(&ofd, &cases, Trigger::Sweep, t(26)))
                .iter()
                .any(|(_, c)| c == "delivery_failed")
        );
        let done = ShipmentFacts {
            status: ShipmentStatus::Delivered,
            delivered_at: Some(t(30)),
            ..facts()
        };
        assert!(
            types(&b.judge(&done, &cases, Trigger::Sweep, t(30)))
                .contains(&("resolve", "delivery_failed".into()))
        );
    }

    #[test]
    fn late_delivery_is_judged_at_the_end_of_the_promised_day_in_the_destination_zone() {
        let b = Rulebook::default_rulebook();
        // Promised 2027-01-15 (any hour): delivering at 23:00 New York time is on time, even
        // though that is the next day in UTC.
        let promised: Timestamp = "2027-01-15T15:00:00Z".parse().unwrap();
        let late_evening: Timestamp = "2027-01-16T04:00:00Z".parse().unwrap();
        let f = ShipmentFacts {
            status: ShipmentStatus::Delivered,
            delivered_at: Some(late_evening),
            promised_by: Some(promised),
            destination_tz: "America/New_York",
            ..facts()
        };
        assert!(
            !types(&b.judge(&f, &[], Trigger::Sweep, late_evening))
                .iter()
                .any(|(_, c)| c == "late_delivery")
        );
        let next_day: Timestamp = "2027-01-16T06:00:00Z".parse().unwrap();
        let f = ShipmentFacts {
            delivered_at: Some(next_day),
            ..f
        };
        assert!(
            types(&b.judge(&f, &[], Trigger::Sweep, next_day))
                .contains(&("open", "late_delivery".into()))
        );
    }

    #[test]
    fn an_open_case_escalates_when_its_escalation_condition_comes_due() {
        let b = Rulebook::default_rulebook();
        let f = ShipmentFacts {
            status: ShipmentStatus::Delayed,
            ..facts()
        };
        let v = b.judge(&f, &[], Trigger::Sweep, t(1));
        assert!(types(&v).contains(&("open", "delay_risk".into())));
        let open = [OpenCase {
            case_type: "delay_risk".into(),
            severity: Severity::Medium,
        }];
        // The promise's end of day passes while the shipment is still delayed.
        let v = b.judge(&f, &open, Trigger::Sweep, t(200));
        assert!(
            v.actions.iter().any(|a| matches!(
                a,
                CaseAction::Escalate {
                    to: Severity::High,
                    ..
                }
            )),
            "{v:?}"
        );
    }

    #[test]
    fn a_carrier_is_silent_after_its_hours_and_resolves_when_scans_resume() {
        let book = Rulebook::default_rulebook();
        let rule = book
            .carrier_silent
            .as_ref()
            .expect("the default rulebook has carrier_silent");
        assert_eq!(rule.hours, 12.0);
        assert_eq!(rule.judge(Some(t(0)), false, t(11)), SilenceAction::Nothing);
        assert!(matches!(
            rule.judge(Some(t(0)), false, t(12)),
            SilenceAction::Open { .. }
        ));
        // Already open: nothing new while it stays silent.
        assert_eq!(rule.judge(Some(t(0)), true, t(30)), SilenceAction::Nothing);
        assert!(matches!(
            rule.judge(Some(t(29)), true, t(30)),
            SilenceAction::Resolve { .. }
        ));
        assert!(matches!(
            rule.judge(None, true, t(30)),
            SilenceAction::Resolve { .. }
        ));
        // No shipment under way: never silent.
        assert_eq!(rule.judge(None, false, t(100)), SilenceAction::Nothing);
        let bad = Rulebook::parse(
            "name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"carrier\"\nowner_team = \"t\"\nwhen = { terminal = false }\n[carrier_silent]\nhours = -1\nseverity = \"high\"\nowner_team = \"\"\n",
        )
        .unwrap_err();
        assert!(
            bad.iter().any(|e| e.starts_with("carrier_silent.hours")),
            "{bad:?}"
        );
        assert!(
            bad.iter()
                .any(|e| e.starts_with("carrier_silent.owner_team")),
            "{bad:?}"
        );
    }

    #[test]
    fn a_sent_group_is_unacknowledged_when_overdue_or_rejected_until_accepted() {
        let book = Rulebook::default_rulebook();
        let rule = book
            .edi_unacknowledged
            .as_ref()
            .expect("the default rulebook has edi_unacknowledged");
        assert_eq!(rule.hours, 24.0);
        let awaiting = GroupAnswer::Awaiting;
        let sweep = AckTrigger::Sweep;
        assert_eq!(
            rule.judge(t(0), &awaiting, false, sweep, t(23)),
            AckAction::Nothing
        );
        assert!(matches!(
            rule.judge(t(0), &awaiting, false, sweep, t(24)),
            AckAction::Open { .. }
        ));
        assert_eq!(rule.due(t(0)), Some(t(24)));
        // Open already and still unanswered: nothing new at each sweep.
        assert_eq!(
            rule.judge(t(0), &awaiting, true, sweep, t(40)),
            AckAction::Nothing
        );
        // A rejection opens at once, before the 24 hours are up.
        let rejected = GroupAnswer::Rejected {
            why: "AK9 R".into(),
        };
        assert!(matches!(
            rule.judge(t(0), &rejected, false, AckTrigger::AnswerArrived, t(1)),
            AckAction::Open { .. }
        ));
        // Another rejecting 997 is a new detection; the sweep seeing the old one is not.
        assert!(matches!(
            rule.judge(t(0), &rejected, true, AckTrigger::AnswerArrived, t(2)),
            AckAction::DetectedAgain { .. }
        ));
        assert_eq!(
            rule.judge(t(0), &rejected, true, sweep, t(30)),
            AckAction::Nothing
        );
        let accepted = GroupAnswer::Accepted { ak9: "A".into() };
        assert!(matches!(
            rule.judge(t(0), &accepted, true, AckTrigger::AnswerArrived, t(30)),
            AckAction::Resolve { .. }
        ));
        assert_eq!(
            rule.judge(t(0), &accepted, false, sweep, t(30)),
            AckAction::Nothing
        );
        let bad = Rulebook::parse(
            "name = \"x\"\n[edi_unacknowledged]\nhours = 0\nseverity = \"medium\"\nowner_team = \" \"\n",
        )
        .unwrap_err();
        assert!(
            bad.iter()
                .any(|e| e.starts_with("edi_unacknowledged.hours")),
            "{bad:?}"
        );
        assert!(
            bad.iter()
                .any(|e| e.starts_with("edi_unacknowledged.owner_team")),
            "{bad:?}"
        );
    }

    #[test]
    fn replays_of_the_carrier_and_edi_rules_open_when_the_live_rules_would() {
        let book = Rulebook::default_rulebook();
        let silent = book.carrier_silent.as_ref().unwrap();
        // Shipment 1 picked up at 0 h, scanned at 5 h, then nothing until 30 h; shipment 2
        // delivered at 6 h (no longer under way, so its scan does not count).
        let scans = [
            (t(0), 1, true),
            (t(5), 1, true),
            (t(6), 2, false),
            (t(30), 1, true),
            (t(31), 1, false),
        ];
        assert_eq!(silent.replay(&scans, t(100)), vec![t(17)]);
        // Cut off before the silence is long enough: nothing.
        assert!(silent.replay(&scans, t(16)).is_empty());
        // A silence after the last shipment finished is not one.
        assert!(silent.replay(&scans[..2], t(100)).len() == 1);
        assert!(silent.replay(&[(t(0), 1, false)], t(100)).is_empty());

        let edi = book.edi_unacknowledged.as_ref().unwrap();
        let ok = GroupAnswer::Accepted { ak9: "A".into() };
        let no = GroupAnswer::Rejected {
            why: "AK9 R".into(),
        };
        assert_eq!(edi.replay(t(0), &ok, Some(t(1))), None);
        assert_eq!(edi.replay(t(0), &ok, Some(t(30))), Some(t(24)));
        assert_eq!(edi.replay(t(0), &no, Some(t(2))), Some(t(2)));
        assert_eq!(edi.replay(t(0), &GroupAnswer::Awaiting, None), Some(t(24)));
    }

    #[test]
    fn bad_rulebooks_are_refused_with_where_and_why() {
        let e =
            Rulebook::parse("name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = ").unwrap_err();
        assert!(e[0].starts_with("line 4"), "{e:?}");
        let e = Rulebook::parse(
            "name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"carrier\"\nowner_team = \"t\"\nwhen = { stauts = [\"delivered\"] }\n",
        )
        .unwrap_err();
        assert!(
            e[0].contains("line 7") && e[0].contains("unknown field `stauts`"),
            "{e:?}"
        );
        let e = Rulebook::parse(
            "name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"nobody\"\nowner_team = \"t\"\nwhen = { reason = [\"gremlins\"] }\n",
        )
        .unwrap_err();
        assert!(
            e.iter()
                .any(|m| m.contains("rule[0] (a).accountable: unknown party 'nobody'")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.contains("rule[0] (a).when.reason: unknown reason 'gremlins'")),
            "{e:?}"
        );
        let e = Rulebook::parse(
            "name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"carrier\"\nowner_team = \"t\"\nwhen = { status = [\"teleported\"] }\n",
        )
        .unwrap_err();
        assert!(e[0].contains("teleported"), "{e:?}");
        let e = Rulebook::parse(
            "name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"carrier\"\nowner_team = \"t\"\nwhen = {}\n",
        )
        .unwrap_err();
        assert!(e[0].contains("empty"), "{e:?}");
    }
}
