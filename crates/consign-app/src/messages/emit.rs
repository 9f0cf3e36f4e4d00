//! Events as messages: an [`Emitter`] turns what a use case changed into one outbox message
//! per subscribed endpoint, and writes them with the change. Nothing is built when no
//! endpoint of the tenant listens (the common case costs a cached lookup).

use consign_core::case::{Case, CaseStatus};
use consign_core::ids::{CarrierId, OrderId, ShipmentId, TenantId};
use consign_core::message::endpoint::WebhookEndpoint;
use consign_core::message::outbox::{DeliveryState, EventType, OutboxMessage, Transport};
use consign_core::shipment::ShipmentStatus;
use consign_core::tracking::TrackedShipment;
use consign_store::Tx;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// The Standard Webhooks body. Written from structs rather than `json!` trees (a tracking
/// batch writes one per shipment and endpoint, inside its transaction); the fields are in
/// alphabetical order, as `json!`'s sorted maps wrote them, so bodies did not change.
#[derive(Serialize)]
struct Envelope<'a, D> {
    data: D,
    timestamp: Timestamp,
    #[serde(rename = "type")]
    kind: &'a str,
}

/// `shipment.status_changed` and `shipment.delivered` data.
#[derive(Serialize)]
struct ShipmentStatusData<'a> {
    accountable: Option<&'static str>,
    carrier: &'a str,
    delivered_at: Option<Timestamp>,
    eta: Option<Timestamp>,
    order_id: Option<OrderId>,
    previous_status: ShipmentStatus,
    promised_by: Option<Timestamp>,
    reason: Option<&'static str>,
    shipment_id: ShipmentId,
    status: ShipmentStatus,
    status_at: Option<Timestamp>,
}

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
    pub(crate) fn emit<D: Serialize>(
        &mut self,
        event: EventType,
        carrier: Option<CarrierId>,
        subject: &str,
        data: impl FnOnce() -> D,
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
        let body = match serde_json::to_string(&Envelope {
            data: data(),
            timestamp: self.now,
            kind: event.as_str(),
        }) {
            Ok(b) => b,
            Err(e) => {
                // Only a map with non-string keys fails, and no event's data has one.
                tracing::error!(error = %e, event = event.as_str(), "event body not written");
                return;
            }
        };
        for e in wanting {
            let id = Uuid::now_v7();
            self.out.push(OutboxMessage {
                id,
                tenant_id: self.tenant,
                transport: Transport::Webhook,
                endpoint_id: Some(e.id),
                recipient: e.url.clone(),
                kind: event.as_str().to_string(),
                dedup_key: OutboxMessage::webhook_id(id),
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
        let data = || ShipmentStatusData {
            accountable: t.state.accountable.map(|a| a.as_str()),
            carrier: &t.carrier_scac,
            delivered_at: t.state.delivered_at,
            eta: t.state.eta,
            order_id: t.order_id,
            previous_status: before,
            promised_by: t.promised_by,
            reason: t.state.reason,
            shipment_id: t.id,
            status: t.state.status,
            status_at: t.state.status_at,
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

    /// Writes the messages into the change's transaction, staged: one row however many
    /// events the change emitted (a tracking batch emits one per shipment and endpoint), which
    /// the delivery worker moves into the outbox before its next claim. The change's write
    /// path pays one insert instead of an indexed outbox row per message (migration 0022).
    pub(crate) async fn write(self, tx: &mut dyn Tx) -> crate::AppResult<usize> {
        if self.out.is_empty() {
            return Ok(0);
        }
        tx.stage(&self.out).await?;
        Ok(self.out.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed body writes what the `json!` tree it replaced wrote, byte for byte.
    #[test]
    fn a_shipment_event_body_is_written_as_before() {
        let at = Timestamp::from_second(1_790_000_000).unwrap();
        let (shipment, order) = (ShipmentId(Uuid::now_v7()), OrderId(Uuid::now_v7()));
        let typed = serde_json::to_string(&Envelope {
            data: ShipmentStatusData {
                accountable: Some("carrier"),
                carrier: "ODFL",
                delivered_at: None,
                eta: Some(at),
                order_id: Some(order),
                previous_status: ShipmentStatus::InfoReceived,
                promised_by: Some(at),
                reason: Some("weather"),
                shipment_id: shipment,
                status: ShipmentStatus::PickedUp,
                status_at: Some(at),
            },
            timestamp: at,
            kind: "shipment.status_changed",
        })
        .unwrap();
        let tree = json!({
            "type": "shipment.status_changed",
            "timestamp": at,
            "data": {
                "shipment_id": shipment,
                "order_id": Some(order),
                "carrier": "ODFL",
                "status": ShipmentStatus::PickedUp,
                "previous_status": ShipmentStatus::InfoReceived,
                "status_at": Some(at),
                "reason": Some("weather"),
                "accountable": Some("carrier"),
                "eta": Some(at),
                "promised_by": Some(at),
                "delivered_at": None::<Timestamp>,
            },
        })
        .to_string();
        assert_eq!(typed, tree);
    }
}
