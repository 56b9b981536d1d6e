//! The simulator's outgoing stream: every push the market replay and the matching produce,
//! already encoded as MEXC's protobuf wrapper, fanned out to the WebSocket connections.
//!
//! The producer (the replay and the order book of [`super`]) publishes [`Published`]
//! values; each WebSocket connection subscribes with [`Feed::subscribe`] and forwards the
//! pushes whose channel it subscribed to (and, for private channels, whose account it
//! belongs to). A connection that falls more than [`FEED_CAPACITY`] pushes behind loses the
//! oldest ones and is closed by the server, as MEXC drops slow consumers.

use std::sync::Arc;

use tokio::sync::broadcast;

/// Pushes a slow connection may fall behind before it is dropped.
pub const FEED_CAPACITY: usize = 65_536;

/// Who may receive a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every connection subscribed to the channel (market data).
    Public,
    /// Only user-data connections of this API key (listenKey streams).
    Account(String),
}

/// One push on one channel: the bytes of a `PushDataV3ApiWrapper`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The channel name exactly as a client subscribes to it, e.g.
    /// `spot@public.kline.v3.api.pb@BTCUSDT@Min1` or `spot@private.orders.v3.api.pb`.
    pub channel: String,
    /// Who may receive it.
    pub audience: Audience,
    /// The encoded wrapper (one binary WebSocket frame).
    pub frame: Arc<[u8]>,
    /// For depth pushes: the push's `toVersion`, so fault injection can drop one and make
    /// a version gap. `None` for other channels.
    pub depth_version: Option<u64>,
}

/// The fan-out of published pushes.
#[derive(Debug, Clone)]
pub struct Feed {
    sender: broadcast::Sender<Arc<Published>>,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new()
    }
}

impl Feed {
    /// An empty feed.
    #[must_use]
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(FEED_CAPACITY);
        Self { sender }
    }

    /// Sends `push` to every current subscriber; returns how many there were (none is not
    /// an error: nobody listens yet).
    pub fn publish(&self, push: Published) -> usize {
        self.sender.send(Arc::new(push)).unwrap_or(0)
    }

    /// A receiver of every push published from now on.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.sender.subscribe()
    }
}
