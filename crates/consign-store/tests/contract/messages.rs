//! Webhook endpoints and the outbox on both engines: enqueue in the change's transaction, claim
//! with a lease in order per ordering key, record attempts, dead letters and requeues, and no
//! message claimed twice by concurrent claimers.

use crate::fixtures::*;
use consign_core::ids::*;
use consign_core::message::endpoint::{EndpointSecret, WebhookEndpoint};
use consign_core::message::outbox::{
    DeliveryAttempt, DeliveryState, EventType, OutboxMessage, Transport,
};
use consign_core::message::webhook::WebhookSecret;
use consign_store::testing::engines;
use consign_store::*;
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

fn endpoint(tenant: TenantId) -> WebhookEndpoint {
    WebhookEndpoint {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        url: "https://hooks.example.com/in".into(),
        description: "ERP".into(),
        carrier: None,
        events: vec![EventType::CaseOpened, EventType::ShipmentDelivered],
        secrets: vec![EndpointSecret {
            secret: WebhookSecret::from_random([9; 24]),
            created_at: now(),
            expires_at: None,
        }],
        disabled_at: None,
        disabled_reason: None,
        created_at: now(),
        created_by: "user:x".into(),
    }
}

fn message(tenant: TenantId, endpoint: Uuid, key: &str, n: u32) -> OutboxMessage {
    let id = Uuid::now_v7();
    OutboxMessage {
        id,
        tenant_id: tenant,
        transport: Transport::Webhook,
        endpoint_id: Some(endpoint),
        recipient: "https://hooks.example.com/in".into(),
        kind: "case.opened".into(),
        dedup_key: format!("msg_{}", id.simple()),
        ordering_key: format!("{endpoint}|{key}"),
        sender: None,
        reply_to: None,
        subject: String::new(),
        body: format!("{{\"n\":{n}}}"),
        body_html: None,
        case_id: None,
        state: DeliveryState::Pending,
        attempts: 0,
        next_attempt_at: now(),
        last_error: None,
        last_status: None,
        created_at: now(),
        delivered_at: None,
    }
}

fn outcome(m: &OutboxMessage, state: DeliveryState, at: Timestamp) -> DeliveryRecord {
    DeliveryRecord {
        message_id: m.id,
        attempt: DeliveryAttempt {
            message_id: m.id,
            attempt: m.attempts,
            at,
            status: Some(if state == DeliveryState::Delivered {
                204
            } else {
                503
            }),
            error: (state != DeliveryState::Delivered).then(|| "HTTP 503".to_string()),
            duration_ms: 3,
        },
        state,
        next_attempt_at: (state == DeliveryState::Pending)
            .then(|| at + SignedDuration::from_secs(5)),
    }
}

/// The tenant's outbox messages in `state` (any when `None`), newest first, at most `limit`:
/// what the administrators' list reads.
async fn outbox_listed(
    store: &DynStore,
    tenant: TenantId,
    state: Option<DeliveryState>,
    limit: u32,
) -> Vec<OutboxMessage> {
    let filter = OutboxFilter {
        state,
        limit,
        ..Default::default()
    };
    store.outbox_messages(tenant, &filter).await.unwrap()
}

/// Claims up to ten messages due at `at` under a lease of 30 seconds from it.
async fn claim_at(tx: &mut Box<dyn Tx>, at: Timestamp) -> Vec<OutboxMessage> {
    let lease = at + SignedDuration::from_secs(30);
    tx.claim_outbox(at, lease, 10).await.unwrap()
}

#[tokio::test]
async fn endpoints_round_trip_with_their_secrets() {
    for (store, _dir) in engines().await {
        let [t, other] = seed_tenants(&store, ["acme", "other"]).await;
        let mut e = endpoint(t.id);
        let mut tx = store.begin().await.unwrap();
        tx.insert_webhook_endpoint(&e).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            store.webhook_endpoint(t.id, e.id).await.unwrap(),
            Some(e.clone())
        );
        assert_eq!(
            store.webhook_endpoint(other.id, e.id).await.unwrap(),
            None,
            "tenant-scoped"
        );
        e.secrets.insert(
            0,
            EndpointSecret {
                secret: WebhookSecret::from_random([3; 24]),
                created_at: now(),
                expires_at: None,
            },
        );
        e.secrets[1].expires_at = Some(now() + SignedDuration::from_hours(24));
        e.disabled_at = Some(now());
        e.disabled_reason = Some("410 Gone".into());
        let mut tx = store.begin().await.unwrap();
        tx.update_webhook_endpoint(&e, now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            store.webhook_endpoints(t.id).await.unwrap(),
            vec![e.clone()]
        );
        assert_eq!(store.endpoints_by_ids(&[e.id]).await.unwrap(), vec![e]);
    }
}

#[tokio::test]
async fn the_outbox_delivers_in_order_per_key_and_keeps_every_attempt() {
    for (store, _dir) in engines().await {
        let t = seed_tenant(&store, "acme").await;
        let e = endpoint(t.id);
        let a1 = message(t.id, e.id, "shipment:1", 1);
        let a2 = message(t.id, e.id, "shipment:1", 2);
        let b1 = message(t.id, e.id, "shipment:2", 1);
        let mut tx = store.begin().await.unwrap();
        tx.insert_webhook_endpoint(&e).await.unwrap();
        tx.enqueue(&[a1.clone(), a2.clone(), b1.clone()])
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let lease = now() + SignedDuration::from_secs(30);
        let mut tx = store.begin().await.unwrap();
        let claimed = tx.claim_outbox(now(), lease, 10).await.unwrap();
        tx.commit().await.unwrap();
        let ids: Vec<Uuid> = claimed.iter().map(|m| m.id).collect();
        assert_eq!(ids, vec![a1.id, b1.id], "a2 waits for a1");
        assert!(claimed.iter().all(|m| m.attempts == 1));
        // Leased: nothing more to claim until the lease runs out.
        let mut tx = store.begin().await.unwrap();
        assert!(tx.claim_outbox(now(), lease, 10).await.unwrap().is_empty());
        tx.commit().await.unwrap();

        // a1 fails and waits for a retry: a2 still waits; b1 is delivered.
        let mut tx = store.begin().await.unwrap();
        tx.record_deliveries(
            &[
                outcome(&claimed[0], DeliveryState::Pending, now()),
                outcome(&claimed[1], DeliveryState::Delivered, now()),
            ],
            now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert!(tx.claim_outbox(now(), lease, 10).await.unwrap().is_empty());
        tx.commit().await.unwrap();
        let later = now() + SignedDuration::from_secs(6);
        let mut tx = store.begin().await.unwrap();
        let again = claim_at(&mut tx, later).await;
        tx.commit().await.unwrap();
        assert_eq!(again.iter().map(|m| m.id).collect::<Vec<_>>(), vec![a1.id]);
        assert_eq!(again[0].attempts, 2);
        // Given up: dead-lettered, and a2 goes ahead.
        let mut tx = store.begin().await.unwrap();
        tx.record_deliveries(&[outcome(&again[0], DeliveryState::Dead, later)], later)
            .await
            .unwrap();
        let next = claim_at(&mut tx, later).await;
        tx.commit().await.unwrap();
        assert_eq!(next.iter().map(|m| m.id).collect::<Vec<_>>(), vec![a2.id]);

        let dead = outbox_listed(&store, t.id, Some(DeliveryState::Dead), 10).await;
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].last_status, Some(503));
        let delivered = store.outbox_message(t.id, b1.id).await.unwrap().unwrap();
        assert_eq!(delivered.state, DeliveryState::Delivered);
        assert!(delivered.delivered_at.is_some_and(|d| d >= b1.created_at));
        let attempts = store.delivery_attempts(t.id, &[a1.id]).await.unwrap();
        assert_eq!(
            attempts.iter().map(|a| a.attempt).collect::<Vec<_>>(),
            vec![1, 2]
        );
        // Retried by hand: pending again with the same dedup key.
        let mut tx = store.begin().await.unwrap();
        assert!(tx.requeue_message(t.id, a1.id, later).await.unwrap());
        assert!(
            !tx.requeue_message(t.id, a1.id, later).await.unwrap(),
            "already pending"
        );
        tx.commit().await.unwrap();
        let back = store.outbox_message(t.id, a1.id).await.unwrap().unwrap();
        assert_eq!(
            (back.state, back.dedup_key),
            (DeliveryState::Pending, a1.dedup_key)
        );
        // An endpoint disabled: its pending messages are dead letters.
        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            tx.kill_endpoint_messages(e.id, "disabled", later)
                .await
                .unwrap(),
            2
        );
        tx.commit().await.unwrap();
        let counts = store.outbox_counts().await.unwrap();
        assert!(counts.contains(&(DeliveryState::Dead, 2)), "{counts:?}");
        assert!(
            counts.contains(&(DeliveryState::Delivered, 1)),
            "{counts:?}"
        );
    }
}

#[tokio::test]
async fn staged_messages_join_the_outbox_whole_and_in_order() {
    for (store, _dir) in engines().await {
        let [t, other] = seed_tenants(&store, ["acme", "other"]).await;
        let e = endpoint(t.id);
        let f = endpoint(other.id);
        let first: Vec<OutboxMessage> = (0..3)
            .map(|n| message(t.id, e.id, "shipment:1", n))
            .collect();
        let mut second = vec![message(t.id, e.id, "shipment:1", 3)];
        second[0].body_html = Some("<p>kept</p>".into());
        second[0].case_id = Some(CaseId(Uuid::now_v7()));
        let theirs = message(other.id, f.id, "shipment:9", 1);
        let mut tx = store.begin().await.unwrap();
        tx.insert_webhook_endpoint(&e).await.unwrap();
        tx.insert_webhook_endpoint(&f).await.unwrap();
        tx.stage(&first).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        // One call with two tenants' messages: each tenant's in its own row.
        tx.stage(&[second[0].clone(), theirs.clone()])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // Rolled back: nothing staged.
        let mut tx = store.begin().await.unwrap();
        tx.stage(&[message(t.id, e.id, "shipment:1", 99)])
            .await
            .unwrap();
        drop(tx);

        // Staged messages count as pending but are not listed, nor claimed, before promotion.
        let counts = store.outbox_counts().await.unwrap();
        assert_eq!(counts, vec![(DeliveryState::Pending, 5)]);
        let listed = |tenant| outbox_listed(&store, tenant, None, 10);
        assert!(listed(t.id).await.is_empty());
        let lease = now() + SignedDuration::from_secs(30);
        let mut tx = store.begin().await.unwrap();
        assert!(tx.claim_outbox(now(), lease, 10).await.unwrap().is_empty());
        // Promoted one row at a time, oldest first.
        assert_eq!(tx.promote_staged(1).await.unwrap(), 3);
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.promote_staged(10).await.unwrap(), 2);
        assert_eq!(tx.promote_staged(10).await.unwrap(), 0, "nothing left");
        tx.commit().await.unwrap();

        let mut ours = listed(t.id).await;
        ours.reverse();
        let expected: Vec<OutboxMessage> = first.iter().chain(&second).cloned().collect();
        assert_eq!(ours, expected, "every field kept, in the order staged");
        assert_eq!(listed(other.id).await, vec![theirs.clone()]);
        assert_eq!(
            store.outbox_counts().await.unwrap(),
            vec![(DeliveryState::Pending, 5)]
        );
        // Claimed in order per key, as if enqueued directly.
        let mut tx = store.begin().await.unwrap();
        let claimed = tx.claim_outbox(now(), lease, 10).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            claimed.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![first[0].id, theirs.id]
        );
    }
}

#[tokio::test]
async fn concurrent_promoters_move_each_staged_row_once_and_in_order() {
    for (store, _dir) in engines().await {
        let t = seed_tenant(&store, "acme").await;
        let e = endpoint(t.id);
        let mut tx = store.begin().await.unwrap();
        tx.insert_webhook_endpoint(&e).await.unwrap();
        tx.commit().await.unwrap();
        let mut staged = Vec::new();
        for row in 0..40 {
            let batch: Vec<OutboxMessage> = (0..5)
                .map(|n| message(t.id, e.id, "shipment:1", row * 5 + n))
                .collect();
            let mut tx = store.begin().await.unwrap();
            tx.stage(&batch).await.unwrap();
            tx.commit().await.unwrap();
            staged.extend(batch.into_iter().map(|m| m.id));
        }
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut moved = 0;
                let mut idle = 0;
                while idle < 20 {
                    let mut tx = store.begin().await.unwrap();
                    let n = tx.promote_staged(2).await.unwrap();
                    tx.commit().await.unwrap();
                    moved += n;
                    idle = if n == 0 { idle + 1 } else { 0 };
                    tokio::task::yield_now().await;
                }
                moved
            }));
        }
        let mut moved = 0;
        for task in tasks {
            moved += task.await.unwrap();
        }
        assert_eq!(moved, 200, "every staged message promoted exactly once");
        let listed = outbox_listed(&store, t.id, None, 1000).await;
        let mut listed: Vec<Uuid> = listed.into_iter().map(|m| m.id).collect();
        listed.reverse();
        assert_eq!(listed, staged, "outbox order is staging order");
    }
}

#[tokio::test]
async fn concurrent_claimers_never_take_one_message_twice() {
    for (store, _dir) in engines().await {
        let t = seed_tenant(&store, "acme").await;
        let e = endpoint(t.id);
        let messages: Vec<OutboxMessage> = (0..300)
            .map(|i| message(t.id, e.id, &format!("case:{i}"), i))
            .collect();
        let mut tx = store.begin().await.unwrap();
        tx.insert_webhook_endpoint(&e).await.unwrap();
        tx.enqueue(&messages).await.unwrap();
        tx.commit().await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let mut tx = store.begin().await.unwrap();
                    let got = tx
                        .claim_outbox(now(), now() + SignedDuration::from_secs(60), 25)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|m| m.id));
                }
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(
            (n, all.len()),
            (300, 300),
            "every message claimed exactly once"
        );
    }
}

#[tokio::test]
async fn a_tenant_template_replaces_its_name_and_language_only() {
    use consign_core::message::{Audience, Channel, Template};
    for (store, _dir) in engines().await {
        let [t, other] = seed_tenants(&store, ["acme", "other"]).await;
        let mut tpl = Template {
            name: "delay_notice".into(),
            case_type: "delay_risk".into(),
            audience: Audience::Customer,
            channel: Channel::Email,
            language: "en".into(),
            subject: Some("Your delivery {{ shipment.number }}".into()),
            body: "Hello".into(),
        };
        let de = Template {
            language: "de".into(),
            body: "Hallo".into(),
            ..tpl.clone()
        };
        let mut tx = store.begin().await.unwrap();
        tx.put_template(t.id, &tpl, now(), "user:x").await.unwrap();
        tx.put_template(t.id, &de, now(), "user:x").await.unwrap();
        tpl.body = "Hello again".into();
        tx.put_template(t.id, &tpl, now(), "user:x").await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            store.message_templates(t.id).await.unwrap(),
            vec![de.clone(), tpl.clone()]
        );
        assert!(store.message_templates(other.id).await.unwrap().is_empty());
        let mut tx = store.begin().await.unwrap();
        assert!(
            tx.delete_template(t.id, "delay_notice", "de")
                .await
                .unwrap()
        );
        assert!(
            !tx.delete_template(t.id, "delay_notice", "de")
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        assert_eq!(store.message_templates(t.id).await.unwrap(), vec![tpl]);
    }
}
