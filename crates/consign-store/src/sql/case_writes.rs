//! Case writes ([`CaseTx`]): cases filed by rule batches and opened by hand, saved with their
//! version checked, updated in bulk, their timelines appended; the reads are in `cases.rs`.

use super::cases::{
    CASE_COLS, OPEN, TIMELINE_COLS, case_row, filtered, group_timelines, timeline_queries,
    timeline_row,
};
use super::dialect::{Dialect, PushArg, QueryExt, RowExt};
use super::tracking::{fetch_conn, id_queries};
use super::{SqlTx, chunk_rows, fetch_rows_in, ous, sized_chunks, us};
use crate::{CaseFilter, CaseTx, Result};
use consign_core::case::ownership::Team;
use consign_core::case::settings::CaseSettings;
use consign_core::case::{Case, CaseSubject, TimelineEntry};
use consign_core::ids::{CaseId, ShipmentId, TenantId, UserId};
use jiff::Timestamp;
use sqlx::QueryBuilder;
use std::collections::HashMap;
use uuid::Uuid;

/// The columns `save_case` and `update_cases` write.
const SAVE_SET: &str = "severity = $3, status = $4, detections = $5, entries = $6, \
    updated_at = $7, resolved_at = $8, owner_team = $9, accountable = $10, assignee = $11, \
    version = $12, reopen_count = $13, resolution = $14, first_response_at = $15, \
    closed_at = $16, condition_ended_at = $17, escalation_level = $18, informs = $19, \
    sla_due_at = $20, timer_at = $21, tags = $22";

fn save_query<'q, DB: Dialect>(sql: &'q str, c: &'q Case) -> super::dialect::DbQuery<'q, DB> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .arg(c.tenant_id.0)
        .arg(c.id.0)
        .arg(c.severity.as_str())
        .arg(c.status.as_str())
        .arg(c.detections as i64)
        .arg(c.entries as i64)
        .arg(us(c.updated_at))
        .arg(ous(c.resolved_at))
        .arg(c.owner_team.as_str())
        .arg(c.accountable.as_str())
        .arg(c.assignee.map(|u| u.0))
        .arg(c.version)
        .arg(c.reopen_count as i64)
        .arg(c.resolution.map(|r| r.as_str()))
        .arg(ous(c.first_response_at))
        .arg(ous(c.closed_at))
        .arg(ous(c.condition_ended_at))
        .arg(i64::from(c.escalation_level))
        .arg(c.informs.as_str())
        .arg(ous(c.sla_due_at))
        .arg(ous(c.timer_at))
        .arg(c.tags.join(" "))
}

#[async_trait::async_trait]
impl<DB: Dialect> CaseTx for SqlTx<DB> {
    async fn open_non_shipment_cases(
        &mut self,
        tenant: TenantId,
        case_type: &str,
    ) -> Result<Vec<Case>> {
        let lock = if DB::CONCURRENT_WRITERS {
            " FOR UPDATE"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {CASE_COLS} FROM cases WHERE tenant_id = $1 AND status IN ({OPEN}) \
             AND case_type = $2 AND shipment_id IS NULL ORDER BY id{lock}"
        );
        fetch_rows_in::<DB, _>(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(case_type.to_string()),
            &mut self.tx,
            case_row::<DB>,
        )
        .await
    }

    async fn open_cases(
        &mut self,
        tenant: TenantId,
        shipments: &[ShipmentId],
    ) -> Result<Vec<Case>> {
        let ids: Vec<Uuid> = shipments.iter().map(|i| i.0).collect();
        let head =
            format!("SELECT {CASE_COLS} FROM cases WHERE status IN ({OPEN}) AND tenant_id = ");
        // Locked in id order after the shipments' tracking rows: the order every writer of
        // cases (ingest, sweeps, agents' actions, timers) takes them in.
        let tail = if DB::CONCURRENT_WRITERS {
            " ORDER BY id FOR UPDATE"
        } else {
            ""
        };
        fetch_conn::<DB>(
            &mut self.tx,
            id_queries::<DB>(&head, tenant, "shipment_id", &ids, tail),
        )
        .await?
        .iter()
        .map(case_row::<DB>)
        .collect()
    }

    async fn insert_cases(&mut self, cases: &[Case]) -> Result<()> {
        for chunk in sized_chunks(cases, chunk_rows(33)) {
            let mut qb = QueryBuilder::<DB>::new(format!("INSERT INTO cases ({CASE_COLS}) "));
            qb.push_values(chunk, |mut b, c| {
                // The link columns, for lists and filters, follow from the subject.
                let (carrier, order) = match &c.subject {
                    CaseSubject::Carrier(id) => (Some(id.0), c.order_id.map(|o| o.0)),
                    CaseSubject::Order(id) => (c.carrier_id.map(|x| x.0), Some(id.0)),
                    _ => (c.carrier_id.map(|x| x.0), c.order_id.map(|o| o.0)),
                };
                let group = c.edi_group();
                b.push_arg(c.tenant_id.0)
                    .push_arg(c.id.0)
                    .push_arg(c.number.clone())
                    .push_arg(c.case_type.clone())
                    .push_arg(c.severity.as_str())
                    .push_arg(c.accountable.clone())
                    .push_arg(c.owner_team.clone())
                    .push_arg(c.status.as_str())
                    .push_arg(c.shipment_id().map(|s| s.0))
                    .push_arg(order)
                    .push_arg(carrier)
                    .push_arg(group.map(|(p, _)| p.0))
                    .push_arg(group.map(|(_, g)| g.to_string()))
                    .push_arg(c.rulebook_version)
                    .push_arg(c.detections as i64)
                    .push_arg(c.entries as i64)
                    .push_arg(us(c.opened_at))
                    .push_arg(us(c.updated_at))
                    .push_arg(ous(c.resolved_at))
                    .push_arg(c.subject.key())
                    .push_arg(c.assignee.map(|u| u.0))
                    .push_arg(c.version)
                    .push_arg(c.reopen_count as i64)
                    .push_arg(c.resolution.map(|r| r.as_str()))
                    .push_arg(ous(c.first_response_at))
                    .push_arg(ous(c.closed_at))
                    .push_arg(Some(us(c.condition_began_at)))
                    .push_arg(ous(c.condition_ended_at))
                    .push_arg(i64::from(c.escalation_level))
                    .push_arg(c.informs.as_str())
                    .push_arg(ous(c.sla_due_at))
                    .push_arg(ous(c.timer_at))
                    .push_arg(c.tags.join(" "));
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }

    async fn update_cases(&mut self, cases: &[Case]) -> Result<()> {
        // One statement per case: the rule engine changes a handful of cases per batch, and
        // the statement's text stays the same (prepared once).
        let sql = format!("UPDATE cases SET {SAVE_SET} WHERE tenant_id = $1 AND id = $2");
        for c in cases {
            save_query::<DB>(&sql, c)
                .execute(DB::conn(&mut self.tx))
                .await?;
        }
        Ok(())
    }

    async fn append_timeline(&mut self, tenant: TenantId, entries: &[TimelineEntry]) -> Result<()> {
        for chunk in sized_chunks(entries, chunk_rows(11)) {
            let mut qb = QueryBuilder::<DB>::new(format!(
                "INSERT INTO case_timeline (tenant_id, {TIMELINE_COLS}) "
            ));
            qb.push_values(chunk, |mut b, e| {
                b.push_arg(tenant.0)
                    .push_arg(e.case_id.0)
                    .push_arg(e.seq as i64)
                    .push_arg(us(e.at))
                    .push_arg(e.kind.as_str())
                    .push_arg(e.actor.clone())
                    .push_arg(e.visibility.as_str())
                    .push_arg(e.detail.clone())
                    .push_arg(e.field.clone())
                    .push_arg(e.before.clone())
                    .push_arg(e.after.clone());
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }

    async fn lock_case(&mut self, tenant: TenantId, id: CaseId) -> Result<Option<Case>> {
        let lock = if DB::CONCURRENT_WRITERS {
            " FOR UPDATE"
        } else {
            ""
        };
        let sql = format!("SELECT {CASE_COLS} FROM cases WHERE tenant_id = $1 AND id = $2{lock}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(tenant.0)
            .arg(id.0)
            .fetch_optional(DB::conn(&mut self.tx))
            .await?
            .map(|r| case_row::<DB>(&r))
            .transpose()
    }

    async fn save_case(&mut self, case: &Case, expected_version: i64) -> Result<bool> {
        let sql = format!(
            "UPDATE cases SET {SAVE_SET} WHERE tenant_id = $1 AND id = $2 AND version = $23"
        );
        let done = save_query::<DB>(&sql, case)
            .arg(expected_version)
            .execute(DB::conn(&mut self.tx))
            .await?;
        Ok(super::dialect::RowsAffected::rows_affected(&done) == 1)
    }

    async fn timeline_of(&mut self, tenant: TenantId, id: CaseId) -> Result<Vec<TimelineEntry>> {
        let sql = format!(
            "SELECT {TIMELINE_COLS} FROM case_timeline WHERE tenant_id = $1 AND case_id = $2 \
             ORDER BY seq"
        );
        fetch_rows_in::<DB, _>(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(id.0),
            &mut self.tx,
            timeline_row::<DB>,
        )
        .await
    }

    async fn timelines_of(
        &mut self,
        cases: &[(TenantId, CaseId)],
    ) -> Result<HashMap<CaseId, Vec<TimelineEntry>>> {
        let rows = fetch_conn::<DB>(&mut self.tx, timeline_queries::<DB>(cases)).await?;
        group_timelines::<DB>(&rows)
    }

    async fn case_ids(&mut self, tenant: TenantId, f: &CaseFilter) -> Result<Vec<CaseId>> {
        fetch_rows_in::<DB, _>(
            filtered::<DB>("id", &[tenant], f).build(),
            &mut self.tx,
            |r| Ok(CaseId(r.col("id")?)),
        )
        .await
    }

    async fn claim_due_cases(&mut self, now: Timestamp, limit: u32) -> Result<Vec<Case>> {
        let lock = if DB::CONCURRENT_WRITERS {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {CASE_COLS} FROM cases WHERE timer_at IS NOT NULL AND timer_at <= $1 \
             ORDER BY timer_at LIMIT $2{lock}"
        );
        fetch_rows_in::<DB, _>(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(us(now))
                .arg(i64::from(limit)),
            &mut self.tx,
            case_row::<DB>,
        )
        .await
    }

    async fn replan_open_cases(&mut self, tenant: TenantId, now: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE cases SET timer_at = $2 WHERE tenant_id = $1 AND status <> 'closed'",
        )
        .arg(tenant.0)
        .arg(us(now))
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(super::dialect::RowsAffected::rows_affected(&done))
    }

    async fn insert_case_settings(
        &mut self,
        tenant: TenantId,
        settings: &CaseSettings,
        at: Timestamp,
        by: &str,
    ) -> Result<i64> {
        super::teams::insert_case_settings::<DB>(&mut self.tx, tenant, settings, at, by).await
    }

    async fn put_team(&mut self, team: &Team, at: Timestamp) -> Result<()> {
        super::teams::put_team::<DB>(&mut self.tx, team, at).await
    }

    async fn set_last_assigned(&mut self, team: &str, user: UserId) -> Result<()> {
        sqlx::query("UPDATE teams SET last_assigned = $2 WHERE name = $1")
            .arg(team.to_string())
            .arg(user.0)
            .execute(DB::conn(&mut self.tx))
            .await?;
        Ok(())
    }

    async fn flag_open_cases(&mut self, tenant: TenantId, shipment: ShipmentId) -> Result<()> {
        sqlx::query(
            "UPDATE shipment_tracking SET open_cases = true \
             WHERE tenant_id = $1 AND shipment_id = $2",
        )
        .arg(tenant.0)
        .arg(shipment.0)
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }
}
