//! Configuration: command-line flags and environment, with secrets kept out of `Debug` output.

use std::fmt;

/// A secret string that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How much history the demo loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DemoScale {
    /// Thousands of visitors per campaign: every dashboard shows something, loaded in seconds.
    #[default]
    Standard,
    /// The scale the bureau reported: 1.43 million page views, about 700,000 coupons,
    /// 126 merchants, with matching check-ins, redemptions and statements.
    Real,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub database_url: String,
    /// A PostgreSQL read replica where statistics and exports read (`--replica-url`).
    pub replica_url: Option<String>,
    /// The first signs tokens; all verify (older ones during a rotation's grace period).
    pub jwt_secrets: Vec<Secret>,
    /// `(kid, secret)` for QR payloads; the first signs, all verify.
    pub qr_keys: Vec<(String, Secret)>,
    pub admin_password: Option<Secret>,
    pub demo: bool,
    /// How much history `--demo` loads.
    pub demo_scale: DemoScale,
    /// Lifetime of official and merchant tokens.
    pub staff_token_hours: i64,
    /// Lifetime of a visitor's token.
    pub visitor_token_days: i64,
    pub pool_size: Option<u32>,
    /// Rate limits are on by default; the benchmark may turn them off.
    pub rate_limits: bool,
    pub workers: Option<usize>,
    /// Proxies whose `X-Forwarded-For` is believed (empty: the peer address is the client).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Bearer token that `GET /metrics` requires on the main address.
    pub metrics_token: Option<Secret>,
    /// A separate address serving only `/metrics` (without a token).
    pub metrics_bind: Option<String>,
    /// How verification codes reach visitors, and the key that hashes their addresses.
    pub verification: Verification,
}

/// Verification of visitors' phone numbers and e-mail addresses.
#[derive(Debug, Clone)]
pub struct Verification {
    /// `smtp://host:port` (plain), `smtp://host:port?tls=required` or `smtps://…`.
    pub smtp_url: Option<Secret>,
    /// The sender of code e-mails.
    pub smtp_from: String,
    /// An SMS gateway's webhook: receives a JSON POST `{to, text}`.
    pub sms_webhook: Option<Secret>,
    /// The key of the keyed hash under which addresses are stored.
    pub address_key: Secret,
}

impl Verification {
    pub fn for_tests() -> Verification {
        Verification {
            smtp_url: None,
            smtp_from: "Bairro <codes@bairro.test>".into(),
            sms_webhook: None,
            address_key: Secret::new("test-address-key-0123456789abcdef012"),
        }
    }
}

pub const MIN_SECRET_LEN: usize = 32;

impl Settings {
    /// Settings for tests and tools: a given database, fixed secrets, no demo data.
    pub fn for_tests(database_url: &str) -> Settings {
        Settings {
            bind: "127.0.0.1:0".into(),
            database_url: database_url.into(),
            replica_url: None,
            jwt_secrets: vec![Secret::new("test-jwt-secret-0123456789abcdef0123")],
            qr_keys: vec![(
                "A".into(),
                Secret::new("test-qr-secret-0123456789abcdef01234"),
            )],
            admin_password: Some(Secret::new("admin-test-password")),
            demo: false,
            demo_scale: DemoScale::Standard,
            staff_token_hours: 12,
            visitor_token_days: 180,
            pool_size: None,
            rate_limits: true,
            workers: Some(2),
            trusted_proxies: Vec::new(),
            metrics_token: None,
            metrics_bind: None,
            verification: Verification::for_tests(),
        }
    }
}

/// Parses `kid:secret,kid:secret`.
pub fn parse_qr_keys(s: &str) -> Result<Vec<(String, Secret)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (kid, secret) = part.split_once(':').ok_or_else(|| {
            format!(
                "QR key '{kid}' must be KID:SECRET",
                kid = part.split(':').next().unwrap_or("")
            )
        })?;
        if kid.is_empty()
            || kid.len() > 4
            || !kid
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Err(format!(
                "QR key id '{kid}' must be 1–4 upper-case letters or digits"
            ));
        }
        if secret.len() < MIN_SECRET_LEN {
            return Err(format!(
                "QR key '{kid}' is shorter than {MIN_SECRET_LEN} characters"
            ));
        }
        out.push((kid.to_string(), Secret::new(secret)));
    }
    if out.is_empty() {
        return Err("no QR key given".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Settings::for_tests("sqlite://x.db");
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("test-jwt-secret"));
        assert!(!dbg.contains("admin-test-password"));
    }

    #[test]
    fn qr_keys_parse() {
        let k =
            parse_qr_keys("B:0123456789abcdef0123456789abcdef, A:abcdefabcdefabcdefabcdefabcdefab")
                .unwrap();
        assert_eq!(
            k.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            vec!["B", "A"]
        );
        assert!(parse_qr_keys("B:short").is_err());
        assert!(parse_qr_keys("b:0123456789abcdef0123456789abcdef").is_err());
        assert!(parse_qr_keys("").is_err());
    }
}

/// The database a command works on.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://bairro.db")]
    pub database_url: String,
}
