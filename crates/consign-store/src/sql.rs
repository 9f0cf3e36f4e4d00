//! The SQL both engines share. The schema is column-for-column the same on SQLite and
//! PostgreSQL and `$N` placeholders work on both, so the query code is written once and
//! expanded for each engine's concrete types by `impl_sql_store!`; only connection setup,
//! migrations, transaction start and row locking differ (see `sqlite.rs`, `postgres.rs`).

use crate::{Result, StoreError};
use consign_core::time::from_micros;
use jiff::Timestamp;

pub(crate) fn ts(us: i64) -> Timestamp {
    from_micros(us)
}

pub(crate) fn ots(us: Option<i64>) -> Option<Timestamp> {
    us.map(from_micros)
}

pub(crate) fn us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn ous(t: Option<Timestamp>) -> Option<i64> {
    t.map(us)
}

/// A reservation's attempt number: 64 random bits (std's per-process random hash keys over a
/// counter and the clock), so two takeovers of one key never share a number.
pub(crate) fn new_attempt() -> i64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    static KEYS: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    let mut h = KEYS.get_or_init(Default::default).build_hasher();
    h.write_u64(SEQ.fetch_add(1, Ordering::Relaxed));
    h.write_i128(Timestamp::now().as_nanosecond());
    h.finish() as i64
}

/// Stores a request's answer under its key, only while the reservation is still this
/// attempt's (see [`crate::KeyState::Reserved`]).
pub(crate) const COMPLETE_KEY: &str = "UPDATE idempotency_keys \
     SET status_code = $4, content_type = $5, response_body = $6 \
     WHERE scope = $1 AND idem_key = $2 AND attempt = $3 AND status_code IS NULL";

pub(crate) fn json_col<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Only the time zone of a stored place: the rule engine reads it for every judged event, and
/// parsing the whole place (names, address lines) would allocate each of them.
#[derive(serde::Deserialize)]
pub(crate) struct DestinationZone {
    pub time_zone: String,
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain types serialise to JSON")
}

pub(crate) fn parsed<T>(r: std::result::Result<T, String>) -> Result<T> {
    r.map_err(StoreError::Corrupt)
}

/// Escapes LIKE wildcards so a search for `50%_OFF` matches literally.
pub(crate) fn like_prefix(q: &str) -> String {
    let mut s = String::with_capacity(q.len() + 1);
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// Rows per multi-row INSERT: under SQLite's 32766 and PostgreSQL's 65535 bind limits.
pub(crate) fn chunk_rows(columns: usize) -> usize {
    (30_000 / columns).max(1)
}

/// The `SET` list of the tracking update, shared by both engines' statements; `v` names the
/// incoming value of a column (`updated_at` is set by each statement itself). `due_at`, the
/// sweep's index, keeps an earlier instant still owed a check: ingest never moves it later.
/// Without `indexed`, the list leaves out the columns that indexes hold (`status`, `due_at`),
/// for rows where they keep their values (`tracking_keys_kept`).
pub(crate) fn tracking_update_set(v: impl Fn(&str) -> String, indexed: bool) -> String {
    let mut set: Vec<String> = [
        "status",
        "status_at",
        "reason",
        "accountable",
        "eta",
        "eta_at",
        "last_event_at",
        "picked_up_at",
        "delivered_at",
        "next_check_at",
        "pod_attached",
        "documents_complete",
        "open_cases",
    ]
    .iter()
    .filter(|c| indexed || **c != "status")
    .map(|c| format!("{c} = {}", v(c)))
    .collect();
    if indexed {
        set.push(format!("due_at = {}", new_due_at(&v("next_check_at"))));
    }
    set.join(", ")
}

/// The `due_at` a tracking update leaves, given the incoming `next_check_at`.
fn new_due_at(next: &str) -> String {
    format!(
        "CASE WHEN shipment_tracking.due_at IS NOT NULL AND ({next} IS NULL OR shipment_tracking.due_at <= {next}) \
         THEN shipment_tracking.due_at ELSE {next} END"
    )
}

/// True (in SQL) for a tracking row whose indexed columns the update leaves as they are: the
/// same status, and a `due_at` that stays.
pub(crate) fn tracking_keys_kept(v: impl Fn(&str) -> String) -> String {
    format!(
        "shipment_tracking.status = {} AND ({}) IS shipment_tracking.due_at",
        v("status"),
        new_due_at(&v("next_check_at"))
    )
}

/// Rows up to which a multi-row statement is sent whole, whatever its exact size.
const EXACT_ROWS: usize = 128;

/// Splits `items` into chunks of `max`; a remainder of up to [`EXACT_ROWS`] stays whole, a
/// larger one goes in powers of two (300 rows: 256, 32, 8, 4). A multi-row statement's text
/// depends on its row count and the drivers cache prepared statements by text (capacity set
/// in `sqlite.rs` and `postgres.rs`): small batches (group commits of webhooks) take one
/// statement from a bounded set of sizes, and bulk batches a handful of sizes.
pub(crate) fn sized_chunks<T>(items: &[T], max: usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let n = if rest.len() >= max {
            max
        } else if rest.len() <= EXACT_ROWS {
            rest.len()
        } else {
            1 << (usize::BITS - 1 - rest.len().leading_zeros())
        };
        let (a, b) = rest.split_at(n);
        out.push(a);
        rest = b;
    }
    out
}

macro_rules! impl_sql_store {
    ($store:ident, $tx:ident, $db:ty, $engine:expr, for_update = $for_update:literal) => {
        use crate::sql::{chunk_rows, json_col, like_prefix, new_attempt, ots, ous, parsed, sized_chunks, to_json, ts, us, COMPLETE_KEY};
        use crate::*;
        use consign_core::access::{ApiToken, Role, User};
        use consign_core::audit::{AuditEntry, AuditRecord};
        use consign_core::edi::{Direction as EdiDirection, InterchangeRecord, OutboundGroup, PartnerKind, SetRecord, TradingPartner};
        use consign_core::money::{Currency, from_minor, to_minor};
        use consign_core::order::{Channel, CustomerInfo, Order, OrderChange, OrderLine, OrderStatus};
        use consign_core::party::{Carrier, Customer, Mode, Warehouse};
        use consign_core::shipment::{Direction, Document, DocumentKind, Shipment, ShipmentLine, ShipmentStatus};
        use consign_core::tenant::Tenant;
        use sqlx::{QueryBuilder, Row};
        use std::collections::{HashMap, HashSet};
        use uuid::Uuid;

        type DbRow = <$db as sqlx::Database>::Row;

        const USER_COLS: &str = "u.id, u.email, u.name, u.role, u.carrier_id, u.created_at, u.disabled";
        const ORDER_COLS: &str = "id, number, external_ref, customer_id, customer_json, ship_to_json, channel, currency, promised_by, status, ordered_at, created_at, updated_at, version, tenant_id";
        // A shipment's status and milestones live in `shipment_tracking` (written by every event;
        // see migration 0004), the rest in `shipments` (written when the shipment is).
        const SHIPMENT_COLS: &str = "s.id, s.number, s.carrier_id, s.service_level, s.tracking_number, s.direction, s.order_id, \
            s.origin_json, s.destination_json, s.weight_g, s.pieces, s.planned_pickup_at, s.promised_by, s.international, \
            s.pod_required, t.status, t.picked_up_at, t.delivered_at, s.created_at, \
            CASE WHEN t.updated_at > s.updated_at THEN t.updated_at ELSE s.updated_at END AS updated_at, s.tenant_id";
        const SHIPMENT_FROM: &str = " FROM shipments s JOIN shipment_tracking t ON t.tenant_id = s.tenant_id AND t.shipment_id = s.id";
        const TOKEN_COLS: &str = "id, name, role, tenant_id, carrier_id, scopes, created_at, created_by, revoked_at, expires_at";
        const DOC_COLS: &str = "id, tenant_id, shipment_id, kind, filename, content_type, sha256, size_bytes, uploaded_at, uploaded_by";
        const AUDIT_COLS: &str = "seq, tenant_id, at, actor, entity, entity_id, action, before_json, after_json, prev_hash, hash";

        const ORDER_LINES_HEAD: &str =
            "SELECT order_id, line_no, sku, description, quantity, unit_price_minor FROM order_lines WHERE tenant_id = ";

        /// Puts order-line rows (`ORDER_LINES_HEAD`) under their orders.
        fn attach_order_lines(orders: &mut [Order], rows: &[DbRow]) -> Result<()> {
            let index: HashMap<Uuid, usize> = orders.iter().enumerate().map(|(i, o)| (o.id.0, i)).collect();
            for r in rows {
                let oid: Uuid = r.try_get("order_id")?;
                let Some(&i) = index.get(&oid) else { continue };
                let o = &mut orders[i];
                let line_no: i64 = r.try_get("line_no")?;
                let qty: i64 = r.try_get("quantity")?;
                let price: i64 = r.try_get("unit_price_minor")?;
                o.lines.push(OrderLine {
                    line_no: line_no as u32,
                    sku: r.try_get("sku")?,
                    description: r.try_get("description")?,
                    quantity: qty as u32,
                    unit_price: from_minor(price, &o.currency),
                });
            }
            Ok(())
        }

        /// Shipped and delivered quantities per order line, from outbound shipments that are
        /// not cancelled (delivered: their tracking state has a delivery). The caller adds the
        /// order condition between head and tail.
        const FULFILMENT_HEAD: &str = "SELECT s.order_id, sl.line_no, CAST(SUM(sl.quantity) AS BIGINT) AS shipped, \
             CAST(SUM(CASE WHEN t.delivered_at IS NOT NULL THEN sl.quantity ELSE 0 END) AS BIGINT) AS delivered \
             FROM shipment_lines sl JOIN shipments s ON s.tenant_id = sl.tenant_id AND s.id = sl.shipment_id \
             JOIN shipment_tracking t ON t.tenant_id = s.tenant_id AND t.shipment_id = s.id \
             WHERE sl.tenant_id = ";
        const FULFILMENT_TAIL: &str = " AND s.direction = 'outbound' AND t.status <> 'cancelled' GROUP BY s.order_id, sl.line_no";

        fn fold_fulfilment(rows: &[DbRow], out: &mut HashMap<OrderId, (Vec<u32>, Vec<u32>)>) -> Result<()> {
            for r in rows {
                let order = OrderId(r.try_get("order_id")?);
                let line: i64 = r.try_get("line_no")?;
                let i = (line.max(1) - 1) as usize;
                let (shipped, delivered) = out.entry(order).or_default();
                if shipped.len() <= i {
                    shipped.resize(i + 1, 0);
                    delivered.resize(i + 1, 0);
                }
                shipped[i] = r.try_get::<i64, _>("shipped")? as u32;
                delivered[i] = r.try_get::<i64, _>("delivered")? as u32;
            }
            Ok(())
        }

        fn tenant_row(r: &DbRow) -> Result<Tenant> {
            Ok(Tenant {
                id: TenantId(r.try_get("id")?),
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                time_zone: r.try_get("time_zone")?,
                created_at: ts(r.try_get("created_at")?),
            })
        }

        fn user_row(r: &DbRow, tenants: Vec<TenantId>) -> Result<User> {
            let role: String = r.try_get("role")?;
            Ok(User {
                id: UserId(r.try_get("id")?),
                email: r.try_get("email")?,
                name: r.try_get("name")?,
                role: parsed(role.parse::<Role>())?,
                tenants,
                carrier_id: r.try_get::<Option<Uuid>, _>("carrier_id")?.map(CarrierId),
                created_at: ts(r.try_get("created_at")?),
                disabled: r.try_get("disabled")?,
            })
        }

        fn token_row(r: &DbRow) -> Result<ApiToken> {
            let role: String = r.try_get("role")?;
            let scopes: Option<String> = r.try_get("scopes")?;
            Ok(ApiToken {
                id: TokenId(r.try_get("id")?),
                name: r.try_get("name")?,
                role: parsed(role.parse::<Role>())?,
                tenant_id: r.try_get::<Option<Uuid>, _>("tenant_id")?.map(TenantId),
                carrier_id: r.try_get::<Option<Uuid>, _>("carrier_id")?.map(CarrierId),
                scopes: scopes.map(|s| s.split_whitespace().map(String::from).collect()),
                created_at: ts(r.try_get("created_at")?),
                created_by: r.try_get("created_by")?,
                revoked_at: ots(r.try_get("revoked_at")?),
                expires_at: ots(r.try_get("expires_at")?),
            })
        }

        fn carrier_row(r: &DbRow) -> Result<Carrier> {
            let mode: String = r.try_get("mode")?;
            Ok(Carrier {
                id: CarrierId(r.try_get("id")?),
                tenant_id: TenantId(r.try_get("tenant_id")?),
                name: r.try_get("name")?,
                scac: r.try_get("scac")?,
                mode: parsed(Mode::parse(&mode))?,
            })
        }

        fn order_row(r: &DbRow) -> Result<Order> {
            let channel: String = r.try_get("channel")?;
            let status: String = r.try_get("status")?;
            let currency: String = r.try_get("currency")?;
            let customer_json: String = r.try_get("customer_json")?;
            let ship_to_json: String = r.try_get("ship_to_json")?;
            Ok(Order {
                id: OrderId(r.try_get("id")?),
                tenant_id: TenantId(r.try_get("tenant_id")?),
                number: r.try_get("number")?,
                external_ref: r.try_get("external_ref")?,
                customer_id: CustomerId(r.try_get("customer_id")?),
                customer: json_col(&customer_json, "orders.customer_json")?,
                ship_to: json_col(&ship_to_json, "orders.ship_to_json")?,
                channel: parsed(Channel::parse(&channel))?,
                currency: parsed(Currency::parse(&currency))?,
                lines: Vec::new(),
                promised_by: ots(r.try_get("promised_by")?),
                status: parsed(OrderStatus::parse(&status))?,
                ordered_at: ts(r.try_get("ordered_at")?),
                created_at: ts(r.try_get("created_at")?),
                updated_at: ts(r.try_get("updated_at")?),
                version: r.try_get("version")?,
            })
        }

        fn shipment_row(r: &DbRow) -> Result<Shipment> {
            let direction: String = r.try_get("direction")?;
            let status: String = r.try_get("status")?;
            let origin: String = r.try_get("origin_json")?;
            let destination: String = r.try_get("destination_json")?;
            let weight_g: i64 = r.try_get("weight_g")?;
            let pieces: i64 = r.try_get("pieces")?;
            Ok(Shipment {
                id: ShipmentId(r.try_get("id")?),
                tenant_id: TenantId(r.try_get("tenant_id")?),
                number: r.try_get("number")?,
                carrier_id: CarrierId(r.try_get("carrier_id")?),
                service_level: r.try_get("service_level")?,
                tracking_number: r.try_get("tracking_number")?,
                direction: parsed(Direction::parse(&direction))?,
                order_id: r.try_get::<Option<Uuid>, _>("order_id")?.map(OrderId),
                lines: Vec::new(),
                origin: json_col(&origin, "shipments.origin_json")?,
                destination: json_col(&destination, "shipments.destination_json")?,
                weight_kg: rust_decimal::Decimal::new(weight_g, 3).normalize(),
                pieces: pieces as u32,
                planned_pickup_at: ots(r.try_get("planned_pickup_at")?),
                promised_by: ots(r.try_get("promised_by")?),
                international: r.try_get("international")?,
                pod_required: r.try_get("pod_required")?,
                status: parsed(ShipmentStatus::parse(&status))?,
                picked_up_at: ots(r.try_get("picked_up_at")?),
                delivered_at: ots(r.try_get("delivered_at")?),
                created_at: ts(r.try_get("created_at")?),
                updated_at: ts(r.try_get("updated_at")?),
            })
        }

        fn document_row(r: &DbRow) -> Result<Document> {
            let kind: String = r.try_get("kind")?;
            let size: i64 = r.try_get("size_bytes")?;
            Ok(Document {
                id: DocumentId(r.try_get("id")?),
                tenant_id: TenantId(r.try_get("tenant_id")?),
                shipment_id: ShipmentId(r.try_get("shipment_id")?),
                kind: parsed(DocumentKind::parse(&kind))?,
                filename: r.try_get("filename")?,
                content_type: r.try_get("content_type")?,
                sha256: r.try_get("sha256")?,
                size_bytes: size as u64,
                uploaded_at: ts(r.try_get("uploaded_at")?),
                uploaded_by: r.try_get("uploaded_by")?,
            })
        }

        fn hash32(v: Vec<u8>) -> Result<[u8; 32]> {
            v.try_into().map_err(|_| StoreError::Corrupt("audit hash is not 32 bytes".into()))
        }

        fn audit_row(r: &DbRow) -> Result<AuditRecord> {
            Ok(AuditRecord {
                seq: r.try_get("seq")?,
                entry: AuditEntry {
                    tenant_id: r.try_get::<Option<Uuid>, _>("tenant_id")?.map(TenantId),
                    at: ts(r.try_get("at")?),
                    actor: r.try_get("actor")?,
                    entity: r.try_get("entity")?,
                    entity_id: r.try_get("entity_id")?,
                    action: r.try_get("action")?,
                    before: r.try_get("before_json")?,
                    after: r.try_get("after_json")?,
                },
                prev_hash: hash32(r.try_get("prev_hash")?)?,
                hash: hash32(r.try_get("hash")?)?,
            })
        }

        impl $store {
            async fn user_tenants(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<TenantId>>> {
                let mut map: HashMap<Uuid, Vec<TenantId>> = HashMap::new();
                if ids.is_empty() {
                    return Ok(map);
                }
                let mut qb = QueryBuilder::<$db>::new("SELECT user_id, tenant_id FROM user_tenants WHERE user_id IN (");
                let mut sep = qb.separated(", ");
                for id in ids {
                    sep.push_bind(*id);
                }
                qb.push(") ORDER BY user_id, tenant_id");
                for r in qb.build().fetch_all(&self.read).await? {
                    map.entry(r.try_get("user_id")?).or_default().push(TenantId(r.try_get("tenant_id")?));
                }
                Ok(map)
            }

            async fn users_from_rows(&self, rows: Vec<DbRow>) -> Result<Vec<User>> {
                let ids: Vec<Uuid> = rows.iter().map(|r| r.try_get("id")).collect::<std::result::Result<_, _>>()?;
                let mut grants = self.user_tenants(&ids).await?;
                rows.iter()
                    .zip(ids)
                    .map(|(r, id)| user_row(r, grants.remove(&id).unwrap_or_default()))
                    .collect()
            }

            /// Attaches order lines to orders with one query for the whole page (no N+1).
            async fn with_order_lines(&self, tenant: TenantId, mut orders: Vec<Order>) -> Result<Vec<Order>> {
                if orders.is_empty() {
                    return Ok(orders);
                }
                let mut qb = QueryBuilder::<$db>::new(ORDER_LINES_HEAD);
                qb.push_bind(tenant.0).push(" AND order_id IN (");
                let mut sep = qb.separated(", ");
                for o in &orders {
                    sep.push_bind(o.id.0);
                }
                qb.push(") ORDER BY order_id, line_no");
                let rows = qb.build().fetch_all(&self.read).await?;
                attach_order_lines(&mut orders, &rows)?;
                Ok(orders)
            }

            async fn with_shipment_lines(&self, tenant: TenantId, mut shipments: Vec<Shipment>) -> Result<Vec<Shipment>> {
                if shipments.is_empty() {
                    return Ok(shipments);
                }
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT shipment_id, line_no, quantity FROM shipment_lines WHERE tenant_id = ",
                );
                qb.push_bind(tenant.0).push(" AND shipment_id IN (");
                let mut sep = qb.separated(", ");
                for s in &shipments {
                    sep.push_bind(s.id.0);
                }
                qb.push(") ORDER BY shipment_id, line_no");
                let rows = qb.build().fetch_all(&self.read).await?;
                let index: HashMap<Uuid, usize> = shipments.iter().enumerate().map(|(i, s)| (s.id.0, i)).collect();
                for r in rows {
                    let sid: Uuid = r.try_get("shipment_id")?;
                    let Some(&i) = index.get(&sid) else { continue };
                    let line_no: i64 = r.try_get("line_no")?;
                    let qty: i64 = r.try_get("quantity")?;
                    shipments[i].lines.push(ShipmentLine { line_no: line_no as u32, quantity: qty as u32 });
                }
                Ok(shipments)
            }
        }

        #[async_trait::async_trait]
        impl TenantStore for $store {
            async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>> {
                sqlx::query("SELECT id, slug, name, time_zone, created_at FROM tenants WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| tenant_row(&r))
                    .transpose()
            }
            async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>> {
                sqlx::query("SELECT id, slug, name, time_zone, created_at FROM tenants WHERE slug = $1")
                    .bind(slug.to_string())
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| tenant_row(&r))
                    .transpose()
            }
            async fn tenants(&self) -> Result<Vec<Tenant>> {
                sqlx::query("SELECT id, slug, name, time_zone, created_at FROM tenants ORDER BY slug")
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(tenant_row)
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl AccessStore for $store {
            async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>> {
                let sql = format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.email = $1");
                let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(email.trim().to_lowercase())
                    .fetch_optional(&self.read)
                    .await?
                else {
                    return Ok(None);
                };
                let hash: String = row.try_get("password_hash")?;
                let mut users = self.users_from_rows(vec![row]).await?;
                Ok(users.pop().map(|u| (u, hash)))
            }
            async fn user(&self, id: UserId) -> Result<Option<User>> {
                let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_all(&self.read).await?;
                Ok(self.users_from_rows(rows).await?.pop())
            }
            async fn users(&self) -> Result<Vec<User>> {
                let sql = format!("SELECT {USER_COLS} FROM users u ORDER BY u.email");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.read).await?;
                self.users_from_rows(rows).await
            }
            async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<ApiToken>> {
                let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(hash.to_vec())
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| token_row(&r))
                    .transpose()
            }
            async fn tokens(&self) -> Result<Vec<ApiToken>> {
                let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens ORDER BY id");
                sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.read).await?.iter().map(token_row).collect()
            }
            async fn session(&self, hash: &[u8], now: Timestamp) -> Result<Option<(User, String)>> {
                let sql = format!(
                    "SELECT {USER_COLS}, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2"
                );
                let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(hash.to_vec())
                    .bind(us(now))
                    .fetch_optional(&self.read)
                    .await?
                else {
                    return Ok(None);
                };
                let csrf: String = row.try_get("csrf_token")?;
                Ok(self.users_from_rows(vec![row]).await?.pop().map(|u| (u, csrf)))
            }
        }

        #[async_trait::async_trait]
        impl PartyStore for $store {
            async fn carriers(&self, tenant: TenantId) -> Result<Vec<Carrier>> {
                sqlx::query("SELECT id, tenant_id, name, scac, mode FROM carriers WHERE tenant_id = $1 ORDER BY name")
                    .bind(tenant.0)
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(carrier_row)
                    .collect()
            }
            async fn warehouses(&self, tenant: TenantId) -> Result<Vec<Warehouse>> {
                let rows = sqlx::query(
                    "SELECT id, tenant_id, code, name, time_zone FROM warehouses WHERE tenant_id = $1 ORDER BY code",
                )
                .bind(tenant.0)
                .fetch_all(&self.read)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Warehouse {
                            id: WarehouseId(r.try_get("id")?),
                            tenant_id: TenantId(r.try_get("tenant_id")?),
                            code: r.try_get("code")?,
                            name: r.try_get("name")?,
                            time_zone: r.try_get("time_zone")?,
                        })
                    })
                    .collect()
            }
            async fn customers(&self, tenant: TenantId, after: Option<CustomerId>, limit: u32) -> Result<Vec<Customer>> {
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT id, tenant_id, name, email, phone FROM customers WHERE tenant_id = ",
                );
                qb.push_bind(tenant.0);
                if let Some(a) = after {
                    qb.push(" AND id < ").push_bind(a.0);
                }
                qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit as i64);
                qb.build()
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok(Customer {
                            id: CustomerId(r.try_get("id")?),
                            tenant_id: TenantId(r.try_get("tenant_id")?),
                            name: r.try_get("name")?,
                            email: r.try_get("email")?,
                            phone: r.try_get("phone")?,
                        })
                    })
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl OrderStore for $store {
            async fn order(&self, tenant: TenantId, id: OrderId) -> Result<Option<Order>> {
                let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE tenant_id = $1 AND id = $2");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.0).bind(id.0).fetch_all(&self.read).await?;
                let orders = rows.iter().map(order_row).collect::<Result<Vec<_>>>()?;
                Ok(self.with_order_lines(tenant, orders).await?.pop())
            }
            async fn order_by_ref(&self, tenant: TenantId, reference: &str) -> Result<Option<Order>> {
                let sql = format!(
                    "SELECT {ORDER_COLS} FROM orders WHERE tenant_id = $1 AND external_ref = $2 \
                     UNION ALL SELECT {ORDER_COLS} FROM orders WHERE tenant_id = $1 AND number = $2 LIMIT 1"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .bind(reference.to_string())
                    .fetch_all(&self.read)
                    .await?;
                let orders = rows.iter().map(order_row).collect::<Result<Vec<_>>>()?;
                Ok(self.with_order_lines(tenant, orders).await?.pop())
            }
            async fn orders(&self, tenant: TenantId, f: &OrderFilter) -> Result<Vec<Order>> {
                let mut qb = QueryBuilder::<$db>::new(format!("SELECT {ORDER_COLS} FROM orders WHERE tenant_id = "));
                qb.push_bind(tenant.0);
                if let Some(s) = f.status {
                    qb.push(" AND status = ").push_bind(s.as_str());
                }
                if let Some(t) = f.ordered_from {
                    qb.push(" AND ordered_at >= ").push_bind(us(t));
                }
                if let Some(t) = f.ordered_to {
                    qb.push(" AND ordered_at < ").push_bind(us(t));
                }
                if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
                    qb.push(" AND (external_ref = ").push_bind(q.to_string());
                    qb.push(" OR number = ").push_bind(q.to_string());
                    qb.push(" OR external_ref LIKE ").push_bind(like_prefix(q)).push(" ESCAPE '\\')");
                }
                if let Some(a) = f.after {
                    qb.push(" AND id < ").push_bind(a.0);
                }
                qb.push(" ORDER BY id DESC LIMIT ").push_bind(f.limit as i64);
                let rows = qb.build().fetch_all(&self.read).await?;
                let orders = rows.iter().map(order_row).collect::<Result<Vec<_>>>()?;
                self.with_order_lines(tenant, orders).await
            }
            async fn order_changes(&self, tenant: TenantId, order: OrderId) -> Result<Vec<OrderChange>> {
                let rows = sqlx::query(
                    "SELECT id, order_id, kind, reason, request_json, actor, at FROM order_changes \
                     WHERE tenant_id = $1 AND order_id = $2 ORDER BY at, id",
                )
                .bind(tenant.0)
                .bind(order.0)
                .fetch_all(&self.read)
                .await?;
                rows.iter()
                    .map(|r| {
                        let req: String = r.try_get("request_json")?;
                        Ok(OrderChange {
                            id: r.try_get("id")?,
                            order_id: OrderId(r.try_get("order_id")?),
                            kind: r.try_get("kind")?,
                            reason: r.try_get("reason")?,
                            request: json_col(&req, "order_changes.request_json")?,
                            actor: r.try_get("actor")?,
                            at: ts(r.try_get("at")?),
                        })
                    })
                    .collect()
            }
            async fn orders_by_refs(&self, tenant: TenantId, refs: &[String]) -> Result<Vec<Order>> {
                let mut out = Vec::with_capacity(refs.len());
                for chunk in refs.chunks(chunk_rows(1)) {
                    let mut qb = QueryBuilder::<$db>::new(format!("SELECT {ORDER_COLS} FROM orders WHERE tenant_id = "));
                    qb.push_bind(tenant.0).push(" AND external_ref IN (");
                    let mut sep = qb.separated(", ");
                    for r in chunk {
                        sep.push_bind(r.clone());
                    }
                    qb.push(")");
                    let rows = qb.build().fetch_all(&self.read).await?;
                    let orders = rows.iter().map(order_row).collect::<Result<Vec<_>>>()?;
                    for part in orders.chunks(chunk_rows(1)) {
                        out.extend(self.with_order_lines(tenant, part.to_vec()).await?);
                    }
                }
                Ok(out)
            }
            async fn fulfilment_many(
                &self,
                tenant: TenantId,
                orders: &[OrderId],
            ) -> Result<HashMap<OrderId, (Vec<u32>, Vec<u32>)>> {
                let mut out: HashMap<OrderId, (Vec<u32>, Vec<u32>)> = HashMap::new();
                for chunk in orders.chunks(chunk_rows(1)) {
                    let mut qb = QueryBuilder::<$db>::new(FULFILMENT_HEAD);
                    qb.push_bind(tenant.0).push(" AND s.order_id IN (");
                    let mut sep = qb.separated(", ");
                    for o in chunk {
                        sep.push_bind(o.0);
                    }
                    qb.push(")").push(FULFILMENT_TAIL);
                    fold_fulfilment(&qb.build().fetch_all(&self.read).await?, &mut out)?;
                }
                Ok(out)
            }
            async fn existing_order_refs(&self, tenant: TenantId, refs: &[String]) -> Result<HashSet<String>> {
                let mut found = HashSet::new();
                for chunk in refs.chunks(chunk_rows(1)) {
                    let mut qb = QueryBuilder::<$db>::new("SELECT external_ref FROM orders WHERE tenant_id = ");
                    qb.push_bind(tenant.0).push(" AND external_ref IN (");
                    let mut sep = qb.separated(", ");
                    for r in chunk {
                        sep.push_bind(r.clone());
                    }
                    qb.push(")");
                    for r in qb.build().fetch_all(&self.read).await? {
                        found.insert(r.try_get("external_ref")?);
                    }
                }
                Ok(found)
            }
            async fn count_orders(&self, tenant: TenantId) -> Result<i64> {
                Ok(sqlx::query("SELECT COUNT(*) AS n FROM orders WHERE tenant_id = $1")
                    .bind(tenant.0)
                    .fetch_one(&self.read)
                    .await?
                    .try_get("n")?)
            }
        }

        #[async_trait::async_trait]
        impl ShipmentStore for $store {
            async fn shipment(&self, tenant: TenantId, id: ShipmentId) -> Result<Option<Shipment>> {
                let sql = format!("SELECT {SHIPMENT_COLS}{SHIPMENT_FROM} WHERE s.tenant_id = $1 AND s.id = $2");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.0).bind(id.0).fetch_all(&self.read).await?;
                let v = rows.iter().map(shipment_row).collect::<Result<Vec<_>>>()?;
                Ok(self.with_shipment_lines(tenant, v).await?.pop())
            }
            async fn shipments(&self, tenant: TenantId, f: &ShipmentFilter) -> Result<Vec<Shipment>> {
                let mut qb = QueryBuilder::<$db>::new(format!("SELECT {SHIPMENT_COLS}{SHIPMENT_FROM} WHERE s.tenant_id = "));
                qb.push_bind(tenant.0);
                if let Some(s) = f.status {
                    // Through `shipment_tracking_by_status`, newest first like the rest.
                    qb.push(" AND t.status = ").push_bind(s.as_str());
                }
                if let Some(c) = f.carrier {
                    qb.push(" AND s.carrier_id = ").push_bind(c.0);
                }
                if let Some(o) = f.order {
                    qb.push(" AND s.order_id = ").push_bind(o.0);
                }
                if let Some(t) = f.created_from {
                    qb.push(" AND s.created_at >= ").push_bind(us(t));
                }
                if let Some(t) = f.created_to {
                    qb.push(" AND s.created_at < ").push_bind(us(t));
                }
                if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
                    qb.push(" AND (s.tracking_number = ").push_bind(q.to_string());
                    qb.push(" OR s.number = ").push_bind(q.to_string());
                    qb.push(" OR s.tracking_number LIKE ").push_bind(like_prefix(q)).push(" ESCAPE '\\')");
                }
                if let Some(a) = f.after {
                    qb.push(" AND s.id < ").push_bind(a.0);
                }
                qb.push(" ORDER BY s.id DESC LIMIT ").push_bind(f.limit as i64);
                let rows = qb.build().fetch_all(&self.read).await?;
                let v = rows.iter().map(shipment_row).collect::<Result<Vec<_>>>()?;
                self.with_shipment_lines(tenant, v).await
            }
            async fn documents(&self, tenant: TenantId, shipment: ShipmentId) -> Result<Vec<Document>> {
                let sql = format!("SELECT {DOC_COLS} FROM documents WHERE tenant_id = $1 AND shipment_id = $2 ORDER BY id");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .bind(shipment.0)
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(document_row)
                    .collect()
            }
            async fn document(&self, tenant: TenantId, id: DocumentId) -> Result<Option<Document>> {
                let sql = format!("SELECT {DOC_COLS} FROM documents WHERE tenant_id = $1 AND id = $2");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| document_row(&r))
                    .transpose()
            }
            async fn existing_tracking(&self, tenant: TenantId, keys: &[(CarrierId, String)]) -> Result<HashSet<(CarrierId, String)>> {
                let mut found = HashSet::new();
                for chunk in keys.chunks(chunk_rows(1)) {
                    let mut qb =
                        QueryBuilder::<$db>::new("SELECT carrier_id, tracking_number FROM shipments WHERE tenant_id = ");
                    qb.push_bind(tenant.0).push(" AND tracking_number IN (");
                    let mut sep = qb.separated(", ");
                    for (_, t) in chunk {
                        sep.push_bind(t.clone());
                    }
                    qb.push(")");
                    for r in qb.build().fetch_all(&self.read).await? {
                        found.insert((CarrierId(r.try_get("carrier_id")?), r.try_get("tracking_number")?));
                    }
                }
                let wanted: HashSet<&(CarrierId, String)> = keys.iter().collect();
                found.retain(|k| wanted.contains(k));
                Ok(found)
            }
            async fn count_shipments(&self, tenant: TenantId) -> Result<i64> {
                Ok(sqlx::query("SELECT COUNT(*) AS n FROM shipments WHERE tenant_id = $1")
                    .bind(tenant.0)
                    .fetch_one(&self.read)
                    .await?
                    .try_get("n")?)
            }
        }

        #[async_trait::async_trait]
        impl AuditStore for $store {
            async fn audit_chains(&self) -> Result<Vec<Uuid>> {
                let rows = sqlx::query("SELECT chain FROM audit_heads UNION SELECT chain FROM audit_log ORDER BY chain").fetch_all(&self.read).await?;
                rows.iter().map(|r| Ok(r.try_get("chain")?)).collect()
            }
            async fn audit_page(&self, chain: Uuid, after_seq: i64, limit: u32) -> Result<Vec<AuditRecord>> {
                let sql = format!("SELECT {AUDIT_COLS} FROM audit_log WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(chain)
                    .bind(after_seq)
                    .bind(limit as i64)
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(audit_row)
                    .collect()
            }
            async fn audit_head(&self, chain: Uuid) -> Result<Option<(i64, [u8; 32])>> {
                let row = sqlx::query("SELECT seq, hash FROM audit_heads WHERE chain = $1")
                    .bind(chain)
                    .fetch_optional(&self.read)
                    .await?;
                match row {
                    Some(r) => Ok(Some((r.try_get("seq")?, hash32(r.try_get("hash")?)?))),
                    None => Ok(None),
                }
            }
            async fn audit_for_entity(&self, chain: Uuid, entity: &str, entity_id: &str) -> Result<Vec<AuditRecord>> {
                let sql = format!(
                    "SELECT {AUDIT_COLS} FROM audit_log WHERE chain = $1 AND entity = $2 AND entity_id = $3 ORDER BY seq"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(chain)
                    .bind(entity.to_string())
                    .bind(entity_id.to_string())
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(audit_row)
                    .collect()
            }
        }


        const PARTNER_COLS: &str = "id, tenant_id, name, isa_qualifier, isa_id, our_isa_qualifier, our_isa_id, kind, carrier_id, warehouse_id, lenient, allow_partial, time_zone, tracking_qualifiers, pro_qualifiers, acknowledgement, created_at";
        const INTERCHANGE_COLS: &str = "id, tenant_id, partner_id, direction, control_number, status, at, sha256, summary_json";

        fn partner_row(r: &DbRow) -> Result<TradingPartner> {
            let kind: String = r.try_get("kind")?;
            let words = |s: String| s.split_whitespace().map(String::from).collect::<Vec<_>>();
            Ok(TradingPartner {
                id: PartnerId(r.try_get("id")?),
                tenant_id: TenantId(r.try_get("tenant_id")?),
                name: r.try_get("name")?,
                isa_qualifier: r.try_get("isa_qualifier")?,
                isa_id: r.try_get("isa_id")?,
                our_isa_qualifier: r.try_get("our_isa_qualifier")?,
                our_isa_id: r.try_get("our_isa_id")?,
                kind: if kind == "warehouse" { PartnerKind::Warehouse } else { PartnerKind::Carrier },
                carrier_id: r.try_get::<Option<Uuid>, _>("carrier_id")?.map(CarrierId),
                warehouse_id: r.try_get::<Option<Uuid>, _>("warehouse_id")?.map(WarehouseId),
                lenient: r.try_get("lenient")?,
                allow_partial: r.try_get("allow_partial")?,
                time_zone: r.try_get("time_zone")?,
                tracking_qualifiers: words(r.try_get("tracking_qualifiers")?),
                pro_qualifiers: words(r.try_get("pro_qualifiers")?),
                acknowledgement: parsed(consign_core::edi::Acknowledgement::parse(&r.try_get::<String, _>("acknowledgement")?))?,
                created_at: ts(r.try_get("created_at")?),
            })
        }

        fn interchange_row(r: &DbRow) -> Result<InterchangeRecord> {
            let direction: String = r.try_get("direction")?;
            let summary: String = r.try_get("summary_json")?;
            Ok(InterchangeRecord {
                id: InterchangeId(r.try_get("id")?),
                tenant_id: TenantId(r.try_get("tenant_id")?),
                partner_id: PartnerId(r.try_get("partner_id")?),
                direction: parsed(EdiDirection::parse(&direction))?,
                control_number: r.try_get("control_number")?,
                status: r.try_get("status")?,
                at: ts(r.try_get("at")?),
                sha256: r.try_get("sha256")?,
                summary: json_col(&summary, "edi_interchanges.summary_json")?,
            })
        }

        const GROUP_COLS: &str =
            "partner_id, group_control, interchange_id, functional_id, set_count, sent_at, ack_status, ack_at, ack_detail";

        fn group_row(r: &DbRow) -> Result<OutboundGroup> {
            let n: i64 = r.try_get("set_count")?;
            Ok(OutboundGroup {
                partner_id: PartnerId(r.try_get("partner_id")?),
                group_control: r.try_get("group_control")?,
                interchange_id: InterchangeId(r.try_get("interchange_id")?),
                functional_id: r.try_get("functional_id")?,
                set_count: n as u32,
                sent_at: ts(r.try_get("sent_at")?),
                ack_status: r.try_get("ack_status")?,
                ack_at: ots(r.try_get("ack_at")?),
                ack_detail: r.try_get("ack_detail")?,
            })
        }

        #[async_trait::async_trait]
        impl EdiStore for $store {
            async fn partners(&self, tenant: TenantId) -> Result<Vec<TradingPartner>> {
                let sql = format!("SELECT {PARTNER_COLS} FROM edi_partners WHERE tenant_id = $1 ORDER BY name");
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.0).fetch_all(&self.read).await?.iter().map(partner_row).collect()
            }
            async fn partner_by_isa(&self, tenant: TenantId, qualifier: &str, id: &str) -> Result<Option<TradingPartner>> {
                let sql = format!(
                    "SELECT {PARTNER_COLS} FROM edi_partners WHERE tenant_id = $1 AND isa_qualifier = $2 AND isa_id = $3"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .bind(qualifier.trim().to_string())
                    .bind(id.trim().to_string())
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| partner_row(&r))
                    .transpose()
            }
            async fn interchange_by_control(
                &self,
                tenant: TenantId,
                partner: PartnerId,
                direction: EdiDirection,
                control: &str,
            ) -> Result<Option<InterchangeRecord>> {
                let sql = format!(
                    "SELECT {INTERCHANGE_COLS} FROM edi_interchanges WHERE tenant_id = $1 AND partner_id = $2 \
                     AND direction = $3 AND control_number = $4 AND status <> 'rejected'"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .bind(partner.0)
                    .bind(direction.as_str())
                    .bind(control.to_string())
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| interchange_row(&r))
                    .transpose()
            }
            async fn interchanges(&self, tenant: TenantId, partner: Option<PartnerId>, limit: u32) -> Result<Vec<InterchangeRecord>> {
                let mut qb = QueryBuilder::<$db>::new(format!("SELECT {INTERCHANGE_COLS} FROM edi_interchanges WHERE tenant_id = "));
                qb.push_bind(tenant.0);
                if let Some(p) = partner {
                    qb.push(" AND partner_id = ").push_bind(p.0);
                }
                qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit as i64);
                qb.build().fetch_all(&self.read).await?.iter().map(interchange_row).collect()
            }
            async fn interchange_raw(&self, tenant: TenantId, id: InterchangeId) -> Result<Option<Vec<u8>>> {
                let row = sqlx::query("SELECT raw FROM edi_interchanges WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_optional(&self.read)
                    .await?;
                Ok(match row {
                    Some(r) => Some(r.try_get("raw")?),
                    None => None,
                })
            }
            async fn edi_sets(&self, tenant: TenantId, interchange: InterchangeId) -> Result<Vec<SetRecord>> {
                let rows = sqlx::query(
                    "SELECT id, interchange_id, partner_id, direction, group_control, set_control, set_id, status, \
                     content_json, problems_json, at FROM edi_sets WHERE tenant_id = $1 AND interchange_id = $2 ORDER BY id",
                )
                .bind(tenant.0)
                .bind(interchange.0)
                .fetch_all(&self.read)
                .await?;
                rows.iter()
                    .map(|r| {
                        let direction: String = r.try_get("direction")?;
                        let content: Option<String> = r.try_get("content_json")?;
                        let problems: String = r.try_get("problems_json")?;
                        Ok(SetRecord {
                            id: EdiSetId(r.try_get("id")?),
                            interchange_id: InterchangeId(r.try_get("interchange_id")?),
                            partner_id: PartnerId(r.try_get("partner_id")?),
                            direction: parsed(EdiDirection::parse(&direction))?,
                            group_control: r.try_get("group_control")?,
                            set_control: r.try_get("set_control")?,
                            set_id: r.try_get("set_id")?,
                            status: r.try_get("status")?,
                            content: content.map(|c| json_col(&c, "edi_sets.content_json")).transpose()?,
                            problems: json_col(&problems, "edi_sets.problems_json")?,
                            at: ts(r.try_get("at")?),
                        })
                    })
                    .collect()
            }
            async fn outbound_groups(&self, tenant: TenantId, partner: PartnerId) -> Result<Vec<OutboundGroup>> {
                let sql = format!("SELECT {GROUP_COLS} FROM edi_outbound_groups WHERE tenant_id = $1 AND partner_id = $2 ORDER BY sent_at DESC");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .bind(partner.0)
                    .fetch_all(&self.read)
                    .await?;
                rows.iter().map(group_row).collect()
            }
            async fn outbound_group(&self, tenant: TenantId, partner: PartnerId, group_control: &str) -> Result<Option<OutboundGroup>> {
                let sql = format!("SELECT {GROUP_COLS} FROM edi_outbound_groups WHERE tenant_id = $1 AND partner_id = $2 AND group_control = $3");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .bind(partner.0)
                    .bind(group_control.to_string())
                    .fetch_optional(&self.read)
                    .await?
                    .map(|r| group_row(&r))
                    .transpose()
            }
            async fn unanswered_groups(&self, tenant: TenantId, sent_before: Timestamp) -> Result<Vec<OutboundGroup>> {
                // The predicate repeats the partial index's own (`ack_status IS NULL`) so both
                // engines can use it.
                let sql = format!(
                    "SELECT {GROUP_COLS} FROM edi_outbound_groups WHERE tenant_id = $1 AND ack_status IS NULL AND sent_at <= $2 ORDER BY sent_at"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .bind(us(sent_before))
                    .fetch_all(&self.read)
                    .await?;
                rows.iter().map(group_row).collect()
            }
        }

        #[async_trait::async_trait]
        impl IdempotencyStore for $store {
            async fn reserve_key(
                &self,
                scope: &str,
                key: &str,
                request_hash: &[u8],
                now: Timestamp,
                lease_until: Timestamp,
            ) -> Result<KeyState> {
                let attempt = new_attempt();
                let inserted = sqlx::query(
                    "INSERT INTO idempotency_keys (scope, idem_key, request_hash, created_at, attempt, lease_until) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, idem_key) DO NOTHING",
                )
                .bind(scope.to_string())
                .bind(key.to_string())
                .bind(request_hash.to_vec())
                .bind(us(now))
                .bind(attempt)
                .bind(us(lease_until))
                .execute(&self.write)
                .await?
                .rows_affected();
                if inserted == 1 {
                    return Ok(KeyState::Reserved { attempt });
                }
                let r = sqlx::query(
                    "SELECT request_hash, status_code, content_type, response_body, lease_until FROM idempotency_keys \
                     WHERE scope = $1 AND idem_key = $2",
                )
                .bind(scope.to_string())
                .bind(key.to_string())
                .fetch_optional(&self.write)
                .await?;
                let Some(r) = r else {
                    // Released between our insert and this read: the next call reserves it.
                    return Ok(KeyState::InFlight { lease_until: now });
                };
                let stored: Vec<u8> = r.try_get("request_hash")?;
                if stored != request_hash {
                    return Ok(KeyState::Mismatch);
                }
                let status: Option<i64> = r.try_get("status_code")?;
                let lease: i64 = r.try_get("lease_until")?;
                if status.is_none() && lease <= us(now) {
                    // A reservation whose lease ran out (the process died, or its request
                    // stalled past the lease) is taken over under a new attempt: the old
                    // attempt can then no longer store an answer, so its changes roll back.
                    let taken = sqlx::query(
                        "UPDATE idempotency_keys SET attempt = $3, lease_until = $4 \
                         WHERE scope = $1 AND idem_key = $2 AND status_code IS NULL AND lease_until <= $5",
                    )
                    .bind(scope.to_string())
                    .bind(key.to_string())
                    .bind(attempt)
                    .bind(us(lease_until))
                    .bind(us(now))
                    .execute(&self.write)
                    .await?
                    .rows_affected();
                    if taken == 1 {
                        return Ok(KeyState::Reserved { attempt });
                    }
                    // Answered or renewed meanwhile: the caller asks again.
                    return Ok(KeyState::InFlight { lease_until: now });
                }
                Ok(match status {
                    None => KeyState::InFlight { lease_until: ts(lease) },
                    Some(s) => KeyState::Completed {
                        status: s as u16,
                        content_type: r.try_get::<Option<String>, _>("content_type")?.unwrap_or_default(),
                        body: r.try_get::<Option<Vec<u8>>, _>("response_body")?.unwrap_or_default(),
                    },
                })
            }
            async fn renew_key(&self, scope: &str, key: &str, attempt: i64, lease_until: Timestamp) -> Result<bool> {
                let n = sqlx::query(
                    "UPDATE idempotency_keys SET lease_until = $4 \
                     WHERE scope = $1 AND idem_key = $2 AND attempt = $3 AND status_code IS NULL",
                )
                .bind(scope.to_string())
                .bind(key.to_string())
                .bind(attempt)
                .bind(us(lease_until))
                .execute(&self.write)
                .await?
                .rows_affected();
                Ok(n == 1)
            }
            async fn complete_key(&self, a: KeyAnswer<'_>) -> Result<bool> {
                let mut tx = self.begin().await?;
                let stored = tx.complete_key(a).await?;
                tx.commit().await?;
                Ok(stored)
            }
            async fn release_key(&self, scope: &str, key: &str, attempt: i64) -> Result<()> {
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND attempt = $3 AND status_code IS NULL",
                )
                .bind(scope.to_string())
                .bind(key.to_string())
                .bind(attempt)
                .execute(&self.write)
                .await?;
                Ok(())
            }
            async fn purge_keys(&self, older_than: Timestamp) -> Result<u64> {
                Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                    .bind(us(older_than))
                    .execute(&self.write)
                    .await?
                    .rows_affected())
            }
        }

        #[async_trait::async_trait]
        impl Store for $store {
            fn engine(&self) -> Engine {
                $engine
            }
            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.read).await?;
                Ok(())
            }
            async fn begin(&self) -> Result<Box<dyn Tx>> {
                Ok(Box::new($tx { tx: self.begin_write().await?, read: self.read.clone(), wal: self.wal() }))
            }
            async fn analyze(&self) -> Result<()> {
                // SQLite plans these queries well without statistics (and measurably worse for
                // the webhook path with them), so only PostgreSQL is analysed.
                if !$for_update.is_empty() {
                    sqlx::raw_sql("ANALYZE").execute(&self.write).await?;
                }
                Ok(())
            }
            async fn checkpoint(&self) -> Result<()> {
                let sql = if $for_update.is_empty() { "PRAGMA wal_checkpoint(TRUNCATE)" } else { "CHECKPOINT" };
                sqlx::raw_sql(sql).execute(&self.write).await?;
                Ok(())
            }
            #[cfg(feature = "testing")]
            async fn execute_raw(&self, sql: &str) -> Result<u64> {
                Ok(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&self.write).await?.rows_affected())
            }
        }

        pub struct $tx {
            tx: sqlx::Transaction<'static, $db>,
            /// The store's read pool, for reads that need not be inside the transaction and
            /// can run beside it (the facts of shipments being locked, `lock_tracked`).
            read: sqlx::Pool<$db>,
            /// SQLite's WAL: each commit is counted there and synced to disk (`sqlite.rs`).
            wal: Option<std::sync::Arc<crate::sqlite::WalSync>>,
        }

        #[async_trait::async_trait]
        impl Tx for $tx {
            async fn complete_key(&mut self, a: KeyAnswer<'_>) -> Result<bool> {
                let n = sqlx::query(COMPLETE_KEY)
                    .bind(a.scope.to_string())
                    .bind(a.key.to_string())
                    .bind(a.attempt)
                    .bind(a.status as i64)
                    .bind(a.content_type.to_string())
                    .bind(a.body.to_vec())
                    .execute(&mut *self.tx)
                    .await?
                    .rows_affected();
                Ok(n == 1)
            }
            async fn insert_tenant(&mut self, t: &Tenant) -> Result<()> {
                sqlx::query("INSERT INTO tenants (id, slug, name, time_zone, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(t.id.0)
                    .bind(t.slug.clone())
                    .bind(t.name.clone())
                    .bind(t.time_zone.clone())
                    .bind(us(t.created_at))
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }
            async fn insert_user(&mut self, u: &User, password_hash: &str) -> Result<()> {
                sqlx::query(
                    "INSERT INTO users (id, email, name, role, password_hash, carrier_id, created_at, disabled) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(u.id.0)
                .bind(u.email.trim().to_lowercase())
                .bind(u.name.clone())
                .bind(u.role.as_str())
                .bind(password_hash.to_string())
                .bind(u.carrier_id.map(|c| c.0))
                .bind(us(u.created_at))
                .bind(u.disabled)
                .execute(&mut *self.tx)
                .await?;
                for t in &u.tenants {
                    sqlx::query("INSERT INTO user_tenants (user_id, tenant_id) VALUES ($1, $2)")
                        .bind(u.id.0)
                        .bind(t.0)
                        .execute(&mut *self.tx)
                        .await?;
                }
                Ok(())
            }
            async fn insert_token(&mut self, t: &ApiToken, hash: &[u8]) -> Result<()> {
                sqlx::query(
                    "INSERT INTO api_tokens (id, token_hash, name, role, tenant_id, carrier_id, scopes, created_at, created_by, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(t.id.0)
                .bind(hash.to_vec())
                .bind(t.name.clone())
                .bind(t.role.as_str())
                .bind(t.tenant_id.map(|x| x.0))
                .bind(t.carrier_id.map(|x| x.0))
                .bind(t.scopes.as_ref().map(|s| s.join(" ")))
                .bind(us(t.created_at))
                .bind(t.created_by.clone())
                .bind(t.expires_at.map(us))
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }
            async fn revoke_token(&mut self, id: TokenId, at: Timestamp) -> Result<bool> {
                let n = sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                    .bind(id.0)
                    .bind(us(at))
                    .execute(&mut *self.tx)
                    .await?
                    .rows_affected();
                Ok(n == 1)
            }
            async fn insert_session(&mut self, hash: &[u8], user: UserId, csrf: &str, now: Timestamp, expires: Timestamp) -> Result<()> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(hash.to_vec())
                .bind(user.0)
                .bind(csrf.to_string())
                .bind(us(now))
                .bind(us(expires))
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }
            async fn delete_session(&mut self, hash: &[u8]) -> Result<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash.to_vec()).execute(&mut *self.tx).await?;
                Ok(())
            }
            async fn insert_carrier(&mut self, c: &Carrier) -> Result<()> {
                sqlx::query("INSERT INTO carriers (tenant_id, id, name, scac, mode) VALUES ($1, $2, $3, $4, $5)")
                    .bind(c.tenant_id.0)
                    .bind(c.id.0)
                    .bind(c.name.clone())
                    .bind(c.scac.clone())
                    .bind(c.mode.as_str())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }
            async fn insert_warehouse(&mut self, w: &Warehouse) -> Result<()> {
                sqlx::query("INSERT INTO warehouses (tenant_id, id, code, name, time_zone) VALUES ($1, $2, $3, $4, $5)")
                    .bind(w.tenant_id.0)
                    .bind(w.id.0)
                    .bind(w.code.clone())
                    .bind(w.name.clone())
                    .bind(w.time_zone.clone())
                    .execute(&mut *self.tx)
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
                    let mut qb = QueryBuilder::<$db>::new(
                        "INSERT INTO customers (tenant_id, id, customer_key, name, email, phone) ",
                    );
                    qb.push_values(chunk, |mut b, (k, c)| {
                        b.push_bind(tenant.0)
                            .push_bind(new_id().0)
                            .push_bind(k.clone())
                            .push_bind(c.name.clone())
                            .push_bind(c.email.clone())
                            .push_bind(c.phone.clone());
                    });
                    qb.push(
                        " ON CONFLICT (tenant_id, customer_key) DO UPDATE SET name = excluded.name, \
                         email = COALESCE(excluded.email, customers.email), phone = COALESCE(excluded.phone, customers.phone) \
                         RETURNING customer_key, id",
                    );
                    for r in qb.build().fetch_all(&mut *self.tx).await? {
                        ids.insert(r.try_get("customer_key")?, CustomerId(r.try_get("id")?));
                    }
                }
                customers
                    .iter()
                    .map(|c| ids.get(&c.key()).copied().ok_or_else(|| StoreError::Corrupt("customer upsert lost a row".into())))
                    .collect()
            }
            async fn next_numbers(&mut self, tenant: TenantId, counter: &str, n: u64) -> Result<i64> {
                let last: i64 = sqlx::query(
                    "INSERT INTO counters (tenant_id, name, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (tenant_id, name) DO UPDATE SET value = counters.value + $3 RETURNING value",
                )
                .bind(tenant.0)
                .bind(counter.to_string())
                .bind(n as i64)
                .fetch_one(&mut *self.tx)
                .await?
                .try_get("value")?;
                Ok(last - n as i64 + 1)
            }
            async fn insert_orders(&mut self, orders: &[Order]) -> Result<()> {
                for chunk in orders.chunks(chunk_rows(16)) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "INSERT INTO orders (tenant_id, id, number, external_ref, customer_id, customer_json, ship_to_json, \
                         channel, currency, total_minor, promised_by, status, ordered_at, created_at, updated_at, version) ",
                    );
                    let mut bad = None;
                    qb.push_values(chunk, |mut b, o| {
                        let total = to_minor(o.total(), &o.currency).unwrap_or_else(|e| {
                            bad = Some(e);
                            0
                        });
                        b.push_bind(o.tenant_id.0)
                            .push_bind(o.id.0)
                            .push_bind(o.number.clone())
                            .push_bind(o.external_ref.clone())
                            .push_bind(o.customer_id.0)
                            .push_bind(to_json(&o.customer))
                            .push_bind(to_json(&o.ship_to))
                            .push_bind(o.channel.as_str())
                            .push_bind(o.currency.code().to_string())
                            .push_bind(total)
                            .push_bind(ous(o.promised_by))
                            .push_bind(o.status.as_str())
                            .push_bind(us(o.ordered_at))
                            .push_bind(us(o.created_at))
                            .push_bind(us(o.updated_at))
                            .push_bind(o.version);
                    });
                    if let Some(e) = bad {
                        return Err(StoreError::Corrupt(format!("order total: {e}")));
                    }
                    qb.build().execute(&mut *self.tx).await?;
                }
                let lines: Vec<(&Order, &OrderLine)> = orders.iter().flat_map(|o| o.lines.iter().map(move |l| (o, l))).collect();
                for chunk in lines.chunks(chunk_rows(7)) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "INSERT INTO order_lines (tenant_id, order_id, line_no, sku, description, quantity, unit_price_minor) ",
                    );
                    let mut bad = None;
                    qb.push_values(chunk, |mut b, (o, l)| {
                        let price = to_minor(l.unit_price, &o.currency).unwrap_or_else(|e| {
                            bad = Some(e);
                            0
                        });
                        b.push_bind(o.tenant_id.0)
                            .push_bind(o.id.0)
                            .push_bind(l.line_no as i64)
                            .push_bind(l.sku.clone())
                            .push_bind(l.description.clone())
                            .push_bind(l.quantity as i64)
                            .push_bind(price);
                    });
                    if let Some(e) = bad {
                        return Err(StoreError::Corrupt(format!("unit price: {e}")));
                    }
                    qb.build().execute(&mut *self.tx).await?;
                }
                Ok(())
            }
            async fn update_orders(&mut self, orders: &[Order]) -> Result<()> {
                // One statement per chunk: UPDATE … FROM (VALUES …) works on both engines, and
                // VALUES columns are named column1… on both (SQLite has no alias column lists).
                for chunk in orders.chunks(chunk_rows(8)) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "UPDATE orders SET ship_to_json = v.column3, promised_by = v.column4, status = v.column5, \
                         updated_at = v.column6, version = v.column7 FROM (",
                    );
                    qb.push_values(chunk, |mut b, o| {
                        b.push_bind(o.tenant_id.0)
                            .push_bind(o.id.0)
                            .push_bind(to_json(&o.ship_to))
                            .push_bind(ous(o.promised_by))
                            .push_bind(o.status.as_str())
                            .push_bind(us(o.updated_at))
                            .push_bind(o.version)
                            .push_bind(o.version - 1);
                    });
                    qb.push(") AS v WHERE orders.tenant_id = v.column1 AND orders.id = v.column2 AND orders.version = v.column8");
                    let n = qb.build().execute(&mut *self.tx).await?.rows_affected();
                    if n != chunk.len() as u64 {
                        let which = if chunk.len() == 1 { format!("order {}", chunk[0].number) } else { format!("{} of {} orders", chunk.len() as u64 - n, chunk.len()) };
                        return Err(StoreError::Concurrent(which));
                    }
                }
                Ok(())
            }
            async fn insert_order_change(&mut self, tenant: TenantId, c: &OrderChange) -> Result<()> {
                sqlx::query(
                    "INSERT INTO order_changes (tenant_id, id, order_id, kind, reason, request_json, actor, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(tenant.0)
                .bind(c.id)
                .bind(c.order_id.0)
                .bind(c.kind.clone())
                .bind(c.reason.clone())
                .bind(to_json(&c.request))
                .bind(c.actor.clone())
                .bind(us(c.at))
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }
            async fn insert_shipments(&mut self, shipments: &[Shipment]) -> Result<()> {
                // A new shipment is due for judgement at once (next_check_at = created_at): the
                // sweep applies time-based rules (late pickup, missing documents) to it.
                // The milestones given at creation date the initial status (`status_at`), so a
                // scan that happened before them, arriving late, cannot replace it.
                for chunk in shipments.chunks(chunk_rows(23)) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "INSERT INTO shipments (tenant_id, id, number, carrier_id, service_level, tracking_number, direction, \
                         order_id, origin_json, destination_json, weight_g, pieces, planned_pickup_at, promised_by, international, \
                         pod_required, created_at, updated_at) ",
                    );
                    qb.push_values(chunk, |mut b, s| {
                        let grams = (s.weight_kg * rust_decimal::Decimal::from(1000)).trunc();
                        b.push_bind(s.tenant_id.0)
                            .push_bind(s.id.0)
                            .push_bind(s.number.clone())
                            .push_bind(s.carrier_id.0)
                            .push_bind(s.service_level.clone())
                            .push_bind(s.tracking_number.clone())
                            .push_bind(s.direction.as_str())
                            .push_bind(s.order_id.map(|o| o.0))
                            .push_bind(to_json(&s.origin))
                            .push_bind(to_json(&s.destination))
                            .push_bind(i64::try_from(grams).unwrap_or(i64::MAX))
                            .push_bind(s.pieces as i64)
                            .push_bind(ous(s.planned_pickup_at))
                            .push_bind(ous(s.promised_by))
                            .push_bind(s.international)
                            .push_bind(s.pod_required)
                            .push_bind(us(s.created_at))
                            .push_bind(us(s.updated_at));
                    });
                    qb.build().execute(&mut *self.tx).await?;
                }
                for chunk in shipments.chunks(chunk_rows(10)) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "INSERT INTO shipment_tracking (tenant_id, shipment_id, status, status_at, picked_up_at, delivered_at, \
                         next_check_at, due_at, updated_at) ",
                    );
                    qb.push_values(chunk, |mut b, s| {
                        b.push_bind(s.tenant_id.0)
                            .push_bind(s.id.0)
                            .push_bind(s.status.as_str())
                            .push_bind(ous(s.delivered_at.or(s.picked_up_at)))
                            .push_bind(ous(s.picked_up_at))
                            .push_bind(ous(s.delivered_at))
                            .push_bind(us(s.created_at))
                            .push_bind(us(s.created_at))
                            .push_bind(us(s.updated_at));
                    });
                    qb.build().execute(&mut *self.tx).await?;
                }
                let lines: Vec<(&Shipment, &ShipmentLine)> =
                    shipments.iter().flat_map(|s| s.lines.iter().map(move |l| (s, l))).collect();
                for chunk in lines.chunks(chunk_rows(4)) {
                    let mut qb =
                        QueryBuilder::<$db>::new("INSERT INTO shipment_lines (tenant_id, shipment_id, line_no, quantity) ");
                    qb.push_values(chunk, |mut b, (s, l)| {
                        b.push_bind(s.tenant_id.0)
                            .push_bind(s.id.0)
                            .push_bind(l.line_no as i64)
                            .push_bind(l.quantity as i64);
                    });
                    qb.build().execute(&mut *self.tx).await?;
                }
                Ok(())
            }
            async fn insert_document(&mut self, d: &Document) -> Result<()> {
                sqlx::query(
                    "INSERT INTO documents (tenant_id, id, shipment_id, kind, filename, content_type, sha256, size_bytes, \
                     uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(d.tenant_id.0)
                .bind(d.id.0)
                .bind(d.shipment_id.0)
                .bind(d.kind.as_str())
                .bind(d.filename.clone())
                .bind(d.content_type.clone())
                .bind(d.sha256.clone())
                .bind(d.size_bytes as i64)
                .bind(us(d.uploaded_at))
                .bind(d.uploaded_by.clone())
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }
            async fn insert_partner(&mut self, p: &TradingPartner) -> Result<()> {
                sqlx::query(
                    "INSERT INTO edi_partners (tenant_id, id, name, isa_qualifier, isa_id, our_isa_qualifier, our_isa_id, kind, \
                     carrier_id, warehouse_id, lenient, allow_partial, time_zone, tracking_qualifiers, pro_qualifiers, created_at, \
                     acknowledgement) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                )
                .bind(p.tenant_id.0)
                .bind(p.id.0)
                .bind(p.name.clone())
                .bind(p.isa_qualifier.clone())
                .bind(p.isa_id.clone())
                .bind(p.our_isa_qualifier.clone())
                .bind(p.our_isa_id.clone())
                .bind(match p.kind { PartnerKind::Carrier => "carrier", PartnerKind::Warehouse => "warehouse" })
                .bind(p.carrier_id.map(|c| c.0))
                .bind(p.warehouse_id.map(|w| w.0))
                .bind(p.lenient)
                .bind(p.allow_partial)
                .bind(p.time_zone.clone())
                .bind(p.tracking_qualifiers.join(" "))
                .bind(p.pro_qualifiers.join(" "))
                .bind(us(p.created_at))
                .bind(p.acknowledgement.as_str())
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }
            async fn insert_interchange(&mut self, r: &InterchangeRecord, raw: &[u8]) -> Result<()> {
                sqlx::query(
                    "INSERT INTO edi_interchanges (tenant_id, id, partner_id, direction, control_number, status, at, sha256, raw, \
                     summary_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(r.tenant_id.0)
                .bind(r.id.0)
                .bind(r.partner_id.0)
                .bind(r.direction.as_str())
                .bind(r.control_number.clone())
                .bind(r.status.clone())
                .bind(us(r.at))
                .bind(r.sha256.clone())
                .bind(raw.to_vec())
                .bind(to_json(&r.summary))
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }
            async fn insert_edi_sets(&mut self, tenant: TenantId, sets: &[SetRecord]) -> Result<()> {
                for chunk in sets.chunks(chunk_rows(12)) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "INSERT INTO edi_sets (tenant_id, id, interchange_id, partner_id, direction, group_control, set_control, \
                         set_id, status, content_json, problems_json, at) ",
                    );
                    qb.push_values(chunk, |mut b, s| {
                        b.push_bind(tenant.0)
                            .push_bind(s.id.0)
                            .push_bind(s.interchange_id.0)
                            .push_bind(s.partner_id.0)
                            .push_bind(s.direction.as_str())
                            .push_bind(s.group_control.clone())
                            .push_bind(s.set_control.clone())
                            .push_bind(s.set_id.clone())
                            .push_bind(s.status.clone())
                            .push_bind(s.content.as_ref().map(to_json))
                            .push_bind(to_json(&s.problems))
                            .push_bind(us(s.at));
                    });
                    qb.build().execute(&mut *self.tx).await?;
                }
                Ok(())
            }
            async fn insert_outbound_group(&mut self, tenant: TenantId, g: &OutboundGroup) -> Result<()> {
                sqlx::query(
                    "INSERT INTO edi_outbound_groups (tenant_id, partner_id, group_control, interchange_id, functional_id, \
                     set_count, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(tenant.0)
                .bind(g.partner_id.0)
                .bind(g.group_control.clone())
                .bind(g.interchange_id.0)
                .bind(g.functional_id.clone())
                .bind(g.set_count as i64)
                .bind(us(g.sent_at))
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }
            async fn acknowledge_group(
                &mut self,
                tenant: TenantId,
                partner: PartnerId,
                group_control: &str,
                status: &str,
                at: Timestamp,
                detail: &str,
            ) -> Result<Option<Timestamp>> {
                let sent: Option<i64> = sqlx::query_scalar(
                    "UPDATE edi_outbound_groups SET ack_status = $4, ack_at = $5, ack_detail = $6 \
                     WHERE tenant_id = $1 AND partner_id = $2 AND group_control = $3 RETURNING sent_at",
                )
                .bind(tenant.0)
                .bind(partner.0)
                .bind(group_control.to_string())
                .bind(status.to_string())
                .bind(us(at))
                .bind(detail.to_string())
                .fetch_optional(&mut *self.tx)
                .await?;
                Ok(sent.map(ts))
            }
            async fn append_audit(&mut self, entries: Vec<AuditEntry>) -> Result<()> {
                // Group by chain, keeping each chain's entries in the order given.
                let mut chains: Vec<(Uuid, Vec<AuditEntry>)> = Vec::new();
                for e in entries {
                    let c = chain_of(e.tenant_id);
                    match chains.iter_mut().find(|(k, _)| *k == c) {
                        Some((_, v)) => v.push(e),
                        None => chains.push((c, vec![e])),
                    }
                }
                for (chain, entries) in chains {
                    // Create the head row if this is the chain's first record, then lock it, so
                    // concurrent writers to one chain queue instead of forking it.
                    // Usually the head exists: lock and read it in one statement, and create it
                    // only for a chain's first record.
                    let head = match sqlx::query(concat!("SELECT seq, hash FROM audit_heads WHERE chain = $1", $for_update))
                        .bind(chain)
                        .fetch_optional(&mut *self.tx)
                        .await?
                    {
                        Some(h) => h,
                        None => {
                            sqlx::query("INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING")
                                .bind(chain)
                                .bind(consign_core::audit::GENESIS.to_vec())
                                .execute(&mut *self.tx)
                                .await?;
                            sqlx::query(concat!("SELECT seq, hash FROM audit_heads WHERE chain = $1", $for_update))
                                .bind(chain)
                                .fetch_one(&mut *self.tx)
                                .await?
                        }
                    };
                    let seq: i64 = head.try_get("seq")?;
                    let hash = hash32(head.try_get("hash")?)?;
                    let records = consign_core::audit::chain(seq, hash, entries);
                    let chunks = sized_chunks(&records, chunk_rows(12));
                    let last_chunk = chunks.len().saturating_sub(1);
                    // On SQLite the head's update rides in the last insert's statement text:
                    // each statement is a round trip to the connection's thread, and on the
                    // webhook path every group commit pays for this one. (PostgreSQL takes
                    // one statement per bound query.)
                    let head_inline = $for_update.is_empty();
                    for (i, chunk) in chunks.into_iter().enumerate() {
                        let mut qb = QueryBuilder::<$db>::new(
                            "INSERT INTO audit_log (chain, seq, tenant_id, at, actor, entity, entity_id, action, before_json, \
                             after_json, prev_hash, hash) ",
                        );
                        qb.push_values(chunk, |mut b, r| {
                            b.push_bind(chain)
                                .push_bind(r.seq)
                                .push_bind(r.entry.tenant_id.map(|t| t.0))
                                .push_bind(us(r.entry.at))
                                .push_bind(r.entry.actor.clone())
                                .push_bind(r.entry.entity.clone())
                                .push_bind(r.entry.entity_id.clone())
                                .push_bind(r.entry.action.clone())
                                .push_bind(r.entry.before.clone())
                                .push_bind(r.entry.after.clone())
                                .push_bind(r.prev_hash.to_vec())
                                .push_bind(r.hash.to_vec());
                        });
                        if head_inline && i == last_chunk && let Some(last) = records.last() {
                            qb.push("; UPDATE audit_heads SET seq = ")
                                .push_bind(last.seq)
                                .push(", hash = ")
                                .push_bind(last.hash.to_vec())
                                .push(" WHERE chain = ")
                                .push_bind(chain);
                        }
                        qb.build().execute(&mut *self.tx).await?;
                    }
                    if !head_inline && let Some(last) = records.last() {
                        sqlx::query("UPDATE audit_heads SET seq = $2, hash = $3 WHERE chain = $1")
                            .bind(chain)
                            .bind(last.seq)
                            .bind(last.hash.to_vec())
                            .execute(&mut *self.tx)
                            .await?;
                    }
                }
                Ok(())
            }
            async fn commit_staged(self: Box<Self>) -> Result<Durable> {
                let this = *self;
                this.tx.commit().await?;
                Ok(match this.wal {
                    Some(wal) => wal.committed(),
                    None => Durable::done(),
                })
            }
        }
    };
}

pub(crate) use impl_sql_store;

#[cfg(test)]
mod tests {
    #[test]
    fn sized_chunks_use_few_distinct_sizes() {
        let v: Vec<u32> = (0..31).collect();
        let sizes: Vec<usize> = super::sized_chunks(&v, 10)
            .iter()
            .map(|c| c.len())
            .collect();
        assert_eq!(sizes, [10, 10, 10, 1]);
        let sizes: Vec<usize> = super::sized_chunks(&v, 100)
            .iter()
            .map(|c| c.len())
            .collect();
        assert_eq!(sizes, [31]);
        let v: Vec<u32> = (0..300).collect();
        let sizes: Vec<usize> = super::sized_chunks(&v, 1000)
            .iter()
            .map(|c| c.len())
            .collect();
        assert_eq!(sizes, [256, 44]);
        assert!(super::sized_chunks::<u32>(&[], 5).is_empty());
    }
}
