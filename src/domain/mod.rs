//! Domain rules as plain functions and types: no HTTP, no SQL. Each rule is testable alone.

pub mod checkin;
pub mod codes;
pub mod draw;
pub mod geo;
pub mod holidays;
pub mod imagery;
pub mod issuance;
pub mod merchant_no;
pub mod money;
pub mod names;
pub mod password_rules;
pub mod payload;
pub mod redemption;
pub mod short_code;
pub mod summary;
pub mod time;
pub mod verification;
pub mod workdays;
