//! `edi_unacknowledged`: a group we sent without a 997 in time, or with a rejecting one, gets
//! one open case addressed to the partner, resolved by an accepting 997.

use super::partners::partner_party;
use crate::cases::SubjectCases;
use crate::tracking::CaseChanges;
use crate::{App, AppResult};
use consign_core::case::{Case, CaseSubject};
use consign_core::edi::{OutboundGroup, TradingPartner};
use consign_core::ids::*;
use consign_core::rules::{AckAction, AckTrigger, EdiAcknowledgement, GroupAnswer};
use consign_store::Tx;
use std::collections::{HashMap, HashSet};

/// The answer recorded for a stored group.
pub(crate) fn stored_answer(g: &OutboundGroup) -> GroupAnswer {
    match g.ack_status.as_deref() {
        None => GroupAnswer::Awaiting,
        Some(ak9) => {
            let ack = g
                .ack_detail
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok());
            answer_from(ak9, ack.as_ref())
        }
    }
}

/// What a 997 said of a group we sent, for `edi_unacknowledged`: rejected when AK9 is `R` or
/// `P` or any AK5 rejects its set (the sets' detail comes from the stored 997 when there).
pub(super) fn answer_from(
    ak9: &str,
    ack: Option<&consign_edi::sets::FunctionalAck997>,
) -> GroupAnswer {
    let rejected: Vec<String> = ack
        .map(|a| {
            a.sets
                .iter()
                .filter(|s| s.rejected())
                .map(|s| {
                    let codes = if s.errors.is_empty() {
                        String::new()
                    } else {
                        format!(" (AK5 codes {})", s.errors.join(","))
                    };
                    format!("{} {} AK5 {}{codes}", s.set_id, s.control, s.status)
                })
                .collect()
        })
        .unwrap_or_default();
    if ak9 == "R" || ak9 == "P" || !rejected.is_empty() {
        let mut why = format!("AK9 {ak9}");
        if !rejected.is_empty() {
            why.push_str(&format!("; sets rejected: {}", rejected.join(", ")));
        }
        GroupAnswer::Rejected { why }
    } else {
        GroupAnswer::Accepted {
            ak9: ak9.to_string(),
        }
    }
}

pub(super) type GroupCases = HashMap<(PartnerId, String), Case>;

pub(super) async fn open_group_cases(tx: &mut dyn Tx, tenant: TenantId) -> AppResult<GroupCases> {
    Ok(tx
        .open_non_shipment_cases(tenant, "edi_unacknowledged")
        .await?
        .into_iter()
        .filter_map(|c| {
            let (partner, group) = c.edi_group()?;
            Some(((partner, group.to_string()), c))
        })
        .collect())
}

/// Applies `edi_unacknowledged` to one group, gathering the case change in `w` and keeping
/// `open` in step so a second answer to the same group in one batch sees the first's effect.
#[allow(clippy::too_many_arguments)]
pub(super) fn judge_group(
    w: &mut SubjectCases,
    open: &mut GroupCases,
    rule: &EdiAcknowledgement,
    rulebook_version: i64,
    partner: &TradingPartner,
    group: &str,
    sent_at: jiff::Timestamp,
    answer: &GroupAnswer,
    trigger: AckTrigger,
) {
    let key = (partner.id, group.to_string());
    let case = open.get(&key).filter(|c| w.is_open(c)).cloned();
    let subject = format!("group {group} sent to {}", partner.name);
    match rule.judge(sent_at, answer, case.is_some(), trigger, w.now()) {
        AckAction::Open { detail } => {
            let mut c = w.new_case(
                CaseSubject::EdiGroup {
                    partner: partner.id,
                    group: group.to_string(),
                },
                "edi_unacknowledged",
                rule.severity,
                partner_party(partner),
                &rule.owner_team,
                rulebook_version,
            );
            c.carrier_id = partner.carrier_id;
            open.insert(key, c.clone());
            w.open(c, format!("{subject}: {detail}"));
        }
        AckAction::DetectedAgain { detail } => {
            if let Some(c) = case {
                w.detected_again(&c, format!("{subject}: {detail}"));
            }
        }
        AckAction::Resolve { detail } => {
            if let Some(c) = case {
                w.resolve(&c, format!("{subject}: {detail}"));
            }
        }
        AckAction::Nothing => {}
    }
}

impl App {
    /// The EDI rule (`edi_unacknowledged`) for every tenant whose rulebook has it, as of the
    /// app's clock: opens a case for each group still unanswered past the rule's hours, and
    /// resolves open ones whose group has since been accepted (answers that arrive resolve
    /// their case at intake; this catches a 997 that raced the sweep). Reads only the
    /// unanswered groups, through a partial index.
    pub async fn sweep_edi_groups(&self) -> AppResult<CaseChanges> {
        let now = self.now();
        let mut total = CaseChanges::default();
        for (tenant, book) in self.tenant_rulebooks("EDI sweep").await? {
            let Some(rule) = book.book.edi_unacknowledged.clone() else {
                continue;
            };
            let r = self
                .sweep_edi_groups_of(tenant.id, book.version, &rule, now)
                .await;
            crate::tracking::tally(&mut total, &tenant, "EDI sweep", r);
        }
        Ok(total)
    }

    async fn sweep_edi_groups_of(
        &self,
        tenant: TenantId,
        rulebook_version: i64,
        rule: &EdiAcknowledgement,
        now: jiff::Timestamp,
    ) -> AppResult<CaseChanges> {
        let Some(cutoff) = now
            .checked_sub(jiff::SignedDuration::from_secs_f64(rule.hours * 3600.0))
            .ok()
        else {
            return Ok(CaseChanges::default());
        };
        let mut groups = self.store.unanswered_groups(tenant, cutoff).await?;
        let partners: HashMap<PartnerId, TradingPartner> = self
            .store
            .partners(tenant)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mut tx = self.begin().await?;
        let mut open = open_group_cases(&mut *tx, tenant).await?;
        // Besides the overdue groups, those with an open case: one accepted meanwhile resolves.
        let overdue: HashSet<(PartnerId, String)> = groups
            .iter()
            .map(|g| (g.partner_id, g.group_control.clone()))
            .collect();
        for (partner, control) in open.keys().filter(|k| !overdue.contains(*k)) {
            groups.extend(self.store.outbound_group(tenant, *partner, control).await?);
        }
        let mut w = SubjectCases::new(
            tenant,
            "system:sweep",
            now,
            self.settings_in_force(tenant).await?,
        );
        for g in &groups {
            let Some(partner) = partners.get(&g.partner_id) else {
                continue;
            };
            judge_group(
                &mut w,
                &mut open,
                rule,
                rulebook_version,
                partner,
                &g.group_control,
                g.sent_at,
                &stored_answer(g),
                AckTrigger::Sweep,
            );
        }
        w.write(self, &mut *tx).await?;
        self.commit(tx).await?;
        Ok(w.changes.clone())
    }
}
