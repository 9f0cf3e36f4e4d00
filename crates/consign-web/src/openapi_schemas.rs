//! Component schemas of the OpenAPI document, derived from the domain and request types
//! themselves (utoipa), so the document cannot drift from what the API accepts and returns.

use crate::api::admin::{CreatedToken, CreatedUser};
use crate::api::session::Login;
use crate::error::Problem;
use consign_app::admin::{NewToken, NewUser};
use consign_core::FieldError;
use consign_core::access::{ApiToken, Role, User};
use consign_core::order::{
    Address, ChangeKind, ChangeRequest, Channel, CustomerInfo, NewOrder, NewOrderLine, Order,
    OrderChange, OrderLine, OrderStatus,
};
use consign_core::party::{Carrier, Customer, Mode, NewCarrier, NewWarehouse, Warehouse};
use consign_core::shipment::{
    Direction, Document, DocumentKind, NewShipment, NewShipmentLine, Place, Shipment, ShipmentLine,
    ShipmentStatus,
};
use consign_core::tenant::{NewTenant, Tenant};
use serde_json::{Value, json};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(components(schemas(
    Problem,
    FieldError,
    Login,
    Tenant,
    NewTenant,
    User,
    NewUser,
    CreatedUser,
    Role,
    ApiToken,
    NewToken,
    CreatedToken,
    Carrier,
    NewCarrier,
    Mode,
    Warehouse,
    NewWarehouse,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    Channel,
    Address,
    CustomerInfo,
    NewOrder,
    NewOrderLine,
    ChangeRequest,
    ChangeKind,
    OrderChange,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    Direction,
    Place,
    NewShipment,
    NewShipmentLine,
    Document,
    DocumentKind,
)))]
struct Schemas;

/// `{ items: [T], next_cursor? }` for each listed type.
fn page(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } },
            "next_cursor": { "type": "string", "description": "pass as ?cursor= for the next page; absent on the last page" }
        }
    })
}

pub fn schemas() -> Value {
    let doc = Schemas::openapi();
    let mut map = serde_json::to_value(doc.components.map(|c| c.schemas).unwrap_or_default())
        .unwrap_or_default();
    let obj = map.as_object_mut().expect("schemas serialise to an object");
    for (page_name, item) in [
        ("TenantPage", "Tenant"),
        ("UserPage", "User"),
        ("TokenPage", "ApiToken"),
        ("CarrierPage", "Carrier"),
        ("WarehousePage", "Warehouse"),
        ("CustomerPage", "Customer"),
        ("OrderPage", "Order"),
        ("OrderChangePage", "OrderChange"),
        ("ShipmentPage", "Shipment"),
        ("DocumentPage", "Document"),
    ] {
        obj.insert(page_name.into(), page(item));
    }
    obj.insert(
        "AuditPage".into(),
        json!({ "type": "object", "properties": { "items": { "type": "array", "items": {
            "type": "object",
            "properties": { "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
                            "action": {"type": "string"}, "before": {}, "after": {}, "hash": {"type": "string"} } } } } }),
    );
    obj.insert(
        "Session".into(),
        json!({ "type": "object", "properties": { "user": { "$ref": "#/components/schemas/User" }, "csrf_token": { "type": "string" } } }),
    );
    obj.insert(
        "Whoami".into(),
        json!({ "type": "object", "properties": { "actor": {}, "role": { "$ref": "#/components/schemas/Role" },
                 "capabilities": { "type": "array", "items": { "type": "string" } }, "csrf_token": { "type": ["string", "null"] } } }),
    );
    map
}
