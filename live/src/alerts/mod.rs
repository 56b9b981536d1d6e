//! Alerts to people (issue 8): the runner's notices — a bot paused, a loss limit hit, the
//! kill switch, a strategy rotation, a reconciliation problem, a disconnect — sent to a
//! webhook, to Telegram and by email (SMTP), with storm control so a burst does not spam: at most a few per
//! topic in a window, the rest counted and reported with the next one sent.

mod channels;
mod email;
mod limiter;

#[cfg(test)]
mod tests;

use serde::Serialize;
use vela_core::engine::AlertLevel;

pub use channels::{Channel, ChannelSecret, DeliveryError, TELEGRAM_API};
pub use email::{EmailChannel, SmtpLogin, SmtpSecurity};
pub use limiter::{StormLimiter, Verdict};

/// One thing to tell the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// When it happened, ms since the epoch.
    pub ts: i64,
    /// The bot it concerns (`None`: the whole runner).
    pub bot: Option<String>,
    /// How urgent.
    pub level: AlertLevel,
    /// What about (`kill_switch`, `disconnect`, `reconciliation`, ...): storm control
    /// counts per bot and topic.
    pub topic: String,
    /// The details, for people.
    pub message: String,
}

impl Notice {
    /// `[vela WARNING] bot grid-1: kill_switch`: level, who and topic (an email's subject).
    #[must_use]
    pub fn headline(&self) -> String {
        let level = match self.level {
            AlertLevel::Info => "info",
            AlertLevel::Warning => "WARNING",
            AlertLevel::Critical => "CRITICAL",
        };
        let who = self
            .bot
            .as_deref()
            .map_or_else(|| "runner".to_owned(), |bot| format!("bot {bot}"));
        format!("[vela {level}] {who}: {}", self.topic)
    }

    /// The notice as one line for people.
    #[must_use]
    pub fn text(&self, suppressed: u64) -> String {
        let mut text = format!("{}: {}", self.headline(), self.message);
        if suppressed > 0 {
            text.push_str(&format!(
                " ({suppressed} more {} alert(s) held back)",
                self.topic
            ));
        }
        text
    }
}

/// What became of one notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Held back by storm control.
    Suppressed,
    /// Sent to each channel, with each channel's result in channel order.
    Sent(Vec<Result<(), DeliveryError>>),
}

/// Sends notices to every configured channel, with storm control.
#[derive(Debug)]
pub struct Notifier {
    channels: Vec<Channel>,
    limiter: StormLimiter,
    http: reqwest::Client,
}

impl Notifier {
    /// A notifier for `channels`, at most `burst` notices per bot and topic per
    /// `window_ms`.
    ///
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn new(
        channels: Vec<Channel>,
        burst: usize,
        window_ms: i64,
    ) -> Result<Self, DeliveryError> {
        let http = crate::http::client(None).map_err(|e| DeliveryError {
            channel: "all".to_owned(),
            problem: format!("HTTP client: {}", e.without_url()),
        })?;
        Ok(Self {
            channels,
            limiter: StormLimiter::new(burst, window_ms),
            http,
        })
    }

    /// Sends `notice` to every channel unless storm control holds it back. A channel that
    /// fails does not stop the others; its error is returned (and logged) for the caller.
    pub async fn notify(&mut self, notice: &Notice) -> Delivery {
        let key = format!("{}/{}", notice.bot.as_deref().unwrap_or(""), notice.topic);
        let Verdict::Send { suppressed } = self.limiter.check(&key, notice.ts) else {
            return Delivery::Suppressed;
        };
        let text = notice.text(suppressed);
        let mut results = Vec::with_capacity(self.channels.len());
        for channel in &self.channels {
            let result = channel.send(&self.http, notice, &text).await;
            if let Err(error) = &result {
                tracing::warn!(%error, "alert not delivered");
            }
            results.push(result);
        }
        Delivery::Sent(results)
    }
}
