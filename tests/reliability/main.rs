//! Security and reliability: authorisation over every endpoint, tokens, rate limits, bad
//! input, crashes and restarts of the real binary, graceful shutdown, secret rotation and
//! backups — on SQLite and on PostgreSQL.
//!
//! The PostgreSQL-restart test disturbs every other test that uses the local cluster, so it
//! only runs with `BAIRRO_TEST_PG_RESTART=1` (a separate, serial step).

#[path = "../api/support.rs"]
#[allow(dead_code)]
mod support;

mod authz;
mod backup;
mod common;
mod connections;
mod draws;
mod faults;
mod hardening;
mod input;
mod limits;
mod props;
mod secrets;
mod shutdown;
mod tokens;
