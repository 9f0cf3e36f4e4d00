//! Webhook endpoints, the outbox and its attempts: reads ([`MessageStore`]) and writes
//! ([`MessageTx`]).

use super::dialect::{Dialect, PushArg, QueryExt, RowExt, RowsAffected};
use super::{SqlStore, SqlTx, chunk_rows, fetch_row, ots, ous, sized_chunks, ts, us};
use crate::{DeliveryRecord, MessageStore, MessageTx, OutboxFilter, Result, StoreError};
use consign_core::ids::{CarrierId, CaseId, TenantId};
use consign_core::message::endpoint::{EndpointSecret, WebhookEndpoint};
use consign_core::message::outbox::{
    DeliveryAttempt, DeliveryState, EventType, OutboxMessage, Transport,
};
use consign_core::message::webhook::WebhookSecret;
use consign_core::message::{Audience, Channel, Template};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::QueryBuilder;
use uuid::Uuid;

const ENDPOINT_COLS: &str = "tenant_id, id, url, description, carrier_id, events, secrets_json, \
    disabled_at, disabled_reason, created_at, created_by";
const MESSAGE_COLS: &str = "seq, id, tenant_id, transport, endpoint_id, recipient, kind, \
    dedup_key, ordering_key, sender, reply_to, subject, body, body_html, case_id, state, \
    attempts, next_attempt_at, last_error, last_status, created_at, delivered_at";

/// A secret as stored in `secrets_json`.
#[derive(Serialize, Deserialize)]
struct StoredSecret {
    secret: String,
    created_at: i64,
    expires_at: Option<i64>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn secrets_json(secrets: &[EndpointSecret]) -> String {
    let stored: Vec<StoredSecret> = secrets
        .iter()
        .map(|s| StoredSecret {
            secret: s.secret.expose(),
            created_at: us(s.created_at),
            expires_at: ous(s.expires_at),
        })
        .collect();
    super::to_json(&stored)
}

fn events_text(events: &[EventType]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Ids in the pieces one `id_list` takes (all at once where the engine takes an array).
fn id_chunks<DB: Dialect>(ids: &[Uuid]) -> Vec<&[Uuid]> {
    match DB::id_chunk() {
        0 => vec![ids],
        n => ids.chunks(n).collect(),
    }
}

fn endpoint_row<DB: Dialect>(r: &DB::Row) -> Result<WebhookEndpoint> {
    let events: String = r.col("events")?;
    let secrets: String = r.col("secrets_json")?;
    let secrets: Vec<StoredSecret> = super::json_col(&secrets, "webhook_endpoints.secrets_json")?;
    Ok(WebhookEndpoint {
        id: r.col("id")?,
        tenant_id: TenantId(r.col("tenant_id")?),
        url: r.col("url")?,
        description: r.col("description")?,
        carrier: r.col::<Option<Uuid>>("carrier_id")?.map(CarrierId),
        events: events
            .split_whitespace()
            .map(EventType::parse)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| corrupt("webhook_endpoints.events", e))?,
        secrets: secrets
            .into_iter()
            .map(|s| {
                Ok(EndpointSecret {
                    secret: WebhookSecret::parse(&s.secret)
                        .map_err(|e| corrupt("webhook_endpoints.secrets_json", e))?,
                    created_at: ts(s.created_at),
                    expires_at: ots(s.expires_at),
                })
            })
            .collect::<Result<_>>()?,
        disabled_at: ots(r.col("disabled_at")?),
        disabled_reason: r.col("disabled_reason")?,
        created_at: ts(r.col("created_at")?),
        created_by: r.col("created_by")?,
    })
}

fn message_row<DB: Dialect>(r: &DB::Row) -> Result<OutboxMessage> {
    let transport: String = r.col("transport")?;
    let state: String = r.col("state")?;
    Ok(OutboxMessage {
        id: r.col("id")?,
        tenant_id: TenantId(r.col("tenant_id")?),
        transport: Transport::parse(&transport).map_err(|e| corrupt("outbox.transport", e))?,
        endpoint_id: r.col("endpoint_id")?,
        recipient: r.col("recipient")?,
        kind: r.col("kind")?,
        dedup_key: r.col("dedup_key")?,
        ordering_key: r.col("ordering_key")?,
        sender: r.col("sender")?,
        reply_to: r.col("reply_to")?,
        subject: r.col("subject")?,
        body: r.col("body")?,
        body_html: r.col("body_html")?,
        case_id: r.col::<Option<Uuid>>("case_id")?.map(CaseId),
        state: DeliveryState::parse(&state).map_err(|e| corrupt("outbox.state", e))?,
        attempts: u32::try_from(r.col::<i64>("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: ts(r.col("next_attempt_at")?),
        last_error: r.col("last_error")?,
        last_status: r
            .col::<Option<i64>>("last_status")?
            .and_then(|s| u16::try_from(s).ok()),
        created_at: ts(r.col("created_at")?),
        delivered_at: ots(r.col("delivered_at")?),
    })
}

fn attempt_row<DB: Dialect>(r: &DB::Row) -> Result<DeliveryAttempt> {
    Ok(DeliveryAttempt {
        message_id: r.col("message_id")?,
        attempt: u32::try_from(r.col::<i64>("attempt")?).unwrap_or(u32::MAX),
        at: ts(r.col("at")?),
        status: r
            .col::<Option<i64>>("status")?
            .and_then(|s| u16::try_from(s).ok()),
        error: r.col("error")?,
        duration_ms: u32::try_from(r.col::<i64>("duration_ms")?).unwrap_or(u32::MAX),
    })
}

/// The columns `enqueue` writes, in the order both engines' statements bind them.
pub(crate) const ENQUEUE_COLS: &str = "id, tenant_id, transport, endpoint_id, recipient, kind, \
    dedup_key, ordering_key, sender, reply_to, subject, body, body_html, case_id, state, \
    attempts, next_attempt_at, last_error, last_status, created_at, delivered_at";

/// Outbox rows as multi-row `VALUES` inserts (SQLite's form; PostgreSQL binds one array per
/// column instead, see its `Dialect::enqueue_outbox`).
pub(crate) fn enqueue_values<DB: Dialect>(messages: &[OutboxMessage]) -> Vec<QueryBuilder<DB>> {
    messages
        .chunks(chunk_rows(21))
        .map(|chunk| {
            let mut qb = QueryBuilder::<DB>::new(format!("INSERT INTO outbox ({ENQUEUE_COLS}) "));
            qb.push_values(chunk, |mut b, m| {
                b.push_arg(m.id)
                    .push_arg(m.tenant_id.0)
                    .push_arg(m.transport.as_str())
                    .push_arg(m.endpoint_id)
                    .push_arg(m.recipient.clone())
                    .push_arg(m.kind.clone())
                    .push_arg(m.dedup_key.clone())
                    .push_arg(m.ordering_key.clone())
                    .push_arg(m.sender.clone())
                    .push_arg(m.reply_to.clone())
                    .push_arg(m.subject.clone())
                    .push_arg(m.body.clone())
                    .push_arg(m.body_html.clone())
                    .push_arg(m.case_id.map(|c| c.0))
                    .push_arg(m.state.as_str())
                    .push_arg(i64::from(m.attempts))
                    .push_arg(us(m.next_attempt_at))
                    .push_arg(m.last_error.clone())
                    .push_arg(m.last_status.map(i64::from))
                    .push_arg(us(m.created_at))
                    .push_arg(ous(m.delivered_at));
            });
            qb
        })
        .collect()
}

#[async_trait::async_trait]
impl<DB: Dialect> MessageStore for SqlStore<DB> {
    async fn webhook_endpoints(&self, tenant: TenantId) -> Result<Vec<WebhookEndpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE tenant_id = $1 \
             ORDER BY created_at, id"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(tenant.0)
            .fetch_all(DB::pool(&self.read))
            .await?
            .iter()
            .map(endpoint_row::<DB>)
            .collect()
    }

    async fn webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<WebhookEndpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2"
        );
        fetch_row(
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(tenant.0).arg(id),
            &self.read,
            endpoint_row::<DB>,
        )
        .await
    }

    async fn endpoints_by_ids(&self, ids: &[Uuid]) -> Result<Vec<WebhookEndpoint>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in id_chunks::<DB>(ids) {
            let mut qb = QueryBuilder::<DB>::new(format!(
                "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE "
            ));
            DB::id_list(&mut qb, "id", chunk);
            for r in qb.build().fetch_all(DB::pool(&self.read)).await? {
                out.push(endpoint_row::<DB>(&r)?);
            }
        }
        Ok(out)
    }

    async fn outbox_messages(
        &self,
        tenant: TenantId,
        f: &OutboxFilter,
    ) -> Result<Vec<OutboxMessage>> {
        let mut qb = QueryBuilder::<DB>::new(format!(
            "SELECT {MESSAGE_COLS} FROM outbox WHERE tenant_id = "
        ));
        qb.push_arg(tenant.0);
        if let Some(s) = f.state {
            qb.push(" AND state = ").push_arg(s.as_str());
        }
        if let Some(e) = f.endpoint {
            qb.push(" AND endpoint_id = ").push_arg(e);
        }
        if let Some(c) = f.case {
            qb.push(" AND case_id = ").push_arg(c.0);
        }
        if let Some(b) = f.before {
            qb.push(" AND seq < (SELECT seq FROM outbox WHERE id = ")
                .push_arg(b)
                .push(")");
        }
        qb.push(" ORDER BY seq DESC LIMIT ")
            .push_arg(i64::from(f.limit.clamp(1, 1000)));
        qb.build()
            .fetch_all(DB::pool(&self.read))
            .await?
            .iter()
            .map(message_row::<DB>)
            .collect()
    }

    async fn outbox_message(&self, tenant: TenantId, id: Uuid) -> Result<Option<OutboxMessage>> {
        let sql = format!("SELECT {MESSAGE_COLS} FROM outbox WHERE tenant_id = $1 AND id = $2");
        fetch_row(
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(tenant.0).arg(id),
            &self.read,
            message_row::<DB>,
        )
        .await
    }

    async fn delivery_attempts(
        &self,
        tenant: TenantId,
        messages: &[Uuid],
    ) -> Result<Vec<DeliveryAttempt>> {
        let mut out = Vec::new();
        for chunk in id_chunks::<DB>(messages) {
            // Joined to the outbox so that only the tenant's messages' attempts are read.
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT a.message_id, a.attempt, a.at, a.status, a.error, a.duration_ms \
                 FROM outbox_attempts a JOIN outbox o ON o.id = a.message_id WHERE o.tenant_id = ",
            );
            qb.push_arg(tenant.0).push(" AND ");
            DB::id_list(&mut qb, "a.message_id", chunk);
            for r in qb.build().fetch_all(DB::pool(&self.read)).await? {
                out.push(attempt_row::<DB>(&r)?);
            }
        }
        out.sort_by_key(|a| (a.at, a.attempt));
        Ok(out)
    }

    async fn message_templates(&self, tenant: TenantId) -> Result<Vec<Template>> {
        let rows = sqlx::query(
            "SELECT name, language, case_type, audience, channel, subject, body \
             FROM message_templates WHERE tenant_id = $1 ORDER BY name, language",
        )
        .arg(tenant.0)
        .fetch_all(DB::pool(&self.read))
        .await?;
        rows.iter()
            .map(|r| {
                let audience: String = r.col("audience")?;
                let channel: String = r.col("channel")?;
                Ok(Template {
                    name: r.col("name")?,
                    language: r.col("language")?,
                    case_type: r.col("case_type")?,
                    audience: Audience::parse(&audience)
                        .map_err(|e| corrupt("message_templates.audience", e))?,
                    channel: Channel::parse(&channel)
                        .map_err(|e| corrupt("message_templates.channel", e))?,
                    subject: r.col("subject")?,
                    body: r.col("body")?,
                })
            })
            .collect()
    }

    async fn outbox_counts(&self) -> Result<Vec<(DeliveryState, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
            .fetch_all(DB::pool(&self.read))
            .await?;
        rows.iter()
            .map(|r| {
                let s: String = r.col("state")?;
                Ok((
                    DeliveryState::parse(&s).map_err(|e| corrupt("outbox.state", e))?,
                    r.col("n")?,
                ))
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> MessageTx for SqlTx<DB> {
    async fn insert_webhook_endpoint(&mut self, e: &WebhookEndpoint) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhook_endpoints (tenant_id, id, url, description, events, \
             secrets_json, disabled_at, disabled_reason, created_at, created_by, updated_at, \
             carrier_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $11)",
        )
        .arg(e.tenant_id.0)
        .arg(e.id)
        .arg(e.url.clone())
        .arg(e.description.clone())
        .arg(events_text(&e.events))
        .arg(secrets_json(&e.secrets))
        .arg(ous(e.disabled_at))
        .arg(e.disabled_reason.clone())
        .arg(us(e.created_at))
        .arg(e.created_by.clone())
        .arg(e.carrier.map(|c| c.0))
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }

    async fn update_webhook_endpoint(&mut self, e: &WebhookEndpoint, now: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_endpoints SET url = $3, description = $4, events = $5, \
             secrets_json = $6, disabled_at = $7, disabled_reason = $8, updated_at = $9 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .arg(e.tenant_id.0)
        .arg(e.id)
        .arg(e.url.clone())
        .arg(e.description.clone())
        .arg(events_text(&e.events))
        .arg(secrets_json(&e.secrets))
        .arg(ous(e.disabled_at))
        .arg(e.disabled_reason.clone())
        .arg(us(now))
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }

    async fn enqueue(&mut self, messages: &[OutboxMessage]) -> Result<()> {
        for mut qb in DB::enqueue_outbox(messages) {
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }

    async fn claim_outbox(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        let lock = if DB::CONCURRENT_WRITERS {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        // A message waits while an earlier one with its ordering key is still pending (in
        // flight under a lease, or waiting to be retried): per endpoint and subject, events
        // arrive in the order they happened. The walk in `seq` order reads `outbox_pending`
        // (pending rows only), so delivered history is never stepped over (migration 0013).
        let sql = format!(
            "UPDATE outbox SET lease_until = $2, attempts = attempts + 1 WHERE seq IN (\
             SELECT o.seq FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= $1 \
             AND (o.lease_until IS NULL OR o.lease_until <= $1) \
             AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'pending' \
             AND p.ordering_key = o.ordering_key AND p.seq < o.seq) \
             ORDER BY o.seq LIMIT $3{lock}) RETURNING {MESSAGE_COLS}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(us(now))
            .arg(us(lease_until))
            .arg(i64::from(limit))
            .fetch_all(DB::conn(&mut self.tx))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((r.col::<i64>("seq")?, message_row::<DB>(r)?));
        }
        out.sort_by_key(|(seq, _)| *seq);
        Ok(out.into_iter().map(|(_, m)| m).collect())
    }

    async fn record_deliveries(
        &mut self,
        records: &[DeliveryRecord],
        now: Timestamp,
    ) -> Result<()> {
        for chunk in sized_chunks(records, chunk_rows(6)) {
            let mut qb = QueryBuilder::<DB>::new(
                "UPDATE outbox SET state = v.column2, \
                 next_attempt_at = COALESCE(v.column3, outbox.next_attempt_at), \
                 lease_until = NULL, last_error = v.column4, last_status = v.column5, \
                 delivered_at = COALESCE(v.column6, outbox.delivered_at) FROM (",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_arg(r.message_id)
                    .push_arg(r.state.as_str())
                    .push_arg(ous(r.next_attempt_at))
                    .push_arg(r.attempt.error.clone())
                    .push_arg(r.attempt.status.map(i64::from))
                    .push_arg((r.state == DeliveryState::Delivered).then(|| us(now)));
            });
            qb.push(") AS v WHERE outbox.id = v.column1");
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        for chunk in records.chunks(chunk_rows(6)) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO outbox_attempts (message_id, attempt, at, status, error, \
                 duration_ms) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_arg(r.message_id)
                    .push_arg(i64::from(r.attempt.attempt))
                    .push_arg(us(r.attempt.at))
                    .push_arg(r.attempt.status.map(i64::from))
                    .push_arg(r.attempt.error.clone())
                    .push_arg(i64::from(r.attempt.duration_ms));
            });
            // A worker whose lease ran out may record the same attempt as its successor.
            qb.push(" ON CONFLICT (message_id, attempt) DO NOTHING");
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }

    async fn requeue_message(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        now: Timestamp,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'pending', next_attempt_at = $3, lease_until = NULL \
             WHERE tenant_id = $1 AND id = $2 AND state <> 'pending'",
        )
        .arg(tenant.0)
        .arg(id)
        .arg(us(now))
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn put_template(
        &mut self,
        tenant: TenantId,
        t: &Template,
        at: Timestamp,
        by: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO message_templates (tenant_id, name, language, case_type, audience, \
             channel, subject, body, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (tenant_id, name, language) DO UPDATE SET case_type = excluded.case_type, \
             audience = excluded.audience, channel = excluded.channel, subject = excluded.subject, \
             body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .arg(tenant.0)
        .arg(t.name.clone())
        .arg(t.language.clone())
        .arg(t.case_type.clone())
        .arg(t.audience.as_str())
        .arg(t.channel.as_str())
        .arg(t.subject.clone())
        .arg(t.body.clone())
        .arg(us(at))
        .arg(by.to_string())
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }

    async fn delete_template(
        &mut self,
        tenant: TenantId,
        name: &str,
        language: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM message_templates WHERE tenant_id = $1 AND name = $2 AND language = $3",
        )
        .arg(tenant.0)
        .arg(name.to_string())
        .arg(language.to_string())
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn kill_endpoint_messages(
        &mut self,
        endpoint: Uuid,
        reason: &str,
        _now: Timestamp,
    ) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'dead', last_error = $2, lease_until = NULL \
             WHERE endpoint_id = $1 AND state = 'pending'",
        )
        .arg(endpoint)
        .arg(reason.to_string())
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(done.rows_affected())
    }
}
