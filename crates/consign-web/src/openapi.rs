//! The OpenAPI 3.1 document, built from the route table below so every route the router serves
//! is described, and served at `/api/openapi.json` with Swagger UI at `/api/docs` (vendored,
//! no CDN). `consign export-openapi` writes the same document; CI diffs it against the
//! committed `openapi.json`.

use crate::AppState;
use axum::Router;
use serde_json::{Value, json};
use utoipa_swagger_ui::SwaggerUi;

/// (method, path, summary, capability or auth note, request body schema, success status, response schema)
type Route = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
);

const T: &str = "/api/v1/tenants/{tenant}";

fn routes() -> Vec<Route> {
    vec![
        (
            "post",
            "/api/v1/session",
            "Sign in with e-mail and password; sets the session cookie and returns the CSRF token",
            Some("Login"),
            "201",
            "Session",
        ),
        (
            "get",
            "/api/v1/session",
            "Who is calling: actor, role, capabilities",
            None,
            "200",
            "Whoami",
        ),
        ("delete", "/api/v1/session", "Sign out", None, "204", ""),
        (
            "get",
            "/api/v1/tenants",
            "Tenants the caller reaches",
            None,
            "200",
            "TenantPage",
        ),
        (
            "post",
            "/api/v1/tenants",
            "Create a tenant (admin)",
            Some("NewTenant"),
            "201",
            "Tenant",
        ),
        (
            "get",
            "/api/v1/users",
            "Users (admin)",
            None,
            "200",
            "UserPage",
        ),
        (
            "post",
            "/api/v1/users",
            "Create a user; a generated password is returned once",
            Some("NewUser"),
            "201",
            "User",
        ),
        (
            "get",
            "/api/v1/tokens",
            "API tokens (admin); secrets are never returned",
            None,
            "200",
            "TokenPage",
        ),
        (
            "post",
            "/api/v1/tokens",
            "Create an API token; the secret is returned once",
            Some("NewToken"),
            "201",
            "CreatedToken",
        ),
        (
            "delete",
            "/api/v1/tokens/{id}",
            "Revoke a token",
            None,
            "204",
            "",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}",
            "One tenant",
            None,
            "200",
            "Tenant",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/carriers",
            "The tenant's carriers",
            None,
            "200",
            "CarrierPage",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/carriers",
            "Add a carrier (admin)",
            Some("NewCarrier"),
            "201",
            "Carrier",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/warehouses",
            "The tenant's warehouses",
            None,
            "200",
            "WarehousePage",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/warehouses",
            "Add a warehouse (admin)",
            Some("NewWarehouse"),
            "201",
            "Warehouse",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/customers",
            "The tenant's customers (cursor pagination)",
            None,
            "200",
            "CustomerPage",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/edi/partners",
            "EDI trading partners",
            None,
            "200",
            "PartnerPage",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/edi/partners",
            "Add a trading partner (ISA ids, carrier or warehouse, strictness)",
            Some("NewTradingPartner"),
            "201",
            "TradingPartner",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/edi/partners/{id}/outbound",
            "Groups sent to the partner and the 997 that answered each",
            None,
            "200",
            "OutboundGroupPage",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/edi",
            "Receive raw X12; answers with per-set verdicts and the 997s (Accept: application/edi-x12 for the 997s alone)",
            Some("x12"),
            "200",
            "EdiReport",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/orders/{id}/warehouse-order",
            "Send the order to a warehouse (?warehouse=CODE) as an EDI 940 (stored, awaiting its 997)",
            None,
            "201",
            "Tender",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/shipments/{id}/tender",
            "Tender the shipment to its carrier as an EDI 204 (stored, awaiting its 997)",
            None,
            "201",
            "Tender",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/edi/interchanges",
            "Stored interchanges, inbound and outbound, newest first",
            None,
            "200",
            "InterchangePage",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/edi/interchanges/{id}",
            "One interchange with its transaction sets",
            None,
            "200",
            "InterchangeDetail",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/edi/interchanges/{id}/raw",
            "The interchange's bytes as received or sent",
            None,
            "200",
            "x12",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/audit/{entity}/{id}",
            "Audit trail of one entity (admin)",
            None,
            "200",
            "AuditPage",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/orders",
            "Orders, newest first; filters status, from, to, q; cursor pagination",
            None,
            "200",
            "OrderPage",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/orders",
            "Create an order (honours Idempotency-Key)",
            Some("NewOrder"),
            "201",
            "Order",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/orders/{id}",
            "One order",
            None,
            "200",
            "Order",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/orders/{id}/changes",
            "The order's change requests",
            None,
            "200",
            "OrderChangePage",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/orders/{id}/changes",
            "Request an address change, cancellation or promise change (only before anything ships)",
            Some("ChangeRequest"),
            "200",
            "Order",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/orders/{id}/release",
            "Release a received order for fulfilment",
            None,
            "200",
            "Order",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/shipments",
            "Shipments, newest first; filters status, carrier, order, from, to, q; cursor pagination",
            None,
            "200",
            "ShipmentPage",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/shipments",
            "Create a shipment (honours Idempotency-Key)",
            Some("NewShipment"),
            "201",
            "Shipment",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/shipments/{id}",
            "One shipment",
            None,
            "200",
            "Shipment",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/shipments/{id}/documents",
            "The shipment's documents",
            None,
            "200",
            "DocumentPage",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/shipments/{id}/documents",
            "Attach a document: raw body, ?kind=&filename=",
            Some("binary"),
            "201",
            "Document",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/shipments/{id}/documents/{doc}",
            "Download a document",
            None,
            "200",
            "binary",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/tracking-events",
            "Ingest up to 10,000 canonical tracking events; a result per item (accepted, duplicate, orphan) after the durable commit",
            Some("EventBatch"),
            "200",
            "IngestOutcome",
        ),
        (
            "post",
            "/api/v1/tenants/{tenant}/webhooks/{format}",
            "Tracking webhook (format open_source_12 or tracking_saas); X-Consign-Signature HMAC when a secret is configured",
            Some("json"),
            "200",
            "IngestOutcome",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/shipments/{id}/tracking",
            "A shipment's events, derived state and open cases",
            None,
            "200",
            "TrackingView",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/tracking/quality",
            "Tracking data quality: events, orphans, unmapped codes per source",
            None,
            "200",
            "TrackingQuality",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/cases",
            "Exception cases, newest first, filtered by type, status, severity, carrier, accountable party, opened date",
            None,
            "200",
            "CasePage",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/cases/{id}",
            "A case with its timeline",
            None,
            "200",
            "CaseView",
        ),
        (
            "get",
            "/api/v1/tenants/{tenant}/rulebook",
            "The rulebook in force (version 0 is the shipped default)",
            None,
            "200",
            "RulebookView",
        ),
        (
            "put",
            "/api/v1/tenants/{tenant}/rulebook",
            "Store a new rulebook version (TOML body); refused with every problem when invalid",
            Some("toml"),
            "201",
            "RulebookView",
        ),
    ]
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn params(path: &str, method: &str) -> Vec<Value> {
    let mut v: Vec<Value> = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    let list = |names: &[&str]| {
        names.iter().map(|n| json!({ "name": n, "in": "query", "required": false, "schema": { "type": "string" } })).collect::<Vec<_>>()
    };
    if method == "get" && path.ends_with("/orders") {
        v.extend(list(&["status", "from", "to", "q", "cursor", "limit"]));
    } else if method == "get" && path.ends_with("/shipments") {
        v.extend(list(&[
            "status", "carrier", "order", "from", "to", "q", "cursor", "limit",
        ]));
    } else if method == "get" && path.ends_with("/cases") {
        v.extend(list(&[
            "type",
            "status",
            "severity",
            "carrier",
            "accountable",
            "shipment",
            "partner",
            "from",
            "to",
            "cursor",
            "limit",
        ]));
    } else if method == "post" && path.ends_with("/webhooks/{format}") {
        v.extend(list(&["carrier"]));
    } else if method == "get" && path.ends_with("/customers") {
        v.extend(list(&["cursor", "limit"]));
    } else if method == "post" && path.ends_with("/warehouse-order") {
        v.extend(list(&["warehouse"]));
    } else if method == "post" && path.ends_with("/documents") {
        v.extend(list(&["kind", "filename"]));
    }
    if method == "post" {
        v.push(json!({ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string", "maxLength": 255 } }));
    }
    v
}

/// The document.
pub fn spec() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, body, status, response) in routes() {
        let mut op = json!({
            "summary": summary,
            "operationId": format!("{method}{}", path.replace(T, "").replace(['/', '{', '}'], "_")),
            "parameters": params(path, method),
            "responses": {
                status: if response.is_empty() { json!({ "description": "done" }) }
                        else if response == "x12" { json!({ "description": "X12", "content": { "application/edi-x12": { "schema": { "type": "string" } } } }) }
                        else if response == "binary" { json!({ "description": "the document", "content": { "application/octet-stream": {} } }) }
                        else { json!({ "description": "success", "content": { "application/json": { "schema": schema_ref(response) } } }) },
                "default": { "description": "RFC 9457 problem", "content": { "application/problem+json": { "schema": schema_ref("Problem") } } }
            }
        });
        match body {
            Some("x12") => {
                op["requestBody"] = json!({ "required": true, "content": { "application/edi-x12": { "schema": { "type": "string" } } } })
            }
            Some("json") => {
                op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } })
            }
            Some("toml") => {
                op["requestBody"] = json!({ "required": true, "content": { "application/toml": { "schema": { "type": "string" } } } })
            }
            Some("binary") => {
                op["requestBody"] = json!({ "required": true, "content": { "*/*": { "schema": { "type": "string", "format": "binary" } } } })
            }
            Some(b) => {
                op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema_ref(b) } } })
            }
            None => {}
        }
        paths.entry(path.to_string()).or_insert_with(|| json!({}))[method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Consign API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Logistics back office: orders, shipments, documents, tenants and access. Errors are RFC 9457 problem details."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "API token (cst_…)" },
                "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE, "description": "Browser session; unsafe methods need X-CSRF-Token" }
            },
            "schemas": crate::openapi_schemas::schemas()
        },
        "security": [ { "bearer": [] }, { "session": [] } ]
    })
}

pub fn swagger_ui() -> Router<AppState> {
    Router::new()
        .merge(SwaggerUi::new("/api/docs").external_url_unchecked("/api/openapi.json", spec()))
}
