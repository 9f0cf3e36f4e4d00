//! A list's count on both engines: the number of records its filter pages through, for
//! orders, shipments and the case queue (one tenant or several), and where counting stops.

use crate::fixtures::*;
use crate::tracking::case;
use consign_store::testing::engines;
use consign_store::*;

#[tokio::test]
async fn counts_are_what_the_lists_page_through_and_stop_at_the_cap() {
    for (store, _guard) in engines().await {
        let e = store.engine();
        let AlphaAndBeta { a, b, ca, cb } = seed_alpha_and_beta(&store, "UPSN").await;
        let orders = insert_orders(&store, a.id, &["PO-1", "PO-2", "PO-3", "PO-4", "PO-5"]).await;
        insert_orders(&store, b.id, &["PO-9"]).await;
        let mut shipments: Vec<_> = (0..7)
            .map(|i| shipment_fixture(a.id, ca.id, &format!("1ZC{i}"), None, vec![]))
            .collect();
        shipments.push(shipment_fixture(b.id, cb.id, "1ZB0", None, vec![]));
        let cases: Vec<_> = shipments
            .iter()
            .enumerate()
            .map(|(i, s)| case(s.tenant_id, s.id, "stalled", i as u32 + 1))
            .collect();
        insert_shipments_with_cases(&store, &shipments, &cases).await;

        // Shipments: the whole list, a search, the cap; the cursor does not change the count.
        let all = ShipmentFilter {
            limit: 3,
            ..Default::default()
        };
        let mut paged = 0;
        let mut f = all.clone();
        loop {
            let page = store.shipments(a.id, &f).await.unwrap();
            paged += page.len();
            match next_cursor(&page, f.limit, |s| s.id) {
                Some(c) => f.after = c.parse().ok(),
                None => break,
            }
        }
        assert_eq!(paged, 7, "{e:?}");
        let search = ShipmentFilter {
            q: Some("1ZC3".into()),
            ..all.clone()
        };
        // (tenant, filter, cap, count)
        for (tenant, filter, cap, n) in [
            (a.id, &all, 100, 7),
            (a.id, &f, 100, 7),
            (a.id, &search, 100, 1),
            (a.id, &all, 4, 4),
            (b.id, &all, 100, 1),
        ] {
            let got = store.count_shipments_matching(tenant, filter, cap).await;
            assert_eq!(got.unwrap(), n, "{e:?}: {filter:?} up to {cap}");
        }

        // Orders: every one of the tenant's, and one by its reference.
        let every = OrderFilter {
            limit: 2,
            ..Default::default()
        };
        let one = OrderFilter {
            q: Some(orders[2].external_ref.clone()),
            ..every.clone()
        };
        for (filter, n) in [(&every, 5), (&one, 1)] {
            let got = store.count_orders_matching(a.id, filter, 100).await;
            assert_eq!(got.unwrap(), n, "{e:?}: {filter:?}");
        }

        // The queue: by deadline across both tenants, one tenant, and the cap.
        let open = CaseFilter {
            open_only: true,
            by_sla: true,
            limit: 2,
            ..Default::default()
        };
        // (tenants, cap, count)
        for (tenants, cap, n) in [
            (&[a.id, b.id][..], 100, 8),
            (&[b.id], 100, 1),
            (&[a.id, b.id], 5, 5),
            (&[], 100, 0),
        ] {
            let got = store.count_cases(tenants, &open, cap).await;
            assert_eq!(got.unwrap(), n, "{e:?}: {tenants:?} up to {cap}");
        }
        let listed = store
            .cases_across(
                &[a.id, b.id],
                &CaseFilter {
                    limit: 100,
                    ..open.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(listed.len(), 8, "{e:?}");
    }
}
