//! KPI definitions, every version kept, and the scorecard's rollup (the facts rows, the
//! daily counts, and the stale marks the database's triggers leave for the refresh worker):
//! reads ([`KpiStore`]) and writes ([`KpiTx`]).

use crate::Result;
use async_trait::async_trait;
use consign_core::case::kpi::CaseFact;
use consign_core::ids::{CaseId, OrderId, ShipmentId, TenantId};
use consign_core::kpi::KpiDefinitions;
use consign_core::kpi::facts::ShipmentRecord;
use consign_core::kpi::rollup::{DailyCount, OrderRow, ShipmentRow};
use consign_core::order::Channel;
use jiff::Timestamp;
use jiff::civil::Date;

/// An order as its KPI facts need it: lines, and what each of its shipments carries.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderSource {
    pub order: OrderId,
    pub channel: Channel,
    pub promised_by: Option<Timestamp>,
    pub cancelled: bool,
    /// (line number, quantity), by line number.
    pub lines: Vec<(i64, u32)>,
    /// Each shipment of the order with its (line number, quantity).
    pub shipments: Vec<(ShipmentId, Vec<(i64, u32)>)>,
}

/// Something whose KPI facts must be recomputed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stale {
    Shipment(ShipmentId),
    Order(OrderId),
    Case(CaseId),
}

/// Which local days a read of rollup rows covers.
#[derive(Debug, Clone, Copy)]
pub enum Days<'a> {
    These(&'a [Date]),
    Between(Date, Date),
}

/// One stored version of a tenant's KPI definitions.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredKpiDefinitions {
    pub version: i64,
    pub definitions: KpiDefinitions,
    pub created_at: Timestamp,
    pub created_by: String,
}

#[async_trait]
pub trait KpiStore {
    /// The newest version, if the tenant has set any.
    async fn kpi_definitions(&self, tenant: TenantId) -> Result<Option<StoredKpiDefinitions>>;
    /// One version, to recompute a period under it.
    async fn kpi_definitions_version(
        &self,
        tenant: TenantId,
        version: i64,
    ) -> Result<Option<StoredKpiDefinitions>>;

    /// The shipments as recorded, with every case ever opened about them.
    async fn kpi_shipment_records(
        &self,
        tenant: TenantId,
        ids: &[ShipmentId],
    ) -> Result<Vec<ShipmentRecord>>;
    /// The orders as recorded, with their lines and their shipments' lines.
    async fn kpi_order_sources(
        &self,
        tenant: TenantId,
        ids: &[OrderId],
    ) -> Result<Vec<OrderSource>>;
    /// The facts rows counting on these days (shipped or delivered on one; orders due on one).
    async fn kpi_rows(
        &self,
        tenant: TenantId,
        days: Days<'_>,
    ) -> Result<(Vec<ShipmentRow>, Vec<OrderRow>)>;
    /// The stored facts rows of these shipments and orders.
    async fn kpi_rows_of(
        &self,
        tenant: TenantId,
        shipments: &[ShipmentId],
        orders: &[OrderId],
    ) -> Result<(Vec<ShipmentRow>, Vec<OrderRow>)>;
    /// The rollup's counts of the days from `first` to `last`, sorted.
    async fn kpi_daily(&self, tenant: TenantId, first: Date, last: Date)
    -> Result<Vec<DailyCount>>;
    /// The first and last day any facts row or count of the tenant is on.
    async fn kpi_day_span(&self, tenant: TenantId) -> Result<Option<(Date, Date)>>;
    /// A page of the tenant's shipment ids, then order ids, after `after` (for a full check).
    async fn kpi_shipment_ids(
        &self,
        tenant: TenantId,
        after: Option<ShipmentId>,
        limit: i64,
    ) -> Result<Vec<ShipmentId>>;
    async fn kpi_order_ids(
        &self,
        tenant: TenantId,
        after: Option<OrderId>,
        limit: i64,
    ) -> Result<Vec<OrderId>>;
    /// Order turnaround in minutes: received (ordered) to released for the orders released
    /// in `[from, to)`, and released to shipped for those that first shipped in it.
    async fn order_turnaround(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<(Vec<i64>, Vec<i64>)>;
    /// How many marks wait for the refresh worker (of one tenant, or of all).
    async fn kpi_stale_count(&self, tenant: Option<TenantId>) -> Result<u64>;
}

#[async_trait]
pub trait KpiTx {
    /// Stores the next version; returns its number.
    async fn insert_kpi_definitions(
        &mut self,
        tenant: TenantId,
        definitions: &KpiDefinitions,
        at: Timestamp,
        by: &str,
    ) -> Result<i64>;

    /// Takes up to `limit` stale marks (deleting them in this transaction: a change
    /// committed after this point marks its record again).
    async fn take_kpi_stale(&mut self, limit: i64) -> Result<Vec<(TenantId, Stale)>>;
    /// Empties the tenant's rollup and marks every shipment, order and case, so the refresh
    /// rebuilds it from the records (after `kpis verify` found drift). Returns the marks.
    async fn reset_kpi_rollup(&mut self, tenant: TenantId) -> Result<u64>;
    /// Marks every order of the tenant (its definitions changed).
    async fn mark_kpi_orders_stale(&mut self, tenant: TenantId) -> Result<u64>;
    /// The days these records' stored rows count on, before they are replaced.
    async fn kpi_days_of(
        &mut self,
        tenant: TenantId,
        shipments: &[ShipmentId],
        orders: &[OrderId],
    ) -> Result<Vec<Date>>;
    /// Replaces the rows of these shipments and orders with `shipment_rows` and
    /// `order_rows` (a record without a new row loses its row).
    async fn put_kpi_rows(
        &mut self,
        tenant: TenantId,
        shipments: &[ShipmentId],
        orders: &[OrderId],
        shipment_rows: &[ShipmentRow],
        order_rows: &[OrderRow],
    ) -> Result<()>;
    /// The facts rows counting on these days, as this transaction sees them.
    async fn kpi_rows_for_update(
        &mut self,
        tenant: TenantId,
        days: &[Date],
    ) -> Result<(Vec<ShipmentRow>, Vec<OrderRow>)>;
    /// Replaces the counts of these days.
    async fn replace_kpi_daily(
        &mut self,
        tenant: TenantId,
        days: &[Date],
        counts: &[DailyCount],
    ) -> Result<()>;
}

/// What a period's resolutions add up to (SPEC §10's case rates are ratios of these).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolutionSums {
    pub resolved: u64,
    pub reopened: u64,
    pub first_contact: u64,
    pub sla_met: u64,
    pub sla_applied: u64,
}

/// The rollup's case facts (`kpi_case_facts`, one per case): reads.
#[async_trait]
pub trait KpiCaseStore {
    /// The facts of the cases opened, first answered or resolved within `[from, to)`.
    async fn kpi_case_facts_in(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CaseFact>>;
    /// The stored facts of these cases (`kpis verify` compares them with a recomputation).
    async fn kpi_case_facts_of(&self, tenant: TenantId, cases: &[CaseId]) -> Result<Vec<CaseFact>>;
    /// The resolutions' counts in each of the consecutive periods `bounds` delimits
    /// (`bounds[i]..bounds[i + 1]`): the sums a trend of the case rates is drawn from.
    async fn kpi_case_rates(
        &self,
        tenant: TenantId,
        bounds: &[Timestamp],
    ) -> Result<Vec<ResolutionSums>>;
    /// A page of the tenant's case ids, in id order after `after`.
    async fn kpi_case_ids(
        &self,
        tenant: TenantId,
        after: Option<CaseId>,
        limit: i64,
    ) -> Result<Vec<CaseId>>;
}

/// The rollup's case facts: writes.
#[async_trait]
pub trait KpiCaseTx: Send {
    /// Replaces the facts of these cases with `facts` (a case without one loses its row).
    async fn put_kpi_case_facts(
        &mut self,
        tenant: TenantId,
        cases: &[CaseId],
        facts: &[CaseFact],
    ) -> Result<()>;
    /// Marks every case of the tenant (its case settings, which measure business time,
    /// changed).
    async fn mark_kpi_cases_stale(&mut self, tenant: TenantId) -> Result<u64>;
}
