//! `consign bench …`: benchmarks that print figures; nothing here asserts a time. One module
//! per benchmark.

mod engines;
mod fixtures;
mod ingest;
mod kpis;
mod outbox;
mod timers;
mod workspace;

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum BenchCmd {
    /// Durable end-to-end tracking ingest (parse, dedup, state, rules, cases, commit) against
    /// the engine's own ceiling (a plain batched insert of the same rows, same dedup index),
    /// single-event webhooks at concurrency 64, and a sweep where 1 % of shipments are due.
    /// Runs on a fresh SQLite file and, when reachable, a fresh PostgreSQL database; with
    /// --database-url, on that database only.
    #[command(
        after_help = "Example:\n  consign bench ingest --events 1000000 --shipments 100000\n  consign bench ingest --events 20000 --shipments 2000 --sweep-shipments 20000 --webhooks 2000"
    )]
    Ingest(ingest::IngestBench),
    /// KPI scorecards (issue 19): a tenant with many shipments, their events and cases; the
    /// rollup built by the refresh worker; the scorecard and the all-tenant overview timed,
    /// against the naive full recomputation from every record. On a fresh SQLite file and,
    /// when reachable, a fresh PostgreSQL database; with --database-url, on that one only.
    #[command(
        after_help = "Example:\n  consign bench kpis --shipments 1000000 --events-per-shipment 10\n  consign bench kpis --shipments 20000 --rounds 5"
    )]
    Kpis(kpis::KpiBench),
    /// The workspace pages (issue 20) over many open cases spread across tenants, served over
    /// HTTP to a signed-in supervisor: the queue across tenants and its filters, the home page
    /// and the case page, each page's server time (its `Server-Timing`). On a fresh SQLite
    /// file and, when reachable, a fresh PostgreSQL database; with --database-url, that one.
    #[command(after_help = "Example:\n  consign bench workspace --cases 100000 --tenants 10")]
    Workspace(workspace::WorkspaceBench),
    /// The SLA timer sweep over many open cases on an office-hours calendar, a share of them
    /// due, on a fresh SQLite file and, when reachable, a fresh PostgreSQL database.
    #[command(after_help = "Example:\n  consign bench timers --cases 100000 --due-percent 1")]
    Timers(timers::TimersBench),
    /// The transactional outbox (issue 18): tracking ingest with and without a subscribed
    /// webhook endpoint (one status change per shipment, interleaved batch by batch), then
    /// delivery rounds into a local receiver answering 204 until the outbox is empty, with a
    /// breakdown of each round's claim, HTTP and record phases. On a fresh SQLite file and,
    /// when reachable, a fresh PostgreSQL database; with --database-url, on that one only.
    #[command(after_help = "Example:\n  consign bench outbox --shipments 20000 --batch 500")]
    Outbox(outbox::OutboxBench),
}

/// The engines a benchmark runs on, as every benchmark takes them (flattened into its
/// arguments); the global `--database-url`, given, overrides both with that one database.
#[derive(clap::Args)]
pub struct Engines {
    /// Server for the PostgreSQL run (a throwaway database is created on it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Skip PostgreSQL.
    #[arg(long)]
    sqlite_only: bool,
    /// Skip SQLite.
    #[arg(long, conflicts_with = "sqlite_only")]
    postgres_only: bool,
}

pub async fn run(cmd: BenchCmd, database_url: Option<String>) -> anyhow::Result<ExitCode> {
    let db = database_url.as_deref();
    match cmd {
        BenchCmd::Ingest(b) => ingest::ingest(b, db).await,
        BenchCmd::Kpis(b) => kpis::kpis(b, db).await,
        BenchCmd::Workspace(b) => workspace::workspace(b, db).await,
        BenchCmd::Timers(b) => timers::timers(b, db).await,
        BenchCmd::Outbox(b) => outbox::outbox(b, db).await,
    }
}
