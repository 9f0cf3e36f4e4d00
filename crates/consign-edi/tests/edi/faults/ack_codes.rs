//! The codes of an acknowledgement answering one of these fault files, for the tests that
//! compare how the CLI and the HTTP intake answer them (`consign-cli` and `consign-web` include
//! this file with `#[path]`): AK segments whole, and the TA1's status and note, without what
//! differs between runs (dates, control numbers), and the codes each file is answered with.

pub fn codes(ack: &str) -> Vec<String> {
    ack.split('~')
        .map(str::trim)
        .filter_map(|seg| match seg.split('*').next()? {
            "AK1" | "AK2" | "AK3" | "AK4" | "AK5" | "AK9" => Some(seg.to_string()),
            "TA1" => Some(format!(
                "TA1*{}",
                seg.split('*').skip(4).collect::<Vec<_>>().join("*")
            )),
            _ => None,
        })
        .collect()
}

/// The acknowledgement codes fault file `name` is answered with, read strictly or leniently.
pub fn expected_codes(name: &str, lenient: bool) -> &'static [&'static str] {
    const ACCEPTED: &[&str] = &["AK1*OW*101", "AK2*940*0001", "AK5*A", "AK9*A*1*1*1"];
    match (name, lenient) {
        ("clean_940", _) | ("isa16_missing_940" | "isa16_missing_crlf_940", true) => ACCEPTED,
        ("isa16_missing_940", false) => &["TA1*R*027"],
        ("wrapped_940", true) => ACCEPTED,
        ("wrapped_940", false) => &[
            "AK1*OW*101",
            "AK2*940*0001",
            "AK3*N1*3**8",
            "AK4*2**6",
            "AK3*W66*7**8",
            "AK4*5**6",
            "AK5*R*5",
            "AK9*R*1*1*0",
        ],
        ("gs01_mismatch_940", true) => &["AK1*IN*101", "AK2*940*0001", "AK5*E*6", "AK9*E*1*1*1"],
        ("gs01_mismatch_940", false) => &["AK1*IN*101", "AK2*940*0001", "AK5*R*6", "AK9*R*1*1*0"],
        _ => panic!("no expected acknowledgement for {name} (lenient: {lenient})"),
    }
}
