//! End-to-end tests through the real HTTP stack, each on SQLite and on PostgreSQL.

mod support;

mod budget_race;
mod bulk;
mod campaigns;
mod checkins;
mod concurrency;
mod demo;
mod desk;
mod devices;
mod foundation;
mod hardening;
mod integrity;
mod live;
mod mechanics;
mod migrations;
mod openapi_cli;
mod operations;
mod pledge_form;
mod proxies;
mod redemptions;
mod reports;
mod sheets;
mod short_codes;
mod staff;
mod statistics;
mod verification;
mod walk;
