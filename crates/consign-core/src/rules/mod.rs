//! The exception rule engine (SPEC §3): rulebooks are TOML data, parsed and checked here,
//! and evaluated against one shipment's facts at an instant the caller supplies. The engine
//! decides which cases to open, re-detect, escalate or resolve, and when the shipment next
//! needs looking at (`next_check_at`) if nothing else happens: time-based rules are driven by
//! that instant, never by scanning every shipment.
//!
//! Conditions are conjunctions of predicates with an optional `any` list of alternatives.
//! Every time predicate is monotone (once `now` passes its threshold it stays true), so the
//! earliest instant a false condition can become true is computable without guessing.
//!
//! One module per family of rules: [`condition`] (the predicates a shipment rule is made of
//! and the facts they are judged on), [`shipment`] (the per-shipment rules of the table),
//! [`carrier`] (`carrier_silent`) and [`edi_ack`] (`edi_unacknowledged`). This module holds
//! the rulebook itself: its TOML form, parsing and checking.

mod carrier;
mod condition;
mod edi_ack;
mod shipment;

pub use carrier::{CarrierSilence, SilenceAction};
pub use condition::{Condition, Judgement, ShipmentFacts};
pub use edi_ack::{AckAction, AckTrigger, EdiAcknowledgement, GroupAnswer};
pub use shipment::{CaseAction, Escalation, OpenCase, Rule, Trigger, Verdict};

use crate::case::CASE_PARTIES;
use serde::{Deserialize, Serialize};

/// The case types of SPEC §3's shipment rules, each with a rule in the default rulebook.
pub const SHIPMENT_CASE_TYPES: [&str; 12] = [
    "late_pickup",
    "stalled",
    "delay_risk",
    "late_delivery",
    "delivery_failed",
    "address_issue",
    "damaged",
    "lost",
    "customs_hold",
    "missing_documents",
    "pod_missing",
    "returned_to_sender",
];

/// The rulebook shipped with Consign: SPEC §3's table for the shipment-level rules.
pub const DEFAULT_RULEBOOK: &str = include_str!("../../rulebooks/default.toml");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rulebook {
    pub name: String,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
    /// The carrier-level rule (`carrier_silent`): judged per carrier, not per shipment.
    #[serde(default)]
    pub carrier_silent: Option<CarrierSilence>,
    /// The EDI rule (`edi_unacknowledged`): judged per functional group we sent.
    #[serde(default)]
    pub edi_unacknowledged: Option<EdiAcknowledgement>,
}

impl Rulebook {
    /// Parses and checks a rulebook; every problem is reported with where it is (TOML line and
    /// column for syntax and unknown fields, the rule's index and field for the rest).
    pub fn parse(text: &str) -> Result<Rulebook, Vec<String>> {
        let book: Rulebook = toml::from_str(text).map_err(|e| vec![toml_error(text, &e)])?;
        let mut errors = Vec::new();
        if book.name.trim().is_empty() {
            errors.push("name: must not be empty".to_string());
        }
        if book.rules.is_empty() {
            errors.push("the rulebook has no [[rule]]".to_string());
        }
        for (i, r) in book.rules.iter().enumerate() {
            let at = format!("rule[{i}] ({})", r.case_type);
            if r.case_type.is_empty()
                || !r
                    .case_type
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
            {
                errors.push(format!(
                    "{at}.case_type: must be lower-case letters, digits and '_'"
                ));
            }
            if let Some(j) = book.rules[..i]
                .iter()
                .position(|o| o.case_type == r.case_type)
            {
                errors.push(format!(
                    "{at}.case_type: rule[{j}] already opens '{}' cases; put alternatives in `any`",
                    r.case_type
                ));
            }
            if r.accountable != "by_reason" && !CASE_PARTIES.contains(&r.accountable.as_str()) {
                errors.push(format!(
                    "{at}.accountable: unknown party '{}'; expected by_reason or one of {}",
                    r.accountable,
                    CASE_PARTIES.join(", ")
                ));
            }
            if r.owner_team.trim().is_empty() {
                errors.push(format!("{at}.owner_team: must not be empty"));
            }
            r.when.check(&format!("{at}.when"), &mut errors);
            if let Some(c) = &r.resolve_when {
                c.check(&format!("{at}.resolve_when"), &mut errors);
            }
            for (k, e) in r.escalate.iter().enumerate() {
                e.when
                    .check(&format!("{at}.escalate[{k}].when"), &mut errors);
                if e.severity <= r.severity {
                    errors.push(format!(
                        "{at}.escalate[{k}].severity: {} does not raise the rule's {}",
                        e.severity.as_str(),
                        r.severity.as_str()
                    ));
                }
            }
        }
        if let Some(c) = &book.carrier_silent {
            if !(c.hours.is_finite() && c.hours > 0.0 && c.hours <= 24.0 * 365.0) {
                errors.push(format!(
                    "carrier_silent.hours: {} is not a number of hours between 0 and a year",
                    c.hours
                ));
            }
            if c.owner_team.trim().is_empty() {
                errors.push("carrier_silent.owner_team: must not be empty".to_string());
            }
            if book.rules.iter().any(|r| r.case_type == "carrier_silent") {
                errors.push(
                    "carrier_silent: a shipment [[rule]] already opens 'carrier_silent' cases"
                        .to_string(),
                );
            }
        }
        if let Some(c) = &book.edi_unacknowledged {
            if !(c.hours.is_finite() && c.hours > 0.0 && c.hours <= 24.0 * 365.0) {
                errors.push(format!(
                    "edi_unacknowledged.hours: {} is not a number of hours between 0 and a year",
                    c.hours
                ));
            }
            if c.owner_team.trim().is_empty() {
                errors.push("edi_unacknowledged.owner_team: must not be empty".to_string());
            }
            if book
                .rules
                .iter()
                .any(|r| r.case_type == "edi_unacknowledged")
            {
                errors.push(
                    "edi_unacknowledged: a shipment [[rule]] already opens 'edi_unacknowledged' cases"
                        .to_string(),
                );
            }
        }
        if errors.is_empty() {
            Ok(book)
        } else {
            Err(errors)
        }
    }

    pub fn default_rulebook() -> Rulebook {
        Rulebook::parse(DEFAULT_RULEBOOK).expect("the shipped default rulebook is valid")
    }

    pub fn rule(&self, case_type: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.case_type == case_type)
    }
}

/// A TOML error as one line: where (line and column) and what.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Severity;
    use crate::reasons::Accountable;
    use crate::shipment::{Direction, ShipmentStatus};
    use jiff::Timestamp;

    fn t(h: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + h * 3600).unwrap()
    }

    fn facts() -> ShipmentFacts<'static> {
        ShipmentFacts {
            status: ShipmentStatus::InTransit,
            status_at: Some(t(0)),
            reason: None,
            accountable: None,
            carrier: "UPSN",
            service: "ground",
            mode: "parcel",
            direction: Direction::Outbound,
            international: false,
            planned_pickup_at: Some(t(-10)),
            promised_by: Some(t(72)),
            destination_tz: "UTC",
            eta: None,
            last_event_at: Some(t(0)),
            picked_up_at: Some(t(-8)),
            delivered_at: None,
            pod_required: false,
            pod_attached: false,
            documents_complete: true,
        }
    }

    fn types(v: &Verdict) -> Vec<(&'static str, String)> {
        v.actions
            .iter()
            .map(|a| {
                let k = match a {
                    CaseAction::Open { .. } => "open",
                    CaseAction::DetectedAgain { .. } => "again",
                    CaseAction::Escalate { .. } => "escalate",
                    CaseAction::Resolve { .. } => "resolve",
                };
                (k, a.case_type().to_string())
            })
            .collect()
    }

    #[test]
    fn the_default_rulebook_parses_and_covers_the_shipment_rules_of_spec_3() {
        let b = Rulebook::default_rulebook();
        for ty in SHIPMENT_CASE_TYPES {
            assert!(b.rule(ty).is_some(), "default rulebook lacks {ty}");
        }
    }

    #[test]
    fn stalled_fires_after_48_hours_for_parcel_and_24_for_ltl_and_resolves_on_a_new_scan() {
        let b = Rulebook::default_rulebook();
        let f = facts();
        let v = b.judge(&f, &[], Trigger::Sweep, t(47));
        assert!(!types(&v).contains(&("open", "stalled".into())));
        assert_eq!(
            v.next_check_at,
            Some(t(48)),
            "next look is when parcel stalls"
        );
        let v = b.judge(&f, &[], Trigger::Sweep, t(48));
        assert!(types(&v).contains(&("open", "stalled".into())), "{v:?}");
        let ltl = ShipmentFacts {
            mode: "ltl",
            ..facts()
        };
        let v = b.judge(&ltl, &[], Trigger::Sweep, t(24));
        assert!(types(&v).contains(&("open", "stalled".into())));
        // A new scan clears it.
        let open = [OpenCase {
            case_type: "stalled".into(),
            severity: Severity::Medium,
        }];
        let moved = ShipmentFacts {
            last_event_at: Some(t(49)),
            ..facts()
        };
        let v = b.judge(
            &moved,
            &open,
            Trigger::Event {
                status: Some(ShipmentStatus::InTransit),
                reason: None,
            },
            t(49),
        );
        assert_eq!(types(&v), vec![("resolve", "stalled".to_string())]);
        assert_eq!(v.next_check_at, Some(t(49 + 48)));
    }

    #[test]
    fn a_failed_attempt_opens_once_is_detected_again_and_resolves_on_delivery() {
        let b = Rulebook::default_rulebook();
        let f = ShipmentFacts {
            status: ShipmentStatus::DeliveryAttempted,
            reason: Some("recipient_unavailable"),
            accountable: Some(Accountable::Consignee),
            ..facts()
        };
        let ev = Trigger::Event {
            status: Some(ShipmentStatus::DeliveryAttempted),
            reason: Some("recipient_unavailable"),
        };
        let v = b.judge(&f, &[], ev, t(1));
        let open = v
            .actions
            .iter()
            .find(|a| a.case_type() == "delivery_failed")
            .expect("opens delivery_failed");
        assert!(
            matches!(open, CaseAction::Open { severity: Severity::High, accountable, .. } if accountable == "consignee")
        );
        let cases = [OpenCase {
            case_type: "delivery_failed".into(),
            severity: Severity::High,
        }];
        let v = b.judge(&f, &cases, ev, t(25));
        assert!(types(&v).contains(&("again", "delivery_failed".into())));
        assert!(
            !types(&v).contains(&("open", "delivery_failed".into())),
            "never a duplicate"
        );
        // Out for delivery again: still open (resolves on delivery only).
        let ofd = ShipmentFacts {
            status: ShipmentStatus::OutForDelivery,
            reason: None,
            ..facts()
        };
        assert!(
            !types(&b.judge(&ofd, &cases, Trigger::Sweep, t(26)))
                .iter()
                .any(|(_, c)| c == "delivery_failed")
        );
        let done = ShipmentFacts {
            status: ShipmentStatus::Delivered,
            delivered_at: Some(t(30)),
            ..facts()
        };
        assert!(
            types(&b.judge(&done, &cases, Trigger::Sweep, t(30)))
                .contains(&("resolve", "delivery_failed".into()))
        );
    }

    #[test]
    fn late_delivery_is_judged_at_the_end_of_the_promised_day_in_the_destination_zone() {
        let b = Rulebook::default_rulebook();
        // Promised 2027-01-15 (any hour): delivering at 23:00 New York time is on time, even
        // though that is the next day in UTC.
        let promised: Timestamp = "2027-01-15T15:00:00Z".parse().unwrap();
        let late_evening: Timestamp = "2027-01-16T04:00:00Z".parse().unwrap();
        let f = ShipmentFacts {
            status: ShipmentStatus::Delivered,
            delivered_at: Some(late_evening),
            promised_by: Some(promised),
            destination_tz: "America/New_York",
            ..facts()
        };
        assert!(
            !types(&b.judge(&f, &[], Trigger::Sweep, late_evening))
                .iter()
                .any(|(_, c)| c == "late_delivery")
        );
        let next_day: Timestamp = "2027-01-16T06:00:00Z".parse().unwrap();
        let f = ShipmentFacts {
            delivered_at: Some(next_day),
            ..f
        };
        assert!(
            types(&b.judge(&f, &[], Trigger::Sweep, next_day))
                .contains(&("open", "late_delivery".into()))
        );
    }

    #[test]
    fn an_open_case_escalates_when_its_escalation_condition_comes_due() {
        let b = Rulebook::default_rulebook();
        let f = ShipmentFacts {
            status: ShipmentStatus::Delayed,
            ..facts()
        };
        let v = b.judge(&f, &[], Trigger::Sweep, t(1));
        assert!(types(&v).contains(&("open", "delay_risk".into())));
        let open = [OpenCase {
            case_type: "delay_risk".into(),
            severity: Severity::Medium,
        }];
        // The promise's end of day passes while the shipment is still delayed.
        let v = b.judge(&f, &open, Trigger::Sweep, t(200));
        assert!(
            v.actions.iter().any(|a| matches!(
                a,
                CaseAction::Escalate {
                    to: Severity::High,
                    ..
                }
            )),
            "{v:?}"
        );
    }

    #[test]
    fn a_carrier_is_silent_after_its_hours_and_resolves_when_scans_resume() {
        let book = Rulebook::default_rulebook();
        let rule = book
            .carrier_silent
            .as_ref()
            .expect("the default rulebook has carrier_silent");
        assert_eq!(rule.hours, 12.0);
        assert_eq!(rule.judge(Some(t(0)), false, t(11)), SilenceAction::Nothing);
        assert!(matches!(
            rule.judge(Some(t(0)), false, t(12)),
            SilenceAction::Open { .. }
        ));
        // Already open: nothing new while it stays silent.
        assert_eq!(rule.judge(Some(t(0)), true, t(30)), SilenceAction::Nothing);
        assert!(matches!(
            rule.judge(Some(t(29)), true, t(30)),
            SilenceAction::Resolve { .. }
        ));
        assert!(matches!(
            rule.judge(None, true, t(30)),
            SilenceAction::Resolve { .. }
        ));
        // No shipment under way: never silent.
        assert_eq!(rule.judge(None, false, t(100)), SilenceAction::Nothing);
        let bad = Rulebook::parse(
            "name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"carrier\"\nowner_team = \"t\"\nwhen = { terminal = false }\n[carrier_silent]\nhours = -1\nseverity = \"high\"\nowner_team = \"\"\n",
        )
        .unwrap_err();
        assert!(
            bad.iter().any(|e| e.starts_with("carrier_silent.hours")),
            "{bad:?}"
        );
        assert!(
            bad.iter()
                .any(|e| e.starts_with("carrier_silent.owner_team")),
            "{bad:?}"
        );
    }

    #[test]
    fn a_sent_group_is_unacknowledged_when_overdue_or_rejected_until_accepted() {
        let book = Rulebook::default_rulebook();
        let rule = book
            .edi_unacknowledged
            .as_ref()
            .expect("the default rulebook has edi_unacknowledged");
        assert_eq!(rule.hours, 24.0);
        let awaiting = GroupAnswer::Awaiting;
        let sweep = AckTrigger::Sweep;
        assert_eq!(
            rule.judge(t(0), &awaiting, false, sweep, t(23)),
            AckAction::Nothing
        );
        assert!(matches!(
            rule.judge(t(0), &awaiting, false, sweep, t(24)),
            AckAction::Open { .. }
        ));
        assert_eq!(rule.due(t(0)), Some(t(24)));
        // Open already and still unanswered: nothing new at each sweep.
        assert_eq!(
            rule.judge(t(0), &awaiting, true, sweep, t(40)),
            AckAction::Nothing
        );
        // A rejection opens at once, before the 24 hours are up.
        let rejected = GroupAnswer::Rejected {
            why: "AK9 R".into(),
        };
        assert!(matches!(
            rule.judge(t(0), &rejected, false, AckTrigger::AnswerArrived, t(1)),
            AckAction::Open { .. }
        ));
        // Another rejecting 997 is a new detection; the sweep seeing the old one is not.
        assert!(matches!(
            rule.judge(t(0), &rejected, true, AckTrigger::AnswerArrived, t(2)),
            AckAction::DetectedAgain { .. }
        ));
        assert_eq!(
            rule.judge(t(0), &rejected, true, sweep, t(30)),
            AckAction::Nothing
        );
        let accepted = GroupAnswer::Accepted { ak9: "A".into() };
        assert!(matches!(
            rule.judge(t(0), &accepted, true, AckTrigger::AnswerArrived, t(30)),
            AckAction::Resolve { .. }
        ));
        assert_eq!(
            rule.judge(t(0), &accepted, false, sweep, t(30)),
            AckAction::Nothing
        );
        let bad = Rulebook::parse(
            "name = \"x\"\n[edi_unacknowledged]\nhours = 0\nseverity = \"medium\"\nowner_team = \" \"\n",
        )
        .unwrap_err();
        assert!(
            bad.iter()
                .any(|e| e.starts_with("edi_unacknowledged.hours")),
            "{bad:?}"
        );
        assert!(
            bad.iter()
                .any(|e| e.starts_with("edi_unacknowledged.owner_team")),
            "{bad:?}"
        );
    }

    #[test]
    fn replays_of_the_carrier_and_edi_rules_open_when_the_live_rules_would() {
        let book = Rulebook::default_rulebook();
        let silent = book.carrier_silent.as_ref().unwrap();
        // Shipment 1 picked up at 0 h, scanned at 5 h, then nothing until 30 h; shipment 2
        // delivered at 6 h (no longer under way, so its scan does not count).
        let scans = [
            (t(0), 1, true),
            (t(5), 1, true),
            (t(6), 2, false),
            (t(30), 1, true),
            (t(31), 1, false),
        ];
        assert_eq!(silent.replay(&scans, t(100)), vec![t(17)]);
        // Cut off before the silence is long enough: nothing.
        assert!(silent.replay(&scans, t(16)).is_empty());
        // A silence after the last shipment finished is not one.
        assert!(silent.replay(&scans[..2], t(100)).len() == 1);
        assert!(silent.replay(&[(t(0), 1, false)], t(100)).is_empty());

        let edi = book.edi_unacknowledged.as_ref().unwrap();
        let ok = GroupAnswer::Accepted { ak9: "A".into() };
        let no = GroupAnswer::Rejected {
            why: "AK9 R".into(),
        };
        assert_eq!(edi.replay(t(0), &ok, Some(t(1))), None);
        assert_eq!(edi.replay(t(0), &ok, Some(t(30))), Some(t(24)));
        assert_eq!(edi.replay(t(0), &no, Some(t(2))), Some(t(2)));
        assert_eq!(edi.replay(t(0), &GroupAnswer::Awaiting, None), Some(t(24)));
    }

    #[test]
    fn bad_rulebooks_are_refused_with_where_and_why() {
        let e =
            Rulebook::parse("name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = ").unwrap_err();
        assert!(e[0].starts_with("line 4"), "{e:?}");
        let e = Rulebook::parse(
            "name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"carrier\"\nowner_team = \"t\"\nwhen = { stauts = [\"delivered\"] }\n",
        )
        .unwrap_err();
        assert!(
            e[0].contains("line 7") && e[0].contains("unknown field `stauts`"),
            "{e:?}"
        );
        let e = Rulebook::parse(
            "name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"nobody\"\nowner_team = \"t\"\nwhen = { reason = [\"gremlins\"] }\n",
        )
        .unwrap_err();
        assert!(
            e.iter()
                .any(|m| m.contains("rule[0] (a).accountable: unknown party 'nobody'")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.contains("rule[0] (a).when.reason: unknown reason 'gremlins'")),
            "{e:?}"
        );
        let e = Rulebook::parse(
            "name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"carrier\"\nowner_team = \"t\"\nwhen = { status = [\"teleported\"] }\n",
        )
        .unwrap_err();
        assert!(e[0].contains("teleported"), "{e:?}");
        let e = Rulebook::parse(
            "name = \"x\"\n[[rule]]\ncase_type = \"a\"\nseverity = \"low\"\naccountable = \"carrier\"\nowner_team = \"t\"\nwhen = {}\n",
        )
        .unwrap_err();
        assert!(e[0].contains("empty"), "{e:?}");
    }
}
