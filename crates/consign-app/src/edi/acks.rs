//! What we answer a received interchange with: the verdict per group and set, and the 997 (or
//! 999, or TA1) interchange that carries it back to the sender.

use super::{GroupReport, InterchangeReport, SetReport, texts};
use consign_core::edi::Acknowledgement;
use consign_edi::{
    AckCode, EdiError, Envelope, ErrorKind, GroupResult, Interchange, ReadOptions, Usage,
    WriteOptions, X12Version, ack_997, parse_any, write_interchange,
};

/// Verdicts for one interchange read with `options`: per group the result the 997 is built
/// from, with typed mappings applied; a group with rejected sets is rejected whole unless
/// partial acceptance is allowed.
pub(super) fn assess(
    ic: &Interchange<'_>,
    options: &ReadOptions,
    allow_partial: bool,
) -> Vec<GroupResult> {
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

pub(super) fn set_status(code: AckCode, group_rejected: bool) -> &'static str {
    match code {
        _ if group_rejected => "rejected",
        AckCode::Rejected => "rejected",
        AckCode::AcceptedWithErrors => "accepted_with_warnings",
        _ => "accepted",
    }
}

pub(super) fn report_for(
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
pub(super) fn reply_envelope(
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

pub(super) fn reply_options() -> WriteOptions {
    WriteOptions {
        line_breaks: true,
        ..Default::default()
    }
}

/// The acknowledgement interchange answering `group_index` of `ic`: a 999 (GS08
/// `005010X231A1`) when the partner asks for one and the group is 005010, else a 997.
pub(super) fn ack_interchange(
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
pub(super) fn ta1_interchange(
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

/// The stored summary keeps verdicts and problems; typed content lives with each set.
pub(super) fn strip_content(r: &InterchangeReport) -> InterchangeReport {
    let mut r = r.clone();
    for g in &mut r.groups {
        for s in &mut g.sets {
            s.content = None;
        }
    }
    r
}
