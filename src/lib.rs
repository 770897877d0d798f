//! Bairro: district promotion campaigns — check-in points, e-coupons, redemption at the till,
//! settlement for merchants, and statistics for officials.
//!
//! - `domain`: the rules, as plain functions (no HTTP, no SQL);
//! - `db`: persistence (schema, rows, queries, migrations) for SQLite and PostgreSQL;
//! - `http`: handlers per resource, role extractors, JSON views;
//! - `app`: builds the server; `cli`: the `bairro` command line; `demo`: demo data;
//! - `seed`: the row factory that writes the demo's and the benchmark's data in bulk.

pub mod app;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod memory;
pub mod notify;
pub mod seed;
pub mod service;
pub mod staff_cli;
pub mod telemetry;
pub mod types;
pub mod views;
