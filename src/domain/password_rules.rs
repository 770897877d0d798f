//! What makes a staff password acceptable: long enough, not one of the passwords people pick
//! first (with digits or punctuation stuck on), not the username, not a run of one character.
//! The message says which rule failed, so the person choosing knows what to change.

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 256;

fn common() -> &'static std::collections::HashSet<&'static str> {
    static LIST: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common_passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// `Err(message)` when `password` is too weak for the login `username`.
pub fn check(password: &str, username: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(format!(
            "The password must have at least {MIN_LEN} characters (it has {n})."
        ));
    }
    if password.len() > MAX_LEN {
        return Err(format!("The password must have at most {MAX_LEN} bytes."));
    }
    let lower = password.to_lowercase();
    let user = username.trim().to_lowercase();
    if !user.is_empty() && user.len() >= 3 && lower.contains(&user) {
        return Err("The password must not contain the username.".into());
    }
    let distinct: std::collections::HashSet<char> = lower.chars().collect();
    if distinct.len() < 4 {
        return Err("The password repeats too few different characters.".into());
    }
    // The core once digits, punctuation and spaces are taken off both ends.
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let list = common();
    if list.contains(lower.as_str()) || (!core.is_empty() && list.contains(core)) {
        return Err("This password is among the most commonly used ones; choose another.".into());
    }
    if is_sequence(&lower) {
        return Err("The password is a simple sequence of keys; choose another.".into());
    }
    Ok(())
}

/// Ascending or descending runs such as `abcdefghijk` or `9876543210`.
fn is_sequence(s: &str) -> bool {
    let c: Vec<u32> = s.chars().map(|c| c as u32).collect();
    c.windows(2).all(|w| w[1] == w[0] + 1) || c.windows(2).all(|w| w[0] == w[1] + 1)
}

/// A temporary password for a reset: 16 characters from an alphabet without look-alikes
/// (about 80 bits), grouped in fours so it can be read out over the phone.
pub fn temporary() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let raw: Vec<char> = (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    raw.chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_named() {
        assert!(check("short1", "ana").unwrap_err().contains("at least 10"));
        assert!(check("password123", "ana")
            .unwrap_err()
            .contains("commonly"));
        assert!(check("!!Qwerty2024!!", "ana")
            .unwrap_err()
            .contains("commonly"));
        assert!(check("1234567890", "ana").is_err());
        assert!(check("aaaaaaaaaaaa", "ana").unwrap_err().contains("few"));
        assert!(check("abcdefghijklm", "ana").is_err());
        assert!(check("my-name-is-joana-99", "Joana")
            .unwrap_err()
            .contains("username"));
    }

    #[test]
    fn reasonable_passwords_pass() {
        assert!(check("second-official-pw", "official-two").is_ok());
        assert!(check("correct horse battery", "ana").is_ok());
        assert!(check("merchant-pw-123", "m-1").is_ok());
    }

    #[test]
    fn temporary_passwords_are_strong_and_differ() {
        let a = temporary();
        let b = temporary();
        assert_ne!(a, b);
        assert_eq!(a.len(), 19);
        assert!(check(&a, "someone").is_ok(), "{a}");
    }
}
