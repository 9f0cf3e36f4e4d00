//! Cases and their timelines: reads ([`CaseStore`]) and writes ([`CaseTx`]).

use super::dialect::{Dialect, PushArg, QueryExt, RowExt};
use super::tracking::{fetch_conn, id_queries};
use super::{SqlStore, SqlTx, chunk_rows, ots, ous, parsed, sized_chunks, ts, us};
use crate::{CaseFilter, CaseStore, CaseTx, Result};
use consign_core::case::{Case, CaseStatus, CaseSubject, Severity, TimelineEntry, TimelineKind};
use consign_core::ids::{CarrierId, CaseId, OrderId, ShipmentId, TenantId};
use jiff::Timestamp;
use sqlx::QueryBuilder;
use uuid::Uuid;

const CASE_COLS: &str = "tenant_id, id, number, case_type, severity, accountable, owner_team, \
    status, shipment_id, order_id, carrier_id, partner_id, edi_group, rulebook_version, \
    detections, entries, opened_at, updated_at, resolved_at, subject_key";

fn case_row<DB: Dialect>(r: &DB::Row) -> Result<Case> {
    let severity: String = r.col("severity")?;
    let status: String = r.col("status")?;
    let detections: i64 = r.col("detections")?;
    let entries: i64 = r.col("entries")?;
    Ok(Case {
        id: CaseId(r.col("id")?),
        tenant_id: TenantId(r.col("tenant_id")?),
        number: r.col("number")?,
        case_type: r.col("case_type")?,
        severity: parsed(Severity::parse(&severity))?,
        accountable: r.col("accountable")?,
        owner_team: r.col("owner_team")?,
        status: parsed(CaseStatus::parse(&status))?,
        subject: parsed(CaseSubject::parse_key(&r.col::<String>("subject_key")?))?,
        order_id: r.col::<Option<Uuid>>("order_id")?.map(OrderId),
        carrier_id: r.col::<Option<Uuid>>("carrier_id")?.map(CarrierId),
        rulebook_version: r.col("rulebook_version")?,
        detections: detections as u32,
        entries: entries as u32,
        opened_at: ts(r.col("opened_at")?),
        updated_at: ts(r.col("updated_at")?),
        resolved_at: ots(r.col("resolved_at")?),
    })
}

#[async_trait::async_trait]
impl<DB: Dialect> CaseStore for SqlStore<DB> {
    async fn cases(&self, tenant: TenantId, f: &CaseFilter) -> Result<Vec<Case>> {
        let mut qb =
            QueryBuilder::<DB>::new(format!("SELECT {CASE_COLS} FROM cases WHERE tenant_id = "));
        qb.push_arg(tenant.0);
        if let Some(t) = &f.case_type {
            qb.push(" AND case_type = ").push_arg(t.clone());
        }
        if let Some(s) = f.status {
            qb.push(" AND status = ").push_arg(s.as_str());
        }
        if let Some(s) = f.severity {
            qb.push(" AND severity = ").push_arg(s.as_str());
        }
        if let Some(c) = f.carrier {
            qb.push(" AND carrier_id = ").push_arg(c.0);
        }
        if let Some(a) = &f.accountable {
            qb.push(" AND accountable = ").push_arg(a.clone());
        }
        if let Some(s) = f.shipment {
            qb.push(" AND shipment_id = ").push_arg(s.0);
        }
        if let Some(pid) = f.partner {
            qb.push(" AND partner_id = ").push_arg(pid.0);
        }
        if let Some(t) = f.opened_from {
            qb.push(" AND opened_at >= ").push_arg(us(t));
        }
        if let Some(t) = f.opened_to {
            qb.push(" AND opened_at < ").push_arg(us(t));
        }
        if let Some(a) = f.after {
            qb.push(" AND id < ").push_arg(a.0);
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_arg(f.limit as i64);
        qb.build()
            .fetch_all(DB::pool(&self.read))
            .await?
            .iter()
            .map(case_row::<DB>)
            .collect()
    }

    async fn case(&self, tenant: TenantId, id: CaseId) -> Result<Option<Case>> {
        let sql = format!("SELECT {CASE_COLS} FROM cases WHERE tenant_id = $1 AND id = $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(tenant.0)
            .arg(id.0)
            .fetch_optional(DB::pool(&self.read))
            .await?
            .map(|r| case_row::<DB>(&r))
            .transpose()
    }

    async fn case_timeline(&self, tenant: TenantId, id: CaseId) -> Result<Vec<TimelineEntry>> {
        let rows = sqlx::query(
            "SELECT case_id, seq, at, kind, detail FROM case_timeline WHERE tenant_id = $1 \
             AND case_id = $2 ORDER BY seq",
        )
        .arg(tenant.0)
        .arg(id.0)
        .fetch_all(DB::pool(&self.read))
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.col("kind")?;
                let seq: i64 = r.col("seq")?;
                Ok(TimelineEntry {
                    case_id: CaseId(r.col("case_id")?),
                    seq: seq as u32,
                    at: ts(r.col("at")?),
                    kind: parsed(TimelineKind::parse(&kind))?,
                    detail: r.col("detail")?,
                })
            })
            .collect()
    }

    async fn cases_opened_by_type(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT case_type, COUNT(*) AS n FROM cases WHERE tenant_id = $1 \
             AND opened_at >= $2 AND opened_at < $3 GROUP BY case_type ORDER BY case_type",
        )
        .arg(tenant.0)
        .arg(us(from))
        .arg(us(to))
        .fetch_all(DB::pool(&self.read))
        .await?;
        rows.iter()
            .map(|r| Ok((r.col("case_type")?, r.col("n")?)))
            .collect()
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> CaseTx for SqlTx<DB> {
    async fn open_non_shipment_cases(
        &mut self,
        tenant: TenantId,
        case_type: &str,
    ) -> Result<Vec<Case>> {
        let sql = format!(
            "SELECT {CASE_COLS} FROM cases WHERE tenant_id = $1 AND status = 'open' \
             AND case_type = $2 AND shipment_id IS NULL"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(tenant.0)
            .arg(case_type.to_string())
            .fetch_all(DB::conn(&mut self.tx))
            .await?
            .iter()
            .map(case_row::<DB>)
            .collect()
    }

    async fn open_cases(
        &mut self,
        tenant: TenantId,
        shipments: &[ShipmentId],
    ) -> Result<Vec<Case>> {
        let ids: Vec<Uuid> = shipments.iter().map(|i| i.0).collect();
        let head = format!("SELECT {CASE_COLS} FROM cases WHERE status = 'open' AND tenant_id = ");
        fetch_conn::<DB>(
            &mut self.tx,
            id_queries::<DB>(&head, tenant, "shipment_id", &ids, ""),
        )
        .await?
        .iter()
        .map(case_row::<DB>)
        .collect()
    }

    async fn insert_cases(&mut self, cases: &[Case]) -> Result<()> {
        for chunk in sized_chunks(cases, chunk_rows(20)) {
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
                    .push_arg(c.subject.key());
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }

    async fn update_cases(&mut self, cases: &[Case]) -> Result<()> {
        for chunk in sized_chunks(cases, chunk_rows(8)) {
            let mut qb = QueryBuilder::<DB>::new(
                "UPDATE cases SET severity = v.column3, status = v.column4, detections = \
                 v.column5, entries = v.column6, updated_at = v.column7, resolved_at = v.column8 \
                 FROM (",
            );
            qb.push_values(chunk, |mut b, c| {
                b.push_arg(c.tenant_id.0)
                    .push_arg(c.id.0)
                    .push_arg(c.severity.as_str())
                    .push_arg(c.status.as_str())
                    .push_arg(c.detections as i64)
                    .push_arg(c.entries as i64)
                    .push_arg(us(c.updated_at))
                    .push_arg(ous(c.resolved_at));
            });
            qb.push(") AS v WHERE cases.tenant_id = v.column1 AND cases.id = v.column2");
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }

    async fn append_timeline(&mut self, tenant: TenantId, entries: &[TimelineEntry]) -> Result<()> {
        for chunk in sized_chunks(entries, chunk_rows(6)) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO case_timeline (tenant_id, case_id, seq, at, kind, detail) ",
            );
            qb.push_values(chunk, |mut b, e| {
                b.push_arg(tenant.0)
                    .push_arg(e.case_id.0)
                    .push_arg(e.seq as i64)
                    .push_arg(us(e.at))
                    .push_arg(e.kind.as_str())
                    .push_arg(e.detail.clone());
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }
}
