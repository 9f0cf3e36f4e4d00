//! The demo's service desk: the provider's people and teams, each tenant's case settings
//! (office-hours calendar, SLA policies, ownership matrix), and the work an agent does on
//! the cases rules open — taking them from manual queues, acknowledging, updating the
//! client, waiting on the customer, resolving with a code, now and then reopening — at a
//! human pace during office hours, some of it late enough to warn and breach. Everything
//! goes through `App`'s case use cases as the named people, so the timelines, the audit
//! trail and the case KPIs are those of real work.
//!
//! Deterministic: what happens to a case is drawn from its tenant and number.

use consign_app::App;
use consign_app::admin::NewUser;
use consign_core::access::{Actor, Principal, Role};
use consign_core::case::ownership::{AssignmentMode, Team, TeamMember};
use consign_core::case::settings::CaseSettings;
use consign_core::case::work::CaseAction;
use consign_core::case::{Case, CaseStatus, ResolutionCode, Visibility};
use consign_core::ids::{CaseId, UserId};
use consign_core::sla::Calendar;
use consign_core::tenant::Tenant;
use consign_store::CaseFilter;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;

/// The provider's people: (e-mail, name, role).
const PEOPLE: [(&str, &str, Role); 7] = [
    ("ava@provider.demo", "Ava Moreno", Role::Agent),
    ("ben@provider.demo", "Ben Okafor", Role::Agent),
    ("cleo@provider.demo", "Cleo Nguyen", Role::Agent),
    ("dev@provider.demo", "Dev Patel", Role::Agent),
    ("eli@provider.demo", "Eli Brandt", Role::Agent),
    ("fay@provider.demo", "Fay Lindqvist", Role::Agent),
    ("sam@provider.demo", "Sam Whitaker", Role::Supervisor),
];

/// The teams the default rulebook's owner teams name: (team, how it hands out cases,
/// members by index into `PEOPLE`).
const TEAMS: [(&str, AssignmentMode, &[usize]); 7] = [
    ("carrier-desk", AssignmentMode::RoundRobin, &[0, 1]),
    ("customer-care", AssignmentMode::LeastOpen, &[2, 3]),
    ("delivery-exceptions", AssignmentMode::RoundRobin, &[3, 4]),
    ("claims", AssignmentMode::Manual, &[5]),
    ("customs-desk", AssignmentMode::RoundRobin, &[5, 4]),
    ("edi-desk", AssignmentMode::Manual, &[1]),
    ("supervisors", AssignmentMode::Manual, &[6]),
];

/// The desk's case settings (`data/desk_settings.toml`): office hours Monday to Friday
/// 08:00–18:00 in the tenant's zone, US holidays of the period; targets by severity; who owns
/// what where the rulebook's defaults are not the contract's.
fn settings(time_zone: &str) -> anyhow::Result<CaseSettings> {
    let mut settings: CaseSettings = toml::from_str(include_str!("../data/desk_settings.toml"))?;
    for calendar in settings.calendars.values_mut() {
        calendar.time_zone = time_zone.to_string();
    }
    Ok(settings)
}

fn is_conflict(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<consign_app::AppError>(),
        Some(consign_app::AppError::Conflict { .. })
    )
}

/// What the desk did over the replay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeskWork {
    pub taken: u64,
    pub acknowledged: u64,
    pub updates: u64,
    pub waits: u64,
    pub resolved: u64,
    pub reopened: u64,
}

/// What happens to one case, drawn once from its id.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Minutes from opening to the first response (some late enough to breach).
    respond_after: i64,
    /// Whether the agent writes to the client when answering.
    tells_client: bool,
    /// Hours waiting on the customer, for the types that need the customer.
    waits_hours: Option<i64>,
    /// Hours from opening to the agent's resolution, for the types no rule resolves.
    resolves_after: Option<(i64, ResolutionCode)>,
    /// Reopened a day after its resolution.
    reopens: bool,
}

fn draw(tenant: &str, number: &str, case_type: &str) -> Plan {
    // splitmix64 seeded by FNV-1a of the tenant and the case number (ids are random; the
    // numbers follow the replay, which is deterministic).
    let mut x = tenant
        .bytes()
        .chain(number.bytes())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
        });
    let mut next = move || {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let late = next() % 100 < 18;
    let respond_after = if late {
        90 + (next() % 360) as i64
    } else {
        5 + (next() % 50) as i64
    };
    let resolves = match case_type {
        "damaged" => Some(ResolutionCode::ClaimFiled),
        "late_delivery" => Some(ResolutionCode::CustomerInformed),
        // No POD from the carrier after the chasing: the desk records the delivery scan as
        // proof and moves on.
        "pod_missing" => Some(ResolutionCode::CarrierResolved),
        "returned_to_sender" => Some(ResolutionCode::Reshipped),
        "lost" => Some(ResolutionCode::ClaimFiled),
        "address_issue" if next() % 100 < 30 => Some(ResolutionCode::AddressCorrected),
        _ => None,
    };
    Plan {
        respond_after,
        tells_client: next() % 100 < 65,
        waits_hours: matches!(case_type, "address_issue" | "delivery_failed" | "damaged")
            .then(|| next() % 100 < 45)
            .filter(|w| *w)
            .map(|_| 2 + (next() % 30) as i64),
        resolves_after: resolves.map(|code| (4 + (next() % 40) as i64, code)),
        reopens: next() % 100 < 5,
    }
}

/// The desk: its people as principals and what each case is going to get.
pub struct Desk {
    people: HashMap<UserId, Principal>,
    /// Each tenant's office calendar: people answer in business time.
    calendars: HashMap<consign_core::ids::TenantId, Calendar>,
    teams: HashMap<String, Vec<UserId>>,
    plans: HashMap<CaseId, Plan>,
    /// Cases already reopened once (a case is reopened at most once).
    reopened: std::collections::HashSet<CaseId>,
    pub work: DeskWork,
}

impl Desk {
    /// Creates the people, teams and every tenant's case settings.
    pub async fn setup(app: &App, tenants: &[Tenant], password: &str) -> anyhow::Result<Desk> {
        let system = Principal::system();
        let slugs: Vec<String> = tenants.iter().map(|t| t.slug.clone()).collect();
        let mut ids = Vec::new();
        let mut people = HashMap::new();
        for (email, name, role) in PEOPLE {
            let (u, _) = app
                .create_user(
                    &system,
                    NewUser {
                        email: email.into(),
                        name: name.into(),
                        role,
                        tenants: slugs.clone(),
                        carrier: None,
                        password: Some(password.to_string()),
                    },
                )
                .await?;
            ids.push(u.id);
            people.insert(u.id, u.principal());
        }
        let mut teams = HashMap::new();
        for (name, assignment, members) in TEAMS {
            let members: Vec<UserId> = members.iter().map(|i| ids[*i]).collect();
            app.put_team(
                &system,
                Team {
                    name: name.into(),
                    description: format!("The {} queue", name.replace('-', " ")),
                    assignment,
                    members: members
                        .iter()
                        .map(|u| TeamMember {
                            user: *u,
                            on_shift: true,
                        })
                        .collect(),
                    last_assigned: None,
                },
            )
            .await?;
            teams.insert(name.to_string(), members);
        }
        let mut calendars = HashMap::new();
        for t in tenants {
            let s = settings(&t.time_zone)?;
            let office = s
                .calendars
                .get("office")
                .expect("the demo settings name it");
            calendars.insert(t.id, Calendar::new(office).map_err(anyhow::Error::msg)?);
            app.put_case_settings(&system, t, s).await?;
        }
        Ok(Desk {
            people,
            calendars,
            teams,
            plans: HashMap::new(),
            reopened: Default::default(),
            work: DeskWork::default(),
        })
    }

    /// Whether `at` falls in office hours in the tenant's zone (weekdays 08–18).
    fn at_work(t: &Tenant, at: Timestamp) -> bool {
        let Ok(tz) = jiff::tz::TimeZone::get(&t.time_zone) else {
            return false;
        };
        let z = at.to_zoned(tz);
        let weekday = z.weekday().to_monday_one_offset();
        weekday <= 5 && (8..18).contains(&z.hour())
    }

    /// One round of work on the tenant's open cases (and those resolved lately), as of the
    /// clock of `app`.
    pub async fn work(&mut self, app: &App, t: &Tenant) -> anyhow::Result<()> {
        let now = app.now();
        if !Self::at_work(t, now) {
            return Ok(());
        }
        let system = Principal::system();
        let open = app
            .list_cases(
                &system,
                t,
                &CaseFilter {
                    open_only: true,
                    by_sla: true,
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?;
        for case in open {
            self.work_on(app, t, case, now).await?;
        }
        // Reopenings come from recently resolved cases.
        let resolved = app
            .list_cases(
                &system,
                t,
                &CaseFilter {
                    status: Some(CaseStatus::Resolved),
                    limit: 100,
                    ..Default::default()
                },
            )
            .await?;
        for case in resolved {
            let plan = *self
                .plans
                .entry(case.id)
                .or_insert_with(|| draw(&t.slug, &case.number, &case.case_type));
            let due = case
                .resolved_at
                .is_some_and(|r| now >= r + SignedDuration::from_hours(20));
            if plan.reopens && due && case.assignee.is_some() && self.reopened.insert(case.id) {
                let who = self.person(case.assignee);
                let reason = "The customer called back: the problem is not solved".to_string();
                match self
                    .act(app, t, &who, &case, CaseAction::Reopen { reason })
                    .await
                {
                    Ok(_) => self.work.reopened += 1,
                    // A rule opened a newer case of the type since: that one is worked instead.
                    Err(e) if is_conflict(&e) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    fn person(&self, user: Option<UserId>) -> Principal {
        user.and_then(|u| self.people.get(&u).cloned())
            .unwrap_or_else(Principal::system)
    }

    async fn act(
        &self,
        app: &App,
        t: &Tenant,
        who: &Principal,
        case: &Case,
        action: CaseAction,
    ) -> anyhow::Result<Case> {
        Ok(app
            .act_on_case(who, t, case.id, action, Some(case.version))
            .await?
            .0)
    }

    async fn work_on(
        &mut self,
        app: &App,
        t: &Tenant,
        mut case: Case,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let plan = *self
            .plans
            .entry(case.id)
            .or_insert_with(|| draw(&t.slug, &case.number, &case.case_type));
        let opened = case.opened_at;
        let Some(cal) = self.calendars.get(&t.id) else {
            return Ok(());
        };
        // Business minutes since the opening: a case that came in overnight is answered
        // some time into the morning, not at the stroke of opening.
        let since = |mins: i64| cal.open_minutes(opened, now) >= mins;
        // Queues that hand out nothing: the team's first member takes the case.
        if case.assignee.is_none() {
            if !since(plan.respond_after) {
                return Ok(());
            }
            let Some(&first) = self.teams.get(&case.owner_team).and_then(|m| m.first()) else {
                return Ok(());
            };
            let who = self.person(Some(first));
            case = self
                .act(
                    app,
                    t,
                    &who,
                    &case,
                    CaseAction::Assign {
                        team: None,
                        assignee: Some(first),
                    },
                )
                .await?;
            self.work.taken += 1;
        }
        let who = self.person(case.assignee);
        if !matches!(who.actor, Actor::User(_)) {
            return Ok(());
        }
        if case.first_response_at.is_none() {
            if !since(plan.respond_after) {
                return Ok(());
            }
            case = if plan.tells_client {
                self.work.updates += 1;
                let text = format!(
                    "We are on this {} and will update you by the end of the business day.",
                    case.case_type.replace('_', " ")
                );
                self.act(
                    app,
                    t,
                    &who,
                    &case,
                    CaseAction::Note {
                        text,
                        visibility: Visibility::External,
                    },
                )
                .await?
            } else {
                self.act(app, t, &who, &case, CaseAction::Acknowledge)
                    .await?
            };
            self.work.acknowledged += 1;
        }
        if case.status == CaseStatus::New {
            case = self
                .act(app, t, &who, &case, to_status(CaseStatus::Open))
                .await?;
        }
        let answered = case.first_response_at.unwrap_or(now);
        if let Some(hours) = plan.waits_hours {
            let wait_from = answered + SignedDuration::from_mins(30);
            let back_at = wait_from + SignedDuration::from_hours(hours);
            if case.status == CaseStatus::Open
                && now >= wait_from
                && now < back_at
                && case.reopen_count == 0
            {
                self.act(app, t, &who, &case, to_status(CaseStatus::WaitingCustomer))
                    .await?;
                self.work.waits += 1;
                return Ok(());
            }
            if case.status == CaseStatus::WaitingCustomer {
                if now < back_at {
                    return Ok(());
                }
                case = self
                    .act(
                        app,
                        t,
                        &who,
                        &case,
                        CaseAction::Note {
                            text: "The customer confirmed the details by phone.".into(),
                            visibility: Visibility::Internal,
                        },
                    )
                    .await?;
                case = self
                    .act(app, t, &who, &case, to_status(CaseStatus::Open))
                    .await?;
            }
        }
        // A reopened case is worked again for a few hours from its reopening, whoever
        // resolved it the first time (a rule, or the desk).
        let resolution = if case.reopen_count > 0 {
            let code = plan
                .resolves_after
                .map_or(ResolutionCode::CustomerInformed, |(_, c)| c);
            Some((case.updated_at, 3, code))
        } else {
            plan.resolves_after.map(|(h, c)| (case.opened_at, h, c))
        };
        if let Some((from, hours, code)) = resolution
            && case.status == CaseStatus::Open
            && now >= from + SignedDuration::from_hours(hours)
        {
            let resolve = CaseAction::Resolve {
                code,
                condition_ended_at: None,
            };
            self.act(app, t, &who, &case, resolve).await?;
            self.work.resolved += 1;
        }
        Ok(())
    }
}

/// The action that moves a case to `to`.
fn to_status(to: CaseStatus) -> CaseAction {
    CaseAction::ChangeStatus { to }
}

#[cfg(test)]
mod tests {
    /// The desk's settings file reads whole, and each tenant's calendar takes its zone.
    #[test]
    fn the_desk_settings_read_with_the_tenants_zone() {
        let s = super::settings("America/Chicago").unwrap();
        let office = &s.calendars["office"];
        assert_eq!(office.time_zone, "America/Chicago");
        assert_eq!(office.hours.len(), 5, "Monday to Friday");
        assert_eq!(office.holidays.len(), 7);
        let policies: Vec<&str> = s.policies.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(policies, ["critical", "high", "standard"]);
        let owned: Vec<&str> = s
            .ownership
            .rows
            .iter()
            .map(|r| r.case_type.as_str())
            .collect();
        assert_eq!(owned, ["address_issue", "lost"]);
    }
}
