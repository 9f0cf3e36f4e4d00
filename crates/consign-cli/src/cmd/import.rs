//! `consign import …`: read a whole file, validate every row, report every bad row (line,
//! column, reason) and commit nothing if any is bad; otherwise commit it in one transaction
//! with a progress bar on stderr. EDI files are received as a trading partner sent them, and a
//! generated `tenants.json` is set up through the demo crate that wrote it.

use crate::cmd::edi::{conclude, print_edi_report};
use crate::common::{Terminal, explain, explained, open_app, progress, report};
use crate::config::Config;
use anyhow::{Context, bail};
use clap::Subcommand;
use consign_app::App;
use consign_app::import::{self, FileRead, Format, Mapping, ReadFile, RowError};
use consign_app::orders::OnDuplicate;
use consign_core::access::Principal;
use consign_core::tenant::Tenant;
use consign_core::tracking::FeedCrosswalk;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Subcommand)]
pub enum ImportCmd {
    /// Import orders from CSV (one row per order line) or JSON lines.
    #[command(
        after_help = "Example:\n  consign import orders erp-export.csv --tenant northwind --mapping erp.toml"
    )]
    Orders(ImportArgs),
    /// Import shipments from CSV (one row per shipment) or JSON lines.
    #[command(
        after_help = "Example:\n  consign import shipments wms-shipments.csv --tenant northwind --mapping wms.toml"
    )]
    Shipments(ImportArgs),
    /// Receive an X12 file as a trading partner sent it (stored raw; accepted sets committed;
    /// re-importing the same interchange is a no-op).
    #[command(
        after_help = "Example:\n  consign import edi carrier-214.x12 --tenant northwind --ack-out 997.x12"
    )]
    Edi {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        ack_out: Option<PathBuf>,
    },
    /// Import tracking events from CSV (canonical columns; a `code` column is mapped with a
    /// per-feed crosswalk) or JSON lines (the API's event shape). Re-importing is a no-op.
    #[command(
        after_help = "Example:\n  consign import events odfl-status.csv --tenant northwind --codes crates/consign-core/crosswalks/feeds/ltl_terminal_codes.csv"
    )]
    Events {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
        /// csv or jsonl (default: from the file extension).
        #[arg(long)]
        format: Option<String>,
        /// Feed crosswalk (CSV: code,status,reason,description) for the `code` column.
        #[arg(long)]
        codes: Option<PathBuf>,
    },
    /// Create the tenants, carriers and warehouses of a `gen` tenants.json (existing ones are kept).
    #[command(after_help = "Example:\n  consign import setup /tmp/consign-gen/tenants.json")]
    Setup { file: PathBuf },
}

#[derive(clap::Args)]
pub struct ImportArgs {
    file: PathBuf,
    #[arg(long)]
    tenant: String,
    /// TOML mapping file: column → field, defaults, date format, time zone, delimiter, encoding.
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// csv or jsonl (default: from the file extension).
    #[arg(long)]
    format: Option<String>,
}

pub async fn run(cmd: ImportCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    let app = open_app(cfg).await?;
    match cmd {
        ImportCmd::Orders(args) => orders(&app, &args).await,
        ImportCmd::Shipments(args) => shipments(&app, &args).await,
        ImportCmd::Edi {
            file,
            tenant,
            ack_out,
        } => edi(&app, &file, &tenant, ack_out.as_deref()).await,
        ImportCmd::Events {
            file,
            tenant,
            format,
            codes,
        } => events(&app, &file, &tenant, format.as_deref(), codes.as_deref()).await,
        ImportCmd::Setup { file } => {
            setup(&app, &file).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
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

/// An import under way: who runs it, for which tenant, since when (for its rate), and what the
/// file yielded.
struct Opened<T> {
    start: Instant,
    system: Principal,
    tenant: Tenant,
    file: FileRead<T>,
}

/// Finds the tenant and reads the file with `read`, or gives the exit code once the file's
/// errors are reported. The raw bytes are dropped before the caller goes on.
async fn open<T>(
    app: &App,
    args: &ImportArgs,
    read: ReadFile<T>,
) -> anyhow::Result<Result<Opened<T>, ExitCode>> {
    let start = Instant::now();
    let system = Principal::system();
    let tenant = app
        .tenant_for(&system, &args.tenant)
        .await
        .map_err(explain)?;
    let (bytes, format, mapping) = load(args)?;
    Ok(match read(&bytes, format, mapping.as_ref()) {
        Ok(file) => Ok(Opened {
            start,
            system,
            tenant,
            file,
        }),
        Err(errs) => Err(report(&args.file, &errs)),
    })
}

impl<T> Opened<T> {
    /// Refreshes the planner's statistics and prints what was imported: `counts` are created
    /// and skipped, `rate` the number the rate is of and its unit.
    async fn done(
        &self,
        app: &App,
        args: &ImportArgs,
        imported: &str,
        (created, skipped): (usize, usize),
        (of, unit): (usize, &str),
    ) -> anyhow::Result<ExitCode> {
        // A bulk load leaves the planner's statistics behind; refresh them now rather than
        // whenever autovacuum gets there.
        app.tools().analyze().await?;
        let secs = self.start.elapsed().as_secs_f64();
        println!(
            "{}: imported {created} {imported} into {}, skipped {skipped} already present, in {secs:.1}s ({:.0} {unit}/s)",
            args.file.display(),
            self.tenant.slug,
            of as f64 / secs.max(1e-9)
        );
        Ok(ExitCode::SUCCESS)
    }
}

async fn orders(app: &App, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let opened = match open(app, args, import::read_orders).await? {
        Ok(opened) => opened,
        Err(code) => return Ok(code),
    };
    let file = &opened.file;
    let orders: Vec<_> = file.rows.iter().map(|r| r.order.clone()).collect();
    // Rows that parsed are validated even when others did not, so one run reports everything.
    let accepted = match app.validate_orders(orders) {
        Ok(a) if file.errors.is_empty() => a,
        Ok(_) => return Ok(report(&args.file, &file.errors)),
        Err(errs) => {
            let all = file.all_errors(import::order_errors(&file.rows, errs, &file.columns));
            return Ok(report(&args.file, &all));
        }
    };
    let lines: usize = accepted.iter().map(|o| o.lines.len()).sum();
    let pb = progress(accepted.len() as u64, "orders");
    let out = app
        .commit_orders(
            &opened.system,
            &opened.tenant,
            accepted,
            OnDuplicate::Skip,
            &|n| pb.inc(n),
        )
        .await
        .map_err(explain)?;
    pb.finish_and_clear();
    let what = format!("orders ({lines} lines)");
    let counts = (out.created.len(), out.skipped.len());
    opened
        .done(app, args, &what, counts, (file.rows.len(), "orders"))
        .await
}

async fn shipments(app: &App, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let opened = match open(app, args, import::read_shipments).await? {
        Ok(opened) => opened,
        Err(code) => return Ok(code),
    };
    let file = &opened.file;
    let rows = &file.rows;
    let n = rows.len() + file.errors.len();
    let items: Vec<_> = rows.iter().map(|r| r.shipment.clone()).collect();
    let plan = match app
        .plan_shipments(&opened.tenant, items, OnDuplicate::Skip, None)
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
        .commit_shipments(&opened.system, &opened.tenant, plan, &|k| pb.inc(k))
        .await
        .map_err(explain)?;
    pb.finish_and_clear();
    let counts = (out.created.len(), out.skipped.len());
    opened
        .done(app, args, "shipments", counts, (n, "rows"))
        .await
}

async fn events(
    app: &App,
    file: &Path,
    tenant: &str,
    format: Option<&str>,
    codes: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let system = Principal::system();
    let tenant = app.tenant_for(&system, tenant).await.map_err(explain)?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let format = match format {
        None => Format::from_path(file),
        Some("csv") => Format::Csv,
        Some("jsonl" | "ndjson") => Format::JsonLines,
        Some(other) => bail!("--format: unknown format '{other}'; expected csv or jsonl"),
    };
    let feed = match codes {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading feed crosswalk {}", p.display()))?;
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some(FeedCrosswalk::parse(&name, &text).map_err(|e| anyhow::anyhow!("{e}"))?)
        }
    };
    let items = match consign_app::events_file::read_events(&bytes, format, feed.as_ref()) {
        Ok(i) => i,
        Err(errs) => return Ok(report(file, &errs)),
    };
    let source = match &feed {
        Some(f) => format!("csv:{}", f.name.trim_end_matches(".csv")),
        None => "file".to_string(),
    };
    // Validate everything before committing anything.
    let labels: Vec<String> = items.iter().map(|(l, _)| l.clone()).collect();
    let events = match app.prepare_events(&system, &tenant, &source, items).await {
        Ok(e) => e,
        Err(consign_app::AppError::InvalidItems(bad)) => {
            let errs: Vec<RowError> = bad
                .into_iter()
                .flat_map(|(i, inv)| {
                    let line = labels[i]
                        .strip_prefix("line ")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    inv.errors.into_iter().map(move |f| RowError {
                        line,
                        field: f.field,
                        reason: f.reason,
                    })
                })
                .collect();
            return Ok(report(file, &errs));
        }
        Err(e) => return Err(explain(e)),
    };
    let n = events.len();
    let mut total = consign_app::tracking::IngestOutcome::default();
    // One transaction per 10,000 events keeps memory flat; every chunk is already validated.
    for chunk in events.chunks(consign_app::tracking::MAX_EVENTS_PER_REQUEST) {
        let o = app
            .commit_events(tenant.id, &system.actor.label(), chunk.to_vec())
            .await
            .map_err(explain)?;
        total.accepted += o.accepted;
        total.duplicates += o.duplicates;
        total.orphans += o.orphans;
        total.cases.opened += o.cases.opened;
        total.cases.resolved += o.cases.resolved;
        total.cases.detected_again += o.cases.detected_again;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}: {n} events into {}: {} applied, {} orphans, {} duplicates; cases opened {}, re-detected {}, resolved {}; {:.1}s ({:.0} events/s)",
        file.display(),
        tenant.slug,
        total.accepted,
        total.orphans,
        total.duplicates,
        total.cases.opened,
        total.cases.detected_again,
        total.cases.resolved,
        secs,
        n as f64 / secs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

async fn edi(
    app: &App,
    file: &Path,
    tenant: &str,
    ack_out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let system = Principal::system();
    let t = app.tenant_for(&system, tenant).await.map_err(explain)?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let report = app
        .receive_edi(&system, &t, &bytes)
        .await
        .map_err(explain)?;
    print_edi_report(&report);
    conclude(&report, ack_out)
}

/// Creates what a generated `tenants.json` describes; anything already there is left alone.
async fn setup(app: &App, file: &Path) -> anyhow::Result<()> {
    let plans = consign_demo::plan::read_plans(file)?;
    consign_demo::setup::setup_tenants(app, &plans, &Terminal)
        .await
        .map_err(explained)
}
