//! Demo data for `bairro serve --demo`: the three district campaigns of 2021–2022 with their
//! points, 126 merchants across categories, offers, and a generated history (visitors,
//! check-ins, coupons, redemptions, page views, settlements, survey answers) so that every
//! dashboard shows something. Loaded only into an empty database, through the row factory
//! (`crate::seed`) the benchmark uses too. `--demo-scale real` loads the campaigns at the scale
//! the bureau reported: 1.43 million page views, about 700,000 coupons, 126 merchants.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::{DemoScale, Settings};
use crate::db::models::*;
use crate::db::schema::*;
use crate::db::{DbConn, DbPool};
use crate::domain::names::Names;
use crate::domain::time::{macau_day, macau_day_start};
use crate::error::AppError;
use crate::seed::{Counts, Factory, Fate, Insert, StatementPlan};
use crate::service::passwords;
use crate::types::{
    CampaignId, CampaignStatus, CheckinMethod, EnrolmentStatus, MerchantId, OfferKind, PointKind,
    TriggerType, VisitorId,
};

pub const MERCHANTS: usize = 126;

struct CampaignSeed {
    slug: &'static str,
    name: (&'static str, &'static str, &'static str, &'static str),
    district: &'static str,
    start: (i32, u32, u32),
    days: i64,
    live: bool,
    centre: (f64, f64),
    points: &'static [(&'static str, &'static str, &'static str, &'static str, bool)],
    merchants: std::ops::RangeInclusive<usize>,
    /// Streets of the district (Chinese, Portuguese) for the shops' addresses.
    streets: &'static [(&'static str, &'static str)],
    visitors: usize,
    /// Visitors at the real scale (`--demo-scale real`).
    real_visitors: usize,
}

const CAMPAIGNS: [CampaignSeed; 3] = [
    CampaignSeed {
        slug: "kwan-tin",
        name: (
            "關前薈",
            "Arraial na Rua dos Ervanários",
            "Kwan Tin Fair",
            "关前荟",
        ),
        district: "關前街區 · Rua dos Ervanários / Rua de Nossa Senhora do Amparo",
        start: (2021, 11, 20),
        days: 60,
        live: false,
        centre: (22.19740, 113.53790),
        points: &[
            (
                "關前正街牌坊",
                "Arco da Rua dos Ervanários",
                "Kwan Tin Street Arch",
                "qr",
                false,
            ),
            (
                "關前後街壁畫",
                "Mural da Rua de Nossa Senhora do Amparo",
                "Amparo Street Mural",
                "ar",
                false,
            ),
            (
                "營地大街老字號",
                "Loja antiga da Rua dos Mercadores",
                "Heritage shop, Rua dos Mercadores",
                "qr",
                false,
            ),
            ("大關斜巷", "Calçada do Amparo", "Amparo Slope", "ar", false),
        ],
        merchants: 81..=110,
        streets: &[
            ("關前正街", "Rua dos Ervanários"),
            ("關前後街", "Rua de Nossa Senhora do Amparo"),
            ("營地大街", "Rua dos Mercadores"),
            ("大關斜巷", "Calçada do Amparo"),
        ],
        visitors: 7000,
        real_visitors: 120_000,
    },
    CampaignSeed {
        slug: "coloane",
        name: ("悠路環", "Arraial em Coloane", "Coloane Stroll", "悠路环"),
        district: "路環市區 · Vila de Coloane",
        start: (2022, 4, 16),
        days: 75,
        live: false,
        centre: (22.11660, 113.55500),
        points: &[
            (
                "聖方濟各堂前地",
                "Largo da Capela de São Francisco Xavier",
                "St Francis Xavier Square",
                "qr",
                false,
            ),
            (
                "譚公廟",
                "Templo de Tam Kong",
                "Tam Kong Temple",
                "ar",
                false,
            ),
            ("路環碼頭", "Cais de Coloane", "Coloane Pier", "qr", false),
            (
                "十月初五馬路",
                "Avenida de Cinco de Outubro",
                "Avenida de Cinco de Outubro",
                "qr",
                false,
            ),
        ],
        merchants: 111..=126,
        streets: &[
            ("十月初五馬路", "Avenida de Cinco de Outubro"),
            ("船人街", "Rua dos Navegantes"),
            ("計單奴街", "Rua do Caetano"),
        ],
        visitors: 3000,
        real_visitors: 56_000,
    },
    CampaignSeed {
        slug: "taipa",
        name: (
            "悠氹仔",
            "Arraial na Taipa",
            "Taipa Village Stroll",
            "悠氹仔",
        ),
        district: "氹仔舊城區 · Vila da Taipa",
        start: (2022, 9, 23),
        days: 0,
        live: true,
        centre: (22.15330, 113.55610),
        points: &[
            ("官也街", "Rua do Cunha", "Rua do Cunha", "qr", false),
            (
                "龍環葡韻",
                "Casas-Museu da Taipa",
                "Taipa Houses",
                "ar",
                false,
            ),
            (
                "嘉模聖母堂",
                "Igreja de Nossa Senhora do Carmo",
                "Our Lady of Carmel Church",
                "qr",
                true,
            ),
            ("地堡街", "Rua do Regedor", "Rua do Regedor", "qr", false),
            (
                "施督憲正街",
                "Rua Correia da Silva",
                "Rua Correia da Silva",
                "ar",
                false,
            ),
        ],
        merchants: 1..=80,
        streets: &[
            ("官也街", "Rua do Cunha"),
            ("地堡街", "Rua do Regedor"),
            ("施督憲正街", "Rua Direita Carlos Eugénio"),
            ("告利雅施利華街", "Rua Correia da Silva"),
            ("消防局前地", "Largo dos Bombeiros"),
        ],
        visitors: 9000,
        real_visitors: 110_000,
    },
];

const CATEGORIES: [(&str, &str, &str, &str); 6] = [
    ("food", "餐廳", "Restaurante", "Restaurant"),
    ("food", "咖啡店", "Café", "Café"),
    ("food", "手信店", "Loja de lembranças", "Souvenir shop"),
    ("retail", "雜貨店", "Mercearia", "Grocery"),
    ("services", "理髮店", "Barbearia", "Barber"),
    (
        "culture",
        "工藝坊",
        "Oficina de artesanato",
        "Craft workshop",
    ),
];

/// The first part of a shop's name (Chinese, romanised): with the category's noun, each of
/// the 126 shops gets its own name (merchant i takes word i / 6 and category i % 6).
const SHOP_WORDS: [(&str, &str); 22] = [
    ("榮記", "Weng Kei"),
    ("祥興", "Cheong Heng"),
    ("永利", "Weng Lei"),
    ("新華", "San Wa"),
    ("德昌", "Tak Cheong"),
    ("合成", "Hap Seng"),
    ("福來", "Fok Loi"),
    ("金龍", "Kam Long"),
    ("海景", "Hoi Keng"),
    ("南灣", "Nam Van"),
    ("同安", "Tong On"),
    ("信義", "Son I"),
    ("瑞昌", "Soi Cheong"),
    ("大利", "Tai Lei"),
    ("泰豐", "Tai Fong"),
    ("美華", "Mei Wa"),
    ("廣興", "Kwong Heng"),
    ("安記", "On Kei"),
    ("利民", "Lei Man"),
    ("昌盛", "Cheong Seng"),
    ("寶華", "Pou Wa"),
    ("恒發", "Hang Fat"),
];

const REFS: [Option<&str>; 6] = [
    None,
    Some("kol-macaufoodie"),
    Some("kol-travelwithmia"),
    Some("xhs-live"),
    Some("bureau-site"),
    None,
];

fn at(d: (i32, u32, u32)) -> NaiveDateTime {
    macau_day_start(NaiveDate::from_ymd_opt(d.0, d.1, d.2).expect("valid date"))
}

/// Page views per visitor at the real scale: 286,000 visitors × 5 = 1.43 million.
const REAL_PAGEVIEWS_PER_VISITOR: usize = 5;

/// How much history each campaign gets.
struct Scale {
    visitors: usize,
    /// Share of visitors who go on to check in.
    checkin_share: f64,
    /// Check-in e-cash coupons a visitor may earn (one per two distinct points).
    ecash_limit: i32,
    /// Share of visitors who claim the limited e-cash, and its stock.
    claim_share: f64,
    claim_stock: i32,
}

impl Scale {
    fn of(seed: &CampaignSeed, scale: DemoScale) -> Scale {
        match scale {
            DemoScale::Standard => Scale {
                visitors: seed.visitors,
                checkin_share: 0.7,
                ecash_limit: 1,
                claim_share: 0.08,
                claim_stock: 800,
            },
            DemoScale::Real => Scale {
                visitors: seed.real_visitors,
                checkin_share: 0.8,
                ecash_limit: 2,
                claim_share: 0.9,
                claim_stock: (seed.real_visitors as i32) * 9 / 10,
            },
        }
    }

    /// Visitor `i`'s page views: 1–4 at the standard scale; at the real scale five on
    /// average, in pairs that add up exactly (so the total is exactly 1.43 million).
    fn pageviews(&self, scale: DemoScale, i: usize, rng: &mut StdRng, carry: &mut usize) -> usize {
        match scale {
            DemoScale::Standard => rng.gen_range(1..5),
            DemoScale::Real => {
                let avg = REAL_PAGEVIEWS_PER_VISITOR;
                if i.is_multiple_of(2) && i + 1 < self.visitors {
                    let d = rng.gen_range(0..avg);
                    *carry = d;
                    avg - d
                } else {
                    avg + std::mem::take(carry)
                }
            }
        }
    }
}

/// Loads the demo data when the database has no campaign yet.
pub fn load_if_empty(pool: &DbPool, settings: &Settings) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let n: i64 = campaigns::table.count().get_result(&mut conn)?;
    if n > 0 {
        tracing::info!("database already has campaigns; demo data not loaded again");
        return Ok(());
    }
    let scale = settings.demo_scale;
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(expected_rows(scale) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "demo data {bar:40} {percent:>3}% {human_pos}/{human_len} rows, {elapsed} (eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // The bulk load does not need each chunk on disk before the next: the file is only
    // trusted once the load has finished (a half-loaded database is not loaded again).
    // The big tables' secondary indexes are dropped for the load and built after it, in one
    // sorted pass each, instead of being updated row by row.
    let mut dropped: Vec<String> = Vec::new();
    if let DbConn::Sqlite(c) = &mut *conn {
        c.batch_execute(
            "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY; \
             PRAGMA wal_autocheckpoint = 20000;",
        )?;
        if scale == DemoScale::Real {
            // Millions of rows from the row factory, whose references the standard scale
            // (loaded with the checks on, and tested) shows sound: no parent look-ups per row.
            c.batch_execute("PRAGMA foreign_keys = OFF;")?;
        }
        dropped = drop_bulk_indexes(c)?;
    }
    let counts = load(&mut conn, scale, |written| bar.set_position(written as u64));
    let loaded_ms = started.elapsed().as_millis() as u64;
    bar.finish_and_clear();
    if let DbConn::Sqlite(c) = &mut *conn {
        if !dropped.is_empty() {
            tracing::info!(indexes = dropped.len(), "demo data: building indexes");
        }
        c.batch_execute(&dropped.join(";\n"))?;
        c.batch_execute(
            "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA synchronous = NORMAL; \
             PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT; \
             PRAGMA wal_autocheckpoint = 1000; PRAGMA foreign_keys = ON;",
        )?;
    }
    let counts = counts.map_err(|e| anyhow::anyhow!("demo data: {e}"))?;
    // The history's check-ins were written in bulk: PostgreSQL's stamp cards follow them.
    crate::db::checkins::recount_cards(&mut conn, None)?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        rows_ms = loaded_ms,
        indexes_ms = started.elapsed().as_millis() as u64 - loaded_ms,
        scale = ?scale,
        rows = counts.total(),
        pageviews = counts.pageviews,
        coupons = counts.coupons,
        checkins = counts.checkins,
        redemptions = counts.redemptions,
        ledger = counts.ledger,
        "demo data loaded"
    );
    Ok(())
}

/// Tables the history fills with many rows.
const BULK_TABLES: [&str; 8] = [
    "visitors",
    "pageviews",
    "page_visitors",
    "checkins",
    "checkin_refusals",
    "coupons",
    "redemptions",
    "ledger",
];

#[derive(QueryableByName)]
struct IndexSql {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    sql: String,
}

/// Drops the secondary indexes of the big tables (those made by `CREATE INDEX`; keys and
/// `UNIQUE` constraints stay) and returns the statements that make them again.
fn drop_bulk_indexes(c: &mut diesel::SqliteConnection) -> Result<Vec<String>, AppError> {
    let tables = BULK_TABLES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let found: Vec<IndexSql> = diesel::sql_query(format!(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
         AND tbl_name IN ({tables}) ORDER BY name"
    ))
    .load(c)?;
    for i in &found {
        c.batch_execute(&format!("DROP INDEX \"{}\"", i.name))?;
    }
    Ok(found.into_iter().map(|i| i.sql).collect())
}

/// About how many rows the history has (for the progress bar).
fn expected_rows(scale: DemoScale) -> usize {
    CAMPAIGNS
        .iter()
        .map(|c| match scale {
            DemoScale::Standard => c.visitors * 12,
            DemoScale::Real => c.real_visitors * 17,
        })
        .sum()
}

/// Loads the demo data through the row factory; `progress` hears the rows written so far.
pub fn load(
    conn: &mut DbConn,
    scale: DemoScale,
    mut progress: impl FnMut(usize),
) -> Result<Counts, AppError> {
    let mut f = Factory::new(conn, 20_211_120, Box::new(Insert));
    f.on_progress(move |c| progress(c.total()));
    let t0 = f.now();

    // Officials: two, so statements can be approved by someone other than who generated them.
    let official_hash = passwords::hash("official-demo");
    let officials: Vec<User> = ["official", "official-2"]
        .iter()
        .map(|u| User {
            id: f.id().into(),
            username: (*u).into(),
            password_hash: official_hash.clone(),
            role: crate::types::UserRole::Official,
            merchant_id: None,
            merchant_role: None,
            active: true,
            created_at: t0,
        })
        .collect();
    f.users(&officials)?;

    // Merchants and their owners' logins.
    let merchant_hash = passwords::hash("merchant-demo");
    let mut merchants_v = Vec::new();
    let mut users_v = Vec::new();
    for i in 1..=MERCHANTS {
        let camp = CAMPAIGNS
            .iter()
            .find(|c| c.merchants.contains(&i))
            .expect("every merchant has a campaign");
        let (cat, zh, pt, en) = CATEGORIES[i % CATEGORIES.len()];
        let (w_zh, w_rom) = SHOP_WORDS[i / CATEGORIES.len()];
        let (st_zh, st_pt) = camp.streets[i % camp.streets.len()];
        let number = 1 + (i * 7) % 38;
        let mid = MerchantId::from(f.id());
        let lat = camp.centre.0 + f.rng.gen_range(-0.0012..0.0012);
        let lng = camp.centre.1 + f.rng.gen_range(-0.0012..0.0012);
        merchants_v.push(Merchant {
            id: mid.clone(),
            name: Names::new(
                &format!("{w_zh}{zh}"),
                &format!("{pt} {w_rom}"),
                &format!("{w_rom} {en}"),
            )
            .to_json(),
            category: cat.into(),
            address: format!("{st_zh}{number}號 · {st_pt}, {number}"),
            lat,
            lng,
            m_mark: i % 4 == 0,
            created_at: t0,
        });
        users_v.push(User {
            id: f.id().into(),
            username: format!("merchant-{i}"),
            password_hash: merchant_hash.clone(),
            role: crate::types::UserRole::Merchant,
            merchant_id: Some(mid),
            merchant_role: Some(crate::types::MerchantRole::Owner),
            active: true,
            created_at: t0,
        });
    }
    f.merchants(&merchants_v)?;
    f.users(&users_v)?;
    let owner: HashMap<&str, &str> = users_v
        .iter()
        .filter_map(|u| u.merchant_id.as_deref().map(|m| (m, u.id.as_str())))
        .collect();
    // Bank accounts to pay the statements into: most verified, a few waiting for a check,
    // a few not entered yet.
    let banks = [
        "Banco Nacional Ultramarino",
        "Banco da China, Sucursal de Macau",
        "Banco Tai Fung",
    ];
    let accounts: Vec<crate::db::payouts::BankAccount> = merchants_v
        .iter()
        .zip(&users_v)
        .enumerate()
        .filter(|(i, _)| (i + 1) % 15 != 0)
        .map(|(i, (m, u))| crate::db::payouts::BankAccount {
            merchant_id: m.id.clone(),
            account_name: Names::from_json(&m.name).pt,
            bank: banks[i % banks.len()].into(),
            account_number: format!("{:04}-{:03}-{:06}", 9000 + i % 7, 100 + i, 200_000 + i * 37),
            updated_by: u.id.clone(),
            updated_at: t0,
            verified_by: ((i + 1) % 10 != 0).then(|| officials[0].id.clone()),
            verified_at: ((i + 1) % 10 != 0).then_some(t0),
        })
        .collect();
    crate::insert_rows!(f.conn(), bank_accounts::table, &accounts)?;

    for (ci, seed) in CAMPAIGNS.iter().enumerate() {
        let sc = Scale::of(seed, scale);
        let start = at(seed.start);
        let end = if seed.live {
            t0 + Duration::days(90)
        } else {
            start + Duration::days(seed.days)
        };
        let cid = CampaignId::from(f.id());
        f.campaign(&Campaign {
            id: cid.clone(),
            slug: seed.slug.into(),
            name: Names {
                zh_hant: seed.name.0.into(),
                pt: seed.name.1.into(),
                en: seed.name.2.into(),
                zh_hans: Some(seed.name.3.into()),
            }
            .to_json(),
            district: seed.district.into(),
            description: None,
            starts_at: start,
            ends_at: end,
            status: if seed.live {
                CampaignStatus::Published
            } else {
                CampaignStatus::Ended
            },
            created_at: start - Duration::days(30),
            updated_at: start,
        })?;
        if seed.live {
            // The running campaign has a public budget: MOP 100 of e-cash per expected visitor.
            f.budget(&cid, Some(sc.visitors as i64 * 10_000), None)?;
        }

        let pts: Vec<Point> = seed
            .points
            .iter()
            .enumerate()
            .map(|(k, (zh, pt, en, kind, rotating))| Point {
                id: f.id().into(),
                campaign_id: cid.clone(),
                name: Names::new(zh, pt, en).to_json(),
                kind: PointKind::parse(kind).expect("the demo's point kinds are known"),
                lat: seed.centre.0 + 0.0006 * (k as f64 - 2.0),
                lng: seed.centre.1 + 0.0005 * ((k % 3) as f64 - 1.0),
                radius_m: 150,
                rotating: *rotating,
                rotate_seconds: 30,
                // Points made today require the visitor's location; so do the demo's.
                require_location: true,
                created_at: start - Duration::days(10),
            })
            .collect();
        f.points(&pts)?;
        let cover = crate::domain::imagery::from_rgb(
            &street_picture(ci),
            crate::domain::imagery::Kind::Cover,
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("demo cover: {e}")))?;
        crate::db::images::put(f.conn(), "campaign", &cid, &cover)?;

        // Enrolments: submitted before the campaign, most decided within five working days.
        let mut enrol = Vec::new();
        // In the running campaign the district's last twelve shops applied only lately.
        let recent: Vec<usize> = if seed.live {
            (seed.merchants.end() - 11..=*seed.merchants.end()).collect()
        } else {
            Vec::new()
        };
        for i in seed.merchants.clone().filter(|i| !recent.contains(i)) {
            let submitted = start - Duration::days(25) + Duration::hours(f.rng.gen_range(0..240));
            let late = f.rng.gen_bool(0.06);
            let decided = submitted
                + if late {
                    Duration::days(f.rng.gen_range(9..14))
                } else {
                    Duration::hours(f.rng.gen_range(4..70))
                };
            enrol.push(Enrolment {
                id: f.id().into(),
                campaign_id: cid.clone(),
                merchant_id: merchants_v[i - 1].id.clone(),
                status: EnrolmentStatus::Approved,
                submitted_at: submitted,
                decided_at: Some(decided),
                decided_by: Some(officials[0].id.to_string()),
                reason: None,
            });
        }
        if seed.live {
            // Recent applications from the district's own shops: most decided within five
            // working days, one late, a few still waiting — the pledge report of this year.
            for (j, &i) in recent.iter().enumerate() {
                let (submitted, decided) = match j {
                    0..=2 => (t0 - Duration::hours(f.rng.gen_range(5..60)), None),
                    3 => (t0 - Duration::days(40), Some(t0 - Duration::days(27))),
                    _ => {
                        let s = t0 - Duration::days(f.rng.gen_range(6..50));
                        (s, Some(s + Duration::hours(f.rng.gen_range(4..70))))
                    }
                };
                enrol.push(Enrolment {
                    id: f.id().into(),
                    campaign_id: cid.clone(),
                    merchant_id: merchants_v[i - 1].id.clone(),
                    status: if decided.is_some() {
                        EnrolmentStatus::Approved
                    } else {
                        EnrolmentStatus::Pending
                    },
                    submitted_at: submitted,
                    decided_at: decided,
                    decided_by: decided.map(|_| officials[0].id.to_string()),
                    reason: None,
                });
            }
        }
        f.enrolments(&enrol)?;
        // Shops that could take coupons: approved, with the date they were.
        let shops: Vec<(&Merchant, NaiveDateTime)> = enrol
            .iter()
            .filter(|e| e.status == EnrolmentStatus::Approved)
            .filter_map(|e| {
                let m = merchants_v.iter().find(|m| m.id == e.merchant_id)?;
                Some((m, e.decided_at.unwrap_or(e.submitted_at)))
            })
            .collect();

        // Offers: e-cash for check-ins (spend at least 3× face value), a discount on sign-up,
        // and a first-come-first-served e-cash release.
        let mk = |id: String,
                  name: Names,
                  kind: &str,
                  face: i64,
                  min: i64,
                  pct: i32,
                  cap: i64,
                  stock: i32,
                  limit: i32,
                  trig: &str,
                  count: Option<i32>| Offer {
            id: id.into(),
            campaign_id: cid.clone(),
            name: name.to_json(),
            kind: OfferKind::parse(kind).expect("the demo's offer kinds are known"),
            face_value_avos: face,
            min_spend_avos: min,
            percent_off: pct,
            max_discount_avos: cap,
            stock,
            issued: 0,
            per_visitor_limit: limit,
            valid_days: 30,
            valid_until: end + Duration::days(30),
            trigger_type: TriggerType::parse(trig).expect("the demo's triggers are known"),
            trigger_count: count,
            opens_at: (trig == "claim").then_some(if seed.live {
                t0 - Duration::hours(1)
            } else {
                start
            }),
            eligible_categories: if trig == "signup" {
                r#"["food"]"#.into()
            } else {
                "[]".into()
            },
            created_at: start - Duration::days(5),
            // The running campaign's first-come-first-served e-cash asks for a verified phone
            // or e-mail; the check-in e-cash and the discount stay open to anonymous visitors.
            requires_verified: seed.live && kind == "ecash" && trig == "claim",
        };
        let offers_v = vec![
            mk(
                f.id(),
                Names::new(
                    "打卡電子現金券 MOP 50",
                    "Cupão electrónico MOP 50 por visitas",
                    "MOP 50 e-cash for check-ins",
                ),
                "ecash",
                5000,
                15000,
                0,
                0,
                (sc.visitors as i32) * 2,
                sc.ecash_limit,
                "checkins",
                Some(2),
            ),
            mk(
                f.id(),
                Names::new(
                    "新用戶九折優惠券",
                    "Cupão de desconto de 10% para novos utilizadores",
                    "10% off for new visitors",
                ),
                "discount",
                0,
                0,
                10,
                3000,
                (sc.visitors as i32) * 2,
                1,
                "signup",
                None,
            ),
            mk(
                f.id(),
                Names::new(
                    "限量電子現金券 MOP 20",
                    "Cupão electrónico limitado MOP 20",
                    "Limited MOP 20 e-cash",
                ),
                "ecash",
                2000,
                6000,
                0,
                0,
                sc.claim_stock,
                1,
                "claim",
                None,
            ),
        ];
        f.offers(&offers_v)?;
        // Shops each offer can be spent at (the sign-up discount is for food shops).
        let eligible: Vec<Vec<(&str, &str, NaiveDateTime)>> = offers_v
            .iter()
            .map(|o| {
                let cats = o.categories();
                shops
                    .iter()
                    .filter(|(m, _)| cats.is_empty() || cats.contains(&m.category))
                    .map(|(m, since)| (m.id.as_str(), owner[m.id.as_str()], *since))
                    .collect()
            })
            .collect();

        // History: visitors arrive over the campaign, check in, earn and spend coupons.
        // The running campaign's history is its last sixty days, so its dashboard is current.
        let (history_start, history_end) = if seed.live {
            (t0 - Duration::days(60), t0 - Duration::hours(1))
        } else {
            (start, end)
        };
        // Settlements: one statement per merchant, approved and paid — for the whole of an
        // ended campaign, and for the running one up to a month ago (the rest is left to settle).
        let (settle_from, settle_before, settled_on) = if seed.live {
            (
                history_start,
                t0 - Duration::days(30),
                t0 - Duration::days(28),
            )
        } else {
            (start, end, end + Duration::days(3))
        };
        f.plan_statements(
            &cid,
            StatementPlan {
                before: settle_before,
                period_from: macau_day(settle_from),
                period_to: macau_day(settle_before - Duration::seconds(1)),
                created_at: settled_on,
                created_by: officials[0].id.to_string(),
                approved_by: officials[1].id.to_string(),
                approved_after: Duration::days(2),
                paid_after_days: (2, 8),
            },
        );
        let span_secs = (history_end - history_start).num_seconds().max(1);
        let mut carry = 0;
        for vi in 0..sc.visitors {
            let arrive = history_start + Duration::seconds(f.rng.gen_range(0..span_secs));
            let ref_ = REFS[f.rng.gen_range(0..REFS.len())].map(str::to_string);
            let vid = VisitorId::from(f.id());
            let vhash = format!("{:024x}", f.rng.gen::<u128>() >> 32);
            let locale = ["zh-Hant", "zh-Hans", "pt", "en"][f.rng.gen_range(0..4)];
            f.visitor(Visitor {
                id: vid.clone(),
                locale: locale.into(),
                ref_: ref_.clone(),
                device_hash: Some(vhash.clone()),
                created_at: arrive,
                last_seen_at: arrive,
            })?;
            for k in 0..sc.pageviews(scale, vi, &mut f.rng, &mut carry) {
                let tv = arrive + Duration::minutes(k as i64 * 7);
                f.pageview(NewPageview {
                    campaign_id: cid.clone(),
                    path: if k == 0 {
                        "/".into()
                    } else {
                        format!("/points/{}", (k - 1) % pts.len() + 1)
                    },
                    ref_: ref_.clone(),
                    visitor_hash: vhash.clone(),
                    day: macau_day(tv),
                    created_at: tv,
                })?;
            }
            f.page_visitor(&cid, &vhash, macau_day(arrive))?;
            // Signing up brings the sign-up discount.
            let mut earned: Vec<(usize, i32, NaiveDateTime, Option<String>)> =
                vec![(1, 1, arrive, None)];
            if f.rng.gen_bool(sc.checkin_share) {
                let n_points = f.rng.gen_range(1..=pts.len());
                let mut t = arrive + Duration::minutes(10);
                let mut rows = Vec::new();
                for p in pts.iter().take(n_points) {
                    t += Duration::minutes(f.rng.gen_range(5..40));
                    let method = match p.kind {
                        PointKind::Ar => CheckinMethod::Ar,
                        PointKind::Qr => CheckinMethod::Qr,
                    };
                    rows.push(Checkin {
                        id: f.id().into(),
                        visitor_id: vid.clone(),
                        point_id: p.id.clone(),
                        campaign_id: cid.clone(),
                        method,
                        day: macau_day(t),
                        scanned_at: t,
                        received_at: t,
                        lat: Some(p.lat),
                        lng: Some(p.lng),
                        nonce: None,
                        ref_: ref_.clone(),
                        first_visit: false,
                    });
                    if f.rng.gen_bool(0.03) {
                        let reason = ["outside_geofence", "payload_expired", "already_checked_in"]
                            [f.rng.gen_range(0..3)];
                        let id = f.id();
                        f.refusal(CheckinRefusal {
                            id: id.into(),
                            visitor_id: Some(vid.clone()),
                            point_id: Some(p.id.clone()),
                            campaign_id: Some(cid.clone()),
                            reason: reason.into(),
                            method,
                            lat: None,
                            lng: None,
                            day: macau_day(t),
                            created_at: t,
                        })?;
                    }
                }
                for e in f.checkins(rows)? {
                    earned.push((0, e.seq, e.at, Some(e.checkin_id)));
                }
                if f.rng.gen_bool(sc.claim_share) {
                    earned.push((2, 1, t + Duration::minutes(5), None));
                }
            }
            // Coupons earned, and spent at an eligible shop (or kept, or expired).
            for (oi, seq, issued_at, checkin_id) in earned {
                let shops = &eligible[oi];
                let redeem = f.rng.gen_bool(if oi == 1 { 0.35 } else { 0.6 });
                let redeemed_at = issued_at + Duration::hours(f.rng.gen_range(1..72));
                let open: Vec<&(&str, &str, NaiveDateTime)> =
                    shops.iter().filter(|s| s.2 <= redeemed_at).collect();
                let fate = if redeem && !open.is_empty() {
                    let (m, u, _) = open[f.rng.gen_range(0..open.len())];
                    let o = &offers_v[oi];
                    let spend = (o.min_spend_avos + f.rng.gen_range(0..30000)) / 10 * 10;
                    Fate::Redeem {
                        merchant_id: (*m).into(),
                        user_id: (*u).into(),
                        spend_avos: spend.max(o.min_spend_avos),
                        at: redeemed_at,
                    }
                } else {
                    Fate::Keep
                };
                f.coupon(
                    &offers_v[oi].id,
                    &vid,
                    seq,
                    issued_at,
                    checkin_id,
                    ref_.clone(),
                    fate,
                )?;
            }
        }

        // The survey: about four in five merchants say customers came because of the campaign.
        if !seed.live {
            let survey_v: Vec<SurveyAnswer> = shops
                .iter()
                .map(|(m, _)| SurveyAnswer {
                    campaign_id: cid.clone(),
                    merchant_id: m.id.clone(),
                    came_because_of_campaign: f.rng.gen_bool(0.8),
                    estimate_pct: Some(f.rng.gen_range(10..70)),
                    comment: None,
                    created_at: end + Duration::days(5),
                    updated_at: end + Duration::days(5),
                })
                .collect();
            crate::insert_rows!(f.conn(), survey_answers::table, &survey_v)?;
        }
    }
    f.finish()
}

/// A drawn cover for a demo campaign: sky, a row of old shop-houses in the district's colours
/// with shuttered windows, and a string of lanterns (no photograph is shipped with the demo).
fn street_picture(which: usize) -> image::RgbImage {
    let (w, h) = crate::domain::imagery::Kind::Cover.size();
    let palettes: [[[u8; 3]; 4]; 3] = [
        [
            [196, 74, 52],
            [231, 190, 92],
            [148, 64, 46],
            [240, 214, 170],
        ],
        [
            [236, 200, 86],
            [98, 158, 196],
            [226, 226, 214],
            [190, 120, 70],
        ],
        [
            [132, 196, 168],
            [240, 236, 222],
            [236, 196, 108],
            [94, 150, 170],
        ],
    ];
    let pal = palettes[which % palettes.len()];
    let mut rng = StdRng::seed_from_u64(which as u64 + 7);
    let mut img = image::RgbImage::from_fn(w, h, |_, y| {
        let t = y as f32 / h as f32;
        image::Rgb([
            (120.0 + 110.0 * t) as u8,
            (170.0 + 60.0 * t) as u8,
            (225.0 + 20.0 * t) as u8,
        ])
    });
    let ground = h * 82 / 100;
    let mut x = 0u32;
    let mut k = 0usize;
    while x < w {
        let bw = rng.gen_range(150..230).min(w - x);
        let top = rng.gen_range(h * 22 / 100..h * 40 / 100);
        let col = pal[k % 4];
        for yy in top..ground {
            for xx in x..x + bw {
                img.put_pixel(xx, yy, image::Rgb(col));
            }
        }
        // Windows with green shutters, two rows, and a door.
        for row in 0..2u32 {
            let wy = top + 30 + row * 95;
            for c in 0..3u32 {
                let wx = x + 22 + c * (bw.saturating_sub(44) / 3).max(1);
                for yy in wy..(wy + 55).min(ground) {
                    for xx in wx..(wx + 26).min(x + bw) {
                        img.put_pixel(xx, yy, image::Rgb([46, 96, 70]));
                    }
                }
            }
        }
        let dx = x + bw / 2 - 20;
        for yy in ground - 80..ground {
            for xx in dx..dx + 40 {
                img.put_pixel(xx, yy, image::Rgb([70, 44, 32]));
            }
        }
        x += bw;
        k += 1;
    }
    for yy in ground..h {
        for xx in 0..w {
            let stone = if (xx / 40 + yy / 20) % 2 == 0 {
                168
            } else {
                150
            };
            img.put_pixel(xx, yy, image::Rgb([stone, stone - 8, stone - 20]));
        }
    }
    // Lanterns on a string across the street.
    for i in 0..12u32 {
        let cx = 50 + i * (w - 100) / 11;
        let cy = h * 14 / 100 + ((i as f32 * 0.9).sin().abs() * 18.0) as u32;
        for yy in cy.saturating_sub(20)..cy + 20 {
            for xx in cx.saturating_sub(14)..cx + 14 {
                let dx = xx as f32 - cx as f32;
                let dy = (yy as f32 - cy as f32) * 0.7;
                if dx * dx + dy * dy < 196.0 {
                    img.put_pixel(xx, yy, image::Rgb([210, 40, 36]));
                }
            }
        }
    }
    img
}
