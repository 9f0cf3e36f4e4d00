//! The background work a server runs beside its HTTP handlers, started together with one
//! call ([`start`]): the rule sweeps (time-based shipment rules every interval, the carrier and
//! EDI rules every fifth round), the case timers (SLA warnings, breaches, escalations,
//! automatic closes and assignment), the outbox's delivery (webhooks to subscribed endpoints,
//! see `messages::delivery`), the KPI rollup's refresh (`kpis::refresh`) and housekeeping
//! (expired idempotency keys).
//!
//! Several servers may run them against one database: shipment rows are locked while judged
//! and a shipment already judged by another sweeper is skipped; the case indexes refuse a
//! second open case; a due case timer is claimed by one server (`FOR UPDATE SKIP LOCKED`)
//! and fires from its timeline, so it fires once; a due message is leased to one server the
//! same way, so it is delivered once (a server killed mid-delivery lets its lease lapse).

use crate::App;
use std::time::Duration;

/// How often each worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Between rule sweeps; `None` runs no sweep (tests, or a server that only answers).
    pub sweep_every: Option<Duration>,
    /// Between purges of idempotency keys older than [`KEY_RETENTION`].
    pub housekeeping_every: Duration,
    /// Between case timer sweeps; `None` runs none.
    pub case_timers_every: Option<Duration>,
    /// How long the delivery worker sleeps when the outbox has nothing due (it is woken at
    /// once when a message is enqueued); `None` runs no delivery worker.
    pub outbox_idle: Option<Duration>,
    /// Between KPI rollup refreshes (each drains what is stale); `None` runs none.
    pub kpi_refresh_every: Option<Duration>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            sweep_every: Some(Duration::from_secs(60)),
            housekeeping_every: Duration::from_secs(3600),
            case_timers_every: Some(Duration::from_secs(30)),
            outbox_idle: Some(Duration::from_millis(500)),
            kpi_refresh_every: Some(Duration::from_secs(10)),
        }
    }
}

/// How long an answered `Idempotency-Key` is kept (clients retry within hours, not days).
pub const KEY_RETENTION: jiff::SignedDuration = jiff::SignedDuration::from_hours(48);

/// Starts every worker on the current tokio runtime; they run until the runtime ends.
pub fn start(app: &App, cfg: &WorkerConfig) {
    tokio::spawn(housekeeping(app.clone(), cfg.housekeeping_every));
    if let Some(every) = cfg.sweep_every {
        tokio::spawn(sweeps(app.clone(), every));
    }
    if let Some(every) = cfg.case_timers_every {
        tokio::spawn(case_timers(app.clone(), every));
    }
    if let Some(idle) = cfg.outbox_idle {
        tokio::spawn(outbox(app.clone(), idle));
    }
    if let Some(every) = cfg.kpi_refresh_every {
        tokio::spawn(kpi_refresh(app.clone(), every));
    }
}

async fn kpi_refresh(app: App, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match app.refresh_kpis_until_done().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(changes = n, "KPI rollup refreshed"),
            Err(e) => tracing::warn!(error = %e, "KPI rollup refresh failed"),
        }
    }
}

async fn outbox(app: App, idle: Duration) {
    loop {
        match app.deliver_due().await {
            // A full round: more may be due at once.
            Ok(r) if r.claimed as u32 >= app.messaging.config.batch => continue,
            Ok(r) => {
                if r.dead + r.endpoints_disabled > 0 {
                    tracing::warn!(
                        dead = r.dead,
                        endpoints_disabled = r.endpoints_disabled,
                        "outbox: messages dead-lettered"
                    );
                }
                if r.claimed == 0 {
                    let _ = tokio::time::timeout(idle, app.messaging.wake.notified()).await;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "outbox delivery round failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Cases claimed per timer transaction: small enough that a sweep holds its row locks
/// briefly, large enough that a backlog of due timers clears in a few rounds.
pub const TIMER_BATCH: u32 = 500;

async fn case_timers(app: App, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match app.sweep_all_case_timers(app.now(), TIMER_BATCH).await {
            Ok(s) if s.warnings + s.breaches + s.escalations + s.closed + s.assigned > 0 => {
                tracing::info!(
                    warnings = s.warnings,
                    breaches = s.breaches,
                    escalations = s.escalations,
                    closed = s.closed,
                    assigned = s.assigned,
                    "case timers"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "case timer sweep failed"),
        }
    }
}

async fn housekeeping(app: App, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let cutoff = app.now() - KEY_RETENTION;
        match app.store.purge_keys(cutoff).await {
            Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "idempotency key purge failed"),
        }
    }
}

async fn sweeps(app: App, every: Duration) {
    let mut tick = tokio::time::interval(every);
    // The carrier-level rule aggregates over every shipment under way, so it runs every
    // fifth round (every five minutes at the default interval), not with every sweep; the
    // EDI rule's 24-hour threshold needs no finer grain either.
    let mut round = 0u64;
    loop {
        tick.tick().await;
        if round.is_multiple_of(5) {
            match app.sweep_carriers().await {
                Ok(c) if c.opened + c.resolved > 0 => {
                    tracing::info!(opened = c.opened, resolved = c.resolved, "carrier sweep")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "carrier sweep failed"),
            }
            match app.sweep_edi_groups().await {
                Ok(c) if c.opened + c.resolved > 0 => {
                    tracing::info!(opened = c.opened, resolved = c.resolved, "EDI sweep")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "EDI sweep failed"),
            }
        }
        round += 1;
        match app.sweep(2_000).await {
            Ok((n, c)) if n > 0 => tracing::info!(
                judged = n,
                opened = c.opened,
                escalated = c.escalated,
                resolved = c.resolved,
                "sweep"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sweep failed"),
        }
    }
}
