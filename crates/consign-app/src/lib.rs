//! Consign's use cases: each takes a caller (`Principal`) and a command, loads what the core
//! needs from the store, lets the core decide, and commits the result together with its audit
//! records in one transaction. The HTTP API and the CLI both call these, so authorisation and
//! validation are the same whichever door a request comes through.

pub mod admin;
pub mod audit;
pub mod auth;
mod cache;
pub mod cases;
pub mod documents;
pub mod edi;
pub mod events_file;
pub mod idempotency;
pub mod import;
pub mod kpis;
pub mod messages;
pub mod orders;
pub mod replay;
pub mod search;
pub mod shipments;
pub mod tools;
pub mod tracking;
pub mod webhooks;
pub mod workers;

use consign_core::access::{Capability, Principal};
use consign_core::tenant::Tenant;
use consign_core::time::Clock;
use consign_core::{FieldError, Invalid};
use consign_store::{DynStore, StoreError};
use std::path::PathBuf;
use std::sync::Arc;

/// How far a list's count of matching records goes: beyond it a page says "10,000+"
/// rather than read a million rows to print one number.
pub const COUNT_CAP: u32 = 10_000;

/// What a use case can answer besides success. The web layer maps each to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 401: no or bad credentials.
    #[error("authentication required: {0}")]
    Unauthenticated(String),
    /// 403: authenticated, but the role or token scope does not allow this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: missing, or outside the caller's reach (indistinguishable on purpose).
    #[error("{0} not found")]
    NotFound(String),
    /// 422: the input is malformed.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// 422 for batches: problems per item (index into the submitted list).
    #[error("{} invalid item(s)", .0.len())]
    InvalidItems(Vec<(usize, Invalid)>),
    /// 409: the input is well-formed but conflicts with what is stored.
    #[error("{message}")]
    Conflict {
        message: String,
        errors: Vec<FieldError>,
    },
    /// 409: a uniqueness rule of the store refused the write, because a concurrent request
    /// stored the same thing first (use cases that check before they write run once more on
    /// this, so a caller gets the answer a request made a moment later would get).
    #[error("{} already exists", field.unwrap_or("the record"))]
    Duplicate { field: Option<&'static str> },
    /// An action sent for an older version of a case (`If-Match`): refused, with the case
    /// as it stands so the caller can look again.
    #[error("case {} changed meanwhile: it is at version {}", current.number, current.version)]
    Stale {
        current: Box<consign_core::case::Case>,
    },
    #[error(transparent)]
    Store(StoreError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(ref detail) => {
                // The database's own text names constraints: logged, never returned.
                tracing::debug!(%detail, "uniqueness refusal");
                AppError::Duplicate {
                    field: e.duplicate_field(),
                }
            }
            StoreError::Concurrent(m) => AppError::Conflict {
                message: format!("{m} was changed concurrently; reload and retry"),
                errors: vec![],
            },
            other => AppError::Store(other),
        }
    }
}

impl AppError {
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError::Conflict {
            errors: vec![FieldError::new(field, message.clone())],
            message,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// How often a use case that checks before it writes runs again after losing a race to a
/// concurrent writer ([`AppError::Duplicate`]).
pub(crate) const RACE_RETRIES: u32 = 2;

/// The application: a store, a clock, and where document bytes live.
#[derive(Clone)]
pub struct App {
    /// Reached only through use cases (and [`tools`] for operator tools), so that every
    /// request is authorised, validated and audited the same way.
    pub(crate) store: DynStore,
    pub clock: Arc<dyn Clock>,
    /// Content-addressed document folder (beside the database by default).
    pub documents_dir: PathBuf,
    /// Coalesces concurrent tracking ingests into group commits (servers start one; the CLI
    /// commits directly).
    pub committer: Option<Arc<tracking::GroupCommitter>>,
    /// Short-lived copies of what every tracking request reads (tenant by slug, carriers,
    /// rulebook in force), so a burst of single-event webhooks does not re-read them each.
    pub(crate) cache: Arc<cache::Caches>,
    /// How long an `Idempotency-Key` reservation holds without renewal (`idempotency`).
    pub idempotency_lease: std::time::Duration,
    /// The outbox's delivery machinery and the tenants' endpoint subscriptions.
    pub messaging: Arc<messages::Messaging>,
    /// A PostgreSQL read replica for scorecards and lists (`read_database_url`), if any:
    /// reads that may lag the primary by the replication delay, off the primary's load.
    pub(crate) replica: Option<DynStore>,
}

impl App {
    pub fn new(store: DynStore, clock: Arc<dyn Clock>, documents_dir: PathBuf) -> Self {
        App {
            store,
            clock,
            documents_dir,
            committer: None,
            cache: Arc::default(),
            idempotency_lease: idempotency::DEFAULT_LEASE,
            messaging: Arc::default(),
            replica: None,
        }
    }

    /// Sends scorecards and lists to `replica` (everything else, and every write, stays on
    /// the primary).
    pub fn with_read_replica(mut self, replica: DynStore) -> Self {
        self.replica = Some(replica);
        self
    }

    /// Where reports and lists read: the replica when one is configured, else the primary.
    pub(crate) fn reads(&self) -> &DynStore {
        self.replica.as_ref().unwrap_or(&self.store)
    }

    /// Delivers messages as `config` says (installations set it from their configuration).
    pub fn with_messaging(mut self, config: messages::MessagingConfig) -> Self {
        self.messaging = Arc::new(messages::Messaging::new(config));
        self
    }

    /// Starts a group-commit worker for tracking ingests (needs a tokio runtime).
    pub fn with_group_commit(mut self) -> Self {
        let committer = tracking::GroupCommitter::start(self.clone());
        self.committer = Some(committer);
        self
    }

    /// `sqlite` or `postgres`: which engine the store runs on.
    pub fn engine_name(&self) -> &'static str {
        self.store.engine().name()
    }

    /// Now, truncated to the microsecond precision the store keeps, so what is returned
    /// equals what is read back.
    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_microsecond(self.clock.now().as_microsecond())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// The tenant named by `slug` if the caller reaches it. An unknown slug and a tenant
    /// outside the caller's reach give the same answer, so slugs cannot be probed.
    pub async fn tenant_for(&self, p: &Principal, slug: &str) -> AppResult<Tenant> {
        match self.cache.tenant(&self.store, slug).await? {
            Some(t) if p.reaches(t.id) => Ok(t),
            _ => Err(AppError::NotFound(format!("tenant '{slug}'"))),
        }
    }
}

/// 403 unless the caller holds `cap`.
pub fn require(p: &Principal, cap: Capability) -> AppResult<()> {
    if p.can(cap) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "role {} does not allow {}",
            p.role,
            cap.scope_name()
        )))
    }
}

/// An audit entry in `tenant`'s chain of what caller `p` did at `now` (see [`AuditEntry::new`]).
pub(crate) fn tenant_audit(
    tenant: &Tenant,
    p: &Principal,
    now: jiff::Timestamp,
    entity: &str,
    entity_id: impl ToString,
    action: &str,
) -> consign_core::audit::AuditEntry {
    consign_core::audit::AuditEntry::new(
        Some(tenant.id),
        now,
        p.actor.label(),
        entity,
        entity_id,
        action,
    )
}

/// Mints uuid v7 ids from an instant plus fresh randomness.
pub(crate) fn entropy() -> u128 {
    rand::random::<u128>()
}
