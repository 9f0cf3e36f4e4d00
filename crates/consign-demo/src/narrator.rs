//! How the demo tells its operator what it is doing without printing anything itself.

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
