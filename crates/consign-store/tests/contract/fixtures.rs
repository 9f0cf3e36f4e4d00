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
