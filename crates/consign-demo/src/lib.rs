//! Consign's demo: deterministic synthetic data (`dataset`: tenants, orders and shipments as
//! `consign import` files; `feed`: what the carriers would have sent about them), the carrier
//! that trades EDI with the demo's shippers (`partner`), and the orchestration that turns an
//! empty database into one with sixty days of history (`setup`, `replay`, `run`). The
//! reference tables the generator draws from are data in `data/`, not code (`reference`).
//!
//! Everything goes through `App`'s use cases, as the API and the CLI do, so the demo's data
//! passes the same validation and leaves the same audit trail as real intake. What the demo
//! has to say goes to a [`Narrator`], so this crate neither prints nor depends on a terminal.

pub mod dataset;
pub mod feed;
pub mod partner;
pub mod plan;
mod reference;
pub mod replay;
pub mod run;
pub mod setup;

/// Where the demo reports what it is doing: the CLI prints lines and draws progress bars;
/// [`Quiet`] says nothing.
pub trait Narrator: Sync {
    /// One line for the operator.
    fn say(&self, line: &str);
    /// A step of `total` items begins; the step ends when the returned counter is dropped.
    fn progress(&self, what: &str, total: u64) -> Box<dyn Progress + '_>;
}

/// How far a step has come.
pub trait Progress: Send + Sync {
    /// `n` more items are done.
    fn advance(&self, n: u64);
}

/// A narrator that says nothing.
pub struct Quiet;

impl Narrator for Quiet {
    fn say(&self, _: &str) {}
    fn progress(&self, _: &str, _: u64) -> Box<dyn Progress + '_> {
        Box::new(Quiet)
    }
}

impl Progress for Quiet {
    fn advance(&self, _: u64) {}
}
