//! Finding a record by any reference a person has in hand: a shipment's or an order's number
//! in any letter case, a tracking number or any part of it, the client's order reference, a
//! customer's name — across the tenants the caller serves.

use crate::Result;
use async_trait::async_trait;
use consign_core::ids::TenantId;
use uuid::Uuid;

/// What a reference found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FoundKind {
    Shipment,
    Order,
}

/// One record a reference found, with what matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub tenant: TenantId,
    pub kind: FoundKind,
    pub id: Uuid,
    /// The record's own number (`SHP-000061`, `NW-100587`).
    pub number: String,
    /// The other references it is known by (tracking number; order reference and customer).
    pub detail: String,
    pub status: String,
    /// A shipment's carrier (a carrier's identity finds its own shipments only).
    pub carrier: Option<Uuid>,
}

#[async_trait]
pub trait SearchStore {
    /// The records of these tenants that `text` names: a shipment's or order's number, a
    /// tracking number or the client's order reference, in any letter case; when nothing is
    /// named exactly, the tracking numbers and customer names that contain it (a text of at
    /// least [`PART_MIN`] characters). Newest first, at most `limit` of each kind.
    async fn find_references(
        &self,
        tenants: &[TenantId],
        text: &str,
        limit: u32,
    ) -> Result<Vec<Found>>;
}

/// The shortest text looked for inside tracking numbers and names: shorter ones match too
/// much to be a search.
pub const PART_MIN: usize = 4;
