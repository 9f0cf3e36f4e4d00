//! Messages (SPEC §6): what Consign tells clients and carriers, through a transactional outbox.
//!
//! - [`emit`]: the [`Emitter`](emit::Emitter) a use case fills while it changes things (a case
//!   opened, a shipment's status changed) and writes into the same transaction, so there is
//!   no message without its change and no change without its message.
//! - [`endpoints`]: webhook endpoints, registered by clients, carriers and integrations for
//!   the events they want; secrets shown once and rotated with an overlap.
//! - [`delivery`]: the worker that claims due messages with a lease, delivers them (signed as
//!   Standard Webhooks says) with a bounded concurrency and timeout, and records every
//!   attempt; retries on the schedule, dead letters after it.
//! - [`outbox`]: the outbox as administrators see it: dead letters, retried by hand, and an
//!   endpoint's delivery log with replays.

pub mod delivery;
pub mod emit;
pub mod endpoints;
pub mod outbox;
pub mod send;
pub mod templates;

use consign_core::ids::TenantId;
use consign_core::message::endpoint::WebhookEndpoint;
use consign_core::message::outbox::RetrySchedule;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How messages are delivered; set per installation.
#[derive(Debug, Clone)]
pub struct MessagingConfig {
    /// Let endpoints reach loopback, private and link-local addresses (tests, the demo, an
    /// installation whose receivers live on its own network). Off by default: an endpoint
    /// must not turn the server into a probe of its own network.
    pub allow_private_targets: bool,
    pub retry: RetrySchedule,
    /// One attempt's whole budget: connecting, sending, and the receiver's answer.
    pub attempt_timeout: Duration,
    /// How long a claimed message is a worker's before another may take it (a worker killed
    /// mid-delivery leaves its messages to be claimed again after this).
    pub lease: Duration,
    /// Messages claimed per round, and how many are in flight at once.
    pub batch: u32,
    pub concurrency: usize,
    /// Where e-mail goes: `smtp://host:port` (STARTTLS when offered), `smtp://…?tls=required`,
    /// `smtps://host:465`, with `user:password@` for authentication; `None` keeps e-mails in
    /// the outbox as dead letters that say so.
    pub smtp_url: Option<String>,
    /// The From of tenants that set none.
    pub email_from: String,
}

impl Default for MessagingConfig {
    fn default() -> Self {
        MessagingConfig {
            allow_private_targets: false,
            retry: RetrySchedule::default(),
            attempt_timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            batch: 400,
            concurrency: 64,
            smtp_url: None,
            email_from: "consign@localhost.localdomain".into(),
        }
    }
}

/// How long a server trusts its copy of a tenant's endpoints: an endpoint registered on
/// another server starts receiving events within this.
const SUBSCRIPTION_TTL: Duration = Duration::from_secs(5);

/// A tenant's endpoints as read at an instant.
type Subscribed = (Instant, Arc<Vec<WebhookEndpoint>>);

/// The delivery machinery every `App` clone shares.
pub struct Messaging {
    pub config: MessagingConfig,
    pub(crate) http: reqwest::Client,
    /// `None` when no SMTP server is configured.
    pub(crate) smtp: Option<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
    /// Wakes the delivery worker when a message was enqueued.
    pub(crate) wake: tokio::sync::Notify,
    subscriptions: Mutex<HashMap<TenantId, Subscribed>>,
}

impl Messaging {
    pub fn new(config: MessagingConfig) -> Self {
        // One crypto provider for every TLS connection the process makes (webhooks, SMTP);
        // a second call finds it installed.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = delivery::http_client(&config);
        let smtp = config.smtp_url.as_deref().and_then(|url| {
            match delivery::smtp_transport(url, config.attempt_timeout) {
                Ok(t) => Some(t),
                Err(e) => {
                    tracing::error!(error = %e, "the SMTP URL is unusable; e-mails stay in the outbox");
                    None
                }
            }
        });
        Messaging {
            config,
            http,
            smtp,
            wake: tokio::sync::Notify::new(),
            subscriptions: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, tenant: TenantId) -> Option<Arc<Vec<WebhookEndpoint>>> {
        let map = self
            .subscriptions
            .lock()
            .expect("subscription cache poisoned");
        map.get(&tenant)
            .filter(|(at, _)| at.elapsed() < SUBSCRIPTION_TTL)
            .map(|(_, e)| e.clone())
    }

    fn keep(&self, tenant: TenantId, endpoints: Arc<Vec<WebhookEndpoint>>) {
        self.subscriptions
            .lock()
            .expect("subscription cache poisoned")
            .insert(tenant, (Instant::now(), endpoints));
    }

    pub(crate) fn forget(&self, tenant: TenantId) {
        self.subscriptions
            .lock()
            .expect("subscription cache poisoned")
            .remove(&tenant);
    }
}

impl Default for Messaging {
    fn default() -> Self {
        Messaging::new(MessagingConfig::default())
    }
}

impl crate::App {
    /// The tenant's endpoints, from a copy at most [`SUBSCRIPTION_TTL`] old: every write that
    /// may emit an event asks, so this must not cost a query each time.
    pub(crate) async fn subscriptions(
        &self,
        tenant: TenantId,
    ) -> crate::AppResult<Arc<Vec<WebhookEndpoint>>> {
        if let Some(e) = self.messaging.cached(tenant) {
            return Ok(e);
        }
        let endpoints = Arc::new(self.store.webhook_endpoints(tenant).await?);
        self.messaging.keep(tenant, endpoints.clone());
        Ok(endpoints)
    }

    /// An emitter for a change in `tenant` at `now`.
    pub(crate) async fn emitter(
        &self,
        tenant: TenantId,
        now: jiff::Timestamp,
    ) -> crate::AppResult<emit::Emitter> {
        Ok(emit::Emitter::new(
            tenant,
            self.subscriptions(tenant).await?,
            now,
        ))
    }

    /// Writes an emitter's messages into `tx` and wakes the delivery worker (which finds them
    /// once `tx` commits, or on its next round).
    pub(crate) async fn write_messages(
        &self,
        emitter: emit::Emitter,
        tx: &mut dyn consign_store::Tx,
    ) -> crate::AppResult<()> {
        if emitter.write(tx).await? > 0 {
            self.messaging.wake.notify_one();
        }
        Ok(())
    }
}
