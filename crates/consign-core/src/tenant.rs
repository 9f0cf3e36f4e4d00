//! Tenants: one client account each. Everything the product stores belongs to exactly one.

use crate::{Invalid, ids::TenantId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    pub id: TenantId,
    /// URL-safe handle used in API paths (`/api/v1/tenants/{slug}/…`).
    pub slug: String,
    pub name: String,
    /// IANA zone used for the tenant's business dates (promised-by end of day, reports).
    pub time_zone: String,
    pub created_at: jiff::Timestamp,
}

/// Slugs appear in URLs and file names, so keep them to a conservative alphabet.
pub fn validate_slug(slug: &str, field: &str, invalid: &mut Invalid) {
    let ok = (2..=40).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if !ok {
        invalid.push(field, format!("'{slug}' must be 2-40 characters of a-z, 0-9 and '-', not starting or ending with '-'"));
    }
}

pub fn validate_time_zone(tz: &str, field: &str, invalid: &mut Invalid) {
    if jiff::tz::TimeZone::get(tz).is_err() {
        invalid.push(field, format!("'{tz}' is not a known IANA time zone"));
    }
}

pub fn validate_name(name: &str, field: &str, max: usize, invalid: &mut Invalid) {
    let t = name.trim();
    if t.is_empty() {
        invalid.push(field, "must not be empty");
    } else if t.chars().count() > max {
        invalid.push(field, format!("must be at most {max} characters"));
    } else if t.chars().any(|c| c.is_control()) {
        invalid.push(field, "must not contain control characters");
    }
}

/// A new tenant as requested, validated into a `Tenant` with `accept`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    #[serde(default = "default_tz")]
    pub time_zone: String,
}

fn default_tz() -> String {
    "UTC".into()
}

impl NewTenant {
    pub fn accept(self, id: TenantId, now: jiff::Timestamp) -> Result<Tenant, Invalid> {
        let mut inv = Invalid::default();
        validate_slug(&self.slug, "slug", &mut inv);
        validate_name(&self.name, "name", 200, &mut inv);
        validate_time_zone(&self.time_zone, "time_zone", &mut inv);
        inv.into_result(Tenant {
            id,
            slug: self.slug,
            name: self.name.trim().to_string(),
            time_zone: self.time_zone,
            created_at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_validation_names_each_bad_field() {
        let t = NewTenant {
            slug: "Bad Slug".into(),
            name: " ".into(),
            time_zone: "Mars/Olympus".into(),
        };
        let err = t
            .accept(TenantId::random(), jiff::Timestamp::UNIX_EPOCH)
            .unwrap_err();
        let fields: Vec<_> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["slug", "name", "time_zone"]);
    }
}
