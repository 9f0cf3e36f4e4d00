//! Deterministic synthetic data for demos, benchmarks and tests: the client tenants of
//! `data/tenants.toml` with their carriers and warehouses, and per tenant an `orders.csv` and a
//! `shipments.csv` in exactly the format `consign import` reads (docs/import.md). The same
//! configuration always produces the same bytes, so generated files can serve as fixtures and
//! benchmark inputs.
//!
//! Times are handled as whole Unix seconds internally: every value written is then an RFC 3339
//! UTC timestamp without a fraction, and comparisons with `now` are plain integer comparisons.
//!
//! Split by what is generated: `orders` (when orders are placed, by whom, what they hold and
//! how they will travel), `shipments` (what leaves the warehouse and when it arrives),
//! `parties` (catalogue, business accounts, people and addresses), `tracking_numbers`, with
//! `geo` and `clock` as the places and the local-time arithmetic they share.

mod clock;
mod geo;
mod orders;
mod parties;
mod shipments;
mod tracking_numbers;

#[cfg(test)]
mod tests;

use crate::plan::TenantPlan;
use crate::reference::reference;
use geo::Geo;
use orders::TenantGen;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use tracking_numbers::Tracking;

use jiff::Timestamp;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    /// Everything random derives from this seed.
    pub seed: u64,
    /// Orders across all tenants (each tenant's `order_percent` of them).
    pub orders: usize,
    /// Orders are spread over this many local calendar days, the last one being today.
    pub days: i64,
    /// The instant the dataset is "as of": orders and milestones all lie strictly before it.
    pub now: Timestamp,
}

/// The generated dataset's summary
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSummary {
    pub tenants: Vec<TenantPlan>,
    pub orders: usize,
    pub order_lines: usize,
    pub shipments: usize,
}

// The importer's own field lists are the header: generated files are always importable.
use consign_app::import::{ORDER_FIELDS as ORDER_COLUMNS, SHIPMENT_FIELDS as SHIPMENT_COLUMNS};

/// Writes `DIR/tenants.json` (a JSON array of [`TenantPlan`]) and, per tenant,
/// `DIR/<slug>/orders.csv` and `DIR/<slug>/shipments.csv` in the `consign import` format,
/// replacing files already there. Rows are streamed, so memory stays flat with `orders`.
pub fn generate(cfg: &GenConfig, dir: &Path) -> io::Result<GenSummary> {
    let now = cfg.now.as_second();
    check_config(cfg, now)?;
    let profiles = &reference().tenants;
    let geo = Geo::load()?;
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    // Shared across tenants: the carriers are the same companies for every client, and a
    // carrier never reuses a tracking number whoever the shipper is.
    let mut tracking = Tracking::new(&mut rng);

    fs::create_dir_all(dir)?;
    let plans = tenant_plans();
    let mut json = BufWriter::new(File::create(dir.join("tenants.json"))?);
    serde_json::to_writer_pretty(&mut json, &plans)?;
    json.write_all(b"\n")?;
    json.flush()?;

    // Each tenant but the first gets its share rounded down, in integers so the counts never
    // depend on float rounding; the first takes the rest.
    let mut counts: Vec<usize> = profiles
        .iter()
        .map(|p| (cfg.orders as u128 * u128::from(p.order_percent) / 100) as usize)
        .collect();
    counts[0] = cfg.orders - counts[1..].iter().sum::<usize>();

    let mut summary = GenSummary {
        tenants: plans,
        orders: 0,
        order_lines: 0,
        shipments: 0,
    };
    for (profile, count) in profiles.iter().zip(counts) {
        let tenant_dir = dir.join(&profile.plan.slug);
        fs::create_dir_all(&tenant_dir)?;
        let mut tenant = TenantGen::new(profile, &geo, &mut rng)?;
        tenant.run(
            count,
            cfg.days,
            now,
            &tenant_dir,
            &mut rng,
            &mut tracking,
            &mut summary,
        )?;
    }
    Ok(summary)
}

/// The fixed tenant plan: the client tenants of `data/tenants.toml`, each with every carrier
/// of `data/carriers.csv`.
pub fn tenant_plans() -> Vec<TenantPlan> {
    reference().tenants.iter().map(|p| p.plan.clone()).collect()
}

fn check_config(cfg: &GenConfig, now: i64) -> io::Result<()> {
    // The importer refuses dates before 2000 and we do calendar arithmetic a few weeks past
    // `now`, so keep the whole window well inside what both accept.
    const Y2000: i64 = 946_684_800;
    const Y9000: i64 = 221_845_392_000;
    if !(1..=3660).contains(&cfg.days) {
        return Err(invalid_input(format!(
            "days must be between 1 and 3660, got {}",
            cfg.days
        )));
    }
    if now - cfg.days * DAY - 2 * DAY < Y2000 || now > Y9000 {
        return Err(invalid_input(format!(
            "now ({}) minus {} days must lie between 2000 and 9000",
            cfg.now, cfg.days
        )));
    }
    Ok(())
}

fn invalid_input(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// Share of orders shipped to Canada or Mexico.
const FOREIGN_SHARE: f64 = 0.03;

/// SKUs per tenant catalogue (fewer when its categories hold fewer product variants).
const CATALOGUE_SIZE: usize = 200;

/// The carriers whose services and tracking numbers the generator knows. Which companies a
/// tenant ships with is data (`carriers.csv`); what a carrier's numbers look like is code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    Ups,
    Fedex,
    Usps,
    Odfl,
    Jbht,
}

impl Carrier {
    fn scac(self) -> &'static str {
        match self {
            Carrier::Ups => "UPSN",
            Carrier::Fedex => "FDEG",
            Carrier::Usps => "USPS",
            Carrier::Odfl => "ODFL",
            Carrier::Jbht => "JBHT",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Channel {
    B2c,
    B2b,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Parcel,
    Ltl,
    Ftl,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Service {
    Ground,
    TwoDay,
    Overnight,
    Standard,
    Truckload,
}

impl Service {
    fn as_str(self) -> &'static str {
        match self {
            Service::Ground => "ground",
            Service::TwoDay => "2day",
            Service::Overnight => "overnight",
            Service::Standard => "standard",
            Service::Truckload => "truckload",
        }
    }
}

fn finish(w: csv::Writer<BufWriter<File>>) -> io::Result<()> {
    w.into_inner()
        .map_err(|e| io::Error::new(e.error().kind(), e.error().to_string()))?
        .flush()
}
