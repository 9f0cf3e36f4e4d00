//! Cases and their timelines, read ([`CaseStore`]): the rows, the filters and the queue's
//! orders; the writes are in `case_writes.rs`, teams and case settings in `teams.rs`.

use super::dialect::{Dialect, PushArg, QueryExt, RowExt};
use super::tracking::id_queries;
use super::{SqlStore, fetch_row, fetch_rows, ots, parsed, ts, us};
use crate::{BacklogRow, CaseFilter, CaseStore, Result, StoredCaseSettings};
use consign_core::case::kpi::Backlog;
use consign_core::case::ownership::Team;
use consign_core::case::queue::{AT_RISK, DueWindow};
use consign_core::case::{
    Case, CaseStatus, CaseSubject, Informs, ResolutionCode, Severity, TimelineEntry, TimelineKind,
    Visibility,
};
use consign_core::ids::{CarrierId, CaseId, OrderId, TenantId, UserId};
use jiff::Timestamp;
use sqlx::QueryBuilder;
use std::collections::HashMap;
use uuid::Uuid;

/// Every column of `cases`, in the order `insert_cases` writes them.
pub(super) const CASE_COLS: &str = "tenant_id, id, number, case_type, severity, accountable, owner_team, \
    status, shipment_id, order_id, carrier_id, partner_id, edi_group, rulebook_version, \
    detections, entries, opened_at, updated_at, resolved_at, subject_key, assignee, version, \
    reopen_count, resolution, first_response_at, closed_at, condition_began_at, \
    condition_ended_at, escalation_level, informs, sla_due_at, timer_at, tags";

/// The statuses before `resolved`, for `status IN (…)`.
pub(super) const OPEN: &str = CaseStatus::OPEN_SQL;

pub(super) const TIMELINE_COLS: &str =
    "case_id, seq, at, kind, actor, visibility, detail, field, before_value, after_value";

pub(super) fn case_row<DB: Dialect>(r: &DB::Row) -> Result<Case> {
    let severity: String = r.col("severity")?;
    let status: String = r.col("status")?;
    let detections: i64 = r.col("detections")?;
    let entries: i64 = r.col("entries")?;
    let reopen_count: i64 = r.col("reopen_count")?;
    let escalation: i64 = r.col("escalation_level")?;
    let resolution: Option<String> = r.col("resolution")?;
    let informs: String = r.col("informs")?;
    let opened_at = ts(r.col("opened_at")?);
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
        opened_at,
        updated_at: ts(r.col("updated_at")?),
        resolved_at: ots(r.col("resolved_at")?),
        assignee: r.col::<Option<Uuid>>("assignee")?.map(UserId),
        version: r.col("version")?,
        reopen_count: reopen_count as u32,
        resolution: resolution
            .map(|s| parsed(ResolutionCode::parse(&s)))
            .transpose()?,
        first_response_at: ots(r.col("first_response_at")?),
        closed_at: ots(r.col("closed_at")?),
        condition_began_at: ots(r.col("condition_began_at")?).unwrap_or(opened_at),
        condition_ended_at: ots(r.col("condition_ended_at")?),
        escalation_level: escalation.clamp(0, 255) as u8,
        informs: parsed(Informs::parse(&informs))?,
        sla_due_at: ots(r.col("sla_due_at")?),
        timer_at: ots(r.col("timer_at")?),
        tags: r
            .col::<String>("tags")?
            .split_whitespace()
            .map(String::from)
            .collect(),
    })
}

pub(super) fn timeline_row<DB: Dialect>(r: &DB::Row) -> Result<TimelineEntry> {
    let kind: String = r.col("kind")?;
    let visibility: String = r.col("visibility")?;
    let seq: i64 = r.col("seq")?;
    Ok(TimelineEntry {
        case_id: CaseId(r.col("case_id")?),
        seq: seq as u32,
        at: ts(r.col("at")?),
        kind: parsed(TimelineKind::parse(&kind))?,
        actor: r.col("actor")?,
        visibility: parsed(Visibility::parse(&visibility))?,
        detail: r.col("detail")?,
        field: r.col("field")?,
        before: r.col("before_value")?,
        after: r.col("after_value")?,
    })
}

/// The queue's order: the next SLA deadline, none last (the index `cases_open_by_due`).
const DUE: &str = "COALESCE(sla_due_at, 9223372036854775807)";

/// Most tenants a queue across tenants reads as one run each (SQLite allows 500 arms in a
/// compound query); beyond, one query over them all.
const MAX_RUNS: usize = 400;

/// `SELECT` of the filter's cases (`cols`, which must name `id` and `sla_due_at` for a queue
/// across tenants), in the filter's order.
pub(super) fn filtered<DB: Dialect>(
    cols: &str,
    tenants: &[TenantId],
    f: &CaseFilter,
) -> QueryBuilder<DB> {
    // A queue across tenants by deadline: each tenant's run is the first rows of its part of
    // `cases_open_by_due`, and the runs are merged. One query over all tenants would sort
    // every open case they hold (SQLite, without statistics, reads them by status) to show
    // a page.
    if f.by_sla && tenants.len() > 1 && tenants.len() <= MAX_RUNS {
        let mut qb = QueryBuilder::<DB>::new(format!("SELECT {cols} FROM ("));
        for (k, t) in tenants.iter().enumerate() {
            if k > 0 {
                qb.push(" UNION ALL ");
            }
            qb.push("SELECT * FROM (");
            push_filtered(&mut qb, cols, &[*t], f, true);
            qb.push(format!(") AS run{k}"));
        }
        qb.push(format!(") AS runs ORDER BY {DUE}, id DESC LIMIT "))
            .push_arg(f.limit as i64);
        return qb;
    }
    let mut qb = QueryBuilder::<DB>::new("");
    push_filtered(&mut qb, cols, tenants, f, true);
    qb
}

/// Appends the `SELECT` of the filter's cases of `tenants`, limited, and in the list's order
/// when `ordered` (a count takes any `limit` rows: sorting them first would cost more than
/// counting).
fn push_filtered<DB: Dialect>(
    qb: &mut QueryBuilder<DB>,
    cols: &str,
    tenants: &[TenantId],
    f: &CaseFilter,
    ordered: bool,
) {
    // SQLite plans without statistics and would read a tenant's open cases by status and
    // sort them; the deadline index gives the page directly. Not for one person's cases
    // (their own index is narrower) nor for named cases or a shipment's.
    let by_due_index = matches!(DB::ENGINE, crate::Engine::Sqlite)
        && f.by_sla
        && f.open_only
        && !matches!(f.assignee, Some(Some(_)))
        && f.ids.is_none()
        && f.shipment.is_none()
        && f.shipments.is_none();
    qb.push(format!(
        "SELECT {cols} FROM cases{} WHERE ",
        if by_due_index {
            " INDEXED BY cases_open_by_due"
        } else {
            ""
        }
    ));
    match tenants {
        [one] => {
            qb.push("tenant_id = ").push_arg(one.0);
        }
        many => {
            // No tenant reached is no case, not every case.
            qb.push("tenant_id IN (NULL");
            for t in many {
                qb.push(", ").push_arg(t.0);
            }
            qb.push(")");
        }
    }
    if let Some(t) = &f.case_type {
        qb.push(" AND case_type = ").push_arg(t.clone());
    }
    if let Some(s) = f.status {
        qb.push(" AND status = ").push_arg(s.as_str());
    }
    if f.open_only {
        qb.push(format!(" AND status IN ({OPEN})"));
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
    if f.warehouse_facing {
        qb.push(" AND (accountable = 'warehouse' OR status = 'waiting_warehouse')");
    }
    if let Some(t) = &f.team {
        qb.push(" AND owner_team = ").push_arg(t.clone());
    }
    match f.assignee {
        Some(Some(u)) => {
            qb.push(" AND assignee = ").push_arg(u.0);
        }
        Some(None) => {
            qb.push(" AND assignee IS NULL");
        }
        None => {}
    }
    if let Some(s) = f.shipment {
        qb.push(" AND shipment_id = ").push_arg(s.0);
    }
    if let Some(ids) = &f.shipments {
        qb.push(" AND shipment_id IN (NULL");
        for id in ids {
            qb.push(", ").push_arg(id.0);
        }
        qb.push(")");
    }
    if let Some(t) = &f.tag {
        qb.push(" AND (' ' || tags || ' ') LIKE ")
            .push_arg(format!("% {} %", t.trim().to_lowercase()));
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
    match f.due {
        Some(DueWindow::NoDeadline) => {
            qb.push(" AND sla_due_at IS NULL");
        }
        Some(DueWindow::Between { from, before }) => {
            qb.push(" AND sla_due_at IS NOT NULL");
            if let Some(t) = from {
                qb.push(" AND sla_due_at >= ").push_arg(us(t));
            }
            if let Some(t) = before {
                qb.push(" AND sla_due_at < ").push_arg(us(t));
            }
        }
        None => {}
    }
    if let Some(ids) = &f.ids {
        qb.push(" AND id IN (NULL");
        for id in ids {
            qb.push(", ").push_arg(id.0);
        }
        qb.push(")");
    }
    if f.by_sla {
        // Cases with a deadline first, the nearest first (breached ones are in the past),
        // then those without; pages continue after the cursor's case by the same key.
        // (The cursor's case is read by id alone: the rows it is compared with are already
        // held to the tenants above, so a foreign id only misplaces the page, never leaks.)
        if let Some(a) = f.after {
            qb.push(format!(
                " AND ({DUE} > (SELECT {DUE} FROM cases WHERE id = "
            ))
            .push_arg(a.0)
            .push(format!(
                ") OR ({DUE} = (SELECT {DUE} FROM cases WHERE id = "
            ))
            .push_arg(a.0)
            .push(") AND id < ")
            .push_arg(a.0)
            .push("))");
        }
        if ordered {
            qb.push(format!(" ORDER BY {DUE}, id DESC"));
        }
    } else {
        if let Some(a) = f.after {
            qb.push(" AND id < ").push_arg(a.0);
        }
        if ordered {
            qb.push(" ORDER BY id DESC");
        }
    }
    qb.push(" LIMIT ").push_arg(f.limit as i64);
}

/// The timelines of these cases, grouped per case in `seq` order.
pub(super) fn group_timelines<DB: Dialect>(
    rows: &[DB::Row],
) -> Result<HashMap<CaseId, Vec<TimelineEntry>>> {
    let mut out: HashMap<CaseId, Vec<TimelineEntry>> = HashMap::new();
    for r in rows {
        let e = timeline_row::<DB>(r)?;
        out.entry(e.case_id).or_default().push(e);
    }
    Ok(out)
}

/// Timeline queries for several cases: per tenant, the ids in chunks.
pub(super) fn timeline_queries<DB: Dialect>(cases: &[(TenantId, CaseId)]) -> Vec<QueryBuilder<DB>> {
    let mut by_tenant: HashMap<TenantId, Vec<Uuid>> = HashMap::new();
    for (t, c) in cases {
        by_tenant.entry(*t).or_default().push(c.0);
    }
    let head = format!("SELECT {TIMELINE_COLS} FROM case_timeline WHERE tenant_id = ");
    by_tenant
        .into_iter()
        .flat_map(|(t, ids)| id_queries::<DB>(&head, t, "case_id", &ids, " ORDER BY case_id, seq"))
        .collect()
}

#[async_trait::async_trait]
impl<DB: Dialect> CaseStore for SqlStore<DB> {
    async fn cases(&self, tenant: TenantId, f: &CaseFilter) -> Result<Vec<Case>> {
        self.cases_across(&[tenant], f).await
    }

    async fn cases_across(&self, tenants: &[TenantId], f: &CaseFilter) -> Result<Vec<Case>> {
        fetch_rows(
            filtered::<DB>(CASE_COLS, tenants, f).build(),
            &self.read,
            case_row::<DB>,
        )
        .await
    }

    async fn count_cases(&self, tenants: &[TenantId], f: &CaseFilter, cap: u32) -> Result<u64> {
        // The queue's rows without its page or order, at most `cap` read.
        let f = CaseFilter {
            after: None,
            by_sla: false,
            limit: cap,
            ..f.clone()
        };
        let mut qb = QueryBuilder::<DB>::new("SELECT COUNT(*) AS n FROM (");
        push_filtered(&mut qb, "id", tenants, &f, false);
        qb.push(") AS matching");
        let n: i64 = qb.build().fetch_one(DB::pool(&self.read)).await?.col("n")?;
        Ok(n.max(0) as u64)
    }

    async fn backlog(
        &self,
        tenants: &[TenantId],
        now: Timestamp,
        me: Option<UserId>,
    ) -> Result<Vec<BacklogRow>> {
        if tenants.is_empty() {
            return Ok(Vec::new());
        }
        // The buckets are the core's (`AgeBucket::of`, `DueState::of`); the database only
        // counts, one row per tenant and team, from `cases_open_backlog` alone. A count per
        // marginal, not per cell: a temporary B-tree over five grouping columns cost SQLite
        // three times the scan.
        let ago = |h: i64| us(now - jiff::SignedDuration::from_hours(h));
        let (at, risk) = (us(now), us(now + AT_RISK));
        let edges = [ago(4), ago(24), ago(72), ago(168)];
        let mut qb = QueryBuilder::<DB>::new("SELECT tenant_id, owner_team, COUNT(*) AS n");
        let count = |qb: &mut QueryBuilder<DB>, name: &str, parts: &[(&str, Option<i64>)]| {
            qb.push(", COALESCE(SUM(CASE WHEN ");
            for (k, (sql, arg)) in parts.iter().enumerate() {
                if k > 0 {
                    qb.push(" AND ");
                }
                qb.push(*sql);
                if let Some(a) = arg {
                    qb.push_arg(*a);
                }
            }
            qb.push(format!(" THEN 1 ELSE 0 END), 0) AS {name}"));
        };
        count(&mut qb, "age0", &[("opened_at > ", Some(edges[0]))]);
        for k in 1..4 {
            count(
                &mut qb,
                &format!("age{k}"),
                &[
                    ("opened_at <= ", Some(edges[k - 1])),
                    ("opened_at > ", Some(edges[k])),
                ],
            );
        }
        count(&mut qb, "age4", &[("opened_at <= ", Some(edges[3]))]);
        count(&mut qb, "due0", &[("sla_due_at < ", Some(at))]);
        count(
            &mut qb,
            "due1",
            &[("sla_due_at >= ", Some(at)), ("sla_due_at < ", Some(risk))],
        );
        count(&mut qb, "due2", &[("sla_due_at >= ", Some(risk))]);
        count(&mut qb, "due3", &[("sla_due_at IS NULL", None)]);
        count(&mut qb, "unassigned", &[("assignee IS NULL", None)]);
        qb.push(", COALESCE(SUM(CASE WHEN assignee = ")
            .push_arg(me.map(|u| u.0))
            .push(" THEN 1 ELSE 0 END), 0) AS mine, COALESCE(SUM(CASE WHEN assignee = ")
            .push_arg(me.map(|u| u.0))
            .push(" AND sla_due_at < ")
            .push_arg(at)
            .push(" THEN 1 ELSE 0 END), 0) AS mine_breached FROM cases WHERE tenant_id IN (NULL");
        for t in tenants {
            qb.push(", ").push_arg(t.0);
        }
        qb.push(format!(
            ") AND status IN ({OPEN}) GROUP BY tenant_id, owner_team"
        ));
        fetch_rows(qb.build(), &self.read, |r| {
            let n = |c: &str| -> Result<u64> { Ok(r.col::<i64>(c)? as u64) };
            Ok(BacklogRow {
                tenant: TenantId(r.col("tenant_id")?),
                team: r.col("owner_team")?,
                open: n("n")?,
                ages: [n("age0")?, n("age1")?, n("age2")?, n("age3")?, n("age4")?],
                dues: [n("due0")?, n("due1")?, n("due2")?, n("due3")?],
                unassigned: n("unassigned")?,
                mine: n("mine")?,
                mine_breached: n("mine_breached")?,
            })
        })
        .await
    }

    async fn case(&self, tenant: TenantId, id: CaseId) -> Result<Option<Case>> {
        let sql = format!("SELECT {CASE_COLS} FROM cases WHERE tenant_id = $1 AND id = $2");
        fetch_row(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(id.0),
            &self.read,
            case_row::<DB>,
        )
        .await
    }

    async fn case_by_number(&self, tenant: TenantId, number: &str) -> Result<Option<Case>> {
        let sql = format!("SELECT {CASE_COLS} FROM cases WHERE tenant_id = $1 AND number = $2");
        fetch_row(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(number.to_string()),
            &self.read,
            case_row::<DB>,
        )
        .await
    }

    async fn case_timeline(&self, tenant: TenantId, id: CaseId) -> Result<Vec<TimelineEntry>> {
        let sql = format!(
            "SELECT {TIMELINE_COLS} FROM case_timeline WHERE tenant_id = $1 AND case_id = $2 \
             ORDER BY seq"
        );
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(id.0),
            &self.read,
            timeline_row::<DB>,
        )
        .await
    }

    async fn case_timelines(
        &self,
        cases: &[(TenantId, CaseId)],
    ) -> Result<HashMap<CaseId, Vec<TimelineEntry>>> {
        let mut rows = Vec::new();
        for mut qb in timeline_queries::<DB>(cases) {
            rows.extend(qb.build().fetch_all(DB::pool(&self.read)).await?);
        }
        group_timelines::<DB>(&rows)
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

    async fn cases_in_period(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Case>> {
        let sql = format!(
            "SELECT {CASE_COLS} FROM cases WHERE tenant_id = $1 AND opened_at < $3 \
             AND (status IN ({OPEN}) OR updated_at >= $2) ORDER BY id"
        );
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(us(from))
                .arg(us(to)),
            &self.read,
            case_row::<DB>,
        )
        .await
    }

    async fn case_totals(&self, tenant: TenantId) -> Result<(u64, u64)> {
        let sql = format!(
            "SELECT COUNT(*) AS total, \
               COALESCE(SUM(CASE WHEN status IN ({OPEN}) THEN 1 ELSE 0 END), 0) AS open \
             FROM cases WHERE tenant_id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(tenant.0)
            .fetch_one(DB::pool(&self.read))
            .await?;
        Ok((
            row.col::<i64>("total")? as u64,
            row.col::<i64>("open")? as u64,
        ))
    }

    async fn cases_by_ids(&self, tenant: TenantId, ids: &[CaseId]) -> Result<Vec<Case>> {
        let ids: Vec<Uuid> = ids.iter().map(|c| c.0).collect();
        let head = format!("SELECT {CASE_COLS} FROM cases WHERE tenant_id = ");
        let mut cases = Vec::with_capacity(ids.len());
        for mut qb in id_queries::<DB>(&head, tenant, "id", &ids, "") {
            for r in qb.build().fetch_all(DB::pool(&self.read)).await? {
                cases.push(case_row::<DB>(&r)?);
            }
        }
        Ok(cases)
    }

    async fn reopened_cases_open_after(
        &self,
        tenant: TenantId,
        end: Timestamp,
    ) -> Result<Vec<Case>> {
        let sql = format!(
            "SELECT {CASE_COLS} FROM cases WHERE tenant_id = $1 AND reopen_count > 0 \
             AND opened_at < $2 AND (status IN ({OPEN}) OR updated_at >= $2) ORDER BY id"
        );
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(us(end)),
            &self.read,
            case_row::<DB>,
        )
        .await
    }

    async fn unreopened_backlog_at(&self, tenant: TenantId, end: Timestamp) -> Result<Backlog> {
        // The core's buckets are whole hours of age at `end`: younger than 4 h means opened
        // after `end - 4 h`, and so on.
        let before = |hours: i64| us(end - jiff::SignedDuration::from_hours(hours));
        let row = sqlx::query(
            "SELECT COUNT(*) AS open, \
               COALESCE(SUM(CASE WHEN opened_at > $3 THEN 1 ELSE 0 END), 0) AS h4, \
               COALESCE(SUM(CASE WHEN opened_at > $4 AND opened_at <= $3 THEN 1 ELSE 0 END), 0) AS d1, \
               COALESCE(SUM(CASE WHEN opened_at > $5 AND opened_at <= $4 THEN 1 ELSE 0 END), 0) AS d3, \
               COALESCE(SUM(CASE WHEN opened_at > $6 AND opened_at <= $5 THEN 1 ELSE 0 END), 0) AS d7 \
             FROM cases WHERE tenant_id = $1 AND reopen_count = 0 AND opened_at < $2 \
               AND (resolved_at IS NULL OR resolved_at >= $2)",
        )
        .arg(tenant.0)
        .arg(us(end))
        .arg(before(4))
        .arg(before(24))
        .arg(before(72))
        .arg(before(168))
        .fetch_one(DB::pool(&self.read))
        .await?;
        let n = |c: &str| -> Result<u64> { Ok(row.col::<i64>(c)? as u64) };
        let open = n("open")?;
        let (h4, d1, d3, d7) = (n("h4")?, n("d1")?, n("d3")?, n("d7")?);
        Ok(Backlog {
            open,
            under_4h: h4,
            under_1d: d1,
            under_3d: d3,
            under_7d: d7,
            over_7d: open - h4 - d1 - d3 - d7,
        })
    }

    async fn open_cases_per_assignee(&self) -> Result<Vec<(UserId, u32)>> {
        let sql = format!(
            "SELECT assignee, COUNT(*) AS n FROM cases WHERE assignee IS NOT NULL \
             AND status IN ({OPEN}) GROUP BY assignee"
        );
        fetch_rows(sqlx::query(sqlx::AssertSqlSafe(sql)), &self.read, |r| {
            let n: i64 = r.col("n")?;
            Ok((UserId(r.col("assignee")?), n as u32))
        })
        .await
    }

    async fn case_settings(&self, tenant: TenantId) -> Result<Option<StoredCaseSettings>> {
        super::teams::case_settings::<DB>(&self.read, tenant).await
    }

    async fn teams(&self) -> Result<Vec<Team>> {
        super::teams::teams::<DB>(&self.read).await
    }
}
