//! Tracking: the canonical reason vocabulary with its accountable parties, the crosswalks that
//! map carrier vocabularies (X12 214 AT7 codes, the 12-status model of open-source multi-carrier
//! APIs, the 9-tag model of tracking SaaS) to status and reason, and the derivation of a
//! shipment's state from its events (SPEC §2).
//!
//! Crosswalks are data: CSV files in `crosswalks/`, compiled in, one row per source code.

use crate::shipment::ShipmentStatus;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Who is accountable for a reason (and so for the exception it causes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accountable {
    Carrier,
    Shipper,
    Consignee,
    Customs,
    External,
}

impl Accountable {
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "carrier" => Self::Carrier,
            "shipper" => Self::Shipper,
            "consignee" => Self::Consignee,
            "customs" => Self::Customs,
            "external" => Self::External,
            _ => return Err(format!("unknown accountable party '{s}'")),
        })
    }
}

/// The canonical reasons (SPEC §2), each with its default accountable party.
pub const REASONS: [(&str, Option<Accountable>); 17] = [
    ("address_incorrect", Some(Accountable::Consignee)),
    ("recipient_unavailable", Some(Accountable::Consignee)),
    ("refused", Some(Accountable::Consignee)),
    ("business_closed", Some(Accountable::Consignee)),
    ("damaged", Some(Accountable::Carrier)),
    ("missorted", Some(Accountable::Carrier)),
    ("mechanical", Some(Accountable::Carrier)),
    ("missed_pickup", Some(Accountable::Carrier)),
    ("customs_documentation", Some(Accountable::Shipper)),
    ("customs_inspection", Some(Accountable::Customs)),
    ("duties_unpaid", Some(Accountable::Consignee)),
    ("weather", Some(Accountable::External)),
    ("held_per_shipper", Some(Accountable::Shipper)),
    ("held_for_payment", Some(Accountable::Consignee)),
    ("lost", Some(Accountable::Carrier)),
    ("other", None),
    ("normal", None),
];

/// What a source code means in Consign's words.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Mapped {
    /// `None`: the code changes no status (an estimated-delivery update, a normal reason).
    pub status: Option<ShipmentStatus>,
    pub reason: Option<&'static str>,
    pub accountable: Option<Accountable>,
    /// The code carries a new estimated delivery.
    pub eta_update: bool,
    /// No row for this code: the status becomes `unknown`, the raw code is kept and counted.
    pub unmapped: bool,
}

#[derive(Debug, Clone)]
struct StatusRow {
    status: Option<ShipmentStatus>,
    reason: Option<&'static str>,
    eta_update: bool,
}

#[derive(Debug, Clone)]
struct ReasonRow {
    reason: Option<&'static str>,
    accountable: Option<Accountable>,
    status_override: Option<ShipmentStatus>,
}

/// All crosswalks, parsed and checked.
#[derive(Debug, Clone)]
pub struct Crosswalks {
    x12_status: HashMap<String, StatusRow>,
    x12_reason: HashMap<String, ReasonRow>,
    open12: HashMap<String, StatusRow>,
    open12_reason: HashMap<String, ReasonRow>,
    saas: HashMap<String, StatusRow>,
}

pub const X12_214_STATUS: &str = include_str!("../crosswalks/x12_214_status.csv");
pub const X12_214_REASON: &str = include_str!("../crosswalks/x12_214_reason.csv");
pub const OPEN_SOURCE_12: &str = include_str!("../crosswalks/open_source_12.csv");
pub const OPEN_SOURCE_12_REASONS: &str = include_str!("../crosswalks/open_source_12_reasons.csv");
pub const TRACKING_SAAS_9TAG: &str = include_str!("../crosswalks/tracking_saas_9tag.csv");

fn reason_word(s: &str) -> Result<Option<&'static str>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    REASONS
        .iter()
        .find(|(r, _)| *r == s)
        .map(|(r, _)| Some(*r))
        .ok_or_else(|| format!("unknown reason '{s}'"))
}

fn status_word(s: &str) -> Result<Option<ShipmentStatus>, String> {
    if s.is_empty() {
        Ok(None)
    } else {
        ShipmentStatus::parse(s).map(Some)
    }
}

/// Rows of a crosswalk file: `(line, columns)`, with the header checked.
fn rows<'a>(
    name: &str,
    text: &'a str,
    header: &[&str],
) -> Result<Vec<(usize, Vec<&'a str>)>, String> {
    let mut lines = text.lines().enumerate();
    let (_, head) = lines.next().ok_or_else(|| format!("{name}: empty"))?;
    let got: Vec<&str> = head.split(',').collect();
    if got != header {
        return Err(format!(
            "{name} line 1: header is {got:?}, expected {header:?}"
        ));
    }
    let mut out = Vec::new();
    for (i, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = l.split(',').map(str::trim).collect();
        if cols.len() != header.len() {
            return Err(format!(
                "{name} line {}: {} columns, expected {}",
                i + 1,
                cols.len(),
                header.len()
            ));
        }
        out.push((i + 1, cols));
    }
    Ok(out)
}

fn status_table(
    name: &str,
    text: &str,
    header: &[&str],
) -> Result<HashMap<String, StatusRow>, String> {
    let mut map = HashMap::new();
    for (line, c) in rows(name, text, header)? {
        let at = |e: String| format!("{name} line {line}: {e}");
        let row = StatusRow {
            status: status_word(c[1]).map_err(at)?,
            reason: reason_word(c[2]).map_err(at)?,
            eta_update: header.get(3) == Some(&"eta_update") && c[3] == "true",
        };
        if row.status.is_none() && !row.eta_update {
            return Err(at("a row must set a status or be an ETA update".into()));
        }
        if map.insert(c[0].to_string(), row).is_some() {
            return Err(at(format!("code '{}' appears twice", c[0])));
        }
    }
    Ok(map)
}

fn reason_table(
    name: &str,
    text: &str,
    header: &[&str],
) -> Result<HashMap<String, ReasonRow>, String> {
    let mut map = HashMap::new();
    for (line, c) in rows(name, text, header)? {
        let at = |e: String| format!("{name} line {line}: {e}");
        let reason = reason_word(c[1]).map_err(at)?;
        let accountable = if c[2].is_empty() {
            None
        } else {
            Some(Accountable::parse(c[2]).map_err(at)?)
        };
        let status_override = if header.get(3) == Some(&"status_override") {
            status_word(c[3]).map_err(at)?
        } else {
            None
        };
        if map
            .insert(
                c[0].to_string(),
                ReasonRow {
                    reason,
                    accountable,
                    status_override,
                },
            )
            .is_some()
        {
            return Err(at(format!("code '{}' appears twice", c[0])));
        }
    }
    Ok(map)
}

impl Crosswalks {
    /// The crosswalks shipped with Consign. Fails (naming file and line) if a file is malformed.
    pub fn builtin() -> Result<Self, String> {
        Ok(Crosswalks {
            x12_status: status_table(
                "x12_214_status.csv",
                X12_214_STATUS,
                &["code", "status", "reason", "eta_update", "description"],
            )?,
            x12_reason: reason_table(
                "x12_214_reason.csv",
                X12_214_REASON,
                &[
                    "code",
                    "reason",
                    "accountable",
                    "status_override",
                    "description",
                ],
            )?,
            open12: status_table(
                "open_source_12.csv",
                OPEN_SOURCE_12,
                &["code", "status", "reason", "description"],
            )?,
            open12_reason: reason_table(
                "open_source_12_reasons.csv",
                OPEN_SOURCE_12_REASONS,
                &["code", "reason", "accountable", "description"],
            )?,
            saas: status_table(
                "tracking_saas_9tag.csv",
                TRACKING_SAAS_9TAG,
                &["code", "status", "reason", "description"],
            )?,
        })
    }

    fn combine(
        status: Option<&StatusRow>,
        reason: Option<&ReasonRow>,
        has_status_code: bool,
    ) -> Mapped {
        let mut m = Mapped::default();
        match status {
            Some(s) => {
                m.status = s.status;
                m.reason = s.reason;
                m.eta_update = s.eta_update;
            }
            None if has_status_code => {
                m.status = Some(ShipmentStatus::Unknown);
                m.unmapped = true;
            }
            None => {}
        }
        if let Some(r) = reason {
            if r.reason.is_some() && r.reason != Some("normal") {
                m.reason = r.reason;
            }
            if let Some(o) = r.status_override
                && m.status.is_some_and(|s| !s.is_terminal())
            {
                m.status = Some(o);
            }
            m.accountable = r.accountable;
        }
        if m.accountable.is_none() {
            m.accountable = m
                .reason
                .and_then(|r| REASONS.iter().find(|(x, _)| *x == r).and_then(|(_, a)| *a));
        }
        m
    }

    /// X12 214: AT7-01 status code and AT7-02 reason code (or AT7-03/AT7-04 for appointments,
    /// which carry no status).
    pub fn x12(&self, status_code: &str, reason_code: &str) -> Mapped {
        let s = status_code.trim();
        let mut m = Self::combine(
            self.x12_status.get(s),
            self.x12_reason.get(reason_code.trim()),
            !s.is_empty(),
        );
        if !reason_code.trim().is_empty() && !self.x12_reason.contains_key(reason_code.trim()) {
            m.unmapped = true;
        }
        m
    }

    /// The 12-status vocabulary of open-source multi-carrier APIs, with its incident reasons.
    pub fn open_source(&self, status: &str, reason: &str) -> Mapped {
        Self::combine(
            self.open12.get(status.trim()),
            self.open12_reason.get(reason.trim()),
            true,
        )
    }

    /// The 9-tag vocabulary of tracking SaaS: `Tag` or `Tag_NNN` subtags (falls back to the tag).
    pub fn tracking_saas(&self, tag: &str, subtag: &str) -> Mapped {
        let row = self
            .saas
            .get(subtag.trim())
            .or_else(|| self.saas.get(tag.trim()));
        Self::combine(row, None, true)
    }

    /// Every code of each crosswalk, for coverage reports.
    pub fn codes(&self) -> [(&'static str, Vec<&str>); 3] {
        fn keys(m: &HashMap<String, StatusRow>) -> Vec<&str> {
            let mut v: Vec<&str> = m.keys().map(String::as_str).collect();
            v.sort_unstable();
            v
        }
        [
            ("x12_214", keys(&self.x12_status)),
            ("open_source_12", keys(&self.open12)),
            ("tracking_saas_9tag", keys(&self.saas)),
        ]
    }
}

/// One status event as far as state derivation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub occurred_at: Timestamp,
    /// `None` for events that carry only an ETA or a reason.
    pub status: Option<ShipmentStatus>,
    pub eta: Option<Timestamp>,
}

/// A shipment's state as its events imply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingState {
    pub status: ShipmentStatus,
    pub status_at: Option<Timestamp>,
    pub eta: Option<Timestamp>,
    pub last_event_at: Option<Timestamp>,
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
/// never replaced by a non-terminal one that occurred before it. The result does not depend on
/// the order in which events arrived, and duplicates change nothing.
pub fn derive_state(initial: ShipmentStatus, events: &[Observation]) -> TrackingState {
    let mut state = TrackingState {
        status: initial,
        status_at: None,
        eta: None,
        last_event_at: None,
    };
    let mut eta_at: Option<Timestamp> = None;
    for e in events {
        state.last_event_at = state.last_event_at.max(Some(e.occurred_at));
        if let Some(eta) = e.eta
            && eta_at.is_none_or(|a| e.occurred_at >= a)
        {
            if eta_at == Some(e.occurred_at) {
                state.eta = state.eta.max(Some(eta));
            } else {
                state.eta = Some(eta);
            }
            eta_at = Some(e.occurred_at);
        }
        let Some(s) = e.status else { continue };
        let replaces = match state.status_at {
            None => true,
            Some(at) if e.occurred_at > at => true,
            Some(at) if e.occurred_at == at => rank(s) > rank(state.status),
            Some(_) => false,
        };
        if replaces {
            state.status = s;
            state.status_at = Some(e.occurred_at);
        }
    }
    state
}

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
    fn malformed_crosswalks_name_the_line() {
        let e = status_table(
            "t.csv",
            "code,status,reason,description\nX,teleported,,x\n",
            &["code", "status", "reason", "description"],
        )
        .unwrap_err();
        assert!(
            e.starts_with("t.csv line 2: unknown shipment status 'teleported'"),
            "{e}"
        );
        let e = status_table(
            "t.csv",
            "code,status,reason,description\nX,delivered,,x\nX,delivered,,y\n",
            &["code", "status", "reason", "description"],
        )
        .unwrap_err();
        assert!(e.contains("line 3") && e.contains("twice"), "{e}");
    }

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn obs(s: i64, status: ShipmentStatus) -> Observation {
        Observation {
            occurred_at: at(s),
            status: Some(status),
            eta: None,
        }
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
                .map(|(t, s, eta)| Observation { occurred_at: at(*t), status: Some(*s), eta: eta.map(at) })
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
            obs.extend(before.iter().map(|(t, s)| Observation { occurred_at: at(*t), status: Some(*s), eta: None }));
            prop_assert_eq!(derive_state(ShipmentStatus::InfoReceived, &obs).status, terminal);
        }
    }
}
