//! Zero-copy tokenizer: segments are slices of the input and elements are split only when asked
//! for, so tokenizing allocates nothing and stays a single forward scan.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::error::{EdiError, ErrorKind, show_byte};

/// The four X12 delimiters. They are per interchange (read from its ISA), never global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Delimiters {
    pub element: u8,
    pub component: u8,
    pub segment: u8,
    /// Only from version 00402 on (ISA11); earlier interchanges have none.
    pub repetition: Option<u8>,
}

impl Default for Delimiters {
    /// `*`, `:`, `~` and `^`, the combination most partners expect.
    fn default() -> Self {
        Self {
            element: b'*',
            component: b':',
            segment: b'~',
            repetition: Some(b'^'),
        }
    }
}

impl Delimiters {
    /// Rejects delimiters that would make the data ambiguous: equal ones, alphanumerics, space
    /// (ISA padding), non-ASCII, and CR/LF for anything but the segment terminator (CR/LF are
    /// skipped between segments).
    pub fn validate(&self) -> Result<(), EdiError> {
        let named = [
            ("element separator", Some(self.element)),
            ("component separator", Some(self.component)),
            ("segment terminator", Some(self.segment)),
            ("repetition separator", self.repetition),
        ];
        for (name, byte) in named {
            let Some(b) = byte else { continue };
            if b.is_ascii_alphanumeric() || b == b' ' || b >= 0x80 {
                return Err(EdiError::new(
                    ErrorKind::InvalidDelimiters,
                    format!(
                        "{name} {} is alphanumeric, a space or non-ASCII",
                        show_byte(b)
                    ),
                ));
            }
            if (b == b'\r' || b == b'\n') && name != "segment terminator" {
                return Err(EdiError::new(
                    ErrorKind::InvalidDelimiters,
                    format!("{name} {} is a line break", show_byte(b)),
                ));
            }
        }
        for (i, (a_name, a)) in named.iter().enumerate() {
            for (b_name, b) in named.iter().skip(i + 1) {
                if let (Some(a), Some(b)) = (a, b)
                    && a == b
                {
                    return Err(EdiError::new(
                        ErrorKind::InvalidDelimiters,
                        format!("{a_name} and {b_name} are both {}", show_byte(*a)),
                    ));
                }
            }
        }
        Ok(())
    }

    /// True for any byte that has a delimiter role here.
    pub fn is_delimiter(&self, b: u8) -> bool {
        b == self.element || b == self.component || b == self.segment || Some(b) == self.repetition
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The first eight bytes of `chunk` as one word, first byte lowest.
fn word(chunk: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk.get(..8).unwrap_or(&[0; 8]));
    u64::from_le_bytes(bytes)
}

/// Position of the first `needle` in `hay`, eight bytes at a time (the word has a zero byte
/// where it matches; the lowest flagged byte is always a real match).
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    let pattern = ONES.wrapping_mul(u64::from(needle));
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let x = word(chunk) ^ pattern;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(base + (found.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|i| base + i)
}

/// True when every byte is printable ASCII (0x20..=0x7E), eight bytes at a time.
pub(crate) fn all_printable(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = word(chunk);
        // A byte below 0x20, or above 0x7E (0x7F becomes 0x80; 0x80 and up keep their high
        // bit). Carries only spill over from bytes that are flagged anyway.
        let below = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        let above = (x.wrapping_add(ONES) | x) & HIGHS;
        if below | above != 0 {
            return false;
        }
    }
    chunks.remainder().iter().all(|b| (0x20..0x7f).contains(b))
}

/// One segment, borrowed from the input, without its terminator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    raw: &'a [u8],
    offset: usize,
    delimiters: Delimiters,
    terminated: bool,
}

impl<'a> Segment<'a> {
    pub fn new(raw: &'a [u8], offset: usize, delimiters: Delimiters, terminated: bool) -> Self {
        Self {
            raw,
            offset,
            delimiters,
            terminated,
        }
    }

    /// The bytes between the previous and this segment's terminator.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Byte offset of the segment in the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// False only for a last segment that ran into the end of the input.
    pub fn is_terminated(&self) -> bool {
        self.terminated
    }

    pub fn id_bytes(&self) -> &'a [u8] {
        match self.raw.iter().position(|&b| b == self.delimiters.element) {
            Some(i) => self.raw.get(..i).unwrap_or(self.raw),
            None => self.raw,
        }
    }

    /// The segment identifier; empty when it is not ASCII (reported by the envelope parser).
    pub fn id(&self) -> &'a str {
        std::str::from_utf8(self.id_bytes()).unwrap_or("")
    }

    /// The elements after the identifier, in order, split lazily.
    pub fn elements(&self) -> Elements<'a> {
        let id_len = self.id_bytes().len();
        let rest = self.raw.get(id_len..).unwrap_or(&[]);
        Elements {
            rest: rest.split_first().map(|(_, tail)| tail),
            delimiters: self.delimiters,
        }
    }

    /// Element `n`, 1-based; an absent element reads as empty.
    pub fn element(&self, n: usize) -> Element<'a> {
        // Splitting the whole segment puts the identifier at 0 and element `n` at `n`, the same
        // as `elements().nth(n - 1)` in one tight scan.
        let sep = self.delimiters.element;
        let raw = match n {
            0 => &[],
            _ => self.raw.split(|&b| b == sep).nth(n).unwrap_or(&[]),
        };
        Element {
            raw,
            delimiters: self.delimiters,
        }
    }

    /// Number of elements after the identifier, trailing empty ones included.
    pub fn element_count(&self) -> usize {
        self.elements().count()
    }
}

/// Iterator over a segment's elements.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    rest: Option<&'a [u8]>,
    delimiters: Delimiters,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Element<'a>;

    fn next(&mut self) -> Option<Element<'a>> {
        let rest = self.rest?;
        let sep = self.delimiters.element;
        let (raw, tail) = match rest.iter().position(|&b| b == sep) {
            Some(i) => (rest.get(..i).unwrap_or(rest), rest.get(i + 1..)),
            None => (rest, None),
        };
        self.rest = tail;
        Some(Element {
            raw,
            delimiters: self.delimiters,
        })
    }
}

/// One element: a simple value, a composite (components) or repeated values (5010 on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element<'a> {
    raw: &'a [u8],
    delimiters: Delimiters,
}

impl<'a> Element<'a> {
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The value as text; borrowed unless it held invalid UTF-8 (which the envelope parser
    /// reports as an invalid character).
    pub fn text(&self) -> Cow<'a, str> {
        match std::str::from_utf8(self.raw) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(self.raw),
        }
    }

    /// `None` for an empty element, else its text.
    pub fn opt(&self) -> Option<String> {
        if self.raw.is_empty() {
            None
        } else {
            Some(self.text().into_owned())
        }
    }

    /// [`Self::opt`] into any owned string type, such as a [`compact_str::CompactString`] that
    /// keeps short codes off the heap.
    pub fn opt_into<S: for<'x> From<&'x str>>(&self) -> Option<S> {
        if self.raw.is_empty() {
            None
        } else {
            Some(self.text_into())
        }
    }

    /// [`Self::text`] into any owned string type.
    pub fn text_into<S: for<'x> From<&'x str>>(&self) -> S {
        S::from(&self.text())
    }

    /// Repetitions of the element (one when the interchange has no repetition separator).
    pub fn repetitions(&self) -> impl Iterator<Item = Element<'a>> + use<'a> {
        let delimiters = self.delimiters;
        let rep = delimiters.repetition;
        self.raw
            .split(move |&b| Some(b) == rep)
            .map(move |raw| Element { raw, delimiters })
    }

    /// Components of a composite element (one for a simple element).
    pub fn components(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        let comp = self.delimiters.component;
        self.raw.split(move |&b| b == comp)
    }

    /// Component `n`, 1-based; absent reads as empty.
    pub fn component(&self, n: usize) -> &'a [u8] {
        match n.checked_sub(1) {
            Some(i) => self.components().nth(i).unwrap_or(&[]),
            None => &[],
        }
    }
}

/// Leading slots (identifier and elements) a [`Fields`] splits up front; later elements are
/// split on demand.
pub(crate) const SPLIT_SLOTS: usize = 10;

/// A segment split once into its identifier and first elements, as text. A mapping reads most
/// elements of each segment it models; reading them one by one from the [`Segment`] would rescan
/// it from the start and check UTF-8 for each. Here the whole segment is checked once, and
/// slices of checked text cut at ASCII delimiters need no further check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'s, 'a> {
    segment: &'s Segment<'a>,
    /// The segment as text; `None` when it is not UTF-8, so that each element is read lossily
    /// on its own as from the segment.
    text: Option<&'a str>,
    /// Where each slot ends (the identifier is slot 0, element `n` slot `n`); a slot starts one
    /// past the end of the one before. Slots past the last element end at the text's end, before
    /// they start, and so read as empty. Offsets rather than slices keep the value small: an
    /// array of slices was copied with a `memcpy` call per segment.
    ends: [u32; SPLIT_SLOTS],
}

impl<'s, 'a> Fields<'s, 'a> {
    pub(crate) fn new(segment: &'s Segment<'a>) -> Self {
        let sep = segment.delimiters.element;
        // A non-ASCII separator byte could fall inside a character.
        let text = std::str::from_utf8(segment.raw)
            .ok()
            .filter(|_| sep.is_ascii());
        let len = text.and_then(|t| u32::try_from(t.len()).ok());
        let (Some(text), Some(len)) = (text, len) else {
            return Self {
                segment,
                text: None,
                ends: [0; SPLIT_SLOTS],
            };
        };
        let mut ends = [len; SPLIT_SLOTS];
        let bytes = text.as_bytes();
        let mut from = 0;
        // With every slot filled, later elements are split on demand.
        for end in &mut ends {
            let Some(at) = bytes.get(from..).and_then(|rest| find_byte(rest, sep)) else {
                break;
            };
            from += at;
            *end = u32::try_from(from).unwrap_or(len);
            from += 1;
        }
        Self {
            segment,
            text: Some(text),
            ends,
        }
    }

    /// Slot `n` as text; `None` where it was not split up front.
    fn slot(&self, n: usize) -> Option<&'a str> {
        let text = self.text?;
        let end = *self.ends.get(n)? as usize;
        let start = match n.checked_sub(1) {
            Some(before) => *self.ends.get(before)? as usize + 1,
            None => 0,
        };
        Some(text.get(start..end).unwrap_or(""))
    }

    pub(crate) fn segment(&self) -> &'s Segment<'a> {
        self.segment
    }

    /// The segment identifier, as [`Segment::id`].
    pub(crate) fn id(&self) -> &'a str {
        match self.slot(0) {
            Some(id) => id,
            None => self.segment.id(),
        }
    }

    /// Element `n` as text when it was split up front.
    pub(crate) fn split_text(&self, n: usize) -> Option<&'a str> {
        match n {
            0 => None,
            _ => self.slot(n),
        }
    }

    /// Element `n`, 1-based, as [`Segment::element`].
    pub(crate) fn element(&self, n: usize) -> Element<'a> {
        match self.split_text(n) {
            Some(text) => Element {
                raw: text.as_bytes(),
                delimiters: self.segment.delimiters,
            },
            None => self.segment.element(n),
        }
    }
}

/// Splits the bytes of one interchange body into segments. CR and LF between segments are
/// skipped (files are often wrapped one segment per line); when LF itself terminates segments a
/// trailing CR is dropped, so CRLF files read the same.
#[derive(Debug, Clone)]
pub struct Tokenizer<'a> {
    input: &'a [u8],
    pos: usize,
    delimiters: Delimiters,
}

impl<'a> Tokenizer<'a> {
    pub fn new(input: &'a [u8], start: usize, delimiters: Delimiters) -> Self {
        Self {
            input,
            pos: start,
            delimiters,
        }
    }

    /// Byte position of the next segment (or the end).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves back (or forward) to a byte position, e.g. to re-read an ISA with new delimiters.
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }

    fn skip_line_breaks(&mut self) {
        let term = self.delimiters.segment;
        while let Some(&b) = self.input.get(self.pos) {
            if (b == b'\r' || b == b'\n') && b != term {
                self.pos += 1;
            } else {
                break;
            }
        }
    }
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        self.skip_line_breaks();
        let rest = self.input.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let term = self.delimiters.segment;
        let start = self.pos;
        let (mut raw, terminated) = match find_byte(rest, term) {
            Some(i) => {
                self.pos = start + i + 1;
                (rest.get(..i).unwrap_or(rest), true)
            }
            None => {
                self.pos = self.input.len();
                (rest, false)
            }
        };
        if term == b'\n'
            && let Some((&b'\r', head)) = raw.split_last()
        {
            raw = head;
        }
        Some(Segment::new(raw, start, self.delimiters, terminated))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delims() -> Delimiters {
        Delimiters::default()
    }

    #[test]
    fn elements_split_lazily_and_absent_ones_read_empty() {
        let s = Segment::new(b"AT7*X1*AD***20111222*0745", 0, delims(), true);
        assert_eq!(s.id(), "AT7");
        assert_eq!(s.element(1).as_bytes(), b"X1");
        assert_eq!(s.element(3).as_bytes(), b"");
        assert_eq!(s.element(5).as_bytes(), b"20111222");
        assert_eq!(s.element(9).as_bytes(), b"");
        assert_eq!(s.element(0).as_bytes(), b"");
        assert_eq!(s.element_count(), 6);
    }

    #[test]
    fn segment_without_elements_has_none() {
        let s = Segment::new(b"LX", 0, delims(), true);
        assert_eq!(s.id(), "LX");
        assert_eq!(s.element_count(), 0);
        let s = Segment::new(b"LX*", 0, delims(), true);
        assert_eq!(s.element_count(), 1);
    }

    #[test]
    fn components_and_repetitions() {
        let s = Segment::new(b"X*a:b^c:d", 0, delims(), true);
        let e = s.element(1);
        let reps: Vec<_> = e.repetitions().map(|r| r.as_bytes()).collect();
        assert_eq!(reps, vec![&b"a:b"[..], &b"c:d"[..]]);
        assert_eq!(e.component(2), b"b^c");
    }

    #[test]
    fn tokenizer_skips_line_breaks_between_segments() {
        let input = b"A*1~\r\nB*2~\nC";
        let segs: Vec<_> = Tokenizer::new(input, 0, delims()).collect();
        assert_eq!(segs.len(), 3);
        assert_eq!(segs[1].raw(), b"B*2");
        assert_eq!(segs[1].offset(), 6);
        assert!(!segs[2].is_terminated());
    }

    #[test]
    fn newline_terminator_drops_carriage_return() {
        let d = Delimiters {
            segment: b'\n',
            ..delims()
        };
        let segs: Vec<_> = Tokenizer::new(b"A*1\r\nB*2\n", 0, d).collect();
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0].raw(), b"A*1");
    }

    #[test]
    fn word_at_a_time_search_agrees_with_a_byte_scan() {
        let mut hay: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        hay.extend_from_slice(b"ISA*00~GS*QM~\r\n\x7f\x80\xff");
        for start in 0..20 {
            for len in 0..hay.len().saturating_sub(start) {
                let h = &hay[start..start + len];
                for needle in [0u8, b'~', b'*', b'\n', 0x7f, 0x80, 0xff, 0x01] {
                    assert_eq!(
                        find_byte(h, needle),
                        h.iter().position(|&b| b == needle),
                        "{start} {len} {needle}"
                    );
                }
                assert_eq!(
                    all_printable(h),
                    h.iter().all(|b| (0x20..0x7f).contains(b)),
                    "{start} {len}"
                );
            }
        }
        let text = b"AT7*X1*NS***20111222*0745*PS and some more text";
        for len in 0..text.len() {
            assert!(all_printable(&text[..len]));
            let mut t = text[..len].to_vec();
            for bad in [0x00u8, 0x1f, 0x7f, 0x80, 0xff] {
                for at in 0..len {
                    let keep = t[at];
                    t[at] = bad;
                    assert!(!all_printable(&t), "{len} {at} {bad}");
                    t[at] = keep;
                }
            }
        }
    }

    #[test]
    fn validate_rejects_ambiguous_delimiters() {
        let same = Delimiters {
            segment: b'*',
            ..delims()
        };
        assert_eq!(
            same.validate().map_err(|e| e.kind),
            Err(ErrorKind::InvalidDelimiters)
        );
        let alnum = Delimiters {
            component: b'U',
            ..delims()
        };
        assert!(alnum.validate().is_err());
        assert!(delims().validate().is_ok());
    }
}
