//! A tenant's case settings in the browser: the ownership matrix (who owns, who is
//! accountable, who informs, per case type), the business calendars, the SLA policies with
//! their targets and escalation ladders, and the days before a resolved case closes — read as
//! tables, changed as one checked document. The form carries the version it was read at, so a
//! change saved meanwhile by someone else is explained (409) instead of overwritten.

use super::{Frame, TenantPage, error_page, problems, query_value, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use consign_app::AppError;
use consign_app::cases::settings::SettingsVersion;
use consign_core::access::Capability;
use consign_core::case::ownership::OwnershipRow;
use consign_core::case::settings::CaseSettings;
use consign_core::case::{CASE_PARTIES, Informs};
use consign_core::rules::Rulebook;
use consign_core::sla::Target;
use consign_core::tenant::Tenant;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{tenant}/settings", get(page).post(submit))
        .route("/app/{tenant}/settings/ownership", post(submit_ownership))
}

/// One case type in the ownership editor: what its rule says, and the matrix's row if any.
struct OwnerChoice {
    case_type: String,
    rule_team: String,
    rule_accountable: String,
    team: String,
    accountable: String,
    informs: &'static str,
}

/// Every case type the rulebook in force opens (and any the matrix names besides), with the
/// team and accountable party its rule gives: the rows of the ownership editor.
async fn owner_choices(
    st: &AppState,
    p: &consign_core::access::Principal,
    t: &Tenant,
    s: &CaseSettings,
) -> Vec<OwnerChoice> {
    let book = match st.app.rulebook(p, t).await {
        Ok(Some(r)) => Rulebook::parse(&r.source).unwrap_or_else(|_| Rulebook::default_rulebook()),
        _ => Rulebook::default_rulebook(),
    };
    let mut defaults: Vec<(String, String, String)> = Vec::new();
    for r in &book.rules {
        if !defaults.iter().any(|d| d.0 == r.case_type) {
            defaults.push((
                r.case_type.clone(),
                r.owner_team.clone(),
                r.accountable.clone(),
            ));
        }
    }
    if let Some(c) = &book.carrier_silent {
        defaults.push((
            "carrier_silent".into(),
            c.owner_team.clone(),
            "carrier".into(),
        ));
    }
    if let Some(e) = &book.edi_unacknowledged {
        defaults.push((
            "edi_unacknowledged".into(),
            e.owner_team.clone(),
            "partner".into(),
        ));
    }
    for r in &s.ownership.rows {
        if !defaults.iter().any(|d| d.0 == r.case_type) {
            defaults.push((r.case_type.clone(), String::new(), String::new()));
        }
    }
    defaults.sort();
    defaults
        .into_iter()
        .map(|(case_type, rule_team, rule_accountable)| {
            let row = s.ownership.rows.iter().find(|r| r.case_type == case_type);
            OwnerChoice {
                team: row.map(|r| r.team.clone()).unwrap_or_default(),
                accountable: row.and_then(|r| r.accountable.clone()).unwrap_or_default(),
                informs: row.map_or(Informs::default(), |r| r.informs).as_str(),
                case_type,
                rule_team,
                rule_accountable,
            }
        })
        .collect()
}

struct OwnerRow {
    case_type: String,
    team: String,
    accountable: String,
    informs: &'static str,
}

struct CalendarRow {
    name: String,
    zone: String,
    hours: String,
    holidays: String,
}

/// A calendar in its form: the zone, each weekday's spans, the holidays.
struct CalendarForm {
    name: String,
    zone: String,
    days: Vec<(&'static str, String)>,
    holidays: String,
}

/// A policy in its form: its calendar and its three targets (key, label, text, business).
struct PolicyForm {
    name: String,
    applies: String,
    calendar: String,
    targets: Vec<(&'static str, &'static str, String, bool)>,
}

struct PolicyRow {
    name: String,
    applies: String,
    calendar: String,
    first_response: String,
    resolution: String,
    periodic: String,
    pauses: String,
    ladder: Vec<String>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    version: i64,
    close_after_days: u32,
    email: String,
    owners: Vec<OwnerRow>,
    calendars: Vec<CalendarRow>,
    policies: Vec<PolicyRow>,
    can_edit: bool,
    /// The ownership editor: a row per case type, the teams and parties to choose from.
    owner_choices: Vec<OwnerChoice>,
    calendar_forms: Vec<CalendarForm>,
    policy_forms: Vec<PolicyForm>,
    calendar_names: Vec<String>,
    teams: Vec<String>,
    parties: Vec<&'static str>,
    document: String,
    problems: Vec<String>,
    done: Option<String>,
}

/// `4 h business`, `30 min`, `—`: a target as a person reads it.
fn target(t: &Option<Target>) -> String {
    let Some(t) = t else { return "—".into() };
    let span = match t.minutes {
        m if m % (24 * 60) == 0 && !t.business => format!("{} d", m / (24 * 60)),
        m if m % 60 == 0 => format!("{} h", m / 60),
        m => format!("{m} min"),
    };
    if t.business {
        format!("{span} business")
    } else {
        span
    }
}

/// `mon–fri 08:00–18:00, sat 09:00–13:00`: runs of consecutive days with the same hours
/// written once.
/// A calendar's holidays as the table shows them and the form takes them back.
fn holiday_list(holidays: &[jiff::civil::Date]) -> String {
    holidays
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which cases a policy applies to, `delay_risk · high` or `any type · any severity`.
fn policy_scope(r: &consign_core::case::policy::PolicyRule) -> String {
    format!(
        "{} · {}",
        r.case_type.as_deref().unwrap_or("any type"),
        r.severity.map(|s| s.as_str()).unwrap_or("any severity")
    )
}

fn opening_hours(hours: &[consign_core::sla::OpeningHours]) -> String {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let day = |d: &str| {
        let d = d.trim().to_lowercase();
        DAYS.iter().position(|x| d.starts_with(x))
    };
    // (first day, last day, span); a day that is not a weekday name stays on its own.
    let mut runs: Vec<(String, Option<usize>, String, String)> = Vec::new();
    for h in hours {
        let span = format!("{}–{}", h.open, h.close);
        let i = day(&h.weekday);
        match (runs.last_mut(), i) {
            (Some((_, Some(prev), last, s)), Some(i)) if *s == span && i == *prev + 1 => {
                *prev = i;
                *last = DAYS[i].to_string();
            }
            _ => {
                let name = i.map_or(h.weekday.clone(), |i| DAYS[i].to_string());
                runs.push((name.clone(), i, name, span));
            }
        }
    }
    runs.into_iter()
        .map(|(first, _, last, span)| {
            if first == last {
                format!("{first} {span}")
            } else {
                format!("{first}–{last} {span}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Everything the page shows; `document` and `problems` are the editor's (what was typed and
/// why it was refused).
#[allow(clippy::too_many_arguments)]
async fn view(
    st: &AppState,
    v: super::Viewer,
    t: Tenant,
    version: i64,
    s: &CaseSettings,
    document: String,
    problems: Vec<String>,
    done: Option<String>,
) -> SettingsPage {
    // The editors' choices (the rulebook read and parsed, the desk's teams) only for those
    // who get the editors.
    let can_edit = v.principal.can(Capability::ManageCaseSettings);
    let (owner_choices, teams) = if can_edit {
        let teams = st.app.teams(&v.principal).await.unwrap_or_default();
        (
            owner_choices(st, &v.principal, &t, s).await,
            teams.into_iter().map(|t| t.name).collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    use super::sla_text::{WEEKDAYS, day_hours, minutes_text};
    SettingsPage {
        owner_choices,
        calendar_names: s.calendars.keys().cloned().collect(),
        calendar_forms: s
            .calendars
            .iter()
            .map(|(name, c)| CalendarForm {
                name: name.clone(),
                zone: c.time_zone.clone(),
                days: WEEKDAYS
                    .iter()
                    .map(|d| (*d, day_hours(&c.hours, d)))
                    .collect(),
                holidays: holiday_list(&c.holidays),
            })
            .collect(),
        policy_forms: s
            .policies
            .rules
            .iter()
            .map(|r| PolicyForm {
                name: r.name.clone(),
                applies: policy_scope(r),
                calendar: r.calendar.clone().unwrap_or_default(),
                targets: [
                    ("first_response", "First response", &r.clock.first_response),
                    ("resolution", "Resolution", &r.clock.resolution),
                    ("periodic_update", "Update every", &r.clock.periodic_update),
                ]
                .into_iter()
                .map(|(k, l, t)| (k, l, minutes_text(t), t.is_none_or(|t| t.business)))
                .collect(),
            })
            .collect(),
        teams,
        parties: CASE_PARTIES.to_vec(),
        can_edit,
        slug: t.slug,
        tenant_name: t.name,
        version,
        close_after_days: s.close_after_days,
        email: format!(
            "from {}, replies to {}, written in {}",
            s.email
                .from
                .as_deref()
                .unwrap_or("the installation's address"),
            s.email
                .reply_domain
                .as_deref()
                .map(|d| format!("reply+…@{d}"))
                .unwrap_or_else(|| "the sender".into()),
            s.email.language
        ),
        owners: s
            .ownership
            .rows
            .iter()
            .map(|r| OwnerRow {
                case_type: r.case_type.clone(),
                team: r.team.clone(),
                accountable: r
                    .accountable
                    .clone()
                    .unwrap_or_else(|| "as the rule says".into()),
                informs: r.informs.as_str(),
            })
            .collect(),
        calendars: s
            .calendars
            .iter()
            .map(|(name, c)| CalendarRow {
                name: name.clone(),
                zone: c.time_zone.clone(),
                hours: opening_hours(&c.hours),
                holidays: holiday_list(&c.holidays),
            })
            .collect(),
        policies: s
            .policies
            .rules
            .iter()
            .map(|r| PolicyRow {
                name: r.name.clone(),
                applies: policy_scope(r),
                calendar: r.calendar.clone().unwrap_or_else(|| "24×7".into()),
                first_response: target(&r.clock.first_response),
                resolution: target(&r.clock.resolution),
                periodic: target(&r.clock.periodic_update),
                pauses: r.clock.pause_in.join(", "),
                ladder: r
                    .ladder
                    .iter()
                    .map(|s| {
                        let when = match s.after_minutes {
                            0 => "at the breach".to_string(),
                            m => format!(
                                "{} after",
                                target(&Some(Target {
                                    minutes: m,
                                    business: false
                                }))
                            ),
                        };
                        format!("{when}: {}", s.action.as_str().replace('_', " "))
                    })
                    .collect(),
            })
            .collect(),
        document,
        problems,
        done,
        frame: v.into(),
    }
}

pub(super) fn pretty(s: &CaseSettings) -> String {
    serde_json::to_string_pretty(s).unwrap_or_default()
}

async fn page(
    TenantPage { st, v, t, .. }: TenantPage,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match st.app.case_settings(&v.principal, &t).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    let doc = pretty(&s.settings);
    render(
        view(
            &st,
            v,
            t,
            s.version,
            &s.settings,
            doc,
            Vec::new(),
            q.get("done").cloned(),
        )
        .await,
    )
}

#[derive(serde::Deserialize)]
struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    document: String,
    /// The version the editor was filled from.
    #[serde(default)]
    version: String,
}

async fn submit(TenantPage { st, v, t, .. }: TenantPage, Form(f): Form<SettingsForm>) -> Response {
    if let Err(r) = v.check_csrf(&f.csrf) {
        return r;
    }
    let current = match st.app.case_settings(&v.principal, &t).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    if f.version.trim() != current.version.to_string() {
        let why = format!(
            "version {} was saved after you opened this page (you edited version {}); the tables show it now. Compare, then save your change again.",
            current.version,
            f.version.trim()
        );
        return refused(
            &st,
            v,
            t,
            &current,
            f.document,
            StatusCode::CONFLICT,
            vec![why],
        )
        .await;
    }
    let settings: CaseSettings = match serde_json::from_str(&f.document) {
        Ok(s) => s,
        Err(e) => {
            let why = vec![e.to_string()];
            return refused(
                &st,
                v,
                t,
                &current,
                f.document,
                StatusCode::UNPROCESSABLE_ENTITY,
                why,
            )
            .await;
        }
    };
    save(&st, v, t, &current, f.document, settings).await
}

/// The page again after a refused change: the settings in force in the tables, what was
/// typed in the editor, and why.
async fn refused(
    st: &AppState,
    v: super::Viewer,
    t: Tenant,
    current: &SettingsVersion,
    typed: String,
    status: StatusCode,
    problems: Vec<String>,
) -> Response {
    let page = view(
        st,
        v,
        t,
        current.version,
        &current.settings,
        typed,
        problems,
        None,
    )
    .await;
    (status, render(page)).into_response()
}

/// Stores `settings` as the next version, or shows why not.
async fn save(
    st: &AppState,
    v: super::Viewer,
    t: Tenant,
    current: &SettingsVersion,
    typed: String,
    settings: CaseSettings,
) -> Response {
    match st.app.put_case_settings(&v.principal, &t, settings).await {
        Ok(saved) => Redirect::to(&format!(
            "/app/{}/settings?done={}",
            t.slug,
            query_value(&format!(
                "version {} is in force; open cases' deadlines follow it",
                saved.version
            ))
        ))
        .into_response(),
        Err(AppError::Invalid(inv)) => {
            let why = problems(inv);
            refused(
                st,
                v,
                t,
                current,
                typed,
                StatusCode::UNPROCESSABLE_ENTITY,
                why,
            )
            .await
        }
        Err(e) => error_page(e),
    }
}

/// A settings form, opened: its viewer and tenant (CSRF checked), the settings in force, and
/// them as the document editor shows them.
pub(super) struct Opened {
    pub st: AppState,
    pub v: super::Viewer,
    pub t: Tenant,
    pub current: SettingsVersion,
    pub typed: String,
}

impl Opened {
    /// The page again, the change refused with `status` for `problems`.
    pub(super) async fn refused(self, status: StatusCode, problems: Vec<String>) -> Response {
        refused(
            &self.st,
            self.v,
            self.t,
            &self.current,
            self.typed,
            status,
            problems,
        )
        .await
    }

    /// Stores `settings` as the next version, or shows why not.
    pub(super) async fn save(self, settings: CaseSettings) -> Response {
        save(
            &self.st,
            self.v,
            self.t,
            &self.current,
            self.typed,
            settings,
        )
        .await
    }
}

/// Opens a settings form (`csrf`, `version` among its fields): refused with 403 without its
/// session's token, with 409 and the page as it stands when another version was saved since
/// the form was read.
pub(super) async fn opened(
    TenantPage { st, v, t, .. }: TenantPage,
    form: &HashMap<String, String>,
) -> Result<Opened, Response> {
    let field = |k: &str| form.get(k).map(|v| v.trim()).unwrap_or_default();
    v.check_csrf(field("csrf"))?;
    let current = st
        .app
        .case_settings(&v.principal, &t)
        .await
        .map_err(error_page)?;
    let typed = pretty(&current.settings);
    if field("version") != current.version.to_string() {
        let why = format!(
            "version {} was saved after you opened this page (you edited version {}); the page shows it now. Make your change again.",
            current.version,
            field("version")
        );
        return Err(refused(&st, v, t, &current, typed, StatusCode::CONFLICT, vec![why]).await);
    }
    Ok(Opened {
        st,
        v,
        t,
        current,
        typed,
    })
}

/// The ownership editor's form: per case type (`team.<type>`, `accountable.<type>`,
/// `informs.<type>`), a row wherever anything differs from the rule's own choice; the
/// rest of the settings stay as they are, under the same version guard as the document.
async fn submit_ownership(
    page: TenantPage,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    let field = |k: &str| super::trimmed(&form, k);
    let o = opened(page, &form).await?;
    let choices = owner_choices(&o.st, &o.v.principal, &o.t, &o.current.settings).await;
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for c in &choices {
        let ty = &c.case_type;
        let team = field(&format!("team.{ty}"));
        let accountable = field(&format!("accountable.{ty}"));
        // A type the form did not know (the rulebook changed meanwhile) keeps the default.
        let informs = match form.get(&format!("informs.{ty}")).map(|v| v.trim()) {
            None => Informs::default(),
            Some(v) => match Informs::parse(v) {
                Ok(i) => i,
                Err(e) => {
                    bad.push(format!("{ty}: informs: {e}"));
                    continue;
                }
            },
        };
        if team.is_empty() && accountable.is_empty() && informs == Informs::default() {
            continue;
        }
        let team = if team.is_empty() {
            c.rule_team.clone()
        } else {
            team
        };
        rows.push(OwnershipRow {
            case_type: ty.clone(),
            team,
            accountable: Some(accountable).filter(|a| !a.is_empty()),
            informs,
        });
    }
    if !bad.is_empty() {
        return Ok(o.refused(StatusCode::UNPROCESSABLE_ENTITY, bad).await);
    }
    let mut settings = o.current.settings.clone();
    settings.ownership.rows = rows;
    Ok(o.save(settings).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use consign_core::sla::OpeningHours;

    fn hours(list: &[(&str, &str, &str)]) -> Vec<OpeningHours> {
        list.iter()
            .map(|(d, o, c)| OpeningHours {
                weekday: d.to_string(),
                open: o.to_string(),
                close: c.to_string(),
            })
            .collect()
    }

    #[test]
    fn opening_hours_join_consecutive_days_with_the_same_hours() {
        let week = hours(&[
            ("monday", "08:00", "18:00"),
            ("tuesday", "08:00", "18:00"),
            ("wednesday", "08:00", "18:00"),
            ("friday", "08:00", "18:00"),
            ("saturday", "09:00", "13:00"),
        ]);
        assert_eq!(
            opening_hours(&week),
            "mon–wed 08:00–18:00, fri 08:00–18:00, sat 09:00–13:00"
        );
        assert_eq!(opening_hours(&[]), "");
    }

    #[test]
    fn targets_read_as_people_say_them() {
        let t = |minutes, business| target(&Some(Target { minutes, business }));
        assert_eq!(t(30, true), "30 min business");
        assert_eq!(t(240, true), "4 h business");
        assert_eq!(t(2880, false), "2 d");
        assert_eq!(target(&None), "—");
    }
}
