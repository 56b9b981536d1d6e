//! API credentials that never reach logs, errors, `Debug` output or panics.
//!
//! The access key is shown masked (`mx0v…B7aQ`, as operators recognise their keys); the
//! secret is never shown at all and is wiped from memory when dropped.

use std::fmt;

use thiserror::Error;
use zeroize::Zeroizing;

/// Why credentials were refused. Names the variable or the field, never the value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CredentialsError {
    /// The environment variable is not set.
    #[error("environment variable {0} is not set")]
    Missing(String),
    /// The variable or field is empty.
    #[error("{0} is empty")]
    Empty(String),
    /// The value has characters MEXC keys never have (whitespace, control characters or
    /// non-ASCII), which would also break the request header.
    #[error("{0} contains characters an API key cannot have (only printable ASCII without spaces)")]
    BadCharacters(String),
}

/// An API access key (`X-MEXC-APIKEY`). Not a secret by itself, but shown masked.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key as sent in the header.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask(&self.0))
    }
}

/// A key (or listenKey) as shown in logs and errors: its first and last four characters,
/// or `****` when it is too short to show any.
#[must_use]
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        "****".to_owned()
    } else {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }
}

/// An API secret: used to sign, never displayed, zeroed on drop.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<String>);

impl SecretKey {
    /// The secret's bytes, for the HMAC key only.
    #[must_use]
    pub(crate) fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An access key and its secret.
#[derive(Clone)]
pub struct Credentials {
    api_key: ApiKey,
    secret: SecretKey,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("secret", &self.secret)
            .finish()
    }
}

fn checked(what: &str, value: &str) -> Result<(), CredentialsError> {
    if value.is_empty() {
        return Err(CredentialsError::Empty(what.to_owned()));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CredentialsError::BadCharacters(what.to_owned()));
    }
    Ok(())
}

impl Credentials {
    /// Checked credentials from their values.
    pub fn new(
        api_key: impl Into<String>,
        secret: impl Into<String>,
    ) -> Result<Self, CredentialsError> {
        let api_key = api_key.into();
        let secret = Zeroizing::new(secret.into());
        checked("API key", &api_key)?;
        checked("API secret", &secret)?;
        Ok(Self {
            api_key: ApiKey(api_key),
            secret: SecretKey(secret),
        })
    }

    /// Credentials from two environment variables, e.g. `MEXC_API_KEY` and
    /// `MEXC_API_SECRET`; errors name the variable.
    pub fn from_env(key_var: &str, secret_var: &str) -> Result<Self, CredentialsError> {
        let read =
            |var: &str| std::env::var(var).map_err(|_| CredentialsError::Missing(var.to_owned()));
        let api_key = read(key_var)?;
        let secret = Zeroizing::new(read(secret_var)?);
        checked(key_var, &api_key)?;
        checked(secret_var, &secret)?;
        Ok(Self {
            api_key: ApiKey(api_key),
            secret: SecretKey(secret),
        })
    }

    /// The access key.
    #[must_use]
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// The secret.
    #[must_use]
    pub fn secret(&self) -> &SecretKey {
        &self.secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "CANARY-s3cr3t-7f1e9a";

    #[test]
    fn the_secret_never_shows() {
        let creds = Credentials::new("mx0vglAbCdEfGh123456", CANARY).expect("valid");
        for text in [
            format!("{creds:?}"),
            format!("{:?}", creds.secret()),
            format!("{creds:#?}"),
        ] {
            assert!(!text.contains(CANARY), "{text}");
            assert!(!text.contains("CANARY"), "{text}");
        }
        assert_eq!(creds.api_key().to_string(), "mx0v…3456");
        assert_eq!(
            format!(
                "{:?}",
                Credentials::new("short", CANARY).expect("valid").api_key()
            ),
            "****"
        );
    }

    #[test]
    fn bad_values_are_named_not_shown() {
        let err = Credentials::new("key", "").expect_err("empty");
        assert_eq!(err.to_string(), "API secret is empty");
        let err = Credentials::new("key", "has space CANARY").expect_err("space");
        assert!(!err.to_string().contains("CANARY"));
        let err = Credentials::from_env(
            "VELA_TEST_SURELY_UNSET_KEY",
            "VELA_TEST_SURELY_UNSET_SECRET",
        )
        .expect_err("unset");
        assert_eq!(
            err.to_string(),
            "environment variable VELA_TEST_SURELY_UNSET_KEY is not set"
        );
    }
}
