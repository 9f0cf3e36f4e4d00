//! Builders for the contract tests.

use consign_core::access::{ApiToken, Role, User};
use consign_core::audit::AuditEntry;
use consign_core::ids::*;
use consign_core::money::Currency;
use consign_core::order::{Address, Channel, CustomerInfo, Order, OrderLine, OrderStatus};
use consign_core::party::{Carrier, Mode};
use consign_core::shipment::{Direction, Place, Shipment, ShipmentLine, ShipmentStatus};
use consign_core::tenant::Tenant;
use consign_store::DynStore;
use jiff::Timestamp;
use rust_decimal::Decimal;

/// Microsecond precision, as stored.
pub fn now() -> Timestamp {
    Timestamp::from_microsecond(Timestamp::now().as_microsecond()).unwrap()
}

pub fn tenant(slug: &str) -> Tenant {
    Tenant {
        id: TenantId::random(),
        slug: slug.into(),
        name: slug.to_uppercase(),
        time_zone: "America/Chicago".into(),
        created_at: now(),
    }
}

pub async fn seed_tenant(store: &DynStore, slug: &str) -> Tenant {
    let t = tenant(slug);
    let mut tx = store.begin().await.unwrap();
    tx.insert_tenant(&t).await.unwrap();
    tx.append_audit(vec![
        AuditEntry::new(None, now(), "system".into(), "tenant", t.id, "created").after(&t),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    t
}

pub async fn seed_carrier(store: &DynStore, tenant: TenantId, scac: &str) -> Carrier {
    let c = Carrier {
        id: CarrierId::random(),
        tenant_id: tenant,
        name: format!("{scac} Freight"),
        scac: Some(scac.into()),
        mode: Mode::Parcel,
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_carrier(&c).await.unwrap();
    tx.commit().await.unwrap();
    c
}

pub fn customer(email: &str) -> CustomerInfo {
    CustomerInfo {
        name: "Ann Lee".into(),
        email: Some(email.into()),
        phone: None,
    }
}

pub fn order_fixture(
    tenant: TenantId,
    external_ref: &str,
    n: i64,
    customer_id: CustomerId,
) -> Order {
    let t = now();
    Order {
        id: OrderId::random(),
        tenant_id: tenant,
        number: format!("ORD-{n:06}"),
        external_ref: external_ref.into(),
        customer_id,
        customer: customer("ann@example.com"),
        ship_to: Address {
            name: "Ann Lee".into(),
            line1: "1 Main St".into(),
            line2: None,
            city: "Austin".into(),
            region: Some("TX".into()),
            postal_code: "78701".into(),
            country: "US".into(),
        },
        channel: Channel::B2c,
        currency: Currency::parse("USD").unwrap(),
        lines: vec![
            OrderLine {
                line_no: 1,
                sku: "SKU-1".into(),
                description: "Widget".into(),
                quantity: 2,
                unit_price: "9.99".parse::<Decimal>().unwrap(),
            },
            OrderLine {
                line_no: 2,
                sku: "SKU-2".into(),
                description: "Gadget".into(),
                quantity: 3,
                unit_price: "20".parse::<Decimal>().unwrap(),
            },
        ],
        promised_by: Some(t + jiff::SignedDuration::from_hours(72)),
        status: OrderStatus::Received,
        ordered_at: t,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

/// Inserts orders the way the app does: numbers from the counter, customers upserted.
pub async fn insert_orders(store: &DynStore, tenant: TenantId, refs: &[&str]) -> Vec<Order> {
    let mut tx = store.begin().await.unwrap();
    let first = tx
        .next_numbers(tenant, "order", refs.len() as u64)
        .await
        .unwrap();
    let ids = tx
        .upsert_customers(
            tenant,
            &[customer("ann@example.com")],
            &mut CustomerId::random,
        )
        .await
        .unwrap();
    let orders: Vec<Order> = refs
        .iter()
        .enumerate()
        .map(|(i, r)| order_fixture(tenant, r, first + i as i64, ids[0]))
        .collect();
    tx.insert_orders(&orders).await.unwrap();
    tx.commit().await.unwrap();
    orders
}

pub fn shipment_fixture(
    tenant: TenantId,
    carrier: CarrierId,
    tracking: &str,
    order: Option<OrderId>,
    lines: Vec<(u32, u32)>,
) -> Shipment {
    let t = now();
    let place = |city: &str| Place {
        name: None,
        city: city.into(),
        region: None,
        postal_code: "75001".into(),
        country: "US".into(),
        time_zone: "America/Chicago".into(),
    };
    Shipment {
        id: ShipmentId::random(),
        tenant_id: tenant,
        number: format!("SHP-{tracking}"),
        carrier_id: carrier,
        service_level: "ground".into(),
        tracking_number: tracking.into(),
        pro_number: None,
        bol_number: None,
        direction: Direction::Outbound,
        order_id: order,
        lines: lines
            .into_iter()
            .map(|(line_no, quantity)| ShipmentLine { line_no, quantity })
            .collect(),
        origin: place("Dallas"),
        destination: place("Austin"),
        weight_kg: "12.5".parse().unwrap(),
        pieces: 2,
        planned_pickup_at: Some(t),
        promised_by: Some(t + jiff::SignedDuration::from_hours(48)),
        international: false,
        pod_required: true,
        status: ShipmentStatus::InfoReceived,
        picked_up_at: None,
        delivered_at: None,
        created_at: t,
        updated_at: t,
    }
}

pub async fn seed_access(store: &DynStore, tenant: TenantId) -> (User, ApiToken) {
    let user = User {
        id: UserId::random(),
        email: "agent@example.com".into(),
        name: "Agent".into(),
        role: Role::Agent,
        tenants: vec![tenant],
        carrier_id: None,
        created_at: now(),
        disabled: false,
    };
    let token = ApiToken {
        id: TokenId::random(),
        name: "wms".into(),
        role: Role::Integration,
        tenant_id: Some(tenant),
        carrier_id: None,
        scopes: Some(vec!["orders:read".into(), "orders:write".into()]),
        created_at: now(),
        created_by: "system".into(),
        revoked_at: None,
        expires_at: None,
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user, "argon2-hash-placeholder-for-store-test")
        .await
        .unwrap();
    tx.insert_token(&token, b"token-hash").await.unwrap();
    tx.commit().await.unwrap();
    (user, token)
}

/// Seeds one tenant per slug, in order: most tests want two or three side by side.
pub async fn seed_tenants<const N: usize>(store: &DynStore, slugs: [&str; N]) -> [Tenant; N] {
    let mut tenants = Vec::with_capacity(N);
    for slug in slugs {
        tenants.push(seed_tenant(store, slug).await);
    }
    tenants
        .try_into()
        .unwrap_or_else(|_| unreachable!("one tenant per slug"))
}

/// Tenants alpha and beta, each with its own carrier of one SCAC: the scene for checking
/// that a read finds a tenant's records and never the other's look-alikes.
pub struct AlphaAndBeta {
    pub a: Tenant,
    pub b: Tenant,
    pub ca: Carrier,
    pub cb: Carrier,
}

/// Seeds [`AlphaAndBeta`] with carriers of `scac`.
pub async fn seed_alpha_and_beta(store: &DynStore, scac: &str) -> AlphaAndBeta {
    let (a, ca) = seed_tenant_with_carrier(store, "alpha", scac).await;
    let (b, cb) = seed_tenant_with_carrier(store, "beta", scac).await;
    AlphaAndBeta { a, b, ca, cb }
}

/// A tenant and one carrier of `scac` in it: what any shipment needs first.
pub async fn seed_tenant_with_carrier(
    store: &DynStore,
    slug: &str,
    scac: &str,
) -> (Tenant, Carrier) {
    let t = seed_tenant(store, slug).await;
    let c = seed_carrier(store, t.id, scac).await;
    (t, c)
}

/// Inserts shipments in a transaction of their own and commits it, as an import would.
pub async fn insert_shipments(store: &DynStore, shipments: &[Shipment]) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_shipments(shipments).await.unwrap();
    tx.commit().await.unwrap();
}

/// A database at an old migration, for the migration tests: SQLite in `dir` and a fresh
/// PostgreSQL one when reachable, each migrated only up to `last`.
pub async fn databases_migrated_up_to(dir: &tempfile::TempDir, last: i64) -> Vec<String> {
    let mut urls = vec![format!("sqlite://{}", dir.path().join("old.db").display())];
    urls.extend(consign_store::testing::fresh_postgres_url().await);
    for url in &urls {
        consign_store::testing::migrate_up_to(url, last).await;
    }
    urls
}

/// The tenant row every migration test seeds first, in the columns all migrations have.
pub const OLD_TENANT: &str = "INSERT INTO tenants (id, slug, name, time_zone, created_at) VALUES ($1, 'alpha', 'Alpha', 'UTC', 0)";

/// One value bound to an [`OldRow`]; each engine encodes it its own way.
pub enum OldValue {
    Id(Option<uuid::Uuid>),
    Text(Option<String>),
    Int(Option<i64>),
    Bytes(Vec<u8>),
}

/// `From` each Rust type the seeding statements bind, into its [`OldValue`].
macro_rules! old_values_from {
    ($($v:ident: $t:ty => $make:expr;)*) => {$(
        impl From<$t> for OldValue {
            fn from($v: $t) -> Self {
                $make
            }
        }
    )*};
}

old_values_from! {
    v: uuid::Uuid => OldValue::Id(Some(v));
    v: Option<uuid::Uuid> => OldValue::Id(v);
    v: &str => OldValue::Text(Some(v.to_string()));
    v: String => OldValue::Text(Some(v));
    v: Option<String> => OldValue::Text(v);
    v: i64 => OldValue::Int(Some(v));
    v: Option<i64> => OldValue::Int(v);
    v: Vec<u8> => OldValue::Bytes(v);
}

/// A row written straight into a database at an old migration (the store's own writes speak
/// only the newest schema), whichever engine the database is.
pub struct OldRow {
    sql: &'static str,
    values: Vec<OldValue>,
}

impl OldRow {
    pub fn new(sql: &'static str) -> Self {
        OldRow {
            sql,
            values: Vec::new(),
        }
    }
    /// Binds the next `$n` of the statement.
    pub fn bind(mut self, v: impl Into<OldValue>) -> Self {
        self.values.push(v.into());
        self
    }
}

/// Writes `rows` in order into the database at `url`, SQLite or PostgreSQL.
pub async fn seed_old_database(url: &str, rows: Vec<OldRow>) {
    use sqlx::Connection;
    if url.starts_with("sqlite:") {
        let conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        write_old_rows::<sqlx::Sqlite>(conn, rows).await;
    } else {
        let conn = sqlx::PgConnection::connect(url).await.unwrap();
        write_old_rows::<sqlx::Postgres>(conn, rows).await;
    }
}

/// [`seed_old_database`]'s writes, once for both engines.
async fn write_old_rows<DB>(mut conn: DB::Connection, rows: Vec<OldRow>)
where
    DB: sqlx::Database,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'t> Option<uuid::Uuid>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Option<String>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Option<i64>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Vec<u8>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    for row in rows {
        let mut q = sqlx::query::<DB>(row.sql);
        for v in row.values {
            q = match v {
                OldValue::Id(v) => q.bind(v),
                OldValue::Text(v) => q.bind(v),
                OldValue::Int(v) => q.bind(v),
                OldValue::Bytes(v) => q.bind(v),
            };
        }
        q.execute(&mut conn).await.unwrap();
    }
}

/// Inserts shipments and their cases together, in one committed transaction.
pub async fn insert_shipments_with_cases(
    store: &DynStore,
    shipments: &[Shipment],
    cases: &[consign_core::case::Case],
) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_shipments(shipments).await.unwrap();
    tx.insert_cases(cases).await.unwrap();
    tx.commit().await.unwrap();
}

/// The record a read of one id gives back (the last, were there more): spares each such
/// read its own unwrapping.
pub fn the_record<T, E: std::fmt::Debug>(read: Result<Vec<T>, E>) -> T {
    read.unwrap().pop().unwrap()
}
