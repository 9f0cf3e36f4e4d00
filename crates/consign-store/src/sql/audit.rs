//! The audit chains: reads ([`AuditStore`]) and appends ([`AuditTx`]).

use super::dialect::{Dialect, PushArg, QueryExt, RowExt};
use super::{SqlStore, SqlTx, chunk_rows, fetch_row, fetch_rows, sized_chunks, ts, us};
use crate::{AuditStore, AuditTx, Result, StoreError, chain_of};
use consign_core::audit::{AuditEntry, AuditRecord};
use consign_core::ids::TenantId;
use sqlx::QueryBuilder;
use uuid::Uuid;

const AUDIT_COLS: &str = "seq, tenant_id, at, actor, entity, entity_id, action, before_json, \
    after_json, prev_hash, hash";

fn hash32(v: Vec<u8>) -> Result<[u8; 32]> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt("audit hash is not 32 bytes".into()))
}

fn audit_row<DB: Dialect>(r: &DB::Row) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: r.col("seq")?,
        entry: AuditEntry {
            tenant_id: r.col::<Option<Uuid>>("tenant_id")?.map(TenantId),
            at: ts(r.col("at")?),
            actor: r.col("actor")?,
            entity: r.col("entity")?,
            entity_id: r.col("entity_id")?,
            action: r.col("action")?,
            before: r.col("before_json")?,
            after: r.col("after_json")?,
        },
        prev_hash: hash32(r.col("prev_hash")?)?,
        hash: hash32(r.col("hash")?)?,
    })
}

/// The chain's head, locked until commit where writers run concurrently.
fn head_query<DB: Dialect>() -> &'static str {
    if DB::CONCURRENT_WRITERS {
        "SELECT seq, hash FROM audit_heads WHERE chain = $1 FOR UPDATE"
    } else {
        "SELECT seq, hash FROM audit_heads WHERE chain = $1"
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> AuditStore for SqlStore<DB> {
    async fn audit_chains(&self) -> Result<Vec<Uuid>> {
        let rows = sqlx::query(
            "SELECT chain FROM audit_heads UNION SELECT chain FROM audit_log ORDER BY chain",
        )
        .fetch_all(DB::pool(&self.read))
        .await?;
        rows.iter().map(|r| Ok(r.col("chain")?)).collect()
    }

    async fn audit_page(
        &self,
        chain: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>> {
        let sql = format!(
            "SELECT {AUDIT_COLS} FROM audit_log WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        );
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(chain)
                .arg(after_seq)
                .arg(limit as i64),
            &self.read,
            audit_row::<DB>,
        )
        .await
    }

    async fn audit_head(&self, chain: Uuid) -> Result<Option<(i64, [u8; 32])>> {
        fetch_row(
            sqlx::query("SELECT seq, hash FROM audit_heads WHERE chain = $1").arg(chain),
            &self.read,
            |r| Ok((r.col("seq")?, hash32(r.col("hash")?)?)),
        )
        .await
    }

    async fn audit_for_entity(
        &self,
        chain: Uuid,
        entity: &str,
        entity_id: &str,
    ) -> Result<Vec<AuditRecord>> {
        let sql = format!(
            "SELECT {AUDIT_COLS} FROM audit_log WHERE chain = $1 AND entity = $2 \
             AND entity_id = $3 ORDER BY seq"
        );
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(chain)
                .arg(entity.to_string())
                .arg(entity_id.to_string()),
            &self.read,
            audit_row::<DB>,
        )
        .await
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> AuditTx for SqlTx<DB> {
    async fn append_audit(&mut self, entries: Vec<AuditEntry>) -> Result<()> {
        // Group by chain, keeping each chain's entries in the order given.
        let mut chains: Vec<(Uuid, Vec<AuditEntry>)> = Vec::new();
        for e in entries {
            let c = chain_of(e.tenant_id);
            match chains.iter_mut().find(|(k, _)| *k == c) {
                Some((_, v)) => v.push(e),
                None => chains.push((c, vec![e])),
            }
        }
        for (chain, entries) in chains {
            // Create the head row if this is the chain's first record, then lock it, so
            // concurrent writers to one chain queue instead of forking it.
            // Usually the head exists: lock and read it in one statement, and create it
            // only for a chain's first record.
            let head = match sqlx::query(head_query::<DB>())
                .arg(chain)
                .fetch_optional(DB::conn(&mut self.tx))
                .await?
            {
                Some(h) => h,
                None => {
                    sqlx::query(
                        "INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) \
                         ON CONFLICT (chain) DO NOTHING",
                    )
                    .arg(chain)
                    .arg(consign_core::audit::GENESIS.to_vec())
                    .execute(DB::conn(&mut self.tx))
                    .await?;
                    sqlx::query(head_query::<DB>())
                        .arg(chain)
                        .fetch_one(DB::conn(&mut self.tx))
                        .await?
                }
            };
            let seq: i64 = head.col("seq")?;
            let hash = hash32(head.col("hash")?)?;
            let records = consign_core::audit::chain(seq, hash, entries);
            let chunks = sized_chunks(&records, chunk_rows(12));
            let last_chunk = chunks.len().saturating_sub(1);
            // On SQLite the head's update rides in the last insert's statement text:
            // each statement is a round trip to the connection's thread, and on the
            // webhook path every group commit pays for this one. (PostgreSQL takes
            // one statement per bound query.)
            let head_inline = DB::MULTI_STATEMENT;
            for (i, chunk) in chunks.into_iter().enumerate() {
                let mut qb = QueryBuilder::<DB>::new(
                    "INSERT INTO audit_log (chain, seq, tenant_id, at, actor, entity, entity_id, \
                     action, before_json, after_json, prev_hash, hash) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_arg(chain)
                        .push_arg(r.seq)
                        .push_arg(r.entry.tenant_id.map(|t| t.0))
                        .push_arg(us(r.entry.at))
                        .push_arg(r.entry.actor.clone())
                        .push_arg(r.entry.entity.clone())
                        .push_arg(r.entry.entity_id.clone())
                        .push_arg(r.entry.action.clone())
                        .push_arg(r.entry.before.clone())
                        .push_arg(r.entry.after.clone())
                        .push_arg(r.prev_hash.to_vec())
                        .push_arg(r.hash.to_vec());
                });
                if head_inline
                    && i == last_chunk
                    && let Some(last) = records.last()
                {
                    qb.push("; UPDATE audit_heads SET seq = ")
                        .push_arg(last.seq)
                        .push(", hash = ")
                        .push_arg(last.hash.to_vec())
                        .push(" WHERE chain = ")
                        .push_arg(chain);
                }
                qb.build().execute(DB::conn(&mut self.tx)).await?;
            }
            if !head_inline && let Some(last) = records.last() {
                sqlx::query("UPDATE audit_heads SET seq = $2, hash = $3 WHERE chain = $1")
                    .arg(chain)
                    .arg(last.seq)
                    .arg(last.hash.to_vec())
                    .execute(DB::conn(&mut self.tx))
                    .await?;
            }
        }
        Ok(())
    }
}
