//! The closed word lists of the domain (statuses, channels, roles, ...), each written once with
//! `string_enum!` so that the enum, its wire word, parsing and the API schema cannot disagree.

use std::borrow::Cow;

/// How `parse` compares its input with the words.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key {
    /// As given: the word as stored and sent on the wire.
    Exact,
    /// Trimmed and lower-cased first: words typed by people (import files, CLI flags).
    Trimmed,
}

impl Key {
    pub(crate) fn of(self, s: &str) -> Cow<'_, str> {
        match self {
            Key::Exact => Cow::Borrowed(s),
            Key::Trimmed => Cow::Owned(s.trim().to_ascii_lowercase()),
        }
    }
}

/// An enum of unit variants, each with its word (and optionally other words `parse` accepts for
/// it), giving:
/// - the enum, deriving `Debug, Clone, Copy, PartialEq, Eq, Hash`, serde as the words, and
///   `utoipa::ToSchema` under the `openapi` feature (more attributes may follow the docs);
/// - `ALL`, every variant in declaration order; `as_str`, the word; `Display` writes it;
/// - `parse` (and `FromStr`), comparing by [`Key`] and answering an unknown word with the
///   `unknown(s) => ...` expression, `s` being the input as given.
macro_rules! string_enum {
    (
        $(#[$attr:meta])*
        $vis:vis enum $name:ident ($key:ident) {
            $( $(#[$vattr:meta])* $variant:ident = $word:tt $(| $alias:tt)* ),+ $(,)?
        }
        unknown($s:ident) => $unknown:expr;
    ) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $(#[$attr])*
        $vis enum $name {
            $( $(#[$vattr])* #[serde(rename = $word)] $variant, )+
        }

        impl $name {
            pub const ALL: [$name; [$($word),+].len()] = [$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            pub fn parse($s: &str) -> Result<Self, String> {
                match &*$crate::vocab::Key::$key.of($s) {
                    $($word $(| $alias)* => Ok($name::$variant),)+
                    _ => Err($unknown),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s)
            }
        }
    };
}

/// The words of `ALL`, for "expected one of" messages.
pub(crate) fn one_of<T: Copy, const N: usize>(all: [T; N], word: fn(T) -> &'static str) -> String {
    all.map(word).join(", ")
}

// The vocabularies themselves, side by side; each module re-exports its own (so
// `consign_core::order::OrderStatus` is where callers find it) and adds its rules. The two
// `Direction`s stay in `shipment` and `edi`: they share a name.

string_enum! {
    pub enum Channel (Trimmed) {
        B2c = "b2c",
        B2b = "b2b",
    }
    unknown(s) => format!("unknown channel '{s}'; expected b2c or b2b");
}

string_enum! {
    pub enum OrderStatus (Exact) {
        Received = "received",
        Released = "released",
        PartiallyShipped = "partially_shipped",
        Shipped = "shipped",
        Delivered = "delivered",
        Cancelled = "cancelled",
    }
    unknown(s) => format!(
        "unknown order status '{s}'; expected one of {}",
        one_of(OrderStatus::ALL, OrderStatus::as_str)
    );
}

string_enum! {
    /// The canonical status vocabulary (SPEC §2).
    pub enum ShipmentStatus (Exact) {
        InfoReceived = "info_received",
        PickedUp = "picked_up",
        InTransit = "in_transit",
        OutForDelivery = "out_for_delivery",
        AvailableForPickup = "available_for_pickup",
        DeliveryAttempted = "delivery_attempted",
        Delayed = "delayed",
        OnHold = "on_hold",
        Exception = "exception",
        ReturningToSender = "returning_to_sender",
        ReturnedToSender = "returned_to_sender",
        Delivered = "delivered",
        Cancelled = "cancelled",
        Lost = "lost",
        Unknown = "unknown",
    }
    unknown(s) => format!(
        "unknown shipment status '{s}'; expected one of {}",
        one_of(ShipmentStatus::ALL, ShipmentStatus::as_str)
    );
}

string_enum! {
    pub enum DocumentKind (Exact) {
        Bol = "bol",
        Pod = "pod",
        CommercialInvoice = "commercial_invoice",
        Customs = "customs",
        Other = "other",
    }
    unknown(s) => format!(
        "unknown document kind '{s}'; expected bol, pod, commercial_invoice, customs or other"
    );
}

string_enum! {
    pub enum Role (Exact) {
        Admin = "admin",
        Supervisor = "supervisor",
        Agent = "agent",
        ClientManager = "client_manager",
        ClientViewer = "client_viewer",
        Carrier = "carrier",
        Warehouse = "warehouse",
        Integration = "integration",
    }
    unknown(s) => format!(
        "unknown role '{s}'; expected one of {}",
        one_of(Role::ALL, Role::as_str)
    );
}

string_enum! {
    pub enum Mode (Trimmed) {
        Parcel = "parcel",
        Ltl = "ltl",
        Ftl = "ftl" | "tl",
    }
    unknown(s) => format!("unknown mode '{s}'; expected parcel, ltl or ftl");
}

string_enum! {
    /// Which acknowledgement a partner wants for the groups it sends. Partners on 005010 often
    /// ask for the 999 (implementation acknowledgement, 005010X231A1); it exists only for 005010,
    /// so a 004010 group from such a partner is still answered with a 997.
    #[derive(Default)]
    pub enum Acknowledgement (Exact) {
        #[default]
        Ack997 = "997",
        Ack999 = "999",
    }
    unknown(s) => format!("unknown acknowledgement '{s}'; expected 997 or 999");
}

string_enum! {
    pub enum PartnerKind (Exact) {
        Carrier = "carrier",
        Warehouse = "warehouse",
    }
    unknown(s) => format!("unknown partner kind '{s}'; expected carrier or warehouse");
}

string_enum! {
    /// Who is accountable for a reason (and so for the exception it causes).
    pub enum Accountable (Exact) {
        Carrier = "carrier",
        Shipper = "shipper",
        Consignee = "consignee",
        Customs = "customs",
        External = "external",
    }
    unknown(s) => format!("unknown accountable party '{s}'");
}

#[cfg(test)]
mod tests {
    string_enum! {
        /// A test vocabulary.
        pub enum Colour (Trimmed) {
            Red = "red",
            DarkBlue = "dark_blue" | "navy",
        }
        unknown(s) => format!("unknown colour '{s}'; expected one of {}", super::one_of(Colour::ALL, Colour::as_str));
    }

    #[test]
    fn words_round_trip_through_every_form() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(c.as_str().parse::<Colour>(), Ok(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), c);
        }
    }

    #[test]
    fn trimmed_parsing_takes_aliases_and_reports_the_input_as_given() {
        assert_eq!(Colour::parse(" NAVY "), Ok(Colour::DarkBlue));
        assert_eq!(
            Colour::parse(" Green"),
            Err("unknown colour ' Green'; expected one of red, dark_blue".to_string())
        );
    }
}
