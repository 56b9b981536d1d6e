//! The runner's configuration file, `vela.toml`, checked on start-up; errors name the key.
//!
//! ```toml
//! [journal]
//! path = "vela-journal.duckdb"        # the bots, orders, fills and the event log
//! log_dir = "logs"                    # <log_dir>/<bot>/fiscal.csv: every fill as it happens
//!
//! [exchange]
//! rest_url = "https://api.mexc.com"   # or a `vela sim`'s http://127.0.0.1:PORT
//! ws_url = "wss://wbs-api.mexc.com/ws"
//! recv_window_ms = 5000
//! settle_wait_ms = 2000               # wait for the user stream before asking over REST
//! request_timeout_ms = 10000          # a request unanswered this long has an unknown outcome
//!
//! [credentials]                       # live bots only; never logged or echoed
//! key_env = "MEXC_API_KEY"            # environment variables holding key and secret,
//! secret_env = "MEXC_API_SECRET"
//! # file = "/home/me/.config/vela/mexc.keys"   # or a file only its owner may read
//!
//! [api]
//! bind = "127.0.0.1:8765"            # loopback by default
//! token_env = "VELA_API_TOKEN"        # bearer token: every change needs it, and every
//!                                     # route when bound beyond loopback
//!
//! [alerts]                            # pauses, loss limits, kills, rotations,
//! burst = 3                           # reconciliation problems, disconnects: at most
//! window_secs = 300                   # `burst` per bot and topic per window
//! [[alerts.channels]]
//! kind = "webhook"
//! url = "https://hooks.example.com/vela"
//! [[alerts.channels]]
//! kind = "telegram"
//! token_env = "VELA_TELEGRAM_TOKEN"   # the bot token, from the environment only
//! chat_id = "123456789"
//! [[alerts.channels]]
//! kind = "email"
//! host = "smtp.example.com"
//! security = "starttls"               # or "tls" (port 465), or "none" (a local relay,
//! # port = 587                        # never with a password); port from security
//! from = "vela <bot@example.com>"
//! to = ["me@example.com"]
//! username = "bot@example.com"        # optional login; the password from the
//! password_env = "VELA_SMTP_PASSWORD" # environment only
//!
//! [reconcile]
//! unknown_orders = "report"           # an open order no bot placed (made by hand, or by
//!                                     # another program): "report" it, or "cancel" it too
//! audit_every_secs = 300              # look for them this often too (0: only at start and
//!                                     # when a live bot is added)
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::RunnerError;
use crate::secret::Credentials;

/// `vela.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerConfig {
    /// Where the journal is.
    pub journal: JournalConfig,
    /// Where the exchange is.
    #[serde(default)]
    pub exchange: ExchangeConfig,
    /// Where the API credentials come from (live bots only).
    #[serde(default)]
    pub credentials: Option<CredentialsConfig>,
    /// The runner's own REST and WebSocket API.
    #[serde(default)]
    pub api: ApiConfig,
    /// Where alerts go.
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// What reconciliation does with what it does not expect.
    #[serde(default)]
    pub reconcile: ReconcileConfig,
}

/// `[reconcile]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReconcileConfig {
    /// An open order on a live bot's symbol that no bot of this journal placed (fault-tests
    /// case 16): always reported; `cancel` also cancels it.
    pub unknown_orders: UnknownOrderPolicy,
    /// How often the account is audited for such orders while the runner runs, seconds
    /// (besides at start and when a live bot is added); 0: never in between.
    pub audit_every_secs: u64,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        Self {
            unknown_orders: UnknownOrderPolicy::Report,
            audit_every_secs: 300,
        }
    }
}

/// What to do with an open order no bot placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownOrderPolicy {
    /// Leave it on the exchange, report it (alert, log, `GET /api/v1/unknown-orders`).
    #[default]
    Report,
    /// Cancel it, and report it.
    Cancel,
}

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Most alerts per bot and topic in one window (the rest are counted and mentioned
    /// with the next one sent).
    pub burst: usize,
    /// The window, seconds.
    pub window_secs: u64,
    /// The destinations.
    pub channels: Vec<AlertChannelConfig>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            burst: 3,
            window_secs: 300,
            channels: Vec::new(),
        }
    }
}

/// One `[[alerts.channels]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum AlertChannelConfig {
    /// POST each alert as JSON.
    Webhook {
        /// Where to.
        url: String,
    },
    /// A Telegram message through the Bot API.
    Telegram {
        /// Variable holding the bot token.
        token_env: String,
        /// The chat.
        chat_id: String,
        /// The Bot API's address (tests use a local server).
        #[serde(default = "telegram_api")]
        api: String,
    },
    /// An email over SMTP.
    Email(EmailChannelConfig),
}

/// `[[alerts.channels]] kind = "email"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChannelConfig {
    /// The SMTP server.
    pub host: String,
    /// Its port (default: 587 for STARTTLS, 465 for TLS, 25 for none).
    #[serde(default)]
    pub port: Option<u16>,
    /// `starttls` (default), `tls` or `none`.
    #[serde(default)]
    pub security: crate::alerts::SmtpSecurity,
    /// The sender.
    pub from: String,
    /// The recipients.
    pub to: Vec<String>,
    /// The login's user name, if the server wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Variable holding the login's password.
    #[serde(default)]
    pub password_env: Option<String>,
}

impl EmailChannelConfig {
    /// The channel, with `password` read from `password_env` (or a stand-in when only
    /// checking the file).
    ///
    /// # Errors
    /// A username without a password variable or the reverse, or a bad address or
    /// security setting (named, never the password).
    fn channel(
        &self,
        password: Option<String>,
    ) -> Result<crate::alerts::EmailChannel, RunnerError> {
        let login = match (&self.username, &self.password_env, password) {
            (Some(username), Some(_), Some(password)) => Some(crate::alerts::SmtpLogin {
                username: username.clone(),
                password: crate::alerts::ChannelSecret::new(password),
            }),
            (None, None, _) => None,
            _ => {
                return Err(RunnerError::Config(
                    "alerts.channels: email username and password_env go together".to_owned(),
                ));
            }
        };
        let channel = crate::alerts::EmailChannel {
            host: self.host.clone(),
            port: self.port.unwrap_or_else(|| self.security.default_port()),
            security: self.security,
            from: self.from.clone(),
            to: self.to.clone(),
            login,
        };
        channel
            .validate()
            .map_err(|problem| RunnerError::Config(format!("alerts.channels: email: {problem}")))?;
        Ok(channel)
    }
}

/// The non-empty value of the environment variable `var` holding a channel's secret.
///
/// # Errors
/// It is unset or empty; names the channel's key and the variable, never a value.
fn secret_from_env(key: &str, var: &str) -> Result<String, RunnerError> {
    match std::env::var(var) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(RunnerError::Config(format!(
            "alerts.channels: {key} ${var} is not set or empty"
        ))),
    }
}

fn telegram_api() -> String {
    crate::alerts::TELEGRAM_API.to_owned()
}

impl AlertsConfig {
    /// The channels, tokens read from the environment.
    ///
    /// # Errors
    /// A token variable is unset or empty (named, never shown).
    pub fn channels(&self) -> Result<Vec<crate::alerts::Channel>, RunnerError> {
        self.channels
            .iter()
            .map(|channel| match channel {
                AlertChannelConfig::Webhook { url } => {
                    Ok(crate::alerts::Channel::Webhook { url: url.clone() })
                }
                AlertChannelConfig::Telegram {
                    token_env,
                    chat_id,
                    api,
                } => Ok(crate::alerts::Channel::Telegram {
                    token: crate::alerts::ChannelSecret::new(
                        secret_from_env("telegram token_env", token_env)?.trim(),
                    ),
                    chat_id: chat_id.clone(),
                    api: api.clone(),
                }),
                AlertChannelConfig::Email(email) => {
                    let password = email
                        .password_env
                        .as_deref()
                        .map(|var| secret_from_env("email password_env", var))
                        .transpose()?;
                    email.channel(password).map(crate::alerts::Channel::Email)
                }
            })
            .collect()
    }
}

/// `[api]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Address to listen on.
    pub bind: std::net::SocketAddr,
    /// Variable holding the bearer token.
    pub token_env: Option<String>,
    /// File holding the bearer token (only its owner may read it).
    pub token_file: Option<PathBuf>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 8765)),
            token_env: None,
            token_file: None,
        }
    }
}

impl ApiConfig {
    /// The bearer token, if one is configured.
    ///
    /// # Errors
    /// Both sources given, the variable unset or empty, or the file unreadable, readable by
    /// others, or empty. Messages never show the token.
    pub fn token(&self) -> Result<Option<crate::secret::ApiToken>, RunnerError> {
        let bad = |m: String| RunnerError::Config(format!("api: {m}"));
        let text = match (&self.token_env, &self.token_file) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                return Err(bad("give token_env or token_file, not both".to_owned()));
            }
            (Some(var), None) => {
                std::env::var(var).map_err(|_| bad(format!("token_env: ${var} is not set")))?
            }
            (None, Some(file)) => crate::secret::read_private_file(file)
                .map_err(|e| bad(format!("token_file: {e}")))?,
        };
        let token = text.trim();
        if token.len() < 16 {
            return Err(bad("the token must be at least 16 characters".to_owned()));
        }
        Ok(Some(crate::secret::ApiToken::new(token.to_owned())))
    }
}

/// `[journal]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalConfig {
    /// The `DuckDB` file (its directory must exist).
    pub path: PathBuf,
    /// Where each bot's log directory goes (`<log_dir>/<bot>/fiscal.csv`); default: `logs`
    /// next to the journal.
    #[serde(default)]
    pub log_dir: Option<PathBuf>,
}

impl JournalConfig {
    /// The directory holding the bots' log directories.
    #[must_use]
    pub fn log_dir(&self) -> PathBuf {
        self.log_dir.clone().unwrap_or_else(|| {
            self.path
                .parent()
                .map_or_else(|| PathBuf::from("logs"), |dir| dir.join("logs"))
        })
    }
}

/// `[exchange]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExchangeConfig {
    /// REST base URL.
    pub rest_url: String,
    /// WebSocket URL.
    pub ws_url: String,
    /// `recvWindow` of signed requests, ms (1 to 60,000).
    pub recv_window_ms: u64,
    /// How long settling waits for the user stream before asking over REST, ms.
    pub settle_wait_ms: u64,
    /// A REST request unanswered this long has an unknown outcome, ms.
    pub request_timeout_ms: u64,
}

impl ExchangeConfig {
    /// The REST client's settings: base URL, `recvWindow` and request timeout.
    #[must_use]
    pub fn rest_config(&self) -> crate::rest::RestConfig {
        crate::rest::RestConfig {
            base_url: self.rest_url.clone(),
            recv_window_ms: self.recv_window_ms,
            timeout: Duration::from_millis(self.request_timeout_ms),
            ..crate::rest::RestConfig::default()
        }
    }
}

impl Default for ExchangeConfig {
    fn default() -> Self {
        Self {
            rest_url: crate::rest::MEXC_BASE_URL.to_owned(),
            ws_url: crate::ws::MEXC_WS_URL.to_owned(),
            recv_window_ms: 5_000,
            settle_wait_ms: 2_000,
            request_timeout_ms: 10_000,
        }
    }
}

impl ExchangeConfig {
    /// The settle wait.
    #[must_use]
    pub fn settle_wait(&self) -> Duration {
        Duration::from_millis(self.settle_wait_ms)
    }
}

/// `[credentials]`: environment variables or a file, not both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsConfig {
    /// Variable holding the API key.
    #[serde(default)]
    pub key_env: Option<String>,
    /// Variable holding the API secret.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// A credentials file (see [`Credentials::from_file`]).
    #[serde(default)]
    pub file: Option<PathBuf>,
}

impl CredentialsConfig {
    /// Reads the credentials.
    ///
    /// # Errors
    /// Both or neither source given, a variable unset, or the file unreadable or readable
    /// by others. The message names the key, never the secret.
    pub fn load(&self) -> Result<Credentials, RunnerError> {
        let bad = |message: String| RunnerError::Config(format!("credentials: {message}"));
        match (&self.key_env, &self.secret_env, &self.file) {
            (Some(key), Some(secret), None) => {
                Credentials::from_env(key, secret).map_err(|e| bad(e.to_string()))
            }
            (None, None, Some(file)) => {
                Credentials::from_file(file).map_err(|e| bad(e.to_string()))
            }
            (None, None, None) => Err(bad("give key_env and secret_env, or file".to_owned())),
            _ => Err(bad(
                "give either key_env and secret_env, or file (not both, not one variable alone)"
                    .to_owned(),
            )),
        }
    }
}

impl RunnerConfig {
    /// A configuration with the journal at `path` and MEXC's endpoints.
    #[must_use]
    pub fn new(journal: impl Into<PathBuf>) -> Self {
        Self {
            journal: JournalConfig {
                path: journal.into(),
                log_dir: None,
            },
            exchange: ExchangeConfig::default(),
            credentials: None,
            api: ApiConfig::default(),
            alerts: AlertsConfig::default(),
            reconcile: ReconcileConfig::default(),
        }
    }

    /// Reads and checks `vela.toml`'s text.
    ///
    /// # Errors
    /// Not TOML, an unknown or missing key, or a value out of range; the message names it.
    pub fn from_toml_str(text: &str) -> Result<Self, RunnerError> {
        let config: Self = toml::from_str(text)
            .map_err(|e| RunnerError::Config(e.to_string().trim().to_owned()))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and checks a `vela.toml` file; a relative journal path is taken from the
    /// file's directory.
    ///
    /// # Errors
    /// The file cannot be read, or as [`RunnerConfig::from_toml_str`].
    pub fn from_file(path: &Path) -> Result<Self, RunnerError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| RunnerError::Config(format!("{}: {e}", path.display())))?;
        let mut config = Self::from_toml_str(&text)
            .map_err(|e| RunnerError::Config(format!("{}: {e}", path.display())))?;
        if let Some(dir) = path.parent() {
            if config.journal.path.is_relative() {
                config.journal.path = dir.join(&config.journal.path);
            }
            if let Some(logs) = &config.journal.log_dir
                && logs.is_relative()
            {
                config.journal.log_dir = Some(dir.join(logs));
            }
        }
        Ok(config)
    }

    /// Checks the values.
    ///
    /// # Errors
    /// The first value out of range, naming its key.
    pub fn validate(&self) -> Result<(), RunnerError> {
        let e = &self.exchange;
        if !(1..=60_000).contains(&e.recv_window_ms) {
            return Err(RunnerError::Config(format!(
                "exchange.recv_window_ms = {}: must be 1 to 60000 (MEXC's limit)",
                e.recv_window_ms
            )));
        }
        if !(100..=120_000).contains(&e.request_timeout_ms) {
            return Err(RunnerError::Config(format!(
                "exchange.request_timeout_ms = {}: must be 100 to 120000",
                e.request_timeout_ms
            )));
        }
        if e.settle_wait_ms > 60_000 {
            return Err(RunnerError::Config(format!(
                "exchange.settle_wait_ms = {}: at most 60000",
                e.settle_wait_ms
            )));
        }
        for (key, url, schemes) in [
            ("exchange.rest_url", &e.rest_url, ["http://", "https://"]),
            ("exchange.ws_url", &e.ws_url, ["ws://", "wss://"]),
        ] {
            if !schemes.iter().any(|s| url.starts_with(s)) {
                return Err(RunnerError::Config(format!(
                    "{key} = {url:?}: must start with {} or {}",
                    schemes[0], schemes[1]
                )));
            }
        }
        if self.alerts.burst == 0 || self.alerts.window_secs == 0 {
            return Err(RunnerError::Config(
                "alerts.burst and alerts.window_secs must be at least 1".to_owned(),
            ));
        }
        for channel in &self.alerts.channels {
            match channel {
                AlertChannelConfig::Webhook { url }
                    if !(url.starts_with("http://") || url.starts_with("https://")) =>
                {
                    return Err(RunnerError::Config(format!(
                        "alerts.channels: webhook url {url:?} must start with http:// or https://"
                    )));
                }
                AlertChannelConfig::Email(email) => {
                    // The password is read when the runner starts; here only its presence.
                    email.channel(email.password_env.as_ref().map(|_| String::new()))?;
                }
                _ => {}
            }
        }
        if self.journal.path.as_os_str().is_empty() {
            return Err(RunnerError::Config("journal.path is empty".to_owned()));
        }
        Ok(())
    }
}
