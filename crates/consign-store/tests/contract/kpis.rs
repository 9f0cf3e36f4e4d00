//! KPI definitions: versions count up per tenant, each kept and read back whole, and one
//! tenant's never show in another's. The rollup: the triggers' marks, the records, the
//! facts rows and the daily counts.

use crate::fixtures::*;
use consign_core::ids::TenantId;
use consign_core::kpi::KpiDefinitions;
use consign_core::kpi::definition::InFullBasis;
use consign_core::kpi::rollup::{OrderRow, ShipmentRow, daily_counts};
use consign_core::shipment::ShipmentStatus;
use consign_core::tracking::Observation;
use consign_store::testing::engines;
use consign_store::{Days, DynStore, Stale};
use jiff::SignedDuration;

#[tokio::test]
async fn kpi_definitions_are_versioned_per_tenant() {
    for (store, _guard) in engines().await {
        let [a, b] = seed_tenants(&store, ["alpha", "beta"]).await;
        assert!(store.kpi_definitions(a.id).await.unwrap().is_none());
        let mut d = KpiDefinitions::default();
        assert_eq!(save_kpi_definitions(&store, a.id, &d, "ann").await, 1);
        d.on_time.days_late = 2;
        d.in_full.basis = InFullBasis::Units;
        d.in_full.threshold_percent = 95.5;
        assert_eq!(save_kpi_definitions(&store, a.id, &d, "bob").await, 2);
        let latest = store.kpi_definitions(a.id).await.unwrap().unwrap();
        assert_eq!((latest.version, latest.created_by.as_str()), (2, "bob"));
        assert_eq!(latest.definitions, d);
        let first = store
            .kpi_definitions_version(a.id, 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.definitions, KpiDefinitions::default());
        assert!(store.kpi_definitions(b.id).await.unwrap().is_none());
        assert!(
            store
                .kpi_definitions_version(b.id, 1)
                .await
                .unwrap()
                .is_none()
        );
        // A rolled-back save leaves nothing.
        let mut tx = store.begin().await.unwrap();
        tx.insert_kpi_definitions(a.id, &d, now(), "eve")
            .await
            .unwrap();
        drop(tx);
        assert_eq!(
            store.kpi_definitions(a.id).await.unwrap().unwrap().version,
            2
        );
    }
}

/// Saves a tenant's KPI definitions as `by` in a committed transaction; the version given.
async fn save_kpi_definitions(
    store: &DynStore,
    tenant: TenantId,
    d: &KpiDefinitions,
    by: &str,
) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let version = tx
        .insert_kpi_definitions(tenant, d, now(), by)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    version
}

/// Takes up to `limit` rollup marks in a committed transaction, as the worker does, and
/// gives them in [`marks`] order.
async fn take_marks(store: &DynStore, limit: i64) -> Vec<Stale> {
    let mut tx = store.begin().await.unwrap();
    let taken = tx.take_kpi_stale(limit).await.unwrap();
    tx.commit().await.unwrap();
    marks(&taken)
}

fn marks(taken: &[(TenantId, Stale)]) -> Vec<Stale> {
    let mut v: Vec<Stale> = taken.iter().map(|(_, s)| *s).collect();
    v.sort_by_key(|s| match s {
        Stale::Shipment(id) => (0, id.0),
        Stale::Order(id) => (1, id.0),
        Stale::Case(id) => (2, id.0),
    });
    v
}

/// The triggers mark what a figure reads and nothing else; marks taken in a transaction
/// that rolls back stay; the records, facts rows and daily counts read back as written.
#[tokio::test]
async fn the_rollup_is_marked_by_triggers_and_round_trips() {
    for (store, _guard) in engines().await {
        let engine = store.engine();
        let (a, carrier) = seed_tenant_with_carrier(&store, "alpha", "UPSN").await;
        let order = insert_orders(&store, a.id, &["PO-1"]).await.remove(0);
        let lines = vec![(1, 2), (2, 1)];
        let s = shipment_fixture(a.id, carrier.id, "1Z1", Some(order.id), lines);
        insert_shipments(&store, std::slice::from_ref(&s)).await;
        // The migration's own marks (nothing existed) and the inserts' marks.
        assert_eq!(
            store.kpi_stale_count(Some(a.id)).await.unwrap(),
            2,
            "{engine:?}"
        );

        let mut tx = store.begin().await.unwrap();
        let taken = tx.take_kpi_stale(10).await.unwrap();
        drop(tx);
        assert_eq!(taken.len(), 2, "{engine:?}");
        assert_eq!(
            store.kpi_stale_count(None).await.unwrap(),
            2,
            "{engine:?}: a rolled-back take leaves the marks"
        );
        // A dropped transaction's rollback reaches PostgreSQL a moment later; until it does,
        // its row locks stand and `SKIP LOCKED` passes over the marks (as a second server's
        // worker would).
        let mut taken = Vec::new();
        for _ in 0..100 {
            let mut tx = store.begin().await.unwrap();
            taken = tx.take_kpi_stale(10).await.unwrap();
            if !taken.is_empty() {
                tx.commit().await.unwrap();
                break;
            }
            drop(tx);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(
            marks(&taken),
            vec![Stale::Shipment(s.id), Stale::Order(order.id)],
            "{engine:?}"
        );
        assert_eq!(store.kpi_stale_count(None).await.unwrap(), 0);

        // The first scan is the pickup (the day an exception rate counts the shipment on) …
        let scan = |hours_ago: i64, status: ShipmentStatus| {
            let store = store.clone();
            let at = now() - SignedDuration::from_hours(hours_ago);
            async move {
                let mut tx = store.begin().await.unwrap();
                let mut tracked = tx.lock_tracked(a.id, &[s.id]).await.unwrap();
                tracked[0].state.apply(&Observation::status(at, status));
                tracked[0].next_check_at = Some(now() + SignedDuration::from_hours(8));
                tx.update_tracked(&tracked, now()).await.unwrap();
                tx.commit().await.unwrap();
            }
        };
        scan(4, ShipmentStatus::PickedUp).await;
        assert_eq!(store.kpi_stale_count(None).await.unwrap(), 1, "{engine:?}");
        take_marks(&store, 10).await;
        // … a scan that changes nothing a figure reads leaves no mark …
        scan(3, ShipmentStatus::InTransit).await;
        assert_eq!(store.kpi_stale_count(None).await.unwrap(), 0, "{engine:?}");
        // … a delivery does.
        let delivered = now() - SignedDuration::from_hours(1);
        let mut tx = store.begin().await.unwrap();
        let mut tracked = tx.lock_tracked(a.id, &[s.id]).await.unwrap();
        tracked[0]
            .state
            .apply(&Observation::status(delivered, ShipmentStatus::Delivered));
        tx.update_tracked(&tracked, now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            take_marks(&store, 10).await,
            vec![Stale::Shipment(s.id)],
            "{engine:?}"
        );

        // The records the facts are judged from.
        let rec = the_record(store.kpi_shipment_records(a.id, &[s.id]).await);
        assert_eq!(rec.status, ShipmentStatus::Delivered);
        assert!(rec.delivered_at.is_some() && rec.pod_required && !rec.pod_attached);
        assert_eq!(rec.order, Some(order.id));
        assert_eq!(rec.channel, Some(consign_core::order::Channel::B2c));
        assert_eq!(rec.destination.time_zone, "America/Chicago");
        let src = the_record(store.kpi_order_sources(a.id, &[order.id]).await);
        assert_eq!(src.lines, vec![(1, 2), (2, 3)]);
        assert_eq!(src.shipments, vec![(s.id, vec![(1, 2), (2, 1)])]);
        assert!(!src.cancelled && src.promised_by.is_some());
        // Another tenant's ids read nothing.
        let b = seed_tenant(&store, "beta").await;
        let theirs = store.kpi_shipment_records(b.id, &[s.id]).await.unwrap();
        assert!(theirs.is_empty());

        // Facts rows and counts round-trip.
        let day = |d: i8| jiff::civil::date(2026, 11, d);
        let row = ShipmentRow {
            shipment: s.id,
            order: Some(order.id),
            carrier: carrier.id,
            lane: "US-Dallas>US-Austin".into(),
            channel: Some(consign_core::order::Channel::B2c),
            shipped_day: day(20),
            delivered_day: Some(day(23)),
            days_late: Some(-1),
            cancelled: false,
            damaged: true,
            documents_accurate: false,
            case_types: vec!["damaged".into(), "pod_missing".into()],
            accountables: vec!["carrier".into()],
        };
        let orow = OrderRow {
            order: order.id,
            due_day: day(24),
            channel: consign_core::order::Channel::B2c,
            definitions_version: 3,
            counted: true,
            otif: true,
            perfect: false,
        };
        let counts = daily_counts(
            |_| true,
            std::slice::from_ref(&row),
            std::slice::from_ref(&orow),
        );
        let days = [day(20), day(23), day(24)];
        let mut tx = store.begin().await.unwrap();
        tx.put_kpi_rows(
            a.id,
            &[s.id],
            &[order.id],
            std::slice::from_ref(&row),
            std::slice::from_ref(&orow),
        )
        .await
        .unwrap();
        tx.replace_kpi_daily(a.id, &days, &counts).await.unwrap();
        assert_eq!(
            tx.kpi_days_of(a.id, &[s.id], &[order.id]).await.unwrap(),
            days
        );
        let (rs, os) = tx.kpi_rows_for_update(a.id, &[day(23)]).await.unwrap();
        assert_eq!((rs, os), (vec![row.clone()], vec![]));
        tx.commit().await.unwrap();
        let (rs, os) = store
            .kpi_rows(a.id, Days::Between(day(1), day(30)))
            .await
            .unwrap();
        assert_eq!(
            (rs, os),
            (vec![row.clone()], vec![orow.clone()]),
            "{engine:?}"
        );
        assert_eq!(
            store.kpi_daily(a.id, day(1), day(30)).await.unwrap(),
            counts
        );
        assert_eq!(
            store.kpi_daily(a.id, day(21), day(22)).await.unwrap(),
            vec![]
        );
        assert_eq!(
            store.kpi_day_span(a.id).await.unwrap(),
            Some((day(20), day(24)))
        );
        assert_eq!(store.kpi_day_span(b.id).await.unwrap(), None);
        // Replacing a day's counts leaves the other days'.
        let mut tx = store.begin().await.unwrap();
        tx.replace_kpi_daily(a.id, &[day(20)], &[]).await.unwrap();
        tx.commit().await.unwrap();
        let left = store.kpi_daily(a.id, day(1), day(30)).await.unwrap();
        assert!(left.iter().all(|c| c.day != day(20)) && !left.is_empty());
        // A new definitions version marks the tenant's promised orders.
        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.mark_kpi_orders_stale(a.id).await.unwrap(), 1);
        tx.commit().await.unwrap();
        assert_eq!(store.kpi_stale_count(Some(a.id)).await.unwrap(), 1);
    }
}

/// Migration 0017 on a database built by the migrations before it: each order's release and
/// first shipment come from its audit records (a `released` record, or a status change that
/// left `received`; a status change to a shipped status), and later changes are recorded by
/// the triggers, once.
#[tokio::test]
async fn order_milestones_come_from_the_audit_trail_and_then_from_the_triggers() {
    let dir = tempfile::tempdir().unwrap();
    for url in databases_migrated_up_to(&dir, 16).await {
        let tenant = TenantId::random();
        let (released, shipped, received) = (
            consign_core::ids::OrderId::random(),
            consign_core::ids::OrderId::random(),
            consign_core::ids::OrderId::random(),
        );
        const ORDER: &str = "INSERT INTO orders (tenant_id, id, number, external_ref, customer_id, customer_json, \
             ship_to_json, channel, currency, total_minor, status, ordered_at, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $3, $4, '{\"name\":\"Ann\"}', \
             '{\"name\":\"Ann\",\"line1\":\"1 Main St\",\"city\":\"Austin\",\"postal_code\":\"78701\",\"country\":\"US\"}', \
             'b2c', 'USD', 100, $5, 1000000000, 1000000000, 9000000000, 3)";
        const AUDIT: &str = "INSERT INTO audit_log (chain, seq, tenant_id, at, actor, entity, entity_id, action, \
             after_json, prev_hash, hash) VALUES ($1, $2, $1, $3, 'ann', 'order', $4, $5, $6, $7, $7)";
        let mut rows = vec![OldRow::new(OLD_TENANT).bind(tenant.0)];
        for (id, n, status) in [
            (released, "PO-1", "released"),
            (shipped, "PO-2", "shipped"),
            (received, "PO-3", "received"),
        ] {
            rows.push(
                OldRow::new(ORDER)
                    .bind(tenant.0)
                    .bind(id.0)
                    .bind(n)
                    .bind(uuid::Uuid::nil())
                    .bind(status),
            );
        }
        // PO-1 released at 1 h 30 min; PO-2 shipped straight from received at 3 h
        // (the status change carries the bare status), then delivered at 9 h
        // (an object naming it): its first shipment is the fact.
        for (seq, at, id, action, after) in [
            (
                1i64,
                5_400_000_000i64,
                released,
                "released",
                r#"{"status":"released"}"#,
            ),
            (
                2,
                10_800_000_000,
                shipped,
                "status_changed",
                r#""partially_shipped""#,
            ),
            (
                3,
                32_400_000_000,
                shipped,
                "status_changed",
                r#"{"status":"delivered","by":"delivery"}"#,
            ),
            (
                4,
                3_600_000_000,
                received,
                "created",
                r#"{"status":"received"}"#,
            ),
        ] {
            rows.push(
                OldRow::new(AUDIT)
                    .bind(tenant.0)
                    .bind(seq)
                    .bind(at)
                    .bind(id.0.to_string())
                    .bind(action)
                    .bind(after)
                    .bind(vec![0u8; 32]),
            );
        }
        seed_old_database(&url, rows).await;
        let store = consign_store::open(&url).await.unwrap();
        let milestones = |id: consign_core::ids::OrderId| {
            let store = store.clone();
            async move {
                store
                    .query_integers_raw(&format!(
                        "SELECT COALESCE(released_at, -1) AS r, COALESCE(shipped_at, -1) AS s \
                         FROM orders WHERE id = {}",
                        if url_is_pg(&store) {
                            format!("'{}'", id.0)
                        } else {
                            format!("X'{}'", id.0.simple())
                        }
                    ))
                    .await
                    .unwrap()
            }
        };
        assert_eq!(milestones(released).await, vec![5_400_000_000, -1], "{url}");
        assert_eq!(
            milestones(shipped).await,
            vec![10_800_000_000, 10_800_000_000],
            "{url}"
        );
        assert_eq!(milestones(received).await, vec![-1, -1], "{url}");
        // From now on the triggers record them: a release, then a shipment, each once.
        let mut order = store.order(tenant, received).await.unwrap().unwrap();
        for (status, at) in [
            (
                consign_core::order::OrderStatus::Released,
                20_000_000_000i64,
            ),
            (
                consign_core::order::OrderStatus::PartiallyShipped,
                21_000_000_000,
            ),
            (consign_core::order::OrderStatus::Shipped, 22_000_000_000),
        ] {
            order.status = status;
            order.updated_at = jiff::Timestamp::from_microsecond(at).unwrap();
            order.version += 1;
            let mut tx = store.begin().await.unwrap();
            tx.update_order(&order).await.unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(
            milestones(received).await,
            vec![20_000_000_000, 21_000_000_000],
            "{url}"
        );
        // The turnaround read, in whole minutes from the order (at 1 000 s): released at
        // 5 400 s, 10 800 s and 20 000 s; shipped 0 s and 1 000 s after release.
        let (rel, shp) = store
            .order_turnaround(
                tenant,
                jiff::Timestamp::from_microsecond(0).unwrap(),
                jiff::Timestamp::from_microsecond(30_000_000_000).unwrap(),
            )
            .await
            .unwrap();
        let mut rel = rel;
        rel.sort();
        assert_eq!(
            rel,
            vec![73, 163, 316],
            "{url}: (released - ordered) in minutes"
        );
        let mut shp = shp;
        shp.sort();
        assert_eq!(shp, vec![0, 16], "{url}");
    }
}

fn url_is_pg(store: &consign_store::DynStore) -> bool {
    store.engine() == consign_store::Engine::Postgres
}

/// A case is marked when its timeline grows or what picks its policy changes, not when the
/// timer sweep re-plans it; its facts round-trip and are found by the period they count in;
/// a settings change and a reset mark every case of the tenant.
#[tokio::test]
async fn case_facts_are_marked_by_triggers_and_read_by_period() {
    use consign_core::case::kpi::{CaseFact, Resolution};
    use consign_core::case::{Case, CaseStatus, CaseSubject, NewCase, Severity};
    use consign_core::ids::{CaseId, ShipmentId};
    for (store, _guard) in engines().await {
        let engine = store.engine();
        let [a, b] = seed_tenants(&store, ["alpha", "beta"]).await;
        let opened = now() - SignedDuration::from_hours(30);
        let subject = ShipmentId::random();
        let mut c = Case::start(
            CaseId::new_at(opened, 7),
            a.id,
            NewCase {
                subject: CaseSubject::Shipment(subject),
                case_type: "damaged".into(),
                severity: Severity::High,
                accountable: "carrier".into(),
                owner_team: "carrier-desk".into(),
                rulebook_version: 0,
            },
            CaseStatus::Open,
            opened,
            opened,
        );
        c.number = "CASE-000001".into();
        let mut tx = store.begin().await.unwrap();
        tx.insert_cases(std::slice::from_ref(&c)).await.unwrap();
        tx.commit().await.unwrap();
        let take = || take_marks(&store, 100);
        // Its shipment's exception rate changed too.
        assert_eq!(
            take().await,
            vec![Stale::Shipment(subject), Stale::Case(c.id)],
            "{engine:?}"
        );
        // The timer sweep's bookkeeping marks nothing …
        let mut timed = c.clone();
        timed.timer_at = Some(now() + SignedDuration::from_hours(1));
        timed.version += 1;
        let mut tx = store.begin().await.unwrap();
        assert!(tx.save_case(&timed, c.version).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(take().await, vec![], "{engine:?}");
        // … a new timeline entry does.
        let mut noted = timed.clone();
        noted.entries += 1;
        noted.version += 1;
        let mut tx = store.begin().await.unwrap();
        assert!(tx.save_case(&noted, timed.version).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(take().await, vec![Stale::Case(c.id)], "{engine:?}");

        // Facts round-trip, and a period finds a case by any of its three instants.
        let answered = opened + SignedDuration::from_hours(2);
        let resolved = opened + SignedDuration::from_hours(26);
        let fact = CaseFact {
            case: c.id,
            opened_at: opened,
            answered: Some((answered, 120)),
            resolved: Some((
                resolved,
                Resolution {
                    open_minutes: 1_500,
                    reopened: true,
                    first_contact: false,
                    sla_met: 1,
                    sla_applied: 2,
                },
            )),
        };
        let mut tx = store.begin().await.unwrap();
        tx.put_kpi_case_facts(a.id, &[c.id], &[fact]).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            store.kpi_case_facts_of(a.id, &[c.id]).await.unwrap(),
            vec![fact],
            "{engine:?}"
        );
        let minute = SignedDuration::from_mins(1);
        for (what, at) in [
            ("opened", opened),
            ("answered", answered),
            ("resolved", resolved),
        ] {
            let found = store
                .kpi_case_facts_in(a.id, at, at + minute)
                .await
                .unwrap();
            assert_eq!(found, vec![fact], "{engine:?}: by {what}");
        }
        let between = store
            .kpi_case_facts_in(a.id, answered + minute, resolved)
            .await
            .unwrap();
        assert!(between.is_empty(), "{engine:?}: {between:?}");
        assert!(
            store
                .kpi_case_facts_in(b.id, opened, resolved + minute)
                .await
                .unwrap()
                .is_empty(),
            "{engine:?}: another tenant's facts"
        );
        // Replaced, not added to; a case without a fact loses its row.
        let mut tx = store.begin().await.unwrap();
        tx.put_kpi_case_facts(a.id, &[c.id], &[]).await.unwrap();
        tx.commit().await.unwrap();
        let left = store.kpi_case_facts_of(a.id, &[c.id]).await.unwrap();
        assert!(left.is_empty());

        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            tx.mark_kpi_cases_stale(a.id).await.unwrap(),
            1,
            "{engine:?}"
        );
        assert_eq!(
            tx.mark_kpi_cases_stale(b.id).await.unwrap(),
            0,
            "{engine:?}"
        );
        tx.commit().await.unwrap();
        assert_eq!(take().await, vec![Stale::Case(c.id)], "{engine:?}");
        assert_eq!(
            store.kpi_case_ids(a.id, None, 10).await.unwrap(),
            vec![c.id],
            "{engine:?}"
        );
        assert!(
            store
                .kpi_case_ids(a.id, Some(c.id), 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// Two workers recounting one tenant's day take turns: the second waits for the first to
/// commit, then reads the facts row it wrote. Read at once, each saw only its own new row,
/// and the counts written last dropped the other's shipment (two servers on PostgreSQL).
#[tokio::test]
async fn recounts_of_one_tenants_day_take_turns() {
    for (store, _guard) in engines().await {
        let engine = store.engine();
        let (a, carrier) = seed_tenant_with_carrier(&store, "alpha", "UPSN").await;
        let s1 = shipment_fixture(a.id, carrier.id, "1Z1", None, vec![]);
        let s2 = shipment_fixture(a.id, carrier.id, "1Z2", None, vec![]);
        insert_shipments(&store, &[s1.clone(), s2.clone()]).await;
        let day = jiff::civil::date(2026, 11, 20);
        let row = |id| ShipmentRow {
            shipment: id,
            order: None,
            carrier: carrier.id,
            lane: "US-TX>US-CA".into(),
            channel: None,
            shipped_day: day,
            delivered_day: Some(day),
            days_late: Some(0),
            cancelled: false,
            damaged: false,
            documents_accurate: true,
            case_types: vec![],
            accountables: vec![],
        };
        let mut first = store.begin().await.unwrap();
        first
            .put_kpi_rows(a.id, &[s1.id], &[], &[row(s1.id)], &[])
            .await
            .unwrap();
        let (seen, _) = first.kpi_rows_for_update(a.id, &[day]).await.unwrap();
        assert_eq!(seen.len(), 1, "{engine:?}");
        let second = tokio::spawn({
            let (store, tenant, row) = (store.clone(), a.id, row(s2.id));
            async move {
                let mut tx = store.begin().await.unwrap();
                tx.put_kpi_rows(tenant, &[row.shipment], &[], &[row], &[])
                    .await
                    .unwrap();
                let (seen, _) = tx.kpi_rows_for_update(tenant, &[day]).await.unwrap();
                tx.commit().await.unwrap();
                seen.len()
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            !second.is_finished(),
            "{engine:?}: the second recount waits for the first"
        );
        first.commit().await.unwrap();
        assert_eq!(
            second.await.unwrap(),
            2,
            "{engine:?}: the second recount reads the first's row"
        );
    }
}
