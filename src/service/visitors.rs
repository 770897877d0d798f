//! Visitor use cases: signing up (with the coupons every running campaign gives at sign-up).

use crate::db::models::Visitor;
use crate::db::{catalog, coupons, visitors, write_tx, DbConn};
use crate::domain::payload::KeyRing;
use crate::error::AppError;
use crate::views::coupons::Coupon;

/// Records a new visitor and issues the sign-up offers of the running campaigns (those that
/// need a verified visitor wait for verification). Returns the coupons issued.
pub fn sign_up(conn: &mut DbConn, keys: &KeyRing, v: &Visitor) -> Result<Vec<Coupon>, AppError> {
    let t = v.created_at;
    let issued = write_tx(conn, |conn| {
        visitors::insert(conn, v)?;
        let mut out = Vec::new();
        for c in visitors::running_campaigns(conn, t)? {
            let offers = catalog::offers_of(conn, &c)?;
            out.extend(coupons::issue_earned(
                conn,
                &offers,
                &v.id,
                0,
                None,
                v.ref_.as_deref(),
                t,
                false,
            )?);
        }
        Ok(out)
    })?;
    Ok(issued
        .iter()
        .map(|(c, o)| Coupon::of(c, Some(o), keys.coupon(&c.code), t))
        .collect())
}
