//! `consign import …` and `consign demo`: read a whole file, validate every row, report every
//! bad row (line, column, reason) and commit nothing if any is bad; otherwise commit it in one
//! transaction with a progress bar on stderr.

use crate::ImportArgs;
use crate::commands::{explain, open_app, serve};
use crate::config::Config;
use anyhow::{Context, bail};
use consign_app::App;
use consign_app::import::{self, Format, Mapping, RowError};
use consign_app::orders::OnDuplicate;
use consign_app::synth::TenantPlan;
use consign_core::access::{Principal, Role};
use consign_core::party::{Mode, NewCarrier, NewWarehouse};
use consign_core::tenant::NewTenant;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// How many row errors are printed before the rest are only counted.
const MAX_PRINTED: usize = 200;

fn report(file: &Path, errors: &[RowError]) -> ExitCode {
    eprintln!(
        "{}: {} problem(s); nothing was imported",
        file.display(),
        errors.len()
    );
    for e in errors.iter().take(MAX_PRINTED) {
        eprintln!("  {e}");
    }
    if errors.len() > MAX_PRINTED {
        eprintln!("  … and {} more", errors.len() - MAX_PRINTED);
    }
    ExitCode::FAILURE
}

fn progress(total: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

fn load(args: &ImportArgs) -> anyhow::Result<(Vec<u8>, Format, Option<Mapping>)> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let format = match args.format.as_deref() {
        None => Format::from_path(&args.file),
        Some("csv") => Format::Csv,
        Some("jsonl" | "ndjson") => Format::JsonLines,
        Some(other) => bail!("--format: unknown format '{other}'; expected csv or jsonl"),
    };
    let mapping = match &args.mapping {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading mapping file {}", p.display()))?;
            match Mapping::parse(&text) {
                Ok(m) => Some(m),
                Err(errs) => bail!(
                    "mapping file {}: {}",
                    p.display(),
                    errs.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            }
        }
    };
    if mapping.is_some() && format != Format::Csv {
        bail!("--mapping applies to CSV files only");
    }
    Ok((bytes, format, mapping))
}

pub async fn orders(app: &App, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let system = Principal::system();
    let tenant = app
        .tenant_for(&system, &args.tenant)
        .await
        .map_err(explain)?;
    let (bytes, format, mapping) = load(args)?;
    let file = match import::read_orders(&bytes, format, mapping.as_ref()) {
        Ok(r) => r,
        Err(errs) => return Ok(report(&args.file, &errs)),
    };
    drop(bytes);
    let rows = &file.rows;
    let orders: Vec<_> = rows.iter().map(|r| r.order.clone()).collect();
    // Rows that parsed are validated even when others did not, so one run reports everything.
    let accepted = match app.validate_orders(orders) {
        Ok(a) if file.errors.is_empty() => a,
        Ok(_) => return Ok(report(&args.file, &file.errors)),
        Err(errs) => {
            let all = file.all_errors(import::order_errors(rows, errs, &file.columns));
            return Ok(report(&args.file, &all));
        }
    };
    let lines: usize = accepted.iter().map(|o| o.lines.len()).sum();
    let pb = progress(accepted.len() as u64, "orders");
    let out = app
        .commit_orders(&system, &tenant, accepted, OnDuplicate::Skip, &|n| {
            pb.inc(n)
        })
        .await
        .map_err(explain)?;
    pb.finish_and_clear();
    // A bulk load leaves the planner's statistics behind; refresh them now rather than
    // whenever autovacuum gets there.
    app.store.analyze().await?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}: imported {} orders ({} lines) into {}, skipped {} already present, in {:.1}s ({:.0} orders/s)",
        args.file.display(),
        out.created.len(),
        lines,
        tenant.slug,
        out.skipped.len(),
        secs,
        file.rows.len() as f64 / secs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn shipments(app: &App, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let system = Principal::system();
    let tenant = app
        .tenant_for(&system, &args.tenant)
        .await
        .map_err(explain)?;
    let (bytes, format, mapping) = load(args)?;
    let file = match import::read_shipments(&bytes, format, mapping.as_ref()) {
        Ok(r) => r,
        Err(errs) => return Ok(report(&args.file, &errs)),
    };
    drop(bytes);
    let rows = &file.rows;
    let n = rows.len() + file.errors.len();
    let items: Vec<_> = rows.iter().map(|r| r.shipment.clone()).collect();
    let plan = match app
        .plan_shipments(&tenant, items, OnDuplicate::Skip, None)
        .await
    {
        Ok(p) if file.errors.is_empty() => p,
        Ok(_) => return Ok(report(&args.file, &file.errors)),
        Err(consign_app::AppError::InvalidItems(errs)) => {
            let all = file.all_errors(import::shipment_errors(rows, errs, &file.columns));
            return Ok(report(&args.file, &all));
        }
        Err(e) => return Err(explain(e)),
    };
    let pb = progress(plan.shipments.len() as u64, "shipments");
    let out = app
        .commit_shipments(&system, &tenant, plan, &|k| pb.inc(k))
        .await
        .map_err(explain)?;
    pb.finish_and_clear();
    app.store.analyze().await?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}: imported {} shipments into {}, skipped {} already present, in {:.1}s ({:.0} rows/s)",
        args.file.display(),
        out.created.len(),
        tenant.slug,
        out.skipped.len(),
        secs,
        n as f64 / secs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

/// Creates what a generated `tenants.json` describes; anything already there is left alone.
pub async fn setup(app: &App, file: &Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let plans: Vec<TenantPlan> = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a tenants.json", file.display()))?;
    let system = Principal::system();
    for p in plans {
        let tenant = match app.store.tenant_by_slug(&p.slug).await? {
            Some(t) => t,
            None => app
                .create_tenant(
                    &system,
                    NewTenant {
                        slug: p.slug.clone(),
                        name: p.name.clone(),
                        time_zone: p.time_zone.clone(),
                    },
                )
                .await
                .map_err(explain)?,
        };
        let carriers = app.store.carriers(tenant.id).await?;
        for c in &p.carriers {
            if !carriers
                .iter()
                .any(|x| x.scac.as_deref() == Some(c.scac.as_str()))
            {
                let mode = Mode::parse(&c.mode).map_err(anyhow::Error::msg)?;
                app.create_carrier(
                    &system,
                    &tenant,
                    NewCarrier {
                        name: c.name.clone(),
                        scac: Some(c.scac.clone()),
                        mode,
                    },
                )
                .await
                .map_err(explain)?;
            }
        }
        let warehouses = app.store.warehouses(tenant.id).await?;
        for w in &p.warehouses {
            if !warehouses.iter().any(|x| x.code == w.code) {
                app.create_warehouse(
                    &system,
                    &tenant,
                    NewWarehouse {
                        code: w.code.clone(),
                        name: w.name.clone(),
                        time_zone: w.time_zone.clone(),
                    },
                )
                .await
                .map_err(explain)?;
            }
        }
        println!(
            "tenant {} ready: {} carriers, {} warehouses",
            tenant.slug,
            p.carriers.len(),
            p.warehouses.len()
        );
    }
    Ok(())
}

/// A fresh demo database with realistic data, an administrator and a client login, then serve.
pub async fn demo(
    mut cfg: Config,
    orders: usize,
    seed: u64,
    listen: &str,
    no_serve: bool,
) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    // The demo always starts from a fresh SQLite file so it is the same for everyone.
    if !cfg.database_url.starts_with("sqlite:") {
        bail!("the demo runs on embedded SQLite; use `serve` for PostgreSQL");
    }
    if cfg.data_dir == Path::new("consign-data") {
        cfg.data_dir = "consign-demo".into();
    }
    let db = cfg.data_dir.join("demo.db");
    for suffix in ["", "-wal", "-shm"] {
        let p = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            std::fs::remove_file(&p)
                .with_context(|| format!("removing the previous demo database {}", p.display()))?;
        }
    }
    cfg.database_url = format!("sqlite://{}", db.display());
    let app = open_app(&cfg).await?;
    let gen_dir = cfg.data_dir.join("generated");
    let now = jiff::Timestamp::now();
    println!("generating {orders} orders over the last 60 days (seed {seed})…");
    let summary = consign_app::synth::generate(
        &consign_app::synth::GenConfig {
            seed,
            orders,
            days: 60,
            now,
        },
        &gen_dir,
    )?;
    setup(&app, &gen_dir.join("tenants.json")).await?;
    // The carriers' feeds are generated from the shipments' milestones; the shipments are then
    // imported without their pickup and delivery times, so both come from the feed as it is
    // replayed: a pickup that slips shows as a late-pickup case until the scan arrives, and a
    // shipment is not delivered (which would make every earlier hold or delay moot) before
    // its delivery scan.
    let feeds = consign_app::synth_events::generate_events(&gen_dir, &summary.tenants, seed, now)?;
    for t in &summary.tenants {
        without_milestones(
            &gen_dir.join(&t.slug).join("shipments.csv"),
            &gen_dir.join(&t.slug).join("shipments-planned.csv"),
        )?;
    }
    for t in &summary.tenants {
        for (kind, file) in [
            ("orders", "orders.csv"),
            ("shipments", "shipments-planned.csv"),
        ] {
            let args = ImportArgs {
                file: gen_dir.join(&t.slug).join(file),
                tenant: t.slug.clone(),
                mapping: None,
                format: None,
            };
            let code = if kind == "orders" {
                orders_quiet(&app, &args).await?
            } else {
                shipments(&app, &args).await?
            };
            if code != ExitCode::SUCCESS {
                bail!("the generated {kind} of {} did not import", t.slug);
            }
        }
    }
    // Carriers' event streams arrive day by day on a simulated clock, with the rule sweep at
    // the end of each day, so cases open (and resolve) when they would have.
    let mut events = 0;
    let mut cases = consign_app::tracking::CaseChanges::default();
    for (slug, feed) in feeds {
        println!(
            "replaying {} tracking events and {} POD uploads of {slug}…",
            feed.events.len(),
            feed.pods.len()
        );
        let (n, c) = crate::tracking::replay_history(&app, &slug, feed, now).await?;
        events += n;
        cases.opened += c.opened;
        cases.resolved += c.resolved;
    }
    let system = Principal::system();
    let password = consign_app::auth::generate_password();
    let admin = consign_app::admin::NewUser {
        email: "admin@consign.demo".into(),
        name: "Demo Administrator".into(),
        role: Role::Admin,
        tenants: vec![],
        carrier: None,
        password: Some(password.clone()),
    };
    app.create_user(&system, admin).await.map_err(explain)?;
    let first = &summary.tenants[0].slug;
    let client = consign_app::admin::NewUser {
        email: format!("manager@{first}.demo"),
        name: "Client Manager".into(),
        role: Role::ClientManager,
        tenants: vec![first.clone()],
        carrier: None,
        password: Some(password.clone()),
    };
    app.create_user(&system, client).await.map_err(explain)?;
    let banner = format!(
        "\nDemo ready in {:.1}s: {} orders, {} shipments, {events} tracking events, {} tenants; {} exception cases opened, {} auto-resolved.\n  administrator: admin@consign.demo / {password}\n  client manager ({first} only): manager@{first}.demo / {password}",
        start.elapsed().as_secs_f64(),
        summary.orders,
        summary.shipments,
        summary.tenants.len(),
        cases.opened,
        cases.resolved
    );
    if no_serve {
        println!("{banner}");
        return Ok(ExitCode::SUCCESS);
    }
    serve(&cfg, app, listen, Some(banner)).await?;
    Ok(ExitCode::SUCCESS)
}

async fn orders_quiet(app: &App, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    orders(app, args).await
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
