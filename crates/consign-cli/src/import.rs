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
use consign_core::access::Principal;
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
    let plans = consign_demo::plan::read_plans(file)?;
    consign_demo::setup::setup_tenants(app, &plans, &Terminal)
        .await
        .map_err(explained)
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
    let options = consign_demo::run::DemoOptions {
        orders,
        seed,
        now: jiff::Timestamp::now(),
    };
    let ready =
        consign_demo::run::prepare(&app, &cfg.data_dir.join("generated"), options, &Terminal)
            .await
            .map_err(explained)?;
    let banner = ready.banner(start.elapsed());
    if no_serve {
        println!("{banner}");
        return Ok(ExitCode::SUCCESS);
    }
    serve(&cfg, app, listen, Some(banner)).await?;
    Ok(ExitCode::SUCCESS)
}

/// The demo's narration on a terminal: lines on stdout, progress bars on stderr.
struct Terminal;

struct Bar(ProgressBar);

impl consign_demo::Narrator for Terminal {
    fn say(&self, line: &str) {
        println!("{line}");
    }
    fn progress(&self, what: &str, total: u64) -> Box<dyn consign_demo::Progress + '_> {
        Box::new(Bar(progress(total, what)))
    }
}

impl consign_demo::Progress for Bar {
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A use case's refusal reported from inside the demo, worded as the CLI words it elsewhere.
fn explained(e: anyhow::Error) -> anyhow::Error {
    match e.downcast::<consign_app::AppError>() {
        Ok(app) => explain(app),
        Err(e) => e,
    }
}
