//! The seeder: one published campaign at scale, written straight into the database with
//! multi-row inserts (the server's own row structs and migrations), with progress lines.
//!
//! What it writes, deterministically from a seed:
//! - dozens of static QR points, merchants (approved, each with an owner login), an official;
//! - visitors, each signed up on one of the campaign's first days, with a sign-up coupon;
//! - past check-ins (never today), at most one per visitor, point and Macau day, and the
//!   stamp coupons they earned (one per 3 distinct points, up to 5), issued by the check-in
//!   that crossed the threshold;
//! - past flash-sale (`claim`) coupons to fill up the issued total;
//! - past redemptions of a chosen number of those coupons; the others stay `issued` and
//!   unexpired, and the load phases redeem them;
//! - past page views;
//! - the storm offers the claim phases race for (stock 1,000 each, nothing issued yet).
//!
//! Offers' `issued` counters are set to the coupons actually written, so stock accounting
//! starts exact.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use bairro::db::models::*;
use bairro::db::schema::*;
use bairro::db::{Backend, DbConn};
use bairro::domain::money;
use bairro::domain::names::Names;
use bairro::domain::time::{macau_day, macau_day_start, now};

/// Sizes of the seeded campaign.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub points: usize,
    pub merchants: usize,
    pub visitors: usize,
    pub checkins: usize,
    pub coupons: usize,
    pub redemptions: usize,
    pub pageviews: usize,
    /// Storm rounds (offers of 1,000) to create per claim phase.
    pub storm_rounds: Vec<(String, usize)>,
    pub storm_stock: i32,
    /// PostgreSQL: where the CSV files for `COPY` go, and the URL psql connects to.
    pub csv_dir: Option<std::path::PathBuf>,
    pub pg_url: Option<String>,
}

/// A coupon left `issued` for the redemption phases.
#[derive(Debug, Clone)]
pub struct FreshCoupon {
    pub id: String,
    pub code: String,
    pub offer_id: String,
    pub spend_avos: i64,
}

#[derive(Debug, Clone)]
pub struct MerchantLogin {
    pub merchant_id: String,
    pub user_id: String,
}

/// What the load phases need to know about the seeded data.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub campaign_id: String,
    pub slug: String,
    pub campaign_start_day: NaiveDate,
    pub points: Vec<(Uuid, f64, f64)>,
    pub merchants: Vec<MerchantLogin>,
    pub official_id: String,
    pub visitors: Vec<String>,
    pub fresh: Vec<FreshCoupon>,
    /// Per claim phase name, the storm offers in round order.
    pub storms: Vec<(String, Vec<String>)>,
    pub counts: Counts,
    pub seconds: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub visitors: usize,
    pub checkins: usize,
    pub coupons: usize,
    pub redemptions: usize,
    pub pageviews: usize,
    pub points: usize,
    pub merchants: usize,
}

const CENTRE: (f64, f64) = (22.15330, 113.55610);
const REFS: [Option<&str>; 6] = [
    None,
    Some("kol-macaufoodie"),
    Some("kol-travelwithmia"),
    Some("xhs-live"),
    Some("bureau-site"),
    None,
];
const CATEGORIES: [&str; 4] = ["food", "food", "retail", "services"];
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Days the campaign has been running before today.
const PAST_DAYS: i64 = 60;
/// Stamp offer: one coupon per this many distinct points, up to `STAMP_LIMIT`.
const STAMP_EVERY: usize = 3;
const STAMP_LIMIT: usize = 5;
const FLASH_OFFERS: usize = 10;

/// A version-4-formatted UUID whose first 48 bits count up: rows written in id order append
/// to the primary-key and visitor-prefixed indexes instead of landing all over them, which
/// keeps the bulk load fast on both databases. The other 74 bits are random, as in the
/// server's own ids.
fn rid(rng: &mut StdRng) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x2b1c_0000_0000);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut b: [u8; 16] = rng.gen();
    b[..6].copy_from_slice(&n.to_be_bytes()[2..]);
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
}

fn code(rng: &mut StdRng) -> String {
    (0..16)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..32)] as char)
        .collect()
}

/// Rows per statement: under PostgreSQL's 65,535 bind parameters and SQLite's 32,766.
fn chunk_rows(columns: usize) -> usize {
    (30_000 / columns).min(5_000)
}

/// Buffers of rows, written in foreign-key order whenever one fills up.
struct Writer<'a> {
    conn: &'a mut DbConn,
    visitors: Vec<Visitor>,
    checkins: Vec<Checkin>,
    coupons: Vec<Coupon>,
    redemptions: Vec<Redemption>,
    pageviews: Vec<NewPageview>,
    written: Counts,
    started: Instant,
    last_report: Instant,
    label: String,
    /// PostgreSQL: rows go to CSV files, loaded with `COPY` afterwards.
    csv: Option<CsvFiles>,
}

/// Writes buffered rows in multi-row statements. Rows go in as tuples of `column.eq(value)`
/// rather than the `Insertable` structs: a struct with `Option` fields may mean `DEFAULT`,
/// which makes diesel write SQLite batches one row at a time.
macro_rules! flush_table {
    ($self:ident, $field:ident, $table:expr, $cols:expr, |$r:ident| $tuple:expr) => {{
        let rows = std::mem::take(&mut $self.$field);
        for chunk in rows.chunks(chunk_rows($cols)) {
            let values: Vec<_> = chunk.iter().map(|$r| $tuple).collect();
            bairro::insert_rows!(&mut *$self.conn, $table, &values)?;
        }
        $self.written.$field += rows.len();
    }};
}

impl<'a> Writer<'a> {
    fn new(conn: &'a mut DbConn, label: &str) -> Writer<'a> {
        Writer {
            conn,
            visitors: Vec::new(),
            checkins: Vec::new(),
            coupons: Vec::new(),
            redemptions: Vec::new(),
            pageviews: Vec::new(),
            written: Counts::default(),
            started: Instant::now(),
            last_report: Instant::now(),
            label: label.to_string(),
            csv: None,
        }
    }

    fn pending(&self) -> usize {
        self.visitors.len()
            + self.checkins.len()
            + self.coupons.len()
            + self.redemptions.len()
            + self.pageviews.len()
    }

    fn maybe_flush(&mut self) -> anyhow::Result<()> {
        if self.pending() >= 40_000 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if let Some(csv) = self.csv.as_mut() {
            csv.write(
                &self.visitors,
                &self.checkins,
                &self.coupons,
                &self.redemptions,
                &self.pageviews,
            )?;
            self.written.visitors += std::mem::take(&mut self.visitors).len();
            self.written.checkins += std::mem::take(&mut self.checkins).len();
            self.written.coupons += std::mem::take(&mut self.coupons).len();
            self.written.redemptions += std::mem::take(&mut self.redemptions).len();
            self.written.pageviews += std::mem::take(&mut self.pageviews).len();
            if self.last_report.elapsed().as_secs_f64() >= 5.0 {
                self.report();
                self.last_report = Instant::now();
            }
            return Ok(());
        }
        use bairro::db::schema::{
            checkins as ci, coupons as co, pageviews as pv, redemptions as re, visitors as vi,
        };
        flush_table!(self, visitors, vi::table, 6, |r| (
            vi::id.eq(&r.id),
            vi::locale.eq(&r.locale),
            vi::ref_.eq(&r.ref_),
            vi::device_hash.eq(&r.device_hash),
            vi::created_at.eq(r.created_at),
            vi::last_seen_at.eq(r.last_seen_at),
        ));
        flush_table!(self, checkins, ci::table, 12, |r| (
            ci::id.eq(&r.id),
            ci::visitor_id.eq(&r.visitor_id),
            ci::point_id.eq(&r.point_id),
            ci::campaign_id.eq(&r.campaign_id),
            ci::method.eq(&r.method),
            ci::day.eq(r.day),
            ci::scanned_at.eq(r.scanned_at),
            ci::received_at.eq(r.received_at),
            ci::lat.eq(r.lat),
            ci::lng.eq(r.lng),
            ci::nonce.eq(&r.nonce),
            ci::first_visit.eq(r.first_visit),
        ));
        flush_table!(self, coupons, co::table, 11, |r| (
            co::id.eq(&r.id),
            co::code.eq(&r.code),
            co::offer_id.eq(&r.offer_id),
            co::campaign_id.eq(&r.campaign_id),
            co::visitor_id.eq(&r.visitor_id),
            co::seq.eq(r.seq),
            co::status.eq(&r.status),
            co::issued_at.eq(r.issued_at),
            co::expires_at.eq(r.expires_at),
            co::day.eq(r.day),
            co::checkin_id.eq(&r.checkin_id),
        ));
        flush_table!(self, redemptions, re::table, 14, |r| (
            (
                re::id.eq(&r.id),
                re::coupon_id.eq(&r.coupon_id),
                re::offer_id.eq(&r.offer_id),
                re::campaign_id.eq(&r.campaign_id),
                re::merchant_id.eq(&r.merchant_id),
                re::user_id.eq(&r.user_id),
                re::spend_avos.eq(r.spend_avos),
            ),
            (
                re::discount_avos.eq(r.discount_avos),
                re::ecash_avos.eq(r.ecash_avos),
                re::status.eq(&r.status),
                re::day.eq(r.day),
                re::created_at.eq(r.created_at),
                re::voided_at.eq(r.voided_at),
                re::settlement_id.eq(&r.settlement_id),
            ),
        ));
        flush_table!(self, pageviews, pv::table, 6, |r| (
            pv::campaign_id.eq(&r.campaign_id),
            pv::path.eq(&r.path),
            pv::ref_.eq(&r.ref_),
            pv::visitor_hash.eq(&r.visitor_hash),
            pv::day.eq(r.day),
            pv::created_at.eq(r.created_at),
        ));
        if self.last_report.elapsed().as_secs_f64() >= 5.0 {
            self.report();
            self.last_report = Instant::now();
        }
        Ok(())
    }

    fn total(&self) -> usize {
        let w = &self.written;
        w.visitors + w.checkins + w.coupons + w.redemptions + w.pageviews
    }

    fn report(&self) {
        let s = self.started.elapsed().as_secs_f64();
        let w = &self.written;
        println!(
            "  [{}] {:>5.1}s  visitors {:>7}  check-ins {:>8}  coupons {:>8}  redemptions {:>8}  page views {:>8}  ({:.0} rows/s)",
            self.label,
            s,
            w.visitors,
            w.checkins,
            w.coupons,
            w.redemptions,
            w.pageviews,
            self.total() as f64 / s.max(0.001)
        );
    }
}

fn names(zh: &str, pt: &str, en: &str) -> String {
    Names::new(zh, pt, en).to_json()
}

#[allow(clippy::too_many_arguments)]
fn offer(
    id: &str,
    campaign_id: &str,
    name: &str,
    kind: &str,
    face: i64,
    min_spend: i64,
    percent: i32,
    stock: i32,
    limit: i32,
    trigger: &str,
    trigger_count: Option<i32>,
    opens_at: Option<NaiveDateTime>,
    valid_until: NaiveDateTime,
    created_at: NaiveDateTime,
) -> Offer {
    Offer {
        id: id.into(),
        campaign_id: campaign_id.into(),
        name: names(name, name, name),
        kind: kind.into(),
        face_value_avos: face,
        min_spend_avos: min_spend,
        percent_off: percent,
        max_discount_avos: if kind == "discount" { 5_000 } else { 0 },
        stock,
        issued: 0,
        per_visitor_limit: limit,
        valid_days: 90,
        valid_until,
        trigger_type: trigger.into(),
        trigger_count,
        opens_at,
        eligible_categories: "[]".into(),
        created_at,
        // The benchmark's visitors are anonymous.
        requires_verified: false,
    }
}

/// Speeds a bulk load up on the seeding connection only (the server sets its own pragmas).
fn bulk_mode(conn: &mut DbConn, backend: Backend) -> anyhow::Result<()> {
    match backend {
        Backend::Sqlite => conn.batch_execute(
            "PRAGMA foreign_keys = OFF; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \
             PRAGMA cache_size = -1000000; PRAGMA temp_store = MEMORY;",
        )?,
        Backend::Postgres => conn.batch_execute("SET synchronous_commit = off")?,
    }
    Ok(())
}

fn begin(conn: &mut DbConn) -> anyhow::Result<()> {
    use diesel::connection::TransactionManager;
    <DbConn as TransactionManager<DbConn>>::begin_transaction(conn)?;
    Ok(())
}

fn commit(conn: &mut DbConn) -> anyhow::Result<()> {
    use diesel::connection::TransactionManager;
    <DbConn as TransactionManager<DbConn>>::commit_transaction(conn)?;
    Ok(())
}

/// Seeds an empty, migrated database.
pub fn seed(
    conn: &mut DbConn,
    backend: Backend,
    sizes: &Sizes,
    label: &str,
) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(0xBA1260);
    let t_now = now();
    let today = macau_day(t_now);
    let start_day = today - Duration::days(PAST_DAYS);
    let starts_at = macau_day_start(start_day);
    let ends_at = macau_day_start(today + Duration::days(30));
    let created = starts_at - Duration::days(14);
    bulk_mode(conn, backend)?;
    begin(conn)?;

    // Campaign, points, merchants, logins, enrolments, offers.
    let campaign_id = rid(&mut rng);
    let slug = format!("bench-{}", &campaign_id[..8]);
    diesel::insert_into(campaigns::table)
        .values(Campaign {
            id: campaign_id.clone(),
            slug: slug.clone(),
            name: names(
                "悠氹仔 (基準)",
                "Arraial na Taipa (bench)",
                "Taipa Village Stroll (bench)",
            ),
            district: "氹仔舊城區 · Vila da Taipa".into(),
            description: None,
            starts_at,
            ends_at,
            status: "published".into(),
            created_at: created,
            updated_at: created,
        })
        .execute(conn)?;
    let mut points = Vec::new();
    let mut point_rows = Vec::new();
    for i in 0..sizes.points {
        let id = uuid::Builder::from_random_bytes(rng.gen::<[u8; 16]>()).into_uuid();
        let lat = CENTRE.0 + (i as f64 * 0.00037) % 0.006 - 0.003;
        let lng = CENTRE.1 + (i as f64 * 0.00053) % 0.006 - 0.003;
        points.push((id, lat, lng));
        point_rows.push(Point {
            id: id.to_string(),
            campaign_id: campaign_id.clone(),
            name: names(
                &format!("打卡點 {}", i + 1),
                &format!("Ponto {}", i + 1),
                &format!("Point {}", i + 1),
            ),
            kind: "qr".into(),
            lat,
            lng,
            radius_m: 100,
            rotating: false,
            rotate_seconds: 30,
            require_location: false,
            created_at: created + Duration::seconds(i as i64),
        });
    }
    bairro::insert_rows!(&mut *conn, points::table, &point_rows)?;
    let official_id = rid(&mut rng);
    let hash = "!bench: no password login".to_string();
    // Logins go in through the server's own insert (it keeps the case-folded username key).
    bairro::db::catalog::insert_user(
        conn,
        &User {
            id: official_id.clone(),
            username: format!("bench-official-{}", &official_id[..8]),
            password_hash: hash.clone(),
            role: "official".into(),
            merchant_id: None,
            merchant_role: None,
            active: true,
            created_at: created,
        },
    )?;
    let mut merchants = Vec::new();
    let (mut m_rows, mut u_rows, mut e_rows) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..sizes.merchants {
        let m = rid(&mut rng);
        let u = rid(&mut rng);
        m_rows.push(Merchant {
            id: m.clone(),
            name: names(
                &format!("商戶 {}", i + 1),
                &format!("Loja {}", i + 1),
                &format!("Shop {}", i + 1),
            ),
            category: CATEGORIES[i % CATEGORIES.len()].into(),
            address: format!("Rua do Cunha, {}", i + 1),
            lat: CENTRE.0,
            lng: CENTRE.1,
            m_mark: i % 3 == 0,
            created_at: created,
        });
        u_rows.push(User {
            id: u.clone(),
            username: format!("bench-merchant-{}-{}", i + 1, &u[..8]),
            password_hash: hash.clone(),
            role: "merchant".into(),
            merchant_id: Some(m.clone()),
            merchant_role: Some("owner".into()),
            active: true,
            created_at: created,
        });
        e_rows.push(Enrolment {
            id: rid(&mut rng),
            campaign_id: campaign_id.clone(),
            merchant_id: m.clone(),
            status: "approved".into(),
            submitted_at: created,
            decided_at: Some(created + Duration::days(1)),
            decided_by: Some(official_id.clone()),
            reason: None,
        });
        merchants.push(MerchantLogin {
            merchant_id: m,
            user_id: u,
        });
    }
    for c in m_rows.chunks(1000) {
        bairro::insert_rows!(&mut *conn, merchants::table, c)?;
    }
    for u in &u_rows {
        bairro::db::catalog::insert_user(conn, u)?;
    }
    for c in e_rows.chunks(1000) {
        bairro::insert_rows!(&mut *conn, enrolments::table, c)?;
    }

    let signup = offer(
        &rid(&mut rng),
        &campaign_id,
        "迎新電子現金券 MOP 50",
        "ecash",
        5_000,
        15_000,
        0,
        (sizes.visitors as i32).saturating_mul(2).max(1),
        1,
        "signup",
        None,
        None,
        ends_at,
        created,
    );
    let stamp = offer(
        &rid(&mut rng),
        &campaign_id,
        "集印電子現金券 MOP 20",
        "ecash",
        2_000,
        6_000,
        0,
        2_000_000_000,
        STAMP_LIMIT as i32,
        "checkins",
        Some(STAMP_EVERY as i32),
        None,
        ends_at,
        created,
    );
    let mut flash = Vec::new();
    for k in 0..FLASH_OFFERS {
        let (kind, face, pct) = if k % 2 == 0 {
            ("ecash", 10_000, 0)
        } else {
            ("discount", 0, 20)
        };
        flash.push(offer(
            &rid(&mut rng),
            &campaign_id,
            &format!("限時搶券 {}", k + 1),
            kind,
            face,
            30_000,
            pct,
            // Stock is set to the coupons written, once they are counted.
            i32::MAX,
            1,
            "claim",
            None,
            Some(starts_at + Duration::days(k as i64 * 5)),
            ends_at,
            created,
        ));
    }
    let mut storms = Vec::new();
    let mut storm_rows = Vec::new();
    let opens = t_now - Duration::hours(1);
    for (phase, rounds) in &sizes.storm_rounds {
        let mut ids = Vec::new();
        for r in 0..*rounds {
            let id = rid(&mut rng);
            storm_rows.push(offer(
                &id,
                &campaign_id,
                &format!("搶券風暴 {phase} {}", r + 1),
                "ecash",
                5_000,
                15_000,
                0,
                sizes.storm_stock,
                1,
                "claim",
                None,
                Some(opens),
                ends_at,
                created,
            ));
            ids.push(id);
        }
        storms.push((phase.clone(), ids));
    }
    let mut all_offers = vec![signup.clone(), stamp.clone()];
    all_offers.extend(flash.iter().cloned());
    all_offers.extend(storm_rows);
    for c in all_offers.chunks(500) {
        bairro::insert_rows!(&mut *conn, offers::table, c)?;
    }

    // Visitors, check-ins, sign-up and stamp coupons.
    if backend == Backend::Postgres {
        commit(conn)?;
    }
    let mut w = Writer::new(conn, label);
    if let (Backend::Postgres, Some(dir)) = (backend, &sizes.csv_dir) {
        w.csv = Some(CsvFiles::create(dir)?);
    }
    let v_n = sizes.visitors.max(1);
    let base = sizes.checkins / v_n;
    let extra = sizes.checkins % v_n;
    let mut pick = Sampler {
        wanted: sizes.redemptions.min(sizes.coupons),
        remaining: sizes.coupons,
    };
    let mut coupons_left = sizes.coupons;
    let mut visitors = Vec::with_capacity(v_n);
    let mut fresh = Vec::new();
    let mut issued_signup = 0i32;
    let mut issued_stamp = 0i32;
    let today_start = macau_day_start(today);
    let spread = base.saturating_sub(1);
    let mut pending_delta: i64 = 0;
    for v in 0..sizes.visitors {
        let vid = rid(&mut rng);
        let joined = rng.gen_range(0..(PAST_DAYS / 2));
        let joined_at = macau_day_start(start_day + Duration::days(joined))
            + Duration::seconds(rng.gen_range(32_400..75_600));
        w.visitors.push(Visitor {
            id: vid.clone(),
            locale: ["zh-Hant", "zh-Hant", "zh-Hans", "en", "pt"][v % 5].into(),
            ref_: REFS[v % REFS.len()].map(str::to_string),
            device_hash: None,
            created_at: joined_at,
            last_seen_at: joined_at,
        });
        // Check-ins: counts vary around the mean, pairwise, so the total is exact.
        let mut n = base + usize::from(v < extra);
        if spread > 0 {
            if v % 2 == 0 && v + 1 < sizes.visitors {
                let d = rng.gen_range(0..=spread);
                n = n.saturating_sub(d);
                pending_delta = d as i64;
            } else if v % 2 == 1 {
                n += pending_delta as usize;
                pending_delta = 0;
            }
        }
        let days_open = (PAST_DAYS - joined) as usize;
        n = n.min(days_open * sizes.points.max(1));
        let mut seen: HashSet<(usize, usize)> = HashSet::with_capacity(n * 2);
        let mut slots: Vec<(NaiveDateTime, usize)> = Vec::with_capacity(n);
        while slots.len() < n {
            let p = rng.gen_range(0..sizes.points.max(1));
            let d = rng.gen_range(0..days_open);
            if seen.insert((p, d)) {
                let day_start = macau_day_start(start_day + Duration::days(joined + d as i64));
                let mut t = day_start + Duration::seconds(rng.gen_range(32_400..75_600));
                if d == 0 && t < joined_at {
                    t = joined_at + Duration::seconds(rng.gen_range(60..3_600));
                }
                slots.push((t, p));
            }
        }
        slots.sort();
        let mut distinct: HashSet<usize> = HashSet::new();
        let mut stamp_coupons: Vec<(NaiveDateTime, String, i32)> = Vec::new();
        for (k, (t, p)) in slots.iter().enumerate() {
            let (pid, lat, lng) = points[*p];
            let cid = rid(&mut rng);
            if distinct.insert(*p)
                && distinct.len() % STAMP_EVERY == 0
                && stamp_coupons.len() < STAMP_LIMIT
            {
                stamp_coupons.push((*t, cid.clone(), stamp_coupons.len() as i32 + 1));
            }
            w.checkins.push(Checkin {
                id: cid,
                visitor_id: vid.clone(),
                point_id: pid.to_string(),
                campaign_id: campaign_id.clone(),
                method: "qr".into(),
                day: macau_day(*t),
                scanned_at: *t,
                received_at: *t,
                lat: Some(lat),
                lng: Some(lng),
                nonce: None,
                ref_: None,
                first_visit: k == 0,
            });
        }
        // The sign-up coupon, then the stamp coupons, while the issued total allows.
        let mut mine: Vec<(&Offer, NaiveDateTime, i32, Option<String>)> = Vec::new();
        if coupons_left > 0 {
            mine.push((&signup, joined_at, 1, None));
            issued_signup += 1;
            coupons_left -= 1;
        }
        for (t, checkin_id, seq) in stamp_coupons {
            if coupons_left == 0 {
                break;
            }
            mine.push((&stamp, t, seq, Some(checkin_id)));
            issued_stamp += 1;
            coupons_left -= 1;
        }
        for (o, t, seq, checkin_id) in mine {
            push_coupon(
                &mut w,
                &mut rng,
                o,
                &vid,
                seq,
                t,
                checkin_id,
                today_start,
                &merchants,
                &mut pick,
                &mut fresh,
            )?;
        }
        visitors.push(vid);
        w.maybe_flush()?;
    }
    w.flush()?;

    // Flash-sale coupons fill the issued total: each offer goes to distinct visitors.
    let mut flash_issued = vec![0i32; flash.len()];
    if !visitors.is_empty() {
        let per_offer = coupons_left.div_ceil(flash.len()).min(visitors.len());
        for (k, o) in flash.iter().enumerate() {
            let stride = coprime_stride(visitors.len());
            let first = rng.gen_range(0..visitors.len());
            let opens_at = o.opens_at.unwrap_or(starts_at);
            let window = (today_start - opens_at).num_seconds().max(1);
            for i in 0..per_offer {
                if coupons_left == 0 {
                    break;
                }
                let vid = visitors[(first + i * stride) % visitors.len()].clone();
                let t = opens_at + Duration::seconds(rng.gen_range(0..window.min(86_400 * 3)));
                push_coupon(
                    &mut w,
                    &mut rng,
                    o,
                    &vid,
                    1,
                    t,
                    None,
                    today_start,
                    &merchants,
                    &mut pick,
                    &mut fresh,
                )?;
                flash_issued[k] += 1;
                coupons_left -= 1;
                w.maybe_flush()?;
            }
        }
    }

    // Page views over the campaign's past days.
    let hashes: Vec<String> = (0..v_n)
        .map(|_| format!("{:024x}", rng.gen::<u128>() >> 32))
        .collect();
    let paths = [
        "/",
        "/campaigns",
        "/c/offers",
        "/c/map",
        "/c/points",
        "/me/coupons",
    ];
    let mut first_seen: Vec<Option<NaiveDate>> = vec![None; hashes.len()];
    for i in 0..sizes.pageviews {
        let d = rng.gen_range(0..PAST_DAYS);
        let t = macau_day_start(start_day + Duration::days(d))
            + Duration::seconds(rng.gen_range(0..86_400));
        let h = rng.gen_range(0..hashes.len());
        let day = macau_day(t);
        if first_seen[h].is_none_or(|f| day < f) {
            first_seen[h] = Some(day);
        }
        w.pageviews.push(NewPageview {
            campaign_id: campaign_id.clone(),
            path: paths[i % paths.len()].into(),
            ref_: REFS[rng.gen_range(0..REFS.len())].map(str::to_string),
            visitor_hash: hashes[h].clone(),
            day,
            created_at: t,
        });
        w.maybe_flush()?;
    }
    w.flush()?;
    // First page view of each (hashed) page visitor in the campaign.
    let firsts: Vec<_> = hashes
        .iter()
        .zip(&first_seen)
        .filter_map(|(h, d)| {
            d.map(|d| {
                (
                    page_visitors::campaign_id.eq(campaign_id.clone()),
                    page_visitors::visitor_hash.eq(h.clone()),
                    page_visitors::day.eq(d),
                )
            })
        })
        .collect();
    for c in firsts.chunks(chunk_rows(3)) {
        bairro::insert_rows!(&mut *w.conn, page_visitors::table, c)?;
    }
    if let Some(csv) = w.csv.take() {
        w.report();
        println!(
            "  [{label}] generated in {:.1}s; loading with COPY",
            started.elapsed().as_secs_f64()
        );
        csv.copy_into(sizes.pg_url.as_deref().unwrap_or_default())?;
    }
    w.report();
    let mut counts = w.written.clone();
    counts.points = sizes.points;
    counts.merchants = sizes.merchants;

    // Issued counters and stock.
    diesel::update(offers::table.find(&signup.id))
        .set(offers::issued.eq(issued_signup))
        .execute(conn)?;
    diesel::update(offers::table.find(&stamp.id))
        .set(offers::issued.eq(issued_stamp))
        .execute(conn)?;
    for (o, n) in flash.iter().zip(&flash_issued) {
        diesel::update(offers::table.find(&o.id))
            .set((offers::issued.eq(*n), offers::stock.eq(*n)))
            .execute(conn)?;
    }
    if backend == Backend::Sqlite {
        commit(conn)?;
    }
    let load_s = started.elapsed().as_secs_f64();
    println!("  [{label}] rows written in {load_s:.1}s; analysing");
    match backend {
        Backend::Sqlite => {
            conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;")?
        }
        // Autovacuum would otherwise start on the fresh tables in the middle of a phase.
        Backend::Postgres => conn.batch_execute("VACUUM (ANALYZE)")?,
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("  [{label}] seeded in {seconds:.1}s");
    Ok(Seeded {
        campaign_id,
        slug,
        campaign_start_day: start_day,
        points,
        merchants,
        official_id,
        visitors,
        fresh,
        storms,
        counts,
        seconds,
    })
}

#[allow(clippy::too_many_arguments)]
fn push_coupon(
    w: &mut Writer<'_>,
    rng: &mut StdRng,
    o: &Offer,
    visitor_id: &str,
    seq: i32,
    issued_at: NaiveDateTime,
    checkin_id: Option<String>,
    today_start: NaiveDateTime,
    merchants: &[MerchantLogin],
    pick: &mut Sampler,
    fresh: &mut Vec<FreshCoupon>,
) -> anyhow::Result<()> {
    let expires_at = (issued_at + Duration::days(i64::from(o.valid_days))).min(o.valid_until);
    let id = rid(rng);
    let code = code(rng);
    let redeem = !merchants.is_empty() && pick.take(rng);
    w.coupons.push(Coupon {
        id: id.clone(),
        code: code.clone(),
        offer_id: o.id.clone(),
        campaign_id: o.campaign_id.clone(),
        visitor_id: visitor_id.into(),
        seq,
        status: if redeem { "redeemed" } else { "issued" }.into(),
        issued_at,
        expires_at,
        day: macau_day(issued_at),
        checkin_id,
        ref_: None,
    });
    let spend = o.min_spend_avos + rng.gen_range(0..20_000);
    if redeem {
        let m = &merchants[rng.gen_range(0..merchants.len())];
        let window = (today_start - issued_at).num_seconds().max(2);
        let at = issued_at + Duration::seconds(rng.gen_range(1..window));
        let applied = money::apply(o.value(), spend).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        w.redemptions.push(Redemption {
            id: rid(rng),
            coupon_id: id,
            offer_id: o.id.clone(),
            campaign_id: o.campaign_id.clone(),
            merchant_id: m.merchant_id.clone(),
            user_id: m.user_id.clone(),
            spend_avos: spend,
            discount_avos: applied.discount_avos,
            ecash_avos: applied.ecash_avos,
            status: "done".into(),
            day: macau_day(at),
            created_at: at,
            voided_at: None,
            settlement_id: None,
            ref_: None,
        });
    } else {
        fresh.push(FreshCoupon {
            id,
            code,
            offer_id: o.id.clone(),
            spend_avos: spend,
        });
    }
    Ok(())
}

/// Selection sampling: takes exactly `wanted` of the next `remaining` items, uniformly.
struct Sampler {
    wanted: usize,
    remaining: usize,
}

impl Sampler {
    fn take(&mut self, rng: &mut StdRng) -> bool {
        if self.remaining == 0 {
            return false;
        }
        let yes = self.wanted > 0 && rng.gen_range(0..self.remaining) < self.wanted;
        self.remaining -= 1;
        if yes {
            self.wanted -= 1;
        }
        yes
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// A step that visits every visitor once before repeating.
pub fn coprime_stride(n: usize) -> usize {
    if n <= 1 {
        return 1;
    }
    let mut s = 7919 % n;
    while s == 0 || gcd(s, n) != 1 {
        s = (s + 1) % n;
    }
    s
}

/// CSV files of the big tables, for PostgreSQL's `COPY` (much faster than multi-row INSERTs).
struct CsvFiles {
    dir: std::path::PathBuf,
    files: Vec<std::io::BufWriter<std::fs::File>>,
}

const COPY_TABLES: [(&str, &str); 5] = [
    ("visitors", "id, locale, ref, device_hash, created_at, last_seen_at"),
    ("checkins", "id, visitor_id, point_id, campaign_id, method, day, scanned_at, received_at, lat, lng, nonce, first_visit"),
    ("coupons", "id, code, offer_id, campaign_id, visitor_id, seq, status, issued_at, expires_at, day, checkin_id"),
    ("redemptions", "id, coupon_id, offer_id, campaign_id, merchant_id, user_id, spend_avos, discount_avos, ecash_avos, status, day, created_at, voided_at, settlement_id"),
    ("pageviews", "campaign_id, path, ref, visitor_hash, day, created_at"),
];

fn q(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.is_empty() {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn qo(s: &Option<String>) -> String {
    s.as_deref().map(q).unwrap_or_default()
}

fn fo(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

fn to<T: std::fmt::Display>(x: &Option<T>) -> String {
    x.as_ref().map(|v| v.to_string()).unwrap_or_default()
}

impl CsvFiles {
    fn create(dir: &std::path::Path) -> anyhow::Result<CsvFiles> {
        std::fs::create_dir_all(dir)?;
        let mut files = Vec::new();
        for (t, _) in COPY_TABLES {
            files.push(std::io::BufWriter::with_capacity(
                1 << 20,
                std::fs::File::create(dir.join(format!("{t}.csv")))?,
            ));
        }
        Ok(CsvFiles {
            dir: dir.to_path_buf(),
            files,
        })
    }

    fn write(
        &mut self,
        v: &[Visitor],
        c: &[Checkin],
        co: &[Coupon],
        r: &[Redemption],
        p: &[NewPageview],
    ) -> anyhow::Result<()> {
        use std::io::Write;
        let f = &mut self.files;
        for x in v {
            writeln!(
                f[0],
                "{},{},{},{},{},{}",
                x.id,
                x.locale,
                qo(&x.ref_),
                qo(&x.device_hash),
                x.created_at,
                x.last_seen_at
            )?;
        }
        for x in c {
            writeln!(
                f[1],
                "{},{},{},{},{},{},{},{},{},{},{},{}",
                x.id,
                x.visitor_id,
                x.point_id,
                x.campaign_id,
                x.method,
                x.day,
                x.scanned_at,
                x.received_at,
                fo(x.lat),
                fo(x.lng),
                qo(&x.nonce),
                x.first_visit
            )?;
        }
        for x in co {
            writeln!(
                f[2],
                "{},{},{},{},{},{},{},{},{},{},{}",
                x.id,
                x.code,
                x.offer_id,
                x.campaign_id,
                x.visitor_id,
                x.seq,
                x.status,
                x.issued_at,
                x.expires_at,
                x.day,
                qo(&x.checkin_id)
            )?;
        }
        for x in r {
            writeln!(
                f[3],
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                x.id,
                x.coupon_id,
                x.offer_id,
                x.campaign_id,
                x.merchant_id,
                x.user_id,
                x.spend_avos,
                x.discount_avos,
                x.ecash_avos,
                x.status,
                x.day,
                x.created_at,
                to(&x.voided_at),
                qo(&x.settlement_id)
            )?;
        }
        for x in p {
            writeln!(
                f[4],
                "{},{},{},{},{},{}",
                x.campaign_id,
                q(&x.path),
                qo(&x.ref_),
                x.visitor_hash,
                x.day,
                x.created_at
            )?;
        }
        Ok(())
    }

    /// Loads the files in foreign-key order: visitors; then check-ins, coupons and page views
    /// at once (two cores); then redemptions.
    fn copy_into(mut self, url: &str) -> anyhow::Result<()> {
        use std::io::Write;
        for f in &mut self.files {
            f.flush()?;
        }
        let replica = std::process::Command::new("psql")
            .env("PGOPTIONS", "-c session_replication_role=replica")
            .arg(url)
            .args(["-qtAc", "SELECT 1"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        let copy = |i: usize| -> anyhow::Result<std::process::Child> {
            let (t, cols) = COPY_TABLES[i];
            let path = self.dir.join(format!("{t}.csv"));
            // Foreign keys hold by construction; skipping their per-row checks (superuser
            // only) roughly halves the load. Without the right, psql fails and we retry.
            Ok(std::process::Command::new("psql")
                .env(
                    "PGOPTIONS",
                    if replica {
                        "-c session_replication_role=replica"
                    } else {
                        ""
                    },
                )
                .arg(url)
                .args(["-q", "-v", "ON_ERROR_STOP=1", "-c"])
                .arg(format!(
                    "\\copy {t} ({cols}) FROM '{}' WITH (FORMAT csv)",
                    path.display()
                ))
                .spawn()?)
        };
        let wait = |mut c: std::process::Child, what: &str| -> anyhow::Result<()> {
            let st = c.wait()?;
            anyhow::ensure!(st.success(), "COPY {what} failed ({st})");
            Ok(())
        };
        let t = Instant::now();
        wait(copy(0)?, "visitors")?;
        let (a, b, c) = (copy(1)?, copy(2)?, copy(4)?);
        wait(a, "checkins")?;
        wait(b, "coupons")?;
        wait(c, "pageviews")?;
        wait(copy(3)?, "redemptions")?;
        println!(
            "    COPY done in {:.1}s{}",
            t.elapsed().as_secs_f64(),
            if replica {
                " (foreign-key triggers skipped)"
            } else {
                ""
            }
        );
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }
}
