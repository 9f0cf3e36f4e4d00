//! Our own small migration runner: each engine has an ordered list of SQL files embedded in
//! the binary, applied once each and recorded in `schema_migrations`. (sqlx's migrator needs
//! its macros crate; this keeps the store free of proc macros.)

use crate::sql::dialect::{Dialect, QueryExt};
use crate::{Result, StoreError};

pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// Runs the migration's SQL and records it as applied, both on `tx`: the engine's runner
    /// has begun the transaction (and, on PostgreSQL, holds the migration lock) and commits it.
    pub(crate) async fn apply<DB: Dialect>(&self, tx: &mut DB::Connection) -> Result<()> {
        let err = |source| StoreError::Migration {
            version: self.version,
            name: self.name,
            source,
        };
        sqlx::raw_sql(self.sql)
            .execute(DB::conn(tx))
            .await
            .map_err(err)?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .arg(self.version)
        .arg(self.name)
        .arg(jiff::Timestamp::now().as_microsecond())
        .execute(DB::conn(tx))
        .await?;
        Ok(())
    }
}

/// Both engines' lists from one: each migration has a file of the same name under
/// `migrations/sqlite` and `migrations/postgres`.
macro_rules! migrations {
    ($($version:literal, $name:literal, $file:literal;)*) => {
        pub(crate) const SQLITE: &[Migration] = &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../migrations/sqlite/", $file, ".sql")),
        },)*];

        pub(crate) const POSTGRES: &[Migration] = &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../migrations/postgres/", $file, ".sql")),
        },)*];
    };
}

migrations! {
    1, "foundation", "0001_foundation";
    2, "edi", "0002_edi";
    3, "tracking", "0003_tracking";
    4, "tracking_state", "0004_tracking_state";
    5, "carrier_cases", "0005_carrier_cases";
    6, "edi_cases", "0006_edi_cases";
    7, "idempotency_leases", "0007_idempotency_leases";
    8, "token_expiry", "0008_token_expiry";
    9, "partner_acknowledgement", "0009_partner_acknowledgement";
    10, "case_subject", "0010_case_subject";
    11, "case_work", "0011_case_work";
    12, "outbox", "0012_outbox";
    13, "outbox_pending", "0013_outbox_pending";
    14, "open_case_indexes", "0014_open_case_indexes";
    15, "kpi_definitions", "0015_kpi_definitions";
    16, "kpi_rollups", "0016_kpi_rollups";
    17, "order_milestones", "0017_order_milestones";
    18, "kpi_case_facts", "0018_kpi_case_facts";
    19, "queue_by_deadline", "0019_queue_by_deadline";
    20, "references", "0020_references";
    21, "freight_references", "0021_freight_references";
    22, "outbox_staged", "0022_outbox_staged";
}

/// How many migrations each engine has (they must stay in step).
pub const MIGRATION_COUNT: usize = SQLITE.len();

const _: () = assert!(
    SQLITE.len() == POSTGRES.len(),
    "both engines need the same migrations"
);

pub(crate) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
