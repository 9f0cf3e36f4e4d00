//! The sweeps: time-based shipment rules from the indexed `due_at`, and the carrier-level
//! rule per tenant.

use super::{CaseChanges, RulebookInForce};
use crate::cases::SubjectCases;
use crate::{App, AppResult};
use consign_core::case::{Case, CaseSubject};
use consign_core::ids::*;
use consign_core::tenant::Tenant;
use consign_core::tracking::TrackedShipment;
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

impl App {
    /// Judges every shipment whose `next_check_at` has come, as of the app's clock. Returns
    /// how many shipments were judged and what changed.
    pub async fn sweep(&self, batch: u32) -> AppResult<(u64, CaseChanges)> {
        let now = self.now();
        let mut judged = 0u64;
        let mut total = CaseChanges::default();
        let mut books: HashMap<TenantId, Arc<RulebookInForce>> = HashMap::new();
        loop {
            let mut round = 0u64;
            let due = self.store.due_shipments(now, batch).await?;
            if due.is_empty() {
                break;
            }
            let mut by_tenant: BTreeMap<TenantId, Vec<ShipmentId>> = BTreeMap::new();
            for (t, s) in &due {
                by_tenant.entry(*t).or_default().push(*s);
            }
            for (tenant, ids) in by_tenant {
                let book = match books.get(&tenant) {
                    Some(b) => b.clone(),
                    None => match self.rulebook_in_force(tenant).await {
                        Ok(b) => {
                            books.insert(tenant, b.clone());
                            b
                        }
                        Err(e) => {
                            tracing::warn!(tenant = %tenant, error = %e, "sweep: no usable rulebook");
                            continue;
                        }
                    },
                };
                match self.sweep_tenant(tenant, &book, &ids, now).await {
                    Ok((n, refiled, c)) => {
                        judged += n;
                        round += n + refiled;
                        total.add(&c);
                    }
                    // One tenant's trouble (a bad stored rulebook, a conflict) must not stop
                    // the others' rules; its shipments stay due and are tried next time.
                    Err(e) => {
                        tracing::warn!(tenant = %tenant, error = %e, "sweep failed for tenant")
                    }
                }
            }
            if (due.len() as u32) < batch || round == 0 {
                break;
            }
        }
        Ok((judged, total))
    }

    async fn sweep_tenant(
        &self,
        tenant: TenantId,
        book: &RulebookInForce,
        ids: &[ShipmentId],
        now: Timestamp,
    ) -> AppResult<(u64, u64, CaseChanges)> {
        let mut tx = self.begin().await?;
        // Due by the index but not by their exact next check: ingest left the due instant
        // earlier (it never moves it later), or another sweeper judged them meanwhile. They
        // are only filed again under their exact instant.
        let (mut tracked, early): (Vec<TrackedShipment>, Vec<TrackedShipment>) = tx
            .lock_tracked(tenant, ids)
            .await?
            .into_iter()
            .partition(|t| t.next_check_at.is_some_and(|n| n <= now));
        let c = self
            .judge_and_apply(
                &mut *tx,
                tenant,
                "system:sweep",
                book,
                &mut tracked,
                &BTreeMap::new(),
                now,
            )
            .await?;
        let judged = tracked.len() as u64;
        let refiled = early.len() as u64;
        tracked.extend(early);
        // A sweep changes no state, only when to look next.
        tx.update_next_checks(&tracked).await?;
        self.commit(tx).await?;
        Ok((judged, refiled, c))
    }

    /// The carrier-level rule (`carrier_silent`) for every tenant whose rulebook has it, as of
    /// the app's clock: opens a case for each carrier silent too long while it has shipments
    /// under way, and resolves those whose scans resumed. One aggregate query per tenant, so
    /// `serve` runs it every few minutes rather than with every shipment sweep.
    pub async fn sweep_carriers(&self) -> AppResult<CaseChanges> {
        let now = self.now();
        let mut total = CaseChanges::default();
        for (tenant, book) in self.tenant_rulebooks("carrier sweep").await? {
            let Some(rule) = book.book.carrier_silent.clone() else {
                continue;
            };
            let r = self.sweep_carriers_of(tenant.id, &book, &rule, now).await;
            tally(&mut total, &tenant, "carrier sweep", r);
        }
        Ok(total)
    }

    /// Every tenant with its rulebook in force, for the sweeps of rules beyond shipments; a
    /// tenant whose rulebook cannot be read is logged and left for the next round.
    pub(crate) async fn tenant_rulebooks(
        &self,
        what: &str,
    ) -> AppResult<Vec<(Tenant, Arc<RulebookInForce>)>> {
        let mut out = Vec::new();
        for tenant in self.store.tenants().await? {
            match self.rulebook_in_force(tenant.id).await {
                Ok(b) => out.push((tenant, b)),
                Err(e) => {
                    tracing::warn!(tenant = %tenant.slug, error = %e, "{what}: no usable rulebook")
                }
            }
        }
        Ok(out)
    }

    async fn sweep_carriers_of(
        &self,
        tenant: TenantId,
        book: &RulebookInForce,
        rule: &consign_core::rules::CarrierSilence,
        now: Timestamp,
    ) -> AppResult<CaseChanges> {
        use consign_core::rules::SilenceAction;
        let activity: HashMap<CarrierId, Timestamp> = self
            .store
            .carrier_activity(tenant)
            .await?
            .into_iter()
            .collect();
        let mut tx = self.begin().await?;
        let open: HashMap<CarrierId, Case> = tx
            .open_non_shipment_cases(tenant, "carrier_silent")
            .await?
            .into_iter()
            .filter_map(|c| match c.subject {
                CaseSubject::Carrier(id) => Some((id, c)),
                _ => None,
            })
            .collect();
        let mut carriers: Vec<CarrierId> = activity.keys().chain(open.keys()).copied().collect();
        carriers.sort();
        carriers.dedup();
        let mut w = SubjectCases::new(
            tenant,
            "system:sweep",
            now,
            self.settings_in_force(tenant).await?,
        );
        for carrier in carriers {
            match rule.judge(
                activity.get(&carrier).copied(),
                open.contains_key(&carrier),
                now,
            ) {
                SilenceAction::Open { detail } => {
                    let c = w.new_case(
                        CaseSubject::Carrier(carrier),
                        "carrier_silent",
                        rule.severity,
                        "carrier",
                        &rule.owner_team,
                        book.version,
                    );
                    w.open(c, detail);
                }
                SilenceAction::Resolve { detail } => w.resolve(&open[&carrier], detail),
                SilenceAction::Nothing => {}
            }
        }
        w.write(self, &mut *tx).await?;
        self.commit(tx).await?;
        Ok(w.changes)
    }
}

/// Adds one tenant's sweep result to the total. One tenant's trouble must not stop the
/// others: a failure is logged and the tenant is tried again next round.
pub(crate) fn tally(
    total: &mut CaseChanges,
    tenant: &Tenant,
    what: &str,
    r: AppResult<CaseChanges>,
) {
    match r {
        Ok(c) => total.add(&c),
        Err(e) => tracing::warn!(tenant = %tenant.slug, error = %e, "{what} failed for tenant"),
    }
}
