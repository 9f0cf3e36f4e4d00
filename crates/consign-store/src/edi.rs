//! EDI trading partners, interchanges, sets and outbound groups: reads ([`EdiStore`]) and
//! writes ([`EdiTx`]).

use crate::Result;
use async_trait::async_trait;
use consign_core::edi::{
    Direction as EdiDirection, InterchangeRecord, OutboundGroup, SetRecord, TradingPartner,
};
use consign_core::ids::*;
use jiff::Timestamp;

#[async_trait]
pub trait EdiStore {
    async fn partners(&self, tenant: TenantId) -> Result<Vec<TradingPartner>>;
    /// The partner whose ISA sender qualifier and id these are.
    async fn partner_by_isa(
        &self,
        tenant: TenantId,
        qualifier: &str,
        id: &str,
    ) -> Result<Option<TradingPartner>>;
    /// The interchange already stored under this control number, if any (re-delivery check).
    async fn interchange_by_control(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        direction: EdiDirection,
        control: &str,
    ) -> Result<Option<InterchangeRecord>>;
    async fn interchanges(
        &self,
        tenant: TenantId,
        partner: Option<PartnerId>,
        limit: u32,
    ) -> Result<Vec<InterchangeRecord>>;
    async fn interchange_raw(&self, tenant: TenantId, id: InterchangeId)
    -> Result<Option<Vec<u8>>>;
    async fn edi_sets(
        &self,
        tenant: TenantId,
        interchange: InterchangeId,
    ) -> Result<Vec<SetRecord>>;
    async fn outbound_groups(
        &self,
        tenant: TenantId,
        partner: PartnerId,
    ) -> Result<Vec<OutboundGroup>>;
    async fn outbound_group(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        group_control: &str,
    ) -> Result<Option<OutboundGroup>>;
    /// Groups of any partner still without a 997 that were sent at or before `sent_before`,
    /// oldest first (a partial index holds only the unanswered ones).
    async fn unanswered_groups(
        &self,
        tenant: TenantId,
        sent_before: Timestamp,
    ) -> Result<Vec<OutboundGroup>>;
}

/// The writes of EDI partners, interchanges, sets and groups (part of every [`Tx`](crate::Tx)).
#[async_trait]
pub trait EdiTx: Send {
    async fn insert_partner(&mut self, partner: &TradingPartner) -> Result<()>;
    async fn insert_interchange(&mut self, record: &InterchangeRecord, raw: &[u8]) -> Result<()>;
    async fn insert_edi_sets(&mut self, tenant: TenantId, sets: &[SetRecord]) -> Result<()>;
    async fn insert_outbound_group(
        &mut self,
        tenant: TenantId,
        group: &OutboundGroup,
    ) -> Result<()>;
    /// Records the 997 answering one of our groups; returns when the group was sent, or
    /// `None` when no such group was sent.
    async fn acknowledge_group(
        &mut self,
        tenant: TenantId,
        partner: PartnerId,
        group_control: &str,
        status: &str,
        at: Timestamp,
        detail: &str,
    ) -> Result<Option<Timestamp>>;
}
