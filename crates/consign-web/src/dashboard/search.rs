//! The search box in the header: a reference a person has in hand (a shipment or order
//! number in any letter case, a tracking number or a part of it, a PRO or bill of lading
//! number, the client's order reference, a customer's name) across every client they serve.
//! One match opens its page straight away; several are listed with their client.

use super::{Frame, Viewer, error_page, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use consign_store::FoundKind;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/app/search", get(search))
}

struct Hit {
    kind: &'static str,
    number: String,
    href: String,
    tenant: String,
    detail: String,
    status: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    frame: Frame,
    q: String,
    hits: Vec<Hit>,
    short: bool,
}

async fn search(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let text = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let found = if text.is_empty() {
        Vec::new()
    } else {
        match st.app.find_references(&v.principal, &text).await {
            Ok(f) => f,
            Err(e) => return error_page(e),
        }
    };
    let hits: Vec<Hit> = found
        .into_iter()
        .map(|(t, f)| Hit {
            kind: match f.kind {
                FoundKind::Shipment => "shipment",
                FoundKind::Order => "order",
            },
            href: match f.kind {
                FoundKind::Shipment => format!("/app/{}/shipments/{}", t.slug, f.id),
                FoundKind::Order => format!("/app/{}/orders/{}", t.slug, f.id),
            },
            number: f.number,
            tenant: t.name,
            detail: f.detail,
            status: f.status.replace('_', " "),
        })
        .collect();
    // One record found: the person wanted it, not a list of one.
    if let [one] = hits.as_slice() {
        return Redirect::to(&one.href).into_response();
    }
    render(SearchPage {
        short: !text.is_empty() && text.chars().count() < consign_store::PART_MIN,
        frame: v.into(),
        q: text,
        hits,
    })
}
