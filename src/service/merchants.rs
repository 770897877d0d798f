//! Merchant use cases: officials create merchants with their first login; owners see their
//! shop, manage cashiers, and answer the post-campaign survey.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::audit::Actor;
use crate::db::catalog::{self, new_id};
use crate::db::models::*;
use crate::db::{operations, redemptions, traffic, write_tx, DbConn};
use crate::domain::catalog::CATEGORIES;
use crate::domain::names::Names;
use crate::domain::time::{now, to_rfc3339};
use crate::error::{AppError, Code, FieldError};
use crate::types::{AuditAction, AuditEntity, EnrolmentStatus, MerchantId, MerchantRole, UserId};
use crate::views;
use crate::views::campaigns::EnrolmentView;
use crate::views::merchants::{
    CashierAdded, LoginDisabled, MerchantLogin, MerchantView, SurveyAnswerSaved,
};
use crate::views::shop::{MerchantMe, TodayTotals};

/// What an official sends to create a merchant with its owner's login.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MerchantBody {
    pub name: Option<Names>,
    /// food, retail, services, culture, lodging or other.
    pub category: String,
    #[schema(max_length = 300)]
    pub address: String,
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: f64,
    #[serde(default)]
    pub m_mark: bool,
    /// 3–64 letters, digits, '-', '_' or '.'.
    #[schema(min_length = 3, max_length = 64, pattern = "^[A-Za-z0-9._-]{3,64}$")]
    pub username: String,
    #[schema(min_length = 10, max_length = 256)]
    pub password: String,
}

/// A merchant login's username and password, checked.
pub fn check_login(username: &str, password: &str, errs: &mut Vec<FieldError>) {
    if !(3..=64).contains(&username.len())
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        errs.push(FieldError {
            field: "username".into(),
            message: "3–64 letters, digits, '-', '_' or '.'".into(),
        });
    }
    if password.chars().count() < 10 || password.len() > 256 {
        errs.push(FieldError {
            field: "password".into(),
            message: "10 to 256 characters".into(),
        });
    }
}

/// A merchant body that passed its checks; the password still to be hashed (on the blocking
/// pool, without holding a database connection).
pub struct CheckedMerchant {
    merchant: Merchant,
    username: String,
    pub password: String,
}

/// Checks what an official sent to create a merchant.
pub fn check_merchant(b: MerchantBody) -> Result<CheckedMerchant, AppError> {
    let mut errs = Vec::new();
    let name = b.name.map(|n| n.trimmed());
    match &name {
        None => errs.push(FieldError {
            field: "name".into(),
            message: "required: {zh-Hant, pt, en}".into(),
        }),
        Some(n) => errs.extend(n.problems("name")),
    }
    if !CATEGORIES.contains(&b.category.as_str()) {
        errs.push(FieldError {
            field: "category".into(),
            message: format!("one of {}", CATEGORIES.join(", ")),
        });
    }
    if b.address.trim().is_empty() || b.address.chars().count() > 300 {
        errs.push(FieldError {
            field: "address".into(),
            message: "required, at most 300 characters".into(),
        });
    }
    if !crate::domain::geo::valid_coordinates(b.lat, b.lng) {
        errs.push(FieldError {
            field: "lat".into(),
            message: "latitude −90..90 and longitude −180..180".into(),
        });
    }
    check_login(&b.username, &b.password, &mut errs);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let t = now();
    let m = Merchant {
        id: MerchantId::generate(),
        name: name.expect("checked").to_json(),
        category: b.category,
        address: b.address.trim().into(),
        lat: b.lat,
        lng: b.lng,
        m_mark: b.m_mark,
        created_at: t,
    };
    Ok(CheckedMerchant {
        merchant: m,
        username: b.username,
        password: b.password,
    })
}

/// Creates a checked merchant with its owner's login (`password_hash`).
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    checked: CheckedMerchant,
    password_hash: String,
) -> Result<MerchantView, AppError> {
    let m = checked.merchant;
    let owner = User {
        id: new_id().into(),
        username: checked.username,
        password_hash,
        role: crate::types::UserRole::Merchant,
        merchant_id: Some(m.id.clone()),
        merchant_role: Some(crate::types::MerchantRole::Owner),
        active: true,
        created_at: m.created_at,
    };
    let out = MerchantView {
        username: Some(owner.username.clone()),
        ..MerchantView::from(&m)
    };
    write_tx(conn, |c| {
        catalog::insert_merchant_with_owner(c, &m, &owner)?;
        super::audit_change(
            c,
            actor,
            AuditAction::Create,
            AuditEntity::Merchant,
            &m.id,
            None::<&Value>,
            Some(&out),
        )
    })?;
    Ok(out)
}

/// Every merchant with its suspension state.
pub fn list(conn: &mut DbConn) -> Result<Vec<Value>, AppError> {
    let rows = catalog::list_merchants(conn)?;
    let suspended = operations::suspensions(conn)?;
    Ok(rows
        .iter()
        .map(|m| views::merchants::with_suspension(m, suspended.get(m.id.as_str())))
        .collect())
}

/// A merchant user's own shop, its enrolments and today's totals.
pub fn me(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    owner: bool,
) -> Result<MerchantMe, AppError> {
    let m = catalog::find_merchant(conn, merchant_id)?;
    let enrolments = catalog::list_enrolments(conn, None, None, Some(merchant_id))?;
    let today = redemptions::today_totals(conn, merchant_id)?;
    Ok(MerchantMe {
        merchant: MerchantView::from(&m),
        role: if owner {
            MerchantRole::Owner
        } else {
            MerchantRole::Cashier
        },
        enrolments: enrolments
            .iter()
            .map(|(e, _)| EnrolmentView::new(e, None))
            .collect(),
        today: TodayTotals {
            count: today.0,
            discount_avos: today.1,
            spend_avos: today.2,
        },
    })
}

/// The logins of a merchant.
pub fn users(conn: &mut DbConn, merchant_id: &MerchantId) -> Result<Vec<MerchantLogin>, AppError> {
    Ok(catalog::users_of_merchant(conn, merchant_id)?
        .iter()
        .map(MerchantLogin::from)
        .collect())
}

/// An owner's new cashier login.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CashierBody {
    /// 3–64 letters, digits, '-', '_' or '.'.
    #[schema(min_length = 3, max_length = 64, pattern = "^[A-Za-z0-9._-]{3,64}$")]
    pub username: String,
    #[schema(min_length = 10, max_length = 256)]
    pub password: String,
}

/// Checks a cashier login before its password is hashed.
pub fn check_cashier(b: &CashierBody) -> Result<(), AppError> {
    let mut errs = Vec::new();
    check_login(&b.username, &b.password, &mut errs);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errs))
    }
}

/// An owner adds a checked cashier login (`password_hash`) to its shop.
pub fn add_cashier(
    conn: &mut DbConn,
    owner_user_id: &UserId,
    merchant_id: &MerchantId,
    username: String,
    password_hash: String,
) -> Result<CashierAdded, AppError> {
    let u = User {
        id: new_id().into(),
        username,
        password_hash,
        role: crate::types::UserRole::Merchant,
        merchant_id: Some(merchant_id.to_string().into()),
        merchant_role: Some(crate::types::MerchantRole::Cashier),
        active: true,
        created_at: now(),
    };
    let out = CashierAdded {
        id: u.id.clone(),
        username: u.username.clone(),
        role: MerchantRole::Cashier,
        active: true,
    };
    catalog::insert_user(conn, &u)?;
    super::audit_change(
        conn,
        &Actor::merchant(owner_user_id),
        AuditAction::Create,
        AuditEntity::User,
        &u.id,
        None::<&Value>,
        Some(&out),
    )?;
    Ok(out)
}

/// An owner disables one of its cashiers.
pub fn disable_cashier(
    conn: &mut DbConn,
    owner_user_id: &UserId,
    merchant_id: &MerchantId,
    id: &UserId,
) -> Result<LoginDisabled, AppError> {
    if !catalog::set_user_active(conn, id, merchant_id, false)? {
        return Err(AppError::NotFound("no such cashier".into()));
    }
    super::audit_change(
        conn,
        &Actor::merchant(owner_user_id),
        AuditAction::Disable,
        AuditEntity::User,
        id,
        None::<&Value>,
        None::<&Value>,
    )?;
    Ok(LoginDisabled {
        id: id.to_string(),
        active: false,
    })
}

/// Answers may be given or changed until the campaign's report closes, 30 days after its end.
pub const SURVEY_OPEN_AFTER_END: chrono::Duration = chrono::Duration::days(30);

/// A participating merchant's answer to the post-campaign survey.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SurveyBody {
    pub came_because_of_campaign: bool,
    #[schema(minimum = 0, maximum = 100)]
    pub estimate_pct: Option<i32>,
    /// Line breaks allowed; no other control characters.
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// Records (or changes) a participating merchant's survey answer. Returns the answer and
/// whether it is new.
pub fn survey(
    conn: &mut DbConn,
    user_id: &UserId,
    merchant_id: &MerchantId,
    key: &str,
    b: SurveyBody,
) -> Result<(SurveyAnswerSaved, bool), AppError> {
    if b.estimate_pct.is_some_and(|p| !(0..=100).contains(&p)) {
        return Err(AppError::field("estimate_pct", "0 to 100"));
    }
    if b.comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
        return Err(AppError::field("comment", "at most 2000 characters"));
    }
    let camp = catalog::find_campaign(conn, key)?;
    if now() > camp.ends_at + SURVEY_OPEN_AFTER_END {
        return Err(AppError::rule(
            Code::SurveyClosed,
            "The campaign's report has closed; answers can no longer change.",
        ));
    }
    if catalog::enrolment_status(conn, &camp.id, merchant_id)? != Some(EnrolmentStatus::Approved) {
        return Err(AppError::rule(
            Code::MerchantNotEligible,
            "Only participating merchants answer this survey.",
        ));
    }
    let t = now();
    let a = SurveyAnswer {
        campaign_id: camp.id,
        merchant_id: merchant_id.to_string().into(),
        came_because_of_campaign: b.came_because_of_campaign,
        estimate_pct: b.estimate_pct,
        comment: b
            .comment
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        created_at: t,
        updated_at: t,
    };
    let new = traffic::put_survey(conn, &a)?;
    let after = json!({"came_because_of_campaign": a.came_because_of_campaign, "estimate_pct": a.estimate_pct});
    super::audit_change(
        conn,
        &Actor::merchant(user_id),
        AuditAction::Answer,
        AuditEntity::Survey,
        &a.campaign_id,
        None::<&Value>,
        Some(&after),
    )?;
    let out = SurveyAnswerSaved {
        campaign_id: a.campaign_id.to_string(),
        merchant_id: a.merchant_id.to_string(),
        came_because_of_campaign: a.came_because_of_campaign,
        estimate_pct: a.estimate_pct,
        comment: a.comment,
        updated_at: to_rfc3339(a.updated_at),
    };
    Ok((out, new))
}
