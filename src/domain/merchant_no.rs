//! The short merchant number printed next to a shop's name wherever officials see it, so two
//! shops of the same name are told apart: `M-` and the first six characters of its id, in
//! capitals. It never changes for a shop and is short enough to read out on the phone.

pub fn short_no(merchant_id: &str) -> String {
    let s: String = merchant_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(6)
        .collect::<String>()
        .to_ascii_uppercase();
    format!("M-{s}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_characters_of_the_id_in_capitals() {
        assert_eq!(short_no("3f2a1c9e-0000-4000-8000-000000000000"), "M-3F2A1C");
        assert_eq!(short_no("ab-cd"), "M-ABCD");
    }
}
