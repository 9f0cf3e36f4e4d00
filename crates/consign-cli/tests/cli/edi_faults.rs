//! `consign edi check` and `consign import edi` agree, fault class by fault class, in strict
//! and lenient mode: the exit status, the verdict and the acknowledgement (a 997 for a readable
//! interchange, a TA1 for one rejected at its envelope, none for bytes that are no interchange)
//! are the same, and an acknowledgement file is never written empty.

use super::*;

#[path = "../../../consign-edi/tests/edi/faults/ack_codes.rs"]
mod ack_codes;
use ack_codes::{codes, expected_codes};

fn fault_file(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../consign-edi/tests/edi/faults/{name}.x12"))
        .display()
        .to_string()
}

/// (exit code, acknowledgement codes, stdout) of one run writing its acknowledgement.
fn checked(e: &Env, args: &[&str], ack: &Path) -> (Option<i32>, Vec<String>, String) {
    let _ = std::fs::remove_file(ack);
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--ack-out", ack.to_str().unwrap()]);
    let out = e.run(&all);
    let written = std::fs::read_to_string(ack).ok();
    if let Some(w) = &written {
        assert!(!w.is_empty(), "{args:?}: an empty acknowledgement file");
    }
    (
        out.status.code(),
        written.as_deref().map(codes).unwrap_or_default(),
        text(&out.stdout),
    )
}

#[tokio::test]
async fn edi_check_and_import_agree_on_status_and_acknowledgement() {
    for e in envs().await {
        e.ok(&["tenant", "add", "beta", "--name", "Beta"]);
        e.ok(&[
            "carrier", "add", "--tenant", "beta", "--name", "UPS", "--scac", "UPSN", "--mode",
            "parcel",
        ]);
        for (tenant, lenient) in [("alpha", true), ("beta", false)] {
            let extra: &[&str] = if lenient { &["--lenient"] } else { &[] };
            e.add_edi_partner(tenant, "Acme WMS", ["ACMEWMS", "CONSIGN"], extra);
        }
        let ack = e.dir.path().join("ack.x12");
        // (file, lenient, exit, a phrase the report must hold); the codes: `expected_codes`
        let cases: [(&str, bool, i32, &str); 8] = [
            (
                "isa16_missing_940",
                true,
                0,
                "ISA16 (component separator) is missing",
            ),
            (
                "isa16_missing_940",
                false,
                1,
                "ISA16 (component separator) is missing",
            ),
            ("isa16_missing_crlf_940", true, 0, "ISA16"),
            ("wrapped_940", true, 0, "wrapped over 2 lines"),
            (
                "wrapped_940",
                false,
                1,
                "line break 0x0d inside the segment",
            ),
            (
                "gs01_mismatch_940",
                true,
                0,
                "GS01 OW, not in this 'IN' group",
            ),
            (
                "gs01_mismatch_940",
                false,
                1,
                "GS01 OW, not in this 'IN' group",
            ),
            ("clean_940", false, 0, "accepted"),
        ];
        for (name, lenient, exit, phrase) in cases {
            let want = expected_codes(name, lenient);
            let file = fault_file(name);
            let mut check = vec!["edi", "check", file.as_str()];
            if lenient {
                check.push("--lenient");
            }
            let (code, got, out) = checked(&e, &check, &ack);
            assert_eq!(code, Some(exit), "check {name} lenient={lenient}: {out}");
            assert_eq!(got, want, "check {name} lenient={lenient}: {out}");
            assert!(out.contains(phrase), "check {name}: {out}");

            let tenant = if lenient { "alpha" } else { "beta" };
            let (code, got, out) = checked(
                &e,
                &["import", "edi", file.as_str(), "--tenant", tenant],
                &ack,
            );
            assert_eq!(code, Some(exit), "import {name} lenient={lenient}: {out}");
            assert_eq!(got, want, "import {name} lenient={lenient}: {out}");
            assert!(out.contains(phrase), "import {name}: {out}");
        }

        // Bytes that are no interchange: a failure naming why, and no acknowledgement file.
        let junk = e.write("junk.x12", b"Hello, this is not X12\n");
        for args in [
            vec!["edi", "check", junk.as_str()],
            vec!["import", "edi", junk.as_str(), "--tenant", "alpha"],
        ] {
            let (code, got, out) = checked(&e, &args, &ack);
            assert_eq!(code, Some(1), "{args:?}: {out}");
            assert!(got.is_empty() && !ack.exists(), "{args:?}");
            assert!(
                out.contains("input does not begin with an ISA segment"),
                "{args:?}: {out}"
            );
        }
    }
}

/// A partner on 005010 may ask for the 999 instead of the 997: `edi check` and the intake
/// answer its 005010 groups with one (GS08 and ST03 `005010X231A1`), and its 004010 groups
/// still with a 997, for the 999 does not exist there.
#[tokio::test]
async fn a_partner_on_005010_gets_the_999_it_asks_for() {
    for e in envs().await {
        let isa = ["SENDER", "RECEIVER"];
        e.add_edi_partner("alpha", "Sender EDI", isa, &["--acknowledgement", "999"]);
        assert!(
            e.ok(&["edi", "partner", "list", "--tenant", "alpha"])
                .contains("ack=999")
        );
        let ack = e.dir.path().join("999.x12");
        let order = std::fs::read_to_string(fault_file("clean_940"))
            .unwrap()
            .replace("ACMEWMS        ", "SENDER         ")
            .replace("CONSIGN        ", "RECEIVER       ");
        let v5010 = order
            .replace("*U*00401*", "*^*00501*")
            .replace("*X*004010~", "*X*005010~");
        let file = e.write("order_5010.x12", v5010.as_bytes());
        for args in [
            vec!["edi", "check", file.as_str(), "--acknowledgement", "999"],
            vec!["import", "edi", file.as_str(), "--tenant", "alpha"],
        ] {
            let (code, _, out) = checked(&e, &args, &ack);
            assert_eq!(code, Some(0), "{args:?}: {out}");
            let written = std::fs::read_to_string(&ack).unwrap();
            for want in [
                "GS*FA*CONSIGN*ACMEWMS*",
                "*005010X231A1~",
                "ST*999*0001*005010X231A1~",
                "AK1*OW*101*005010~",
                "AK2*940*0001~",
                "IK5*A~",
                "AK9*A*1*1*1~",
            ] {
                assert!(written.contains(want), "{args:?}: no {want} in {written}");
            }
            assert!(!written.contains("ST*997"), "{written}");
        }
        // The same partner's 004010 group: a 997.
        let file = e.write(
            "order_4010.x12",
            order.replace("000000101", "000000201").as_bytes(),
        );
        let (code, got, out) = checked(
            &e,
            &["import", "edi", file.as_str(), "--tenant", "alpha"],
            &ack,
        );
        assert_eq!(code, Some(0), "{out}");
        assert_eq!(got, ["AK1*OW*101", "AK2*940*0001", "AK5*A", "AK9*A*1*1*1"]);
        assert!(std::fs::read_to_string(&ack).unwrap().contains("ST*997*"));
    }
}
