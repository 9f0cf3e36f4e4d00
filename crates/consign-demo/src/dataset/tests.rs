//! The generator's tests: determinism, the published plan, and that every generated row is
//! one the importer accepts with the documented shapes.

use super::tracking_numbers::{mod10_check_digit, ups_check_digit};
use super::*;
use jiff::tz::TimeZone;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use tempfile::TempDir;

fn config(orders: usize) -> GenConfig {
    GenConfig {
        seed: 42,
        orders,
        days: 60,
        now: "2026-10-01T14:03:27.5Z".parse().unwrap(),
    }
}

struct Table {
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    fn read(path: &Path) -> Self {
        let mut r = csv::Reader::from_path(path).unwrap();
        let header = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r.records().map(Result::unwrap).collect();
        Self { header, rows }
    }
    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }
    fn get<'r>(&self, row: &'r csv::StringRecord, name: &str) -> &'r str {
        &row[self.col(name)]
    }
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn generated(orders: usize) -> (TempDir, GenSummary) {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&config(orders), dir.path()).unwrap();
    (dir, summary)
}

#[test]
fn same_config_gives_same_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sa = generate(&config(1500), a.path()).unwrap();
    let sb = generate(&config(1500), b.path()).unwrap();
    assert_eq!(sa, sb);
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert_eq!(fa.len(), 5, "{:?}", fa.keys());
    assert!(fa == fb, "generated files differ between runs");

    let c = tempfile::tempdir().unwrap();
    generate(
        &GenConfig {
            seed: 43,
            ..config(1500)
        },
        c.path(),
    )
    .unwrap();
    assert_ne!(
        files(c.path())["northwind/orders.csv"],
        fa["northwind/orders.csv"]
    );
}

#[test]
fn summary_and_tenant_file_match_the_plan() {
    let (dir, summary) = generated(1000);
    assert_eq!(summary.orders, 1000);
    let plans: Vec<TenantPlan> =
        serde_json::from_slice(&fs::read(dir.path().join("tenants.json")).unwrap()).unwrap();
    assert_eq!(plans, tenant_plans());
    assert_eq!(summary.tenants, plans);
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0].carriers, plans[1].carriers);
    for p in &plans {
        assert_eq!(p.carriers.len(), 5);
        assert!((1..=2).contains(&p.warehouses.len()));
        assert!(TimeZone::get(&p.time_zone).is_ok());
        for c in &p.carriers {
            assert!(
                (2..=4).contains(&c.scac.len()) && c.scac.bytes().all(|b| b.is_ascii_uppercase())
            );
            assert!(["parcel", "ltl", "ftl"].contains(&c.mode.as_str()));
        }
        for w in &p.warehouses {
            assert!(TimeZone::get(&w.time_zone).is_ok());
        }
    }

    let mut orders = 0;
    let mut lines = 0;
    let mut shipments = 0;
    for p in &plans {
        let o = Table::read(&dir.path().join(&p.slug).join("orders.csv"));
        lines += o.rows.len();
        orders += o
            .rows
            .iter()
            .map(|r| o.get(r, "external_ref"))
            .collect::<HashSet<_>>()
            .len();
        shipments += Table::read(&dir.path().join(&p.slug).join("shipments.csv"))
            .rows
            .len();
    }
    assert_eq!(
        (orders, lines, shipments),
        (summary.orders, summary.order_lines, summary.shipments)
    );
    assert!(summary.shipments > 800, "{summary:?}");
}

/// The field names listed in one section's table of docs/import.md.
fn documented_columns(section: &str) -> Vec<String> {
    let doc =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/import.md")).unwrap();
    let start = doc.find(&format!("### {section}")).unwrap();
    let body = &doc[start + 4..];
    let body = &body[..body.find("\n#").unwrap_or(body.len())];
    body.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("| field") && !l.starts_with("|---"))
        .flat_map(|l| {
            l.split('|')
                .nth(1)
                .unwrap()
                .split(',')
                .map(|f| f.trim().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn headers_are_the_documented_columns() {
    let (dir, _) = generated(50);
    for (file, section) in [
        ("orders.csv", "orders.csv"),
        ("shipments.csv", "shipments.csv"),
    ] {
        let mut documented = documented_columns(section);
        assert!(documented.len() > 10, "{documented:?}");
        let mut written = Table::read(&dir.path().join("northwind").join(file)).header;
        documented.sort();
        written.sort();
        assert_eq!(written, documented, "{file}");
    }
    assert_eq!(documented_columns("orders.csv"), ORDER_COLUMNS);
    assert_eq!(documented_columns("shipments.csv"), SHIPMENT_COLUMNS);
}

struct OrderInfo {
    quantities: Vec<u32>,
    ordered_at: Timestamp,
    promised_by: Timestamp,
}

fn read_orders(dir: &Path, slug: &str) -> HashMap<String, OrderInfo> {
    let t = Table::read(&dir.join(slug).join("orders.csv"));
    let mut orders: HashMap<String, OrderInfo> = HashMap::new();
    let mut last = String::new();
    for row in &t.rows {
        let r = t.get(row, "external_ref").to_string();
        if r != last {
            // Rows of one order are contiguous; a reference seen again later is a duplicate.
            assert!(!orders.contains_key(&r), "external_ref {r} used twice");
            orders.insert(
                r.clone(),
                OrderInfo {
                    quantities: vec![],
                    ordered_at: t.get(row, "ordered_at").parse().unwrap(),
                    promised_by: t.get(row, "promised_by").parse().unwrap(),
                },
            );
            last = r.clone();
        }
        orders
            .get_mut(&r)
            .unwrap()
            .quantities
            .push(t.get(row, "quantity").parse().unwrap());
    }
    orders
}

#[test]
fn external_refs_are_unique_and_prefixed_per_tenant() {
    let (dir, _) = generated(3000);
    let nw = read_orders(dir.path(), "northwind");
    let ac = read_orders(dir.path(), "acme-industrial");
    assert_eq!(nw.len() + ac.len(), 3000);
    assert!(
        nw.len() > 1900 && ac.len() > 800,
        "{} {}",
        nw.len(),
        ac.len()
    );
    assert!(
        nw.keys()
            .all(|r| r.starts_with("NW-") && r[3..].parse::<u64>().is_ok())
    );
    assert!(
        ac.keys()
            .all(|r| r.starts_with("AC-") && r[3..].parse::<u64>().is_ok())
    );
}

#[test]
fn shipments_never_carry_more_than_was_ordered() {
    let (dir, _) = generated(3000);
    let mut splits = 0;
    for p in tenant_plans() {
        let orders = read_orders(dir.path(), &p.slug);
        let t = Table::read(&dir.path().join(&p.slug).join("shipments.csv"));
        let mut shipped: HashMap<&str, Vec<u32>> = HashMap::new();
        let mut whole: HashMap<&str, usize> = HashMap::new();
        let mut per_order: HashMap<&str, usize> = HashMap::new();
        for row in &t.rows {
            let r = t.get(row, "order");
            let o = orders
                .get(r)
                .unwrap_or_else(|| panic!("shipment for unknown order {r}"));
            *per_order.entry(r).or_default() += 1;
            let lines = t.get(row, "lines");
            if lines.is_empty() {
                *whole.entry(r).or_default() += 1;
                continue;
            }
            let done = shipped
                .entry(r)
                .or_insert_with(|| vec![0; o.quantities.len()]);
            for pair in lines.split(';') {
                let (n, q) = pair.split_once(':').unwrap();
                let (n, q): (usize, u32) = (n.parse().unwrap(), q.parse().unwrap());
                assert!(n >= 1 && n <= o.quantities.len(), "{r} has no line {n}");
                assert!(q >= 1);
                done[n - 1] += q;
            }
        }
        for (r, done) in &shipped {
            splits += 1;
            for (q, ordered) in done.iter().zip(&orders[*r].quantities) {
                assert!(
                    q <= ordered,
                    "{r}: shipped {done:?} of {:?}",
                    orders[*r].quantities
                );
            }
            assert!(
                !whole.contains_key(r),
                "{r} mixes explicit and implicit lines"
            );
        }
        // "All unshipped lines" is only unambiguous when it is the order's only shipment.
        for r in whole.keys() {
            assert_eq!(per_order[r], 1, "{r}");
        }
    }
    assert!(splits > 0, "no split shipments generated");
}

#[test]
fn timestamps_respect_now_and_each_other() {
    let cfg = config(3000);
    let (dir, _) = generated(3000);
    let now = cfg.now;
    let (mut delivered, mut on_time) = (0, 0);
    for p in tenant_plans() {
        let orders = read_orders(dir.path(), &p.slug);
        for o in orders.values() {
            assert!(o.ordered_at < now);
            assert!(o.ordered_at > now - jiff::SignedDuration::from_hours(24 * (cfg.days + 1)));
            assert!(o.promised_by > o.ordered_at);
            assert_eq!(o.ordered_at.subsec_nanosecond(), 0);
        }
        let t = Table::read(&dir.path().join(&p.slug).join("shipments.csv"));
        for row in &t.rows {
            let ts = |name: &str| -> Option<Timestamp> {
                let v = t.get(row, name);
                (!v.is_empty()).then(|| {
                    assert!(v.ends_with('Z') && v.len() == 20, "{name} = {v}");
                    v.parse().unwrap()
                })
            };
            let o = &orders[t.get(row, "order")];
            let planned = ts("planned_pickup_at").unwrap();
            let promised = ts("promised_by").unwrap();
            assert!(planned > o.ordered_at && promised >= o.promised_by);
            let picked = ts("picked_up_at");
            let done = ts("delivered_at");
            if let Some(p) = picked {
                assert!(p < now && p > o.ordered_at);
            }
            if let Some(d) = done {
                let p = picked.expect("delivered without a pickup");
                assert!(d < now && d >= p);
                delivered += 1;
                on_time += usize::from(d <= promised);
            }
        }
    }
    let share = on_time as f64 / delivered as f64;
    assert!(
        delivered > 1000 && (0.85..0.97).contains(&share),
        "{on_time}/{delivered}"
    );
}

#[test]
fn values_have_the_documented_shapes() {
    let (dir, _) = generated(3000);
    let mut seen: HashMap<String, HashSet<String>> = HashMap::new();
    let mut modes = HashSet::new();
    let mut foreign = 0;
    for p in tenant_plans() {
        let o = Table::read(&dir.path().join(&p.slug).join("orders.csv"));
        for row in &o.rows {
            let price = o.get(row, "unit_price");
            let (_, cents) = price.split_once('.').unwrap();
            assert_eq!(cents.len(), 2, "{price}");
            assert!(o.get(row, "quantity").parse::<u32>().unwrap() >= 1);
            assert!(["b2c", "b2b"].contains(&o.get(row, "channel")));
            let email = o.get(row, "customer_email");
            assert!(email.is_empty() || email.contains('@'));
            let country = o.get(row, "ship_to_country");
            assert!(["US", "CA", "MX"].contains(&country));
            assert!(!o.get(row, "ship_to_postal_code").is_empty());
        }
        let t = Table::read(&dir.path().join(&p.slug).join("shipments.csv"));
        for row in &t.rows {
            let carrier = t.get(row, "carrier");
            let mode = &p.carriers.iter().find(|c| c.scac == carrier).unwrap().mode;
            modes.insert(mode.clone());
            let weight = t.get(row, "weight_kg");
            let kg: f64 = weight.parse().unwrap();
            assert!(
                weight.split_once('.').is_none_or(|(_, d)| d.len() <= 3),
                "{weight}"
            );
            match mode.as_str() {
                "parcel" => assert!((0.2..=30.0).contains(&kg), "{weight}"),
                "ltl" => assert!((100.0..=2000.0).contains(&kg), "{weight}"),
                _ => assert!((5000.0..=20000.0).contains(&kg), "{weight}"),
            }
            assert_eq!(t.get(row, "pod_required") == "true", mode != "parcel");
            // Freight has a bill of lading; an LTL carrier's tracking number is its PRO.
            assert_eq!(!t.get(row, "bol_number").is_empty(), mode != "parcel");
            let pro = t.get(row, "pro_number");
            match mode.as_str() {
                "ltl" => assert_eq!(pro, t.get(row, "tracking_number")),
                _ => assert!(pro.is_empty(), "{pro}"),
            }
            let international = t.get(row, "destination_country") != "US";
            assert_eq!(t.get(row, "international") == "true", international);
            foreign += usize::from(international);
            for zone in [
                t.get(row, "origin_time_zone"),
                t.get(row, "destination_time_zone"),
            ] {
                assert!(TimeZone::get(zone).is_ok(), "{zone}");
            }
            let number = t.get(row, "tracking_number").to_string();
            let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
            match carrier {
                "UPSN" => {
                    assert!(number.len() == 18 && number.starts_with("1Z"), "{number}");
                    assert_eq!(
                        ups_check_digit(&number[2..17]),
                        u32::from(number.as_bytes()[17] - b'0')
                    );
                }
                "FDEG" => assert!(number.len() == 12 && digits(&number), "{number}"),
                "USPS" => {
                    assert!(number.len() == 22 && digits(&number), "{number}");
                    assert_eq!(
                        mod10_check_digit(&number[..21]),
                        u32::from(number.as_bytes()[21] - b'0')
                    );
                }
                "ODFL" => assert!(number.len() == 10 && digits(&number), "{number}"),
                "JBHT" => {
                    assert!(number.len() == 10 && number.starts_with('L') && digits(&number[1..]))
                }
                other => panic!("unexpected carrier {other}"),
            }
            assert!(
                seen.entry(carrier.to_string())
                    .or_default()
                    .insert(number.clone()),
                "{carrier} {number} twice"
            );
        }
    }
    assert_eq!(modes.len(), 3, "{modes:?}");
    assert!(foreign > 0);
}

#[test]
fn check_digits_match_published_examples() {
    // UPS's own sample number 1Z 999 AA1 01 2345 678 4, and the UPC-A 0 36000 29145 2.
    assert_eq!(ups_check_digit("999AA1012345678"), 4);
    assert_eq!(mod10_check_digit("03600029145"), 2);
}

#[test]
fn the_importer_accepts_every_generated_row() {
    use consign_app::import::{Format, read_orders, read_shipments};
    let now = config(0).now;
    let (dir, _) = generated(1500);
    for p in tenant_plans() {
        let bytes = fs::read(dir.path().join(&p.slug).join("orders.csv")).unwrap();
        let orders = read_orders(&bytes, Format::Csv, None)
            .unwrap_or_else(|e| panic!("{}: {:?}", p.slug, &e[..e.len().min(5)]));
        assert!(
            orders.errors.is_empty(),
            "{}: {:?}",
            p.slug,
            &orders.errors[..orders.errors.len().min(5)]
        );
        for o in orders.rows {
            if let Err(e) = o.order.accept(now) {
                panic!("{} orders.csv line {}: {e:?}", p.slug, o.line);
            }
        }
        let bytes = fs::read(dir.path().join(&p.slug).join("shipments.csv")).unwrap();
        let shipments = read_shipments(&bytes, Format::Csv, None)
            .unwrap_or_else(|e| panic!("{}: {:?}", p.slug, &e[..e.len().min(5)]));
        assert!(
            shipments.errors.is_empty(),
            "{}: {:?}",
            p.slug,
            &shipments.errors[..shipments.errors.len().min(5)]
        );
        for s in shipments.rows {
            let invalid = s.shipment.validate(now);
            assert!(
                invalid.is_empty(),
                "{} shipments.csv line {}: {invalid:?}",
                p.slug,
                s.line
            );
        }
    }
}

#[test]
fn rejects_out_of_range_windows() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        generate(
            &GenConfig {
                days: 0,
                ..config(10)
            },
            dir.path()
        )
        .is_err()
    );
    let early = GenConfig {
        now: "2000-01-05T00:00:00Z".parse().unwrap(),
        ..config(10)
    };
    assert!(generate(&early, dir.path()).is_err());
}

#[test]
fn zero_orders_writes_headers_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = generate(&config(0), dir.path()).unwrap();
    assert_eq!((s.orders, s.shipments), (0, 0));
    let t = Table::read(&dir.path().join("acme-industrial").join("shipments.csv"));
    assert!(t.rows.is_empty());
    assert_eq!(t.header, SHIPMENT_COLUMNS);
}
