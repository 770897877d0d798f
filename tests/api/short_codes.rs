//! Short codes of static points: in point answers, on the poster, typed at check-in in any case
//! and either scan mode; and the migration that gave existing points theirs.

use diesel::migration::{Migration, MigrationSource};
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use reqwest::StatusCode;
use serde_json::json;

use bairro::db::schema::point_short_codes;
use bairro::db::DbConn;

use crate::both;
use crate::support::*;

both!(short_codes_are_given_and_accepted_typed, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let qr = app.point(&off, cid, json!({})).await;
    let ar = app.point(&off, cid, json!({"kind": "ar"})).await;
    let rot = app.point(&off, cid, json!({"rotating": true})).await;
    let code = qr["short_code"]
        .as_str()
        .expect("static point has a short code");
    let plain: String = code.chars().filter(|c| *c != '-').collect();
    assert!((8..=10).contains(&plain.len()), "{code}");
    assert!(plain
        .chars()
        .all(|c| "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c)));
    assert_ne!(ar["short_code"], qr["short_code"]);
    assert!(rot.get("short_code").is_none(), "rotating points have none");

    // The same code in the point's answer, the campaign's (officials), and on the poster.
    let (_, got) = app
        .get(
            &format!("/points/{}", qr["id"].as_str().unwrap()),
            Some(&off),
        )
        .await;
    assert_eq!(got["short_code"], qr["short_code"]);
    let (_, full) = app.get(&format!("/campaigns/{cid}"), Some(&off)).await;
    let listed = full["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == qr["id"])
        .unwrap();
    assert_eq!(listed["short_code"], qr["short_code"]);
    let (_, poster, _) = app
        .raw(
            reqwest::Method::GET,
            &format!("/points/{}/poster", qr["id"].as_str().unwrap()),
            Some(&off),
            None,
        )
        .await;
    assert!(poster.contains(code), "poster prints {code}");
    // Visitors never get the codes with the campaign (they come from the poster).
    let (_, v) = app.visitor().await;
    let (_, public) = app.get(&format!("/campaigns/{cid}"), Some(&v)).await;
    assert!(public["points"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p.get("short_code").is_none() && p.get("payload").is_none()));

    // Typed in lower case with spaces: a check-in, recorded with the point's own kind.
    let typed = format!(" {} ", plain.to_lowercase().replace("", " ").trim());
    let (s, b) = app.check_in(&v, &typed, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["checkin"]["method"], "qr");
    assert_eq!(b["stamps"]["count"], 1);
    // The same day again: the usual refusal.
    let (s, b) = app.check_in(&v, code, json!({})).await;
    assert_eq!(
        (s, code_of(&b)),
        (StatusCode::CONFLICT, "already_checked_in")
    );
    // From the AR mode of the scan screen, a QR stand's code still counts (it names the point).
    let (_, v2) = app.visitor().await;
    let (s, b) = app.check_in(&v2, code, json!({"method": "ar"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["checkin"]["method"], "qr");
    // An AR marker's code from the QR mode is recorded as AR.
    let (s, b) = app
        .check_in(
            &v2,
            ar["short_code"].as_str().unwrap(),
            json!({"method": "qr"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["checkin"]["method"], "ar");
    assert_eq!(b["stamps"]["count"], 2);
    // Unknown codes, and codes of the wrong length, are refused as any bad payload.
    for bad in ["ZZZZ-ZZZZ", "ABCD-EFG", "ABCDE-FGHJKM"] {
        let (s, b) = app.check_in(&v2, bad, json!({})).await;
        assert_eq!(
            (s, code_of(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload"),
            "{bad}"
        );
    }
    // The geofence still applies to typed codes.
    let (_, v3) = app.visitor().await;
    let (s, b) = app.check_in(&v3, code, json!({"lat": HERE.0 + 0.01})).await;
    assert_eq!(
        (s, code_of(&b)),
        (StatusCode::FORBIDDEN, "outside_geofence")
    );
});

fn code_of(b: &serde_json::Value) -> &str {
    b["code"].as_str().unwrap_or("")
}

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG: EmbeddedMigrations = embed_migrations!("migrations/postgres");

fn ours<DB: diesel::backend::Backend>(set: &EmbeddedMigrations) -> Box<dyn Migration<DB>>
where
    EmbeddedMigrations: MigrationSource<DB>,
{
    MigrationSource::<DB>::migrations(set)
        .unwrap()
        .into_iter()
        .find(|m| m.name().to_string().ends_with("_visitor_walk"))
        .expect("the visitor-walk migration (short codes, images)")
}

/// Runs (`up`) or reverts the visitor-walk migration (short codes, images) alone.
fn step(conn: &mut DbConn, up: bool) {
    match conn {
        DbConn::Sqlite(c) => {
            let m = ours::<diesel::sqlite::Sqlite>(&SQLITE);
            if up {
                c.run_migration(&*m).map(|_| ()).unwrap()
            } else {
                c.revert_migration(&*m).map(|_| ()).unwrap()
            }
        }
        DbConn::Pg(c) => {
            let m = ours::<diesel::pg::Pg>(&PG);
            if up {
                c.run_migration(&*m).map(|_| ()).unwrap()
            } else {
                c.revert_migration(&*m).map(|_| ()).unwrap()
            }
        }
    }
}

/// Points that existed before short codes get one from the migration.
fn backfill(backend: Backend) {
    let Some((url, _guard)) = database(backend) else {
        return;
    };
    let (pool, _) = bairro::db::connect(&url, Some(1)).unwrap();
    let mut conn = pool.get().unwrap();
    bairro::db::migrate(&mut conn).unwrap();
    step(&mut conn, false);
    let t = "'2026-01-01 00:00:00'";
    diesel::sql_query(format!(
        "INSERT INTO campaigns (id, slug, name, district, starts_at, ends_at, status, created_at, updated_at) \
         VALUES ('c1', 'old', '{{}}', 'Taipa', {t}, '2026-02-01 00:00:00', 'published', {t}, {t})"
    ))
    .execute(&mut *conn)
    .unwrap();
    for (id, rotating) in [("p1", false), ("p2", false), ("p3", true)] {
        diesel::sql_query(format!(
            "INSERT INTO points (id, campaign_id, name, kind, lat, lng, radius_m, rotating, rotate_seconds, created_at) \
             VALUES ('{id}', 'c1', '{{}}', 'qr', 22.15, 113.55, 100, {rotating}, 30, {t})"
        ))
        .execute(&mut *conn)
        .unwrap();
    }
    step(&mut conn, true);
    let mut rows: Vec<(String, String)> = point_short_codes::table
        .select((point_short_codes::point_id, point_short_codes::code))
        .order(point_short_codes::point_id)
        .load(&mut *conn)
        .unwrap();
    rows.sort();
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["p1", "p2"]
    );
    for (_, code) in &rows {
        assert_eq!(
            bairro::domain::short_code::normalise(code).as_deref(),
            Some(code.as_str())
        );
    }
    assert_ne!(rows[0].1, rows[1].1);
}

#[test]
fn sqlite_migration_backfills_short_codes() {
    backfill(Backend::Sqlite);
}

#[test]
fn postgres_migration_backfills_short_codes() {
    backfill(Backend::Postgres);
}
