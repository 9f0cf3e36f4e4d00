//! Users, API tokens and sessions: reads ([`AccessStore`]) and writes ([`AccessTx`]).

use super::dialect::{Dialect, PushArg, QueryExt, RowExt, RowsAffected};
use super::{SqlStore, SqlTx, fetch_row, fetch_rows, ots, parsed, ts, us};
use crate::{AccessStore, AccessTx, Result};
use consign_core::access::{ApiToken, Role, User};
use consign_core::ids::{CarrierId, TenantId, TokenId, UserId};
use jiff::Timestamp;
use sqlx::QueryBuilder;
use std::collections::HashMap;
use uuid::Uuid;

const USER_COLS: &str = "u.id, u.email, u.name, u.role, u.carrier_id, u.created_at, u.disabled";

const TOKEN_COLS: &str =
    "id, name, role, tenant_id, carrier_id, scopes, created_at, created_by, revoked_at, expires_at";

fn user_row<DB: Dialect>(r: &DB::Row, tenants: Vec<TenantId>) -> Result<User> {
    let role: String = r.col("role")?;
    Ok(User {
        id: UserId(r.col("id")?),
        email: r.col("email")?,
        name: r.col("name")?,
        role: parsed(role.parse::<Role>())?,
        tenants,
        carrier_id: r.col::<Option<Uuid>>("carrier_id")?.map(CarrierId),
        created_at: ts(r.col("created_at")?),
        disabled: r.col("disabled")?,
    })
}

fn token_row<DB: Dialect>(r: &DB::Row) -> Result<ApiToken> {
    let role: String = r.col("role")?;
    let scopes: Option<String> = r.col("scopes")?;
    Ok(ApiToken {
        id: TokenId(r.col("id")?),
        name: r.col("name")?,
        role: parsed(role.parse::<Role>())?,
        tenant_id: r.col::<Option<Uuid>>("tenant_id")?.map(TenantId),
        carrier_id: r.col::<Option<Uuid>>("carrier_id")?.map(CarrierId),
        scopes: scopes.map(|s| s.split_whitespace().map(String::from).collect()),
        created_at: ts(r.col("created_at")?),
        created_by: r.col("created_by")?,
        revoked_at: ots(r.col("revoked_at")?),
        expires_at: ots(r.col("expires_at")?),
    })
}

impl<DB: Dialect> SqlStore<DB> {
    async fn user_tenants(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<TenantId>>> {
        let mut map: HashMap<Uuid, Vec<TenantId>> = HashMap::new();
        if ids.is_empty() {
            return Ok(map);
        }
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT user_id, tenant_id FROM user_tenants WHERE user_id IN (",
        );
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_arg(*id);
        }
        qb.push(") ORDER BY user_id, tenant_id");
        for r in qb.build().fetch_all(DB::pool(&self.read)).await? {
            map.entry(r.col("user_id")?)
                .or_default()
                .push(TenantId(r.col("tenant_id")?));
        }
        Ok(map)
    }

    async fn users_from_rows(&self, rows: Vec<DB::Row>) -> Result<Vec<User>> {
        let ids: Vec<Uuid> = rows
            .iter()
            .map(|r| r.col("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut grants = self.user_tenants(&ids).await?;
        rows.iter()
            .zip(ids)
            .map(|(r, id)| user_row::<DB>(r, grants.remove(&id).unwrap_or_default()))
            .collect()
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> AccessStore for SqlStore<DB> {
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.email = $1");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(email.trim().to_lowercase())
            .fetch_optional(DB::pool(&self.read))
            .await?
        else {
            return Ok(None);
        };
        let hash: String = row.col("password_hash")?;
        let mut users = self.users_from_rows(vec![row]).await?;
        Ok(users.pop().map(|u| (u, hash)))
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(id.0)
            .fetch_all(DB::pool(&self.read))
            .await?;
        Ok(self.users_from_rows(rows).await?.pop())
    }

    async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users u ORDER BY u.email");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(DB::pool(&self.read))
            .await?;
        self.users_from_rows(rows).await
    }

    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1");
        fetch_row(
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(hash.to_vec()),
            &self.read,
            token_row::<DB>,
        )
        .await
    }

    async fn tokens(&self) -> Result<Vec<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens ORDER BY id");
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql)),
            &self.read,
            token_row::<DB>,
        )
        .await
    }

    async fn session(&self, hash: &[u8], now: Timestamp) -> Result<Option<(User, String)>> {
        let sql = format!(
            "SELECT {USER_COLS}, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        );
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(hash.to_vec())
            .arg(us(now))
            .fetch_optional(DB::pool(&self.read))
            .await?
        else {
            return Ok(None);
        };
        let csrf: String = row.col("csrf_token")?;
        Ok(self
            .users_from_rows(vec![row])
            .await?
            .pop()
            .map(|u| (u, csrf)))
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> AccessTx for SqlTx<DB> {
    async fn insert_user(&mut self, u: &User, password_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, email, name, role, password_hash, carrier_id, created_at, \
             disabled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .arg(u.id.0)
        .arg(u.email.trim().to_lowercase())
        .arg(u.name.clone())
        .arg(u.role.as_str())
        .arg(password_hash.to_string())
        .arg(u.carrier_id.map(|c| c.0))
        .arg(us(u.created_at))
        .arg(u.disabled)
        .execute(DB::conn(&mut self.tx))
        .await?;
        for t in &u.tenants {
            sqlx::query("INSERT INTO user_tenants (user_id, tenant_id) VALUES ($1, $2)")
                .arg(u.id.0)
                .arg(t.0)
                .execute(DB::conn(&mut self.tx))
                .await?;
        }
        Ok(())
    }

    async fn insert_token(&mut self, t: &ApiToken, hash: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, name, role, tenant_id, carrier_id, scopes, \
             created_at, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .arg(t.id.0)
        .arg(hash.to_vec())
        .arg(t.name.clone())
        .arg(t.role.as_str())
        .arg(t.tenant_id.map(|x| x.0))
        .arg(t.carrier_id.map(|x| x.0))
        .arg(t.scopes.as_ref().map(|s| s.join(" ")))
        .arg(us(t.created_at))
        .arg(t.created_by.clone())
        .arg(t.expires_at.map(us))
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }

    async fn revoke_token(&mut self, id: TokenId, at: Timestamp) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .arg(id.0)
        .arg(us(at))
        .execute(DB::conn(&mut self.tx))
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn insert_session(
        &mut self,
        hash: &[u8],
        user: UserId,
        csrf: &str,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .arg(hash.to_vec())
        .arg(user.0)
        .arg(csrf.to_string())
        .arg(us(now))
        .arg(us(expires))
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }

    async fn delete_session(&mut self, hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .arg(hash.to_vec())
            .execute(DB::conn(&mut self.tx))
            .await?;
        Ok(())
    }
}
