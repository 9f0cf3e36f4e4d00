//! A real webhook receiver on a loopback port: it verifies every delivery's signature with the
//! `standardwebhooks` crate (the specification's reference library for Rust, an
//! implementation independent of ours) and records what arrived. Paths choose a behaviour:
//! answer 204, 500, 410, 503 with `Retry-After`, or hang.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Accept,
    Fail,
    Gone,
    RetryAfter(u64),
    Hang,
}

#[derive(Debug, Clone)]
pub struct Delivered {
    pub path: String,
    pub id: String,
    pub body: Value,
    /// How many `v1,` signatures the delivery carried.
    pub signatures: usize,
}

#[derive(Default)]
struct Inner {
    secrets: Vec<String>,
    behaviour: HashMap<String, Behaviour>,
    delivered: Vec<Delivered>,
    /// Every request, whatever was answered: (path, webhook-id).
    hits: Vec<(String, String)>,
    bad_signatures: usize,
}

#[derive(Clone)]
pub struct Receiver {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .route("/{path}", axum::routing::post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            base: format!("http://{addr}"),
            inner,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// The secrets a delivery may be signed with (any one verifying is enough).
    pub fn trust(&self, secret: &str) {
        self.inner.lock().unwrap().secrets.push(secret.to_string());
    }

    pub fn untrust_all(&self) {
        self.inner.lock().unwrap().secrets.clear();
    }

    pub fn set(&self, path: &str, b: Behaviour) {
        self.inner
            .lock()
            .unwrap()
            .behaviour
            .insert(path.to_string(), b);
    }

    pub fn delivered(&self, path: &str) -> Vec<Delivered> {
        let i = self.inner.lock().unwrap();
        i.delivered
            .iter()
            .filter(|d| d.path == path)
            .cloned()
            .collect()
    }

    pub fn hits(&self, path: &str) -> Vec<String> {
        let i = self.inner.lock().unwrap();
        i.hits
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, id)| id.clone())
            .collect()
    }

    pub fn bad_signatures(&self) -> usize {
        self.inner.lock().unwrap().bad_signatures
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let behaviour = {
        let mut i = inner.lock().unwrap();
        i.hits.push((path.clone(), id.clone()));
        i.behaviour.get(&path).copied().unwrap_or(Behaviour::Accept)
    };
    match behaviour {
        Behaviour::Fail => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Behaviour::Gone => return StatusCode::GONE.into_response(),
        Behaviour::RetryAfter(s) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [("retry-after", s.to_string())],
            )
                .into_response();
        }
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            return StatusCode::NO_CONTENT.into_response();
        }
        Behaviour::Accept => {}
    }
    let mut i = inner.lock().unwrap();
    let verified = i.secrets.iter().any(|s| {
        standardwebhooks::Webhook::new(s)
            .and_then(|w| w.verify(&body, &headers))
            .is_ok()
    });
    if !verified {
        i.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let signatures = headers
        .get("webhook-signature")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(' ').count())
        .unwrap_or(0);
    i.delivered.push(Delivered {
        path,
        id,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        signatures,
    });
    StatusCode::NO_CONTENT.into_response()
}

/// A receiver that reads a request and closes the connection without answering.
pub async fn hang_up() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                drop(sock);
            });
        }
    });
    format!("http://{addr}/cut")
}
