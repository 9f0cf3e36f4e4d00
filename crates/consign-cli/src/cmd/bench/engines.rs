//! Where a benchmark runs: the given database only, or a fresh SQLite file and a throwaway
//! PostgreSQL database side by side, each bench's run repeated on each and the throwaway
//! database dropped after it.

use anyhow::Context;

/// (engine, URL, throwaway PostgreSQL database to drop: (server URL, name)).
pub(super) type Target = (String, String, Option<(String, String)>);

/// Where a benchmark runs: the given database only; else a fresh SQLite file `file` in `dir`
/// (unless `sqlite` is false) and, when `postgres` names a reachable server, a throwaway
/// database on it (reported as skipped when it is not).
pub(super) async fn targets(
    dir: &std::path::Path,
    file: &str,
    sqlite: bool,
    postgres: Option<&str>,
    database_url: Option<&str>,
) -> Vec<Target> {
    let mut targets: Vec<Target> = Vec::new();
    if let Some(url) = database_url {
        targets.push((engine_of(url), url.to_string(), None));
        return targets;
    }
    if sqlite {
        targets.push((
            "sqlite".into(),
            format!("sqlite://{}", dir.join(file).display()),
            None,
        ));
    }
    if let Some(pg) = postgres {
        match throwaway_pg(pg).await {
            Ok((url, admin, name)) => targets.push(("postgres".into(), url, Some((admin, name)))),
            Err(e) => println!("postgres: skipped ({e:#})"),
        }
    }
    targets
}

pub(super) fn engine_of(url: &str) -> String {
    if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    }
    .into()
}

pub(super) fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("consign-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

pub(super) async fn throwaway_pg(server: &str) -> anyhow::Result<(String, String, String)> {
    use sqlx::Connection;
    let name = format!("consign_bench_{}", std::process::id());
    let mut c = sqlx::PgConnection::connect(server)
        .await
        .context("connecting")?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await?;
    let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(server);
    Ok((format!("{base}/{name}"), server.to_string(), name))
}

pub(super) async fn drop_pg(server: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut c) = sqlx::PgConnection::connect(server).await {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await;
    }
}

/// The benchmark's application on the database at `url` (migrated), on the system clock, its
/// documents under `documents`; the engine's heading printed first.
pub(super) async fn open_app(
    engine: &str,
    url: &str,
    documents: std::path::PathBuf,
) -> anyhow::Result<consign_app::App> {
    println!("\n== {engine} ==");
    let store = consign_store::open(url).await?;
    Ok(consign_app::App::new(
        store,
        std::sync::Arc::new(consign_core::time::SystemClock),
        documents,
    ))
}

/// A benchmark's closing summary: a blank line, then its lines (one per engine and figure).
pub(super) fn summary(lines: Vec<String>) -> anyhow::Result<std::process::ExitCode> {
    println!();
    for l in lines {
        println!("{l}");
    }
    Ok(std::process::ExitCode::SUCCESS)
}

impl super::Engines {
    /// Runs `run` on each engine of [`targets`] (`file` names the SQLite file; `database_url`,
    /// given, is the only target), dropping each throwaway PostgreSQL database after its run
    /// and the temporary folder at the end; the results in engine order. `run` is given the
    /// engine's name, its URL and the folder.
    pub(super) async fn on_each<T>(
        &self,
        file: &str,
        database_url: Option<&str>,
        mut run: impl AsyncFnMut(&str, &str, &std::path::Path) -> anyhow::Result<T>,
    ) -> anyhow::Result<Vec<T>> {
        let dir = tempfile_dir()?;
        let postgres = (!self.sqlite_only).then_some(self.postgres_url.as_str());
        let targets = targets(&dir, file, !self.postgres_only, postgres, database_url).await;
        let mut out = Vec::new();
        for (engine, url, cleanup) in &targets {
            let r = run(engine, url, &dir).await;
            if let Some((admin, name)) = cleanup {
                drop_pg(admin, name).await;
            }
            out.push(r.with_context(|| format!("{engine} run"))?);
        }
        let _ = std::fs::remove_dir_all(&dir);
        Ok(out)
    }
}
