//! Our own small migration runner: each engine has an ordered list of SQL files embedded in
//! the binary, applied once each and recorded in `schema_migrations`. (sqlx's migrator needs
//! its macros crate; this keeps the store free of proc macros.)

pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/sqlite/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "edi",
        sql: include_str!("../migrations/sqlite/0002_edi.sql"),
    },
    Migration {
        version: 3,
        name: "tracking",
        sql: include_str!("../migrations/sqlite/0003_tracking.sql"),
    },
    Migration {
        version: 4,
        name: "tracking_state",
        sql: include_str!("../migrations/sqlite/0004_tracking_state.sql"),
    },
    Migration {
        version: 5,
        name: "carrier_cases",
        sql: include_str!("../migrations/sqlite/0005_carrier_cases.sql"),
    },
    Migration {
        version: 6,
        name: "edi_cases",
        sql: include_str!("../migrations/sqlite/0006_edi_cases.sql"),
    },
    Migration {
        version: 7,
        name: "idempotency_leases",
        sql: include_str!("../migrations/sqlite/0007_idempotency_leases.sql"),
    },
    Migration {
        version: 8,
        name: "token_expiry",
        sql: include_str!("../migrations/sqlite/0008_token_expiry.sql"),
    },
    Migration {
        version: 9,
        name: "partner_acknowledgement",
        sql: include_str!("../migrations/sqlite/0009_partner_acknowledgement.sql"),
    },
    Migration {
        version: 10,
        name: "case_subject",
        sql: include_str!("../migrations/sqlite/0010_case_subject.sql"),
    },
    Migration {
        version: 11,
        name: "case_work",
        sql: include_str!("../migrations/sqlite/0011_case_work.sql"),
    },
];

pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "edi",
        sql: include_str!("../migrations/postgres/0002_edi.sql"),
    },
    Migration {
        version: 3,
        name: "tracking",
        sql: include_str!("../migrations/postgres/0003_tracking.sql"),
    },
    Migration {
        version: 4,
        name: "tracking_state",
        sql: include_str!("../migrations/postgres/0004_tracking_state.sql"),
    },
    Migration {
        version: 5,
        name: "carrier_cases",
        sql: include_str!("../migrations/postgres/0005_carrier_cases.sql"),
    },
    Migration {
        version: 6,
        name: "edi_cases",
        sql: include_str!("../migrations/postgres/0006_edi_cases.sql"),
    },
    Migration {
        version: 7,
        name: "idempotency_leases",
        sql: include_str!("../migrations/postgres/0007_idempotency_leases.sql"),
    },
    Migration {
        version: 8,
        name: "token_expiry",
        sql: include_str!("../migrations/postgres/0008_token_expiry.sql"),
    },
    Migration {
        version: 9,
        name: "partner_acknowledgement",
        sql: include_str!("../migrations/postgres/0009_partner_acknowledgement.sql"),
    },
    Migration {
        version: 10,
        name: "case_subject",
        sql: include_str!("../migrations/postgres/0010_case_subject.sql"),
    },
    Migration {
        version: 11,
        name: "case_work",
        sql: include_str!("../migrations/postgres/0011_case_work.sql"),
    },
];

/// How many migrations each engine has (they must stay in step).
pub const MIGRATION_COUNT: usize = SQLITE.len();

const _: () = assert!(
    SQLITE.len() == POSTGRES.len(),
    "both engines need the same migrations"
);

pub(crate) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
