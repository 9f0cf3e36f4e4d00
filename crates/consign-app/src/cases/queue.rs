//! The work across tenants: a provider's queue over every client it serves, and the
//! backlog the home pages count. The tenants are the caller's own (`Principal::reaches`), so a
//! queue never lists a case of a tenant the caller does not serve, whatever it asks for.

use super::addressed_filter;
use crate::{App, AppError, AppResult, require};
use consign_core::access::{Capability, Principal, Role};
use consign_core::case::Case;
use consign_core::ids::TenantId;
use consign_core::tenant::Tenant;
use consign_store::{BacklogRow, CaseFilter};

/// The queue's reach: the tenants among `tenants` the caller reaches, and the filter narrowed
/// to what is addressed to the caller. The list and its count share it, so they agree.
fn queue_scope(
    p: &Principal,
    tenants: &[Tenant],
    filter: &CaseFilter,
) -> AppResult<(Vec<TenantId>, CaseFilter)> {
    require(p, Capability::ReadCases)?;
    let ids = tenants
        .iter()
        .filter(|t| p.reaches(t.id))
        .map(|t| t.id)
        .collect();
    Ok((ids, addressed_filter(p, filter)))
}

impl App {
    /// The filter's cases across `tenants`, in the filter's order; tenants the caller does
    /// not reach are left out. Carriers and warehouses get only what is addressed to them.
    pub async fn work_queue(
        &self,
        p: &Principal,
        tenants: &[Tenant],
        filter: &CaseFilter,
    ) -> AppResult<Vec<Case>> {
        let (ids, filter) = queue_scope(p, tenants, filter)?;
        Ok(self.reads().cases_across(&ids, &filter).await?)
    }

    /// How many cases [`App::work_queue`] pages through for this filter, up to
    /// [`crate::COUNT_CAP`]: the same reach and the same addressing.
    pub async fn count_queue(
        &self,
        p: &Principal,
        tenants: &[Tenant],
        filter: &CaseFilter,
    ) -> AppResult<u64> {
        let (ids, filter) = queue_scope(p, tenants, filter)?;
        Ok(self
            .reads()
            .count_cases(&ids, &filter, crate::COUNT_CAP)
            .await?)
    }

    /// How many cases the tenant holds (every one the case list pages through) and how
    /// many are open: the provider's and the client's view.
    pub async fn case_totals(&self, p: &Principal, tenant: &Tenant) -> AppResult<(u64, u64)> {
        require(p, Capability::ReadCases)?;
        if matches!(p.role, Role::Carrier | Role::Warehouse) {
            return Err(AppError::Forbidden(
                "case totals are the provider's and the client's".into(),
            ));
        }
        Ok(self.reads().case_totals(tenant.id).await?)
    }

    /// The open cases of `tenants` counted per tenant and owner team, now, with the
    /// caller's own among them: the provider's and the client's view (carriers and
    /// warehouses see no totals).
    pub async fn backlog(&self, p: &Principal, tenants: &[Tenant]) -> AppResult<Vec<BacklogRow>> {
        require(p, Capability::ReadCases)?;
        if matches!(p.role, Role::Carrier | Role::Warehouse) {
            return Err(AppError::Forbidden(
                "case totals are the provider's and the client's".into(),
            ));
        }
        let ids: Vec<_> = tenants
            .iter()
            .filter(|t| p.reaches(t.id))
            .map(|t| t.id)
            .collect();
        let me = match p.actor {
            consign_core::access::Actor::User(u) => Some(u),
            _ => None,
        };
        Ok(self.reads().backlog(&ids, self.now(), me).await?)
    }
}
