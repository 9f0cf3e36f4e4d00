//! `consign report …`: figures for a period — the case KPIs as a table or JSON, the client
//! scorecard as a table, JSON, CSV or the printable page.

use crate::common::{explain, open_app, parse_instant};
use crate::config::Config;
use clap::Subcommand;
use consign_app::cases::kpis::GroupBy;
use consign_core::access::Principal;
use consign_core::case::kpi::{CaseKpis, Durations, Ratio};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ReportCmd {
    /// Case KPIs (SPEC §10): MTTA and MTTR in business time, SLA attainment, reopen rate,
    /// first-contact resolution and the backlog by age, per group.
    #[command(
        after_help = "Example:\n  consign report cases --tenant northwind --from 2026-10-01 --to 2026-11-01 --by type\n  consign report cases --tenant northwind --from 2026-09-01 --to 2026-12-01 --by week"
    )]
    Cases {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// tenant, type, carrier, accountable, team, week or month (the tenant's time zone).
        #[arg(long, default_value = "tenant")]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// A tenant's KPI scorecard (SPEC §10) for a week, a month or a range of days.
    #[command(
        after_help = "Example:\n  consign report scorecard --tenant northwind --period 2026-W48\n  consign report scorecard --tenant northwind --period 2026-11 --format html --out nov.html"
    )]
    Scorecard {
        #[arg(long)]
        tenant: String,
        /// 2026-W48, 2026-11 or 2026-11-01..2026-11-15 (the tenant's time zone).
        #[arg(long)]
        period: String,
        /// text, json, csv or html.
        #[arg(long, default_value = "text")]
        format: String,
        /// Recompute under this KPI definitions version instead of the one in force.
        #[arg(long)]
        definitions: Option<i64>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

pub async fn run(cmd: ReportCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    match cmd {
        ReportCmd::Scorecard {
            tenant,
            period,
            format,
            definitions,
            out,
        } => {
            anyhow::ensure!(
                matches!(format.as_str(), "text" | "json" | "csv" | "html"),
                "--format: '{format}' is not text, json, csv or html"
            );
            let app = open_app(cfg).await?;
            let p = Principal::system();
            let t = app.tenant_for(&p, &tenant).await.map_err(explain)?;
            let s = app
                .scorecard(&p, &t, &period, definitions)
                .await
                .map_err(explain)?;
            let text = match format.as_str() {
                "json" => serde_json::to_string_pretty(&s)? + "\n",
                "csv" => s.to_csv(),
                "html" => consign_web::scorecard_page::render(
                    &s,
                    consign_web::scorecard_page::Links::for_page(&s, false),
                )?,
                _ => scorecard_text(&s),
            };
            match out {
                Some(path) => {
                    std::fs::write(&path, text)
                        .map_err(|e| anyhow::anyhow!("--out {}: {e}", path.display()))?;
                    println!("scorecard written to {}", path.display());
                }
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        ReportCmd::Cases {
            tenant,
            from,
            to,
            by,
            json,
        } => {
            let app = open_app(cfg).await?;
            let p = Principal::system();
            let t = app.tenant_for(&p, &tenant).await.map_err(explain)?;
            let group = GroupBy::parse(&by).map_err(|e| anyhow::anyhow!("--by: {e}"))?;
            let r = app
                .case_kpis(
                    &p,
                    &t,
                    parse_instant("--from", &from)?,
                    parse_instant("--to", &to)?,
                    group,
                )
                .await
                .map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "case KPIs for {} from {} to {} (business time by case-settings version {})",
                r.tenant, r.from, r.to, r.settings_version
            );
            println!(
                "{:<22} {:>6} {:>8} {:>16} {:>16} {:>14} {:>12} {:>12} {:>7} <4h/<1d/<3d/<7d/>=7d",
                r.group_by,
                "opened",
                "resolved",
                "MTTA mean/med",
                "MTTR mean/med",
                "SLA met",
                "reopened",
                "FCR",
                "backlog"
            );
            for (key, k) in r
                .groups
                .iter()
                .map(|g| (g.key.as_str(), &g.kpis))
                .chain([("(all)", &r.total)])
            {
                println!("{}", row(key, k));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn minutes(d: &Durations) -> String {
    let f = |m: Option<f64>| m.map_or("-".to_string(), |m| format!("{:.0}m", m));
    format!("{}/{}", f(d.mean_minutes), f(d.median_minutes))
}

fn ratio(r: &Ratio) -> String {
    match r.value {
        Some(v) => format!("{}/{} {:.0}%", r.numerator, r.denominator, v * 100.0),
        None => "-".into(),
    }
}

fn row(key: &str, k: &CaseKpis) -> String {
    let b = &k.backlog;
    format!(
        "{:<22} {:>6} {:>8} {:>16} {:>16} {:>14} {:>12} {:>12} {:>7} {}/{}/{}/{}/{}",
        key,
        k.opened,
        k.resolved,
        minutes(&k.mtta),
        minutes(&k.mttr),
        ratio(&k.sla_attainment),
        ratio(&k.reopen_rate),
        ratio(&k.first_contact_resolution),
        b.open,
        b.under_4h,
        b.under_1d,
        b.under_3d,
        b.under_7d,
        b.over_7d
    )
}

fn scorecard_text(s: &consign_app::kpis::Scorecard) -> String {
    let mut out = format!(
        "scorecard for {} ({}) {}: {} to {} in {}, KPI definitions version {}, {}{}\n",
        s.tenant_name,
        s.tenant,
        s.period,
        s.first_day,
        s.last_day,
        s.time_zone,
        s.definitions_version,
        s.source,
        if s.pending_changes > 0 {
            format!(" ({} changes not yet counted)", s.pending_changes)
        } else {
            String::new()
        }
    );
    for f in &s.figures {
        let r = Ratio::of(f.numerator, f.denominator);
        out.push_str(&format!(
            "  {:<26} {:>18}   {}\n",
            f.label,
            ratio(&r),
            f.basis
        ));
    }
    let t = &s.turnaround;
    let m = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0} min"));
    out.push_str(&format!(
        "  {:<26} median {} (mean {}, {} orders); released to shipped median {} (mean {}, {} orders)\n",
        "Order turnaround",
        m(t.received_to_released.median_minutes),
        m(t.received_to_released.mean_minutes),
        t.received_to_released.count,
        m(t.released_to_shipped.median_minutes),
        m(t.released_to_shipped.mean_minutes),
        t.released_to_shipped.count
    ));
    out.push_str("  trend (on time / OTIF / perfect order / exception rate):\n");
    for t in &s.trend {
        out.push_str(&format!(
            "    {:<24} {:>18} {:>18} {:>18} {:>18}\n",
            t.period,
            ratio(&t.on_time_delivery),
            ratio(&t.otif),
            ratio(&t.perfect_order),
            ratio(&t.exception_rate)
        ));
    }
    out
}
