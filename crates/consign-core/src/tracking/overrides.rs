//! A person's correction of a shipment: its status or its promised date set by hand, with a
//! reason. The correction is recorded as a manual event in the shipment's history, so the
//! shipment's state stays a projection of its events (SPEC §2) and a later carrier scan is
//! judged against it like any other event.

use super::{TrackingEvent, dedup_key};
use crate::Invalid;
use crate::ids::EventId;
use crate::shipment::{Shipment, ShipmentStatus};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The `source` of every manual event: it marks the event as a person's statement rather than
/// a carrier's scan (see [`Observation::manual`]).
pub const MANUAL_SOURCE: &str = "manual";

/// What an agent submits (`POST …/shipments/{id}/overrides`, `consign shipments override`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShipmentOverride {
    /// The status the shipment is in, as a canonical status word (SPEC §2).
    #[serde(default)]
    pub status: Option<String>,
    /// When the status took effect (a customer confirming yesterday's delivery, say); defaults
    /// to now.
    #[serde(default)]
    pub occurred_at: Option<Timestamp>,
    /// The new promised delivery instant.
    #[serde(default)]
    pub promised_by: Option<Timestamp>,
    /// Why: required, kept on the event and in the audit trail.
    pub reason: String,
}

/// A checked override: what changes, and the manual event that records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedOverride {
    pub status: Option<ShipmentStatus>,
    /// `Some` only when the promise changes.
    pub promised_by: Option<Timestamp>,
    pub event: TrackingEvent,
}

/// Checks an override against the shipment as it stands and builds its manual event.
/// `actor` is written into the event's description so the history says who, not only why.
pub fn plan_override(
    shipment: &Shipment,
    req: &ShipmentOverride,
    actor: &str,
    now: Timestamp,
    event_id: EventId,
) -> Result<PlannedOverride, Invalid> {
    let mut inv = Invalid::default();
    // Stored to the microsecond: an instant finer than that would compare as a change that
    // the stored row cannot show.
    let micros = |t: Timestamp| Timestamp::from_microsecond(t.as_microsecond()).unwrap_or(t);
    let req = &ShipmentOverride {
        occurred_at: req.occurred_at.map(micros),
        promised_by: req.promised_by.map(micros),
        ..req.clone()
    };
    let reason = req.reason.trim();
    if reason.is_empty() {
        inv.push(
            "reason",
            "required: say why the shipment is corrected by hand",
        );
    } else if reason.chars().count() > 400 {
        inv.push("reason", "must be at most 400 characters");
    }
    let status = match req.status.as_deref().map(ShipmentStatus::parse) {
        None => None,
        Some(Ok(ShipmentStatus::Unknown)) => {
            inv.push(
                "status",
                "'unknown' is what an unmapped carrier code says; set a status you know",
            );
            None
        }
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            inv.push("status", e);
            None
        }
    };
    let occurred_at = req.occurred_at.unwrap_or(now);
    if let Some(at) = req.occurred_at {
        if req.status.is_none() {
            inv.push("occurred_at", "only with a status: it dates the status");
        }
        crate::time::check_plausible("occurred_at", at, now, &mut inv);
        if at > now {
            inv.push(
                "occurred_at",
                format!("{at} is in the future; a status set by hand has already happened"),
            );
        }
    }
    if let Some(p) = req.promised_by {
        crate::time::check_plausible("promised_by", p, now, &mut inv);
    }
    let promise_changes = req.promised_by.is_some() && req.promised_by != shipment.promised_by;
    if req.status.is_none() && req.promised_by.is_none() {
        inv.push(
            "status",
            "nothing to change: give a status, a promised_by, or both",
        );
    } else if req.status.is_none() && !promise_changes {
        inv.push(
            "promised_by",
            format!(
                "shipment {} is already promised by {}",
                shipment.number,
                req.promised_by.map(|p| p.to_string()).unwrap_or_default()
            ),
        );
    }
    if !inv.is_empty() {
        return Err(inv);
    }
    let mut what = Vec::new();
    if let Some(s) = status {
        what.push(format!("status {}", s.as_str()));
    }
    if promise_changes {
        let show = |t: Option<Timestamp>| t.map_or("none".to_string(), |t| t.to_string());
        what.push(format!(
            "promise {} → {}",
            show(shipment.promised_by),
            show(req.promised_by)
        ));
    }
    let description = format!("set by hand ({}) by {actor}: {reason}", what.join(", "));
    let raw_code = if status.is_some() {
        "manual_status"
    } else {
        "manual_promise"
    };
    // A manual event's message id is its own id: re-sending the request (with the same
    // Idempotency-Key) is what replays it; two overrides are two statements.
    let message_id = format!("{MANUAL_SOURCE}:{event_id}");
    Ok(PlannedOverride {
        status,
        promised_by: if promise_changes {
            req.promised_by
        } else {
            None
        },
        event: TrackingEvent {
            id: event_id,
            tenant_id: shipment.tenant_id,
            carrier_id: shipment.carrier_id,
            shipment_id: Some(shipment.id),
            tracking_number: shipment.tracking_number.clone(),
            occurred_at,
            received_at: now,
            status,
            reason: None,
            accountable: None,
            eta: None,
            source: MANUAL_SOURCE.to_string(),
            dedup_key: dedup_key(
                shipment.carrier_id,
                Some(&message_id),
                &shipment.tracking_number,
                raw_code,
                occurred_at,
                "",
            ),
            message_id: Some(message_id),
            raw_code: raw_code.to_string(),
            raw_reason: String::new(),
            location: String::new(),
            description: description.chars().take(500).collect(),
            unmapped: false,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::{Observation, derive_state};

    fn shipment() -> Shipment {
        serde_json::from_value(serde_json::json!({
            "id": "0192f7a0-0000-7000-8000-000000000001",
            "tenant_id": "0192f7a0-0000-7000-8000-000000000002",
            "number": "SH-1",
            "carrier_id": "0192f7a0-0000-7000-8000-000000000003",
            "service_level": "ground",
            "tracking_number": "1Z1",
            "direction": "outbound",
            "order_id": null,
            "origin": {"city": "Reno", "postal_code": "89501", "country": "US", "time_zone": "America/Los_Angeles"},
            "destination": {"city": "Austin", "postal_code": "78701", "country": "US", "time_zone": "America/Chicago"},
            "weight_kg": "1.5",
            "pieces": 1,
            "planned_pickup_at": null,
            "promised_by": "2026-12-01T18:00:00Z",
            "international": false,
            "pod_required": false,
            "status": "in_transit",
            "picked_up_at": null,
            "delivered_at": null,
            "lines": [],
            "created_at": "2026-11-28T10:00:00Z",
            "updated_at": "2026-11-28T10:00:00Z"
        }))
        .expect("a valid shipment")
    }

    fn now() -> Timestamp {
        "2026-12-02T12:00:00Z".parse().unwrap()
    }

    fn req(status: Option<&str>, promise: Option<&str>, reason: &str) -> ShipmentOverride {
        ShipmentOverride {
            status: status.map(String::from),
            occurred_at: None,
            promised_by: promise.map(|p| p.parse().unwrap()),
            reason: reason.into(),
        }
    }

    fn id() -> EventId {
        EventId::new_at(now(), 7)
    }

    #[test]
    fn a_status_override_is_a_manual_event_that_wins_as_the_latest() {
        let s = shipment();
        let p = plan_override(
            &s,
            &req(Some("lost"), None, "carrier confirmed by phone"),
            "user:a",
            now(),
            id(),
        )
        .unwrap();
        assert_eq!(p.status, Some(ShipmentStatus::Lost));
        assert_eq!(p.promised_by, None);
        assert_eq!(p.event.source, MANUAL_SOURCE);
        assert_eq!(p.event.occurred_at, now());
        assert!(p.event.description.contains("status lost"));
        assert!(p.event.description.contains("by user:a"));
        assert!(p.event.description.contains("carrier confirmed by phone"));
        let delivered = Observation::status(
            "2026-12-01T09:00:00Z".parse().unwrap(),
            ShipmentStatus::Delivered,
        );
        let state = derive_state(
            ShipmentStatus::InTransit,
            &[delivered, p.event.observation()],
        );
        assert_eq!(
            state.status,
            ShipmentStatus::Lost,
            "a correction after delivery stands"
        );
        assert_eq!(
            state.last_event_at,
            Some("2026-12-01T09:00:00Z".parse().unwrap()),
            "a manual event is not a carrier scan"
        );
    }

    #[test]
    fn a_promise_override_changes_only_the_promise() {
        let s = shipment();
        let p = plan_override(
            &s,
            &req(
                None,
                Some("2026-12-05T18:00:00Z"),
                "customer agreed a later date",
            ),
            "user:a",
            now(),
            id(),
        )
        .unwrap();
        assert_eq!(p.status, None);
        assert_eq!(p.promised_by, Some("2026-12-05T18:00:00Z".parse().unwrap()));
        assert_eq!(p.event.raw_code, "manual_promise");
        assert!(
            p.event
                .description
                .contains("promise 2026-12-01T18:00:00Z → 2026-12-05T18:00:00Z")
        );
        let mut state = derive_state(ShipmentStatus::InTransit, &[]);
        assert!(!state.apply(&p.event.observation()), "no state change");
    }

    #[test]
    fn bad_overrides_name_their_field() {
        let s = shipment();
        let cases = [
            (req(Some("lost"), None, "  "), "reason"),
            (req(Some("teleported"), None, "x"), "status"),
            (req(Some("unknown"), None, "x"), "status"),
            (req(None, None, "x"), "status"),
            (req(None, Some("2026-12-01T18:00:00Z"), "x"), "promised_by"),
            (req(None, Some("1999-01-01T00:00:00Z"), "x"), "promised_by"),
            (
                ShipmentOverride {
                    occurred_at: Some("2026-12-03T00:00:00Z".parse().unwrap()),
                    ..req(Some("delivered"), None, "x")
                },
                "occurred_at",
            ),
            (
                ShipmentOverride {
                    occurred_at: Some("2026-12-01T00:00:00Z".parse().unwrap()),
                    ..req(None, Some("2026-12-09T00:00:00Z"), "x")
                },
                "occurred_at",
            ),
        ];
        for (r, field) in cases {
            let e = plan_override(&s, &r, "user:a", now(), id()).unwrap_err();
            assert!(
                e.errors.iter().any(|x| x.field == field),
                "{r:?}: expected an error on {field}, got {e:?}"
            );
        }
    }
}
