//! The durability of SQLite commits. SQLite itself runs with `synchronous=NORMAL`, so
//! `COMMIT` writes the transaction's WAL frames without waiting for the disk, and Consign then
//! syncs the WAL file itself ([`WalSyncer`]) before the commit counts as done. `Tx::commit`
//! waits for that sync, so every caller sees a durable commit as with `synchronous=FULL`. The
//! difference is that the writer is free during the sync: the group committer
//! (`Tx::commit_staged`) runs the next group's statements while the last group's frames go to
//! disk, and acknowledges each group only after its sync. One sync covers every commit made
//! before it began, so concurrent waiters share syncs. A reader can see a commit a few
//! milliseconds before it is on disk (never one that was acknowledged and then lost: a later
//! commit's sync covers all earlier frames, and WAL recovery keeps only an unbroken prefix).
//!
//! The background checkpointer, which copies the WAL into the database file off the writer's
//! path, lives here too: it wakes on the commits the syncer counts.

use crate::{Result, StoreError};
use sqlx::SqlitePool;
use sqlx::sqlite::SqliteConnectOptions;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// The WAL's durability bookkeeping (see the module notes): commits are numbered as they
/// return, and `durable` is the highest number known to be on disk.
pub struct WalSyncer {
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

impl WalSyncer {
    /// Bookkeeping for the WAL file at `path`, nothing committed yet.
    pub(crate) fn new(path: std::path::PathBuf) -> Arc<WalSyncer> {
        Arc::new(WalSyncer {
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

impl WalSyncer {
    pub(crate) fn figures(&self) -> WalFigures {
        WalFigures {
            committed: self.committed.load(Ordering::SeqCst),
            durable: self.durable.load(Ordering::SeqCst),
            syncs: self.syncs.load(Ordering::Relaxed),
            background_checkpoints: self.checkpoints.load(Ordering::Relaxed),
            rewinds: self.rewinds.load(Ordering::Relaxed),
        }
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
pub(crate) async fn checkpoint_in_background(
    opts: SqliteConnectOptions,
    writer: SqlitePool,
    wal: Arc<WalSyncer>,
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
    wal: &WalSyncer,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_wal_sync_fails_every_later_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db-wal");
        // A directory where the WAL should be: opening it for writing fails.
        std::fs::create_dir(&path).unwrap();
        let wal = WalSyncer::new(path.clone());
        assert!(wal.committed().wait().await.is_err());
        // The file is fine now, but what the failed sync should have written may be gone.
        std::fs::remove_dir(&path).unwrap();
        std::fs::write(&path, b"frames").unwrap();
        let err = wal.committed().wait().await.unwrap_err();
        assert!(err.to_string().contains("earlier sync"), "{err}");
        assert_eq!(wal.durable.load(Ordering::SeqCst), 0);
        // A healthy WAL syncs and counts its commits durable.
        let ok = WalSyncer::new(path);
        ok.committed().wait().await.unwrap();
        ok.committed().wait().await.unwrap();
        assert_eq!(ok.durable.load(Ordering::SeqCst), 2);
        assert_eq!(ok.syncs.load(Ordering::Relaxed), 2);
    }
}
