//! The delivery worker's round: claim due messages with a lease (one short transaction),
//! deliver them concurrently outside any transaction, and record every attempt and the state
//! it leaves its message in (another). A request thread never waits on any of this.
//!
//! Webhooks are POSTed as Standard Webhooks says (`webhook-id` is the message's dedup key,
//! the same on every retry; `webhook-timestamp` the attempt's time; `webhook-signature` one
//! `v1,` signature per secret in force). Redirects are not followed and every name is
//! resolved through a resolver that refuses internal addresses (unless the installation
//! allows them), so an endpoint cannot be turned on the server's own network by a DNS
//! change after it was registered.

use super::MessagingConfig;
use crate::{App, AppResult};
use consign_core::message::endpoint::{WebhookEndpoint, is_internal};
use consign_core::message::outbox::{
    DeliveryAttempt, DeliveryState, OutboxMessage, Outcome, Transport, classify_http,
    parse_retry_after,
};
use consign_core::message::webhook::signed_headers;
use consign_store::DeliveryRecord;
use jiff::Timestamp;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    /// Staged messages moved into the outbox before the claim.
    pub promoted: usize,
    pub claimed: usize,
    pub delivered: usize,
    pub retrying: usize,
    pub dead: usize,
    pub endpoints_disabled: usize,
    /// Where the round's time went, for the benchmark (a few clock reads per round).
    pub phases: Phases,
}

/// Staged rows promoted per round: each holds one change's events (up to an ingest batch's),
/// so a few dozen keep a busy outbox fed without making the claim's transaction long.
const PROMOTE_ROWS: u32 = 32;

/// Wall time of a round's phases: the claim (its transaction and the endpoints' read), the
/// HTTP deliveries, and the record of their outcomes (its transaction, durable on return).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Phases {
    pub claim: std::time::Duration,
    pub send: std::time::Duration,
    pub record: std::time::Duration,
}

/// Resolves names for deliveries, keeping internal addresses out unless allowed.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok: Vec<SocketAddr> = all
                .into_iter()
                .filter(|a| allow || !is_internal(a.ip()))
                .collect();
            if ok.is_empty() {
                return Err(format!(
                    "{host} resolves only to internal addresses, which endpoints may not reach"
                )
                .into());
            }
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

pub(crate) fn http_client(cfg: &MessagingConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(cfg.attempt_timeout)
        .connect_timeout(cfg.attempt_timeout.min(std::time::Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(GuardedResolver {
            allow_private: cfg.allow_private_targets,
        })
        .pool_max_idle_per_host(cfg.concurrency)
        .user_agent(concat!("Consign-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the webhook HTTP client's settings are valid")
}

/// Whether `url` names an SMTP server lettre can reach: checked by the configuration loader
/// without building the transport (whose connection pool needs a running runtime).
pub fn check_smtp_url(url: &str) -> Result<(), String> {
    lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
        .map(|_| ())
        .map_err(|e| format!("smtp_url: {e}"))
}

/// The SMTP transport a URL names.
pub fn smtp_transport(
    url: &str,
    timeout: std::time::Duration,
) -> Result<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>, String> {
    let builder = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
        .map_err(|e| format!("smtp_url: {e}"))?;
    Ok(builder.timeout(Some(timeout)).build())
}

/// One attempt at one e-mail: the message written with its Message-ID (the dedup key, the
/// same on every retry), From, Reply-To and a text and an HTML part.
async fn send_email(
    smtp: &lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    m: &OutboxMessage,
) -> Outcome {
    use lettre::AsyncTransport;
    use lettre::message::{Mailbox, MultiPart, header::ContentType};
    let refuse = |error: String| Outcome::Refused {
        status: None,
        error,
        disable_endpoint: false,
    };
    let parse = |what: &str, a: &str| {
        a.parse::<Mailbox>()
            .map_err(|e| format!("{what} '{a}' is not an address: {e}"))
    };
    let from = match parse("From", m.sender.as_deref().unwrap_or_default()) {
        Ok(f) => f,
        Err(e) => return refuse(e),
    };
    let to = match parse("To", &m.recipient) {
        Ok(t) => t,
        Err(e) => return refuse(e),
    };
    let mut b = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(m.subject.clone())
        .message_id(Some(m.dedup_key.clone()));
    if let Some(r) = &m.reply_to {
        match parse("Reply-To", r) {
            Ok(r) => b = b.reply_to(r),
            Err(e) => return refuse(e),
        }
    }
    let built = match &m.body_html {
        Some(html) => b.multipart(MultiPart::alternative_plain_html(
            m.body.clone(),
            html.clone(),
        )),
        None => b.header(ContentType::TEXT_PLAIN).body(m.body.clone()),
    };
    let email = match built {
        Ok(e) => e,
        Err(e) => return refuse(format!("the e-mail cannot be written: {e}")),
    };
    match smtp.send(email).await {
        Ok(r) => Outcome::Delivered {
            status: Some(u16::from(r.code())),
        },
        // 5xx: the server refuses this message for good; anything else may pass later.
        Err(e) if e.is_permanent() => Outcome::Refused {
            status: e.status().map(u16::from),
            error: format!("the SMTP server refused it: {e}"),
            disable_endpoint: false,
        },
        Err(e) => Outcome::Failed {
            status: e.status().map(u16::from),
            error: format!("SMTP: {e}"),
            retry_after: None,
        },
    }
}

/// The most of a receiver's answer that is read (and then dropped): enough to reuse the
/// connection after a short answer, never a receiver's whole stream.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// One attempt at one webhook.
async fn post_webhook(
    http: &reqwest::Client,
    allow_private: bool,
    m: &OutboxMessage,
    endpoint: &WebhookEndpoint,
    now: Timestamp,
) -> Outcome {
    if let Ok(u) = url::Url::parse(&m.recipient)
        && let Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) = u.host()
        && !allow_private
    {
        let ip: Option<std::net::IpAddr> = u
            .host_str()
            .and_then(|h| h.trim_matches(['[', ']']).parse().ok());
        if ip.is_some_and(is_internal) {
            return Outcome::Refused {
                status: None,
                error: format!(
                    "{} is an internal address, which endpoints may not reach",
                    u.host_str().unwrap_or_default()
                ),
                disable_endpoint: false,
            };
        }
    }
    let secrets = endpoint.signing_secrets(now);
    let headers = signed_headers(&secrets, &m.dedup_key, now.as_second(), m.body.as_bytes());
    let mut req = http
        .post(&endpoint.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(m.body.clone());
    for (name, value) in headers {
        req = req.header(name, value);
    }
    match req.send().await {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now));
            let mut read = 0usize;
            while read < MAX_ANSWER_BYTES {
                match resp.chunk().await {
                    Ok(Some(c)) => read += c.len(),
                    // A receiver that cuts the answer short still answered with its status.
                    Ok(None) | Err(_) => break,
                }
            }
            classify_http(status, retry_after)
        }
        Err(e) => Outcome::Failed {
            status: None,
            error: describe(&e),
            retry_after: None,
        },
    }
}

/// A transport failure in a few words an administrator can act on.
fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the connection failed".to_string()
    };
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.chars().take(500).collect()
}

impl App {
    /// One round of the delivery worker (see the module's documentation).
    pub async fn deliver_due(&self) -> AppResult<DeliveryRound> {
        let cfg = self.messaging.config.clone();
        let now = self.now();
        let lease = jiff::SignedDuration::try_from(cfg.lease).unwrap_or_default();
        let began = Instant::now();
        let mut tx = self.store.begin().await?;
        // Staged events join the outbox first, in the claim's transaction: a round claims
        // what the changes since the last round emitted, with no commit in between.
        let promoted = tx.promote_staged(PROMOTE_ROWS).await?;
        let claimed = tx.claim_outbox(now, now + lease, cfg.batch).await?;
        tx.commit().await?;
        let mut round = DeliveryRound {
            promoted,
            claimed: claimed.len(),
            ..Default::default()
        };
        if claimed.is_empty() {
            round.phases.claim = began.elapsed();
            return Ok(round);
        }
        let mut ids: Vec<Uuid> = claimed.iter().filter_map(|m| m.endpoint_id).collect();
        ids.sort();
        ids.dedup();
        let endpoints: Arc<HashMap<Uuid, WebhookEndpoint>> = Arc::new(
            self.store
                .endpoints_by_ids(&ids)
                .await?
                .into_iter()
                .map(|e| (e.id, e))
                .collect(),
        );
        round.phases.claim = began.elapsed();
        let sending = Instant::now();
        let gate = Arc::new(tokio::sync::Semaphore::new(cfg.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for m in claimed {
            let (http, endpoints, gate) =
                (self.messaging.http.clone(), endpoints.clone(), gate.clone());
            let allow = cfg.allow_private_targets;
            let smtp = self.messaging.smtp.clone();
            let clock = self.clock.clone();
            tasks.spawn(async move {
                let _permit = gate
                    .acquire_owned()
                    .await
                    .expect("the gate is never closed");
                let at = Timestamp::from_microsecond(clock.now().as_microsecond())
                    .unwrap_or(Timestamp::UNIX_EPOCH);
                let started = Instant::now();
                let endpoint = m.endpoint_id.and_then(|id| endpoints.get(&id));
                let outcome = match (m.transport, endpoint) {
                    (Transport::Webhook, Some(e)) if e.disabled_at.is_none() => {
                        post_webhook(&http, allow, &m, e, at).await
                    }
                    (Transport::Webhook, _) => Outcome::Refused {
                        status: None,
                        error: "the endpoint is disabled or gone".into(),
                        disable_endpoint: false,
                    },
                    (Transport::Email, _) => match &smtp {
                        Some(smtp) => send_email(smtp, &m).await,
                        None => Outcome::Refused {
                            status: None,
                            error: "no SMTP server is configured (smtp_url)".into(),
                            disable_endpoint: false,
                        },
                    },
                };
                (m, at, started.elapsed(), outcome)
            });
        }
        let mut records = Vec::with_capacity(round.claimed);
        let mut disable: Vec<Uuid> = Vec::new();
        while let Some(done) = tasks.join_next().await {
            let (m, at, took, outcome) = done.expect("a delivery task does not panic");
            let (state, next, status, error) = match outcome {
                Outcome::Delivered { status } => (DeliveryState::Delivered, None, status, None),
                Outcome::Failed {
                    status,
                    error,
                    retry_after,
                } => {
                    match cfg
                        .retry
                        .next_attempt(m.attempts, at, rand::random::<f64>(), retry_after)
                    {
                        Some(next) => (DeliveryState::Pending, Some(next), status, Some(error)),
                        None => (
                            DeliveryState::Dead,
                            None,
                            status,
                            Some(format!("gave up after {} attempts: {error}", m.attempts)),
                        ),
                    }
                }
                Outcome::Refused {
                    status,
                    error,
                    disable_endpoint,
                } => {
                    if disable_endpoint && let Some(e) = m.endpoint_id {
                        disable.push(e);
                    }
                    (DeliveryState::Dead, None, status, Some(error))
                }
            };
            match state {
                DeliveryState::Delivered => round.delivered += 1,
                DeliveryState::Pending => round.retrying += 1,
                DeliveryState::Dead => round.dead += 1,
            }
            records.push(DeliveryRecord {
                message_id: m.id,
                attempt: DeliveryAttempt {
                    message_id: m.id,
                    attempt: m.attempts,
                    at,
                    status,
                    error,
                    duration_ms: u32::try_from(took.as_millis()).unwrap_or(u32::MAX),
                },
                state,
                next_attempt_at: next,
            });
        }
        round.phases.send = sending.elapsed();
        let recording = Instant::now();
        disable.sort();
        disable.dedup();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.record_deliveries(&records, now).await?;
        for id in &disable {
            if let Some(e) = endpoints.get(id)
                && e.disabled_at.is_none()
            {
                let mut off = e.clone();
                off.disabled_at = Some(now);
                off.disabled_reason = Some("the receiver answered 410 Gone".into());
                tx.update_webhook_endpoint(&off, now).await?;
                tx.kill_endpoint_messages(off.id, "endpoint disabled: 410 Gone", now)
                    .await?;
                tx.append_audit(vec![
                    consign_core::audit::AuditEntry::new(
                        Some(off.tenant_id),
                        now,
                        "system".to_string(),
                        "webhook_endpoint",
                        off.id,
                        "disabled",
                    )
                    .after(&serde_json::json!({ "reason": off.disabled_reason })),
                ])
                .await?;
                self.messaging.forget(off.tenant_id);
                round.endpoints_disabled += 1;
            }
        }
        tx.commit().await?;
        round.phases.record = recording.elapsed();
        Ok(round)
    }
}
