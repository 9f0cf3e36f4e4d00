//! A scorecard's case figures (SPEC §10) from the rollup's case facts: one row per case
//! (`kpi_case_facts`), the core's period-free judgement of its timeline (`case::kpi::
//! case_fact`: opened, first answered and the business minutes to it, the last resolution and
//! what it counts), kept current by the refresh as the triggers mark cases that change. A
//! period reads the facts whose instants fall in it and folds them; the backlog at its end
//! is counted by the store for the cases never reopened (their columns say when they were
//! open) and judged from the timelines for the few that were. The case desk's report
//! (`cases::kpis`) reads every case open or changed since the period began and judges it
//! whole; `verify` and the tests hold the two equal.

use super::may_read;
use super::records::RecordsQuery;
use crate::{App, AppError, AppResult, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::case::kpi::{
    CaseFact, CaseJudgement, CaseKpis, CaseRecord, case_fact, fold, judge,
};
use consign_core::ids::{CaseId, TenantId};
use consign_core::tenant::Tenant;
use jiff::Timestamp;

/// The case figures whose cases can be listed.
pub const CASE_FIGURES: [&str; 3] = ["sla_attainment", "reopen_rate", "first_contact_resolution"];

impl App {
    /// The facts of these cases computed from their records under the tenant's case
    /// settings in force (a case that does not exist has none).
    pub(crate) async fn compute_case_facts(
        &self,
        tenant: TenantId,
        ids: &[CaseId],
    ) -> AppResult<Vec<CaseFact>> {
        let settings = self.settings_in_force(tenant).await?;
        let cases = self.store.cases_by_ids(tenant, ids).await?;
        let keys: Vec<_> = cases.iter().map(|c| (c.tenant_id, c.id)).collect();
        let timelines = self.store.case_timelines(&keys).await?;
        let empty = Vec::new();
        Ok(cases
            .iter()
            .map(|c| {
                let (rule, calendar) = settings.policy_for(&c.case_type, c.severity);
                case_fact(&CaseRecord {
                    case: c,
                    entries: timelines.get(&c.id).unwrap_or(&empty),
                    calendar,
                    policy: rule.map(|r| &r.clock),
                })
            })
            .collect())
    }

    /// The case figures of `[from, to)` for a scorecard.
    pub(super) async fn case_figures(
        &self,
        tenant: &Tenant,
        from: Timestamp,
        to: Timestamp,
    ) -> AppResult<CaseKpis> {
        let facts = self.reads().kpi_case_facts_in(tenant.id, from, to).await?;
        let judged: Vec<CaseJudgement> = facts.iter().map(|f| f.judged(from, to)).collect();
        let mut k = fold(&judged);
        let end = to.min(self.now());
        k.backlog = self.reads().unreopened_backlog_at(tenant.id, end).await?;
        // The store counted the cases never reopened; a reopened case's timeline says
        // whether it was open at the end.
        let reopened = self
            .reads()
            .reopened_cases_open_after(tenant.id, end)
            .await?;
        if !reopened.is_empty() {
            let settings = self.settings_in_force(tenant.id).await?;
            let keys: Vec<_> = reopened.iter().map(|c| (c.tenant_id, c.id)).collect();
            let timelines = self.reads().case_timelines(&keys).await?;
            let empty = Vec::new();
            for c in &reopened {
                let (rule, calendar) = settings.policy_for(&c.case_type, c.severity);
                let record = CaseRecord {
                    case: c,
                    entries: timelines.get(&c.id).unwrap_or(&empty),
                    calendar,
                    policy: rule.map(|r| &r.clock),
                };
                if let Some(age) = judge(&record, from, to, self.now()).open_at_end_hours {
                    k.backlog.add(age);
                }
            }
        }
        Ok(k)
    }

    /// The cases behind a case figure of a period (`?kpi=reopen_rate&kpi_period=2026-W48`):
    /// the cases resolved in it, or with `outcome` those it counted as hits (reopened, first
    /// contact, every SLA target met) or misses. SLA attainment counts targets, and lists the
    /// cases that had any.
    pub async fn kpi_case_ids(
        &self,
        p: &Principal,
        tenant: &Tenant,
        q: &RecordsQuery,
    ) -> AppResult<Vec<CaseId>> {
        may_read(p)?;
        require(p, Capability::ReadCases)?;
        let period = q.period()?;
        if q.key.is_some() {
            return Err(AppError::Invalid(Invalid::one(
                "kpi_key",
                "the case figures have no breakdown to choose from",
            )));
        }
        let hit = match q.outcome.as_deref() {
            None => None,
            Some("hit") => Some(true),
            Some("miss") => Some(false),
            Some(o) => {
                return Err(AppError::Invalid(Invalid::one(
                    "kpi_outcome",
                    format!("'{o}' is not hit or miss"),
                )));
            }
        };
        if !CASE_FIGURES.contains(&q.figure.as_str()) {
            return Err(AppError::Invalid(Invalid::one(
                "kpi",
                format!(
                    "'{}' is not a figure of cases; this list has the records of {}",
                    q.figure,
                    CASE_FIGURES.join(", ")
                ),
            )));
        }
        let (from, to) = period.bounds(&super::refresh::zone_of(tenant));
        let facts = self.reads().kpi_case_facts_in(tenant.id, from, to).await?;
        Ok(facts
            .into_iter()
            .filter_map(|f| {
                let r = f.judged(from, to).resolved?;
                let (counted, is_hit) = match q.figure.as_str() {
                    "reopen_rate" => (true, r.reopened),
                    "first_contact_resolution" => (true, r.first_contact),
                    _ => (r.sla_applied > 0, r.sla_met == r.sla_applied),
                };
                (counted && hit.is_none_or(|h| h == is_hit)).then_some(f.case)
            })
            .collect())
    }
}
