//! The actions people take on cases (SPEC §4): open by hand, acknowledge, assign, change
//! status, note, answer, resolve, reopen, close, set severity, and the same in bulk over a
//! filtered selection. Each locks the case, checks the caller's version (`If-Match`), lets
//! the core decide, re-plans the case's SLA timers, and writes the case, its timeline
//! entries and an audit record in one transaction.

use super::settings::plan_timers;
use super::{addressed_to, sees_internal};
use crate::{App, AppError, AppResult, entropy, require};
use consign_core::access::{Capability, Principal};
use consign_core::audit::AuditEntry;
use consign_core::case::work::{CaseAction, Decision, Refusal, decide};
use consign_core::case::{
    Case, CaseStatus, CaseSubject, NewCase, Severity, TimelineEntry, TimelineKind, Visibility,
};
use consign_core::ids::{CaseId, UserId};
use consign_core::tenant::Tenant;
use consign_store::{CaseFilter, Tx};

/// A case opened by hand.
#[derive(Debug, Clone)]
pub struct ManualCase {
    pub subject: CaseSubject,
    pub case_type: String,
    pub severity: Severity,
    pub accountable: String,
    /// Without it, the ownership matrix's team for the type (or `exceptions`).
    pub team: Option<String>,
    pub assignee: Option<UserId>,
    /// What the agent saw; the `created` entry's text.
    pub description: String,
}

/// Largest selection one bulk action changes.
pub const MAX_BULK: usize = 500;

fn refusal(r: Refusal) -> AppError {
    match r {
        Refusal::Transition { .. } => AppError::conflict("status", r.to_string()),
        Refusal::Field { field, reason } => {
            AppError::Invalid(consign_core::Invalid::one(field, reason))
        }
    }
}

/// Which capability an action needs of `p`, given the case.
fn check_may(p: &Principal, case: &Case, action: &CaseAction) -> AppResult<()> {
    match action {
        // Clients and carriers answer; the answer is theirs to give on what is theirs. An agent
        // records a reply that came by phone; a mail relay posts e-mailed ones.
        CaseAction::Answer { .. } => {
            if p.can(Capability::WorkCases) || p.can(Capability::RelayMessages) {
                Ok(())
            } else {
                require(p, Capability::AnswerCases)
            }
        }
        // Taking an unassigned case, or giving one's own away, is an agent's; moving someone
        // else's case is a supervisor's.
        CaseAction::Assign { assignee, .. } => {
            require(p, Capability::WorkCases)?;
            let me = match &p.actor {
                consign_core::access::Actor::User(u) => Some(*u),
                _ => None,
            };
            let taking = case.assignee.is_none() && *assignee == me && me.is_some();
            let giving_away = case.assignee.is_some() && case.assignee == me;
            if taking || giving_away {
                Ok(())
            } else {
                require(p, Capability::SuperviseCases)
            }
        }
        _ => require(p, Capability::WorkCases),
    }
}

impl App {
    /// Opens a case by hand on any subject of the tenant.
    pub async fn open_case(
        &self,
        p: &Principal,
        tenant: &Tenant,
        m: ManualCase,
    ) -> AppResult<(Case, Vec<TimelineEntry>)> {
        require(p, Capability::WorkCases)?;
        let mut bad = consign_core::Invalid::default();
        if m.case_type.trim().is_empty() || m.case_type.len() > 64 {
            bad.push("case_type", "must be 1 to 64 characters");
        }
        if !consign_core::case::CASE_PARTIES.contains(&m.accountable.as_str()) {
            bad.push(
                "accountable",
                format!(
                    "unknown party '{}'; expected one of {}",
                    m.accountable,
                    consign_core::case::CASE_PARTIES.join(", ")
                ),
            );
        }
        let description = m.description.trim().to_string();
        if description.is_empty() {
            bad.push("description", "must not be empty");
        }
        if !bad.is_empty() {
            return Err(AppError::Invalid(bad));
        }
        // The subject must exist in this tenant (an id of another tenant answers 404).
        let (order_id, carrier_id) = self.subject_links(tenant, &m.subject).await?;
        let settings = self.settings_in_force(tenant.id).await?;
        let own = settings
            .settings
            .ownership
            .resolve(&m.case_type, "exceptions", &m.accountable);
        let team = m.team.clone().unwrap_or(own.team);
        let teams = self.store.teams().await?;
        let team_row = teams.iter().find(|t| t.name == team);
        if m.team.is_some() && team_row.is_none() {
            return Err(AppError::Invalid(consign_core::Invalid::one(
                "team",
                format!("no team named '{team}'"),
            )));
        }
        if let Some(u) = m.assignee
            && !team_row.is_some_and(|t| t.has_member(u))
        {
            return Err(AppError::Invalid(consign_core::Invalid::one(
                "assignee",
                format!("user {u} is not a member of team {team}"),
            )));
        }
        let now = self.now();
        let id = CaseId::new_at(now, entropy());
        let mut case = Case::start(
            id,
            tenant.id,
            NewCase {
                subject: m.subject.clone(),
                case_type: m.case_type.trim().to_string(),
                severity: m.severity,
                accountable: m.accountable.clone(),
                owner_team: team,
                rulebook_version: 0,
            },
            CaseStatus::Open,
            now,
            now,
        );
        case.order_id = order_id;
        case.carrier_id = carrier_id;
        case.informs = own.informs;
        case.assignee = m.assignee;
        let actor = p.actor.label();
        let mut created =
            TimelineEntry::system(id, now, TimelineKind::Created, description).by(&actor);
        created.seq = 1;
        let mut entries = vec![created];
        if let Some(u) = m.assignee {
            let mut e = TimelineEntry::system(
                id,
                now,
                TimelineKind::Assigned,
                format!("assigned to user:{u} in {}", case.owner_team),
            )
            .by(&actor)
            .changing("assignee", None, Some(format!("user:{u}")));
            e.seq = 2;
            entries.push(e);
            case.entries = 2;
        }
        let plan = plan_timers(&settings, &case, &entries, now);
        case.timer_at = plan.next_at;
        case.sla_due_at = plan.sla_due_at;
        let mut tx = self.begin().await?;
        // The shipment's tracking row before the case counter: the order the ingest takes
        // them in, so the two never wait on each other.
        if let CaseSubject::Shipment(s) = case.subject {
            tx.flag_open_cases(tenant.id, s).await?;
        }
        let number = tx.next_numbers(tenant.id, "case", 1).await?;
        case.number = format!("CASE-{number:06}");
        tx.insert_cases(std::slice::from_ref(&case)).await?;
        tx.append_timeline(tenant.id, &entries).await?;
        let mut emit = self.emitter(tenant.id, now).await?;
        emit.cases_opened(std::slice::from_ref(&case));
        self.write_messages(emit, &mut *tx).await?;
        self.commit_audited(
            tx,
            AuditEntry::new(Some(tenant.id), now, actor, "case", id, "opened_by_hand").after(&case),
        )
        .await?;
        Ok((case, entries))
    }

    /// The order and carrier a subject links to, checking that it exists in the tenant.
    async fn subject_links(
        &self,
        tenant: &Tenant,
        subject: &CaseSubject,
    ) -> AppResult<(
        Option<consign_core::ids::OrderId>,
        Option<consign_core::ids::CarrierId>,
    )> {
        let missing = || AppError::NotFound(format!("case subject {}", subject.key()));
        match subject {
            CaseSubject::Shipment(id) => {
                let s = self
                    .store
                    .shipment(tenant.id, *id)
                    .await?
                    .ok_or_else(missing)?;
                Ok((s.order_id, Some(s.carrier_id)))
            }
            CaseSubject::Order(id) => {
                self.store
                    .order(tenant.id, *id)
                    .await?
                    .ok_or_else(missing)?;
                Ok((Some(*id), None))
            }
            CaseSubject::Carrier(id) => {
                let carriers = self.store.carriers(tenant.id).await?;
                carriers.iter().find(|c| c.id == *id).ok_or_else(missing)?;
                Ok((None, Some(*id)))
            }
            CaseSubject::EdiGroup { partner, group } => {
                self.store
                    .outbound_group(tenant.id, *partner, group)
                    .await?
                    .ok_or_else(missing)?;
                Ok((None, None))
            }
        }
    }

    /// Takes `action` on case `id`. With `if_match`, the action applies only to that version
    /// of the case; an older one is refused with the case as it stands ([`AppError::Stale`]).
    pub async fn act_on_case(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: CaseId,
        action: CaseAction,
        if_match: Option<i64>,
    ) -> AppResult<(Case, Vec<TimelineEntry>)> {
        self.act_with_messages(p, tenant, id, action, if_match, Vec::new())
            .await
    }

    /// [`act_on_case`](Self::act_on_case), with messages the action sends written into its
    /// transaction (an e-mail on the case: no timeline entry without its message, and no
    /// message without its entry).
    pub(crate) async fn act_with_messages(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: CaseId,
        action: CaseAction,
        if_match: Option<i64>,
        messages: Vec<consign_core::message::outbox::OutboxMessage>,
    ) -> AppResult<(Case, Vec<TimelineEntry>)> {
        if !p.can(Capability::RelayMessages) {
            require(p, Capability::ReadCases)?;
        }
        let settings = self.settings_in_force(tenant.id).await?;
        self.validate_assignment(&action).await?;
        let now = self.now();
        let actor = p.actor.label();
        let mut tx = self.begin().await?;
        if matches!(action, CaseAction::Reopen { .. })
            && let Some(CaseSubject::Shipment(s)) =
                self.store.case(tenant.id, id).await?.map(|c| c.subject)
        {
            tx.flag_open_cases(tenant.id, s).await?;
        }
        let case = match tx.lock_case(tenant.id, id).await? {
            Some(c) if addressed_to(p, &c) => c,
            _ => return Err(AppError::NotFound(format!("case {id}"))),
        };
        // A stale request is answered as stale before anything that depends on the case's
        // state: what the caller decided on is gone, whatever they may do to the new state.
        if let Some(v) = if_match
            && v != case.version
        {
            return Err(AppError::Stale {
                current: Box::new(case),
            });
        }
        check_may(p, &case, &action)?;
        if let CaseAction::Note {
            visibility: Visibility::Internal,
            ..
        } = action
            && !sees_internal(p)
        {
            return Err(AppError::Forbidden(
                "internal notes are the provider's".into(),
            ));
        }
        let d = decide(&case, &action, &actor, now).map_err(refusal)?;
        if d.is_noop() {
            drop(tx);
            let timeline = self.store.case_timeline(tenant.id, id).await?;
            return Ok((case, super::visible_timeline(p, timeline)));
        }
        let reopening = matches!(action, CaseAction::Reopen { .. });
        let number = case.number.clone();
        let case = self
            .write_decision(
                &mut *tx,
                &settings,
                tenant,
                &case,
                d,
                &actor,
                action.name(),
                now,
            )
            .await
            .map_err(|e| match e {
                // At most one open case per subject and type: a rule may have opened a newer
                // one since this one was resolved.
                AppError::Duplicate { .. } if reopening => AppError::conflict(
                    "status",
                    format!(
                        "case {number} cannot be reopened: a newer open case of its type covers the same subject; work that one"
                    ),
                ),
                other => other,
            })?;
        if !messages.is_empty() {
            tx.enqueue(&messages).await?;
        }
        self.commit(tx).await?;
        if !messages.is_empty() {
            self.messaging.wake.notify_one();
        }
        let timeline = self.store.case_timeline(tenant.id, id).await?;
        Ok((case, super::visible_timeline(p, timeline)))
    }

    /// The assignee must belong to the team the case will be in.
    async fn validate_assignment(&self, action: &CaseAction) -> AppResult<()> {
        let CaseAction::Assign { team, assignee } = action else {
            return Ok(());
        };
        let teams = self.store.teams().await?;
        if let Some(t) = team
            && !teams.iter().any(|x| &x.name == t)
        {
            return Err(AppError::Invalid(consign_core::Invalid::one(
                "team",
                format!("no team named '{t}'"),
            )));
        }
        // Without a team the case stays in its own, which is checked once it is locked.
        if let (Some(t), Some(u)) = (team, assignee)
            && !teams.iter().any(|x| &x.name == t && x.has_member(*u))
        {
            return Err(AppError::Invalid(consign_core::Invalid::one(
                "assignee",
                format!("user {u} is not a member of team {t}"),
            )));
        }
        Ok(())
    }

    /// Writes a decided change: the case (only if still at the version it was decided on),
    /// its entries, its re-planned timers and the audit record.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn write_decision(
        &self,
        tx: &mut dyn Tx,
        settings: &consign_core::case::settings::ActiveSettings,
        tenant: &Tenant,
        before: &Case,
        d: Decision,
        actor: &str,
        action: &str,
        now: jiff::Timestamp,
    ) -> AppResult<Case> {
        let Decision { mut case, entries } = d;
        if let Some(u) = case.assignee
            && case.assignee != before.assignee
        {
            let teams = self.store.teams().await?;
            if !teams
                .iter()
                .any(|t| t.name == case.owner_team && t.has_member(u))
            {
                return Err(AppError::Invalid(consign_core::Invalid::one(
                    "assignee",
                    format!("user {u} is not a member of team {}", case.owner_team),
                )));
            }
        }
        let mut all = tx.timeline_of(tenant.id, case.id).await?;
        all.extend(entries.iter().cloned());
        let plan = plan_timers(settings, &case, &all, now);
        case.timer_at = plan.next_at.or(if plan.fire.is_empty() {
            None
        } else {
            Some(now)
        });
        case.sla_due_at = plan.sla_due_at;
        if !tx.save_case(&case, before.version).await? {
            let current = tx
                .lock_case(tenant.id, case.id)
                .await?
                .unwrap_or_else(|| before.clone());
            return Err(AppError::Stale {
                current: Box::new(current),
            });
        }
        tx.append_timeline(tenant.id, &entries).await?;
        let mut emit = self.emitter(tenant.id, now).await?;
        emit.case_changed(before, &case);
        self.write_messages(emit, tx).await?;
        tx.append_audit(vec![
            AuditEntry::new(
                Some(tenant.id),
                now,
                actor.to_string(),
                "case",
                case.id,
                action,
            )
            .before(before)
            .after(&case),
        ])
        .await?;
        Ok(case)
    }

    /// Takes `action` on every case of the selection `filter` gives, all or nothing.
    /// `expected` is the selection the caller saw: if the filter now selects other cases,
    /// nothing is changed and the difference is reported.
    pub async fn bulk_act_on_cases(
        &self,
        p: &Principal,
        tenant: &Tenant,
        filter: &CaseFilter,
        expected: &[CaseId],
        action: CaseAction,
    ) -> AppResult<Vec<Case>> {
        require(p, Capability::SuperviseCases)?;
        if expected.is_empty() || expected.len() > MAX_BULK {
            return Err(AppError::Invalid(consign_core::Invalid::one(
                "expected",
                format!("a bulk action takes 1 to {MAX_BULK} cases"),
            )));
        }
        let settings = self.settings_in_force(tenant.id).await?;
        self.validate_assignment(&action).await?;
        let now = self.now();
        let actor = p.actor.label();
        let mut filter = filter.clone();
        filter.limit = (MAX_BULK + 1) as u32;
        filter.after = None;
        let mut tx = self.begin().await?;
        let mut ids: Vec<CaseId> = tx.case_ids(tenant.id, &filter).await?;
        ids.sort();
        let mut want = expected.to_vec();
        want.sort();
        want.dedup();
        if ids != want {
            let added = ids
                .iter()
                .filter(|i| want.binary_search(i).is_err())
                .count();
            let gone = want
                .iter()
                .filter(|i| ids.binary_search(i).is_err())
                .count();
            return Err(AppError::conflict(
                "expected",
                format!(
                    "the selection changed: the filter now selects {} case(s), {added} not in the expected list, and {gone} expected no longer match; reload and retry",
                    ids.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(case) = tx.lock_case(tenant.id, id).await? else {
                return Err(AppError::NotFound(format!("case {id}")));
            };
            let d = decide(&case, &action, &actor, now).map_err(|r| {
                let e = refusal(r);
                match e {
                    AppError::Conflict { message, errors } => AppError::Conflict {
                        message: format!("{}: {message}", case.number),
                        errors,
                    },
                    other => other,
                }
            })?;
            if d.is_noop() {
                out.push(case);
                continue;
            }
            let name = format!("bulk:{}", action.name());
            out.push(
                self.write_decision(&mut *tx, &settings, tenant, &case, d, &actor, &name, now)
                    .await?,
            );
        }
        self.commit(tx).await?;
        Ok(out)
    }
}
