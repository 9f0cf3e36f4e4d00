//! Events as messages: an [`Emitter`] turns what a use case changed into one outbox message
//! per subscribed endpoint, and writes them with the change. Nothing is built when no
//! endpoint of the tenant listens (the common case costs a cached lookup).

use consign_core::case::{Case, CaseStatus};
use consign_core::ids::{CarrierId, TenantId};
use consign_core::message::endpoint::WebhookEndpoint;
use consign_core::message::outbox::{DeliveryState, EventType, OutboxMessage, Transport};
use consign_core::shipment::ShipmentStatus;
use consign_core::tracking::TrackedShipment;
use consign_store::Tx;
use jiff::Timestamp;
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

pub(crate) struct Emitter {
    tenant: TenantId,
    endpoints: Arc<Vec<WebhookEndpoint>>,
    now: Timestamp,
    out: Vec<OutboxMessage>,
}

impl Emitter {
    pub(crate) fn new(
        tenant: TenantId,
        endpoints: Arc<Vec<WebhookEndpoint>>,
        now: Timestamp,
    ) -> Self {
        Emitter {
            tenant,
            endpoints,
            now,
            out: Vec::new(),
        }
    }

    /// Whether any endpoint of the tenant listens for `event` at all.
    pub(crate) fn listens(&self, event: EventType) -> bool {
        self.endpoints
            .iter()
            .any(|e| e.disabled_at.is_none() && e.events.contains(&event))
    }

    /// One message per endpoint that wants `event` about a subject of `carrier`; `subject`
    /// orders them (`case:<id>`, `shipment:<id>`).
    pub(crate) fn emit(
        &mut self,
        event: EventType,
        carrier: Option<CarrierId>,
        subject: &str,
        data: impl FnOnce() -> Value,
    ) {
        let wanting: Vec<&WebhookEndpoint> = self
            .endpoints
            .iter()
            .filter(|e| e.wants(event, carrier))
            .collect();
        if wanting.is_empty() {
            return;
        }
        // The Standard Webhooks envelope: type, timestamp, data.
        let body = json!({
            "type": event.as_str(),
            "timestamp": self.now,
            "data": data(),
        })
        .to_string();
        for e in wanting {
            let id = Uuid::now_v7();
            self.out.push(OutboxMessage {
                id,
                tenant_id: self.tenant,
                transport: Transport::Webhook,
                endpoint_id: Some(e.id),
                recipient: e.url.clone(),
                kind: event.as_str().to_string(),
                dedup_key: format!("msg_{}", id.simple()),
                ordering_key: format!("{}|{subject}", e.id),
                sender: None,
                reply_to: None,
                subject: String::new(),
                body: body.clone(),
                body_html: None,
                case_id: None,
                state: DeliveryState::Pending,
                attempts: 0,
                next_attempt_at: self.now,
                last_error: None,
                last_status: None,
                created_at: self.now,
                delivered_at: None,
            });
        }
    }

    /// Whether any endpoint listens for case events (so a caller need not keep the cases as
    /// they were before a change).
    pub(crate) fn listens_to_cases(&self) -> bool {
        self.listens(EventType::CaseOpened)
            || self.listens(EventType::CaseUpdated)
            || self.listens(EventType::CaseResolved)
    }

    /// Newly filed cases: `case.opened`, and `case.resolved` for one filed already resolved.
    pub(crate) fn cases_opened(&mut self, cases: &[Case]) {
        for c in cases {
            self.case(EventType::CaseOpened, c);
            if !c.status.is_open() {
                self.case(EventType::CaseResolved, c);
            }
        }
    }

    /// `case.opened`, `case.resolved` or `case.updated`, as the case now stands.
    pub(crate) fn case(&mut self, event: EventType, case: &Case) {
        self.emit(
            event,
            case.carrier_id,
            &format!("case:{}", case.id),
            || json!({ "case": case }),
        );
    }

    /// A case changed by a person, a timer or a rule: `case.resolved` when this change
    /// resolved it, `case.updated` otherwise.
    pub(crate) fn case_changed(&mut self, before: &Case, after: &Case) {
        if !self.listens_to_cases() {
            return;
        }
        let event = if after.status == CaseStatus::Resolved && before.status != CaseStatus::Resolved
        {
            EventType::CaseResolved
        } else {
            EventType::CaseUpdated
        };
        self.case(event, after);
    }

    /// `shipment.status_changed` (and `shipment.delivered`) when a batch moved the status.
    pub(crate) fn shipment_status(&mut self, t: &TrackedShipment, before: ShipmentStatus) {
        if t.state.status == before {
            return;
        }
        let data = || {
            json!({
                "shipment_id": t.id,
                "order_id": t.order_id,
                "carrier": t.carrier_scac,
                "status": t.state.status,
                "previous_status": before,
                "status_at": t.state.status_at,
                "reason": t.state.reason,
                "accountable": t.state.accountable.map(|a| a.as_str()),
                "eta": t.state.eta,
                "promised_by": t.promised_by,
                "delivered_at": t.state.delivered_at,
            })
        };
        let subject = format!("shipment:{}", t.id);
        self.emit(
            EventType::ShipmentStatusChanged,
            Some(t.carrier_id),
            &subject,
            data,
        );
        if t.state.status == ShipmentStatus::Delivered {
            self.emit(
                EventType::ShipmentDelivered,
                Some(t.carrier_id),
                &subject,
                data,
            );
        }
    }

    /// Writes the messages into the change's transaction.
    pub(crate) async fn write(self, tx: &mut dyn Tx) -> crate::AppResult<usize> {
        if self.out.is_empty() {
            return Ok(0);
        }
        tx.enqueue(&self.out).await?;
        Ok(self.out.len())
    }
}
