//! Intake: every interchange stored raw and taken once by its ISA13, accepted sets committed
//! (214s as tracking events), received 997s matched to the groups we sent, and every group
//! answered, all in one transaction.

use super::acks::{ack_interchange, assess, report_for, strip_content, ta1_interchange};
use super::unacknowledged::{answer_from, judge_group, open_group_cases};
use super::{EdiReport, InterchangeReport, MAX_EDI_BYTES, interchange_record, texts};
use crate::cases::SubjectCases;
use crate::{App, AppError, AppResult, entropy, require};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::audit::AuditEntry;
use consign_core::edi::{Direction, InterchangeRecord, SetRecord, TradingPartner};
use consign_core::ids::*;
use consign_core::rules::AckTrigger;
use consign_core::tenant::Tenant;
use consign_core::tracking::MappedEvent;
use consign_edi::sets::ShipmentStatus214;
use consign_edi::{ReadOptions, TypedSet, parse_any, read};

impl App {
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
        let mut emit = self.emitter(tenant.id, now).await?;
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
                report.interchanges.push(unread(
                    &ic0.header,
                    "rejected",
                    vec![format!(
                        "no trading partner with ISA sender {q}:{id} in tenant {}",
                        tenant.slug
                    )],
                    vec![],
                ));
                continue;
            };
            let control = ic0.header.control_number.clone();
            if let Some(prev) = self
                .store
                .interchange_by_control(tenant.id, partner.id, Direction::Inbound, &control)
                .await?
            {
                report.interchanges.push(unread(
                    &ic0.header,
                    "duplicate",
                    vec![],
                    vec![format!(
                        "interchange already received at {}; nothing done",
                        prev.at
                    )],
                ));
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
                let r = unread(&ic0.header, "rejected", texts(&doc.errors), vec![]);
                edi_rejected(&mut emit, &partner, None, &r);
                report.interchanges.push(r);
                continue;
            };
            let results = assess(ic, &options, partner.allow_partial);
            let mut ic_report = report_for(ic, &results, &options);
            let record = InterchangeRecord {
                summary: serde_json::to_value(strip_content(&ic_report)).unwrap_or_default(),
                ..interchange_record(
                    tenant,
                    &partner,
                    Direction::Inbound,
                    control.clone(),
                    ic_report.status.clone(),
                    now,
                    slice,
                )
            };
            let interchange_id = record.id;
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
            let status_sets: Vec<StatusSet> = ic_report
                .groups
                .iter()
                .flat_map(|g| g.sets.iter().map(move |sr| (g, sr)))
                .filter(|(_, sr)| sr.id == "214" && sr.status != "rejected")
                .filter_map(|(g, sr)| {
                    // Set content is the typed set under its variant's name.
                    let c = sr.content.as_ref()?.get("ShipmentStatus214")?.clone();
                    Some(StatusSet {
                        group: g.control.clone(),
                        control: sr.control.clone(),
                        set: serde_json::from_value(c).ok()?,
                    })
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
                        summary: serde_json::json!({ "acknowledges": { "interchange": control, "group": ic.groups[i].control_number } }),
                        ..interchange_record(
                            tenant,
                            &partner,
                            Direction::Outbound,
                            format!("{n:09}"),
                            "sent".into(),
                            now,
                            &ack,
                        )
                    };
                    tx.insert_interchange(&out, &ack).await?;
                    acks.extend(ack);
                }
            }
            if ic_report.status == "rejected"
                || ic_report
                    .groups
                    .iter()
                    .any(|g| g.ack_status == "R" || g.sets.iter().any(|s| s.status == "rejected"))
            {
                edi_rejected(&mut emit, &partner, Some(interchange_id), &ic_report);
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
                let mut w = SubjectCases::new(
                    tenant.id,
                    p.actor.label(),
                    now,
                    self.settings_in_force(tenant.id).await?,
                );
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
                w.write(self, &mut *tx).await?;
            }
        }
        tx.append_audit(audit).await?;
        self.write_messages(emit, &mut *tx).await?;
        self.commit(tx).await?;
        report.acknowledgements = String::from_utf8_lossy(&acks).into_owned();
        Ok(report)
    }
}

/// A mapped event with where it came from (`set 0001 AT7 2`).
pub(super) type Labelled = (String, MappedEvent);

/// An accepted 214 and where it stood: its group's GS06 and its own ST02. ST02 is unique only
/// within its group, so both name the set (and its events' message ids).
pub(super) struct StatusSet {
    group: String,
    control: String,
    set: ShipmentStatus214,
}

/// Tracking events of accepted 214 sets, each with its candidate tracking numbers in order of
/// preference (references with the partner's tracking or PRO qualifiers, then B10-01, then
/// B10-02); the chosen one is settled by [`choose_tracking_numbers`]. Returns the events (the
/// tracking number still holding all candidates, `|`-joined) and the lookup keys.
pub(super) fn events_from_214(
    partner: &TradingPartner,
    carriers: &[consign_core::party::Carrier],
    sender: &str,
    control: &str,
    sets: &[StatusSet],
    now: jiff::Timestamp,
) -> (Vec<Labelled>, Vec<(CarrierId, String)>, Vec<String>) {
    let cw = crate::tracking::crosswalks();
    let tz = jiff::tz::TimeZone::get(&partner.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
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
    for StatusSet {
        group,
        control: st02,
        set: s,
    } in sets
    {
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
            // Local times are read in the partner's zone, at their own hour (daylight saving).
            let at = match ev.instant(Some(&tz)) {
                Some(Ok(at)) => at,
                Some(Err(e)) => {
                    skipped.push(format!(
                        "214 group {group} set {st02} AT7 {}: not applied: {e}",
                        k + 1
                    ));
                    continue;
                }
                None => {
                    skipped.push(format!(
                        "214 group {group} set {st02} AT7 {}: not applied: no date and time (AT705/AT706)",
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
                format!("group {group} set {st02} AT7 {}", k + 1),
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
                    // Interchange, group and set: the envelope's numbers name the AT7 uniquely
                    // for this sender (a re-delivered interchange is stopped by its ISA13
                    // before this).
                    message_id: Some(format!("{sender}/{control}/{group}/{st02}/{}", k + 1)),
                },
            ));
        }
    }
    (out, keys, skipped)
}

/// Settles each event's tracking number: the first candidate a shipment has, else the first.
pub(super) fn choose_tracking_numbers(
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

/// The report of an interchange that was not read past its ISA: no partner, a duplicate, or
/// what stopped its partner's reading.
fn unread(
    isa: &consign_edi::IsaHeader,
    status: &str,
    problems: Vec<String>,
    warnings: Vec<String>,
) -> InterchangeReport {
    InterchangeReport {
        sender: format!("{}:{}", isa.sender_qualifier.trim(), isa.sender_id.trim()),
        receiver: format!(
            "{}:{}",
            isa.receiver_qualifier.trim(),
            isa.receiver_id.trim()
        ),
        control: isa.control_number.clone(),
        status: status.into(),
        problems,
        warnings,
        groups: vec![],
    }
}

/// `edi.rejected` for an interchange of `partner` we refused in whole or in part.
fn edi_rejected(
    emit: &mut crate::messages::emit::Emitter,
    partner: &consign_core::edi::TradingPartner,
    interchange_id: Option<InterchangeId>,
    r: &InterchangeReport,
) {
    emit.emit(
        consign_core::message::outbox::EventType::EdiRejected,
        partner.carrier_id,
        &format!("edi:{}", partner.id),
        || {
            serde_json::json!({
                "partner": partner.name, "partner_id": partner.id,
                "interchange_id": interchange_id, "control": r.control,
                "status": r.status, "problems": r.problems,
                "groups": r.groups.iter().map(|g| serde_json::json!({
                    "functional_id": g.functional_id, "control": g.control,
                    "ack_status": g.ack_status, "problems": g.problems,
                    "rejected_sets": g.sets.iter().filter(|s| s.status == "rejected")
                        .map(|s| serde_json::json!({"id": s.id, "control": s.control, "problems": s.problems}))
                        .collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        },
    );
}
