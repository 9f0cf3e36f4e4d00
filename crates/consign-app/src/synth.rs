//! Deterministic synthetic data for demos, benchmarks and tests: two client tenants with their
//! carriers and warehouses, and per tenant an `orders.csv` and a `shipments.csv` in exactly the
//! format `consign import` reads (docs/import.md). The same configuration always produces the
//! same bytes, so generated files can serve as fixtures and benchmark inputs.
//!
//! Times are handled as whole Unix seconds internally: every value written is then an RFC 3339
//! UTC timestamp without a fraction, and comparisons with `now` are plain integer comparisons.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    /// Everything random derives from this seed.
    pub seed: u64,
    /// Orders across all tenants (about 70% go to the first tenant).
    pub orders: usize,
    /// Orders are spread over this many local calendar days, the last one being today.
    pub days: i64,
    /// The instant the dataset is "as of": orders and milestones all lie strictly before it.
    pub now: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantPlan {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub carriers: Vec<CarrierPlan>,
    pub warehouses: Vec<WarehousePlan>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierPlan {
    pub name: String,
    pub scac: String,
    /// `parcel`, `ltl` or `ftl`.
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarehousePlan {
    pub code: String,
    pub name: String,
    pub time_zone: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
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
use crate::import::{ORDER_FIELDS as ORDER_COLUMNS, SHIPMENT_FIELDS as SHIPMENT_COLUMNS};

/// Writes `DIR/tenants.json` (a JSON array of [`TenantPlan`]) and, per tenant,
/// `DIR/<slug>/orders.csv` and `DIR/<slug>/shipments.csv` in the `consign import` format,
/// replacing files already there. Rows are streamed, so memory stays flat with `orders`.
pub fn generate(cfg: &GenConfig, dir: &Path) -> io::Result<GenSummary> {
    let now = cfg.now.as_second();
    check_config(cfg, now)?;
    let profiles = profiles();
    let geo = Geo::load()?;
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    // Shared across tenants: the five carriers are the same companies for both clients, and a
    // carrier never reuses a tracking number whoever the shipper is.
    let mut tracking = Tracking::new(&mut rng);

    fs::create_dir_all(dir)?;
    let plans: Vec<TenantPlan> = profiles.iter().map(|p| p.plan.clone()).collect();
    let mut json = BufWriter::new(File::create(dir.join("tenants.json"))?);
    serde_json::to_writer_pretty(&mut json, &plans)?;
    json.write_all(b"\n")?;
    json.flush()?;

    // 70% Northwind, 30% Acme, in integers so the counts never depend on float rounding.
    let acme_orders = (cfg.orders as u128 * 3 / 10) as usize;
    let counts = [cfg.orders - acme_orders, acme_orders];

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

/// The fixed tenant plan: two client tenants, five carriers each (the same five carriers for both tenants).
pub fn tenant_plans() -> Vec<TenantPlan> {
    profiles().into_iter().map(|p| p.plan).collect()
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

// ---------------------------------------------------------------------------------------------
// Fixed reference data: tenants, carriers, places, names and catalogues.

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

fn carriers() -> Vec<CarrierPlan> {
    let c = |name: &str, carrier: Carrier, mode: &str| CarrierPlan {
        name: name.into(),
        scac: carrier.scac().into(),
        mode: mode.into(),
    };
    vec![
        c("UPS", Carrier::Ups, "parcel"),
        c("FedEx Ground", Carrier::Fedex, "parcel"),
        c("USPS", Carrier::Usps, "parcel"),
        c("Old Dominion Freight Line", Carrier::Odfl, "ltl"),
        c("J.B. Hunt", Carrier::Jbht, "ftl"),
    ]
}

fn warehouse(
    code: &str,
    name: &str,
    city: &str,
    region: &str,
    postal_code: &str,
    time_zone: &str,
) -> WarehousePlan {
    WarehousePlan {
        code: code.into(),
        name: name.into(),
        time_zone: time_zone.into(),
        city: city.into(),
        region: region.into(),
        postal_code: postal_code.into(),
        country: "US".into(),
    }
}

#[derive(Clone, Copy)]
enum AccountStyle {
    Retailers,
    Industrial,
}

/// A tenant plan plus what shapes its orders but is not part of the published plan.
struct Profile {
    plan: TenantPlan,
    ref_prefix: &'static str,
    first_ref: u64,
    b2c_share: f64,
    sku_prefix: &'static str,
    categories: &'static [Category],
    /// Consumer shops end prices in .99/.95; industrial price lists are exact cents.
    retail_prices: bool,
    accounts: AccountStyle,
    account_pool: usize,
    /// The shipper numbers embedded in UPS and USPS tracking numbers.
    ups_account: &'static str,
    usps_mailer: &'static str,
}

fn profiles() -> Vec<Profile> {
    vec![
        Profile {
            plan: TenantPlan {
                slug: "northwind".into(),
                name: "Northwind Outdoor".into(),
                time_zone: "America/Chicago".into(),
                carriers: carriers(),
                warehouses: vec![
                    warehouse(
                        "DAL1",
                        "Northwind Dallas DC",
                        "Dallas",
                        "TX",
                        "75201",
                        "America/Chicago",
                    ),
                    warehouse(
                        "REN1",
                        "Northwind Reno DC",
                        "Reno",
                        "NV",
                        "89501",
                        "America/Los_Angeles",
                    ),
                ],
            },
            ref_prefix: "NW-",
            first_ref: 100_001,
            b2c_share: 0.92,
            sku_prefix: "NW",
            categories: NW_CATEGORIES,
            retail_prices: true,
            accounts: AccountStyle::Retailers,
            account_pool: 60,
            ups_account: "8R4W29",
            usps_mailer: "901234567",
        },
        Profile {
            plan: TenantPlan {
                slug: "acme-industrial".into(),
                name: "Acme Industrial Supply".into(),
                time_zone: "America/New_York".into(),
                carriers: carriers(),
                warehouses: vec![warehouse(
                    "ATL1",
                    "Acme Atlanta Distribution Center",
                    "Atlanta",
                    "GA",
                    "30303",
                    "America/New_York",
                )],
            },
            ref_prefix: "AC-",
            first_ref: 500_001,
            b2c_share: 0.12,
            sku_prefix: "AIS",
            categories: ACME_CATEGORIES,
            retail_prices: false,
            accounts: AccountStyle::Industrial,
            account_pool: 150,
            ups_account: "A7F341",
            usps_mailer: "902345678",
        },
    ]
}

enum Postal {
    Us(u32, u32),
    /// Forward sortation areas; the local delivery unit is generated.
    Ca(&'static [&'static str]),
    Mx(u32, u32),
}

struct City {
    name: &'static str,
    region: &'static str,
    country: &'static str,
    time_zone: &'static str,
    lat: f64,
    lon: f64,
    /// Area code for NANP numbers, or the Mexican dialling prefix.
    phone: &'static str,
    postal: Postal,
    /// Relative share of US destinations (roughly population).
    weight: f64,
}

// One row of the city table; named fields would triple its length.
#[allow(clippy::too_many_arguments)]
const fn us(
    name: &'static str,
    region: &'static str,
    lo: u32,
    hi: u32,
    time_zone: &'static str,
    lat: f64,
    lon: f64,
    phone: &'static str,
    weight: f64,
) -> City {
    City {
        name,
        region,
        country: "US",
        time_zone,
        lat,
        lon,
        phone,
        postal: Postal::Us(lo, hi),
        weight,
    }
}

const NY: &str = "America/New_York";
const CHI: &str = "America/Chicago";
const DEN: &str = "America/Denver";
const LA: &str = "America/Los_Angeles";

const US_CITIES: &[City] = &[
    us(
        "New York", "NY", 10001, 10040, NY, 40.71, -74.01, "212", 8.3,
    ),
    us(
        "Brooklyn", "NY", 11201, 11239, NY, 40.65, -73.95, "718", 2.6,
    ),
    us(
        "Los Angeles",
        "CA",
        90001,
        90068,
        LA,
        34.05,
        -118.24,
        "213",
        3.9,
    ),
    us(
        "Chicago", "IL", 60601, 60661, CHI, 41.88, -87.63, "312", 2.7,
    ),
    us(
        "Houston", "TX", 77002, 77099, CHI, 29.76, -95.37, "713", 2.3,
    ),
    us(
        "Phoenix",
        "AZ",
        85003,
        85054,
        "America/Phoenix",
        33.45,
        -112.07,
        "602",
        1.6,
    ),
    us(
        "Philadelphia",
        "PA",
        19102,
        19154,
        NY,
        39.95,
        -75.17,
        "215",
        1.6,
    ),
    us(
        "San Antonio",
        "TX",
        78201,
        78266,
        CHI,
        29.42,
        -98.49,
        "210",
        1.5,
    ),
    us(
        "San Diego",
        "CA",
        92101,
        92154,
        LA,
        32.72,
        -117.16,
        "619",
        1.4,
    ),
    us("Dallas", "TX", 75201, 75254, CHI, 32.78, -96.80, "214", 1.3),
    us("Austin", "TX", 78701, 78759, CHI, 30.27, -97.74, "512", 1.0),
    us(
        "Jacksonville",
        "FL",
        32202,
        32258,
        NY,
        30.33,
        -81.66,
        "904",
        0.95,
    ),
    us(
        "Columbus", "OH", 43201, 43235, NY, 39.96, -83.00, "614", 0.9,
    ),
    us(
        "Charlotte",
        "NC",
        28202,
        28277,
        NY,
        35.23,
        -80.84,
        "704",
        0.9,
    ),
    us(
        "Indianapolis",
        "IN",
        46201,
        46260,
        "America/Indiana/Indianapolis",
        39.77,
        -86.16,
        "317",
        0.88,
    ),
    us(
        "San Francisco",
        "CA",
        94102,
        94134,
        LA,
        37.77,
        -122.42,
        "415",
        0.8,
    ),
    us(
        "Seattle", "WA", 98101, 98199, LA, 47.61, -122.33, "206", 0.75,
    ),
    us(
        "Denver", "CO", 80202, 80249, DEN, 39.74, -104.99, "303", 0.72,
    ),
    us(
        "Nashville",
        "TN",
        37201,
        37221,
        CHI,
        36.16,
        -86.78,
        "615",
        0.69,
    ),
    us("Boston", "MA", 2108, 2136, NY, 42.36, -71.06, "617", 0.65),
    us(
        "Portland", "OR", 97201, 97236, LA, 45.52, -122.68, "503", 0.65,
    ),
    us(
        "Las Vegas",
        "NV",
        89101,
        89149,
        LA,
        36.17,
        -115.14,
        "702",
        0.64,
    ),
    us(
        "Detroit",
        "MI",
        48201,
        48239,
        "America/Detroit",
        42.33,
        -83.05,
        "313",
        0.63,
    ),
    us(
        "Louisville",
        "KY",
        40202,
        40245,
        "America/Kentucky/Louisville",
        38.25,
        -85.76,
        "502",
        0.62,
    ),
    us(
        "Milwaukee",
        "WI",
        53202,
        53226,
        CHI,
        43.04,
        -87.91,
        "414",
        0.57,
    ),
    us(
        "Albuquerque",
        "NM",
        87102,
        87123,
        DEN,
        35.08,
        -106.65,
        "505",
        0.56,
    ),
    us(
        "Kansas City",
        "MO",
        64105,
        64158,
        CHI,
        39.10,
        -94.58,
        "816",
        0.51,
    ),
    us("Atlanta", "GA", 30303, 30350, NY, 33.75, -84.39, "404", 0.5),
    us("Miami", "FL", 33125, 33196, NY, 25.76, -80.19, "305", 0.45),
    us(
        "Minneapolis",
        "MN",
        55401,
        55419,
        CHI,
        44.98,
        -93.27,
        "612",
        0.43,
    ),
    us(
        "Honolulu",
        "HI",
        96813,
        96826,
        "Pacific/Honolulu",
        21.31,
        -157.86,
        "808",
        0.35,
    ),
    us(
        "Pittsburgh",
        "PA",
        15201,
        15235,
        NY,
        40.44,
        -79.99,
        "412",
        0.3,
    ),
    us(
        "Anchorage",
        "AK",
        99501,
        99518,
        "America/Anchorage",
        61.22,
        -149.90,
        "907",
        0.29,
    ),
    us("Reno", "NV", 89501, 89523, LA, 39.53, -119.81, "775", 0.26),
    us(
        "Boise",
        "ID",
        83702,
        83716,
        "America/Boise",
        43.62,
        -116.20,
        "208",
        0.24,
    ),
    us(
        "Salt Lake City",
        "UT",
        84101,
        84124,
        DEN,
        40.76,
        -111.89,
        "801",
        0.2,
    ),
];

const FOREIGN_CITIES: &[City] = &[
    City {
        name: "Toronto",
        region: "ON",
        country: "CA",
        time_zone: "America/Toronto",
        lat: 43.65,
        lon: -79.38,
        phone: "416",
        postal: Postal::Ca(&["M5V", "M4W", "M6J", "M5A"]),
        weight: 1.0,
    },
    City {
        name: "Vancouver",
        region: "BC",
        country: "CA",
        time_zone: "America/Vancouver",
        lat: 49.28,
        lon: -123.12,
        phone: "604",
        postal: Postal::Ca(&["V6B", "V5K", "V6E"]),
        weight: 1.0,
    },
    City {
        name: "Montréal",
        region: "QC",
        country: "CA",
        time_zone: "America/Toronto",
        lat: 45.50,
        lon: -73.57,
        phone: "514",
        postal: Postal::Ca(&["H3B", "H2X", "H3A"]),
        weight: 1.0,
    },
    City {
        name: "Calgary",
        region: "AB",
        country: "CA",
        time_zone: "America/Edmonton",
        lat: 51.05,
        lon: -114.07,
        phone: "403",
        postal: Postal::Ca(&["T2P", "T2R", "T3A"]),
        weight: 1.0,
    },
    City {
        name: "Ciudad de México",
        region: "CMX",
        country: "MX",
        time_zone: "America/Mexico_City",
        lat: 19.43,
        lon: -99.13,
        phone: "55",
        postal: Postal::Mx(6000, 6999),
        weight: 1.0,
    },
    City {
        name: "Monterrey",
        region: "NLE",
        country: "MX",
        time_zone: "America/Monterrey",
        lat: 25.69,
        lon: -100.32,
        phone: "81",
        postal: Postal::Mx(64000, 64999),
        weight: 1.0,
    },
    City {
        name: "Guadalajara",
        region: "JAL",
        country: "MX",
        time_zone: "America/Mexico_City",
        lat: 20.67,
        lon: -103.35,
        phone: "33",
        postal: Postal::Mx(44100, 44990),
        weight: 1.0,
    },
];

/// Share of orders shipped to Canada or Mexico.
const FOREIGN_SHARE: f64 = 0.03;

const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Charles",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Margaret",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Andrew",
    "Emily",
    "Joshua",
    "Donna",
    "Kevin",
    "Michelle",
    "Brian",
    "Carol",
    "George",
    "Amanda",
    "Timothy",
    "Melissa",
    "Jason",
    "Stephanie",
    "Ryan",
    "Rebecca",
    "Jacob",
    "Laura",
    "Nicholas",
    "Maria",
    "Jose",
    "Luis",
    "Carlos",
    "Sofia",
    "Wei",
    "Priya",
    "Aisha",
    "Omar",
    "Mei",
    "Hiroshi",
    "Olga",
    "Noah",
    "Liam",
    "Emma",
    "Olivia",
    "Ava",
    "Mateo",
    "Isabella",
    "Ethan",
    "Chloe",
    "Dmitri",
    "Fatima",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Patel",
    "Kim",
    "Chen",
    "O'Brien",
    "Murphy",
    "Sullivan",
    "Kowalski",
    "Schmidt",
    "Novak",
    "Yamamoto",
    "Okafor",
    "Haddad",
];

const EMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "icloud.com",
    "hotmail.com",
    "aol.com",
    "comcast.net",
];

const STREETS: &[&str] = &[
    "Maple",
    "Oak",
    "Cedar",
    "Pine",
    "Elm",
    "Washington",
    "Lincoln",
    "Park",
    "Lake",
    "Hill",
    "Sunset",
    "Highland",
    "Main",
    "Church",
    "Franklin",
    "Jefferson",
    "Madison",
    "Ridge",
    "Meadow",
    "Willow",
    "Chestnut",
    "Walnut",
    "Spring",
    "River",
    "Forest",
    "Jackson",
    "Adams",
    "Grant",
    "Cherry",
    "Prospect",
    "King",
    "Queen",
    "College",
    "Broadway",
];
const STREET_SUFFIXES: &[&str] = &["St", "Ave", "Blvd", "Dr", "Ln", "Rd", "Ct", "Way", "Pl"];
const BUSINESS_STREETS: &[&str] = &[
    "Industrial Pkwy",
    "Commerce Dr",
    "Distribution Way",
    "Enterprise Blvd",
    "Logistics Ct",
    "Technology Dr",
    "Corporate Center Dr",
    "Manufacturers Rd",
    "Freeport Pkwy",
    "Airport Rd",
    "Trade Center Blvd",
    "Westpark Dr",
];
const MX_STREETS: &[&str] = &[
    "Av. Paseo de la Reforma",
    "Calle Madero",
    "Av. Insurgentes Sur",
    "Calle Hidalgo",
    "Av. Juárez",
    "Calle Morelos",
    "Av. Constitución",
    "Calle Independencia",
];

const RETAIL_PLACES: &[&str] = &[
    "Summit",
    "Cascade",
    "Blue Ridge",
    "Timberline",
    "Red Rock",
    "Granite Peak",
    "Prairie",
    "Lakeshore",
    "High Desert",
    "Pine Valley",
    "Canyon",
    "Northstar",
    "Trailhead",
    "Riverbend",
    "Ozark",
    "Big Sky",
    "Sawtooth",
    "Appalachian",
];
const RETAIL_KINDS: &[&str] = &[
    "Outfitters",
    "Outdoor Supply",
    "Mountain Sports",
    "Trading Post",
    "Adventure Co.",
    "Camp & Trail",
    "Sporting Goods",
];
const INDUSTRIAL_PLACES: &[&str] = &[
    "Great Lakes",
    "Keystone",
    "Lone Star",
    "Pacific",
    "Gulf Coast",
    "Heartland",
    "Iron Range",
    "Tri-State",
    "Midwest",
    "Allegheny",
    "Piedmont",
    "Bayou",
    "Sierra",
    "Delta",
    "Magnolia",
    "Buckeye",
    "Badger",
    "Palmetto",
    "Cumberland",
];
const INDUSTRIAL_KINDS: &[&str] = &[
    "Machine Works",
    "Fabrication",
    "Tool & Die",
    "Mechanical",
    "Manufacturing",
    "Hydraulics",
    "Electric",
    "Construction",
    "Plastics",
    "Metalworks",
    "Equipment",
    "Maintenance Services",
    "Precision",
];
const COMPANY_SUFFIXES: &[&str] = &["LLC", "Inc.", "Co.", "Corp."];

struct Category {
    code: &'static str,
    products: &'static [&'static str],
    variants: &'static [&'static str],
    dollars: (u32, u32),
    grams: (u32, u32),
}

const COLORS: &[&str] = &[
    "Slate", "Forest", "Ember", "Glacier", "Sand", "Black", "Navy", "Olive",
];

const NW_CATEGORIES: &[Category] = &[
    Category {
        code: "TNT",
        products: &[
            "Trailhead 2 Tent",
            "Basecamp 4 Dome Tent",
            "Ridgeline UL1 Tent",
            "Family Cabin 6 Tent",
            "Bivy Shelter",
        ],
        variants: COLORS,
        dollars: (89, 549),
        grams: (900, 8000),
    },
    Category {
        code: "SLP",
        products: &[
            "Alpine 20°F Down Sleeping Bag",
            "Summer 40°F Synthetic Sleeping Bag",
            "Self-Inflating Sleeping Pad",
            "Insulated Air Pad",
            "Inflatable Camp Pillow",
        ],
        variants: COLORS,
        dollars: (19, 329),
        grams: (150, 1800),
    },
    Category {
        code: "PCK",
        products: &[
            "Daypack 24L",
            "Trekker 45L Backpack",
            "Expedition 65L Backpack",
            "Hydration Pack 12L",
            "Hip Pack 3L",
        ],
        variants: COLORS,
        dollars: (29, 289),
        grams: (250, 2400),
    },
    Category {
        code: "APP",
        products: &[
            "Rain Shell Jacket",
            "Down Puffer Jacket",
            "Fleece Quarter-Zip",
            "Softshell Pants",
            "Merino Base Layer Top",
            "Sun Hoodie",
        ],
        variants: &[
            "Men's S",
            "Men's M",
            "Men's L",
            "Men's XL",
            "Women's XS",
            "Women's S",
            "Women's M",
            "Women's L",
        ],
        dollars: (35, 299),
        grams: (150, 900),
    },
    Category {
        code: "FTW",
        products: &[
            "Trail Running Shoe",
            "Waterproof Hiking Boot",
            "Camp Sandal",
            "Approach Shoe",
        ],
        variants: &[
            "Men's 8",
            "Men's 9",
            "Men's 10",
            "Men's 11",
            "Men's 12",
            "Women's 6",
            "Women's 7",
            "Women's 8",
            "Women's 9",
        ],
        dollars: (49, 229),
        grams: (250, 1600),
    },
    Category {
        code: "CMP",
        products: &[
            "Canister Stove",
            "Titanium Cook Pot 900ml",
            "Insulated Mug 12oz",
            "Squeeze Water Filter",
            "Collapsible Water Jug 10L",
            "Camp Cookset 2P",
        ],
        variants: COLORS,
        dollars: (12, 149),
        grams: (80, 1100),
    },
    Category {
        code: "LGT",
        products: &[
            "Headlamp 400 Lumen",
            "Rechargeable Lantern",
            "Solar String Lights",
            "Emergency Beacon",
        ],
        variants: COLORS,
        dollars: (15, 249),
        grams: (60, 600),
    },
    Category {
        code: "ACC",
        products: &[
            "Trekking Poles (Pair)",
            "Baseplate Compass",
            "Trail First Aid Kit",
            "Dry Bag 20L",
            "Compact Camp Chair",
            "Single Hammock",
            "Merino Hiking Socks 2-Pack",
        ],
        variants: COLORS,
        dollars: (9, 129),
        grams: (50, 1500),
    },
];

const GRADES: &[&str] = &["Standard", "Heavy Duty", "Premium", "Metric", "Stainless"];

const ACME_CATEGORIES: &[Category] = &[
    Category {
        code: "FST",
        products: &[
            "Hex Bolt 1/2\"-13 x 2\" (Box of 50)",
            "Hex Nut 3/8\"-16 (Box of 100)",
            "Flat Washer M10 (Box of 200)",
            "Socket Cap Screw M8 x 30 (Box of 50)",
            "Lag Screw 3/8\" x 4\" (Box of 25)",
            "Threaded Rod 1/2\"-13 x 6ft",
        ],
        variants: &[
            "Zinc Plated",
            "Grade 5",
            "Grade 8",
            "Stainless 18-8",
            "Hot-Dip Galvanized",
        ],
        dollars: (6, 95),
        grams: (200, 2500),
    },
    Category {
        code: "BRG",
        products: &[
            "Ball Bearing 6204-2RS",
            "Tapered Roller Bearing 30206",
            "Pillow Block Bearing UCP205",
            "Needle Bearing HK2020",
            "Flange Bearing UCFL206",
        ],
        variants: &["Standard", "Sealed", "Shielded", "High Temp", "Food Grade"],
        dollars: (4, 120),
        grams: (30, 1500),
    },
    Category {
        code: "VLV",
        products: &[
            "Ball Valve 1\" NPT",
            "Check Valve 3/4\" NPT",
            "Elbow 90° 1\" NPT",
            "Tee 1/2\" NPT",
            "Gate Valve 2\" NPT",
            "JIC-8 Hydraulic Fitting",
        ],
        variants: &[
            "Brass",
            "Stainless 316",
            "Carbon Steel",
            "Lead-Free Bronze",
            "PVC Sch 80",
        ],
        dollars: (3, 260),
        grams: (50, 3000),
    },
    Category {
        code: "SAF",
        products: &[
            "Nitrile Gloves (Box of 100)",
            "Safety Glasses",
            "Foam Ear Plugs (200 Pairs)",
            "Hi-Vis Vest Class 2",
            "Hard Hat Type I",
            "Cut-Resistant Gloves A4 (12 Pairs)",
        ],
        variants: &["Size S", "Size M", "Size L", "Size XL", "Universal"],
        dollars: (4, 90),
        grams: (40, 800),
    },
    Category {
        code: "ELC",
        products: &[
            "THHN Wire 12 AWG 500ft",
            "Cable Ties 11\" (Pack of 100)",
            "EMT Conduit 3/4\" x 10ft",
            "Junction Box 4\" Square",
            "LED High Bay 150W",
            "Extension Cord 12/3 50ft",
        ],
        variants: &[
            "Type A",
            "Type B",
            "Heavy Duty",
            "Outdoor Rated",
            "Contractor Pack",
        ],
        dollars: (5, 260),
        grams: (80, 9000),
    },
    Category {
        code: "TLS",
        products: &[
            "Cordless Drill 20V",
            "Impact Socket Set 1/2\" Drive",
            "Torque Wrench 3/8\" Drive",
            "Cutting Disc 4.5\" (Pack of 25)",
            "Cobalt Drill Bit Set 29pc",
            "Pipe Wrench 18\"",
        ],
        variants: GRADES,
        dollars: (12, 340),
        grams: (150, 3500),
    },
    Category {
        code: "MRO",
        products: &[
            "Multipurpose Grease 14oz",
            "Cutting Oil 1 gal",
            "Thread Locker Blue 50ml",
            "Shop Towels (Box of 200)",
            "Degreaser 1 gal",
            "Absorbent Pads (Pack of 100)",
        ],
        variants: &["Single", "Case of 6", "Case of 12", "Case of 24"],
        dollars: (4, 180),
        grams: (60, 8000),
    },
    Category {
        code: "PWR",
        products: &[
            "V-Belt A42",
            "Roller Chain #40 10ft",
            "Sprocket 40B15",
            "Jaw Coupling L-095",
            "Timing Belt 5M-450",
            "Shaft Collar 1\"",
        ],
        variants: GRADES,
        dollars: (5, 140),
        grams: (40, 2500),
    },
];

const CATALOGUE_SIZE: usize = 200;

/// Local-hour weights (0-23) and Monday-first weekday weights of when orders are placed.
struct Rhythm {
    hours: [f64; 24],
    weekdays: [f64; 7],
}

// Consumers shop at lunch and in the evening and somewhat less on weekends; businesses order
// in office hours and hardly at all on weekends.
const B2C_RHYTHM: Rhythm = Rhythm {
    hours: [
        0.6, 0.35, 0.2, 0.15, 0.15, 0.25, 0.5, 0.9, 1.3, 1.6, 1.8, 2.0, 2.2, 2.1, 1.9, 1.8, 1.8,
        1.9, 2.2, 2.6, 2.9, 2.8, 2.1, 1.2,
    ],
    weekdays: [1.1, 1.05, 1.0, 1.0, 0.95, 0.8, 0.9],
};
const B2B_RHYTHM: Rhythm = Rhythm {
    hours: [
        0.05, 0.03, 0.02, 0.02, 0.05, 0.2, 0.8, 2.0, 3.2, 3.6, 3.5, 3.0, 2.2, 2.8, 3.2, 3.0, 2.4,
        1.5, 0.7, 0.4, 0.3, 0.2, 0.15, 0.1,
    ],
    weekdays: [1.0, 1.0, 1.0, 1.0, 0.9, 0.12, 0.06],
};

struct RhythmSampler {
    hour_cdf: Vec<f64>,
    weekdays: [f64; 7],
    max_weekday: f64,
}

impl RhythmSampler {
    fn new(r: &Rhythm) -> Self {
        Self {
            hour_cdf: cumulative(r.hours.iter().copied()),
            weekdays: r.weekdays,
            max_weekday: r.weekdays.iter().copied().fold(0.0, f64::max),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Places with their time zones resolved once: zone lookups are far too slow to repeat per row.

struct Geo {
    cities: Vec<&'static City>,
    zones: Vec<TimeZone>,
    /// Cumulative weights over the US cities (the first `us_count` entries of `cities`).
    us_cdf: Vec<f64>,
    us_count: usize,
}

impl Geo {
    fn load() -> io::Result<Self> {
        let cities: Vec<&'static City> = US_CITIES.iter().chain(FOREIGN_CITIES).collect();
        let zones = cities
            .iter()
            .map(|c| zone(c.time_zone))
            .collect::<io::Result<Vec<_>>>()?;
        let us_cdf = cumulative(US_CITIES.iter().map(|c| c.weight));
        Ok(Self {
            cities,
            zones,
            us_cdf,
            us_count: US_CITIES.len(),
        })
    }

    fn pick_city(&self, rng: &mut StdRng) -> usize {
        if rng.random_bool(FOREIGN_SHARE) {
            self.pick_foreign(rng)
        } else {
            self.pick_us(rng)
        }
    }

    fn pick_us(&self, rng: &mut StdRng) -> usize {
        pick_cdf(&self.us_cdf, rng)
    }

    fn pick_foreign(&self, rng: &mut StdRng) -> usize {
        self.us_count + rng.random_range(0..self.cities.len() - self.us_count)
    }

    fn find(&self, name: &str, region: &str) -> Option<usize> {
        self.cities
            .iter()
            .position(|c| c.name == name && c.region == region)
    }
}

fn zone(name: &str) -> io::Result<TimeZone> {
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

fn pick_cdf(cdf: &[f64], rng: &mut StdRng) -> usize {
    let total = cdf.last().copied().unwrap_or(0.0);
    let x = rng.random::<f64>() * total;
    cdf.partition_point(|&c| c <= x)
        .min(cdf.len().saturating_sub(1))
}

fn pick<'a, T>(items: &'a [T], rng: &mut StdRng) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn log_uniform(lo: f64, hi: f64, rng: &mut StdRng) -> f64 {
    (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
}

fn km_between(a: &City, b: &City) -> f64 {
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

// ---------------------------------------------------------------------------------------------
// Per-tenant generation.

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

struct Item {
    sku: String,
    description: String,
    price: String,
    grams: u64,
}

/// A business customer: orders again and again to the same dock.
struct Account {
    name: String,
    email: Option<String>,
    phone: Option<String>,
    line1: String,
    line2: Option<String>,
    city: usize,
    postal_code: String,
}

struct Warehouse {
    plan: WarehousePlan,
    city: usize,
}

struct Line {
    item: usize,
    quantity: u32,
}

struct Order {
    external_ref: String,
    channel: Channel,
    customer_name: String,
    email: Option<String>,
    phone: Option<String>,
    ship_to_name: String,
    line1: String,
    line2: Option<String>,
    city: usize,
    postal_code: String,
    ordered_at: i64,
    promised_by: i64,
    lines: Vec<Line>,
    plan: Fulfilment,
}

/// How the order will travel, decided when it is placed because the promise depends on it.
struct Fulfilment {
    warehouse: usize,
    mode: Mode,
    carrier: Carrier,
    service: Service,
    transit: i64,
}

struct TenantGen<'a> {
    profile: &'a Profile,
    geo: &'a Geo,
    tz: TimeZone,
    catalogue: Vec<Item>,
    /// Business customers, the first `foreign_accounts` of them outside the US.
    accounts: Vec<Account>,
    foreign_accounts: usize,
    warehouses: Vec<Warehouse>,
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

    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        count: usize,
        days: i64,
        now: i64,
        dir: &Path,
        rng: &mut StdRng,
        tracking: &mut Tracking,
        summary: &mut GenSummary,
    ) -> io::Result<()> {
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
        let b2c = RhythmSampler::new(&B2C_RHYTHM);
        let b2b = RhythmSampler::new(&B2B_RHYTHM);
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

        let mut next_ref = self.profile.first_ref;
        for (ordered_at, channel) in placed {
            let external_ref = format!("{}{next_ref}", self.profile.ref_prefix);
            // Occasional gaps, as when an ERP burns numbers on abandoned carts.
            next_ref += if rng.random_bool(0.03) { 2 } else { 1 };
            let order = self.order(external_ref, channel, ordered_at, rng);
            self.write_order(&order, &mut orders_csv)?;
            summary.orders += 1;
            summary.order_lines += order.lines.len();
            summary.shipments += self.ship(&order, now, rng, tracking, &mut shipments_csv)?;
        }
        finish(orders_csv)?;
        finish(shipments_csv)
    }

    fn order_time(
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

    fn order(
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
                    let (first, last) = (*pick(FIRST_NAMES, rng), *pick(LAST_NAMES, rng));
                    let name = format!("{first} {last}");
                    let email = rng
                        .random_bool(0.92)
                        .then(|| consumer_email(first, last, rng));
                    let phone = rng.random_bool(0.45).then(|| phone_number(c, rng));
                    // Gifts: the parcel goes to someone other than the buyer.
                    let ship_to = if rng.random_bool(0.04) {
                        format!("{} {}", pick(FIRST_NAMES, rng), pick(LAST_NAMES, rng))
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

    fn grams<'l>(&self, lines: impl Iterator<Item = (&'l Line, u32)>) -> u64 {
        lines
            .map(|(l, q)| self.catalogue[l.item].grams * u64::from(q))
            .sum()
    }

    fn write_order(&self, o: &Order, w: &mut csv::Writer<BufWriter<File>>) -> io::Result<()> {
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
                city.name,
                city.region,
                &o.postal_code,
                city.country,
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

    /// Writes the order's shipments, if it has shipped yet, and returns how many.
    fn ship(
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
        let opt_stamp = |t: Option<i64>| t.map(stamp).transpose().map(Option::unwrap_or_default);
        w.write_record([
            plan.carrier.scac(),
            plan.service.as_str(),
            &tracking_number,
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
            dest.name,
            dest.region,
            &o.postal_code,
            dest.country,
            dest.time_zone,
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

/// Moves a night-time delivery into delivery hours (the next morning, or else earlier the same
/// day) when that keeps it within `lo..=hi`; drivers do not knock at 3 a.m.
fn daytime(tz: &TimeZone, t: i64, lo: i64, hi: i64, rng: &mut StdRng) -> i64 {
    let Ok(ts) = Timestamp::from_second(t) else {
        return t;
    };
    let local = tz.to_datetime(ts);
    if (8..20).contains(&local.hour()) {
        return t;
    }
    let date = local.date();
    let morning = if local.hour() >= 20 {
        date.tomorrow().ok()
    } else {
        Some(date)
    };
    let candidates = [
        morning.and_then(|d| random_time(tz, d, 9..17, rng)),
        random_time(tz, date, 9..20, rng),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|m| (lo..=hi).contains(m))
        .unwrap_or(t)
}

fn random_time(
    tz: &TimeZone,
    date: Date,
    hours: std::ops::Range<i64>,
    rng: &mut StdRng,
) -> Option<i64> {
    let secs = rng.random_range(hours.start * 3600..hours.end * 3600);
    local_instant(
        tz,
        date,
        (secs / 3600) as i8,
        (secs / 60 % 60) as i8,
        (secs % 60) as i8,
    )
}

/// 20:00 local time `days` days after the local date of `t`: promises are end of a delivery day
/// in the destination's zone.
fn end_of_day(tz: &TimeZone, t: i64, days: i64) -> i64 {
    let fallback = t + days * DAY;
    let Ok(ts) = Timestamp::from_second(t) else {
        return fallback;
    };
    let date = tz.to_datetime(ts).date();
    let Ok(date) = date.checked_add(jiff::Span::new().days(days)) else {
        return fallback;
    };
    let eod = local_instant(tz, date, 20, 0, 0).unwrap_or(fallback);
    // An order placed after 20:00 cannot be promised for "today".
    if eod < t { eod + DAY } else { eod }
}

fn local_instant(tz: &TimeZone, date: Date, hour: i8, minute: i8, second: i8) -> Option<i64> {
    let dt = date.at(hour, minute, second, 0);
    tz.to_ambiguous_timestamp(dt)
        .compatible()
        .ok()
        .map(|t| t.as_second())
}

/// The last `days` local calendar dates up to and including today, newest first.
fn local_dates(tz: &TimeZone, now: i64, days: i64) -> Vec<Date> {
    let today = Timestamp::from_second(now)
        .map(|t| tz.to_datetime(t).date())
        .unwrap_or_default();
    let mut dates = Vec::with_capacity(days as usize);
    let mut d = today;
    for _ in 0..days {
        dates.push(d);
        match d.yesterday() {
            Ok(y) => d = y,
            Err(_) => break,
        }
    }
    dates
}

fn round_up(t: i64, step: i64) -> i64 {
    t + (step - t.rem_euclid(step)) % step
}

fn stamp(t: i64) -> io::Result<String> {
    Timestamp::from_second(t)
        .map(|t| t.to_string())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("timestamp {t}: {e}")))
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

fn finish(w: csv::Writer<BufWriter<File>>) -> io::Result<()> {
    w.into_inner()
        .map_err(|e| io::Error::new(e.error().kind(), e.error().to_string()))?
        .flush()
}

// ---------------------------------------------------------------------------------------------
// Reference data that is random but fixed per tenant for a run.

fn catalogue(profile: &Profile, rng: &mut StdRng) -> Vec<Item> {
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

fn foreign_accounts(profile: &Profile) -> usize {
    (profile.account_pool * 3 / 100).max(2)
}

fn accounts(profile: &Profile, geo: &Geo, rng: &mut StdRng) -> Vec<Account> {
    let mut seen = BTreeSet::new();
    let mut accounts = Vec::with_capacity(profile.account_pool);
    for _ in 0..profile.account_pool * 10 {
        if accounts.len() == profile.account_pool {
            break;
        }
        let name = match profile.accounts {
            AccountStyle::Retailers => {
                if rng.random_bool(0.3) {
                    format!("{}'s {}", pick(LAST_NAMES, rng), pick(RETAIL_KINDS, rng))
                } else {
                    format!("{} {}", pick(RETAIL_PLACES, rng), pick(RETAIL_KINDS, rng))
                }
            }
            AccountStyle::Industrial => {
                let place = if rng.random_bool(0.4) {
                    pick(LAST_NAMES, rng)
                } else {
                    pick(INDUSTRIAL_PLACES, rng)
                };
                format!(
                    "{place} {} {}",
                    pick(INDUSTRIAL_KINDS, rng),
                    pick(COMPANY_SUFFIXES, rng)
                )
            }
        };
        if !seen.insert(name.clone()) {
            continue;
        }
        let base = COMPANY_SUFFIXES
            .iter()
            .find_map(|s| name.strip_suffix(s))
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
        let mailbox = *pick(
            &["purchasing", "orders", "ap", "receiving", "procurement"],
            rng,
        );
        accounts.push(Account {
            email: rng
                .random_bool(0.6)
                .then(|| format!("{mailbox}@{domain}.com")),
            phone: rng.random_bool(0.85).then(|| phone_number(c, rng)),
            line1: if c.country == "MX" {
                format!("{} {}", pick(MX_STREETS, rng), rng.random_range(10..=3000))
            } else {
                format!(
                    "{} {}",
                    rng.random_range(100..=9999),
                    pick(BUSINESS_STREETS, rng)
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

fn quantity(channel: Channel, rng: &mut StdRng) -> u32 {
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

fn consumer_email(first: &str, last: &str, rng: &mut StdRng) -> String {
    let (f, l) = (first.to_lowercase(), last.to_lowercase().replace('\'', ""));
    let domain = pick(EMAIL_DOMAINS, rng);
    match rng.random_range(0..4) {
        0 => format!("{f}.{l}@{domain}"),
        1 => format!("{f}{l}{}@{domain}", rng.random_range(1..=99)),
        2 => format!("{}.{l}@{domain}", &f[..1]),
        _ => format!("{f}_{l}{}@{domain}", rng.random_range(1960..=2005)),
    }
}

/// Numbers in the 555-0100..0199 block, which North American numbering reserves for fiction.
fn phone_number(c: &City, rng: &mut StdRng) -> String {
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

fn street_address(c: &City, rng: &mut StdRng) -> String {
    if c.country == "MX" {
        format!("{} {}", pick(MX_STREETS, rng), rng.random_range(1..=999))
    } else {
        format!(
            "{} {} {}",
            rng.random_range(1..=9899),
            pick(STREETS, rng),
            pick(STREET_SUFFIXES, rng)
        )
    }
}

fn apartment(rng: &mut StdRng) -> String {
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

fn postal_code(c: &City, rng: &mut StdRng) -> String {
    match c.postal {
        Postal::Us(lo, hi) | Postal::Mx(lo, hi) => format!("{:05}", rng.random_range(lo..=hi)),
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

// ---------------------------------------------------------------------------------------------
// Tracking numbers in each carrier's real shape. Serials only ever increase, which makes them
// unique per carrier without remembering the ones already issued.

struct Tracking {
    ups: u64,
    fedex: u64,
    usps: u64,
    odfl: u64,
    jbht: u64,
}

impl Tracking {
    fn new(rng: &mut StdRng) -> Self {
        Self {
            ups: rng.random_range(0..1_000_000),
            fedex: 27_000_000_000 + rng.random_range(0..1_000_000_000),
            usps: rng.random_range(0..1_000_000),
            odfl: 734_000_000 + rng.random_range(0..10_000_000),
            jbht: 400_000_000 + rng.random_range(0..10_000_000),
        }
    }

    fn next(
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
fn ups_check_digit(body: &str) -> u32 {
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
fn mod10_check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .zip([3, 1].into_iter().cycle())
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap, HashSet};
    use tempfile::TempDir;

    fn config(orders: usize) -> GenConfig {
        GenConfig {
            seed: 42,
            orders,
            days: 60,
            now: "2026-10-01T14:03:27.5Z".parse().unwrap(),
        }
    }

    struct Table {
        header: Vec<String>,
        rows: Vec<csv::StringRecord>,
    }

    impl Table {
        fn read(path: &Path) -> Self {
            let mut r = csv::Reader::from_path(path).unwrap();
            let header = r.headers().unwrap().iter().map(String::from).collect();
            let rows = r.records().map(Result::unwrap).collect();
            Self { header, rows }
        }
        fn col(&self, name: &str) -> usize {
            self.header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("no column {name}"))
        }
        fn get<'r>(&self, row: &'r csv::StringRecord, name: &str) -> &'r str {
            &row[self.col(name)]
        }
    }

    fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.insert(
                        p.strip_prefix(dir).unwrap().display().to_string(),
                        fs::read(&p).unwrap(),
                    );
                }
            }
        }
        out
    }

    fn generated(orders: usize) -> (TempDir, GenSummary) {
        let dir = tempfile::tempdir().unwrap();
        let summary = generate(&config(orders), dir.path()).unwrap();
        (dir, summary)
    }

    #[test]
    fn same_config_gives_same_bytes() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let sa = generate(&config(1500), a.path()).unwrap();
        let sb = generate(&config(1500), b.path()).unwrap();
        assert_eq!(sa, sb);
        let (fa, fb) = (files(a.path()), files(b.path()));
        assert_eq!(fa.len(), 5, "{:?}", fa.keys());
        assert!(fa == fb, "generated files differ between runs");

        let c = tempfile::tempdir().unwrap();
        generate(
            &GenConfig {
                seed: 43,
                ..config(1500)
            },
            c.path(),
        )
        .unwrap();
        assert_ne!(
            files(c.path())["northwind/orders.csv"],
            fa["northwind/orders.csv"]
        );
    }

    #[test]
    fn summary_and_tenant_file_match_the_plan() {
        let (dir, summary) = generated(1000);
        assert_eq!(summary.orders, 1000);
        let plans: Vec<TenantPlan> =
            serde_json::from_slice(&fs::read(dir.path().join("tenants.json")).unwrap()).unwrap();
        assert_eq!(plans, tenant_plans());
        assert_eq!(summary.tenants, plans);
        assert_eq!(plans.len(), 2);
        assert_eq!(plans[0].carriers, plans[1].carriers);
        for p in &plans {
            assert_eq!(p.carriers.len(), 5);
            assert!((1..=2).contains(&p.warehouses.len()));
            assert!(TimeZone::get(&p.time_zone).is_ok());
            for c in &p.carriers {
                assert!(
                    (2..=4).contains(&c.scac.len())
                        && c.scac.bytes().all(|b| b.is_ascii_uppercase())
                );
                assert!(["parcel", "ltl", "ftl"].contains(&c.mode.as_str()));
            }
            for w in &p.warehouses {
                assert!(TimeZone::get(&w.time_zone).is_ok());
            }
        }

        let mut orders = 0;
        let mut lines = 0;
        let mut shipments = 0;
        for p in &plans {
            let o = Table::read(&dir.path().join(&p.slug).join("orders.csv"));
            lines += o.rows.len();
            orders += o
                .rows
                .iter()
                .map(|r| o.get(r, "external_ref"))
                .collect::<HashSet<_>>()
                .len();
            shipments += Table::read(&dir.path().join(&p.slug).join("shipments.csv"))
                .rows
                .len();
        }
        assert_eq!(
            (orders, lines, shipments),
            (summary.orders, summary.order_lines, summary.shipments)
        );
        assert!(summary.shipments > 800, "{summary:?}");
    }

    /// The field names listed in one section's table of docs/import.md.
    fn documented_columns(section: &str) -> Vec<String> {
        let doc = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/import.md"))
            .unwrap();
        let start = doc.find(&format!("### {section}")).unwrap();
        let body = &doc[start + 4..];
        let body = &body[..body.find("\n#").unwrap_or(body.len())];
        body.lines()
            .filter(|l| l.starts_with('|') && !l.starts_with("| field") && !l.starts_with("|---"))
            .flat_map(|l| {
                l.split('|')
                    .nth(1)
                    .unwrap()
                    .split(',')
                    .map(|f| f.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn headers_are_the_documented_columns() {
        let (dir, _) = generated(50);
        for (file, section) in [
            ("orders.csv", "orders.csv"),
            ("shipments.csv", "shipments.csv"),
        ] {
            let mut documented = documented_columns(section);
            assert!(documented.len() > 10, "{documented:?}");
            let mut written = Table::read(&dir.path().join("northwind").join(file)).header;
            documented.sort();
            written.sort();
            assert_eq!(written, documented, "{file}");
        }
        assert_eq!(documented_columns("orders.csv"), ORDER_COLUMNS);
        assert_eq!(documented_columns("shipments.csv"), SHIPMENT_COLUMNS);
    }

    struct OrderInfo {
        quantities: Vec<u32>,
        ordered_at: Timestamp,
        promised_by: Timestamp,
    }

    fn read_orders(dir: &Path, slug: &str) -> HashMap<String, OrderInfo> {
        let t = Table::read(&dir.join(slug).join("orders.csv"));
        let mut orders: HashMap<String, OrderInfo> = HashMap::new();
        let mut last = String::new();
        for row in &t.rows {
            let r = t.get(row, "external_ref").to_string();
            if r != last {
                // Rows of one order are contiguous; a reference seen again later is a duplicate.
                assert!(!orders.contains_key(&r), "external_ref {r} used twice");
                orders.insert(
                    r.clone(),
                    OrderInfo {
                        quantities: vec![],
                        ordered_at: t.get(row, "ordered_at").parse().unwrap(),
                        promised_by: t.get(row, "promised_by").parse().unwrap(),
                    },
                );
                last = r.clone();
            }
            orders
                .get_mut(&r)
                .unwrap()
                .quantities
                .push(t.get(row, "quantity").parse().unwrap());
        }
        orders
    }

    #[test]
    fn external_refs_are_unique_and_prefixed_per_tenant() {
        let (dir, _) = generated(3000);
        let nw = read_orders(dir.path(), "northwind");
        let ac = read_orders(dir.path(), "acme-industrial");
        assert_eq!(nw.len() + ac.len(), 3000);
        assert!(
            nw.len() > 1900 && ac.len() > 800,
            "{} {}",
            nw.len(),
            ac.len()
        );
        assert!(
            nw.keys()
                .all(|r| r.starts_with("NW-") && r[3..].parse::<u64>().is_ok())
        );
        assert!(
            ac.keys()
                .all(|r| r.starts_with("AC-") && r[3..].parse::<u64>().is_ok())
        );
    }

    #[test]
    fn shipments_never_carry_more_than_was_ordered() {
        let (dir, _) = generated(3000);
        let mut splits = 0;
        for p in tenant_plans() {
            let orders = read_orders(dir.path(), &p.slug);
            let t = Table::read(&dir.path().join(&p.slug).join("shipments.csv"));
            let mut shipped: HashMap<&str, Vec<u32>> = HashMap::new();
            let mut whole: HashMap<&str, usize> = HashMap::new();
            let mut per_order: HashMap<&str, usize> = HashMap::new();
            for row in &t.rows {
                let r = t.get(row, "order");
                let o = orders
                    .get(r)
                    .unwrap_or_else(|| panic!("shipment for unknown order {r}"));
                *per_order.entry(r).or_default() += 1;
                let lines = t.get(row, "lines");
                if lines.is_empty() {
                    *whole.entry(r).or_default() += 1;
                    continue;
                }
                let done = shipped
                    .entry(r)
                    .or_insert_with(|| vec![0; o.quantities.len()]);
                for pair in lines.split(';') {
                    let (n, q) = pair.split_once(':').unwrap();
                    let (n, q): (usize, u32) = (n.parse().unwrap(), q.parse().unwrap());
                    assert!(n >= 1 && n <= o.quantities.len(), "{r} has no line {n}");
                    assert!(q >= 1);
                    done[n - 1] += q;
                }
            }
            for (r, done) in &shipped {
                splits += 1;
                for (q, ordered) in done.iter().zip(&orders[*r].quantities) {
                    assert!(
                        q <= ordered,
                        "{r}: shipped {done:?} of {:?}",
                        orders[*r].quantities
                    );
                }
                assert!(
                    !whole.contains_key(r),
                    "{r} mixes explicit and implicit lines"
                );
            }
            // "All unshipped lines" is only unambiguous when it is the order's only shipment.
            for r in whole.keys() {
                assert_eq!(per_order[r], 1, "{r}");
            }
        }
        assert!(splits > 0, "no split shipments generated");
    }

    #[test]
    fn timestamps_respect_now_and_each_other() {
        let cfg = config(3000);
        let (dir, _) = generated(3000);
        let now = cfg.now;
        let (mut delivered, mut on_time) = (0, 0);
        for p in tenant_plans() {
            let orders = read_orders(dir.path(), &p.slug);
            for o in orders.values() {
                assert!(o.ordered_at < now);
                assert!(o.ordered_at > now - jiff::SignedDuration::from_hours(24 * (cfg.days + 1)));
                assert!(o.promised_by > o.ordered_at);
                assert_eq!(o.ordered_at.subsec_nanosecond(), 0);
            }
            let t = Table::read(&dir.path().join(&p.slug).join("shipments.csv"));
            for row in &t.rows {
                let ts = |name: &str| -> Option<Timestamp> {
                    let v = t.get(row, name);
                    (!v.is_empty()).then(|| {
                        assert!(v.ends_with('Z') && v.len() == 20, "{name} = {v}");
                        v.parse().unwrap()
                    })
                };
                let o = &orders[t.get(row, "order")];
                let planned = ts("planned_pickup_at").unwrap();
                let promised = ts("promised_by").unwrap();
                assert!(planned > o.ordered_at && promised >= o.promised_by);
                let picked = ts("picked_up_at");
                let done = ts("delivered_at");
                if let Some(p) = picked {
                    assert!(p < now && p > o.ordered_at);
                }
                if let Some(d) = done {
                    let p = picked.expect("delivered without a pickup");
                    assert!(d < now && d >= p);
                    delivered += 1;
                    on_time += usize::from(d <= promised);
                }
            }
        }
        let share = on_time as f64 / delivered as f64;
        assert!(
            delivered > 1000 && (0.85..0.97).contains(&share),
            "{on_time}/{delivered}"
        );
    }

    #[test]
    fn values_have_the_documented_shapes() {
        let (dir, _) = generated(3000);
        let mut seen: HashMap<String, HashSet<String>> = HashMap::new();
        let mut modes = HashSet::new();
        let mut foreign = 0;
        for p in tenant_plans() {
            let o = Table::read(&dir.path().join(&p.slug).join("orders.csv"));
            for row in &o.rows {
                let price = o.get(row, "unit_price");
                let (_, cents) = price.split_once('.').unwrap();
                assert_eq!(cents.len(), 2, "{price}");
                assert!(o.get(row, "quantity").parse::<u32>().unwrap() >= 1);
                assert!(["b2c", "b2b"].contains(&o.get(row, "channel")));
                let email = o.get(row, "customer_email");
                assert!(email.is_empty() || email.contains('@'));
                let country = o.get(row, "ship_to_country");
                assert!(["US", "CA", "MX"].contains(&country));
                assert!(!o.get(row, "ship_to_postal_code").is_empty());
            }
            let t = Table::read(&dir.path().join(&p.slug).join("shipments.csv"));
            for row in &t.rows {
                let carrier = t.get(row, "carrier");
                let mode = &p.carriers.iter().find(|c| c.scac == carrier).unwrap().mode;
                modes.insert(mode.clone());
                let weight = t.get(row, "weight_kg");
                let kg: f64 = weight.parse().unwrap();
                assert!(
                    weight.split_once('.').is_none_or(|(_, d)| d.len() <= 3),
                    "{weight}"
                );
                match mode.as_str() {
                    "parcel" => assert!((0.2..=30.0).contains(&kg), "{weight}"),
                    "ltl" => assert!((100.0..=2000.0).contains(&kg), "{weight}"),
                    _ => assert!((5000.0..=20000.0).contains(&kg), "{weight}"),
                }
                assert_eq!(t.get(row, "pod_required") == "true", mode != "parcel");
                let international = t.get(row, "destination_country") != "US";
                assert_eq!(t.get(row, "international") == "true", international);
                foreign += usize::from(international);
                for zone in [
                    t.get(row, "origin_time_zone"),
                    t.get(row, "destination_time_zone"),
                ] {
                    assert!(TimeZone::get(zone).is_ok(), "{zone}");
                }
                let number = t.get(row, "tracking_number").to_string();
                let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
                match carrier {
                    "UPSN" => {
                        assert!(number.len() == 18 && number.starts_with("1Z"), "{number}");
                        assert_eq!(
                            ups_check_digit(&number[2..17]),
                            u32::from(number.as_bytes()[17] - b'0')
                        );
                    }
                    "FDEG" => assert!(number.len() == 12 && digits(&number), "{number}"),
                    "USPS" => {
                        assert!(number.len() == 22 && digits(&number), "{number}");
                        assert_eq!(
                            mod10_check_digit(&number[..21]),
                            u32::from(number.as_bytes()[21] - b'0')
                        );
                    }
                    "ODFL" => assert!(number.len() == 10 && digits(&number), "{number}"),
                    "JBHT" => assert!(
                        number.len() == 10 && number.starts_with('L') && digits(&number[1..])
                    ),
                    other => panic!("unexpected carrier {other}"),
                }
                assert!(
                    seen.entry(carrier.to_string())
                        .or_default()
                        .insert(number.clone()),
                    "{carrier} {number} twice"
                );
            }
        }
        assert_eq!(modes.len(), 3, "{modes:?}");
        assert!(foreign > 0);
    }

    #[test]
    fn check_digits_match_published_examples() {
        // UPS's own sample number 1Z 999 AA1 01 2345 678 4, and the UPC-A 0 36000 29145 2.
        assert_eq!(ups_check_digit("999AA1012345678"), 4);
        assert_eq!(mod10_check_digit("03600029145"), 2);
    }

    #[test]
    fn the_importer_accepts_every_generated_row() {
        use crate::import::{Format, read_orders, read_shipments};
        let now = config(0).now;
        let (dir, _) = generated(1500);
        for p in tenant_plans() {
            let bytes = fs::read(dir.path().join(&p.slug).join("orders.csv")).unwrap();
            let orders = read_orders(&bytes, Format::Csv, None)
                .unwrap_or_else(|e| panic!("{}: {:?}", p.slug, &e[..e.len().min(5)]));
            assert!(
                orders.errors.is_empty(),
                "{}: {:?}",
                p.slug,
                &orders.errors[..orders.errors.len().min(5)]
            );
            for o in orders.rows {
                if let Err(e) = o.order.accept(now) {
                    panic!("{} orders.csv line {}: {e:?}", p.slug, o.line);
                }
            }
            let bytes = fs::read(dir.path().join(&p.slug).join("shipments.csv")).unwrap();
            let shipments = read_shipments(&bytes, Format::Csv, None)
                .unwrap_or_else(|e| panic!("{}: {:?}", p.slug, &e[..e.len().min(5)]));
            assert!(
                shipments.errors.is_empty(),
                "{}: {:?}",
                p.slug,
                &shipments.errors[..shipments.errors.len().min(5)]
            );
            for s in shipments.rows {
                let invalid = s.shipment.validate(now);
                assert!(
                    invalid.is_empty(),
                    "{} shipments.csv line {}: {invalid:?}",
                    p.slug,
                    s.line
                );
            }
        }
    }

    #[test]
    fn rejects_out_of_range_windows() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            generate(
                &GenConfig {
                    days: 0,
                    ..config(10)
                },
                dir.path()
            )
            .is_err()
        );
        let early = GenConfig {
            now: "2000-01-05T00:00:00Z".parse().unwrap(),
            ..config(10)
        };
        assert!(generate(&early, dir.path()).is_err());
    }

    #[test]
    fn zero_orders_writes_headers_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = generate(&config(0), dir.path()).unwrap();
        assert_eq!((s.orders, s.shipments), (0, 0));
        let t = Table::read(&dir.path().join("acme-industrial").join("shipments.csv"));
        assert!(t.rows.is_empty());
        assert_eq!(t.header, SHIPMENT_COLUMNS);
    }
}
