//! Finding records by any reference on both engines: numbers and references in any letter
//! case, a part of a tracking number or of a customer's name, across the tenants asked for
//! and never beyond them.

use crate::fixtures::*;
use consign_store::testing::engines;
use consign_store::*;

#[tokio::test]
async fn references_find_their_records_in_any_case_and_only_in_the_tenants_asked() {
    for (store, _guard) in engines().await {
        let e = store.engine();
        let AlphaAndBeta { a, b, ca, cb } = seed_alpha_and_beta(&store, "UPSN").await;
        let orders = insert_orders(&store, a.id, &["PO-7781", "PO-7782"]).await;
        let on_order = Some(orders[0].id);
        insert_shipments(
            &store,
            &[
                shipment_fixture(a.id, ca.id, "1Z999AA10123456784", on_order, vec![]),
                shipment_fixture(b.id, cb.id, "1Z999AA10123456785", None, vec![]),
            ],
        )
        .await;
        let both = [a.id, b.id];
        let find = |text: &'static str, tenants: Vec<consign_core::ids::TenantId>| {
            let store = store.clone();
            async move {
                let mut f: Vec<(FoundKind, String)> = store
                    .find_references(&tenants, text, 20)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|f| (f.kind, f.number))
                    .collect();
                f.sort();
                f
            }
        };
        let shipment_a = (FoundKind::Shipment, "SHP-1Z999AA10123456784".to_string());
        let shipment_b = (FoundKind::Shipment, "SHP-1Z999AA10123456785".to_string());
        // A shipment number and a tracking number, in another letter case.
        assert_eq!(
            find("shp-1z999aa10123456784", both.to_vec()).await,
            vec![shipment_a.clone()],
            "{e:?}"
        );
        assert_eq!(
            find("1z999aa10123456785", both.to_vec()).await,
            vec![shipment_b.clone()],
            "{e:?}"
        );
        // Any part of a tracking number, across both tenants; one tenant only when asked.
        assert_eq!(
            find("1012345678", both.to_vec()).await,
            vec![shipment_a.clone(), shipment_b],
            "{e:?}"
        );
        assert_eq!(
            find("1012345678", vec![a.id]).await,
            vec![shipment_a],
            "{e:?}"
        );
        // An order by its number and by the client's reference; by a part of the name.
        let order = |o: &consign_core::order::Order| (FoundKind::Order, o.number.clone());
        assert_eq!(
            find("po-7782", both.to_vec()).await,
            vec![order(&orders[1])],
            "{e:?}"
        );
        assert_eq!(
            find(
                Box::leak(orders[0].number.to_lowercase().into_boxed_str()),
                both.to_vec()
            )
            .await,
            vec![order(&orders[0])],
            "{e:?}"
        );
        assert_eq!(
            find("ann l", both.to_vec()).await,
            vec![order(&orders[0]), order(&orders[1])],
            "{e:?}"
        );
        // Nothing of a tenant not asked for; a short part matches nothing; wildcards are text.
        assert!(find("po-7782", vec![b.id]).await.is_empty(), "{e:?}");
        assert!(
            find("784", both.to_vec()).await.is_empty(),
            "{e:?}: too short for a part"
        );
        assert!(find("%%%%", both.to_vec()).await.is_empty(), "{e:?}");
        assert!(find("____", both.to_vec()).await.is_empty(), "{e:?}");
    }
}

/// A shipment's PRO and bill of lading numbers are kept, listed and found like its other
/// references, in any letter case.
#[tokio::test]
async fn freight_references_are_kept_and_found() {
    for (store, _guard) in engines().await {
        let e = store.engine();
        let (a, ca) = seed_tenant_with_carrier(&store, "alpha", "ODFL").await;
        let mut freight = shipment_fixture(a.id, ca.id, "0004471123", None, vec![]);
        freight.pro_number = Some("PRO-0004471123".into());
        freight.bol_number = Some("NW-PO-88123-1".into());
        let parcel = shipment_fixture(a.id, ca.id, "0004471124", None, vec![]);
        insert_shipments(&store, &[freight.clone(), parcel]).await;
        let kept = store.shipment(a.id, freight.id).await.unwrap().unwrap();
        assert_eq!(
            (kept.pro_number.as_deref(), kept.bol_number.as_deref()),
            (Some("PRO-0004471123"), Some("NW-PO-88123-1")),
            "{e:?}"
        );
        for text in ["pro-0004471123", "nw-po-88123-1", "NW-PO-88123-1"] {
            let found = store.find_references(&[a.id], text, 10).await.unwrap();
            assert_eq!(found.len(), 1, "{e:?}: {text}");
            assert_eq!(found[0].id, freight.id.0, "{e:?}: {text}");
            assert!(
                found[0].detail.contains("BOL NW-PO-88123-1"),
                "{e:?}: {}",
                found[0].detail
            );
        }
        let listed = store
            .shipments(
                a.id,
                &ShipmentFilter {
                    q: Some("NW-PO-88123-1".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            listed.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec![freight.id],
            "{e:?}"
        );
    }
}
