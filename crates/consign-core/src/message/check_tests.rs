//! What `Template::check` refuses, and how it says so.

use super::tests::{email, template};
use super::*;

#[test]
fn an_unknown_variable_is_refused_by_name_with_a_suggestion() {
    let t = email("Hello,\n\nyour case is {{ case.numbr }}.\n{{ shipment.eta.day }}{{ carrier }}");
    let err = t.check().unwrap_err();
    let reasons: Vec<_> = err
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "body",
                "line 4: unknown variable 'carrier'; see the list of message variables"
            ),
            (
                "body",
                "line 3: unknown variable 'case.numbr'; did you mean 'case.number'?"
            ),
            (
                "body",
                "line 4: unknown variable 'shipment.eta.day'; see the list of message variables"
            ),
        ]
    );
    // In the subject too, under its own field; functions are names nobody defined.
    let t = template(
        Channel::Email,
        Some("{{ tenant.nme }} {{ range(3) }}"),
        "Hi",
    );
    assert_eq!(t.check().unwrap_err().fields(), ["subject", "subject"]);
}

#[test]
fn a_syntax_error_names_its_line() {
    let t = email(
        "Dear {{ order.customer_name }},\n\n{% if case.number %}\nYour case is open.\n\n\
         {% if shipment %}{% endif %}\nKind regards\n",
    );
    let err = t.check().unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert_eq!(err.errors[0].field, "body");
    assert_eq!(
        err.errors[0].reason,
        "line 3: syntax error: '{% if %}' is never closed with '{% endif %}' \
         (unexpected end of input, expected end of block)"
    );
    // Other syntax errors are where the engine finds them.
    let t = email("Hello\n{% if case.number %}x{% endif %}\n{{ case.number | }}\n");
    let reason = &t.check().unwrap_err().errors[0].reason;
    assert!(reason.starts_with("line 3: syntax error: "), "{reason}");
    let t = email("Hello\n{% endif %}");
    let reason = &t.check().unwrap_err().errors[0].reason;
    assert_eq!(reason, "line 2: syntax error: unknown statement endif");

    let t = template(Channel::Email, Some("About {{ case.number"), "Body");
    let err = t.check().unwrap_err();
    assert_eq!(err.errors[0].field, "subject");
    assert!(
        err.errors[0].reason.starts_with("line 1: syntax error"),
        "{err}"
    );
}

#[test]
fn unknown_filters_and_tests_are_refused_even_on_paths_samples_do_not_take() {
    let t = email(
        "{% if case.severity == 'critical' %}\n{{ case.number|shout }}\n{% endif %}\n\
         {% if shipment.eta is odd %}x{% endif %}",
    );
    let reasons: Vec<_> = t
        .check()
        .unwrap_err()
        .errors
        .into_iter()
        .map(|e| e.reason)
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].starts_with("line 2: unknown filter 'shout'; the filters are upper,"));
    assert!(reasons[1].starts_with("line 4: unknown test 'odd'; the tests are defined,"));
    // Filters used wrongly show when the samples render.
    let t = email("{{ case.number|replace('CASE') }}");
    let reason = &t.check().unwrap_err().errors[0].reason;
    assert!(reason.starts_with("line 1: "), "{reason}");
    // Escaping belongs to the renderer.
    let t = email("Hi\n{% autoescape true %}{{ order.customer_name }}{% endautoescape %}");
    let reasons: Vec<_> = t
        .check()
        .unwrap_err()
        .errors
        .into_iter()
        .map(|e| e.reason)
        .collect();
    assert_eq!(reasons.len(), 2);
    assert!(reasons[0].starts_with(
        "line 2: '{% autoescape %}' is not available in messages; the statements are if, "
    ));
    // Known ones pass.
    email("{{ order.customer_name|default('customer')|title|trim }} {% if reply_to is none %}-{% endif %}")
        .check()
        .unwrap();
}

#[test]
fn subjects_belong_to_email_only_and_lengths_are_limited() {
    let no_subject = template(Channel::Email, None, "Hello");
    let err = no_subject.check().unwrap_err();
    assert_eq!(err.errors[0].field, "subject");
    assert_eq!(err.errors[0].reason, "an e-mail template needs a subject");
    assert_eq!(
        template(Channel::Email, Some("  "), "Hi")
            .check()
            .unwrap_err()
            .fields(),
        ["subject"]
    );
    assert_eq!(
        template(Channel::Email, Some("a\nb"), "Hi")
            .check()
            .unwrap_err()
            .fields(),
        ["subject"]
    );
    assert_eq!(
        template(Channel::Text, Some("Hi"), "Hi")
            .check()
            .unwrap_err()
            .fields(),
        ["subject"]
    );
    template(Channel::Text, None, "Hi {{ case.number }}")
        .check()
        .unwrap();
    template(Channel::Text, Some(""), "Hi").check().unwrap();

    let long_subject = "x".repeat(201);
    let err = template(Channel::Email, Some(&long_subject), "Hi")
        .check()
        .unwrap_err();
    assert_eq!(
        err.errors[0].reason,
        "201 characters is above the limit of 200"
    );
    template(Channel::Email, Some(&"é".repeat(200)), "Hi")
        .check()
        .unwrap();
    let err = email(&"y".repeat(20_001)).check().unwrap_err();
    assert_eq!(err.fields(), ["body"]);
    assert_eq!(email("  \n").check().unwrap_err().fields(), ["body"]);
}

#[test]
fn names_case_types_and_languages_are_words() {
    let mut t = email("Hi");
    t.name = "Delay Notice".into();
    t.case_type = "delay-risk".into();
    t.language = "English".into();
    assert_eq!(
        t.check().unwrap_err().fields(),
        ["name", "case_type", "language"]
    );
    t.name = "delay_notice".into();
    t.case_type = "*".into();
    t.language = "pt-BR".into();
    t.check().unwrap();
}

#[test]
fn a_runaway_template_runs_out_of_fuel() {
    let t = email(
        "{% for a in case.description %}{% for b in case.description %}{% for c in case.description %}\
         .{% endfor %}{% endfor %}{% endfor %}",
    );
    let reason = &t.check().unwrap_err().errors[0].reason;
    assert!(reason.contains("fuel"), "{reason}");
}
