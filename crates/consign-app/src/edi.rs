//! The EDI gateway around the `consign-edi` reader: trading partners, `edi check` (no
//! database), and intake, which stores every interchange raw, commits accepted sets, matches
//! received 997s to the groups we sent, and answers each received group with a 997.

use crate::tracking::{CaseChanges, SubjectCases};
use crate::{App, AppError, AppResult, entropy, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::audit::AuditEntry;
use consign_core::case::{Case, CaseSubject};
use consign_core::edi::{
    Acknowledgement, Direction, InterchangeRecord, NewTradingPartner, OutboundGroup, PartnerKind,
    SetRecord, TradingPartner,
};
use consign_core::ids::*;
use consign_core::rules::{AckAction, AckTrigger, EdiAcknowledgement, GroupAnswer};
use consign_core::tenant::Tenant;
use consign_core::tracking::MappedEvent;
use consign_edi::sets::ShipmentStatus214;
use consign_edi::{
    AckCode, EdiError, Envelope, ErrorKind, GroupResult, Interchange, ReadOptions, TypedSet, Usage,
    WriteOptions, X12Version, ack_997, parse_any, read, write_interchange,
};
use consign_store::Tx;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

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

fn texts(errors: &[EdiError]) -> Vec<String> {
    errors.iter().map(|e| e.to_string()).collect()
}

/// Verdicts for one interchange read with `options`: per group the result the 997 is built
/// from, with typed mappings applied; a group with rejected sets is rejected whole unless
/// partial acceptance is allowed.
fn assess(ic: &Interchange<'_>, options: &ReadOptions, allow_partial: bool) -> Vec<GroupResult> {
    ic.groups
        .iter()
        .map(|g| {
            let mut r = GroupResult::with_mappings(g, options);
            let received = r.sets.len();
            if !allow_partial && r.accepted_sets() < received && r.errors.is_empty() {
                r.errors.push(
                    EdiError::new(
                        ErrorKind::UnexpectedSegment,
                        "the group holds rejected sets and this partner's agreement does not allow partial acceptance",
                    )
                    .interchange(&g.interchange_control)
                    .group(&g.control_number),
                );
            }
            r
        })
        .collect()
}

fn set_status(code: AckCode, group_rejected: bool) -> &'static str {
    match code {
        _ if group_rejected => "rejected",
        AckCode::Rejected => "rejected",
        AckCode::AcceptedWithErrors => "accepted_with_warnings",
        _ => "accepted",
    }
}

fn report_for(
    ic: &Interchange<'_>,
    results: &[GroupResult],
    options: &ReadOptions,
) -> InterchangeReport {
    let groups: Vec<GroupReport> = ic
        .groups
        .iter()
        .zip(results)
        .map(|(g, r)| {
            // Nothing in an interchange rejected at its envelope is taken (a TA1 answers it).
            let group_rejected = !ic.accepted || r.group_status() == AckCode::Rejected;
            let sets = g
                .sets
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let res = &r.sets[i];
                    let status = set_status(r.set_status(i), group_rejected);
                    let content = if status == "rejected" {
                        None
                    } else {
                        parse_any(s, options)
                            .ok()
                            .and_then(|t| serde_json::to_value(t).ok())
                    };
                    SetReport {
                        id: s.id.clone(),
                        control: s.control.clone(),
                        status: status.into(),
                        problems: texts(&res.errors),
                        warnings: texts(&res.warnings),
                        content,
                    }
                })
                .collect();
            GroupReport {
                functional_id: g.functional_id.clone(),
                control: g.control_number.clone(),
                ack_status: if ic.accepted {
                    r.group_status().code()
                } else {
                    "R"
                }
                .into(),
                problems: texts(&r.errors),
                warnings: texts(&r.warnings),
                sets,
            }
        })
        .collect();
    let rejected = !ic.accepted || groups.iter().all(|g| g.ack_status == "R") && !groups.is_empty();
    let partial = groups
        .iter()
        .any(|g| g.ack_status == "R" || g.ack_status == "P");
    InterchangeReport {
        sender: format!(
            "{}:{}",
            ic.header.sender_qualifier.trim(),
            ic.header.sender_id.trim()
        ),
        receiver: format!(
            "{}:{}",
            ic.header.receiver_qualifier.trim(),
            ic.header.receiver_id.trim()
        ),
        control: ic.header.control_number.clone(),
        status: if rejected {
            "rejected"
        } else if partial {
            "partially_accepted"
        } else {
            "accepted"
        }
        .into(),
        problems: texts(&ic.errors),
        warnings: texts(&ic.warnings),
        groups,
    }
}

/// The envelope of our reply to `ic`: from its receiver back to its sender.
fn reply_envelope(
    ic: &Interchange<'_>,
    group: Option<&consign_edi::Group<'_>>,
    controls: (u32, u32),
    now: jiff::Timestamp,
) -> Envelope {
    let utc = now.to_zoned(jiff::tz::TimeZone::UTC);
    let version = group
        .and_then(|g| X12Version::from_code(&g.version))
        .or_else(|| X12Version::from_code(&format!("{}0", ic.header.version)))
        .unwrap_or(X12Version::V004010);
    Envelope {
        sender_qualifier: ic.header.receiver_qualifier.trim().to_string(),
        sender_id: ic.header.receiver_id.trim().to_string(),
        receiver_qualifier: ic.header.sender_qualifier.trim().to_string(),
        receiver_id: ic.header.sender_id.trim().to_string(),
        application_sender: group.map(|g| g.application_receiver.clone()),
        application_receiver: group.map(|g| g.application_sender.clone()),
        date: utc.date(),
        time: utc.time(),
        interchange_control: controls.0,
        group_control: controls.1,
        functional_id: "FA".into(),
        version,
        usage: if ic.header.usage == "T" {
            Usage::Test
        } else {
            Usage::Production
        },
        ack_requested: false,
    }
}

fn reply_options() -> WriteOptions {
    WriteOptions {
        line_breaks: true,
        ..Default::default()
    }
}

/// The acknowledgement interchange answering `group_index` of `ic`: a 999 (GS08
/// `005010X231A1`) when the partner asks for one and the group is 005010, else a 997.
fn ack_interchange(
    ic: &Interchange<'_>,
    group_index: usize,
    result: &GroupResult,
    controls: (u32, u32),
    now: jiff::Timestamp,
    kind: Acknowledgement,
) -> Result<Vec<u8>, String> {
    let g = &ic.groups[group_index];
    let envelope = reply_envelope(ic, Some(g), controls, now);
    let written = if kind == Acknowledgement::Ack999 && g.version.starts_with("005") {
        let set = consign_edi::ack_999(g, result, "0001");
        consign_edi::write_interchange_with_gs08(
            &envelope,
            consign_edi::X231A1,
            &[set],
            &reply_options(),
        )
    } else {
        write_interchange(&envelope, &[ack_997(g, result, "0001")], &reply_options())
    };
    written.map_err(|e| e.to_string())
}

/// The TA1 interchange answering an interchange rejected at its envelope.
fn ta1_interchange(
    ic: &Interchange<'_>,
    control: u32,
    now: jiff::Timestamp,
) -> Result<Vec<u8>, String> {
    consign_edi::write_ta1_interchange(
        &reply_envelope(ic, None, (control, control), now),
        &consign_edi::ta1(ic),
        &reply_options(),
    )
    .map_err(|e| e.to_string())
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

impl App {
    pub async fn create_partner(
        &self,
        p: &Principal,
        tenant: &Tenant,
        new: NewTradingPartner,
    ) -> AppResult<TradingPartner> {
        require(p, Capability::ManageParties)?;
        let mut inv = Invalid::default();
        let carrier_id = match (&new.kind, &new.carrier) {
            (PartnerKind::Carrier, Some(c)) => {
                let carriers = self.store.carriers(tenant.id).await?;
                let found = crate::shipments::find_carrier(&carriers, c).map(|c| c.id);
                if found.is_none() {
                    inv.push(
                        "carrier",
                        format!("no carrier '{c}' in tenant {}", tenant.slug),
                    );
                }
                found
            }
            _ => None,
        };
        let warehouse_id = match (&new.kind, &new.warehouse) {
            (PartnerKind::Warehouse, Some(w)) => {
                let found = self
                    .store
                    .warehouses(tenant.id)
                    .await?
                    .into_iter()
                    .find(|x| x.code.eq_ignore_ascii_case(w))
                    .map(|x| x.id);
                if found.is_none() {
                    inv.push(
                        "warehouse",
                        format!("no warehouse '{w}' in tenant {}", tenant.slug),
                    );
                }
                found
            }
            _ => None,
        };
        let now = self.now();
        let partner = match new.accept(
            PartnerId::new_at(now, entropy()),
            tenant.id,
            carrier_id,
            warehouse_id,
            now,
        ) {
            Ok(p) if inv.is_empty() => p,
            Ok(_) => return Err(inv.into()),
            Err(e) => {
                inv.extend(e);
                return Err(inv.into());
            }
        };
        if self
            .store
            .partner_by_isa(tenant.id, &partner.isa_qualifier, &partner.isa_id)
            .await?
            .is_some()
        {
            return Err(AppError::conflict(
                "isa_id",
                format!(
                    "a trading partner {}:{} already exists in {}",
                    partner.isa_qualifier, partner.isa_id, tenant.slug
                ),
            ));
        }
        let mut tx = self.begin().await?;
        tx.insert_partner(&partner).await?;
        tx.append_audit(vec![
            AuditEntry::new(
                Some(tenant.id),
                now,
                p.actor.label(),
                "edi_partner",
                partner.id,
                "created",
            )
            .after(&partner),
        ])
        .await?;
        self.commit(tx).await?;
        Ok(partner)
    }

    pub async fn list_partners(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<Vec<TradingPartner>> {
        require(p, Capability::ReadShipments)?;
        let all = self.store.partners(tenant.id).await?;
        Ok(match p.carrier {
            Some(c) => all
                .into_iter()
                .filter(|x| x.carrier_id == Some(c))
                .collect(),
            None => all,
        })
    }

    /// Receives EDI: every interchange is matched to its trading partner by ISA sender, read
    /// with that partner's leniency, stored raw, its accepted sets committed and its received
    /// 997s matched to our groups, all in one transaction; the report carries the 997s.
    pub async fn receive_edi(
        &self,
        p: &Principal,
        tenant: &Tenant,
        bytes: &[u8],
    ) -> AppResult<EdiReport> {
        require(p, Capability::PostEdi)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Invalid::one("body", "the EDI body is empty").into());
        }
        if bytes.len() > MAX_EDI_BYTES {
            return Err(Invalid::one("body", format!("larger than {MAX_EDI_BYTES} bytes")).into());
        }
        let mut attempt = 0;
        loop {
            match self.receive_edi_once(p, tenant, bytes).await {
                // A concurrent intake committed first: the same interchange delivered twice at
                // once (a partner's retry, or two servers), or a case both went to open. The
                // attempt was rolled back whole; read again, the interchange is a duplicate
                // and the case one to update, as if the deliveries had come one after the
                // other. Without this the second delivery got a 409 instead of its report.
                Err(AppError::Duplicate { .. }) if attempt < 3 => attempt += 1,
                Err(AppError::Store(e)) if attempt < 3 && e.is_retryable() => attempt += 1,
                other => return other,
            }
        }
    }

    /// One attempt of [`receive_edi`](Self::receive_edi): everything in one transaction.
    async fn receive_edi_once(
        &self,
        p: &Principal,
        tenant: &Tenant,
        bytes: &[u8],
    ) -> AppResult<EdiReport> {
        let now = self.now();
        // A lenient first pass only finds the interchanges and their senders; each is then read
        // again, on its own bytes, with its partner's own options.
        let outline = read(bytes, &ReadOptions::lenient());
        let mut report = EdiReport {
            problems: texts(&outline.errors),
            interchanges: vec![],
            acknowledgements: String::new(),
        };
        let offsets: Vec<usize> = outline.interchanges.iter().map(|i| i.offset).collect();
        let carriers = self.store.carriers(tenant.id).await?;
        let mut tx = self.begin().await?;
        let mut audit = Vec::new();
        let mut acks = Vec::new();
        // 997s that answered groups we sent: judged by `edi_unacknowledged` before commit.
        let mut answered = Vec::new();
        for (k, ic0) in outline.interchanges.iter().enumerate() {
            let end = offsets.get(k + 1).copied().unwrap_or(bytes.len());
            let slice = &bytes[ic0.offset.min(end)..end];
            let (q, id) = (
                ic0.header.sender_qualifier.trim(),
                ic0.header.sender_id.trim(),
            );
            let partner = self
                .store
                .partner_by_isa(tenant.id, q, id)
                .await?
                .filter(|x| {
                    // A carrier's own identity may only speak as that carrier.
                    p.carrier.is_none_or(|c| x.carrier_id == Some(c))
                });
            let Some(partner) = partner else {
                report.interchanges.push(InterchangeReport {
                    sender: format!("{q}:{id}"),
                    receiver: format!(
                        "{}:{}",
                        ic0.header.receiver_qualifier.trim(),
                        ic0.header.receiver_id.trim()
                    ),
                    control: ic0.header.control_number.clone(),
                    status: "rejected".into(),
                    problems: vec![format!(
                        "no trading partner with ISA sender {q}:{id} in tenant {}",
                        tenant.slug
                    )],
                    warnings: vec![],
                    groups: vec![],
                });
                continue;
            };
            let control = ic0.header.control_number.clone();
            if let Some(prev) = self
                .store
                .interchange_by_control(tenant.id, partner.id, Direction::Inbound, &control)
                .await?
            {
                report.interchanges.push(InterchangeReport {
                    sender: format!("{q}:{id}"),
                    receiver: format!(
                        "{}:{}",
                        ic0.header.receiver_qualifier.trim(),
                        ic0.header.receiver_id.trim()
                    ),
                    control,
                    status: "duplicate".into(),
                    problems: vec![],
                    warnings: vec![format!(
                        "interchange already received at {}; nothing done",
                        prev.at
                    )],
                    groups: vec![],
                });
                continue;
            }
            let options = if partner.lenient {
                ReadOptions::lenient()
            } else {
                ReadOptions::strict()
            };
            let prepared = consign_edi::prepare(slice, &options);
            let doc = prepared.read(&options);
            let Some(ic) = doc.interchanges.first() else {
                // Never silently: what made the partner's reading stop is reported.
                report.interchanges.push(InterchangeReport {
                    sender: format!("{q}:{id}"),
                    receiver: format!(
                        "{}:{}",
                        ic0.header.receiver_qualifier.trim(),
                        ic0.header.receiver_id.trim()
                    ),
                    control,
                    status: "rejected".into(),
                    problems: texts(&doc.errors),
                    warnings: vec![],
                    groups: vec![],
                });
                continue;
            };
            let results = assess(ic, &options, partner.allow_partial);
            let mut ic_report = report_for(ic, &results, &options);
            let interchange_id = InterchangeId::new_at(now, entropy());
            let record = InterchangeRecord {
                id: interchange_id,
                tenant_id: tenant.id,
                partner_id: partner.id,
                direction: Direction::Inbound,
                control_number: control.clone(),
                status: ic_report.status.clone(),
                at: now,
                sha256: hex::encode(Sha256::digest(slice)),
                summary: serde_json::to_value(strip_content(&ic_report)).unwrap_or_default(),
            };
            tx.insert_interchange(&record, slice).await?;
            let mut sets = Vec::new();
            for (g, gr) in ic.groups.iter().zip(&ic_report.groups) {
                for s in &gr.sets {
                    sets.push(SetRecord {
                        id: EdiSetId::new_at(now, entropy()),
                        interchange_id,
                        partner_id: partner.id,
                        direction: Direction::Inbound,
                        group_control: g.control_number.clone(),
                        set_control: s.control.clone(),
                        set_id: s.id.clone(),
                        status: s.status.clone(),
                        content: s.content.clone(),
                        problems: s.problems.iter().chain(&s.warnings).cloned().collect(),
                        at: now,
                    });
                }
                // Received 997s answer groups we sent.
                for (set, sr) in g.sets.iter().zip(&gr.sets) {
                    if sr.status == "rejected" {
                        continue;
                    }
                    if let Ok(TypedSet::FunctionalAck997(ack)) = parse_any(set, &options) {
                        let detail = serde_json::to_string(&ack).unwrap_or_default();
                        if let Some(sent_at) = tx
                            .acknowledge_group(
                                tenant.id,
                                partner.id,
                                &ack.group_control,
                                &ack.group_status,
                                now,
                                &detail,
                            )
                            .await?
                        {
                            answered.push((
                                partner.clone(),
                                ack.group_control.clone(),
                                sent_at,
                                answer_from(&ack.group_status, Some(&ack)),
                            ));
                        }
                    }
                }
            }
            tx.insert_edi_sets(tenant.id, &sets).await?;
            // Accepted 214s become tracking events, in this same transaction: the interchange,
            // its sets and their effect on shipments and cases commit together or not at all.
            let status_sets: Vec<(String, ShipmentStatus214)> = ic_report
                .groups
                .iter()
                .flat_map(|g| &g.sets)
                .filter(|sr| sr.id == "214" && sr.status != "rejected")
                .filter_map(|sr| {
                    // Set content is the typed set under its variant's name.
                    let c = sr.content.as_ref()?.get("ShipmentStatus214")?.clone();
                    Some((sr.control.clone(), serde_json::from_value(c).ok()?))
                })
                .collect();
            if !status_sets.is_empty() {
                let (items, keys, skipped) = events_from_214(
                    &partner,
                    &carriers,
                    &format!("{q}:{id}"),
                    &control,
                    &status_sets,
                    now,
                );
                ic_report.warnings.extend(skipped);
                let known = self
                    .store
                    .shipment_ids_by_tracking(tenant.id, &keys)
                    .await?;
                let items = choose_tracking_numbers(items, &known, &carriers);
                let (mut events, bad) = crate::tracking::build_events(
                    &carriers,
                    p,
                    tenant,
                    now,
                    "edi:214",
                    items.clone(),
                );
                for (i, inv) in bad {
                    ic_report.warnings.push(format!(
                        "214 event {} not applied: {}",
                        items.get(i).map(|x| x.0.as_str()).unwrap_or("?"),
                        inv.summary()
                    ));
                }
                let book = self.rulebook_in_force(tenant.id).await?;
                let out = self
                    .apply_events(
                        &mut *tx,
                        tenant.id,
                        &p.actor.label(),
                        &book,
                        &known,
                        &mut events,
                    )
                    .await?;
                ic_report.warnings.push(format!(
                    "214: {} event(s) applied, {} orphan(s), {} duplicate(s); cases opened {}, resolved {}",
                    out.accepted, out.orphans, out.duplicates, out.cases.opened, out.cases.resolved
                ));
            }
            if !ic.accepted {
                let counter = format!("edi-out:{}", partner.id);
                let n = tx.next_numbers(tenant.id, &counter, 1).await?;
                let n = u32::try_from(n % 1_000_000_000).unwrap_or(1).max(1);
                let t = ta1_interchange(ic, n, now)
                    .map_err(|e| AppError::Invalid(Invalid::one("acknowledgement", e)))?;
                acks.extend(t);
            } else {
                for (i, r) in results.iter().enumerate() {
                    if ic.groups[i].functional_id == "FA" {
                        continue;
                    }
                    let counter = format!("edi-out:{}", partner.id);
                    let n = tx.next_numbers(tenant.id, &counter, 1).await?;
                    let n = u32::try_from(n % 1_000_000_000).unwrap_or(1).max(1);
                    let ack = ack_interchange(ic, i, r, (n, n), now, partner.acknowledgement)
                        .map_err(|e| AppError::Invalid(Invalid::one("acknowledgement", e)))?;
                    let out = InterchangeRecord {
                        id: InterchangeId::new_at(now, entropy()),
                        tenant_id: tenant.id,
                        partner_id: partner.id,
                        direction: Direction::Outbound,
                        control_number: format!("{n:09}"),
                        status: "sent".into(),
                        at: now,
                        sha256: hex::encode(Sha256::digest(&ack)),
                        summary: serde_json::json!({ "acknowledges": { "interchange": control, "group": ic.groups[i].control_number } }),
                    };
                    tx.insert_interchange(&out, &ack).await?;
                    acks.extend(ack);
                }
            }
            audit.push(
                AuditEntry::new(Some(tenant.id), now, p.actor.label(), "edi_interchange", interchange_id, "received")
                    .after(&serde_json::json!({ "partner": partner.name, "control": control, "status": ic_report.status })),
            );
            report.interchanges.push(ic_report);
        }
        if !answered.is_empty() {
            let book = self.rulebook_in_force(tenant.id).await?;
            if let Some(rule) = &book.book.edi_unacknowledged {
                let mut w = SubjectCases::new(tenant.id, p.actor.label(), now);
                let mut open = open_group_cases(&mut *tx, tenant.id).await?;
                for (partner, group, sent_at, answer) in answered {
                    judge_group(
                        &mut w,
                        &mut open,
                        rule,
                        book.version,
                        &partner,
                        &group,
                        sent_at,
                        &answer,
                        AckTrigger::AnswerArrived,
                    );
                }
                w.write(&mut *tx).await?;
            }
        }
        tx.append_audit(audit).await?;
        self.commit(tx).await?;
        report.acknowledgements = String::from_utf8_lossy(&acks).into_owned();
        Ok(report)
    }
}

/// The segment with every value in ASCII (`deunicode` transliteration), the rest untouched.
fn ascii_segment(mut seg: consign_edi::OwnedSegment) -> consign_edi::OwnedSegment {
    for element in &mut seg.elements {
        for value in element.0.iter_mut().flatten() {
            if !value.is_ascii() {
                *value = deunicode::deunicode(value);
            }
        }
    }
    seg
}

/// What a 997 said of a group we sent, for `edi_unacknowledged`: rejected when AK9 is `R` or
/// `P` or any AK5 rejects its set (the sets' detail comes from the stored 997 when there).
fn answer_from(ak9: &str, ack: Option<&consign_edi::sets::FunctionalAck997>) -> GroupAnswer {
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

/// The party a partner's EDI case is held against: the partner, by its kind.
fn partner_party(p: &TradingPartner) -> &'static str {
    match p.kind {
        PartnerKind::Carrier => "carrier",
        PartnerKind::Warehouse => "warehouse",
    }
}

type GroupCases = HashMap<(PartnerId, String), Case>;

async fn open_group_cases(tx: &mut dyn Tx, tenant: TenantId) -> AppResult<GroupCases> {
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
fn judge_group(
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
        let mut w = SubjectCases::new(tenant, "system:sweep", now);
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
        w.write(&mut *tx).await?;
        self.commit(tx).await?;
        Ok(w.changes.clone())
    }
}

/// The stored summary keeps verdicts and problems; typed content lives with each set.
fn strip_content(r: &InterchangeReport) -> InterchangeReport {
    let mut r = r.clone();
    for g in &mut r.groups {
        for s in &mut g.sets {
            s.content = None;
        }
    }
    r
}

/// What an outbound tender produced: the stored interchange and its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub interchange: InterchangeRecord,
    pub group_control: String,
    /// The interchange as X12 text.
    pub x12: String,
}

fn party(
    entity: &str,
    name: Option<String>,
    place: &consign_core::shipment::Place,
) -> consign_edi::sets::Party {
    consign_edi::sets::Party {
        entity: entity.into(),
        name: Some(name.as_deref().unwrap_or(&place.city).into()),
        city: Some(place.city.as_str().into()),
        state: place.region.as_deref().map(Into::into),
        postal_code: Some(place.postal_code.as_str().into()),
        country: Some(place.country.as_str().into()),
        ..Default::default()
    }
}

fn local(t: jiff::Timestamp, tz: &str) -> (jiff::civil::Date, jiff::civil::Time) {
    let z = t.to_zoned(jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC));
    (z.date(), z.time())
}

/// The 204 load tender for a shipment: shipper and consignee, a pick-up stop at the origin on
/// the planned pick-up and a delivery stop at the destination by the promise (local times of
/// each place), weight in kilograms and pieces.
pub fn load_tender(
    s: &consign_core::shipment::Shipment,
    carrier: &consign_core::party::Carrier,
) -> consign_edi::sets::LoadTender204 {
    use consign_edi::sets::{DateTimeRef, LoadTender204, Reference, Totals, s204::Stop};
    let dt = |qualifier: &str, t: jiff::Timestamp, tz: &str| {
        let (date, time) = local(t, tz);
        DateTimeRef {
            qualifier: Some(qualifier.into()),
            date: Some(date),
            time_qualifier: Some("U".into()),
            time: Some(time),
            time_code: Some("LT".into()),
        }
    };
    // Both stops carry the whole load: picked up complete at the origin, delivered complete at
    // the destination, each dated in its own place's zone.
    let stop = |sequence: u32,
                reason: &str,
                entity: &str,
                place: &consign_core::shipment::Place,
                date: Option<(&str, jiff::Timestamp)>| Stop {
        sequence: Some(sequence),
        reason: reason.into(),
        weight: Some(s.weight_kg),
        weight_unit: Some("K".into()),
        quantity: Some(rust_decimal::Decimal::from(s.pieces)),
        unit: Some("PCS".into()),
        parties: vec![party(entity, place.name.clone(), place)],
        dates: date
            .map(|(q, t)| dt(q, t, &place.time_zone))
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let pickup = stop(
        1,
        "CL",
        "SF",
        &s.origin,
        s.planned_pickup_at.map(|t| ("69", t)),
    );
    let delivery = stop(
        2,
        "CU",
        "ST",
        &s.destination,
        s.promised_by.map(|t| ("70", t)),
    );
    LoadTender204 {
        scac: carrier.scac.clone(),
        shipment_id: Some(s.number.clone()),
        payment_method: "PP".into(),
        purpose: "00".into(),
        application_type: Some("LT".into()),
        references: vec![Reference::new("CN", s.tracking_number.clone())],
        dates: vec![],
        parties: vec![
            party("SH", s.origin.name.clone(), &s.origin),
            party("CN", s.destination.name.clone(), &s.destination),
        ],
        stops: vec![pickup, delivery],
        totals: Some(Totals {
            weight: Some(s.weight_kg),
            weight_qualifier: Some("G".into()),
            weight_unit: Some("K".into()),
            lading_quantity: Some(s.pieces),
            ..Default::default()
        }),
        warnings: vec![],
    }
}

impl App {
    /// Tenders a shipment to its carrier as an EDI 204: written with the carrier's trading
    /// partner ids and per-partner control numbers, stored raw, and recorded as a group awaiting
    /// its 997.
    pub async fn tender_shipment(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: ShipmentId,
    ) -> AppResult<Sent> {
        require(p, Capability::WriteShipments)?;
        let s = self.get_shipment(p, tenant, id).await?;
        let carrier = self
            .store
            .carriers(tenant.id)
            .await?
            .into_iter()
            .find(|c| c.id == s.carrier_id)
            .ok_or_else(|| AppError::NotFound(format!("carrier of shipment {}", s.number)))?;
        let partner = self
            .store
            .partners(tenant.id)
            .await?
            .into_iter()
            .find(|x| x.carrier_id == Some(carrier.id))
            .ok_or_else(|| {
                AppError::conflict(
                    "carrier",
                    format!(
                        "carrier {} has no EDI trading partner in {}",
                        carrier.name, tenant.slug
                    ),
                )
            })?;
        let segments =
            consign_edi::sets::s204::write(&load_tender(&s, &carrier), &WriteOptions::default());
        let audit = (s.id.to_string(), "shipment", "tendered_204");
        let summary = serde_json::json!({ "tender": { "shipment": s.number, "set": "204" } });
        self.send_set(p, tenant, &partner, "204", segments, audit, summary)
            .await
    }

    /// Sends an order to a warehouse as an EDI 940 shipping order, through the warehouse's
    /// trading partner.
    pub async fn send_warehouse_order(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: OrderId,
        warehouse: &str,
    ) -> AppResult<Sent> {
        require(p, Capability::WriteOrders)?;
        let order = self.get_order(p, tenant, id).await?;
        let w = self
            .store
            .warehouses(tenant.id)
            .await?
            .into_iter()
            .find(|x| x.code.eq_ignore_ascii_case(warehouse))
            .ok_or_else(|| {
                AppError::Invalid(Invalid::one(
                    "warehouse",
                    format!("no warehouse '{warehouse}' in {}", tenant.slug),
                ))
            })?;
        let partner = self
            .store
            .partners(tenant.id)
            .await?
            .into_iter()
            .find(|x| x.warehouse_id == Some(w.id))
            .ok_or_else(|| {
                AppError::conflict(
                    "warehouse",
                    format!(
                        "warehouse {} has no EDI trading partner in {}",
                        w.code, tenant.slug
                    ),
                )
            })?;
        let segments =
            consign_edi::sets::s940::write(&shipping_order(&order), &WriteOptions::default());
        let audit = (order.id.to_string(), "order", "sent_940");
        let summary = serde_json::json!({ "warehouse_order": { "order": order.number, "warehouse": w.code, "set": "940" } });
        self.send_set(p, tenant, &partner, "940", segments, audit, summary)
            .await
    }

    /// Writes one set in an interchange to `partner` (control numbers from the partner's
    /// counter), stores it raw with an outbound group awaiting its 997, and audits it.
    #[allow(clippy::too_many_arguments)]
    async fn send_set(
        &self,
        p: &Principal,
        tenant: &Tenant,
        partner: &TradingPartner,
        set_id: &str,
        segments: Vec<consign_edi::OwnedSegment>,
        audit: (String, &str, &str),
        summary: serde_json::Value,
    ) -> AppResult<Sent> {
        let functional_id = consign_edi::functional_id(set_id)
            .unwrap_or("ZZ")
            .to_string();
        let now = self.now();
        let mut tx = self.begin().await?;
        let counter = format!("edi-out:{}", partner.id);
        let n = tx.next_numbers(tenant.id, &counter, 1).await?;
        let n = u32::try_from(n % 1_000_000_000).unwrap_or(1).max(1);
        let utc = now.to_zoned(jiff::tz::TimeZone::UTC);
        let env = Envelope {
            sender_qualifier: partner.our_isa_qualifier.clone(),
            sender_id: partner.our_isa_id.clone(),
            receiver_qualifier: partner.isa_qualifier.clone(),
            receiver_id: partner.isa_id.clone(),
            application_sender: None,
            application_receiver: None,
            date: utc.date(),
            time: utc.time(),
            interchange_control: n,
            group_control: n,
            functional_id: functional_id.clone(),
            version: X12Version::V004010,
            usage: Usage::Production,
            ack_requested: false,
        };
        // X12's character set is ASCII: names and places are transliterated ("Ciudad de
        // México" goes out as "Ciudad de Mexico") rather than refused.
        let segments: Vec<_> = segments.into_iter().map(ascii_segment).collect();
        let set = consign_edi::OutgoingSet::new(set_id, "0001", segments);
        let bytes = write_interchange(&env, &[set], &reply_options())
            .map_err(|e| AppError::Invalid(Invalid::one(audit.1, e.to_string())))?;
        let record = InterchangeRecord {
            id: InterchangeId::new_at(now, entropy()),
            tenant_id: tenant.id,
            partner_id: partner.id,
            direction: Direction::Outbound,
            control_number: format!("{n:09}"),
            status: "sent".into(),
            at: now,
            sha256: hex::encode(Sha256::digest(&bytes)),
            summary,
        };
        tx.insert_interchange(&record, &bytes).await?;
        tx.insert_outbound_group(
            tenant.id,
            &consign_core::edi::OutboundGroup {
                partner_id: partner.id,
                group_control: n.to_string(),
                interchange_id: record.id,
                functional_id,
                set_count: 1,
                sent_at: now,
                ack_status: None,
                ack_at: None,
                ack_detail: None,
            },
        )
        .await?;
        tx.append_audit(vec![
            AuditEntry::new(Some(tenant.id), now, p.actor.label(), audit.1, audit.0, audit.2)
                .after(&serde_json::json!({ "partner": partner.name, "interchange": record.control_number })),
        ])
        .await?;
        self.commit(tx).await?;
        Ok(Sent {
            interchange: record,
            group_control: n.to_string(),
            x12: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// The 940 for an order: ship-to party, the promise as the requested ship date, one W01 per
/// line (quantity in eaches, vendor item number = our SKU).
pub fn shipping_order(o: &consign_core::order::Order) -> consign_edi::sets::ShippingOrder940 {
    use consign_edi::sets::s940::{OrderLine, OrderTotals, ShippingOrder940};
    use consign_edi::sets::{DateTimeRef, Party, Reference};
    let ship_to = Party {
        entity: "ST".into(),
        name: Some(o.ship_to.name.as_str().into()),
        address: [Some(&o.ship_to.line1), o.ship_to.line2.as_ref()]
            .into_iter()
            .flatten()
            .map(|line| line.as_str().into())
            .collect(),
        city: Some(o.ship_to.city.as_str().into()),
        state: o.ship_to.region.as_deref().map(Into::into),
        postal_code: Some(o.ship_to.postal_code.as_str().into()),
        country: Some(o.ship_to.country.as_str().into()),
        ..Default::default()
    };
    let mut dates = Vec::new();
    if let Some(t) = o.promised_by {
        let (date, _) = local(t, "UTC");
        dates.push(DateTimeRef {
            qualifier: Some("02".into()),
            date: Some(date),
            time_qualifier: None,
            time: None,
            time_code: None,
        });
    }
    let lines: Vec<OrderLine> = o
        .lines
        .iter()
        .map(|l| OrderLine {
            lx: Some(l.line_no),
            quantity: Some(rust_decimal::Decimal::from(l.quantity)),
            unit: "EA".into(),
            product_ids: vec![("VN".into(), l.sku.clone())],
            description: Some(l.description.clone()).filter(|d| !d.is_empty()),
            ..Default::default()
        })
        .collect();
    let total: u64 = o.lines.iter().map(|l| u64::from(l.quantity)).sum();
    ShippingOrder940 {
        order_status: "N".into(),
        depositor_order_number: o.number.clone(),
        purchase_order_number: Some(o.external_ref.clone()),
        parties: vec![ship_to],
        references: vec![Reference::new("CO", o.external_ref.clone())],
        dates,
        lines,
        totals: Some(OrderTotals {
            quantity: Some(rust_decimal::Decimal::from(total)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A mapped event with where it came from (`set 0001 AT7 2`).
type Labelled = (String, MappedEvent);

/// Tracking events of accepted 214 sets, each with its candidate tracking numbers in order of
/// preference (references with the partner's tracking or PRO qualifiers, then B10-01, then
/// B10-02); the chosen one is settled by [`choose_tracking_numbers`]. Returns the events (the
/// tracking number still holding all candidates, `|`-joined) and the lookup keys.
fn events_from_214(
    partner: &TradingPartner,
    carriers: &[consign_core::party::Carrier],
    sender: &str,
    control: &str,
    sets: &[(String, ShipmentStatus214)],
    now: jiff::Timestamp,
) -> (Vec<Labelled>, Vec<(CarrierId, String)>, Vec<String>) {
    let cw = crate::tracking::crosswalks();
    let tz = jiff::tz::TimeZone::get(&partner.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let offset = tz.to_offset(now);
    let wanted = |q: &str| {
        partner
            .tracking_qualifiers
            .iter()
            .chain(&partner.pro_qualifiers)
            .any(|x| x == q)
    };
    let mut out = Vec::new();
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    for (st02, s) in sets {
        // The partner's own carrier, else the set's B10-03 SCAC.
        let carrier = partner
            .carrier_id
            .or_else(|| crate::shipments::find_carrier(carriers, &s.scac).map(|c| c.id));
        for (k, ev) in s.events.iter().enumerate() {
            let status = ev.status_code.as_deref().unwrap_or_default().to_string();
            let reason = ev.status_reason.as_deref().unwrap_or_default().to_string();
            if status.is_empty() {
                // Appointment records set appointment times, not status (SPEC §2).
                continue;
            }
            let mapped = cw.x12(&status, &reason);
            // Local times are read in the partner's zone at that date (daylight saving).
            let offset = ev
                .date
                .and_then(|d| d.to_zoned(tz.clone()).ok())
                .map_or(offset, |z| z.offset());
            let at = match ev.instant(Some(offset)) {
                Some(Ok(at)) => at,
                Some(Err(e)) => {
                    skipped.push(format!("214 set {st02} AT7 {}: not applied: {e}", k + 1));
                    continue;
                }
                None => {
                    skipped.push(format!(
                        "214 set {st02} AT7 {}: not applied: no date and time (AT705/AT706)",
                        k + 1
                    ));
                    continue;
                }
            };
            let (occurred_at, eta) = if mapped.eta_update && mapped.status.is_none() {
                // AG/X2: the AT7's date and time are the new estimate, reported now.
                (now, Some(at))
            } else {
                (at, None)
            };
            let mut candidates: Vec<String> = ev
                .references
                .iter()
                .chain(&s.references)
                .filter(|r| wanted(&r.qualifier))
                .map(|r| r.value.trim().to_string())
                .collect();
            candidates.extend(s.reference_id.iter().map(|r| r.trim().to_string()));
            candidates.push(s.shipment_id.trim().to_string());
            candidates.retain(|c| !c.is_empty());
            candidates.dedup();
            if let Some(c) = carrier {
                keys.extend(candidates.iter().map(|t| (c, t.clone())));
            }
            let location = ev
                .location
                .as_ref()
                .map(|l| {
                    [l.city.as_deref(), l.state.as_deref(), l.country.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            out.push((
                format!("set {st02} AT7 {}", k + 1),
                MappedEvent {
                    carrier: carrier
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| s.scac.to_string()),
                    tracking_number: candidates.join("|"),
                    occurred_at,
                    mapped,
                    eta,
                    raw_code: status,
                    raw_reason: reason,
                    location,
                    description: String::new(),
                    message_id: Some(format!("{sender}/{control}/{st02}/{}", k + 1)),
                },
            ));
        }
    }
    (out, keys, skipped)
}

/// Settles each event's tracking number: the first candidate a shipment has, else the first.
fn choose_tracking_numbers(
    items: Vec<(String, MappedEvent)>,
    known: &std::collections::HashMap<(CarrierId, String), ShipmentId>,
    carriers: &[consign_core::party::Carrier],
) -> Vec<(String, MappedEvent)> {
    items
        .into_iter()
        .map(|(at, mut e)| {
            let carrier = crate::shipments::find_carrier(carriers, &e.carrier).map(|c| c.id);
            let candidates: Vec<String> = e.tracking_number.split('|').map(String::from).collect();
            e.tracking_number = candidates
                .iter()
                .find(|t| carrier.is_some_and(|c| known.contains_key(&(c, (*t).clone()))))
                .or(candidates.first())
                .cloned()
                .unwrap_or_default();
            (at, e)
        })
        .collect()
}
