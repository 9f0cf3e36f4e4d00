//! KPI definitions, every version kept: reads ([`KpiStore`]) and writes ([`KpiTx`]).

use crate::Result;
use async_trait::async_trait;
use consign_core::ids::TenantId;
use consign_core::kpi::KpiDefinitions;
use jiff::Timestamp;

/// One stored version of a tenant's KPI definitions.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredKpiDefinitions {
    pub version: i64,
    pub definitions: KpiDefinitions,
    pub created_at: Timestamp,
    pub created_by: String,
}

#[async_trait]
pub trait KpiStore {
    /// The newest version, if the tenant has set any.
    async fn kpi_definitions(&self, tenant: TenantId) -> Result<Option<StoredKpiDefinitions>>;
    /// One version, to recompute a period under it.
    async fn kpi_definitions_version(
        &self,
        tenant: TenantId,
        version: i64,
    ) -> Result<Option<StoredKpiDefinitions>>;
}

#[async_trait]
pub trait KpiTx {
    /// Stores the next version; returns its number.
    async fn insert_kpi_definitions(
        &mut self,
        tenant: TenantId,
        definitions: &KpiDefinitions,
        at: Timestamp,
        by: &str,
    ) -> Result<i64>;
}
