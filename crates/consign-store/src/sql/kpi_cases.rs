//! The rollup's case facts in SQL: one row per case (`kpi_case_facts`), written by the
//! refresh from the core's `CaseFact`, read by a scorecard through one indexed range per way
//! a case counts in a period (opened, first answered, resolved), unioned by id.

use super::dialect::{Dialect, PushArg, QueryExt, RowExt};
use super::tracking::id_queries;
use super::{SqlStore, SqlTx, chunk_rows, fetch_rows, ots, sized_chunks, ts, us};
use crate::{KpiCaseStore, KpiCaseTx, ResolutionSums, Result};
use consign_core::case::kpi::{CaseFact, Resolution};
use consign_core::ids::{CaseId, TenantId};
use jiff::Timestamp;
use sqlx::QueryBuilder;
use uuid::Uuid;

const COLS: &str = "case_id, opened_at, answered_at, tta_minutes, resolved_at, ttr_minutes, \
    reopened, first_contact, sla_met, sla_applied";

fn fact_row<DB: Dialect>(r: &DB::Row) -> Result<CaseFact> {
    let answered = match (
        ots(r.col("answered_at")?),
        r.col::<Option<i64>>("tta_minutes")?,
    ) {
        (Some(at), Some(m)) => Some((at, m)),
        _ => None,
    };
    let resolved = match (
        ots(r.col("resolved_at")?),
        r.col::<Option<i64>>("ttr_minutes")?,
    ) {
        (Some(at), Some(m)) => Some((
            at,
            Resolution {
                open_minutes: m,
                reopened: r.col("reopened")?,
                first_contact: r.col("first_contact")?,
                sla_met: r.col::<i64>("sla_met")? as u64,
                sla_applied: r.col::<i64>("sla_applied")? as u64,
            },
        )),
        _ => None,
    };
    Ok(CaseFact {
        case: CaseId(r.col("case_id")?),
        opened_at: ts(r.col("opened_at")?),
        answered,
        resolved,
    })
}

#[async_trait::async_trait]
impl<DB: Dialect> KpiCaseStore for SqlStore<DB> {
    async fn kpi_case_facts_in(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CaseFact>> {
        // An `OR` of the three ranges would read every row of the tenant.
        let sql = format!(
            "SELECT {COLS} FROM kpi_case_facts WHERE tenant_id = $1 AND case_id IN ( \
               SELECT case_id FROM kpi_case_facts WHERE tenant_id = $1 \
                 AND opened_at >= $2 AND opened_at < $3 \
               UNION SELECT case_id FROM kpi_case_facts WHERE tenant_id = $1 \
                 AND answered_at >= $2 AND answered_at < $3 \
               UNION SELECT case_id FROM kpi_case_facts WHERE tenant_id = $1 \
                 AND resolved_at >= $2 AND resolved_at < $3)"
        );
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(us(from))
                .arg(us(to)),
            &self.read,
            fact_row::<DB>,
        )
        .await
    }

    async fn kpi_case_facts_of(&self, tenant: TenantId, cases: &[CaseId]) -> Result<Vec<CaseFact>> {
        let ids: Vec<Uuid> = cases.iter().map(|c| c.0).collect();
        let head = format!("SELECT {COLS} FROM kpi_case_facts WHERE tenant_id = ");
        self.by_ids(&head, tenant, "case_id", &ids, "")
            .await?
            .iter()
            .map(fact_row::<DB>)
            .collect()
    }

    async fn kpi_case_rates(
        &self,
        tenant: TenantId,
        bounds: &[Timestamp],
    ) -> Result<Vec<ResolutionSums>> {
        let n = bounds.len().saturating_sub(1);
        let mut sums = vec![ResolutionSums::default(); n];
        if n == 0 {
            return Ok(sums);
        }
        // One pass over the resolutions of the whole span, each put in its period's bucket.
        let mut qb = QueryBuilder::<DB>::new("SELECT CAST(CASE");
        for (i, b) in bounds[1..n].iter().enumerate() {
            qb.push(" WHEN resolved_at < ").push_arg(us(*b));
            qb.push(format!(" THEN {i}"));
        }
        qb.push(format!(
            " ELSE {} END AS BIGINT) AS bucket, COUNT(*) AS resolved, \
             CAST(SUM(CASE WHEN reopened THEN 1 ELSE 0 END) AS BIGINT) AS reopened, \
             CAST(SUM(CASE WHEN first_contact THEN 1 ELSE 0 END) AS BIGINT) AS first_contact, \
             CAST(SUM(sla_met) AS BIGINT) AS sla_met, \
             CAST(SUM(sla_applied) AS BIGINT) AS sla_applied \
             FROM kpi_case_facts WHERE tenant_id = ",
            n - 1
        ));
        qb.push_arg(tenant.0);
        qb.push(" AND resolved_at >= ").push_arg(us(bounds[0]));
        qb.push(" AND resolved_at < ").push_arg(us(bounds[n]));
        qb.push(" GROUP BY 1");
        for r in qb.build().fetch_all(DB::pool(&self.read)).await? {
            let bucket: i64 = r.col("bucket")?;
            let n = |c: &str| -> Result<u64> { Ok(r.col::<i64>(c)? as u64) };
            if let Some(s) = sums.get_mut(bucket as usize) {
                *s = ResolutionSums {
                    resolved: n("resolved")?,
                    reopened: n("reopened")?,
                    first_contact: n("first_contact")?,
                    sla_met: n("sla_met")?,
                    sla_applied: n("sla_applied")?,
                };
            }
        }
        Ok(sums)
    }

    async fn kpi_case_ids(
        &self,
        tenant: TenantId,
        after: Option<CaseId>,
        limit: i64,
    ) -> Result<Vec<CaseId>> {
        Ok(self
            .ids_after("cases", tenant, after.map(|a| a.0), limit)
            .await?
            .into_iter()
            .map(CaseId)
            .collect())
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> KpiCaseTx for SqlTx<DB> {
    async fn put_kpi_case_facts(
        &mut self,
        tenant: TenantId,
        cases: &[CaseId],
        facts: &[CaseFact],
    ) -> Result<()> {
        let ids: Vec<Uuid> = cases.iter().map(|c| c.0).collect();
        for mut qb in id_queries::<DB>(
            "DELETE FROM kpi_case_facts WHERE tenant_id = ",
            tenant,
            "case_id",
            &ids,
            "",
        ) {
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        for chunk in sized_chunks(facts, chunk_rows(11)) {
            let mut qb =
                QueryBuilder::<DB>::new(format!("INSERT INTO kpi_case_facts (tenant_id, {COLS}) "));
            qb.push_values(chunk, |mut b, f| {
                let r = f.resolved.map(|(_, r)| r).unwrap_or_default();
                b.push_arg(tenant.0)
                    .push_arg(f.case.0)
                    .push_arg(us(f.opened_at))
                    .push_arg(f.answered.map(|(t, _)| us(t)))
                    .push_arg(f.answered.map(|(_, m)| m))
                    .push_arg(f.resolved.map(|(t, _)| us(t)))
                    .push_arg(f.resolved.map(|(_, r)| r.open_minutes))
                    .push_arg(r.reopened)
                    .push_arg(r.first_contact)
                    .push_arg(r.sla_met as i64)
                    .push_arg(r.sla_applied as i64);
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }

    async fn mark_kpi_cases_stale(&mut self, tenant: TenantId) -> Result<u64> {
        let r = sqlx::query(
            "INSERT INTO kpi_stale (tenant_id, kind, id) SELECT tenant_id, 'c', id FROM cases \
             WHERE tenant_id = $1 ON CONFLICT DO NOTHING",
        )
        .arg(tenant.0)
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(super::dialect::RowsAffected::rows_affected(&r))
    }
}
