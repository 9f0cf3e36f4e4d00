//! Consign's pure domain core: types, validation and state rules with no I/O and no clock of
//! its own (every time-dependent function takes `now`).
//!
//! Everything that decides something lives here so it can be tested without a database; the
//! store, web and CLI crates only translate to and from these types.

#[macro_use]
mod vocab;

pub mod access;
pub mod audit;
pub mod case;
pub mod edi;
pub mod error;
pub mod ids;
pub mod kpi;
pub mod message;
pub mod money;
pub mod order;
pub mod party;
pub mod reasons;
pub mod rules;
pub mod shipment;
pub mod sla;
pub mod tenant;
pub mod time;
pub mod tracking;

pub use error::{FieldError, Invalid};
