//! The published shape of a generated dataset's tenants (`tenants.json`): what `consign import
//! setup` and the demo create before any order is imported.

use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantPlan {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub carriers: Vec<CarrierPlan>,
    pub warehouses: Vec<WarehousePlan>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierPlan {
    pub name: String,
    pub scac: String,
    /// `parcel`, `ltl` or `ftl`.
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarehousePlan {
    pub code: String,
    pub name: String,
    pub time_zone: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

/// Reads a `tenants.json` written by the generator (or by hand in the same shape).
pub fn read_plans(file: &Path) -> anyhow::Result<Vec<TenantPlan>> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a tenants.json", file.display()))
}
