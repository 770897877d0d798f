//! Coupon codes: 80 random bits written as 16 characters of an alphabet without look-alikes
//! (no 0/O, 1/I/L, U), grouped by four for typing. Codes are normalised once, on the way in.

use rand::Rng;

/// Crockford's base-32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const CODE_LEN: usize = 16;

/// A fresh code, normalised form (16 characters, no dashes).
pub fn generate() -> String {
    generate_with(&mut rand::thread_rng())
}

/// A fresh code drawn from the given generator (seeded generators give repeatable demo data).
pub fn generate_with<R: Rng + ?Sized>(rng: &mut R) -> String {
    (0..CODE_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..32)] as char)
        .collect()
}

/// `ABCD-EFGH-JKMN-PQRS`, as printed under the coupon QR.
pub fn display(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("-")
}

/// Reads what a cashier typed: case, spaces and dashes do not matter, and the look-alike
/// letters O, I and L read as 0, 1 and 1. Returns `None` unless 16 valid characters remain.
pub fn normalise(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_LEN);
    for ch in typed.chars() {
        let c = match ch.to_ascii_uppercase() {
            ' ' | '-' | '\t' | '_' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !ALPHABET.contains(&(c as u8)) || !c.is_ascii() {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_LEN).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_valid_and_distinct() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), CODE_LEN);
        assert_ne!(a, b);
        assert_eq!(normalise(&a), Some(a.clone()));
        assert_eq!(normalise(&display(&a)), Some(a));
    }

    #[test]
    fn typing_is_forgiving_but_strict_on_content() {
        assert_eq!(
            normalise("abcd-efgh jkmn-pqrs").as_deref(),
            Some("ABCDEFGHJKMNPQRS")
        );
        assert_eq!(
            normalise("o0il-1111-2222-3333").as_deref(),
            Some("0011111122223333")
        );
        assert_eq!(normalise("ABCD-EFGH-JKMN-PQR"), None);
        assert_eq!(normalise("ABCD-EFGH-JKMN-PQRU"), None);
        assert_eq!(normalise("ABCD-EFGH-JKMN-PQRSＡ"), None);
        assert_eq!(display("ABCDEFGHJKMNPQRS"), "ABCD-EFGH-JKMN-PQRS");
    }
}
