//! Property tests of the two parsers that read what people and cameras type: the QR payload
//! verifier and the coupon-code normaliser.

use bairro::domain::codes::{display, normalise};
use bairro::domain::payload::{KeyRing, Payload};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn ring() -> KeyRing {
    KeyRing::new(&[
        (
            "B".to_string(),
            b"proptest-key-B-0123456789abcdef0123".to_vec(),
        ),
        (
            "A".to_string(),
            b"proptest-key-A-0123456789abcdef0123".to_vec(),
        ),
    ])
}

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn code() -> impl Strategy<Value = String> {
    proptest::collection::vec(0usize..32, 16).prop_map(|ix| {
        ix.into_iter()
            .map(|i| ALPHABET.as_bytes()[i] as char)
            .collect()
    })
}

fn valid_payload() -> impl Strategy<Value = String> {
    (any::<u128>(), code(), 0i64..10_000_000, 0u8..3).prop_map(|(u, c, n, k)| {
        let r = ring();
        let id = uuid::Uuid::from_u128(u);
        match k {
            0 => r.static_point(id),
            1 => r.rotating_point(id, n),
            _ => r.coupon(&c),
        }
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Swap(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let ch = prop_oneof![
        proptest::char::range('0', 'Z'),
        proptest::char::range('a', 'z'),
        Just(':'),
        Just('='),
        Just('é'),
        Just('測'),
    ];
    prop_oneof![
        (any::<usize>(), ch.clone()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<usize>(), ch).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Swap),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(s: &str, m: &Mutation) -> String {
    let mut v: Vec<char> = s.chars().collect();
    let n = v.len();
    match m {
        Mutation::Replace(i, c) => v[i % n] = *c,
        Mutation::Insert(i, c) => v.insert(i % (n + 1), *c),
        Mutation::Delete(i) => {
            v.remove(i % n);
        }
        Mutation::Swap(i) => v.swap(i % (n - 1), i % (n - 1) + 1),
        Mutation::Truncate(i) => v.truncate(i % n),
    }
    v.into_iter().collect()
}

proptest! {
    #![proptest_config(Config { cases: 2000, failure_persistence: None, ..Config::default() })]

    /// Any text at all: no panic, and garbage never verifies.
    #[test]
    fn verify_never_panics(s in ".{0,200}") {
        let r = ring();
        if let Ok(p) = r.verify(&s) {
            // Only a correctly signed payload could verify; random text is not one.
            prop_assert!(false, "random text verified: {s:?} → {p:?}");
        }
    }

    /// Text shaped like a payload (right prefix, random fields): never verifies.
    #[test]
    fn payload_shaped_garbage_never_verifies(kind in "[PRC]", kid in "[AB]", a in "[A-Z2-7]{0,30}", b in "[0-9A-Z]{0,20}", sig in "[A-Z2-7]{0,20}") {
        let r = ring();
        for text in [format!("B1:{kind}:{kid}:{a}:{sig}"), format!("B1:{kind}:{kid}:{a}:{b}:{sig}")] {
            prop_assert!(r.verify(&text).is_err(), "{text}");
        }
    }

    /// Every valid payload verifies, and any change to it (other than blanks around it,
    /// which are trimmed) makes it refused.
    #[test]
    fn mutations_of_valid_payloads_never_verify(p in valid_payload(), m in mutation()) {
        let r = ring();
        prop_assert!(r.verify(&p).is_ok(), "{p}");
        let q = apply(&p, &m);
        if q.trim() != p {
            prop_assert!(r.verify(&q).is_err(), "mutated {p} → {q} ({m:?}) verified");
        }
    }

    /// A payload signed by a key the ring does not hold never verifies.
    #[test]
    fn other_keys_never_verify(u in any::<u128>(), c in code()) {
        let other = KeyRing::new(&[("A".to_string(), b"some-other-key-0123456789abcdef0123".to_vec())]);
        let id = uuid::Uuid::from_u128(u);
        prop_assert!(ring().verify(&other.static_point(id)).is_err());
        prop_assert!(ring().verify(&other.coupon(&c)).is_err());
        prop_assert_eq!(ring().verify(&ring().coupon(&c)), Ok(Payload::Coupon { code: c }));
    }

    /// normalise(display(code)) == code, also typed in lower case with blanks.
    #[test]
    fn normalise_inverts_display(c in code()) {
        prop_assert_eq!(normalise(&display(&c)), Some(c.clone()));
        prop_assert_eq!(normalise(&c), Some(c.clone()));
        let typed = display(&c).to_lowercase().replace('-', " ");
        prop_assert_eq!(normalise(&typed), Some(c.clone()));
    }

    /// normalise never panics, and what it returns is always a well-formed code.
    #[test]
    fn normalise_total(s in "\\PC{0,40}") {
        if let Some(c) = normalise(&s) {
            prop_assert_eq!(c.len(), 16);
            prop_assert!(c.chars().all(|ch| ALPHABET.contains(ch)), "{c}");
            prop_assert_eq!(normalise(&c), Some(c.clone()));
        }
    }
}
