//! End-to-end tests through the real HTTP stack, each on SQLite and on PostgreSQL.

mod support;

mod budget_race;
mod bulk;
mod campaigns;
mod checkins;
mod concurrency;
mod desk;
mod devices;
mod foundation;
mod hardening;
mod live;
mod mechanics;
mod migrations;
mod operations;
mod proxies;
mod integrity;
mod pledge_form;
mod redemptions;
mod reports;
mod staff;
mod short_codes;
mod walk;
mod verification;
