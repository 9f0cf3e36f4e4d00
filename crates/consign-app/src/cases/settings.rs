//! Who owns cases and by when: provider teams and their members (with the on-shift flag),
//! and each tenant's versioned case settings (ownership matrix, calendars, SLA policies,
//! days to the automatic close). Storing new settings re-plans the timers of the tenant's
//! open cases, so a changed calendar moves their deadlines.

use crate::{App, AppError, AppResult, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::audit::AuditEntry;
use consign_core::case::ownership::{AssignmentMode, Team, TeamMember, check_team_name};
use consign_core::case::settings::{ActiveSettings, CaseSettings};
use consign_core::case::timers::{TimerPlan, plan};
use consign_core::case::{Case, TimelineEntry};
use consign_core::ids::UserId;
use consign_core::tenant::Tenant;
use jiff::Timestamp;

/// The timers of `case` with its whole timeline `entries` under `settings` at `now`.
pub(crate) fn plan_timers(
    settings: &ActiveSettings,
    case: &Case,
    entries: &[TimelineEntry],
    now: Timestamp,
) -> TimerPlan {
    let (rule, cal) = settings.policy_for(&case.case_type, case.severity);
    plan(case, entries, rule, cal, settings.close_after(), now)
}

/// A stored version of a tenant's case settings.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingsVersion {
    pub version: i64,
    pub settings: CaseSettings,
}

impl App {
    pub async fn case_settings(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<SettingsVersion> {
        require(p, Capability::ReadCases)?;
        let s = self.settings_in_force(tenant.id).await?;
        Ok(SettingsVersion {
            version: s.version,
            settings: s.settings.clone(),
        })
    }

    /// Stores a new version of the tenant's case settings after checking all of it, and
    /// re-plans the timers of its open cases.
    pub async fn put_case_settings(
        &self,
        p: &Principal,
        tenant: &Tenant,
        settings: CaseSettings,
    ) -> AppResult<SettingsVersion> {
        require(p, Capability::ManageCaseSettings)?;
        let teams: Vec<String> = self
            .store
            .teams()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        settings.validate(&teams).map_err(AppError::Invalid)?;
        let now = self.now();
        let actor = p.actor.label();
        let mut tx = self.begin().await?;
        let version = tx
            .insert_case_settings(tenant.id, &settings, now, &actor)
            .await?;
        // The sweep re-plans every open case at its next run, so new calendars and policies
        // apply to them at once.
        tx.replan_open_cases(tenant.id, now).await?;
        // Business minutes are measured on the calendars and targets of these settings: the
        // KPI rollup judges every case of the tenant again.
        tx.mark_kpi_cases_stale(tenant.id).await?;
        tx.append_audit(vec![
            AuditEntry::new(
                Some(tenant.id),
                now,
                actor,
                "case_settings",
                tenant.id,
                "stored",
            )
            .after(&serde_json::json!({ "version": version, "settings": settings })),
        ])
        .await?;
        let cache = self.cache.clone();
        let tenant_id = tenant.id;
        self.commit_then(tx, move || cache.forget_case_settings(tenant_id))
            .await?;
        Ok(SettingsVersion { version, settings })
    }

    pub async fn teams(&self, p: &Principal) -> AppResult<Vec<Team>> {
        require(p, Capability::ReadCases)?;
        if !p.role.is_provider() {
            return Err(AppError::Forbidden("teams are the provider's".into()));
        }
        Ok(self.store.teams().await?)
    }

    /// The provider's people who work cases (agents, supervisors, administrators), by name:
    /// the names on a queue and the choices of an assignment.
    pub async fn case_workers(&self, p: &Principal) -> AppResult<Vec<(UserId, String)>> {
        require(p, Capability::ReadCases)?;
        if !p.role.is_provider() {
            return Err(AppError::Forbidden(
                "the desk's people are the provider's".into(),
            ));
        }
        let mut people: Vec<(UserId, String)> = self
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| u.role.is_provider() && !u.disabled)
            .map(|u| (u.id, u.name))
            .collect();
        people.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(people)
    }

    /// Creates or changes a team: its description, assignment mode and members. Members must
    /// be provider staff (agents, supervisors, admins).
    pub async fn put_team(&self, p: &Principal, team: Team) -> AppResult<Team> {
        require(p, Capability::ManageCaseSettings)?;
        let mut bad = Invalid::default();
        if let Err(e) = check_team_name(&team.name) {
            bad.push("name", e);
        }
        let mut seen = std::collections::HashSet::new();
        for (i, m) in team.members.iter().enumerate() {
            if !seen.insert(m.user) {
                bad.push(
                    format!("members[{i}].user"),
                    format!("user {} is listed twice", m.user),
                );
                continue;
            }
            match self.store.user(m.user).await? {
                Some(u) if u.role.is_provider() && !u.disabled => {}
                Some(u) if u.disabled => bad.push(
                    format!("members[{i}].user"),
                    format!("user {} is disabled", m.user),
                ),
                Some(u) => bad.push(
                    format!("members[{i}].user"),
                    format!("user {} is a {}, not provider staff", m.user, u.role),
                ),
                None => bad.push(format!("members[{i}].user"), format!("no user {}", m.user)),
            }
        }
        if !bad.is_empty() {
            return Err(AppError::Invalid(bad));
        }
        self.save_team(p, &team, "stored", &team).await?;
        Ok(team)
    }

    /// Puts a member on or off shift (agents for themselves, supervisors for anyone).
    pub async fn set_on_shift(
        &self,
        p: &Principal,
        team: &str,
        user: UserId,
        on_shift: bool,
    ) -> AppResult<Team> {
        let me = matches!(&p.actor, consign_core::access::Actor::User(u) if *u == user);
        require(
            p,
            if me {
                Capability::WorkCases
            } else {
                Capability::SuperviseCases
            },
        )?;
        let mut t = self
            .store
            .teams()
            .await?
            .into_iter()
            .find(|t| t.name == team)
            .ok_or_else(|| AppError::NotFound(format!("team '{team}'")))?;
        let Some(m) = t.members.iter_mut().find(|m| m.user == user) else {
            return Err(AppError::NotFound(format!(
                "member {user} of team '{team}'"
            )));
        };
        *m = TeamMember { user, on_shift };
        let action = if on_shift { "on_shift" } else { "off_shift" };
        self.save_team(p, &t, action, &serde_json::json!({ "user": user }))
            .await?;
        Ok(t)
    }

    /// Stores a team with its audit record: `action`, and `after` as what changed.
    async fn save_team(
        &self,
        p: &Principal,
        team: &Team,
        action: &str,
        after: &impl serde::Serialize,
    ) -> AppResult<()> {
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.put_team(team, now).await?;
        let entry = AuditEntry::new(
            None,
            now,
            p.actor.label(),
            "team",
            team.name.clone(),
            action,
        );
        self.commit_audited(tx, entry.after(after)).await
    }
}

/// Teams whose cases are handed out automatically.
pub(crate) fn assigns_automatically(t: &Team) -> bool {
    t.assignment != AssignmentMode::Manual
}
