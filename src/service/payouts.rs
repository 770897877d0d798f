//! Payout use cases: confirming a batch's bank transfer pays each of its statements.

use crate::db::{payouts, write_tx, DbConn};
use crate::db::payouts::Payout;
use crate::domain::four_eyes::{self, Step};
use crate::domain::time::now;
use crate::error::{AppError, Code};
use crate::types::SettlementId;

/// An official (not the one who made the batch) confirms the bank made the transfer: the batch
/// and each of its statements are paid.
pub fn confirm(
    conn: &mut DbConn,
    id: &str,
    official: &str,
    bank_reference: Option<&str>,
) -> Result<Payout, AppError> {
    let (p, _) = payouts::find(conn, id)?;
    if !four_eyes::allowed(Step::ConfirmTransfer, &p.created_by, official) {
        return Err(AppError::rule(
            Code::FourEyesRequired,
            Step::ConfirmTransfer.refusal(),
        ));
    }
    write_tx(conn, |conn| {
        let t = now();
        if !payouts::set_confirmed(conn, id, official, bank_reference, t)? {
            let (p, _) = payouts::find(conn, id)?;
            return Err(AppError::rule(
                Code::InvalidState,
                format!("The batch is {}, not open.", p.status),
            ));
        }
        let (p, items) = payouts::find(conn, id)?;
        for i in &items {
            super::settlements::mark_paid(conn, &SettlementId::from(&i.settlement_id), official, t)?;
        }
        Ok(p)
    })
}
