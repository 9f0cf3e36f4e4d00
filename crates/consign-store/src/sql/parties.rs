//! Carriers, warehouses and customers: reads ([`PartyStore`]) and writes ([`PartyTx`]).

use super::dialect::{Dialect, PushArg, QueryExt, RowExt};
use super::{SqlStore, SqlTx, chunk_rows, fetch_rows, parsed};
use crate::{PartyStore, PartyTx, Result, StoreError};
use consign_core::ids::{CarrierId, CustomerId, TenantId, WarehouseId};
use consign_core::order::CustomerInfo;
use consign_core::party::{Carrier, Customer, Mode, Warehouse};
use sqlx::QueryBuilder;
use std::collections::{HashMap, HashSet};

fn carrier_row<DB: Dialect>(r: &DB::Row) -> Result<Carrier> {
    let mode: String = r.col("mode")?;
    Ok(Carrier {
        id: CarrierId(r.col("id")?),
        tenant_id: TenantId(r.col("tenant_id")?),
        name: r.col("name")?,
        scac: r.col("scac")?,
        mode: parsed(Mode::parse(&mode))?,
    })
}

#[async_trait::async_trait]
impl<DB: Dialect> PartyStore for SqlStore<DB> {
    async fn carriers(&self, tenant: TenantId) -> Result<Vec<Carrier>> {
        fetch_rows(
            sqlx::query(
                "SELECT id, tenant_id, name, scac, mode FROM carriers WHERE tenant_id = $1 \
                 ORDER BY name",
            )
            .arg(tenant.0),
            &self.read,
            carrier_row::<DB>,
        )
        .await
    }

    async fn warehouses(&self, tenant: TenantId) -> Result<Vec<Warehouse>> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, code, name, time_zone FROM warehouses \
             WHERE tenant_id = $1 ORDER BY code",
        )
        .arg(tenant.0)
        .fetch_all(DB::pool(&self.read))
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Warehouse {
                    id: WarehouseId(r.col("id")?),
                    tenant_id: TenantId(r.col("tenant_id")?),
                    code: r.col("code")?,
                    name: r.col("name")?,
                    time_zone: r.col("time_zone")?,
                })
            })
            .collect()
    }

    async fn customers(
        &self,
        tenant: TenantId,
        after: Option<CustomerId>,
        limit: u32,
    ) -> Result<Vec<Customer>> {
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT id, tenant_id, name, email, phone FROM customers WHERE tenant_id = ",
        );
        qb.push_arg(tenant.0);
        if let Some(a) = after {
            qb.push(" AND id < ").push_arg(a.0);
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_arg(limit as i64);
        fetch_rows(qb.build(), &self.read, |r| {
            Ok(Customer {
                id: CustomerId(r.col("id")?),
                tenant_id: TenantId(r.col("tenant_id")?),
                name: r.col("name")?,
                email: r.col("email")?,
                phone: r.col("phone")?,
            })
        })
        .await
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> PartyTx for SqlTx<DB> {
    async fn insert_carrier(&mut self, c: &Carrier) -> Result<()> {
        sqlx::query(
            "INSERT INTO carriers (tenant_id, id, name, scac, mode) VALUES ($1, $2, $3, $4, $5)",
        )
        .arg(c.tenant_id.0)
        .arg(c.id.0)
        .arg(c.name.clone())
        .arg(c.scac.clone())
        .arg(c.mode.as_str())
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }

    async fn insert_warehouse(&mut self, w: &Warehouse) -> Result<()> {
        sqlx::query(
            "INSERT INTO warehouses (tenant_id, id, code, name, time_zone) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .arg(w.tenant_id.0)
        .arg(w.id.0)
        .arg(w.code.clone())
        .arg(w.name.clone())
        .arg(w.time_zone.clone())
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }

    async fn upsert_customers(
        &mut self,
        tenant: TenantId,
        customers: &[CustomerInfo],
        new_id: &mut (dyn FnMut() -> CustomerId + Send),
    ) -> Result<Vec<CustomerId>> {
        // One row per distinct key: PostgreSQL refuses an upsert that touches a row twice.
        let mut distinct: Vec<(String, &CustomerInfo)> = Vec::new();
        let mut seen = HashSet::new();
        for c in customers {
            let k = c.key();
            if seen.insert(k.clone()) {
                distinct.push((k, c));
            }
        }
        let mut ids: HashMap<String, CustomerId> = HashMap::with_capacity(distinct.len());
        for chunk in distinct.chunks(chunk_rows(6)) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO customers (tenant_id, id, customer_key, name, email, phone) ",
            );
            qb.push_values(chunk, |mut b, (k, c)| {
                b.push_arg(tenant.0)
                    .push_arg(new_id().0)
                    .push_arg(k.clone())
                    .push_arg(c.name.clone())
                    .push_arg(c.email.clone())
                    .push_arg(c.phone.clone());
            });
            qb.push(
                " ON CONFLICT (tenant_id, customer_key) DO UPDATE SET name = excluded.name, email \
                 = COALESCE(excluded.email, customers.email), phone = COALESCE(excluded.phone, \
                 customers.phone) RETURNING customer_key, id",
            );
            for r in qb.build().fetch_all(DB::conn(&mut self.tx)).await? {
                ids.insert(r.col("customer_key")?, CustomerId(r.col("id")?));
            }
        }
        customers
            .iter()
            .map(|c| {
                ids.get(&c.key())
                    .copied()
                    .ok_or_else(|| StoreError::Corrupt("customer upsert lost a row".into()))
            })
            .collect()
    }
}
