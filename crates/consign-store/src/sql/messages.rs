//! Webhook endpoints, the outbox and its attempts: reads ([`MessageStore`]) and writes
//! ([`MessageTx`]).

use super::dialect::{Dialect, PushArg, QueryExt, RowExt, RowsAffected};
use super::{SqlStore, SqlTx, chunk_rows, fetch_row, fetch_rows, ots, ous, sized_chunks, ts, us};
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
use std::borrow::Cow;
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

/// A staged message as `outbox_staged.body` holds it (an LZ4-compressed JSON array of these):
/// what a new message is made of; its state, attempts and delivery fields start empty when
/// promoted, and its tenant is the row's. The names are short and empty fields left out
/// because compressing costs time in proportion to the JSON's length, on the change's path.
#[derive(Serialize, Deserialize)]
struct StagedMessage<'a> {
    #[serde(rename = "i")]
    id: Uuid,
    #[serde(rename = "t")]
    transport: Transport,
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    endpoint: Option<Uuid>,
    #[serde(rename = "r")]
    recipient: Cow<'a, str>,
    #[serde(rename = "k")]
    kind: Cow<'a, str>,
    /// Left out when it is the message's `OutboxMessage::webhook_id`.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    dedup_key: Option<Cow<'a, str>>,
    #[serde(rename = "o")]
    ordering_key: Cow<'a, str>,
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    sender: Option<Cow<'a, str>>,
    #[serde(rename = "rt", default, skip_serializing_if = "Option::is_none")]
    reply_to: Option<Cow<'a, str>>,
    #[serde(rename = "s", default, skip_serializing_if = "str::is_empty")]
    subject: Cow<'a, str>,
    #[serde(rename = "b")]
    body: Cow<'a, str>,
    #[serde(rename = "h", default, skip_serializing_if = "Option::is_none")]
    body_html: Option<Cow<'a, str>>,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    case: Option<Uuid>,
    #[serde(rename = "n")]
    due: i64,
    #[serde(rename = "w")]
    created: i64,
}

impl<'a> StagedMessage<'a> {
    fn of(m: &'a OutboxMessage) -> Self {
        StagedMessage {
            id: m.id,
            transport: m.transport,
            endpoint: m.endpoint_id,
            recipient: Cow::Borrowed(&m.recipient),
            kind: Cow::Borrowed(&m.kind),
            dedup_key: (m.dedup_key != OutboxMessage::webhook_id(m.id))
                .then_some(Cow::Borrowed(m.dedup_key.as_str())),
            ordering_key: Cow::Borrowed(&m.ordering_key),
            sender: m.sender.as_deref().map(Cow::Borrowed),
            reply_to: m.reply_to.as_deref().map(Cow::Borrowed),
            subject: Cow::Borrowed(&m.subject),
            body: Cow::Borrowed(&m.body),
            body_html: m.body_html.as_deref().map(Cow::Borrowed),
            case: m.case_id.map(|c| c.0),
            due: us(m.next_attempt_at),
            created: us(m.created_at),
        }
    }

    fn into_message(self, tenant: TenantId) -> OutboxMessage {
        OutboxMessage {
            id: self.id,
            tenant_id: tenant,
            transport: self.transport,
            endpoint_id: self.endpoint,
            recipient: self.recipient.into_owned(),
            kind: self.kind.into_owned(),
            dedup_key: self
                .dedup_key
                .map_or_else(|| OutboxMessage::webhook_id(self.id), Cow::into_owned),
            ordering_key: self.ordering_key.into_owned(),
            sender: self.sender.map(Cow::into_owned),
            reply_to: self.reply_to.map(Cow::into_owned),
            subject: self.subject.into_owned(),
            body: self.body.into_owned(),
            body_html: self.body_html.map(Cow::into_owned),
            case_id: self.case.map(CaseId),
            state: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: ts(self.due),
            last_error: None,
            last_status: None,
            created_at: ts(self.created),
            delivered_at: None,
        }
    }
}

/// The most a staged row may unpack to. A row's declared length is checked against it before
/// anything is allocated, so a damaged row is an error, not an allocation of gigabytes.
const MAX_STAGED_BYTES: usize = 256 << 20;

fn pack_staged(messages: &[OutboxMessage]) -> Result<Vec<u8>> {
    let staged: Vec<StagedMessage> = messages.iter().map(StagedMessage::of).collect();
    let json = serde_json::to_vec(&staged).map_err(|e| corrupt("staged messages", e))?;
    Ok(lz4_flex::compress_prepend_size(&json))
}

fn unpack_staged(tenant: TenantId, packed: &[u8]) -> Result<Vec<OutboxMessage>> {
    let declared = packed
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    match declared {
        Some(n) if n <= MAX_STAGED_BYTES => {}
        _ => return Err(corrupt("outbox_staged.body", "no valid length")),
    }
    let json = lz4_flex::decompress_size_prepended(packed)
        .map_err(|e| corrupt("outbox_staged.body", e))?;
    let staged: Vec<StagedMessage> =
        serde_json::from_slice(&json).map_err(|e| corrupt("outbox_staged.body", e))?;
    Ok(staged.into_iter().map(|m| m.into_message(tenant)).collect())
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
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(tenant.0),
            &self.read,
            endpoint_row::<DB>,
        )
        .await
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
        fetch_rows(qb.build(), &self.read, message_row::<DB>).await
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
        let rows = sqlx::query(
            "SELECT state, COUNT(*) AS n FROM outbox GROUP BY state \
             UNION ALL SELECT 'pending', CAST(SUM(messages) AS BIGINT) FROM outbox_staged \
             HAVING COUNT(*) > 0",
        )
        .fetch_all(DB::pool(&self.read))
        .await?;
        let mut counts: Vec<(DeliveryState, i64)> = Vec::new();
        for r in &rows {
            let s: String = r.col("state")?;
            let state = DeliveryState::parse(&s).map_err(|e| corrupt("outbox.state", e))?;
            let n: i64 = r.col("n")?;
            match counts.iter_mut().find(|(st, _)| *st == state) {
                Some((_, total)) => *total += n,
                None => counts.push((state, n)),
            }
        }
        Ok(counts)
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

    async fn stage(&mut self, messages: &[OutboxMessage]) -> Result<()> {
        for group in messages.chunk_by(|a, b| a.tenant_id == b.tenant_id) {
            sqlx::query(
                "INSERT INTO outbox_staged (tenant_id, messages, body, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .arg(group[0].tenant_id.0)
            .arg(i64::try_from(group.len()).unwrap_or(i64::MAX))
            .arg(pack_staged(group)?)
            .arg(us(group[0].created_at))
            .execute(DB::conn(&mut self.tx))
            .await?;
        }
        Ok(())
    }

    async fn promote_staged(&mut self, rows: u32) -> Result<usize> {
        // Promotions must not interleave, or two servers could give a later staged row's
        // messages earlier outbox places than an earlier row's. SQLite has one writer; on
        // PostgreSQL the one that takes this transaction-scoped lock promotes, and a server
        // that finds it taken claims what is already promoted.
        if DB::CONCURRENT_WRITERS {
            let mine: bool = sqlx::query("SELECT pg_try_advisory_xact_lock(7262837013)")
                .fetch_one(DB::conn(&mut self.tx))
                .await?
                .at(0)?;
            if !mine {
                return Ok(0);
            }
        }
        let found =
            sqlx::query("SELECT seq, tenant_id, body FROM outbox_staged ORDER BY seq LIMIT $1")
                .arg(i64::from(rows.max(1)))
                .fetch_all(DB::conn(&mut self.tx))
                .await?;
        if found.is_empty() {
            return Ok(0);
        }
        let mut seqs = Vec::with_capacity(found.len());
        let mut messages = Vec::new();
        for r in &found {
            seqs.push(r.col::<i64>("seq")?);
            let body: Vec<u8> = r.col("body")?;
            messages.extend(unpack_staged(TenantId(r.col("tenant_id")?), &body)?);
        }
        for mut qb in DB::enqueue_outbox(&messages) {
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        let mut qb = QueryBuilder::<DB>::new("DELETE FROM outbox_staged WHERE seq IN (");
        let mut list = qb.separated(", ");
        for seq in seqs {
            list.push_arg(seq);
        }
        qb.push(")");
        qb.build().execute(DB::conn(&mut self.tx)).await?;
        Ok(messages.len())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn message(dedup_key: Option<&str>) -> OutboxMessage {
        let id = Uuid::now_v7();
        let at = Timestamp::from_second(1_790_000_000).unwrap();
        OutboxMessage {
            id,
            tenant_id: TenantId(Uuid::now_v7()),
            transport: Transport::Email,
            endpoint_id: None,
            recipient: "ops@example.com".into(),
            kind: "delay_notice".into(),
            dedup_key: dedup_key.map_or_else(|| OutboxMessage::webhook_id(id), str::to_string),
            ordering_key: "email:ops@example.com|case:1".into(),
            sender: Some("Acme <noreply@acme.example>".into()),
            reply_to: None,
            subject: "Your delivery \"PO-1\"".into(),
            body: "{\"a\": \"é\\n\"}".into(),
            body_html: Some("<p>late</p>".into()),
            case_id: Some(CaseId(Uuid::now_v7())),
            state: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: at,
            last_error: None,
            last_status: None,
            created_at: at,
            delivered_at: None,
        }
    }

    #[test]
    fn staged_messages_unpack_to_what_was_packed() {
        let mut ms = vec![message(None), message(Some("<x@acme.example>"))];
        let tenant = ms[0].tenant_id;
        ms[1].tenant_id = tenant;
        let packed = pack_staged(&ms).unwrap();
        assert_eq!(unpack_staged(tenant, &packed).unwrap(), ms);
    }

    #[test]
    fn a_damaged_staged_row_is_an_error_not_a_panic() {
        let packed = pack_staged(&[message(None)]).unwrap();
        let tenant = TenantId(Uuid::nil());
        for bad in [
            &packed[..2],
            &packed[..packed.len() / 2],
            &[0xff, 0xff, 0xff, 0x7f, 1, 2, 3][..],
        ] {
            let err = unpack_staged(tenant, bad).unwrap_err();
            assert!(err.to_string().contains("outbox_staged.body"), "{err}");
        }
        let mut flipped = packed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x5a;
        assert!(unpack_staged(tenant, &flipped).is_err());
    }
}
