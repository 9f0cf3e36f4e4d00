//! Orders: when they are placed (the channel's rhythm in the tenant's zone), by whom (a
//! consumer, or one of the tenant's business accounts), what they hold, what they were
//! promised, and how they will travel.

use super::clock::{end_of_day, local_instant, stamp};
use super::geo::{FOREIGN_SHARE, RhythmSampler, km_between, pick, pick_cdf};
use super::model::{
    Carrier, Channel, DAY, Fulfilment, HOUR, Line, Mode, Order, Service, TenantGen,
};
use super::parties::{
    apartment, consumer_email, phone_number, postal_code, quantity, street_address,
};
use crate::reference::reference;
use jiff::civil::Date;
use rand::Rng;
use rand::rngs::StdRng;
use std::fs::File;
use std::io::{self, BufWriter};

impl TenantGen<'_> {
    pub(super) fn order_time(
        &self,
        rhythm: &RhythmSampler,
        dates: &[Date],
        now: i64,
        days: i64,
        rng: &mut StdRng,
    ) -> i64 {
        // Rejection sampling keeps the weekday shape exact; today is only partly over, so its
        // later hours are rejected too. The bound only matters when `now` is just past midnight.
        for _ in 0..64 {
            let date = dates[rng.random_range(0..dates.len())];
            let weekday = rhythm.weekdays[date.weekday().to_monday_zero_offset() as usize];
            if rng.random::<f64>() * rhythm.max_weekday >= weekday {
                continue;
            }
            let hour = pick_cdf(&rhythm.hour_cdf, rng) as i8;
            let (minute, second) = (rng.random_range(0..60), rng.random_range(0..60));
            if let Some(t) = local_instant(&self.tz, date, hour, minute, second)
                && t < now
            {
                return t;
            }
        }
        now - rng.random_range(1..=days * DAY - 1)
    }

    pub(super) fn order(
        &self,
        external_ref: String,
        channel: Channel,
        ordered_at: i64,
        rng: &mut StdRng,
    ) -> Order {
        let b2b_account = (channel == Channel::B2b).then(|| {
            // Foreign accounts are chosen apart so that one big foreign customer cannot push
            // the share of international orders far from its target.
            let (foreign, domestic) = self.accounts.split_at(self.foreign_accounts);
            let pool = if rng.random_bool(FOREIGN_SHARE) {
                foreign
            } else {
                domestic
            };
            // Big accounts order far more often than small ones.
            let i = (rng.random::<f64>().powi(2) * pool.len() as f64) as usize;
            pool.get(i.min(pool.len().saturating_sub(1)))
        });
        let (customer_name, email, phone, ship_to_name, line1, line2, city, postal_code) =
            match b2b_account.flatten() {
                Some(a) => (
                    a.name.clone(),
                    a.email.clone(),
                    a.phone.clone(),
                    a.name.clone(),
                    a.line1.clone(),
                    a.line2.clone(),
                    a.city,
                    a.postal_code.clone(),
                ),
                None => {
                    let city = self.geo.pick_city(rng);
                    let c = self.geo.cities[city];
                    let names = &reference().names;
                    let (first, last) = (
                        pick(&names.first, rng).as_str(),
                        pick(&names.last, rng).as_str(),
                    );
                    let name = format!("{first} {last}");
                    let email = rng
                        .random_bool(0.92)
                        .then(|| consumer_email(first, last, rng));
                    let phone = rng.random_bool(0.45).then(|| phone_number(c, rng));
                    // Gifts: the parcel goes to someone other than the buyer.
                    let ship_to = if rng.random_bool(0.04) {
                        format!("{} {}", pick(&names.first, rng), pick(&names.last, rng))
                    } else {
                        name.clone()
                    };
                    let line2 = rng.random_bool(0.18).then(|| apartment(rng));
                    (
                        name,
                        email,
                        phone,
                        ship_to,
                        street_address(c, rng),
                        line2,
                        city,
                        postal_code(c, rng),
                    )
                }
            };

        let lines = self.lines(channel, rng);
        let plan = self.fulfilment(channel, city, &lines, rng);
        let dest_tz = &self.geo.zones[city];
        let promise_days = match plan.service {
            Service::Overnight => 2,
            Service::TwoDay => 3,
            Service::Ground if channel == Channel::B2c => {
                if plan.transit <= 60 * HOUR {
                    4
                } else {
                    5
                }
            }
            _ => ((plan.transit + 30 * HOUR) / DAY + 1 + rng.random_range(0..=1)).clamp(3, 7),
        };
        let promised_by = end_of_day(dest_tz, ordered_at, promise_days);

        Order {
            external_ref,
            channel,
            customer_name,
            email,
            phone,
            ship_to_name,
            line1,
            line2,
            city,
            postal_code,
            ordered_at,
            promised_by,
            lines,
            plan,
        }
    }

    fn lines(&self, channel: Channel, rng: &mut StdRng) -> Vec<Line> {
        let count = match channel {
            Channel::B2c => match rng.random::<f64>() {
                r if r < 0.55 => 1,
                r if r < 0.83 => 2,
                r if r < 0.96 => 3,
                r if r < 0.99 => 4,
                _ => 5,
            },
            // Most business orders are short; a few restock a whole shelf.
            Channel::B2b => (2 + (rng.random::<f64>().powi(3) * 11.0) as usize).min(12),
        };
        let mut lines: Vec<Line> = Vec::with_capacity(count);
        let n = self.catalogue.len();
        for _ in 0..count {
            // A few tries for a SKU not already on the order; a shorter order is fine.
            for _ in 0..8 {
                let item = ((rng.random::<f64>().powf(1.8) * n as f64) as usize).min(n - 1);
                if lines.iter().all(|l| l.item != item) {
                    lines.push(Line {
                        item,
                        quantity: quantity(channel, rng),
                    });
                    break;
                }
            }
        }
        if lines.is_empty() {
            lines.push(Line {
                item: 0,
                quantity: 1,
            });
        }
        lines
    }

    fn fulfilment(
        &self,
        channel: Channel,
        city: usize,
        lines: &[Line],
        rng: &mut StdRng,
    ) -> Fulfilment {
        let dest = self.geo.cities[city];
        let (warehouse, km) = self
            .warehouses
            .iter()
            .enumerate()
            .map(|(i, w)| (i, km_between(self.geo.cities[w.city], dest)))
            .fold(
                (0, f64::MAX),
                |best, cur| if cur.1 < best.1 { cur } else { best },
            );
        let grams = self.grams(lines.iter().map(|l| (l, l.quantity)));
        let foreign = dest.country != "US";

        let mode = match channel {
            Channel::B2c => Mode::Parcel,
            Channel::B2b if grams > 5_000_000 || rng.random_bool(0.02) => Mode::Ftl,
            Channel::B2b if grams > 30_000 => Mode::Ltl,
            Channel::B2b => Mode::Parcel,
        };
        let (carrier, service) = match mode {
            Mode::Ltl => (Carrier::Odfl, Service::Standard),
            Mode::Ftl => (Carrier::Jbht, Service::Truckload),
            Mode::Parcel => {
                let service = match (channel, rng.random::<f64>()) {
                    (Channel::B2c, r) if r < 0.07 => Service::Overnight,
                    (Channel::B2c, r) if r < 0.25 => Service::TwoDay,
                    _ => Service::Ground,
                };
                let r = rng.random::<f64>();
                // FedEx Ground only sells ground; USPS does not take heavy parcels or go abroad
                // for this shipper; Mexico goes with UPS.
                let carrier = match service {
                    _ if dest.country == "MX" => Carrier::Ups,
                    Service::Ground if foreign && r < 0.4 => Carrier::Fedex,
                    _ if foreign => Carrier::Ups,
                    Service::Ground if r < 0.45 => Carrier::Ups,
                    Service::Ground if r < 0.8 || grams > 10_000 => Carrier::Fedex,
                    Service::Ground => Carrier::Usps,
                    _ if r < 0.75 => Carrier::Ups,
                    _ => Carrier::Usps,
                };
                (carrier, service)
            }
        };
        let km = km as i64;
        let mut transit = match (mode, service) {
            (Mode::Parcel, Service::Overnight) => 16 * HOUR,
            (Mode::Parcel, Service::TwoDay) => 40 * HOUR,
            (Mode::Parcel, _) => (20 * HOUR + km * HOUR / 45).min(110 * HOUR),
            (Mode::Ltl, _) => (28 * HOUR + km * HOUR / 35).min(140 * HOUR),
            (Mode::Ftl, _) => (10 * HOUR + km * HOUR / 55).min(100 * HOUR),
        };
        if foreign {
            // Customs clearance.
            transit += 24 * HOUR;
        }
        Fulfilment {
            warehouse,
            mode,
            carrier,
            service,
            transit,
        }
    }

    pub(super) fn grams<'l>(&self, lines: impl Iterator<Item = (&'l Line, u32)>) -> u64 {
        lines
            .map(|(l, q)| self.catalogue[l.item].grams * u64::from(q))
            .sum()
    }

    pub(super) fn write_order(
        &self,
        o: &Order,
        w: &mut csv::Writer<BufWriter<File>>,
    ) -> io::Result<()> {
        let city = self.geo.cities[o.city];
        let ordered_at = stamp(o.ordered_at)?;
        let promised_by = stamp(o.promised_by)?;
        let channel = match o.channel {
            Channel::B2c => "b2c",
            Channel::B2b => "b2b",
        };
        for line in &o.lines {
            let item = &self.catalogue[line.item];
            w.write_record([
                o.external_ref.as_str(),
                &o.customer_name,
                o.email.as_deref().unwrap_or(""),
                o.phone.as_deref().unwrap_or(""),
                &o.ship_to_name,
                &o.line1,
                o.line2.as_deref().unwrap_or(""),
                &city.name,
                &city.region,
                &o.postal_code,
                &city.country,
                channel,
                "USD",
                &ordered_at,
                &promised_by,
                &item.sku,
                &item.description,
                &line.quantity.to_string(),
                &item.price,
            ])?;
        }
        Ok(())
    }
}
