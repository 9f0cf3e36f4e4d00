//! Cases: what rules file ([`filing`]), the actions people take on them ([`actions`]), the
//! teams and settings that decide who owns them and by when ([`settings`]), the timers that
//! warn, breach, escalate and close ([`timers`]), and the figures measured from them
//! ([`kpis`]), and the queue across tenants (`queue`). Client users and carriers read only what is addressed to them, and only the
//! external part of a timeline.

pub mod actions;
mod filing;
pub mod kpis;
mod queue;
pub mod settings;
pub mod timers;

pub use filing::CaseChanges;
pub(crate) use filing::{SubjectCases, file_new_cases};

use crate::{App, AppError, AppResult, require};
use consign_core::access::{Actor, Capability, Principal, Role};
use consign_core::case::CaseStatus;
use consign_core::case::{Case, TimelineEntry, Visibility};
use consign_core::ids::CaseId;
use consign_core::tenant::Tenant;
use consign_store::CaseFilter;

/// Whether `p` sees the internal side of cases: provider staff do; clients, carriers and
/// integrations see external entries only.
pub(crate) fn sees_internal(p: &Principal) -> bool {
    p.role.is_provider()
}

/// Whether `p` may see `case` at all: a carrier identity only the cases about its carrier; a
/// warehouse identity only the cases the warehouse is accountable for or that wait on its
/// answer. (Cases name no warehouse, so every warehouse identity of a tenant sees the same
/// ones; tenants run one warehouse partner each today.)
pub(crate) fn addressed_to(p: &Principal, case: &Case) -> bool {
    if p.role == Role::Warehouse {
        return warehouse_facing(case);
    }
    match p.carrier {
        Some(carrier) => case.carrier_id == Some(carrier),
        None => true,
    }
}

/// `filter` narrowed to what `p` may list: a carrier's list is its own carrier's cases, and
/// a warehouse's the cases that face the warehouse, whatever they ask for.
pub(crate) fn addressed_filter(p: &Principal, filter: &CaseFilter) -> CaseFilter {
    let mut filter = filter.clone();
    if let Some(c) = p.carrier {
        filter.carrier = Some(c);
    }
    if p.role == Role::Warehouse {
        filter.warehouse_facing = true;
    }
    filter
}

/// The store's `warehouse_facing` filter, for one case.
fn warehouse_facing(case: &Case) -> bool {
    case.accountable == "warehouse" || case.status == CaseStatus::WaitingWarehouse
}

/// The part of a timeline `p` may read.
pub(crate) fn visible_timeline(p: &Principal, entries: Vec<TimelineEntry>) -> Vec<TimelineEntry> {
    if sees_internal(p) {
        return entries;
    }
    entries
        .into_iter()
        .filter(|e| e.visibility == Visibility::External)
        .collect()
}

impl App {
    pub async fn list_cases(
        &self,
        p: &Principal,
        tenant: &Tenant,
        filter: &CaseFilter,
    ) -> AppResult<Vec<Case>> {
        require(p, Capability::ReadCases)?;
        let filter = addressed_filter(p, filter);
        Ok(self.reads().cases(tenant.id, &filter).await?)
    }

    /// Where the case's SLA clocks stand now, metric by metric (elapsed, remaining, state,
    /// due), under the policy and calendar in force; empty when no policy covers the case.
    ///
    /// `case` comes from a read or an action `p` was allowed, and its clocks are part of the
    /// answer. So whoever may act on cases gets them too: the mail relay (no `cases:read`)
    /// attaching a reply, or a token narrowed to `cases:work`, had the action committed and
    /// then a 403, and a retry recorded the reply twice.
    pub async fn sla_clocks(
        &self,
        p: &Principal,
        tenant: &Tenant,
        case: &Case,
    ) -> AppResult<Vec<consign_core::sla::MetricClock>> {
        let acts = [
            Capability::WorkCases,
            Capability::AnswerCases,
            Capability::RelayMessages,
        ];
        if !acts.iter().any(|c| p.can(*c)) {
            require(p, Capability::ReadCases)?;
        }
        let settings = self.settings_in_force(tenant.id).await?;
        let (rule, cal) = settings.policy_for(&case.case_type, case.severity);
        let Some(rule) = rule else {
            return Ok(Vec::new());
        };
        let timeline = self.store.case_timeline(tenant.id, case.id).await?;
        let events = consign_core::case::timers::clock_events(&timeline);
        Ok(consign_core::sla::evaluate(
            &events,
            cal,
            &rule.clock,
            self.now(),
        ))
    }

    /// The case numbered `number` (`CASE-000042`), if `p` may see it.
    pub async fn case_by_number(
        &self,
        p: &Principal,
        tenant: &Tenant,
        number: &str,
    ) -> AppResult<Option<Case>> {
        require(p, Capability::ReadCases)?;
        Ok(self
            .store
            .case_by_number(tenant.id, number)
            .await?
            .filter(|c| addressed_to(p, c)))
    }

    /// A case and the part of its timeline `p` may read; a case not addressed to `p` is
    /// answered like one that does not exist.
    pub async fn get_case(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: CaseId,
    ) -> AppResult<(Case, Vec<TimelineEntry>)> {
        require(p, Capability::ReadCases)?;
        let c = match self.store.case(tenant.id, id).await? {
            Some(c) if addressed_to(p, &c) => c,
            _ => return Err(AppError::NotFound(format!("case {id}"))),
        };
        let timeline = self.store.case_timeline(tenant.id, id).await?;
        Ok((c, visible_timeline(p, timeline)))
    }

    /// The names `p` reads for the actors who may stand on this tenant's case timelines (its
    /// own users and tokens, and the provider's), keyed by actor label (`user:<id>`,
    /// `token:<id>`), by [`actor_name`](consign_core::case::actor_name): a client reads
    /// "service desk", not an agent's name or an id.
    pub async fn timeline_names(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<std::collections::HashMap<String, String>> {
        use consign_core::case::actor_name;
        require(p, Capability::ReadCases)?;
        let (users, tokens) = tokio::try_join!(self.store.users(), self.store.tokens())?;
        let people = users
            .into_iter()
            .filter(|u| {
                u.tenants.contains(&tenant.id) || (u.role.is_provider() && u.tenants.is_empty())
            })
            .map(|u| {
                let name = actor_name(p, &u.name, u.role, u.carrier_id);
                (Actor::User(u.id).label(), name)
            });
        let tokens = tokens
            .into_iter()
            .filter(|k| k.tenant_id.is_none_or(|t| t == tenant.id))
            .map(|k| {
                let name = actor_name(p, &k.name, k.role, k.carrier_id);
                (Actor::Token(k.id).label(), name)
            });
        Ok(people.chain(tokens).collect())
    }
}
