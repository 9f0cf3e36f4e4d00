//! The demo from an empty database to one with history: generate the dataset, set up its
//! tenants, import its orders and shipments the way `consign import` does, replay the
//! carriers' feeds and the EDI partner day by day, and create the demo's logins. Serving it
//! is the caller's part.

use crate::dataset::{GenConfig, GenSummary, generate};
use crate::desk::Desk;
use crate::feed::generate_events;
use crate::narrator::Narrator;
use crate::plan::read_plans;
use crate::replay::replay_history;
use crate::setup::setup_tenants;
use anyhow::Context;
use consign_app::admin::NewUser;
use consign_app::import::{self, FileRead, Format, ReadFile, RowError};
use consign_app::orders::OnDuplicate;
use consign_app::tracking::CaseChanges;
use consign_app::{App, AppError};
use consign_core::access::{Principal, Role};
use consign_core::ids::OrderId;
use consign_core::order::{Order, OrderStatus};
use consign_core::time::FixedClock;
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Days of history the demo holds.
const DAYS: i64 = 60;

/// What the demo is made of; the same options and the same `now` give the same data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    pub orders: usize,
    pub seed: u64,
    /// The instant the demo's history ends.
    pub now: Timestamp,
}

/// A prepared demo: what it holds and how to sign in.
#[derive(Debug, Clone)]
pub struct DemoReady {
    pub summary: GenSummary,
    pub events: u64,
    pub cases: CaseChanges,
    /// Shared by the administrator and the client manager.
    pub password: String,
    /// What reached the demo's receivers before it was ready (with sinks only).
    pub delivered: Delivered,
    /// Per tenant: its slug, the cases it holds and how many are open, read back from the
    /// database once the demo is done (what the API then lists).
    pub held: Vec<(String, u64, u64)>,
    /// An administrator's API token for the demo's database, shown once.
    pub api_token: String,
    /// A carrier's dispatcher (e-mail, carrier name) for the first tenant, if any carrier
    /// there has open cases.
    pub carrier_login: Option<(String, String)>,
}

/// Messages the demo's receivers took: e-mails (customer notices, escalations) and the first
/// tenant's webhook deliveries, every signature checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub emails: u64,
    pub webhooks: u64,
    pub bad_signatures: u64,
}

impl DemoReady {
    /// What the operator is told once the demo is ready (`elapsed`: since the run began).
    ///
    /// `database` is the demo's database URL and `listen` the address it is served on: the
    /// banner tells how to reach both from other commands and from the API.
    pub fn banner(&self, elapsed: Duration, database: &str, listen: &str) -> String {
        let first = &self.summary.tenants[0].slug;
        let password = &self.password;
        let token = &self.api_token;
        let (cases, open) = self
            .held
            .iter()
            .fold((0, 0), |(c, o), (_, tc, to)| (c + tc, o + to));
        let carrier = match &self.carrier_login {
            Some((email, name)) => {
                format!("\n  carrier ({name} at {first}): {email} / {password}")
            }
            None => String::new(),
        };
        let per_tenant: Vec<String> = self
            .held
            .iter()
            .map(|(slug, c, o)| format!("{slug} {c} ({o} open)"))
            .collect();
        format!(
            "\nDemo ready in {:.1}s: {} orders, {} shipments, {} tracking events, {} tenants; {cases} exception cases, {open} of them open ({}); {} closed by the rules themselves.\n  administrator: admin@consign.demo / {password}\n  client manager ({first} only): manager@{first}.demo / {password}\n  agent: ava@provider.demo / {password} (team carrier-desk; supervisor sam@provider.demo){carrier}\n  database: {database}\n    other commands work on it with --database-url {database}, e.g. consign --database-url {database} cases list --tenant {first} --team carrier-desk\n  API token (administrator, shown once): {token}\n    curl -H 'Authorization: Bearer {token}' http://{listen}/api/v1/tenants/{first}/cases",
            elapsed.as_secs_f64(),
            self.summary.orders,
            self.summary.shipments,
            self.events,
            self.summary.tenants.len(),
            per_tenant.join(", "),
            self.cases.resolved
        ) + &if self.delivered.emails + self.delivered.webhooks > 0 {
            format!(
                "\n  messages: {} e-mails to the demo's mail sink, {} signed webhooks to {first}'s endpoint ({} signatures failed); see …/cases/{{id}}/messages and …/webhook-endpoints",
                self.delivered.emails, self.delivered.webhooks, self.delivered.bad_signatures
            )
        } else {
            String::new()
        }
    }
}

/// Fills `app`'s (fresh) database with the demo, writing the generated files to `gen_dir`.
///
/// With `sinks`, the first tenant's client has a webhook endpoint at the demo's receiver
/// (case opened and resolved, shipment delivered) from before the history, e-mails go to the
/// demo's mail sink (`app` must be configured with its SMTP URL and private targets allowed),
/// and the outbox is delivered before the demo counts as ready.
pub async fn prepare(
    app: &App,
    gen_dir: &Path,
    options: DemoOptions,
    narrator: &dyn Narrator,
    sinks: Option<&crate::sink::Sinks>,
) -> anyhow::Result<DemoReady> {
    let DemoOptions { orders, seed, now } = options;
    narrator.say(&format!(
        "generating {orders} orders over the last {DAYS} days (seed {seed})…"
    ));
    let summary = generate(
        &GenConfig {
            seed,
            orders,
            days: DAYS,
            now,
        },
        gen_dir,
    )?;
    // The tenants, their parties and the desk exist from before the history begins, so no
    // case is opened before its tenant was.
    let mut early = app.clone();
    early.clock = std::sync::Arc::new(consign_core::time::FixedClock(
        now - jiff::SignedDuration::from_hours(24 * (DAYS + 1)),
    ));
    setup_tenants(
        &early,
        &read_plans(&gen_dir.join("tenants.json"))?,
        narrator,
    )
    .await?;
    // The carriers' feeds are generated from the shipments' milestones; the shipments are then
    // imported without their pickup and delivery times, so both come from the feed as it is
    // replayed: a pickup that slips shows as a late-pickup case until the scan arrives, and a
    // shipment is not delivered (which would make every earlier hold or delay moot) before
    // its delivery scan.
    if let Some(sinks) = sinks {
        let slug = &summary.tenants[0].slug;
        let system = Principal::system();
        let tenant = early.tenant_for(&system, slug).await?;
        let issued = early
            .create_endpoint(
                &system,
                &tenant,
                consign_core::message::endpoint::NewEndpoint {
                    url: format!("{}/{slug}", sinks.webhook_base),
                    description: "The client's ERP (the demo's receiver)".into(),
                    events: vec![
                        "case.opened".into(),
                        "case.resolved".into(),
                        "shipment.delivered".into(),
                    ],
                },
            )
            .await?;
        sinks.trust(slug, &issued.secret);
    }
    let feeds = generate_events(gen_dir, &summary.tenants, seed, now)?;
    for t in &summary.tenants {
        without_milestones(
            &gen_dir.join(&t.slug).join("shipments.csv"),
            &gen_dir.join(&t.slug).join("shipments-planned.csv"),
        )?;
    }
    // Orders arrive with their history; the warehouse releases them in two-hourly waves and
    // each shipment is created at the wave before its planned pickup, on that wave's clock,
    // so the orders' released and shipped instants (the scorecard's order turnaround) fall
    // where they would have, not all on the moment the demo starts.
    for t in &summary.tenants {
        let dir = gen_dir.join(&t.slug);
        let orders = import_orders(app, &t.slug, &dir.join("orders.csv"), narrator).await?;
        release_in_waves(app, &t.slug, &orders, now).await?;
        import_shipments(
            app,
            &t.slug,
            &dir.join("shipments-planned.csv"),
            now,
            narrator,
        )
        .await?;
    }
    // One password for every demo login, set before the history so the desk's people exist
    // while it is replayed.
    let password = consign_app::auth::generate_password();
    let system = Principal::system();
    let tenants = app.list_tenants(&system).await?;
    let mut desk = Desk::setup(&early, &tenants, &password).await?;
    narrator.say(&format!(
        "service desk ready: {} people in 7 teams, office hours and SLA policies per tenant",
        7
    ));
    narrator.say(&format!(
        "replaying {} tracking events and {} POD uploads of {}, on one clock…",
        feeds.iter().map(|(_, f)| f.events.len()).sum::<usize>(),
        feeds.iter().map(|(_, f)| f.pods.len()).sum::<usize>(),
        feeds
            .iter()
            .map(|(slug, _)| slug.as_str())
            .collect::<Vec<_>>()
            .join(" and ")
    ));
    let (events, cases) = replay_history(app, feeds, now, &mut desk, narrator).await?;
    let w = desk.work;
    narrator.say(&format!(
        "  the desk took {} cases from manual queues, answered {} ({} with an update to the client), waited on customers {} times, resolved {} and reopened {}",
        w.taken, w.acknowledged, w.updates, w.waits, w.resolved, w.reopened
    ));
    // The scorecards read the KPI rollup; count the whole history before serving it.
    let counted = app.refresh_kpis_until_done().await?;
    narrator.say(&format!(
        "  KPI rollup counted {counted} shipment and order changes: scorecards for every week are ready"
    ));
    let admin = NewUser {
        email: "admin@consign.demo".into(),
        name: "Demo Administrator".into(),
        role: Role::Admin,
        tenants: vec![],
        carrier: None,
        password: Some(password.clone()),
    };
    app.create_user(&system, admin).await?;
    let first = &summary.tenants[0].slug;
    let client = NewUser {
        email: format!("manager@{first}.demo"),
        name: "Client Manager".into(),
        role: Role::ClientManager,
        tenants: vec![first.clone()],
        carrier: None,
        password: Some(password.clone()),
    };
    app.create_user(&system, client).await?;
    // A carrier's dispatcher for the first tenant: of the carrier with the most open cases
    // there, so the carrier's view has work in it.
    let t0 = app.tenant_for(&system, first).await?;
    let open = app
        .list_cases(
            &system,
            &t0,
            &consign_store::CaseFilter {
                open_only: true,
                limit: 10_000,
                ..Default::default()
            },
        )
        .await?;
    let mut per_carrier: BTreeMap<consign_core::ids::CarrierId, usize> = BTreeMap::new();
    for c in open.iter().filter_map(|c| c.carrier_id) {
        *per_carrier.entry(c).or_default() += 1;
    }
    let busiest = per_carrier.iter().max_by_key(|(_, n)| **n).map(|(c, _)| *c);
    let mut carrier_login = None;
    if let Some(carrier) = busiest {
        let c = app
            .list_carriers(&system, &t0)
            .await?
            .into_iter()
            .find(|c| c.id == carrier);
        if let Some(c) = c {
            let code = c.scac.clone().unwrap_or_else(|| c.id.to_string());
            let email = format!("dispatch@{}.demo", code.to_lowercase());
            app.create_user(
                &system,
                NewUser {
                    email: email.clone(),
                    name: format!("{} dispatch", c.name),
                    role: Role::Carrier,
                    tenants: vec![first.clone()],
                    carrier: Some(code.clone()),
                    password: Some(password.clone()),
                },
            )
            .await?;
            carrier_login = Some((email, c.name));
        }
    }
    let mut delivered = Delivered::default();
    if let Some(sinks) = sinks {
        let mut rounds = 0;
        while app.deliver_due().await?.claimed > 0 && rounds < 10_000 {
            rounds += 1;
        }
        delivered = Delivered {
            emails: sinks.emails(),
            webhooks: sinks.webhooks(),
            bad_signatures: sinks.bad_signatures(),
        };
        narrator.say(&format!(
            "  outbox delivered: {} e-mails to the mail sink, {} signed webhooks",
            delivered.emails, delivered.webhooks
        ));
    }
    // The banner's case counts are read back, not added up on the way: the desk and the
    // timers open and close cases too, and the operator will compare them with the API.
    let mut held = Vec::new();
    for t in app.list_tenants(&system).await? {
        let (total, open) = app.case_totals(&system, &t).await?;
        held.push((t.slug, total, open));
    }
    let (_, api_token) = app
        .create_token(
            &system,
            consign_app::admin::NewToken {
                name: "demo".into(),
                role: Role::Admin,
                tenant: None,
                carrier: None,
                scopes: None,
                expires_at: None,
            },
        )
        .await?;
    Ok(DemoReady {
        summary,
        events,
        cases,
        password,
        delivered,
        held,
        api_token,
        carrier_login,
    })
}

/// The generated files are the importer's own format, so a refusal is a generator bug: it is
/// reported with the first problems rather than row by row.
fn refused(file: &Path, errors: &[RowError]) -> anyhow::Error {
    let first: Vec<String> = errors.iter().take(5).map(|e| format!("  {e}")).collect();
    anyhow::anyhow!(
        "the generated {} did not import: {} problem(s)\n{}",
        file.display(),
        errors.len(),
        first.join("\n")
    )
}

/// A generated file read with `read`, refused whole at its first problems: the generator
/// writes only valid rows.
fn read_clean<T>(file: &Path, read: ReadFile<T>) -> anyhow::Result<FileRead<T>> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let read = read(&bytes, Format::from_path(file), None).map_err(|errs| refused(file, &errs))?;
    if !read.errors.is_empty() {
        return Err(refused(file, &read.errors));
    }
    Ok(read)
}

/// What an import says when it is done.
struct Summary<'a> {
    file: &'a Path,
    /// What was imported, e.g. `orders (12 lines)`.
    imported: &'a str,
    tenant: &'a str,
    start: Instant,
}

impl Summary<'_> {
    /// Refreshes the planner's statistics and says what was imported: `counts` are created and
    /// skipped, `rate` the number the rate is of and its unit.
    async fn say(
        &self,
        app: &App,
        narrator: &dyn Narrator,
        (created, skipped): (usize, usize),
        (of, unit): (usize, &str),
    ) -> anyhow::Result<()> {
        // A bulk load leaves the planner's statistics behind; refresh them now rather than
        // whenever autovacuum gets there.
        app.tools().analyze().await?;
        let secs = self.start.elapsed().as_secs_f64();
        narrator.say(&format!(
            "{}: imported {created} {} into {}, skipped {skipped} already present, in {secs:.1}s ({:.0} {unit}/s)",
            self.file.display(),
            self.imported,
            self.tenant,
            of as f64 / secs.max(1e-9)
        ));
        Ok(())
    }
}

async fn import_orders(
    app: &App,
    slug: &str,
    file: &Path,
    narrator: &dyn Narrator,
) -> anyhow::Result<Vec<Order>> {
    let start = Instant::now();
    let system = Principal::system();
    let tenant = app.tenant_for(&system, slug).await?;
    let read = read_clean(file, import::read_orders)?;
    let orders: Vec<_> = read.rows.iter().map(|r| r.order.clone()).collect();
    let accepted = app
        .validate_orders(orders)
        .map_err(|errs| refused(file, &import::order_errors(&read.rows, errs, &read.columns)))?;
    let lines: usize = accepted.iter().map(|o| o.lines.len()).sum();
    let progress = narrator.progress("orders", accepted.len() as u64);
    let out = app
        .commit_orders(&system, &tenant, accepted, OnDuplicate::Skip, &|n| {
            progress.advance(n)
        })
        .await?;
    drop(progress);
    let imported = format!("orders ({lines} lines)");
    let counts = (out.created.len(), out.skipped.len());
    let summary = Summary {
        file,
        imported: &imported,
        tenant: &tenant.slug,
        start,
    };
    summary
        .say(app, narrator, counts, (read.rows.len(), "orders"))
        .await?;
    Ok(out.created)
}

/// The warehouses' release waves: every two hours on the hour (UTC).
const WAVE: i64 = 2 * 3600;

fn wave_at_or_after(t: Timestamp) -> Timestamp {
    let s = t.as_second();
    Timestamp::from_second(s + (WAVE - s.rem_euclid(WAVE)) % WAVE).unwrap_or(t)
}

fn wave_at_or_before(t: Timestamp) -> Timestamp {
    let s = t.as_second();
    Timestamp::from_second(s - s.rem_euclid(WAVE)).unwrap_or(t)
}

/// Releases each order at the first wave after it was placed, on that wave's clock; orders
/// whose wave is still to come stay received.
async fn release_in_waves(
    app: &App,
    slug: &str,
    orders: &[Order],
    now: Timestamp,
) -> anyhow::Result<()> {
    let system = Principal::system();
    let tenant = app.tenant_for(&system, slug).await?;
    let mut waves: BTreeMap<Timestamp, Vec<OrderId>> = BTreeMap::new();
    for o in orders.iter().filter(|o| o.status == OrderStatus::Received) {
        let wave = wave_at_or_after(o.ordered_at);
        if wave <= now {
            waves.entry(wave).or_default().push(o.id);
        }
    }
    for (wave, ids) in waves {
        let mut at = app.clone();
        at.clock = std::sync::Arc::new(FixedClock(wave));
        at.release_orders(&system, &tenant, &ids).await?;
    }
    Ok(())
}

async fn import_shipments(
    app: &App,
    slug: &str,
    file: &Path,
    now: Timestamp,
    narrator: &dyn Narrator,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let system = Principal::system();
    let tenant = app.tenant_for(&system, slug).await?;
    let read = read_clean(file, import::read_shipments)?;
    let n = read.rows.len();
    // Each shipment is created at the wave before its planned pickup (never in the future).
    let mut waves: BTreeMap<Timestamp, Vec<usize>> = BTreeMap::new();
    for (i, r) in read.rows.iter().enumerate() {
        let wave = r
            .shipment
            .planned_pickup_at
            .map_or(now, |t| wave_at_or_before(t).min(now));
        waves.entry(wave).or_default().push(i);
    }
    let progress = narrator.progress("shipments", n as u64);
    let (mut created, mut skipped) = (0, 0);
    for (wave, rows) in waves {
        let mut at = app.clone();
        at.clock = std::sync::Arc::new(FixedClock(wave));
        let items: Vec<_> = rows
            .iter()
            .map(|&i| read.rows[i].shipment.clone())
            .collect();
        let plan = match at
            .plan_shipments(&tenant, items, OnDuplicate::Skip, None)
            .await
        {
            Ok(p) => p,
            Err(AppError::InvalidItems(errs)) => {
                // Item positions are the wave's: name the file's rows.
                let errs = errs.into_iter().map(|(k, e)| (rows[k], e)).collect();
                let errors = import::shipment_errors(&read.rows, errs, &read.columns);
                return Err(refused(file, &errors));
            }
            Err(e) => return Err(e.into()),
        };
        let out = at
            .commit_shipments(&system, &tenant, plan, &|k| progress.advance(k))
            .await?;
        created += out.created.len();
        skipped += out.skipped.len();
    }
    drop(progress);
    let counts = (created, skipped);
    let summary = Summary {
        file,
        imported: "shipments",
        tenant: &tenant.slug,
        start,
    };
    summary.say(app, narrator, counts, (n, "rows")).await
}

/// Copies a generated shipments file with the `picked_up_at` and `delivered_at` columns
/// emptied.
fn without_milestones(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut r = csv::Reader::from_path(from)?;
    let headers = r.headers()?.clone();
    let cols: Vec<usize> = ["picked_up_at", "delivered_at"]
        .iter()
        .map(|name| {
            headers
                .iter()
                .position(|h| h == *name)
                .with_context(|| format!("generated shipments have a {name} column"))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut w = csv::Writer::from_path(to)?;
    w.write_record(&headers)?;
    for rec in r.records() {
        let rec = rec?;
        let row: Vec<&str> = rec
            .iter()
            .enumerate()
            .map(|(i, v)| if cols.contains(&i) { "" } else { v })
            .collect();
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narrator::Quiet;
    use consign_core::time::SystemClock;
    use std::sync::Arc;

    async fn demo(dir: &Path, options: DemoOptions) -> DemoReady {
        demo_app(dir, options).await.0
    }

    async fn demo_app(dir: &Path, options: DemoOptions) -> (DemoReady, App) {
        let url = format!("sqlite://{}", dir.join("demo.db").display());
        let store = consign_store::open(&url).await.unwrap();
        let sinks = crate::sink::Sinks::start().await.unwrap();
        let app = App::new(store, Arc::new(SystemClock), dir.join("documents")).with_messaging(
            consign_app::messages::MessagingConfig {
                allow_private_targets: true,
                smtp_url: Some(sinks.smtp_url.clone()),
                ..Default::default()
            },
        );
        let ready = prepare(&app, &dir.join("generated"), options, &Quiet, Some(&sinks))
            .await
            .unwrap();
        (ready, app)
    }

    #[tokio::test]
    async fn the_same_options_give_the_same_demo() {
        let options = DemoOptions {
            orders: 300,
            seed: 7,
            now: "2026-10-01T14:03:27Z".parse().unwrap(),
        };
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (first, app) = demo_app(a.path(), options).await;
        let second = demo(b.path(), options).await;
        assert_eq!(first.summary, second.summary);
        assert_eq!(first.events, second.events);
        assert_eq!(
            (first.cases.opened, first.cases.resolved),
            (second.cases.opened, second.cases.resolved)
        );
        assert!(first.events > 1000 && first.cases.opened > 0, "{first:?}");
        // The client's endpoint got its events, every signature verifying; the customers
        // their notices.
        assert!(first.delivered.webhooks > 0, "{:?}", first.delivered);
        assert!(first.delivered.emails > 0, "{:?}", first.delivered);
        assert_eq!(first.delivered.bad_signatures, 0);
        assert_eq!(first.delivered.webhooks, second.delivered.webhooks);
        let banner = first.banner(
            Duration::from_secs(3),
            "sqlite://x/demo.db",
            "127.0.0.1:8080",
        );
        assert!(
            banner.contains("Demo ready in 3.0s: 300 orders"),
            "{banner}"
        );
        assert!(banner.contains("manager@northwind.demo"), "{banner}");
        assert!(
            banner.contains("--database-url sqlite://x/demo.db"),
            "{banner}"
        );
        assert!(banner.contains(&first.api_token), "{banner}");
        // The banner's counts are what the case list pages through, and its token opens the
        // API of this database.
        let as_token = app.principal_for_token(&first.api_token).await.unwrap();
        for (slug, total, open) in &first.held {
            let t = app.tenant_for(&as_token, slug).await.unwrap();
            let (mut listed, mut open_listed, mut after) = (0u64, 0u64, None);
            loop {
                let filter = consign_store::CaseFilter {
                    after,
                    limit: 200,
                    ..Default::default()
                };
                let page = app.list_cases(&as_token, &t, &filter).await.unwrap();
                listed += page.len() as u64;
                open_listed += page.iter().filter(|c| c.status.is_open()).count() as u64;
                match consign_store::next_cursor(&page, filter.limit, |c| c.id) {
                    Some(c) => after = Some(c.parse().unwrap()),
                    None => break,
                }
            }
            assert_eq!((listed, open_listed), (*total, *open), "{slug}");
        }
        assert!(
            first.held.iter().any(|(_, total, _)| *total > 0),
            "{:?}",
            first.held
        );
    }
}
