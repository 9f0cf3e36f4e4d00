//! The store as operator tools need it, beside the use cases: the benchmark measures the
//! engine's own ceiling with plain inserts, and bulk loaders refresh planner statistics or
//! look shipments up by the thousand. Request handlers never use this: they go through
//! [`App`]'s use cases, which authorise, validate and audit.

use crate::{App, AppResult};
use consign_core::ids::{CarrierId, ShipmentId, TenantId};
use consign_core::party::Carrier;
use consign_store::Tx;
use std::collections::HashMap;

/// See the module docs; from [`App::tools`].
pub struct Tools<'a>(pub(crate) &'a App);

impl Tools<'_> {
    /// `sqlite` or `postgres`.
    pub fn engine_name(&self) -> &'static str {
        self.0.store.engine().name()
    }

    /// Refreshes the planner's statistics after a bulk load (PostgreSQL `ANALYZE`).
    pub async fn analyze(&self) -> AppResult<()> {
        Ok(self.0.store.analyze().await?)
    }

    /// Writes everything committed back to the database files (SQLite's WAL checkpoint,
    /// PostgreSQL's `CHECKPOINT`), so that a measurement does not pay for the phase before.
    pub async fn checkpoint(&self) -> AppResult<()> {
        Ok(self.0.store.checkpoint().await?)
    }

    /// A raw write transaction: for the benchmark's ceiling, which inserts without any of
    /// the pipeline's work.
    pub async fn begin(&self) -> AppResult<Box<dyn Tx>> {
        Ok(self.0.store.begin().await?)
    }

    pub async fn carriers(&self, tenant: TenantId) -> AppResult<Vec<Carrier>> {
        Ok(self.0.store.carriers(tenant).await?)
    }

    /// How many outbox messages are in each state, all tenants together.
    pub async fn outbox_counts(
        &self,
    ) -> AppResult<Vec<(consign_core::message::outbox::DeliveryState, i64)>> {
        Ok(self.0.store.outbox_counts().await?)
    }

    /// The shipments of many (carrier, tracking number) pairs at once.
    pub async fn shipment_ids_by_tracking(
        &self,
        tenant: TenantId,
        keys: &[(CarrierId, String)],
    ) -> AppResult<HashMap<(CarrierId, String), ShipmentId>> {
        Ok(self.0.store.shipment_ids_by_tracking(tenant, keys).await?)
    }
}

impl App {
    /// The store for operator tools (see [`tools`](crate::tools)).
    pub fn tools(&self) -> Tools<'_> {
        Tools(self)
    }
}
