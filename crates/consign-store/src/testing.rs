//! Helpers for tests that need real databases: a fresh SQLite file, or a fresh database on the
//! PostgreSQL server named by `CONSIGN_TEST_DATABASE_URL` (default: 127.0.0.1:5432 as
//! `postgres`). When no server answers, PostgreSQL tests are skipped with a loud message, except
//! under `CI=true`, where a missing engine fails the run.

use crate::DynStore;
use sqlx::Connection;

pub fn server_url() -> String {
    std::env::var("CONSIGN_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A URL for a brand-new, empty PostgreSQL database, or `None` (after a loud warning) when no
/// server is reachable outside CI.
pub async fn fresh_postgres_url() -> Option<String> {
    let server = server_url();
    let mut conn = match sqlx::PgConnection::connect(&server).await {
        Ok(c) => c,
        Err(e) => {
            if in_ci() {
                panic!("CI=true but PostgreSQL at {server} is unreachable: {e}");
            }
            eprintln!("\n!!! SKIPPING PostgreSQL half of this test: {server} unreachable ({e}).");
            eprintln!(
                "!!! Set CONSIGN_TEST_DATABASE_URL or run scripts/test.sh, which starts a throwaway cluster.\n"
            );
            return None;
        }
    };
    let name = format!("consign_test_{}", uuid::Uuid::now_v7().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, _) = server
        .rsplit_once('/')
        .expect("server url has a database path");
    Some(format!("{base}/{name}"))
}

/// A fresh SQLite store in a temporary directory (kept alive by the returned guard).
pub async fn fresh_sqlite() -> (DynStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("consign.db").display());
    (crate::open(&url).await.expect("open sqlite"), dir)
}

/// Every engine available to this run: always SQLite, plus PostgreSQL when reachable.
pub async fn engines() -> Vec<(DynStore, Option<tempfile::TempDir>)> {
    let (sqlite, dir) = fresh_sqlite().await;
    let mut v = vec![(sqlite, Some(dir))];
    if let Some(url) = fresh_postgres_url().await {
        v.push((crate::open(&url).await.expect("open postgres"), None));
    }
    v
}

/// Builds the schema as migrations 1 to `last` left it, on the database at `url` (a SQLite
/// file is created if missing), recording them as applied: [`crate::open`] then applies only
/// the later ones. For tests that a migration carries existing rows over.
pub async fn migrate_up_to(url: &str, last: i64) {
    use crate::migrate::{CREATE_TABLE, POSTGRES, SQLITE};
    // The same steps on either connection type (sqlx's generic executor bounds are longer
    // than the code they would save).
    macro_rules! apply {
        ($conn:expr, $list:expr) => {{
            let conn = &mut $conn;
            sqlx::raw_sql(CREATE_TABLE)
                .execute(&mut *conn)
                .await
                .expect("migrations table");
            for m in $list.iter().filter(|m| m.version <= last) {
                sqlx::raw_sql(m.sql)
                    .execute(&mut *conn)
                    .await
                    .expect("migration");
                sqlx::query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)",
                )
                .bind(m.version)
                .bind(m.name)
                .execute(&mut *conn)
                .await
                .expect("record migration");
            }
        }};
    }
    if url.starts_with("sqlite:") {
        use std::str::FromStr;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .expect("sqlite url")
            .create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .expect("sqlite");
        apply!(conn, SQLITE);
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("postgres");
        apply!(conn, POSTGRES);
    }
}
