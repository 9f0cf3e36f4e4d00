//! Trading partners: who sends us X12 under which ISA ids, and how strictly it is read.

use crate::{App, AppError, AppResult, entropy, require, tenant_audit};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::edi::{NewTradingPartner, PartnerKind, TradingPartner};
use consign_core::ids::*;
use consign_core::tenant::Tenant;

impl App {
    pub async fn create_partner(
        &self,
        p: &Principal,
        tenant: &Tenant,
        new: NewTradingPartner,
    ) -> AppResult<TradingPartner> {
        require(p, Capability::ManageParties)?;
        let mut inv = Invalid::default();
        let carrier_id = match (&new.kind, &new.carrier) {
            (PartnerKind::Carrier, Some(c)) => {
                let carriers = self.store.carriers(tenant.id).await?;
                let found = crate::shipments::find_carrier(&carriers, c).map(|c| c.id);
                if found.is_none() {
                    inv.push(
                        "carrier",
                        format!("no carrier '{c}' in tenant {}", tenant.slug),
                    );
                }
                found
            }
            _ => None,
        };
        let warehouse_id = match (&new.kind, &new.warehouse) {
            (PartnerKind::Warehouse, Some(w)) => {
                let found = self
                    .store
                    .warehouses(tenant.id)
                    .await?
                    .into_iter()
                    .find(|x| x.code.eq_ignore_ascii_case(w))
                    .map(|x| x.id);
                if found.is_none() {
                    inv.push(
                        "warehouse",
                        format!("no warehouse '{w}' in tenant {}", tenant.slug),
                    );
                }
                found
            }
            _ => None,
        };
        let now = self.now();
        let partner = match new.accept(
            PartnerId::new_at(now, entropy()),
            tenant.id,
            carrier_id,
            warehouse_id,
            now,
        ) {
            Ok(p) if inv.is_empty() => p,
            Ok(_) => return Err(inv.into()),
            Err(e) => {
                inv.extend(e);
                return Err(inv.into());
            }
        };
        if self
            .store
            .partner_by_isa(tenant.id, &partner.isa_qualifier, &partner.isa_id)
            .await?
            .is_some()
        {
            return Err(AppError::conflict(
                "isa_id",
                format!(
                    "a trading partner {}:{} already exists in {}",
                    partner.isa_qualifier, partner.isa_id, tenant.slug
                ),
            ));
        }
        let mut tx = self.begin().await?;
        tx.insert_partner(&partner).await?;
        self.commit_audited(
            tx,
            tenant_audit(tenant, p, now, "edi_partner", partner.id, "created").after(&partner),
        )
        .await?;
        Ok(partner)
    }

    pub async fn list_partners(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<Vec<TradingPartner>> {
        require(p, Capability::ReadShipments)?;
        let all = self.store.partners(tenant.id).await?;
        Ok(match p.carrier {
            Some(c) => all
                .into_iter()
                .filter(|x| x.carrier_id == Some(c))
                .collect(),
            None => all,
        })
    }
}

/// The party a partner's EDI case is held against: the partner, by its kind.
pub(super) fn partner_party(p: &TradingPartner) -> &'static str {
    match p.kind {
        PartnerKind::Carrier => "carrier",
        PartnerKind::Warehouse => "warehouse",
    }
}
