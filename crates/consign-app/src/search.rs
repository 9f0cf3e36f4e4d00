//! Finding a record by any reference across the tenants the caller serves (the workspace's
//! search box): what the store finds, held to what the caller may read — orders for those
//! who read orders, shipments for those who read shipments, a carrier its own only.

use crate::{App, AppResult};
use consign_core::access::{Capability, Principal};
use consign_core::tenant::Tenant;
use consign_store::{Found, FoundKind};

/// Most records of each kind one search shows.
pub const SEARCH_LIMIT: u32 = 50;

impl App {
    pub async fn find_references(
        &self,
        p: &Principal,
        text: &str,
    ) -> AppResult<Vec<(Tenant, Found)>> {
        let tenants = self.list_tenants(p).await?;
        let ids: Vec<_> = tenants.iter().map(|t| t.id).collect();
        let found = self
            .reads()
            .find_references(&ids, text, SEARCH_LIMIT)
            .await?;
        Ok(found
            .into_iter()
            .filter(|f| match f.kind {
                FoundKind::Shipment => {
                    p.can(Capability::ReadShipments)
                        && p.carrier.is_none_or(|c| f.carrier == Some(c.0))
                }
                FoundKind::Order => p.can(Capability::ReadOrders),
            })
            .filter_map(|f| {
                let t = tenants.iter().find(|t| t.id == f.tenant)?.clone();
                Some((t, f))
            })
            .collect())
    }
}
