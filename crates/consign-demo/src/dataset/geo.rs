//! Places with their time zones resolved once (zone lookups are far too slow to repeat per
//! row), and the weighted picks the generator makes from its tables.

use crate::reference::{City, Rhythm, reference};
use jiff::tz::TimeZone;
use rand::Rng;
use rand::rngs::StdRng;
use std::io;

/// Share of orders shipped to Canada or Mexico.
pub(super) const FOREIGN_SHARE: f64 = 0.03;

pub(super) struct Geo {
    pub cities: Vec<&'static City>,
    pub zones: Vec<TimeZone>,
    /// Cumulative weights over the US cities (the first `us_count` entries of `cities`).
    us_cdf: Vec<f64>,
    us_count: usize,
}

impl Geo {
    pub fn load() -> io::Result<Self> {
        let r = reference();
        let cities: Vec<&'static City> = r.cities.iter().collect();
        let zones = cities
            .iter()
            .map(|c| zone(&c.time_zone))
            .collect::<io::Result<Vec<_>>>()?;
        let us_cdf = cumulative(r.cities[..r.us_cities].iter().map(|c| c.weight));
        Ok(Self {
            cities,
            zones,
            us_cdf,
            us_count: r.us_cities,
        })
    }

    pub fn pick_city(&self, rng: &mut StdRng) -> usize {
        if rng.random_bool(FOREIGN_SHARE) {
            self.pick_foreign(rng)
        } else {
            self.pick_us(rng)
        }
    }

    pub fn pick_us(&self, rng: &mut StdRng) -> usize {
        pick_cdf(&self.us_cdf, rng)
    }

    pub fn pick_foreign(&self, rng: &mut StdRng) -> usize {
        self.us_count + rng.random_range(0..self.cities.len() - self.us_count)
    }

    pub fn find(&self, name: &str, region: &str) -> Option<usize> {
        self.cities
            .iter()
            .position(|c| c.name == name && c.region == region)
    }
}

pub(super) struct RhythmSampler {
    pub hour_cdf: Vec<f64>,
    pub weekdays: [f64; 7],
    pub max_weekday: f64,
}

impl RhythmSampler {
    pub fn new(r: &Rhythm) -> Self {
        Self {
            hour_cdf: cumulative(r.hours.iter().copied()),
            weekdays: r.weekdays,
            max_weekday: r.weekdays.iter().copied().fold(0.0, f64::max),
        }
    }
}

pub(super) fn zone(name: &str) -> io::Result<TimeZone> {
    TimeZone::get(name)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("time zone {name}: {e}")))
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut sum = 0.0;
    weights
        .map(|w| {
            sum += w;
            sum
        })
        .collect()
}

pub(super) fn pick_cdf(cdf: &[f64], rng: &mut StdRng) -> usize {
    let total = cdf.last().copied().unwrap_or(0.0);
    let x = rng.random::<f64>() * total;
    cdf.partition_point(|&c| c <= x)
        .min(cdf.len().saturating_sub(1))
}

pub(super) fn pick<'a, T>(items: &'a [T], rng: &mut StdRng) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

pub(super) fn log_uniform(lo: f64, hi: f64, rng: &mut StdRng) -> f64 {
    (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
}

pub(super) fn km_between(a: &City, b: &City) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.lat.to_radians(),
        a.lon.to_radians(),
        b.lat.to_radians(),
        b.lon.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}
