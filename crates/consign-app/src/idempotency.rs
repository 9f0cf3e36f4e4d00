//! `Idempotency-Key`: a retried request never runs twice, even across a crash.
//!
//! A key is either unused, reserved by a request that is running, or carries the answer of a
//! request whose changes committed — never "changes committed, answer lost". That holds
//! because the answer is written in the same transaction as the request's changes, the way
//! Stripe and zero-to-production do it:
//!
//! 1. The key is reserved in a short transaction of its own, as a *lease* (10 s by default)
//!    under a fresh attempt number; the running request renews the lease while it works.
//! 2. The request runs inside a task-local scope. Use cases end their transaction with
//!    [`App::commit`](crate::App), which inside that scope does not commit but parks the
//!    transaction here.
//! 3. Once the response is built, its status and body are written under the key *in the
//!    parked transaction*, guarded by the attempt number, and only then is it committed.
//!
//! A crash before that commit leaves the key reserved and nothing changed: once the lease
//! runs out a retry takes the key over and runs. A request that stalled past its lease and was
//! taken over can no longer store its answer (the attempt number moved on), so its
//! transaction rolls back instead of committing a second copy of the change. A 5xx answer
//! rolls the parked transaction back and frees the key, so the client can simply retry.
//!
//! Tracking events sent with a key are committed in the request's own transaction rather
//! than by the group committer (which commits on a task of its own, for many requests at
//! once), so their answer is atomic with them too. Keyless events keep the group commit:
//! each carries its own deduplication key, so a re-delivery changes nothing anyway.

use crate::{App, AppError, AppResult};
use consign_store::{KeyAnswer, KeyState, Tx};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a reservation holds without renewal. The running request renews it every third
/// of this; after a crash, a retry waits at most this long before it may run.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(10);

/// How long a request that finds its key in flight waits for the other one's answer before
/// it is told to retry later.
const WAIT_FOR_OTHER: Duration = Duration::from_secs(2);

/// One `Idempotency-Key` as a caller sent it.
#[derive(Debug, Clone)]
pub struct KeyRequest {
    /// Whose key it is (keys are per caller).
    pub scope: String,
    pub key: String,
    /// A hash of what the request asks (method, URI, body): the same key with another
    /// request is refused.
    pub request_hash: Vec<u8>,
}

/// A response as it is stored for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// What became of a keyed request.
pub enum KeyOutcome<R> {
    /// It ran; `R` is its response, whose answer is stored with its changes.
    Ran(R),
    /// The key carries this answer already: replay it.
    Replay(Answer),
    /// The key was used for another request.
    Mismatch,
    /// Another request with this key is still running (or took this one's key over).
    InFlight { retry_after: Duration },
}

type AfterCommit = Box<dyn FnOnce() + Send>;

/// A transaction parked by a use case inside a keyed request, with what to do once it commits.
struct Parked {
    tx: Box<dyn Tx>,
    after: Vec<AfterCommit>,
}

#[derive(Default)]
struct KeyScope {
    parked: Mutex<Option<Parked>>,
}

tokio::task_local! {
    static KEYED: Arc<KeyScope>;
}

fn current_scope() -> Option<Arc<KeyScope>> {
    KEYED.try_with(Arc::clone).ok()
}

/// Whether the caller runs inside a request with an `Idempotency-Key`, whose transaction
/// [`App::commit`] parks.
pub(crate) fn in_keyed_request() -> bool {
    KEYED.try_with(|_| ()).is_ok()
}

/// Renews a lease until dropped.
struct Renewal(tokio::task::JoinHandle<()>);

impl Drop for Renewal {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl App {
    /// Begins a write transaction for a use case. Inside a keyed request whose first
    /// transaction is parked already (a use case that commits twice), that one is committed
    /// first: the writer is single on SQLite, and the answer then covers only the last.
    pub(crate) async fn begin(&self) -> AppResult<Box<dyn Tx>> {
        if let Some(scope) = current_scope() {
            let parked = scope.parked.lock().expect("key scope").take();
            if let Some(p) = parked {
                tracing::warn!(
                    "a keyed request began a second transaction; its first commits without its answer"
                );
                p.tx.commit().await?;
                p.after.into_iter().for_each(|f| f());
            }
        }
        Ok(self.store.begin().await?)
    }

    /// Commits a use case's transaction, or inside a keyed request parks it so that the
    /// request's answer is stored in it before it commits (module docs).
    pub(crate) async fn commit(&self, tx: Box<dyn Tx>) -> AppResult<()> {
        self.commit_then(tx, || {}).await
    }

    /// Appends the change's audit record, then [`commit`](Self::commit)s: how most single
    /// changes end.
    pub(crate) async fn commit_audited(
        &self,
        mut tx: Box<dyn Tx>,
        entry: consign_core::audit::AuditEntry,
    ) -> AppResult<()> {
        tx.append_audit(vec![entry]).await?;
        self.commit(tx).await
    }

    /// [`commit`](Self::commit), then `after` once the changes are committed (cache
    /// invalidation: run before the commit, a concurrent reader could cache the old value).
    pub(crate) async fn commit_then(
        &self,
        tx: Box<dyn Tx>,
        after: impl FnOnce() + Send + 'static,
    ) -> AppResult<()> {
        if let Some(scope) = current_scope() {
            let mut slot = scope.parked.lock().expect("key scope");
            if slot.is_none() {
                *slot = Some(Parked {
                    tx,
                    after: vec![Box::new(after)],
                });
                return Ok(());
            }
        }
        tx.commit().await?;
        after();
        Ok(())
    }

    /// Runs `run` once for the key: the first request with a key runs and its answer is
    /// stored with its changes; a repeat gets that answer back; a concurrent repeat waits
    /// briefly for it. `run` yields its response and the answer to store for it.
    pub async fn with_idempotency_key<R, F>(
        &self,
        req: &KeyRequest,
        run: F,
    ) -> AppResult<KeyOutcome<R>>
    where
        F: Future<Output = (R, Answer)>,
    {
        let started = std::time::Instant::now();
        let attempt = loop {
            let now = self.now();
            let state = self
                .store
                .reserve_key(
                    &req.scope,
                    &req.key,
                    &req.request_hash,
                    now,
                    self.lease_end(now),
                )
                .await?;
            match state {
                KeyState::Reserved { attempt } => break attempt,
                KeyState::Completed {
                    status,
                    content_type,
                    body,
                } => {
                    return Ok(KeyOutcome::Replay(Answer {
                        status,
                        content_type,
                        body,
                    }));
                }
                KeyState::Mismatch => return Ok(KeyOutcome::Mismatch),
                KeyState::InFlight { lease_until } => {
                    if started.elapsed() >= WAIT_FOR_OTHER {
                        let left = lease_until.duration_since(now).as_secs().max(1);
                        return Ok(KeyOutcome::InFlight {
                            retry_after: Duration::from_secs(left as u64),
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            }
        };
        let _renewal = self.renew_while_running(req, attempt);
        let scope = Arc::new(KeyScope::default());
        let (response, answer) = KEYED.scope(scope.clone(), run).await;
        let parked = scope.parked.lock().expect("key scope").take();
        let stored = KeyAnswer {
            scope: &req.scope,
            key: &req.key,
            attempt,
            status: answer.status,
            content_type: &answer.content_type,
            body: &answer.body,
        };
        if answer.status >= 500 {
            // Nothing of a failed request is kept, so that its retry runs afresh.
            drop(parked);
            self.store
                .release_key(&req.scope, &req.key, attempt)
                .await?;
            return Ok(KeyOutcome::Ran(response));
        }
        let Some(mut parked) = parked else {
            // Nothing changed (a refusal, or a read): the answer alone is stored.
            if !self.store.complete_key(stored).await? {
                tracing::warn!(key = %req.key, "a keyed request lost its lease before answering");
            }
            return Ok(KeyOutcome::Ran(response));
        };
        if !parked.tx.complete_key(stored).await? {
            // Stalled past its lease, and another request took the key over: this one's
            // changes roll back, and the caller gets the other one's answer on retry.
            drop(parked);
            return Ok(KeyOutcome::InFlight {
                retry_after: Duration::from_secs(1),
            });
        }
        if let Err(e) = parked.tx.commit().await {
            // Neither the changes nor the answer were committed; free the key for a retry.
            if let Err(release) = self.store.release_key(&req.scope, &req.key, attempt).await {
                tracing::warn!(error = %release, "could not release an idempotency key");
            }
            return Err(AppError::from(e));
        }
        parked.after.into_iter().for_each(|f| f());
        Ok(KeyOutcome::Ran(response))
    }

    fn lease_end(&self, now: jiff::Timestamp) -> jiff::Timestamp {
        now + jiff::SignedDuration::from_millis(self.idempotency_lease.as_millis() as i64)
    }

    /// Keeps a running request's lease alive (every third of the lease) until dropped.
    fn renew_while_running(&self, req: &KeyRequest, attempt: i64) -> Renewal {
        let app = self.clone();
        let (scope, key) = (req.scope.clone(), req.key.clone());
        Renewal(tokio::spawn(async move {
            let every = app.idempotency_lease / 3;
            loop {
                tokio::time::sleep(every).await;
                let until = app.lease_end(app.now());
                match app.store.renew_key(&scope, &key, attempt, until).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => tracing::warn!(error = %e, "could not renew an idempotency lease"),
                }
            }
        }))
    }
}
