//! Request signing exactly as MEXC computes it (reference §2).
//!
//! Every parameter goes in the query string, for every method (as ccxt and Mexc.Net do):
//! the string is built once by [`Query`], signed as those exact bytes
//! (`signature = lowercase hex(HMAC-SHA256(secret, query))`), and sent with
//! `&signature=…` appended and an empty body. Values are percent-encoded with **upper-case**
//! hex, which MEXC requires for the `, [ ] { } :` of batch parameters; spaces are `%20`.

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Sha256;

use crate::secret::SecretKey;

/// Characters left as they are: RFC 3986's unreserved set.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Default `recvWindow` in milliseconds (reference §8.2 advises 5–10 s).
pub const DEFAULT_RECV_WINDOW_MS: u64 = 5_000;

/// Largest `recvWindow` MEXC accepts (reference §2: above it, error 700005).
pub const MAX_RECV_WINDOW_MS: u64 = 60_000;

/// A query string under construction: `key=value` pairs in the order pushed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    text: String,
}

impl Query {
    /// An empty query.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `key=value`, percent-encoding the value.
    pub fn push(&mut self, key: &str, value: impl AsRef<str>) -> &mut Self {
        if !self.text.is_empty() {
            self.text.push('&');
        }
        self.text.push_str(key);
        self.text.push('=');
        self.text
            .extend(utf8_percent_encode(value.as_ref(), ENCODE));
        self
    }

    /// Appends `key=value` when `value` is present.
    pub fn push_opt(&mut self, key: &str, value: Option<impl AsRef<str>>) -> &mut Self {
        if let Some(value) = value {
            self.push(key, value);
        }
        self
    }

    /// The query as sent (without a leading `?`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether nothing was pushed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Appends `recvWindow` and `timestamp`, signs the whole string and appends
    /// `signature`: the query of a signed request.
    #[must_use]
    pub fn signed(mut self, secret: &SecretKey, timestamp_ms: i64, recv_window_ms: u64) -> String {
        self.push("recvWindow", recv_window_ms.to_string());
        self.push("timestamp", timestamp_ms.to_string());
        let signature = sign(secret.bytes(), self.text.as_bytes());
        self.text.push_str("&signature=");
        self.text.push_str(&signature);
        self.text
    }
}

/// `lowercase hex(HMAC-SHA256(secret, message))`.
#[must_use]
pub fn sign(secret: &[u8], message: &[u8]) -> String {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        unreachable_hmac()
    };
    mac.update(message);
    hex_lower(&mac.finalize().into_bytes())
}

#[cold]
fn unreachable_hmac() -> ! {
    // `Hmac::new_from_slice` only fails for fixed-size-key MACs; HMAC has none.
    panic!("HMAC-SHA256 refused a key, which its specification does not allow")
}

/// Checks `signature` against `message` in constant time (the simulator's side).
#[must_use]
pub fn verify(secret: &[u8], message: &[u8], signature: &str) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(message);
    let Some(bytes) = hex_decode(signature) else {
        return false;
    };
    mac.verify_slice(&bytes).is_ok()
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Credentials;

    /// Reference §2's test vector (verified there with openssl).
    #[test]
    fn matches_the_documented_vector() {
        let secret = b"45d0b3c26f2644f19bfb98b07741b2f5";
        let message = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087";
        let expected = "fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a";
        assert_eq!(sign(secret, message.as_bytes()), expected);
        assert!(verify(secret, message.as_bytes(), expected));
        assert!(!verify(
            secret,
            message.as_bytes(),
            &expected.replace('f', "e")
        ));
        assert!(!verify(secret, message.as_bytes(), "zz"));
    }

    #[test]
    fn the_signed_query_is_the_vector_built_from_parts() {
        let creds = Credentials::new("key", "45d0b3c26f2644f19bfb98b07741b2f5").expect("valid");
        let mut query = Query::new();
        query
            .push("symbol", "BTCUSDT")
            .push("side", "BUY")
            .push("type", "LIMIT")
            .push("quantity", "1")
            .push("price", "11");
        let signed = query.signed(creds.secret(), 1_644_489_390_087, 5_000);
        assert_eq!(
            signed,
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087\
             &signature=fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"
        );
    }

    #[test]
    fn batch_characters_are_encoded_upper_case() {
        let mut query = Query::new();
        query.push("batchOrders", r#"[{"a":"b c"}]"#);
        assert_eq!(
            query.as_str(),
            "batchOrders=%5B%7B%22a%22%3A%22b%20c%22%7D%5D"
        );
    }
}
