//! Login tokens: their claims, and the keys that sign and verify them (the current secret
//! signs, earlier ones still verify during a rotation). No request handling here: the role
//! extractors of `auth` read tokens through these keys.

use chrono::{Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mrole: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pid: Option<String>,
    /// A visitor's traffic source (the influencer link they arrived with).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rf: Option<String>,
    /// A staff token's account version: a password reset or change moves the account's on,
    /// refusing the tokens issued before (absent: version 0).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tv: Option<i32>,
    /// A staff token's own id (random), so the token that changed its account's password can
    /// be told from the others.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub jti: Option<String>,
    pub iat: i64,
    pub exp: i64,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: Vec<DecodingKey>,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secrets: &[&str]) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.required_spec_claims = ["exp", "sub"].iter().map(|s| s.to_string()).collect();
        JwtKeys {
            encoding: EncodingKey::from_secret(secrets[0].as_bytes()),
            decoding: secrets
                .iter()
                .map(|s| DecodingKey::from_secret(s.as_bytes()))
                .collect(),
            validation,
        }
    }

    pub fn issue(&self, mut claims: Claims, ttl: Duration) -> (String, chrono::DateTime<Utc>) {
        let now = Utc::now();
        let exp = now + ttl;
        claims.iat = now.timestamp();
        claims.exp = exp.timestamp();
        let token =
            encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).expect("HS256 encodes");
        (token, exp)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        for key in &self.decoding {
            match decode::<Claims>(token, key, &self.validation) {
                Ok(data) => return Ok(data.claims),
                Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature) => {
                    continue
                }
                Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => {
                    return Err(AppError::Unauthorized("the token has expired".into()))
                }
                Err(_) => return Err(AppError::Unauthorized("the token is not valid".into())),
            }
        }
        Err(AppError::Unauthorized("the token is not valid".into()))
    }
}

pub fn staff_claims(
    user_id: &str,
    role: &str,
    merchant_id: Option<String>,
    merchant_role: Option<String>,
    token_version: i32,
) -> Claims {
    Claims {
        sub: user_id.into(),
        role: role.into(),
        mid: merchant_id,
        mrole: merchant_role,
        pid: None,
        rf: None,
        tv: Some(token_version),
        jti: Some(uuid::Uuid::new_v4().simple().to_string()),
        iat: 0,
        exp: 0,
    }
}

pub fn visitor_claims(visitor_id: &str) -> Claims {
    Claims {
        sub: visitor_id.into(),
        role: "visitor".into(),
        mid: None,
        mrole: None,
        pid: None,
        rf: None,
        tv: None,
        jti: None,
        iat: 0,
        exp: 0,
    }
}

pub fn device_claims(device_id: &str, point_id: &str) -> Claims {
    Claims {
        sub: device_id.into(),
        role: "device".into(),
        mid: None,
        mrole: None,
        pid: Some(point_id.into()),
        rf: None,
        tv: None,
        jti: None,
        iat: 0,
        exp: 0,
    }
}
