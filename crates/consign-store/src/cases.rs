//! The case aggregate's storage contract: reads ([`CaseStore`]) and writes ([`CaseTx`]) of
//! cases, their timelines, teams and each tenant's versioned case settings.

use crate::Result;
use async_trait::async_trait;
use consign_core::case::kpi::Backlog;
use consign_core::case::ownership::Team;
use consign_core::case::queue::DueWindow;
use consign_core::case::settings::CaseSettings;
use consign_core::case::{Case, CaseStatus, Severity, TimelineEntry};
use consign_core::ids::{CarrierId, CaseId, PartnerId, ShipmentId, TenantId, UserId};
use jiff::Timestamp;
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub case_type: Option<String>,
    pub status: Option<CaseStatus>,
    /// Only cases before `resolved` (new, open, waiting).
    pub open_only: bool,
    pub severity: Option<Severity>,
    pub carrier: Option<CarrierId>,
    pub accountable: Option<String>,
    /// Only the cases addressed to a warehouse: the warehouse is accountable, or the case
    /// waits on the warehouse's answer (what a warehouse identity may see).
    pub warehouse_facing: bool,
    /// The owner team's queue.
    pub team: Option<String>,
    /// `Some(None)`: unassigned cases only.
    pub assignee: Option<Option<UserId>>,
    pub shipment: Option<ShipmentId>,
    /// The cases of any of these shipments (a list page marking its rows with open cases).
    pub shipments: Option<Vec<ShipmentId>>,
    /// Cases carrying this tag.
    pub tag: Option<String>,
    /// EDI cases about groups sent to this trading partner.
    pub partner: Option<PartnerId>,
    pub opened_from: Option<Timestamp>,
    pub opened_to: Option<Timestamp>,
    /// The next SLA deadline's window (a queue's SLA-state filter, [`DueState::window`](consign_core::case::queue::DueState::window)).
    pub due: Option<DueWindow>,
    /// Only these cases (the cases behind a scorecard figure).
    pub ids: Option<Vec<CaseId>>,
    /// The queue's order: the next SLA deadline first, then cases without one (`after` pages on).
    pub by_sla: bool,
    pub after: Option<CaseId>,
    pub limit: u32,
}

/// One row of the backlog a home page shows: the open cases of one tenant and owner team,
/// counted by age bucket, by the state of their next deadline, and by who holds them.
/// Every count is what the queue lists under the same filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogRow {
    pub tenant: TenantId,
    pub team: String,
    pub open: u64,
    /// In `AgeBucket::ALL`'s order.
    pub ages: [u64; 5],
    /// In `DueState::ALL`'s order.
    pub dues: [u64; 4],
    pub unassigned: u64,
    /// Assigned to the person asking, and of those, past their deadline.
    pub mine: u64,
    pub mine_breached: u64,
}

/// One stored version of a tenant's case settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCaseSettings {
    pub version: i64,
    pub settings: CaseSettings,
    pub created_at: Timestamp,
    pub created_by: String,
}

#[async_trait]
pub trait CaseStore {
    async fn cases(&self, tenant: TenantId, filter: &CaseFilter) -> Result<Vec<Case>>;
    /// The filter's cases across these tenants (a provider's queue over every client it
    /// serves), in the filter's order.
    async fn cases_across(&self, tenants: &[TenantId], filter: &CaseFilter) -> Result<Vec<Case>>;
    /// How many cases of these tenants the filter lists over all its pages (`after`, `limit`
    /// and the order ignored), counting no further than `cap`.
    async fn count_cases(&self, tenants: &[TenantId], filter: &CaseFilter, cap: u32)
    -> Result<u64>;
    /// The open cases of these tenants counted per tenant and owner team (see
    /// [`BacklogRow`]), ages and deadlines taken at `now`, `me` the person asking.
    async fn backlog(
        &self,
        tenants: &[TenantId],
        now: Timestamp,
        me: Option<UserId>,
    ) -> Result<Vec<BacklogRow>>;
    async fn case(&self, tenant: TenantId, id: CaseId) -> Result<Option<Case>>;
    async fn case_by_number(&self, tenant: TenantId, number: &str) -> Result<Option<Case>>;
    async fn case_timeline(&self, tenant: TenantId, id: CaseId) -> Result<Vec<TimelineEntry>>;
    /// The timelines of several cases, each in `seq` order.
    async fn case_timelines(
        &self,
        cases: &[(TenantId, CaseId)],
    ) -> Result<HashMap<CaseId, Vec<TimelineEntry>>>;
    async fn cases_opened_by_type(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(String, i64)>>;
    /// The cases a report on `[from, to)` needs: opened before `to`, and still open or
    /// changed since `from`.
    async fn cases_in_period(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Case>>;
    /// How many cases the tenant holds, and how many of them are open.
    async fn case_totals(&self, tenant: TenantId) -> Result<(u64, u64)>;
    /// These cases (the KPI refresh judges them).
    async fn cases_by_ids(&self, tenant: TenantId, ids: &[CaseId]) -> Result<Vec<Case>>;
    /// The reopened cases that may have been open at `end` (their timelines decide): opened
    /// before it, and open now or changed since.
    async fn reopened_cases_open_after(
        &self,
        tenant: TenantId,
        end: Timestamp,
    ) -> Result<Vec<Case>>;
    /// The cases never reopened that were open at `end`, counted by age from their columns
    /// alone (for them, `resolved_at` is when the one resolution happened).
    async fn unreopened_backlog_at(&self, tenant: TenantId, end: Timestamp) -> Result<Backlog>;
    /// Open cases per assignee, across tenants (an agent's load is all of their work).
    async fn open_cases_per_assignee(&self) -> Result<Vec<(UserId, u32)>>;
    /// The tenant's case settings in force (its newest version), if it stored any.
    async fn case_settings(&self, tenant: TenantId) -> Result<Option<StoredCaseSettings>>;
    /// Every team with its members, by name.
    async fn teams(&self) -> Result<Vec<Team>>;
}

/// The writes of cases, their timelines, teams and settings (part of every [`crate::Tx`]).
#[async_trait]
pub trait CaseTx: Send {
    /// Open cases of one type that belong to a carrier or to an EDI group, not to a shipment.
    async fn open_non_shipment_cases(
        &mut self,
        tenant: TenantId,
        case_type: &str,
    ) -> Result<Vec<Case>>;
    /// The open cases of these shipments, locked until commit where writers run concurrently
    /// (the rule engine then writes them whole, so an agent's change cannot slip between).
    async fn open_cases(&mut self, tenant: TenantId, shipments: &[ShipmentId])
    -> Result<Vec<Case>>;
    async fn insert_cases(&mut self, cases: &[Case]) -> Result<()>;
    /// Writes the changeable fields of existing cases (their rows are locked by this
    /// transaction).
    async fn update_cases(&mut self, cases: &[Case]) -> Result<()>;
    async fn append_timeline(&mut self, tenant: TenantId, entries: &[TimelineEntry]) -> Result<()>;
    /// The case, locked until commit.
    async fn lock_case(&mut self, tenant: TenantId, id: CaseId) -> Result<Option<Case>>;
    /// Writes the case if it is still at `expected_version`; false when someone else changed
    /// it first.
    async fn save_case(&mut self, case: &Case, expected_version: i64) -> Result<bool>;
    async fn timeline_of(&mut self, tenant: TenantId, id: CaseId) -> Result<Vec<TimelineEntry>>;
    async fn timelines_of(
        &mut self,
        cases: &[(TenantId, CaseId)],
    ) -> Result<HashMap<CaseId, Vec<TimelineEntry>>>;
    /// The ids the filter selects, read in this transaction (bulk actions).
    async fn case_ids(&mut self, tenant: TenantId, filter: &CaseFilter) -> Result<Vec<CaseId>>;
    /// Claims up to `limit` cases whose timer is due at `now`, oldest first, locked until
    /// commit; where writers run concurrently, rows another transaction holds are skipped
    /// (`FOR UPDATE SKIP LOCKED`), so two sweepers never claim one case.
    async fn claim_due_cases(&mut self, now: Timestamp, limit: u32) -> Result<Vec<Case>>;
    /// Puts every case of the tenant not yet closed under the sweep's eyes at `now` (new
    /// settings re-plan their deadlines).
    async fn replan_open_cases(&mut self, tenant: TenantId, now: Timestamp) -> Result<u64>;
    /// Stores a new version of the tenant's settings and returns its number.
    async fn insert_case_settings(
        &mut self,
        tenant: TenantId,
        settings: &CaseSettings,
        at: Timestamp,
        by: &str,
    ) -> Result<i64>;
    /// Creates or replaces a team and its member list.
    async fn put_team(&mut self, team: &Team, at: Timestamp) -> Result<()>;
    async fn set_last_assigned(&mut self, team: &str, user: UserId) -> Result<()>;
    /// Tells the ingest that this shipment has an open case again (a case opened by hand,
    /// or reopened), so its next batch reads its open cases instead of trusting the flag
    /// that spares the read. Takes the shipment's tracking row lock: call it before locking
    /// the case, the order the ingest takes them in.
    async fn flag_open_cases(&mut self, tenant: TenantId, shipment: ShipmentId) -> Result<()>;
}
