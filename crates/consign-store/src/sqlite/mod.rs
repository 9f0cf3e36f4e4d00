//! The embedded SQLite store: WAL journal, durable commits (a commit is on disk before it is
//! acknowledged; group commits keep that affordable), foreign keys on, a busy timeout, and a
//! single writer connection so write transactions queue in-process rather than contend for
//! the file lock; reads use their own small pool and never block on the writer. The file is
//! read through a memory map, and a background task checkpoints the WAL so the writer rarely
//! has to.
//!
//! Durability: a commit counts as done once Consign has synced the WAL itself
//! (`durability.rs`, which also holds the background checkpointer).

mod dialect;
mod durability;

pub use durability::{WAL_REWIND_FRAMES, WalFigures};

use crate::migrate::{CREATE_TABLE, SQLITE};
use crate::sql::SqlStore;
use crate::{Result, StoreError};
use durability::{WalSyncer, checkpoint_in_background};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// The SQLite store: the shared SQL (`crate::sql`) on SQLite's pools, with its WAL syncer.
pub type SqliteStore = SqlStore<sqlx::Sqlite>;

impl SqliteStore {
    /// Opens (creating if missing) and migrates the database at `url` (`sqlite://path` or a
    /// plain path).
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_rewinding_at(url, WAL_REWIND_FRAMES).await
    }

    /// [`connect`](Self::connect) with the WAL rewound past `frames` frames instead of
    /// [`WAL_REWIND_FRAMES`] (tests use a small WAL).
    pub async fn connect_rewinding_at(url: &str, frames: i64) -> Result<Self> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Db(sqlx::Error::Configuration(
                    format!("cannot create {}: {e}", dir.display()).into(),
                ))
            })?;
        }
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Consign syncs the WAL itself after each commit (`durability.rs`, `WalSyncer`).
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Large stores are read through a memory map of the file (the OS page cache),
            // not copied into SQLite's own cache: at the end of every write transaction SQLite
            // walks its whole page cache (pcache1TruncateUnsafe), which with a 64 MB cache cost
            // milliseconds per commit and a sixth of the CPU under webhook load. Measured in
            // docs/performance.md ("SQLite at scale").
            .pragma("mmap_size", "2147483648")
            .pragma("cache_size", "-8000")
            // Every multi-row statement size up to 128 rows, per statement kind (`sized_chunks`).
            .statement_cache_capacity(1024);
        // Readers lose their cache whenever the writer commits (WAL mode), so a small one will do.
        let read_opts = opts.clone().pragma("cache_size", "-2000");
        // The writer checkpoints itself only when the WAL passes 40 MB, a backstop: the
        // background checkpointer below copies frames as they come and rewinds the WAL at
        // 32 MB, so that inline checkpoint (which stalls every commit queued behind it)
        // rarely runs.
        //
        // A multi-row statement inside a transaction keeps a statement journal (the pages it
        // changed, to undo it alone on a constraint error). Past 64 KB SQLite spills that
        // journal to a temporary file, created, written and deleted per statement: a fifth of
        // the writer's time under webhook load. The writer keeps its temporary files in
        // memory; readers, whose large sorts (reports) also use temporary files, do not.
        let write_opts = opts
            .clone()
            .pragma("wal_autocheckpoint", "10000")
            .pragma("temp_store", "memory");
        // Neither pool pings a connection before each use: an embedded connection cannot have
        // dropped like a network one, and each ping is a round trip to the connection's
        // thread (the group committer acquires the writer once per group).
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(write_opts)
            .await?;
        let wal = WalSyncer::new(std::path::PathBuf::from(format!("{path}-wal")));
        let checkpointer = tokio::spawn(checkpoint_in_background(
            opts.clone(),
            write.clone(),
            wal.clone(),
            frames,
        ))
        .abort_handle();
        let store = SqliteStore {
            read: SqlitePoolOptions::new()
                .test_before_acquire(false)
                .connect_lazy_with(read_opts),
            write,
            durability: wal,
            background: Some(checkpointer),
        };
        store.migrate().await?;
        // Reads are only opened after migration so they see the schema.
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        sqlx::query(CREATE_TABLE).execute(&self.write).await?;
        for m in SQLITE {
            let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(m.version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_some() {
                continue;
            }
            m.apply::<sqlx::Sqlite>(&mut tx).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// The WAL's counters (for tests and diagnostics).
    pub fn wal_figures(&self) -> WalFigures {
        self.durability.figures()
    }
}
