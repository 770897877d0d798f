//! Demo data for `bairro serve --demo`: the three district campaigns of 2021–2022 with their
//! points, 126 merchants across categories, offers, and a generated history (visitors,
//! check-ins, coupons, redemptions, page views, settlements, survey answers) so that every
//! dashboard shows something. Loaded only into an empty database.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::config::Settings;
use crate::db::models::*;
use crate::db::schema::*;
use crate::db::{write_tx, DbConn, DbPool};
use crate::domain::names::Names;
use crate::domain::time::{macau_day, macau_day_start, now};
use crate::domain::{codes, money};
use crate::error::AppError;
use crate::service::passwords;

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

fn id(rng: &mut StdRng) -> String {
    Uuid::from_bytes(rng.gen()).to_string()
}

fn code(rng: &mut StdRng) -> String {
    const A: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    (0..codes::CODE_LEN)
        .map(|_| A[rng.gen_range(0..32)] as char)
        .collect()
}

fn at(d: (i32, u32, u32)) -> NaiveDateTime {
    macau_day_start(NaiveDate::from_ymd_opt(d.0, d.1, d.2).expect("valid date"))
}

fn insert_chunks<T, F>(conn: &mut DbConn, rows: &[T], size: usize, mut f: F) -> Result<(), AppError>
where
    F: FnMut(&mut DbConn, &[T]) -> QueryResult<usize>,
{
    for chunk in rows.chunks(size) {
        f(conn, chunk)?;
    }
    Ok(())
}

/// Inserts rows in statements of `$size` rows.
macro_rules! store {
    ($conn:expr, $table:ident, $rows:expr, $size:expr) => {
        insert_chunks($conn, $rows, $size, |c, ch| {
            crate::insert_rows!(c, $table::table, ch)
        })?
    };
}

/// Loads the demo data when the database has no campaign yet.
pub fn load_if_empty(pool: &DbPool, _settings: &Settings) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let n: i64 = campaigns::table.count().get_result(&mut conn)?;
    if n > 0 {
        tracing::info!("database already has campaigns; demo data not loaded again");
        return Ok(());
    }
    let started = std::time::Instant::now();
    let counts = write_tx(&mut conn, load).map_err(|e| anyhow::anyhow!("demo data: {e}"))?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        rows = counts,
        "demo data loaded"
    );
    Ok(())
}

fn load(conn: &mut DbConn) -> Result<usize, AppError> {
    let mut rng = StdRng::seed_from_u64(20_211_120);
    let t0 = now();
    let mut rows = 0usize;

    // Officials: two, so statements can be approved by someone other than who generated them.
    let official_hash = passwords::hash("official-demo");
    let officials: Vec<User> = ["official", "official-2"]
        .iter()
        .map(|u| User {
            id: id(&mut rng),
            username: (*u).into(),
            password_hash: official_hash.clone(),
            role: "official".into(),
            merchant_id: None,
            merchant_role: None,
            active: true,
            created_at: t0,
        })
        .collect();
    for u in &officials {
        crate::db::catalog::insert_user(conn, u)?;
    }

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
        let mid = id(&mut rng);
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
            lat: camp.centre.0 + rng.gen_range(-0.0012..0.0012),
            lng: camp.centre.1 + rng.gen_range(-0.0012..0.0012),
            m_mark: i % 4 == 0,
            created_at: t0,
        });
        users_v.push(User {
            id: id(&mut rng),
            username: format!("merchant-{i}"),
            password_hash: merchant_hash.clone(),
            role: "merchant".into(),
            merchant_id: Some(mid),
            merchant_role: Some("owner".into()),
            active: true,
            created_at: t0,
        });
    }
    crate::insert_rows!(&mut *conn, merchants::table, &merchants_v)?;
    for u in &users_v {
        crate::db::catalog::insert_user(conn, u)?;
    }
    rows += merchants_v.len() * 2;
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
            merchant_id: m.id.clone().into(),
            account_name: Names::from_json(&m.name).pt,
            bank: banks[i % banks.len()].into(),
            account_number: format!("{:04}-{:03}-{:06}", 9000 + i % 7, 100 + i, 200_000 + i * 37),
            updated_by: u.id.clone().into(),
            updated_at: t0,
            verified_by: ((i + 1) % 10 != 0).then(|| officials[0].id.clone().into()),
            verified_at: ((i + 1) % 10 != 0).then_some(t0),
        })
        .collect();
    crate::insert_rows!(&mut *conn, bank_accounts::table, &accounts)?;
    rows += accounts.len();

    for (ci, seed) in CAMPAIGNS.iter().enumerate() {
        let start = at(seed.start);
        let end = if seed.live {
            t0 + Duration::days(90)
        } else {
            start + Duration::days(seed.days)
        };
        let cid = id(&mut rng);
        let camp = Campaign {
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
                "published".into()
            } else {
                "ended".into()
            },
            created_at: start - Duration::days(30),
            updated_at: start,
        };
        diesel::insert_into(campaigns::table)
            .values(&camp)
            .execute(conn)?;

        let pts: Vec<Point> = seed
            .points
            .iter()
            .enumerate()
            .map(|(k, (zh, pt, en, kind, rotating))| Point {
                id: id(&mut rng),
                campaign_id: cid.clone(),
                name: Names::new(zh, pt, en).to_json(),
                kind: (*kind).into(),
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
        crate::insert_rows!(&mut *conn, points::table, &pts)?;
        let cover = crate::domain::imagery::from_rgb(
            &street_picture(ci),
            crate::domain::imagery::Kind::Cover,
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("demo cover: {e}")))?;
        crate::db::images::put(conn, "campaign", &cid, &cover)?;
        for p in pts.iter().filter(|p| !p.rotating) {
            diesel::insert_into(point_short_codes::table)
                .values((
                    point_short_codes::code
                        .eq(code(&mut rng)[..crate::domain::short_code::LEN].to_string()),
                    point_short_codes::point_id.eq(&p.id),
                    point_short_codes::created_at.eq(start - Duration::days(10)),
                ))
                .execute(conn)?;
        }

        // Enrolments: submitted before the campaign, most decided within five working days.
        let mut enrol = Vec::new();
        // In the running campaign the district's last twelve shops applied only lately.
        let recent: Vec<usize> = if seed.live {
            (seed.merchants.end() - 11..=*seed.merchants.end()).collect()
        } else {
            Vec::new()
        };
        for i in seed.merchants.clone().filter(|i| !recent.contains(i)) {
            let submitted = start - Duration::days(25) + Duration::hours(rng.gen_range(0..240));
            let late = rng.gen_bool(0.06);
            let decided = submitted
                + if late {
                    Duration::days(rng.gen_range(9..14))
                } else {
                    Duration::hours(rng.gen_range(4..70))
                };
            enrol.push(Enrolment {
                id: id(&mut rng),
                campaign_id: cid.clone(),
                merchant_id: merchants_v[i - 1].id.clone(),
                status: "approved".into(),
                submitted_at: submitted,
                decided_at: Some(decided),
                decided_by: Some(officials[0].id.clone()),
                reason: None,
            });
        }
        if seed.live {
            // Recent applications from the district's own shops: most decided within five
            // working days, one late, a few still waiting — the pledge report of this year.
            for (j, &i) in recent.iter().enumerate() {
                let (submitted, decided) = match j {
                    0..=2 => (t0 - Duration::hours(rng.gen_range(5..60)), None),
                    3 => (t0 - Duration::days(40), Some(t0 - Duration::days(27))),
                    _ => {
                        let s = t0 - Duration::days(rng.gen_range(6..50));
                        (s, Some(s + Duration::hours(rng.gen_range(4..70))))
                    }
                };
                enrol.push(Enrolment {
                    id: id(&mut rng),
                    campaign_id: cid.clone(),
                    merchant_id: merchants_v[i - 1].id.clone(),
                    status: if decided.is_some() {
                        "approved".into()
                    } else {
                        "pending".into()
                    },
                    submitted_at: submitted,
                    decided_at: decided,
                    decided_by: decided.map(|_| officials[0].id.clone()),
                    reason: None,
                });
            }
        }
        crate::insert_rows!(&mut *conn, enrolments::table, &enrol)?;
        let shop_ids: Vec<&str> = enrol
            .iter()
            .filter(|e| e.status == "approved")
            .map(|e| e.merchant_id.as_str())
            .collect();

        // Offers: e-cash for check-ins (spend at least 3× face value), a discount on sign-up,
        // and a first-come-first-served e-cash release.
        let mk = |rng: &mut StdRng,
                  name: Names,
                  kind: &str,
                  face: i64,
                  min: i64,
                  pct: i32,
                  cap: i64,
                  stock: i32,
                  trig: &str,
                  count: Option<i32>| Offer {
            id: id(rng),
            campaign_id: cid.clone(),
            name: name.to_json(),
            kind: kind.into(),
            face_value_avos: face,
            min_spend_avos: min,
            percent_off: pct,
            max_discount_avos: cap,
            stock,
            issued: 0,
            per_visitor_limit: 1,
            valid_days: 30,
            valid_until: end + Duration::days(30),
            trigger_type: trig.into(),
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
            // The first-come-first-served e-cash asks for a verified phone or e-mail; the
            // check-in e-cash and the discount stay open to anonymous visitors in the demo.
            requires_verified: kind == "ecash" && trig == "claim",
        };
        let mut offers_v = vec![
            mk(
                &mut rng,
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
                (seed.visitors as i32) * 2,
                "checkins",
                Some(2),
            ),
            mk(
                &mut rng,
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
                (seed.visitors as i32) * 2,
                "signup",
                None,
            ),
            mk(
                &mut rng,
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
                800,
                "claim",
                None,
            ),
        ];

        // History: visitors arrive over the campaign, check in, earn and spend coupons.
        // The running campaign's history is its last sixty days, so its dashboard is current.
        let (history_start, history_end) = if seed.live {
            (t0 - Duration::days(60), t0 - Duration::hours(1))
        } else {
            (start, end)
        };
        let span_secs = (history_end - history_start).num_seconds().max(1);
        let mut visitors_v = Vec::new();
        let mut checkins_v = Vec::new();
        let mut coupons_v = Vec::new();
        let mut redemptions_v = Vec::new();
        let mut ledger_v = Vec::new();
        let mut pageviews_v = Vec::new();
        let mut refusals_v = Vec::new();
        let mut page_visitors_v: Vec<(String, String, NaiveDate)> = Vec::new();
        for _ in 0..seed.visitors {
            let arrive = history_start + Duration::seconds(rng.gen_range(0..span_secs));
            let ref_ = REFS[rng.gen_range(0..REFS.len())].map(str::to_string);
            let vid = id(&mut rng);
            let vhash = format!("{:024x}", rng.gen::<u128>() >> 32);
            visitors_v.push(Visitor {
                id: vid.clone(),
                locale: ["zh-Hant", "zh-Hans", "pt", "en"][rng.gen_range(0..4)].into(),
                ref_: ref_.clone(),
                device_hash: Some(vhash.clone()),
                created_at: arrive,
                last_seen_at: arrive,
            });
            for k in 0..rng.gen_range(1..5) {
                let tv = arrive + Duration::minutes(k * 7);
                pageviews_v.push(NewPageview {
                    campaign_id: cid.clone(),
                    path: if k == 0 {
                        "/".into()
                    } else {
                        format!("/points/{k}")
                    },
                    ref_: ref_.clone(),
                    visitor_hash: vhash.clone(),
                    day: macau_day(tv),
                    created_at: tv,
                });
                if k == 0 {
                    page_visitors_v.push((cid.clone(), vhash.clone(), macau_day(tv)));
                }
            }
            if !rng.gen_bool(0.7) {
                continue;
            }
            let n_points = rng.gen_range(1..=pts.len());
            let mut t = arrive + Duration::minutes(10);
            for (k, p) in pts.iter().take(n_points).enumerate() {
                t += Duration::minutes(rng.gen_range(5..40));
                let method = if p.kind == "ar" { "ar" } else { "qr" };
                checkins_v.push(Checkin {
                    id: id(&mut rng),
                    visitor_id: vid.clone(),
                    point_id: p.id.clone(),
                    campaign_id: cid.clone(),
                    method: method.into(),
                    day: macau_day(t),
                    scanned_at: t,
                    received_at: t,
                    lat: Some(p.lat),
                    lng: Some(p.lng),
                    nonce: None,
                    ref_: ref_.clone(),
                    first_visit: k == 0,
                });
                if rng.gen_bool(0.03) {
                    refusals_v.push(CheckinRefusal {
                        id: id(&mut rng),
                        visitor_id: Some(vid.clone()),
                        point_id: Some(p.id.clone()),
                        campaign_id: Some(cid.clone()),
                        reason: ["outside_geofence", "payload_expired", "already_checked_in"]
                            [rng.gen_range(0..3)]
                        .into(),
                        method: method.into(),
                        lat: None,
                        lng: None,
                        day: macau_day(t),
                        created_at: t,
                    });
                }
            }
            // Coupons earned: sign-up discount, and e-cash at two distinct points.
            let mut earned = vec![1usize];
            if n_points >= 2 {
                earned.push(0);
            }
            if rng.gen_bool(0.08) && offers_v[2].issued < offers_v[2].stock {
                earned.push(2);
            }
            for oi in earned {
                let o = &mut offers_v[oi];
                if o.issued >= o.stock {
                    continue;
                }
                o.issued += 1;
                let issued_at = t;
                let expires_at =
                    (issued_at + Duration::days(i64::from(o.valid_days))).min(o.valid_until);
                let cpid = id(&mut rng);
                let redeem = rng.gen_bool(if oi == 1 { 0.35 } else { 0.6 });
                let redeemed_at = issued_at + Duration::hours(rng.gen_range(1..72));
                let eligible: Vec<&str> = shop_ids
                    .iter()
                    .copied()
                    .filter(|m| {
                        o.categories().is_empty()
                            || merchants_v
                                .iter()
                                .any(|x| x.id == *m && o.categories().contains(&x.category))
                    })
                    .collect();
                let status = if redeem && redeemed_at < t0 && !eligible.is_empty() {
                    "redeemed"
                } else if expires_at <= t0 {
                    "expired"
                } else {
                    "issued"
                };
                coupons_v.push(Coupon {
                    id: cpid.clone(),
                    code: code(&mut rng),
                    offer_id: o.id.clone(),
                    campaign_id: cid.clone(),
                    visitor_id: vid.clone(),
                    seq: 1,
                    status: status.into(),
                    issued_at,
                    expires_at,
                    day: macau_day(issued_at),
                    checkin_id: None,
                    ref_: ref_.clone(),
                });
                let face = if o.kind == "ecash" {
                    o.face_value_avos
                } else {
                    0
                };
                ledger_v.push(NewLedgerEntry {
                    campaign_id: cid.clone(),
                    kind: crate::types::LedgerKind::Issue,
                    offer_id: Some(o.id.clone()),
                    coupon_id: Some(cpid.clone()),
                    redemption_id: None,
                    merchant_id: None,
                    settlement_id: None,
                    amount_avos: face,
                    created_at: issued_at,
                });
                if status == "redeemed" {
                    let shop = eligible[rng.gen_range(0..eligible.len())];
                    let spend = (o.min_spend_avos + rng.gen_range(0..30000)) / 10 * 10;
                    let applied = money::apply(o.value(), spend).expect("spend meets the minimum");
                    let rid = id(&mut rng);
                    let user = users_v
                        .iter()
                        .find(|u| u.merchant_id.as_deref() == Some(shop))
                        .expect("owner")
                        .id
                        .clone();
                    redemptions_v.push(Redemption {
                        id: rid.clone().into(),
                        coupon_id: cpid.clone().into(),
                        offer_id: o.id.clone().into(),
                        campaign_id: cid.clone().into(),
                        merchant_id: shop.into(),
                        user_id: user.into(),
                        spend_avos: spend,
                        discount_avos: applied.discount_avos,
                        ecash_avos: applied.ecash_avos,
                        status: crate::types::RedemptionStatus::Done,
                        day: macau_day(redeemed_at),
                        created_at: redeemed_at,
                        voided_at: None,
                        settlement_id: None,
                        ref_: ref_.clone(),
                    });
                    ledger_v.push(NewLedgerEntry {
                        campaign_id: cid.clone(),
                        kind: crate::types::LedgerKind::Redeem,
                        offer_id: Some(o.id.clone()),
                        coupon_id: Some(cpid.clone()),
                        redemption_id: Some(rid),
                        merchant_id: Some(shop.into()),
                        settlement_id: None,
                        amount_avos: applied.ecash_avos,
                        created_at: redeemed_at,
                    });
                } else if status == "expired" {
                    ledger_v.push(NewLedgerEntry {
                        campaign_id: cid.clone(),
                        kind: crate::types::LedgerKind::Expire,
                        offer_id: Some(o.id.clone()),
                        coupon_id: Some(cpid.clone()),
                        redemption_id: None,
                        merchant_id: None,
                        settlement_id: None,
                        amount_avos: face,
                        created_at: expires_at,
                    });
                }
            }
        }

        // Settlements: one statement per merchant, approved and paid — for the whole of an ended
        // campaign, and for the running one up to a month ago (the rest is left to settle).
        let mut settlements_v = Vec::new();
        let (settle_from, settle_before, settled_on) = if seed.live {
            (
                history_start,
                t0 - Duration::days(30),
                t0 - Duration::days(28),
            )
        } else {
            (start, end, end + Duration::days(3))
        };
        {
            let mut by_merchant: std::collections::BTreeMap<String, Vec<usize>> =
                Default::default();
            for (k, r) in redemptions_v.iter().enumerate() {
                if r.ecash_avos > 0 && r.created_at < settle_before {
                    by_merchant
                        .entry(r.merchant_id.to_string())
                        .or_default()
                        .push(k);
                }
            }
            for (m, idx) in by_merchant {
                let sid = id(&mut rng);
                let amount: i64 = idx.iter().map(|k| redemptions_v[*k].ecash_avos).sum();
                for k in &idx {
                    redemptions_v[*k].settlement_id = Some(sid.clone().into());
                }
                let created = settled_on;
                let approved = created + Duration::days(2);
                let paid = approved
                    + Duration::days(if rng.gen_bool(0.05) {
                        20
                    } else {
                        rng.gen_range(2..9)
                    });
                settlements_v.push(Settlement {
                    id: sid.clone().into(),
                    campaign_id: cid.clone().into(),
                    merchant_id: m.clone().into(),
                    period_from: macau_day(settle_from),
                    period_to: macau_day(settle_before - Duration::seconds(1)),
                    amount_avos: amount,
                    redemptions_count: idx.len() as i32,
                    status: crate::types::SettlementStatus::Paid,
                    created_by: officials[0].id.clone().into(),
                    created_at: created,
                    approved_by: Some(officials[1].id.clone().into()),
                    approved_at: Some(approved),
                    paid_by: Some(officials[1].id.clone().into()),
                    paid_at: Some(paid),
                });
                use crate::types::LedgerKind;
                for (kind, when) in [(LedgerKind::Settle, created), (LedgerKind::Pay, paid)] {
                    ledger_v.push(NewLedgerEntry {
                        campaign_id: cid.clone(),
                        kind,
                        offer_id: None,
                        coupon_id: None,
                        redemption_id: None,
                        merchant_id: Some(m.clone()),
                        settlement_id: Some(sid.clone()),
                        amount_avos: amount,
                        created_at: when,
                    });
                }
            }
        }

        // The survey: about four in five merchants say customers came because of the campaign.
        let survey_v: Vec<SurveyAnswer> = shop_ids
            .iter()
            .filter(|_| !seed.live)
            .map(|m| SurveyAnswer {
                campaign_id: cid.clone(),
                merchant_id: (*m).into(),
                came_because_of_campaign: rng.gen_bool(0.8),
                estimate_pct: Some(rng.gen_range(10..70)),
                comment: None,
                created_at: end + Duration::days(5),
                updated_at: end + Duration::days(5),
            })
            .collect();

        crate::insert_rows!(&mut *conn, offers::table, &offers_v)?;
        store!(conn, visitors, &visitors_v, 1000);
        store!(conn, checkins, &checkins_v, 1000);
        store!(conn, checkin_refusals, &refusals_v, 1000);
        store!(conn, coupons, &coupons_v, 1000);
        store!(conn, settlements, &settlements_v, 500);
        store!(conn, redemptions, &redemptions_v, 1000);
        crate::db::ledger::append_many(conn, ledger_v.clone())?;
        store!(conn, pageviews, &pageviews_v, 1000);
        let pv_rows: Vec<_> = page_visitors_v
            .iter()
            .map(|(c, h, d)| {
                (
                    page_visitors::campaign_id.eq(c),
                    page_visitors::visitor_hash.eq(h),
                    page_visitors::day.eq(*d),
                )
            })
            .collect();
        store!(conn, page_visitors, &pv_rows, 1000);
        store!(conn, survey_answers, &survey_v, 500);
        rows += 1
            + pts.len()
            + enrol.len()
            + offers_v.len()
            + visitors_v.len()
            + checkins_v.len()
            + refusals_v.len()
            + coupons_v.len()
            + settlements_v.len()
            + redemptions_v.len()
            + ledger_v.len()
            + pageviews_v.len()
            + survey_v.len();
        let _ = ci;
    }
    Ok(rows)
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
