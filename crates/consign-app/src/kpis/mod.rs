//! KPI scorecards (SPEC §10), one module per part: the tenant's versioned `definitions`,
//! the rollup's `refresh` (the worker that turns stale marks into facts rows and daily
//! counts), the `scorecard` read from the rollup (or recomputed from the records under
//! another definitions version on request), `records` the filters that list the records
//! behind a figure, `cases` the case figures from the cases a period touched, and `verify`, which recomputes everything and compares. The figures themselves are `consign_core::kpi`.

mod cases;
mod definitions;
mod records;
mod refresh;
mod scorecard;
mod verify;

pub use cases::CASE_FIGURES;
pub use definitions::DefinitionsVersion;
pub use records::RecordsQuery;
pub use scorecard::{Figure, Scorecard, ScorecardOverview, TenantHeadline, TrendPoint};
pub use verify::KpiCheck;

use crate::{AppError, AppResult, require};
use consign_core::access::{Capability, Principal, Role};

/// Scorecards are the provider's and the client's; carriers and warehouses are measured by
/// them, and do not read the contract's terms.
fn may_read(p: &Principal) -> AppResult<()> {
    require(p, Capability::ReadShipments)?;
    if matches!(p.role, Role::Carrier | Role::Warehouse) {
        return Err(AppError::Forbidden(
            "KPI scorecards and definitions are the provider's and the client's".into(),
        ));
    }
    Ok(())
}
