//! Writes the interchanges that the external X12 validators check (`edi-validators/run.sh`):
//!
//! - for every shared sample file, read strictly (and, when strict reading rejects something,
//!   leniently too), the 997 we would answer each functional group with, as a complete
//!   interchange: `997_<sample>_<mode>_<n>.x12`; an interchange rejected as a whole is also
//!   answered with a TA1 interchange, `ta1_<sample>_<mode>_<n>.x12`;
//! - for every such group of version 005010, the 999 (005010X231A1) we would answer with
//!   instead, `999_<sample>_<mode>_<n>.x12`: partners on 5010 may ask for it rather than the
//!   997, and it is a 5010-only document, so 4010 groups get none;
//! - realistic outbound 204, 214 and 940 interchanges built with our writers, in 004010 and
//!   005010: `out_<set>_<n>.x12`, each checked here to read back as exactly what was written, and
//!   listed in `out_manifest.tsv` (file, set id, GS08, sets, segments) for the validators.
//!
//! Usage: `cargo run -q -p consign-edi --example write_samples -- OUT_DIR`. The samples folder is
//! `$CONSIGN_SAMPLES`, by default `shared/data/x12` beside the repository.

// Shared with the integration tests, which read the same documents back.
#[path = "../tests/edi/outbound_fixtures/mod.rs"]
mod outbound_fixtures;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use consign_edi::sets::s997;
use consign_edi::{
    Document, Envelope, Group, GroupResult, Interchange, ReadOptions, Usage, WriteOptions,
    X12Version, X231A1, ack_997, ack_999, read, ta1, write_interchange,
    write_interchange_with_gs08, write_ta1_interchange,
};
use jiff::civil::{date, time};

use outbound_fixtures::outbound_documents;

/// Replies are dated at a fixed instant so that runs are reproducible.
fn reply_envelope(ic: &Interchange<'_>, group: Option<&Group<'_>>, control: u32) -> Envelope {
    let h = &ic.header;
    let version = group
        .and_then(|g| X12Version::from_code(&g.version))
        .or_else(|| X12Version::from_code(&h.version))
        .unwrap_or(X12Version::V004010);
    let id = |s: &str| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_string())
    };
    Envelope {
        // Our ids are the received receiver's, theirs the received sender's.
        sender_qualifier: h.receiver_qualifier.trim().to_string(),
        sender_id: h.receiver().trim().to_string(),
        receiver_qualifier: h.sender_qualifier.trim().to_string(),
        receiver_id: h.sender().trim().to_string(),
        application_sender: group.and_then(|g| id(&g.application_receiver)),
        application_receiver: group.and_then(|g| id(&g.application_sender)),
        date: date(2026, 3, 9),
        time: time(12, 0, 0, 0),
        interchange_control: control,
        group_control: control,
        functional_id: "FA".to_string(),
        version,
        usage: if h.is_test() {
            Usage::Test
        } else {
            Usage::Production
        },
        ack_requested: false,
    }
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    if let Err(e) = std::fs::write(&path, bytes) {
        panic!("cannot write {}: {e}", path.display());
    }
}

struct Counts {
    acks: usize,
    acks_999: usize,
    ta1s: usize,
    control: u32,
}

/// Panics unless our own reader takes `bytes` strictly without a single error or warning.
fn check_clean(sample: &str, mode: &str, what: &str, bytes: &[u8]) {
    let back = read(bytes, &ReadOptions::strict());
    if !back.is_clean() {
        let faults: Vec<String> = back
            .all_errors()
            .into_iter()
            .chain(back.all_warnings())
            .map(ToString::to_string)
            .collect();
        panic!(
            "{sample} ({mode}): our reader faults the {what} we wrote:\n  {}",
            faults.join("\n  ")
        );
    }
}

/// The 999 answering a 5010 group `g` in `env`, checked to read back as exactly the 999 of
/// 005010X231A1 we built, acknowledging that group set for set.
fn answer_999(
    sample: &str,
    mode: &str,
    g: &Group<'_>,
    result: &GroupResult,
    mut env: Envelope,
    write_options: &WriteOptions,
) -> Vec<u8> {
    let ack = ack_999(g, result, "0001");
    env.version = X12Version::V005010;
    let bytes =
        write_interchange_with_gs08(&env, X231A1, std::slice::from_ref(&ack), write_options)
            .unwrap_or_else(|e| panic!("{sample} ({mode}): cannot write the 999: {e}"));
    check_clean(sample, mode, "999", &bytes);
    let back = read(&bytes, &ReadOptions::strict());
    let group = back.interchanges.first().and_then(|ic| ic.groups.first());
    let shape = group.and_then(|bg| {
        let set = bg.sets.first()?;
        let ak1 = set.segments.first()?.to_owned_segment();
        let ak2s = set.segments.iter().filter(|s| s.id() == "AK2").count();
        let ik5s = set.segments.iter().filter(|s| s.id() == "IK5").count();
        let same: bool = set
            .segments
            .iter()
            .map(|s| s.to_owned_segment())
            .eq(ack.segments.iter().cloned());
        Some((
            same,
            bg.version.clone(),
            set.id.clone(),
            set.implementation_ref.clone(),
            ak1.element(2).to_string(),
            ak2s,
            ik5s,
        ))
    });
    let expected = (
        true,
        X231A1.to_string(),
        "999".to_string(),
        Some(X231A1.to_string()),
        g.control_number.clone(),
        g.sets.len(),
        g.sets.len(),
    );
    if shape.as_ref() != Some(&expected) {
        panic!("{sample} ({mode}): the 999 we wrote reads back as {shape:?}, not {expected:?}");
    }
    bytes
}

/// Writes the 997 (and, for a 5010 group, the 999) for every group of `doc` and a TA1 for every
/// interchange it rejected.
fn write_replies(
    sample: &str,
    mode: &str,
    doc: &Document<'_>,
    options: &ReadOptions,
    out: &Path,
    counts: &mut Counts,
) {
    let write_options = WriteOptions {
        line_breaks: true,
        ..WriteOptions::default()
    };
    if doc.interchanges.is_empty() {
        println!("{sample} ({mode}): no interchange could be read, nothing to answer");
    }
    let mut n = 0;
    for (k, ic) in doc.interchanges.iter().enumerate() {
        if !ic.accepted {
            counts.control += 1;
            let env = reply_envelope(ic, None, counts.control);
            let bytes = write_ta1_interchange(&env, &ta1(ic), &write_options)
                .unwrap_or_else(|e| panic!("{sample} ({mode}): cannot write the TA1: {e}"));
            write_file(out, &format!("ta1_{sample}_{mode}_{}.x12", k + 1), &bytes);
            counts.ta1s += 1;
        }
        for g in &ic.groups {
            n += 1;
            counts.control += 1;
            let result = GroupResult::with_mappings(g, options);
            let ack = ack_997(g, &result, "0001");
            let env = reply_envelope(ic, Some(g), counts.control);
            let bytes = write_interchange(&env, std::slice::from_ref(&ack), &write_options)
                .unwrap_or_else(|e| panic!("{sample} ({mode}): cannot write the 997: {e}"));
            // Our own reader must take what we send.
            check_clean(sample, mode, "997", &bytes);
            let back = read(&bytes, &ReadOptions::strict());
            let parsed = back
                .sets()
                .next()
                .map(|set| s997::parse(set, &ReadOptions::strict()));
            match parsed {
                Some(Ok(p))
                    if p.group_control == g.control_number && p.sets.len() == g.sets.len() => {}
                other => panic!("{sample} ({mode}): the 997 we wrote reads back as {other:?}"),
            }
            write_file(out, &format!("997_{sample}_{mode}_{n}.x12"), &bytes);
            counts.acks += 1;
            if g.version.starts_with("005") {
                // The 999 is the same reply in another form, sent instead of the 997, so it
                // keeps the 997's control numbers (and the 997 files stay as they were).
                let bytes = answer_999(sample, mode, g, &result, env, &write_options);
                write_file(out, &format!("999_{sample}_{mode}_{n}.x12"), &bytes);
                counts.acks_999 += 1;
            }
        }
    }
}

fn samples_dir() -> PathBuf {
    match std::env::var_os("CONSIGN_SAMPLES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/x12"),
    }
}

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: write_samples OUT_DIR");
        return ExitCode::from(2);
    };
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let dir = samples_dir();
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(e) => {
            eprintln!("cannot read the samples folder {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    files.sort();
    if files.is_empty() {
        eprintln!("no sample files in {}", dir.display());
        return ExitCode::FAILURE;
    }

    let mut counts = Counts {
        acks: 0,
        acks_999: 0,
        ta1s: 0,
        control: 0,
    };
    for path in &files {
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let file_name = file_name.unwrap_or_default();
        // `v004010_214_01.x12-types-0.12.0.x12` -> `v004010_214_01`.
        let sample = file_name
            .split('.')
            .next()
            .unwrap_or(&file_name)
            .to_string();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("cannot read {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        };
        let strict = ReadOptions::strict();
        let doc = read(&bytes, &strict);
        write_replies(&sample, "strict", &doc, &strict, &out, &mut counts);
        if !doc.all_errors().is_empty() {
            let lenient = ReadOptions::lenient();
            let doc = read(&bytes, &lenient);
            write_replies(&sample, "lenient", &doc, &lenient, &out, &mut counts);
        }
    }

    let mut manifest = String::from("file\tset\tversion\tsets\tsegments\n");
    let docs = outbound_documents();
    for doc in &docs {
        let (bytes, back) = doc.write_and_read_back();
        if let Err(difference) = back {
            panic!("read-back mismatch: {difference}");
        }
        write_file(&out, &doc.file, &bytes);
        let set_id = doc.sets.first().map_or("", |b| b.set_id());
        manifest.push_str(&format!(
            "{}\t{set_id}\t{}\t{}\t{}\n",
            doc.file,
            doc.envelope.version.gs08(),
            doc.sets.len(),
            doc.segment_count()
        ));
    }
    write_file(&out, "out_manifest.tsv", manifest.as_bytes());
    println!(
        "wrote {} 997, {} 999 and {} TA1 interchanges for {} sample files, and {} outbound interchanges (read back identically) to {}",
        counts.acks,
        counts.acks_999,
        counts.ta1s,
        files.len(),
        docs.len(),
        out.display()
    );
    ExitCode::SUCCESS
}
