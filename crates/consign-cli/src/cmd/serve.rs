//! `consign serve`: the API and dashboard, with the workers a server runs beside them (rule
//! sweeps, idempotency-key housekeeping, the group committer). The demo serves through here
//! too.

use crate::common::open_app;
use crate::config::Config;
use anyhow::Context;
use consign_app::App;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ServeArgs {
    #[arg(long)]
    pub listen: Option<String>,
}

/// `--listen` has already been folded into the configuration.
pub async fn run(cfg: &Config) -> anyhow::Result<ExitCode> {
    let app = open_app(cfg).await?;
    serve(cfg, app, &cfg.listen.clone(), None).await?;
    Ok(ExitCode::SUCCESS)
}

fn web_config(cfg: &Config) -> consign_web::WebConfig {
    consign_web::WebConfig {
        body_limit: cfg.body_limit,
        requests_per_minute: cfg.requests_per_minute,
        login_per_minute: cfg.login_per_minute,
        secure_cookies: cfg.secure_cookies,
        webhook_secret: cfg.webhook_secret.clone(),
        ..Default::default()
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// Removes idempotency keys older than 48 hours (they must be kept at least 24).
fn spawn_housekeeping(app: App) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let cutoff = app.now() - jiff::SignedDuration::from_hours(48);
            match app.store.purge_keys(cutoff).await {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "idempotency key purge failed"),
            }
        }
    });
}

/// Runs the rule sweep every `interval` seconds (0 disables). Several servers may sweep the
/// same database: shipment rows are locked while judged, and a shipment already judged by
/// another sweeper is skipped.
fn spawn_sweeper(app: App, interval: u64) {
    if interval == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(interval));
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
    });
}

pub async fn serve(
    cfg: &Config,
    app: App,
    listen: &str,
    banner: Option<String>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    spawn_housekeeping(app.clone());
    let app = app.with_group_commit();
    spawn_sweeper(app.clone(), cfg.sweep_interval_secs);
    let router = consign_web::router(app.clone(), web_config(cfg));
    if let Some(b) = banner {
        println!("{b}");
    }
    println!(
        "Consign is serving on http://{addr}  (dashboard http://{addr}/app, API docs http://{addr}/api/docs)"
    );
    tracing::info!(%addr, engine = app.store.engine().name(), "serving");
    consign_web::serve(listener, router, shutdown_signal()).await?;
    Ok(())
}
