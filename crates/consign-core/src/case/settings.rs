//! A tenant's case settings, stored and versioned as one document: the ownership matrix, the
//! business calendars, the SLA policies, and how long a resolved case stays open to a
//! reopening before it closes. Deadlines are computed from the version in force, so changing
//! a calendar moves the deadlines of open cases.

use super::ownership::OwnershipMatrix;
use super::policy::{PolicyRule, PolicySet};
use crate::Invalid;
use crate::sla::{Calendar, CalendarSpec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn seven() -> u32 {
    7
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CaseSettings {
    #[serde(default)]
    pub ownership: OwnershipMatrix,
    /// Named business calendars the policies count on.
    #[serde(default)]
    pub calendars: BTreeMap<String, CalendarSpec>,
    #[serde(default)]
    pub policies: PolicySet,
    /// Days a resolved case waits for a reopening before it closes (SPEC §4: 7).
    #[serde(default = "seven")]
    pub close_after_days: u32,
    /// How the tenant's e-mails go out.
    #[serde(default)]
    pub email: EmailSettings,
}

impl Default for CaseSettings {
    fn default() -> Self {
        CaseSettings {
            ownership: OwnershipMatrix::default(),
            calendars: BTreeMap::new(),
            policies: PolicySet::default(),
            close_after_days: seven(),
            email: EmailSettings::default(),
        }
    }
}

/// A tenant's e-mail identity: the From its customers see (the installation's when unset),
/// the domain replies go to (`reply+<token>@domain`, which the mail relay posts back), and
/// the language its messages are written in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub reply_domain: Option<String>,
    #[serde(default = "english")]
    pub language: String,
}

impl Default for EmailSettings {
    fn default() -> Self {
        EmailSettings {
            from: None,
            reply_domain: None,
            language: english(),
        }
    }
}

fn english() -> String {
    "en".into()
}

/// A plain `local@domain` address (display names are added when a message is written).
pub fn check_address(field: &str, a: &str, bad: &mut Invalid) {
    let ok = a.len() <= 254
        && a.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !a
                    .chars()
                    .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
        });
    if !ok {
        bad.push(
            field,
            format!("'{a}' is not an e-mail address (local@domain)"),
        );
    }
}

/// Settings checked and ready to use: calendars built once.
#[derive(Debug, Clone)]
pub struct ActiveSettings {
    pub version: i64,
    pub settings: CaseSettings,
    calendars: BTreeMap<String, Calendar>,
    always: Calendar,
}

impl CaseSettings {
    /// Checks everything and reports every problem with its path (`calendars.office.hours[0]
    /// .open`, `policies.rules[1].resolution.minutes`); `teams` are the teams that exist.
    pub fn validate(&self, teams: &[String]) -> Result<(), Invalid> {
        let mut bad = Invalid::default();
        if let Err(e) = self.ownership.validate(teams) {
            bad.extend(e.prefixed("ownership"));
        }
        for (name, spec) in &self.calendars {
            if let Err(e) = Calendar::new(spec) {
                bad.extend(e.prefixed(&format!("calendars.{name}")));
            }
        }
        let names: Vec<String> = self.calendars.keys().cloned().collect();
        if let Err(e) = self.policies.validate(&names) {
            bad.extend(e.prefixed("policies"));
        }
        if let Some(f) = &self.email.from {
            check_address("email.from", f, &mut bad);
        }
        if let Some(d) = &self.email.reply_domain
            && (d.is_empty() || !d.contains('.') || d.contains('@') || d.contains(' '))
        {
            bad.push("email.reply_domain", format!("'{d}' is not a domain name"));
        }
        if !(1..=365).contains(&self.close_after_days) {
            bad.push(
                "close_after_days",
                format!("must be 1 to 365, not {}", self.close_after_days),
            );
        }
        bad.into_result(())
    }

    /// Checked settings; `version` is the stored version they come from (0: the defaults).
    pub fn activate(self, version: i64) -> Result<ActiveSettings, Invalid> {
        let mut calendars = BTreeMap::new();
        for (name, spec) in &self.calendars {
            calendars.insert(
                name.clone(),
                Calendar::new(spec).map_err(|e| e.prefixed(&format!("calendars.{name}")))?,
            );
        }
        Ok(ActiveSettings {
            version,
            settings: self,
            calendars,
            always: Calendar::always_open(),
        })
    }
}

impl ActiveSettings {
    /// The defaults: no policies (no clocks), cases close a week after resolution.
    pub fn defaults() -> ActiveSettings {
        CaseSettings::default()
            .activate(0)
            .expect("the default settings are valid")
    }

    /// The policy rule for a case and the calendar its business targets count on.
    pub fn policy_for(
        &self,
        case_type: &str,
        severity: super::Severity,
    ) -> (Option<&PolicyRule>, &Calendar) {
        let rule = self.settings.policies.select(case_type, severity);
        let cal = rule
            .and_then(|r| r.calendar.as_ref())
            .and_then(|c| self.calendars.get(c))
            .unwrap_or(&self.always);
        (rule, cal)
    }

    pub fn close_after(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_hours(24 * i64::from(self.settings.close_after_days))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_with_paths_and_defaults_apply() {
        let s: CaseSettings = serde_json::from_value(serde_json::json!({
            "calendars": { "office": { "time_zone": "Mars/Olympus", "hours": [
                { "weekday": "monday", "open": "09:00", "close": "17:00" },
                { "weekday": "monday", "open": "16:00", "close": "18:00" }
            ] } },
            "policies": { "rules": [{ "name": "p", "calendar": "office",
                "resolution": { "minutes": -1 } }] },
            "close_after_days": 0
        }))
        .unwrap();
        let fields: Vec<String> = s.validate(&[]).unwrap_err().fields();
        assert!(
            fields.contains(&"calendars.office.time_zone".to_string()),
            "{fields:?}"
        );
        assert!(
            fields
                .iter()
                .any(|f| f.starts_with("calendars.office.hours[")),
            "overlap: {fields:?}"
        );
        assert!(fields.contains(&"policies.rules[0].resolution.minutes".to_string()));
        assert!(fields.contains(&"close_after_days".to_string()));
        let d = ActiveSettings::defaults();
        assert_eq!(d.close_after(), jiff::SignedDuration::from_hours(168));
        assert!(
            d.policy_for("stalled", super::super::Severity::High)
                .0
                .is_none()
        );
        let unknown = serde_json::from_value::<CaseSettings>(serde_json::json!({"colour": 1}));
        assert!(unknown.is_err());
    }
}
