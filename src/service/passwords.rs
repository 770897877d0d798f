//! Password hashing with Argon2id (the crate's defaults), one hash at a time per process
//! (see `memory::hashing_turn`).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

pub fn hash(password: &str) -> String {
    let _turn = crate::memory::hashing_turn();
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes")
        .to_string()
}

pub fn verify(password: &str, hash: &str) -> bool {
    let _turn = crate::memory::hashing_turn();
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}
