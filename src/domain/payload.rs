//! Signed QR payloads: what a check-in point's QR and a coupon's QR contain.
//!
//! Format (QR alphanumeric mode, so it prints small): `B1:<type>:<kid>:<fields…>:<sig>`.
//! - `B1:P:<kid>:<point>:<sig>` — a static point's QR;
//! - `B1:R:<kid>:<point>:<counter>:<sig>` — a rotating point's code for one period;
//! - `B1:C:<kid>:<code>:<sig>` — a coupon shown at the till;
//! - `B1:D:<kid>:<point>:<device>:<counter>:<sig>` — a rotating point's code for one period,
//!   computed by one display device with its own secret (so revoking that device stops its
//!   codes, even the ones it computes offline).
//!
//! `B1` is the format version and `<kid>` names the signing key, so both can rotate.
//! Signatures are HMAC-SHA256 truncated to 80 bits. A rotating point is signed with its own
//! secret (derived from the server key), which its display device holds, so a screen can
//! compute the current code offline, like TOTP.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

const SIG_BYTES: usize = 10;

#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, ***)", self.kid)
    }
}

/// The current key signs; older keys still verify during a grace period.
#[derive(Clone, Debug)]
pub struct KeyRing {
    keys: Vec<SigningKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    StaticPoint {
        point_id: Uuid,
    },
    RotatingPoint {
        point_id: Uuid,
        counter: i64,
    },
    Coupon {
        code: String,
    },
    DevicePoint {
        point_id: Uuid,
        device_id: Uuid,
        counter: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadError {
    /// Not ours, damaged or forged.
    Invalid,
    /// A rotating code older than two periods.
    Expired,
}

fn mac(key: &[u8], msg: &str) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn sig(key: &[u8], msg: &str) -> String {
    BASE32_NOPAD.encode(&mac(key, msg)[..SIG_BYTES])
}

fn sig_ok(key: &[u8], msg: &str, given: &str) -> bool {
    let Ok(bytes) = BASE32_NOPAD.decode(given.as_bytes()) else {
        return false;
    };
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg.as_bytes());
    m.verify_truncated_left(&bytes).is_ok() && bytes.len() == SIG_BYTES
}

fn pid(point: Uuid) -> String {
    BASE32_NOPAD.encode(point.as_bytes())
}

fn parse_pid(s: &str) -> Option<Uuid> {
    let b = BASE32_NOPAD.decode(s.as_bytes()).ok()?;
    Uuid::from_slice(&b).ok()
}

impl KeyRing {
    /// `secrets` is a list of `(kid, secret)`: the first signs, all verify.
    pub fn new(secrets: &[(String, Vec<u8>)]) -> KeyRing {
        assert!(!secrets.is_empty(), "a key ring needs a key");
        KeyRing {
            keys: secrets
                .iter()
                .map(|(kid, key)| SigningKey {
                    kid: kid.clone(),
                    key: key.clone(),
                })
                .collect(),
        }
    }

    fn current(&self) -> &SigningKey {
        &self.keys[0]
    }

    fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    pub fn static_point(&self, point: Uuid) -> String {
        let k = self.current();
        let p = pid(point);
        format!("B1:P:{}:{p}:{}", k.kid, sig(&k.key, &format!("P:{p}")))
    }

    /// The secret a rotating point's display device holds (base32).
    pub fn rotating_secret(&self, point: Uuid) -> String {
        BASE32_NOPAD.encode(&self.rotating_key(self.current(), point))
    }

    /// The point's own rotating key, used by the server only (`GET /points/{id}/code`). Display
    /// devices get a secret of their own instead (`device_secret`); the label changed when they
    /// did, so a secret handed to a display before then no longer signs anything.
    fn rotating_key(&self, k: &SigningKey, point: Uuid) -> Vec<u8> {
        mac(&k.key, &format!("rotating-point-server:{}", pid(point)))
    }

    fn device_key(&self, k: &SigningKey, device: Uuid) -> Vec<u8> {
        mac(&k.key, &format!("display-device:{}", pid(device)))
    }

    /// The secret a display device holds (base32): its codes verify only while it is active.
    pub fn device_secret(&self, device: Uuid) -> String {
        BASE32_NOPAD.encode(&self.device_key(self.current(), device))
    }

    /// A device's code of `counter`, as the device computes it.
    pub fn device_point(&self, point: Uuid, device: Uuid, counter: i64) -> String {
        let k = self.current();
        device_code_with_secret(
            &k.kid,
            &self.device_key(k, device),
            &pid(point),
            &pid(device),
            counter,
        )
    }

    /// The rotating code of `counter`; `kid` is the current key's.
    pub fn rotating_point(&self, point: Uuid, counter: i64) -> String {
        let k = self.current();
        let p = pid(point);
        rotating_with_secret(&k.kid, &self.rotating_key(k, point), &p, counter)
    }

    pub fn coupon(&self, code: &str) -> String {
        let k = self.current();
        format!(
            "B1:C:{}:{code}:{}",
            k.kid,
            sig(&k.key, &format!("C:{code}"))
        )
    }

    /// Parses and verifies any payload (signature only; time rules are `check_rotation`'s).
    pub fn verify(&self, text: &str) -> Result<Payload, PayloadError> {
        let text = text.trim();
        if text.len() > 128 {
            return Err(PayloadError::Invalid);
        }
        let parts: Vec<&str> = text.split(':').collect();
        match parts.as_slice() {
            ["B1", "P", kid, p, s] => {
                let k = self.by_kid(kid).ok_or(PayloadError::Invalid)?;
                let point_id = parse_pid(p).ok_or(PayloadError::Invalid)?;
                if *p != pid(point_id) || !sig_ok(&k.key, &format!("P:{p}"), s) {
                    return Err(PayloadError::Invalid);
                }
                Ok(Payload::StaticPoint { point_id })
            }
            ["B1", "R", kid, p, c, s] => {
                let k = self.by_kid(kid).ok_or(PayloadError::Invalid)?;
                let point_id = parse_pid(p).ok_or(PayloadError::Invalid)?;
                let counter: i64 = c.parse().map_err(|_| PayloadError::Invalid)?;
                if *p != pid(point_id) || counter < 0 || *c != counter.to_string() {
                    return Err(PayloadError::Invalid);
                }
                let key = self.rotating_key(k, point_id);
                if !sig_ok(&key, &format!("R:{p}:{counter}"), s) {
                    return Err(PayloadError::Invalid);
                }
                Ok(Payload::RotatingPoint { point_id, counter })
            }
            ["B1", "D", kid, p, d, c, s] => {
                let k = self.by_kid(kid).ok_or(PayloadError::Invalid)?;
                let point_id = parse_pid(p).ok_or(PayloadError::Invalid)?;
                let device_id = parse_pid(d).ok_or(PayloadError::Invalid)?;
                let counter: i64 = c.parse().map_err(|_| PayloadError::Invalid)?;
                if *p != pid(point_id)
                    || *d != pid(device_id)
                    || counter < 0
                    || *c != counter.to_string()
                {
                    return Err(PayloadError::Invalid);
                }
                let key = self.device_key(k, device_id);
                if !sig_ok(&key, &format!("D:{p}:{d}:{counter}"), s) {
                    return Err(PayloadError::Invalid);
                }
                Ok(Payload::DevicePoint {
                    point_id,
                    device_id,
                    counter,
                })
            }
            ["B1", "C", kid, code, s] => {
                let k = self.by_kid(kid).ok_or(PayloadError::Invalid)?;
                if !sig_ok(&k.key, &format!("C:{code}"), s) {
                    return Err(PayloadError::Invalid);
                }
                Ok(Payload::Coupon {
                    code: code.to_string(),
                })
            }
            _ => Err(PayloadError::Invalid),
        }
    }
}

/// A visitor's personal wallet card: `B1:V:<kid>:<visitor>:<sig>`, shown in the wallet and
/// scanned at the till to record a purchase. Kept apart from `verify`, which reads the codes
/// a visitor scans.
impl KeyRing {
    pub fn visitor_card(&self, visitor: Uuid) -> String {
        let k = self.current();
        let v = pid(visitor);
        format!("B1:V:{}:{v}:{}", k.kid, sig(&k.key, &format!("V:{v}")))
    }

    /// The visitor a scanned card names, if the card is ours and intact.
    pub fn verify_visitor_card(&self, text: &str) -> Option<Uuid> {
        let text = text.trim();
        if text.len() > 128 {
            return None;
        }
        match text.split(':').collect::<Vec<_>>().as_slice() {
            ["B1", "V", kid, v, s] => {
                let k = self.by_kid(kid)?;
                let id = parse_pid(v)?;
                (*v == pid(id) && sig_ok(&k.key, &format!("V:{v}"), s)).then_some(id)
            }
            _ => None,
        }
    }
}

/// A rotating code computed from a device's secret — the same function a display runs.
pub fn rotating_with_secret(kid: &str, secret: &[u8], pid_b32: &str, counter: i64) -> String {
    format!(
        "B1:R:{kid}:{pid_b32}:{counter}:{}",
        sig(secret, &format!("R:{pid_b32}:{counter}"))
    )
}

/// A display device's code computed from its secret — the same function the display page runs.
pub fn device_code_with_secret(
    kid: &str,
    secret: &[u8],
    pid_b32: &str,
    did_b32: &str,
    counter: i64,
) -> String {
    format!(
        "B1:D:{kid}:{pid_b32}:{did_b32}:{counter}:{}",
        sig(secret, &format!("D:{pid_b32}:{did_b32}:{counter}"))
    )
}

/// The base32 form of an id in payloads.
pub fn id_b32(id: Uuid) -> String {
    pid(id)
}

/// The period number of a unix time.
pub fn counter_at(unix_secs: i64, rotate_seconds: i64) -> i64 {
    unix_secs.div_euclid(rotate_seconds.max(1))
}

/// Until when (unix seconds) the code of `counter` is shown on the device.
pub fn period_end(counter: i64, rotate_seconds: i64) -> i64 {
    (counter + 1) * rotate_seconds
}

/// A rotating code is accepted from the start of its period until two periods have passed;
/// a code from more than one period in the future is forged or from a wrong clock.
pub fn check_rotation(
    counter: i64,
    rotate_seconds: i64,
    judged_at_unix: i64,
) -> Result<(), PayloadError> {
    let start = counter * rotate_seconds;
    if judged_at_unix + rotate_seconds < start {
        return Err(PayloadError::Invalid);
    }
    if judged_at_unix >= start + 2 * rotate_seconds {
        return Err(PayloadError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        KeyRing::new(&[("A".into(), b"0123456789abcdef0123456789abcdef".to_vec())])
    }

    #[test]
    fn static_payload_verifies_and_is_short() {
        let id = Uuid::new_v4();
        let p = ring().static_point(id);
        assert!(p.len() <= 60, "{p}");
        assert!(p
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == ':'));
        assert_eq!(ring().verify(&p), Ok(Payload::StaticPoint { point_id: id }));
    }

    #[test]
    fn any_single_character_change_is_refused() {
        let p = ring().static_point(Uuid::new_v4());
        for i in 0..p.len() {
            let mut b = p.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(b).unwrap();
            if t != p {
                assert_eq!(ring().verify(&t), Err(PayloadError::Invalid), "{t}");
            }
        }
    }

    #[test]
    fn another_key_or_point_is_refused() {
        let other = KeyRing::new(&[("A".into(), b"another-secret-another-secret-xx".to_vec())]);
        let p = other.static_point(Uuid::new_v4());
        assert_eq!(ring().verify(&p), Err(PayloadError::Invalid));
        let a = ring().static_point(Uuid::new_v4());
        let b = ring().static_point(Uuid::new_v4());
        let spliced = format!(
            "{}:{}",
            &a[..a.rfind(':').unwrap()],
            &b[b.rfind(':').unwrap() + 1..]
        );
        assert_eq!(ring().verify(&spliced), Err(PayloadError::Invalid));
    }

    #[test]
    fn old_keys_verify_during_rotation() {
        let old = ring();
        let p = old.static_point(Uuid::new_v4());
        let rotated = KeyRing::new(&[
            ("B".into(), b"new-secret-new-secret-new-secret".to_vec()),
            ("A".into(), b"0123456789abcdef0123456789abcdef".to_vec()),
        ]);
        assert!(rotated.verify(&p).is_ok());
        assert!(rotated.static_point(Uuid::new_v4()).starts_with("B1:P:B:"));
    }

    #[test]
    fn rotating_codes_from_the_device_secret_match_the_server() {
        let r = ring();
        let id = Uuid::new_v4();
        let secret = BASE32_NOPAD
            .decode(r.rotating_secret(id).as_bytes())
            .unwrap();
        let from_device = rotating_with_secret("A", &secret, &pid(id), 57_000_000);
        assert_eq!(from_device, r.rotating_point(id, 57_000_000));
        assert_eq!(
            r.verify(&from_device),
            Ok(Payload::RotatingPoint {
                point_id: id,
                counter: 57_000_000
            })
        );
    }

    #[test]
    fn device_codes_verify_and_name_their_device() {
        let r = ring();
        let (p, d) = (Uuid::new_v4(), Uuid::new_v4());
        let secret = BASE32_NOPAD.decode(r.device_secret(d).as_bytes()).unwrap();
        let code = device_code_with_secret("A", &secret, &pid(p), &pid(d), 57_000_000);
        assert_eq!(code, r.device_point(p, d, 57_000_000));
        assert!(code.len() <= 100, "{code}");
        assert_eq!(
            r.verify(&code),
            Ok(Payload::DevicePoint {
                point_id: p,
                device_id: d,
                counter: 57_000_000
            })
        );
        // Another device's secret cannot sign for this device.
        let other = BASE32_NOPAD
            .decode(r.device_secret(Uuid::new_v4()).as_bytes())
            .unwrap();
        let forged = device_code_with_secret("A", &other, &pid(p), &pid(d), 57_000_000);
        assert_eq!(r.verify(&forged), Err(PayloadError::Invalid));
    }

    #[test]
    fn rotation_window_is_two_periods() {
        let rs = 30;
        let c = counter_at(1_000_000_020, rs);
        let start = c * rs;
        assert_eq!(check_rotation(c, rs, start), Ok(()));
        assert_eq!(check_rotation(c, rs, start + 59), Ok(()));
        assert_eq!(
            check_rotation(c, rs, start + 60),
            Err(PayloadError::Expired)
        );
        assert_eq!(check_rotation(c + 5, rs, start), Err(PayloadError::Invalid));
        assert_eq!(period_end(c, rs), start + 30);
    }

    #[test]
    fn coupon_payload_round_trips() {
        let p = ring().coupon("ABCDEFGHJKMNPQRS");
        assert_eq!(
            ring().verify(&p),
            Ok(Payload::Coupon {
                code: "ABCDEFGHJKMNPQRS".into()
            })
        );
        assert_eq!(
            ring().verify(&p.replace("ABCD", "ABCE")),
            Err(PayloadError::Invalid)
        );
        assert_eq!(ring().verify("hello"), Err(PayloadError::Invalid));
    }

    #[test]
    fn visitor_cards_verify_and_are_not_other_codes() {
        let ring = KeyRing::new(&[("k1".into(), b"secret".to_vec())]);
        let v = Uuid::new_v4();
        let card = ring.visitor_card(v);
        assert_eq!(ring.verify_visitor_card(&card), Some(v));
        assert_eq!(ring.verify(&card), Err(PayloadError::Invalid));
        let forged = card.replace("B1:V:k1:", "B1:V:k1:A");
        assert_eq!(ring.verify_visitor_card(&forged), None);
        let other = KeyRing::new(&[("k1".into(), b"other".to_vec())]);
        assert_eq!(other.verify_visitor_card(&card), None);
        assert_eq!(ring.verify_visitor_card(&ring.coupon("ABCD")), None);
    }
}
