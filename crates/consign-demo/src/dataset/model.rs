//! What the generator builds and passes between its parts: the carriers, channels, modes
//! and services it knows, the rows of an order as they are drawn, and one tenant's generator
//! state. Data only; the behaviour is in the modules named after what they generate.

use super::geo::Geo;
use crate::plan::WarehousePlan;
use crate::reference::Profile;
use jiff::tz::TimeZone;

pub(super) const HOUR: i64 = 3600;
pub(super) const DAY: i64 = 24 * HOUR;

/// The carriers whose services and tracking numbers the generator knows. Which companies a
/// tenant ships with is data (`carriers.csv`); what a carrier's numbers look like is code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Carrier {
    Ups,
    Fedex,
    Usps,
    Odfl,
    Jbht,
}

impl Carrier {
    pub(super) fn scac(self) -> &'static str {
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
pub(super) enum Channel {
    B2c,
    B2b,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Parcel,
    Ltl,
    Ftl,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Service {
    Ground,
    TwoDay,
    Overnight,
    Standard,
    Truckload,
}

impl Service {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Service::Ground => "ground",
            Service::TwoDay => "2day",
            Service::Overnight => "overnight",
            Service::Standard => "standard",
            Service::Truckload => "truckload",
        }
    }
}

pub(super) struct Item {
    pub(super) sku: String,
    pub(super) description: String,
    pub(super) price: String,
    pub(super) grams: u64,
}

/// A business customer: orders again and again to the same dock.
pub(super) struct Account {
    pub(super) name: String,
    pub(super) email: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) line1: String,
    pub(super) line2: Option<String>,
    pub(super) city: usize,
    pub(super) postal_code: String,
}

pub(super) struct Warehouse {
    pub(super) plan: WarehousePlan,
    pub(super) city: usize,
}

pub(super) struct Line {
    pub(super) item: usize,
    pub(super) quantity: u32,
}

pub(super) struct Order {
    pub(super) external_ref: String,
    pub(super) channel: Channel,
    pub(super) customer_name: String,
    pub(super) email: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) ship_to_name: String,
    pub(super) line1: String,
    pub(super) line2: Option<String>,
    pub(super) city: usize,
    pub(super) postal_code: String,
    pub(super) ordered_at: i64,
    pub(super) promised_by: i64,
    pub(super) lines: Vec<Line>,
    pub(super) plan: Fulfilment,
}

/// How the order will travel, decided when it is placed because the promise depends on it.
pub(super) struct Fulfilment {
    pub(super) warehouse: usize,
    pub(super) mode: Mode,
    pub(super) carrier: Carrier,
    pub(super) service: Service,
    pub(super) transit: i64,
}

/// One tenant's generator: its profile and what was drawn for it before its first order.
pub(super) struct TenantGen<'a> {
    pub(super) profile: &'a Profile,
    pub(super) geo: &'a Geo,
    pub(super) tz: TimeZone,
    pub(super) catalogue: Vec<Item>,
    /// Business customers, the first `foreign_accounts` of them outside the US.
    pub(super) accounts: Vec<Account>,
    pub(super) foreign_accounts: usize,
    pub(super) warehouses: Vec<Warehouse>,
}
