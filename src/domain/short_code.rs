//! Short codes of static check-in points: 8 characters of the look-alike-free alphabet of
//! coupon codes, printed under the QR as `ABCD-EFGH` and typed by visitors whose camera
//! cannot read the QR. Older points were given 10 hex digits by the migration, so anything of
//! 8 to 10 characters of the alphabet reads as a short code.

use rand::Rng;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const LEN: usize = 8;

/// A fresh code, normalised (8 characters, no dash).
pub fn generate() -> String {
    generate_with(&mut rand::thread_rng())
}

/// A fresh code drawn from the given generator (seeded generators give repeatable demo data).
pub fn generate_with<R: Rng + ?Sized>(rng: &mut R) -> String {
    (0..LEN)
        .map(|_| ALPHABET[rng.gen_range(0..32)] as char)
        .collect()
}

/// `ABCD-EFGH` (or `ABCDE-FGHIJ` for ten), as printed on the poster.
pub fn display(code: &str) -> String {
    let half = code.len().div_ceil(2);
    format!("{}-{}", &code[..half], &code[half..])
}

/// What a visitor typed: case, spaces and dashes do not matter, O reads as 0 and I/L as 1.
/// `None` unless 8 to 10 characters of the alphabet remain (a long QR text is never one).
pub fn normalise(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(10);
    for ch in typed.chars() {
        let c = match ch.to_ascii_uppercase() {
            ' ' | '-' | '\t' | '_' | '\u{3000}' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || out.len() >= 10 {
            return None;
        }
        out.push(c);
    }
    (out.len() >= LEN).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_read_back() {
        let a = generate();
        assert_eq!(a.len(), LEN);
        assert_eq!(normalise(&a), Some(a.clone()));
        assert_eq!(normalise(&display(&a).to_lowercase()), Some(a));
    }

    #[test]
    fn typing_is_forgiving_but_strict_on_content() {
        assert_eq!(normalise(" abcd efgh ").as_deref(), Some("ABCDEFGH"));
        assert_eq!(normalise("o1il-2345").as_deref(), Some("01112345"));
        assert_eq!(normalise("9F3A0C12BE").as_deref(), Some("9F3A0C12BE"));
        assert_eq!(display("9F3A0C12BE"), "9F3A0-C12BE");
        assert_eq!(display("ABCDEFGH"), "ABCD-EFGH");
        assert_eq!(normalise("ABCDEFG"), None);
        assert_eq!(normalise("ABCDEFGHJKM"), None);
        assert_eq!(normalise("ABCDEFGU"), None);
        assert_eq!(normalise("B1:P:A:AAAA"), None);
    }
}
