//! Where notices go: a generic webhook (JSON POST), a Telegram bot (Bot API
//! `sendMessage`) and email ([`super::email`]). The Telegram token is part of the request path: it is never shown in
//! `Debug`, errors or logs (errors drop the URL).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::Notice;
use super::email::EmailChannel;

/// Telegram's Bot API.
pub const TELEGRAM_API: &str = "https://api.telegram.org";

/// The longest Telegram message.
const TELEGRAM_MAX_CHARS: usize = 4_096;

/// A delivery that failed; names the channel, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert channel {channel}: {problem}")]
pub struct DeliveryError {
    /// The channel (`webhook <url>`, `telegram chat <id>`).
    pub channel: String,
    /// What went wrong.
    pub problem: String,
}

/// A channel's secret (a Telegram bot token, an SMTP password): shown as `<redacted>`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelSecret(#[serde(with = "zeroizing")] Zeroizing<String>);

mod zeroizing {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use zeroize::Zeroizing;

    pub(super) fn serialize<S: Serializer>(
        value: &Zeroizing<String>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.as_str().serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Zeroizing<String>, D::Error> {
        String::deserialize(deserializer).map(Zeroizing::new)
    }
}

impl ChannelSecret {
    /// A secret from its text.
    #[must_use]
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret.into()))
    }

    /// The secret itself, for the one place that sends it.
    #[must_use]
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for ChannelSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One destination for notices.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Channel {
    /// POST the notice as JSON to `url`.
    Webhook {
        /// Where to.
        url: String,
    },
    /// Send the notice as a Telegram message to `chat_id` with the bot `token`.
    Telegram {
        /// The bot's token (from `@BotFather`).
        token: ChannelSecret,
        /// The chat (a user, group or channel id).
        chat_id: String,
        /// The Bot API's address (tests point it at a local server).
        #[serde(default = "telegram_api")]
        api: String,
    },
    /// Send the notice by email over SMTP.
    Email(EmailChannel),
}

fn telegram_api() -> String {
    TELEGRAM_API.to_owned()
}

impl Channel {
    /// The channel's name in errors and logs (no secret).
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::Webhook { url } => format!("webhook {url}"),
            Self::Telegram { chat_id, .. } => format!("telegram chat {chat_id}"),
            Self::Email(email) => email.name(),
        }
    }

    /// Sends `text` (the notice as a person reads it) or the notice's JSON.
    pub(super) async fn send(
        &self,
        http: &reqwest::Client,
        notice: &Notice,
        text: &str,
    ) -> Result<(), DeliveryError> {
        let fail = |problem: String| DeliveryError {
            channel: self.name(),
            problem,
        };
        let (url, body) = match self {
            Self::Webhook { url } => (
                url.clone(),
                serde_json::to_string(&WebhookBody { notice, text })
                    .map_err(|e| fail(e.to_string()))?,
            ),
            Self::Telegram {
                token,
                chat_id,
                api,
            } => (
                format!(
                    "{}/bot{}/sendMessage",
                    api.trim_end_matches('/'),
                    token.0.as_str()
                ),
                serde_json::to_string(&TelegramBody {
                    chat_id,
                    // Telegram refuses messages over 4,096 characters.
                    text: &text.chars().take(TELEGRAM_MAX_CHARS).collect::<String>(),
                })
                .map_err(|e| fail(e.to_string()))?,
            ),
            Self::Email(email) => return email.send(notice, text).await.map_err(fail),
        };
        let reply = http
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| fail(e.without_url().to_string()))?;
        let status = reply.status();
        if status.is_success() {
            return Ok(());
        }
        let detail = reply.text().await.unwrap_or_default();
        let detail: String = detail.chars().take(200).collect();
        Err(fail(format!("HTTP {status}: {detail}")))
    }
}

#[derive(Serialize)]
struct WebhookBody<'a> {
    #[serde(flatten)]
    notice: &'a Notice,
    text: &'a str,
}

#[derive(Serialize)]
struct TelegramBody<'a> {
    chat_id: &'a str,
    text: &'a str,
}
