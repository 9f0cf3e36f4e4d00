//! Arbitrary bytes through everything a partner's file reaches: the tokenizer, the preparation
//! (line breaks inside segments dropped when lenient), the envelope reader (strict and
//! lenient), the typed mapping of every set, the TA1 and the 997 and 999 for every group.
//! Nothing may panic, loop or blow up memory, whatever the bytes; and no value of an accepted
//! set may hold a delimiter, CR or LF.

#![no_main]

mod read_everything;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| read_everything::read_everything(data));
