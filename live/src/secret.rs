//! API credentials that never reach logs, errors, `Debug` output or panics.
//!
//! The access key is shown masked (`mx0v…B7aQ`, as operators recognise their keys); the
//! secret is never shown at all and is wiped from memory when dropped. Credentials come
//! from environment variables or from a file only its owner may read (fault case 39: a
//! missing, empty or too open file stops start-up with an error naming the file).

use std::fmt;
use std::path::{Path, PathBuf};

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
    /// The credentials file cannot be used; names the file and the problem, never a value.
    #[error("credentials file {path}: {problem}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
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

    /// Credentials from a TOML file with the keys `api_key` and `api_secret`:
    ///
    /// ```toml
    /// api_key = "mx0v..."
    /// api_secret = "..."
    /// ```
    ///
    /// On Unix the file must not be readable or writable by group or others (`chmod 600`),
    /// as `ssh` insists for private keys. Errors name the file and the key, never a value
    /// (a TOML syntax error gives only its line).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, CredentialsError> {
        let path = path.as_ref();
        let problem = |problem: String| CredentialsError::File {
            path: path.to_path_buf(),
            problem,
        };
        let text = Zeroizing::new(read_private_file(path).map_err(problem)?);
        let table = text.parse::<toml::Table>().map_err(|e| {
            let line = e.span().map_or(0, |span| {
                text.get(..span.start).map_or(0, |t| t.lines().count())
            });
            problem(format!("not valid TOML (line {line})"))
        })?;
        if let Some(unknown) = table
            .keys()
            .find(|k| !matches!(k.as_str(), "api_key" | "api_secret"))
        {
            return Err(problem(format!(
                "unknown key {unknown:?} (expected api_key and api_secret)"
            )));
        }
        let field = |key: &str| -> Result<Zeroizing<String>, CredentialsError> {
            match table.get(key) {
                None => Err(problem(format!("{key} is missing"))),
                Some(toml::Value::String(value)) => Ok(Zeroizing::new(value.clone())),
                Some(_) => Err(problem(format!("{key} must be a string"))),
            }
        };
        let api_key = field("api_key")?;
        let secret = field("api_secret")?;
        let named = |e: CredentialsError| problem(e.to_string());
        checked("api_key", &api_key).map_err(named)?;
        checked("api_secret", &secret).map_err(named)?;
        Ok(Self {
            api_key: ApiKey(api_key.as_str().to_owned()),
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

/// Refuses a file that group or others may read or write (Unix permission bits).
#[cfg(unix)]
fn check_private(metadata: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        Ok(())
    } else {
        Err(format!(
            "permissions {mode:04o} let others read or change it: make it private to its owner (chmod 600)"
        ))
    }
}

/// Reads a file that only its owner may read or change (on Unix: no group or other
/// permission bits). The error names the problem, never the content.
///
/// # Errors
/// The file is missing, not a regular file, too open, or unreadable.
pub fn read_private_file(path: &Path) -> Result<String, String> {
    let metadata = std::fs::metadata(path).map_err(|e| e.kind().to_string())?;
    if !metadata.is_file() {
        return Err("not a regular file".to_owned());
    }
    check_private(&metadata)?;
    std::fs::read_to_string(path).map_err(|e| e.kind().to_string())
}

/// A bearer token of the runner's API: compared in constant time, never shown.
#[derive(Clone)]
pub struct ApiToken(Zeroizing<String>);

impl ApiToken {
    /// A token from its text.
    #[must_use]
    pub fn new(token: String) -> Self {
        Self(Zeroizing::new(token))
    }

    /// Whether `offered` is the token (time independent of where they differ).
    #[must_use]
    pub fn matches(&self, offered: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), offered.as_bytes());
        let mut difference = u8::from(a.len() != b.len());
        for (i, byte) in a.iter().enumerate() {
            difference |= byte ^ b.get(i).copied().unwrap_or(0);
        }
        difference == 0
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(***)")
    }
}

/// No permission bits to check off Unix.
#[cfg(not(unix))]
fn check_private(_metadata: &std::fs::Metadata) -> Result<(), String> {
    Ok(())
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

    #[cfg(unix)]
    fn write_file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, text).expect("written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    #[cfg(unix)]
    #[test]
    fn case_39_credentials_files_are_checked_and_named_never_shown() {
        let dir = tempfile::tempdir().expect("temp dir");
        let good = format!("api_key = \"mx0vglAbCdEfGh123456\"\napi_secret = \"{CANARY}\"\n");
        let path = write_file(dir.path(), "good.toml", &good, 0o600);
        let creds = Credentials::from_file(&path).expect("a private file");
        assert_eq!(creds.secret().bytes(), CANARY.as_bytes());

        let open = write_file(dir.path(), "open.toml", &good, 0o644);
        let missing = dir.path().join("missing.toml");
        let empty = write_file(
            dir.path(),
            "empty.toml",
            "api_key = \"k\"\napi_secret = \"\"\n",
            0o600,
        );
        let broken = write_file(
            dir.path(),
            "broken.toml",
            &format!("api_key = \"k\"\napi_secret = {CANARY}\n"),
            0o600,
        );
        let extra = write_file(
            dir.path(),
            "extra.toml",
            &format!("{good}secret_key = \"{CANARY}\"\n"),
            0o600,
        );
        let no_secret = write_file(dir.path(), "partial.toml", "api_key = \"k\"\n", 0o600);
        for (path, expected) in [
            (&open, "permissions 0644 let others read or change it"),
            (&missing, "not found"),
            (&empty, "api_secret is empty"),
            (&broken, "not valid TOML (line 2)"),
            (&extra, "unknown key \"secret_key\""),
            (&no_secret, "api_secret is missing"),
        ] {
            let error = Credentials::from_file(path)
                .expect_err("refused")
                .to_string();
            assert!(error.contains(&path.display().to_string()), "{error}");
            assert!(error.contains(expected), "{error}");
            assert!(!error.contains("CANARY"), "{error}");
        }
        let not_a_file = Credentials::from_file(dir.path()).expect_err("a directory");
        assert!(
            not_a_file.to_string().contains("not a regular file"),
            "{not_a_file}"
        );
    }
}
