//! Carrier event streams for generated shipments: what carriers would have sent about each
//! shipment of a `gen` dataset, in the order they would have arrived. Most shipments move
//! cleanly; the rest carry the trouble a back office works every day (delays with late ETAs,
//! failed attempts, address problems, damage, customs holds, returns, freight that stops
//! scanning and is lost), and the feed itself misbehaves (late arrivals, duplicates).
//!
//! Deterministic: each shipment's stream derives from the seed and its tracking number.

use crate::plan::TenantPlan;
use consign_app::import::SHIPMENT_FIELDS;
use consign_core::shipment::ShipmentStatus;
use consign_core::tracking::{Mapped, MappedEvent, REASONS};
use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io;
use std::path::Path;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// One event as a carrier sends it, and when it reaches us.
#[derive(Debug, Clone)]
pub struct GenEvent {
    pub received_at: Timestamp,
    pub event: MappedEvent,
}

/// A document uploaded for a shipment, and when: the carrier's proof of delivery (`pod`) or
/// the shipper's commercial invoice for an international shipment.
#[derive(Debug, Clone)]
pub struct GenPod {
    pub at: Timestamp,
    pub kind: &'static str,
    pub carrier: String,
    pub tracking_number: String,
}

/// A tenant's generated feed: events in arrival order and proof-of-delivery uploads in time
/// order.
#[derive(Debug, Clone, Default)]
pub struct GenFeed {
    pub events: Vec<GenEvent>,
    pub pods: Vec<GenPod>,
}

/// Columns of the generated `events.csv` (the `consign import events` format).
pub const EVENT_COLUMNS: [&str; 9] = [
    "carrier",
    "tracking_number",
    "occurred_at",
    "status",
    "reason",
    "eta",
    "location",
    "description",
    "message_id",
];

struct Row {
    carrier: String,
    mode: String,
    tracking: String,
    origin_city: String,
    dest_city: String,
    planned: i64,
    promised: i64,
    picked: Option<i64>,
    delivered: Option<i64>,
    international: bool,
    pod_required: bool,
}

fn secs(s: &str) -> Option<i64> {
    s.parse::<Timestamp>().ok().map(|t| t.as_second())
}

fn read_rows(file: &Path, modes: &HashMap<String, String>) -> io::Result<Vec<Row>> {
    let mut r = csv::Reader::from_path(file)?;
    let col = |name: &str| SHIPMENT_FIELDS.iter().position(|c| *c == name).unwrap_or(0);
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(io::Error::other)?;
        let get = |n: &str| rec.get(col(n)).unwrap_or("").to_string();
        let (Some(planned), Some(promised)) =
            (secs(&get("planned_pickup_at")), secs(&get("promised_by")))
        else {
            continue;
        };
        let carrier = get("carrier");
        rows.push(Row {
            mode: modes
                .get(&carrier)
                .cloned()
                .unwrap_or_else(|| "parcel".into()),
            carrier,
            tracking: get("tracking_number"),
            origin_city: get("origin_city"),
            dest_city: get("destination_city"),
            planned,
            promised,
            picked: secs(&get("picked_up_at")),
            delivered: secs(&get("delivered_at")),
            international: get("international") == "true",
            pod_required: get("pod_required") == "true",
        });
    }
    Ok(rows)
}

/// (occurred at, status, reason, ETA, place).
type Scan = (
    i64,
    Option<ShipmentStatus>,
    Option<&'static str>,
    Option<i64>,
    String,
);

struct Stream<'a> {
    row: &'a Row,
    now: i64,
    out: Vec<Scan>,
}

impl Stream<'_> {
    fn push(&mut self, at: i64, status: ShipmentStatus, reason: Option<&'static str>, place: &str) {
        if at < self.now {
            self.out
                .push((at, Some(status), reason, None, place.to_string()));
        }
    }
    fn eta(&mut self, at: i64, eta: i64) {
        if at < self.now {
            self.out.push((at, None, None, Some(eta), String::new()));
        }
    }
    /// In-transit scans from `from` to `to`, every 10–30 h (LTL/FTL: 6–20 h).
    fn scans(&mut self, from: i64, to: i64, rng: &mut StdRng) {
        let (lo, hi) = if self.row.mode == "parcel" {
            (10, 30)
        } else {
            (6, 20)
        };
        let mut t = from + rng.random_range(lo * HOUR..=hi * HOUR);
        while t < to {
            self.push(t, ShipmentStatus::InTransit, None, "");
            t += rng.random_range(lo * HOUR..=hi * HOUR);
        }
    }
}

fn rng_for(seed: u64, tracking: &str) -> StdRng {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    tracking.hash(&mut h);
    StdRng::seed_from_u64(seed ^ h.finish())
}

fn stream(row: &Row, now: i64, seed: u64) -> Vec<GenEvent> {
    let mut rng = rng_for(seed, &row.tracking);
    let mut s = Stream {
        row,
        now,
        out: Vec::new(),
    };
    let created = row.planned - rng.random_range(2 * HOUR..=20 * HOUR);
    s.push(
        created,
        ShipmentStatus::InfoReceived,
        None,
        &row.origin_city,
    );
    if let Some(picked) = row.picked {
        s.push(picked, ShipmentStatus::PickedUp, None, &row.origin_city);
        // The carrier's first estimate, on the promise or before it.
        let first_eta = row.promised - rng.random_range(0..=DAY);
        s.eta(picked + 600, first_eta);
        match row.delivered {
            Some(done) => delivered_path(&mut s, picked, done, &mut rng),
            None => undelivered_path(&mut s, picked, &mut rng),
        }
    }
    // The feed misbehaves: most events arrive within minutes, some hours or days late, and a
    // few arrive twice.
    let mut out = Vec::new();
    for (k, (at, status, reason, eta, place)) in s.out.into_iter().enumerate() {
        let lag = if rng.random_bool(0.03) {
            rng.random_range(2 * HOUR..=2 * DAY)
        } else {
            rng.random_range(30..=20 * 60)
        };
        let received = (at + lag).min(now - 1).max(at);
        let accountable =
            reason.and_then(|r| REASONS.iter().find(|(x, _)| *x == r).and_then(|(_, a)| *a));
        let event = MappedEvent {
            carrier: row.carrier.clone(),
            tracking_number: row.tracking.clone(),
            occurred_at: Timestamp::from_second(at).unwrap_or(Timestamp::UNIX_EPOCH),
            mapped: Mapped {
                status,
                reason,
                accountable,
                eta_update: eta.is_some(),
                unmapped: false,
            },
            eta: eta.and_then(|e| Timestamp::from_second(e).ok()),
            raw_code: status.map(|s| s.as_str()).unwrap_or("eta").to_string(),
            raw_reason: reason.unwrap_or("").to_string(),
            location: place,
            description: String::new(),
            message_id: Some(format!("{}-{k}", row.tracking)),
        };
        let dup = rng.random_bool(0.015);
        out.push(GenEvent {
            received_at: Timestamp::from_second(received).unwrap_or(Timestamp::UNIX_EPOCH),
            event: event.clone(),
        });
        if dup {
            let again = (received + rng.random_range(60..=6 * HOUR)).min(now - 1);
            out.push(GenEvent {
                received_at: Timestamp::from_second(again).unwrap_or(Timestamp::UNIX_EPOCH),
                event,
            });
        }
    }
    out
}

fn delivered_path(s: &mut Stream, picked: i64, done: i64, rng: &mut StdRng) {
    let row = s.row;
    let late = done > row.promised + DAY / 2;
    let mut scans_until = done - 8 * HOUR;
    if late {
        // The carrier sees it coming: a delay report and a later ETA before the promise.
        let when = picked + (row.promised - picked).max(HOUR) / 2;
        if rng.random_bool(0.6) {
            let reason = if rng.random_bool(0.5) {
                Some("weather")
            } else {
                Some("mechanical")
            };
            s.push(when, ShipmentStatus::Delayed, reason, "");
        }
        s.eta(when + HOUR, done);
    }
    let r: f64 = rng.random();
    if r < 0.025 {
        // A failed attempt the day before.
        let at = done - DAY;
        if at > picked {
            s.push(
                at - 2 * HOUR,
                ShipmentStatus::OutForDelivery,
                None,
                &row.dest_city,
            );
            s.push(
                at,
                ShipmentStatus::DeliveryAttempted,
                Some("recipient_unavailable"),
                &row.dest_city,
            );
            scans_until = at - 3 * HOUR;
        }
    } else if r < 0.033 {
        let at = picked + (done - picked) / 2;
        s.push(at, ShipmentStatus::Exception, Some("address_incorrect"), "");
    } else if r < 0.038 {
        let at = picked + (done - picked) / 3;
        s.push(at, ShipmentStatus::Exception, Some("damaged"), "");
    } else if row.international && r < 0.15 {
        let at = picked + (done - picked) / 3;
        s.push(
            at,
            ShipmentStatus::OnHold,
            Some("customs_inspection"),
            "customs",
        );
        s.push(
            at + DAY.min((done - at) / 2),
            ShipmentStatus::InTransit,
            None,
            "customs",
        );
    }
    s.scans(picked, scans_until, rng);
    s.push(
        done - rng.random_range(2 * HOUR..=6 * HOUR),
        ShipmentStatus::OutForDelivery,
        None,
        &row.dest_city,
    );
    s.push(done, ShipmentStatus::Delivered, None, &row.dest_city);
}

fn undelivered_path(s: &mut Stream, picked: i64, rng: &mut StdRng) {
    let row = s.row;
    let age = s.now - picked;
    if age < 3 * DAY {
        // Still moving; some will miss their promise and the carrier says so.
        s.scans(picked, s.now, rng);
        if s.now > row.promised - DAY && rng.random_bool(0.35) {
            let at = s.now - rng.random_range(HOUR..=6 * HOUR);
            if rng.random_bool(0.5) {
                s.push(at, ShipmentStatus::Delayed, Some("weather"), "");
            }
            s.eta(at + 60, row.promised + rng.random_range(DAY..=3 * DAY));
        }
        return;
    }
    // Stuck in the network.
    let trouble = picked + rng.random_range(DAY..=(age - DAY).max(DAY + 1));
    s.scans(picked, trouble - HOUR, rng);
    let r: f64 = rng.random();
    if r < 0.25 {
        s.push(trouble, ShipmentStatus::Exception, Some("damaged"), "");
    } else if r < 0.45 {
        s.push(
            trouble,
            ShipmentStatus::Exception,
            Some("refused"),
            &row.dest_city,
        );
        s.push(
            trouble + 6 * HOUR,
            ShipmentStatus::ReturningToSender,
            Some("refused"),
            &row.dest_city,
        );
        s.push(
            trouble + rng.random_range(2 * DAY..=4 * DAY),
            ShipmentStatus::ReturnedToSender,
            None,
            &row.origin_city,
        );
    } else if r < 0.60 {
        s.push(
            trouble,
            ShipmentStatus::Exception,
            Some("address_incorrect"),
            &row.dest_city,
        );
    } else if r < 0.70 && row.international {
        s.push(
            trouble,
            ShipmentStatus::OnHold,
            Some("customs_documentation"),
            "customs",
        );
    } else if r < 0.80 {
        s.push(trouble, ShipmentStatus::Lost, Some("lost"), "");
    }
    // Otherwise the scans simply stop: the rules find it stalled, then lost.
}

/// Every generated tenant's event stream, sorted by arrival. Also writes
/// `DIR/<slug>/events.csv` (by occurrence of arrival, the import format).
pub fn generate_events(
    dir: &Path,
    tenants: &[TenantPlan],
    seed: u64,
    now: Timestamp,
) -> io::Result<Vec<(String, GenFeed)>> {
    let mut all = Vec::new();
    for t in tenants {
        let modes: HashMap<String, String> = t
            .carriers
            .iter()
            .map(|c| (c.scac.clone(), c.mode.clone()))
            .collect();
        let rows = read_rows(&dir.join(&t.slug).join("shipments.csv"), &modes)?;
        let mut events: Vec<GenEvent> = rows
            .iter()
            .flat_map(|r| stream(r, now.as_second(), seed))
            .collect();
        events.sort_by_key(|e| (e.received_at, e.event.occurred_at));
        let mut w = csv::Writer::from_path(dir.join(&t.slug).join("events.csv"))?;
        w.write_record(EVENT_COLUMNS)?;
        for e in &events {
            let ev = &e.event;
            w.write_record([
                ev.carrier.as_str(),
                &ev.tracking_number,
                &ev.occurred_at.to_string(),
                ev.mapped.status.map(|s| s.as_str()).unwrap_or(""),
                ev.mapped.reason.unwrap_or(""),
                &ev.eta.map(|t| t.to_string()).unwrap_or_default(),
                &ev.location,
                &ev.description,
                ev.message_id.as_deref().unwrap_or(""),
            ])?;
        }
        w.flush()?;
        // Most carriers upload the signed delivery receipt within a day; some never do.
        let mut pods: Vec<GenPod> = rows
            .iter()
            .filter(|r| r.pod_required)
            .filter_map(|r| {
                let done = r.delivered?;
                let mut rng = rng_for(seed ^ 0x90d, &r.tracking);
                if !rng.random_bool(0.9) {
                    return None;
                }
                let at = done + rng.random_range(HOUR..=20 * HOUR);
                (at < now.as_second()).then(|| GenPod {
                    at: Timestamp::from_second(at).unwrap_or(Timestamp::UNIX_EPOCH),
                    kind: "pod",
                    carrier: r.carrier.clone(),
                    tracking_number: r.tracking.clone(),
                })
            })
            .collect();
        // Shippers attach the commercial invoice for most cross-border shipments, usually
        // in good time, sometimes only after the missing-documents alarm.
        pods.extend(rows.iter().filter(|r| r.international).filter_map(|r| {
            let mut rng = rng_for(seed ^ 0xc1, &r.tracking);
            if !rng.random_bool(0.8) {
                return None;
            }
            let at = if rng.random_bool(0.75) {
                r.planned - rng.random_range(30 * HOUR..=48 * HOUR)
            } else {
                r.planned - rng.random_range(2 * HOUR..=20 * HOUR)
            };
            (at < now.as_second()).then(|| GenPod {
                at: Timestamp::from_second(at).unwrap_or(Timestamp::UNIX_EPOCH),
                kind: "commercial_invoice",
                carrier: r.carrier.clone(),
                tracking_number: r.tracking.clone(),
            })
        }));
        pods.sort_by_key(|p| p.at);
        all.push((t.slug.clone(), GenFeed { events, pods }));
    }
    Ok(all)
}
