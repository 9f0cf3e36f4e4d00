//! The command line: one module per command group, each holding its clap definitions next to
//! the `run` that carries them out, so a command is read and changed in one place. Only the
//! top of the tree — the global options and the list of groups — lives here, beside the
//! dispatch that maps each group to its module: the two are the same list and change together.
//!
//! Each command loads the configuration, opens the configured store (migrating it) as an
//! `App`, and calls the same use cases the HTTP API calls, as the system actor.

mod audit;
mod bench;
mod carrier;
mod cases;
mod demo;
mod edi;
mod generate;
mod import;
mod kpis;
mod migrate;
mod openapi;
mod outbox;
mod report;
mod rules;
mod serve;
mod shipments;
mod sweep;
mod tenant;
mod token;
mod user;

use crate::common::init_logging;
use crate::config::{self, Overrides};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "consign", version, about = "Consign: the open-source logistics back office", long_about = None)]
pub struct Cli {
    /// Configuration file (default: ./consign.toml when present).
    #[arg(long, global = true, env = "CONSIGN_CONFIG")]
    pub config: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`; overrides the configuration.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Folder for documents and the default SQLite database.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API and dashboard.
    #[command(
        after_help = "Example:\n  consign serve --listen 0.0.0.0:8080 --database-url postgres://consign@db/consign"
    )]
    Serve(serve::ServeArgs),
    /// Create or upgrade the database schema (serve and every command also do this on start).
    #[command(
        after_help = "Example:\n  consign migrate --database-url postgres://consign@db/consign"
    )]
    Migrate,
    /// Manage tenants (client accounts).
    #[command(subcommand)]
    Tenant(tenant::TenantCmd),
    /// Manage carriers of a tenant.
    #[command(subcommand)]
    Carrier(carrier::CarrierCmd),
    /// Manage users.
    #[command(subcommand)]
    User(user::UserCmd),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(token::TokenCmd),
    /// Import orders, shipments or a generated tenant setup from files.
    #[command(subcommand)]
    Import(import::ImportCmd),
    /// Generate deterministic synthetic data as files that `import` reads.
    #[command(
        after_help = "Example:\n  consign gen --seed 7 --orders 100000 --out /tmp/consign-gen"
    )]
    Gen(generate::GenArgs),
    /// Start a demo: a fresh SQLite database with realistic data, then serve it.
    #[command(after_help = "Example:\n  consign demo --orders 20000 --listen 127.0.0.1:8080")]
    Demo(demo::DemoArgs),
    /// EDI X12 tools: check a file without a database, manage trading partners.
    #[command(subcommand)]
    Edi(edi::EdiCmd),
    /// Audit trail tools.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Judge every shipment whose next check has come (time-based rules). `serve` does this
    /// every minute; `--at` runs one sweep as of a given instant, for deterministic runs.
    #[command(after_help = "Example:\n  consign sweep --at 2026-11-20T18:00:00Z")]
    Sweep(sweep::SweepArgs),
    /// Cases: the queue, a case's timeline, opening by hand, actions as a user, SLA timers,
    /// teams and case settings.
    #[command(subcommand)]
    Cases(cases::CasesCmd),
    /// Shipments: a shipment's tracking, and manual overrides of its status or promise.
    #[command(subcommand)]
    Shipments(shipments::ShipmentsCmd),
    /// The outbox: messages and their delivery, dead letters retried by hand.
    #[command(subcommand)]
    Outbox(outbox::OutboxCmd),
    /// Reports: case KPIs for a period.
    #[command(subcommand)]
    Report(report::ReportCmd),
    #[command(subcommand)]
    Kpis(kpis::KpisCmd),
    /// Exception rulebooks: check, store per tenant, replay over recorded events.
    #[command(subcommand)]
    Rules(rules::RulesCmd),
    /// Benchmarks that print figures (never run as timed tests).
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// Write the OpenAPI document (to stdout, or --out FILE).
    #[command(after_help = "Example:\n  consign export-openapi --out openapi.json")]
    ExportOpenapi(openapi::ExportArgs),
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let listen = match &cli.command {
        Command::Serve(args) => args.listen.clone(),
        _ => None,
    };
    let cfg = config::load(
        cli.config.as_ref(),
        Overrides {
            database_url: cli.database_url.clone(),
            data_dir: cli.data_dir.clone(),
            listen,
        },
    )?;
    init_logging(&cfg);
    // Commands that work on an existing database say so when there is none: SQLite would
    // otherwise create an empty one silently (a token made there opens nothing).
    if !matches!(
        cli.command,
        Command::Demo(_) | Command::Gen(_) | Command::Bench(_) | Command::ExportOpenapi(_)
    ) {
        crate::common::note_new_database(&cfg);
    }
    match cli.command {
        Command::Serve(_) => serve::run(&cfg).await,
        Command::Migrate => migrate::run(&cfg).await,
        Command::Tenant(cmd) => tenant::run(cmd, &cfg).await,
        Command::Carrier(cmd) => carrier::run(cmd, &cfg).await,
        Command::User(cmd) => user::run(cmd, &cfg).await,
        Command::Token(cmd) => token::run(cmd, &cfg).await,
        Command::Import(cmd) => import::run(cmd, &cfg).await,
        Command::Gen(args) => generate::run(args),
        Command::Demo(args) => demo::run(args, cfg).await,
        Command::Edi(cmd) => edi::run(cmd, &cfg).await,
        Command::Audit(cmd) => audit::run(cmd, &cfg).await,
        Command::Sweep(args) => sweep::run(args, &cfg).await,
        Command::Rules(cmd) => rules::run(cmd, &cfg).await,
        Command::Cases(cmd) => cases::run(cmd, &cfg).await,
        Command::Shipments(cmd) => shipments::run(cmd, &cfg).await,
        Command::Outbox(cmd) => outbox::run(cmd, &cfg).await,
        Command::Report(cmd) => report::run(cmd, &cfg).await,
        Command::Kpis(cmd) => kpis::run(cmd, &cfg).await,
        Command::Bench(cmd) => bench::run(cmd, cli.database_url).await,
        Command::ExportOpenapi(args) => openapi::run(args),
    }
}
