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
    Ingest {
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        #[arg(long, default_value_t = 100_000)]
        shipments: usize,
        /// Events per transaction for both the pipeline and the ceiling.
        #[arg(long, default_value_t = 5_000)]
        batch: usize,
        /// Single-event webhook requests sent at concurrency 64 (0 skips).
        #[arg(long, default_value_t = 50_000)]
        webhooks: usize,
        /// Rounds of --webhooks requests each; the median round is reported (identical rounds
        /// vary by a tenth or more on a shared VM). Each round sends new events.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=9))]
        webhook_rounds: u32,
        /// Active shipments for the sweep measurement, 1 % of them due (0 skips).
        #[arg(long, default_value_t = 1_000_000)]
        sweep_shipments: usize,
        #[command(flatten)]
        engines: Engines,
        /// Skip SQLite.
        #[arg(long, conflicts_with = "sqlite_only")]
        postgres_only: bool,
    },
    /// KPI scorecards (issue 19): a tenant with many shipments, their events and cases; the
    /// rollup built by the refresh worker; the scorecard and the all-tenant overview timed,
    /// against the naive full recomputation from every record. On a fresh SQLite file and,
    /// when reachable, a fresh PostgreSQL database; with --database-url, on that one only.
    #[command(
        after_help = "Example:\n  consign bench kpis --shipments 1000000 --events-per-shipment 10\n  consign bench kpis --shipments 20000 --rounds 5"
    )]
    Kpis {
        #[arg(long, default_value_t = 1_000_000)]
        shipments: usize,
        #[arg(long, default_value_t = 10)]
        events_per_shipment: usize,
        /// Days the shipments are spread over, ending now.
        #[arg(long, default_value_t = 60)]
        days: i64,
        /// Timed scorecards (and overviews); the median and the largest are reported.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        #[command(flatten)]
        engines: Engines,
    },
    /// The workspace pages (issue 20) over many open cases spread across tenants, served over
    /// HTTP to a signed-in supervisor: the queue across tenants and its filters, the home page
    /// and the case page, each page's server time (its `Server-Timing`). On a fresh SQLite
    /// file and, when reachable, a fresh PostgreSQL database; with --database-url, that one.
    #[command(after_help = "Example:\n  consign bench workspace --cases 100000 --tenants 10")]
    Workspace {
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
        tenants: u32,
        /// Requests per page; the median and the largest server time are reported.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        #[command(flatten)]
        engines: Engines,
    },
    /// The SLA timer sweep over many open cases on an office-hours calendar, a share of them
    /// due, on a fresh SQLite file and, when reachable, a fresh PostgreSQL database.
    #[command(after_help = "Example:\n  consign bench timers --cases 100000 --due-percent 1")]
    Timers {
        #[arg(long, default_value_t = 100_000)]
        cases: usize,
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        due_percent: u32,
        #[command(flatten)]
        engines: Engines,
    },
    /// The transactional outbox (issue 18): tracking ingest with and without a subscribed
    /// webhook endpoint (one status change per shipment, interleaved batch by batch), then
    /// delivery rounds into a local receiver answering 204 until the outbox is empty, with a
    /// breakdown of each round's claim, HTTP and record phases. On a fresh SQLite file and,
    /// when reachable, a fresh PostgreSQL database; with --database-url, on that one only.
    #[command(after_help = "Example:\n  consign bench outbox --shipments 20000 --batch 500")]
    Outbox {
        /// Shipments per run; each gets one status change, so as many messages.
        #[arg(long, default_value_t = 20_000)]
        shipments: usize,
        /// Events per ingest call (one transaction).
        #[arg(long, default_value_t = 500)]
        batch: usize,
        #[command(flatten)]
        engines: Engines,
    },
}

/// The engines a benchmark runs on, as every benchmark takes them.
#[derive(clap::Args)]
pub struct Engines {
    /// Server for the PostgreSQL run (a throwaway database is created on it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Skip PostgreSQL.
    #[arg(long)]
    sqlite_only: bool,
}

impl Engines {
    /// The PostgreSQL server to run on, unless skipped.
    fn postgres(self) -> Option<String> {
        (!self.sqlite_only).then_some(self.postgres_url)
    }
}

/// `database_url` is the global `--database-url`: given, the benchmark runs on that database
/// only.
pub async fn run(cmd: BenchCmd, database_url: Option<String>) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCmd::Kpis {
            shipments,
            events_per_shipment,
            days,
            rounds,
            engines,
        } => {
            kpis::kpis(kpis::KpiBench {
                shipments,
                events_per_shipment,
                days,
                rounds: rounds.max(1),
                postgres_url: engines.postgres(),
                database_url,
            })
            .await
        }
        BenchCmd::Workspace {
            cases,
            tenants,
            rounds,
            engines,
        } => {
            workspace::workspace(workspace::WorkspaceBench {
                cases,
                tenants: tenants as usize,
                rounds,
                postgres_url: engines.postgres(),
                database_url,
            })
            .await
        }
        BenchCmd::Timers {
            cases,
            due_percent,
            engines,
        } => timers::timers(cases, due_percent, engines.postgres(), database_url).await,
        BenchCmd::Outbox {
            shipments,
            batch,
            engines,
        } => {
            outbox::outbox(outbox::OutboxBench {
                shipments,
                batch,
                postgres_url: engines.postgres(),
                database_url,
            })
            .await
        }
        BenchCmd::Ingest {
            events,
            shipments,
            batch,
            webhooks,
            webhook_rounds,
            sweep_shipments,
            engines,
            postgres_only,
        } => {
            ingest::ingest(ingest::IngestBench {
                events,
                shipments,
                batch,
                webhooks,
                webhook_rounds: webhook_rounds as usize,
                sweep_shipments,
                postgres_url: engines.postgres(),
                postgres_only,
                database_url,
            })
            .await
        }
    }
}
