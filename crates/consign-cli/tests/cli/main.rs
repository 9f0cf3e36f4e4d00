//! The `consign` binary end to end, on SQLite and PostgreSQL: administration, imports with
//! their error reports, re-import as a no-op, and audit verification after tampering.

/// Asserts that `text` holds `phrase`, showing the whole text when it does not.
macro_rules! holds {
    ($text:expr, $phrase:expr) => {
        assert!($text.contains($phrase), "{}", $text)
    };
}

mod cases;
mod crash;
mod edi_faults;
mod kpis;
mod outbox;
mod outbox_crash;
mod tracking;

use consign_store::testing::fresh_postgres_url;
use std::path::Path;
use std::process::{Command, Output};

struct Env {
    url: String,
    dir: tempfile::TempDir,
}

impl Env {
    fn run(&self, args: &[&str]) -> Output {
        consign_in(self.dir.path())
            .args(["--database-url", &self.url, "--data-dir"])
            .arg(self.dir.path())
            .args(args)
            .output()
            .expect("run consign")
    }
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "consign {args:?} failed:\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }
    fn write(&self, name: &str, content: &[u8]) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p.display().to_string()
    }
    async fn store(&self) -> consign_store::DynStore {
        consign_store::open(&self.url).await.unwrap()
    }
    /// `consign import <kind> <file> --tenant alpha` and any `extra` flags, which must succeed;
    /// what it printed.
    fn import_into_alpha(&self, kind: &str, file: &str, extra: &[&str]) -> String {
        self.ok(&import_args(kind, file, extra))
    }
    /// The same import as [`Env::import_into_alpha`], for the ones that are to be refused.
    fn try_import_into_alpha(&self, kind: &str, file: &str, extra: &[&str]) -> Output {
        self.run(&import_args(kind, file, extra))
    }
    /// `consign token create --role <role>` with any `extra` flags: the new token, trimmed.
    fn create_token(&self, role: &str, extra: &[&str]) -> String {
        let mut all = vec!["token", "create", "--role", role];
        all.extend_from_slice(extra);
        self.ok(&all).trim().to_string()
    }
    /// The engine's name, for the figures the long tests print.
    fn engine(&self) -> &'static str {
        if self.url.starts_with("sqlite") {
            "sqlite"
        } else {
            "postgres"
        }
    }
    /// `consign edi partner add` in `tenant` for a carrier partner of UPSN named `name`, its
    /// interchanges from ZZ:`isa[0]` to `isa[1]`, with any `extra` flags.
    fn add_edi_partner(&self, tenant: &str, name: &str, isa: [&str; 2], extra: &[&str]) {
        let [isa_id, our_isa_id] = isa;
        let mut args = vec![
            "edi",
            "partner",
            "add",
            "--tenant",
            tenant,
            "--name",
            name,
            "--isa-qualifier",
            "ZZ",
            "--isa-id",
            isa_id,
            "--our-isa-id",
            our_isa_id,
            "--kind",
            "carrier",
            "--carrier",
            "UPSN",
        ];
        args.extend_from_slice(extra);
        self.ok(&args);
    }
    /// The store and the tenant `alpha` every environment starts with.
    async fn alpha(&self) -> (consign_store::DynStore, consign_core::tenant::Tenant) {
        let store = self.store().await;
        let t = store.tenant_by_slug("alpha").await.unwrap().unwrap();
        (store, t)
    }
}

/// The arguments of an import into tenant `alpha`.
fn import_args<'a>(kind: &'a str, file: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["import", kind, file, "--tenant", "alpha"];
    args.extend_from_slice(extra);
    args
}

/// A pseudo-random number from the clock, for the moment of a kill: every cycle is checked
/// whatever its moment, so nothing needs a seed to reproduce.
fn jitter(range: std::ops::Range<u64>) -> u64 {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    range.start + n % (range.end - range.start)
}

/// Runs a kill -9 test's `cycles` on every engine, and gives each engine's name and the
/// figures its cycles counted to `check`.
async fn kill_9_on_every_engine<F>(
    cycles: impl AsyncFn(&Env, &'static str) -> F,
    check: impl Fn(&str, F),
) {
    for e in envs().await {
        let engine = e.engine();
        check(engine, cycles(&e, engine).await);
    }
}

/// What every kill -9 run must show, whatever it kills, in the test's own numbers and words.
struct KillRun {
    /// The kills, and what the test calls them.
    kills: (usize, &'static str),
    /// The work sent, and the least that makes the run mean something.
    traffic: (usize, usize),
    /// Whether a kill caught work in flight, and what to say when none did.
    caught: (bool, &'static str),
}

/// Asserts a [`KillRun`] on `engine`: at least three kills, more traffic than the least, and
/// a kill that caught work in flight; `figures` are shown when one fails.
fn assert_kill_run(engine: &str, figures: &impl std::fmt::Debug, run: KillRun) {
    let (kills, named) = run.kills;
    assert!(kills >= 3, "{engine}: only {kills} {named}");
    let (sent, least) = run.traffic;
    assert!(sent > least, "{engine}: too little traffic: {figures:?}");
    let (caught, otherwise) = run.caught;
    assert!(caught, "{engine}: {otherwise}: {figures:?}");
}

/// The `consign` binary run in `dir`, without a config file from the environment.
fn consign_in(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_consign"));
    c.env_remove("CONSIGN_CONFIG").current_dir(dir);
    c
}

/// A `consign serve` child process and its base URL; dropped, it is killed with SIGKILL.
struct Server(std::process::Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(e: &Env) -> Server {
    serve_with(e, &[])
}

/// Starts `consign serve` on a free port with extra environment variables.
fn serve_with(e: &Env, vars: &[(&str, String)]) -> Server {
    use std::io::{BufRead, BufReader};
    let mut child = consign_in(e.dir.path())
        .args(["--database-url", &e.url, "--data-dir"])
        .arg(e.dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CONSIGN_REQUESTS_PER_MINUTE", "0")
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let l = lines.next().expect("serve prints its address").unwrap();
        if let Some(rest) = l.strip_prefix("Consign is serving on ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    Server(child, base)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// SQLite always; PostgreSQL when reachable (required under CI=true).
async fn envs() -> Vec<Env> {
    let mut v = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    v.push(Env {
        url: format!("sqlite://{}", dir.path().join("c.db").display()),
        dir,
    });
    if let Some(url) = fresh_postgres_url().await {
        v.push(Env {
            url,
            dir: tempfile::tempdir().unwrap(),
        });
    }
    for e in &v {
        e.ok(&[
            "tenant",
            "add",
            "alpha",
            "--name",
            "Alpha Goods",
            "--time-zone",
            "America/Chicago",
        ]);
        e.ok(&[
            "carrier", "add", "--tenant", "alpha", "--name", "UPS", "--scac", "UPSN", "--mode",
            "parcel",
        ]);
    }
    v
}

const ORDERS_HEADER: &str = "external_ref,customer_name,customer_email,ship_to_line1,ship_to_city,ship_to_region,ship_to_postal_code,ship_to_country,channel,ordered_at,promised_by,sku,quantity,unit_price\n";

fn good_orders() -> String {
    format!(
        "{ORDERS_HEADER}\
PO-1,Ann Lee,ann@example.com,1 Main St,Austin,TX,78701,US,b2c,2026-01-05T10:00:00Z,2026-01-09T00:00:00Z,SKU-1,2,9.99\n\
PO-1,Ann Lee,ann@example.com,1 Main St,Austin,TX,78701,US,b2c,2026-01-05T10:00:00Z,2026-01-09T00:00:00Z,SKU-2,1,5.00\n\
PO-2,Bo Chan,,9 Elm St,Dallas,TX,75201,US,b2b,2026-01-06T10:00:00Z,,SKU-3,40,1.25\n"
    )
}

async fn orders_in(e: &Env) -> i64 {
    let (store, t) = e.alpha().await;
    store.count_orders(t.id).await.unwrap()
}

#[tokio::test]
async fn a_bad_file_is_reported_row_by_row_and_commits_nothing() {
    for e in envs().await {
        let bad = format!(
            "{ORDERS_HEADER}\
PO-1,Ann Lee,,1 Main St,Austin,TX,78701,US,b2c,2026-01-05T10:00:00Z,,SKU-1,2,9.99\n\
PO-2,Bo Chan,,9 Elm St,Dallas,TX,75201,US,b2x,2026-01-06T10:00:00Z,,SKU-3,-4,1.25\n\
PO-3,Cy Dee,,5 Oak St,Waco,TX,76701,USA,b2c,20260107,,SKU-4,1,1.001\n"
        );
        let f = e.write("bad.csv", bad.as_bytes());
        let out = e.try_import_into_alpha("orders", &f, &[]);
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        holds!(err, "problem(s); nothing was imported");
        holds!(err, "line 3, channel: unknown channel 'b2x'");
        holds!(
            err,
            "line 4, ordered_at: '20260107' is not an RFC 3339 timestamp"
        );
        // Value problems found by validation after parsing, with the file's line and column.
        let f2 = e.write(
            "bad2.csv",
            format!("{ORDERS_HEADER}PO-2,Bo Chan,,9 Elm St,Dallas,TX,75201,US,b2b,2026-01-06T10:00:00Z,,SKU-3,-4,1.25\nPO-3,Cy Dee,,5 Oak St,Waco,TX,76701,USA,b2c,2026-01-07T00:00:00Z,,SKU-4,1,1.001\n").as_bytes(),
        );
        let out = e.try_import_into_alpha("orders", &f2, &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        holds!(err, "line 2, quantity: must be at least 1, got -4");
        assert!(
            err.contains(
                "line 3, ship_to_country: 'USA' is not an ISO 3166-1 alpha-2 country code"
            ),
            "{err}"
        );
        holds!(
            err,
            "line 3, unit_price: 1.001 has more than 2 decimal places"
        );
        assert_eq!(orders_in(&e).await, 0, "nothing was committed");
    }
}

/// Imports `file` into alpha twice: the first report holds `first`, the second both phrases
/// of `again` (the second import adds nothing).
fn import_twice(e: &Env, kind: &str, file: &str, first: &str, again: [&str; 2]) {
    let out = e.import_into_alpha(kind, file, &[]);
    holds!(out, first);
    let out = e.import_into_alpha(kind, file, &[]);
    assert!(out.contains(again[0]) && out.contains(again[1]), "{out}");
}

#[tokio::test]
async fn importing_the_same_file_twice_is_a_no_op() {
    for e in envs().await {
        let f = e.write("orders.csv", good_orders().as_bytes());
        let again = ["imported 0 orders", "skipped 2 already present"];
        import_twice(&e, "orders", &f, "imported 2 orders (3 lines)", again);
        assert_eq!(orders_in(&e).await, 2);

        let shipments = "carrier,tracking_number,order,origin_city,origin_postal_code,origin_country,origin_time_zone,destination_city,destination_postal_code,destination_country,destination_time_zone,weight_kg,picked_up_at,delivered_at\n\
UPSN,1Z0001,PO-1,Dallas,75201,US,America/Chicago,Austin,78701,US,America/Chicago,1.5,2026-01-06T10:00:00Z,2026-01-08T15:00:00Z\n\
UPSN,1Z0002,PO-2,Dallas,75201,US,America/Chicago,Dallas,75201,US,America/Chicago,30,2026-01-07T10:00:00Z,\n";
        let s = e.write("shipments.csv", shipments.as_bytes());
        let again = ["imported 0 shipments", "skipped 2"];
        import_twice(&e, "shipments", &s, "imported 2 shipments", again);
        let (store, t) = e.alpha().await;
        let po1 = store.order_by_ref(t.id, "PO-1").await.unwrap().unwrap();
        assert_eq!(
            po1.status.as_str(),
            "delivered",
            "history milestones drive the order status"
        );
        let po2 = store.order_by_ref(t.id, "PO-2").await.unwrap().unwrap();
        assert_eq!(po2.status.as_str(), "shipped");
    }
}

#[tokio::test]
async fn mapping_files_load_foreign_exports_and_refuse_missing_columns() {
    for e in envs().await {
        let mapping = r#"
[columns]
"Order No" = "external_ref"
"Ship To" = "customer_name"
"Street" = "ship_to_line1"
"Town" = "ship_to_city"
"Zip" = "ship_to_postal_code"
"Item" = "sku"
"Qty" = "quantity"
"Price" = "unit_price"
"Placed" = "ordered_at"
[defaults]
ship_to_country = "US"
channel = "b2b"
[options]
delimiter = ";"
encoding = "windows-1252"
date_format = "%m/%d/%Y %H:%M"
time_zone = "America/New_York"
ignore = ["Notes"]
"#;
        let m = e.write("erp.toml", mapping.as_bytes());
        let mut csv = b"Order No;Ship To;Street;Town;Zip;Item;Qty;Price;Placed;Notes\n".to_vec();
        csv.extend_from_slice(
            b"E-1;Caf\xe9 Ren\xe9;1 Rue;Boston;02108;W-1;3;4.50;01/05/2026 09:15;fragile\n",
        );
        let f = e.write("erp.csv", &csv);
        let out = e.import_into_alpha("orders", &f, &["--mapping", &m]);
        holds!(out, "imported 1 orders");
        let (store, t) = e.alpha().await;
        let o = store.order_by_ref(t.id, "E-1").await.unwrap().unwrap();
        assert_eq!(o.customer.name, "Café René");
        assert_eq!(o.ordered_at.to_string(), "2026-01-05T14:15:00Z");

        let missing = e.write(
            "missing.toml",
            b"[columns]\n\"Order Number\" = \"external_ref\"\n",
        );
        let out = e.try_import_into_alpha("orders", &f, &["--mapping", &missing]);
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        holds!(
            err,
            "mapping columns.\"Order Number\": the file has no column 'Order Number'"
        );

        // Without the mapping's encoding, the Windows-1252 bytes are refused, not mangled.
        let plain = e.write(
            "latin.csv",
            &[
                ORDERS_HEADER.as_bytes(),
                b"P-9,Ren\xe9,,1 Rue,Boston,MA,02108,US,b2c,,,W-1,1,1\n",
            ]
            .concat(),
        );
        let out = e.try_import_into_alpha("orders", &plain, &[]);
        assert_eq!(out.status.code(), Some(1));
        holds!(text(&out.stderr), "line 2, customer_name: not valid UTF-8");
        assert_eq!(orders_in(&e).await, 1);

        let bad_toml = e.write("bad.toml", b"[columns\n");
        let out = e.try_import_into_alpha("orders", &f, &["--mapping", &bad_toml]);
        assert!(!out.status.success());
        holds!(text(&out.stderr), "mapping file");
    }
}

#[tokio::test]
async fn shipments_naming_unknown_carriers_or_orders_are_refused() {
    for e in envs().await {
        let s = e.write(
            "s.csv",
            b"carrier,tracking_number,order,origin_city,origin_postal_code,origin_country,origin_time_zone,destination_city,destination_postal_code,destination_country,destination_time_zone,weight_kg\n\
FDXX,7001,,Dallas,75201,US,America/Chicago,Austin,78701,US,America/Chicago,1\n\
UPSN,,PO-404,Dallas,75201,US,America/Chicago,Austin,78701,US,America/Chicago,1\n",
        );
        let out = e.try_import_into_alpha("shipments", &s, &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        holds!(err, "line 2, carrier: no carrier 'FDXX' in tenant alpha");
        holds!(err, "line 3, tracking_number: is required");
    }
}

#[tokio::test]
async fn audit_verify_names_the_edited_record() {
    for e in envs().await {
        let f = e.write("orders.csv", good_orders().as_bytes());
        e.import_into_alpha("orders", &f, &[]);
        let out = e.ok(&["audit", "verify"]);
        assert!(out.starts_with("audit trail intact"), "{out}");
        let (store, t) = e.alpha().await;
        // Record 2 of the tenant's chain is the first order's creation.
        let chain = match store.engine() {
            consign_store::Engine::Sqlite => format!("X'{}'", t.id.0.simple()),
            consign_store::Engine::Postgres => format!("'{}'::uuid", t.id.0),
        };
        store
            .execute_raw(&format!(
                "UPDATE audit_log SET actor = 'someone-else' WHERE chain = {chain} AND seq = 2"
            ))
            .await
            .unwrap();
        let out = e.run(&["audit", "verify"]);
        assert_eq!(out.status.code(), Some(2));
        let msg = text(&out.stdout);
        holds!(msg, "chain 'alpha' at record 2 (order");
        holds!(msg, "the record was edited");
        // Restore the record, then remove the chain's head row: still caught.
        store
            .execute_raw(&format!(
                "UPDATE audit_log SET actor = 'system' WHERE chain = {chain} AND seq = 2"
            ))
            .await
            .unwrap();
        assert!(e.ok(&["audit", "verify"]).starts_with("audit trail intact"));
        store
            .execute_raw(&format!("DELETE FROM audit_heads WHERE chain = {chain}"))
            .await
            .unwrap();
        let out = e.run(&["audit", "verify"]);
        assert_eq!(out.status.code(), Some(2));
        holds!(text(&out.stdout), "no head");
    }
}

#[tokio::test]
async fn administration_commands_print_secrets_once_and_refuse_bad_input() {
    for e in envs().await {
        let out = e.ok(&[
            "user",
            "add",
            "ana@example.com",
            "--name",
            "Ana Ruiz",
            "--role",
            "agent",
            "--tenant",
            "alpha",
        ]);
        assert!(
            out.contains("password: "),
            "a generated password is printed: {out}"
        );
        let bad = e.run(&[
            "user",
            "add",
            "not-an-email",
            "--name",
            "X",
            "--role",
            "client_viewer",
        ]);
        let err = text(&bad.stderr);
        assert!(!bad.status.success());
        assert!(
            err.contains("email: 'not-an-email' is not an e-mail address")
                && err.contains("tenant: a client_viewer belongs to exactly one tenant"),
            "{err}"
        );
        let role = e.run(&["token", "create", "--role", "root"]);
        assert!(text(&role.stderr).contains("--role: unknown role 'root'"));
        let role = e.run(&[
            "user",
            "add",
            "b@example.com",
            "--name",
            "B",
            "--role",
            "root",
        ]);
        assert!(!role.status.success());
        assert!(text(&role.stderr).contains("--role: unknown role 'root'"));
        let token = e.create_token(
            "integration",
            &["--tenant", "alpha", "--scope", "orders:read"],
        );
        assert!(
            token.trim().starts_with("cst_") && token.trim().len() == 52,
            "{token}"
        );
        let store = e.store().await;
        assert!(
            store
                .token_by_hash(&consign_app::auth::hash_secret(token.trim()))
                .await
                .unwrap()
                .is_some(),
            "only the hash is stored"
        );
        let dup = e.run(&["tenant", "add", "alpha", "--name", "Again"]);
        assert!(text(&dup.stderr).contains("tenant 'alpha' already exists"));
        let tz = e.run(&[
            "tenant",
            "add",
            "beta",
            "--name",
            "Beta",
            "--time-zone",
            "Moon/Base",
        ]);
        assert!(text(&tz.stderr).contains("time_zone: 'Moon/Base' is not a known IANA time zone"));
        let missing = e.try_import_into_alpha("orders", "/nonexistent.csv", &[]);
        assert!(text(&missing.stderr).contains("reading /nonexistent.csv"));
        let tenant = e.run(&["import", "orders", "/nonexistent.csv", "--tenant", "nope"]);
        assert!(text(&tenant.stderr).contains("tenant 'nope' not found"));
        let cfg = e.write("consign.toml", b"listen = 5\n");
        let out = e.run(&["--config", &cfg, "migrate"]);
        holds!(text(&out.stderr), "listen");
        let _ = Path::new(&cfg);
    }
}

fn sample(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../../../shared/data/x12/{name}.x12-types-0.12.0.x12"
    ));
    p.display().to_string()
}

#[test]
fn edi_check_reads_files_without_a_database_and_names_the_fault() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_consign"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let ok = run(&["edi", "check", &sample("v004010_940_02")]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));
    assert!(text(&ok.stdout).contains("set 940 0001: accepted"));

    let ack = dir.path().join("ack.x12");
    let bad = run(&[
        "edi",
        "check",
        &sample("v004010_856_03"),
        "--ack-out",
        ack.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    holds!(
        text(&bad.stdout),
        "GE01 says 2 transaction sets, the group holds 1"
    );
    let ack_text = std::fs::read_to_string(&ack).unwrap();
    holds!(ack_text, "AK9*R*2*1*0*5~");

    // The same file in lenient mode loads with a warning.
    let lenient = run(&["edi", "check", &sample("v004010_856_03"), "--lenient"]);
    assert_eq!(lenient.status.code(), Some(0), "{}", text(&lenient.stdout));
    holds!(text(&lenient.stdout), "warning: ");

    let isa = run(&["edi", "check", &sample("v004010_214_02")]);
    assert_eq!(isa.status.code(), Some(1));
    assert!(text(&isa.stdout).contains("ISA is 62 bytes, not the fixed 106"));
    let missing = run(&["edi", "check", "/nonexistent.x12"]);
    assert!(text(&missing.stderr).contains("reading /nonexistent.x12"));
    // A database is never opened: no file appears in the working directory.
    assert!(!dir.path().join("consign-data").exists());
}

#[tokio::test]
async fn importing_an_interchange_twice_stores_it_once() {
    for e in envs().await {
        let isa = ["ABCDEFGHIJKLMNO", "CONSIGN"];
        e.add_edi_partner("alpha", "Carrier EDI", isa, &["--lenient"]);
        let ack = e.dir.path().join("997.x12");
        let interchange = sample("v004010_214_01");
        let ack_out = ["--ack-out", ack.to_str().unwrap()];
        let first = e.import_into_alpha("edi", &interchange, &ack_out);
        assert!(
            first.contains(
                "interchange 000003438 from ZZ:ABCDEFGHIJKLMNO to ZZ:123456789012345: accepted"
            ),
            "{first}"
        );
        assert!(
            std::fs::read_to_string(&ack)
                .unwrap()
                .contains("AK9*A*1*1*1~")
        );
        let again = e.import_into_alpha("edi", &interchange, &[]);
        holds!(again, ": duplicate");
        let (store, t) = e.alpha().await;
        let stored = store.interchanges(t.id, None, 10).await.unwrap();
        assert_eq!(
            stored
                .iter()
                .filter(|i| i.direction == consign_core::edi::Direction::Inbound)
                .count(),
            1
        );
    }
}

/// A command run where no database exists yet says it is creating one, and names the demo's
/// database when it is there (a token made in the demo's folder used to open nothing, with
/// no word said); where the database exists, nothing is said.
#[test]
fn a_command_on_a_missing_database_says_so_and_names_the_demos() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("consign-demo")).unwrap();
    std::fs::write(dir.path().join("consign-demo/demo.db"), b"").unwrap();
    let create = || {
        consign_in(dir.path())
            .args(["token", "create", "--role", "admin"])
            .output()
            .unwrap()
    };
    let out = create();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("consign-data/consign.db does not exist yet"),
        "{err}"
    );
    assert!(
        err.contains("--database-url sqlite://consign-demo/demo.db"),
        "{err}"
    );
    let again = text(&create().stderr);
    assert!(!again.contains("does not exist yet"), "{again}");
}

/// The PRO and bill of lading columns: a bad one is named by line and column and the file
/// commits nothing; a good file stores both.
#[tokio::test]
async fn freight_reference_columns_are_checked_and_kept() {
    for e in envs().await {
        let head = "carrier,tracking_number,pro_number,bol_number,origin_city,origin_postal_code,origin_country,origin_time_zone,destination_city,destination_postal_code,destination_country,destination_time_zone,weight_kg\n";
        let row = |tracking: &str, bol: &str| {
            format!(
                "UPSN,{tracking},PRO-{tracking},{bol},Dallas,75201,US,America/Chicago,Austin,78701,US,America/Chicago,120\n"
            )
        };
        let bad = format!(
            "{head}{}{}",
            row("9001", "BOL-1"),
            row("9002", &"B".repeat(65))
        );
        let f = e.write("bad.csv", bad.as_bytes());
        let out = e.try_import_into_alpha("shipments", &f, &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        holds!(err, "line 3, bol_number: must be at most 64 characters");
        let (store, t) = e.alpha().await;
        assert_eq!(
            store.count_shipments(t.id).await.unwrap(),
            0,
            "nothing committed"
        );
        let good = format!("{head}{}", row("9001", "BOL-1"));
        let f = e.write("good.csv", good.as_bytes());
        e.import_into_alpha("shipments", &f, &[]);
        let by_bol = consign_store::ShipmentFilter {
            q: Some("BOL-1".into()),
            limit: 5,
            ..Default::default()
        };
        let stored = store.shipments(t.id, &by_bol).await.unwrap();
        assert_eq!(stored.len(), 1, "the list finds it by its BOL");
        let found = store.find_references(&[t.id], "bol-1", 5).await.unwrap();
        assert_eq!(found.len(), 1, "the search box ignores letter case");
        let s = store
            .shipment(t.id, consign_core::ids::ShipmentId(found[0].id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.pro_number.as_deref(), s.bol_number.as_deref()),
            (Some("PRO-9001"), Some("BOL-1"))
        );
    }
}
