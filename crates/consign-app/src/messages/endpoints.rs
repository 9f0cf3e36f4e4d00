//! Webhook endpoints as their owners manage them: register (the secret is shown once), change,
//! disable, rotate the secret (the old one keeps signing for a day, so a receiver can roll
//! over without losing a message), each audited. A carrier's endpoint is bound to its carrier.

use crate::{App, AppError, AppResult, require, tenant_audit};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::message::endpoint::{EndpointSecret, NewEndpoint, WebhookEndpoint, is_internal};
use consign_core::message::webhook::WebhookSecret;
use consign_core::tenant::Tenant;
use jiff::SignedDuration;
use serde::Serialize;
use uuid::Uuid;

/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP: SignedDuration = SignedDuration::from_hours(24);

/// An endpoint as its owner sees it: secrets are never shown again after they are issued.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointView {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    /// A carrier's endpoint receives only events about that carrier.
    pub carrier_id: Option<consign_core::ids::CarrierId>,
    /// How many secrets sign each delivery (two during a rotation).
    pub secrets_in_force: usize,
    pub disabled_at: Option<jiff::Timestamp>,
    pub disabled_reason: Option<String>,
    pub created_at: jiff::Timestamp,
    pub created_by: String,
}

/// A newly issued secret, shown once.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedSecret {
    pub endpoint: EndpointView,
    /// `whsec_…`: verify deliveries with it; it is not shown again.
    pub secret: String,
}

impl EndpointView {
    pub fn of(e: &WebhookEndpoint, now: jiff::Timestamp) -> Self {
        EndpointView {
            id: e.id,
            url: e.url.clone(),
            description: e.description.clone(),
            events: e.events.iter().map(|x| x.as_str().to_string()).collect(),
            carrier_id: e.carrier,
            secrets_in_force: e.signing_secrets(now).len(),
            disabled_at: e.disabled_at,
            disabled_reason: e.disabled_reason.clone(),
            created_at: e.created_at,
            created_by: e.created_by.clone(),
        }
    }
}

fn new_secret() -> WebhookSecret {
    WebhookSecret::from_random(rand::random())
}

impl App {
    /// Checks where an endpoint's URL leads: its host must resolve, and not to an internal
    /// address unless the installation allows private targets. (Delivery checks again, at
    /// every connection: a name may point elsewhere later.)
    async fn check_reachable(&self, url: &url::Url) -> AppResult<()> {
        if self.messaging.config.allow_private_targets {
            return Ok(());
        }
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<std::net::IpAddr> = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| Invalid::one("url", format!("cannot resolve host '{host}': {e}")))?
                .map(|a| a.ip())
                .collect(),
        };
        if let Some(bad) = addrs.iter().find(|ip| is_internal(**ip)) {
            return Err(Invalid::one(
                "url",
                format!(
                    "'{host}' leads to {bad}, a loopback, private or link-local address; \
                     endpoints may not reach the server's own network unless the \
                     administrator allows private targets"
                ),
            )
            .into());
        }
        Ok(())
    }

    pub async fn list_endpoints(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<Vec<EndpointView>> {
        require(p, Capability::ManageWebhooks)?;
        let now = self.now();
        Ok(self
            .store
            .webhook_endpoints(tenant.id)
            .await?
            .iter()
            .filter(|e| p.carrier.is_none() || e.carrier == p.carrier)
            .map(|e| EndpointView::of(e, now))
            .collect())
    }

    /// An endpoint the caller may manage: a carrier only its own.
    pub(crate) async fn endpoint_of(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: Uuid,
    ) -> AppResult<WebhookEndpoint> {
        require(p, Capability::ManageWebhooks)?;
        match self.store.webhook_endpoint(tenant.id, id).await? {
            Some(e) if p.carrier.is_none() || e.carrier == p.carrier => Ok(e),
            _ => Err(AppError::NotFound(format!("webhook endpoint {id}"))),
        }
    }

    pub async fn get_endpoint(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: Uuid,
    ) -> AppResult<EndpointView> {
        let e = self.endpoint_of(p, tenant, id).await?;
        Ok(EndpointView::of(&e, self.now()))
    }

    /// Registers an endpoint and issues its first secret.
    pub async fn create_endpoint(
        &self,
        p: &Principal,
        tenant: &Tenant,
        new: NewEndpoint,
    ) -> AppResult<IssuedSecret> {
        require(p, Capability::ManageWebhooks)?;
        let (url, events) = new.check()?;
        self.check_reachable(&url).await?;
        let now = self.now();
        let secret = new_secret();
        let e = WebhookEndpoint {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            url: url.to_string(),
            description: new.description.trim().to_string(),
            carrier: p.carrier,
            events,
            secrets: vec![EndpointSecret {
                secret: secret.clone(),
                created_at: now,
                expires_at: None,
            }],
            disabled_at: None,
            disabled_reason: None,
            created_at: now,
            created_by: p.actor.label(),
        };
        let mut tx = self.begin().await?;
        tx.insert_webhook_endpoint(&e).await?;
        let view = EndpointView::of(&e, now);
        self.commit_audited(
            tx,
            tenant_audit(tenant, p, now, "webhook_endpoint", e.id, "created").after(&view),
        )
        .await?;
        self.messaging.forget(tenant.id);
        Ok(IssuedSecret {
            endpoint: view,
            secret: secret.expose(),
        })
    }

    /// Changes an endpoint's URL, description and events; `enabled` re-enables one that was
    /// disabled (by its owner or by a 410) or disables it.
    pub async fn update_endpoint(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: Uuid,
        new: NewEndpoint,
        enabled: Option<bool>,
    ) -> AppResult<EndpointView> {
        let before = self.endpoint_of(p, tenant, id).await?;
        let (url, events) = new.check()?;
        self.check_reachable(&url).await?;
        let now = self.now();
        let mut e = before.clone();
        e.url = url.to_string();
        e.description = new.description.trim().to_string();
        e.events = events;
        match enabled {
            Some(true) => {
                e.disabled_at = None;
                e.disabled_reason = None;
            }
            Some(false) if e.disabled_at.is_none() => {
                e.disabled_at = Some(now);
                e.disabled_reason = Some(format!("disabled by {}", p.actor.label()));
            }
            _ => {}
        }
        self.save_endpoint(p, tenant, &before, &e, "updated")
            .await?;
        Ok(EndpointView::of(&e, now))
    }

    /// Disables an endpoint for good (its delivery log stays readable); its pending messages
    /// become dead letters.
    pub async fn disable_endpoint(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: Uuid,
    ) -> AppResult<EndpointView> {
        let before = self.endpoint_of(p, tenant, id).await?;
        let now = self.now();
        let mut e = before.clone();
        if e.disabled_at.is_none() {
            e.disabled_at = Some(now);
            e.disabled_reason = Some(format!("disabled by {}", p.actor.label()));
            self.save_endpoint(p, tenant, &before, &e, "disabled")
                .await?;
        }
        Ok(EndpointView::of(&e, now))
    }

    /// Issues a new secret; the previous one keeps signing for [`ROTATION_OVERLAP`].
    pub async fn rotate_endpoint_secret(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: Uuid,
    ) -> AppResult<IssuedSecret> {
        let before = self.endpoint_of(p, tenant, id).await?;
        let now = self.now();
        let secret = new_secret();
        let mut e = before.clone();
        // Secrets that already expired are dropped; the newest so far gets its overlap.
        e.secrets.retain(|s| s.expires_at.is_none_or(|x| x > now));
        for s in &mut e.secrets {
            let until = now + ROTATION_OVERLAP;
            s.expires_at = Some(s.expires_at.map_or(until, |x| x.min(until)));
        }
        e.secrets.insert(
            0,
            EndpointSecret {
                secret: secret.clone(),
                created_at: now,
                expires_at: None,
            },
        );
        self.save_endpoint(p, tenant, &before, &e, "secret_rotated")
            .await?;
        Ok(IssuedSecret {
            endpoint: EndpointView::of(&e, now),
            secret: secret.expose(),
        })
    }

    async fn save_endpoint(
        &self,
        p: &Principal,
        tenant: &Tenant,
        before: &WebhookEndpoint,
        after: &WebhookEndpoint,
        action: &str,
    ) -> AppResult<()> {
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.update_webhook_endpoint(after, now).await?;
        if after.disabled_at.is_some() && before.disabled_at.is_none() {
            tx.kill_endpoint_messages(after.id, "endpoint disabled", now)
                .await?;
        }
        self.commit_audited(
            tx,
            tenant_audit(tenant, p, now, "webhook_endpoint", after.id, action)
                .before(&EndpointView::of(before, now))
                .after(&EndpointView::of(after, now)),
        )
        .await?;
        self.messaging.forget(tenant.id);
        Ok(())
    }
}
