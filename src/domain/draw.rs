//! Fair draws, recomputable by anyone.
//!
//! - The seed is 32 random bytes, published as 64 lowercase hex characters (`seed`).
//! - The commitment, published when entries open, is the lowercase hex SHA-256 of the seed's
//!   64-character hex text (the ASCII bytes of `seed`, not the 32 raw bytes).
//! - Each entry has a public id (a UUID in lowercase text). Its ticket is the lowercase hex
//!   SHA-256 of `seed + ":" + entry_id` (ASCII). Entries are ranked by ticket, then by id (a
//!   tie needs a SHA-256 collision), and the first `stock` of the ranking win.
//!
//! Because the seed was fixed (and committed to) before any entry existed, and nobody but the
//! server knew it until the draw, every entry had the same chance.

use rand::RngCore;
use sha2::{Digest, Sha256};

fn hex_sha256(text: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(text.as_bytes()))
}

/// A fresh seed (64 lowercase hex characters) from the operating system's generator.
pub fn new_seed() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    data_encoding::HEXLOWER.encode(&b)
}

pub fn commitment(seed: &str) -> String {
    hex_sha256(seed)
}

pub fn ticket(seed: &str, entry_id: &str) -> String {
    hex_sha256(&format!("{seed}:{entry_id}"))
}

/// The winning entry ids, best ticket first.
pub fn winners<T: AsRef<str> + Ord + Clone>(seed: &str, entry_ids: &[T], stock: usize) -> Vec<T> {
    let mut ranked: Vec<(String, &T)> = entry_ids
        .iter()
        .map(|e| (ticket(seed, e.as_ref()), e))
        .collect();
    ranked.sort();
    ranked
        .into_iter()
        .take(stock)
        .map(|(_, e)| e.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_is_sha256_of_the_hex_text() {
        // SHA-256 of the ASCII text "abc".
        assert_eq!(
            commitment("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let s = new_seed();
        assert_eq!(s.len(), 64);
        assert!(s
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(new_seed(), s);
    }

    #[test]
    fn winners_are_deterministic_and_do_not_depend_on_order() {
        let seed = "00".repeat(32);
        let ids: Vec<String> = (0..50).map(|i| format!("entry-{i}")).collect();
        let a = winners(&seed, &ids, 10);
        let mut rev = ids.clone();
        rev.reverse();
        assert_eq!(a, winners(&seed, &rev, 10));
        assert_eq!(a.len(), 10);
        assert_eq!(winners(&seed, &ids, 100).len(), 50);
        assert_ne!(a, winners(&"11".repeat(32), &ids, 10));
    }

    #[test]
    fn every_entry_has_about_the_same_chance() {
        let ids: Vec<String> = (0..10).map(|i| format!("e{i}")).collect();
        let mut wins = [0u32; 10];
        for s in 0..2000 {
            for w in winners(&format!("{s:064x}"), &ids, 3) {
                wins[w[1..].parse::<usize>().unwrap()] += 1;
            }
        }
        // 2000 draws × 3 of 10: 600 each on average.
        assert!(wins.iter().all(|&w| (500..700).contains(&w)), "{wins:?}");
    }
}
