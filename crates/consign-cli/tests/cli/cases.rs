//! Case work from the command line: a team, a case opened by hand, taken, noted, waited on,
//! resolved with a code and reopened as a named user; a stale `--if-version` refused; case
//! settings from a file; the SLA timers at an instant; `consign report cases`.

use super::*;

async fn user_id(e: &Env, email: &str) -> String {
    let store = e.store().await;
    store
        .user_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .0
        .id
        .to_string()
}

/// Adds a user of tenant alpha with a password, as `consign user add` does for staff.
fn add_alpha_user(e: &Env, email: &str, name: &str, role: &str) {
    e.ok(&[
        "user",
        "add",
        email,
        "--name",
        name,
        "--role",
        role,
        "--tenant",
        "alpha",
        "--password",
        "a long enough password",
    ]);
}

/// Imports shipments from `csv` into tenant alpha.
fn import_shipments(e: &Env, csv: &[u8]) {
    let ships = e.write("s.csv", csv);
    e.import_into_alpha("shipments", &ships, &[]);
}

/// Opens a high-severity damage case, accountable to the carrier, on `shipment` as Ann,
/// with any `extra` flags; what `cases open` printed.
fn open_damage_case(e: &Env, shipment: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "cases",
        "open",
        "--tenant",
        "alpha",
        "--as",
        "ann@provider.test",
        "--shipment",
        shipment,
        "--type",
        "damaged",
        "--severity",
        "high",
        "--accountable",
        "carrier",
    ];
    args.extend_from_slice(extra);
    e.ok(&args)
}

#[tokio::test]
async fn an_agent_works_a_case_and_the_report_counts_it() {
    for e in envs().await {
        for (email, role) in [
            ("ann@provider.test", "agent"),
            ("bob@provider.test", "agent"),
        ] {
            add_alpha_user(&e, email, email, role);
        }
        let (ann, bob) = (
            user_id(&e, "ann@provider.test").await,
            user_id(&e, "bob@provider.test").await,
        );
        // A member who is not provider staff is refused by position.
        add_alpha_user(&e, "cm@client.test", "CM", "client_manager");
        let cm = user_id(&e, "cm@client.test").await;
        let bad = e.write(
            "bad-team.toml",
            format!("name = \"exceptions\"\n[[members]]\nuser = \"{cm}\"\non_shift = true\n")
                .as_bytes(),
        );
        let out = e.run(&["cases", "set-team", &bad]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("members[0].user"),
            "{}",
            text(&out.stderr)
        );
        let team = e.write(
            "team.toml",
            format!(
                "name = \"exceptions\"\nassignment = \"manual\"\n[[members]]\nuser = \"{ann}\"\non_shift = true\n[[members]]\nuser = \"{bob}\"\non_shift = true\n"
            )
            .as_bytes(),
        );
        assert!(e.ok(&["cases", "set-team", &team]).contains("2 member(s)"));
        import_shipments(
            &e,
            b"carrier,service_level,tracking_number,origin_city,origin_postal_code,origin_country,origin_time_zone,destination_city,destination_postal_code,destination_country,destination_time_zone,weight_kg,pieces\nUPSN,ground,1ZCLI1,Dallas,75201,US,America/Chicago,Austin,78701,US,America/Chicago,2.5,1\n",
        );

        let opened = open_damage_case(
            &e,
            "1ZCLI1",
            &[
                "--team",
                "exceptions",
                "--description",
                "Customer reports a crushed box",
            ],
        );
        assert!(opened.contains("CASE-000001 damaged (high"), "{opened}");
        let queue = e.ok(&[
            "cases",
            "list",
            "--tenant",
            "alpha",
            "--team",
            "exceptions",
            "--assignee",
            "none",
        ]);
        assert!(
            queue.contains("CASE-000001") && queue.contains("1 case(s)"),
            "{queue}"
        );

        let act = |who: &str, extra: &[&str]| {
            let mut args = vec!["cases", "act", "--tenant", "alpha", "--as", who];
            args.extend_from_slice(extra);
            e.run(&args)
        };
        let took = act("ann@provider.test", &["CASE-000001", "take"]);
        assert!(took.status.success(), "{}", text(&took.stderr));
        assert!(text(&took.stdout).contains(&format!("assignee user:{ann}")));
        // Bob decided on version 1; the case has moved on.
        let stale = act(
            "bob@provider.test",
            &["--if-version", "1", "1", "note", "mine now"],
        );
        assert_eq!(stale.status.code(), Some(1));
        assert!(
            text(&stale.stderr).contains("changed meanwhile"),
            "{}",
            text(&stale.stderr)
        );
        for step in [
            vec!["1", "note", "Depot says the box was wet"],
            vec!["1", "note", "--external", "We are on it"],
            vec!["1", "status", "waiting_customer"],
            vec!["1", "status", "open"],
        ] {
            let out = act("ann@provider.test", &step);
            assert!(out.status.success(), "{step:?}: {}", text(&out.stderr));
        }
        let bad = act("ann@provider.test", &["1", "resolve", "fixed"]);
        assert!(
            text(&bad.stderr).contains("unknown resolution code 'fixed'"),
            "{}",
            text(&bad.stderr)
        );
        let resolved = act("ann@provider.test", &["1", "resolve", "customer_informed"]);
        assert!(
            text(&resolved.stdout).contains("status resolved (customer_informed)"),
            "{}",
            text(&resolved.stdout)
        );
        let wrong = act("ann@provider.test", &["1", "status", "waiting_carrier"]);
        assert!(
            text(&wrong.stderr)
                .contains("a case in status resolved cannot change status to waiting_carrier"),
            "{}",
            text(&wrong.stderr)
        );
        let shown = e.ok(&["cases", "show", "--tenant", "alpha", "CASE-000001"]);
        for k in [
            "created",
            "assigned",
            "acknowledged",
            "note",
            "status_changed",
            "resolved",
        ] {
            assert!(shown.contains(k), "{k}: {shown}");
        }
        // What the client manager reads: no internal note.
        let as_client = e.ok(&[
            "cases",
            "show",
            "--tenant",
            "alpha",
            "CASE-000001",
            "--as",
            "cm@client.test",
        ]);
        assert!(
            !as_client.contains("box was wet") && as_client.contains("We are on it"),
            "{as_client}"
        );

        let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
        let tomorrow = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48))
            .strftime("%Y-%m-%d")
            .to_string();
        let report = e.ok(&[
            "report", "cases", "--tenant", "alpha", "--from", &today, "--to", &tomorrow, "--by",
            "type",
        ]);
        let row = report
            .lines()
            .find(|l| l.starts_with("damaged"))
            .unwrap_or_else(|| panic!("{report}"));
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!((cols[1], cols[2]), ("1", "1"), "opened and resolved: {row}");
        let json = e.ok(&[
            "report", "cases", "--tenant", "alpha", "--from", &today, "--to", &tomorrow, "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["total"]["first_contact_resolution"]["denominator"], 1);
        assert_eq!(v["total"]["reopen_rate"]["numerator"], 0);
        // By week: the one case in this week's row, whose window is the week's.
        let weekly = e.ok(&[
            "report", "cases", "--tenant", "alpha", "--from", &today, "--to", &tomorrow, "--by",
            "week", "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&weekly).unwrap();
        let groups = v["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 1, "{v}");
        assert!(groups[0]["key"].as_str().unwrap().contains("-W"), "{v}");
        assert_eq!(groups[0]["first_contact_resolution"]["denominator"], 1);
    }
}

#[tokio::test]
async fn settings_from_a_file_and_timers_at_an_instant() {
    for e in envs().await {
        let bad = e.write(
            "bad.toml",
            b"close_after_days = 0\n[calendars.office]\ntime_zone = \"Nowhere/Land\"\nhours = []\n[[policies.rules]]\nname = \"p\"\nresolution = { minutes = -1 }\n",
        );
        let out = e.run(&["cases", "set-settings", "--tenant", "alpha", &bad]);
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        for f in [
            "close_after_days",
            "calendars.office.time_zone",
            "policies.rules[0].resolution.minutes",
        ] {
            assert!(err.contains(f), "{f}: {err}");
        }
        let good = e.write(
            "good.toml",
            b"[[policies.rules]]\nname = \"fast\"\nfirst_response = { minutes = 10, business = false }\n",
        );
        assert!(
            e.ok(&["cases", "set-settings", "--tenant", "alpha", &good])
                .contains("version 1")
        );
        add_alpha_user(&e, "ann@provider.test", "Ann", "agent");
        import_shipments(
            &e,
            b"carrier,service_level,tracking_number,origin_city,origin_postal_code,origin_country,origin_time_zone,destination_city,destination_postal_code,destination_country,destination_time_zone,weight_kg,pieces\nUPSN,ground,1ZCLI2,Dallas,75201,US,America/Chicago,Austin,78701,US,America/Chicago,2.5,1\n",
        );
        open_damage_case(&e, "1ZCLI2", &["--description", "x"]);
        let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(30)).to_string();
        // The timers fire once at the instant; run again there, nothing is left to fire.
        for fired in [
            "1 warning(s), 1 breach(es), 1 escalation step(s)",
            "0 warning(s), 0 breach(es), 0 escalation step(s)",
        ] {
            let out = e.ok(&["cases", "timers", "--at", &later]);
            assert!(out.contains(fired), "{out}");
        }
    }
}

#[tokio::test]
async fn an_agent_overrides_a_delivered_shipment_and_its_history_shows_it() {
    for e in envs().await {
        add_alpha_user(&e, "ann@provider.test", "Ann", "agent");
        import_shipments(
            &e,
            b"carrier,service_level,tracking_number,origin_city,origin_postal_code,origin_country,origin_time_zone,destination_city,destination_postal_code,destination_country,destination_time_zone,weight_kg,pieces,picked_up_at,delivered_at\nUPSN,ground,1ZOVR1,Dallas,75201,US,America/Chicago,Austin,78701,US,America/Chicago,2.5,1,2026-11-18T15:00:00Z,2026-11-20T15:00:00Z\n",
        );
        let over = |extra: &[&str]| {
            let mut args = vec![
                "shipments",
                "override",
                "--tenant",
                "alpha",
                "--as",
                "ann@provider.test",
                "1ZOVR1",
            ];
            args.extend_from_slice(extra);
            e.run(&args)
        };
        let refused = over(&["--status", "lost", "--reason", " "]);
        assert_eq!(refused.status.code(), Some(1));
        assert!(
            text(&refused.stderr).contains("reason"),
            "{}",
            text(&refused.stderr)
        );
        let done = over(&[
            "--status",
            "lost",
            "--reason",
            "Customer has nothing; the POD shows another street",
        ]);
        assert!(done.status.success(), "{}", text(&done.stderr));
        let out = text(&done.stdout);
        assert!(out.starts_with("status lost"), "{out}");
        let shown = e.ok(&["shipments", "show", "--tenant", "alpha", "1ZOVR1"]);
        assert!(
            shown.contains("manual") && shown.contains("the POD shows another street"),
            "{shown}"
        );
        let trail = e.ok(&["audit", "verify"]);
        assert!(!trail.contains("broken"), "{trail}");
    }
}
