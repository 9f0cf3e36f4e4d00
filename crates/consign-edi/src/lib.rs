//! Consign's own ANSI X12 reader and writer for logistics: pure (no I/O, no clock), working on
//! bytes, with delimiters read from each interchange's ISA.
//!
//! Layers, from the bytes up:
//! - [`tokenizer`]: zero-copy segments and lazily split elements ([`Segment`], [`Tokenizer`]).
//! - [`envelope`]: [`read`] builds [`Interchange`] / [`Group`] / [`TransactionSet`] and checks
//!   every control number and count; [`ReadOptions`] chooses strict or lenient.
//! - [`sets`]: typed mappings (204, 210, 214, 856, 940, 945, 990, 997) and their writers.
//! - [`ack`]: the 997 (or 999) and TA1 we answer with.
//! - [`writer`]: whole interchanges with fixed-width ISA and correct counts.
//!
//! Status and reason codes are kept raw: mapping them to Consign's canonical vocabulary is done
//! by the tracking crosswalks, not here.

// `EdiError` is one flat value (every coordinate a partner or operator needs, about 200 bytes)
// and is only built on failure; boxing it would make every caller's handling noisier to save a
// copy on a cold path.
#![allow(clippy::result_large_err)]

pub mod ack;
pub mod envelope;
pub mod error;
pub mod isa;
pub mod lines;
pub mod sets;
pub mod time;
pub mod tokenizer;
pub mod values;
pub mod writer;

pub use ack::{AckCode, GroupResult, SetResult, X231A1, ack_997, ack_999, ta1};
pub use envelope::{
    Document, Group, GroupTrailer, Interchange, InterchangeTrailer, ReadOptions, SetTrailer,
    TransactionSet, functional_id, read, tokenize_count,
};
pub use error::{EdiError, ErrorKind};
pub use isa::IsaHeader;
pub use lines::{Prepared, prepare};
pub use sets::{TypedSet, parse_any};
pub use time::{InstantError, TimeCode, resolve_instant};
pub use tokenizer::{Delimiters, Element, Segment, Tokenizer};
pub use writer::{
    Envelope, OutgoingSet, OwnedElement, OwnedSegment, Usage, WriteOptions, X12Version,
    write_interchange, write_interchange_with_gs08, write_segments, write_ta1_interchange,
};
