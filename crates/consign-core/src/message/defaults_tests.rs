//! The shipped templates against real cases, and the choice between a tenant's templates and
//! the defaults.

use super::tests::{Shape, context_for, template};
use super::*;
use std::collections::BTreeSet;

// The case types the defaults must cover: those of SPEC §3's shipment rules.
use crate::rules::SHIPMENT_CASE_TYPES as RULEBOOK_CASE_TYPES;

#[test]
fn the_default_rulebook_has_exactly_the_case_types_the_defaults_cover() {
    let book = crate::rules::Rulebook::parse(include_str!("../../rulebooks/default.toml")).unwrap();
    let types: BTreeSet<&str> = book.rules.iter().map(|r| r.case_type.as_str()).collect();
    assert_eq!(types, RULEBOOK_CASE_TYPES.into_iter().collect());
}

#[test]
fn every_default_checks_and_renders_with_and_without_shipment_order_and_eta() {
    let all = defaults();
    assert!(all.len() >= 20, "{} defaults", all.len());
    for t in all {
        t.check()
            .unwrap_or_else(|e| panic!("default {} ({}): {e}", t.name, t.case_type));
        assert_eq!(t.language, "en");
        let case_type = if t.is_for_any_case_type() {
            "damaged"
        } else {
            &t.case_type
        };
        for shape in [Shape::Full, Shape::ShipmentOnly, Shape::Bare] {
            let ctx = context_for(case_type, shape, "Jane Roe");
            let r = render(t, &ctx)
                .unwrap_or_else(|e| panic!("default {} ({}), {shape:?}: {e}", t.name, t.case_type));
            let text = &r.body_text;
            assert!(
                text.contains("CASE-000042"),
                "{}: no case reference\n{text}",
                t.name
            );
            assert!(!text.contains("\n\n\n") && !text.contains("none") && !text.contains("None"));
            assert!(!text.contains("{{") && !text.contains("{%"));
            assert!(
                !text.contains(" ,") && !text.contains(" ."),
                "{}: stray space\n{text}",
                t.name
            );
            if t.channel == Channel::Email && t.audience != Audience::Client {
                assert!(
                    text.contains("Northwind Outfitters"),
                    "{}: no sign-off\n{text}",
                    t.name
                );
            }
            match t.channel {
                Channel::Email => {
                    let subject = r.subject.as_deref().unwrap();
                    assert!(!subject.is_empty() && !subject.contains('\n'));
                    assert!(r.body_html.as_deref().unwrap().starts_with("<p>"));
                }
                Channel::Text => assert_eq!((r.subject, r.body_html), (None, None)),
            }
            if shape == Shape::Full {
                if t.audience == Audience::Customer {
                    assert!(text.starts_with("Dear Jane Roe,"), "{}\n{text}", t.name);
                    assert!(text.contains("Sam Carter"));
                }
                if t.audience != Audience::Client {
                    assert!(text.contains("1Z999AA10123456784") || text.contains("NW-58231"));
                }
            }
            if shape == Shape::Bare {
                assert!(!text.contains("Sam Carter") && !text.contains("1Z999"));
            }
        }
    }
}

/// With `trim_blocks`, the line break after a block tag goes: right for a tag alone on its
/// line, a lost line break after text (`…{% endif %}` at the end of a sentence).
#[test]
fn no_default_ends_a_line_of_text_with_a_block_tag() {
    for t in defaults() {
        for line in t.body.lines().map(str::trim) {
            if line.ends_with("%}") {
                assert!(
                    line.starts_with("{%") && line.matches("{%").count() == 1,
                    "{} ({}): {line}",
                    t.name,
                    t.case_type
                );
            }
        }
    }
}

#[test]
fn defaults_cover_every_case_type_and_the_named_messages() {
    let all = defaults();
    for case_type in RULEBOOK_CASE_TYPES {
        assert!(
            all.iter().any(|t| t.case_type == case_type),
            "no default for {case_type}"
        );
    }
    for (name, case_type, audience) in [
        ("delay_notice", "delay_risk", Audience::Customer),
        ("failed_delivery", "delivery_failed", Audience::Customer),
        ("address_check", "address_issue", Audience::Customer),
        (
            "damage_claim_acknowledgement",
            "damaged",
            Audience::Customer,
        ),
        ("carrier_chase", "stalled", Audience::Carrier),
        ("carrier_chase", "lost", Audience::Carrier),
        ("carrier_chase", "late_pickup", Audience::Carrier),
    ] {
        let t = pick(&[], all, case_type, audience, Channel::Email, "en").unwrap();
        assert_eq!((t.name.as_str(), t.case_type.as_str()), (name, case_type));
    }
    // A carrier can be chased over the portal for any case type, e.g. a silent carrier.
    let text = pick(
        &[],
        all,
        "carrier_silent",
        Audience::Carrier,
        Channel::Text,
        "en",
    )
    .unwrap();
    assert_eq!(
        (text.name.as_str(), text.case_type.as_str()),
        ("carrier_chase", "*")
    );
    // One template per slot.
    let slots: BTreeSet<_> = all
        .iter()
        .map(|t| {
            (
                &t.case_type,
                t.audience.as_str(),
                t.channel.as_str(),
                &t.language,
            )
        })
        .collect();
    assert_eq!(slots.len(), all.len());
}

#[test]
fn the_delay_notice_reads_as_written() {
    let t = pick(
        &[],
        defaults(),
        "delay_risk",
        Audience::Customer,
        Channel::Email,
        "en",
    )
    .unwrap();
    let r = render(t, &context_for("delay_risk", Shape::Full, "Jane Roe")).unwrap();
    assert_eq!(
        r.subject.as_deref(),
        Some("Your delivery for order NW-58231 is running late")
    );
    assert_eq!(
        r.body_text,
        "Dear Jane Roe,\n\
         \n\
         We are sorry to tell you that your order NW-58231 will arrive later than planned.\n\
         We had promised delivery by Mon 7 Dec 2026, 23:59 CST.\n\
         \n\
         United Parcel Service now expects to deliver it on Tue 8 Dec 2026, 17:00 CST.\n\
         \n\
         There is nothing you need to do. We are following the shipment closely and will write again if anything changes.\n\
         \n\
         Tracking number: 1Z999AA10123456784 (United Parcel Service)\n\
         Our reference: CASE-000042\n\
         \n\
         If you have any questions, write to us at care@northwind.example.\n\
         \n\
         Kind regards,\n\
         Sam Carter\n\
         Northwind Outfitters Customer Care"
    );
    // Without an ETA the other paragraph, without an agent no name line.
    let r = render(
        t,
        &context_for("delay_risk", Shape::ShipmentOnly, "Jane Roe"),
    )
    .unwrap();
    assert!(
        r.body_text
            .starts_with("Dear customer,\n\nWe are sorry to tell you that your shipment")
    );
    assert!(
        r.body_text
            .contains("has not yet given us a new delivery date")
    );
    assert!(
        r.body_text
            .ends_with("Kind regards,\nNorthwind Outfitters Customer Care")
    );
}

fn own(name: &str, case_type: &str, language: &str) -> Template {
    Template {
        name: name.into(),
        case_type: case_type.into(),
        language: language.into(),
        ..template(Channel::Email, Some("S"), "B")
    }
}

#[test]
fn pick_prefers_language_then_case_type_then_the_tenant() {
    let shipped = vec![
        own("shipped_delay", "delay_risk", "en"),
        own("shipped_any", "*", "en"),
    ];
    let pick_names = |tenant: &[Template], case_type: &str, language: &str| {
        pick(
            tenant,
            &shipped,
            case_type,
            Audience::Customer,
            Channel::Email,
            language,
        )
        .map(|t| t.name.clone())
    };
    // Defaults alone: exact type over `*`, English for any language.
    assert_eq!(
        pick_names(&[], "delay_risk", "de").as_deref(),
        Some("shipped_delay")
    );
    assert_eq!(
        pick_names(&[], "lost", "en").as_deref(),
        Some("shipped_any")
    );
    // The tenant's template for the same slot overrides the default.
    let tenant = [own("our_delay", "delay_risk", "en")];
    assert_eq!(
        pick_names(&tenant, "delay_risk", "en").as_deref(),
        Some("our_delay")
    );
    // A tenant's catch-all fills gaps; it does not hide a default written for the type.
    let tenant = [own("our_any", "*", "en")];
    assert_eq!(
        pick_names(&tenant, "delay_risk", "en").as_deref(),
        Some("shipped_delay")
    );
    assert_eq!(
        pick_names(&tenant, "lost", "en").as_deref(),
        Some("our_any")
    );
    // The reader's language first: requested, then its primary language, then English.
    let tenant = [
        own("ours_de_any", "*", "de"),
        own("ours_de_at", "delay_risk", "de-AT"),
        own("ours_fr", "delay_risk", "fr"),
    ];
    assert_eq!(
        pick_names(&tenant, "delay_risk", "de").as_deref(),
        Some("ours_de_any")
    );
    assert_eq!(
        pick_names(&tenant, "delay_risk", "de-AT").as_deref(),
        Some("ours_de_at")
    );
    assert_eq!(
        pick_names(&tenant, "lost", "de-CH").as_deref(),
        Some("ours_de_any")
    );
    assert_eq!(
        pick_names(&tenant, "delay_risk", "es").as_deref(),
        Some("shipped_delay")
    );
    // Audience and channel must match; nothing fits, nothing is picked.
    assert_eq!(
        pick(
            &[],
            &shipped,
            "delay_risk",
            Audience::Carrier,
            Channel::Email,
            "en"
        ),
        None
    );
    assert_eq!(
        pick(
            &[],
            &shipped,
            "delay_risk",
            Audience::Customer,
            Channel::Text,
            "en"
        ),
        None
    );
}
