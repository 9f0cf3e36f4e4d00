//! The work queue's reads on both engines: open cases by SLA deadline, page after page,
//! across the tenants a provider serves, filtered by deadline state, and counted into the
//! backlog a home page shows.

use crate::fixtures::*;
use crate::tracking::case;
use consign_core::case::CaseStatus;
use consign_core::case::queue::{AgeBucket, DueState};
use consign_core::ids::*;
use consign_store::testing::engines;
use consign_store::*;
use jiff::{SignedDuration, Timestamp};

/// The queue by SLA deadline pages on with a cursor: the nearest deadlines first, then the
/// cases without one, and the pages together are the whole queue in that order.
#[tokio::test]
async fn the_sla_queue_pages_by_deadline_then_newest() {
    for (store, _guard) in engines().await {
        let (a, ca) = seed_tenant_with_carrier(&store, "alpha", "UPSN").await;
        let mut cases = Vec::new();
        let mut shipments = Vec::new();
        for (i, due) in [Some(30), None, Some(10), Some(10), None, Some(20), None]
            .into_iter()
            .enumerate()
        {
            let s = shipment_fixture(a.id, ca.id, &format!("1ZQ{i}"), None, vec![]);
            shipments.push(s.clone());
            let mut c = case(a.id, s.id, "stalled", i as u32 + 1);
            c.sla_due_at = due.map(|m| now() + SignedDuration::from_mins(m));
            cases.push(c);
        }
        insert_shipments_with_cases(&store, &shipments, &cases).await;
        let filter = |after, limit| CaseFilter {
            open_only: true,
            by_sla: true,
            after,
            limit,
            ..Default::default()
        };
        let whole: Vec<CaseId> = store
            .cases(a.id, &filter(None, 100))
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(whole.len(), 7);
        let dues: Vec<Option<Timestamp>> = whole
            .iter()
            .map(|id| cases.iter().find(|c| c.id == *id).unwrap().sla_due_at)
            .collect();
        assert!(dues[..4].iter().all(|d| d.is_some()) && dues[4..].iter().all(|d| d.is_none()));
        assert!(dues[..4].windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = store.cases(a.id, &filter(after, 2)).await.unwrap();
            if page.is_empty() {
                break;
            }
            after = page.last().map(|c| c.id);
            paged.extend(page.iter().map(|c| c.id));
        }
        assert_eq!(paged, whole, "pages together are the whole queue in order");
    }
}

/// A provider's queue reads every tenant it serves, and only those: the deadline order holds
/// across them, a deadline-state filter selects exactly the cases the core puts in that
/// state, and the backlog grid counts what the filters list.
#[tokio::test]
async fn the_queue_reads_across_tenants_and_the_backlog_counts_what_it_lists() {
    for (store, _guard) in engines().await {
        let engine = store.engine();
        let [a, b, c] = seed_tenants(&store, ["alpha", "beta", "gamma"]).await;
        // (tenant, due in minutes, opened hours ago, team, status)
        let plan = [
            (a.id, Some(-30), 2, "carrier-desk", CaseStatus::Open),
            (b.id, Some(-10), 30, "carrier-desk", CaseStatus::New),
            (a.id, Some(45), 5, "customer-care", CaseStatus::Open),
            (
                b.id,
                Some(600),
                100,
                "carrier-desk",
                CaseStatus::WaitingCarrier,
            ),
            (a.id, None, 200, "customer-care", CaseStatus::Open),
            (b.id, Some(-5), 1, "carrier-desk", CaseStatus::Resolved),
            (c.id, Some(-60), 1, "carrier-desk", CaseStatus::Open),
        ];
        let mut cases = Vec::new();
        for (i, (tenant, due, age, team, status)) in plan.iter().enumerate() {
            let mut k = case(*tenant, ShipmentId::random(), "late_delivery", i as u32 + 1);
            k.sla_due_at = due.map(|m| now() + SignedDuration::from_mins(m));
            k.opened_at = now() - SignedDuration::from_hours(*age);
            k.owner_team = team.to_string();
            k.status = *status;
            if *status == CaseStatus::Resolved {
                k.resolved_at = Some(now());
            }
            cases.push(k);
        }
        let mut tx = store.begin().await.unwrap();
        tx.insert_cases(&cases).await.unwrap();
        tx.commit().await.unwrap();
        let served = [a.id, b.id];
        let open = |due| CaseFilter {
            open_only: true,
            by_sla: true,
            due,
            limit: 100,
            ..Default::default()
        };
        let numbers = |list: Vec<consign_core::case::Case>| -> Vec<String> {
            list.into_iter().map(|c| c.number).collect()
        };
        let queue = store.cases_across(&served, &open(None)).await.unwrap();
        assert_eq!(
            numbers(queue),
            [
                "CASE-000001",
                "CASE-000002",
                "CASE-000003",
                "CASE-000004",
                "CASE-000005"
            ],
            "{engine:?}: nearest deadline first across both tenants, gamma's never"
        );
        // Paging across tenants continues after the cursor's case.
        let mut first = open(None);
        first.limit = 2;
        let page = store.cases_across(&served, &first).await.unwrap();
        first.after = page.last().map(|c| c.id);
        assert_eq!(
            numbers(store.cases_across(&served, &first).await.unwrap()),
            ["CASE-000003", "CASE-000004"],
            "{engine:?}"
        );
        for state in DueState::ALL {
            let listed = numbers(
                store
                    .cases_across(&served, &open(Some(state.window(now()))))
                    .await
                    .unwrap(),
            );
            let expected: Vec<String> = cases
                .iter()
                .filter(|k| served.contains(&k.tenant_id) && k.status.is_open())
                .filter(|k| DueState::of(k.sla_due_at, now()) == state)
                .map(|k| k.number.clone())
                .collect();
            assert_eq!(listed, expected, "{engine:?}: {state:?}");
        }
        assert!(
            store
                .cases_across(&[], &open(None))
                .await
                .unwrap()
                .is_empty(),
            "{engine:?}: no tenant is no case"
        );
        // The backlog: a row per tenant and team, each count what the queue lists under the
        // same filter, and who holds the cases counted for the person asking.
        let me = UserId::random();
        let mut theirs = cases[0].clone();
        theirs.id = CaseId::random();
        theirs.number = "CASE-000008".into();
        theirs.subject = consign_core::case::CaseSubject::Shipment(ShipmentId::random());
        theirs.assignee = Some(me);
        let mut tx = store.begin().await.unwrap();
        tx.insert_cases(std::slice::from_ref(&theirs))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut rows = store.backlog(&served, now(), Some(me)).await.unwrap();
        rows.sort_by(|x, y| (&x.team, x.unassigned).cmp(&(&y.team, y.unassigned)));
        let summary: Vec<(TenantId, &str, u64, u64, u64, u64)> = rows
            .iter()
            .map(|r| {
                (
                    r.tenant,
                    r.team.as_str(),
                    r.open,
                    r.unassigned,
                    r.mine,
                    r.mine_breached,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (a.id, "carrier-desk", 2, 1, 1, 1),
                (b.id, "carrier-desk", 2, 2, 0, 0),
                (a.id, "customer-care", 2, 2, 0, 0),
            ],
            "{engine:?}"
        );
        for r in &rows {
            assert_eq!(r.ages.iter().sum::<u64>(), r.open, "{engine:?}: {r:?}");
            assert_eq!(r.dues.iter().sum::<u64>(), r.open, "{engine:?}: {r:?}");
            let team = |f: CaseFilter| CaseFilter {
                team: Some(r.team.clone()),
                ..f
            };
            for (k, age) in AgeBucket::ALL.iter().enumerate() {
                let (opened_from, opened_to) = age.opened_window(now());
                let f = team(CaseFilter {
                    opened_from,
                    opened_to,
                    ..open(None)
                });
                let n = store.cases_across(&[r.tenant], &f).await.unwrap().len() as u64;
                assert_eq!(n, r.ages[k], "{engine:?}: {} {age:?}", r.team);
            }
            for (k, due) in DueState::ALL.iter().enumerate() {
                let f = team(open(Some(due.window(now()))));
                let n = store.cases_across(&[r.tenant], &f).await.unwrap().len() as u64;
                assert_eq!(n, r.dues[k], "{engine:?}: {} {due:?}", r.team);
            }
        }
        assert!(store.backlog(&[], now(), None).await.unwrap().is_empty());
        let nobody = store.backlog(&served, now(), None).await.unwrap();
        assert!(nobody.iter().all(|r| r.mine == 0), "{engine:?}");
    }
}
