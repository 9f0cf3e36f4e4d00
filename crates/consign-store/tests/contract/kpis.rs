//! KPI definitions: versions count up per tenant, each kept and read back whole, and one
//! tenant's never show in another's.

use crate::fixtures::{now, seed_tenant};
use consign_core::kpi::KpiDefinitions;
use consign_core::kpi::definition::InFullBasis;
use consign_store::testing::engines;

#[tokio::test]
async fn kpi_definitions_are_versioned_per_tenant() {
    for (store, _guard) in engines().await {
        let a = seed_tenant(&store, "alpha").await;
        let b = seed_tenant(&store, "beta").await;
        assert!(store.kpi_definitions(a.id).await.unwrap().is_none());
        let mut d = KpiDefinitions::default();
        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            tx.insert_kpi_definitions(a.id, &d, now(), "ann")
                .await
                .unwrap(),
            1
        );
        tx.commit().await.unwrap();
        d.on_time.days_late = 2;
        d.in_full.basis = InFullBasis::Units;
        d.in_full.threshold_percent = 95.5;
        let mut tx = store.begin().await.unwrap();
        assert_eq!(
            tx.insert_kpi_definitions(a.id, &d, now(), "bob")
                .await
                .unwrap(),
            2
        );
        tx.commit().await.unwrap();
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
