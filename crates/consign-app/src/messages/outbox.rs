//! The outbox as people see it: an administrator reads a tenant's messages (the dead letters
//! first of all) and retries one by hand; an endpoint's owner reads its delivery log and
//! replays a delivery. A retry or replay keeps the message's dedup key, so a receiver that
//! got it before can drop it.

use crate::{App, AppError, AppResult, require, tenant_audit};
use consign_core::access::{Capability, Principal};
use consign_core::message::outbox::{DeliveryAttempt, DeliveryState, OutboxMessage, Transport};
use consign_core::tenant::Tenant;
use consign_store::OutboxFilter;
use serde::Serialize;
use uuid::Uuid;

/// A message with its attempts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    #[serde(flatten)]
    pub message: OutboxMessage,
    pub attempts_log: Vec<DeliveryAttempt>,
}

impl App {
    async fn with_attempts(
        &self,
        tenant: &Tenant,
        messages: Vec<OutboxMessage>,
    ) -> AppResult<Vec<Delivery>> {
        let ids: Vec<Uuid> = messages.iter().map(|m| m.id).collect();
        let mut attempts = self.store.delivery_attempts(tenant.id, &ids).await?;
        Ok(messages
            .into_iter()
            .map(|m| {
                let (mine, rest): (Vec<_>, Vec<_>) =
                    attempts.drain(..).partition(|a| a.message_id == m.id);
                attempts = rest;
                Delivery {
                    message: m,
                    attempts_log: mine,
                }
            })
            .collect())
    }

    /// A tenant's outbox, newest first (`state: dead` is the dead-letter list).
    pub async fn list_outbox(
        &self,
        p: &Principal,
        tenant: &Tenant,
        filter: &OutboxFilter,
    ) -> AppResult<Vec<Delivery>> {
        require(p, Capability::ManageOutbox)?;
        let messages = self.store.outbox_messages(tenant.id, filter).await?;
        self.with_attempts(tenant, messages).await
    }

    /// Puts a dead (or delivered) message back in line, due now, with its dedup key.
    pub async fn retry_message(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: Uuid,
    ) -> AppResult<Delivery> {
        require(p, Capability::ManageOutbox)?;
        self.requeue(p, tenant, id, "retried").await
    }

    async fn requeue(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: Uuid,
        action: &str,
    ) -> AppResult<Delivery> {
        let before = self
            .store
            .outbox_message(tenant.id, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("message {id}")))?;
        if before.state == DeliveryState::Pending {
            return Err(AppError::conflict(
                "state",
                format!(
                    "message {id} is pending already: its next attempt is due {}",
                    before.next_attempt_at
                ),
            ));
        }
        if let Some(e) = before.endpoint_id
            && let Some(ep) = self.store.webhook_endpoint(tenant.id, e).await?
            && ep.disabled_at.is_some()
        {
            return Err(AppError::conflict(
                "endpoint",
                format!(
                    "endpoint {e} is disabled ({}); enable it first",
                    ep.disabled_reason.unwrap_or_default()
                ),
            ));
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        if !tx.requeue_message(tenant.id, id, now).await? {
            return Err(AppError::conflict(
                "state",
                format!("message {id} changed meanwhile; reload it"),
            ));
        }
        self.commit_audited(
            tx,
            tenant_audit(tenant, p, now, "outbox_message", id, action).after(&serde_json::json!({
                "kind": before.kind, "recipient": before.recipient, "dedup_key": before.dedup_key,
                "state_before": before.state,
            })),
        )
        .await?;
        self.messaging.wake.notify_one();
        let m = self
            .store
            .outbox_message(tenant.id, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("message {id}")))?;
        Ok(self.with_attempts(tenant, vec![m]).await?.remove(0))
    }

    /// The messages sent on a case, newest first, for whoever may read the case. Clients,
    /// carriers and warehouses see what was said to people about the case, as its external
    /// timeline does; escalation notices (the provider's working of the case) and webhook
    /// deliveries (other parties' endpoints) are the provider's.
    pub async fn case_messages(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: consign_core::ids::CaseId,
    ) -> AppResult<Vec<Delivery>> {
        self.get_case(p, tenant, id).await?;
        let mut messages = self
            .store
            .outbox_messages(
                tenant.id,
                &OutboxFilter {
                    case: Some(id),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?;
        // The provider's roles see the internal side of a case (as `cases::sees_internal`
        // says; not called from here, which would tie messages back to cases).
        if !p.role.is_provider() {
            messages.retain(|m| {
                m.transport == Transport::Email && m.kind != super::send::ESCALATION_NOTICE
            });
        }
        self.with_attempts(tenant, messages).await
    }

    /// An endpoint's delivery log, newest first.
    pub async fn endpoint_deliveries(
        &self,
        p: &Principal,
        tenant: &Tenant,
        endpoint: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> AppResult<Vec<Delivery>> {
        self.endpoint_of(p, tenant, endpoint).await?;
        let messages = self
            .store
            .outbox_messages(
                tenant.id,
                &OutboxFilter {
                    endpoint: Some(endpoint),
                    before,
                    limit,
                    ..Default::default()
                },
            )
            .await?;
        self.with_attempts(tenant, messages).await
    }

    /// Sends one of an endpoint's messages again (its owner's replay).
    pub async fn replay_delivery(
        &self,
        p: &Principal,
        tenant: &Tenant,
        endpoint: Uuid,
        message: Uuid,
    ) -> AppResult<Delivery> {
        self.endpoint_of(p, tenant, endpoint).await?;
        match self.store.outbox_message(tenant.id, message).await? {
            Some(m) if m.endpoint_id == Some(endpoint) => {}
            _ => return Err(AppError::NotFound(format!("delivery {message}"))),
        }
        self.requeue(p, tenant, message, "replayed").await
    }
}
