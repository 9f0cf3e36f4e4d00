//! Configuration: built-in defaults, then `consign.toml` (or `--config FILE`), then
//! `CONSIGN_*` environment variables, then command-line flags. figment's errors name the
//! source of a bad value (file and key, or variable).

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://PATH` (default, created on first run) or `postgres://…`.
    pub database_url: String,
    /// A PostgreSQL read replica (`postgres://…`) for scorecards and lists; unset, they read
    /// the primary. Never migrated: its schema must match this build's.
    #[serde(default)]
    pub read_database_url: Option<String>,
    /// Where documents (and the default SQLite file) live.
    pub data_dir: PathBuf,
    /// Address `serve` listens on.
    pub listen: String,
    /// Largest JSON request body in bytes.
    pub body_limit: usize,
    /// Requests per minute per client address (0 disables).
    pub requests_per_minute: u32,
    /// Sign-in attempts per minute per client address.
    pub login_per_minute: u32,
    /// Set when serving over HTTPS so cookies are marked Secure.
    pub secure_cookies: bool,
    /// `text` or `json` logs on stderr.
    pub log_format: String,
    /// HMAC-SHA256 secret tracking webhooks must be signed with (`X-Consign-Signature`);
    /// unset, webhooks are authenticated by their bearer token only.
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// Seconds between rule sweeps in `serve` (0 disables the worker).
    pub sweep_interval_secs: u64,
    /// Seconds between case timer sweeps in `serve` (SLA warnings, breaches, escalations,
    /// automatic closes and assignment; 0 disables the worker).
    pub case_timer_interval_secs: u64,
    /// Seconds between refreshes of the KPI rollup in `serve` (0 disables the worker; the
    /// scorecards then lag until `consign kpis refresh`).
    pub kpi_refresh_interval_secs: u64,
    /// How long an `Idempotency-Key` reservation holds without renewal: after a crash, a
    /// retry of a request that was running waits at most this long.
    pub idempotency_lease_secs: u64,
    /// Let webhook endpoints reach loopback, private and link-local addresses. Off: an
    /// endpoint may not point the server at its own network.
    pub webhooks_allow_private: bool,
    /// Seconds to wait before each retry of a failed delivery; after the last, the message
    /// is a dead letter (default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
    pub outbox_retry_secs: Vec<u64>,
    /// One delivery attempt's budget in seconds (connect, send, answer).
    pub outbox_timeout_secs: u64,
    /// How long a claimed message stays the claiming server's, in seconds: a server killed
    /// mid-delivery leaves its messages to be delivered by the next after this. Longer than
    /// a round can take (`outbox_timeout_secs` and the record), or a slow round's messages
    /// are sent twice.
    pub outbox_lease_secs: u64,
    /// Run the outbox's delivery worker in `serve`.
    pub outbox_worker: bool,
    /// Where e-mail goes: `smtp://host:port` (STARTTLS when offered), `smtp://…?tls=required`,
    /// `smtps://host:465`, with `user:password@` to authenticate. Unset, e-mails wait in the
    /// outbox as dead letters that say so.
    #[serde(default)]
    pub smtp_url: Option<String>,
    /// The From of tenants that set none in their case settings.
    pub email_from: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://consign-data/consign.db".into(),
            read_database_url: None,
            data_dir: "consign-data".into(),
            listen: "127.0.0.1:8080".into(),
            body_limit: 1024 * 1024,
            requests_per_minute: 6_000,
            login_per_minute: 20,
            secure_cookies: false,
            log_format: "text".into(),
            webhook_secret: None,
            sweep_interval_secs: 60,
            case_timer_interval_secs: 30,
            kpi_refresh_interval_secs: 10,
            idempotency_lease_secs: 10,
            webhooks_allow_private: false,
            outbox_retry_secs: consign_core::message::outbox::RetrySchedule::default().delays_secs,
            outbox_timeout_secs: 10,
            outbox_lease_secs: consign_app::messages::MessagingConfig::default()
                .lease
                .as_secs(),
            outbox_worker: true,
            smtp_url: None,
            email_from: "consign@localhost.localdomain".into(),
        }
    }
}

/// Values given on the command line win over everything else.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

pub fn load(file: Option<&PathBuf>, overrides: Overrides) -> anyhow::Result<Config> {
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    match file {
        Some(f) => {
            anyhow::ensure!(f.exists(), "config file {} does not exist", f.display());
            fig = fig.merge(Toml::file(f));
        }
        None => fig = fig.merge(Toml::file("consign.toml")),
    }
    let cfg: Config = fig
        .merge(Env::prefixed("CONSIGN_").only(&[
            "database_url",
            "read_database_url",
            "data_dir",
            "listen",
            "body_limit",
            "requests_per_minute",
            "login_per_minute",
            "secure_cookies",
            "log_format",
            "webhook_secret",
            "sweep_interval_secs",
            "case_timer_interval_secs",
            "kpi_refresh_interval_secs",
            "idempotency_lease_secs",
            "webhooks_allow_private",
            "outbox_timeout_secs",
            "outbox_lease_secs",
            "outbox_worker",
            "smtp_url",
            "email_from",
        ]))
        .merge(Serialized::defaults(overrides))
        .extract()
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    anyhow::ensure!(
        cfg.log_format == "text" || cfg.log_format == "json",
        "configuration: log_format must be 'text' or 'json', got '{}'",
        cfg.log_format
    );
    anyhow::ensure!(
        (1..=3600).contains(&cfg.idempotency_lease_secs),
        "configuration: idempotency_lease_secs must be 1 to 3600, got {}",
        cfg.idempotency_lease_secs
    );
    consign_core::message::outbox::RetrySchedule {
        delays_secs: cfg.outbox_retry_secs.clone(),
    }
    .validate("outbox_retry_secs")
    .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    if let Some(url) = &cfg.smtp_url {
        // Checked here, so a typo stops the start rather than every e-mail.
        consign_app::messages::delivery::check_smtp_url(url)
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    }
    let mut bad = consign_core::Invalid::default();
    consign_core::case::settings::check_address("email_from", &cfg.email_from, &mut bad);
    anyhow::ensure!(bad.is_empty(), "configuration: {bad}");
    anyhow::ensure!(
        (1..=300).contains(&cfg.outbox_timeout_secs),
        "configuration: outbox_timeout_secs must be 1 to 300, got {}",
        cfg.outbox_timeout_secs
    );
    anyhow::ensure!(
        (1..=3600).contains(&cfg.outbox_lease_secs),
        "configuration: outbox_lease_secs must be 1 to 3600, got {}",
        cfg.outbox_lease_secs
    );
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flags_and_errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "listen = \"0.0.0.0:9000\"\nbody_limit = 2048\n").unwrap();
        let c = load(Some(&f), Overrides::default()).unwrap();
        assert_eq!((c.listen.as_str(), c.body_limit), ("0.0.0.0:9000", 2048));
        let c = load(
            Some(&f),
            Overrides {
                listen: Some("127.0.0.1:1".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
        std::fs::write(&f, "body_limit = \"lots\"\n").unwrap();
        let e = load(Some(&f), Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("body_limit") && e.contains("c.toml"), "{e}");
        std::fs::write(&f, "colour = 1\n").unwrap();
        let e = load(Some(&f), Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn message_settings_are_checked_and_name_their_key() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        for (text, key) in [
            ("smtp_url = \"ftp://mail.example.com\"\n", "smtp_url"),
            ("email_from = \"not an address\"\n", "email_from"),
            ("outbox_timeout_secs = 0\n", "outbox_timeout_secs"),
            ("outbox_retry_secs = [5, 9999999]\n", "outbox_retry_secs"),
            ("outbox_lease_secs = 0\n", "outbox_lease_secs"),
        ] {
            std::fs::write(&f, text).unwrap();
            let e = load(Some(&f), Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
        std::fs::write(
            &f,
            "smtp_url = \"smtp://127.0.0.1:2525\"\nemail_from = \"care@alpha.example\"\n",
        )
        .unwrap();
        let c = load(Some(&f), Overrides::default()).unwrap();
        assert_eq!(c.smtp_url.as_deref(), Some("smtp://127.0.0.1:2525"));
    }
}
