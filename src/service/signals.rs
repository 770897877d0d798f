//! Fraud signals of a campaign, with what officials did about them.

use crate::db::stats::Range;
use crate::db::{audit_names, catalog, operations, signals, DbConn};
use crate::error::AppError;
use crate::views::signals::SignalView;
use crate::views::stats::Signals;

/// The signals of a campaign (`key`: id or slug) over a range of Macau days; till users also
/// by their login name.
pub fn of_campaign(conn: &mut DbConn, key: &str, r: Range) -> Result<Signals, AppError> {
    let camp = catalog::find_campaign(conn, key)?;
    let found = signals::campaign(conn, &camp.id, r)?;
    let actions = operations::signal_actions(conn, &found)?;
    let ids: Vec<String> = found
        .iter()
        .filter_map(|s| s.user_id.as_ref().map(|u| u.to_string()))
        .collect();
    let names = if ids.is_empty() {
        Default::default()
    } else {
        audit_names::user_names(conn, &ids)?
    };
    Ok(Signals {
        campaign_id: camp.id.to_string(),
        from: r.from.to_string(),
        to: r.to.to_string(),
        signals: found
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let name = s
                    .user_id
                    .as_ref()
                    .and_then(|u| names.get(u.as_str()))
                    .cloned();
                SignalView::new(s, name, actions.as_ref().map(|a| a[i].as_slice()))
            })
            .collect(),
    })
}
