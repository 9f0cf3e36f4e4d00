//! The group committer: concurrent ingest requests coalesced into one durable commit.

use super::{IngestOutcome, ItemResult};
use crate::{App, AppError, AppResult};
use consign_core::ids::*;
use consign_core::tracking::TrackingEvent;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

type Job = (
    TenantId,
    String,
    Vec<TrackingEvent>,
    oneshot::Sender<AppResult<IngestOutcome>>,
);

/// Coalesces concurrent ingest requests into group commits: one worker drains whatever is
/// queued (up to a batch size), commits it per tenant in one transaction, and answers each
/// request with its own items.
pub struct GroupCommitter {
    queue: mpsc::Sender<Job>,
}

/// Events per group commit at most.
const GROUP_MAX_EVENTS: usize = 20_000;

/// How long a group waits for the callers of the previous one (see `commit_groups`).
const GROUP_LINGER: std::time::Duration = std::time::Duration::from_micros(1500);
/// A pause in arrivals this long ends the wait early.
const GROUP_QUIET: std::time::Duration = std::time::Duration::from_micros(300);

impl GroupCommitter {
    /// Starts the worker: for SQLite on a thread of its own, otherwise on the current tokio
    /// runtime.
    ///
    /// Why a thread for SQLite: each statement of a group is handed to the connection's own
    /// thread and its result handed back, seven times per group. On the shared runtime each
    /// hand-back queued behind the HTTP tasks of the 64 callers, so the one writer sat idle
    /// between statements; on its own runtime the worker runs as soon as a result is back,
    /// which raised webhook throughput by about a tenth (docs/performance.md). PostgreSQL
    /// keeps the shared runtime: its pooled connections belong to the runtime that opened
    /// them, and the pool is shared with the HTTP handlers.
    pub fn start(app: App) -> Arc<GroupCommitter> {
        let (queue, rx) = mpsc::channel::<Job>(4096);
        let sqlite = app.store.engine() == consign_store::Engine::Sqlite;
        let work = commit_groups(app, rx, !sqlite);
        // On SQLite the worker gets its own thread, or the shared runtime if none can be had.
        let work = if sqlite {
            own_thread(work).err()
        } else {
            Some(work)
        };
        if let Some(work) = work {
            tokio::spawn(work);
        }
        Arc::new(GroupCommitter { queue })
    }

    pub async fn submit(
        &self,
        tenant: TenantId,
        actor: String,
        events: Vec<TrackingEvent>,
    ) -> AppResult<IngestOutcome> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send((tenant, actor, events, tx))
            .await
            .map_err(|_| AppError::Io(std::io::Error::other("the ingest worker stopped")))?;
        rx.await
            .map_err(|_| AppError::Io(std::io::Error::other("the ingest worker stopped")))?
    }
}

/// Runs `work` on a new thread with a single-threaded runtime of its own, or hands it back if
/// the thread cannot be started. The thread ends with the work (when the queue closes).
fn own_thread<F>(work: F) -> Result<(), F>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    // Timers only (a retry's pause): without an I/O driver the idle thread sleeps on a
    // futex, which the connection's thread wakes more cheaply than an eventfd and epoll,
    // once per statement and per row.
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    else {
        return Err(work);
    };
    let (hand, take) = std::sync::mpsc::sync_channel::<F>(1);
    let started = std::thread::Builder::new()
        .name("consign-commit".into())
        .spawn(move || {
            if let Ok(work) = take.recv() {
                rt.block_on(work);
            }
        });
    match started {
        Ok(_) => hand.send(work).map_err(|e| e.0),
        Err(_) => Err(work),
    }
}

/// The group committer's worker: drains the queue into groups and commits them in turn.
///
/// `linger`: whether a group waits briefly for the callers just answered (below). On
/// SQLite, where the worker has a thread of its own and the next group's statements overlap
/// the last one's sync, lingering only left the writer idle: without it webhooks ran 4–15 %
/// faster in five paired runs (docs/performance.md). PostgreSQL keeps it.
async fn commit_groups(app: App, mut rx: mpsc::Receiver<Job>, linger: bool) {
    // Requests in the previous group: under load, its callers send their next request
    // within a fraction of a millisecond of their answer.
    let (mut last, mut before_last) = (0usize, 0usize);
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let mut n = jobs[0].2.len();
        let mut drain = |jobs: &mut Vec<Job>, n: &mut usize| {
            while *n < GROUP_MAX_EVENTS {
                match rx.try_recv() {
                    Ok(j) => {
                        *n += j.2.len();
                        jobs.push(j);
                    }
                    Err(_) => break,
                }
            }
        };
        drain(&mut jobs, &mut n);
        // Without a pause, concurrent callers split into two cohorts that take turns:
        // one waits for the fsync while the other's requests arrive. Lingering briefly
        // when the last group was shared lets the cohort just answered join this
        // commit, so each fsync carries twice the requests. A lone caller never waits.
        if linger && last > 1 {
            // Expected: the callers of the last two groups. Stop early once they are
            // all here, or once arrivals pause (the burst of answered callers is over).
            let start = std::time::Instant::now();
            let mut seen = (jobs.len(), start);
            while n < GROUP_MAX_EVENTS
                && jobs.len() < last + before_last
                && seen.1.elapsed() < GROUP_QUIET
                && start.elapsed() < GROUP_LINGER
            {
                tokio::task::yield_now().await;
                drain(&mut jobs, &mut n);
                if jobs.len() > seen.0 {
                    seen = (jobs.len(), std::time::Instant::now());
                }
            }
        }
        (last, before_last) = (jobs.len(), last);
        let mut by_tenant: BTreeMap<TenantId, Vec<Job>> = BTreeMap::new();
        for j in jobs {
            by_tenant.entry(j.0).or_default().push(j);
        }
        for (tenant, jobs) in by_tenant {
            run_group(&app, tenant, jobs).await;
        }
    }
}

async fn run_group(app: &App, tenant: TenantId, jobs: Vec<Job>) {
    let sizes: Vec<usize> = jobs.iter().map(|j| j.2.len()).collect();
    let actor = if jobs.len() == 1 {
        jobs[0].1.clone()
    } else {
        format!("{} (+{} coalesced)", jobs[0].1, jobs.len() - 1)
    };
    let all: Vec<TrackingEvent> = jobs.iter().flat_map(|j| j.2.iter().cloned()).collect();
    let started = std::time::Instant::now();
    let result = app.commit_events_staged(tenant, &actor, all).await;
    let committed_ms = started.elapsed().as_secs_f64() * 1000.0;
    // The requests are answered once the commit is on disk, in a task of their own: the
    // worker goes on to the next group meanwhile (on SQLite the sync then overlaps the next
    // group's statements; on PostgreSQL the commit was durable already).
    tokio::spawn(async move {
        let result = match result {
            Ok((o, durable)) => durable.wait().await.map(|_| o).map_err(AppError::from),
            Err(e) => Err(e),
        };
        tracing::debug!(
            requests = jobs.len(),
            events = sizes.iter().sum::<usize>(),
            committed_ms,
            durable_ms = started.elapsed().as_secs_f64() * 1000.0,
            "group commit"
        );
        answer(jobs, sizes, result);
    });
}

/// Gives each request of a group its own items of the group's outcome, or the group's error.
fn answer(jobs: Vec<Job>, sizes: Vec<usize>, result: AppResult<IngestOutcome>) {
    match result {
        Ok(o) => {
            let mut items = o.items.into_iter();
            for (j, n) in jobs.into_iter().zip(sizes) {
                // Case changes cannot be split between coalesced requests: each answer
                // reports those of the commit that carried it.
                let mut mine = IngestOutcome {
                    cases: o.cases.clone(),
                    ..Default::default()
                };
                for (i, mut it) in items.by_ref().take(n).enumerate() {
                    it.index = i;
                    match it.result {
                        ItemResult::Accepted => mine.accepted += 1,
                        ItemResult::Duplicate => mine.duplicates += 1,
                        ItemResult::Orphan => mine.orphans += 1,
                    }
                    mine.items.push(it);
                }
                let _ = j.3.send(Ok(mine));
            }
        }
        Err(e) => {
            // One failure fails the group; each request gets the error and may retry.
            let msg = e.to_string();
            for j in jobs {
                let _ =
                    j.3.send(Err(AppError::Io(std::io::Error::other(msg.clone()))));
            }
        }
    }
}
