//! Provider teams with their members, and tenants' versioned case settings (stored as one
//! JSON document per version, like rulebooks are stored as their TOML text).

use super::dialect::{Dialect, QueryExt, RowExt};
use super::{ts, us};
use crate::{Result, StoreError, StoredCaseSettings};
use consign_core::case::ownership::{AssignmentMode, Team, TeamMember};
use consign_core::case::settings::CaseSettings;
use consign_core::ids::{TenantId, UserId};
use jiff::Timestamp;
use sqlx::Pool;
use uuid::Uuid;

pub(super) async fn case_settings<DB: Dialect>(
    read: &Pool<DB>,
    tenant: TenantId,
) -> Result<Option<StoredCaseSettings>> {
    let row = sqlx::query(
        "SELECT version, settings_json, created_at, created_by FROM case_settings \
         WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .arg(tenant.0)
    .fetch_optional(DB::pool(read))
    .await?;
    let Some(r) = row else { return Ok(None) };
    let json: String = r.col("settings_json")?;
    Ok(Some(StoredCaseSettings {
        version: r.col("version")?,
        settings: super::json_col(&json, "case_settings.settings_json")?,
        created_at: ts(r.col("created_at")?),
        created_by: r.col("created_by")?,
    }))
}

pub(super) async fn teams<DB: Dialect>(read: &Pool<DB>) -> Result<Vec<Team>> {
    let rows =
        sqlx::query("SELECT name, description, assignment, last_assigned FROM teams ORDER BY name")
            .fetch_all(DB::pool(read))
            .await?;
    let members =
        sqlx::query("SELECT team, user_id, on_shift FROM team_members ORDER BY team, user_id")
            .fetch_all(DB::pool(read))
            .await?;
    let mut teams = Vec::with_capacity(rows.len());
    for r in &rows {
        let mode: String = r.col("assignment")?;
        teams.push(Team {
            name: r.col("name")?,
            description: r.col("description")?,
            assignment: AssignmentMode::parse(&mode).map_err(StoreError::Corrupt)?,
            members: Vec::new(),
            last_assigned: r.col::<Option<Uuid>>("last_assigned")?.map(UserId),
        });
    }
    for m in &members {
        let team: String = m.col("team")?;
        if let Some(t) = teams.iter_mut().find(|t| t.name == team) {
            t.members.push(TeamMember {
                user: UserId(m.col("user_id")?),
                on_shift: m.col("on_shift")?,
            });
        }
    }
    Ok(teams)
}

pub(super) async fn insert_case_settings<DB: Dialect>(
    tx: &mut DB::Connection,
    tenant: TenantId,
    settings: &CaseSettings,
    at: Timestamp,
    by: &str,
) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COALESCE(MAX(version), 0) AS v FROM case_settings WHERE tenant_id = $1",
    )
    .arg(tenant.0)
    .fetch_one(DB::conn(&mut *tx))
    .await?;
    let version: i64 = row.col::<i64>("v")? + 1;
    sqlx::query(
        "INSERT INTO case_settings (tenant_id, version, settings_json, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .arg(tenant.0)
    .arg(version)
    .arg(super::to_json(settings))
    .arg(us(at))
    .arg(by.to_string())
    .execute(DB::conn(&mut *tx))
    .await?;
    Ok(version)
}

pub(super) async fn put_team<DB: Dialect>(
    tx: &mut DB::Connection,
    team: &Team,
    at: Timestamp,
) -> Result<()> {
    // The member list is replaced whole: the team document is what its editor sent.
    sqlx::query(
        "INSERT INTO teams (name, description, assignment, last_assigned, created_at) \
         VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (name) DO UPDATE \
         SET description = excluded.description, assignment = excluded.assignment",
    )
    .arg(team.name.clone())
    .arg(team.description.clone())
    .arg(team.assignment.as_str())
    .arg(us(at))
    .execute(DB::conn(&mut *tx))
    .await?;
    sqlx::query("DELETE FROM team_members WHERE team = $1")
        .arg(team.name.clone())
        .execute(DB::conn(&mut *tx))
        .await?;
    for m in &team.members {
        sqlx::query("INSERT INTO team_members (team, user_id, on_shift) VALUES ($1, $2, $3)")
            .arg(team.name.clone())
            .arg(m.user.0)
            .arg(m.on_shift)
            .execute(DB::conn(&mut *tx))
            .await?;
    }
    Ok(())
}
