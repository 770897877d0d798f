//! The budget figures a campaign answer carries.

use serde::Serialize;

use crate::db::budget::Figures;

/// A campaign's budgets and what is committed and redeemed against them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BudgetView {
    /// The campaign's total budget; null without one.
    pub budget_avos: Option<i64>,
    /// The budget of each Macau day; null without one.
    pub daily_budget_avos: Option<i64>,
    /// Face value of the coupons issued (committed against the budget).
    pub committed_avos: i64,
    /// Committed today (Macau day).
    pub committed_today_avos: i64,
    /// E-cash redeemed.
    pub redeemed_avos: i64,
    /// Face value of the e-cash coupons still redeemable (issued, unexpired, not void).
    pub outstanding_avos: i64,
    /// Committed over the total budget, in percent to one decimal; null without a budget.
    pub used_pct: Option<f64>,
    /// Committed today over the daily budget, in percent to one decimal; null without one.
    pub used_today_pct: Option<f64>,
}

impl From<&Figures> for BudgetView {
    fn from(f: &Figures) -> Self {
        let used = |cap: Option<i64>, v: i64| {
            cap.filter(|c| *c > 0)
                .map(|c| ((v as f64) * 1000.0 / c as f64).round() / 10.0)
        };
        BudgetView {
            budget_avos: f.budget_avos,
            daily_budget_avos: f.daily_budget_avos,
            committed_avos: f.committed_avos,
            committed_today_avos: f.committed_today_avos,
            redeemed_avos: f.redeemed_avos,
            outstanding_avos: f.outstanding_avos,
            used_pct: used(f.budget_avos, f.committed_avos),
            used_today_pct: used(f.daily_budget_avos, f.committed_today_avos),
        }
    }
}
