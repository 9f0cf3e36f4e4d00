//! The OpenAPI 3.1 document, served at `/api/openapi.json` with Swagger UI at `/api/docs`
//! (vendored, no CDN). Its paths come from the same declarations as the router's API routes
//! (`crate::api::routes`), so every route served is described. `consign export-openapi` writes
//! the same document; CI diffs it against the committed `openapi.json`.

use crate::AppState;
use axum::Router;
use serde_json::{Value, json};
use utoipa_swagger_ui::SwaggerUi;

/// The document, as the router built from the same routes serves it.
pub fn spec() -> Value {
    let (_, paths, _) = crate::api::routes().into_parts();
    document(paths)
}

/// The full document around the paths the API routes declared: what every operation shares
/// (error answers, the idempotency header), security, and the component schemas.
pub fn document(api: utoipa::openapi::OpenApi) -> Value {
    let mut paths = serde_json::to_value(&api.paths).unwrap_or_else(|_| json!({}));
    for item in paths
        .as_object_mut()
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        for (method, op) in item.as_object_mut().into_iter().flatten() {
            shared_by_every_operation(method, op);
        }
    }
    let mut schemas = crate::openapi_schemas::schemas();
    // Types a route names that are not listed there: derived by the same `ToSchema`, so the
    // listed definition, where there is one, is the same schema.
    for (name, schema) in api.components.map(|c| c.schemas).unwrap_or_default() {
        if !schemas.contains_key(&name) {
            schemas.insert(name, serde_json::to_value(schema).unwrap_or_default());
        }
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
            "schemas": schemas
        },
        "security": [ { "bearer": [] }, { "session": [] } ]
    })
}

/// Added here rather than in each `#[utoipa::path]` because layers around every route produce
/// them: any request can be answered with a problem (401, 413, 429, …), and the idempotency
/// middleware honours `Idempotency-Key` on every POST.
fn shared_by_every_operation(method: &str, op: &mut Value) {
    let Some(op) = op.as_object_mut() else {
        return;
    };
    if method == "post" {
        let params = op.entry("parameters").or_insert_with(|| json!([]));
        if let Some(params) = params.as_array_mut() {
            params.push(json!({
                "name": "Idempotency-Key",
                "in": "header",
                "required": false,
                "description": "Replays the first answer to a repeat of this request by the same caller (kept at least 24 hours); the same key with a different request is a 409",
                "schema": { "type": "string", "maxLength": 255 }
            }));
        }
    }
    let responses = op.entry("responses").or_insert_with(|| json!({}));
    if let Some(responses) = responses.as_object_mut() {
        responses.insert(
            "default".into(),
            json!({
                "description": "RFC 9457 problem",
                "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
            }),
        );
    }
}

pub fn swagger_ui(doc: Value) -> Router<AppState> {
    Router::new()
        .merge(SwaggerUi::new("/api/docs").external_url_unchecked("/api/openapi.json", doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a validator would refuse, checked where the declarations are: every `{param}` of a
    /// path is declared by each of its operations, and every `$ref` names a component.
    #[test]
    fn path_parameters_are_declared_and_refs_resolve() {
        let doc = spec();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let in_path: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            for (method, op) in item.as_object().unwrap() {
                let declared: Vec<&str> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                assert_eq!(declared, in_path, "{method} {path}");
            }
        }
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        for r in refs {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or(&r);
            assert!(schemas.contains_key(name), "dangling $ref {r}");
        }
    }

    fn collect_refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| collect_refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }
}
