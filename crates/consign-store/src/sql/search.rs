//! [`SearchStore`] in shared SQL. Exact references go through the `UPPER(…)` expression
//! indexes of migration 0020; a part of a tracking number or of a name is a `LIKE '%…%'`
//! scan of the tenants' rows (no index serves an infix on both engines without an
//! extension), bounded by its `LIMIT`.

use super::dialect::{Dialect, PushArg, RowExt};
use super::{SqlStore, like_prefix};
use crate::Result;
use crate::search::{Found, FoundKind, PART_MIN, SearchStore};
use consign_core::ids::TenantId;
use sqlx::QueryBuilder;
use uuid::Uuid;

fn tenants_in<DB: Dialect>(qb: &mut QueryBuilder<DB>, col: &str, tenants: &[TenantId]) {
    qb.push(format!("{col} IN (NULL"));
    for t in tenants {
        qb.push(", ").push_arg(t.0);
    }
    qb.push(")");
}

/// `col LIKE pattern`, case-insensitive on both engines: SQLite's `LIKE` ignores ASCII case
/// already, PostgreSQL's `ILIKE` any case.
fn like<DB: Dialect>(qb: &mut QueryBuilder<DB>, col: &str, pattern: String) {
    let op = match DB::ENGINE {
        crate::Engine::Sqlite => "LIKE",
        crate::Engine::Postgres => "ILIKE",
    };
    qb.push(format!(" {col} {op} "))
        .push_arg(pattern)
        .push(" ESCAPE '\\'");
}

/// Appends what names a record: either reference column equal to `exact` (upper-cased, as
/// the indexes hold them), or else `part_col` containing `part`. False when neither is given.
fn named<DB: Dialect>(
    qb: &mut QueryBuilder<DB>,
    exact_cols: &[&str],
    part_col: &str,
    exact: Option<&str>,
    part: Option<String>,
) -> bool {
    match (exact, part) {
        (Some(x), _) => {
            for (i, col) in exact_cols.iter().enumerate() {
                qb.push(format!(
                    "{} UPPER({col}) = ",
                    if i == 0 { " AND (" } else { " OR" }
                ))
                .push_arg(x.to_string());
            }
            qb.push(")");
            true
        }
        (None, Some(p)) => {
            qb.push(" AND");
            like(qb, part_col, p);
            true
        }
        (None, None) => false,
    }
}

impl<DB: Dialect> SqlStore<DB> {
    async fn shipments_named(
        &self,
        tenants: &[TenantId],
        exact: Option<&str>,
        part: Option<String>,
        limit: u32,
    ) -> Result<Vec<Found>> {
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT s.tenant_id, s.id, s.number, s.tracking_number, s.pro_number, s.bol_number, \
             s.carrier_id, t.status \
             FROM shipments s JOIN shipment_tracking t \
             ON t.tenant_id = s.tenant_id AND t.shipment_id = s.id WHERE ",
        );
        tenants_in(&mut qb, "s.tenant_id", tenants);
        if !named(
            &mut qb,
            &[
                "s.number",
                "s.tracking_number",
                "s.pro_number",
                "s.bol_number",
            ],
            "s.tracking_number",
            exact,
            part,
        ) {
            return Ok(Vec::new());
        }
        qb.push(" ORDER BY s.created_at DESC, s.id DESC LIMIT ")
            .push_arg(limit as i64);
        qb.build()
            .fetch_all(DB::pool(&self.read))
            .await?
            .iter()
            .map(|r| {
                Ok(Found {
                    tenant: TenantId(r.col("tenant_id")?),
                    kind: FoundKind::Shipment,
                    id: r.col::<Uuid>("id")?,
                    number: r.col("number")?,
                    detail: {
                        let mut d = format!("tracking {}", r.col::<String>("tracking_number")?);
                        if let Some(p) = r.col::<Option<String>>("pro_number")? {
                            d.push_str(&format!(" · PRO {p}"));
                        }
                        if let Some(b) = r.col::<Option<String>>("bol_number")? {
                            d.push_str(&format!(" · BOL {b}"));
                        }
                        d
                    },
                    status: r.col("status")?,
                    carrier: Some(r.col::<Uuid>("carrier_id")?),
                })
            })
            .collect()
    }

    async fn orders_named(
        &self,
        tenants: &[TenantId],
        exact: Option<&str>,
        part: Option<String>,
        limit: u32,
    ) -> Result<Vec<Found>> {
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT o.tenant_id, o.id, o.number, o.external_ref, o.status, c.name \
             FROM orders o JOIN customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id \
             WHERE ",
        );
        tenants_in(&mut qb, "o.tenant_id", tenants);
        if !named(
            &mut qb,
            &["o.number", "o.external_ref"],
            "c.name",
            exact,
            part,
        ) {
            return Ok(Vec::new());
        }
        qb.push(" ORDER BY o.ordered_at DESC, o.id DESC LIMIT ")
            .push_arg(limit as i64);
        qb.build()
            .fetch_all(DB::pool(&self.read))
            .await?
            .iter()
            .map(|r| {
                Ok(Found {
                    tenant: TenantId(r.col("tenant_id")?),
                    kind: FoundKind::Order,
                    id: r.col::<Uuid>("id")?,
                    number: r.col("number")?,
                    detail: format!(
                        "reference {} · {}",
                        r.col::<String>("external_ref")?,
                        r.col::<String>("name")?
                    ),
                    status: r.col("status")?,
                    carrier: None,
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> SearchStore for SqlStore<DB> {
    async fn find_references(
        &self,
        tenants: &[TenantId],
        text: &str,
        limit: u32,
    ) -> Result<Vec<Found>> {
        let text = text.trim();
        if tenants.is_empty() || text.is_empty() {
            return Ok(Vec::new());
        }
        // Numbers and references are ASCII: compared upper-cased, through the indexes.
        let exact = text.to_ascii_uppercase();
        let mut found = self
            .shipments_named(tenants, Some(&exact), None, limit)
            .await?;
        found.extend(
            self.orders_named(tenants, Some(&exact), None, limit)
                .await?,
        );
        // Nothing named exactly: a part of a tracking number or of a customer's name.
        if found.is_empty() && text.chars().count() >= PART_MIN {
            let part = format!("%{}", like_prefix(text));
            found = self
                .shipments_named(tenants, None, Some(part.clone()), limit)
                .await?;
            found.extend(self.orders_named(tenants, None, Some(part), limit).await?);
        }
        Ok(found)
    }
}
