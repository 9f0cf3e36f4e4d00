//! What each subcommand does. Each opens the configured store (migrating it), builds the
//! `App`, and calls the same use cases the HTTP API calls, as the system actor.

use crate::config::{self, Config, Overrides};
use crate::{
    AuditCmd, BenchCmd, CarrierCmd, Cli, Command, EdiCmd, ImportCmd, PartnerCmd, RulesCmd,
    TenantCmd, TokenCmd, UserCmd,
};
use anyhow::{Context, bail};
use consign_app::App;
use consign_app::admin::{NewToken, NewUser};
use consign_core::access::{Principal, Role};
use consign_core::party::{Mode, NewCarrier};
use consign_core::tenant::NewTenant;
use consign_core::time::SystemClock;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

pub fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CONSIGN_LOG")
        // sqlx's slow-statement warnings print whole multi-row statements (thousands of
        // placeholders); statement errors still surface through our own error handling.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=error"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if cfg.log_format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub async fn open_app(cfg: &Config) -> anyhow::Result<App> {
    let store = consign_store::open(&cfg.database_url)
        .await
        .with_context(|| format!("opening the database {}", redact(&cfg.database_url)))?;
    let mut app = App::new(store, Arc::new(SystemClock), cfg.data_dir.join("documents"));
    app.idempotency_lease = std::time::Duration::from_secs(cfg.idempotency_lease_secs);
    Ok(app)
}

/// Database URLs can carry passwords; never print them.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

pub fn web_config(cfg: &Config) -> consign_web::WebConfig {
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

fn parse_role(s: &str) -> anyhow::Result<Role> {
    s.parse::<Role>()
        .map_err(|e| anyhow::anyhow!("--role: {e}"))
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    let cfg = config::load(
        cli.config.as_ref(),
        Overrides {
            database_url: cli.database_url.clone(),
            data_dir: cli.data_dir.clone(),
            listen,
        },
    )?;
    init_logging(&cfg);
    let system = Principal::system();
    match cli.command {
        Command::Serve { .. } => {
            let app = open_app(&cfg).await?;
            serve(&cfg, app, &cfg.listen.clone(), None).await?;
        }
        Command::Migrate => {
            let app = open_app(&cfg).await?;
            println!(
                "{} database is at schema version {}",
                app.store.engine().name(),
                consign_store::MIGRATION_COUNT
            );
        }
        Command::Tenant(TenantCmd::Add {
            slug,
            name,
            time_zone,
        }) => {
            let app = open_app(&cfg).await?;
            let t = app
                .create_tenant(
                    &system,
                    NewTenant {
                        slug,
                        name,
                        time_zone,
                    },
                )
                .await
                .map_err(explain)?;
            println!("tenant {} ({}) created, id {}", t.slug, t.name, t.id);
        }
        Command::Tenant(TenantCmd::List) => {
            let app = open_app(&cfg).await?;
            for t in app.list_tenants(&system).await.map_err(explain)? {
                println!("{}\t{}\t{}\t{}", t.slug, t.name, t.time_zone, t.id);
            }
        }
        Command::Carrier(CarrierCmd::Add {
            tenant,
            name,
            scac,
            mode,
        }) => {
            let app = open_app(&cfg).await?;
            let t = app.tenant_for(&system, &tenant).await.map_err(explain)?;
            let mode = Mode::parse(&mode).map_err(|e| anyhow::anyhow!("--mode: {e}"))?;
            let c = app
                .create_carrier(&system, &t, NewCarrier { name, scac, mode })
                .await
                .map_err(explain)?;
            println!(
                "carrier {} ({}) added to {}",
                c.name,
                c.scac.unwrap_or_default(),
                t.slug
            );
        }
        Command::User(UserCmd::Add {
            email,
            name,
            role,
            tenants,
            carrier,
            password,
        }) => {
            let app = open_app(&cfg).await?;
            let role = parse_role(&role)?;
            let (u, generated) = app
                .create_user(
                    &system,
                    NewUser {
                        email,
                        name,
                        role,
                        tenants,
                        carrier,
                        password,
                    },
                )
                .await
                .map_err(explain)?;
            println!("user {} ({}) created", u.email, u.role);
            if let Some(pw) = generated {
                println!("password: {pw}");
                println!("(shown once; store it in your password manager)");
            }
        }
        Command::Token(TokenCmd::Create {
            role,
            tenant,
            name,
            carrier,
            scopes,
            expires_in_days,
        }) => {
            let app = open_app(&cfg).await?;
            let expires_at = expires_in_days
                .map(|d| app.now() + jiff::SignedDuration::from_hours(24 * i64::from(d)));
            let role = parse_role(&role)?;
            let scopes = if scopes.is_empty() {
                None
            } else {
                Some(scopes)
            };
            let (t, secret) = app
                .create_token(
                    &system,
                    NewToken {
                        name,
                        role,
                        tenant,
                        carrier,
                        scopes,
                        expires_at,
                    },
                )
                .await
                .map_err(explain)?;
            match t.expires_at {
                Some(e) => eprintln!(
                    "token {} ({}) created, expires {e}; it is shown once:",
                    t.id, t.role
                ),
                None => eprintln!("token {} ({}) created; it is shown once:", t.id, t.role),
            }
            println!("{secret}");
        }
        Command::Import(ImportCmd::Orders(args)) => {
            let app = open_app(&cfg).await?;
            return crate::import::orders(&app, &args).await;
        }
        Command::Import(ImportCmd::Shipments(args)) => {
            let app = open_app(&cfg).await?;
            return crate::import::shipments(&app, &args).await;
        }
        Command::Import(ImportCmd::Events {
            file,
            tenant,
            format,
            codes,
        }) => {
            let app = open_app(&cfg).await?;
            return crate::tracking::import_events(
                &app,
                &file,
                &tenant,
                format.as_deref(),
                codes.as_deref(),
            )
            .await;
        }
        Command::Sweep { at } => {
            let app = open_app(&cfg).await?;
            return crate::tracking::sweep(&app, at.as_deref()).await;
        }
        Command::Rules(RulesCmd::Check { file }) => return crate::tracking::rules_check(&file),
        Command::Rules(RulesCmd::Set { tenant, file }) => {
            let app = open_app(&cfg).await?;
            return crate::tracking::rules_set(&app, &tenant, &file).await;
        }
        Command::Rules(RulesCmd::Show { tenant }) => {
            let app = open_app(&cfg).await?;
            let t = app.tenant_for(&system, &tenant).await.map_err(explain)?;
            match app.store.rulebook(t.id).await? {
                Some(r) => print!(
                    "# version {} of {}, stored {} by {}\n{}",
                    r.version, t.slug, r.created_at, r.created_by, r.source
                ),
                None => print!(
                    "# version 0: the shipped default\n{}",
                    consign_core::rules::DEFAULT_RULEBOOK
                ),
            }
        }
        Command::Rules(RulesCmd::Replay {
            rulebook,
            from,
            to,
            tenant,
        }) => {
            let app = open_app(&cfg).await?;
            return crate::tracking::rules_replay(
                &app,
                rulebook.as_deref(),
                &from,
                &to,
                tenant.as_deref(),
            )
            .await;
        }
        Command::Bench(BenchCmd::Ingest {
            events,
            shipments,
            batch,
            webhooks,
            webhook_rounds,
            sweep_shipments,
            postgres_url,
            sqlite_only,
            postgres_only,
        }) => {
            return crate::bench::ingest(crate::bench::IngestBench {
                events,
                shipments,
                batch,
                webhooks,
                webhook_rounds: webhook_rounds as usize,
                sweep_shipments,
                postgres_url: (!sqlite_only).then_some(postgres_url),
                postgres_only,
                database_url: cli.database_url.clone(),
            })
            .await;
        }
        Command::Import(ImportCmd::Edi {
            file,
            tenant,
            ack_out,
        }) => {
            let app = open_app(&cfg).await?;
            let t = app.tenant_for(&system, &tenant).await.map_err(explain)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let report = app
                .receive_edi(&system, &t, &bytes)
                .await
                .map_err(explain)?;
            print_edi_report(&report);
            if let Some(out) = ack_out {
                write_acks(&out, &report)?;
            }
            if report.has_rejections() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Edi(EdiCmd::Check {
            file,
            lenient,
            ack_out,
            acknowledgement,
            json,
        }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let acknowledgement = consign_core::edi::Acknowledgement::parse(&acknowledgement)
                .map_err(|e| anyhow::anyhow!("--acknowledgement: {e}"))?;
            let report =
                consign_app::edi::check(&bytes, lenient, acknowledgement, jiff::Timestamp::now());
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_edi_report(&report);
            }
            if let Some(out) = ack_out {
                write_acks(&out, &report)?;
            }
            if report.has_rejections() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Edi(EdiCmd::Partner(PartnerCmd::Add {
            tenant,
            name,
            isa_qualifier,
            isa_id,
            our_isa_qualifier,
            our_isa_id,
            kind,
            carrier,
            warehouse,
            lenient,
            allow_partial,
            time_zone,
            acknowledgement,
        })) => {
            let app = open_app(&cfg).await?;
            let t = app.tenant_for(&system, &tenant).await.map_err(explain)?;
            let kind = match kind.as_str() {
                "carrier" => consign_core::edi::PartnerKind::Carrier,
                "warehouse" => consign_core::edi::PartnerKind::Warehouse,
                other => {
                    bail!("--kind: unknown partner kind '{other}'; expected carrier or warehouse")
                }
            };
            let new = consign_core::edi::NewTradingPartner {
                name,
                isa_qualifier,
                isa_id,
                our_isa_qualifier,
                our_isa_id,
                kind,
                carrier,
                warehouse,
                lenient,
                allow_partial,
                time_zone,
                tracking_qualifiers: vec!["CN".into(), "2I".into()],
                pro_qualifiers: vec!["CN".into(), "P8".into()],
                acknowledgement: consign_core::edi::Acknowledgement::parse(&acknowledgement)
                    .map_err(|e| anyhow::anyhow!("--acknowledgement: {e}"))?,
            };
            let p = app
                .create_partner(&system, &t, new)
                .await
                .map_err(explain)?;
            println!(
                "trading partner {} ({}:{}) added to {}",
                p.name, p.isa_qualifier, p.isa_id, t.slug
            );
        }
        Command::Edi(EdiCmd::Partner(PartnerCmd::List { tenant })) => {
            let app = open_app(&cfg).await?;
            let t = app.tenant_for(&system, &tenant).await.map_err(explain)?;
            for p in app.list_partners(&system, &t).await.map_err(explain)? {
                println!(
                    "{}\t{}:{}\t{:?}\tlenient={}\tpartial={}\tack={}",
                    p.name,
                    p.isa_qualifier,
                    p.isa_id,
                    p.kind,
                    p.lenient,
                    p.allow_partial,
                    p.acknowledgement.as_str()
                );
            }
        }
        Command::Import(ImportCmd::Setup { file }) => {
            let app = open_app(&cfg).await?;
            crate::import::setup(&app, &file).await?;
        }
        Command::Gen {
            seed,
            orders,
            days,
            out,
        } => {
            if days < 1 {
                bail!("--days must be at least 1");
            }
            let start = Instant::now();
            let gen_cfg = consign_demo::dataset::GenConfig {
                seed,
                orders,
                days,
                now: jiff::Timestamp::now(),
            };
            let s = consign_demo::dataset::generate(&gen_cfg, &out)
                .with_context(|| format!("writing to {}", out.display()))?;
            let events: usize =
                consign_demo::feed::generate_events(&out, &s.tenants, seed, gen_cfg.now)
                    .with_context(|| format!("writing events to {}", out.display()))?
                    .iter()
                    .map(|(_, f)| f.events.len())
                    .sum();
            println!(
                "wrote {} orders ({} lines), {} shipments and {events} tracking events for {} tenants to {} in {:.1}s",
                s.orders,
                s.order_lines,
                s.shipments,
                s.tenants.len(),
                out.display(),
                start.elapsed().as_secs_f64()
            );
        }
        Command::Demo {
            orders,
            seed,
            listen,
            no_serve,
        } => {
            return crate::import::demo(cfg, orders, seed, &listen, no_serve).await;
        }
        Command::Audit(AuditCmd::Verify) => {
            let app = open_app(&cfg).await?;
            let r = app.verify_audit().await.map_err(explain)?;
            match r.broken {
                None => println!(
                    "audit trail intact: {} records in {} chains verified",
                    r.records, r.chains
                ),
                Some(b) => {
                    println!(
                        "audit trail BROKEN in chain '{}' at record {} ({} {} {}): {}",
                        b.chain, b.seq, b.entity, b.entity_id, b.action, b.reason
                    );
                    println!("{} records verified before it", r.records);
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Command::ExportOpenapi { out } => {
            let doc = serde_json::to_string_pretty(&consign_web::openapi::spec())? + "\n";
            match out {
                Some(p) => {
                    std::fs::write(&p, doc).with_context(|| format!("writing {}", p.display()))?
                }
                None => print!("{doc}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints what an EDI file yielded, interchange by interchange.
/// Writes the acknowledgements, or — when nothing could be read, so there is nothing to
/// acknowledge — says so instead of leaving an empty file that looks like an answer.
fn write_acks(out: &std::path::Path, report: &consign_app::edi::EdiReport) -> anyhow::Result<()> {
    if report.acknowledgements.is_empty() {
        eprintln!(
            "no acknowledgement written to {}: nothing in the input is acknowledged (no readable interchange header, or only acknowledgements)",
            out.display()
        );
        return Ok(());
    }
    std::fs::write(out, &report.acknowledgements)
        .with_context(|| format!("writing {}", out.display()))
}

fn print_edi_report(r: &consign_app::edi::EdiReport) {
    for p in &r.problems {
        println!("file: {p}");
    }
    for ic in &r.interchanges {
        println!(
            "interchange {} from {} to {}: {}",
            ic.control, ic.sender, ic.receiver, ic.status
        );
        for p in &ic.problems {
            println!("  error: {p}");
        }
        for w in &ic.warnings {
            println!("  warning: {w}");
        }
        for g in &ic.groups {
            println!(
                "  group {} ({}): AK9 {}",
                g.control, g.functional_id, g.ack_status
            );
            for p in &g.problems {
                println!("    error: {p}");
            }
            for w in &g.warnings {
                println!("    warning: {w}");
            }
            for s in &g.sets {
                println!("    set {} {}: {}", s.id, s.control, s.status);
                for p in &s.problems {
                    println!("      error: {p}");
                }
                for w in &s.warnings {
                    println!("      warning: {w}");
                }
            }
        }
    }
}

/// Turns a use-case error into a message naming every field problem.
pub fn explain(e: consign_app::AppError) -> anyhow::Error {
    use consign_app::AppError;
    match e {
        AppError::Invalid(inv) => anyhow::anyhow!("invalid input:\n{}", lines(&inv.errors)),
        AppError::Conflict { message, .. } => anyhow::anyhow!("conflict: {message}"),
        other => anyhow::anyhow!("{other}"),
    }
}

fn lines(errs: &[consign_core::FieldError]) -> String {
    errs.iter()
        .map(|e| format!("  {}: {}", e.field, e.reason))
        .collect::<Vec<_>>()
        .join("\n")
}
