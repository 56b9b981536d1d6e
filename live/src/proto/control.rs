//! The JSON text frames of reference §5.2: requests (subscribe, unsubscribe, ping) and the
//! server's replies, both ways (the client builds requests and parses replies; the simulator
//! parses requests and builds replies).
//!
//! Replies, as MEXC sends them:
//! - ack: `{"id":0,"code":0,"msg":"<channel>[,<channel>...]"}`: a success only when `msg`
//!   echoes channels;
//! - pong: `{"id":0,"code":0,"msg":"PONG"}`;
//! - refusal: any non-zero `code`, or `code` 0 with
//!   `Not Subscribed successfully! [<channels>].  Reason： Blocked! ` (note the full-width
//!   colon), fault-tests case 29: never a silent success;
//! - `Invalid listen key`, as bare text, on a user-data connection with a bad key.
//!
//! Anything else is a [`ControlError`], never a panic. Text frames above
//! [`MAX_CONTROL_LEN`] are refused before parsing.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::channel::{Channel, ChannelError};

/// Largest text frame accepted: 64 KiB (a reply is under 1 KiB; a request for 30 channels
/// about 2 KiB).
pub const MAX_CONTROL_LEN: usize = 64 * 1024;

const NOT_SUBSCRIBED: &str = "Not Subscribed successfully!";
const INVALID_LISTEN_KEY: &str = "Invalid listen key";
const PONG: &str = "PONG";
/// Longest text quoted in an error.
const QUOTE_LEN: usize = 120;

/// A text frame that is not an acceptable request or reply.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The frame is larger than [`MAX_CONTROL_LEN`].
    #[error("text frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The frame's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not JSON of the expected shape.
    #[error("text frame {text:?} is not a control message: {reason}")]
    Malformed {
        /// The frame (cut to 120 bytes).
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// An ack whose `msg` is not a list of channels.
    #[error("ack does not echo a channel: {0}")]
    NotAChannel(#[from] ChannelError),
}

/// A client's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `{"method":"SUBSCRIPTION","params":[...]}`.
    Subscribe(Vec<String>),
    /// `{"method":"UNSUBSCRIPTION","params":[...]}`.
    Unsubscribe(Vec<String>),
    /// `{"method":"PING"}`.
    Ping,
}

impl Request {
    /// A subscription to `channels`.
    #[must_use]
    pub fn subscribe(channels: &[Channel]) -> Self {
        Self::Subscribe(channels.iter().map(ToString::to_string).collect())
    }

    /// An unsubscription from `channels`.
    #[must_use]
    pub fn unsubscribe(channels: &[Channel]) -> Self {
        Self::Unsubscribe(channels.iter().map(ToString::to_string).collect())
    }

    /// The frame's text.
    #[must_use]
    pub fn to_text(&self) -> String {
        let (method, params) = match self {
            Self::Subscribe(channels) => ("SUBSCRIPTION", Some(channels.as_slice())),
            Self::Unsubscribe(channels) => ("UNSUBSCRIPTION", Some(channels.as_slice())),
            Self::Ping => ("PING", None),
        };
        to_json(&RawRequest { method, params })
    }

    /// Parses a request (the simulator's side). The method is matched without regard to
    /// case (some clients send `ping`).
    pub fn parse(text: &str) -> Result<Self, ControlError> {
        #[derive(Deserialize)]
        struct Raw {
            method: String,
            #[serde(default)]
            params: Vec<String>,
        }
        check_len(text)?;
        let raw: Raw = serde_json::from_str(text).map_err(|e| malformed(text, &e))?;
        match raw.method.to_ascii_uppercase().as_str() {
            "SUBSCRIPTION" => Ok(Self::Subscribe(raw.params)),
            "UNSUBSCRIPTION" => Ok(Self::Unsubscribe(raw.params)),
            "PING" => Ok(Self::Ping),
            _ => Err(malformed(text, &format!("unknown method {:?}", raw.method))),
        }
    }
}

/// A server's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The (un)subscription of these channels succeeded.
    Ack(Vec<Channel>),
    /// The answer to a ping.
    Pong,
    /// The server refused a request.
    Refused {
        /// The reply's `code` (0 for MEXC's "Not Subscribed successfully").
        code: i64,
        /// The reply's `msg`, verbatim.
        message: String,
        /// The channels named between brackets in `msg`, if any.
        channels: Vec<String>,
        /// The text after `Reason:` / `Reason：`, trimmed of blanks and `!` (e.g. `Blocked`).
        reason: Option<String>,
    },
    /// The listen key of a user-data connection is not valid.
    InvalidListenKey,
}

impl Reply {
    /// The refusal MEXC sends for a blocked channel.
    #[must_use]
    pub fn blocked(channels: &[String]) -> Self {
        Self::Refused {
            code: 0,
            message: format!(
                "{NOT_SUBSCRIBED} [{}].  Reason\u{ff1a} Blocked! ",
                channels.join(",")
            ),
            channels: channels.to_vec(),
            reason: Some("Blocked".to_owned()),
        }
    }

    /// Whether this is a refusal because the channel is blocked.
    #[must_use]
    pub fn is_blocked(&self) -> bool {
        matches!(self, Self::Refused { reason: Some(r), .. } if r.eq_ignore_ascii_case("blocked"))
    }

    /// The frame's text (the simulator's side).
    #[must_use]
    pub fn to_text(&self) -> String {
        let (code, msg) = match self {
            Self::Ack(channels) => (
                0,
                channels
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Self::Pong => (0, PONG.to_owned()),
            Self::Refused { code, message, .. } => (*code, message.clone()),
            Self::InvalidListenKey => return INVALID_LISTEN_KEY.to_owned(),
        };
        to_json(&RawReply {
            id: 0,
            code,
            msg: &msg,
        })
    }

    /// Parses a reply (the client's side).
    pub fn parse(text: &str) -> Result<Self, ControlError> {
        #[derive(Deserialize)]
        struct Raw {
            code: i64,
            msg: String,
        }
        check_len(text)?;
        if text.trim() == INVALID_LISTEN_KEY {
            return Ok(Self::InvalidListenKey);
        }
        let raw: Raw = serde_json::from_str(text).map_err(|e| malformed(text, &e))?;
        if raw.msg.trim() == INVALID_LISTEN_KEY {
            return Ok(Self::InvalidListenKey);
        }
        if raw.code != 0 || raw.msg.starts_with(NOT_SUBSCRIBED) {
            return Ok(refusal(raw.code, raw.msg));
        }
        if raw.msg == PONG {
            return Ok(Self::Pong);
        }
        if raw.msg.is_empty() {
            return Err(malformed(text, &"code 0 with an empty msg"));
        }
        let channels = raw
            .msg
            .split(',')
            .map(str::parse)
            .collect::<Result<Vec<Channel>, _>>()?;
        Ok(Self::Ack(channels))
    }
}

/// A request as sent, fields in MEXC's order.
#[derive(Serialize)]
struct RawRequest<'a> {
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a [String]>,
}

/// A reply as sent, fields in MEXC's order.
#[derive(Serialize)]
struct RawReply<'a> {
    id: i64,
    code: i64,
    msg: &'a str,
}

/// JSON text of a value that always serialises (strings and integers only).
fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A refusal, with the bracketed channels and the reason picked out of `msg`.
fn refusal(code: i64, message: String) -> Reply {
    let channels = message
        .find('[')
        .and_then(|start| {
            let rest = message.get(start + 1..)?;
            let end = rest.find(']')?;
            rest.get(..end)
        })
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let reason = message.find("Reason").and_then(|at| {
        let rest = message.get(at + "Reason".len()..)?;
        let rest = rest.trim_start_matches([':', '\u{ff1a}', ' ']);
        let reason = rest.trim().trim_end_matches('!').trim();
        (!reason.is_empty()).then(|| reason.to_owned())
    });
    Reply::Refused {
        code,
        message,
        channels,
        reason,
    }
}

fn check_len(text: &str) -> Result<(), ControlError> {
    if text.len() > MAX_CONTROL_LEN {
        return Err(ControlError::TooLarge {
            len: text.len(),
            max: MAX_CONTROL_LEN,
        });
    }
    Ok(())
}

fn malformed(text: &str, reason: &dyn std::fmt::Display) -> ControlError {
    let mut cut = QUOTE_LEN.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    ControlError::Malformed {
        text: text.get(..cut).unwrap_or_default().to_owned(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use vela_core::types::Symbol;

    use super::*;
    use crate::proto::channel::Speed;
    use crate::proto::channel::tests::any_channel;

    fn deals() -> Channel {
        Channel::Deals {
            symbol: Symbol::new("BTCUSDT").unwrap_or_else(|_| unreachable!()),
            speed: Speed::Ms100,
        }
    }

    #[test]
    fn requests_as_mexc_documents_them() {
        assert_eq!(
            Request::subscribe(&[deals()]).to_text(),
            r#"{"method":"SUBSCRIPTION","params":["spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"]}"#
        );
        assert_eq!(
            Request::unsubscribe(&[Channel::PrivateOrders]).to_text(),
            r#"{"method":"UNSUBSCRIPTION","params":["spot@private.orders.v3.api.pb"]}"#
        );
        assert_eq!(Request::Ping.to_text(), r#"{"method":"PING"}"#);
        assert_eq!(Request::parse(r#"{"method":"ping"}"#), Ok(Request::Ping));
        assert!(Request::parse(r#"{"method":"SUBSCRIBE","params":[]}"#).is_err());
        assert!(Request::parse("PING").is_err());
    }

    #[test]
    fn ack_only_when_msg_echoes_channels() {
        let ack = r#"{"id":0,"code":0,"msg":"spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"}"#;
        assert_eq!(Reply::parse(ack), Ok(Reply::Ack(vec![deals()])));
        let two = r#"{"id":0,"code":0,"msg":"spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT,spot@private.orders.v3.api.pb"}"#;
        assert_eq!(
            Reply::parse(two),
            Ok(Reply::Ack(vec![deals(), Channel::PrivateOrders]))
        );
        assert_eq!(
            Reply::parse(r#"{"id":0,"code":0,"msg":"PONG"}"#),
            Ok(Reply::Pong)
        );
        for bad in [
            r#"{"id":0,"code":0,"msg":"OK"}"#,
            r#"{"id":0,"code":0,"msg":""}"#,
            r#"{"id":0,"code":0}"#,
            r#"{"id":0,"msg":"PONG"}"#,
            r#"{"id":0,"code":"0","msg":"PONG"}"#,
            "",
            "PONG",
            "[]",
            "{",
        ] {
            assert!(Reply::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn blocked_and_other_refusals() {
        let text = "{\"id\":0,\"code\":0,\"msg\":\"Not Subscribed successfully! [spot@public.miniTicker.v3.api@BTCUSDT@UTC+8].  Reason\u{ff1a} Blocked! \"}";
        let reply = Reply::parse(text);
        assert!(reply.as_ref().is_ok_and(Reply::is_blocked), "{reply:?}");
        if let Ok(Reply::Refused { code, channels, .. }) = &reply {
            assert_eq!(*code, 0);
            assert_eq!(
                channels,
                &vec!["spot@public.miniTicker.v3.api@BTCUSDT@UTC+8".to_owned()]
            );
        }
        let error = Reply::parse(
            r#"{"id":0,"code":1,"msg":"spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"}"#,
        );
        assert!(
            matches!(
                &error,
                Ok(Reply::Refused {
                    code: 1,
                    reason: None,
                    ..
                })
            ),
            "{error:?}"
        );
        assert_eq!(
            Reply::parse("Invalid listen key"),
            Ok(Reply::InvalidListenKey)
        );
        assert_eq!(
            Reply::parse(r#"{"code":0,"msg":"Invalid listen key"}"#),
            Ok(Reply::InvalidListenKey)
        );
        let built = Reply::blocked(&["spot@public.miniTicker.v3.api@BTCUSDT@UTC+8".to_owned()]);
        assert_eq!(Reply::parse(&built.to_text()), Ok(built));
    }

    #[test]
    fn oversized_frames_are_refused_before_parsing() {
        let big = format!("{{\"code\":0,\"msg\":\"{}\"}}", "x".repeat(MAX_CONTROL_LEN));
        assert!(matches!(
            Reply::parse(&big),
            Err(ControlError::TooLarge { .. })
        ));
        assert!(matches!(
            Request::parse(&big),
            Err(ControlError::TooLarge { .. })
        ));
        let deep = "[".repeat(10_000);
        assert!(Reply::parse(&deep).is_err());
    }

    proptest! {
        #[test]
        fn prop_arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = Reply::parse(&text);
            let _ = Request::parse(&text);
        }

        #[test]
        fn prop_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = Reply::parse(&text);
            let _ = Request::parse(&text);
        }

        #[test]
        fn prop_replies_and_requests_round_trip(channels in proptest::collection::vec(any_channel(), 1..5)) {
            let ack = Reply::Ack(channels.clone());
            prop_assert_eq!(Reply::parse(&ack.to_text()), Ok(ack));
            let request = Request::subscribe(&channels);
            prop_assert_eq!(Request::parse(&request.to_text()), Ok(request));
            let request = Request::unsubscribe(&channels);
            prop_assert_eq!(Request::parse(&request.to_text()), Ok(request));
            let names: Vec<String> = channels.iter().map(ToString::to_string).collect();
            let blocked = Reply::blocked(&names);
            prop_assert_eq!(Reply::parse(&blocked.to_text()), Ok(blocked));
        }

        #[test]
        fn prop_mutated_replies_never_panic(
            channels in proptest::collection::vec(any_channel(), 1..3),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut bytes = Reply::Ack(channels).to_text().into_bytes();
            let i = at.index(bytes.len());
            if let Some(b) = bytes.get_mut(i) {
                *b = byte;
            }
            let _ = Reply::parse(&String::from_utf8_lossy(&bytes));
            bytes.truncate(i);
            let _ = Reply::parse(&String::from_utf8_lossy(&bytes));
        }
    }
}
