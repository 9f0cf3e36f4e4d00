//! Webhook endpoints: a URL a client, carrier or administrator registers for the events it
//! wants, with its signing secrets. The URL's shape and the addresses it may reach are checked
//! here (server-side request forgery: an endpoint must not point the server at its own
//! network unless the administrator allowed it); the name lookup itself is the app's.

use super::outbox::EventType;
use super::webhook::WebhookSecret;
use crate::Invalid;
use crate::ids::{CarrierId, TenantId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use uuid::Uuid;

/// A registered endpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub url: String,
    pub description: String,
    /// A carrier's endpoint: only events about that carrier's shipments and cases.
    pub carrier: Option<CarrierId>,
    pub events: Vec<EventType>,
    /// Every secret in force, newest first; more than one during a rotation.
    pub secrets: Vec<EndpointSecret>,
    pub disabled_at: Option<Timestamp>,
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub created_by: String,
}

/// A secret and how long it stays in force (the old one of a rotation expires).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSecret {
    pub secret: WebhookSecret,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

impl WebhookEndpoint {
    /// Whether this endpoint gets `event` about a subject of `carrier`.
    pub fn wants(&self, event: EventType, carrier: Option<CarrierId>) -> bool {
        self.disabled_at.is_none()
            && self.events.contains(&event)
            && self.carrier.is_none_or(|own| carrier == Some(own))
    }

    /// The secrets that sign a delivery at `now`.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<WebhookSecret> {
        self.secrets
            .iter()
            .filter(|s| s.expires_at.is_none_or(|e| e > now))
            .map(|s| s.secret.clone())
            .collect()
    }
}

/// What a caller submits to register or change an endpoint.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// `https://…` (or `http://…`), reachable from the server.
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// The event types to deliver (`case.opened`, `shipment.delivered`, …).
    pub events: Vec<String>,
}

impl NewEndpoint {
    /// Checks the fields; returns the parsed URL's host and the event types.
    pub fn check(&self) -> Result<(url::Url, Vec<EventType>), Invalid> {
        let mut inv = Invalid::default();
        let url = match check_url(&self.url) {
            Ok(u) => Some(u),
            Err(e) => {
                inv.push("url", e);
                None
            }
        };
        if self.description.chars().count() > 200 {
            inv.push("description", "must be at most 200 characters");
        }
        let mut events = Vec::new();
        if self.events.is_empty() {
            inv.push("events", "name at least one event type");
        }
        for (i, e) in self.events.iter().enumerate() {
            match EventType::parse(e) {
                Ok(t) if !events.contains(&t) => events.push(t),
                Ok(_) => {}
                Err(m) => inv.push(format!("events[{i}]"), m),
            }
        }
        match url {
            Some(u) if inv.is_empty() => Ok((u, events)),
            _ => Err(inv),
        }
    }
}

/// An endpoint URL must be absolute http(s) with a host, no credentials and no fragment.
pub fn check_url(s: &str) -> Result<url::Url, String> {
    if s.len() > 2000 {
        return Err("must be at most 2000 characters".into());
    }
    let u = url::Url::parse(s.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if u.scheme() != "https" && u.scheme() != "http" {
        return Err(format!(
            "scheme '{}' is not allowed; use https:// (or http://)",
            u.scheme()
        ));
    }
    if u.host().is_none() {
        return Err("the URL names no host".into());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("credentials in the URL are not allowed; the signature authenticates".into());
    }
    if u.fragment().is_some() {
        return Err("a fragment (#…) is never sent; remove it".into());
    }
    Ok(u)
}

/// Addresses an endpoint may not reach unless the administrator allowed private targets:
/// loopback, private ranges (RFC 1918, unique-local), link-local (cloud metadata services
/// live there), carrier-grade NAT, unspecified, multicast, broadcast and documentation ranges.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "8.8.8.8",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn endpoints_are_checked_field_by_field() {
        let ok = NewEndpoint {
            url: "https://hooks.example.com/consign".into(),
            description: "ERP".into(),
            events: vec![
                "case.opened".into(),
                "case.opened".into(),
                "shipment.delivered".into(),
            ],
        };
        let (u, events) = ok.check().unwrap();
        assert_eq!(u.host_str(), Some("hooks.example.com"));
        assert_eq!(
            events,
            vec![EventType::CaseOpened, EventType::ShipmentDelivered]
        );
        for (url, events, field) in [
            ("ftp://x.example/", vec!["case.opened"], "url"),
            ("https://user:pw@x.example/", vec!["case.opened"], "url"),
            ("not a url", vec!["case.opened"], "url"),
            ("https://x.example/", vec![], "events"),
            ("https://x.example/", vec!["case.closed"], "events[0]"),
        ] {
            let e = NewEndpoint {
                url: url.into(),
                description: String::new(),
                events: events.into_iter().map(String::from).collect(),
            }
            .check()
            .unwrap_err();
            assert!(e.errors.iter().any(|x| x.field == field), "{url}: {e:?}");
        }
    }
}
