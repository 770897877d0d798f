//! End-to-end tests through the real HTTP stack, each on SQLite and on PostgreSQL.

mod support;

mod budget_race;
mod bulk;
mod campaigns;
mod checkins;
mod concurrency;
mod devices;
mod foundation;
mod mechanics;
mod migrations;
mod operations;
mod redemptions;
mod reports;
mod verification;
