//! SLA policies as a tenant configures them (SPEC §5): an ordered list of rules matched on
//! (case type, severity), each naming its calendar, its clock targets and its escalation
//! ladder. The first rule that matches a case applies.

use super::{CaseStatus, Severity};
use crate::Invalid;
use crate::sla::clock::{Policy, Target};
use serde::{Deserialize, Serialize};

/// One step of the escalation ladder, taken `after_minutes` (wall-clock) past the breach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LadderStep {
    pub after_minutes: i64,
    pub action: LadderAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LadderAction {
    NotifyAssignee,
    /// Moves the case to the policy's supervisor team and raises its severity one step.
    MoveToSupervisors,
    NotifyClientManager,
}

impl LadderAction {
    pub fn as_str(self) -> &'static str {
        match self {
            LadderAction::NotifyAssignee => "notify_assignee",
            LadderAction::MoveToSupervisors => "move_to_supervisors",
            LadderAction::NotifyClientManager => "notify_client_manager",
        }
    }
}

/// SPEC §5's default ladder: tell the assignee at once, hand the case to the supervisors
/// after an hour, tell the client manager after four.
pub fn default_ladder() -> Vec<LadderStep> {
    vec![
        LadderStep {
            after_minutes: 0,
            action: LadderAction::NotifyAssignee,
        },
        LadderStep {
            after_minutes: 60,
            action: LadderAction::MoveToSupervisors,
        },
        LadderStep {
            after_minutes: 240,
            action: LadderAction::NotifyClientManager,
        },
    ]
}

fn default_supervisors() -> String {
    "supervisors".into()
}

/// One policy rule: which cases it covers, on which calendar, with which targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyRule {
    pub name: String,
    /// Matches every type when absent.
    #[serde(default)]
    pub case_type: Option<String>,
    /// Matches every severity when absent.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// The tenant calendar business targets count on; absent: 24×7.
    #[serde(default)]
    pub calendar: Option<String>,
    #[serde(flatten)]
    pub clock: Policy,
    #[serde(default = "default_ladder")]
    pub ladder: Vec<LadderStep>,
    #[serde(default = "default_supervisors")]
    pub supervisor_team: String,
}

/// A tenant's policies, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicySet {
    pub rules: Vec<PolicyRule>,
}

impl PolicySet {
    /// The first rule covering a case of `case_type` at `severity`.
    pub fn select(&self, case_type: &str, severity: Severity) -> Option<&PolicyRule> {
        self.rules.iter().find(|r| {
            r.case_type.as_deref().is_none_or(|t| t == case_type)
                && r.severity.is_none_or(|s| s == severity)
        })
    }

    /// Checks every rule; `calendars` are the names of the tenant's calendars.
    pub fn validate(&self, calendars: &[String]) -> Result<(), Invalid> {
        let mut bad = Invalid::default();
        for (i, r) in self.rules.iter().enumerate() {
            let at = |f: &str| format!("rules[{i}].{f}");
            if r.name.trim().is_empty() {
                bad.push(at("name"), "must not be empty");
            }
            if let Some(c) = &r.calendar
                && !calendars.contains(c)
            {
                bad.push(at("calendar"), format!("no calendar named '{c}'"));
            }
            let targets = [
                ("first_response", r.clock.first_response),
                ("resolution", r.clock.resolution),
                ("periodic_update", r.clock.periodic_update),
            ];
            for (name, t) in targets {
                if let Some(Target { minutes, .. }) = t
                    && minutes <= 0
                {
                    bad.push(
                        at(&format!("{name}.minutes")),
                        format!("must be a positive number of minutes, not {minutes}"),
                    );
                }
            }
            if targets.iter().all(|(_, t)| t.is_none()) {
                bad.push(at("resolution"), "a policy needs at least one target");
            }
            if !(1..=99).contains(&r.clock.warning_percent) {
                bad.push(
                    at("warning_percent"),
                    format!("must be 1 to 99, not {}", r.clock.warning_percent),
                );
            }
            for (j, s) in r.clock.pause_in.iter().enumerate() {
                match CaseStatus::parse(s) {
                    Ok(st) if st.is_waiting() => {}
                    _ => bad.push(
                        at(&format!("pause_in[{j}]")),
                        format!("'{s}' is not a waiting status"),
                    ),
                }
            }
            let mut last = -1;
            for (j, s) in r.ladder.iter().enumerate() {
                if s.after_minutes < 0 || s.after_minutes < last {
                    bad.push(
                        at(&format!("ladder[{j}].after_minutes")),
                        "steps must come in order, from 0 minutes after the breach",
                    );
                }
                last = s.after_minutes;
            }
            if let Err(e) = super::ownership::check_team_name(&r.supervisor_team) {
                bad.push(at("supervisor_team"), e);
            }
        }
        bad.into_result(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(toml_text: &str) -> PolicySet {
        serde_json::from_value(
            serde_json::to_value(toml::from_str::<toml::Value>(toml_text).unwrap()).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn the_first_matching_rule_applies() {
        let set = rules(
            r#"
            [[rules]]
            name = "critical anything"
            severity = "critical"
            first_response = { minutes = 15, business = false }
            [[rules]]
            name = "damaged"
            case_type = "damaged"
            calendar = "office"
            resolution = { minutes = 960 }
            [[rules]]
            name = "default"
            resolution = { minutes = 2880 }
            "#,
        );
        assert_eq!(
            set.select("damaged", Severity::Critical).unwrap().name,
            "critical anything"
        );
        let d = set.select("damaged", Severity::High).unwrap();
        assert_eq!(d.name, "damaged");
        assert!(d.clock.resolution.unwrap().business);
        assert_eq!(d.ladder, default_ladder());
        assert_eq!(d.clock.pause_in, vec!["waiting_customer", "waiting_client"]);
        assert_eq!(
            set.select("stalled", Severity::Low).unwrap().name,
            "default"
        );
        assert!(set.validate(&["office".into()]).is_ok());
        assert_eq!(
            set.validate(&[]).unwrap_err().summary(),
            "rules[1].calendar: no calendar named 'office'"
        );
    }

    #[test]
    fn bad_policies_are_refused_field_by_field() {
        let set = rules(
            r#"
            [[rules]]
            name = "bad"
            resolution = { minutes = -5 }
            warning_percent = 100
            pause_in = ["open"]
            ladder = [{ after_minutes = 60, action = "notify_assignee" }, { after_minutes = 0, action = "move_to_supervisors" }]
            "#,
        );
        let fields: Vec<String> = set.validate(&[]).unwrap_err().fields();
        assert_eq!(
            fields,
            vec![
                "rules[0].resolution.minutes",
                "rules[0].warning_percent",
                "rules[0].pause_in[0]",
                "rules[0].ladder[1].after_minutes"
            ]
        );
    }
}
