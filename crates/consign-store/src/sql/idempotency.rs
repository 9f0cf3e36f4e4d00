//! `Idempotency-Key` reservations and stored answers: on the store ([`IdempotencyStore`]) and
//! in a transaction ([`IdempotencyTx`]).

use super::dialect::{Dialect, QueryExt, RowExt, RowsAffected};
use super::{SqlStore, SqlTx, ts, us};
use crate::{IdempotencyStore, IdempotencyTx, KeyAnswer, KeyState, Result};
use jiff::Timestamp;

/// A reservation's attempt number: 64 random bits (std's per-process random hash keys over a
/// counter and the clock), so two takeovers of one key never share a number.
fn new_attempt() -> i64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    static KEYS: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    let mut h = KEYS.get_or_init(Default::default).build_hasher();
    h.write_u64(SEQ.fetch_add(1, Ordering::Relaxed));
    h.write_i128(Timestamp::now().as_nanosecond());
    h.finish() as i64
}

/// Stores a request's answer under its key, only while the reservation is still this
/// attempt's (see [`crate::KeyState::Reserved`]).
const COMPLETE_KEY: &str = "UPDATE idempotency_keys \
     SET status_code = $4, content_type = $5, response_body = $6 \
     WHERE scope = $1 AND idem_key = $2 AND attempt = $3 AND status_code IS NULL";

#[async_trait::async_trait]
impl<DB: Dialect> IdempotencyStore for SqlStore<DB> {
    async fn reserve_key(
        &self,
        scope: &str,
        key: &str,
        request_hash: &[u8],
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<KeyState> {
        let attempt = new_attempt();
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (scope, idem_key, request_hash, created_at, attempt, \
             lease_until) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, idem_key) DO NOTHING",
        )
        .arg(scope.to_string())
        .arg(key.to_string())
        .arg(request_hash.to_vec())
        .arg(us(now))
        .arg(attempt)
        .arg(us(lease_until))
        .execute(DB::pool(&self.write))
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(KeyState::Reserved { attempt });
        }
        let r = sqlx::query(
            "SELECT request_hash, status_code, content_type, response_body, lease_until \
             FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
        )
        .arg(scope.to_string())
        .arg(key.to_string())
        .fetch_optional(DB::pool(&self.write))
        .await?;
        let Some(r) = r else {
            // Released between our insert and this read: the next call reserves it.
            return Ok(KeyState::InFlight { lease_until: now });
        };
        let stored: Vec<u8> = r.col("request_hash")?;
        if stored != request_hash {
            return Ok(KeyState::Mismatch);
        }
        let status: Option<i64> = r.col("status_code")?;
        let lease: i64 = r.col("lease_until")?;
        if status.is_none() && lease <= us(now) {
            // A reservation whose lease ran out (the process died, or its request
            // stalled past the lease) is taken over under a new attempt: the old
            // attempt can then no longer store an answer, so its changes roll back.
            let taken = sqlx::query(
                "UPDATE idempotency_keys SET attempt = $3, lease_until = $4 \
                 WHERE scope = $1 AND idem_key = $2 AND status_code IS NULL AND lease_until <= $5",
            )
            .arg(scope.to_string())
            .arg(key.to_string())
            .arg(attempt)
            .arg(us(lease_until))
            .arg(us(now))
            .execute(DB::pool(&self.write))
            .await?
            .rows_affected();
            if taken == 1 {
                return Ok(KeyState::Reserved { attempt });
            }
            // Answered or renewed meanwhile: the caller asks again.
            return Ok(KeyState::InFlight { lease_until: now });
        }
        Ok(match status {
            None => KeyState::InFlight {
                lease_until: ts(lease),
            },
            Some(s) => KeyState::Completed {
                status: s as u16,
                content_type: r.col::<Option<String>>("content_type")?.unwrap_or_default(),
                body: r
                    .col::<Option<Vec<u8>>>("response_body")?
                    .unwrap_or_default(),
            },
        })
    }

    async fn renew_key(
        &self,
        scope: &str,
        key: &str,
        attempt: i64,
        lease_until: Timestamp,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE idempotency_keys SET lease_until = $4 \
             WHERE scope = $1 AND idem_key = $2 AND attempt = $3 AND status_code IS NULL",
        )
        .arg(scope.to_string())
        .arg(key.to_string())
        .arg(attempt)
        .arg(us(lease_until))
        .execute(DB::pool(&self.write))
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn complete_key(&self, a: KeyAnswer<'_>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let stored = IdempotencyTx::complete_key(&mut tx, a).await?;
        tx.stage_commit().await?.wait().await?;
        Ok(stored)
    }

    async fn release_key(&self, scope: &str, key: &str, attempt: i64) -> Result<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND attempt = $3 \
             AND status_code IS NULL",
        )
        .arg(scope.to_string())
        .arg(key.to_string())
        .arg(attempt)
        .execute(DB::pool(&self.write))
        .await?;
        Ok(())
    }

    async fn purge_keys(&self, older_than: Timestamp) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .arg(us(older_than))
                .execute(DB::pool(&self.write))
                .await?
                .rows_affected(),
        )
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> IdempotencyTx for SqlTx<DB> {
    async fn complete_key(&mut self, a: KeyAnswer<'_>) -> Result<bool> {
        let n = sqlx::query(COMPLETE_KEY)
            .arg(a.scope.to_string())
            .arg(a.key.to_string())
            .arg(a.attempt)
            .arg(a.status as i64)
            .arg(a.content_type.to_string())
            .arg(a.body.to_vec())
            .execute(DB::conn(&mut self.tx))
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}
