//! Password hashing with Argon2id, one hash at a time per process (see
//! `memory::hashing_turn`).
//!
//! The parameters are one of OWASP's equivalent Argon2id settings: 7 MiB of memory, 5 passes,
//! one lane (the crate's default is 19 MiB, 2 passes, of the same strength). The smaller
//! working memory keeps a login's share of the server's resident memory small; a stored hash
//! carries its own parameters, so hashes made with the earlier ones still verify, and the
//! next successful login stores the password again under today's (`outdated`).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

/// Passes over the memory.
const PASSES: u32 = 5;
/// Lanes (degree of parallelism).
const LANES: u32 = 1;

fn hasher() -> Argon2<'static> {
    let params = Params::new(crate::memory::HASH_MEMORY_KIB, PASSES, LANES, None)
        .expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str) -> String {
    let _turn = crate::memory::hashing_turn();
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes")
        .to_string()
}

pub fn verify(password: &str, hash: &str) -> bool {
    let _turn = crate::memory::hashing_turn();
    PasswordHash::new(hash)
        .map(|h| {
            // Verification follows the parameters stored in the hash.
            hasher().verify_password(password.as_bytes(), &h).is_ok()
        })
        .unwrap_or(false)
}

/// Whether a stored hash was made otherwise than `hash` makes them today (another algorithm,
/// memory, passes or lanes): the next successful login then stores a new one.
pub fn outdated(hash: &str) -> bool {
    let Ok(h) = PasswordHash::new(hash) else {
        return false;
    };
    let Ok(p) = Params::try_from(&h) else {
        return true;
    };
    h.algorithm != argon2::ARGON2ID_IDENT
        || p.m_cost() != crate::memory::HASH_MEMORY_KIB
        || p.t_cost() != PASSES
        || p.p_cost() != LANES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_carry_the_chosen_parameters_and_verify() {
        let h = hash("a long enough password");
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{h}");
        assert!(!outdated(&h));
        assert!(verify("a long enough password", &h));
        assert!(!verify("another password", &h));
    }

    #[test]
    fn hashes_made_with_the_earlier_parameters_still_verify() {
        let salt = SaltString::generate(&mut OsRng);
        let earlier = Argon2::default()
            .hash_password(b"kept from before", &salt)
            .unwrap()
            .to_string();
        assert!(earlier.contains("m=19456,t=2,p=1"), "{earlier}");
        assert!(outdated(&earlier));
        assert!(verify("kept from before", &earlier));
        assert!(!verify("not it", &earlier));
    }
}
