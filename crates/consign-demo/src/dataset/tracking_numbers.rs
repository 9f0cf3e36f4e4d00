//! Tracking numbers in each carrier's real shape. Serials only ever increase, which makes them
//! unique per carrier without remembering the ones already issued.

use super::model::{Carrier, Service};
use crate::reference::Profile;
use rand::Rng;
use rand::rngs::StdRng;

pub(super) struct Tracking {
    ups: u64,
    fedex: u64,
    usps: u64,
    odfl: u64,
    jbht: u64,
}

impl Tracking {
    pub(super) fn new(rng: &mut StdRng) -> Self {
        Self {
            ups: rng.random_range(0..1_000_000),
            fedex: 27_000_000_000 + rng.random_range(0..1_000_000_000),
            usps: rng.random_range(0..1_000_000),
            odfl: 734_000_000 + rng.random_range(0..10_000_000),
            jbht: 400_000_000 + rng.random_range(0..10_000_000),
        }
    }

    pub(super) fn next(
        &mut self,
        carrier: Carrier,
        service: Service,
        profile: &Profile,
        rng: &mut StdRng,
    ) -> String {
        match carrier {
            Carrier::Ups => {
                self.ups += rng.random_range(1..=3);
                let code = match service {
                    Service::Overnight => "01",
                    Service::TwoDay => "02",
                    _ => "03",
                };
                // 1Z, shipper number, service code, 7-digit package serial, check digit. The
                // serial wraps only after ten million packages per shipper and service.
                let body = format!("{}{code}{:07}", profile.ups_account, self.ups % 10_000_000);
                format!("1Z{body}{}", ups_check_digit(&body))
            }
            Carrier::Fedex => {
                self.fedex += rng.random_range(1..=40);
                let body = format!("{:011}", self.fedex);
                format!("{body}{}", fedex_check_digit(&body))
            }
            Carrier::Usps => {
                self.usps += rng.random_range(1..=5);
                // IMpb: channel and service type, 9-digit mailer id, 7-digit serial, check.
                let prefix = match service {
                    Service::Overnight => "92701",
                    Service::TwoDay => "94055",
                    _ => "94001",
                };
                let body = format!(
                    "{prefix}{}{:07}",
                    profile.usps_mailer,
                    self.usps % 10_000_000
                );
                format!("{body}{}", mod10_check_digit(&body))
            }
            Carrier::Odfl => {
                self.odfl += rng.random_range(1..=20);
                format!("{:010}", self.odfl)
            }
            Carrier::Jbht => {
                self.jbht += rng.random_range(1..=20);
                format!("L{:09}", self.jbht)
            }
        }
    }
}

/// UPS: letters map to digits, odd positions count once and even positions twice.
pub(super) fn ups_check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let v = if b.is_ascii_digit() {
                u32::from(b - b'0')
            } else {
                u32::from(b - b'A' + 2) % 10
            };
            if i % 2 == 0 { v } else { 2 * v }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// FedEx Express-style: weights 1, 3, 7 from the right, modulo 11, a remainder of 10 reads 0.
fn fedex_check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .zip([1, 3, 7].into_iter().cycle())
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    sum % 11 % 10
}

/// GS1 modulo 10, as used by USPS barcodes: weights 3, 1 from the right.
pub(super) fn mod10_check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .zip([3, 1].into_iter().cycle())
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    (10 - sum % 10) % 10
}
