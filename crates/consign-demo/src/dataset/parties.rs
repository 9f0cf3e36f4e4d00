//! What a tenant's orders are made of, fixed per tenant for a run but drawn at random: its
//! catalogue and its business accounts, and the people, phone numbers and addresses of
//! consumers.

use super::geo::{Geo, log_uniform, pick};
use super::model::{Account, Channel, Item};
use crate::reference::{AccountStyle, City, Postal, Profile, reference};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::collections::BTreeSet;

/// SKUs per tenant catalogue (fewer when its categories hold fewer product variants).
const CATALOGUE_SIZE: usize = 200;

pub(super) fn catalogue(profile: &Profile, rng: &mut StdRng) -> Vec<Item> {
    // Every (product, variant) pair once, shuffled per category, then dealt round-robin so the
    // catalogue covers all categories evenly and has no duplicate descriptions.
    let mut decks: Vec<Vec<(usize, usize)>> = profile
        .categories
        .iter()
        .map(|c| {
            let mut deck: Vec<(usize, usize)> = (0..c.products.len())
                .flat_map(|p| (0..c.variants.len()).map(move |v| (p, v)))
                .collect();
            deck.shuffle(rng);
            deck
        })
        .collect();
    let mut items = Vec::with_capacity(CATALOGUE_SIZE);
    'deal: while items.len() < CATALOGUE_SIZE {
        let mut dealt = false;
        for (c, deck) in profile.categories.iter().zip(decks.iter_mut()) {
            if items.len() == CATALOGUE_SIZE {
                break 'deal;
            }
            let Some((p, v)) = deck.pop() else { continue };
            dealt = true;
            let dollars = log_uniform(f64::from(c.dollars.0), f64::from(c.dollars.1), rng);
            let cents = if profile.retail_prices {
                let ending = *pick(&[99, 99, 99, 95, 49, 0], rng);
                (dollars.floor() as u64).max(1) * 100 - if ending == 0 { 0 } else { 100 - ending }
            } else {
                (dollars * 100.0).round() as u64
            };
            items.push(Item {
                sku: format!(
                    "{}-{}-{:04}",
                    profile.sku_prefix,
                    c.code,
                    1001 + items.len()
                ),
                description: format!("{}, {}", c.products[p], c.variants[v]),
                price: format!("{}.{:02}", cents / 100, cents % 100),
                grams: log_uniform(f64::from(c.grams.0), f64::from(c.grams.1), rng).round() as u64,
            });
        }
        if !dealt {
            break;
        }
    }
    items
}

pub(super) fn foreign_accounts(profile: &Profile) -> usize {
    (profile.account_pool * 3 / 100).max(2)
}

pub(super) fn accounts(profile: &Profile, geo: &Geo, rng: &mut StdRng) -> Vec<Account> {
    let names = &reference().names;
    let mut seen = BTreeSet::new();
    let mut accounts = Vec::with_capacity(profile.account_pool);
    for _ in 0..profile.account_pool * 10 {
        if accounts.len() == profile.account_pool {
            break;
        }
        let name = match profile.accounts {
            AccountStyle::Retailers => {
                if rng.random_bool(0.3) {
                    format!(
                        "{}'s {}",
                        pick(&names.last, rng),
                        pick(&names.retail_kinds, rng)
                    )
                } else {
                    format!(
                        "{} {}",
                        pick(&names.retail_places, rng),
                        pick(&names.retail_kinds, rng)
                    )
                }
            }
            AccountStyle::Industrial => {
                let place = if rng.random_bool(0.4) {
                    pick(&names.last, rng)
                } else {
                    pick(&names.industrial_places, rng)
                };
                format!(
                    "{place} {} {}",
                    pick(&names.industrial_kinds, rng),
                    pick(&names.company_suffixes, rng)
                )
            }
        };
        if !seen.insert(name.clone()) {
            continue;
        }
        let base = names
            .company_suffixes
            .iter()
            .find_map(|s| name.strip_suffix(s.as_str()))
            .unwrap_or(&name);
        let domain: String = base
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        // The first few accounts are abroad; see `TenantGen::order`.
        let city = if accounts.len() < foreign_accounts(profile) {
            geo.pick_foreign(rng)
        } else {
            geo.pick_us(rng)
        };
        let c = geo.cities[city];
        let mailbox = pick(&names.mailboxes, rng);
        accounts.push(Account {
            email: rng
                .random_bool(0.6)
                .then(|| format!("{mailbox}@{domain}.com")),
            phone: rng.random_bool(0.85).then(|| phone_number(c, rng)),
            line1: if c.country == "MX" {
                format!(
                    "{} {}",
                    pick(&names.mexican_streets, rng),
                    rng.random_range(10..=3000)
                )
            } else {
                format!(
                    "{} {}",
                    rng.random_range(100..=9999),
                    pick(&names.business_streets, rng)
                )
            },
            line2: rng.random_bool(0.4).then(|| match rng.random_range(0..3) {
                0 => format!("Dock {}", rng.random_range(1..=24)),
                1 => format!("Building {}", (b'A' + rng.random_range(0..6u8)) as char),
                _ => format!("Suite {}", rng.random_range(1..=9) * 100),
            }),
            postal_code: postal_code(c, rng),
            city,
            name,
        });
    }
    accounts
}

pub(super) fn quantity(channel: Channel, rng: &mut StdRng) -> u32 {
    match channel {
        Channel::B2c => match rng.random::<f64>() {
            r if r < 0.8 => 1,
            r if r < 0.95 => 2,
            _ => 3,
        },
        Channel::B2b => {
            // Skewed to the low end: restocking a few cases is common, a pallet-sized line rare.
            let q = (5.0 * 40f64.powf(rng.random::<f64>().powi(2))).round() as u32;
            // Businesses mostly buy in case quantities.
            let q = if rng.random_bool(0.6) {
                (q / 5).max(1) * 5
            } else {
                q
            };
            q.clamp(5, 200)
        }
    }
}

pub(super) fn consumer_email(first: &str, last: &str, rng: &mut StdRng) -> String {
    let (f, l) = (first.to_lowercase(), last.to_lowercase().replace('\'', ""));
    let domain = pick(&reference().names.email_domains, rng);
    match rng.random_range(0..4) {
        0 => format!("{f}.{l}@{domain}"),
        1 => format!("{f}{l}{}@{domain}", rng.random_range(1..=99)),
        2 => format!("{}.{l}@{domain}", &f[..1]),
        _ => format!("{f}_{l}{}@{domain}", rng.random_range(1960..=2005)),
    }
}

/// Numbers in the 555-0100..0199 block, which North American numbering reserves for fiction.
pub(super) fn phone_number(c: &City, rng: &mut StdRng) -> String {
    if c.country == "MX" {
        format!(
            "+52 {} 5{:03} {:04}",
            c.phone,
            rng.random_range(0..1000),
            rng.random_range(0..10000)
        )
    } else {
        format!("({}) 555-01{:02}", c.phone, rng.random_range(0..100))
    }
}

pub(super) fn street_address(c: &City, rng: &mut StdRng) -> String {
    let names = &reference().names;
    if c.country == "MX" {
        format!(
            "{} {}",
            pick(&names.mexican_streets, rng),
            rng.random_range(1..=999)
        )
    } else {
        format!(
            "{} {} {}",
            rng.random_range(1..=9899),
            pick(&names.streets, rng),
            pick(&names.street_suffixes, rng)
        )
    }
}

pub(super) fn apartment(rng: &mut StdRng) -> String {
    match rng.random_range(0..3) {
        0 => format!(
            "Apt {}{}",
            rng.random_range(1..=30),
            (b'A' + rng.random_range(0..6u8)) as char
        ),
        1 => format!("Unit {}", rng.random_range(1..=400)),
        _ => format!("Suite {}", rng.random_range(100..=950)),
    }
}

pub(super) fn postal_code(c: &City, rng: &mut StdRng) -> String {
    match &c.postal {
        Postal::Us(lo, hi) | Postal::Mx(lo, hi) => format!("{:05}", rng.random_range(*lo..=*hi)),
        Postal::Ca(areas) => {
            // Canada Post never uses D, F, I, O, Q or U.
            const LETTERS: &[u8] = b"ABCEGHJKLMNPRSTVWXYZ";
            let letter = |rng: &mut StdRng| LETTERS[rng.random_range(0..LETTERS.len())] as char;
            let a = pick(areas, rng);
            let (d1, l, d2) = (
                rng.random_range(0..10),
                letter(rng),
                rng.random_range(0..10),
            );
            format!("{a} {d1}{l}{d2}")
        }
    }
}
