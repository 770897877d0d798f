//! Four eyes: money moves only when a second official checks what a first one prepared. A
//! settlement statement is approved by another official than the one who generated it, and a
//! payout batch's transfer is confirmed by another official than the one who made the batch.

/// The steps that need a second official.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Approving a settlement statement (prepared by whoever generated it).
    ApproveStatement,
    /// Confirming a payout batch's bank transfer (prepared by whoever made the batch).
    ConfirmTransfer,
}

impl Step {
    /// Why the step was refused when the same official tried both halves.
    pub fn refusal(self) -> &'static str {
        match self {
            Step::ApproveStatement => {
                "A statement must be approved by another official than the one who generated it."
            }
            Step::ConfirmTransfer => {
                "The transfer must be confirmed by another official than the one who made the batch."
            }
        }
    }
}

/// Whether `checker` may take `step` on what `maker` prepared: never the same official.
pub fn allowed(_step: Step, maker: &str, checker: &str) -> bool {
    maker != checker
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maker_never_checks_their_own_work() {
        for step in [Step::ApproveStatement, Step::ConfirmTransfer] {
            assert!(!allowed(step, "u1", "u1"));
            assert!(allowed(step, "u1", "u2"));
        }
    }
}
