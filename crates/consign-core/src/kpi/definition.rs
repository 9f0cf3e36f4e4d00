//! A tenant's KPI definitions (SPEC §10): what its contract counts as on time and in full,
//! and what it leaves out. Versioned by the store; a scorecard names the version it used.

use crate::Invalid;
use crate::ids::CarrierId;
use crate::order::Channel;
use serde::{Deserialize, Serialize};

/// When a delivery is on time, in whole days between the delivery and the promise, both
/// read as dates in the destination's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OnTimeWindow {
    /// Days before the promise date still inside the window.
    pub days_early: i64,
    /// Days after the promise date still inside the window.
    pub days_late: i64,
    /// Whether a delivery earlier than the window counts as on time (SPEC's default: yes, a
    /// delivery by the promise is on time however early).
    pub early_counts: bool,
}

impl OnTimeWindow {
    /// Whether a delivery `days_late` days after the promise date (negative: before) is on
    /// time. Rollups keep counts by `days_late`, so any window reads them.
    pub fn on_time(&self, days_late: i64) -> bool {
        if days_late > self.days_late {
            return false;
        }
        days_late >= -self.days_early || self.early_counts
    }
}

/// How an order counts as in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InFullBasis {
    /// Every line delivered at least to the threshold of its quantity.
    Line,
    /// The order's units, all lines together, delivered at least to the threshold.
    Units,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InFullRule {
    pub basis: InFullBasis,
    /// Share of the ordered quantity, 0–100.
    pub threshold_percent: f64,
}

impl InFullRule {
    /// Whether `delivered` against `ordered` (per line, same order) is in full.
    pub fn in_full(&self, ordered: &[u32], delivered: &[u32]) -> bool {
        let got = |i: usize| delivered.get(i).copied().unwrap_or(0);
        let enough = |got: u64, want: u64| {
            // got × 100 ≥ want × threshold: at 100 % every unit, with no rounding of a share.
            (got as f64) * 100.0 >= (want as f64) * self.threshold_percent
        };
        match self.basis {
            InFullBasis::Line => ordered
                .iter()
                .enumerate()
                .all(|(i, &want)| enough(u64::from(got(i)), u64::from(want))),
            InFullBasis::Units => {
                let want: u64 = ordered.iter().map(|&q| u64::from(q)).sum();
                let have: u64 = (0..ordered.len())
                    .map(|i| u64::from(got(i).min(ordered[i])))
                    .sum();
                enough(have, want)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KpiDefinitions {
    pub on_time: OnTimeWindow,
    pub in_full: InFullRule,
    /// Carriers whose shipments (and the orders they carry) the contract leaves out.
    #[serde(default)]
    pub exclude_carriers: Vec<CarrierId>,
    /// Sales channels the contract leaves out.
    #[serde(default)]
    pub exclude_channels: Vec<Channel>,
}

impl Default for KpiDefinitions {
    /// SPEC §10: delivered by the promise date, early counts; every unit of every line.
    fn default() -> Self {
        KpiDefinitions {
            on_time: OnTimeWindow {
                days_early: 0,
                days_late: 0,
                early_counts: true,
            },
            in_full: InFullRule {
                basis: InFullBasis::Line,
                threshold_percent: 100.0,
            },
            exclude_carriers: Vec::new(),
            exclude_channels: Vec::new(),
        }
    }
}

/// The widest window a contract may set: a month either side is not a promise any more.
pub const MAX_WINDOW_DAYS: i64 = 31;

impl KpiDefinitions {
    /// Every problem at once, each under its field's path.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut inv = Invalid::default();
        for (field, v) in [
            ("on_time.days_early", self.on_time.days_early),
            ("on_time.days_late", self.on_time.days_late),
        ] {
            if v < 0 {
                inv.push(
                    field,
                    format!("{v} is negative; a window is 0 days or more"),
                );
            } else if v > MAX_WINDOW_DAYS {
                inv.push(field, format!("{v} is more than {MAX_WINDOW_DAYS} days"));
            }
        }
        let t = self.in_full.threshold_percent;
        if !(0.0..=100.0).contains(&t) || t.is_nan() {
            inv.push(
                "in_full.threshold_percent",
                format!("{t} is outside 0–100 %"),
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.exclude_carriers.iter().enumerate() {
            if !seen.insert(c) {
                inv.push(format!("exclude_carriers[{i}]"), "listed twice");
            }
        }
        inv.into_result(())
    }

    pub fn excludes_channel(&self, channel: Channel) -> bool {
        self.exclude_channels.contains(&channel)
    }

    pub fn excludes(&self, carrier: CarrierId, channel: Option<Channel>) -> bool {
        self.exclude_carriers.contains(&carrier)
            || channel.is_some_and(|c| self.exclude_channels.contains(&c))
    }
}
