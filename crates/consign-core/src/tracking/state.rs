//! A shipment's state derived from its events, whatever order they arrive in (SPEC §2).

use crate::reasons::Accountable;
use crate::shipment::ShipmentStatus;
use jiff::Timestamp;

/// One status event as far as state derivation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub occurred_at: Timestamp,
    /// `None` for events that carry only an ETA or a reason.
    pub status: Option<ShipmentStatus>,
    pub eta: Option<Timestamp>,
    pub reason: Option<&'static str>,
    pub accountable: Option<Accountable>,
    /// A person's statement (a manual override), not a carrier's scan: it sets the status it
    /// states but does not count as the carrier having been heard from.
    pub manual: bool,
}

impl Observation {
    pub fn status(occurred_at: Timestamp, status: ShipmentStatus) -> Self {
        Observation {
            occurred_at,
            status: Some(status),
            eta: None,
            reason: None,
            accountable: None,
            manual: false,
        }
    }
}

/// A shipment's state as its events imply. Stored on the shipment row and updated one event
/// at a time by [`TrackingState::apply`]; because `apply` is order-independent, folding the
/// events in any order (or twice) gives the same state as [`derive_state`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingState {
    pub status: ShipmentStatus,
    pub status_at: Option<Timestamp>,
    /// Reason and accountable party of the event that set the status.
    pub reason: Option<&'static str>,
    pub accountable: Option<Accountable>,
    pub eta: Option<Timestamp>,
    /// When the ETA in force was reported: a later report replaces it, an earlier one not.
    pub eta_at: Option<Timestamp>,
    pub last_event_at: Option<Timestamp>,
    /// First scan that shows the carrier has the freight.
    pub picked_up_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
}

impl TrackingState {
    pub fn new(initial: ShipmentStatus) -> Self {
        TrackingState {
            status: initial,
            status_at: None,
            reason: None,
            accountable: None,
            eta: None,
            eta_at: None,
            last_event_at: None,
            picked_up_at: None,
            delivered_at: None,
        }
    }

    /// Folds one event in. Returns whether anything changed.
    pub fn apply(&mut self, e: &Observation) -> bool {
        let before = self.clone();
        if !e.manual {
            self.last_event_at = self.last_event_at.max(Some(e.occurred_at));
        }
        if let Some(eta) = e.eta
            && self.eta_at.is_none_or(|a| e.occurred_at >= a)
        {
            // Two reports at the same instant: the later ETA wins, whatever the arrival order.
            if self.eta_at == Some(e.occurred_at) {
                self.eta = self.eta.max(Some(eta));
            } else {
                self.eta = Some(eta);
            }
            self.eta_at = Some(e.occurred_at);
        }
        if let Some(s) = e.status {
            if shows_pickup(s) {
                self.picked_up_at = Some(
                    self.picked_up_at
                        .map_or(e.occurred_at, |p| p.min(e.occurred_at)),
                );
            }
            let key = |st: ShipmentStatus, r: Option<&str>| (rank(st), r.unwrap_or("").to_string());
            // An unmapped code says nothing about where the freight is: it is kept and counted
            // (a data-quality signal) but never replaces a status the carrier did tell us.
            let replaces = s != ShipmentStatus::Unknown || self.status == ShipmentStatus::Unknown;
            let replaces = replaces
                && match self.status_at {
                    None => true,
                    // SPEC §2: the latest occurrence wins, so a terminal status stands against
                    // anything that happened before it, however late that arrives.
                    Some(at) if e.occurred_at > at => true,
                    Some(at) if e.occurred_at == at => {
                        key(s, e.reason) > key(self.status, self.reason)
                    }
                    Some(_) => false,
                };
            if replaces {
                self.status = s;
                self.status_at = Some(e.occurred_at);
                self.reason = e.reason;
                self.accountable = e.accountable;
            }
            if s == ShipmentStatus::Delivered {
                self.delivered_at = Some(
                    self.delivered_at
                        .map_or(e.occurred_at, |d| d.min(e.occurred_at)),
                );
            }
        }
        *self != before
    }
}

/// Statuses that prove the carrier has the freight.
fn shows_pickup(s: ShipmentStatus) -> bool {
    use ShipmentStatus::*;
    matches!(
        s,
        PickedUp
            | InTransit
            | OutForDelivery
            | AvailableForPickup
            | DeliveryAttempted
            | Delayed
            | ReturningToSender
            | ReturnedToSender
            | Delivered
    )
}

/// Tie-break for events at the same instant: further along the journey wins, terminal last.
pub fn rank(s: ShipmentStatus) -> u8 {
    use ShipmentStatus::*;
    match s {
        Unknown => 0,
        InfoReceived => 1,
        PickedUp => 2,
        InTransit => 3,
        Delayed => 4,
        OnHold => 5,
        Exception => 6,
        OutForDelivery => 7,
        AvailableForPickup => 8,
        DeliveryAttempted => 9,
        ReturningToSender => 10,
        Cancelled => 11,
        Lost => 12,
        ReturnedToSender => 13,
        Delivered => 14,
    }
}

/// SPEC §2: the status of the event that occurred last (ties by [`rank`]); a terminal status is
/// never replaced by a non-terminal one. The result does not depend on the order in which
/// events arrived, and duplicates change nothing.
pub fn derive_state(initial: ShipmentStatus, events: &[Observation]) -> TrackingState {
    let mut state = TrackingState::new(initial);
    for e in events {
        state.apply(e);
    }
    state
}
