//! The demo's reference tables, kept as data in `data/` rather than as code so they can be
//! read and changed without reading the generator: cities (`cities.csv`), carriers
//! (`carriers.csv`), the client tenants with their warehouses (`tenants.toml`) and catalogues
//! (`catalogue.toml`), the words people, companies and addresses are made of (`names.toml`)
//! and when orders are placed (`rhythms.toml`). The files are embedded in the binary and
//! parsed once; a malformed file is refused with its name and what is wrong.
//!
//! `cities.csv`: `postal` is a range of five-digit codes (`10001-10040`) in the US and Mexico
//! and a space-separated list of forward sortation areas in Canada (the local delivery unit
//! is generated); `phone` is the area code, or the Mexican dialling prefix; `weight` is a US
//! city's relative share of US destinations (roughly population) and is left empty abroad,
//! where cities are picked evenly. US cities come first in the table the generator uses,
//! each group in file order, and the order is part of the data: picks are by position.

use crate::plan::{CarrierPlan, TenantPlan, WarehousePlan};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

const CITIES: &str = include_str!("../data/cities.csv");
const CARRIERS: &str = include_str!("../data/carriers.csv");
const TENANTS: &str = include_str!("../data/tenants.toml");
const CATALOGUE: &str = include_str!("../data/catalogue.toml");
const NAMES: &str = include_str!("../data/names.toml");
const RHYTHMS: &str = include_str!("../data/rhythms.toml");

/// The shipped tables, parsed on first use.
pub(crate) fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| Reference::builtin().expect("the demo's data files are valid"))
}

pub(crate) struct Reference {
    /// US cities first, then those abroad.
    pub cities: Vec<City>,
    /// How many of `cities` are in the US.
    pub us_cities: usize,
    pub tenants: Vec<Profile>,
    pub names: Names,
    pub rhythms: Rhythms,
}

pub(crate) enum Postal {
    Us(u32, u32),
    /// Forward sortation areas; the local delivery unit is generated.
    Ca(Vec<String>),
    Mx(u32, u32),
}

pub(crate) struct City {
    pub name: String,
    pub region: String,
    pub country: String,
    pub time_zone: String,
    pub lat: f64,
    pub lon: f64,
    /// Area code for NANP numbers, or the Mexican dialling prefix.
    pub phone: String,
    pub postal: Postal,
    /// Relative share of US destinations (roughly population); 0 abroad.
    pub weight: f64,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AccountStyle {
    Retailers,
    Industrial,
}

/// A tenant plan plus what shapes its orders but is not part of the published plan.
pub(crate) struct Profile {
    pub plan: TenantPlan,
    /// Share of all orders; the first tenant takes what the others leave.
    pub order_percent: u32,
    pub ref_prefix: String,
    pub first_ref: u64,
    pub b2c_share: f64,
    pub sku_prefix: String,
    pub categories: Vec<Category>,
    /// Consumer shops end prices in .99/.95; industrial price lists are exact cents.
    pub retail_prices: bool,
    pub accounts: AccountStyle,
    pub account_pool: usize,
    /// The shipper numbers embedded in UPS and USPS tracking numbers.
    pub ups_account: String,
    pub usps_mailer: String,
}

pub(crate) struct Category {
    pub code: String,
    pub products: Vec<String>,
    pub variants: Vec<String>,
    pub dollars: (u32, u32),
    pub grams: (u32, u32),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Names {
    pub first: Vec<String>,
    pub last: Vec<String>,
    pub email_domains: Vec<String>,
    pub streets: Vec<String>,
    pub street_suffixes: Vec<String>,
    pub business_streets: Vec<String>,
    pub mexican_streets: Vec<String>,
    pub retail_places: Vec<String>,
    pub retail_kinds: Vec<String>,
    pub industrial_places: Vec<String>,
    pub industrial_kinds: Vec<String>,
    pub company_suffixes: Vec<String>,
    pub mailboxes: Vec<String>,
}

/// Local-hour weights (0-23) and Monday-first weekday weights of when orders are placed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rhythm {
    pub hours: [f64; 24],
    pub weekdays: [f64; 7],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rhythms {
    pub b2c: Rhythm,
    pub b2b: Rhythm,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CityRow {
    name: String,
    region: String,
    country: String,
    time_zone: String,
    lat: f64,
    lon: f64,
    phone: String,
    postal: String,
    weight: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantsFile {
    tenant: Vec<TenantRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantRow {
    slug: String,
    name: String,
    time_zone: String,
    order_percent: u32,
    ref_prefix: String,
    first_ref: u64,
    b2c_share: f64,
    sku_prefix: String,
    retail_prices: bool,
    accounts: AccountStyle,
    account_pool: usize,
    ups_account: String,
    usps_mailer: String,
    warehouse: Vec<WarehousePlan>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueRow {
    #[serde(default)]
    variants: BTreeMap<String, Vec<String>>,
    category: Vec<CategoryRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryRow {
    code: String,
    products: Vec<String>,
    variants: Variants,
    dollars: (u32, u32),
    grams: (u32, u32),
}

/// A category's own variants, or the name of a list the tenant's categories share.
#[derive(Deserialize)]
#[serde(untagged)]
enum Variants {
    Shared(String),
    Own(Vec<String>),
}

impl Reference {
    /// The tables shipped in `data/`.
    pub fn builtin() -> Result<Self, String> {
        let (cities, us_cities) = cities("cities.csv", CITIES)?;
        let carriers = carriers("carriers.csv", CARRIERS)?;
        let tenants = tenants(TENANTS, CATALOGUE, &carriers, &cities)?;
        let names: Names = toml::from_str(NAMES).map_err(|e| format!("names.toml: {e}"))?;
        names.check()?;
        let rhythms: Rhythms = toml::from_str(RHYTHMS).map_err(|e| format!("rhythms.toml: {e}"))?;
        for (channel, r) in [("b2c", &rhythms.b2c), ("b2b", &rhythms.b2b)] {
            if r.hours
                .iter()
                .chain(&r.weekdays)
                .any(|w| !(*w >= 0.0 && w.is_finite()))
                || r.hours.iter().sum::<f64>() <= 0.0
                || r.weekdays.iter().sum::<f64>() <= 0.0
            {
                return Err(format!(
                    "rhythms.toml [{channel}]: weights must be finite, not negative, and not all zero"
                ));
            }
        }
        Ok(Reference {
            cities,
            us_cities,
            tenants,
            names,
            rhythms,
        })
    }
}

fn csv_rows<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<Vec<T>, String> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| format!("{file}: {e}"))
}

fn cities(file: &str, text: &str) -> Result<(Vec<City>, usize), String> {
    let (mut us, mut abroad) = (Vec::new(), Vec::new());
    for (i, row) in csv_rows::<CityRow>(file, text)?.into_iter().enumerate() {
        // Line 1 is the header.
        let at = |e: String| format!("{file} line {}: {e}", i + 2);
        let range = |s: &str| -> Result<(u32, u32), String> {
            let (lo, hi) = s
                .split_once('-')
                .ok_or_else(|| at(format!("postal '{s}' is not a range like 10001-10040")))?;
            let parse = |v: &str| {
                v.parse::<u32>()
                    .map_err(|_| at(format!("postal '{s}' is not a range of numbers")))
            };
            let (lo, hi) = (parse(lo)?, parse(hi)?);
            if lo > hi || hi > 99_999 {
                return Err(at(format!(
                    "postal '{s}' is not a range of five-digit codes"
                )));
            }
            Ok((lo, hi))
        };
        let postal = match row.country.as_str() {
            "US" => {
                let (lo, hi) = range(&row.postal)?;
                Postal::Us(lo, hi)
            }
            "MX" => {
                let (lo, hi) = range(&row.postal)?;
                Postal::Mx(lo, hi)
            }
            "CA" => {
                let areas: Vec<String> = row.postal.split_whitespace().map(String::from).collect();
                if areas.is_empty() {
                    return Err(at(
                        "a Canadian city needs its forward sortation areas".into()
                    ));
                }
                Postal::Ca(areas)
            }
            other => return Err(at(format!("no postal format for country '{other}'"))),
        };
        let weight = match (row.country.as_str(), row.weight) {
            ("US", Some(w)) if w > 0.0 && w.is_finite() => w,
            ("US", _) => return Err(at("a US city needs a positive weight".into())),
            (_, None) => 0.0,
            (_, Some(_)) => {
                return Err(at(
                    "weight is a share of US destinations; leave it empty abroad".into(),
                ));
            }
        };
        let city = City {
            name: row.name,
            region: row.region,
            time_zone: row.time_zone,
            lat: row.lat,
            lon: row.lon,
            phone: row.phone,
            postal,
            weight,
            country: row.country,
        };
        if city.country == "US" {
            us.push(city);
        } else {
            abroad.push(city);
        }
    }
    if us.is_empty() || abroad.is_empty() {
        return Err(format!("{file}: needs cities in the US and abroad"));
    }
    let us_cities = us.len();
    us.extend(abroad);
    Ok((us, us_cities))
}

fn carriers(file: &str, text: &str) -> Result<Vec<CarrierPlan>, String> {
    let rows: Vec<CarrierPlan> = csv_rows(file, text)?;
    for (i, c) in rows.iter().enumerate() {
        if !["parcel", "ltl", "ftl"].contains(&c.mode.as_str()) {
            return Err(format!(
                "{file} line {}: mode '{}' is not parcel, ltl or ftl",
                i + 2,
                c.mode
            ));
        }
    }
    Ok(rows)
}

fn tenants(
    text: &str,
    catalogue: &str,
    carriers: &[CarrierPlan],
    cities: &[City],
) -> Result<Vec<Profile>, String> {
    let file: TenantsFile = toml::from_str(text).map_err(|e| format!("tenants.toml: {e}"))?;
    let mut catalogues: HashMap<String, CatalogueRow> =
        toml::from_str(catalogue).map_err(|e| format!("catalogue.toml: {e}"))?;
    if file.tenant.is_empty() {
        return Err("tenants.toml: no tenant".into());
    }
    let percent: u32 = file.tenant.iter().map(|t| t.order_percent).sum();
    if percent != 100 {
        return Err(format!(
            "tenants.toml: order_percent adds up to {percent}, not 100"
        ));
    }
    let mut slugs = HashSet::new();
    let mut out = Vec::with_capacity(file.tenant.len());
    for t in file.tenant {
        let at = |e: String| format!("tenants.toml, tenant '{}': {e}", t.slug);
        if !slugs.insert(t.slug.clone()) {
            return Err(at("appears twice".into()));
        }
        if !(0.0..=1.0).contains(&t.b2c_share) {
            return Err(at("b2c_share must lie between 0 and 1".into()));
        }
        // UPS check digits read letters and digits only; IMpb mailer ids are nine digits.
        if t.ups_account.len() != 6
            || !t
                .ups_account
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        {
            return Err(at(
                "ups_account must be six capital letters or digits".into()
            ));
        }
        if t.usps_mailer.len() != 9 || !t.usps_mailer.bytes().all(|b| b.is_ascii_digit()) {
            return Err(at("usps_mailer must be nine digits".into()));
        }
        if t.warehouse.is_empty() {
            return Err(at("needs at least one warehouse".into()));
        }
        for w in &t.warehouse {
            if !cities
                .iter()
                .any(|c| c.name == w.city && c.region == w.region)
            {
                return Err(at(format!(
                    "warehouse {} is in {}, {}, which cities.csv does not list",
                    w.code, w.city, w.region
                )));
            }
        }
        let cat = catalogues
            .remove(&t.slug)
            .ok_or_else(|| format!("catalogue.toml: no catalogue for tenant '{}'", t.slug))?;
        let categories = categories(&t.slug, cat)?;
        out.push(Profile {
            plan: TenantPlan {
                slug: t.slug,
                name: t.name,
                time_zone: t.time_zone,
                carriers: carriers.to_vec(),
                warehouses: t.warehouse,
            },
            order_percent: t.order_percent,
            ref_prefix: t.ref_prefix,
            first_ref: t.first_ref,
            b2c_share: t.b2c_share,
            sku_prefix: t.sku_prefix,
            categories,
            retail_prices: t.retail_prices,
            accounts: t.accounts,
            account_pool: t.account_pool,
            ups_account: t.ups_account,
            usps_mailer: t.usps_mailer,
        });
    }
    if let Some(slug) = catalogues.keys().next() {
        return Err(format!(
            "catalogue.toml: '{slug}' is not a tenant of tenants.toml"
        ));
    }
    Ok(out)
}

fn categories(slug: &str, cat: CatalogueRow) -> Result<Vec<Category>, String> {
    if cat.category.is_empty() {
        return Err(format!("catalogue.toml, {slug}: no category"));
    }
    cat.category
        .into_iter()
        .map(|c| {
            let at = |e: String| format!("catalogue.toml, {slug} category {}: {e}", c.code);
            let variants = match c.variants {
                Variants::Own(v) => v,
                Variants::Shared(name) => cat
                    .variants
                    .get(&name)
                    .cloned()
                    .ok_or_else(|| at(format!("no list '{name}' in [{slug}.variants]")))?,
            };
            if c.products.is_empty() || variants.is_empty() {
                return Err(at("needs products and variants".into()));
            }
            for (what, (lo, hi)) in [("dollars", c.dollars), ("grams", c.grams)] {
                if lo == 0 || lo > hi {
                    return Err(at(format!("{what} must be two positive bounds, low first")));
                }
            }
            Ok(Category {
                code: c.code,
                products: c.products,
                variants,
                dollars: c.dollars,
                grams: c.grams,
            })
        })
        .collect()
}

impl Names {
    fn check(&self) -> Result<(), String> {
        let lists = [
            ("first", &self.first),
            ("last", &self.last),
            ("email_domains", &self.email_domains),
            ("streets", &self.streets),
            ("street_suffixes", &self.street_suffixes),
            ("business_streets", &self.business_streets),
            ("mexican_streets", &self.mexican_streets),
            ("retail_places", &self.retail_places),
            ("retail_kinds", &self.retail_kinds),
            ("industrial_places", &self.industrial_places),
            ("industrial_kinds", &self.industrial_kinds),
            ("company_suffixes", &self.company_suffixes),
            ("mailboxes", &self.mailboxes),
        ];
        match lists.iter().find(|(_, l)| l.is_empty()) {
            Some((name, _)) => Err(format!("names.toml: {name} is empty")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_tables_are_valid() {
        let r = Reference::builtin().unwrap();
        assert!(r.us_cities > 0 && r.us_cities < r.cities.len());
        assert!(r.cities[..r.us_cities].iter().all(|c| c.country == "US"));
        for c in &r.cities {
            assert!(jiff::tz::TimeZone::get(&c.time_zone).is_ok(), "{}", c.name);
        }
        for t in &r.tenants {
            assert!(jiff::tz::TimeZone::get(&t.plan.time_zone).is_ok());
            for w in &t.plan.warehouses {
                assert!(jiff::tz::TimeZone::get(&w.time_zone).is_ok(), "{}", w.code);
            }
        }
    }

    #[test]
    fn a_malformed_table_is_named_with_its_line() {
        let e = cities("cities.csv", "name,region,country,time_zone,lat,lon,phone,postal,weight\nOslo,OS,NO,Europe/Oslo,59.9,10.7,22,0150-0190,\n")
            .err()
            .unwrap();
        assert!(
            e.starts_with("cities.csv line 2:") && e.contains("'NO'"),
            "{e}"
        );
        let e = carriers("carriers.csv", "name,scac,mode\nSlow Boat,SLOW,sea\n")
            .err()
            .unwrap();
        assert!(e.contains("line 2") && e.contains("'sea'"), "{e}");
        let (cities, _) = cities("cities.csv", CITIES).unwrap();
        let e = tenants(
            &TENANTS.replace("order_percent = 30", "order_percent = 31"),
            CATALOGUE,
            &[],
            &cities,
        )
        .err()
        .unwrap();
        assert!(e.contains("101"), "{e}");
        let e = tenants(
            TENANTS,
            &CATALOGUE.replacen("variants = \"colors\"", "variants = \"colours\"", 1),
            &[],
            &cities,
        )
        .err()
        .unwrap();
        assert!(e.contains("TNT") && e.contains("'colours'"), "{e}");
    }
}
