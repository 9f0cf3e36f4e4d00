//! Teams and shifts in the browser: the provider's queues with their members, who is on
//! shift (each agent switches their own, a supervisor anyone's), each team's open cases one
//! click away; an administrator creates a team or changes its description, assignment mode
//! and members. A refused change comes back with its reason next to the form.

use super::{Frame, Viewer, error_page, problems, query_value, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use consign_app::AppError;
use consign_core::access::{Actor, Capability};
use consign_core::case::ownership::{AssignmentMode, Team, TeamMember};
use consign_core::ids::UserId;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/teams", get(page).post(save_team))
        .route("/app/teams/{name}/shift", post(shift))
}

struct MemberRow {
    id: String,
    name: String,
    on_shift: bool,
    /// Whether the viewer may switch this member's shift.
    may_switch: bool,
}

struct TeamRow {
    name: String,
    description: String,
    mode: &'static str,
    members: Vec<MemberRow>,
    /// For the editor: every case worker, and whether they are in the team.
    choices: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    frame: Frame,
    teams: Vec<TeamRow>,
    can_edit: bool,
    modes: Vec<&'static str>,
    people: Vec<(String, String)>,
    /// The team a refused form was for, and why.
    problem: Option<(String, String)>,
    done: Option<String>,
}

async fn page(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    show(&st, v, None, q.get("done").cloned()).await
}

async fn show(
    st: &AppState,
    v: Viewer,
    problem: Option<(String, String)>,
    done: Option<String>,
) -> Response {
    let p = &v.principal;
    let (teams, people) = match (st.app.teams(p).await, st.app.case_workers(p).await) {
        (Ok(t), Ok(w)) => (t, w),
        (Err(e), _) | (_, Err(e)) => return error_page(e),
    };
    let names: HashMap<UserId, String> = people.iter().cloned().collect();
    let me = match &p.actor {
        Actor::User(u) => Some(*u),
        _ => None,
    };
    let supervise = p.can(Capability::SuperviseCases);
    let teams = teams
        .into_iter()
        .map(|t| TeamRow {
            members: t
                .members
                .iter()
                .map(|m| MemberRow {
                    id: m.user.to_string(),
                    name: names
                        .get(&m.user)
                        .cloned()
                        .unwrap_or_else(|| format!("user {} (disabled)", m.user)),
                    on_shift: m.on_shift,
                    may_switch: supervise || me == Some(m.user),
                })
                .collect(),
            choices: people
                .iter()
                .map(|(id, name)| (id.to_string(), name.clone(), t.has_member(*id)))
                .collect(),
            name: t.name,
            description: t.description,
            mode: t.assignment.as_str(),
        })
        .collect();
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = render(TeamsPage {
        can_edit: p.can(Capability::ManageCaseSettings),
        teams,
        modes: vec!["manual", "round_robin", "least_open"],
        people: people
            .into_iter()
            .map(|(id, n)| (id.to_string(), n))
            .collect(),
        problem,
        done,
        frame: v.into(),
    });
    (status, page).into_response()
}

/// Creates or changes a team. The members are checkboxes (`member`, repeated), so the body
/// is read as pairs rather than a map; shifts of members who stay are kept.
async fn save_team(State(st): State<AppState>, v: Viewer, body: Bytes) -> Response {
    let mut form: HashMap<String, String> = HashMap::new();
    let mut chosen = Vec::new();
    for (k, val) in form_urlencoded::parse(&body) {
        if k == "member" {
            chosen.push(val.into_owned());
        } else {
            form.insert(k.into_owned(), val.into_owned());
        }
    }
    let field = |k: &str| super::trimmed(&form, k);
    if let Err(r) = v.check_csrf(&field("csrf")) {
        return r;
    }
    let name = field("name");
    let refuse = |why: String| (name.clone(), why);
    let assignment = match AssignmentMode::parse(&field("assignment")) {
        Ok(m) => m,
        Err(e) => return show(&st, v, Some(refuse(format!("assignment: {e}"))), None).await,
    };
    let existing = match st.app.teams(&v.principal).await {
        Ok(t) => t.into_iter().find(|t| t.name == name),
        Err(e) => return error_page(e),
    };
    if field("new") == "1" && existing.is_some() {
        let why = format!("name: a team named '{name}' exists already; change it below");
        return show(&st, v, Some(refuse(why)), None).await;
    }
    let mut members = Vec::new();
    for c in &chosen {
        let Ok(user) = c.parse::<UserId>() else {
            let why = format!("member: '{c}' is not a user id");
            return show(&st, v, Some(refuse(why)), None).await;
        };
        let on_shift = existing
            .as_ref()
            .and_then(|t| t.members.iter().find(|m| m.user == user))
            .is_none_or(|m| m.on_shift);
        members.push(TeamMember { user, on_shift });
    }
    let team = Team {
        name: name.clone(),
        description: field("description"),
        assignment,
        members,
        last_assigned: existing.and_then(|t| t.last_assigned),
    };
    match st.app.put_team(&v.principal, team).await {
        Ok(t) => Redirect::to(&format!(
            "/app/teams?done={}#team-{}",
            query_value(&format!("team {} saved", t.name)),
            t.name
        ))
        .into_response(),
        Err(AppError::Invalid(inv)) => {
            let why = problems(inv).join("; ");
            show(&st, v, Some(refuse(why)), None).await
        }
        Err(e) => error_page(e),
    }
}

#[derive(serde::Deserialize)]
struct ShiftForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    on_shift: String,
}

async fn shift(
    State(st): State<AppState>,
    v: Viewer,
    Path(name): Path<String>,
    Form(f): Form<ShiftForm>,
) -> Response {
    if let Err(r) = v.check_csrf(&f.csrf) {
        return r;
    }
    let Ok(user) = f.user.parse::<UserId>() else {
        return error_page(AppError::NotFound(format!(
            "member {} of team '{name}'",
            f.user
        )));
    };
    let on = f.on_shift == "true";
    match st.app.set_on_shift(&v.principal, &name, user, on).await {
        Ok(_) => Redirect::to(&format!(
            "/app/teams?done={}#team-{name}",
            query_value(if on {
                "on shift: new cases may be assigned to them"
            } else {
                "off shift: no new cases are assigned to them"
            })
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}
