//! KPI scorecards (SPEC §10): the periods they cover ([`period`]), the definitions a
//! contract sets ([`definition`]), the facts they read ([`facts`]) and the delivery figures
//! computed from them ([`scorecard`]). The case figures live with cases
//! ([`crate::case::kpi`]); invoice, return and inventory figures will join as more
//! functions over their own facts, reusing the same [`Ratio`].

pub mod definition;
pub mod facts;
pub mod period;
pub mod records;
pub mod rollup;
pub mod scorecard;
#[cfg(test)]
mod tests;

pub use crate::case::kpi::Ratio;
pub use definition::KpiDefinitions;
pub use period::Period;
