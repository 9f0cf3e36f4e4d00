//! Tracking webhook adapters, one module per vocabulary with the same shape: a payload type,
//! and `events(payload, carrier_override, crosswalks)` giving mapped events. Trackers resend a
//! shipment's whole history with every update, so each scan is deduplicated by its natural
//! key (carrier, tracking number, code, instant, location): a re-delivered webhook, or the
//! next update repeating old scans, stores nothing twice. Signatures are HMAC-SHA256 over the
//! raw body.
//!
//! The tracker's estimated delivery is an event of its own, not a field of the newest scan:
//! trackers revise it without a new scan, and a revision riding on a scan already stored was
//! dropped with the duplicate scan. It is named by its value (`eta:<tracking>:<instant>`), so
//! the same estimate re-delivered is a no-op and a new one is applied as received now.

use consign_core::Invalid;
use consign_core::tracking::{Crosswalks, MappedEvent};
use sha2::{Digest, Sha256};

/// The webhook vocabularies Consign accepts at `…/webhooks/{format}`.
pub const FORMATS: [&str; 2] = ["open_source_12", "tracking_saas"];

/// Parses a webhook body of `format`, received at `now`, into mapped events, or says precisely
/// what is wrong.
pub fn parse(
    format: &str,
    body: &[u8],
    carrier: Option<&str>,
    cw: &Crosswalks,
    now: jiff::Timestamp,
) -> Result<Vec<(String, MappedEvent)>, Invalid> {
    match format {
        "open_source_12" => events::<open_source_12::Payload>(body, carrier, cw, now),
        "tracking_saas" => events::<tracking_saas::Payload>(body, carrier, cw, now),
        other => Err(Invalid::one(
            "format",
            format!(
                "unknown webhook format '{other}'; expected one of {}",
                FORMATS.join(", ")
            ),
        )),
    }
}

/// A webhook vocabulary: the payload a tracker posts, read as one tracker with its scans.
/// A new vocabulary is a module with its payload types and this one impl.
trait Vocabulary: serde::de::DeserializeOwned {
    /// Where the scans stand in the payload: the events are named `{SCANS}[i]`.
    const SCANS: &'static str;
    /// Where the estimated delivery stands: its event is named so.
    const ETA: &'static str;

    fn report(self, cw: &Crosswalks) -> Report;
}

/// One tracker as a payload reports it, in the vocabulary-neutral form.
struct Report {
    /// The carrier the payload names, if any (the URL's `?carrier=` wins).
    carrier: Option<String>,
    tracking_number: String,
    eta: Option<jiff::Timestamp>,
    scans: Vec<Scan>,
}

/// One scan of a tracker, in the vocabulary-neutral form both adapters map to.
struct Scan {
    at: jiff::Timestamp,
    mapped: consign_core::tracking::Mapped,
    raw_code: String,
    raw_reason: String,
    location: String,
    description: String,
}

/// The body as `V`'s payload, its scans as mapped events, each named by its path in the
/// payload (`{V::SCANS}[i]`), then its estimated delivery if it has one (`V::ETA`). Trackers
/// resend the whole history with each update under a new delivery id: scans are recognised by
/// their natural key, not by a message id.
fn events<V: Vocabulary>(
    body: &[u8],
    carrier: Option<&str>,
    cw: &Crosswalks,
    now: jiff::Timestamp,
) -> Result<Vec<(String, MappedEvent)>, Invalid> {
    let d = &mut serde_json::Deserializer::from_slice(body);
    let payload: V = serde_path_to_error::deserialize(d).map_err(|e| {
        let path = e.path().to_string();
        Invalid::one(
            if path == "." { "body".into() } else { path },
            e.inner().to_string(),
        )
    })?;
    let report = payload.report(cw);
    let carrier = carrier
        .map(str::to_string)
        .or(report.carrier)
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            Invalid::one(
                "carrier",
                "no carrier: give ?carrier=SCAC on the webhook URL or a carrier in the payload",
            )
        })?;
    let mut out: Vec<(String, MappedEvent)> = report
        .scans
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            (
                format!("{}[{i}]", V::SCANS),
                MappedEvent {
                    carrier: carrier.clone(),
                    tracking_number: report.tracking_number.clone(),
                    occurred_at: s.at,
                    mapped: s.mapped,
                    eta: None,
                    raw_code: s.raw_code,
                    raw_reason: s.raw_reason,
                    location: s.location,
                    description: s.description,
                    message_id: None,
                },
            )
        })
        .collect();
    if let Some(eta) = report.eta {
        out.push((
            V::ETA.to_string(),
            MappedEvent {
                message_id: Some(format!("eta:{}:{eta}", report.tracking_number.trim())),
                carrier,
                tracking_number: report.tracking_number,
                occurred_at: now,
                mapped: consign_core::tracking::Mapped {
                    eta_update: true,
                    ..Default::default()
                },
                eta: Some(eta),
                raw_code: "eta".into(),
                raw_reason: String::new(),
                location: String::new(),
                description: String::new(),
            },
        ));
    }
    Ok(out)
}

/// The 12-status plus incident-reason model of open-source multi-carrier APIs.
pub mod open_source_12 {
    use super::{Report, Scan, Vocabulary};
    use consign_core::tracking::Crosswalks;
    use jiff::Timestamp;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    pub struct Payload {
        /// The delivery's id (informational: scans dedupe by natural key).
        #[serde(default)]
        pub id: Option<String>,
        pub data: Tracker,
    }

    #[derive(Debug, Deserialize)]
    pub struct Tracker {
        #[serde(default)]
        pub carrier: Option<String>,
        pub tracking_number: String,
        #[serde(default)]
        pub estimated_delivery: Option<Timestamp>,
        pub events: Vec<Event>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Event {
        pub timestamp: Timestamp,
        pub status: String,
        #[serde(default)]
        pub reason: Option<String>,
        #[serde(default)]
        pub code: Option<String>,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default)]
        pub location: Option<String>,
    }

    impl Vocabulary for Payload {
        const SCANS: &'static str = "data.events";
        const ETA: &'static str = "data.estimated_delivery";

        fn report(self, cw: &Crosswalks) -> Report {
            let scan = |e: Event| {
                let reason = e.reason.unwrap_or_default();
                Scan {
                    at: e.timestamp,
                    mapped: cw.open_source(&e.status, &reason),
                    raw_code: e.code.unwrap_or_else(|| e.status.clone()),
                    raw_reason: reason,
                    location: e.location.unwrap_or_default(),
                    description: e.description.unwrap_or_default(),
                }
            };
            Report {
                carrier: self.data.carrier,
                tracking_number: self.data.tracking_number,
                eta: self.data.estimated_delivery,
                scans: self.data.events.into_iter().map(scan).collect(),
            }
        }
    }
}

/// The 9-tag plus subtag model of tracking SaaS.
pub mod tracking_saas {
    use super::{Report, Scan, Vocabulary};
    use consign_core::tracking::Crosswalks;
    use jiff::Timestamp;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    pub struct Payload {
        #[serde(default)]
        pub event_id: Option<String>,
        pub msg: Tracking,
    }

    #[derive(Debug, Deserialize)]
    pub struct Tracking {
        /// The carrier's slug; Consign matches it against SCAC, id or name.
        #[serde(default)]
        pub slug: Option<String>,
        pub tracking_number: String,
        #[serde(default)]
        pub expected_delivery: Option<Timestamp>,
        pub checkpoints: Vec<Checkpoint>,
    }

    #[derive(Debug, Deserialize)]
    pub struct Checkpoint {
        pub checkpoint_time: Timestamp,
        pub tag: String,
        #[serde(default)]
        pub subtag: Option<String>,
        #[serde(default)]
        pub message: Option<String>,
        #[serde(default)]
        pub location: Option<String>,
    }

    impl Vocabulary for Payload {
        const SCANS: &'static str = "msg.checkpoints";
        const ETA: &'static str = "msg.expected_delivery";

        fn report(self, cw: &Crosswalks) -> Report {
            let scan = |c: Checkpoint| {
                let subtag = c.subtag.unwrap_or_default();
                Scan {
                    at: c.checkpoint_time,
                    mapped: cw.tracking_saas(&c.tag, &subtag),
                    raw_code: if subtag.is_empty() { c.tag } else { subtag },
                    raw_reason: String::new(),
                    location: c.location.unwrap_or_default(),
                    description: c.message.unwrap_or_default(),
                }
            };
            Report {
                carrier: self.msg.slug,
                tracking_number: self.msg.tracking_number,
                eta: self.msg.expected_delivery,
                scans: self.msg.checkpoints.into_iter().map(scan).collect(),
            }
        }
    }
}

/// HMAC-SHA256 (RFC 2104) of `body` under `secret`.
pub fn hmac_sha256(secret: &[u8], body: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 64];
    if secret.len() > 64 {
        key[..32].copy_from_slice(&Sha256::digest(secret));
    } else {
        key[..secret.len()].copy_from_slice(secret);
    }
    let mut inner = Sha256::new();
    inner.update(key.map(|b| b ^ 0x36));
    inner.update(body);
    let mut outer = Sha256::new();
    outer.update(key.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Checks `sha256=<hex>` (or bare hex) against the body, in constant time.
pub fn verify_signature(secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), String> {
    use subtle::ConstantTimeEq;
    let Some(h) = header else {
        return Err("the X-Consign-Signature header is missing".into());
    };
    let hex_sig = h.trim().strip_prefix("sha256=").unwrap_or(h.trim());
    let given = hex::decode(hex_sig).map_err(|_| "the signature is not hex".to_string())?;
    let want = hmac_sha256(secret, body);
    if given.len() == 32 && bool::from(given.ct_eq(&want)) {
        Ok(())
    } else {
        Err("the signature does not match the body".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let sig = format!("sha256={}", hex::encode(mac));
        assert!(verify_signature(b"Jefe", b"what do ya want for nothing?", Some(&sig)).is_ok());
        assert!(verify_signature(b"Jefe", b"tampered", Some(&sig)).is_err());
        assert!(verify_signature(b"Jefe", b"x", None).is_err());
    }

    #[test]
    fn both_vocabularies_map_and_unknown_words_become_unknown() {
        let cw = Crosswalks::builtin().unwrap();
        let now: jiff::Timestamp = "2026-11-21T08:00:00Z".parse().unwrap();
        let body = br#"{"id":"d1","data":{"carrier":"UPSN","tracking_number":"1Z9","events":[
            {"timestamp":"2026-11-20T10:00:00Z","status":"delivery_failed","reason":"consignee_not_available"},
            {"timestamp":"2026-11-20T11:00:00Z","status":"teleported"}]}}"#;
        let ev = parse("open_source_12", body, None, &cw, now).unwrap();
        assert_eq!(ev[0].1.mapped.reason, Some("recipient_unavailable"));
        assert_eq!(ev[0].1.message_id, None, "scans dedupe by natural key");
        assert!(ev[1].1.mapped.unmapped);
        let body = br#"{"event_id":"e1","msg":{"slug":"ups","tracking_number":"1Z9","checkpoints":[
            {"checkpoint_time":"2026-11-20T10:00:00Z","tag":"Exception","subtag":"Exception_007"}]}}"#;
        let ev = parse("tracking_saas", body, Some("UPSN"), &cw, now).unwrap();
        assert_eq!(
            (ev[0].1.carrier.as_str(), ev[0].1.mapped.reason),
            ("UPSN", Some("damaged"))
        );
        let e = parse(
            "tracking_saas",
            br#"{"msg":{"tracking_number":"1","checkpoints":[{"tag":"x"}]}}"#,
            Some("UPSN"),
            &cw,
            now,
        )
        .unwrap_err();
        assert!(e.errors[0].field.contains("checkpoints[0]"), "{e:?}");
        assert!(parse("carrier_pigeon", b"{}", None, &cw, now).is_err());
    }

    #[test]
    fn the_estimate_is_an_event_of_its_own_named_by_its_value() {
        let cw = Crosswalks::builtin().unwrap();
        let now: jiff::Timestamp = "2026-11-21T08:00:00Z".parse().unwrap();
        let body = br#"{"data":{"carrier":"UPSN","tracking_number":" 1Z9 ","estimated_delivery":"2026-11-22T18:00:00Z","events":[
            {"timestamp":"2026-11-20T10:00:00Z","status":"in_transit"}]}}"#;
        let ev = parse("open_source_12", body, None, &cw, now).unwrap();
        let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["data.events[0]", "data.estimated_delivery"]);
        assert_eq!(ev[0].1.eta, None, "the scan is only a scan");
        let eta = &ev[1].1;
        assert_eq!(
            (
                eta.occurred_at,
                eta.eta,
                eta.mapped.status,
                eta.mapped.eta_update
            ),
            (
                now,
                Some("2026-11-22T18:00:00Z".parse().unwrap()),
                None,
                true
            )
        );
        assert_eq!(
            eta.message_id.as_deref(),
            Some("eta:1Z9:2026-11-22T18:00:00Z")
        );
        let body = br#"{"msg":{"tracking_number":"1Z9","expected_delivery":"2026-11-23T18:00:00Z","checkpoints":[]}}"#;
        let ev = parse("tracking_saas", body, Some("UPSN"), &cw, now).unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].0, "msg.expected_delivery");
        assert_eq!(
            ev[0].1.message_id.as_deref(),
            Some("eta:1Z9:2026-11-23T18:00:00Z")
        );
    }
}
