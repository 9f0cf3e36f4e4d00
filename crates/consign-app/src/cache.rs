//! Short-lived in-process caches for data that changes rarely and is read by every tracking
//! request (and, for tokens, by every API request). A change made in this process is seen at once (the writer invalidates); one made
//! by another server is seen within [`TTL`]. Absent values are never cached, so a tenant or
//! carrier created anywhere is found on the next request.

use consign_core::case::settings::ActiveSettings;
use consign_core::ids::{CarrierId, ShipmentId, TenantId};
use consign_core::party::Carrier;
use consign_core::tenant::Tenant;
use consign_store::{DynStore, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a cached copy is trusted.
pub const TTL: Duration = Duration::from_secs(5);

/// A cached value and when it was read.
type Dated<V> = (Instant, V);

/// A live token's principal and when it expires.
type LiveToken = (consign_core::access::Principal, Option<jiff::Timestamp>);

#[derive(Default)]
pub struct Caches {
    /// Bearer tokens by secret hash: only live ones; a revocation in this process clears them.
    /// Each with the token's expiry, checked on every use.
    tokens: Mutex<HashMap<Vec<u8>, Dated<LiveToken>>>,
    tenants: Mutex<HashMap<String, (Instant, Tenant)>>,
    carriers: Mutex<HashMap<TenantId, Dated<Arc<Vec<Carrier>>>>>,
    pub(crate) rulebooks: Mutex<HashMap<TenantId, Dated<Arc<crate::tracking::RulebookInForce>>>>,
    /// Each tenant's case settings in force, checked (calendars built): read by every batch
    /// that files cases and by every case action.
    case_settings: Mutex<HashMap<TenantId, Dated<Arc<ActiveSettings>>>>,
    /// Which shipment a (carrier, tracking number) belongs to. Kept without a TTL because
    /// the pairing never changes once a shipment exists (the number is unique per carrier
    /// and shipments are neither deleted nor renumbered); unknown numbers are not kept, so
    /// a shipment created anywhere is found by the next lookup. Saves the tracking ingest
    /// one query per batch for shipments it has seen.
    shipment_ids: Mutex<HashMap<(TenantId, CarrierId, String), ShipmentId>>,
}

/// Entries of the shipment directory at most; past this it starts over (a bound on memory,
/// about 100 bytes an entry).
const SHIPMENT_IDS_MAX: usize = 2_000_000;

fn fresh<V: Clone>(entry: Option<&(Instant, V)>) -> Option<V> {
    entry
        .filter(|(at, _)| at.elapsed() < TTL)
        .map(|(_, v)| v.clone())
}

impl Caches {
    pub async fn tenant(&self, store: &DynStore, slug: &str) -> Result<Option<Tenant>> {
        if let Some(t) = fresh(self.tenants.lock().expect("cache lock").get(slug)) {
            return Ok(Some(t));
        }
        let t = store.tenant_by_slug(slug).await?;
        if let Some(t) = &t {
            self.tenants
                .lock()
                .expect("cache lock")
                .insert(slug.to_string(), (Instant::now(), t.clone()));
        }
        Ok(t)
    }

    pub async fn carriers(&self, store: &DynStore, tenant: TenantId) -> Result<Arc<Vec<Carrier>>> {
        if let Some(c) = fresh(self.carriers.lock().expect("cache lock").get(&tenant)) {
            return Ok(c);
        }
        let c = Arc::new(store.carriers(tenant).await?);
        self.carriers
            .lock()
            .expect("cache lock")
            .insert(tenant, (Instant::now(), c.clone()));
        Ok(c)
    }

    /// The principal of a cached token that has not expired at `now`.
    pub fn token(
        &self,
        hash: &[u8],
        now: jiff::Timestamp,
    ) -> Option<consign_core::access::Principal> {
        fresh(self.tokens.lock().expect("cache lock").get(hash))
            .filter(|(_, expires)| expires.is_none_or(|e| now < e))
            .map(|(p, _)| p)
    }

    pub fn keep_token(
        &self,
        hash: Vec<u8>,
        p: consign_core::access::Principal,
        expires: Option<jiff::Timestamp>,
    ) {
        let mut m = self.tokens.lock().expect("cache lock");
        // Bounded: a flood of distinct tokens must not grow memory without limit.
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(hash, (Instant::now(), (p, expires)));
    }

    /// The known shipments among `keys`; the rest must be looked up.
    pub fn shipment_ids(
        &self,
        tenant: TenantId,
        keys: &[(CarrierId, String)],
    ) -> HashMap<(CarrierId, String), ShipmentId> {
        let m = self.shipment_ids.lock().expect("cache lock");
        keys.iter()
            .filter_map(|(c, t)| {
                m.get(&(tenant, *c, t.clone()))
                    .map(|id| ((*c, t.clone()), *id))
            })
            .collect()
    }

    pub fn keep_shipment_ids(
        &self,
        tenant: TenantId,
        found: &HashMap<(CarrierId, String), ShipmentId>,
    ) {
        let mut m = self.shipment_ids.lock().expect("cache lock");
        if m.len() + found.len() > SHIPMENT_IDS_MAX {
            m.clear();
        }
        for ((c, t), id) in found {
            m.insert((tenant, *c, t.clone()), *id);
        }
    }

    pub fn forget_tokens(&self) {
        self.tokens.lock().expect("cache lock").clear();
    }

    pub fn forget_carriers(&self, tenant: TenantId) {
        self.carriers.lock().expect("cache lock").remove(&tenant);
    }

    /// The tenant's case settings in force (the defaults until it stores its own).
    pub async fn case_settings(
        &self,
        store: &DynStore,
        tenant: TenantId,
    ) -> Result<Arc<ActiveSettings>> {
        if let Some(s) = fresh(self.case_settings.lock().expect("cache lock").get(&tenant)) {
            return Ok(s);
        }
        let active = match store.case_settings(tenant).await? {
            None => ActiveSettings::defaults(),
            Some(s) => {
                let version = s.version;
                s.settings.activate(version).map_err(|e| {
                    consign_store::StoreError::Corrupt(format!("case settings v{version}: {e}"))
                })?
            }
        };
        let active = Arc::new(active);
        self.case_settings
            .lock()
            .expect("cache lock")
            .insert(tenant, (Instant::now(), active.clone()));
        Ok(active)
    }

    pub fn forget_case_settings(&self, tenant: TenantId) {
        self.case_settings
            .lock()
            .expect("cache lock")
            .remove(&tenant);
    }

    pub fn forget_rulebook(&self, tenant: TenantId) {
        self.rulebooks.lock().expect("cache lock").remove(&tenant);
    }

    pub fn rulebook(&self, tenant: TenantId) -> Option<Arc<crate::tracking::RulebookInForce>> {
        fresh(self.rulebooks.lock().expect("cache lock").get(&tenant))
    }

    pub fn keep_rulebook(&self, tenant: TenantId, book: Arc<crate::tracking::RulebookInForce>) {
        self.rulebooks
            .lock()
            .expect("cache lock")
            .insert(tenant, (Instant::now(), book));
    }
}

impl crate::App {
    /// The case settings in force for a tenant (the defaults until it stores its own), which
    /// every capability that files or times cases reads; kept here, below them all, so that
    /// none of them has to reach into `cases` for it.
    pub(crate) async fn settings_in_force(
        &self,
        tenant: TenantId,
    ) -> crate::AppResult<Arc<ActiveSettings>> {
        Ok(self.cache.case_settings(&self.store, tenant).await?)
    }
}
