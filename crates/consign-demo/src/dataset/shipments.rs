//! Shipments: an order leaves the warehouse whole or split with a back-ordered rest, picked up
//! around its planned time and delivered (or not yet, or never) in delivery hours.

use super::clock::{daytime, end_of_day, round_up, stamp};
use super::model::{Channel, DAY, Fulfilment, HOUR, Line, Mode, Order, Service, TenantGen};
use super::tracking_numbers::Tracking;
use jiff::tz::TimeZone;
use rand::Rng;
use rand::rngs::StdRng;
use std::fs::File;
use std::io::{self, BufWriter};

impl TenantGen<'_> {
    /// Writes the order's shipments, if it has shipped yet, and returns how many.
    pub(super) fn ship(
        &self,
        o: &Order,
        now: i64,
        rng: &mut StdRng,
        tracking: &mut Tracking,
        w: &mut csv::Writer<BufWriter<File>>,
    ) -> io::Result<usize> {
        let age = now - o.ordered_at;
        // Most orders ship within a day; the rest wait for stock or are held. Younger orders
        // are still being picked.
        let p_shipped = 0.93 * (age as f64 / DAY as f64).min(1.0);
        if !rng.random_bool(p_shipped) {
            return Ok(0);
        }
        let plan = &o.plan;
        let units: u32 = o.lines.iter().map(|l| l.quantity).sum();
        let split_share = if o.channel == Channel::B2c {
            0.06
        } else {
            0.12
        };
        let parts: Vec<Option<Picks>> = if units >= 2 && rng.random_bool(split_share) {
            let (first, second) = split(&o.lines, rng);
            vec![Some(first), Some(second)]
        } else {
            // An empty `lines` column means "everything still unshipped", the common case.
            vec![None]
        };

        let pickup_delay = if plan.service == Service::Overnight {
            rng.random_range(2 * HOUR..=12 * HOUR)
        } else {
            rng.random_range(2 * HOUR..=30 * HOUR)
        };
        // Carriers book pickups on the quarter hour.
        let mut planned = round_up(o.ordered_at + pickup_delay, 15 * 60);
        let dest_tz = &self.geo.zones[o.city];
        let count = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            let mut promised_by = o.promised_by;
            if i > 0 {
                // The rest was back-ordered and re-promised from its own pickup.
                planned = round_up(planned + rng.random_range(DAY..=4 * DAY), 15 * 60);
                promised_by =
                    promised_by.max(end_of_day(dest_tz, planned + plan.transit + 12 * HOUR, 0));
            }
            let grams = match &part {
                Some(lines) => self.grams(lines.iter().map(|&(i, q)| (&o.lines[i], q))),
                None => self.grams(o.lines.iter().map(|l| (l, l.quantity))),
            };
            let (picked_up_at, delivered_at) =
                milestones(plan, planned, promised_by, now, dest_tz, rng);
            self.write_shipment(
                o,
                &Shipment {
                    part: i + 1,
                    lines: part,
                    grams,
                    planned,
                    promised_by,
                    picked_up_at,
                    delivered_at,
                },
                rng,
                tracking,
                w,
            )?;
        }
        Ok(count)
    }

    fn write_shipment(
        &self,
        o: &Order,
        s: &Shipment,
        rng: &mut StdRng,
        tracking: &mut Tracking,
        w: &mut csv::Writer<BufWriter<File>>,
    ) -> io::Result<()> {
        let plan = &o.plan;
        let warehouse = &self.warehouses[plan.warehouse].plan;
        let dest = self.geo.cities[o.city];
        let (kg_grams, pieces) = match plan.mode {
            // Packaging adds a little; a parcel carrier takes at most 30 kg in our accounts.
            Mode::Parcel => {
                let g = (s.grams + 150).clamp(200, 30_000);
                (g, 1 + s.grams / 25_000)
            }
            // Pallets weigh about 25 kg each and hold about 450 kg of goods.
            Mode::Ltl => {
                let pallets = s.grams.div_ceil(450_000).clamp(1, 6);
                (
                    (s.grams + pallets * 25_000).clamp(100_000, 2_000_000),
                    pallets,
                )
            }
            Mode::Ftl => {
                let g = if s.grams >= 5_000_000 {
                    s.grams
                } else {
                    rng.random_range(5_000_000..=20_000_000)
                };
                (g.min(20_000_000), rng.random_range(18..=26))
            }
        };
        let lines = s
            .lines
            .as_ref()
            .map(|ls| {
                ls.iter()
                    .map(|(i, q)| format!("{}:{q}", i + 1))
                    .collect::<Vec<_>>()
                    .join(";")
            })
            .unwrap_or_default();
        let tracking_number = tracking.next(plan.carrier, plan.service, self.profile, rng);
        // Freight moves under the shipper's bill of lading (numbered after the order, as
        // shippers commonly do); an LTL carrier's tracking number is its PRO number.
        let (pro_number, bol_number) = match plan.mode {
            Mode::Parcel => (String::new(), String::new()),
            Mode::Ltl => (
                tracking_number.clone(),
                format!("{}-{}", o.external_ref, s.part),
            ),
            Mode::Ftl => (String::new(), format!("{}-{}", o.external_ref, s.part)),
        };
        let opt_stamp = |t: Option<i64>| t.map(stamp).transpose().map(Option::unwrap_or_default);
        w.write_record([
            plan.carrier.scac(),
            plan.service.as_str(),
            &tracking_number,
            &pro_number,
            &bol_number,
            "outbound",
            &o.external_ref,
            &lines,
            &warehouse.name,
            &warehouse.city,
            &warehouse.region,
            &warehouse.postal_code,
            &warehouse.country,
            &warehouse.time_zone,
            &o.ship_to_name,
            &dest.name,
            &dest.region,
            &o.postal_code,
            &dest.country,
            &dest.time_zone,
            &kilograms(kg_grams),
            &pieces.to_string(),
            &stamp(s.planned)?,
            &stamp(s.promised_by)?,
            if dest.country != warehouse.country {
                "true"
            } else {
                "false"
            },
            if plan.mode == Mode::Parcel {
                "false"
            } else {
                "true"
            },
            &opt_stamp(s.picked_up_at)?,
            &opt_stamp(s.delivered_at)?,
        ])?;
        Ok(())
    }
}

/// `(index into the order's lines, quantity)` pairs carried by one shipment.
type Picks = Vec<(usize, u32)>;

struct Shipment {
    /// 1 for the first (or only) shipment of the order, 2 for its back-ordered rest.
    part: usize,
    /// `None` ships everything still unshipped.
    lines: Option<Picks>,
    grams: u64,
    planned: i64,
    promised_by: i64,
    picked_up_at: Option<i64>,
    delivered_at: Option<i64>,
}

/// Splits an order between a first shipment and a back-ordered rest. Each line's quantity is
/// shared out so the two never ship more than was ordered, and neither shipment is empty.
fn split(lines: &[Line], rng: &mut StdRng) -> (Picks, Picks) {
    if lines.len() >= 2 {
        let cut = rng.random_range(1..lines.len());
        let mut first: Picks = (0..cut).map(|i| (i, lines[i].quantity)).collect();
        let mut second: Picks = (cut..lines.len()).map(|i| (i, lines[i].quantity)).collect();
        // Sometimes the line at the cut was short-picked and part of it follows later.
        let last = cut - 1;
        if lines[last].quantity >= 2 && rng.random_bool(0.3) {
            let shipped = rng.random_range(1..lines[last].quantity);
            first[last].1 = shipped;
            second.insert(0, (last, lines[last].quantity - shipped));
        }
        (first, second)
    } else {
        let q = lines[0].quantity;
        let shipped = rng.random_range(1..q);
        (vec![(0, shipped)], vec![(0, q - shipped)])
    }
}

/// Pickup and delivery as far as they have happened by `now`.
fn milestones(
    plan: &Fulfilment,
    planned: i64,
    promised_by: i64,
    now: i64,
    dest_tz: &TimeZone,
    rng: &mut StdRng,
) -> (Option<i64>, Option<i64>) {
    let picked_up = if rng.random_bool(0.85) {
        planned + rng.random_range(-15 * 60..=40 * 60)
    } else {
        planned + rng.random_range(HOUR..=8 * HOUR)
    };
    if picked_up >= now {
        return (None, None);
    }
    let earliest = picked_up + plan.transit;
    let r = rng.random::<f64>();
    let delivered = if r < 0.90 {
        if earliest <= promised_by {
            // Carriers deliver when the freight arrives, not on the promise date: skew early.
            let t =
                earliest + ((promised_by - earliest) as f64 * rng.random::<f64>().powi(2)) as i64;
            daytime(dest_tz, t, earliest, promised_by, rng)
        } else {
            // The pickup slipped too far for the promise to hold.
            let t = earliest + rng.random_range(0..=12 * HOUR);
            daytime(dest_tz, t, earliest, i64::MAX, rng)
        }
    } else if r < 0.98 {
        let t = promised_by.max(earliest) + rng.random_range(DAY..=3 * DAY);
        daytime(dest_tz, t, promised_by.max(earliest) + DAY, i64::MAX, rng)
    } else {
        // Stuck in the network: an exception, a misroute, a damaged label.
        return (Some(picked_up), None);
    };
    (
        Some(picked_up),
        (delivered < now).then_some(delivered.max(picked_up)),
    )
}

/// Grams as kilograms with at most three decimals and no trailing zeros.
fn kilograms(grams: u64) -> String {
    let (kg, g) = (grams / 1000, grams % 1000);
    if g == 0 {
        kg.to_string()
    } else {
        format!("{kg}.{g:03}").trim_end_matches('0').to_string()
    }
}
