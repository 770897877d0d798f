//! Verifying a visitor's phone number or e-mail: reading the address, the keyed hash it is
//! stored under, the hint shown back to the visitor, the 6-digit code and the text sent.

use chrono::Duration;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

/// How long a code may be used.
pub const CODE_TTL: Duration = Duration::minutes(10);
/// Wrong codes allowed per address before it is locked.
pub const MAX_WRONG_CODES: i32 = 5;
/// How long an address stays locked after too many wrong codes.
pub const LOCK_FOR: Duration = Duration::minutes(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "sms" => Some(Channel::Sms),
            "email" => Some(Channel::Email),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
}

/// A phone number (E.164, `+` and digits) or an e-mail address (lower case), normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub channel: Channel,
    pub normalized: String,
}

impl Address {
    /// Reads an address for a channel; `None` when it is not a plausible one.
    /// Phone numbers without a country code are read as Macau numbers (+853, 8 digits).
    pub fn parse(channel: Channel, raw: &str) -> Option<Address> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 254 {
            return None;
        }
        let normalized = match channel {
            Channel::Sms => {
                let plus = raw.starts_with('+') || raw.starts_with("00");
                let body = raw
                    .strip_prefix('+')
                    .or_else(|| raw.strip_prefix("00"))
                    .unwrap_or(raw);
                if !body
                    .chars()
                    .all(|c| c.is_ascii_digit() || " -().".contains(c))
                {
                    return None;
                }
                let digits: String = body.chars().filter(char::is_ascii_digit).collect();
                if plus {
                    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
                        return None;
                    }
                    format!("+{digits}")
                } else if digits.len() == 8 {
                    format!("+853{digits}")
                } else {
                    return None;
                }
            }
            Channel::Email => {
                let s = raw.to_lowercase();
                let (local, domain) = s.rsplit_once('@')?;
                let ok_local = !local.is_empty()
                    && local.len() <= 64
                    && !local.contains('@')
                    && local
                        .chars()
                        .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
                let ok_domain = domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && domain
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
                if !(ok_local && ok_domain) {
                    return None;
                }
                s
            }
        };
        Some(Address {
            channel,
            normalized,
        })
    }

    /// Guesses the channel from the text: an `@` makes it an e-mail.
    pub fn parse_any(raw: &str) -> Option<Address> {
        if raw.contains('@') {
            Address::parse(Channel::Email, raw)
        } else {
            Address::parse(Channel::Sms, raw)
        }
    }

    /// The keyed hash the address is stored under (never the address itself).
    pub fn keyed_hash(&self, key: &[u8]) -> String {
        let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
        m.update(self.channel.as_str().as_bytes());
        m.update(b":");
        m.update(self.normalized.as_bytes());
        data_encoding::HEXLOWER.encode(&m.finalize().into_bytes())
    }

    /// What is shown back: the last digits of a phone, or the first letter and the domain of
    /// an e-mail.
    pub fn hint(&self) -> String {
        match self.channel {
            Channel::Sms => {
                let n = self.normalized.len();
                format!("•••• {}", &self.normalized[n.saturating_sub(4)..])
            }
            Channel::Email => {
                let (local, domain) = self.normalized.rsplit_once('@').unwrap_or(("", ""));
                let first: String = local.chars().take(1).collect();
                format!("{first}•••@{domain}")
            }
        }
    }
}

/// A fresh 6-digit code.
pub fn new_code() -> String {
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000u32))
}

/// A code as stored: keyed by the server key and the address, so a leaked table gives
/// neither the codes nor the addresses.
pub fn code_hash(key: &[u8], address_hash: &str, code: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(b"code:");
    m.update(address_hash.as_bytes());
    m.update(b":");
    m.update(code.as_bytes());
    data_encoding::HEXLOWER.encode(&m.finalize().into_bytes())
}

/// The code as typed: digits only (spaces and dashes dropped); `None` unless six digits.
pub fn read_code(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// The message sent with a code, in the visitor's language.
pub fn message(locale: &str, code: &str) -> (String, String) {
    let minutes = CODE_TTL.num_minutes();
    match locale {
        "zh-Hans" => (
            "Bairro 验证码".to_string(),
            format!("Bairro 验证码：{code}（{minutes} 分钟内有效）。请勿告诉他人。"),
        ),
        "pt" => (
            "Código Bairro".to_string(),
            format!("Código Bairro: {code} (válido {minutes} minutos). Não o partilhe."),
        ),
        "en" => (
            "Your Bairro code".to_string(),
            format!("Bairro code: {code} (valid for {minutes} minutes). Do not share it."),
        ),
        _ => (
            "Bairro 驗證碼".to_string(),
            format!("Bairro 驗證碼：{code}（{minutes} 分鐘內有效）。請勿告訴他人。"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised() {
        let a = Address::parse(Channel::Sms, "6612 3456").unwrap();
        assert_eq!(a.normalized, "+85366123456");
        assert_eq!(Address::parse(Channel::Sms, "+853 6612-3456").unwrap(), a);
        assert_eq!(Address::parse(Channel::Sms, "00853 66123456").unwrap(), a);
        assert_eq!(a.hint(), "•••• 3456");
        assert!(Address::parse(Channel::Sms, "12345").is_none());
        assert!(Address::parse(Channel::Sms, "call me").is_none());
        assert!(Address::parse(Channel::Sms, "+0123456789").is_none());
    }

    #[test]
    fn emails_are_normalised() {
        let a = Address::parse(Channel::Email, " Ana.Lei@Example.MO ").unwrap();
        assert_eq!(a.normalized, "ana.lei@example.mo");
        assert_eq!(a.hint(), "a•••@example.mo");
        for bad in [
            "ana",
            "ana@",
            "@example.mo",
            "ana@example",
            "a b@example.mo",
            "ana@ex..mo",
        ] {
            assert!(Address::parse(Channel::Email, bad).is_none(), "{bad}");
        }
        assert_eq!(
            Address::parse_any("ana@example.mo").unwrap().channel,
            Channel::Email
        );
        assert_eq!(
            Address::parse_any("66123456").unwrap().channel,
            Channel::Sms
        );
    }

    #[test]
    fn hashes_are_keyed_and_stable() {
        let a = Address::parse(Channel::Sms, "66123456").unwrap();
        assert_eq!(a.keyed_hash(b"k1"), a.keyed_hash(b"k1"));
        assert_ne!(a.keyed_hash(b"k1"), a.keyed_hash(b"k2"));
        assert!(!a.keyed_hash(b"k1").contains("66123456"));
        assert_ne!(
            code_hash(b"k", "h", "123456"),
            code_hash(b"k", "h", "123457")
        );
    }

    #[test]
    fn codes() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), 6);
            assert_eq!(read_code(&c).as_deref(), Some(c.as_str()));
        }
        assert_eq!(read_code("123 456").as_deref(), Some("123456"));
        assert!(read_code("12345").is_none());
        assert!(read_code("12345a").is_none());
        assert!(message("pt", "123456").1.contains("123456"));
    }
}
