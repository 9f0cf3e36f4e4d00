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
    let app = app.with_group_commit();
    consign_app::workers::start(
        &app,
        &consign_app::workers::WorkerConfig {
            sweep_every: (cfg.sweep_interval_secs > 0)
                .then(|| std::time::Duration::from_secs(cfg.sweep_interval_secs)),
            case_timers_every: (cfg.case_timer_interval_secs > 0)
                .then(|| std::time::Duration::from_secs(cfg.case_timer_interval_secs)),
            outbox_idle: cfg
                .outbox_worker
                .then(|| std::time::Duration::from_millis(500)),
            kpi_refresh_every: (cfg.kpi_refresh_interval_secs > 0)
                .then(|| std::time::Duration::from_secs(cfg.kpi_refresh_interval_secs)),
            ..Default::default()
        },
    );
    let router = consign_web::router(app.clone(), web_config(cfg));
    if let Some(b) = banner {
        println!("{b}");
    }
    println!(
        "Consign is serving on http://{addr}  (dashboard http://{addr}/app, API docs http://{addr}/api/docs)"
    );
    tracing::info!(%addr, engine = app.engine_name(), "serving");
    consign_web::serve(listener, router, shutdown_signal()).await?;
    Ok(())
}
