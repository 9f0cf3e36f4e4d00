//! The records behind a figure: a scorecard's every figure links to the list of exactly the
//! shipments or orders it counted (its denominator) or those it counted as hits (its
//! numerator). A [`RecordFilter`] says which, in the terms of the facts rows; the store turns
//! it into a list filter.

use super::definition::{KpiDefinitions, OnTimeWindow};
use super::period::Period;
use crate::Invalid;
use crate::ids::CarrierId;
use crate::order::Channel;
use jiff::civil::Date;

/// Which side of a figure: the hits (numerator), or the rest of the denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Hit,
    Miss,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKind {
    /// Shipments delivered on the days with a promise, judged by the window.
    OnTime(OnTimeWindow),
    /// Shipments delivered on the days without a promise.
    WithoutPromise,
    /// Shipments that left on the days (on one lane, when given); a hit has a case (of the
    /// type, or that the party is accountable for, when given).
    Exceptions {
        case_type: Option<String>,
        party: Option<String>,
        lane: Option<String>,
    },
    /// Orders due on the days counted under the definitions version; a hit was OTIF.
    Otif { version: i64 },
    /// The same; a hit was a perfect order.
    Perfect { version: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFilter {
    pub first: Date,
    pub last: Date,
    pub kind: RecordKind,
    /// `None`: every record the figure counted.
    pub outcome: Option<Outcome>,
    pub exclude_carriers: Vec<CarrierId>,
    pub exclude_channels: Vec<Channel>,
}

/// The figures whose records can be listed, and whether they are shipments.
pub const FIGURES: [(&str, bool); 8] = [
    ("on_time_delivery", true),
    ("delivered_without_promise", true),
    ("exception_rate", true),
    ("exceptions_by_reason", true),
    ("exceptions_by_accountable", true),
    ("exceptions_by_lane", true),
    ("otif", false),
    ("perfect_order", false),
];

impl RecordFilter {
    /// The records of `figure` (with its breakdown `key`) in `period` under `def` (version
    /// `version`); `outcome` is `hit`, `miss` or absent.
    pub fn parse(
        figure: &str,
        key: Option<&str>,
        outcome: Option<&str>,
        period: &Period,
        def: &KpiDefinitions,
        version: i64,
    ) -> Result<RecordFilter, Invalid> {
        let outcome = match outcome {
            None => None,
            Some("hit") => Some(Outcome::Hit),
            Some("miss") => Some(Outcome::Miss),
            Some(o) => {
                return Err(Invalid::one(
                    "kpi_outcome",
                    format!("'{o}' is not hit or miss"),
                ));
            }
        };
        let key = || {
            key.map(str::to_string).ok_or_else(|| {
                Invalid::one(
                    "kpi_key",
                    format!(
                        "{figure} is broken down: name the entry (a reason, a party or a lane)"
                    ),
                )
            })
        };
        let kind = match figure {
            "on_time_delivery" => RecordKind::OnTime(def.on_time),
            "delivered_without_promise" => {
                if outcome.is_some() {
                    return Err(Invalid::one(
                        "kpi_outcome",
                        "deliveries without a promise are not judged: list them without an outcome",
                    ));
                }
                RecordKind::WithoutPromise
            }
            "exception_rate" => RecordKind::Exceptions {
                case_type: None,
                party: None,
                lane: None,
            },
            "exceptions_by_reason" => RecordKind::Exceptions {
                case_type: Some(key()?),
                party: None,
                lane: None,
            },
            "exceptions_by_accountable" => RecordKind::Exceptions {
                case_type: None,
                party: Some(key()?),
                lane: None,
            },
            "exceptions_by_lane" => RecordKind::Exceptions {
                case_type: None,
                party: None,
                lane: Some(key()?),
            },
            "otif" => RecordKind::Otif { version },
            "perfect_order" => RecordKind::Perfect { version },
            other => {
                let known: Vec<&str> = FIGURES.iter().map(|f| f.0).collect();
                return Err(Invalid::one(
                    "kpi",
                    format!(
                        "'{other}' is not a figure with records; expected one of {}",
                        known.join(", ")
                    ),
                ));
            }
        };
        Ok(RecordFilter {
            first: period.first_day(),
            last: period.last_day(),
            kind,
            outcome,
            exclude_carriers: def.exclude_carriers.clone(),
            exclude_channels: def.exclude_channels.clone(),
        })
    }

    /// Whether the records are orders (else shipments).
    pub fn lists_orders(&self) -> bool {
        matches!(
            self.kind,
            RecordKind::Otif { .. } | RecordKind::Perfect { .. }
        )
    }
}
