//! The committed schema: what the migrations produce on each engine is dumped and compared with
//! `schema/<engine>.txt`, so a schema change is always visible in review (run with
//! `CONSIGN_UPDATE_SCHEMA=1` to rewrite the files), and both engines must have the same tables
//! and columns.

use consign_store::testing::{fresh_postgres_url, fresh_sqlite};
use sqlx::Row;
use std::collections::BTreeSet;

fn check(engine: &str, dump: &str) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schema/{engine}.txt"));
    if std::env::var("CONSIGN_UPDATE_SCHEMA").is_ok() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, dump).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == dump,
        "the {engine} schema differs from {}; review the change and rerun with CONSIGN_UPDATE_SCHEMA=1\n--- committed\n{committed}\n--- migrations\n{dump}",
        path.display()
    );
}

/// (table, column) pairs, the part both engines must agree on.
fn columns(dump: &str) -> BTreeSet<String> {
    dump.lines()
        .filter(|l| l.starts_with("column "))
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .collect()
}

/// The rows a catalogue query gives on the SQLite dump's pool.
async fn sqlite_rows(pool: &sqlx::SqlitePool, sql: String) -> Vec<sqlx::sqlite::SqliteRow> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn sqlite_dump() -> String {
    let (_store, dir) = fresh_sqlite().await;
    let url = format!("sqlite://{}", dir.path().join("consign.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mut out = String::new();
    let tables = sqlite_rows(&pool, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name".into()).await;
    for t in tables {
        let name: String = t.get("name");
        let cols = sqlite_rows(
            &pool,
            format!(
                "SELECT name, type, \"notnull\" AS nn FROM pragma_table_info('{name}') ORDER BY cid"
            ),
        )
        .await;
        for c in cols {
            let (col, ty, nn): (String, String, i64) = (c.get("name"), c.get("type"), c.get("nn"));
            out.push_str(&format!(
                "column {name} {col} {ty}{}\n",
                if nn == 1 { " not null" } else { "" }
            ));
        }
    }
    let idx = sqlite_rows(&pool, "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name".into()).await;
    for i in idx {
        let sql: String = i.get("sql");
        out.push_str(&format!(
            "index {}\n",
            sql.split_whitespace().collect::<Vec<_>>().join(" ")
        ));
    }
    out
}

async fn postgres_dump(url: &str) -> String {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let mut out = String::new();
    let cols = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, is_nullable::text AS n \
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for c in cols {
        let (t, col, ty, n): (String, String, String, String) =
            (c.get("t"), c.get("c"), c.get("ty"), c.get("n"));
        out.push_str(&format!(
            "column {t} {col} {ty}{}\n",
            if n == "NO" { " not null" } else { "" }
        ));
    }
    let idx = sqlx::query(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for i in idx {
        out.push_str(&format!("index {}\n", i.get::<String, _>("indexdef")));
    }
    out
}

#[tokio::test]
async fn committed_schema_matches_the_migrations() {
    let sqlite = sqlite_dump().await;
    check("sqlite", &sqlite);
    if let Some(url) = fresh_postgres_url().await {
        consign_store::open(&url).await.unwrap();
        let pg = postgres_dump(&url).await;
        check("postgres", &pg);
        assert_eq!(
            columns(&sqlite),
            columns(&pg),
            "both engines must have the same tables and columns"
        );
    }
}
