//! Tracking events, shipment state, cases and rulebooks on both engines.

use crate::fixtures::*;
use consign_core::case::{
    Case, CaseStatus, CaseSubject, NewCase, Severity, TimelineEntry, TimelineKind,
};
use consign_core::ids::*;
use consign_core::party::Carrier;
use consign_core::shipment::ShipmentStatus;
use consign_core::tracking::{Observation, TrackingEvent, dedup_key};
use consign_store::testing::engines;
use consign_store::*;
use jiff::{SignedDuration, Timestamp};

fn event(
    tenant: TenantId,
    carrier: CarrierId,
    shipment: Option<ShipmentId>,
    tracking: &str,
    at: Timestamp,
    status: ShipmentStatus,
) -> TrackingEvent {
    TrackingEvent {
        id: EventId::random(),
        tenant_id: tenant,
        carrier_id: carrier,
        shipment_id: shipment,
        tracking_number: tracking.into(),
        occurred_at: at,
        received_at: now(),
        status: Some(status),
        reason: None,
        accountable: None,
        eta: None,
        source: "api".into(),
        message_id: None,
        raw_code: status.as_str().into(),
        raw_reason: String::new(),
        location: "Dallas".into(),
        description: String::new(),
        unmapped: false,
        dedup_key: dedup_key(carrier, None, tracking, status.as_str(), at, "Dallas"),
    }
}

pub(crate) fn case(tenant: TenantId, shipment: ShipmentId, ty: &str, n: u32) -> Case {
    let mut c = Case::start(
        CaseId::random(),
        tenant,
        NewCase {
            subject: CaseSubject::Shipment(shipment),
            case_type: ty.into(),
            severity: Severity::High,
            accountable: "carrier".into(),
            owner_team: "carrier-desk".into(),
            rulebook_version: 0,
        },
        CaseStatus::Open,
        now(),
        now(),
    );
    c.number = format!("CASE-{n:06}");
    c
}

fn entry(case: CaseId, seq: u32, kind: TimelineKind, detail: &str) -> TimelineEntry {
    let mut e = TimelineEntry::system(case, now(), kind, detail.into());
    e.seq = seq;
    e
}

#[tokio::test]
async fn events_are_deduplicated_per_tenant_and_state_round_trips() {
    for (store, _guard) in engines().await {
        let AlphaAndBeta { a, b, ca, cb } = seed_alpha_and_beta(&store, "UPSN").await;
        let s = shipment_fixture(a.id, ca.id, "1Z1", None, vec![]);
        insert_shipments(&store, std::slice::from_ref(&s)).await;

        let t0 = now() - SignedDuration::from_hours(5);
        let e1 = event(a.id, ca.id, Some(s.id), "1Z1", t0, ShipmentStatus::PickedUp);
        let e2 = event(
            a.id,
            ca.id,
            Some(s.id),
            "1Z1",
            t0 + SignedDuration::from_hours(1),
            ShipmentStatus::InTransit,
        );
        let mut tx = store.begin().await.unwrap();
        let new = tx.insert_tracking_events(&[&e1, &e2]).await.unwrap();
        assert_eq!(new.len(), 2, "{:?}", store.engine());
        // The same natural key again (new id) is not inserted; another tenant's identical
        // event is its own.
        let again = TrackingEvent {
            id: EventId::random(),
            ..e1.clone()
        };
        let other = TrackingEvent {
            id: EventId::random(),
            tenant_id: b.id,
            carrier_id: cb.id,
            shipment_id: None,
            ..e1.clone()
        };
        let new = tx.insert_tracking_events(&[&again, &other]).await.unwrap();
        assert_eq!(
            new.len(),
            1,
            "{:?}: only the other tenant's event is new",
            store.engine()
        );

        let mut tracked = tx.lock_tracked(a.id, &[s.id]).await.unwrap();
        assert_eq!(tracked.len(), 1);
        assert_eq!(tracked[0].carrier_scac, "UPSN");
        assert_eq!(tracked[0].mode, "parcel");
        assert_eq!(tracked[0].destination_tz, "America/Chicago");
        assert!(!tracked[0].pod_attached);
        tracked[0].state.apply(&e1.observation());
        tracked[0].state.apply(&e2.observation());
        tracked[0].state.apply(&Observation {
            eta: Some(t0 + SignedDuration::from_hours(30)),
            ..Observation::status(t0, ShipmentStatus::PickedUp)
        });
        tracked[0].next_check_at = Some(now() + SignedDuration::from_hours(48));
        tx.update_tracked(&tracked, now()).await.unwrap();
        tx.commit().await.unwrap();

        let back = the_record(store.tracked_shipments(a.id, &[s.id]).await);
        assert_eq!(back.state, tracked[0].state, "{:?}", store.engine());
        assert_eq!(back.state.status, ShipmentStatus::InTransit);
        assert_eq!(back.next_check_at, tracked[0].next_check_at);
        assert!(
            store
                .tracked_shipments(b.id, &[s.id])
                .await
                .unwrap()
                .is_empty(),
            "tenant-scoped"
        );
        assert_eq!(
            store.shipment(a.id, s.id).await.unwrap().unwrap().status,
            ShipmentStatus::InTransit
        );

        let evs = store.tracking_events(a.id, &[s.id]).await.unwrap();
        assert_eq!(
            evs.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![e1.id, e2.id]
        );
        assert_eq!(
            evs[0],
            e1,
            "{:?}: an event reads back as written",
            store.engine()
        );
        let q = store.tracking_quality(b.id).await.unwrap();
        assert_eq!((q.events, q.orphans), (1, 1));
    }
}

/// The insert reports exactly the events it wrote, whether all, none or some of a statement's
/// events were new: the keys of the new ones, not merely how many (the pipeline applies only
/// those to the shipment's state).
#[tokio::test]
async fn a_partly_redelivered_batch_reports_exactly_its_new_events() {
    for (store, _guard) in engines().await {
        let (a, ca) = seed_tenant_with_carrier(&store, "alpha", "UPSN").await;
        let s = shipment_fixture(a.id, ca.id, "1Z9", None, vec![]);
        insert_shipments(&store, std::slice::from_ref(&s)).await;

        let t0 = now() - SignedDuration::from_hours(9);
        // Hourly scans of the one shipment, hours `from..to` after t0.
        let scans = |hours: std::ops::Range<i64>| -> Vec<TrackingEvent> {
            hours
                .map(|h| {
                    let at = t0 + SignedDuration::from_hours(h);
                    event(
                        a.id,
                        ca.id,
                        Some(s.id),
                        "1Z9",
                        at,
                        ShipmentStatus::InTransit,
                    )
                })
                .collect()
        };
        let first = scans(0..4);
        let mut tx = store.begin().await.unwrap();
        let refs: Vec<&TrackingEvent> = first.iter().collect();
        let new = tx.insert_tracking_events(&refs).await.unwrap();
        assert_eq!(new.len(), 4, "{:?}", store.engine());
        tx.commit().await.unwrap();

        // Re-delivered (new ids, same keys) in between events never seen.
        let again = |e: &TrackingEvent| TrackingEvent {
            id: EventId::random(),
            ..e.clone()
        };
        let fresh = scans(4..7);
        let mixed = [
            again(&first[1]),
            fresh[0].clone(),
            again(&first[3]),
            fresh[1].clone(),
            fresh[2].clone(),
        ];
        let mut tx = store.begin().await.unwrap();
        let refs: Vec<&TrackingEvent> = mixed.iter().collect();
        let new = tx.insert_tracking_events(&refs).await.unwrap();
        let expected: std::collections::HashSet<[u8; 16]> =
            fresh.iter().map(|e| e.dedup_key).collect();
        assert_eq!(
            new,
            expected,
            "{:?}: only the unseen events",
            store.engine()
        );

        // All re-delivered: nothing new.
        let all_again: Vec<TrackingEvent> = first.iter().chain(&fresh).map(again).collect();
        let refs: Vec<&TrackingEvent> = all_again.iter().collect();
        let new = tx.insert_tracking_events(&refs).await.unwrap();
        assert!(new.is_empty(), "{:?}: {new:?}", store.engine());
        tx.commit().await.unwrap();
        let stored = store.tracking_events(a.id, &[s.id]).await.unwrap();
        assert_eq!(stored.len(), 7, "{:?}", store.engine());
    }
}

#[tokio::test]
async fn orphans_attach_to_their_shipment_and_due_shipments_come_from_next_check_at() {
    for (store, _guard) in engines().await {
        let (a, c) = seed_tenant_with_carrier(&store, "alpha", "ODFL").await;
        let t0 = now() - SignedDuration::from_hours(3);
        let orphan = event(a.id, c.id, None, "PRO9", t0, ShipmentStatus::PickedUp);
        let mut tx = store.begin().await.unwrap();
        tx.insert_tracking_events(&[&orphan]).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.tracking_quality(a.id).await.unwrap().orphans, 1);

        let s = shipment_fixture(a.id, c.id, "PRO9", None, vec![]);
        let other = shipment_fixture(a.id, c.id, "PRO10", None, vec![]);
        let mut tx = store.begin().await.unwrap();
        tx.insert_shipments(&[s.clone(), other.clone()])
            .await
            .unwrap();
        let got = tx
            .attach_orphans(
                a.id,
                &[
                    (c.id, "PRO9".into(), s.id),
                    (c.id, "PRO10".into(), other.id),
                ],
            )
            .await
            .unwrap();
        assert_eq!(got, vec![s.id], "{:?}", store.engine());
        tx.commit().await.unwrap();
        assert_eq!(store.tracking_quality(a.id).await.unwrap().orphans, 0);
        assert_eq!(
            store.tracking_events(a.id, &[s.id]).await.unwrap()[0].id,
            orphan.id
        );
        let ids = store
            .shipment_ids_by_tracking(a.id, &[(c.id, "PRO9".into())])
            .await
            .unwrap();
        assert_eq!(ids.get(&(c.id, "PRO9".to_string())), Some(&s.id));

        // A new shipment is due at once.
        let soon = now() + SignedDuration::from_secs(1);
        assert_eq!(
            store.due_shipments(soon, 10).await.unwrap().len(),
            2,
            "{:?}",
            store.engine()
        );
        let mut tx = store.begin().await.unwrap();
        let mut t = tx.lock_tracked(a.id, &[s.id, other.id]).await.unwrap();
        t.sort_by_key(|x| x.id != s.id);
        t[0].next_check_at = Some(now() + SignedDuration::from_hours(4));
        t[1].next_check_at = None;
        tx.update_tracked(&t, now()).await.unwrap();
        tx.commit().await.unwrap();
        // Ingest writes the exact next check but never moves the due instant later (so the
        // row can be updated in place): both stay due until a sweep files them again.
        assert_eq!(
            store.due_shipments(soon, 10).await.unwrap().len(),
            2,
            "{:?}",
            store.engine()
        );
        let back = store.tracked_shipments(a.id, &[s.id]).await.unwrap();
        assert_eq!(back[0].next_check_at, t[0].next_check_at);
        let mut tx = store.begin().await.unwrap();
        tx.update_next_checks(&t).await.unwrap();
        tx.commit().await.unwrap();
        let due = |h: i64| {
            let store = store.clone();
            async move {
                store
                    .due_shipments(now() + SignedDuration::from_hours(h), 10)
                    .await
                    .unwrap()
            }
        };
        assert!(due(3).await.is_empty(), "{:?}", store.engine());
        assert_eq!(due(5).await, vec![(a.id, s.id)]);
        // An earlier next check moves the due instant earlier at once.
        let mut tx = store.begin().await.unwrap();
        let mut t = tx.lock_tracked(a.id, &[s.id]).await.unwrap();
        t[0].next_check_at = Some(now() + SignedDuration::from_hours(1));
        tx.update_tracked(&t, now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(due(2).await, vec![(a.id, s.id)]);
    }
}

#[tokio::test]
async fn one_open_case_per_shipment_and_type_and_the_timeline_is_kept() {
    for (store, _guard) in engines().await {
        let (a, c) = seed_tenant_with_carrier(&store, "alpha", "UPSN").await;
        let s = shipment_fixture(a.id, c.id, "1Z5", None, vec![]);
        let mut tx = store.begin().await.unwrap();
        tx.insert_shipments(std::slice::from_ref(&s)).await.unwrap();
        let first = case(a.id, s.id, "stalled", 1);
        tx.insert_cases(std::slice::from_ref(&first)).await.unwrap();
        tx.append_timeline(
            a.id,
            &[entry(
                first.id,
                1,
                TimelineKind::Created,
                "status in_transit",
            )],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        // The database itself refuses a second open case of the type for the shipment.
        let mut tx = store.begin().await.unwrap();
        let err = tx
            .insert_cases(&[case(a.id, s.id, "stalled", 2)])
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Duplicate(_)),
            "{:?}: {err:?}",
            store.engine()
        );
        drop(tx);

        // Resolved, a new one may open; the open ones are what the engine sees.
        let mut tx = store.begin().await.unwrap();
        let resolved = Case {
            status: CaseStatus::Resolved,
            resolved_at: Some(now()),
            entries: 2,
            ..first.clone()
        };
        tx.update_cases(std::slice::from_ref(&resolved))
            .await
            .unwrap();
        tx.append_timeline(
            a.id,
            &[entry(first.id, 2, TimelineKind::Resolved, "new scan")],
        )
        .await
        .unwrap();
        let second = case(a.id, s.id, "stalled", 2);
        tx.insert_cases(std::slice::from_ref(&second))
            .await
            .unwrap();
        let open = tx.open_cases(a.id, &[s.id]).await.unwrap();
        assert_eq!(
            open.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![second.id]
        );
        tx.commit().await.unwrap();

        assert_eq!(store.case(a.id, first.id).await.unwrap(), Some(resolved));
        let tl = store.case_timeline(a.id, first.id).await.unwrap();
        assert_eq!(
            tl.iter().map(|e| e.kind).collect::<Vec<_>>(),
            vec![TimelineKind::Created, TimelineKind::Resolved]
        );
        let open = store
            .cases(
                a.id,
                &CaseFilter {
                    status: Some(CaseStatus::Open),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(open.len(), 1);
        let by_type = store
            .cases_opened_by_type(
                a.id,
                now() - SignedDuration::from_hours(1),
                now() + SignedDuration::from_hours(1),
            )
            .await
            .unwrap();
        assert_eq!(by_type, vec![("stalled".to_string(), 2)]);
        let b = seed_tenant(&store, "beta").await;
        assert!(
            store.case(b.id, first.id).await.unwrap().is_none(),
            "tenant-scoped"
        );
    }
}

/// Carrier-level and EDI cases have no shipment: one open per (carrier, type) for the former,
/// per (partner, group, type) for the latter, even when an EDI case also names its carrier.
#[tokio::test]
async fn cases_beyond_shipments_are_one_open_per_carrier_or_per_edi_group() {
    for (store, _guard) in engines().await {
        let (a, c) = seed_tenant_with_carrier(&store, "alpha", "ODFL").await;
        let partner = PartnerId::random();
        let about = |ty: &str, n: u32, group: Option<&str>| Case {
            subject: match group {
                Some(g) => CaseSubject::EdiGroup {
                    partner,
                    group: g.to_string(),
                },
                None => CaseSubject::Carrier(c.id),
            },
            carrier_id: Some(c.id),
            ..case(a.id, ShipmentId::random(), ty, n)
        };
        let mut tx = store.begin().await.unwrap();
        tx.insert_cases(&[
            about("carrier_silent", 1, None),
            about("edi_unacknowledged", 2, Some("17")),
            about("edi_unacknowledged", 3, Some("18")),
        ])
        .await
        .unwrap();
        tx.commit().await.unwrap();
        for dup in [
            about("carrier_silent", 4, None),
            about("edi_unacknowledged", 5, Some("17")),
        ] {
            let mut tx = store.begin().await.unwrap();
            let err = tx.insert_cases(&[dup]).await.unwrap_err();
            assert!(
                matches!(err, StoreError::Duplicate(_)),
                "{:?}: {err:?}",
                store.engine()
            );
        }
        let mut tx = store.begin().await.unwrap();
        let edi = tx
            .open_non_shipment_cases(a.id, "edi_unacknowledged")
            .await
            .unwrap();
        let mut groups: Vec<_> = edi
            .iter()
            .filter_map(|c| c.edi_group().map(|(_, g)| g.to_string()))
            .collect();
        groups.sort();
        assert_eq!(groups, ["17", "18"], "{:?}", store.engine());
        assert!(
            edi.iter()
                .all(|c| c.edi_group().map(|g| g.0) == Some(partner))
        );
        assert_eq!(
            tx.open_non_shipment_cases(a.id, "carrier_silent")
                .await
                .unwrap()
                .len(),
            1
        );
        drop(tx);

        // Groups we sent: unanswered ones past an instant come back oldest first, and a
        // 997 takes a group out (returning when it was sent).
        let t0 = now();
        let mut tx = store.begin().await.unwrap();
        for (control, hours_ago) in [("17", 30), ("18", 26), ("19", 2)] {
            tx.insert_outbound_group(
                a.id,
                &consign_core::edi::OutboundGroup {
                    partner_id: partner,
                    group_control: control.into(),
                    interchange_id: InterchangeId::random(),
                    functional_id: "SM".into(),
                    set_count: 1,
                    sent_at: t0 - SignedDuration::from_hours(hours_ago),
                    ack_status: None,
                    ack_at: None,
                    ack_detail: None,
                },
            )
            .await
            .unwrap();
        }
        let sent = tx
            .acknowledge_group(a.id, partner, "18", "A", now(), "{}")
            .await
            .unwrap();
        assert_eq!(sent, Some(t0 - SignedDuration::from_hours(26)));
        assert_eq!(
            tx.acknowledge_group(a.id, partner, "99", "A", now(), "{}")
                .await
                .unwrap(),
            None
        );
        tx.commit().await.unwrap();
        let late = store
            .unanswered_groups(a.id, t0 - SignedDuration::from_hours(24))
            .await
            .unwrap();
        assert_eq!(
            late.iter()
                .map(|g| g.group_control.as_str())
                .collect::<Vec<_>>(),
            ["17"],
            "{:?}",
            store.engine()
        );
        let g = store.outbound_group(a.id, partner, "18").await.unwrap();
        assert_eq!(g.and_then(|g| g.ack_status).as_deref(), Some("A"));
        let b = seed_tenant(&store, "beta").await;
        assert!(
            store
                .unanswered_groups(b.id, now())
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn rulebooks_are_versioned_per_tenant() {
    for (store, _guard) in engines().await {
        let a = seed_tenant(&store, "alpha").await;
        assert!(store.rulebook(a.id).await.unwrap().is_none());
        for v in 1..=2 {
            let mut tx = store.begin().await.unwrap();
            tx.insert_rulebook(
                a.id,
                &StoredRulebook {
                    version: v,
                    name: format!("v{v}"),
                    source: format!("# {v}"),
                    created_at: now(),
                    created_by: "test".into(),
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(store.rulebook(a.id).await.unwrap().unwrap().version, 2);
        assert_eq!(store.rulebooks(a.id).await.unwrap().len(), 2);
        let mut tx = store.begin().await.unwrap();
        let dup = tx
            .insert_rulebook(
                a.id,
                &StoredRulebook {
                    version: 2,
                    name: "x".into(),
                    source: String::new(),
                    created_at: now(),
                    created_by: "t".into(),
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(dup, StoreError::Duplicate(_)));
    }
}

/// One tracking update for a batch whose rows keep their status and due instant (written by
/// SQLite's narrower statement) and rows that change them (the full one): every row gets
/// its new state, and the status index and the sweep's due index follow the changed rows.
/// The batch's carriers, one created in the same transaction, are filled in either way.
#[tokio::test]
async fn a_tracking_update_writes_rows_that_keep_their_status_and_rows_that_change_it() {
    for (store, _guard) in engines().await {
        let (a, c) = seed_tenant_with_carrier(&store, "alpha", "UPSN").await;
        let kept = shipment_fixture(a.id, c.id, "1ZK", None, vec![]);
        let moved = shipment_fixture(a.id, c.id, "1ZM", None, vec![]);
        insert_shipments(&store, &[kept.clone(), moved.clone()]).await;

        // File both as checked until tomorrow, so neither is due now.
        let tomorrow = now() + SignedDuration::from_hours(24);
        let mut tx = store.begin().await.unwrap();
        let mut t = tx.lock_tracked(a.id, &[kept.id, moved.id]).await.unwrap();
        for x in &mut t {
            x.next_check_at = Some(tomorrow);
        }
        tx.update_next_checks(&t).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin().await.unwrap();
        let late = Carrier {
            id: CarrierId::random(),
            tenant_id: a.id,
            name: "Late Freight".into(),
            scac: Some("LATE".into()),
            mode: consign_core::party::Mode::Ltl,
        };
        tx.insert_carrier(&late).await.unwrap();
        let third = shipment_fixture(a.id, late.id, "LT1", None, vec![]);
        tx.insert_shipments(std::slice::from_ref(&third))
            .await
            .unwrap();
        let t0 = now() - SignedDuration::from_hours(2);
        let scan = event(
            a.id,
            c.id,
            Some(moved.id),
            "1ZM",
            t0,
            ShipmentStatus::InTransit,
        );
        let (mut t, inserted) = tx
            .lock_tracked_and_insert_events(a.id, &[kept.id, moved.id, third.id], &[&scan])
            .await
            .unwrap();
        assert_eq!(inserted.len(), 1);
        t.sort_by_key(|x| (x.id != kept.id, x.id != moved.id));
        assert_eq!(
            (
                t[0].carrier_scac.as_str(),
                t[2].carrier_scac.as_str(),
                t[2].mode.as_str()
            ),
            ("UPSN", "LATE", "ltl"),
            "{:?}: carriers filled in, one created in this transaction",
            store.engine()
        );
        // Kept: status as it was, but a new ETA and a later next check (ingest never moves
        // the due instant later). Moved: in transit, and checked sooner than tomorrow.
        t[0].state.eta = Some(now() + SignedDuration::from_hours(30));
        t[0].state.last_event_at = Some(t0);
        t[0].next_check_at = Some(tomorrow + SignedDuration::from_hours(24));
        t[1].state.apply(&scan.observation());
        t[1].next_check_at = Some(now() + SignedDuration::from_hours(1));
        t.truncate(2);
        tx.update_tracked(&t, now()).await.unwrap();
        tx.commit().await.unwrap();

        let mut back = store
            .tracked_shipments(a.id, &[kept.id, moved.id])
            .await
            .unwrap();
        back.sort_by_key(|x| x.id != kept.id);
        for (b, want) in back.iter().zip(&t) {
            assert_eq!(b.state, want.state, "{:?}", store.engine());
            assert_eq!(b.next_check_at, want.next_check_at, "{:?}", store.engine());
        }
        let listed = |status| {
            let store = store.clone();
            async move {
                let f = ShipmentFilter {
                    status: Some(status),
                    limit: 10,
                    ..Default::default()
                };
                let mut ids: Vec<ShipmentId> = store
                    .shipments(a.id, &f)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|s| s.id)
                    .collect();
                ids.sort();
                ids
            }
        };
        let mut waiting = vec![kept.id, third.id];
        waiting.sort();
        assert_eq!(
            listed(ShipmentStatus::InfoReceived).await,
            waiting,
            "{:?}",
            store.engine()
        );
        assert_eq!(listed(ShipmentStatus::InTransit).await, vec![moved.id]);
        // Due in two hours: the moved shipment (its check came sooner) and the one created
        // just now; the kept one stays filed for tomorrow.
        let due: Vec<ShipmentId> = store
            .due_shipments(now() + SignedDuration::from_hours(2), 10)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert!(due.contains(&moved.id), "{:?}: {due:?}", store.engine());
        assert!(!due.contains(&kept.id), "{:?}: {due:?}", store.engine());
    }
}

/// Migration 10 carries every existing case over to one subject key: on a database built by
/// the migrations before it, with open cases of every subject kind (a shipment, a carrier, an
/// EDI group that also names its carrier) and a resolved one, each reads back with its
/// subject, and the one index then refuses a second open case per subject and type.
#[tokio::test]
async fn the_case_subject_migration_carries_every_case_over() {
    let dir = tempfile::tempdir().unwrap();
    for url in databases_migrated_up_to(&dir, 9).await {
        let (tenant, shipment, order, carrier, partner) = (
            TenantId::random(),
            ShipmentId::random(),
            OrderId::random(),
            CarrierId::random(),
            PartnerId::random(),
        );
        let ids: Vec<CaseId> = (0..4).map(|_| CaseId::random()).collect();
        // (case, type, status, shipment, order, carrier, partner, group)
        type Old = (
            CaseId,
            &'static str,
            &'static str,
            Option<ShipmentId>,
            Option<OrderId>,
            Option<CarrierId>,
            Option<PartnerId>,
            Option<&'static str>,
        );
        let old: [Old; 4] = [
            (
                ids[0],
                "stalled",
                "open",
                Some(shipment),
                Some(order),
                Some(carrier),
                None,
                None,
            ),
            (
                ids[1],
                "stalled",
                "resolved",
                Some(shipment),
                Some(order),
                Some(carrier),
                None,
                None,
            ),
            (
                ids[2],
                "carrier_silent",
                "open",
                None,
                None,
                Some(carrier),
                None,
                None,
            ),
            (
                ids[3],
                "edi_unacknowledged",
                "open",
                None,
                None,
                Some(carrier),
                Some(partner),
                Some("17"),
            ),
        ];
        const CASE: &str = "INSERT INTO cases (tenant_id, id, number, case_type, severity, accountable, owner_team, \
             status, shipment_id, order_id, carrier_id, partner_id, edi_group, rulebook_version, detections, \
             entries, opened_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'high', 'carrier', 'carrier-desk', $5, $6, $7, $8, $9, $10, 0, 1, 1, 0, 0)";
        let mut rows = vec![OldRow::new(OLD_TENANT).bind(tenant.0)];
        for (k, (id, ty, status, s, o, c, p, g)) in old.iter().enumerate() {
            rows.push(
                OldRow::new(CASE)
                    .bind(tenant.0)
                    .bind(id.0)
                    .bind(format!("CASE-{k:06}"))
                    .bind(*ty)
                    .bind(*status)
                    .bind(s.map(|x| x.0))
                    .bind(o.map(|x| x.0))
                    .bind(c.map(|x| x.0))
                    .bind(p.map(|x| x.0))
                    .bind(g.map(str::to_string)),
            );
        }
        seed_old_database(&url, rows).await;

        let store = consign_store::open(&url).await.unwrap();
        let expect = [
            CaseSubject::Shipment(shipment),
            CaseSubject::Shipment(shipment),
            CaseSubject::Carrier(carrier),
            CaseSubject::EdiGroup {
                partner,
                group: "17".into(),
            },
        ];
        for (id, subject) in ids.iter().zip(&expect) {
            let c = store.case(tenant, *id).await.unwrap().unwrap();
            assert_eq!(&c.subject, subject, "{url}");
        }
        let moved = store.case(tenant, ids[0]).await.unwrap().unwrap();
        assert_eq!(
            (moved.order_id, moved.carrier_id),
            (Some(order), Some(carrier)),
            "links stay"
        );
        // One open case per subject and type, whatever the subject's kind.
        for (n, (subject, ty)) in [
            (expect[0].clone(), "stalled"),
            (expect[2].clone(), "carrier_silent"),
            (expect[3].clone(), "edi_unacknowledged"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut tx = store.begin().await.unwrap();
            let err = tx
                .insert_cases(&[Case {
                    subject,
                    ..case(tenant, shipment, ty, 100 + n as u32)
                }])
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::Duplicate(_)), "{url}: {err:?}");
        }
        let mut tx = store.begin().await.unwrap();
        tx.insert_cases(&[Case {
            subject: expect[2].clone(),
            ..case(tenant, shipment, "lost", 200)
        }])
        .await
        .expect("another type on the same subject");
        tx.commit().await.unwrap();
    }
}

/// Migration 0011 (case work) on a database built by the migrations before it: resolved
/// cases get the code their rule's automatic resolution means, `auto_resolved` entries become
/// `resolved` ones naming it, the facts' instants start as Consign's, open cases are put
/// under the timer sweep, and "open" for uniqueness now spans every status before resolved.
#[tokio::test]
async fn the_case_work_migration_carries_cases_and_timelines_over() {
    let dir = tempfile::tempdir().unwrap();
    for url in databases_migrated_up_to(&dir, 10).await {
        let tenant = TenantId::random();
        let (open, resolved) = (CaseId::random(), CaseId::random());
        let shipment = ShipmentId::random();
        let key = format!("shipment:{shipment}");
        const CASE: &str = "INSERT INTO cases (tenant_id, id, number, case_type, severity, accountable, owner_team, \
             status, shipment_id, rulebook_version, detections, entries, opened_at, updated_at, resolved_at, subject_key) \
             VALUES ($1, $2, $3, $4, 'medium', 'carrier', 'carrier-desk', $5, $6, 1, 1, $7, 1000, $8, $9, $10)";
        const ENTRY: &str = "INSERT INTO case_timeline (tenant_id, case_id, seq, at, kind, detail) VALUES ($1, $2, $3, $4, $5, 'x')";
        let mut rows = vec![OldRow::new(OLD_TENANT).bind(tenant.0)];
        for (id, n, ty, status, entries, updated, resolved_at) in [
            (
                open,
                "CASE-000001",
                "late_pickup",
                "open",
                1i64,
                2000i64,
                None::<i64>,
            ),
            (
                resolved,
                "CASE-000002",
                "stalled",
                "resolved",
                2,
                3000,
                Some(3000i64),
            ),
        ] {
            rows.push(
                OldRow::new(CASE)
                    .bind(tenant.0)
                    .bind(id.0)
                    .bind(n)
                    .bind(ty)
                    .bind(status)
                    .bind(shipment.0)
                    .bind(entries)
                    .bind(updated)
                    .bind(resolved_at)
                    .bind(key.clone()),
            );
        }
        for (id, seq, at, kind) in [
            (open, 1i64, 1000i64, "created"),
            (resolved, 1, 1000, "created"),
            (resolved, 2, 3000, "auto_resolved"),
        ] {
            rows.push(
                OldRow::new(ENTRY)
                    .bind(tenant.0)
                    .bind(id.0)
                    .bind(seq)
                    .bind(at)
                    .bind(kind),
            );
        }
        seed_old_database(&url, rows).await;

        let store = consign_store::open(&url).await.unwrap();
        let o = store.case(tenant, open).await.unwrap().unwrap();
        assert_eq!(o.status, CaseStatus::Open, "{url}");
        assert_eq!(
            o.timer_at,
            Some(o.updated_at),
            "{url}: open cases go to the sweep"
        );
        assert_eq!((o.version, o.reopen_count, o.assignee), (1, 0, None));
        assert_eq!(o.condition_began_at, o.opened_at);
        let r = store.case(tenant, resolved).await.unwrap().unwrap();
        assert_eq!(
            r.resolution,
            Some(consign_core::case::ResolutionCode::CarrierResolved),
            "{url}"
        );
        assert_eq!(r.condition_ended_at, r.resolved_at);
        assert_eq!(r.timer_at, None);
        let tl = store.case_timeline(tenant, resolved).await.unwrap();
        assert_eq!(
            tl.iter().map(|e| e.kind).collect::<Vec<_>>(),
            vec![TimelineKind::Created, TimelineKind::Resolved],
            "{url}"
        );
        assert_eq!(
            (
                tl[1].actor.as_str(),
                tl[1].after.as_deref(),
                tl[1].visibility
            ),
            (
                "system",
                Some("carrier_resolved"),
                consign_core::case::Visibility::External
            )
        );
        // A waiting case is still open: a rule cannot file a second one beside it.
        let mut tx = store.begin().await.unwrap();
        let mut waiting = o.clone();
        waiting.status = CaseStatus::WaitingCustomer;
        waiting.version = 2;
        assert!(tx.save_case(&waiting, 1).await.unwrap());
        let mut again = case(tenant, shipment, "late_pickup", 9);
        again.status = CaseStatus::New;
        let err = tx.insert_cases(&[again]).await.unwrap_err();
        assert!(matches!(err, StoreError::Duplicate(_)), "{url}: {err:?}");
    }
}
