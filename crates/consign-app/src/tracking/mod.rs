//! Tracking use cases: events from every source go through one pipeline (validate, resolve the
//! carrier and shipment, dedup, fold into the shipment's state, judge with the tenant's
//! rulebook, open/update/resolve cases) committed in one transaction per batch; the sweep that
//! runs time-based rules from `next_check_at`; orphans attached when their shipment appears;
//! rulebooks stored per tenant; and replay of a rulebook over recorded events.
//!
//! Concurrent small requests (single-event webhooks) are coalesced by [`GroupCommitter`] into
//! one transaction, so each is acknowledged only after a durable commit without paying a
//! commit (an fsync on SQLite) per request.
//!
//! One file per stage: [`ingest`] (intake to commit), [`committer`] (group commits),
//! [`sweep`] (time-based rules) and [`replay`] (a rulebook tried on recorded history); this
//! module holds what they share (outcomes, the rulebook in force) and the tracking reads.

mod committer;
mod ingest;
mod sweep;

pub use crate::cases::CaseChanges;
pub use committer::GroupCommitter;
pub use ingest::build_events;
pub(crate) use sweep::tally;

use crate::{App, AppError, AppResult, require, tenant_audit};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal, Role};
use consign_core::ids::*;
use consign_core::rules::Rulebook;
use consign_core::tenant::Tenant;
use consign_core::tracking::{TrackedShipment, TrackingEvent};
use consign_store::{StoreError, StoredRulebook};
use serde::Serialize;
use std::sync::Arc;

/// The crosswalks shipped with Consign, parsed once.
pub fn crosswalks() -> &'static consign_core::tracking::Crosswalks {
    static CW: std::sync::OnceLock<consign_core::tracking::Crosswalks> = std::sync::OnceLock::new();
    CW.get_or_init(|| {
        consign_core::tracking::Crosswalks::builtin().expect("the shipped crosswalks are valid")
    })
}

/// Most events one request may carry.
pub const MAX_EVENTS_PER_REQUEST: usize = 10_000;

/// What happened to one submitted event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemResult {
    /// Stored and applied to its shipment.
    Accepted,
    /// Seen before (same message id or natural key): nothing done.
    Duplicate,
    /// Stored; no shipment has this carrier and tracking number yet.
    Orphan,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemOutcome {
    pub index: usize,
    pub result: ItemResult,
    pub event_id: Option<EventId>,
    pub shipment_id: Option<ShipmentId>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IngestOutcome {
    pub accepted: u64,
    pub duplicates: u64,
    pub orphans: u64,
    /// Case changes of the commit that carried this request (concurrent requests coalesced
    /// into one commit share its figures).
    pub cases: CaseChanges,
    pub items: Vec<ItemOutcome>,
}

/// The rulebook in force for a tenant: its newest stored version, else the shipped default
/// (version 0).
pub struct RulebookInForce {
    pub version: i64,
    pub book: Rulebook,
}

impl App {
    /// Tenant-wide data quality of tracking: orphans and unmapped codes per source (every
    /// carrier's, so not for carrier identities).
    pub async fn tracking_quality(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<consign_store::TrackingQuality> {
        require(p, Capability::ReadCases)?;
        if matches!(p.role, Role::Carrier | Role::Warehouse) {
            return Err(AppError::Forbidden(
                "tracking data quality covers every carrier's feed: the provider's and the client's"
                    .into(),
            ));
        }
        Ok(self.store.tracking_quality(tenant.id).await?)
    }

    /// The tenant's stored rulebook (`None`: the shipped default is in force).
    pub async fn rulebook(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<Option<StoredRulebook>> {
        require(p, Capability::ReadCases)?;
        Ok(self.store.rulebook(tenant.id).await?)
    }

    pub async fn rulebook_in_force(&self, tenant: TenantId) -> AppResult<Arc<RulebookInForce>> {
        if let Some(b) = self.cache.rulebook(tenant) {
            return Ok(b);
        }
        let b = self.load_rulebook(tenant).await?;
        self.cache.keep_rulebook(tenant, b.clone());
        Ok(b)
    }

    async fn load_rulebook(&self, tenant: TenantId) -> AppResult<Arc<RulebookInForce>> {
        Ok(Arc::new(match self.store.rulebook(tenant).await? {
            Some(r) => RulebookInForce {
                version: r.version,
                book: Rulebook::parse(&r.source).map_err(|e| {
                    AppError::Store(StoreError::Corrupt(format!(
                        "stored rulebook version {}: {}",
                        r.version,
                        e.join("; ")
                    )))
                })?,
            },
            None => RulebookInForce {
                version: 0,
                book: Rulebook::default_rulebook(),
            },
        }))
    }

    /// Stores a new version of the tenant's rulebook after checking it; a bad rulebook is
    /// refused with every problem and nothing is stored.
    pub async fn set_rulebook(
        &self,
        p: &Principal,
        tenant: &Tenant,
        source: &str,
    ) -> AppResult<StoredRulebook> {
        require(p, Capability::ManageRules)?;
        let book = Rulebook::parse(source).map_err(|errors| Invalid {
            errors: errors
                .into_iter()
                .map(|e| consign_core::FieldError::new("rulebook", e))
                .collect(),
        })?;
        let now = self.now();
        let version = self
            .store
            .rulebooks(tenant.id)
            .await?
            .last()
            .map_or(1, |r| r.version + 1);
        let stored = StoredRulebook {
            version,
            name: book.name.clone(),
            source: source.to_string(),
            created_at: now,
            created_by: p.actor.label(),
        };
        let mut tx = self.begin().await?;
        tx.insert_rulebook(tenant.id, &stored).await?;
        tx.append_audit(vec![
            tenant_audit(tenant, p, now, "rulebook", version, "stored")
                .after(&serde_json::json!({ "name": book.name, "rules": book.rules.len() })),
        ])
        .await?;
        let (cache, id) = (self.cache.clone(), tenant.id);
        self.commit_then(tx, move || cache.forget_rulebook(id))
            .await?;
        Ok(stored)
    }

    /// A shipment's events and derived state, for those who may see the shipment.
    pub async fn shipment_tracking(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: ShipmentId,
    ) -> AppResult<(TrackedShipment, Vec<TrackingEvent>)> {
        self.get_shipment(p, tenant, id).await?;
        let t = self
            .store
            .tracked_shipments(tenant.id, &[id])
            .await?
            .pop()
            .ok_or_else(|| AppError::NotFound(format!("shipment {id}")))?;
        let events = self.store.tracking_events(tenant.id, &[id]).await?;
        Ok((t, events))
    }
}
