//! `consign bench workspace`: the pages people work from, served over HTTP to a signed-in
//! supervisor: the queue across every tenant (and its filtered and per-tenant forms), the
//! home page with its backlog grid, and the case page, over many open cases spread across
//! tenants. Prints each page's server time (its `Server-Timing`) as median and largest of
//! the rounds; nothing here asserts a time.

use super::Engines;
use super::engines::{open_app, summary};
use super::fixtures::{insert_shipments, scan, shipments_for, tenant_with_carriers};
use anyhow::Context;
use consign_app::admin::NewUser;
use consign_core::access::{Principal, Role};
use consign_core::case::ownership::{AssignmentMode, Team, TeamMember};
use consign_core::case::{
    Case, CaseStatus, CaseSubject, NewCase, Severity, TimelineEntry, TimelineKind, Visibility,
};
use consign_core::ids::{CaseId, UserId};
use consign_core::shipment::ShipmentStatus;
use jiff::{SignedDuration, Timestamp};
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct WorkspaceBench {
    #[arg(long, default_value_t = 100_000)]
    cases: usize,
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    tenants: u32,
    /// Requests per page; the median and the largest server time are reported.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    #[command(flatten)]
    engines: Engines,
}

pub async fn workspace(b: WorkspaceBench, database_url: Option<&str>) -> anyhow::Result<ExitCode> {
    println!(
        "bench workspace: {} open cases across {} tenants, each with its shipment, 4 events and 3 timeline entries; {} rounds per page",
        b.cases, b.tenants, b.rounds
    );
    let lines = b
        .engines
        .on_each("workspace.db", database_url, async |engine, url, _| {
            run(&b, engine, url).await
        })
        .await?;
    summary(lines)
}

const TEAMS: [&str; 5] = [
    "carrier-desk",
    "customer-care",
    "claims",
    "delivery-exceptions",
    "supervisors",
];
const PASSWORD: &str = "bench password, long enough";

async fn run(b: &WorkspaceBench, engine: &str, url: &str) -> anyhow::Result<String> {
    let app = open_app(engine, url, std::env::temp_dir()).await?;
    let system = Principal::system();
    let now = Timestamp::now();
    let setup = Instant::now();
    let mut tenants = Vec::new();
    for k in 0..b.tenants.max(1) {
        tenants.push(tenant_with_carriers(&app, &format!("bench-ws-{k}")).await?);
    }
    let slugs: Vec<String> = tenants.iter().map(|(t, _)| t.slug.clone()).collect();
    // Twenty agents in the teams and the supervisor who reads the pages, serving every tenant.
    let mut agents: Vec<UserId> = Vec::new();
    for k in 0..20 {
        let (u, _) = app
            .create_user(
                &system,
                NewUser {
                    email: format!("agent{k}@bench.test"),
                    name: format!("Agent {k}"),
                    role: Role::Agent,
                    tenants: slugs.clone(),
                    carrier: None,
                    password: Some(PASSWORD.into()),
                },
            )
            .await
            .map_err(crate::common::explain)?;
        agents.push(u.id);
    }
    let (boss, _) = app
        .create_user(
            &system,
            NewUser {
                email: "boss@bench.test".into(),
                name: "Bench Supervisor".into(),
                role: Role::Supervisor,
                tenants: slugs.clone(),
                carrier: None,
                password: Some(PASSWORD.into()),
            },
        )
        .await
        .map_err(crate::common::explain)?;
    for (k, name) in TEAMS.iter().enumerate() {
        let mut members: Vec<TeamMember> = agents
            .iter()
            .skip(k * 4)
            .take(4)
            .map(|u| TeamMember {
                user: *u,
                on_shift: true,
            })
            .collect();
        if *name == "supervisors" {
            members.push(TeamMember {
                user: boss.id,
                on_shift: true,
            });
        }
        app.put_team(
            &system,
            Team {
                name: name.to_string(),
                description: String::new(),
                assignment: AssignmentMode::Manual,
                members,
                last_assigned: None,
            },
        )
        .await
        .map_err(crate::common::explain)?;
    }
    // The cases, tenant by tenant: each on its own shipment with four scans, one in ten
    // without a deadline, the rest due from three days ago to five days ahead; two in three
    // assigned; every open status.
    let per_tenant = b.cases / tenants.len();
    let statuses = [
        CaseStatus::New,
        CaseStatus::Open,
        CaseStatus::Open,
        CaseStatus::WaitingCarrier,
        CaseStatus::WaitingCustomer,
    ];
    let mut sample = Vec::new();
    for (k, (t, carriers)) in tenants.iter().enumerate() {
        let carrier_ids: Vec<_> = carriers.iter().map(|c| c.1).collect();
        let mut start = 0;
        while start < per_tenant {
            let n = 10_000.min(per_tenant - start);
            let created = |i: usize| {
                now - SignedDuration::from_mins(10 * (per_tenant - i) as i64 % 20_000 + 60)
            };
            let mut ships = shipments_for(t, &carrier_ids, start + n, created);
            ships.drain(..start);
            let mut events = Vec::new();
            let mut cases = Vec::new();
            let mut entries = Vec::new();
            for (j, s) in ships.iter_mut().enumerate() {
                let i = start + j;
                s.number = format!("SHP-W{k}{i:07}");
                s.tracking_number = format!("WT{k}{i:09}");
                s.id = consign_core::ids::ShipmentId::new_at(
                    s.created_at,
                    (k as u128) << 40 | i as u128,
                );
                s.status = ShipmentStatus::InTransit;
                s.picked_up_at = Some(s.created_at + SignedDuration::from_hours(2));
                for e in 0..4 {
                    let at = s.created_at + SignedDuration::from_mins(30 + 240 * e as i64);
                    let status = if e == 0 {
                        ShipmentStatus::PickedUp
                    } else {
                        ShipmentStatus::InTransit
                    };
                    events.push(scan(s, e, at, status));
                }
                let opened = s.created_at + SignedDuration::from_hours(1);
                let id = CaseId::new_at(opened, (k as u128) << 40 | i as u128 ^ 0x7773);
                let mut c = Case::start(
                    id,
                    t.id,
                    NewCase {
                        subject: CaseSubject::Shipment(s.id),
                        case_type: ["stalled", "delay_risk", "damaged", "late_pickup"][i % 4]
                            .into(),
                        severity: [Severity::Medium, Severity::High, Severity::Low][i % 3],
                        accountable: "carrier".into(),
                        owner_team: TEAMS[i % TEAMS.len()].into(),
                        rulebook_version: 1,
                    },
                    statuses[i % statuses.len()],
                    opened,
                    opened,
                );
                c.number = format!("CASE-W{i:07}");
                c.carrier_id = Some(s.carrier_id);
                c.sla_due_at = (i % 10 != 0).then(|| {
                    now + SignedDuration::from_mins((i as i64 * 37) % (8 * 1440) - 3 * 1440)
                });
                if i % 3 != 0 {
                    // The supervisor has a share too, so "my cases" lists a real queue.
                    c.assignee = Some(if i % 21 == 1 {
                        boss.id
                    } else {
                        agents[i % agents.len()]
                    });
                }
                let mut e1 = TimelineEntry::system(
                    id,
                    opened,
                    TimelineKind::Created,
                    "opened by the rules".into(),
                );
                e1.seq = 1;
                let mut e2 = TimelineEntry::system(
                    id,
                    opened + SignedDuration::from_mins(5),
                    TimelineKind::Note,
                    "Carrier asked for a trace".into(),
                );
                e2.seq = 2;
                let mut e3 = TimelineEntry::system(
                    id,
                    opened + SignedDuration::from_mins(20),
                    TimelineKind::Note,
                    "Customer informed of the delay".into(),
                );
                e3.seq = 3;
                e3.visibility = Visibility::External;
                entries.extend([e1, e2, e3]);
                c.entries = 3;
                if i % 997 == 0 {
                    sample.push((t.slug.clone(), id));
                }
                cases.push(c);
            }
            insert_shipments(&app, ships).await?;
            let mut tx = app.tools().begin().await?;
            tx.insert_tracking_events(&events.iter().collect::<Vec<_>>())
                .await?;
            tx.insert_cases(&cases).await?;
            tx.append_timeline(t.id, &entries).await?;
            tx.commit().await?;
            start += n;
        }
        println!(
            "{engine}: tenant {} with {per_tenant} open cases ({:.0} s)",
            t.slug,
            setup.elapsed().as_secs_f64()
        );
    }
    app.tools().analyze().await?;
    app.tools().checkpoint().await?;
    let setup_secs = setup.elapsed().as_secs_f64();

    let cfg = consign_web::WebConfig {
        requests_per_minute: 0,
        login_per_minute: 0,
        ..Default::default()
    };
    let router = consign_web::router(app.clone(), cfg);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(consign_web::serve(listener, router, async move {
        let _ = stop_rx.await;
    }));
    let base = format!("http://{addr}");
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let res = browser
        .post(format!("{base}/login"))
        .header("origin", &base)
        .form(&[("email", "boss@bench.test"), ("password", PASSWORD)])
        .send()
        .await?;
    anyhow::ensure!(res.status() == 303, "sign-in answered {}", res.status());
    let (case_slug, case_id) = sample[sample.len() / 2].clone();
    let pages = [
        (
            "queue, all tenants, open by SLA",
            "/app/cases?scope=open".to_string(),
        ),
        (
            "queue, all tenants, breached",
            "/app/cases?scope=open&sla=breached".to_string(),
        ),
        (
            "queue, all tenants, one team",
            "/app/cases?scope=team&team=claims".to_string(),
        ),
        (
            "queue, all tenants, unassigned",
            "/app/cases?scope=unassigned".to_string(),
        ),
        (
            "queue, all tenants, high severity",
            "/app/cases?scope=open&severity=high".to_string(),
        ),
        (
            "queue, one tenant",
            format!("/app/cases?scope=open&tenant={}", slugs[slugs.len() / 2]),
        ),
        ("queue, my cases", "/app/cases?scope=mine".to_string()),
        ("home (backlog grid, tiles, lists)", "/app".to_string()),
        ("case page", format!("/app/{case_slug}/cases/{case_id}")),
        // A part of a tracking number (shipment 1234 of every tenant, `WT{k}000001234`) and a
        // name nobody has: both read every shipment and order of every tenant (no exact
        // reference matched first).
        (
            "search, a part of tracking numbers",
            "/app/search?q=0001234".to_string(),
        ),
        (
            "search, a customer name not found",
            "/app/search?q=nobody%20by%20this%20name".to_string(),
        ),
    ];
    let mut out = format!(
        "{engine}: {} open cases in {} tenants (setup {setup_secs:.0} s); server time per page, median / largest of {} rounds:",
        per_tenant * tenants.len(),
        tenants.len(),
        b.rounds
    );
    for (label, path) in &pages {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..b.rounds.max(1) {
            let res = browser.get(format!("{base}{path}")).send().await?;
            anyhow::ensure!(res.status() == 200, "{path} answered {}", res.status());
            let timing = res
                .headers()
                .get("server-timing")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("app;dur="))
                .and_then(|v| v.parse::<f64>().ok())
                .context("no Server-Timing on the page")?;
            bytes = res.bytes().await?.len();
            times.push(timing);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let line = format!(
            "\n  {label:<36} {:>7.1} ms / {:>7.1} ms  ({} KiB)",
            times[times.len() / 2],
            times[times.len() - 1],
            bytes / 1024
        );
        print!("{line}");
        out.push_str(&line);
    }
    println!();
    let _ = stop_tx.send(());
    let _ = server.await;
    Ok(out)
}
