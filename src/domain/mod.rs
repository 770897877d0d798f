//! Domain rules as plain functions and types: no HTTP, no SQL. Each rule is testable alone.

pub mod catalog;
pub mod checkin;
pub mod codes;
pub mod draw;
pub mod four_eyes;
pub mod geo;
pub mod holidays;
pub mod imagery;
pub mod issuance;
pub mod merchant_no;
pub mod money;
pub mod names;
pub mod open_data;
pub mod password_rules;
pub mod payload;
pub mod redemption;
pub mod short_code;
pub mod staff;
pub mod summary;
pub mod time;
pub mod verification;
pub mod workdays;
