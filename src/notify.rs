//! Sending verification codes to visitors: e-mail through SMTP (`lettre`), text messages
//! through an SMS gateway's webhook (a JSON POST `{to, text}`), or — in the demo only — the log.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Verification;
use crate::domain::verification::Channel;

/// Checks an SMTP URL at start-up, so a typo fails loudly rather than at the first code.
pub fn check_smtp_url(url: &str) -> Result<(), String> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map(|_| ())
        .map_err(|e| format!("BAIRRO_SMTP_URL is not usable: {e}"))
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no sender is configured for {0}")]
    Unavailable(&'static str),
    #[error("the message could not be delivered: {0}")]
    Failed(String),
}

/// The configured ways out.
pub struct Senders {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<lettre::message::Mailbox>,
    sms: Option<(reqwest::Client, String)>,
    /// `--demo`: codes without a configured sender are written to the log.
    log_codes: bool,
}

impl Senders {
    pub fn new(v: &Verification, demo: bool) -> Senders {
        let smtp = v.smtp_url.as_ref().and_then(|u| {
            match AsyncSmtpTransport::<Tokio1Executor>::from_url(u.expose()) {
                Ok(b) => Some(b.timeout(Some(Duration::from_secs(15))).build()),
                Err(e) => {
                    tracing::error!(error = %e, "BAIRRO_SMTP_URL is not usable; e-mailed codes are off");
                    None
                }
            }
        });
        let from = match v.smtp_from.parse() {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::error!(error = %e, "BAIRRO_SMTP_FROM is not an address; e-mailed codes are off");
                None
            }
        };
        let sms = v.sms_webhook.as_ref().map(|u| {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .expect("an HTTP client builds");
            (client, u.expose().to_string())
        });
        Senders {
            smtp,
            from,
            sms,
            log_codes: demo,
        }
    }

    /// Whether a code can reach a visitor on this channel.
    pub fn can_send(&self, channel: Channel) -> bool {
        self.log_codes
            || match channel {
                Channel::Email => self.smtp.is_some() && self.from.is_some(),
                Channel::Sms => self.sms.is_some(),
            }
    }

    /// The channels visitors can use.
    pub fn channels(&self) -> Vec<&'static str> {
        [Channel::Sms, Channel::Email]
            .into_iter()
            .filter(|c| self.can_send(*c))
            .map(Channel::as_str)
            .collect()
    }

    /// Whether any visitor could verify at all (offers that need it can be made).
    pub fn any(&self) -> bool {
        !self.channels().is_empty()
    }

    pub async fn send(
        &self,
        channel: Channel,
        to: &str,
        hint: &str,
        subject: &str,
        text: &str,
        code: &str,
    ) -> Result<(), SendError> {
        match channel {
            Channel::Email => {
                if let (Some(smtp), Some(from)) = (&self.smtp, &self.from) {
                    let to = to
                        .parse()
                        .map_err(|e| SendError::Failed(format!("address: {e}")))?;
                    let msg = Message::builder()
                        .from(from.clone())
                        .to(to)
                        .subject(subject)
                        .header(ContentType::TEXT_PLAIN)
                        .body(text.to_string())
                        .map_err(|e| SendError::Failed(e.to_string()))?;
                    return smtp
                        .send(msg)
                        .await
                        .map(|_| ())
                        .map_err(|e| SendError::Failed(e.to_string()));
                }
            }
            Channel::Sms => {
                if let Some((client, url)) = &self.sms {
                    let r = client
                        .post(url)
                        .json(&serde_json::json!({"to": to, "text": text}))
                        .send()
                        .await
                        .map_err(|e| SendError::Failed(e.without_url().to_string()))?;
                    if !r.status().is_success() {
                        return Err(SendError::Failed(format!(
                            "the SMS gateway answered {}",
                            r.status()
                        )));
                    }
                    return Ok(());
                }
            }
        }
        if self.log_codes {
            tracing::warn!(channel = channel.as_str(), to = %hint, %code, "demo: verification code (not sent; no sender configured)");
            return Ok(());
        }
        Err(SendError::Unavailable(channel.as_str()))
    }
}
