//! `carrier_silent` (SPEC §3): judged per carrier, not per shipment.

use super::condition::hours;
use crate::case::Severity;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

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
