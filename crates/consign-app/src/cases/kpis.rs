//! Case KPIs for a period (SPEC §10): the core measures, this module gathers the cases and
//! their timelines and groups them by tenant, case type, carrier, accountable party or team.

use crate::{App, AppError, AppResult, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal, Role};
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
    /// ISO weeks (`2026-W48`) of the tenant's time zone, by when the case opened.
    Week,
    /// Calendar months (`2026-11`) of the tenant's time zone.
    Month,
}

impl GroupBy {
    pub fn parse(s: &str) -> Result<GroupBy, String> {
        Ok(match s {
            "tenant" => GroupBy::Tenant,
            "type" | "case_type" => GroupBy::CaseType,
            "carrier" => GroupBy::Carrier,
            "accountable" => GroupBy::Accountable,
            "team" => GroupBy::Team,
            "week" => GroupBy::Week,
            "month" => GroupBy::Month,
            _ => {
                return Err(format!(
                    "unknown grouping '{s}'; expected tenant, type, carrier, accountable, team, week or month"
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
            GroupBy::Week => "week",
            GroupBy::Month => "month",
        }
    }
}

/// One group's figures.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiGroup {
    /// The group's key: a case type, a carrier's name, a party, a team, the tenant slug, a
    /// week (`2026-W48`) or a month (`2026-11`).
    pub key: String,
    /// The window the group's figures cover (a week or month clipped to the report's
    /// period; the report's period for the other groupings).
    pub from: Timestamp,
    pub to: Timestamp,
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
        if matches!(p.role, Role::Carrier | Role::Warehouse) {
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
        let settings = self.settings_in_force(tenant.id).await?;
        let cases = self.reads().cases_in_period(tenant.id, from, to).await?;
        let ids: Vec<_> = cases.iter().map(|c| (c.tenant_id, c.id)).collect();
        let timelines = self.reads().case_timelines(&ids).await?;
        let carriers: BTreeMap<_, _> = self
            .reads()
            .carriers(tenant.id)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        let tz = jiff::tz::TimeZone::get(&tenant.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
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
                    GroupBy::Week | GroupBy::Month => period_of(group_by, c.opened_at, &tz).0,
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
                .map(|(key, rs)| {
                    // A week's or month's backlog and rates are its own, not the report's.
                    let (gfrom, gto) = match group_by {
                        GroupBy::Week | GroupBy::Month => {
                            let (_, a, b) = period_of(group_by, rs[0].case.opened_at, &tz);
                            (a.max(from), b.min(to))
                        }
                        _ => (from, to),
                    };
                    KpiGroup {
                        key,
                        from: gfrom,
                        to: gto,
                        kpis: case_kpis(&rs, gfrom, gto, now),
                    }
                })
                .collect(),
        })
    }
}

/// The week or month `at` falls in, in `tz`: its key and its bounds.
fn period_of(
    group_by: GroupBy,
    at: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> (String, Timestamp, Timestamp) {
    use jiff::ToSpan;
    let date = at.to_zoned(tz.clone()).date();
    let (key, start, end) = match group_by {
        GroupBy::Month => {
            let start = date.first_of_month();
            (
                format!("{:04}-{:02}", date.year(), date.month()),
                start,
                start.checked_add(1.month()).unwrap_or(start),
            )
        }
        _ => {
            let w = date.iso_week_date();
            let start = date
                .checked_sub((i64::from(date.weekday().to_monday_one_offset()) - 1).days())
                .unwrap_or(date);
            (
                format!("{:04}-W{:02}", w.year(), w.week()),
                start,
                start.checked_add(7.days()).unwrap_or(start),
            )
        }
    };
    let ts = |d: jiff::civil::Date| d.to_zoned(tz.clone()).map(|z| z.timestamp()).unwrap_or(at);
    (key, ts(start), ts(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_and_months_are_the_tenant_zone_s() {
        let tz = jiff::tz::TimeZone::get("America/Chicago").unwrap();
        // Sunday 29 Nov 2026, 23:30 in Chicago is Monday 05:30 UTC: still ISO week 48 there.
        let at: Timestamp = "2026-11-30T05:30:00Z".parse().unwrap();
        let (key, from, to) = period_of(GroupBy::Week, at, &tz);
        assert_eq!(key, "2026-W48");
        assert_eq!(from, "2026-11-23T06:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(to, "2026-11-30T06:00:00Z".parse::<Timestamp>().unwrap());
        let (key, from, to) = period_of(GroupBy::Month, at, &tz);
        assert_eq!(key, "2026-11");
        // November starts in daylight time (UTC−5) and ends in standard time (UTC−6).
        assert_eq!(from, "2026-11-01T05:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(to, "2026-12-01T06:00:00Z".parse::<Timestamp>().unwrap());
    }
}
