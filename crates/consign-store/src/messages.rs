//! The messages aggregate's storage contract (SPEC §6): webhook endpoints, the transactional
//! outbox and its delivery attempts — reads ([`MessageStore`]) and writes ([`MessageTx`]).
//!
//! Messages are enqueued by the transaction of the change that caused them; a worker claims
//! due ones with a lease in a short transaction of its own (`FOR UPDATE SKIP LOCKED` where
//! writers run concurrently), delivers them outside any transaction, and records the
//! outcomes in another.

use crate::Result;
use async_trait::async_trait;
use consign_core::ids::{CaseId, TenantId};
use consign_core::message::Template;
use consign_core::message::endpoint::WebhookEndpoint;
use consign_core::message::outbox::{DeliveryAttempt, DeliveryState, OutboxMessage};
use jiff::Timestamp;
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    pub state: Option<DeliveryState>,
    pub endpoint: Option<Uuid>,
    pub case: Option<CaseId>,
    /// Newest first; the page continues below this message.
    pub before: Option<Uuid>,
    pub limit: u32,
}

/// What one claimed message's delivery came to, for [`MessageTx::record_deliveries`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub message_id: Uuid,
    pub attempt: DeliveryAttempt,
    /// `Delivered`, `Pending` (try again at `next_attempt_at`) or `Dead`.
    pub state: DeliveryState,
    pub next_attempt_at: Option<Timestamp>,
}

#[async_trait]
pub trait MessageStore {
    async fn webhook_endpoints(&self, tenant: TenantId) -> Result<Vec<WebhookEndpoint>>;
    async fn webhook_endpoint(&self, tenant: TenantId, id: Uuid)
    -> Result<Option<WebhookEndpoint>>;
    /// Endpoints by id whatever their tenant: the delivery worker serves every tenant.
    async fn endpoints_by_ids(&self, ids: &[Uuid]) -> Result<Vec<WebhookEndpoint>>;
    async fn outbox_messages(
        &self,
        tenant: TenantId,
        filter: &OutboxFilter,
    ) -> Result<Vec<OutboxMessage>>;
    async fn outbox_message(&self, tenant: TenantId, id: Uuid) -> Result<Option<OutboxMessage>>;
    /// The attempts of these messages, oldest first.
    async fn delivery_attempts(
        &self,
        tenant: TenantId,
        messages: &[Uuid],
    ) -> Result<Vec<DeliveryAttempt>>;
    /// How many messages are in each state (all tenants), for metrics and benchmarks; staged
    /// messages count as pending.
    async fn outbox_counts(&self) -> Result<Vec<(DeliveryState, i64)>>;
    /// The tenant's own templates (not the product's defaults), by name and language.
    async fn message_templates(&self, tenant: TenantId) -> Result<Vec<Template>>;
}

#[async_trait]
pub trait MessageTx: Send {
    async fn insert_webhook_endpoint(&mut self, endpoint: &WebhookEndpoint) -> Result<()>;
    /// Writes an endpoint's URL, description, events, secrets and disabled state.
    async fn update_webhook_endpoint(
        &mut self,
        endpoint: &WebhookEndpoint,
        now: Timestamp,
    ) -> Result<()>;
    async fn enqueue(&mut self, messages: &[OutboxMessage]) -> Result<()>;
    /// Writes new messages staged: one row per tenant however many they are, which the
    /// delivery worker moves into the outbox later ([`MessageTx::promote_staged`]). For the
    /// events a change emits in bulk (tracking ingest), whose write path should not pay an
    /// outbox row per message; a staged message is not listed until it is promoted.
    async fn stage(&mut self, messages: &[OutboxMessage]) -> Result<()>;
    /// Moves up to `rows` staged rows into the outbox, oldest first, and returns how many
    /// messages they held. Where several servers share the database, one promotes at a time
    /// (the others promote nothing this round), so staged rows keep their order.
    async fn promote_staged(&mut self, rows: u32) -> Result<usize>;
    /// Claims up to `limit` due messages (pending, due at `now`, no live lease, and no
    /// earlier pending message with the same ordering key), oldest first, leasing them until
    /// `lease_until` and counting the attempt.
    async fn claim_outbox(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>>;
    /// Records attempts and the states they leave their messages in; the lease ends.
    async fn record_deliveries(&mut self, records: &[DeliveryRecord], now: Timestamp)
    -> Result<()>;
    /// A dead (or delivered: a replay) message back to pending, due at `now`, keeping its
    /// dedup key. False when the tenant has no such message or it is pending already.
    async fn requeue_message(&mut self, tenant: TenantId, id: Uuid, now: Timestamp)
    -> Result<bool>;
    /// Stores a tenant's template, replacing the one of the same name and language.
    async fn put_template(
        &mut self,
        tenant: TenantId,
        template: &Template,
        at: Timestamp,
        by: &str,
    ) -> Result<()>;
    /// Removes one; false when the tenant had none of that name and language.
    async fn delete_template(
        &mut self,
        tenant: TenantId,
        name: &str,
        language: &str,
    ) -> Result<bool>;
    /// Dead-letters every pending message of an endpoint (it was disabled); returns how many.
    async fn kill_endpoint_messages(
        &mut self,
        endpoint: Uuid,
        reason: &str,
        now: Timestamp,
    ) -> Result<u64>;
}
