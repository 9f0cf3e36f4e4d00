//! `consign shipments …`: a shipment's tracking as it stands, and manual overrides of its
//! status or promised date (as a named user, with a reason), through the same use cases as
//! the API.

use super::cases::{principal, shipment_ref, tenant_of};
use crate::common::{explain, open_app, parse_instant};
use crate::config::Config;
use clap::Subcommand;
use consign_core::access::Principal;
use consign_core::tracking::{ShipmentOverride, TrackedShipment, TrackingEvent};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ShipmentsCmd {
    /// A shipment's derived state and its events, oldest first (by number, tracking number or id).
    Show {
        #[arg(long)]
        tenant: String,
        shipment: String,
    },
    /// Set a shipment's status or promised date by hand, with a reason; recorded as a manual
    /// event in its history and audited under the user.
    #[command(
        after_help = "Examples:\n  consign shipments override --tenant northwind --as agent@example.com SHP-000042 --status delivered --at 2026-12-03T15:20:00Z --reason 'Customer confirmed receipt by phone'\n  consign shipments override --tenant northwind --as agent@example.com SHP-000042 --promised-by 2026-12-09 --reason 'Customer agreed the new date'"
    )]
    Override {
        #[arg(long)]
        tenant: String,
        #[arg(long = "as")]
        as_user: String,
        shipment: String,
        /// A canonical status word (delivered, lost, returned_to_sender, …).
        #[arg(long)]
        status: Option<String>,
        /// When the status took effect (RFC 3339 instant or date); default now.
        #[arg(long)]
        at: Option<String>,
        /// The new promised delivery (RFC 3339 instant; a bare date means 00:00 UTC).
        #[arg(long)]
        promised_by: Option<String>,
        #[arg(long)]
        reason: String,
    },
}

pub async fn run(cmd: ShipmentsCmd, cfg: &Config) -> anyhow::Result<ExitCode> {
    let app = open_app(cfg).await?;
    match cmd {
        ShipmentsCmd::Show { tenant, shipment } => {
            let t = tenant_of(&app, &tenant).await?;
            let id = shipment_ref(&app, &t, &shipment).await?;
            let (s, events) = app
                .shipment_tracking(&Principal::system(), &t, id)
                .await
                .map_err(explain)?;
            print_tracking(&s, &events);
        }
        ShipmentsCmd::Override {
            tenant,
            as_user,
            shipment,
            status,
            at,
            promised_by,
            reason,
        } => {
            let t = tenant_of(&app, &tenant).await?;
            let p = principal(&app, &as_user).await?;
            let id = shipment_ref(&app, &t, &shipment).await?;
            let req = ShipmentOverride {
                status,
                occurred_at: at
                    .as_deref()
                    .map(|a| parse_instant("--at", a))
                    .transpose()?,
                promised_by: promised_by
                    .as_deref()
                    .map(|a| parse_instant("--promised-by", a))
                    .transpose()?,
                reason,
            };
            let (s, events) = app
                .override_shipment(&p, &t, id, req)
                .await
                .map_err(explain)?;
            print_tracking(&s, &events);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_tracking(s: &TrackedShipment, events: &[TrackingEvent]) {
    let show = |t: Option<jiff::Timestamp>| t.map_or("-".to_string(), |t| t.to_string());
    println!(
        "status {} since {}; promised by {}; eta {}; delivered {}",
        s.state.status.as_str(),
        show(s.state.status_at),
        show(s.promised_by),
        show(s.state.eta),
        show(s.state.delivered_at)
    );
    let mut events: Vec<&TrackingEvent> = events.iter().collect();
    events.sort_by_key(|e| (e.occurred_at, e.id));
    for e in events {
        println!(
            "{}  {:<22} {:<16} {}",
            e.occurred_at,
            e.status.map_or("-", |s| s.as_str()),
            e.source,
            e.description
        );
    }
}
