//! The transactional outbox (SPEC §6): what one message to deliver is, the events endpoints
//! subscribe to, and the retry schedule — when a failed delivery is tried again and when it
//! is given up into the dead-letter list. Pure: the worker that delivers lives in the app.

use crate::Invalid;
use crate::ids::{CaseId, TenantId};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

string_enum! {
    /// What happened, as an endpoint subscribes to it (`case.opened`, …).
    pub enum EventType (Exact) {
        CaseOpened = "case.opened",
        CaseUpdated = "case.updated",
        CaseResolved = "case.resolved",
        ShipmentStatusChanged = "shipment.status_changed",
        ShipmentDelivered = "shipment.delivered",
        EdiRejected = "edi.rejected",
    }
    unknown(s) => format!(
        "unknown event type '{s}'; expected one of case.opened, case.updated, case.resolved, \
         shipment.status_changed, shipment.delivered, edi.rejected"
    );
}

string_enum! {
    /// Where a message stands. `pending` covers "not tried yet" and "failed, waiting for its
    /// next attempt"; a worker's claim is a lease on a pending message, not a status, so a
    /// worker that dies mid-delivery leaves a message that is claimed again when its lease
    /// runs out.
    pub enum DeliveryState (Exact) {
        Pending = "pending",
        Delivered = "delivered",
        /// Given up after the schedule, or refused for good (410, an endpoint disabled):
        /// visible to administrators, retried by hand.
        Dead = "dead",
    }
    unknown(s) => format!("unknown delivery state '{s}'; expected pending, delivered or dead");
}

string_enum! {
    /// How a message travels.
    pub enum Transport (Exact) {
        Webhook = "webhook",
        Email = "email",
    }
    unknown(s) => format!("unknown transport '{s}'; expected webhook or email");
}

/// One message in the outbox, written in the same transaction as the change that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxMessage {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub transport: Transport,
    /// The webhook endpoint, for webhook messages.
    pub endpoint_id: Option<Uuid>,
    /// The e-mail address, or the endpoint's URL (kept as sent, for the delivery log).
    pub recipient: String,
    /// `case.opened`, …, or a template's name for a case message.
    pub kind: String,
    /// The receiver's deduplication key, the same on every retry: the webhook's
    /// `webhook-id`, the e-mail's `Message-ID`.
    pub dedup_key: String,
    /// Messages with the same key for the same endpoint are delivered in the order they
    /// were written (`shipment:<id>`, `case:<id>`).
    pub ordering_key: String,
    /// E-mail: the From and Reply-To addresses (the tenant's, and the reply address that
    /// carries the case's token).
    pub sender: Option<String>,
    pub reply_to: Option<String>,
    /// E-mail subject (empty for webhooks).
    pub subject: String,
    /// The webhook's JSON body, or the e-mail's text body.
    pub body: String,
    /// The e-mail's HTML body, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
    /// The case whose timeline shows this message's delivery state.
    pub case_id: Option<CaseId>,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

impl OutboxMessage {
    /// A webhook message's dedup key, its Standard Webhooks `webhook-id`: `msg_` and the
    /// message's id.
    pub fn webhook_id(id: Uuid) -> String {
        format!("msg_{}", id.simple())
    }
}

/// One delivery attempt, as the endpoint's delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    pub message_id: Uuid,
    pub attempt: u32,
    pub at: Timestamp,
    /// The HTTP status or SMTP reply code; `None` when nothing came back (refused, timed out).
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u32,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered {
        status: Option<u16>,
    },
    /// Worth another try: a 5xx, 408, 429, a timeout, a refused or cut connection.
    /// `retry_after` is the receiver's own wish (`Retry-After`), honoured within the schedule.
    Failed {
        status: Option<u16>,
        error: String,
        retry_after: Option<SignedDuration>,
    },
    /// Never worth another try: 410 Gone disables the endpoint; other 4xx are the request's
    /// fault, which a retry would not change.
    Refused {
        status: Option<u16>,
        error: String,
        disable_endpoint: bool,
    },
}

/// Classifies an HTTP answer (Standard Webhooks: 2xx is success; 410 means "stop"; any other
/// answer is a failure to retry). A 404 or 401 is what a receiver answers while it deploys or
/// rotates its secret: refused for good at the first one, every message of that minute went
/// to the dead letters; retried, they arrive when it is back, and the schedule bounds the rest.
pub fn classify_http(status: u16, retry_after: Option<SignedDuration>) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered {
            status: Some(status),
        },
        410 => Outcome::Refused {
            status: Some(status),
            error: "410 Gone: the receiver asked to stop; endpoint disabled".into(),
            disable_endpoint: true,
        },
        _ => Outcome::Failed {
            status: Some(status),
            error: format!("HTTP {status}"),
            retry_after,
        },
    }
}

/// Reads `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<SignedDuration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<i64>() {
        return (secs >= 0).then(|| SignedDuration::from_secs(secs));
    }
    let t = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    Some(t.duration_since(now).max(SignedDuration::ZERO))
}

/// When failed deliveries are tried again: the delays after the first attempt, then the dead
/// letter. The default is the Standard Webhooks suggestion (5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, 10 h: a receiver may be down for a day and still get everything).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrySchedule {
    pub delays_secs: Vec<u64>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule {
            delays_secs: vec![5, 300, 1800, 7200, 18000, 36000, 36000],
        }
    }
}

/// At most how much longer than the schedule a receiver's `Retry-After` may make us wait.
pub const MAX_RETRY_AFTER: SignedDuration = SignedDuration::from_hours(24);

impl RetrySchedule {
    pub fn validate(&self, field: &str) -> Result<(), Invalid> {
        if self.delays_secs.len() > 20 {
            return Err(Invalid::one(field, "at most 20 retries"));
        }
        if self.delays_secs.iter().any(|d| *d > 7 * 86_400) {
            return Err(Invalid::one(field, "a delay is at most 7 days (604800 s)"));
        }
        Ok(())
    }

    /// When to try again after `attempts` failed attempts, or `None` to give up. `jitter` in
    /// [0, 1) spreads retries of many messages over ±20 % of the delay, so a receiver back
    /// from an outage is not hit by every message in the same second. A receiver's
    /// `Retry-After` is honoured when longer than the schedule's delay (up to a day).
    pub fn next_attempt(
        &self,
        attempts: u32,
        now: Timestamp,
        jitter: f64,
        retry_after: Option<SignedDuration>,
    ) -> Option<Timestamp> {
        let base = *self.delays_secs.get(attempts.checked_sub(1)? as usize)?;
        let spread = (jitter.clamp(0.0, 1.0) - 0.5) * 0.4;
        let ms = (base as f64 * 1000.0 * (1.0 + spread)).round() as i64;
        let mut delay = SignedDuration::from_millis(ms.max(0));
        if let Some(ra) = retry_after {
            delay = delay.max(ra.min(MAX_RETRY_AFTER));
        }
        Some(now + delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-12-04T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_schedule_spreads_retries_and_then_gives_up() {
        let s = RetrySchedule::default();
        let at = |n, j| s.next_attempt(n, now(), j, None);
        assert_eq!(at(1, 0.5), Some(now() + SignedDuration::from_secs(5)));
        assert_eq!(at(2, 0.0), Some(now() + SignedDuration::from_secs(240)));
        assert_eq!(at(2, 1.0), Some(now() + SignedDuration::from_secs(360)));
        assert_eq!(at(7, 0.5), Some(now() + SignedDuration::from_secs(36000)));
        assert_eq!(at(8, 0.5), None, "after the last delay: dead letter");
        assert_eq!(at(0, 0.5), None);
        assert_eq!(
            RetrySchedule {
                delays_secs: vec![]
            }
            .next_attempt(1, now(), 0.5, None),
            None
        );
    }

    #[test]
    fn retry_after_is_honoured_when_longer_and_capped() {
        let s = RetrySchedule::default();
        let ra = |d| s.next_attempt(1, now(), 0.5, Some(d));
        assert_eq!(
            ra(SignedDuration::from_secs(120)),
            Some(now() + SignedDuration::from_secs(120))
        );
        assert_eq!(
            ra(SignedDuration::from_secs(1)),
            Some(now() + SignedDuration::from_secs(5))
        );
        assert_eq!(
            ra(SignedDuration::from_hours(100)),
            Some(now() + MAX_RETRY_AFTER)
        );
        assert_eq!(
            parse_retry_after("30", now()),
            Some(SignedDuration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Fri, 04 Dec 2026 12:01:00 GMT", now()),
            Some(SignedDuration::from_secs(60))
        );
        assert_eq!(parse_retry_after("soon", now()), None);
    }

    #[test]
    fn http_answers_are_classified_as_the_specification_says() {
        assert!(matches!(
            classify_http(204, None),
            Outcome::Delivered { .. }
        ));
        assert!(matches!(
            classify_http(410, None),
            Outcome::Refused {
                disable_endpoint: true,
                ..
            }
        ));
        // Every other answer is retried: the server's errors and its "later", and a receiver
        // mid-deploy (404), mid-rotation (401, 403) or redirecting (301).
        for s in [500, 503, 429, 408, 400, 401, 403, 404, 301] {
            assert!(
                matches!(classify_http(s, None), Outcome::Failed { .. }),
                "{s}"
            );
        }
    }

    #[test]
    fn event_types_read_their_own_names() {
        for e in EventType::ALL {
            assert_eq!(EventType::parse(e.as_str()), Ok(e));
        }
        assert!(
            EventType::parse("case.closed")
                .unwrap_err()
                .contains("case.opened")
        );
    }
}
