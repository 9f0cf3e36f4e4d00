//! Tenants' rulebooks, every version kept: reads ([`RulebookStore`]) and writes ([`RulebookTx`]).

use crate::Result;
use async_trait::async_trait;
use consign_core::ids::*;
use jiff::Timestamp;

/// One version of a tenant's rulebook, as stored (the TOML text is kept verbatim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRulebook {
    pub version: i64,
    pub name: String,
    pub source: String,
    pub created_at: Timestamp,
    pub created_by: String,
}

#[async_trait]
pub trait RulebookStore {
    /// The tenant's rulebook in force (its newest version), if it stored one.
    async fn rulebook(&self, tenant: TenantId) -> Result<Option<StoredRulebook>>;
    async fn rulebooks(&self, tenant: TenantId) -> Result<Vec<StoredRulebook>>;
}

/// The writes of rulebooks (part of every [`Tx`](crate::Tx)).
#[async_trait]
pub trait RulebookTx: Send {
    async fn insert_rulebook(&mut self, tenant: TenantId, book: &StoredRulebook) -> Result<()>;
}
