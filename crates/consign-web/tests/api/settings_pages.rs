//! Administration in the browser, on both engines: the rulebook editor (checked, previewed
//! over history, saved as a version), message templates (refused by field, previewed
//! against a case, saved and removed), teams and shifts, the case settings with their
//! version guard, and trading partners — each form refused without its CSRF token, each
//! change refused to a role that may not make it.

use crate::cases::{Person, new_case};
use crate::harness::*;
use serde_json::{Value, json};

/// The rulebook editor's form as `p` sends it: the text, what to do with it, and over how
/// many days of history a preview replays.
async fn rulebook_form(
    p: &Person,
    source: &str,
    intent: &str,
    days: Option<&str>,
) -> (u16, String) {
    let mut fields = vec![("source", source), ("intent", intent)];
    fields.extend(days.map(|d| ("days", d)));
    p.submit("/app/alpha/rulebook", &fields).await
}

/// Alpha's rulebook as the API stores it.
async fn rulebook_of(t: &TestApp) -> Value {
    t.get_json("/api/v1/tenants/alpha/rulebook", &t.admin_token)
        .await
}

/// The case settings' document form: `document` saved over `version`.
async fn settings_form(p: &Person, version: &str, document: &str) -> (u16, String) {
    let fields = [("version", version), ("document", document)];
    p.submit("/app/alpha/settings", &fields).await
}

/// The team `name` as the API lists it.
async fn team_named(t: &TestApp, name: &str) -> Value {
    let teams = t.get_json("/api/v1/teams", &t.admin_token).await;
    find_where(&teams, "name", name).clone()
}

/// The template editor's form for alpha's template `late_word` (English e-mail to the
/// customer) with `body`, previewed against `case` or saved or deleted as `intent` says.
async fn late_word_form(p: &Person, case: &str, body: &str, intent: &str) -> (u16, String) {
    let fields = [
        ("name", "late_word"),
        ("case_type", "*"),
        ("audience", "customer"),
        ("channel", "email"),
        ("language", "en"),
        ("subject", "About {{ case.number }}"),
        ("body", body),
        ("case", case),
        ("intent", intent),
    ];
    p.submit("/app/alpha/templates", &fields).await
}

/// The trading-partner form for UPS's EDI (carrier UPSN, ISA qualifier 02), `rest` after
/// the fields every such form starts with.
async fn ups_partner_form(p: &Person, rest: &[(&str, &str)]) -> (u16, String) {
    let head = [
        ("name", "UPS EDI"),
        ("kind", "carrier"),
        ("carrier", "UPSN"),
        ("isa_qualifier", "02"),
    ];
    p.submit("/app/alpha/edi/partners", &[&head[..], rest].concat())
        .await
}

/// Alpha's message templates as the API lists them.
async fn templates_of(t: &TestApp) -> Value {
    t.get_json("/api/v1/tenants/alpha/message-templates", &t.admin_token)
        .await
}

#[tokio::test]
async fn the_rulebook_editor_checks_previews_and_saves_a_version() {
    for t in spawn_alpha().await {
        let e = t.engine;
        let root = Person::root(&t).await;
        let agent = Person::alpha_agent(&t).await;
        let (status, html) = root.page("/app/alpha/rulebook").await;
        assert_eq!(status, 200, "{e:?}");
        assert!(html.contains("the shipped default"), "{e:?}");
        assert!(html.contains("id=\"rulebook-form\""), "{e:?}");
        let default = consign_core::rules::DEFAULT_RULEBOOK;
        let edited = default.replacen("name = \"Consign default\"", "name = \"Alpha rules\"", 1);
        assert_ne!(edited, default, "the default rulebook's name line moved");

        // A broken rulebook: every problem named, the text kept, nothing stored.
        let broken = format!("{edited}\n[[rule]]\nname = \n");
        let (status, html) = rulebook_form(&root, &broken, "preview", Some("30")).await;
        assert_eq!(status, 422, "{e:?}: {html}");
        assert!(
            html.contains("id=\"problems\"") && html.contains("line"),
            "{e:?}: {html}"
        );
        assert!(
            html.contains("Alpha rules"),
            "the editor keeps the text: {e:?}"
        );

        // A preview replays and stores nothing.
        let (status, html) = rulebook_form(&root, &edited, "preview", Some("7")).await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(html.contains("Preview: nothing is saved yet"), "{e:?}");
        assert!(html.contains("“Alpha rules”"), "{e:?}");
        let stored = rulebook_of(&t).await;
        assert_eq!(stored["version"], 0, "{e:?}");

        // Without the session's token, refused before anything is read.
        let (status, _) = root
            .submit_as_is(
                "/app/alpha/rulebook",
                &[("csrf", "forged"), ("source", &edited), ("intent", "save")],
            )
            .await;
        assert_eq!(status, 403, "{e:?}");
        // An agent reads the rulebook but may not change it.
        let (status, html) = agent.page("/app/alpha/rulebook").await;
        assert_eq!(status, 200, "{e:?}");
        assert!(!html.contains("id=\"rulebook-form\""), "{e:?}");
        let (status, _) = rulebook_form(&agent, &edited, "save", None).await;
        assert_eq!(status, 403, "{e:?}");

        // Saved: version 1 is in force and listed.
        let (status, html) = rulebook_form(&root, &edited, "save", None).await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(
            html.contains("version 1 “Alpha rules” is in force"),
            "{e:?}: {html}"
        );
        let stored = rulebook_of(&t).await;
        assert_eq!(
            (stored["version"].as_i64(), stored["name"].as_str()),
            (Some(1), Some("Alpha rules")),
            "{e:?}"
        );
        // Another tenant's page is the same 404 as a missing one.
        let (status, _) = agent.page("/app/gamma/rulebook").await;
        assert_eq!(status, 404, "{e:?}");
    }
}

#[tokio::test]
async fn message_templates_are_refused_by_field_previewed_against_a_case_saved_and_removed() {
    for t in spawn_alpha().await {
        let e = t.engine;
        let root = Person::root(&t).await;
        let team = json!({"name": "exceptions", "assignment": "manual", "members": []});
        t.put_team("exceptions", &team).await;
        let s = t.admin_shipment("alpha", "1ZTPL0001").await;
        let c = t
            .admin_case("alpha", &new_case(s["id"].as_str().unwrap()))
            .await;
        let case_id = c["id"].as_str().unwrap();
        let number = c["number"].as_str().unwrap();
        let (status, html) = root.page("/app/alpha/templates").await;
        assert_eq!(status, 200, "{e:?}");
        assert!(
            html.contains("delay_notice"),
            "the defaults are listed: {e:?}"
        );
        let (status, html) = root
            .page("/app/alpha/templates/edit?name=delay_notice&language=en")
            .await;
        assert_eq!(status, 200, "{e:?}");
        assert!(html.contains("This is a default"), "{e:?}");
        // A name several defaults share opens the one its link names.
        let (status, html) = root
            .page("/app/alpha/templates/edit?name=carrier_chase&language=en&case_type=lost&audience=carrier&channel=email")
            .await;
        assert_eq!(status, 200, "{e:?}");
        assert!(
            html.contains("id=\"tpl-case-type\" value=\"lost\""),
            "{e:?}"
        );

        // An unknown variable: refused next to the body, nothing saved.
        let (status, html) =
            late_word_form(&root, case_id, "Hello {{ case.nonsense }}", "save").await;
        assert_eq!(status, 422, "{e:?}: {html}");
        assert!(
            html.contains("id=\"body-error\"") && html.contains("nonsense"),
            "{e:?}: {html}"
        );
        // A preview renders the real case.
        let (status, html) = late_word_form(
            &root,
            case_id,
            "Case {{ case.number }} is being looked at.",
            "preview",
        )
        .await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(
            html.contains(&format!("Case {number} is being looked at.")),
            "{e:?}: {html}"
        );
        assert!(html.contains(&format!("About {number}")), "{e:?}");
        let listed = templates_of(&t).await;
        assert!(
            !listed.to_string().contains("late_word"),
            "a preview saves nothing: {e:?}"
        );
        // Saved, then removed.
        let (status, html) = late_word_form(
            &root,
            case_id,
            "Case {{ case.number }} is being looked at.",
            "save",
        )
        .await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(html.contains("late_word (en) saved"), "{e:?}: {html}");
        let listed = templates_of(&t).await;
        assert!(
            listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["name"] == "late_word" && v["source"] == "tenant"),
            "{e:?}: {listed}"
        );
        let (status, html) = late_word_form(&root, case_id, "", "delete").await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(html.contains("late_word (en) removed"), "{e:?}");
        let listed = templates_of(&t).await;
        assert!(!listed.to_string().contains("late_word"), "{e:?}");
    }
}

#[tokio::test]
async fn teams_shifts_case_settings_and_partners_change_through_their_forms() {
    for t in spawn_alpha().await {
        let e = t.engine;
        let root = Person::root(&t).await;
        let agent = Person::alpha_agent(&t).await;

        // A new team with the agent in it, on shift.
        let (status, html) = root
            .submit(
                "/app/teams",
                &[
                    ("new", "1"),
                    ("name", "night-desk"),
                    ("description", "Nights"),
                    ("assignment", "round_robin"),
                    ("member", &agent.id),
                ],
            )
            .await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(
            html.contains("Done: team night-desk saved"),
            "{e:?}: {html}"
        );
        let team = team_named(&t, "night-desk").await;
        assert_eq!(team["assignment"], "round_robin", "{e:?}");
        assert_eq!(
            team["members"],
            json!([{"user": agent.id, "on_shift": true}]),
            "{e:?}"
        );
        // The same name again is refused with the reason, not overwritten.
        let (status, html) = root
            .submit(
                "/app/teams",
                &[
                    ("new", "1"),
                    ("name", "night-desk"),
                    ("assignment", "manual"),
                ],
            )
            .await;
        assert_eq!(status, 422, "{e:?}");
        assert!(html.contains("exists already"), "{e:?}: {html}");
        // The agent takes herself off shift; she may not change the team.
        let (status, _) = agent
            .submit(
                "/app/teams/night-desk/shift",
                &[("user", &agent.id), ("on_shift", "false")],
            )
            .await;
        assert_eq!(status, 200, "{e:?}");
        let team = team_named(&t, "night-desk").await;
        assert_eq!(team["members"][0]["on_shift"], false, "{e:?}");
        let (status, _) = agent
            .submit(
                "/app/teams",
                &[("name", "night-desk"), ("assignment", "manual")],
            )
            .await;
        assert_eq!(status, 403, "{e:?}");

        // An agent reads the settings as tables, without the forms.
        let (status, html) = agent.page("/app/alpha/settings").await;
        assert_eq!(status, 200, "{e:?}");
        assert!(
            !html.contains("id=\"ownership-form\"") && !html.contains("id=\"settings-form\""),
            "{e:?}"
        );

        // Case settings: saved from the version read; a form of an older version is 409.
        let (status, html) = root.page("/app/alpha/settings").await;
        assert_eq!(status, 200, "{e:?}");
        assert!(html.contains("id=\"settings-version\">0<"), "{e:?}");
        let current = settings_of(&t).await;
        let mut doc = current["settings"].clone();
        doc["close_after_days"] = json!(3);
        doc["ownership"] =
            json!({"rows": [{"case_type": "lost", "team": "night-desk", "informs": "client"}]});
        let doc = serde_json::to_string_pretty(&doc).unwrap();
        let (status, html) = settings_form(&root, "0", "{ \"close_after_days\": }").await;
        assert_eq!(status, 422, "{e:?}");
        assert!(
            html.contains("line 1"),
            "a JSON error names its line: {e:?}: {html}"
        );
        let (status, html) =
            settings_form(&root, "0", &doc.replace("night-desk", "no-such-team")).await;
        assert_eq!(status, 422, "{e:?}");
        assert!(html.contains("no team named"), "{e:?}: {html}");
        let (status, html) = settings_form(&root, "0", &doc).await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(html.contains("version 1 is in force"), "{e:?}: {html}");
        assert!(
            html.contains("<option value=\"night-desk\" selected>"),
            "the matrix shows the row: {e:?}"
        );
        let stored = settings_of(&t).await;
        assert_eq!(
            (
                stored["version"].as_i64(),
                stored["settings"]["close_after_days"].as_i64()
            ),
            (Some(1), Some(3)),
            "{e:?}"
        );
        let (status, html) = settings_form(&root, "0", &doc).await;
        assert_eq!(status, 409, "{e:?}");
        assert!(
            html.contains("was saved after you opened this page"),
            "{e:?}: {html}"
        );

        // The matrix's own form: one select per case type; a type left at the rule's choice
        // keeps no row, the rest of the settings stay as they are.
        let (status, html) = root
            .submit(
                "/app/alpha/settings/ownership",
                &[
                    ("version", "1"),
                    ("team.lost", ""),
                    ("informs.lost", "provider"),
                    ("team.stalled", "night-desk"),
                    ("accountable.stalled", "warehouse"),
                    ("informs.stalled", "nobody"),
                    ("team.delay_risk", "night-desk"),
                    ("informs.delay_risk", "client"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(html.contains("version 2 is in force"), "{e:?}: {html}");
        let stored = settings_of(&t).await;
        let rows = &stored["settings"]["ownership"]["rows"];
        assert_eq!(
            rows,
            &json!([
                {"case_type": "delay_risk", "team": "night-desk", "accountable": null, "informs": "client"},
                {"case_type": "stalled", "team": "night-desk", "accountable": "warehouse", "informs": "nobody"}
            ]),
            "{e:?}"
        );
        assert_eq!(
            stored["settings"]["close_after_days"], 3,
            "the rest is kept: {e:?}"
        );
        // A type with a choice but no team takes its rule's team, which must exist.
        let (status, html) = root
            .submit(
                "/app/alpha/settings/ownership",
                &[("version", "2"), ("informs.stalled", "client")],
            )
            .await;
        assert_eq!(status, 422, "{e:?}");
        assert!(html.contains("no team named"), "{e:?}: {html}");
        let (status, _) = root
            .submit(
                "/app/alpha/settings/ownership",
                &[("version", "1"), ("informs.stalled", "client")],
            )
            .await;
        assert_eq!(status, 409, "a form of an older version: {e:?}");

        // A trading partner: a missing identifier named, then registered and listed.
        let (status, html) = ups_partner_form(&root, &[("our_isa_id", "ALPHA")]).await;
        assert_eq!(status, 422, "{e:?}");
        assert!(html.contains("isa_id"), "{e:?}: {html}");
        let rest = [
            ("isa_id", "UPSN"),
            ("our_isa_id", "ALPHA"),
            ("lenient", "on"),
        ];
        let (status, html) = ups_partner_form(&root, &rest).await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(
            html.contains("trading partner UPS EDI registered"),
            "{e:?}: {html}"
        );
        assert!(
            html.contains("<code>02/UPSN</code>") && html.contains("lenient envelopes"),
            "{e:?}"
        );
        let partners: Value = t
            .get_json("/api/v1/tenants/alpha/edi/partners", &t.admin_token)
            .await;
        assert_eq!(partners["items"].as_array().map(Vec::len), Some(1), "{e:?}");
        // A page number past the end (here past any slice of memory) shows the last page.
        let (status, html) = root.page("/app/alpha/edi?page=400000000000000000").await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(html.contains("UPS EDI"), "{e:?}");
    }
}

/// The calendars and the policies' targets as forms: a calendar added with split hours and
/// holidays, a bad zone or span refused by name, a policy moved onto it with targets written
/// as people write them, and a calendar still in use not removed.
#[tokio::test]
async fn calendars_and_targets_change_through_their_forms() {
    for t in spawn_alpha().await {
        let e = t.engine;
        let root = Person::root(&t).await;

        let (status, html) = root
            .submit(
                "/app/alpha/settings/calendars",
                &[
                    ("version", "0"),
                    ("new_name", "office"),
                    ("new_zone", "America/Chicago"),
                    ("new_monday", "08:00-12:00, 13:00-17:00"),
                    ("new_friday", "08:00-17:00"),
                    ("new_holidays", "2026-12-25, 2027-01-01"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(html.contains("version 1 is in force"), "{e:?}: {html}");
        let s = settings_of(&t).await;
        let office = &s["settings"]["calendars"]["office"];
        assert_eq!(office["time_zone"], "America/Chicago", "{e:?}");
        assert_eq!(
            office["hours"].as_array().map(Vec::len),
            Some(3),
            "{e:?}: {office}"
        );
        assert_eq!(
            office["holidays"],
            json!(["2026-12-25", "2027-01-01"]),
            "{e:?}"
        );
        // The form shows the calendar back as it was written.
        assert!(html.contains("value=\"08:00-12:00, 13:00-17:00\""), "{e:?}");

        for (field, value, why) in [
            ("zone.office", "Mars/Base", "calendars.office"),
            ("monday.office", "all day", "is not a span"),
            ("holidays.office", "Christmas", "is not a date"),
        ] {
            let mut form = vec![("version", "1"), ("zone.office", "America/Chicago")];
            form.retain(|(k, _)| *k != field);
            form.push((field, value));
            let (status, html) = root.submit("/app/alpha/settings/calendars", &form).await;
            assert_eq!(status, 422, "{e:?}: {field}");
            assert!(html.contains(why), "{e:?}: {field}: {html}");
        }
        assert_eq!(settings_of(&t).await["version"], 1, "nothing stored: {e:?}");

        // A policy, then its targets through the form.
        let mut doc = settings_of(&t).await["settings"].clone();
        doc["policies"] = json!({"rules": [{"name": "standard", "resolution": {"minutes": 480}}]});
        let (status, html) = settings_form(&root, "1", &doc.to_string()).await;
        assert_eq!(status, 200, "{e:?}: {html}");
        assert!(html.contains("id=\"policies-form\""), "{e:?}");
        let (status, html) = root
            .submit(
                "/app/alpha/settings/policies",
                &[
                    ("version", "2"),
                    ("calendar.0", "office"),
                    ("first_response.0", "30 min"),
                    ("first_response_business.0", "on"),
                    ("resolution.0", "1.5 d"),
                    ("periodic_update.0", ""),
                ],
            )
            .await;
        assert_eq!(status, 200, "{e:?}: {html}");
        let rule = settings_of(&t).await["settings"]["policies"]["rules"][0].clone();
        assert_eq!(rule["calendar"], "office", "{e:?}");
        assert_eq!(
            rule["first_response"],
            json!({"minutes": 30, "business": true}),
            "{e:?}"
        );
        assert_eq!(
            rule["resolution"],
            json!({"minutes": 2160, "business": false}),
            "{e:?}"
        );
        assert!(rule["periodic_update"].is_null(), "{e:?}: {rule}");
        let (status, html) = root
            .submit(
                "/app/alpha/settings/policies",
                &[
                    ("version", "3"),
                    ("calendar.0", "office"),
                    ("resolution.0", "soon"),
                ],
            )
            .await;
        assert_eq!(status, 422, "{e:?}");
        assert!(html.contains("is not a duration"), "{e:?}: {html}");
        // The calendar a policy counts on cannot go.
        let (status, html) = root
            .submit(
                "/app/alpha/settings/calendars",
                &[("version", "3"), ("remove.office", "on")],
            )
            .await;
        assert_eq!(status, 422, "{e:?}");
        assert!(html.contains("no calendar named"), "{e:?}: {html}");
    }
}

/// Alpha's case settings as the API stores them.
async fn settings_of(t: &TestApp) -> Value {
    t.get_json("/api/v1/tenants/alpha/case-settings", &t.admin_token)
        .await
}
