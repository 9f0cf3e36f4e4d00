//! Filing what rules decide: the writer that gathers a batch's case changes (opened,
//! detected again, escalated, resolved) with their timeline entries and audit records and
//! files them in one transaction. Rules decide; this module records.

use crate::{AppResult, entropy};
use consign_core::audit::AuditEntry;
use consign_core::case::settings::ActiveSettings;
use consign_core::case::{
    Case, CaseStatus, CaseSubject, NewCase, TimelineEntry, TimelineKind, default_resolution,
};
use consign_core::ids::*;
use consign_store::Tx;
use jiff::Timestamp;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseChanges {
    pub opened: u64,
    pub detected_again: u64,
    pub escalated: u64,
    pub resolved: u64,
}

impl CaseChanges {
    pub(crate) fn add(&mut self, o: &CaseChanges) {
        self.opened += o.opened;
        self.detected_again += o.detected_again;
        self.escalated += o.escalated;
        self.resolved += o.resolved;
    }
}

/// Case changes for subjects other than a shipment (a carrier, an EDI group we sent), gathered
/// by a rule's judgement and then written together: new cases numbered and audited, updated
/// ones with their timeline entries.
pub(crate) struct SubjectCases {
    tenant: TenantId,
    settings: Arc<ActiveSettings>,
    actor: String,
    now: Timestamp,
    new_cases: Vec<Case>,
    updated: Vec<Case>,
    /// The updated cases as they were, for their events.
    before: std::collections::HashMap<CaseId, Case>,
    timeline: Vec<TimelineEntry>,
    audit: Vec<AuditEntry>,
    pub changes: CaseChanges,
}

impl SubjectCases {
    pub(crate) fn new(
        tenant: TenantId,
        actor: impl Into<String>,
        now: Timestamp,
        settings: Arc<ActiveSettings>,
    ) -> Self {
        SubjectCases {
            tenant,
            settings,
            actor: actor.into(),
            now,
            new_cases: Vec::new(),
            updated: Vec::new(),
            before: std::collections::HashMap::new(),
            timeline: Vec::new(),
            audit: Vec::new(),
            changes: CaseChanges::default(),
        }
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.now
    }

    /// A new open case about `subject`; the caller adds its links before `open`.
    pub(crate) fn new_case(
        &self,
        subject: CaseSubject,
        case_type: &str,
        severity: consign_core::case::Severity,
        accountable: &str,
        owner_team: &str,
        rulebook_version: i64,
    ) -> Case {
        Case::start(
            CaseId::new_at(self.now, entropy()),
            self.tenant,
            NewCase {
                subject,
                case_type: case_type.to_string(),
                severity,
                accountable: accountable.to_string(),
                owner_team: owner_team.to_string(),
                rulebook_version,
            },
            CaseStatus::New,
            self.now,
            self.now,
        )
    }

    pub(crate) fn open(&mut self, case: Case, detail: String) {
        let mut created = TimelineEntry::system(case.id, self.now, TimelineKind::Created, detail);
        created.seq = 1;
        self.timeline.push(created);
        self.new_cases.push(case);
        self.changes.opened += 1;
    }

    /// The case as changed so far in this batch: one opened here is changed where it waits to
    /// be inserted, and a stored one is updated once however often it changes.
    fn slot(&mut self, case: &Case) -> &mut Case {
        if let Some(k) = self.new_cases.iter().position(|c| c.id == case.id) {
            return &mut self.new_cases[k];
        }
        let k = match self.updated.iter().position(|c| c.id == case.id) {
            Some(k) => k,
            None => {
                self.before.insert(case.id, case.clone());
                self.updated.push(case.clone());
                self.updated.len() - 1
            }
        };
        &mut self.updated[k]
    }

    /// Whether this case is open as changed so far in the batch.
    pub(crate) fn is_open(&self, case: &Case) -> bool {
        self.new_cases
            .iter()
            .chain(&self.updated)
            .find(|c| c.id == case.id)
            .unwrap_or(case)
            .status
            .is_open()
    }

    pub(crate) fn detected_again(&mut self, case: &Case, detail: String) {
        let now = self.now;
        let c = self.slot(case);
        c.detections += 1;
        let entry = c.note_by_system(TimelineKind::DetectedAgain, detail, now);
        self.timeline.push(entry);
        self.changes.detected_again += 1;
    }

    pub(crate) fn resolve(&mut self, case: &Case, detail: String) {
        let now = self.now;
        let c = self.slot(case);
        let code = default_resolution(&c.case_type);
        let entry = c.resolve_by_rule(code, detail.clone(), now, now);
        let (id, case_type) = (c.id, c.case_type.clone());
        self.timeline.push(entry);
        self.audit.push(
            AuditEntry::new(
                Some(self.tenant),
                now,
                self.actor.clone(),
                "case",
                id,
                "auto_resolved",
            )
            .after(&serde_json::json!({ "case_type": case_type, "detail": detail })),
        );
        self.changes.resolved += 1;
    }

    /// Writes what was gathered into `tx` (the caller commits), with the events subscribed
    /// endpoints get; nothing when nothing changed.
    pub(crate) async fn write(&mut self, app: &crate::App, tx: &mut dyn Tx) -> AppResult<()> {
        if self.new_cases.is_empty() && self.updated.is_empty() {
            return Ok(());
        }
        let mut emit = app.emitter(self.tenant, self.now).await?;
        let updated = std::mem::take(&mut self.updated);
        tx.update_cases(&updated).await?;
        for c in &updated {
            // Detected again or resolved by the rule: the change is the case's new state.
            emit.case_changed(&self.before[&c.id], c);
        }
        let mut audit = std::mem::take(&mut self.audit);
        let filed = file_new_cases(
            tx,
            &self.settings,
            self.tenant,
            &self.actor,
            self.now,
            std::mem::take(&mut self.new_cases),
            &mut audit,
        )
        .await?;
        emit.cases_opened(&filed);
        tx.append_timeline(self.tenant, &std::mem::take(&mut self.timeline))
            .await?;
        tx.append_audit(audit).await?;
        app.write_messages(emit, tx).await
    }
}

/// Numbers newly opened cases from the tenant's counter, records each in the audit trail and
/// inserts them (the shipment, carrier and EDI rules open cases the same way).
pub(crate) async fn file_new_cases(
    tx: &mut dyn Tx,
    settings: &ActiveSettings,
    tenant: TenantId,
    actor: &str,
    now: Timestamp,
    mut cases: Vec<Case>,
    audit: &mut Vec<AuditEntry>,
) -> AppResult<Vec<Case>> {
    if cases.is_empty() {
        return Ok(cases);
    }
    let first = tx.next_numbers(tenant, "case", cases.len() as u64).await?;
    for (i, c) in cases.iter_mut().enumerate() {
        c.number = format!("CASE-{:06}", first + i as i64);
        // The tenant's ownership matrix takes precedence over the rule's defaults.
        let own = settings
            .settings
            .ownership
            .resolve(&c.case_type, &c.owner_team, &c.accountable);
        c.owner_team = own.team;
        c.accountable = own.accountable;
        c.informs = own.informs;
        // The timer sweep looks at every new open case at once: it plans its SLA clocks and
        // hands it to a member of an automatic team.
        if c.status.is_open() {
            c.timer_at = Some(now);
        }
        audit.push(
            AuditEntry::new(Some(tenant), now, actor.to_string(), "case", c.id, "opened").after(
                &serde_json::json!({
                    "number": c.number, "case_type": c.case_type, "severity": c.severity,
                    "shipment": c.shipment_id(), "carrier": c.carrier_id,
                    "partner": c.edi_group().map(|g| g.0), "edi_group": c.edi_group().map(|g| g.1),
                    "rulebook_version": c.rulebook_version,
                }),
            ),
        );
    }
    // Resolved ones go in after the open ones: at most one open per (subject, type).
    cases.sort_by_key(|c| !c.status.is_open());
    tx.insert_cases(&cases).await?;
    Ok(cases)
}
