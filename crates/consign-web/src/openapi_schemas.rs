//! Component schemas of the OpenAPI document, derived from the domain and request types
//! themselves (utoipa), so the document cannot drift from what the API accepts and returns.

use crate::api::admin::{CreatedToken, CreatedUser};
use crate::api::session::Login;
use crate::api::tracking::{CaseView, EventBatch, RulebookView, TrackingView};
use crate::error::Problem;
use consign_app::admin::{NewToken, NewUser};
use consign_app::tracking::{CaseChanges, IngestOutcome, ItemOutcome, ItemResult};
use consign_core::FieldError;
use consign_core::access::{ApiToken, Role, User};
use consign_core::case::{Case, CaseStatus, Severity, TimelineEntry, TimelineKind};
use consign_core::edi::{
    InterchangeRecord, NewTradingPartner, OutboundGroup, PartnerKind, SetRecord, TradingPartner,
};
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
use consign_core::tracking::NewTrackingEvent;
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
    TradingPartner,
    NewTradingPartner,
    PartnerKind,
    InterchangeRecord,
    SetRecord,
    OutboundGroup,
    NewTrackingEvent,
    EventBatch,
    IngestOutcome,
    ItemOutcome,
    ItemResult,
    CaseChanges,
    Case,
    CaseStatus,
    Severity,
    TimelineEntry,
    TimelineKind,
    CaseView,
    TrackingView,
    RulebookView,
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
        ("PartnerPage", "TradingPartner"),
        ("OutboundGroupPage", "OutboundGroup"),
        ("InterchangePage", "InterchangeRecord"),
        ("CasePage", "Case"),
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
        "InterchangeDetail".into(),
        json!({ "allOf": [ { "$ref": "#/components/schemas/InterchangeRecord" },
            { "type": "object", "properties": { "sets": { "type": "array", "items": { "$ref": "#/components/schemas/SetRecord" } } } } ] }),
    );
    obj.insert(
        "Tender".into(),
        json!({ "type": "object", "properties": {
            "interchange": { "$ref": "#/components/schemas/InterchangeRecord" },
            "group_control": { "type": "string" },
            "x12": { "type": "string", "description": "the 204 interchange as sent" } } }),
    );
    obj.insert(
        "EdiReport".into(),
        json!({ "type": "object", "description": "What was accepted per interchange, group and set, and the acknowledgements we answer with",
            "properties": {
                "problems": { "type": "array", "items": { "type": "string" } },
                "interchanges": { "type": "array", "items": { "type": "object", "properties": {
                    "sender": {"type": "string"}, "receiver": {"type": "string"}, "control": {"type": "string"},
                    "status": {"type": "string", "enum": ["accepted", "partially_accepted", "rejected", "duplicate"]},
                    "problems": {"type": "array", "items": {"type": "string"}}, "warnings": {"type": "array", "items": {"type": "string"}},
                    "groups": {"type": "array", "items": {"type": "object", "properties": {
                        "functional_id": {"type": "string"}, "control": {"type": "string"}, "ack_status": {"type": "string"},
                        "sets": {"type": "array", "items": {"type": "object", "properties": {
                            "id": {"type": "string"}, "control": {"type": "string"}, "status": {"type": "string"},
                            "problems": {"type": "array", "items": {"type": "string"}}, "content": {} } } } } } } } } },
                "acknowledgements": { "type": "string", "description": "997 interchanges (and TA1s) as X12 text" } } }),
    );
    obj.insert(
        "TrackingQuality".into(),
        json!({ "type": "object", "properties": {
            "events": { "type": "integer" }, "orphans": { "type": "integer", "description": "events waiting for their shipment" },
            "unmapped": { "type": "array", "items": { "type": "object", "properties": {
                "source": {"type": "string"}, "raw_code": {"type": "string"}, "raw_reason": {"type": "string"}, "count": {"type": "integer"} } } } } }),
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
