//! Component schemas of the OpenAPI document, derived from the domain and request types
//! themselves (utoipa), so the document cannot drift from what the API accepts and returns.
//! The few answers built as ad hoc JSON (pages, reports) are written out here, each behind a
//! type named like its schema so `#[utoipa::path]` can name it as a body. The API's own
//! request and answer types are not listed: the routes that name them bring their schemas, so
//! this module stays below `api`, which uses its page types.

use crate::error::Problem;
use consign_app::admin::{NewToken, NewUser};
use consign_app::messages::endpoints::EndpointView;
use consign_app::messages::outbox::Delivery;
use consign_app::messages::templates::TemplateView;
use consign_app::tracking::{CaseChanges, IngestOutcome, ItemOutcome, ItemResult};
use consign_core::FieldError;
use consign_core::access::{ApiToken, Role, User};
use consign_core::case::{Case, CaseStatus, Severity, TimelineEntry, TimelineKind};
use consign_core::edi::{
    InterchangeRecord, NewTradingPartner, OutboundGroup, PartnerKind, SetRecord, TradingPartner,
};
use consign_core::message::Template;
use consign_core::message::outbox::{DeliveryAttempt, DeliveryState, OutboxMessage, Transport};
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
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{OpenApi, PartialSchema, ToSchema};

#[derive(OpenApi)]
#[openapi(components(schemas(
    Problem,
    FieldError,
    Tenant,
    NewTenant,
    User,
    NewUser,
    Role,
    ApiToken,
    NewToken,
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
    IngestOutcome,
    ItemOutcome,
    ItemResult,
    CaseChanges,
    Case,
    CaseStatus,
    Severity,
    TimelineEntry,
    TimelineKind,
    EndpointView,
    Delivery,
    OutboxMessage,
    DeliveryAttempt,
    DeliveryState,
    Transport,
    TemplateView,
    Template,
)))]
struct Schemas;

/// `{ items: [T], next_cursor? }`, the answer of every list (see [`page_schema!`]).
pub(crate) fn page(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } },
            "next_cursor": { "type": "string", "description": "pass as ?cursor= for the next page; absent on the last page" }
        }
    })
}

/// The schemas of every type listed above, and of the written-out ones.
pub fn schemas() -> Map<String, Value> {
    let doc = Schemas::openapi();
    let mut map = match serde_json::to_value(doc.components.map(|c| c.schemas)) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    map.extend(written_out());
    map
}

/// Schemas of answers that are built as JSON rather than from one Rust type.
pub(crate) fn written_out() -> Map<String, Value> {
    let mut obj = Map::new();
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
    obj
}

/// Declares the schema of a list answer, `{ items: [Item], next_cursor? }`, as a type named
/// like it (`OrderPage => Order`) for a handler's `#[utoipa::path]` to name as its body. The
/// router collects it, and the item's schema with it, from the routes that answer with it: a
/// capability declares its lists' answers in its own API module.
macro_rules! page_schema {
    ($($name:ident => $item:ty),* $(,)?) => {$(
        #[doc = concat!("A page of `", stringify!($item), "`: the `", stringify!($name), "` schema of the OpenAPI document.")]
        pub struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let item = <$item as utoipa::ToSchema>::name();
                serde_json::from_value($crate::openapi_schemas::page(&item))
                    .expect("a page schema is a valid schema")
            }
        }
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
            fn schemas(
                schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>,
            ) {
                schemas.push((
                    <$item as utoipa::ToSchema>::name().into(),
                    <$item as utoipa::PartialSchema>::schema(),
                ));
                <$item as utoipa::ToSchema>::schemas(schemas);
            }
        }
    )*};
}
pub(crate) use page_schema;

/// A type standing for a written-out schema, so a handler's `#[utoipa::path]` names its body
/// as a type (a misspelt name does not compile) and the router collects the schema with it.
macro_rules! written_out {
    ($($name:ident),* $(,)?) => {$(
        #[doc = concat!("The `", stringify!($name), "` schema of the OpenAPI document.")]
        pub struct $name;
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let mut written = written_out()
                    .remove(stringify!($name))
                    .expect("every written-out type has its schema");
                typeless_as_null(&mut written);
                serde_json::from_value(written).expect("written-out schemas are valid schemas")
            }
        }
        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    )*};
}

/// utoipa reads a schema's missing `type` as an error, not as "any value" (`{}`, which it
/// writes for a typeless schema), so the written-out `{}`s are spelt `"type": null` for it.
fn typeless_as_null(v: &mut Value) {
    match v {
        Value::Object(m) if m.is_empty() => {
            m.insert("type".into(), Value::Null);
        }
        Value::Object(m) => m.values_mut().for_each(typeless_as_null),
        Value::Array(a) => a.iter_mut().for_each(typeless_as_null),
        _ => {}
    }
}

written_out!(
    AuditPage,
    InterchangeDetail,
    Tender,
    EdiReport,
    TrackingQuality,
    Session,
    Whoami,
);

/// Raw bytes of any media type (document uploads), as a request body.
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}
