//! The SLA timer sweep: claims the cases whose `timer_at` is due (row leases on PostgreSQL,
//! `FOR UPDATE SKIP LOCKED`, so two servers never claim one case), fires what the core's
//! timer plan says is due (warnings, breaches, escalation steps, automatic closes), hands new
//! cases of automatic teams to a member on shift, and sets each case's next `timer_at`.
//! Firing is decided from the timeline, so a case swept twice fires once.

use super::settings::{assigns_automatically, plan_timers};
use crate::{App, AppResult};
use consign_core::audit::AuditEntry;
use consign_core::case::TimelineEntry;
use consign_core::case::ownership::{Candidate, pick_assignee};
use consign_core::case::settings::ActiveSettings;
use consign_core::case::timers::{TimerAction, apply};
use consign_core::case::work::{CaseAction, decide};
use consign_core::ids::{TenantId, UserId};
use jiff::Timestamp;
use std::collections::HashMap;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimerSweep {
    pub claimed: u64,
    pub warnings: u64,
    pub breaches: u64,
    pub escalations: u64,
    pub closed: u64,
    pub assigned: u64,
    /// E-mails the ladder's notify steps queued (to the assignee, to client managers).
    pub notices: u64,
}

impl App {
    /// Runs the timers of up to `limit` due cases at `now` in one transaction.
    pub async fn sweep_case_timers(&self, now: Timestamp, limit: u32) -> AppResult<TimerSweep> {
        let mut out = TimerSweep::default();
        let mut tx = self.begin().await?;
        let due = tx.claim_due_cases(now, limit).await?;
        if due.is_empty() {
            return Ok(out);
        }
        out.claimed = due.len() as u64;
        let mut timelines = tx
            .timelines_of(&due.iter().map(|c| (c.tenant_id, c.id)).collect::<Vec<_>>())
            .await?;
        let mut settings: HashMap<TenantId, std::sync::Arc<ActiveSettings>> = HashMap::new();
        // Teams and the open-case load are read when the first case to assign needs them:
        // most rounds fire warnings and breaches only, and the load is a count over every
        // tenant's cases.
        let mut teams = None;
        let mut load: Option<HashMap<UserId, u32>> = None;
        let mut audit = Vec::new();
        let mut emitters: HashMap<TenantId, crate::messages::emit::Emitter> = HashMap::new();
        let mut notices = Vec::new();
        let mut users: Option<Vec<consign_core::access::User>> = None;
        for case in due {
            if let std::collections::hash_map::Entry::Vacant(v) = settings.entry(case.tenant_id) {
                v.insert(self.settings_in_force(case.tenant_id).await?);
            }
            let s = &settings[&case.tenant_id];
            let mut entries: Vec<TimelineEntry> = timelines.remove(&case.id).unwrap_or_default();
            let before = case.clone();
            let mut c = case;
            let mut new_entries = Vec::new();
            let p = plan_timers(s, &c, &entries, now);
            if !p.fire.is_empty() {
                let (rule, _) = s.policy_for(&c.case_type, c.severity);
                let d = apply(&c, &p.fire, rule, now);
                for f in &p.fire {
                    match f {
                        TimerAction::Warn(_) => out.warnings += 1,
                        TimerAction::Breach(_) => out.breaches += 1,
                        TimerAction::Escalate { level, step } => {
                            out.escalations += 1;
                            if users.is_none() {
                                users = Some(self.store.users().await?);
                            }
                            let to = notice_recipients(
                                &c,
                                step.action,
                                users.as_deref().unwrap_or_default(),
                            );
                            for address in to {
                                notices.push(crate::messages::send::staff_notice(
                                    self,
                                    s,
                                    &c,
                                    &address,
                                    *level,
                                    step.action,
                                    now,
                                ));
                            }
                        }
                        TimerAction::Close => out.closed += 1,
                    }
                }
                c = d.case;
                entries.extend(d.entries.iter().cloned());
                new_entries.extend(d.entries);
            }
            // Automatic assignment: an unassigned open case of a team that hands them out.
            if c.status.is_open() && c.assignee.is_none() && teams.is_none() {
                teams = Some(self.store.teams().await?);
            }
            if c.status.is_open()
                && c.assignee.is_none()
                && let Some(t) = teams
                    .iter_mut()
                    .flatten()
                    .find(|t| t.name == c.owner_team && assigns_automatically(t))
            {
                if load.is_none() {
                    load = Some(
                        self.store
                            .open_cases_per_assignee()
                            .await?
                            .into_iter()
                            .collect(),
                    );
                }
                let load = load.get_or_insert_default();
                let members: Vec<Candidate> = t
                    .members
                    .iter()
                    .map(|m| Candidate {
                        user: m.user,
                        on_shift: m.on_shift,
                        open_cases: load.get(&m.user).copied().unwrap_or(0),
                    })
                    .collect();
                if let Some(u) = pick_assignee(t.assignment, &members, t.last_assigned)
                    && let Ok(d) = decide(
                        &c,
                        &CaseAction::Assign {
                            team: None,
                            assignee: Some(u),
                        },
                        "system",
                        now,
                    )
                {
                    t.last_assigned = Some(u);
                    *load.entry(u).or_default() += 1;
                    tx.set_last_assigned(&t.name, u).await?;
                    out.assigned += 1;
                    c = d.case;
                    entries.extend(d.entries.iter().cloned());
                    new_entries.extend(d.entries);
                }
            }
            // A rule's customer notice for a case it opened (once: the timeline says).
            if c.status.is_open()
                && let Some((msg, summary)) = self.proactive_notice(s, &c, &entries).await?
                && let Ok(d) = decide(&c, &CaseAction::SendMessage { summary }, "system", now)
            {
                c = d.case;
                entries.extend(d.entries.iter().cloned());
                new_entries.extend(d.entries);
                notices.push(msg);
            }
            let next = plan_timers(s, &c, &entries, now);
            // Never due again at the instant just swept: a batch loop would claim it forever.
            c.timer_at = next
                .next_at
                .map(|t| t.max(now + jiff::SignedDuration::from_secs(1)));
            c.sla_due_at = next.sla_due_at;
            tx.save_case(&c, before.version).await?;
            if !new_entries.is_empty() {
                if let std::collections::hash_map::Entry::Vacant(v) = emitters.entry(c.tenant_id) {
                    v.insert(self.emitter(c.tenant_id, now).await?);
                }
                if let Some(e) = emitters.get_mut(&c.tenant_id) {
                    e.case_changed(&before, &c);
                }
                tx.append_timeline(c.tenant_id, &new_entries).await?;
                audit.push(
                    AuditEntry::new(
                        Some(c.tenant_id),
                        now,
                        "system".to_string(),
                        "case",
                        c.id,
                        "timers",
                    )
                    .before(&before)
                    .after(&c),
                );
            }
        }
        tx.append_audit(audit).await?;
        for (_, e) in emitters {
            self.write_messages(e, &mut *tx).await?;
        }
        out.notices = notices.len() as u64;
        if !notices.is_empty() {
            tx.enqueue(&notices).await?;
            self.messaging.wake.notify_one();
        }
        self.commit(tx).await?;
        Ok(out)
    }

    /// Sweeps until nothing is due at `now` (in batches of `batch`).
    pub async fn sweep_all_case_timers(&self, now: Timestamp, batch: u32) -> AppResult<TimerSweep> {
        let mut total = TimerSweep::default();
        loop {
            let s = self.sweep_case_timers(now, batch).await?;
            let done = s.claimed < u64::from(batch);
            total.claimed += s.claimed;
            total.warnings += s.warnings;
            total.breaches += s.breaches;
            total.escalations += s.escalations;
            total.closed += s.closed;
            total.assigned += s.assigned;
            if done {
                return Ok(total);
            }
        }
    }
}

/// Who a notify step of the ladder tells: the case's assignee, or the client managers of its
/// tenant (active users only). A step with nobody to tell sends nothing; the `escalated`
/// entry on the timeline records the step either way.
fn notice_recipients(
    c: &consign_core::case::Case,
    action: consign_core::case::policy::LadderAction,
    users: &[consign_core::access::User],
) -> Vec<String> {
    use consign_core::access::Role;
    use consign_core::case::policy::LadderAction;
    match action {
        LadderAction::NotifyAssignee => users
            .iter()
            .filter(|u| Some(u.id) == c.assignee && !u.disabled)
            .map(|u| u.email.clone())
            .collect(),
        LadderAction::NotifyClientManager => users
            .iter()
            .filter(|u| {
                u.role == Role::ClientManager && !u.disabled && u.tenants.contains(&c.tenant_id)
            })
            .map(|u| u.email.clone())
            .collect(),
        LadderAction::MoveToSupervisors => Vec::new(),
    }
}
