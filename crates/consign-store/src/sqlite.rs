//! The embedded SQLite store: WAL journal, durable commits (a commit is on disk before it is
//! acknowledged; group commits keep that affordable), foreign keys on, a busy timeout, and a
//! single writer connection so write transactions queue in-process rather than contend for
//! the file lock; reads use their own small pool and never block on the writer. The file is
//! read through a memory map, and a background task checkpoints the WAL so the writer rarely
//! has to.
//!
//! Durability: SQLite itself runs with `synchronous=NORMAL`, so `COMMIT` writes the
//! transaction's WAL frames without waiting for the disk, and Consign then syncs the WAL file
//! itself ([`WalSync`]) before the commit counts as done. `Tx::commit` waits for that sync, so
//! every caller sees a durable commit as with `synchronous=FULL`. The difference is that the
//! writer is free during the sync: the group committer (`Tx::commit_staged`) runs the next
//! group's statements while the last group's frames go to disk, and acknowledges each group
//! only after its sync. One sync covers every commit made before it began, so concurrent
//! waiters share syncs. A reader can see a commit a few milliseconds before it is on disk
//! (never one that was acknowledged and then lost: a later commit's sync covers all earlier
//! frames, and WAL recovery keeps only an unbroken prefix).

use crate::migrate::{CREATE_TABLE, SQLITE};
use crate::{Result, StoreError};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

pub struct SqliteStore {
    pub(crate) read: SqlitePool,
    pub(crate) write: SqlitePool,
    /// The background checkpointer (see `connect`), stopped with the store.
    checkpointer: tokio::task::AbortHandle,
    /// Commits counted and synced; tells the checkpointer when there is WAL to copy.
    wal: Arc<WalSync>,
}

/// The WAL's durability bookkeeping (see the module notes): commits are numbered as they
/// return, and `durable` is the highest number known to be on disk.
pub(crate) struct WalSync {
    path: std::path::PathBuf,
    committed: AtomicU64,
    durable: AtomicU64,
    /// One sync at a time; a waiter that gets its turn after someone else's sync covered its
    /// commit returns without another.
    turn: tokio::sync::Mutex<()>,
    syncs: AtomicU64,
    /// Set by a failed sync; see `sync_through`.
    failed: AtomicBool,
    /// Told by every commit, so that the checkpointer only wakes when there is WAL to copy.
    checkpoint_due: tokio::sync::Notify,
    checkpoints: AtomicU64,
    /// Checkpoints that copied the whole WAL while holding the writer, so that the next
    /// write transaction starts the WAL over (see `checkpoint_in_background`).
    rewinds: AtomicU64,
}

impl WalSync {
    /// Bookkeeping for the WAL file at `path`, nothing committed yet.
    fn new(path: std::path::PathBuf) -> Arc<WalSync> {
        Arc::new(WalSync {
            path,
            committed: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            turn: tokio::sync::Mutex::new(()),
            syncs: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            checkpoint_due: tokio::sync::Notify::new(),
            checkpoints: AtomicU64::new(0),
            rewinds: AtomicU64::new(0),
        })
    }

    /// Counts a commit that has just returned (its frames are written) and returns the wait
    /// for its sync.
    pub(crate) fn committed(self: &Arc<Self>) -> crate::Durable {
        let n = self.committed.fetch_add(1, Ordering::SeqCst) + 1;
        self.checkpoint_due.notify_one();
        let wal = self.clone();
        crate::Durable::after(async move { wal.sync_through(n).await })
    }

    async fn sync_through(&self, n: u64) -> Result<()> {
        if self.durable.load(Ordering::SeqCst) >= n {
            return Ok(());
        }
        let _turn = self.turn.lock().await;
        if self.durable.load(Ordering::SeqCst) >= n {
            return Ok(());
        }
        // After a failed sync the kernel may have dropped the pages it could not write and
        // a later sync would succeed without them, so nothing counts as durable again until
        // the process restarts and SQLite recovers from what is really on disk (PostgreSQL
        // stops for the same reason).
        if self.failed.load(Ordering::SeqCst) {
            return Err(StoreError::Db(sqlx::Error::Io(std::io::Error::other(
                "an earlier sync of the SQLite WAL failed; restart Consign to recover",
            ))));
        }
        // Every commit counted so far has written its frames, so this sync covers them all.
        let through = self.committed.load(Ordering::SeqCst);
        let path = self.path.clone();
        // Opened for each sync rather than kept open: SQLite may delete the WAL file (when
        // its last connection closes) and create a new one, which a kept handle would miss.
        let synced = tokio::task::spawn_blocking(move || {
            match std::fs::OpenOptions::new().write(true).open(&path) {
                Ok(f) => f.sync_data(),
                // No WAL file: SQLite removes it only after checkpointing everything into
                // the database file, which it syncs first; an in-memory database has none.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r);
        if let Err(e) = synced {
            self.failed.store(true, Ordering::SeqCst);
            tracing::error!(error = %e, wal = %self.path.display(), "syncing the SQLite WAL failed");
            return Err(StoreError::Db(sqlx::Error::Io(e)));
        }
        self.syncs.fetch_add(1, Ordering::Relaxed);
        self.durable.fetch_max(through, Ordering::SeqCst);
        Ok(())
    }
}

/// Commits returned, commits synced to disk, and syncs run, of one store (for tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalFigures {
    pub committed: u64,
    pub durable: u64,
    pub syncs: u64,
    pub background_checkpoints: u64,
    /// Background checkpoints that copied the whole WAL with the writer held.
    pub rewinds: u64,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.checkpointer.abort();
    }
}

/// How often the background checkpointer copies committed WAL frames into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(20);

/// WAL frames (4 KB pages) past which the background checkpointer rewinds the WAL: 32 MB,
/// below the writer's own threshold (`wal_autocheckpoint`, 40 MB), so the writer's inline
/// checkpoint is only the backstop.
pub const WAL_REWIND_FRAMES: i64 = 8192;

/// Copies committed WAL frames into the database file on its own connection, off the
/// writer's path (PASSIVE: it never waits for or blocks a writer), at most every
/// [`CHECKPOINT_EVERY`] and only after a commit: an idle server does not wake for it. Errors
/// are retried after the next commit; the writer's own checkpoint remains the backstop.
///
/// Why it also rewinds the WAL: SQLite writes the WAL from its start again only when a write
/// transaction begins with every frame already copied, which under steady load never
/// happens (the writer commits every few milliseconds, while a checkpoint runs). The WAL then
/// grew to the writer's own threshold, and the writer's inline checkpoint copied tens of
/// milliseconds' worth of frames and synced the database file on the writer's thread: every
/// ~0.3 s under webhook load, one group took 20–50 ms, which set the p99 acknowledgement
/// latency (docs/performance.md). Now, once the WAL passes `rewind_at` frames, the
/// checkpointer holds the writer connection (waiting for the transaction in progress to
/// end), copies the few frames committed since its last pass, and lets go; the next write
/// transaction starts the WAL over. The writer waits for that short copy only.
async fn checkpoint_in_background(
    opts: SqliteConnectOptions,
    writer: SqlitePool,
    wal: Arc<WalSync>,
    rewind_at: i64,
) {
    use sqlx::Connection;
    let mut conn = None;
    loop {
        // A commit made while the last checkpoint ran leaves a permit, so none is missed.
        wal.checkpoint_due.notified().await;
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if conn.is_none() {
            conn = sqlx::SqliteConnection::connect_with(&opts).await.ok();
        }
        let Some(c) = conn.as_mut() else { continue };
        let copied = match passive_checkpoint(c).await {
            Ok((log, _)) if log >= rewind_at => rewind(c, &writer, &wal).await,
            other => other.map(|_| ()),
        };
        match copied {
            Ok(()) => {
                wal.checkpoints.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::debug!(error = %e, "background checkpoint failed");
                conn = None;
            }
        }
    }
}

/// Copies the whole WAL into the database while holding the writer connection, so that the
/// next write transaction starts the WAL over. It first catches up without holding the
/// writer: each pass copies what was committed during the one before, a few times fewer
/// frames each time, so the writer waits only for a short last copy.
async fn rewind(
    c: &mut sqlx::SqliteConnection,
    writer: &SqlitePool,
    wal: &WalSync,
) -> sqlx::Result<()> {
    for _ in 0..2 {
        passive_checkpoint(c).await?;
    }
    // No write transaction can begin while the writer connection is held here.
    let _held = writer.acquire().await?;
    let (log, done) = passive_checkpoint(c).await?;
    if log == done {
        wal.rewinds.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// One PASSIVE checkpoint: (frames in the WAL, frames copied into the database). A reader
/// still using older frames leaves the count short; SQLite then keeps appending.
async fn passive_checkpoint(c: &mut sqlx::SqliteConnection) -> sqlx::Result<(i64, i64)> {
    let (_busy, log, done): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *c)
        .await?;
    Ok((log, done))
}

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
            // Consign syncs the WAL itself after each commit (module notes, `WalSync`).
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
        let wal = WalSync::new(std::path::PathBuf::from(format!("{path}-wal")));
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
            checkpointer,
            wal,
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
            let err = |source| StoreError::Migration {
                version: m.version,
                name: m.name,
                source,
            };
            sqlx::raw_sql(m.sql).execute(&mut *tx).await.map_err(err)?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(m.version)
            .bind(m.name)
            .bind(jiff::Timestamp::now().as_microsecond())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// The WAL's counters (for tests and diagnostics).
    pub fn wal_figures(&self) -> WalFigures {
        WalFigures {
            committed: self.wal.committed.load(Ordering::SeqCst),
            durable: self.wal.durable.load(Ordering::SeqCst),
            syncs: self.wal.syncs.load(Ordering::Relaxed),
            background_checkpoints: self.wal.checkpoints.load(Ordering::Relaxed),
            rewinds: self.wal.rewinds.load(Ordering::Relaxed),
        }
    }

    fn wal(&self) -> Option<Arc<WalSync>> {
        Some(self.wal.clone())
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        // writes can fail with SQLITE_BUSY on upgrade, which busy_timeout does not cover.
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }
}

crate::sql::impl_sql_store!(
    SqliteStore,
    SqliteTx,
    sqlx::Sqlite,
    Engine::Sqlite,
    for_update = ""
);

crate::sql_tracking::impl_tracking_store!(
    SqliteStore,
    SqliteTx,
    sqlx::Sqlite,
    for_update = "",
    id_list = super::id_list,
    id_chunk = crate::sql::chunk_rows(1),
    tracked_query = super::tracked_query,
    by_tracking_number = super::by_tracking_number,
    update_tracked = self::values_update_tracked,
    split_tracked_query = super::split_tracked_query
);

/// SQLite reads a batch's shipments and their tracking state in one joined query: its one
/// writer connection would gain nothing from a second reader on the same few cores, and
/// the webhook path is bound by CPU.
fn split_tracked_query(
    _facts: &str,
    _state: &str,
    _tenant: uuid::Uuid,
    _ids: &[uuid::Uuid],
) -> Option<(
    sqlx::QueryBuilder<sqlx::Sqlite>,
    sqlx::QueryBuilder<sqlx::Sqlite>,
)> {
    None
}

/// A batch's shipments with their tracking state (SQLite plans the `IN` list as lookups;
/// its single writer needs no row locks, so `lock` changes nothing).
fn tracked_query(
    cols: &str,
    tenant: uuid::Uuid,
    ids: &[uuid::Uuid],
    _lock: bool,
) -> Vec<sqlx::QueryBuilder<sqlx::Sqlite>> {
    crate::sql::sized_chunks(ids, crate::sql::chunk_rows(1))
        .into_iter()
        .map(|chunk| {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT {cols} FROM shipments s JOIN shipment_tracking t ON t.tenant_id = s.tenant_id AND t.shipment_id = s.id \
                 WHERE t.tenant_id = "
            ));
            qb.push_bind(tenant).push(" AND ");
            id_list(&mut qb, "t.shipment_id", chunk);
            qb
        })
        .collect()
}

/// `id, carrier_id, tracking_number` of the tenant's shipments with these tracking numbers.
fn by_tracking_number(
    tenant: uuid::Uuid,
    numbers: &[String],
) -> Vec<sqlx::QueryBuilder<sqlx::Sqlite>> {
    crate::sql::sized_chunks(numbers, crate::sql::chunk_rows(1))
        .into_iter()
        .map(|chunk| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, carrier_id, tracking_number FROM shipments WHERE tenant_id = ",
            );
            qb.push_bind(tenant).push(" AND tracking_number IN (");
            let mut sep = qb.separated(", ");
            for t in chunk {
                sep.push_bind(t.clone());
            }
            qb.push(")");
            qb
        })
        .collect()
}

/// `<col> IN (…)`: SQLite has no array parameters.
fn id_list(qb: &mut sqlx::QueryBuilder<sqlx::Sqlite>, col: &str, ids: &[uuid::Uuid]) {
    qb.push(col).push(" IN (");
    let mut sep = qb.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
    qb.push(")");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_wal_sync_fails_every_later_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db-wal");
        // A directory where the WAL should be: opening it for writing fails.
        std::fs::create_dir(&path).unwrap();
        let wal = WalSync::new(path.clone());
        assert!(wal.committed().wait().await.is_err());
        // The file is fine now, but what the failed sync should have written may be gone.
        std::fs::remove_dir(&path).unwrap();
        std::fs::write(&path, b"frames").unwrap();
        let err = wal.committed().wait().await.unwrap_err();
        assert!(err.to_string().contains("earlier sync"), "{err}");
        assert_eq!(wal.durable.load(Ordering::SeqCst), 0);
        // A healthy WAL syncs and counts its commits durable.
        let ok = WalSync::new(path);
        ok.committed().wait().await.unwrap();
        ok.committed().wait().await.unwrap();
        assert_eq!(ok.durable.load(Ordering::SeqCst), 2);
        assert_eq!(ok.syncs.load(Ordering::Relaxed), 2);
    }
}
