//! The business calendars and the SLA policies' targets as forms on the settings page: a
//! calendar's zone, its opening hours per weekday (`08:00-12:00, 13:00-18:00`; empty is
//! closed) and its holidays; a policy's calendar and its three targets (`30 min`, `4 h`,
//! `2 d`, business time or not). Each form changes its part of the settings and keeps the
//! rest, under the version guard of the settings page; the core checks the result.

use super::TenantPage;
use super::settings::opened;
use super::sla_text::{WEEKDAYS, parse_day, parse_minutes};
use crate::AppState;
use axum::Router;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use consign_core::sla::{CalendarSpec, Target};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{tenant}/settings/calendars", post(calendars))
        .route("/app/{tenant}/settings/policies", post(policies))
}

async fn calendars(
    page: TenantPage,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    let field = |k: &str| super::trimmed(&form, k);
    let o = opened(page, &form).await?;
    let mut settings = o.current.settings.clone();
    let mut names: Vec<String> = settings.calendars.keys().cloned().collect();
    let new_name = field("new_name");
    if !new_name.is_empty() {
        names.push(new_name.clone());
    }
    let mut bad = Vec::new();
    for name in names {
        if field(&format!("remove.{name}")) == "on" {
            settings.calendars.remove(&name);
            continue;
        }
        let key = |part: &str| {
            if name == new_name {
                format!("new_{part}")
            } else {
                format!("{part}.{name}")
            }
        };
        let mut hours = Vec::new();
        for day in WEEKDAYS {
            match parse_day(day, &field(&key(day))) {
                Ok(h) => hours.extend(h),
                Err(e) => bad.push(format!("calendars.{name}: {e}")),
            }
        }
        let mut holidays = Vec::new();
        // Dates apart by commas, semicolons, lines or spaces; what is not a date is named
        // whole ("Boxing Day", not "Boxing" and "Day").
        for item in field(&key("holidays"))
            .split([',', '\n', '\r', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let dates: Result<Vec<jiff::civil::Date>, _> =
                item.split_whitespace().map(str::parse).collect();
            match dates {
                Ok(d) => holidays.extend(d),
                Err(_) => bad.push(format!(
                    "calendars.{name}.holidays: '{item}' is not a date like 2026-12-25"
                )),
            }
        }
        holidays.sort();
        holidays.dedup();
        settings.calendars.insert(
            name.clone(),
            CalendarSpec {
                time_zone: field(&key("zone")),
                hours,
                holidays,
            },
        );
    }
    if !bad.is_empty() {
        return Ok(o.refused(StatusCode::UNPROCESSABLE_ENTITY, bad).await);
    }
    Ok(o.save(settings).await)
}

async fn policies(
    page: TenantPage,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, Response> {
    let field = |k: &str| super::trimmed(&form, k);
    let o = opened(page, &form).await?;
    let mut settings = o.current.settings.clone();
    let mut bad = Vec::new();
    for (i, rule) in settings.policies.rules.iter_mut().enumerate() {
        // A policy the form did not show (added meanwhile) is left as it is.
        if !form.contains_key(&format!("calendar.{i}")) {
            continue;
        }
        rule.calendar = Some(field(&format!("calendar.{i}"))).filter(|c| !c.is_empty());
        let clock = &mut rule.clock;
        for (key, target) in [
            ("first_response", &mut clock.first_response),
            ("resolution", &mut clock.resolution),
            ("periodic_update", &mut clock.periodic_update),
        ] {
            match parse_minutes(&field(&format!("{key}.{i}"))) {
                Ok(m) => {
                    *target = m.map(|minutes| Target {
                        minutes,
                        business: field(&format!("{key}_business.{i}")) == "on",
                    })
                }
                Err(e) => bad.push(format!("policies.rules[{i}].{key} ({}): {e}", rule.name)),
            }
        }
    }
    if !bad.is_empty() {
        return Ok(o.refused(StatusCode::UNPROCESSABLE_ENTITY, bad).await);
    }
    Ok(o.save(settings).await)
}
