//! Helpers shared by the test modules: loading the sample interchanges and building inputs.

use std::path::PathBuf;

use consign_edi::{
    Document, Envelope, ErrorKind, OwnedSegment, ReadOptions, Usage, X12Version, read,
};
use jiff::civil::{date, time};

/// The shared samples live beside the repository (`/work/shared` next to `/work/main`), as in CI.
pub fn sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/x12")
}

/// A sample by its short name, e.g. `v004010_214_01`.
pub fn sample(name: &str) -> Vec<u8> {
    let path = sample_dir().join(format!("{name}.x12-types-0.12.0.x12"));
    match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => panic!("cannot read sample {}: {e}", path.display()),
    }
}

pub const SAMPLES: [&str; 11] = [
    "v004010_204_01",
    "v004010_204_02",
    "v004010_214_01",
    "v004010_214_02",
    "v004010_856_03",
    "v004010_940_02",
    "v004010_945_03",
    "v005010_210_01",
    "v005010_214_01",
    "v005010_990_01",
    "v005010_997_01",
];

pub const STRICT: ReadOptions = ReadOptions::strict();
pub const LENIENT: ReadOptions = ReadOptions::lenient();

/// Reads a sample; the bytes are leaked so the borrowed document can be returned.
pub fn read_sample(name: &str, options: ReadOptions) -> Document<'static> {
    let bytes: &'static [u8] = Box::leak(sample(name).into_boxed_slice());
    read(bytes, &options)
}

pub fn read_text(text: &str, options: ReadOptions) -> Document<'static> {
    let bytes: &'static [u8] = Box::leak(text.as_bytes().to_vec().into_boxed_slice());
    read(bytes, &options)
}

/// Kinds of every error in the document, outermost first.
pub fn error_kinds(doc: &Document<'_>) -> Vec<ErrorKind> {
    doc.all_errors().iter().map(|e| e.kind).collect()
}

pub fn warning_kinds(doc: &Document<'_>) -> Vec<ErrorKind> {
    doc.all_warnings().iter().map(|e| e.kind).collect()
}

/// A fixed-width 5010 ISA with `*`, `>`, `~` and `^`.
pub const ISA_5010: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*^*00501*000000001*0*P*>~";

/// A fixed-width 4010 ISA with `*`, `>`, `~`.
pub const ISA_4010: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*U*00401*000000001*0*P*>~";

/// A one-set 214 interchange around `body` (segments between ST and SE, `~`-terminated), with
/// correct counts.
pub fn wrap_214(body: &str) -> String {
    let count = body.matches('~').count() + 2;
    format!(
        "{ISA_5010}GS*QM*SENDER*RECEIVER*20200101*1200*1*X*005010~ST*214*0001~{body}SE*{count}*0001~GE*1*1~IEA*1*000000001~"
    )
}

/// An owned segment rendered with `*` for quick comparisons.
pub fn line(seg: &OwnedSegment) -> String {
    let mut s = seg.id.clone();
    for e in &seg.elements {
        s.push('*');
        let reps: Vec<String> = e.0.iter().map(|r| r.join(":")).collect();
        s.push_str(&reps.join("^"));
    }
    s
}

/// The envelope the tests send acknowledgements to a partner in: CONSIGN to PARTNER (both
/// `ZZ`), group FA in 005010, interchange 5 and group 6, on 2026-01-02 at 03:04, production.
/// Tests that need another field set it with struct update syntax.
pub fn partner_envelope() -> Envelope {
    Envelope {
        sender_qualifier: "ZZ".into(),
        sender_id: "CONSIGN".into(),
        receiver_qualifier: "ZZ".into(),
        receiver_id: "PARTNER".into(),
        application_sender: None,
        application_receiver: None,
        date: date(2026, 1, 2),
        time: time(3, 4, 0, 0),
        interchange_control: 5,
        group_control: 6,
        functional_id: "FA".into(),
        version: X12Version::V005010,
        usage: Usage::Production,
        ack_requested: false,
    }
}

/// The 997 for group `g` from the envelope's verdict alone (ST02 `1`), as lines.
pub fn envelope_ack_lines(g: &consign_edi::Group<'_>) -> Vec<String> {
    let result = consign_edi::GroupResult::from_group(g);
    consign_edi::ack_997(g, &result, "1")
        .segments
        .iter()
        .map(line)
        .collect()
}
