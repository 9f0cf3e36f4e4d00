//! Creates the tenants, carriers and warehouses a generated dataset's plan describes;
//! anything already there is left alone, so a plan can be applied again.

use crate::narrator::Narrator;
use crate::plan::TenantPlan;
use consign_app::{App, AppError};
use consign_core::access::Principal;
use consign_core::party::{Mode, NewCarrier, NewWarehouse};
use consign_core::tenant::NewTenant;

/// Creates what `plans` describe that is not there yet, saying so tenant by tenant.
pub async fn setup_tenants(
    app: &App,
    plans: &[TenantPlan],
    narrator: &dyn Narrator,
) -> anyhow::Result<()> {
    let system = Principal::system();
    for p in plans {
        let tenant = match app.tenant_for(&system, &p.slug).await {
            Ok(t) => t,
            Err(AppError::NotFound(_)) => {
                app.create_tenant(
                    &system,
                    NewTenant {
                        slug: p.slug.clone(),
                        name: p.name.clone(),
                        time_zone: p.time_zone.clone(),
                    },
                )
                .await?
            }
            Err(e) => return Err(e.into()),
        };
        let carriers = app.list_carriers(&system, &tenant).await?;
        for c in &p.carriers {
            if !carriers
                .iter()
                .any(|x| x.scac.as_deref() == Some(c.scac.as_str()))
            {
                let mode = Mode::parse(&c.mode).map_err(anyhow::Error::msg)?;
                app.create_carrier(
                    &system,
                    &tenant,
                    NewCarrier {
                        name: c.name.clone(),
                        scac: Some(c.scac.clone()),
                        mode,
                    },
                )
                .await?;
            }
        }
        let warehouses = app.list_warehouses(&system, &tenant).await?;
        for w in &p.warehouses {
            if !warehouses.iter().any(|x| x.code == w.code) {
                app.create_warehouse(
                    &system,
                    &tenant,
                    NewWarehouse {
                        code: w.code.clone(),
                        name: w.name.clone(),
                        time_zone: w.time_zone.clone(),
                    },
                )
                .await?;
            }
        }
        narrator.say(&format!(
            "tenant {} ready: {} carriers, {} warehouses",
            tenant.slug,
            p.carriers.len(),
            p.warehouses.len()
        ));
    }
    Ok(())
}
