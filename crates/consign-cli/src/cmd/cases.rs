//! `consign cases …`: the case queue and a case's timeline, cases opened by hand, the actions
//! an agent takes (as a named user, `--as`), the SLA timer sweep, teams and the tenant's case
//! settings. Every action goes through the same use cases as the API, audited under the user.

use crate::common::{explain, open_app, parse_instant};
use crate::config::Config;
use anyhow::{Context, bail};
use clap::Subcommand;
use consign_app::App;
use consign_app::cases::actions::ManualCase;
use consign_core::access::Principal;
use consign_core::case::ownership::Team;
use consign_core::case::settings::CaseSettings;
use consign_core::case::work::CaseAction;
use consign_core::case::{
    Case, CaseStatus, CaseSubject, ResolutionCode, Severity, TimelineEntry, Visibility,
};
use consign_core::ids::CaseId;
use consign_core::tenant::Tenant;
use consign_core::time::FixedClock;
use consign_store::CaseFilter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum CasesCmd {
    /// The queue: open cases by next SLA deadline (or every case, newest first, with --all).
    #[command(
        after_help = "Example:\n  consign cases list --tenant northwind --team carrier-desk --assignee none"
    )]
    List {
        #[arg(long)]
        tenant: String,
        /// Every status, newest first, instead of the open queue.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        team: Option<String>,
        /// A user's e-mail, or `none` for unassigned cases.
        #[arg(long)]
        assignee: Option<String>,
        #[arg(long, name = "type")]
        case_type: Option<String>,
        /// Only cases carrying this tag.
        #[arg(long)]
        tag: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// A case and its timeline (by number, CASE-000042, or id).
    Show {
        #[arg(long)]
        tenant: String,
        case: String,
        /// Read it as this user sees it.
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Open a case by hand on a shipment, an order or a carrier.
    #[command(
        after_help = "Example:\n  consign cases open --tenant northwind --as agent@example.com --shipment SHP-000042 --type damaged --severity high --accountable carrier --description 'Customer reports a crushed box'"
    )]
    Open {
        #[arg(long)]
        tenant: String,
        #[arg(long = "as")]
        as_user: String,
        /// A shipment's number or id.
        #[arg(long, group = "subject")]
        shipment: Option<String>,
        /// An order's number, external reference or id.
        #[arg(long, group = "subject")]
        order: Option<String>,
        /// A carrier's SCAC, id or name.
        #[arg(long, group = "subject")]
        carrier: Option<String>,
        #[arg(long = "type")]
        case_type: String,
        #[arg(long)]
        severity: String,
        #[arg(long)]
        accountable: String,
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        description: String,
    },
    /// Act on a case as a user: take, acknowledge, assign, status, note, answer, resolve,
    /// reopen, close, severity, tags.
    #[command(
        after_help = "Examples:\n  consign cases act --tenant northwind --as agent@example.com CASE-000042 take\n  consign cases act --tenant northwind --as agent@example.com CASE-000042 note 'Called the depot' \n  consign cases act --tenant northwind --as agent@example.com CASE-000042 status waiting_customer\n  consign cases act --tenant northwind --as agent@example.com --if-version 5 CASE-000042 resolve delivered"
    )]
    Act {
        #[arg(long)]
        tenant: String,
        #[arg(long = "as")]
        as_user: String,
        /// Refuse the action if the case is no longer at this version.
        #[arg(long)]
        if_version: Option<i64>,
        case: String,
        #[command(subcommand)]
        action: ActionCmd,
    },
    /// Fire the SLA timers that are due (warnings, breaches, escalations, automatic
    /// closes, automatic assignment); `serve` does this every 30 seconds.
    Timers {
        /// RFC 3339 instant or date; default now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Print the tenant's case settings in force (JSON).
    Settings {
        #[arg(long)]
        tenant: String,
    },
    /// Store new case settings for a tenant from a JSON or TOML file (checked first).
    SetSettings {
        #[arg(long)]
        tenant: String,
        file: PathBuf,
    },
    /// The provider's teams, their members and who is on shift.
    Teams,
    /// Create or change a team from a JSON or TOML file.
    SetTeam { file: PathBuf },
}

#[derive(Subcommand)]
pub enum ActionCmd {
    /// Assign the case to yourself (and acknowledge it).
    Take,
    Acknowledge,
    /// Assign to a member of a team (by e-mail); without --to, unassign.
    Assign {
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
    /// open, waiting_customer, waiting_carrier, waiting_client or waiting_warehouse.
    Status {
        to: String,
    },
    Note {
        text: String,
        /// Visible to the client (an update to the customer).
        #[arg(long)]
        external: bool,
    },
    Answer {
        text: String,
    },
    /// Resolve with a code: delivered, reshipped, refunded, replaced, claim_filed, claim_paid,
    /// address_corrected, customer_informed, carrier_resolved, no_action_needed, duplicate,
    /// cancelled.
    Resolve {
        code: String,
    },
    Reopen {
        reason: String,
    },
    Close,
    Severity {
        severity: String,
    },
    /// Replace the case's tags (none: clear them).
    Tags {
        tags: Vec<String>,
    },
}

pub async fn run(cmd: CasesCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    match cmd {
        CasesCmd::Timers { at } => {
            let mut app = open_app(cfg).await?;
            if let Some(at) = at {
                app.clock = Arc::new(FixedClock(parse_instant("--at", &at)?));
            }
            let s = app
                .sweep_all_case_timers(app.now(), 1_000)
                .await
                .map_err(explain)?;
            println!(
                "case timers as of {}: {} case(s) looked at; {} warning(s), {} breach(es), {} escalation step(s), {} closed, {} assigned",
                app.now(),
                s.claimed,
                s.warnings,
                s.breaches,
                s.escalations,
                s.closed,
                s.assigned
            );
            Ok(ExitCode::SUCCESS)
        }
        CasesCmd::Teams => {
            let app = open_app(cfg).await?;
            let teams = app.teams(&Principal::system()).await.map_err(explain)?;
            println!("{}", serde_json::to_string_pretty(&teams)?);
            Ok(ExitCode::SUCCESS)
        }
        CasesCmd::SetTeam { file } => {
            let app = open_app(cfg).await?;
            let team: Team = read_doc(&file)?;
            let t = app
                .put_team(&Principal::system(), team)
                .await
                .map_err(explain)?;
            println!(
                "team {} stored: {} member(s), assignment {}",
                t.name,
                t.members.len(),
                t.assignment.as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
        CasesCmd::Settings { tenant } => {
            let (app, t) = app_and_tenant(cfg, &tenant).await?;
            let s = app
                .case_settings(&Principal::system(), &t)
                .await
                .map_err(explain)?;
            println!("{}", serde_json::to_string_pretty(&s)?);
            Ok(ExitCode::SUCCESS)
        }
        CasesCmd::SetSettings { tenant, file } => {
            let (app, t) = app_and_tenant(cfg, &tenant).await?;
            let settings: CaseSettings = read_doc(&file)?;
            let v = app
                .put_case_settings(&Principal::system(), &t, settings)
                .await
                .map_err(explain)?;
            println!(
                "case settings version {} stored for {}; open cases re-planned",
                v.version, t.slug
            );
            Ok(ExitCode::SUCCESS)
        }
        CasesCmd::List {
            tenant,
            all,
            team,
            assignee,
            case_type,
            tag,
            limit,
        } => {
            let (app, t) = app_and_tenant(cfg, &tenant).await?;
            let assignee = match assignee.as_deref() {
                None => None,
                Some("none") => Some(None),
                Some(email) => Some(Some(user_id(&app, email).await?)),
            };
            let filter = CaseFilter {
                open_only: !all,
                by_sla: !all,
                team,
                assignee,
                case_type,
                tag,
                limit: limit.clamp(1, 500),
                ..Default::default()
            };
            let cases = app
                .list_cases(&Principal::system(), &t, &filter)
                .await
                .map_err(explain)?;
            println!(
                "{:<12} {:<20} {:<9} {:<18} {:<14} {:<14} {:<21} opened",
                "case", "type", "severity", "status", "team", "assignee", "SLA due"
            );
            for c in &cases {
                println!("{}", line(c));
            }
            println!("{} case(s)", cases.len());
            Ok(ExitCode::SUCCESS)
        }
        CasesCmd::Show {
            tenant,
            case,
            as_user,
        } => {
            let (app, t) = app_and_tenant(cfg, &tenant).await?;
            let p = match as_user {
                Some(e) => principal(&app, &e).await?,
                None => Principal::system(),
            };
            let id = case_ref(&app, &t, &case).await?;
            let (c, timeline) = app.get_case(&p, &t, id).await.map_err(explain)?;
            print_case(&c, &timeline);
            Ok(ExitCode::SUCCESS)
        }
        CasesCmd::Open {
            tenant,
            as_user,
            shipment,
            order,
            carrier,
            case_type,
            severity,
            accountable,
            team,
            description,
        } => {
            let (app, t) = app_and_tenant(cfg, &tenant).await?;
            let p = principal(&app, &as_user).await?;
            let subject = if let Some(s) = shipment {
                CaseSubject::Shipment(shipment_ref(&app, &t, &s).await?)
            } else if let Some(o) = order {
                CaseSubject::Order(order_ref(&app, &t, &o).await?)
            } else if let Some(c) = carrier {
                let carriers = app
                    .list_carriers(&Principal::system(), &t)
                    .await
                    .map_err(explain)?;
                let found = consign_app::shipments::find_carrier(&carriers, &c)
                    .with_context(|| format!("--carrier: no carrier '{c}' in {}", t.slug))?;
                CaseSubject::Carrier(found.id)
            } else {
                bail!("name the case's subject: --shipment, --order or --carrier");
            };
            let severity =
                Severity::parse(&severity).map_err(|e| anyhow::anyhow!("--severity: {e}"))?;
            let (c, timeline) = app
                .open_case(
                    &p,
                    &t,
                    ManualCase {
                        subject,
                        case_type,
                        severity,
                        accountable,
                        team,
                        assignee: None,
                        description,
                    },
                )
                .await
                .map_err(explain)?;
            print_case(&c, &timeline);
            Ok(ExitCode::SUCCESS)
        }
        CasesCmd::Act {
            tenant,
            as_user,
            if_version,
            case,
            action,
        } => {
            let (app, t) = app_and_tenant(cfg, &tenant).await?;
            let p = principal(&app, &as_user).await?;
            let id = case_ref(&app, &t, &case).await?;
            let me = user_id(&app, &as_user).await?;
            let actions = match action {
                ActionCmd::Take => vec![
                    CaseAction::Assign {
                        team: None,
                        assignee: Some(me),
                    },
                    CaseAction::Acknowledge,
                ],
                ActionCmd::Acknowledge => vec![CaseAction::Acknowledge],
                ActionCmd::Assign { team, to } => {
                    let assignee = match to {
                        Some(e) => Some(user_id(&app, &e).await?),
                        None => None,
                    };
                    vec![CaseAction::Assign { team, assignee }]
                }
                ActionCmd::Status { to } => vec![CaseAction::ChangeStatus {
                    to: CaseStatus::parse(&to).map_err(|e| anyhow::anyhow!("status: {e}"))?,
                }],
                ActionCmd::Note { text, external } => vec![CaseAction::Note {
                    text,
                    visibility: if external {
                        Visibility::External
                    } else {
                        Visibility::Internal
                    },
                }],
                ActionCmd::Answer { text } => vec![CaseAction::Answer { text }],
                ActionCmd::Resolve { code } => vec![CaseAction::Resolve {
                    code: ResolutionCode::parse(&code)
                        .map_err(|e| anyhow::anyhow!("resolve: {e}"))?,
                    condition_ended_at: None,
                }],
                ActionCmd::Reopen { reason } => vec![CaseAction::Reopen { reason }],
                ActionCmd::Close => vec![CaseAction::Close],
                ActionCmd::Severity { severity } => vec![CaseAction::SetSeverity {
                    severity: Severity::parse(&severity)
                        .map_err(|e| anyhow::anyhow!("severity: {e}"))?,
                }],
                ActionCmd::Tags { tags } => vec![CaseAction::SetTags { tags }],
            };
            let mut version = if_version;
            let mut last = None;
            for a in actions {
                let (c, timeline) = match app.act_on_case(&p, &t, id, a, version).await {
                    Ok(v) => v,
                    Err(consign_app::AppError::Stale { current }) => {
                        bail!(
                            "case {} changed meanwhile: it is at version {} ({}, {}); look at it again (`consign cases show`) before acting",
                            current.number,
                            current.version,
                            current.status,
                            current
                                .assignee
                                .map_or("unassigned".to_string(), |u| format!(
                                    "assigned to user:{u}"
                                ))
                        )
                    }
                    Err(e) => return Err(explain(e)),
                };
                version = version.map(|_| c.version);
                last = Some((c, timeline));
            }
            if let Some((c, timeline)) = last {
                print_case(&c, &timeline);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_doc<T: serde::de::DeserializeOwned>(file: &PathBuf) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let is_toml = file.extension().is_some_and(|e| e == "toml");
    if is_toml {
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
    } else {
        serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: line {}, column {}: {e}",
                file.display(),
                e.line(),
                e.column()
            )
        })
    }
}

/// The application and the tenant a command names, opened and looked up as the system.
async fn app_and_tenant(cfg: &Config, slug: &str) -> anyhow::Result<(App, Tenant)> {
    let app = open_app(cfg).await?;
    let t = tenant_of(&app, slug).await?;
    Ok((app, t))
}

/// The person `--as-user` names, acting with their own rights.
pub(super) async fn principal(app: &App, email: &str) -> anyhow::Result<Principal> {
    app.principal_for_email(email).await.map_err(explain)
}

pub(super) async fn tenant_of(app: &App, slug: &str) -> anyhow::Result<Tenant> {
    app.tenant_for(&Principal::system(), slug)
        .await
        .map_err(explain)
}

async fn user_id(app: &App, email: &str) -> anyhow::Result<consign_core::ids::UserId> {
    match principal(app, email).await?.actor {
        consign_core::access::Actor::User(u) => Ok(u),
        _ => bail!("{email} is not a user"),
    }
}

/// A shipment by its number or id.
pub(super) async fn shipment_ref(
    app: &App,
    t: &Tenant,
    s: &str,
) -> anyhow::Result<consign_core::ids::ShipmentId> {
    if let Ok(id) = s.parse() {
        return Ok(id);
    }
    let found = app
        .list_shipments(
            &Principal::system(),
            t,
            &consign_store::ShipmentFilter {
                q: Some(s.to_string()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .map_err(explain)?;
    found
        .into_iter()
        .find(|x| x.number == s || x.tracking_number == s)
        .map(|x| x.id)
        .with_context(|| format!("--shipment: no shipment {s} in {}", t.slug))
}

/// An order by its number, external reference or id.
async fn order_ref(app: &App, t: &Tenant, s: &str) -> anyhow::Result<consign_core::ids::OrderId> {
    if let Ok(id) = s.parse() {
        return Ok(id);
    }
    app.order_by_reference(&Principal::system(), t, s)
        .await
        .map_err(explain)?
        .map(|o| o.id)
        .with_context(|| format!("--order: no order {s} in {}", t.slug))
}

/// A case by its number (`CASE-000042`, or just `42`) or id.
async fn case_ref(app: &App, t: &Tenant, s: &str) -> anyhow::Result<CaseId> {
    if let Ok(id) = s.parse::<CaseId>() {
        return Ok(id);
    }
    let digits = s.trim().trim_start_matches("CASE-").trim_start_matches('0');
    let number = format!("CASE-{:0>6}", if digits.is_empty() { "0" } else { digits });
    app.case_by_number(&Principal::system(), t, &number)
        .await
        .map_err(explain)?
        .map(|c| c.id)
        .with_context(|| format!("no case {s} in {}", t.slug))
}

/// One case as a row of `cases list`.
fn line(c: &Case) -> String {
    let due = c.sla_due_at.map_or("-".to_string(), |t| {
        t.strftime("%Y-%m-%d %H:%MZ").to_string()
    });
    format!(
        "{:<12} {:<20} {:<9} {:<18} {:<14} {:<14} {:<21} {}",
        c.number,
        c.case_type,
        c.severity.as_str(),
        c.status.as_str(),
        c.owner_team,
        c.assignee
            .map_or("-".to_string(), |u| u.to_string()[..8].to_string()),
        due,
        c.opened_at.strftime("%Y-%m-%d %H:%MZ")
    )
}

/// One case and its timeline, as `cases show` and the actions print it.
fn print_case(c: &Case, timeline: &[TimelineEntry]) {
    println!(
        "{} {} ({}, {}) version {}\n  status {}{}; team {}; assignee {}; accountable {}; reopened {}x\n  opened {} (condition began {}){}",
        c.number,
        c.case_type,
        c.severity.as_str(),
        c.subject.key(),
        c.version,
        c.status,
        c.resolution
            .map_or(String::new(), |r| format!(" ({})", r.as_str())),
        c.owner_team,
        c.assignee
            .map_or("none".to_string(), |u| format!("user:{u}")),
        c.accountable,
        c.reopen_count,
        c.opened_at,
        c.condition_began_at,
        c.sla_due_at
            .map_or(String::new(), |t| format!("\n  next SLA deadline {t}")),
    );
    for e in timeline {
        println!(
            "  #{:<3} {} {:<15} {:<8} {:<45} {}",
            e.seq,
            e.at.strftime("%Y-%m-%d %H:%M:%SZ"),
            e.kind.as_str(),
            e.visibility.as_str(),
            e.actor,
            e.detail
        );
    }
}
