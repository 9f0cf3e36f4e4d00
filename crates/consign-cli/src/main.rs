//! `consign`: the one binary. Runs the server, the demo, imports, the data generator,
//! administration commands and audit verification.

mod bench;
mod commands;
mod config;
mod import;
mod tracking;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

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
    Serve {
        #[arg(long)]
        listen: Option<String>,
    },
    /// Create or upgrade the database schema (serve and every command also do this on start).
    #[command(
        after_help = "Example:\n  consign migrate --database-url postgres://consign@db/consign"
    )]
    Migrate,
    /// Manage tenants (client accounts).
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Manage carriers of a tenant.
    #[command(subcommand)]
    Carrier(CarrierCmd),
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Import orders, shipments or a generated tenant setup from files.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Generate deterministic synthetic data as files that `import` reads.
    #[command(
        after_help = "Example:\n  consign gen --seed 7 --orders 100000 --out /tmp/consign-gen"
    )]
    Gen {
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 20_000)]
        orders: usize,
        /// Spread orders over this many days before now.
        #[arg(long, default_value_t = 60)]
        days: i64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Start a demo: a fresh SQLite database with realistic data, then serve it.
    #[command(after_help = "Example:\n  consign demo --orders 20000 --listen 127.0.0.1:8080")]
    Demo {
        #[arg(long, default_value_t = 20_000)]
        orders: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Prepare the data, print the login, and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// EDI X12 tools: check a file without a database, manage trading partners.
    #[command(subcommand)]
    Edi(EdiCmd),
    /// Audit trail tools.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Judge every shipment whose next check has come (time-based rules). `serve` does this
    /// every minute; `--at` runs one sweep as of a given instant, for deterministic runs.
    #[command(after_help = "Example:\n  consign sweep --at 2026-11-20T18:00:00Z")]
    Sweep {
        /// RFC 3339 instant or date; default now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Exception rulebooks: check, store per tenant, replay over recorded events.
    #[command(subcommand)]
    Rules(RulesCmd),
    /// Benchmarks that print figures (never run as timed tests).
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Write the OpenAPI document (to stdout, or --out FILE).
    #[command(after_help = "Example:\n  consign export-openapi --out openapi.json")]
    ExportOpenapi {
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum TenantCmd {
    /// Add a tenant.
    #[command(
        after_help = "Example:\n  consign tenant add northwind --name \"Northwind Outdoor\" --time-zone America/Chicago"
    )]
    Add {
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "UTC")]
        time_zone: String,
    },
    /// List tenants.
    List,
}

#[derive(Subcommand)]
pub enum CarrierCmd {
    /// Add a carrier to a tenant.
    #[command(
        after_help = "Example:\n  consign carrier add --tenant northwind --name \"Old Dominion\" --scac ODFL --mode ltl"
    )]
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        scac: Option<String>,
        #[arg(long)]
        mode: String,
    },
}

#[derive(Subcommand)]
pub enum UserCmd {
    /// Add a user; prints a generated password unless --password is given.
    #[command(
        after_help = "Example:\n  consign user add ana@example.com --name \"Ana Ruiz\" --role agent --tenant northwind --tenant acme-industrial"
    )]
    Add {
        email: String,
        #[arg(long)]
        name: String,
        /// admin, supervisor, agent, client_manager, client_viewer, carrier, warehouse
        #[arg(long)]
        role: String,
        /// Granted (provider staff) or own (client, carrier, warehouse) tenant; repeatable.
        #[arg(long = "tenant")]
        tenants: Vec<String>,
        /// Carrier users: SCAC or name of their carrier.
        #[arg(long)]
        carrier: Option<String>,
        #[arg(long, env = "CONSIGN_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TokenCmd {
    /// Create an API token and print it once.
    #[command(
        after_help = "Example:\n  consign token create --role integration --tenant northwind --name wms --scope orders:write --scope shipments:write --expires-in-days 90"
    )]
    Create {
        #[arg(long)]
        role: String,
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        carrier: Option<String>,
        /// Narrow the role (repeatable): orders:read, orders:write, shipments:read, …
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// The token stops working this many days from now (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
    },
}

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
    pub file: PathBuf,
    #[arg(long)]
    pub tenant: String,
    /// TOML mapping file: column → field, defaults, date format, time zone, delimiter, encoding.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// csv or jsonl (default: from the file extension).
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Subcommand)]
pub enum EdiCmd {
    /// Read an X12 file with no database: print per interchange, group and set what would be
    /// accepted, and the 997 (or 999, or TA1) we would answer with; exit 1 when anything is
    /// rejected or nothing could be read.
    #[command(
        after_help = "Example:\n  consign edi check partner-sample.x12 --lenient --ack-out ack.x12 --acknowledgement 999"
    )]
    Check {
        file: PathBuf,
        /// Accept envelope faults (counts, control numbers, unpadded ISA) with a warning.
        #[arg(long)]
        lenient: bool,
        /// Write the 997s or 999s (and TA1s) to this file.
        #[arg(long)]
        ack_out: Option<PathBuf>,
        /// Answer 005010 groups with a 999 (005010X231A1) instead of a 997.
        #[arg(long, default_value = "997", value_parser = ["997", "999"])]
        acknowledgement: String,
        /// Print the full report as JSON (typed content of every set included).
        #[arg(long)]
        json: bool,
    },
    /// Manage trading partners.
    #[command(subcommand)]
    Partner(PartnerCmd),
}

// Parsed once per run; the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum PartnerCmd {
    /// Add a trading partner: the ISA sender ids it uses, and the carrier or warehouse it is.
    #[command(
        after_help = "Example:\n  consign edi partner add --tenant northwind --name \"ODFL EDI\" --isa-qualifier 02 --isa-id ODFL --our-isa-id NORTHWIND --kind carrier --carrier ODFL --lenient --acknowledgement 999"
    )]
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        isa_qualifier: String,
        #[arg(long)]
        isa_id: String,
        #[arg(long, default_value = "ZZ")]
        our_isa_qualifier: String,
        #[arg(long)]
        our_isa_id: String,
        /// carrier or warehouse
        #[arg(long)]
        kind: String,
        #[arg(long)]
        carrier: Option<String>,
        #[arg(long)]
        warehouse: Option<String>,
        #[arg(long)]
        lenient: bool,
        #[arg(long)]
        allow_partial: bool,
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// What the partner's 005010 groups are answered with: 997 or 999 (005010X231A1).
        #[arg(long, default_value = "997", value_parser = ["997", "999"])]
        acknowledgement: String,
    },
    /// List a tenant's trading partners.
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
pub enum RulesCmd {
    /// Check a rulebook file without a database; exits 1 with every problem when invalid.
    #[command(after_help = "Example:\n  consign rules check my-rules.toml")]
    Check { file: PathBuf },
    /// Store a rulebook as the tenant's new version (checked first; refused when invalid).
    #[command(after_help = "Example:\n  consign rules set --tenant northwind my-rules.toml")]
    Set {
        #[arg(long)]
        tenant: String,
        file: PathBuf,
    },
    /// Print the rulebook in force for a tenant (version 0 is the shipped default).
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Run a rulebook over recorded events on a simulated clock and compare, per case type,
    /// the cases it would have opened with those that were opened. Writes nothing.
    #[command(
        after_help = "Example:\n  consign rules replay --rulebook stricter.toml --from 2026-10-01 --to 2026-11-01 --tenant northwind"
    )]
    Replay {
        /// Default: each tenant's rulebook in force.
        #[arg(long)]
        rulebook: Option<PathBuf>,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        tenant: Option<String>,
    },
}

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
        /// Server for the PostgreSQL run (a throwaway database is created on it).
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        postgres_url: String,
        /// Skip PostgreSQL.
        #[arg(long, conflicts_with = "postgres_only")]
        sqlite_only: bool,
        /// Skip SQLite.
        #[arg(long)]
        postgres_only: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Check every audit chain; names the first broken record and exits non-zero.
    #[command(
        after_help = "Example:\n  consign audit verify --database-url sqlite://consign-data/consign.db"
    )]
    Verify,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
