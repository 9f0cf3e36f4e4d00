//! Manual overrides: an agent sets a shipment's status or promised date by hand, with a
//! reason, also after the shipment has left (where order change requests stop). The override
//! is a manual event through the same pipeline as a carrier's scan, so the shipment's state
//! stays a projection of its events and the rulebook judges it at once.

use crate::{App, AppError, AppResult, entropy, require};
use consign_core::access::{Capability, Principal};
use consign_core::audit::AuditEntry;
use consign_core::ids::{EventId, ShipmentId};
use consign_core::tenant::Tenant;
use consign_core::tracking::{ShipmentOverride, TrackedShipment, TrackingEvent, plan_override};
use std::collections::HashMap;

impl App {
    /// Applies an override and answers the shipment's tracking as it now stands.
    pub async fn override_shipment(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: ShipmentId,
        req: ShipmentOverride,
    ) -> AppResult<(TrackedShipment, Vec<TrackingEvent>)> {
        require(p, Capability::OverrideShipments)?;
        let shipment = self.get_shipment(p, tenant, id).await?;
        let now = self.now();
        let actor = p.actor.label();
        let plan = plan_override(
            &shipment,
            &req,
            &actor,
            now,
            EventId::new_at(now, entropy()),
        )?;
        let book = self.rulebook_in_force(tenant.id).await?;
        let mut events = vec![plan.event.clone()];
        let mut tx = self.begin().await?;
        // The promise first, so that the rules judging the manual event see the new one.
        if let Some(promise) = plan.promised_by
            && !tx.set_promise(tenant.id, id, promise, now).await?
        {
            return Err(AppError::NotFound(format!("shipment {id}")));
        }
        let outcome = self
            .apply_events(
                &mut *tx,
                tenant.id,
                &actor,
                &book,
                &HashMap::new(),
                &mut events,
            )
            .await?;
        // Read back rather than assumed: a status dated before the latest scan is recorded
        // but does not replace it (SPEC §2: the latest occurrence wins).
        let after = tx
            .lock_tracked(tenant.id, &[id])
            .await?
            .pop()
            .ok_or_else(|| AppError::NotFound(format!("shipment {id}")))?;
        let entry = AuditEntry::new(Some(tenant.id), now, actor, "shipment", id, "overridden")
            .before(&serde_json::json!({
                "status": shipment.status,
                "promised_by": shipment.promised_by,
            }))
            .after(&serde_json::json!({
                "status": after.state.status,
                "requested_status": plan.status,
                "occurred_at": plan.event.occurred_at,
                "promised_by": after.promised_by,
                "reason": req.reason.trim(),
                "event_id": plan.event.id,
                "cases": outcome.cases,
            }));
        self.commit_audited(tx, entry).await?;
        self.shipment_tracking(p, tenant, id).await
    }
}
