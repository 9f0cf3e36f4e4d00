//! Case KPIs for a period (SPEC §10): the core measures, this module gathers the cases and
//! their timelines and groups them by tenant, case type, carrier, accountable party or team.

use super::settings::settings_for;
use crate::{App, AppError, AppResult, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::case::kpi::{CaseKpis, CaseRecord, case_kpis};
use consign_core::tenant::Tenant;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// How a report splits its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Tenant,
    CaseType,
    Carrier,
    Accountable,
    Team,
}

impl GroupBy {
    pub fn parse(s: &str) -> Result<GroupBy, String> {
        Ok(match s {
            "tenant" => GroupBy::Tenant,
            "type" | "case_type" => GroupBy::CaseType,
            "carrier" => GroupBy::Carrier,
            "accountable" => GroupBy::Accountable,
            "team" => GroupBy::Team,
            _ => {
                return Err(format!(
                    "unknown grouping '{s}'; expected tenant, type, carrier, accountable or team"
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Tenant => "tenant",
            GroupBy::CaseType => "type",
            GroupBy::Carrier => "carrier",
            GroupBy::Accountable => "accountable",
            GroupBy::Team => "team",
        }
    }
}

/// One group's figures.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiGroup {
    /// The group's key: a case type, a carrier's name, a party, a team, or the tenant slug.
    pub key: String,
    #[serde(flatten)]
    pub kpis: CaseKpis,
}

/// The case KPIs of a tenant for a period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseKpiReport {
    pub tenant: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub group_by: String,
    /// The case-settings version whose calendars measured business time.
    pub settings_version: i64,
    /// Every case of the period together.
    pub total: CaseKpis,
    pub groups: Vec<KpiGroup>,
}

/// Longest period one report covers.
const MAX_DAYS: i64 = 400;

impl App {
    pub async fn case_kpis(
        &self,
        p: &Principal,
        tenant: &Tenant,
        from: Timestamp,
        to: Timestamp,
        group_by: GroupBy,
    ) -> AppResult<CaseKpiReport> {
        require(p, Capability::ReadCases)?;
        if !p.role.is_provider() && p.carrier.is_some() {
            return Err(AppError::Forbidden(
                "case KPIs are the provider's and the client's".into(),
            ));
        }
        if to <= from {
            return Err(AppError::Invalid(Invalid::one("to", "must be after from")));
        }
        if to.duration_since(from).as_hours() > MAX_DAYS * 24 {
            return Err(AppError::Invalid(Invalid::one(
                "to",
                format!("a report covers at most {MAX_DAYS} days"),
            )));
        }
        let now = self.now();
        let settings = settings_for(self, tenant.id).await?;
        let cases = self.store.cases_in_period(tenant.id, from, to).await?;
        let ids: Vec<_> = cases.iter().map(|c| (c.tenant_id, c.id)).collect();
        let timelines = self.store.case_timelines(&ids).await?;
        let carriers: BTreeMap<_, _> = self
            .store
            .carriers(tenant.id)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        let empty = Vec::new();
        let records: Vec<(String, CaseRecord<'_>)> = cases
            .iter()
            .map(|c| {
                let (rule, cal) = settings.policy_for(&c.case_type, c.severity);
                let key = match group_by {
                    GroupBy::Tenant => tenant.slug.clone(),
                    GroupBy::CaseType => c.case_type.clone(),
                    GroupBy::Carrier => c
                        .carrier_id
                        .and_then(|id| carriers.get(&id).cloned())
                        .unwrap_or_else(|| "(none)".into()),
                    GroupBy::Accountable => c.accountable.clone(),
                    GroupBy::Team => c.owner_team.clone(),
                };
                (
                    key,
                    CaseRecord {
                        case: c,
                        entries: timelines.get(&c.id).unwrap_or(&empty),
                        calendar: cal,
                        policy: rule.map(|r| &r.clock),
                    },
                )
            })
            .collect();
        let mut groups: BTreeMap<String, Vec<CaseRecord<'_>>> = BTreeMap::new();
        let mut all = Vec::with_capacity(records.len());
        for (k, r) in records {
            all.push(r);
            groups.entry(k).or_default().push(r);
        }
        Ok(CaseKpiReport {
            tenant: tenant.slug.clone(),
            from,
            to,
            group_by: group_by.as_str().into(),
            settings_version: settings.version,
            total: case_kpis(&all, from, to, now),
            groups: groups
                .into_iter()
                .map(|(key, rs)| KpiGroup {
                    key,
                    kpis: case_kpis(&rs, from, to, now),
                })
                .collect(),
        })
    }
}
