//! End-to-end tests through the real HTTP stack, each on SQLite and on PostgreSQL.

mod support;

mod campaigns;
mod checkins;
mod concurrency;
mod foundation;
mod mechanics;
mod migrations;
mod redemptions;
mod reports;
