//! The store contract: every test runs against embedded SQLite and a real PostgreSQL server
//! (a fresh database per test), so both implementations are held to the same behaviour.

mod counts;
mod fixtures;
mod kpis;
mod messages;
mod queue;
mod schema;
mod search;
mod tracking;

use consign_core::audit::{AuditEntry, ChainVerifier};
use consign_core::ids::*;
use consign_core::order::{OrderChange, OrderStatus};
use consign_core::shipment::ShipmentStatus;
use consign_store::testing::engines;
use consign_store::*;
use fixtures::*;

/// A SQLite store of its own in `dir`, for the SQLite-only tests.
async fn sqlite_store(dir: &tempfile::TempDir) -> consign_store::sqlite::SqliteStore {
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    consign_store::sqlite::SqliteStore::connect(&url)
        .await
        .unwrap()
}

/// SQLite only: the background checkpointer runs after commits and sleeps while the store is
/// idle (it used to wake every 20 ms whatever happened).
#[tokio::test]
async fn sqlite_checkpoints_in_the_background_only_after_commits() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    let checkpoints = || store.wal_figures().background_checkpoints;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(checkpoints(), 0, "nothing committed yet");
    let mut tx = store.begin().await.unwrap();
    tx.insert_tenant(&tenant("acme")).await.unwrap();
    tx.commit().await.unwrap();
    let mut waited = 0;
    while checkpoints() == 0 && waited < 5_000 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 10;
    }
    assert!(
        checkpoints() >= 1,
        "a commit is checkpointed in the background"
    );
    let after = checkpoints();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(checkpoints(), after, "idle: no further checkpoints");
}

/// SQLite only: a commit is synced to disk before `commit` returns; a staged commit frees the
/// writer at once and is synced when its wait is awaited, and one sync covers every commit
/// made before it began.
#[tokio::test]
async fn sqlite_commits_are_synced_before_they_count_as_done() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_tenant(&tenant("t0")).await.unwrap();
    tx.commit().await.unwrap();
    let f = store.wal_figures();
    assert!(f.committed >= 1 && f.durable == f.committed, "{f:?}");

    // Five staged commits in a row: the writer is free after each, none is synced yet.
    let mut waits = Vec::new();
    for i in 1..=5 {
        let mut tx = store.begin().await.unwrap();
        tx.insert_tenant(&tenant(&format!("t{i}"))).await.unwrap();
        waits.push(tx.commit_staged().await.unwrap());
    }
    let staged = store.wal_figures();
    assert_eq!(staged.committed, f.committed + 5, "{staged:?}");
    assert_eq!(
        staged.durable, f.durable,
        "not synced before its wait: {staged:?}"
    );
    // Visible to readers already.
    assert!(store.tenant_by_slug("t5").await.unwrap().is_some());

    futures_join_all(waits).await;
    let done = store.wal_figures();
    assert_eq!(done.durable, done.committed, "{done:?}");
    assert_eq!(
        done.syncs,
        staged.syncs + 1,
        "one sync covers all five: {done:?}"
    );
}

/// SQLite only: under steady writes the background checkpointer rewinds the WAL once it
/// passes its threshold (copies it all with the writer held), so the WAL starts over rather
/// than growing to the writer's own inline checkpoint at 40 MB; nothing committed is lost.
#[tokio::test]
async fn sqlite_rewinds_a_long_wal_in_the_background() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store = consign_store::sqlite::SqliteStore::connect_rewinding_at(&url, 64)
        .await
        .unwrap();
    let frames_in_wal = || async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let (_, log, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut c)
            .await
            .unwrap();
        log
    };
    // Commits in bursts, with pauses for the checkpointer (it runs 20 ms after a commit).
    let mut written = 0;
    while store.wal_figures().rewinds == 0 && written < 3_000 {
        let mut tx = store.begin().await.unwrap();
        tx.insert_tenant(&tenant(&format!("t{written}")))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        written += 1;
        if written % 10 == 0 {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
    assert!(
        store.wal_figures().rewinds >= 1,
        "no rewind after {written} commits: {:?}",
        store.wal_figures()
    );
    // The next write transaction starts the WAL over: it holds a few frames, not the
    // hundreds written so far (the writer's own checkpoint waits for 10,000).
    let mut tx = store.begin().await.unwrap();
    tx.insert_tenant(&tenant("after-rewind")).await.unwrap();
    tx.commit().await.unwrap();
    let frames = frames_in_wal().await;
    assert!(
        frames < 64,
        "{frames} frames in the WAL after a rewind ({written} commits)"
    );
    assert_eq!(store.tenants().await.unwrap().len(), written + 1);
}

async fn futures_join_all(waits: Vec<Durable>) {
    let tasks: Vec<_> = waits.into_iter().map(|w| tokio::spawn(w.wait())).collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn tenants_are_unique_by_slug() {
    for (store, _guard) in engines().await {
        let t = tenant("acme");
        let mut tx = store.begin().await.unwrap();
        tx.insert_tenant(&t).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.tenant_by_slug("acme").await.unwrap(), Some(t.clone()));
        assert_eq!(store.tenant(t.id).await.unwrap(), Some(t.clone()));

        let mut tx = store.begin().await.unwrap();
        let err = tx.insert_tenant(&tenant("acme")).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Duplicate(_)),
            "{:?}: {err:?}",
            store.engine()
        );
        drop(tx);
        assert_eq!(store.tenants().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn orders_round_trip_and_stay_in_their_tenant() {
    for (store, _guard) in engines().await {
        let [a, b] = seed_tenants(&store, ["alpha", "beta"]).await;
        let orders = insert_orders(&store, a.id, &["PO-1", "PO-2", "PO-3"]).await;
        assert_eq!(orders[0].number, "ORD-000001");
        assert_eq!(orders[2].number, "ORD-000003");

        let got = store
            .order(a.id, orders[1].id)
            .await
            .unwrap()
            .expect("order is readable in its tenant");
        assert_eq!(got, orders[1], "{:?}", store.engine());
        assert!(
            store.order(b.id, orders[1].id).await.unwrap().is_none(),
            "another tenant must not see it"
        );
        assert_eq!(
            store.order_by_ref(a.id, "PO-2").await.unwrap().unwrap().id,
            orders[1].id
        );
        assert_eq!(
            store
                .order_by_ref(a.id, "ORD-000002")
                .await
                .unwrap()
                .unwrap()
                .id,
            orders[1].id
        );
        assert!(store.order_by_ref(b.id, "PO-2").await.unwrap().is_none());

        // Newest first, keyset pagination.
        let list = |tenant: TenantId, f: OrderFilter| {
            let store = store.clone();
            async move { store.orders(tenant, &f).await.unwrap() }
        };
        let refs = |page: &[consign_core::order::Order]| -> Vec<String> {
            page.iter().map(|o| o.external_ref.clone()).collect()
        };
        let first = |limit: u32| OrderFilter {
            limit,
            ..Default::default()
        };
        let page1 = list(a.id, first(2)).await;
        assert_eq!(refs(&page1), ["PO-3", "PO-2"]);
        let after = Some(page1[1].id);
        let page2 = list(a.id, OrderFilter { after, ..first(2) }).await;
        assert_eq!(refs(&page2), ["PO-1"]);
        // (tenant, search, status, how many listed, why)
        for (tenant, q, status, n, why) in [
            (a.id, Some("PO-"), None, 3, "a prefix of the reference"),
            (
                a.id,
                Some("PO_"),
                None,
                0,
                "'_' is matched literally, not as a wildcard",
            ),
            (a.id, None, Some(OrderStatus::Released), 0, "none released"),
            (b.id, None, None, 0, "another tenant's list"),
        ] {
            let q = q.map(String::from);
            let f = OrderFilter {
                q,
                status,
                ..first(10)
            };
            assert_eq!(list(tenant, f).await.len(), n, "{why}");
        }

        let mut tx = store.begin().await.unwrap();
        let existing = store
            .existing_order_refs(a.id, &["PO-1".into(), "PO-9".into()])
            .await
            .unwrap();
        assert_eq!(existing.into_iter().collect::<Vec<_>>(), ["PO-1"]);
        let dup = tx
            .insert_orders(&[order_fixture(a.id, "PO-1", 99, CustomerId::random())])
            .await
            .unwrap_err();
        assert!(matches!(dup, StoreError::Duplicate(_)));
        assert_eq!(store.count_orders(a.id).await.unwrap(), 3);
    }
}

#[tokio::test]
async fn customers_are_found_again_by_key() {
    for (store, _guard) in engines().await {
        let a = seed_tenant(&store, "alpha").await;
        let mut tx = store.begin().await.unwrap();
        let c = customer("ann@example.com");
        let ids = tx
            .upsert_customers(
                a.id,
                &[c.clone(), customer("bob@example.com"), c.clone()],
                &mut CustomerId::random,
            )
            .await
            .unwrap();
        assert_eq!(ids[0], ids[2]);
        assert_ne!(ids[0], ids[1]);
        let again = tx
            .upsert_customers(a.id, &[c], &mut CustomerId::random)
            .await
            .unwrap();
        assert_eq!(again[0], ids[0]);
        tx.commit().await.unwrap();
        assert_eq!(store.customers(a.id, None, 10).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn stale_order_updates_are_refused() {
    for (store, _guard) in engines().await {
        let a = seed_tenant(&store, "alpha").await;
        let order = insert_orders(&store, a.id, &["PO-1"]).await.remove(0);
        let mut next = order.clone();
        next.status = OrderStatus::Released;
        next.version += 1;
        let mut tx = store.begin().await.unwrap();
        tx.update_order(&next).await.unwrap();
        tx.insert_order_change(
            a.id,
            &OrderChange {
                id: uuid::Uuid::now_v7(),
                order_id: order.id,
                kind: "release".into(),
                reason: "ok".into(),
                request: serde_json::json!({"kind": "release"}),
                actor: "system".into(),
                at: now(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let err = tx.update_order(&next).await.unwrap_err();
        assert!(matches!(err, StoreError::Concurrent(_)), "{err:?}");
        drop(tx);
        let stored = store.order(a.id, order.id).await.unwrap().unwrap();
        assert_eq!(stored.status, OrderStatus::Released);
        assert_eq!(stored.version, 2);
        assert_eq!(store.order_changes(a.id, order.id).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn shipments_round_trip_with_lines_and_fulfilment() {
    for (store, _guard) in engines().await {
        let (a, carrier) = seed_tenant_with_carrier(&store, "alpha", "UPSN").await;
        let order = insert_orders(&store, a.id, &["PO-1"]).await.remove(0);
        let mut s1 = shipment_fixture(a.id, carrier.id, "1Z1", Some(order.id), vec![(1, 1)]);
        s1.delivered_at = Some(now());
        s1.status = ShipmentStatus::Delivered;
        let s2 = shipment_fixture(
            a.id,
            carrier.id,
            "1Z2",
            Some(order.id),
            vec![(1, 1), (2, 3)],
        );
        let mut tx = store.begin().await.unwrap();
        let first = tx.next_numbers(a.id, "shipment", 2).await.unwrap();
        assert_eq!(first, 1);
        tx.insert_shipments(&[s1.clone(), s2.clone()])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let found = store
            .existing_tracking(
                a.id,
                &[
                    (carrier.id, "1Z1".into()),
                    (carrier.id, "1Z9".into()),
                    (CarrierId::random(), "1Z2".into()),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            found.len(),
            1,
            "only the exact (carrier, tracking) pair exists"
        );

        assert_eq!(
            store.shipment(a.id, s2.id).await.unwrap(),
            Some(s2.clone()),
            "{:?}",
            store.engine()
        );
        let (shipped, delivered) = store.fulfilment(a.id, order.id).await.unwrap();
        assert_eq!(shipped, [2, 3]);
        assert_eq!(delivered, [1, 0]);
        let listed = |f: ShipmentFilter| {
            let store = store.clone();
            async move {
                store
                    .shipments(a.id, &ShipmentFilter { limit: 10, ..f })
                    .await
                    .unwrap()
            }
        };
        let by_carrier = listed(ShipmentFilter {
            carrier: Some(carrier.id),
            ..Default::default()
        })
        .await;
        assert_eq!(by_carrier.len(), 2);
        let delivered_only = listed(ShipmentFilter {
            status: Some(ShipmentStatus::Delivered),
            ..Default::default()
        })
        .await;
        let tracking_numbers: Vec<&str> = delivered_only
            .iter()
            .map(|s| s.tracking_number.as_str())
            .collect();
        assert_eq!(tracking_numbers, ["1Z1"]);
        let other = seed_tenant(&store, "beta").await;
        assert!(store.shipment(other.id, s2.id).await.unwrap().is_none());

        let mut tx = store.begin().await.unwrap();
        let dup = tx
            .insert_shipments(&[shipment_fixture(a.id, carrier.id, "1Z1", None, vec![])])
            .await
            .unwrap_err();
        assert!(
            matches!(dup, StoreError::Duplicate(_)),
            "tracking number is unique per carrier"
        );
    }
}

#[tokio::test]
async fn uncommitted_transactions_leave_nothing() {
    for (store, _guard) in engines().await {
        let a = seed_tenant(&store, "alpha").await;
        {
            let mut tx = store.begin().await.unwrap();
            tx.insert_orders(&[order_fixture(a.id, "PO-1", 1, CustomerId::random())])
                .await
                .unwrap();
            tx.append_audit(vec![AuditEntry::new(
                Some(a.id),
                now(),
                "system".into(),
                "order",
                "x",
                "created",
            )])
            .await
            .unwrap();
        }
        assert_eq!(store.count_orders(a.id).await.unwrap(), 0);
        assert!(store.audit_page(a.id.0, 0, 10).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn audit_chain_verifies_and_names_the_edited_record() {
    for (store, _guard) in engines().await {
        let a = seed_tenant(&store, "alpha").await; // appends one provider-level record
        for batch in 0..3 {
            let mut tx = store.begin().await.unwrap();
            let entries = (0..4)
                .map(|i| {
                    AuditEntry::new(
                        Some(a.id),
                        now(),
                        "system".into(),
                        "order",
                        format!("{batch}-{i}"),
                        "created",
                    )
                    .after(&i)
                })
                .collect();
            tx.append_audit(entries).await.unwrap();
            tx.commit().await.unwrap();
        }
        let chains = store.audit_chains().await.unwrap();
        assert_eq!(chains.len(), 2, "provider chain and the tenant's chain");
        let recs = store.audit_page(a.id.0, 0, 100).await.unwrap();
        assert_eq!(recs.len(), 12);
        let mut v = ChainVerifier::default();
        for r in &recs {
            v.check(r).unwrap();
        }
        assert_eq!(
            store
                .audit_for_entity(a.id.0, "order", "1-2")
                .await
                .unwrap()
                .len(),
            1
        );

        let hex_chain = a.id.0.simple().to_string();
        let chain_lit = match store.engine() {
            Engine::Sqlite => format!("X'{hex_chain}'"),
            Engine::Postgres => format!("'{}'::uuid", a.id.0),
        };
        store
            .execute_raw(&format!(
                "UPDATE audit_log SET after_json = '7' WHERE chain = {chain_lit} AND seq = 6"
            ))
            .await
            .unwrap();
        let recs = store.audit_page(a.id.0, 0, 100).await.unwrap();
        let mut v = ChainVerifier::default();
        let brk = recs
            .iter()
            .find_map(|r| v.check(r).err())
            .expect("tampering is detected");
        assert_eq!(brk.seq, 6);
    }
}

fn reserved(s: KeyState) -> i64 {
    match s {
        KeyState::Reserved { attempt } => attempt,
        other => panic!("expected a reservation, got {other:?}"),
    }
}

fn answer<'a>(scope: &'a str, key: &'a str, attempt: i64, body: &'a [u8]) -> KeyAnswer<'a> {
    KeyAnswer {
        scope,
        key,
        attempt,
        status: 201,
        content_type: "application/json",
        body,
    }
}

#[tokio::test]
async fn idempotency_keys_replay_and_refuse_other_bodies() {
    for (store, _guard) in engines().await {
        let lease = |at: jiff::Timestamp| at + jiff::SignedDuration::from_secs(10);
        // A reservation of `key` under `scope` for a request hashed `hash`, leased from `at`.
        let reserve = |scope: &'static str, key: &'static str, hash: &'static [u8], at| {
            let store = store.clone();
            async move {
                let until = lease(at);
                store
                    .reserve_key(scope, key, hash, at, until)
                    .await
                    .unwrap()
            }
        };
        let a1 = reserved(reserve("token:1", "k1", b"hash-a", now()).await);
        assert!(matches!(
            reserve("token:1", "k1", b"hash-a", now()).await,
            KeyState::InFlight { .. }
        ));
        assert!(
            store
                .complete_key(answer("token:1", "k1", a1, b"{\"id\":1}"))
                .await
                .unwrap()
        );
        assert_eq!(
            reserve("token:1", "k1", b"hash-a", now()).await,
            KeyState::Completed {
                status: 201,
                content_type: "application/json".into(),
                body: b"{\"id\":1}".to_vec()
            }
        );
        assert_eq!(
            reserve("token:1", "k1", b"hash-b", now()).await,
            KeyState::Mismatch
        );
        let k2 = reserved(reserve("token:2", "k1", b"hash-b", now()).await);
        // A lease that runs out is taken over under a new attempt; the old attempt can then
        // neither renew nor answer, and the new one is in flight until its own lease ends.
        let later = now() + jiff::SignedDuration::from_secs(11);
        let old = reserved(reserve("token:3", "k9", b"h", now()).await);
        let new = reserved(reserve("token:3", "k9", b"h", later).await);
        assert_ne!(old, new, "a takeover draws a new attempt");
        assert!(matches!(
            reserve("token:3", "k9", b"h", later).await,
            KeyState::InFlight { .. }
        ));
        assert!(
            !store
                .renew_key("token:3", "k9", old, lease(later))
                .await
                .unwrap()
        );
        assert!(
            !store
                .complete_key(answer("token:3", "k9", old, b"old"))
                .await
                .unwrap(),
            "the attempt that lost its lease cannot answer"
        );
        assert!(
            store
                .renew_key("token:3", "k9", new, lease(later))
                .await
                .unwrap()
        );
        // An answer stored inside a transaction commits with it or not at all.
        let mut tx = store.begin().await.unwrap();
        assert!(
            tx.complete_key(answer("token:3", "k9", new, b"in-tx"))
                .await
                .unwrap()
        );
        drop(tx);
        assert!(matches!(
            reserve("token:3", "k9", b"h", later).await,
            KeyState::InFlight { .. }
        ));
        let mut tx = store.begin().await.unwrap();
        assert!(
            tx.complete_key(answer("token:3", "k9", new, b"in-tx"))
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        assert!(matches!(
            reserve("token:3", "k9", b"h", later).await,
            KeyState::Completed { body, .. } if body == b"in-tx"
        ));
        store.release_key("token:2", "k1", k2).await.unwrap();
        reserved(reserve("token:2", "k1", b"hash-c", now()).await);
        let purged = store
            .purge_keys(now() + jiff::SignedDuration::from_hours(1))
            .await
            .unwrap();
        assert_eq!(purged, 3, "every key created before the cut-off is purged");
    }
}

#[tokio::test]
async fn users_tokens_and_sessions() {
    for (store, _guard) in engines().await {
        let a = seed_tenant(&store, "alpha").await;
        let (user, token) = seed_access(&store, a.id).await;
        let (found, hash) = store
            .user_by_email("  Agent@Example.COM ")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, user);
        assert_eq!(hash, "argon2-hash-placeholder-for-store-test");
        assert_eq!(
            store.token_by_hash(b"token-hash").await.unwrap(),
            Some(token.clone())
        );
        assert!(store.token_by_hash(b"other").await.unwrap().is_none());

        let mut tx = store.begin().await.unwrap();
        tx.insert_session(
            b"sess",
            user.id,
            "csrf-1",
            now(),
            now() + jiff::SignedDuration::from_hours(8),
        )
        .await
        .unwrap();
        tx.insert_session(
            b"old",
            user.id,
            "csrf-2",
            now(),
            now() - jiff::SignedDuration::from_hours(1),
        )
        .await
        .unwrap();
        assert!(tx.revoke_token(token.id, now()).await.unwrap());
        assert!(
            !tx.revoke_token(token.id, now()).await.unwrap(),
            "revoking twice changes nothing"
        );
        tx.commit().await.unwrap();
        let (u, csrf) = store.session(b"sess", now()).await.unwrap().unwrap();
        assert_eq!((u.id, csrf.as_str()), (user.id, "csrf-1"));
        assert!(
            store.session(b"old", now()).await.unwrap().is_none(),
            "expired sessions are not returned"
        );
        assert!(
            store
                .token_by_hash(b"token-hash")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        assert_eq!(store.users().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn batch_order_updates_check_every_version() {
    for (store, _guard) in engines().await {
        let a = seed_tenant(&store, "alpha").await;
        let orders = insert_orders(&store, a.id, &["PO-1", "PO-2", "PO-3"]).await;
        let bump = |o: &consign_core::order::Order, s: OrderStatus| {
            let mut n = o.clone();
            n.status = s;
            n.version += 1;
            n
        };
        let mut tx = store.begin().await.unwrap();
        tx.update_orders(
            &orders
                .iter()
                .map(|o| bump(o, OrderStatus::Shipped))
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        for o in &orders {
            let got = store.order(a.id, o.id).await.unwrap().unwrap();
            assert_eq!(
                (got.status, got.version),
                (OrderStatus::Shipped, 2),
                "{:?}",
                store.engine()
            );
        }
        // One stale version in the batch refuses the batch.
        let fresh = bump(
            &bump(&orders[0], OrderStatus::Shipped),
            OrderStatus::Delivered,
        );
        let stale = bump(&orders[1], OrderStatus::Delivered);
        let mut tx = store.begin().await.unwrap();
        let err = tx.update_orders(&[fresh, stale]).await.unwrap_err();
        assert!(matches!(err, StoreError::Concurrent(_)), "{err:?}");
        drop(tx);
        assert_eq!(
            store
                .order(a.id, orders[0].id)
                .await
                .unwrap()
                .unwrap()
                .status,
            OrderStatus::Shipped
        );
    }
}
