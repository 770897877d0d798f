//! The seeder: one published campaign at scale, written straight into the database through
//! the server's row factory (`bairro::seed`: the server's own rows, codes, rules and ledger
//! chain), with progress lines. On PostgreSQL the big tables go through CSV files and `COPY`.
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
//! Offers' `issued` counters, the campaign's committed budget and the ledger follow the
//! coupons written (the factory keeps them), so stock accounting starts exact and the
//! campaign reconciles.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::Rng;
use uuid::Uuid;

use bairro::db::models::*;
use bairro::db::schema::*;
use bairro::db::{Backend, DbConn};
use bairro::domain::names::Names;
use bairro::domain::time::{macau_day, macau_day_start};
use bairro::error::AppError;
use bairro::seed::{Batch, Factory, Fate, Insert, Sink};
use bairro::types::{
    CampaignStatus, CheckinMethod, EnrolmentStatus, OfferKind, PointKind, TriggerType,
};

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
    pub visitor_id: String,
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
/// Days the campaign has been running before today.
const PAST_DAYS: i64 = 60;
/// Stamp offer: one coupon per this many distinct points, up to `STAMP_LIMIT`.
const STAMP_EVERY: usize = 3;
const STAMP_LIMIT: usize = 5;
const FLASH_OFFERS: usize = 10;

/// Progress lines every five seconds.
fn reporter(label: String) -> impl FnMut(&bairro::seed::Counts) {
    let started = Instant::now();
    let mut last = Instant::now();
    move |w| {
        if last.elapsed().as_secs_f64() >= 5.0 {
            report(&label, started, w);
            last = Instant::now();
        }
    }
}

fn report(label: &str, started: Instant, w: &bairro::seed::Counts) {
    let s = started.elapsed().as_secs_f64();
    println!(
        "  [{label}] {s:>5.1}s  visitors {:>7}  check-ins {:>8}  coupons {:>8}  redemptions {:>8}  page views {:>8}  ledger {:>8}  ({:.0} rows/s)",
        w.visitors,
        w.checkins,
        w.coupons,
        w.redemptions,
        w.pageviews,
        w.ledger,
        w.total() as f64 / s.max(0.001)
    );
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
        kind: OfferKind::parse(kind).expect("the bench's offer kinds are known"),
        face_value_avos: face,
        min_spend_avos: min_spend,
        percent_off: percent,
        max_discount_avos: if kind == "discount" { 5_000 } else { 0 },
        stock,
        issued: 0,
        per_visitor_limit: limit,
        valid_days: 90,
        valid_until,
        trigger_type: TriggerType::parse(trigger).expect("the bench's triggers are known"),
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

/// Seeds an empty, migrated database.
pub fn seed(
    conn: &mut DbConn,
    backend: Backend,
    sizes: &Sizes,
    label: &str,
) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    bulk_mode(conn, backend)?;
    let copy = match (backend, &sizes.csv_dir) {
        (Backend::Postgres, Some(dir)) => Some(CsvFiles::create(dir)?),
        _ => None,
    };
    let csv_dir = copy.as_ref().map(|c| c.dir.clone());
    let sink: Box<dyn Sink> = match copy {
        Some(c) => Box::new(c),
        None => Box::new(Insert),
    };
    let mut f = Factory::new(conn, 0xBA1260, sink);
    f.on_progress(reporter(label.to_string()));
    let t_now = f.now();
    let today = macau_day(t_now);
    let start_day = today - Duration::days(PAST_DAYS);
    let starts_at = macau_day_start(start_day);
    let ends_at = macau_day_start(today + Duration::days(30));
    let created = starts_at - Duration::days(14);

    // Campaign, points, merchants, logins, enrolments, offers.
    let campaign_id = f.id();
    let slug = format!("bench-{}", &campaign_id[..8]);
    f.campaign(&Campaign {
        id: campaign_id.clone().into(),
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
        status: CampaignStatus::Published,
        created_at: created,
        updated_at: created,
    })?;
    let mut points = Vec::new();
    let mut point_rows = Vec::new();
    for i in 0..sizes.points {
        let id = Uuid::parse_str(&f.id())?;
        let lat = CENTRE.0 + (i as f64 * 0.00037) % 0.006 - 0.003;
        let lng = CENTRE.1 + (i as f64 * 0.00053) % 0.006 - 0.003;
        points.push((id, lat, lng));
        point_rows.push(Point {
            id: id.to_string().into(),
            campaign_id: campaign_id.clone().into(),
            name: names(
                &format!("打卡點 {}", i + 1),
                &format!("Ponto {}", i + 1),
                &format!("Point {}", i + 1),
            ),
            kind: PointKind::Qr,
            lat,
            lng,
            radius_m: 100,
            rotating: false,
            rotate_seconds: 30,
            require_location: false,
            created_at: created + Duration::seconds(i as i64),
        });
    }
    f.points(&point_rows)?;
    let official_id = f.id();
    let hash = "!bench: no password login".to_string();
    f.users(&[User {
        id: official_id.clone().into(),
        username: format!("bench-official-{}", &official_id[..8]),
        password_hash: hash.clone(),
        role: bairro::types::UserRole::Official,
        merchant_id: None,
        merchant_role: None,
        active: true,
        created_at: created,
    }])?;
    let mut merchants = Vec::new();
    let (mut m_rows, mut u_rows, mut e_rows) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..sizes.merchants {
        let m = f.id();
        let u = f.id();
        m_rows.push(Merchant {
            id: m.clone().into(),
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
            id: u.clone().into(),
            username: format!("bench-merchant-{}-{}", i + 1, &u[..8]),
            password_hash: hash.clone(),
            role: bairro::types::UserRole::Merchant,
            merchant_id: Some(m.clone().into()),
            merchant_role: Some(bairro::types::MerchantRole::Owner),
            active: true,
            created_at: created,
        });
        e_rows.push(Enrolment {
            id: f.id().into(),
            campaign_id: campaign_id.clone().into(),
            merchant_id: m.clone().into(),
            status: EnrolmentStatus::Approved,
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
    f.merchants(&m_rows)?;
    f.users(&u_rows)?;
    f.enrolments(&e_rows)?;

    let signup = offer(
        &f.id(),
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
        &f.id(),
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
            &f.id(),
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
            let id = f.id();
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
    f.offers(&all_offers)?;

    // Visitors, check-ins, sign-up and stamp coupons.
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
    let today_start = macau_day_start(today);
    let spread = base.saturating_sub(1);
    let mut pending_delta: i64 = 0;
    for v in 0..sizes.visitors {
        let vid = f.id();
        let joined = f.rng.gen_range(0..(PAST_DAYS / 2));
        let joined_at = macau_day_start(start_day + Duration::days(joined))
            + Duration::seconds(f.rng.gen_range(32_400..75_600));
        f.visitor(Visitor {
            id: vid.clone().into(),
            locale: ["zh-Hant", "zh-Hant", "zh-Hans", "en", "pt"][v % 5].into(),
            ref_: REFS[v % REFS.len()].map(str::to_string),
            device_hash: None,
            created_at: joined_at,
            last_seen_at: joined_at,
        })?;
        // Check-ins: counts vary around the mean, pairwise, so the total is exact.
        let mut n = base + usize::from(v < extra);
        if spread > 0 {
            if v % 2 == 0 && v + 1 < sizes.visitors {
                let d = f.rng.gen_range(0..=spread);
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
            let p = f.rng.gen_range(0..sizes.points.max(1));
            let d = f.rng.gen_range(0..days_open);
            if seen.insert((p, d)) {
                let day_start = macau_day_start(start_day + Duration::days(joined + d as i64));
                let mut t = day_start + Duration::seconds(f.rng.gen_range(32_400..75_600));
                if d == 0 && t < joined_at {
                    t = joined_at + Duration::seconds(f.rng.gen_range(60..3_600));
                }
                slots.push((t, p));
            }
        }
        slots.sort();
        let mut rows = Vec::with_capacity(slots.len());
        for (t, p) in &slots {
            let (pid, lat, lng) = points[*p];
            rows.push(Checkin {
                id: f.id().into(),
                visitor_id: vid.clone().into(),
                point_id: pid.to_string().into(),
                campaign_id: campaign_id.clone().into(),
                method: CheckinMethod::Qr,
                day: macau_day(*t),
                scanned_at: *t,
                received_at: *t,
                lat: Some(lat),
                lng: Some(lng),
                nonce: None,
                ref_: None,
                first_visit: false,
            });
        }
        // The stamp coupons the check-ins earn, by the server's rule.
        let earned = f.checkins(rows)?;
        // The sign-up coupon, then the stamp coupons, while the issued total allows.
        let mut mine: Vec<(&Offer, NaiveDateTime, i32, Option<String>)> = Vec::new();
        if coupons_left > 0 {
            mine.push((&signup, joined_at, 1, None));
            coupons_left -= 1;
        }
        for e in earned {
            if coupons_left == 0 {
                break;
            }
            mine.push((&stamp, e.at, e.seq, Some(e.checkin_id)));
            coupons_left -= 1;
        }
        for (o, t, seq, checkin_id) in mine {
            push_coupon(
                &mut f,
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
    }

    // Flash-sale coupons fill the issued total: each offer goes to distinct visitors.
    if !visitors.is_empty() {
        let per_offer = coupons_left.div_ceil(flash.len()).min(visitors.len());
        for o in &flash {
            let stride = coprime_stride(visitors.len());
            let first = f.rng.gen_range(0..visitors.len());
            let opens_at = o.opens_at.unwrap_or(starts_at);
            let window = (today_start - opens_at).num_seconds().max(1);
            for i in 0..per_offer {
                if coupons_left == 0 {
                    break;
                }
                let vid = visitors[(first + i * stride) % visitors.len()].clone();
                let t = opens_at + Duration::seconds(f.rng.gen_range(0..window.min(86_400 * 3)));
                push_coupon(
                    &mut f,
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
                coupons_left -= 1;
            }
        }
    }

    // Page views over the campaign's past days.
    let hashes: Vec<String> = (0..v_n)
        .map(|_| format!("{:024x}", f.rng.gen::<u128>() >> 32))
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
        let d = f.rng.gen_range(0..PAST_DAYS);
        let t = macau_day_start(start_day + Duration::days(d))
            + Duration::seconds(f.rng.gen_range(0..86_400));
        let h = f.rng.gen_range(0..hashes.len());
        let day = macau_day(t);
        if first_seen[h].is_none_or(|fs| day < fs) {
            first_seen[h] = Some(day);
        }
        let r = REFS[f.rng.gen_range(0..REFS.len())].map(str::to_string);
        f.pageview(NewPageview {
            campaign_id: campaign_id.clone().into(),
            path: paths[i % paths.len()].into(),
            ref_: r,
            visitor_hash: hashes[h].clone(),
            day,
            created_at: t,
        })?;
    }
    // First page view of each (hashed) page visitor in the campaign.
    for (h, d) in hashes.iter().zip(&first_seen) {
        if let Some(d) = d {
            f.page_visitor(&campaign_id, h, *d)?;
        }
    }
    let flash_issued: Vec<(String, i32)> = flash
        .iter()
        .map(|o| (o.id.to_string(), f.issued(&o.id)))
        .collect();
    let written = f.finish()?;
    if let Some(dir) = csv_dir {
        report(label, started, &written);
        println!(
            "  [{label}] generated in {:.1}s; loading with COPY",
            started.elapsed().as_secs_f64()
        );
        copy_into(&dir, sizes.pg_url.as_deref().unwrap_or_default())?;
    }
    report(label, started, &written);
    let counts = Counts {
        visitors: written.visitors,
        checkins: written.checkins,
        coupons: written.coupons,
        redemptions: written.redemptions,
        pageviews: written.pageviews,
        points: sizes.points,
        merchants: sizes.merchants,
    };

    // The flash sales are sold out: their stock is what was issued.
    for (id, n) in &flash_issued {
        diesel::update(offers::table.find(id))
            .set(offers::stock.eq(*n))
            .execute(conn)?;
    }
    let load_s = started.elapsed().as_secs_f64();
    println!("  [{label}] rows written in {load_s:.1}s; analysing");
    match backend {
        Backend::Sqlite => {
            conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;")?
        }
        // Autovacuum would otherwise start on the fresh tables in the middle of a phase.
        // The check-ins were copied in bulk: the server's stamp cards follow them.
        Backend::Postgres => {
            bairro::db::checkins::recount_cards(conn, None)?;
            conn.batch_execute("VACUUM (ANALYZE)")?
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("  [{label}] seeded in {seconds:.1}s");
    Ok(Seeded {
        campaign_id,
        slug,
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

/// Issues one coupon through the factory; a chosen number of them are redeemed in the past,
/// the others stay `issued` for the redemption phases.
#[allow(clippy::too_many_arguments)]
fn push_coupon(
    f: &mut Factory<'_>,
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
    let redeem = !merchants.is_empty() && pick.take(&mut f.rng);
    let spend = o.min_spend_avos + f.rng.gen_range(0..20_000);
    let fate = if redeem {
        let m = &merchants[f.rng.gen_range(0..merchants.len())];
        let window = (today_start - issued_at).num_seconds().max(2);
        let at = issued_at + Duration::seconds(f.rng.gen_range(1..window));
        Fate::Redeem {
            merchant_id: m.merchant_id.clone(),
            user_id: m.user_id.clone(),
            spend_avos: spend,
            at,
        }
    } else {
        Fate::Keep
    };
    let issued = f
        .coupon(&o.id, visitor_id, seq, issued_at, checkin_id, None, fate)?
        .ok_or_else(|| anyhow::anyhow!("offer {} refused a coupon", o.id))?;
    if issued.status == "issued" {
        fresh.push(FreshCoupon {
            id: issued.id,
            visitor_id: visitor_id.to_string(),
            code: issued.code,
            offer_id: o.id.to_string(),
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
    fn take(&mut self, rng: &mut rand::rngs::StdRng) -> bool {
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

const COPY_TABLES: [(&str, &str); 9] = [
    ("visitors", "id, locale, ref, device_hash, created_at, last_seen_at"),
    ("checkins", "id, visitor_id, point_id, campaign_id, method, day, scanned_at, received_at, lat, lng, nonce, ref, first_visit"),
    ("coupons", "id, code, offer_id, campaign_id, visitor_id, seq, status, issued_at, expires_at, day, checkin_id, ref"),
    ("redemptions", "id, coupon_id, offer_id, campaign_id, merchant_id, user_id, spend_avos, discount_avos, ecash_avos, status, day, created_at, voided_at, settlement_id, ref"),
    ("pageviews", "campaign_id, path, ref, visitor_hash, day, created_at"),
    ("ledger", "id, campaign_id, kind, offer_id, coupon_id, redemption_id, merchant_id, settlement_id, amount_avos, created_at, prev_hash, hash"),
    ("page_visitors", "campaign_id, visitor_hash, day"),
    ("purchases", "id, campaign_id, merchant_id, visitor_id, user_id, spend_avos, redemption_id, stamped, day, created_at"),
    ("purchase_stamps", "campaign_id, visitor_id, merchant_id, day, spend_avos, purchase_id, created_at"),
];

fn q(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.is_empty() {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn qo<S: AsRef<str>>(s: &Option<S>) -> String {
    s.as_ref().map(|v| q(v.as_ref())).unwrap_or_default()
}

fn fo(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

fn to<T: std::fmt::Display>(x: &Option<T>) -> String {
    x.as_ref().map(|v| v.to_string()).unwrap_or_default()
}

/// Microseconds, as the ledger's hashes were computed over.
fn ts(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
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

    fn write_batch(&mut self, b: &Batch) -> std::io::Result<()> {
        use std::io::Write;
        let f = &mut self.files;
        for x in &b.visitors {
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
        for x in &b.checkins {
            writeln!(
                f[1],
                "{},{},{},{},{},{},{},{},{},{},{},{},{}",
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
                qo(&x.ref_),
                x.first_visit
            )?;
        }
        for x in &b.coupons {
            writeln!(
                f[2],
                "{},{},{},{},{},{},{},{},{},{},{},{}",
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
                qo(&x.checkin_id),
                qo(&x.ref_)
            )?;
        }
        for x in &b.redemptions {
            writeln!(
                f[3],
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
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
                qo(&x.settlement_id.as_ref().map(|s| s.to_string())),
                qo(&x.ref_)
            )?;
        }
        for x in &b.pageviews {
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
        for x in &b.ledger {
            writeln!(
                f[5],
                "{},{},{},{},{},{},{},{},{},{},{},{}",
                x.id,
                x.campaign_id,
                x.kind,
                qo(&x.offer_id),
                qo(&x.coupon_id),
                qo(&x.redemption_id),
                qo(&x.merchant_id),
                qo(&x.settlement_id),
                x.amount_avos,
                ts(&x.created_at),
                x.prev_hash,
                x.hash
            )?;
        }
        for x in &b.page_visitors {
            writeln!(f[6], "{},{},{}", x.campaign_id, x.visitor_hash, x.day)?;
        }
        for x in &b.purchases {
            writeln!(
                f[7],
                "{},{},{},{},{},{},{},{},{},{}",
                x.id,
                x.campaign_id,
                x.merchant_id,
                x.visitor_id,
                qo(&x.user_id),
                x.spend_avos,
                qo(&x.redemption_id),
                x.stamped,
                x.day,
                x.created_at
            )?;
        }
        for x in &b.stamps {
            writeln!(
                f[8],
                "{},{},{},{},{},{},{}",
                x.campaign_id,
                x.visitor_id,
                x.merchant_id,
                x.day,
                x.spend_avos,
                x.purchase_id,
                x.created_at
            )?;
        }
        for f in &mut self.files {
            f.flush()?;
        }
        Ok(())
    }
}

impl Sink for CsvFiles {
    fn write(&mut self, conn: &mut DbConn, b: &Batch) -> Result<(), AppError> {
        // Check-in refusals are not part of the benchmark's data; anything else not in a
        // file would be inserted as usual.
        if !b.refusals.is_empty() {
            let rest = Batch {
                refusals: b.refusals.clone(),
                ..Default::default()
            };
            Insert.write(conn, &rest)?;
        }
        self.write_batch(b)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("CSV: {e}")))
    }
}

/// Loads the files in foreign-key order: visitors; then check-ins, coupons and page views
/// at once (two cores); then redemptions; then the ledger and the page visitors; then the
/// purchases and their stamps.
fn copy_into(dir: &std::path::Path, url: &str) -> anyhow::Result<()> {
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
        let path = dir.join(format!("{t}.csv"));
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
    let (l, p) = (copy(5)?, copy(6)?);
    wait(l, "ledger")?;
    wait(p, "page_visitors")?;
    let (pu, ps) = (copy(7)?, copy(8)?);
    wait(pu, "purchases")?;
    wait(ps, "purchase_stamps")?;
    println!(
        "    COPY done in {:.1}s{}",
        t.elapsed().as_secs_f64(),
        if replica {
            " (foreign-key triggers skipped)"
        } else {
            ""
        }
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
