//! Both migration sets: the same folders, every schema column present on each backend, and
//! each migration's down undoing its up.

use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use bairro::db::models::*;
use bairro::db::schema::*;
use bairro::db::DbConn;

use crate::support::*;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[test]
fn both_backends_have_the_same_migration_folders() {
    let names = |dir: &str| {
        let mut v: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
    assert!(!names("sqlite").is_empty());
}

fn select_every_table(conn: &mut DbConn) {
    merchants::table
        .select(Merchant::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    purchases::table
        .select(bairro::db::purchases::Purchase::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    purchase_stamps::table
        .select(bairro::db::purchases::PurchaseStamp::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    purchase_triggers::table
        .select((
            purchase_triggers::offer_id,
            purchase_triggers::min_spend_avos,
        ))
        .limit(1)
        .load::<(String, i64)>(conn)
        .unwrap();
    draws::table
        .select(bairro::db::draws::Draw::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    draw_entries::table
        .select(bairro::db::draws::Entry::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    users::table
        .select(User::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    visitors::table
        .select(Visitor::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    campaigns::table
        .select(Campaign::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    enrolments::table
        .select(Enrolment::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    points::table
        .select(Point::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    checkins::table
        .select(Checkin::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    checkin_refusals::table
        .select(CheckinRefusal::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    offers::table
        .select(Offer::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    coupons::table
        .select(Coupon::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    redemptions::table
        .select(Redemption::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    idempotency_keys::table
        .select(IdempotencyKey::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    settlements::table
        .select(Settlement::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    ledger::table
        .select(LedgerEntry::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    survey_answers::table
        .select(SurveyAnswer::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    holidays::table
        .select(Holiday::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    pledge_indicators::table
        .select(PledgeIndicator::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    bairro::db::schema::promotion_sources::table
        .select(bairro::db::sources::Source::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    audit_log::table
        .select(AuditRow::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    visitor_addresses::table
        .select((
            visitor_addresses::address_hash,
            visitor_addresses::visitor_id,
            visitor_addresses::channel,
            visitor_addresses::hint,
            visitor_addresses::verified_at,
        ))
        .limit(1)
        .load::<(String, String, String, String, chrono::NaiveDateTime)>(conn)
        .unwrap();
    verification_codes::table
        .select((
            verification_codes::address_hash,
            verification_codes::visitor_id,
            verification_codes::channel,
            verification_codes::hint,
            verification_codes::code_hash,
            verification_codes::created_at,
            verification_codes::expires_at,
        ))
        .limit(1)
        .load::<(
            String,
            String,
            String,
            String,
            String,
            chrono::NaiveDateTime,
            chrono::NaiveDateTime,
        )>(conn)
        .unwrap();
    verification_locks::table
        .select((
            verification_locks::address_hash,
            verification_locks::failures,
            verification_locks::locked_until,
        ))
        .limit(1)
        .load::<(String, i32, Option<chrono::NaiveDateTime>)>(conn)
        .unwrap();
    pageviews::table
        .select((
            pageviews::id,
            pageviews::campaign_id,
            pageviews::path,
            pageviews::ref_,
            pageviews::visitor_hash,
            pageviews::day,
            pageviews::created_at,
        ))
        .limit(1)
        .load::<(
            i64,
            String,
            String,
            Option<String>,
            String,
            chrono::NaiveDate,
            chrono::NaiveDateTime,
        )>(conn)
        .unwrap();
    device_setups::table
        .select(device_setups::code_hash)
        .limit(1)
        .load::<String>(conn)
        .unwrap();
    devices::table
        .select(devices::id)
        .limit(1)
        .load::<String>(conn)
        .unwrap();
    pledge_footnotes::table
        .select(pledge_footnotes::text)
        .limit(1)
        .load::<String>(conn)
        .unwrap();
    ledger_head::table
        .select(bairro::db::ledger::Head::as_select())
        .load(conn)
        .unwrap();
    bank_accounts::table
        .select(bairro::db::payouts::BankAccount::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    payouts::table
        .select(bairro::db::payouts::Payout::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    payout_items::table
        .select(bairro::db::payouts::PayoutItem::as_select())
        .limit(1)
        .load(conn)
        .unwrap();
    point_short_codes::table
        .select((
            point_short_codes::code,
            point_short_codes::point_id,
            point_short_codes::created_at,
        ))
        .limit(1)
        .load::<(String, String, chrono::NaiveDateTime)>(conn)
        .unwrap();
}

fn round_trip(backend: Backend) {
    let Some((url, _guard)) = database(backend) else {
        return;
    };
    let (pool, _) = bairro::db::connect(&url, Some(1)).unwrap();
    let mut conn = pool.get().unwrap();
    bairro::db::migrate(&mut conn).unwrap();
    select_every_table(&mut conn);
    let set = if backend == Backend::Sqlite {
        SQLITE
    } else {
        PG
    };
    let reverted = match &mut *conn {
        DbConn::Sqlite(c) => c.revert_all_migrations(set).unwrap().len(),
        DbConn::Pg(c) => c.revert_all_migrations(set).unwrap().len(),
    };
    assert!(reverted >= 1);
    assert!(
        merchants::table
            .count()
            .get_result::<i64>(&mut *conn)
            .is_err(),
        "down removed the tables"
    );
    bairro::db::migrate(&mut conn).unwrap();
    select_every_table(&mut conn);
}

#[test]
fn sqlite_migrations_go_up_and_down() {
    round_trip(Backend::Sqlite);
}

#[test]
fn postgres_migrations_go_up_and_down() {
    round_trip(Backend::Postgres);
}
