//! A tenant's KPI definitions (its contract's on-time window, in-full rule and exclusions),
//! every version kept; a change marks the tenant's orders for the rollup to judge again.

use super::may_read;
use crate::{App, AppError, AppResult, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::audit::AuditEntry;
use consign_core::kpi::KpiDefinitions;
use consign_core::tenant::Tenant;

/// A version of a tenant's KPI definitions; version 0 is SPEC §10's defaults, in force until
/// the tenant stores its own.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DefinitionsVersion {
    pub version: i64,
    pub definitions: KpiDefinitions,
}

impl App {
    /// The definitions in force: the newest stored version, or the defaults (version 0).
    pub async fn kpi_definitions(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<DefinitionsVersion> {
        may_read(p)?;
        self.definitions_in_force(tenant).await
    }

    /// The newest stored version, or the defaults (version 0).
    pub(crate) async fn definitions_in_force(
        &self,
        tenant: &Tenant,
    ) -> AppResult<DefinitionsVersion> {
        Ok(match self.store.kpi_definitions(tenant.id).await? {
            Some(s) => DefinitionsVersion {
                version: s.version,
                definitions: s.definitions,
            },
            None => DefinitionsVersion {
                version: 0,
                definitions: KpiDefinitions::default(),
            },
        })
    }

    /// One stored version (0: the defaults), to recompute a period under it.
    pub async fn kpi_definitions_version(
        &self,
        p: &Principal,
        tenant: &Tenant,
        version: i64,
    ) -> AppResult<DefinitionsVersion> {
        may_read(p)?;
        if version == 0 {
            return Ok(DefinitionsVersion {
                version,
                definitions: KpiDefinitions::default(),
            });
        }
        let s = self
            .store
            .kpi_definitions_version(tenant.id, version)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("KPI definitions version {version}")))?;
        Ok(DefinitionsVersion {
            version: s.version,
            definitions: s.definitions,
        })
    }

    /// Stores a new version after checking all of it: the windows and threshold, and that
    /// every excluded carrier is one of the tenant's. Audited with what was stored.
    pub async fn put_kpi_definitions(
        &self,
        p: &Principal,
        tenant: &Tenant,
        definitions: KpiDefinitions,
    ) -> AppResult<DefinitionsVersion> {
        require(p, Capability::ManageCaseSettings)?;
        let mut inv = match definitions.check() {
            Ok(()) => Invalid::default(),
            Err(e) => e,
        };
        let carriers = self.store.carriers(tenant.id).await?;
        for (i, c) in definitions.exclude_carriers.iter().enumerate() {
            if !carriers.iter().any(|k| k.id == *c) {
                inv.push(
                    format!("exclude_carriers[{i}]"),
                    format!("no carrier {c} in tenant {}", tenant.slug),
                );
            }
        }
        inv.into_result(()).map_err(AppError::Invalid)?;
        let now = self.now();
        let actor = p.actor.label();
        let mut tx = self.begin().await?;
        let version = tx
            .insert_kpi_definitions(tenant.id, &definitions, now, &actor)
            .await?;
        tx.append_audit(vec![
            AuditEntry::new(
                Some(tenant.id),
                now,
                actor,
                "kpi_definitions",
                tenant.id,
                "stored",
            )
            .after(&serde_json::json!({ "version": version, "definitions": definitions })),
        ])
        .await?;
        // The order outcomes in the rollup were judged under the old version.
        tx.mark_kpi_orders_stale(tenant.id).await?;
        self.commit(tx).await?;
        Ok(DefinitionsVersion {
            version,
            definitions,
        })
    }
}
