//! Writing interchanges: owned segments, the ISA/GS/ST envelopes with their counts and control
//! numbers, and the checks that keep a value from silently breaking the delimiter structure
//! (X12 has no escape character, so such a value is an error, not something to mangle).

use compact_str::CompactString;
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

use crate::error::{EdiError, ErrorKind, quoted, show_byte};
use crate::tokenizer::Delimiters;

/// An owned element: repetitions of components. A simple value is one repetition of one
/// component; an empty element is one empty component.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OwnedElement(pub Vec<Vec<String>>);

impl OwnedElement {
    pub fn simple(value: impl Into<String>) -> Self {
        Self(vec![vec![value.into()]])
    }

    pub fn empty() -> Self {
        Self::simple("")
    }

    pub fn composite<S: Into<String>>(components: impl IntoIterator<Item = S>) -> Self {
        let c: Vec<String> = components.into_iter().map(Into::into).collect();
        if c.is_empty() {
            Self::empty()
        } else {
            Self(vec![c])
        }
    }

    /// Repeated values (5010 on), each possibly a composite.
    pub fn repeated(repetitions: Vec<Vec<String>>) -> Self {
        if repetitions.is_empty() {
            Self::empty()
        } else {
            Self(repetitions)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|r| r.iter().all(String::is_empty))
    }

    /// The value of a simple element; `None` for composites and repetitions.
    pub fn as_simple(&self) -> Option<&str> {
        match self.0.as_slice() {
            [rep] => match rep.as_slice() {
                [one] => Some(one.as_str()),
                _ => None,
            },
            _ => None,
        }
    }
}

impl From<&str> for OwnedElement {
    fn from(v: &str) -> Self {
        Self::simple(v)
    }
}

impl From<String> for OwnedElement {
    fn from(v: String) -> Self {
        Self::simple(v)
    }
}

impl From<&String> for OwnedElement {
    fn from(v: &String) -> Self {
        Self::simple(v.as_str())
    }
}

impl From<Option<String>> for OwnedElement {
    fn from(v: Option<String>) -> Self {
        Self::simple(v.unwrap_or_default())
    }
}

impl From<Option<&String>> for OwnedElement {
    fn from(v: Option<&String>) -> Self {
        Self::simple(v.map(String::as_str).unwrap_or_default())
    }
}

impl From<Option<&str>> for OwnedElement {
    fn from(v: Option<&str>) -> Self {
        Self::simple(v.unwrap_or_default())
    }
}

impl From<&CompactString> for OwnedElement {
    fn from(v: &CompactString) -> Self {
        Self::simple(v.as_str())
    }
}

impl From<Option<&CompactString>> for OwnedElement {
    fn from(v: Option<&CompactString>) -> Self {
        Self::simple(v.map(CompactString::as_str).unwrap_or_default())
    }
}

impl From<Option<CompactString>> for OwnedElement {
    fn from(v: Option<CompactString>) -> Self {
        Self::simple(v.map(String::from).unwrap_or_default())
    }
}

/// An owned segment, as written or as copied from a read one
/// ([`crate::Segment::to_owned_segment`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OwnedSegment {
    pub id: String,
    pub elements: Vec<OwnedElement>,
}

impl OwnedSegment {
    /// A segment from its elements, with trailing empty elements dropped (X12 forbids trailing
    /// separators, and dropping them here makes written and re-read segments compare equal).
    pub fn new<E: Into<OwnedElement>>(
        id: impl Into<String>,
        elements: impl IntoIterator<Item = E>,
    ) -> Self {
        let mut elements: Vec<OwnedElement> = elements.into_iter().map(Into::into).collect();
        while elements.last().is_some_and(OwnedElement::is_empty) {
            elements.pop();
        }
        Self {
            id: id.into(),
            elements,
        }
    }

    /// Element `n` (1-based) of a simple element, empty when absent.
    pub fn element(&self, n: usize) -> &str {
        n.checked_sub(1)
            .and_then(|i| self.elements.get(i))
            .and_then(OwnedElement::as_simple)
            .unwrap_or("")
    }
}

/// Owned copies of what the tokenizer reads, for comparison and rewriting (here, beside
/// the owned types, so that the tokenizer stays below the writer).
impl crate::tokenizer::Segment<'_> {
    /// An owned copy, split into repetitions and components, for comparison and rewriting.
    pub fn to_owned_segment(&self) -> OwnedSegment {
        OwnedSegment {
            id: String::from_utf8_lossy(self.id_bytes()).into_owned(),
            elements: self.elements().map(|e| e.to_owned_element()).collect(),
        }
    }
}

impl crate::tokenizer::Element<'_> {
    pub fn to_owned_element(&self) -> OwnedElement {
        OwnedElement(
            self.repetitions()
                .map(|r| {
                    r.components()
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect()
                })
                .collect(),
        )
    }
}

/// A transaction set to write: ST01, ST02, the segments between ST and SE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingSet {
    pub id: String,
    pub control: String,
    /// ST03, 5010 only.
    pub implementation_ref: Option<String>,
    pub segments: Vec<OwnedSegment>,
}

impl OutgoingSet {
    pub fn new(
        id: impl Into<String>,
        control: impl Into<String>,
        segments: Vec<OwnedSegment>,
    ) -> Self {
        Self {
            id: id.into(),
            control: control.into(),
            implementation_ref: None,
            segments,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum X12Version {
    V004010,
    V005010,
}

impl X12Version {
    /// ISA12.
    pub fn isa12(self) -> &'static str {
        match self {
            Self::V004010 => "00401",
            Self::V005010 => "00501",
        }
    }

    /// GS08.
    pub fn gs08(self) -> &'static str {
        match self {
            Self::V004010 => "004010",
            Self::V005010 => "005010",
        }
    }

    /// From a GS08 like `004010`, `005010X214` or an ISA12 like `00501`.
    pub fn from_code(code: &str) -> Option<Self> {
        if code.starts_with("00401") || code.starts_with("004010") {
            Some(Self::V004010)
        } else if code.starts_with("00501") || code.starts_with("005010") {
            Some(Self::V005010)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Usage {
    Production,
    Test,
}

/// Everything an interchange with one functional group needs besides its sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// ISA05, e.g. `ZZ` or `02` (SCAC).
    pub sender_qualifier: String,
    /// ISA06, padded to 15.
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    /// GS02; the ISA06 value when `None` or blank. At most 15 characters; one character is
    /// padded to the 2-character minimum.
    pub application_sender: Option<String>,
    /// GS03; the ISA08 value when `None` (length as for GS02).
    pub application_receiver: Option<String>,
    pub date: Date,
    pub time: Time,
    /// ISA13/IEA02, at most 999 999 999.
    pub interchange_control: u32,
    /// GS06/GE02, at most 999 999 999.
    pub group_control: u32,
    /// GS01 (see [`functional_id`](crate::envelope::functional_id)).
    pub functional_id: String,
    pub version: X12Version,
    pub usage: Usage,
    /// ISA14: ask the receiver for a TA1.
    pub ack_requested: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WriteOptions {
    pub delimiters: Delimiters,
    /// Put a line feed after each segment terminator, for people reading the file. Off by
    /// default; the delimiters default to `*`, `:`, `~` and `^`.
    pub line_breaks: bool,
}

fn invalid(reason: String) -> EdiError {
    EdiError::new(ErrorKind::InvalidValue, reason)
}

/// Checks one component value against the delimiters and the X12 character set.
fn check_value(value: &str, d: &Delimiters, at: &str) -> Result<(), EdiError> {
    for &b in value.as_bytes() {
        if d.is_delimiter(b) {
            return Err(invalid(format!(
                "{at}: value {} contains the delimiter {}",
                quoted(value.as_bytes()),
                show_byte(b)
            )));
        }
        if !(0x20..0x7f).contains(&b) {
            return Err(invalid(format!(
                "{at}: value {} contains {} (X12 data is printable ASCII)",
                quoted(value.as_bytes()),
                show_byte(b)
            )));
        }
    }
    Ok(())
}

/// Appends one segment and its terminator. `d.repetition` is honoured only when the caller
/// passes it (4010 has none).
fn push_segment(
    out: &mut Vec<u8>,
    seg: &OwnedSegment,
    d: &Delimiters,
    line_breaks: bool,
) -> Result<(), EdiError> {
    let id = seg.id.as_bytes();
    let id_ok = (2..=3).contains(&id.len())
        && id.first().is_some_and(u8::is_ascii_uppercase)
        && id
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !id_ok {
        return Err(invalid(format!(
            "segment identifier {} is not 2-3 upper-case letters or digits",
            quoted(id)
        )));
    }
    out.extend_from_slice(id);
    let mut elements = seg.elements.as_slice();
    while let Some((last, head)) = elements.split_last() {
        if last.is_empty() {
            elements = head;
        } else {
            break;
        }
    }
    for (i, element) in elements.iter().enumerate() {
        out.push(d.element);
        let at = format!("{}{:02}", seg.id, i + 1);
        if element.0.len() > 1 && d.repetition.is_none() {
            return Err(invalid(format!(
                "{at}: repeated values need a repetition separator (version 00402 or later)"
            )));
        }
        for (r, rep) in element.0.iter().enumerate() {
            if r > 0
                && let Some(sep) = d.repetition
            {
                out.push(sep);
            }
            let mut comps = rep.as_slice();
            while comps.len() > 1 && comps.last().is_some_and(String::is_empty) {
                comps = comps.get(..comps.len() - 1).unwrap_or(comps);
            }
            for (c, comp) in comps.iter().enumerate() {
                if c > 0 {
                    out.push(d.component);
                }
                check_value(comp, d, &at)?;
                out.extend_from_slice(comp.as_bytes());
            }
        }
    }
    out.push(d.segment);
    if line_breaks && d.segment != b'\n' {
        out.push(b'\n');
    }
    Ok(())
}

fn fixed(value: &str, width: usize, name: &str) -> Result<String, EdiError> {
    if value.len() > width {
        return Err(invalid(format!(
            "{name} {} is longer than its fixed {width} characters",
            quoted(value.as_bytes())
        )));
    }
    Ok(format!("{value:<width$}"))
}

/// An AN value padded with trailing spaces to the element's minimum length: X12 suppresses
/// trailing spaces except where they are needed to reach the minimum (X12.6), so `R` in a 2/15
/// element is written `R `.
pub fn pad_to_min_length(value: &str, min: usize) -> String {
    format!("{value:<min$}")
}

/// GS02/GS03 (elements 142 and 124, AN 2/15) from an application code, or the ISA id when
/// there is none or it is blank: without trailing spaces, then padded to the 2-character
/// minimum (a one-character ISA id is common).
fn application_code(code: Option<&str>, isa_id: &str, name: &str) -> Result<String, EdiError> {
    let v = match code.filter(|c| !c.trim().is_empty()) {
        Some(c) => c.trim_end(),
        None => isa_id.trim(),
    };
    if v.trim().is_empty() {
        return Err(invalid(format!("{name} application code is empty")));
    }
    if v.len() > 15 {
        return Err(invalid(format!(
            "{name} application code {} is longer than 15 characters",
            quoted(v.as_bytes())
        )));
    }
    Ok(pad_to_min_length(v, 2))
}

/// Date as CCYYMMDD.
pub fn format_date(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// Time as HHMM, HHMMSS when it has seconds, HHMMSSDD when it has hundredths.
pub fn format_time(t: Time) -> String {
    let hundredths = t.subsec_nanosecond() / 10_000_000;
    if hundredths != 0 {
        format!(
            "{:02}{:02}{:02}{:02}",
            t.hour(),
            t.minute(),
            t.second(),
            hundredths
        )
    } else if t.second() != 0 {
        format!("{:02}{:02}{:02}", t.hour(), t.minute(), t.second())
    } else {
        format!("{:02}{:02}", t.hour(), t.minute())
    }
}

/// The delimiters an interchange of `envelope`'s version is written with, checked.
fn interchange_delimiters(
    envelope: &Envelope,
    options: &WriteOptions,
) -> Result<Delimiters, EdiError> {
    let mut d = options.delimiters;
    d.repetition = match envelope.version {
        X12Version::V004010 => None,
        X12Version::V005010 => Some(d.repetition.unwrap_or(b'^')),
    };
    d.validate()?;
    if d.segment == b'\n' && options.line_breaks {
        return Err(invalid(
            "line breaks cannot be added when LF is the segment terminator".into(),
        ));
    }
    if envelope.interchange_control > 999_999_999 {
        return Err(invalid("control numbers have at most 9 digits".to_string()));
    }
    Ok(d)
}

/// Appends the fixed-width ISA of `envelope`.
fn push_isa(
    out: &mut Vec<u8>,
    envelope: &Envelope,
    d: &Delimiters,
    line_breaks: bool,
) -> Result<(), EdiError> {
    let isa11 = match d.repetition {
        Some(r) => char::from(r).to_string(),
        None => "U".to_string(),
    };
    let isa_fields = [
        "00".to_string(),
        " ".repeat(10),
        "00".to_string(),
        " ".repeat(10),
        fixed(&envelope.sender_qualifier, 2, "ISA05")?,
        fixed(&envelope.sender_id, 15, "ISA06")?,
        fixed(&envelope.receiver_qualifier, 2, "ISA07")?,
        fixed(&envelope.receiver_id, 15, "ISA08")?,
        format!(
            "{:02}{:02}{:02}",
            envelope.date.year().rem_euclid(100),
            envelope.date.month(),
            envelope.date.day()
        ),
        format!("{:02}{:02}", envelope.time.hour(), envelope.time.minute()),
        isa11,
        envelope.version.isa12().to_string(),
        format!("{:09}", envelope.interchange_control),
        if envelope.ack_requested { "1" } else { "0" }.to_string(),
        match envelope.usage {
            Usage::Production => "P",
            Usage::Test => "T",
        }
        .to_string(),
        char::from(d.component).to_string(),
    ];
    // ISA fields are checked like any value, except ISA11 and ISA16 which are delimiters.
    for (k, f) in isa_fields.iter().enumerate() {
        if k == 10 || k == 15 {
            continue;
        }
        check_value(f, d, &format!("ISA{:02}", k + 1))?;
    }
    out.extend_from_slice(b"ISA");
    for f in &isa_fields {
        out.push(d.element);
        out.extend_from_slice(f.as_bytes());
    }
    out.push(d.segment);
    if line_breaks {
        out.push(b'\n');
    }
    Ok(())
}

/// Writes one interchange holding one functional group of `sets`: a fixed-width ISA, GS, each
/// ST..SE with its segment count, GE and IEA with their counts and control numbers.
pub fn write_interchange(
    envelope: &Envelope,
    sets: &[OutgoingSet],
    options: &WriteOptions,
) -> Result<Vec<u8>, EdiError> {
    write_interchange_with_gs08(envelope, envelope.version.gs08(), sets, options)
}

/// As [`write_interchange`], with GS08 naming an implementation guide of the envelope's version
/// rather than the bare version: the 999 must be sent with GS08 `005010X231A1`
/// ([`crate::ack::X231A1`]). `gs08` must begin with the envelope's version (`005010...` for
/// 005010) and have at most 12 characters (element 480).
pub fn write_interchange_with_gs08(
    envelope: &Envelope,
    gs08: &str,
    sets: &[OutgoingSet],
    options: &WriteOptions,
) -> Result<Vec<u8>, EdiError> {
    // A GS08 of another version would contradict ISA12 and the delimiters chosen for it.
    if !gs08.starts_with(envelope.version.gs08()) || gs08.len() > 12 {
        return Err(invalid(format!(
            "GS08 {} is not an identifier of version {} of at most 12 characters",
            quoted(gs08.as_bytes()),
            envelope.version.gs08()
        )));
    }
    let d = interchange_delimiters(envelope, options)?;
    if envelope.group_control > 999_999_999 {
        return Err(invalid("control numbers have at most 9 digits".to_string()));
    }
    let mut out =
        Vec::with_capacity(256 + sets.iter().map(|s| s.segments.len() * 40).sum::<usize>());
    push_isa(&mut out, envelope, &d, options.line_breaks)?;

    let app_sender = application_code(
        envelope.application_sender.as_deref(),
        &envelope.sender_id,
        "GS02",
    )?;
    let app_receiver = application_code(
        envelope.application_receiver.as_deref(),
        &envelope.receiver_id,
        "GS03",
    )?;
    let gs06 = envelope.group_control.to_string();
    let gs = OwnedSegment::new(
        "GS",
        [
            envelope.functional_id.clone(),
            app_sender,
            app_receiver,
            format_date(envelope.date),
            format!("{:02}{:02}", envelope.time.hour(), envelope.time.minute()),
            gs06.clone(),
            "X".to_string(),
            gs08.to_string(),
        ],
    );
    push_segment(&mut out, &gs, &d, options.line_breaks)?;

    for set in sets {
        let mut st = vec![set.id.clone(), set.control.clone()];
        if envelope.version == X12Version::V005010
            && let Some(r) = &set.implementation_ref
        {
            st.push(r.clone());
        }
        push_segment(
            &mut out,
            &OwnedSegment::new("ST", st),
            &d,
            options.line_breaks,
        )?;
        for seg in &set.segments {
            if matches!(seg.id.as_str(), "ISA" | "IEA" | "GS" | "GE" | "ST" | "SE") {
                return Err(invalid(format!(
                    "set {}: envelope segment {} inside a transaction set body",
                    set.control, seg.id
                )));
            }
            push_segment(&mut out, seg, &d, options.line_breaks)
                .map_err(|e| e.set(&set.control))?;
        }
        let se = OwnedSegment::new(
            "SE",
            [(set.segments.len() + 2).to_string(), set.control.clone()],
        );
        push_segment(&mut out, &se, &d, options.line_breaks)?;
    }

    let ge = OwnedSegment::new("GE", [sets.len().to_string(), gs06]);
    push_segment(&mut out, &ge, &d, options.line_breaks)?;
    let iea = OwnedSegment::new(
        "IEA",
        [
            "1".to_string(),
            format!("{:09}", envelope.interchange_control),
        ],
    );
    push_segment(&mut out, &iea, &d, options.line_breaks)?;
    Ok(out)
}

/// Writes an interchange holding only an interchange acknowledgment (see [`crate::ta1`]): the
/// ISA of `envelope`, the TA1, and an IEA counting no functional groups. The envelope's group
/// fields (GS ids, group control number, functional identifier) are not used.
pub fn write_ta1_interchange(
    envelope: &Envelope,
    ta1: &OwnedSegment,
    options: &WriteOptions,
) -> Result<Vec<u8>, EdiError> {
    if ta1.id != "TA1" {
        return Err(invalid(format!(
            "{} is not a TA1 segment",
            quoted(ta1.id.as_bytes())
        )));
    }
    let d = interchange_delimiters(envelope, options)?;
    let mut out = Vec::with_capacity(160);
    push_isa(&mut out, envelope, &d, options.line_breaks)?;
    push_segment(&mut out, ta1, &d, options.line_breaks)?;
    let iea = OwnedSegment::new(
        "IEA",
        [
            "0".to_string(),
            format!("{:09}", envelope.interchange_control),
        ],
    );
    push_segment(&mut out, &iea, &d, options.line_breaks)?;
    Ok(out)
}

/// Writes bare segments (no envelope) with the given delimiters; for partners who want a
/// fragment, and for tests.
pub fn write_segments(
    segments: &[OwnedSegment],
    options: &WriteOptions,
) -> Result<Vec<u8>, EdiError> {
    options.delimiters.validate()?;
    let mut out = Vec::new();
    for seg in segments {
        push_segment(&mut out, seg, &options.delimiters, options.line_breaks)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{ReadOptions, read};

    fn envelope(version: X12Version) -> Envelope {
        Envelope {
            sender_qualifier: "ZZ".into(),
            sender_id: "CONSIGN".into(),
            receiver_qualifier: "02".into(),
            receiver_id: "ABCD".into(),
            application_sender: None,
            application_receiver: None,
            date: jiff::civil::date(2026, 3, 9),
            time: jiff::civil::time(14, 5, 0, 0),
            interchange_control: 42,
            group_control: 7,
            functional_id: "QM".into(),
            version,
            usage: Usage::Test,
            ack_requested: false,
        }
    }

    #[test]
    fn isa_is_fixed_width_and_counts_are_right() {
        let set = OutgoingSet::new(
            "214",
            "0001",
            vec![OwnedSegment::new("B10", ["PRO1", "SHIP1", "ABCD"])],
        );
        let bytes = write_interchange(
            &envelope(X12Version::V005010),
            &[set],
            &WriteOptions::default(),
        )
        .unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(text.find("~GS").unwrap(), 105);
        assert!(text.starts_with("ISA*00*          *00*          *ZZ*CONSIGN        *02*ABCD           *260309*1405*^*00501*000000042*0*T*:~"));
        assert!(text.contains("ST*214*0001~B10*PRO1*SHIP1*ABCD~SE*3*0001~GE*1*7~IEA*1*000000042~"));
        let doc = read(&bytes, &ReadOptions::strict());
        assert!(doc.is_clean(), "{:?}", doc.all_errors());
    }

    #[test]
    fn gs_application_codes_meet_their_minimum_length() {
        let mut env = envelope(X12Version::V005010);
        env.sender_id = "S".into();
        env.receiver_id = "R".into();
        let set = OutgoingSet::new(
            "214",
            "0001",
            vec![OwnedSegment::new("B10", ["A", "B", "C"])],
        );
        let text = String::from_utf8(
            write_interchange(&env, std::slice::from_ref(&set), &WriteOptions::default()).unwrap(),
        )
        .unwrap();
        assert!(text.contains("~GS*QM*S *R *20260309*"), "{text}");
        env.application_sender = Some("APPLICATION-CODE-16".into());
        let e = write_interchange(&env, std::slice::from_ref(&set), &WriteOptions::default())
            .unwrap_err();
        assert!(e.reason.contains("GS02"), "{e}");
        env.application_sender = Some("  ".into());
        let text = String::from_utf8(
            write_interchange(&env, std::slice::from_ref(&set), &WriteOptions::default()).unwrap(),
        )
        .unwrap();
        assert!(
            text.contains("~GS*QM*S *R *"),
            "a blank code falls back: {text}"
        );
        env.application_sender = None;
        env.sender_id = " ".into();
        let e = write_interchange(&env, &[set], &WriteOptions::default()).unwrap_err();
        assert!(e.reason.contains("GS02"), "{e}");
    }

    #[test]
    fn ta1_interchange_has_no_group() {
        let ta1 = OwnedSegment::new("TA1", ["000000001", "200101", "1200", "R", "022"]);
        let bytes = write_ta1_interchange(
            &envelope(X12Version::V004010),
            &ta1,
            &WriteOptions::default(),
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text.len(),
            106 + "TA1*000000001*200101*1200*R*022~IEA*0*000000042~".len()
        );
        assert!(text.starts_with("ISA*00*"));
        assert!(text.ends_with(
            "*U*00401*000000042*0*T*:~TA1*000000001*200101*1200*R*022~IEA*0*000000042~"
        ));
        let not_ta1 = OwnedSegment::new("AK1", ["QM", "1"]);
        let e = write_ta1_interchange(
            &envelope(X12Version::V004010),
            &not_ta1,
            &WriteOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidValue);
    }

    #[test]
    fn value_with_a_delimiter_is_refused() {
        let set = OutgoingSet::new("214", "0001", vec![OwnedSegment::new("N1", ["SH", "A*B"])]);
        let e = write_interchange(
            &envelope(X12Version::V004010),
            &[set],
            &WriteOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidValue);
        assert!(e.reason.contains("N102"), "{e}");
    }

    #[test]
    fn trailing_empty_elements_are_dropped() {
        let s = OwnedSegment::new("L11", ["1", "", ""]);
        assert_eq!(s.elements.len(), 1);
        let bytes = write_segments(
            &[OwnedSegment::new("X1", ["a", "", "b"])],
            &WriteOptions::default(),
        )
        .unwrap();
        assert_eq!(bytes, b"X1*a**b~");
    }

    #[test]
    fn times_keep_their_precision() {
        assert_eq!(format_time(jiff::civil::time(8, 30, 0, 0)), "0830");
        assert_eq!(format_time(jiff::civil::time(8, 30, 5, 0)), "083005");
        assert_eq!(
            format_time(jiff::civil::time(8, 30, 5, 120_000_000)),
            "08300512"
        );
    }
}
