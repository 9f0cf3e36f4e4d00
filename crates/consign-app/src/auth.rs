//! Credentials: Argon2id password hashes, API tokens and session tokens shown once and stored
//! as SHA-256 hashes, and the lookups that turn a credential into a `Principal`.

use crate::{App, AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use consign_core::access::{Principal, User};
use rand::Rng;
use sha2::{Digest, Sha256};

pub const TOKEN_PREFIX: &str = "cst_";
pub const SESSION_HOURS: i64 = 12;

pub fn hash_password(password: &str) -> String {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes is a valid salt length");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default params")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A random secret with `prefix` (so leaked tokens are recognisable by secret scanners) and
/// the hash under which it is stored.
pub fn new_secret(prefix: &str) -> (String, Vec<u8>) {
    let bytes: [u8; 24] = rand::random();
    let secret = format!("{prefix}{}", hex::encode(bytes));
    let hash = hash_secret(&secret);
    (secret, hash)
}

pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A password for `user add` when none is given: 20 characters without look-alikes.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn validate_password(pw: &str) -> Result<(), String> {
    if pw.chars().count() < 12 {
        Err("must be at least 12 characters".into())
    } else if pw.len() > 1024 {
        Err("must be at most 1024 bytes".into())
    } else {
        Ok(())
    }
}

impl App {
    /// The principal behind a bearer token, if it exists, is not revoked and has not expired.
    pub async fn principal_for_token(&self, token: &str) -> AppResult<Principal> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(AppError::Unauthenticated("unknown token format".into()));
        }
        let hash = hash_secret(token);
        let now = self.now();
        if let Some(p) = self.cache.token(&hash, now) {
            return Ok(p);
        }
        match self.store.token_by_hash(&hash).await? {
            Some(t) if t.live_at(now) => {
                let p = t.principal();
                // A revocation made by another server takes effect within the cache's TTL;
                // an expiry is checked on every use.
                self.cache.keep_token(hash.clone(), p.clone(), t.expires_at);
                Ok(p)
            }
            Some(t) if t.revoked_at.is_some() => {
                Err(AppError::Unauthenticated("token revoked".into()))
            }
            Some(_) => Err(AppError::Unauthenticated("token expired".into())),
            None => Err(AppError::Unauthenticated("unknown token".into())),
        }
    }

    /// The principal of the user with this e-mail, for operator tools that act on a
    /// person's behalf (`consign cases … --as`); a disabled or unknown user is refused.
    pub async fn principal_for_email(&self, email: &str) -> AppResult<Principal> {
        match self.store.user_by_email(email).await? {
            Some((u, _)) if !u.disabled => Ok(u.principal()),
            Some(_) => Err(AppError::Forbidden(format!("user {email} is disabled"))),
            None => Err(AppError::NotFound(format!("user {email}"))),
        }
    }

    /// Checks e-mail and password and opens a session. Returns (session secret, CSRF token,
    /// user). The same error for an unknown e-mail and a wrong password.
    pub async fn login(&self, email: &str, password: &str) -> AppResult<(String, String, User)> {
        let bad = || AppError::Unauthenticated("e-mail or password is wrong".into());
        let Some((user, hash)) = self.store.user_by_email(email).await? else {
            // Spend the same time as a real check so response timing does not reveal accounts.
            let _ = verify_password(
                password,
                "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA",
            );
            return Err(bad());
        };
        if user.disabled || !verify_password(password, &hash) {
            return Err(bad());
        }
        let (secret, hash) = new_secret("css_");
        let (csrf, _) = new_secret("");
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.insert_session(
            &hash,
            user.id,
            &csrf,
            now,
            now + jiff::SignedDuration::from_hours(SESSION_HOURS),
        )
        .await?;
        self.commit(tx).await?;
        Ok((secret, csrf, user))
    }

    /// The user and CSRF token of a live session.
    pub async fn session(&self, secret: &str) -> AppResult<(User, String)> {
        match self.store.session(&hash_secret(secret), self.now()).await? {
            Some((u, csrf)) if !u.disabled => Ok((u, csrf)),
            _ => Err(AppError::Unauthenticated(
                "session expired or unknown".into(),
            )),
        }
    }

    pub async fn logout(&self, secret: &str) -> AppResult<()> {
        let mut tx = self.begin().await?;
        tx.delete_session(&hash_secret(secret)).await?;
        self.commit(tx).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery staple");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn secrets_are_prefixed_and_hashed() {
        let (s, h) = new_secret(TOKEN_PREFIX);
        assert!(s.starts_with("cst_") && s.len() == 52);
        assert_eq!(hash_secret(&s), h);
        assert_ne!(new_secret(TOKEN_PREFIX).0, s);
        assert_eq!(generate_password().len(), 20);
    }
}
