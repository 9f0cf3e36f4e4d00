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
//! `geo` and `clock` as the places and the local-time arithmetic they share and `model` as
//! the rows they pass along. This module runs them tenant by tenant.

mod clock;
mod geo;
mod model;
mod orders;
mod parties;
mod shipments;
mod tracking_numbers;

#[cfg(test)]
mod tests;

use crate::plan::TenantPlan;
use crate::reference::{Profile, reference};
use clock::local_dates;
use geo::{Geo, RhythmSampler, zone};
use jiff::Timestamp;
use model::{Channel, DAY, TenantGen, Warehouse};
use parties::{accounts, catalogue, foreign_accounts};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use tracking_numbers::Tracking;
// The importer's own field lists are the header: generated files are always importable.
use consign_app::import::{ORDER_FIELDS as ORDER_COLUMNS, SHIPMENT_FIELDS as SHIPMENT_COLUMNS};

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
        let c = tenant.run(count, cfg.days, now, &tenant_dir, &mut rng, &mut tracking)?;
        summary.orders += c.orders;
        summary.order_lines += c.order_lines;
        summary.shipments += c.shipments;
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

/// What one tenant's run wrote.
#[derive(Default)]
struct Counts {
    orders: usize,
    order_lines: usize,
    shipments: usize,
}

impl<'a> TenantGen<'a> {
    fn new(profile: &'a Profile, geo: &'a Geo, rng: &mut StdRng) -> io::Result<Self> {
        let tz = zone(&profile.plan.time_zone)?;
        let warehouses = profile
            .plan
            .warehouses
            .iter()
            .map(|w| {
                let city = geo.find(&w.city, &w.region).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("warehouse city {} not in the city table", w.city),
                    )
                })?;
                Ok(Warehouse {
                    plan: w.clone(),
                    city,
                })
            })
            .collect::<io::Result<Vec<_>>>()?;
        let catalogue = catalogue(profile, rng);
        let accounts = accounts(profile, geo, rng);
        let foreign_accounts = foreign_accounts(profile).min(accounts.len());
        Ok(Self {
            profile,
            geo,
            tz,
            catalogue,
            accounts,
            foreign_accounts,
            warehouses,
        })
    }

    fn run(
        &mut self,
        count: usize,
        days: i64,
        now: i64,
        dir: &Path,
        rng: &mut StdRng,
        tracking: &mut Tracking,
    ) -> io::Result<Counts> {
        let mut orders_csv =
            csv::Writer::from_writer(BufWriter::new(File::create(dir.join("orders.csv"))?));
        let mut shipments_csv =
            csv::Writer::from_writer(BufWriter::new(File::create(dir.join("shipments.csv"))?));
        orders_csv.write_record(ORDER_COLUMNS)?;
        shipments_csv.write_record(SHIPMENT_COLUMNS)?;

        // Placing times first, then sorting, makes order numbers rise with time as a real
        // order system's would; only the times are held, the orders themselves are streamed.
        let mut placed: Vec<(i64, Channel)> = Vec::with_capacity(count);
        let dates = local_dates(&self.tz, now, days);
        let rhythms = &reference().rhythms;
        let b2c = RhythmSampler::new(&rhythms.b2c);
        let b2b = RhythmSampler::new(&rhythms.b2b);
        for _ in 0..count {
            let channel = if rng.random_bool(self.profile.b2c_share) {
                Channel::B2c
            } else {
                Channel::B2b
            };
            let rhythm = if channel == Channel::B2c { &b2c } else { &b2b };
            placed.push((self.order_time(rhythm, &dates, now, days, rng), channel));
        }
        placed.sort_by_key(|&(t, _)| t);

        let mut counts = Counts::default();
        let mut next_ref = self.profile.first_ref;
        for (ordered_at, channel) in placed {
            let external_ref = format!("{}{next_ref}", self.profile.ref_prefix);
            // Occasional gaps, as when an ERP burns numbers on abandoned carts.
            next_ref += if rng.random_bool(0.03) { 2 } else { 1 };
            let order = self.order(external_ref, channel, ordered_at, rng);
            self.write_order(&order, &mut orders_csv)?;
            counts.orders += 1;
            counts.order_lines += order.lines.len();
            counts.shipments += self.ship(&order, now, rng, tracking, &mut shipments_csv)?;
        }
        finish(orders_csv)?;
        finish(shipments_csv)?;
        Ok(counts)
    }
}

fn finish(w: csv::Writer<BufWriter<File>>) -> io::Result<()> {
    w.into_inner()
        .map_err(|e| io::Error::new(e.error().kind(), e.error().to_string()))?
        .flush()
}
