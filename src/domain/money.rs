//! Money in integer avos (1 MOP = 100 avos): what a coupon takes off a spend.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferValue {
    /// E-cash: face value, paid back to the merchant by the government.
    Ecash {
        face_value_avos: i64,
        min_spend_avos: i64,
    },
    /// Percent off the spend, capped (0 = no cap).
    Discount {
        percent_off: i32,
        max_discount_avos: i64,
        min_spend_avos: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// What the visitor does not pay.
    pub discount_avos: i64,
    /// The part of the discount the government reimburses (e-cash only).
    pub ecash_avos: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    MinSpendNotMet { min_spend_avos: i64 },
    NegativeSpend,
}

/// Applies an offer to a spend. E-cash is capped at the spend; percent discounts round down
/// to whole avos and are capped by `max_discount_avos` when that is set.
pub fn apply(value: OfferValue, spend_avos: i64) -> Result<Applied, MoneyError> {
    if spend_avos < 0 {
        return Err(MoneyError::NegativeSpend);
    }
    match value {
        OfferValue::Ecash {
            face_value_avos,
            min_spend_avos,
        } => {
            if spend_avos < min_spend_avos {
                return Err(MoneyError::MinSpendNotMet { min_spend_avos });
            }
            let d = face_value_avos.min(spend_avos);
            Ok(Applied {
                discount_avos: d,
                ecash_avos: d,
            })
        }
        OfferValue::Discount {
            percent_off,
            max_discount_avos,
            min_spend_avos,
        } => {
            if spend_avos < min_spend_avos {
                return Err(MoneyError::MinSpendNotMet { min_spend_avos });
            }
            let mut d = spend_avos * i64::from(percent_off) / 100;
            if max_discount_avos > 0 {
                d = d.min(max_discount_avos);
            }
            Ok(Applied {
                discount_avos: d,
                ecash_avos: 0,
            })
        }
    }
}

/// Whether a percent discount hit its cap on this spend (the till says so, with the cap).
pub fn capped(value: OfferValue, spend_avos: i64) -> bool {
    match value {
        OfferValue::Discount {
            percent_off,
            max_discount_avos,
            ..
        } => max_discount_avos > 0 && spend_avos * i64::from(percent_off) / 100 > max_discount_avos,
        OfferValue::Ecash { .. } => false,
    }
}

/// "MOP 12.50" style text, for CSV and printable pages.
pub fn mop(avos: i64) -> String {
    let sign = if avos < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", avos.abs() / 100, avos.abs() % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecash_is_capped_at_the_spend_and_needs_the_minimum() {
        let v = OfferValue::Ecash {
            face_value_avos: 5000,
            min_spend_avos: 15000,
        };
        assert_eq!(
            apply(v, 20000),
            Ok(Applied {
                discount_avos: 5000,
                ecash_avos: 5000
            })
        );
        assert_eq!(
            apply(v, 14999),
            Err(MoneyError::MinSpendNotMet {
                min_spend_avos: 15000
            })
        );
        let free = OfferValue::Ecash {
            face_value_avos: 5000,
            min_spend_avos: 0,
        };
        assert_eq!(
            apply(free, 3000),
            Ok(Applied {
                discount_avos: 3000,
                ecash_avos: 3000
            })
        );
    }

    #[test]
    fn percent_rounds_down_and_caps() {
        let v = OfferValue::Discount {
            percent_off: 15,
            max_discount_avos: 2000,
            min_spend_avos: 0,
        };
        assert_eq!(apply(v, 999).unwrap().discount_avos, 149);
        assert_eq!(apply(v, 100000).unwrap().discount_avos, 2000);
        assert_eq!(apply(v, 100000).unwrap().ecash_avos, 0);
        let uncapped = OfferValue::Discount {
            percent_off: 10,
            max_discount_avos: 0,
            min_spend_avos: 0,
        };
        assert_eq!(apply(uncapped, 100000).unwrap().discount_avos, 10000);
        assert_eq!(apply(v, -1), Err(MoneyError::NegativeSpend));
    }

    #[test]
    fn a_discount_is_capped_only_past_its_cap() {
        let v = OfferValue::Discount {
            percent_off: 15,
            max_discount_avos: 2000,
            min_spend_avos: 0,
        };
        assert!(!capped(v, 13333));
        assert!(capped(v, 13400));
        let uncapped = OfferValue::Discount {
            percent_off: 15,
            max_discount_avos: 0,
            min_spend_avos: 0,
        };
        assert!(!capped(uncapped, 1_000_000));
        let ecash = OfferValue::Ecash {
            face_value_avos: 5000,
            min_spend_avos: 0,
        };
        assert!(!capped(ecash, 1_000_000));
    }

    #[test]
    fn mop_text() {
        assert_eq!(mop(12345), "123.45");
        assert_eq!(mop(5), "0.05");
        assert_eq!(mop(-250), "-2.50");
    }
}
