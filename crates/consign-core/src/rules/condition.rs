//! The predicates shipment rules are made of, the facts they are judged on, and when a false
//! condition can next become true (every time predicate is monotone).

use crate::reasons::{Accountable, REASONS};
use crate::shipment::{Direction, ShipmentStatus};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

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

pub(super) fn hours(h: f64) -> SignedDuration {
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

    pub(super) fn check(&self, at: &str, errors: &mut Vec<String>) {
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
    pub(super) fn mentions(&self, status: Option<ShipmentStatus>, reason: Option<&str>) -> bool {
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

// Here rather than in `tracking`: the rule engine reads tracking's state, never the other way
// round, so the two modules do not import each other.
impl crate::tracking::TrackedShipment {
    /// What the rule engine judges this shipment on.
    pub fn facts(&self) -> ShipmentFacts<'_> {
        ShipmentFacts {
            status: self.state.status,
            status_at: self.state.status_at,
            reason: self.state.reason,
            accountable: self.state.accountable,
            carrier: &self.carrier_scac,
            service: &self.service,
            mode: &self.mode,
            direction: self.direction,
            international: self.international,
            planned_pickup_at: self.planned_pickup_at,
            promised_by: self.promised_by,
            destination_tz: &self.destination_tz,
            eta: self.state.eta,
            // A shipment picked up at creation and never scanned since has been silent since
            // its pickup.
            last_event_at: self.state.last_event_at.or(self.state.picked_up_at),
            picked_up_at: self.state.picked_up_at,
            delivered_at: self.state.delivered_at,
            pod_required: self.pod_required,
            pod_attached: self.pod_attached,
            documents_complete: self.documents_complete || !self.international,
        }
    }
}
