//! Answers kept under `Idempotency-Key`: the reservation a request takes ([`KeyState`]), the
//! lookups ([`IdempotencyStore`]) and the answer stored in the change's transaction
//! ([`IdempotencyTx`], [`KeyAnswer`]).

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;

/// What an `Idempotency-Key` lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// First use, or a takeover of a reservation whose lease ran out: the key is now reserved
    /// for this request under `attempt`, which its answer must name (see
    /// [`IdempotencyTx::complete_key`]).
    Reserved { attempt: i64 },
    /// Same key, same request, already answered: replay this.
    Completed {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    /// Same key, same request, still being processed by another call whose lease runs until
    /// `lease_until`.
    InFlight { lease_until: Timestamp },
    /// Same key, different request.
    Mismatch,
}

/// An answer to store under a reserved key.
#[derive(Debug, Clone, Copy)]
pub struct KeyAnswer<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub attempt: i64,
    pub status: u16,
    pub content_type: &'a str,
    pub body: &'a [u8],
}

#[async_trait]
pub trait IdempotencyStore {
    /// Reserves `key` for a request until `lease_until`, or reports what holds it. A
    /// reservation whose lease ran out (its process died, or stalled past its lease) is taken
    /// over under a new attempt number.
    async fn reserve_key(
        &self,
        scope: &str,
        key: &str,
        request_hash: &[u8],
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<KeyState>;
    /// Extends a running request's lease; false when the reservation is no longer this
    /// attempt's (answered, released, or taken over).
    async fn renew_key(
        &self,
        scope: &str,
        key: &str,
        attempt: i64,
        lease_until: Timestamp,
    ) -> Result<bool>;
    /// Stores the answer of a request that changed nothing (its own short transaction);
    /// false when the reservation is no longer this attempt's.
    async fn complete_key(&self, answer: KeyAnswer<'_>) -> Result<bool>;
    /// Forgets a reservation whose request failed before producing a replayable answer.
    async fn release_key(&self, scope: &str, key: &str, attempt: i64) -> Result<()>;
    async fn purge_keys(&self, older_than: Timestamp) -> Result<u64>;
}

/// Answers stored under `Idempotency-Key` reservations (part of every [`Tx`](crate::Tx)).
#[async_trait]
pub trait IdempotencyTx: Send {
    /// Stores a request's answer under its reserved key in this transaction, so that its
    /// changes and its answer commit together or not at all. False when the reservation is
    /// no longer this attempt's: the caller must then roll back.
    async fn complete_key(&mut self, answer: KeyAnswer<'_>) -> Result<bool>;
}
