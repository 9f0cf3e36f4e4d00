//! The EDI gateway around the `consign-edi` reader, one file per direction of work: trading
//! [`partners`], [`inbound`] intake (every interchange stored raw, accepted sets committed,
//! received 997s matched to the groups we sent), the [`acks`] we answer with, [`outbound`]
//! tenders and shipping orders, and [`unacknowledged`] (the `edi_unacknowledged` rule). This
//! module holds the reports and `edi check`, which needs no database.

mod acks;
mod inbound;
mod outbound;
mod partners;
mod unacknowledged;

pub use outbound::{Sent, load_tender, shipping_order};
pub(crate) use unacknowledged::stored_answer;

use crate::{App, AppError, AppResult, require};
use acks::{ack_interchange, assess, report_for, ta1_interchange};
use consign_core::access::{Capability, Principal};
use consign_core::edi::{
    Acknowledgement, Direction, InterchangeRecord, OutboundGroup, SetRecord, TradingPartner,
};
use consign_core::ids::{InterchangeId, PartnerId};
use consign_core::tenant::Tenant;
use consign_edi::{EdiError, ReadOptions};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The largest EDI body accepted over HTTP and from files.
pub const MAX_EDI_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct SetReport {
    pub id: String,
    pub control: String,
    /// `accepted`, `accepted_with_warnings` or `rejected`.
    pub status: String,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    pub functional_id: String,
    pub control: String,
    /// AK901 of the 997 we answer with: A, E, P or R.
    pub ack_status: String,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    pub sets: Vec<SetReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InterchangeReport {
    pub sender: String,
    pub receiver: String,
    pub control: String,
    /// `accepted`, `partially_accepted`, `rejected`, or `duplicate` (already received: no-op).
    pub status: String,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    pub groups: Vec<GroupReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EdiReport {
    /// Problems with the input as a whole (empty, not X12, trailing data).
    pub problems: Vec<String>,
    pub interchanges: Vec<InterchangeReport>,
    /// The 997 interchanges (and TA1s) we answer with, as X12 text.
    pub acknowledgements: String,
}

impl EdiReport {
    /// True when anything at all was rejected.
    pub fn has_rejections(&self) -> bool {
        !self.problems.is_empty()
            || self.interchanges.iter().any(|i| {
                i.status == "rejected"
                    || i.groups.iter().any(|g| {
                        g.ack_status == "R" || g.sets.iter().any(|s| s.status == "rejected")
                    })
            })
    }
}

/// The record of an interchange exchanged with `partner` (its bytes are stored beside it and
/// known by their digest); the summary is left for the caller.
pub(super) fn interchange_record(
    tenant: &Tenant,
    partner: &TradingPartner,
    direction: Direction,
    control_number: String,
    status: String,
    at: jiff::Timestamp,
    bytes: &[u8],
) -> InterchangeRecord {
    InterchangeRecord {
        id: InterchangeId::new_at(at, crate::entropy()),
        tenant_id: tenant.id,
        partner_id: partner.id,
        direction,
        control_number,
        status,
        at,
        sha256: hex::encode(Sha256::digest(bytes)),
        summary: serde_json::Value::Null,
    }
}

pub(super) fn texts(errors: &[EdiError]) -> Vec<String> {
    errors.iter().map(|e| e.to_string()).collect()
}

/// Reads a file with no database at all and tells what would be accepted and the 997s we would
/// answer with (`consign edi check`).
pub fn check(
    bytes: &[u8],
    lenient: bool,
    acknowledgement: Acknowledgement,
    now: jiff::Timestamp,
) -> EdiReport {
    let options = if lenient {
        ReadOptions::lenient()
    } else {
        ReadOptions::strict()
    };
    let prepared = consign_edi::prepare(bytes, &options);
    let doc = prepared.read(&options);
    let mut acks = Vec::new();
    let mut interchanges = Vec::new();
    let mut control = 1u32;
    for ic in &doc.interchanges {
        let results = assess(ic, &options, true);
        let mut report = report_for(ic, &results, &options);
        if !ic.accepted {
            match ta1_interchange(ic, control, now) {
                Ok(t) => acks.extend(t),
                Err(e) => report
                    .problems
                    .push(format!("the TA1 could not be written: {e}")),
            }
            control += 1;
            interchanges.push(report);
            continue;
        }
        for (i, r) in results.iter().enumerate() {
            if ic.groups[i].functional_id == "FA" {
                continue; // acknowledgements are not acknowledged
            }
            // A readable group always gets its acknowledgement: one that cannot be written is
            // a failure of the whole check, never a silently empty file.
            match ack_interchange(ic, i, r, (control, control), now, acknowledgement) {
                Ok(bytes) => acks.extend(bytes),
                Err(e) => report.problems.push(format!(
                    "group {}: the acknowledgement could not be written: {e}",
                    ic.groups[i].control_number
                )),
            }
            control += 1;
        }
        interchanges.push(report);
    }
    EdiReport {
        problems: texts(&doc.errors),
        interchanges,
        acknowledgements: String::from_utf8_lossy(&acks).into_owned(),
    }
}

/// What a caller may see of the gateway's records: interchanges of the partners it may see
/// (a carrier identity only its own), their sets and raw bytes, and the groups we sent.
impl App {
    /// Groups we sent `partner`, newest first (404 for a partner the caller may not see).
    pub async fn outbound_groups(
        &self,
        p: &Principal,
        tenant: &Tenant,
        partner: PartnerId,
    ) -> AppResult<Vec<OutboundGroup>> {
        let partner = self.visible_partner(p, tenant, partner).await?;
        Ok(self.store.outbound_groups(tenant.id, partner.id).await?)
    }

    /// The latest 200 interchanges, inbound and outbound, of the partners the caller may see.
    pub async fn list_interchanges(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<Vec<InterchangeRecord>> {
        require(p, Capability::ReadShipments)?;
        let mut items = self.store.interchanges(tenant.id, None, 200).await?;
        if p.carrier.is_some() {
            let mine = self.visible_partner_ids(p, tenant).await?;
            items.retain(|i| mine.contains(&i.partner_id));
        }
        Ok(items)
    }

    /// One interchange the caller may see, with its transaction sets.
    pub async fn interchange(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: InterchangeId,
    ) -> AppResult<(InterchangeRecord, Vec<SetRecord>)> {
        let found = self.visible_interchange(p, tenant, id).await?;
        let sets = self.store.edi_sets(tenant.id, found.id).await?;
        Ok((found, sets))
    }

    /// The bytes of an interchange the caller may see, as received or sent.
    pub async fn interchange_raw(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: InterchangeId,
    ) -> AppResult<Vec<u8>> {
        let found = self.visible_interchange(p, tenant, id).await?;
        Ok(self
            .store
            .interchange_raw(tenant.id, found.id)
            .await?
            .unwrap_or_default())
    }

    async fn visible_partner(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: PartnerId,
    ) -> AppResult<TradingPartner> {
        self.list_partners(p, tenant)
            .await?
            .into_iter()
            .find(|x| x.id == id)
            .ok_or_else(|| AppError::NotFound("trading partner".into()))
    }

    async fn visible_partner_ids(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<Vec<PartnerId>> {
        Ok(self
            .list_partners(p, tenant)
            .await?
            .into_iter()
            .map(|x| x.id)
            .collect())
    }

    async fn visible_interchange(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: InterchangeId,
    ) -> AppResult<InterchangeRecord> {
        require(p, Capability::ReadShipments)?;
        let mine = self.visible_partner_ids(p, tenant).await?;
        self.store
            .interchanges(tenant.id, None, u32::MAX)
            .await?
            .into_iter()
            .find(|i| i.id == id && mine.contains(&i.partner_id))
            .ok_or_else(|| AppError::NotFound("interchange".into()))
    }
}
