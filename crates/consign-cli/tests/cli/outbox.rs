//! `consign outbox`: the dead letters listed with their last error, one retried by hand (due
//! again, same dedup key), a second retry refused because it is pending already.

use super::*;
use consign_core::message::outbox::{DeliveryState, OutboxMessage, Transport};

#[tokio::test]
async fn an_administrator_lists_dead_letters_and_retries_one() {
    for e in envs().await {
        let store = e.store().await;
        let tenant = store.tenant_by_slug("alpha").await.unwrap().unwrap();
        let now = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap();
        let id = uuid::Uuid::now_v7();
        let dead = OutboxMessage {
            id,
            tenant_id: tenant.id,
            transport: Transport::Email,
            endpoint_id: None,
            recipient: "ann@customer.example".into(),
            kind: "delay_notice".into(),
            dedup_key: format!("<{}@alpha.example>", id.simple()),
            ordering_key: format!("email:ann@customer.example|case:{id}"),
            sender: Some("care@alpha.example".into()),
            reply_to: None,
            subject: "Your delivery".into(),
            body: "Hello".into(),
            body_html: None,
            case_id: None,
            state: DeliveryState::Dead,
            attempts: 8,
            next_attempt_at: now,
            last_error: Some("gave up after 8 attempts: SMTP: connection refused".into()),
            last_status: None,
            created_at: now,
            delivered_at: None,
        };
        let mut tx = store.begin().await.unwrap();
        tx.enqueue(&[dead]).await.unwrap();
        tx.commit().await.unwrap();

        let listed = e.ok(&["outbox", "list", "--tenant", "alpha", "--state", "dead"]);
        holds!(listed, &id.to_string());
        holds!(listed, "connection refused");
        holds!(listed, "1 message(s)");
        let retried = e.ok(&["outbox", "retry", "--tenant", "alpha", &id.to_string()]);
        holds!(retried, "pending again");
        holds!(retried, &format!("<{}@alpha.example>", id.simple()));
        let again = e.run(&["outbox", "retry", "--tenant", "alpha", &id.to_string()]);
        assert_eq!(again.status.code(), Some(1));
        holds!(text(&again.stderr), "pending already");
        let bad = e.run(&["outbox", "list", "--tenant", "alpha", "--state", "lost"]);
        assert_ne!(bad.status.code(), Some(0));
        holds!(text(&bad.stderr), "--state");
        holds!(
            e.ok(&["outbox", "list", "--tenant", "alpha", "--state", "dead"]),
            "0 message(s)"
        );
    }
}
