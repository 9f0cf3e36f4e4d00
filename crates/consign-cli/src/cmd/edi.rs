//! `consign edi …`: X12 files checked without a database, and trading partners. The report
//! printing and acknowledgement writing are shared with `consign import edi`.

use crate::common::{explain, open_app};
use crate::config::Config;
use anyhow::Context;
use clap::Subcommand;
use consign_app::edi::EdiReport;
use consign_core::access::Principal;
use consign_core::edi::{Acknowledgement, NewTradingPartner, PartnerKind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum EdiCmd {
    /// Read an X12 file with no database: print per interchange, group and set what would be
    /// accepted, and the 997 (or 999, or TA1) we would answer with; exit 1 when anything is
    /// rejected or nothing could be read.
    #[command(
        after_help = "Example:\n  consign edi check partner-sample.x12 --lenient --ack-out ack.x12 --acknowledgement 999"
    )]
    Check {
        file: PathBuf,
        /// Accept envelope faults (counts, control numbers, unpadded ISA) with a warning.
        #[arg(long)]
        lenient: bool,
        /// Write the 997s or 999s (and TA1s) to this file.
        #[arg(long)]
        ack_out: Option<PathBuf>,
        /// Answer 005010 groups with a 999 (005010X231A1) instead of a 997.
        #[arg(long, default_value = "997", value_parser = ["997", "999"])]
        acknowledgement: String,
        /// Print the full report as JSON (typed content of every set included).
        #[arg(long)]
        json: bool,
    },
    /// Manage trading partners.
    #[command(subcommand)]
    Partner(PartnerCmd),
}

// Parsed once per run; the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum PartnerCmd {
    /// Add a trading partner: the ISA sender ids it uses, and the carrier or warehouse it is.
    #[command(
        after_help = "Example:\n  consign edi partner add --tenant northwind --name \"ODFL EDI\" --isa-qualifier 02 --isa-id ODFL --our-isa-id NORTHWIND --kind carrier --carrier ODFL --lenient --acknowledgement 999"
    )]
    Add(PartnerArgs),
    /// List a tenant's trading partners.
    List {
        #[arg(long)]
        tenant: String,
    },
}

/// `consign edi partner add`'s arguments: the partner as `NewTradingPartner` takes it.
#[derive(clap::Args)]
pub struct PartnerArgs {
    #[arg(long)]
    tenant: String,
    #[arg(long)]
    name: String,
    #[arg(long)]
    isa_qualifier: String,
    #[arg(long)]
    isa_id: String,
    #[arg(long, default_value = "ZZ")]
    our_isa_qualifier: String,
    #[arg(long)]
    our_isa_id: String,
    /// carrier or warehouse
    #[arg(long)]
    kind: String,
    #[arg(long)]
    carrier: Option<String>,
    #[arg(long)]
    warehouse: Option<String>,
    #[arg(long)]
    lenient: bool,
    #[arg(long)]
    allow_partial: bool,
    #[arg(long, default_value = "UTC")]
    time_zone: String,
    /// What the partner's 005010 groups are answered with: 997 or 999 (005010X231A1).
    #[arg(long, default_value = "997", value_parser = ["997", "999"])]
    acknowledgement: String,
}

impl PartnerArgs {
    /// The partner to create, its words parsed (the tenant is looked up by the caller).
    fn into_new(self) -> anyhow::Result<NewTradingPartner> {
        Ok(NewTradingPartner {
            name: self.name,
            isa_qualifier: self.isa_qualifier,
            isa_id: self.isa_id,
            our_isa_qualifier: self.our_isa_qualifier,
            our_isa_id: self.our_isa_id,
            kind: PartnerKind::parse(&self.kind).map_err(|e| anyhow::anyhow!("--kind: {e}"))?,
            carrier: self.carrier,
            warehouse: self.warehouse,
            lenient: self.lenient,
            allow_partial: self.allow_partial,
            time_zone: self.time_zone,
            tracking_qualifiers: vec!["CN".into(), "2I".into()],
            pro_qualifiers: vec!["CN".into(), "P8".into()],
            acknowledgement: Acknowledgement::parse(&self.acknowledgement)
                .map_err(|e| anyhow::anyhow!("--acknowledgement: {e}"))?,
        })
    }
}

pub async fn run(cmd: EdiCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    match cmd {
        EdiCmd::Check {
            file,
            lenient,
            ack_out,
            acknowledgement,
            json,
        } => check(&file, lenient, ack_out.as_deref(), &acknowledgement, json),
        EdiCmd::Partner(cmd) => partner(cmd, cfg).await,
    }
}

fn check(
    file: &Path,
    lenient: bool,
    ack_out: Option<&Path>,
    acknowledgement: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let acknowledgement = Acknowledgement::parse(acknowledgement)
        .map_err(|e| anyhow::anyhow!("--acknowledgement: {e}"))?;
    let report = consign_app::edi::check(&bytes, lenient, acknowledgement, jiff::Timestamp::now());
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_edi_report(&report);
    }
    conclude(&report, ack_out)
}

/// Writes the acknowledgements where asked; the exit code fails when any level was rejected.
pub fn conclude(report: &EdiReport, ack_out: Option<&Path>) -> anyhow::Result<ExitCode> {
    if let Some(out) = ack_out {
        write_acks(out, report)?;
    }
    if report.has_rejections() {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

async fn partner(cmd: PartnerCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    let system = Principal::system();
    let app = open_app(cfg).await?;
    match cmd {
        PartnerCmd::Add(args) => {
            let t = app
                .tenant_for(&system, &args.tenant)
                .await
                .map_err(explain)?;
            let new = args.into_new()?;
            let p = app
                .create_partner(&system, &t, new)
                .await
                .map_err(explain)?;
            println!(
                "trading partner {} ({}:{}) added to {}",
                p.name, p.isa_qualifier, p.isa_id, t.slug
            );
        }
        PartnerCmd::List { tenant } => {
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
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the acknowledgements, or — when nothing could be read, so there is nothing to
/// acknowledge — says so instead of leaving an empty file that looks like an answer.
pub fn write_acks(out: &Path, report: &EdiReport) -> anyhow::Result<()> {
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

/// Prints what an EDI file yielded, interchange by interchange.
pub fn print_edi_report(r: &EdiReport) {
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
