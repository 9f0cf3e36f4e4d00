//! The audit chains: reads ([`AuditStore`]) and appends ([`AuditTx`]).

use crate::Result;
use async_trait::async_trait;
use consign_core::audit::{AuditEntry, AuditRecord};

#[async_trait]
pub trait AuditStore {
    /// Every chain: the tenant ids plus the nil UUID for provider-level records.
    async fn audit_chains(&self) -> Result<Vec<uuid::Uuid>>;
    /// Records of one chain with `seq > after_seq`, in order.
    async fn audit_page(
        &self,
        chain: uuid::Uuid,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>>;
    /// The chain's head as last written: (last seq, last hash). Verification compares it with
    /// the last record so that deleting the newest records is detected too.
    async fn audit_head(&self, chain: uuid::Uuid) -> Result<Option<(i64, [u8; 32])>>;
    async fn audit_for_entity(
        &self,
        chain: uuid::Uuid,
        entity: &str,
        entity_id: &str,
    ) -> Result<Vec<AuditRecord>>;
}

/// The appends to the audit chains (part of every [`Tx`](crate::Tx)).
#[async_trait]
pub trait AuditTx: Send {
    /// Appends entries to their chains (per tenant; provider-level when `tenant_id` is None).
    async fn append_audit(&mut self, entries: Vec<AuditEntry>) -> Result<()>;
}
