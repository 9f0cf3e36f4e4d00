//! How a work queue sees an open case: how urgent its next SLA deadline is and how old the
//! case is. The queue's filters, its countdowns and the supervisor's backlog grid all read
//! these, so an "at risk" tile and the rows behind it agree by construction.

use jiff::{SignedDuration, Timestamp};

/// A deadline this close is at risk: an agent who opens the case now still has time to act.
pub const AT_RISK: SignedDuration = SignedDuration::from_hours(2);

/// The state of an open case's next SLA deadline at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DueState {
    Breached,
    AtRisk,
    OnTrack,
    /// No SLA target runs (none applies, or every one is met).
    NoDeadline,
}

/// The deadlines a due state selects at an instant: `from <= due < before`, or no deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueWindow {
    Between {
        from: Option<Timestamp>,
        before: Option<Timestamp>,
    },
    NoDeadline,
}

impl DueState {
    pub const ALL: [DueState; 4] = [
        DueState::Breached,
        DueState::AtRisk,
        DueState::OnTrack,
        DueState::NoDeadline,
    ];

    pub fn of(due: Option<Timestamp>, now: Timestamp) -> DueState {
        match due {
            None => DueState::NoDeadline,
            Some(d) if d < now => DueState::Breached,
            Some(d) if d < now + AT_RISK => DueState::AtRisk,
            Some(_) => DueState::OnTrack,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DueState::Breached => "breached",
            DueState::AtRisk => "at_risk",
            DueState::OnTrack => "on_track",
            DueState::NoDeadline => "no_deadline",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DueState::Breached => "breached",
            DueState::AtRisk => "at risk (due within 2 h)",
            DueState::OnTrack => "on track",
            DueState::NoDeadline => "no deadline",
        }
    }

    /// The label of a narrow column.
    pub fn short_label(self) -> &'static str {
        match self {
            DueState::AtRisk => "at risk",
            other => other.label(),
        }
    }

    pub fn parse(s: &str) -> Option<DueState> {
        DueState::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The deadlines in this state at `now` (what a filter on it asks the store for).
    pub fn window(self, now: Timestamp) -> DueWindow {
        match self {
            DueState::Breached => DueWindow::Between {
                from: None,
                before: Some(now),
            },
            DueState::AtRisk => DueWindow::Between {
                from: Some(now),
                before: Some(now + AT_RISK),
            },
            DueState::OnTrack => DueWindow::Between {
                from: Some(now + AT_RISK),
                before: None,
            },
            DueState::NoDeadline => DueWindow::NoDeadline,
        }
    }
}

/// How long a case has been open, in SPEC §10's backlog buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeBucket {
    Under4h,
    Under1d,
    Under3d,
    Under7d,
    Over7d,
}

impl AgeBucket {
    pub const ALL: [AgeBucket; 5] = [
        AgeBucket::Under4h,
        AgeBucket::Under1d,
        AgeBucket::Under3d,
        AgeBucket::Under7d,
        AgeBucket::Over7d,
    ];

    /// The bucket's ages in hours: `[min, max)`.
    fn hours(self) -> (i64, Option<i64>) {
        match self {
            AgeBucket::Under4h => (0, Some(4)),
            AgeBucket::Under1d => (4, Some(24)),
            AgeBucket::Under3d => (24, Some(72)),
            AgeBucket::Under7d => (72, Some(168)),
            AgeBucket::Over7d => (168, None),
        }
    }

    pub fn of(opened_at: Timestamp, now: Timestamp) -> AgeBucket {
        let age = now.duration_since(opened_at);
        AgeBucket::ALL
            .into_iter()
            .find(|b| {
                b.hours()
                    .1
                    .is_none_or(|max| age < SignedDuration::from_hours(max))
            })
            .unwrap_or(AgeBucket::Over7d)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBucket::Under4h => "under_4h",
            AgeBucket::Under1d => "4h_1d",
            AgeBucket::Under3d => "1d_3d",
            AgeBucket::Under7d => "3d_7d",
            AgeBucket::Over7d => "over_7d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBucket::Under4h => "< 4 h",
            AgeBucket::Under1d => "4–24 h",
            AgeBucket::Under3d => "1–3 d",
            AgeBucket::Under7d => "3–7 d",
            AgeBucket::Over7d => "> 7 d",
        }
    }

    pub fn parse(s: &str) -> Option<AgeBucket> {
        AgeBucket::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// The opening instants of the cases in this bucket at `now`: `(opened_from, opened_to)`,
    /// `from` inclusive, `to` exclusive.
    pub fn opened_window(self, now: Timestamp) -> (Option<Timestamp>, Option<Timestamp>) {
        let (min, max) = self.hours();
        let from = max.map(|h| now - SignedDuration::from_hours(h));
        let to = now - SignedDuration::from_hours(min);
        // Bounds are exclusive of the bucket's edge at the store's microsecond precision.
        // The youngest bucket holds every case opened up to now (and a clock skew's worth
        // after it), so it has no upper bound.
        (
            from.map(|f| f + SignedDuration::from_micros(1)),
            (min > 0).then_some(to + SignedDuration::from_micros(1)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_deadline_is_breached_at_risk_or_on_track_and_its_window_selects_it() {
        let now = at("2026-12-01T12:00:00Z");
        let cases = [
            (None, DueState::NoDeadline),
            (Some(at("2026-12-01T11:59:59Z")), DueState::Breached),
            (Some(now), DueState::AtRisk),
            (Some(at("2026-12-01T13:59:59Z")), DueState::AtRisk),
            (Some(at("2026-12-01T14:00:00Z")), DueState::OnTrack),
        ];
        for (due, state) in cases {
            assert_eq!(DueState::of(due, now), state, "{due:?}");
            // Exactly one state's window holds each deadline: the filter and the tile agree.
            for other in DueState::ALL {
                let inside = match (other.window(now), due) {
                    (DueWindow::NoDeadline, d) => d.is_none(),
                    (DueWindow::Between { .. }, None) => false,
                    (DueWindow::Between { from, before }, Some(d)) => {
                        from.is_none_or(|f| d >= f) && before.is_none_or(|b| d < b)
                    }
                };
                assert_eq!(inside, other == state, "{due:?} in {other:?}");
            }
            assert_eq!(DueState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn an_age_falls_in_one_bucket_and_its_window_selects_it() {
        let now = at("2026-12-08T12:00:00Z");
        let cases = [
            ("2026-12-08T11:00:00Z", AgeBucket::Under4h),
            ("2026-12-08T08:00:01Z", AgeBucket::Under4h),
            ("2026-12-08T08:00:00Z", AgeBucket::Under1d),
            ("2026-12-07T12:00:00Z", AgeBucket::Under3d),
            ("2026-12-05T12:00:01Z", AgeBucket::Under3d),
            ("2026-12-05T12:00:00Z", AgeBucket::Under7d),
            ("2026-12-01T12:00:00Z", AgeBucket::Over7d),
            ("2026-01-01T00:00:00Z", AgeBucket::Over7d),
        ];
        for (opened, bucket) in cases {
            let opened = at(opened);
            assert_eq!(AgeBucket::of(opened, now), bucket, "{opened}");
            for other in AgeBucket::ALL {
                let (from, to) = other.opened_window(now);
                let inside = from.is_none_or(|f| opened >= f) && to.is_none_or(|t| opened < t);
                assert_eq!(inside, other == bucket, "{opened} in {other:?}");
            }
            assert_eq!(AgeBucket::parse(bucket.as_str()), Some(bucket));
        }
    }
}
