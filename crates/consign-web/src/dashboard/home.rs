//! Home is the work: an agent's own cases and their teams' by the next SLA deadline; a
//! supervisor's backlog by team, age and deadline state, with the breaches and the
//! unassigned; a client manager's scorecard headline and open cases; a carrier's or a
//! warehouse's cases addressed to them. Every count links to the queue that lists exactly
//! those cases (the same filters, the same core buckets), and the tenant cards follow.

use super::cases::{assignee_name, me, people};
use super::queue::countdown;
use super::{Frame, Viewer, error_page, query_value, render, thousands};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use consign_core::access::{Capability, Role};
use consign_core::case::Case;
use consign_core::case::queue::{AgeBucket, DueState};
use consign_core::ids::TenantId;
use consign_core::tenant::Tenant;
use consign_store::{BacklogRow, CaseFilter};
use std::collections::{BTreeMap, HashMap};

/// A count that opens the records behind it.
struct Tile {
    label: String,
    count: String,
    href: String,
    /// `breached`, `at-risk` or empty: how loudly the tile speaks.
    tone: &'static str,
}

/// A case as a home page lists it.
struct WorkRow {
    id: String,
    slug: String,
    tenant: String,
    number: String,
    case_type: String,
    severity: &'static str,
    status: String,
    assignee: String,
    due: String,
    urgency: &'static str,
}

/// A list of cases with how many there are in all and where the rest are.
struct WorkList {
    title: String,
    rows: Vec<WorkRow>,
    total: String,
    href: String,
}

/// One row of the backlog grid: a team (or a tenant), its counts per age bucket and per
/// deadline state, each a link.
struct GridRow {
    name: String,
    total: (String, String),
    ages: Vec<(String, String)>,
    dues: Vec<(String, String, &'static str)>,
}

struct Headline {
    tenant: String,
    slug: String,
    period: String,
    figures: Vec<(String, String, String)>,
}

pub(super) struct TenantCard {
    slug: String,
    name: String,
    time_zone: String,
    orders: String,
    shipments: String,
    /// The open cases at a glance, for those who may count them.
    cases: Option<CardCounts>,
    /// Whether the viewer has a queue of their own (provider staff).
    mine: bool,
    /// Whether the viewer reads orders (the card links to them).
    orders_link: bool,
    /// Whether the viewer manages the tenant's webhook endpoints.
    webhooks_link: bool,
    /// Provider staff read the tenant's settings (ownership, SLA, rulebook, templates, EDI).
    settings_link: bool,
}

/// A tenant card's case counts, written for reading (`1,234`).
pub(super) struct CardCounts {
    open: String,
    overdue: String,
    any_overdue: bool,
    unassigned: String,
    mine: String,
}

impl CardCounts {
    /// A tenant's counts: the sum of its teams' backlog rows.
    fn of(rows: &[&BacklogRow]) -> CardCounts {
        let sum = |f: fn(&BacklogRow) -> u64| rows.iter().map(|r| f(r)).sum::<u64>();
        let overdue = sum(|r| r.dues[0]);
        CardCounts {
            open: thousands(sum(|r| r.open)),
            overdue: thousands(overdue),
            any_overdue: overdue > 0,
            unassigned: thousands(sum(|r| r.unassigned)),
            mine: thousands(sum(|r| r.mine)),
        }
    }
}

#[derive(Template)]
#[template(path = "overview.html")]
struct HomePage {
    frame: Frame,
    greeting: String,
    tiles: Vec<Tile>,
    lists: Vec<WorkList>,
    headlines: Vec<Headline>,
    /// The supervisor's backlog grid: by team, then by client.
    ages: Vec<&'static str>,
    dues: Vec<&'static str>,
    by_team: Vec<GridRow>,
    by_tenant: Vec<GridRow>,
    cards: Vec<TenantCard>,
    /// The viewer administers the installation (a link to its pages).
    admin: bool,
    /// Provider staff: a link to the teams and their shifts.
    teams_link: bool,
}

pub(super) async fn home(State(st): State<AppState>, v: Viewer) -> Response {
    match build(&st, v).await {
        Ok(page) => render(page),
        Err(r) => r,
    }
}

fn link(query: &str) -> String {
    format!("/app/cases?{query}")
}

async fn build(st: &AppState, v: Viewer) -> Result<HomePage, Response> {
    let p = &v.principal;
    let now = st.app.now();
    let reads_cases = p.can(Capability::ReadCases);
    let counts_cases = reads_cases && !matches!(p.role, Role::Carrier | Role::Warehouse);
    let provider = p.role.is_provider();
    // The page's reads do not depend on each other: they run at once, so the page waits for
    // the slowest, not for their sum. One read of the open cases serves every count.
    let (counts, backlog, names, teams) = tokio::join!(
        st.app.tenant_counts(p),
        async {
            match counts_cases {
                true => st.app.backlog(p, &v.tenants).await,
                false => Ok(Vec::new()),
            }
        },
        people(st, p),
        async {
            match provider {
                true => st.app.teams(p).await.unwrap_or_default(),
                false => Vec::new(),
            }
        },
    );
    let counts = counts.map_err(error_page)?;
    let backlog = backlog.map_err(error_page)?;
    let mut cards = Vec::with_capacity(counts.len());
    for c in counts {
        let rows: Vec<&BacklogRow> = backlog.iter().filter(|r| r.tenant == c.tenant.id).collect();
        cards.push(TenantCard {
            cases: counts_cases.then(|| CardCounts::of(&rows)),
            mine: p.role.is_provider(),
            orders_link: p.can(Capability::ReadOrders),
            webhooks_link: p.can(Capability::ManageWebhooks),
            settings_link: p.role.is_provider(),
            slug: c.tenant.slug,
            name: c.tenant.name,
            time_zone: c.tenant.time_zone,
            orders: c.orders.map_or("—".into(), |n| thousands(n as u64)),
            shipments: c.shipments.map_or("—".into(), |n| thousands(n as u64)),
        });
    }
    let sum = |f: &dyn Fn(&BacklogRow) -> u64| -> u64 { backlog.iter().map(f).sum() };
    let tenant_of: HashMap<TenantId, &Tenant> = v.tenants.iter().map(|t| (t.id, t)).collect();
    let rows_of = |cases: &[Case]| -> Vec<WorkRow> {
        cases
            .iter()
            .map(|c| {
                let t = tenant_of.get(&c.tenant_id);
                let (due, urgency) = countdown(c.sla_due_at, now);
                WorkRow {
                    id: c.id.to_string(),
                    slug: t.map(|t| t.slug.clone()).unwrap_or_default(),
                    tenant: t.map(|t| t.name.clone()).unwrap_or_default(),
                    number: c.number.clone(),
                    case_type: c.case_type.replace('_', " "),
                    severity: c.severity.as_str(),
                    status: c.status.as_str().replace('_', " "),
                    assignee: assignee_name(c, &names, me(p)),
                    due,
                    urgency,
                }
            })
            .collect()
    };
    let queue = |filter: CaseFilter| {
        let tenants = &v.tenants;
        async move {
            st.app
                .work_queue(p, tenants, &filter)
                .await
                .map_err(error_page)
        }
    };
    let open = |limit: u32| CaseFilter {
        open_only: true,
        by_sla: true,
        limit,
        ..Default::default()
    };
    let mut tiles = Vec::new();
    let mut lists = Vec::new();
    let mut headlines = Vec::new();
    let mut by_team = Vec::new();
    let mut by_tenant = Vec::new();
    let tile = |label: &str, n: u64, href: String, tone: &'static str| Tile {
        label: label.into(),
        count: thousands(n),
        href,
        tone: if n > 0 { tone } else { "" },
    };
    let greeting;
    if p.role.is_provider() {
        greeting = "Your work".to_string();
        let my_teams: Vec<String> = match me(p) {
            Some(u) => teams
                .into_iter()
                .filter(|t| t.has_member(u))
                .map(|t| t.name)
                .collect(),
            None => Vec::new(),
        };
        let (mine, team_cases) = tokio::join!(
            async {
                match me(p) {
                    Some(u) => queue(CaseFilter {
                        assignee: Some(Some(u)),
                        ..open(10)
                    })
                    .await
                    .map(Some),
                    None => Ok(None),
                }
            },
            async {
                let mut out = Vec::new();
                for team in &my_teams {
                    out.push(
                        queue(CaseFilter {
                            team: Some(team.clone()),
                            ..open(10)
                        })
                        .await?,
                    );
                }
                Ok::<_, Response>(out)
            }
        );
        if let Some(mine) = mine? {
            let n = sum(&|r| r.mine);
            tiles.push(tile("My open cases", n, link("scope=mine"), ""));
            tiles.push(tile(
                "of mine breached",
                sum(&|r| r.mine_breached),
                link("scope=mine&sla=breached"),
                "breached",
            ));
            lists.push(WorkList {
                title: "My cases".into(),
                rows: rows_of(&mine),
                total: thousands(n),
                href: link("scope=mine"),
            });
        }
        for (team, cases) in my_teams.iter().zip(team_cases?) {
            let n = sum(&|r| if &r.team == team { r.open } else { 0 });
            let q = format!("scope=team&team={}", query_value(team));
            tiles.push(tile(&format!("Team {team}"), n, link(&q), ""));
            lists.push(WorkList {
                title: format!("Team {team}"),
                rows: rows_of(&cases),
                total: thousands(n),
                href: link(&q),
            });
        }
        tiles.push(tile(
            "Unassigned",
            sum(&|r| r.unassigned),
            link("scope=unassigned"),
            "at-risk",
        ));
        tiles.extend(deadline_tiles(&backlog));
        tiles.push(tile("All open", sum(&|r| r.open), link("scope=open"), ""));
        if p.can(Capability::SuperviseCases) {
            let teams: BTreeMap<&str, ()> = backlog.iter().map(|r| (r.team.as_str(), ())).collect();
            for team in teams.keys() {
                let q = format!("scope=open&team={}", query_value(team));
                by_team.push(grid_row(team, &q, &backlog, |r| r.team == *team));
            }
            for t in &v.tenants {
                let q = format!("scope=open&tenant={}", query_value(&t.slug));
                by_tenant.push(grid_row(&t.name, &q, &backlog, |r| r.tenant == t.id));
            }
        }
    } else if counts_cases {
        greeting = match v.tenants.as_slice() {
            [one] => format!("{}: your service", one.name),
            _ => "Your service".to_string(),
        };
        for t in &v.tenants {
            let tz = jiff::tz::TimeZone::get(&t.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
            let period = consign_core::kpi::Period::week_of(now.to_zoned(tz).date())
                .previous()
                .to_string();
            if let Ok(s) = st.app.scorecard(p, t, &period, None).await {
                headlines.push(Headline {
                    tenant: t.name.clone(),
                    slug: t.slug.clone(),
                    period: s.period.clone(),
                    figures: s
                        .figures
                        .iter()
                        .map(|f| {
                            (
                                f.label.clone(),
                                f.value
                                    .map_or("—".into(), |x| format!("{:.1} %", x * 100.0)),
                                format!(
                                    "{} of {}",
                                    thousands(f.numerator),
                                    thousands(f.denominator)
                                ),
                            )
                        })
                        .collect(),
                });
            }
        }
        let n = sum(&|r| r.open);
        tiles.push(tile("Open cases", n, link("scope=open"), ""));
        tiles.extend(deadline_tiles(&backlog));
        let cases = queue(open(10)).await?;
        lists.push(WorkList {
            title: "Open cases, next deadline first".into(),
            rows: rows_of(&cases),
            total: thousands(n),
            href: link("scope=open"),
        });
    } else if reads_cases {
        greeting = "Cases addressed to you".to_string();
        let cases = queue(open(50)).await?;
        let n = cases.len();
        lists.push(WorkList {
            title: "Open cases addressed to you, next deadline first".into(),
            rows: rows_of(&cases),
            total: if n == 50 { "50+".into() } else { n.to_string() },
            href: link("scope=open"),
        });
    } else {
        greeting = "Tenants".to_string();
    }
    Ok(HomePage {
        admin: p.can(Capability::ManageUsers),
        teams_link: p.role.is_provider(),
        frame: v.into(),
        greeting,
        tiles,
        lists,
        headlines,
        ages: AgeBucket::ALL.iter().map(|a| a.label()).collect(),
        dues: DueState::ALL.iter().map(|d| d.short_label()).collect(),
        by_team,
        by_tenant,
        cards,
    })
}

/// The breached and the at-risk tiles of a backlog.
fn deadline_tiles(backlog: &[BacklogRow]) -> [Tile; 2] {
    let tile = |label: &str, k: usize, d: DueState, tone| {
        let n: u64 = backlog.iter().map(|r| r.dues[k]).sum();
        Tile {
            label: label.into(),
            count: thousands(n),
            href: link(&format!("scope=open&sla={}", d.as_str())),
            tone: if n > 0 { tone } else { "" },
        }
    };
    [
        tile("Breached", 0, DueState::Breached, "breached"),
        tile("At risk (due within 2 h)", 1, DueState::AtRisk, "at-risk"),
    ]
}

/// A grid row over the backlog rows `pick` selects; every count links to the queue `q`
/// narrowed to its bucket.
fn grid_row(
    name: &str,
    q: &str,
    backlog: &[BacklogRow],
    pick: impl Fn(&BacklogRow) -> bool,
) -> GridRow {
    let rows: Vec<&BacklogRow> = backlog.iter().filter(|r| pick(r)).collect();
    let n = |f: &dyn Fn(&BacklogRow) -> u64| -> u64 { rows.iter().map(|r| f(r)).sum() };
    GridRow {
        name: name.to_string(),
        total: (thousands(n(&|r| r.open)), link(q)),
        ages: AgeBucket::ALL
            .iter()
            .enumerate()
            .map(|(k, a)| {
                (
                    thousands(n(&|r| r.ages[k])),
                    link(&format!("{q}&age={}", a.as_str())),
                )
            })
            .collect(),
        dues: DueState::ALL
            .iter()
            .enumerate()
            .map(|(k, d)| {
                let count = n(&|r| r.dues[k]);
                (
                    thousands(count),
                    link(&format!("{q}&sla={}", d.as_str())),
                    match d {
                        DueState::Breached if count > 0 => "breached",
                        DueState::AtRisk if count > 0 => "at-risk",
                        _ => "",
                    },
                )
            })
            .collect(),
    }
}
