//! Request files for wrk: one file per load lane (wrk thread), one request a line
//! (`METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY`), made with the server's own signing code and secret.
//!
//! Each check-in line is a visitor × point pair not used before today, each redemption line
//! a coupon still `issued`, each claim line one visitor of a storm round (10,000 visitors per
//! round of 1,000 coupons). Lists for Bairro and for the bare server never overlap.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::Duration;
use serde_json::json;

use bairro::domain::payload::KeyRing;
use bairro::http::auth::{staff_claims, visitor_claims, JwtKeys};

use crate::seed::Seeded;

pub const STORM_VISITORS: usize = 10_000;

pub struct Secrets {
    pub jwt: String,
    pub qr_kid: String,
    pub qr: String,
}

pub struct Signer {
    jwt: JwtKeys,
    pub qr: KeyRing,
    visitor_tokens: Vec<Option<String>>,
}

impl Signer {
    pub fn new(s: &Secrets, visitors: usize) -> Signer {
        Signer {
            jwt: JwtKeys::new(&[s.jwt.as_str()]),
            qr: KeyRing::new(&[(s.qr_kid.clone(), s.qr.as_bytes().to_vec())]),
            visitor_tokens: vec![None; visitors],
        }
    }

    pub fn visitor(&mut self, seeded: &Seeded, i: usize) -> String {
        if self.visitor_tokens[i].is_none() {
            let (t, _) = self
                .jwt
                .issue(visitor_claims(&seeded.visitors[i]), Duration::days(2));
            self.visitor_tokens[i] = Some(t);
        }
        self.visitor_tokens[i].clone().unwrap_or_default()
    }

    pub fn merchant(&self, user_id: &str, merchant_id: &str) -> String {
        self.jwt
            .issue(
                staff_claims(
                    user_id,
                    "merchant",
                    Some(merchant_id.into()),
                    Some("owner".into()),
                    // Seeded accounts are at token version 0 (no password change yet).
                    0,
                ),
                Duration::hours(12),
            )
            .0
    }

    pub fn official(&self, user_id: &str) -> String {
        self.jwt
            .issue(
                staff_claims(user_id, "official", None, None, 0),
                Duration::hours(12),
            )
            .0
    }
}

/// Lines spread over `lanes` files named `PREFIX.<lane>.txt`: line `g` goes to lane `g % lanes`.
pub struct Lanes {
    files: Vec<BufWriter<File>>,
    next: usize,
    pub lines: usize,
}

impl Lanes {
    pub fn create(prefix: &Path, lanes: usize) -> anyhow::Result<Lanes> {
        let mut files = Vec::new();
        for l in 0..lanes {
            files.push(BufWriter::new(File::create(lane_file(prefix, l))?));
        }
        Ok(Lanes {
            files,
            next: 0,
            lines: 0,
        })
    }

    pub fn push(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> anyhow::Result<()> {
        let n = self.files.len();
        let f = &mut self.files[self.next % n];
        writeln!(f, "{method}\t{path}\t{}\t{body}", token.unwrap_or("-"))?;
        self.next += 1;
        self.lines += 1;
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<usize> {
        for f in &mut self.files {
            f.flush()?;
        }
        Ok(self.lines)
    }
}

pub fn lane_file(prefix: &Path, lane: usize) -> PathBuf {
    PathBuf::from(format!("{}.{lane}.txt", prefix.display()))
}

/// Check-ins: pair `k` is visitor `k % V` at point `(k / V) % P`, so consecutive requests are
/// different visitors and no pair repeats below V × P.
pub fn checkins(
    dir: &Path,
    seeded: &Seeded,
    signer: &mut Signer,
    lanes: usize,
    real: usize,
    bare: usize,
) -> anyhow::Result<(usize, usize)> {
    let v = seeded.visitors.len();
    let p = seeded.points.len();
    let cap = v * p;
    let real = real.min(cap / 3);
    let payloads: Vec<String> = seeded
        .points
        .iter()
        .map(|(id, _, _)| signer.qr.static_point(*id))
        .collect();
    let mut a = Lanes::create(&dir.join("checkin-real"), lanes)?;
    for k in 0..real {
        let (vi, pi) = (k % v, (k / v) % p);
        let (_, lat, lng) = seeded.points[pi];
        let body =
            json!({"payload": payloads[pi], "method": "qr", "lat": lat, "lng": lng}).to_string();
        let token = signer.visitor(seeded, vi);
        a.push("POST", "/api/v1/checkins", Some(&token), &body)?;
    }
    // The bare server's two handlers, one insert and Bairro's own statement, each its pairs.
    let bare = bare.min((cap - real) / 2);
    let mut lines = 0;
    for (k0, path, prefix) in [
        (real, "/checkin", "checkin-bare"),
        (real + bare, "/checkin-same", "checkin-same"),
    ] {
        let mut b = Lanes::create(&dir.join(prefix), lanes)?;
        for k in k0..k0 + bare {
            let (vi, pi) = (k % v, (k / v) % p);
            let (id, lat, lng) = seeded.points[pi];
            let body = json!({"visitor": seeded.visitors[vi], "point": id.to_string(), "campaign": seeded.campaign_id, "lat": lat, "lng": lng}).to_string();
            b.push("POST", path, None, &body)?;
        }
        lines += b.finish()?;
    }
    Ok((a.finish()?, lines))
}

/// Redemptions: each line a coupon still `issued`, at a merchant enrolled in the campaign.
pub fn redemptions(
    dir: &Path,
    seeded: &Seeded,
    signer: &Signer,
    lanes: usize,
    real: usize,
    bare: usize,
) -> anyhow::Result<(usize, usize, usize)> {
    let n = seeded.fresh.len();
    let real = real.min(n * 3 / 10);
    let bare = bare.min((n - real) / 2);
    let same = bare.min(n - real - bare);
    let tokens: Vec<String> = seeded
        .merchants
        .iter()
        .map(|m| signer.merchant(&m.user_id, &m.merchant_id))
        .collect();
    let mut a = Lanes::create(&dir.join("redeem-real"), lanes)?;
    for (i, c) in seeded.fresh[..real].iter().enumerate() {
        let body = json!({"coupon": signer.qr.coupon(&c.code), "spend_avos": c.spend_avos,
                          "idempotency_key": format!("bench-{}", uuid::Uuid::new_v4())})
        .to_string();
        a.push(
            "POST",
            "/api/v1/redemptions",
            Some(&tokens[i % tokens.len()]),
            &body,
        )?;
    }
    let mut b = Lanes::create(&dir.join("redeem-bare"), lanes)?;
    for (i, c) in seeded.fresh[real..real + bare].iter().enumerate() {
        let m = &seeded.merchants[i % seeded.merchants.len()];
        let body = json!({"coupon": c.id, "offer": c.offer_id, "campaign": seeded.campaign_id,
                          "merchant": m.merchant_id, "user": m.user_id, "spend": c.spend_avos})
        .to_string();
        b.push("POST", "/redeem", None, &body)?;
    }
    let mut c = Lanes::create(&dir.join("redeem-same"), lanes)?;
    let from = real + bare;
    for (i, x) in seeded.fresh[from..from + same].iter().enumerate() {
        let m = &seeded.merchants[i % seeded.merchants.len()];
        let body = json!({"coupon": x.id, "offer": x.offer_id, "campaign": seeded.campaign_id,
                          "merchant": m.merchant_id, "user": m.user_id, "spend": x.spend_avos,
                          "visitor": x.visitor_id,
                          "key": format!("bench-{}", uuid::Uuid::new_v4())})
        .to_string();
        c.push("POST", "/redeem-same", None, &body)?;
    }
    Ok((a.finish()?, b.finish()?, c.finish()?))
}

/// Claim storms: round `r` is 10,000 visitors racing for the 1,000 coupons of offer `r`.
/// `procs` load generators with `threads` threads each: line `g` goes to lane `g % lanes`,
/// and lane `l` belongs to generator `l % procs`, thread `l / procs`.
#[allow(clippy::too_many_arguments)]
pub fn claims(
    dir: &Path,
    name: &str,
    seeded: &Seeded,
    signer: &mut Signer,
    offers: &[String],
    procs: usize,
    threads: usize,
    bare: bool,
) -> anyhow::Result<usize> {
    let storm = STORM_VISITORS.min(seeded.visitors.len());
    let lanes = procs * threads;
    let mut writers = Vec::new();
    for p in 0..procs {
        let mut files = Vec::new();
        for t in 0..threads {
            files.push(BufWriter::new(File::create(lane_file(
                &dir.join(format!("{name}-{p}")),
                t,
            ))?));
        }
        writers.push(files);
    }
    let stride = crate::seed::coprime_stride(storm);
    let mut lines = 0;
    for (r, offer) in offers.iter().enumerate() {
        for i in 0..storm {
            let g = r * storm + i;
            let l = g % lanes;
            let f = &mut writers[l % procs][l / procs];
            // Visitors in a different order each round, so rounds do not line up with lanes.
            let vi = (i * stride + r * 131) % storm;
            if bare {
                let body = json!({"offer": offer, "visitor": seeded.visitors[vi], "campaign": seeded.campaign_id});
                writeln!(f, "POST\t/claim\t-\t{body}")?;
            } else {
                let token = signer.visitor(seeded, vi);
                writeln!(f, "POST\t/api/v1/offers/{offer}/claim\t{token}\t")?;
            }
            lines += 1;
        }
    }
    for p in writers.iter_mut() {
        for f in p.iter_mut() {
            f.flush()?;
        }
    }
    Ok(lines)
}

/// Page views (repeating is fine: they are not unique).
pub fn pageviews(dir: &Path, seeded: &Seeded, lanes: usize) -> anyhow::Result<()> {
    let refs = [
        None,
        Some("kol-macaufoodie"),
        Some("xhs-live"),
        Some("bureau-site"),
    ];
    let paths = ["/", "/c/offers", "/c/map", "/c/points", "/me/coupons"];
    let mut a = Lanes::create(&dir.join("pageview-real"), lanes)?;
    let mut b = Lanes::create(&dir.join("pageview-bare"), lanes)?;
    for i in 0..2_000 {
        let path = format!("/c/{}{}", seeded.slug, paths[i % paths.len()]);
        let r = refs[i % refs.len()];
        a.push(
            "POST",
            "/api/v1/pageviews",
            None,
            &json!({"campaign": seeded.slug, "path": path, "ref": r}).to_string(),
        )?;
        b.push(
            "POST",
            "/pageview",
            None,
            &json!({"campaign": seeded.campaign_id, "path": path, "ref": r}).to_string(),
        )?;
    }
    a.finish()?;
    b.finish()?;
    Ok(())
}

/// The officials' statistics: the campaign dashboard and the overview.
pub fn stats(dir: &Path, seeded: &Seeded, signer: &Signer, lanes: usize) -> anyhow::Result<()> {
    let token = signer.official(&seeded.official_id);
    let mut a = Lanes::create(&dir.join("stats-campaign"), lanes)?;
    let mut b = Lanes::create(&dir.join("stats-overview"), lanes)?;
    for _ in 0..lanes {
        a.push(
            "GET",
            &format!("/api/v1/campaigns/{}/stats", seeded.campaign_id),
            Some(&token),
            "",
        )?;
        b.push("GET", "/api/v1/stats/overview", Some(&token), "")?;
    }
    a.finish()?;
    b.finish()?;
    Ok(())
}
