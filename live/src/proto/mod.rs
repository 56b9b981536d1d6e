//! MEXC's WebSocket protocol (reference §5, §6): binary protobuf pushes and JSON text
//! control frames.
//!
//! - [`messages`]: the wire layout, hand-written `prost` messages with MEXC's field numbers.
//! - [`decode`]: one binary frame to a validated [`Push`] of vela values ([`decode_push`]).
//! - [`encode`]: the reverse, for the simulator's server side ([`encode_push`] and one
//!   builder per stream).
//! - [`channel`]: channel names as a typed [`Channel`].
//! - [`control`]: subscribe / unsubscribe / ping requests and the server's replies.
//!
//! Numbers arrive as decimal text. Market data becomes `f64` and orders, fills and balances
//! become [`rust_decimal::Decimal`] (DESIGN.md §3); depth prices keep their exact decimal value
//! too, as the order book's key ([`crate::book`]).

pub mod channel;
pub mod control;
pub mod decode;
pub mod encode;
pub mod messages;
mod num;
pub mod types;

#[cfg(test)]
mod tests;

pub use channel::{Channel, ChannelError, DepthLimit, KlineInterval, Speed};
pub use control::{ControlError, MAX_CONTROL_LEN, Reply, Request};
pub use decode::{DecodeError, MAX_PUSH_LEN, decode_push, decode_push_bytes, parse_level};
pub use encode::encode_push;
pub use types::{
    BookTicker, Deal, DepthDiff, IgnoredBody, Kline, Level, LimitDepth, PrivateAccount,
    PrivateDeal, PrivateOrder, Push, PushBody, PushOrderStatus, PushOrderType,
};
