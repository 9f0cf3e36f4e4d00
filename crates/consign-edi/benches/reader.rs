//! Throughput of the reader on one core, over a generated file of at least 100 MB of 004010 214
//! interchanges: (a) tokenizing only, (b) envelope reading, (c) envelope reading plus the typed
//! 214 mapping of every set to events. Best of 3 runs each; 1 MB = 1e6 bytes.
//!
//! Measured: (a) [`tokenize_count`]; (b) [`read`], strict; (c) [`read`] then [`parse_any`] of
//! every set, counting events, each mapped value dropped as it would be once stored. Freeing the
//! document itself is left out of (b) and (c).
//!
//! `cargo bench -p consign-edi --bench reader`. `EDI_BENCH_MB=10` makes a smaller file for a
//! quick look (the targets are only meaningful at the full size); `EDI_BENCH_ONLY=a`, `b` or `c`
//! runs one measurement, for a profiler; `EDI_BENCH_SAVE=path` also writes the generated file.

use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

use consign_edi::sets::common::{DateTimeRef, Party, Reference};
use consign_edi::sets::s214::{Equipment, EventLocation, Lading, ShipmentStatus214, StatusEvent};
use consign_edi::sets::{TypedSet, s214};
use consign_edi::{
    Document, Envelope, OutgoingSet, OwnedSegment, ReadOptions, Usage, WriteOptions, X12Version,
    parse_any, read, tokenize_count, write_interchange, write_segments,
};
use jiff::civil::{Date, date, time};
use rust_decimal::Decimal;

const TOKENIZE_TARGET_MBPS: f64 = 300.0;
const MAPPING_TARGET_MBPS: f64 = 100.0;
const RUNS: usize = 3;
const GROUPS_PER_INTERCHANGE: u32 = 4;
const SETS_PER_GROUP: u32 = 60;

/// A small deterministic generator (xorshift64*), so every run benchmarks the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(i).copied().unwrap_or("")
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + (self.below(10) as u8)))
            .collect()
    }
}

const CITIES: [(&str, &str, &str); 10] = [
    ("CHICAGO", "IL", "60607"),
    ("MEMPHIS", "TN", "38118"),
    ("DALLAS", "TX", "75261"),
    ("ATLANTA", "GA", "30354"),
    ("COLUMBUS", "OH", "43217"),
    ("RENO", "NV", "89502"),
    ("ALLENTOWN", "PA", "18106"),
    ("KANSAS CITY", "MO", "64153"),
    ("ONTARIO", "CA", "91761"),
    ("LOUISVILLE", "KY", "40209"),
];

const SCACS: [&str; 6] = ["ABCD", "XPOL", "ODFL", "SAIA", "RLCA", "FXFE"];
const STATUSES: [(&str, &str); 8] = [
    ("X3", "NS"),
    ("AF", "NS"),
    ("X6", "NS"),
    ("P1", "NS"),
    ("X1", "NS"),
    ("AG", "NA"),
    ("D1", "NS"),
    ("A9", "AM"),
];
const TIME_CODES: [&str; 6] = ["CT", "ET", "PT", "MT", "LT", "UT"];

fn party(rng: &mut Rng, entity: &str, name: &str) -> Party {
    let (city, state, zip) = CITIES[rng.below(CITIES.len() as u64) as usize];
    Party {
        entity: entity.into(),
        name: Some(name.into()),
        id_qualifier: Some("93".into()),
        id: Some(rng.digits(7).into()),
        additional_names: vec![],
        address: vec![format!("{} INDUSTRIAL PKWY", 100 + rng.below(9800)).into()],
        city: Some(city.into()),
        state: Some(state.into()),
        postal_code: Some(zip.into()),
        country: Some("US".into()),
        location_qualifier: None,
        location_id: None,
    }
}

/// One realistic 214: B10, header L11s and G62, shipper and consignee N1 loops, then LX loops
/// each with AT7 + MS1 + MS2 events, an L11 and an AT8.
fn status(rng: &mut Rng, day: Date) -> ShipmentStatus214 {
    let scac = rng.pick(&SCACS);
    let pro = rng.digits(10);
    let mut events = Vec::new();
    let loops = 2 + rng.below(3) as u32;
    for lx in 1..=loops {
        let weight = Decimal::from_str(&format!("{}.{}", 50 + rng.below(20_000), rng.below(100)))
            .unwrap_or_default();
        let lading = vec![Lading {
            weight_qualifier: Some("G".into()),
            weight_unit: Some("L".into()),
            weight: Some(weight),
            lading_quantity: Some(1 + rng.below(40) as u32),
            handling_units: Some(1 + rng.below(6) as u32),
        }];
        let references = vec![Reference::new("DO", rng.digits(8))];
        for _ in 0..(1 + rng.below(3)) {
            let (code, reason) = STATUSES[rng.below(STATUSES.len() as u64) as usize];
            let (city, state, _) = CITIES[rng.below(CITIES.len() as u64) as usize];
            let when = day
                .checked_add(jiff::Span::new().days(rng.below(4) as i64))
                .unwrap_or(day);
            events.push(StatusEvent {
                lx: Some(lx),
                status_code: Some(code.into()),
                status_reason: Some(reason.into()),
                date: Some(when),
                time: Some(time(rng.below(24) as i8, rng.below(60) as i8, 0, 0)),
                time_code: Some(rng.pick(&TIME_CODES).into()),
                location: Some(EventLocation {
                    city: Some(city.into()),
                    state: Some(state.into()),
                    country: Some("US".into()),
                    ..EventLocation::default()
                }),
                equipment: Some(Equipment {
                    owner: Some(scac.into()),
                    number: Some(format!("TRL{}", rng.digits(5)).into()),
                    description_code: Some("TL".into()),
                }),
                lading: lading.clone(),
                references: references.clone(),
                ..StatusEvent::default()
            });
        }
    }
    ShipmentStatus214 {
        reference_id: Some(pro.clone().into()),
        shipment_id: format!("SH{}", rng.digits(8)).into(),
        scac: scac.into(),
        references: vec![
            Reference::new("BM", format!("BOL{}", rng.digits(9))),
            Reference::new("PO", rng.digits(10)),
            Reference::new("CN", pro),
        ],
        dates: vec![DateTimeRef {
            qualifier: Some("17".into()),
            date: Some(day),
            time_qualifier: Some("X".into()),
            time: Some(time(17, 0, 0, 0)),
            time_code: Some("LT".into()),
        }],
        parties: vec![
            party(rng, "SH", "ACME DISTRIBUTION CENTER"),
            party(rng, "CN", "BIG BOX RETAIL STORE 1142"),
        ],
        events,
        warnings: vec![],
    }
}

/// One interchange of several QM groups, written group by group with the crate's writer (which
/// writes one group per interchange) and spliced under one ISA/IEA. ISA13 and IEA02 are
/// `000000001`, patched per copy.
fn template(rng: &mut Rng) -> (Vec<u8>, usize) {
    let options = WriteOptions {
        line_breaks: true,
        ..WriteOptions::default()
    };
    let mut isa = Vec::new();
    let mut body = Vec::new();
    let mut sets_written = 0;
    for g in 1..=GROUPS_PER_INTERCHANGE {
        let day = date(2026, 3, 1)
            .checked_add(jiff::Span::new().days(i64::from(g)))
            .unwrap_or(date(2026, 3, 1));
        let sets: Vec<OutgoingSet> = (1..=SETS_PER_GROUP)
            .map(|n| {
                let s = status(rng, day);
                OutgoingSet::new("214", format!("{:04}", n), s214::write(&s, &options))
            })
            .collect();
        sets_written += sets.len();
        let envelope = Envelope {
            sender_qualifier: "02".into(),
            sender_id: "ABCD".into(),
            receiver_qualifier: "ZZ".into(),
            receiver_id: "CONSIGN".into(),
            application_sender: Some("ABCD".into()),
            application_receiver: Some("CONSIGN".into()),
            date: day,
            time: time(18, 30, 0, 0),
            interchange_control: 1,
            group_control: 1000 + g,
            functional_id: "QM".into(),
            version: X12Version::V004010,
            usage: Usage::Production,
            ack_requested: false,
        };
        let bytes = write_interchange(&envelope, &sets, &options).expect("write interchange");
        let isa_end = bytes
            .iter()
            .position(|&b| b == b'\n')
            .expect("line break after ISA")
            + 1;
        let iea = find_last(&bytes, b"IEA*").expect("IEA");
        if isa.is_empty() {
            isa = bytes[..isa_end].to_vec();
        }
        body.extend_from_slice(&bytes[isa_end..iea]);
    }
    let iea = write_segments(
        &[OwnedSegment::new(
            "IEA",
            [GROUPS_PER_INTERCHANGE.to_string(), "000000001".to_string()],
        )],
        &options,
    )
    .expect("IEA");
    let mut out = isa;
    out.extend_from_slice(&body);
    out.extend_from_slice(&iea);
    (out, sets_written)
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Copies of the template with distinct interchange control numbers until `min_bytes`.
fn generate(min_bytes: usize) -> (Vec<u8>, usize, usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (tpl, sets_per_copy) = template(&mut rng);
    const ISA13: std::ops::Range<usize> = 90..99;
    assert_eq!(&tpl[ISA13], b"000000001", "ISA13 at its fixed place");
    let iea02 = find_last(&tpl, b"000000001").expect("IEA02");
    let copies = min_bytes.div_ceil(tpl.len());
    let mut out = Vec::with_capacity(copies * tpl.len());
    for k in 1..=copies {
        let start = out.len();
        out.extend_from_slice(&tpl);
        let control = format!("{k:09}");
        out[start + ISA13.start..start + ISA13.end].copy_from_slice(control.as_bytes());
        out[start + iea02..start + iea02 + 9].copy_from_slice(control.as_bytes());
    }
    (out, copies, copies * sets_per_copy)
}

/// Time this thread has spent on a CPU (Linux schedstat), to tell a slow reader from a busy
/// machine; `None` where the kernel does not say.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

struct Measured {
    best: Duration,
    /// On-CPU time of the best run.
    cpu: Option<Duration>,
    segments: usize,
    events: usize,
}

/// Runs `work` `runs` times and keeps the fastest. `count` (segments, events) and dropping the
/// result happen after the clock stops: freeing a document is not reading it.
fn best_of<T>(
    runs: usize,
    mut work: impl FnMut() -> T,
    count: impl Fn(&T) -> (usize, usize),
) -> Measured {
    let mut best = Duration::MAX;
    let mut cpu = None;
    let mut counted = (0, 0);
    for _ in 0..runs {
        let cpu_start = thread_cpu();
        let start = Instant::now();
        let result = black_box(work());
        let elapsed = start.elapsed();
        let cpu_end = thread_cpu();
        if elapsed < best {
            best = elapsed;
            cpu = cpu_start.zip(cpu_end).map(|(a, b)| b.saturating_sub(a));
        }
        counted = count(&result);
        drop(result);
    }
    Measured {
        best,
        cpu,
        segments: counted.0,
        events: counted.1,
    }
}

/// Segments of a read document, ISA to IEA.
fn document_segments(doc: &Document<'_>) -> usize {
    doc.interchanges
        .iter()
        .map(|ic| {
            2 + ic
                .groups
                .iter()
                .map(|g| 2 + g.sets.iter().map(|s| s.segment_count()).sum::<usize>())
                .sum::<usize>()
        })
        .sum()
}

fn report(name: &str, bytes: usize, m: &Measured) -> f64 {
    let secs = m.best.as_secs_f64();
    let mbps = bytes as f64 / 1e6 / secs;
    let mut line = format!(
        "{name:<28} bytes {bytes}  secs {secs:.3}  {mbps:8.1} MB/s  {:12.0} segments/s",
        m.segments as f64 / secs
    );
    if m.events > 0 {
        line.push_str(&format!("  {:12.0} events/s", m.events as f64 / secs));
    }
    if let Some(cpu) = m.cpu {
        line.push_str(&format!("  (on-CPU {:.3} s)", cpu.as_secs_f64()));
    }
    println!("{line}");
    mbps
}

fn main() {
    let min_mb: usize = std::env::var("EDI_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(100);
    let started = Instant::now();
    let (data, interchanges, sets) = generate(min_mb * 1_000_000);
    let bytes = data.len();
    println!(
        "generated {bytes} bytes ({:.1} MB): {interchanges} interchanges of {GROUPS_PER_INTERCHANGE} groups, {sets} 214 sets, in {:.2} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    if let Ok(path) = std::env::var("EDI_BENCH_SAVE") {
        std::fs::write(&path, &data).expect("write the generated file");
        println!("written to {path}");
    }

    // Check once, outside the timings, that the file is what we mean to measure.
    let expected_segments = {
        let doc = read(&data, &ReadOptions::strict());
        assert!(doc.is_clean(), "generated file reads clean");
        assert_eq!(doc.sets().count(), sets);
        document_segments(&doc)
    };
    println!("{expected_segments} segments; one thread, best of {RUNS} runs each");

    let only = std::env::var("EDI_BENCH_ONLY").unwrap_or_default();
    let run = |m: &str| only.is_empty() || only == m;
    let mut tokenize_mbps = f64::NAN;
    let mut read_secs = None;
    let mut mapping_mbps = f64::NAN;

    if run("a") {
        let tokenize = best_of(RUNS, || tokenize_count(black_box(&data)), |&n| (n, 0));
        assert_eq!(tokenize.segments, expected_segments);
        tokenize_mbps = report("(a) tokenize", bytes, &tokenize);
    }

    let options = ReadOptions::strict();
    if run("b") {
        let envelope = best_of(
            RUNS,
            || read(black_box(&data), &options),
            |doc| (document_segments(doc), 0),
        );
        assert_eq!(envelope.segments, expected_segments);
        report("(b) envelope::read", bytes, &envelope);
        read_secs = Some(envelope.best.as_secs_f64());
    }

    if run("c") {
        let mapping = best_of(
            RUNS,
            || {
                let doc = read(black_box(&data), &options);
                let mut events = 0;
                for set in doc.sets() {
                    match parse_any(set, &options) {
                        Ok(TypedSet::ShipmentStatus214(s)) => events += black_box(s).events.len(),
                        other => panic!("set {} did not map: {other:?}", set.control),
                    }
                }
                (doc, events)
            },
            |(doc, events)| (document_segments(doc), *events),
        );
        assert_eq!(mapping.segments, expected_segments);
        mapping_mbps = report("(c) read + 214 mapping", bytes, &mapping);
        if let Some(read_secs) = read_secs {
            // For orientation only: the best (c) less the best (b).
            let secs = mapping.best.as_secs_f64() - read_secs;
            println!(
                "    of which mapping (c - b): secs {secs:.3}, {:.1} MB/s, {:.0} events/s, {:.2} us per set",
                bytes as f64 / 1e6 / secs,
                mapping.events as f64 / secs,
                secs * 1e6 / sets as f64
            );
        }
    }

    let verdict = |mbps: f64, target: f64| {
        if mbps.is_nan() {
            "not run"
        } else if mbps >= target {
            "PASS"
        } else {
            "MISS"
        }
    };
    println!(
        "summary: tokenize {tokenize_mbps:.1} MB/s (target >= {TOKENIZE_TARGET_MBPS:.0}) {}; read + 214 mapping {mapping_mbps:.1} MB/s (target >= {MAPPING_TARGET_MBPS:.0}) {}",
        verdict(tokenize_mbps, TOKENIZE_TARGET_MBPS),
        verdict(mapping_mbps, MAPPING_TARGET_MBPS),
    );
}
