//! [`SearchStore`] in shared SQL. Exact references go through the `UPPER(…)` expression
//! indexes of migration 0020; a part of a tracking number or of a name is a `LIKE '%…%'`
//! scan of the tenants' rows (no index serves an infix on both engines without an
//! extension), bounded by its `LIMIT`.

use super::dialect::{Dialect, PushArg, RowExt};
use super::{SqlStore, fetch_rows, like_prefix};
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

/// A kind of record the search finds: its query, the columns that name it exactly (upper-cased
/// in the indexes), the column a part of a name is looked for in, and its newest-first order.
struct Searched {
    select: &'static str,
    tenant_col: &'static str,
    exact_cols: &'static [&'static str],
    part_col: &'static str,
    newest_first: &'static str,
}

const SHIPMENTS: Searched = Searched {
    select: "SELECT s.tenant_id, s.id, s.number, s.tracking_number, s.pro_number, s.bol_number, \
             s.carrier_id, t.status \
             FROM shipments s JOIN shipment_tracking t \
             ON t.tenant_id = s.tenant_id AND t.shipment_id = s.id WHERE ",
    tenant_col: "s.tenant_id",
    exact_cols: &[
        "s.number",
        "s.tracking_number",
        "s.pro_number",
        "s.bol_number",
    ],
    part_col: "s.tracking_number",
    newest_first: "s.created_at DESC, s.id DESC",
};

const ORDERS: Searched = Searched {
    select: "SELECT o.tenant_id, o.id, o.number, o.external_ref, o.status, c.name \
             FROM orders o JOIN customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id \
             WHERE ",
    tenant_col: "o.tenant_id",
    exact_cols: &["o.number", "o.external_ref"],
    part_col: "c.name",
    newest_first: "o.ordered_at DESC, o.id DESC",
};

/// Reads a found record from its kind's row.
type FoundRow<DB> = fn(&<DB as sqlx::Database>::Row) -> Result<Found>;

fn shipment_found<DB: Dialect>(r: &DB::Row) -> Result<Found> {
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
}

fn order_found<DB: Dialect>(r: &DB::Row) -> Result<Found> {
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
}

impl<DB: Dialect> SqlStore<DB> {
    /// Shipments, then orders, in `tenants` named by `exact` or, without it, by `part`: each
    /// kind newest first, at most `limit` of each.
    async fn records_named(
        &self,
        tenants: &[TenantId],
        exact: Option<&str>,
        part: Option<String>,
        limit: u32,
    ) -> Result<Vec<Found>> {
        let kinds: [(&Searched, FoundRow<DB>); 2] = [
            (&SHIPMENTS, shipment_found::<DB>),
            (&ORDERS, order_found::<DB>),
        ];
        let mut out = Vec::new();
        for (kind, found) in kinds {
            let mut qb = QueryBuilder::<DB>::new(kind.select);
            tenants_in(&mut qb, kind.tenant_col, tenants);
            if !named(&mut qb, kind.exact_cols, kind.part_col, exact, part.clone()) {
                continue;
            }
            qb.push(format!(" ORDER BY {} LIMIT ", kind.newest_first))
                .push_arg(limit as i64);
            out.extend(fetch_rows(qb.build(), &self.read, found).await?);
        }
        Ok(out)
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
            .records_named(tenants, Some(&exact), None, limit)
            .await?;
        // Nothing named exactly: a part of a tracking number or of a customer's name.
        if found.is_empty() && text.chars().count() >= PART_MIN {
            let part = format!("%{}", like_prefix(text));
            found = self.records_named(tenants, None, Some(part), limit).await?;
        }
        Ok(found)
    }
}
