//! The tenants aggregate's storage contract: reads ([`TenantStore`]) and writes ([`TenantTx`]).

use crate::Result;
use async_trait::async_trait;
use consign_core::ids::*;
use consign_core::tenant::Tenant;

#[async_trait]
pub trait TenantStore {
    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>>;
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>>;
    async fn tenants(&self) -> Result<Vec<Tenant>>;
}

/// The writes of tenants (part of every [`Tx`](crate::Tx)).
#[async_trait]
pub trait TenantTx: Send {
    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<()>;
}
