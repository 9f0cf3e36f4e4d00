//! HTTP API tests against a real server on a loopback port, on SQLite and PostgreSQL
//! (zero-to-production's `spawn_app` pattern: each test gets its own server and database).

mod access;
mod body_limits;
mod case_timers;
mod cases;
mod edi;
mod edi_faults;
mod email;
mod hardening;
mod harness;
mod kpis;
mod messages;
mod orders;
mod overrides;
mod receiver;
mod scorecards;
mod settings_pages;
mod shipments;
mod smtp;
mod tracking;
mod workspace;
