//! Users, API tokens and sessions: reads ([`AccessStore`]) and writes ([`AccessTx`]).

use crate::Result;
use async_trait::async_trait;
use consign_core::access::{ApiToken, User};
use consign_core::ids::*;
use jiff::Timestamp;

#[async_trait]
pub trait AccessStore {
    /// The user and their Argon2id password hash.
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>>;
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    async fn users(&self) -> Result<Vec<User>>;
    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<ApiToken>>;
    async fn tokens(&self) -> Result<Vec<ApiToken>>;
    /// The session's user and CSRF token, if the session exists and has not expired.
    async fn session(&self, hash: &[u8], now: Timestamp) -> Result<Option<(User, String)>>;
}

/// The writes of users, API tokens and sessions (part of every [`Tx`](crate::Tx)).
#[async_trait]
pub trait AccessTx: Send {
    async fn insert_user(&mut self, user: &User, password_hash: &str) -> Result<()>;
    async fn insert_token(&mut self, token: &ApiToken, hash: &[u8]) -> Result<()>;
    async fn revoke_token(&mut self, id: TokenId, at: Timestamp) -> Result<bool>;
    async fn insert_session(
        &mut self,
        hash: &[u8],
        user: UserId,
        csrf: &str,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<()>;
    async fn delete_session(&mut self, hash: &[u8]) -> Result<()>;
}
