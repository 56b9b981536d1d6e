//! Alerts by email over SMTP (lettre): STARTTLS on the submission port by default, implicit
//! TLS, or plain SMTP for a relay on this machine. The password is never shown in `Debug`,
//! errors or logs, and is never sent over an unencrypted connection.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::Notice;
use super::channels::ChannelSecret;

/// How long one delivery may take, connection included.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which the server must offer (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine; never with a password.
    None,
}

impl SmtpSecurity {
    /// The usual port for this kind of connection.
    #[must_use]
    pub const fn default_port(self) -> u16 {
        match self {
            Self::Starttls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }
}

/// A login to the SMTP server; the password is redacted in `Debug`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmtpLogin {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: ChannelSecret,
}

/// An email destination: server, sender and recipients.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailChannel {
    /// The SMTP server's host name (also the name its TLS certificate must carry).
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// The sender, `Name <address>` or a bare address.
    pub from: String,
    /// The recipients.
    pub to: Vec<String>,
    /// The login, when the server asks for one.
    pub login: Option<SmtpLogin>,
}

impl EmailChannel {
    /// Checks the addresses, and that a password never travels unencrypted.
    ///
    /// # Errors
    /// The problem, naming the field (never the password).
    pub fn validate(&self) -> Result<(), String> {
        if self.host.trim().is_empty() {
            return Err("host is empty".to_owned());
        }
        self.mailboxes()?;
        if self.security == SmtpSecurity::None && self.login.is_some() {
            return Err(
                "a password would be sent unencrypted: use security = \"starttls\" or \"tls\""
                    .to_owned(),
            );
        }
        Ok(())
    }

    /// The sender and the recipients, parsed.
    fn mailboxes(&self) -> Result<(Mailbox, Vec<Mailbox>), String> {
        let from = self
            .from
            .parse()
            .map_err(|e| format!("from {:?} is not an email address: {e}", self.from))?;
        if self.to.is_empty() {
            return Err("to lists no recipient".to_owned());
        }
        let to = self
            .to
            .iter()
            .map(|to| {
                to.parse()
                    .map_err(|e| format!("to {to:?} is not an email address: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok((from, to))
    }

    /// The channel's name in errors and logs.
    #[must_use]
    pub fn name(&self) -> String {
        format!(
            "email to {} via {}:{}",
            self.to.join(", "),
            self.host,
            self.port
        )
    }

    /// Sends `text` as the mail's body; the subject is the notice's level, bot and topic.
    pub(super) async fn send(&self, notice: &Notice, text: &str) -> Result<(), String> {
        self.validate()?;
        let (from, to) = self.mailboxes()?;
        let mut message = Message::builder()
            .from(from)
            .subject(notice.headline())
            .header(ContentType::TEXT_PLAIN);
        for mailbox in to {
            message = message.to(mailbox);
        }
        let message = message
            .body(text.to_owned())
            .map_err(|e| format!("building the message: {e}"))?;
        let mut transport = match self.security {
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)
                    .map_err(|e| format!("TLS set-up: {e}"))?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host)
                .map_err(|e| format!("TLS set-up: {e}"))?,
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            }
        }
        .port(self.port)
        .timeout(Some(SMTP_TIMEOUT));
        if let Some(login) = &self.login {
            transport = transport.credentials(Credentials::new(
                login.username.clone(),
                login.password.expose().to_owned(),
            ));
        }
        transport
            .build()
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
