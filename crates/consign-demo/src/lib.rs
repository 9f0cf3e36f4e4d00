//! Consign's demo: deterministic synthetic data (`dataset`: tenants, orders and shipments as
//! `consign import` files; `feed`: what the carriers would have sent about them), the carrier
//! that trades EDI with the demo's shippers (`partner`), and the orchestration that turns an
//! empty database into one with sixty days of history (`setup`, `replay`, `run`), worked by a
//! service desk (`desk`), whose messages go to receivers built into the demo (`sink`). The
//! reference tables the generator draws from are data in `data/`, not code (`reference`).
//!
//! The demo drives `App`'s use cases, as the API and the CLI do, so its data passes the same
//! validation and leaves the same audit trail as real intake. What the demo
//! has to say goes to a [`Narrator`], so this crate neither prints nor depends on a terminal.

pub mod dataset;
pub mod desk;
pub mod feed;
mod narrator;
pub mod partner;
pub mod plan;
mod reference;
pub mod replay;
pub mod run;
pub mod setup;
pub mod sink;

pub use narrator::{Narrator, Progress, Quiet};
