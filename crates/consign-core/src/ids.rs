//! Typed identifiers. Every id is a UUID v7 (time-ordered, so b-tree inserts stay append-mostly
//! and cursor pagination can order by id) wrapped in a newtype so a shipment id can never be
//! passed where an order id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh time-ordered id. The timestamp comes from the caller's clock so replays
            /// and tests stay deterministic in their ordering.
            pub fn new_at(now: jiff::Timestamp, entropy: u128) -> Self {
                Self(crate::ids::v7_at(now, entropy))
            }
            pub fn random() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    /// A client account.
    TenantId,
    UserId,
    TokenId,
    SessionId,
    CarrierId,
    WarehouseId,
    CustomerId,
    OrderId,
    ShipmentId,
    DocumentId,
    AuditId,
    PartnerId,
    InterchangeId,
    EdiSetId,
    /// One tracking event as received.
    EventId,
    /// An exception case.
    CaseId,
);

/// Builds a v7 UUID from an explicit instant and entropy (for deterministic generators).
pub fn v7_at(now: jiff::Timestamp, entropy: u128) -> Uuid {
    let ms = now.as_millisecond().max(0) as u64;
    let mut bytes = entropy.to_be_bytes();
    bytes[0..6].copy_from_slice(&ms.to_be_bytes()[2..8]);
    bytes[6] = (bytes[6] & 0x0f) | 0x70;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v7_ids_sort_by_time() {
        let a = v7_at(
            jiff::Timestamp::from_second(1_700_000_000).unwrap(),
            u128::MAX,
        );
        let b = v7_at(jiff::Timestamp::from_second(1_700_000_001).unwrap(), 0);
        assert!(a < b);
        assert_eq!(a.get_version_num(), 7);
    }
}
