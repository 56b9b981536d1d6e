//! Typed MEXC errors with the three outcomes every venue call can have (fault-tests.md,
//! design rule 1): **confirmed** (an `Ok`), **definitely rejected** ([`MexcError::Rejected`],
//! [`MexcError::RateLimited`], [`MexcError::NotSent`]) and **unknown**
//! ([`MexcError::Unknown`]: a timeout, a 5xx, a dropped connection or an unreadable reply
//! after the request may have reached MEXC). An unknown order is resolved by querying its
//! client order id, never by sending it again.

use thiserror::Error;

/// What a MEXC error code means (reference §4.2), for callers that react to the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectKind {
    /// `-1121`, `30014`, `30021`: no such symbol (or interval).
    InvalidSymbol,
    /// `10007`: the symbol is not open to API trading ("symbol not support api").
    SymbolNotApiTradable,
    /// `30000`, `30016`, `30018`, `30019`, `30020`, `30027`, `30028`, `30041`, `30001`:
    /// trading of this kind is suspended or not allowed for the symbol.
    TradingNotAllowed,
    /// `10101`, `30004`, `30005`: not enough balance.
    InsufficientBalance,
    /// `700003`: the request's timestamp is outside `recvWindow` (resync the clock).
    TimestampOutsideRecvWindow,
    /// `602`, `700002`: the signature is wrong.
    InvalidSignature,
    /// `700001`, `10072`, `700006`, `700007`, `700013`, `70011`: the key is invalid, not
    /// allowed from this IP, or lacks the permission.
    Unauthorized,
    /// `-2011`: unknown order.
    UnknownOrder,
    /// `30002`, `30003`, `10095`, `10096`, `10097`: below the minimum, above the maximum,
    /// or too many decimals.
    InvalidAmount,
    /// `30029`, `30032`: too many open orders or too large a position.
    LimitExceeded,
    /// `33333`, `44444`, `-1128`, `700004`, `700005`, `700008`, `26`: a bad parameter.
    BadParameter,
    /// Any other code.
    Other,
}

impl RejectKind {
    /// The kind of MEXC error `code`.
    #[must_use]
    pub fn of(code: i64) -> Self {
        match code {
            -1121 | 30014 | 30021 => Self::InvalidSymbol,
            10007 => Self::SymbolNotApiTradable,
            30000 | 30001 | 30016 | 30018 | 30019 | 30020 | 30027 | 30028 | 30041 => {
                Self::TradingNotAllowed
            }
            10101 | 30004 | 30005 => Self::InsufficientBalance,
            700003 => Self::TimestampOutsideRecvWindow,
            602 | 700002 => Self::InvalidSignature,
            700001 | 10072 | 700006 | 700007 | 700013 | 70011 => Self::Unauthorized,
            -2011 => Self::UnknownOrder,
            30002 | 30003 | 10095 | 10096 | 10097 => Self::InvalidAmount,
            30029 | 30032 => Self::LimitExceeded,
            33333 | 44444 | -1128 | 700004 | 700005 | 700008 | 26 => Self::BadParameter,
            _ => Self::Other,
        }
    }
}

/// Why the outcome of a request is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownCause {
    /// No reply within the client's timeout.
    Timeout,
    /// The connection broke after the request was (possibly) sent.
    ConnectionLost,
    /// HTTP 5xx (reference §4.2: the outcome is unknown).
    ServerError(u16),
    /// A success status whose body could not be read.
    UnreadableReply,
}

/// A failed MEXC call. Messages name the endpoint and keep MEXC's code and message; they
/// never contain credentials.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MexcError {
    /// MEXC answered with an error code: the request was refused and changed nothing.
    #[error("{endpoint}: MEXC error {code}: {msg} (HTTP {status})")]
    Rejected {
        /// The endpoint, e.g. `POST /api/v3/order`.
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
        /// MEXC's code.
        code: i64,
        /// MEXC's message.
        msg: String,
        /// What the code means.
        kind: RejectKind,
    },
    /// HTTP 429 (rate limit) or 418/403 (IP ban or firewall): refused, and nothing may be
    /// sent for `retry_after_ms` (reference §4.1).
    #[error("{endpoint}: {} (HTTP {status}); nothing is sent for {retry_after_ms} ms", if *banned { "IP banned or blocked" } else { "rate limited" })]
    RateLimited {
        /// The endpoint.
        endpoint: &'static str,
        /// 429, 418 or 403.
        status: u16,
        /// How long the client now waits.
        retry_after_ms: i64,
        /// Whether it was a ban (418/403) rather than a 429.
        banned: bool,
    },
    /// The request never left this process (the limiter is holding requests back, the
    /// connection could not be opened, or a parameter was refused locally).
    #[error("{endpoint}: not sent: {reason}")]
    NotSent {
        /// The endpoint.
        endpoint: &'static str,
        /// Why.
        reason: String,
    },
    /// The request may or may not have been carried out. For an order: query it by its
    /// client order id; never resend it.
    #[error("{endpoint}: outcome unknown ({cause:?}): {detail}")]
    Unknown {
        /// The endpoint.
        endpoint: &'static str,
        /// Why.
        cause: UnknownCause,
        /// Details (the transport's account or the start of the body).
        detail: String,
    },
    /// A read succeeded but its reply is not what MEXC documents (for reads only; an
    /// unreadable reply to an order is [`MexcError::Unknown`]).
    #[error("{endpoint}: unexpected reply: {detail}")]
    BadReply {
        /// The endpoint.
        endpoint: &'static str,
        /// What was wrong, with the start of the body.
        detail: String,
    },
    /// A signed endpoint was called on a client without credentials.
    #[error("{endpoint}: needs API credentials")]
    NoCredentials {
        /// The endpoint.
        endpoint: &'static str,
    },
}

impl MexcError {
    /// Whether the request certainly changed nothing on the exchange.
    #[must_use]
    pub fn is_definite(&self) -> bool {
        !matches!(self, Self::Unknown { .. })
    }

    /// Whether the outcome is unknown (resolve by query, never by resending).
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown { .. })
    }

    /// MEXC's error code, when MEXC gave one.
    #[must_use]
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Rejected { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The kind of rejection, when MEXC rejected the request with a code.
    #[must_use]
    pub fn reject_kind(&self) -> Option<RejectKind> {
        match self {
            Self::Rejected { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

/// At most this many characters of a body go into an error.
const SNIPPET_CHARS: usize = 200;

/// The start of `body` for an error message.
#[must_use]
pub fn snippet(body: &str) -> String {
    let mut out: String = body.chars().take(SNIPPET_CHARS).collect();
    if body.chars().nth(SNIPPET_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// MEXC's `{"code":n,"msg":"…"}` in `body`, if it is one: an error object, or a wrapped
/// reply (`{code, data, msg}`) whose code is neither 0 nor 200 (reference §4.2).
#[must_use]
pub fn api_error(body: &str) -> Option<(i64, String)> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let object = value.as_object()?;
    let code = object.get("code")?;
    let code = code
        .as_i64()
        .or_else(|| code.as_str().and_then(|s| s.trim().parse().ok()))?;
    if code == 0 || code == 200 {
        return None;
    }
    let msg = object
        .get("msg")
        .or_else(|| object.get("message"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .to_owned();
    Some((code, msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(RejectKind::of(700003), RejectKind::TimestampOutsideRecvWindow);
        assert_eq!(RejectKind::of(10007), RejectKind::SymbolNotApiTradable);
        assert_eq!(RejectKind::of(30004), RejectKind::InsufficientBalance);
        assert_eq!(RejectKind::of(123_456), RejectKind::Other);
    }

    #[test]
    fn error_objects_are_found_and_wrapped_successes_are_not() {
        assert_eq!(
            api_error(r#"{"code":10007,"msg":"symbol not support api"}"#),
            Some((10007, "symbol not support api".to_owned()))
        );
        assert_eq!(api_error(r#"{"code":"700003","msg":"Timestamp"}"#), Some((700003, "Timestamp".to_owned())));
        assert_eq!(api_error(r#"{"code":0,"data":{}}"#), None);
        assert_eq!(api_error(r#"{"code":200,"data":[]}"#), None);
        assert_eq!(api_error("[1,2]"), None);
        assert_eq!(api_error("<html>"), None);
    }

    #[test]
    fn unknown_is_the_only_indefinite_outcome() {
        let unknown = MexcError::Unknown {
            endpoint: "POST /api/v3/order",
            cause: UnknownCause::ServerError(503),
            detail: String::new(),
        };
        assert!(unknown.is_unknown() && !unknown.is_definite());
        let rejected = MexcError::Rejected {
            endpoint: "POST /api/v3/order",
            status: 400,
            code: 10101,
            msg: "Insufficient balance".to_owned(),
            kind: RejectKind::of(10101),
        };
        assert!(rejected.is_definite());
        assert_eq!(rejected.to_string(), "POST /api/v3/order: MEXC error 10101: Insufficient balance (HTTP 400)");
    }
}
