//! What several commands share: logging, opening the configured store as an `App`, the
//! wording of use-case refusals and of a file's bad rows, progress bars, and the terminal the
//! demo narrates to.

use crate::config::Config;
use anyhow::{Context, bail};
use consign_app::App;
use consign_app::import::RowError;
use consign_core::access::Role;
use consign_core::time::SystemClock;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

pub fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CONSIGN_LOG")
        // sqlx's slow-statement warnings print whole multi-row statements (thousands of
        // placeholders); statement errors still surface through our own error handling.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=error"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if cfg.log_format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub async fn open_app(cfg: &Config) -> anyhow::Result<App> {
    let store = consign_store::open(&cfg.database_url)
        .await
        .with_context(|| format!("opening the database {}", redact(&cfg.database_url)))?;
    let mut app = App::new(store, Arc::new(SystemClock), cfg.data_dir.join("documents"));
    if let Some(url) = &cfg.read_database_url {
        let replica = consign_store::open_replica(url)
            .await
            .with_context(|| format!("opening the read replica {}", redact(url)))?;
        app = app.with_read_replica(replica);
    }
    app.idempotency_lease = std::time::Duration::from_secs(cfg.idempotency_lease_secs);
    let app = app.with_messaging(consign_app::messages::MessagingConfig {
        allow_private_targets: cfg.webhooks_allow_private,
        retry: consign_core::message::outbox::RetrySchedule {
            delays_secs: cfg.outbox_retry_secs.clone(),
        },
        attempt_timeout: std::time::Duration::from_secs(cfg.outbox_timeout_secs),
        smtp_url: cfg.smtp_url.clone(),
        email_from: cfg.email_from.clone(),
        lease: std::time::Duration::from_secs(cfg.outbox_lease_secs),
        ..Default::default()
    });
    Ok(app)
}

/// Tells on stderr that the SQLite database `cfg` names does not exist yet and is about to
/// be created, naming the demo's database when there is one nearby.
pub fn note_new_database(cfg: &Config) {
    let Some(path) = cfg
        .database_url
        .strip_prefix("sqlite://")
        .or_else(|| cfg.database_url.strip_prefix("sqlite:"))
    else {
        return;
    };
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path == ":memory:" || std::path::Path::new(path).exists() {
        return;
    }
    eprintln!("note: {path} does not exist yet; creating a new, empty database there");
    let demo = std::path::Path::new("consign-demo/demo.db");
    if demo.exists() {
        eprintln!(
            "note: the demo's database is {}; to work on it, pass --database-url sqlite://{}",
            demo.display(),
            demo.display()
        );
    }
}

/// Database URLs can carry passwords; never print them.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// Turns a use-case error into a message naming every field problem.
pub fn explain(e: consign_app::AppError) -> anyhow::Error {
    use consign_app::AppError;
    match e {
        AppError::Invalid(inv) => anyhow::anyhow!("invalid input:\n{}", lines(&inv.errors)),
        AppError::Conflict { message, .. } => anyhow::anyhow!("conflict: {message}"),
        other => anyhow::anyhow!("{other}"),
    }
}

fn lines(errs: &[consign_core::FieldError]) -> String {
    errs.iter()
        .map(|e| format!("  {}: {}", e.field, e.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A use case's refusal reported from inside the demo crate, worded as the CLI words it
/// everywhere else.
pub fn explained(e: anyhow::Error) -> anyhow::Error {
    match e.downcast::<consign_app::AppError>() {
        Ok(app) => explain(app),
        Err(e) => e,
    }
}

pub fn parse_role(s: &str) -> anyhow::Result<Role> {
    s.parse::<Role>()
        .map_err(|e| anyhow::anyhow!("--role: {e}"))
}

/// Parses an instant (`2026-11-20T14:00:00Z`) or a date (midnight UTC).
pub fn parse_instant(what: &str, s: &str) -> anyhow::Result<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return Ok(d.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp());
    }
    bail!("{what}: '{s}' is not an RFC 3339 instant (2026-11-20T14:00:00Z) or a date (2026-11-20)")
}

/// How many row errors are printed before the rest are only counted.
const MAX_PRINTED: usize = 200;

/// Prints every bad row of a refused file (up to [`MAX_PRINTED`]) on stderr.
pub fn report(file: &Path, errors: &[RowError]) -> ExitCode {
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

/// A progress bar on stderr (indicatif hides it when stderr is not a terminal).
pub fn progress(total: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// The demo crate's narration on a terminal: lines on stdout, progress bars on stderr.
pub struct Terminal;

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
