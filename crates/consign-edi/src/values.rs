//! X12 data element types (DT, TM, R, Nn) parsed and formatted exactly, plus the helper every
//! typed mapping uses to read elements and file faults with full location.

use jiff::civil::{Date, Time};
use rust_decimal::Decimal;

use crate::envelope::{MAX_FINDINGS, ReadOptions, TransactionSet};
use crate::error::{EdiError, ErrorKind, quoted};
use crate::tokenizer::{Element, Fields, Segment};

/// rust_decimal holds 28 significant digits; longer numbers are refused rather than rounded.
const MAX_DIGITS: usize = 28;

fn digits(bytes: &[u8]) -> Option<u32> {
    let mut n: u32 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(n)
}

/// DT, CCYYMMDD.
pub fn parse_date(bytes: &[u8]) -> Result<Date, String> {
    let bad = || format!("invalid date {} (expected CCYYMMDD)", quoted(bytes));
    if bytes.len() != 8 {
        return Err(bad());
    }
    let year = bytes.get(0..4).and_then(digits).ok_or_else(bad)?;
    let month = bytes.get(4..6).and_then(digits).ok_or_else(bad)?;
    let day = bytes.get(6..8).and_then(digits).ok_or_else(bad)?;
    let (Ok(year), Ok(month), Ok(day)) =
        (i16::try_from(year), i8::try_from(month), i8::try_from(day))
    else {
        return Err(bad());
    };
    Date::new(year, month, day).map_err(|_| bad())
}

/// TM, HHMM, HHMMSS, HHMMSSD (tenths) or HHMMSSDD (hundredths).
pub fn parse_time(bytes: &[u8]) -> Result<Time, String> {
    let bad = || format!("invalid time {} (expected HHMM[SS[D[D]]])", quoted(bytes));
    if !matches!(bytes.len(), 4 | 6 | 7 | 8) {
        return Err(bad());
    }
    let part = |r: std::ops::Range<usize>| bytes.get(r).and_then(digits);
    let hour = part(0..2).ok_or_else(bad)?;
    let minute = part(2..4).ok_or_else(bad)?;
    let second = if bytes.len() >= 6 {
        part(4..6).ok_or_else(bad)?
    } else {
        0
    };
    let nanos = match bytes.len() {
        7 => part(6..7).ok_or_else(bad)? * 100_000_000,
        8 => part(6..8).ok_or_else(bad)? * 10_000_000,
        _ => 0,
    };
    let (Ok(h), Ok(m), Ok(s), Ok(ns)) = (
        i8::try_from(hour),
        i8::try_from(minute),
        i8::try_from(second),
        i32::try_from(nanos),
    ) else {
        return Err(bad());
    };
    Time::new(h, m, s, ns).map_err(|_| bad())
}

/// R: an explicit decimal, optional leading minus, optional point.
pub fn parse_decimal(bytes: &[u8]) -> Result<Decimal, String> {
    let bad = || format!("invalid number {}", quoted(bytes));
    let body = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let digit_count = body.iter().filter(|b| b.is_ascii_digit()).count();
    let points = body.iter().filter(|&&b| b == b'.').count();
    if digit_count == 0
        || digit_count > MAX_DIGITS
        || points > 1
        || digit_count + points != body.len()
    {
        return Err(bad());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| bad())?;
    let text = text.strip_suffix('.').unwrap_or(text);
    text.parse::<Decimal>().map_err(|_| bad())
}

/// Nn: an integer with `scale` implied decimal places (N2 "1234" is 12.34).
pub fn parse_implied(bytes: &[u8], scale: u32) -> Result<Decimal, String> {
    let bad = || format!("invalid N{scale} number {}", quoted(bytes));
    let (negative, body) = match bytes.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    if body.is_empty() || body.len() > MAX_DIGITS || !body.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let mut n: i128 = 0;
    for &b in body {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(i128::from(b - b'0')))
            .ok_or_else(bad)?;
    }
    if negative {
        n = -n;
    }
    Decimal::try_from_i128_with_scale(n, scale).map_err(|_| bad())
}

/// N0 as a count or sequence number.
pub fn parse_count(bytes: &[u8]) -> Result<u32, String> {
    if bytes.is_empty() || bytes.len() > 9 {
        return Err(format!("invalid whole number {}", quoted(bytes)));
    }
    digits(bytes).ok_or_else(|| format!("invalid whole number {}", quoted(bytes)))
}

/// R for writing: no exponent, no trailing zeros, no `-0`.
pub fn format_decimal(d: Decimal) -> String {
    if d.is_zero() {
        return "0".to_string();
    }
    d.normalize().to_string()
}

/// Nn for writing: the value rounded to `scale` places, without the point.
pub fn format_implied(d: Decimal, scale: u32) -> String {
    let r = d.round_dp(scale);
    let mut m = r.mantissa();
    let mut s = r.scale();
    while s < scale {
        m = m.saturating_mul(10);
        s += 1;
    }
    m.to_string()
}

/// What a mapping reads elements from: a [`Segment`], or the same segment split once
/// ([`Fields`]) where a mapping reads most of its elements.
pub(crate) trait ReadElements {
    fn segment(&self) -> &Segment<'_>;

    fn id(&self) -> &str;

    /// Element `n`, 1-based; absent reads as empty.
    fn element(&self, n: usize) -> Element<'_>;

    /// `None` for an empty element, else its text as a `String` or `CompactString`.
    fn opt_into<S: for<'x> From<&'x str>>(&self, n: usize) -> Option<S>;

    /// The element's text, empty when absent.
    fn text_into<S: for<'x> From<&'x str>>(&self, n: usize) -> S;
}

impl ReadElements for Segment<'_> {
    fn segment(&self) -> &Segment<'_> {
        self
    }

    fn id(&self) -> &str {
        Segment::id(self)
    }

    fn element(&self, n: usize) -> Element<'_> {
        Segment::element(self, n)
    }

    fn opt_into<S: for<'x> From<&'x str>>(&self, n: usize) -> Option<S> {
        Segment::element(self, n).opt_into()
    }

    fn text_into<S: for<'x> From<&'x str>>(&self, n: usize) -> S {
        Segment::element(self, n).text_into()
    }
}

impl ReadElements for Fields<'_, '_> {
    fn segment(&self) -> &Segment<'_> {
        Fields::segment(self)
    }

    fn id(&self) -> &str {
        Fields::id(self)
    }

    fn element(&self, n: usize) -> Element<'_> {
        Fields::element(self, n)
    }

    fn opt_into<S: for<'x> From<&'x str>>(&self, n: usize) -> Option<S> {
        match self.split_text(n) {
            Some(text) => (!text.is_empty()).then(|| S::from(text)),
            None => self.segment().element(n).opt_into(),
        }
    }

    fn text_into<S: for<'x> From<&'x str>>(&self, n: usize) -> S {
        match self.split_text(n) {
            Some(text) => S::from(text),
            None => self.segment().element(n).text_into(),
        }
    }
}

/// Reads elements of one transaction set for a typed mapping and files its faults: errors in
/// strict mode, warnings in lenient mode (the value then reads as absent).
pub(crate) struct Mapper<'s, 'a> {
    set: &'s TransactionSet<'a>,
    lenient: bool,
    errors: Vec<EdiError>,
    warnings: Vec<EdiError>,
}

impl<'s, 'a> Mapper<'s, 'a> {
    /// Refuses a set of another type outright, in either mode.
    pub fn new(
        set: &'s TransactionSet<'a>,
        options: &ReadOptions,
        expected: &str,
    ) -> Result<Self, Vec<EdiError>> {
        if set.id != expected {
            return Err(vec![
                set.locate(
                    EdiError::new(
                        ErrorKind::UnsupportedSet,
                        format!(
                            "transaction set {} is not a {expected}",
                            quoted(set.id.as_bytes())
                        ),
                    )
                    .segment(1, "ST")
                    .element(1),
                ),
            ]);
        }
        Ok(Self {
            set,
            lenient: options.lenient,
            errors: Vec::new(),
            warnings: Vec::new(),
        })
    }

    pub fn segments(&self) -> impl Iterator<Item = (usize, &'s Segment<'a>)> + use<'s, 'a> {
        self.set.segments.iter().enumerate()
    }

    pub fn fault(&mut self, e: EdiError) {
        let list = if self.lenient {
            &mut self.warnings
        } else {
            &mut self.errors
        };
        if list.len() < MAX_FINDINGS {
            list.push(self.set.locate(e));
        }
    }

    fn element_fault(
        &mut self,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
        element_ref: u16,
        kind: ErrorKind,
        reason: String,
    ) {
        let value = seg.element(n);
        let mut e = EdiError::new(kind, reason)
            .segment(TransactionSet::position_of(index), seg.id())
            .element(n)
            .offset(seg.segment().offset());
        if element_ref != 0 {
            e = e.element_ref(element_ref);
        }
        if !value.is_empty() {
            e = e.data(value.text().into_owned());
        }
        self.fault(e);
    }

    /// Optional text element, as a `String` or a `CompactString` (whichever the field is).
    pub fn text<S: for<'x> From<&'x str>>(&self, seg: &impl ReadElements, n: usize) -> Option<S> {
        seg.opt_into(n)
    }

    /// Mandatory text element; empty (with a fault) when absent.
    pub fn required<S: for<'x> From<&'x str> + Default>(
        &mut self,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
        element_ref: u16,
        name: &str,
    ) -> S {
        match seg.opt_into(n) {
            Some(v) => v,
            None => {
                self.missing(index, seg, n, element_ref, name);
                S::default()
            }
        }
    }

    /// Reports mandatory element `n` (`name`) as missing.
    fn missing(
        &mut self,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
        element_ref: u16,
        name: &str,
    ) {
        self.element_fault(
            index,
            seg,
            n,
            element_ref,
            ErrorKind::MissingElement,
            format!("mandatory {name} is missing"),
        );
    }

    /// Reports a mandatory element as missing when `value` is `None`.
    pub fn require<T>(
        &mut self,
        value: Option<T>,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
        element_ref: u16,
        name: &str,
    ) -> Option<T> {
        if value.is_none() && seg.element(n).is_empty() {
            self.missing(index, seg, n, element_ref, name);
        }
        value
    }

    fn typed<T>(
        &mut self,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
        element_ref: u16,
        kind: ErrorKind,
        parse: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Option<T> {
        let raw = seg.element(n).as_bytes();
        if raw.is_empty() {
            return None;
        }
        match parse(raw) {
            Ok(v) => Some(v),
            Err(reason) => {
                self.element_fault(index, seg, n, element_ref, kind, reason);
                None
            }
        }
    }

    pub fn date(
        &mut self,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
        element_ref: u16,
    ) -> Option<Date> {
        self.typed(
            index,
            seg,
            n,
            element_ref,
            ErrorKind::InvalidDate,
            parse_date,
        )
    }

    pub fn time(
        &mut self,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
        element_ref: u16,
    ) -> Option<Time> {
        self.typed(
            index,
            seg,
            n,
            element_ref,
            ErrorKind::InvalidTime,
            parse_time,
        )
    }

    pub fn decimal(
        &mut self,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
        element_ref: u16,
    ) -> Option<Decimal> {
        self.typed(
            index,
            seg,
            n,
            element_ref,
            ErrorKind::InvalidNumber,
            parse_decimal,
        )
    }

    pub fn implied(
        &mut self,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
        element_ref: u16,
        scale: u32,
    ) -> Option<Decimal> {
        self.typed(index, seg, n, element_ref, ErrorKind::InvalidNumber, |b| {
            parse_implied(b, scale)
        })
    }

    pub fn count(
        &mut self,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
        element_ref: u16,
    ) -> Option<u32> {
        self.typed(
            index,
            seg,
            n,
            element_ref,
            ErrorKind::InvalidNumber,
            parse_count,
        )
    }

    /// A time code (element 623) that [`crate::time::time_code`] does not know.
    pub fn time_code<S: for<'x> From<&'x str> + AsRef<str>>(
        &mut self,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
    ) -> Option<S> {
        let code: S = seg.opt_into(n)?;
        let code_str = code.as_ref();
        if crate::time::time_code(code_str).is_none() {
            self.element_fault(
                index,
                seg,
                n,
                623,
                ErrorKind::InvalidCode,
                format!("unknown time code {}", quoted(code_str.as_bytes())),
            );
        }
        Some(code)
    }

    /// An element required because another one is present (an X12 paired/conditional note).
    pub fn conditional(
        &mut self,
        index: usize,
        seg: &impl ReadElements,
        n: usize,
        element_ref: u16,
        reason: String,
    ) {
        self.element_fault(
            index,
            seg,
            n,
            element_ref,
            ErrorKind::ConditionalElementMissing,
            reason,
        );
    }

    pub fn segment_fault(
        &mut self,
        index: usize,
        seg: &Segment<'_>,
        kind: ErrorKind,
        reason: String,
    ) {
        let e = EdiError::new(kind, reason)
            .segment(TransactionSet::position_of(index), seg.id())
            .offset(seg.offset());
        self.fault(e);
    }

    /// A mandatory segment that never came; located at the SE, where it was last possible.
    pub fn missing_segment(&mut self, id: &str, what: &str) {
        let at = self.set.trailer_position();
        self.fault(
            EdiError::new(
                ErrorKind::MissingSegment,
                format!("mandatory {id} segment ({what}) is missing"),
            )
            .segment(at, id),
        );
    }

    /// The warnings to attach to the mapped value, or every error.
    pub fn finish(self) -> Result<Vec<EdiError>, Vec<EdiError>> {
        if self.errors.is_empty() {
            Ok(self.warnings)
        } else {
            Err(self.errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn dates_are_real_calendar_days() {
        assert_eq!(
            parse_date(b"20111217").unwrap(),
            jiff::civil::date(2011, 12, 17)
        );
        assert!(parse_date(b"20261345").is_err());
        assert!(parse_date(b"20230229").is_err());
        assert!(parse_date(b"200").is_err());
        assert!(parse_date(b"2023-1-1").is_err());
    }

    #[test]
    fn times_take_every_precision() {
        assert_eq!(parse_time(b"0830").unwrap(), jiff::civil::time(8, 30, 0, 0));
        assert_eq!(
            parse_time(b"083015").unwrap(),
            jiff::civil::time(8, 30, 15, 0)
        );
        assert_eq!(
            parse_time(b"0830155").unwrap(),
            jiff::civil::time(8, 30, 15, 500_000_000)
        );
        assert_eq!(
            parse_time(b"08301507").unwrap(),
            jiff::civil::time(8, 30, 15, 70_000_000)
        );
        assert!(parse_time(b"2460").is_err());
        assert!(parse_time(b"2400").is_err());
        assert!(parse_time(b"083").is_err());
    }

    #[test]
    fn numbers_explicit_and_implied() {
        assert_eq!(
            parse_decimal(b"237.1").unwrap(),
            Decimal::from_str("237.1").unwrap()
        );
        assert_eq!(parse_decimal(b"-5").unwrap(), Decimal::from(-5));
        assert_eq!(parse_decimal(b"5.").unwrap(), Decimal::from(5));
        assert!(parse_decimal(b"1.2.3").is_err());
        assert!(parse_decimal(b"1e5").is_err());
        assert!(parse_decimal(b"").is_err());
        assert!(parse_decimal(b"-").is_err());
        assert!(parse_decimal(&[b'9'; 40]).is_err());
        assert_eq!(
            parse_implied(b"0700", 2).unwrap(),
            Decimal::from_str("7.00").unwrap()
        );
        assert_eq!(
            parse_implied(b"-125", 2).unwrap(),
            Decimal::from_str("-1.25").unwrap()
        );
        assert!(parse_implied(b"7.00", 2).is_err());
        assert!(parse_implied(&[b'9'; 29], 2).is_err());
    }

    #[test]
    fn formatting_round_trips() {
        let d = Decimal::from_str("12.30").unwrap();
        assert_eq!(format_decimal(d), "12.3");
        assert_eq!(format_implied(d, 2), "1230");
        assert_eq!(format_implied(Decimal::from(7), 2), "700");
        assert_eq!(
            format_implied(Decimal::from_str("1.005").unwrap(), 2),
            "100"
        );
        assert_eq!(format_decimal(Decimal::from_str("-0.0").unwrap()), "0");
    }

    /// The values layer reads a segment's elements through `Fields` (split once); it must
    /// read each exactly as the segment itself does.
    #[test]
    fn fields_read_every_element_as_the_segment_does() {
        use crate::tokenizer::{Delimiters, SPLIT_SLOTS, Segment};
        let delims = Delimiters::default;
        let many = (1..=SPLIT_SLOTS + 3)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("*");
        let exactly = (1..SPLIT_SLOTS).map(|n| n.to_string()).collect::<Vec<_>>();
        let inputs: Vec<Vec<u8>> = vec![
            b"AT7*X1*AD***20111222*0745".to_vec(),
            b"LX".to_vec(),
            b"LX*".to_vec(),
            b"*".to_vec(),
            b"".to_vec(),
            b"N1*SH*CAF\xc3\xa9 M\xc3\xbcLLER*93*12".to_vec(),
            // Not UTF-8: each element is read lossily, as from the segment.
            b"N1*SH*CAF\xe9*93".to_vec(),
            b"N\xff1*SH".to_vec(),
            format!("L11*{many}").into_bytes(),
            format!("L11*{}", exactly.join("*")).into_bytes(),
            format!("L11*{}*", exactly.join("*")).into_bytes(),
        ];
        let separators = [
            delims(),
            Delimiters {
                element: b'|',
                ..delims()
            },
            // Not a valid separator, but read the same way all the same.
            Delimiters {
                element: 0xa9,
                ..delims()
            },
        ];
        for d in separators {
            for input in &inputs {
                let raw: Vec<u8> = input
                    .iter()
                    .map(|&b| if b == b'*' { d.element } else { b })
                    .collect();
                let seg = Segment::new(&raw, 7, d, true);
                let f = Fields::new(&seg);
                let shown = String::from_utf8_lossy(&raw);
                assert_eq!(f.id(), seg.id(), "{shown}");
                assert_eq!(ReadElements::id(&f), seg.id(), "{shown}");
                assert_eq!(f.segment().offset(), 7);
                for n in 0..SPLIT_SLOTS + 6 {
                    let want = seg.element(n);
                    assert_eq!(f.element(n), want, "{shown} {n}");
                    assert_eq!(f.opt_into::<String>(n), want.opt(), "{shown} {n}");
                    assert_eq!(f.text_into::<String>(n), want.text(), "{shown} {n}");
                }
            }
        }
    }
}
