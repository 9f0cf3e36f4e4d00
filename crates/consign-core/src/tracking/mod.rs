//! Tracking: the canonical reason vocabulary with its accountable parties, the crosswalks that
//! map carrier vocabularies (X12 214 AT7 codes, the 12-status model of open-source multi-carrier
//! APIs, the 9-tag model of tracking SaaS) to status and reason, and the derivation of a
//! shipment's state from its events (SPEC §2).
//!
//! One file each for the [`crosswalk`]s and the [`state`] derivation; this module holds the
//! events themselves (as submitted, mapped and stored) and their deduplication keys.

use crate::shipment::ShipmentStatus;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use crate::reasons::{Accountable, REASONS};

mod crosswalk;
mod overrides;
mod state;

use crosswalk::reason_word;
pub use crosswalk::*;
pub use overrides::*;
pub use state::*;

/// The natural key of an event without a source message id (SPEC §2): re-delivery of the same
/// scan is recognised by it.
pub fn natural_key(
    carrier: &str,
    tracking_number: &str,
    raw_code: &str,
    occurred_at: Timestamp,
    location: &str,
) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        carrier.trim(),
        tracking_number.trim(),
        raw_code.trim(),
        occurred_at.as_microsecond(),
        location.trim().to_lowercase()
    )
}

/// The canonical form an integration submits (`POST …/tracking-events`, `consign import
/// events`): our status and reason words, or raw codes the adapter already mapped.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTrackingEvent {
    /// Carrier SCAC or carrier id.
    pub carrier: String,
    pub tracking_number: String,
    pub occurred_at: Timestamp,
    /// A canonical status word (SPEC §2). Omit for an ETA-only update.
    #[serde(default)]
    pub status: Option<String>,
    /// A canonical reason word.
    #[serde(default)]
    pub reason: Option<String>,
    /// Estimated delivery as the carrier now reports it.
    #[serde(default)]
    pub eta: Option<Timestamp>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The sender's id for this message: re-delivery with the same id is a no-op.
    #[serde(default)]
    pub message_id: Option<String>,
    /// The carrier's own code, kept for audit (defaults to the status word).
    #[serde(default)]
    pub raw_code: Option<String>,
}

/// An event after its source vocabulary was mapped: what every intake path hands to the
/// ingest pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedEvent {
    pub carrier: String,
    pub tracking_number: String,
    pub occurred_at: Timestamp,
    pub mapped: Mapped,
    pub eta: Option<Timestamp>,
    pub raw_code: String,
    pub raw_reason: String,
    pub location: String,
    pub description: String,
    pub message_id: Option<String>,
}

/// How far ahead of our clock an event may claim to have happened: carrier clocks drift and
/// local times get mislabelled, but a scan days ahead is a bad timestamp.
pub const MAX_EVENT_LEAD: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

impl MappedEvent {
    /// Field checks; `prefix` locates the item (`events[3]`, `line 12`).
    pub fn validate(&self, prefix: &str, now: Timestamp, inv: &mut crate::Invalid) {
        let f = |name: &str| {
            if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            }
        };
        crate::order::validate_reference(&self.carrier, &f("carrier"), inv);
        crate::order::validate_reference(&self.tracking_number, &f("tracking_number"), inv);
        crate::time::check_plausible(&f("occurred_at"), self.occurred_at, now, inv);
        if self.occurred_at > now + MAX_EVENT_LEAD {
            inv.push(
                f("occurred_at"),
                format!(
                    "{} is more than 24 hours ahead of now ({now}); check the time zone",
                    self.occurred_at
                ),
            );
        }
        if let Some(eta) = self.eta {
            crate::time::check_plausible(&f("eta"), eta, now, inv);
        }
        for (name, v, max) in [
            ("location", &self.location, 200),
            ("description", &self.description, 500),
            ("raw_code", &self.raw_code, 64),
            ("raw_reason", &self.raw_reason, 64),
        ] {
            if v.chars().count() > max {
                inv.push(f(name), format!("must be at most {max} characters"));
            }
        }
        if let Some(m) = &self.message_id
            && (m.trim().is_empty() || m.len() > 200)
        {
            inv.push(f("message_id"), "when given, must be 1 to 200 characters");
        }
        if self.mapped.status.is_none() && self.eta.is_none() && self.mapped.reason.is_none() {
            inv.push(f("status"), "an event needs a status, a reason or an ETA");
        }
    }
}

impl NewTrackingEvent {
    /// Maps canonical words; unknown words are errors here (a canonical feed has no excuse),
    /// unlike carrier vocabularies where they become `unknown`.
    pub fn into_mapped(self, prefix: &str, inv: &mut crate::Invalid) -> Option<MappedEvent> {
        let f = |name: &str| {
            if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            }
        };
        let status = match self.status.as_deref().map(ShipmentStatus::parse) {
            None => None,
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => {
                inv.push(f("status"), e);
                return None;
            }
        };
        let reason = match self.reason.as_deref().map(reason_word) {
            None | Some(Ok(None)) => None,
            Some(Ok(Some(r))) => Some(r),
            Some(Err(e)) => {
                inv.push(f("reason"), e);
                return None;
            }
        };
        let accountable =
            reason.and_then(|r| REASONS.iter().find(|(x, _)| *x == r).and_then(|(_, a)| *a));
        let raw_code = self
            .raw_code
            .unwrap_or_else(|| canonical_raw_code(status, reason));
        Some(MappedEvent {
            carrier: self.carrier,
            tracking_number: self.tracking_number,
            occurred_at: self.occurred_at,
            mapped: Mapped {
                status,
                reason,
                accountable,
                eta_update: self.eta.is_some(),
                unmapped: false,
            },
            eta: self.eta,
            raw_code,
            raw_reason: self.reason.unwrap_or_default(),
            location: self.location.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            message_id: self.message_id,
        })
    }
}

/// The raw code of an event given in Consign's own words: its status, else its reason, else
/// `eta`. The raw code is part of the natural key, so a reason-only event must not share
/// `eta` with an ETA-only one (or another reason) at the same instant and place: the second
/// was taken for a re-delivery of the first.
pub fn canonical_raw_code(status: Option<ShipmentStatus>, reason: Option<&str>) -> String {
    match (status, reason) {
        (Some(s), _) => s.as_str().to_string(),
        (None, Some(r)) => r.to_string(),
        (None, None) => "eta".to_string(),
    }
}

/// A canonical reason word as the `'static` vocabulary entry (stored rows come back as text).
pub fn reason_static(s: &str) -> Option<&'static str> {
    REASONS.iter().find(|(r, _)| *r == s).map(|(r, _)| *r)
}

/// One tracking event as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackingEvent {
    pub id: crate::ids::EventId,
    pub tenant_id: crate::ids::TenantId,
    pub carrier_id: crate::ids::CarrierId,
    /// `None` while an orphan: no shipment with this carrier and tracking number yet.
    pub shipment_id: Option<crate::ids::ShipmentId>,
    pub tracking_number: String,
    pub occurred_at: Timestamp,
    pub received_at: Timestamp,
    pub status: Option<ShipmentStatus>,
    pub reason: Option<&'static str>,
    pub accountable: Option<Accountable>,
    pub eta: Option<Timestamp>,
    /// Where it came from: `api`, `webhook:open_source_12`, `webhook:tracking_saas`,
    /// `csv:<feed>`, `edi:214`.
    pub source: String,
    pub message_id: Option<String>,
    pub raw_code: String,
    pub raw_reason: String,
    pub location: String,
    pub description: String,
    /// The source code had no crosswalk row (a data-quality signal).
    pub unmapped: bool,
    #[serde(skip)]
    pub dedup_key: [u8; 16],
}

impl TrackingEvent {
    pub fn observation(&self) -> Observation {
        Observation {
            occurred_at: self.occurred_at,
            status: self.status,
            eta: self.eta,
            reason: self.reason,
            accountable: self.accountable,
            manual: self.source == MANUAL_SOURCE,
        }
    }
}

/// The deduplication key (SPEC §2): the source message id when there is one, else the natural
/// key; hashed to 16 bytes so the unique index stays small whatever the inputs' lengths.
pub fn dedup_key(
    carrier: crate::ids::CarrierId,
    message_id: Option<&str>,
    tracking_number: &str,
    raw_code: &str,
    occurred_at: Timestamp,
    location: &str,
) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let text = match message_id {
        Some(m) => format!("m|{carrier}|{}", m.trim()),
        None => format!(
            "n|{}",
            natural_key(
                &carrier.to_string(),
                tracking_number,
                raw_code,
                occurred_at,
                location
            )
        ),
    };
    let d = Sha256::digest(text.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

/// A shipment as the tracking pipeline and the rule engine see it: the facts rules judge, the
/// derived state, and when it is next due. Loaded (and locked) together so that one
/// transaction reads, judges and writes each shipment once per batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedShipment {
    pub tenant_id: crate::ids::TenantId,
    pub id: crate::ids::ShipmentId,
    pub order_id: Option<crate::ids::OrderId>,
    pub carrier_id: crate::ids::CarrierId,
    pub carrier_scac: String,
    pub mode: String,
    pub service: String,
    pub direction: crate::shipment::Direction,
    pub international: bool,
    pub pod_required: bool,
    pub planned_pickup_at: Option<Timestamp>,
    pub promised_by: Option<Timestamp>,
    pub destination_tz: String,
    pub created_at: Timestamp,
    pub pod_attached: bool,
    pub documents_complete: bool,
    pub state: TrackingState,
    pub next_check_at: Option<Timestamp>,
    /// Whether any case of this shipment is open (as loaded): when none is, the case table
    /// need not be read to judge it.
    pub has_open_cases: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cw() -> Crosswalks {
        Crosswalks::builtin().expect("built-in crosswalks parse")
    }

    #[test]
    fn x12_codes_named_in_the_spec_map_as_specified() {
        let c = cw();
        let s = |code: &str| c.x12(code, "").status;
        assert_eq!(s("D1"), Some(ShipmentStatus::Delivered));
        for code in ["AF", "CP"] {
            assert_eq!(s(code), Some(ShipmentStatus::PickedUp), "{code}");
        }
        assert_eq!(s("X6"), Some(ShipmentStatus::OutForDelivery));
        for code in ["X1", "X4", "P1", "AV", "K1"] {
            assert_eq!(s(code), Some(ShipmentStatus::InTransit), "{code}");
        }
        for code in ["AH", "AP"] {
            assert_eq!(s(code), Some(ShipmentStatus::DeliveryAttempted), "{code}");
        }
        assert_eq!(s("SD"), Some(ShipmentStatus::Delayed));
        assert_eq!(
            c.x12("A9", ""),
            Mapped {
                status: Some(ShipmentStatus::Exception),
                reason: Some("damaged"),
                accountable: Some(Accountable::Carrier),
                ..Default::default()
            }
        );
        assert_eq!(s("A3"), Some(ShipmentStatus::ReturnedToSender));
        assert_eq!(c.x12("A7", "").reason, Some("refused"));
        assert_eq!(s("CA"), Some(ShipmentStatus::Cancelled));
        let pr = c.x12("PR", "");
        assert_eq!(
            (pr.status, pr.reason, pr.accountable),
            (
                Some(ShipmentStatus::OnHold),
                Some("customs_inspection"),
                Some(Accountable::Customs)
            )
        );
        for code in ["AG", "X2"] {
            let m = c.x12(code, "");
            assert!(
                m.eta_update && m.status.is_none(),
                "{code}: ETA only, no status change"
            );
        }
        // A BT reason on a non-terminal status means the shipment is on its way back.
        assert_eq!(
            c.x12("X4", "BT").status,
            Some(ShipmentStatus::ReturningToSender)
        );
        assert_eq!(c.x12("D1", "BT").status, Some(ShipmentStatus::Delivered));
    }

    #[test]
    fn x12_reasons_carry_their_accountable_party() {
        let c = cw();
        let r = |code: &str| {
            let m = c.x12("AH", code);
            (m.reason, m.accountable)
        };
        assert_eq!(
            r("A2"),
            (Some("address_incorrect"), Some(Accountable::Consignee))
        );
        assert_eq!(
            r("AQ"),
            (Some("recipient_unavailable"), Some(Accountable::Consignee))
        );
        assert_eq!(
            r("B1"),
            (Some("business_closed"), Some(Accountable::Consignee))
        );
        assert_eq!(r("BS"), (Some("refused"), Some(Accountable::Consignee)));
        assert_eq!(r("AA"), (Some("missorted"), Some(Accountable::Carrier)));
        assert_eq!(r("AI"), (Some("mechanical"), Some(Accountable::Carrier)));
        assert_eq!(r("AO"), (Some("weather"), Some(Accountable::External)));
        assert_eq!(
            r("AS"),
            (Some("customs_documentation"), Some(Accountable::Shipper))
        );
        assert_eq!(
            r("B4"),
            (Some("held_for_payment"), Some(Accountable::Consignee))
        );
        assert_eq!(
            r("BB"),
            (Some("held_per_shipper"), Some(Accountable::Shipper))
        );
        assert_eq!(
            c.x12("X4", "NS").reason,
            None,
            "normal status carries no reason"
        );
    }

    #[test]
    fn unmapped_codes_become_unknown_and_are_flagged() {
        let c = cw();
        let m = c.x12("ZZ", "");
        assert_eq!(
            (m.status, m.unmapped),
            (Some(ShipmentStatus::Unknown), true)
        );
        assert!(
            c.x12("D1", "Q9").unmapped,
            "an unknown reason code is a data-quality signal too"
        );
        assert_eq!(
            c.open_source("teleported", "").status,
            Some(ShipmentStatus::Unknown)
        );
        assert_eq!(
            c.tracking_saas("Nope", "").status,
            Some(ShipmentStatus::Unknown)
        );
    }

    #[test]
    fn every_vocabulary_word_of_both_json_models_is_covered() {
        let c = cw();
        for word in [
            "pending",
            "picked_up",
            "unknown",
            "on_hold",
            "cancelled",
            "delivered",
            "in_transit",
            "delivery_delayed",
            "out_for_delivery",
            "ready_for_pickup",
            "delivery_failed",
            "return_to_sender",
        ] {
            let m = c.open_source(word, "");
            assert!(!m.unmapped, "open-source status '{word}' must be mapped");
        }
        assert_eq!(
            c.open_source("delivery_failed", "consignee_not_available")
                .reason,
            Some("recipient_unavailable")
        );
        assert_eq!(
            c.open_source("delivery_failed", "consignee_not_available")
                .accountable,
            Some(Accountable::Consignee)
        );
        assert_eq!(
            c.open_source("on_hold", "customs_held").accountable,
            Some(Accountable::Customs)
        );
        for tag in [
            "Pending",
            "InfoReceived",
            "InTransit",
            "OutForDelivery",
            "AttemptFail",
            "Delivered",
            "AvailableForPickup",
            "Exception",
            "Expired",
        ] {
            assert!(
                !c.tracking_saas(tag, "").unmapped,
                "tag '{tag}' must be mapped"
            );
        }
        assert_eq!(
            c.tracking_saas("Exception", "Exception_007").reason,
            Some("damaged")
        );
        assert_eq!(
            c.tracking_saas("InTransit", "InTransit_999").status,
            Some(ShipmentStatus::InTransit),
            "unknown subtag falls back to its tag"
        );
        // Every canonical status is reachable from at least one source vocabulary.
        let mut reached: std::collections::HashSet<ShipmentStatus> = Default::default();
        for (_, codes) in c.codes() {
            for code in codes {
                for m in [
                    c.x12(code, ""),
                    c.open_source(code, ""),
                    c.tracking_saas(code, ""),
                ] {
                    if let (Some(s), false) = (m.status, m.unmapped) {
                        reached.insert(s);
                    }
                }
            }
        }
        for s in ShipmentStatus::ALL {
            assert!(
                reached.contains(&s) || s == ShipmentStatus::Unknown,
                "{} is not reachable from any crosswalk",
                s.as_str()
            );
        }
    }

    #[test]
    fn the_shipped_feed_crosswalk_maps_every_row_and_flags_unknown_codes() {
        let f = FeedCrosswalk::parse("ltl_terminal_codes.csv", FEED_LTL_TERMINAL_CODES).unwrap();
        assert!(f.codes().len() >= 15);
        for code in f.codes() {
            let m = f.map(code);
            assert!(!m.unmapped && m.status.is_some(), "{code}");
        }
        assert_eq!(
            (f.map("DMG").status, f.map("DMG").reason),
            (Some(ShipmentStatus::Exception), Some("damaged"))
        );
        let u = f.map("ZZZ");
        assert_eq!(
            (u.status, u.unmapped),
            (Some(ShipmentStatus::Unknown), true)
        );
    }

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn obs(s: i64, status: ShipmentStatus) -> Observation {
        Observation::status(at(s), status)
    }

    #[test]
    fn a_late_in_transit_does_not_undo_delivered() {
        use ShipmentStatus::*;
        let events = vec![obs(0, PickedUp), obs(100, Delivered), obs(50, InTransit)];
        let st = derive_state(InfoReceived, &events);
        assert_eq!((st.status, st.status_at), (Delivered, Some(at(100))));
        // Same instant: the further status wins, whatever the arrival order.
        assert_eq!(
            derive_state(InfoReceived, &[obs(5, Delivered), obs(5, OutForDelivery)]).status,
            Delivered
        );
        assert_eq!(
            derive_state(InfoReceived, &[obs(5, OutForDelivery), obs(5, Delivered)]).status,
            Delivered
        );
    }

    fn any_status() -> impl Strategy<Value = ShipmentStatus> {
        (0..ShipmentStatus::ALL.len()).prop_map(|i| ShipmentStatus::ALL[i])
    }

    proptest! {
        #[test]
        fn state_does_not_depend_on_arrival_order_or_duplicates(
            events in prop::collection::vec((0i64..50, any_status(), prop::option::of(0i64..500)), 1..30),
            seed in any::<u64>(),
        ) {
            let obs: Vec<Observation> = events
                .iter()
                .map(|(t, s, eta)| Observation { eta: eta.map(at), ..Observation::status(at(*t), *s) })
                .collect();
            let base = derive_state(ShipmentStatus::InfoReceived, &obs);
            let mut shuffled = obs.clone();
            // A deterministic shuffle from the seed.
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let mut doubled = shuffled.clone();
            doubled.extend(obs.iter().cloned());
            prop_assert_eq!(&derive_state(ShipmentStatus::InfoReceived, &shuffled), &base);
            prop_assert_eq!(&derive_state(ShipmentStatus::InfoReceived, &doubled), &base);
        }

        #[test]
        fn a_terminal_status_is_never_replaced_by_an_earlier_event(
            before in prop::collection::vec((0i64..100, any_status()), 0..20),
            terminal in prop::sample::select(vec![ShipmentStatus::Delivered, ShipmentStatus::Cancelled, ShipmentStatus::Lost, ShipmentStatus::ReturnedToSender]),
        ) {
            let mut obs = vec![obs(100, terminal)];
            obs.extend(before.iter().map(|(t, s)| Observation::status(at(*t), *s)));
            prop_assert_eq!(derive_state(ShipmentStatus::InfoReceived, &obs).status, terminal);
        }
    }
}
