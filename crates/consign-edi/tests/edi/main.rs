//! The one integration-test binary of consign-edi: the shared sample files, acknowledgements,
//! round trips, property tests and bad input.

mod acks;
mod bad_input;
mod fuzz_regressions;
mod outbound;
mod outbound_fixtures;
mod partner_faults;
mod props;
mod roundtrip;
mod samples;
mod support;
