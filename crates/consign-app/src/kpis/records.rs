//! The records behind a scorecard figure: the filter that lists exactly the shipments or
//! orders a figure counted, under the definitions in force, for the order and shipment
//! lists (`?kpi=…&kpi_period=…[&kpi_outcome=hit|miss][&kpi_key=…]`).

use super::may_read;
use crate::{App, AppError, AppResult};
use consign_core::access::Principal;
use consign_core::kpi::Period;
use consign_core::kpi::period::DEFAULT_MAX_DAYS;
use consign_core::kpi::records::{FIGURES, RecordFilter};
use consign_core::tenant::Tenant;

/// What a list was asked for, as the query names it.
#[derive(Debug, Clone, Default)]
pub struct RecordsQuery {
    pub figure: String,
    pub period: Option<String>,
    pub outcome: Option<String>,
    pub key: Option<String>,
}

impl RecordsQuery {
    /// The period asked for (`kpi_period`), required.
    pub(super) fn period(&self) -> AppResult<Period> {
        let period = self.period.as_deref().ok_or_else(|| {
            AppError::Invalid(consign_core::Invalid::one(
                "kpi_period",
                "a figure's records are of a period: 2026-W48, 2026-11 or 2026-11-01..2026-11-15",
            ))
        })?;
        Period::parse(period, DEFAULT_MAX_DAYS).map_err(|mut e| {
            for f in &mut e.errors {
                f.field = "kpi_period".into();
            }
            AppError::Invalid(e)
        })
    }
}

impl App {
    /// The filter for the records of a figure; `orders` says which list asks (a figure of
    /// orders on the shipment list is refused, and the other way round).
    pub async fn kpi_records(
        &self,
        p: &Principal,
        tenant: &Tenant,
        q: &RecordsQuery,
        orders: bool,
    ) -> AppResult<RecordFilter> {
        may_read(p)?;
        let period = q.period()?;
        let def = self.definitions_in_force(tenant).await?;
        let mut f = RecordFilter::parse(
            &q.figure,
            q.key.as_deref(),
            q.outcome.as_deref(),
            &period,
            &def.definitions,
            def.version,
        )
        .map_err(AppError::Invalid)?;
        if f.lists_orders() {
            // As the figures count them: orders due before today (the rest are not due yet).
            let today = self.now().to_zoned(super::refresh::zone_of(tenant)).date();
            f.last = f.last.min(today.yesterday().unwrap_or(today));
        }
        if f.lists_orders() != orders {
            let listed = FIGURES
                .iter()
                .filter(|(_, s)| *s != orders)
                .map(|(f, _)| *f)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(AppError::Invalid(consign_core::Invalid::one(
                "kpi",
                format!(
                    "{} counts {}; this list has the records of {listed}",
                    q.figure,
                    if orders { "shipments" } else { "orders" }
                ),
            )));
        }
        Ok(f)
    }
}
