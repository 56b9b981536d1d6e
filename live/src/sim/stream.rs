//! The simulator's WebSocket server (reference §5.1, §5.2, §6): `/ws` for market streams,
//! `/ws?listenKey=KEY` for an account's user data stream, as an axum [`Router`] the
//! simulator merges into its REST router.
//!
//! Protocol, as MEXC speaks it:
//! - JSON text frames `SUBSCRIPTION` / `UNSUBSCRIPTION` / `PING`; an ack echoes the channels
//!   (`{"id":0,"code":0,"msg":"<ch>"}`), a ping is answered `PONG`;
//! - unknown channels, private channels on a market connection, channels the faults block,
//!   and subscriptions beyond [`StreamConfig::max_subscriptions`] are refused with
//!   `Not Subscribed successfully! [<ch>].  Reason： …` (full-width colon);
//! - a connection with no subscription is closed after [`StreamConfig::idle_unsubscribed`];
//! - a subscribed connection that neither received a push nor sent a `PING` for
//!   [`StreamConfig::idle_subscribed`] is closed (MEXC: "no data flow" for a minute; its
//!   clients keep such a connection with pings);
//! - each binary frame is one encoded push from the [`Feed`], sent only to connections
//!   subscribed to its channel (private pushes only to a listenKey connection of their
//!   account);
//! - a bad or expired listenKey gets the text frame `Invalid listen key` and the close.
//!
//! Faults ([`Faults`]): latency before each push, every connection dropped when the drop
//! generation moves, duplicated and reordered pushes, dropped depth pushes (version gaps),
//! silent market streams (pings still answered), and expired listenKeys (the user stream is
//! closed). listenKeys never appear in logs unmasked.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::faults::Faults;
use super::feed::{Audience, Feed, Published};
use super::listen_keys::{KeyProblem, ListenKeys};
use super::publish::WallClock;
use crate::proto::{Channel, ControlError, Reply, Request};
use crate::secret::mask;

/// The read buffer of a server connection (clients send short control texts).
const READ_BUFFER: usize = 4 * 1024;

/// Settings of the WebSocket server; the defaults are MEXC's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConfig {
    /// Subscriptions one connection may hold (MEXC: 30).
    pub max_subscriptions: usize,
    /// A connection without any subscription is closed after this long (MEXC: 30 s).
    pub idle_unsubscribed: Duration,
    /// A subscribed connection with neither a push nor a client `PING` for this long is
    /// closed (MEXC: 60 s).
    pub idle_subscribed: Duration,
    /// A connection is closed after this long (MEXC: 24 h).
    pub max_lifetime: Duration,
    /// How often a connection checks the faults and its listenKey.
    pub poll: Duration,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            max_subscriptions: 30,
            idle_unsubscribed: Duration::from_secs(30),
            idle_subscribed: Duration::from_secs(60),
            max_lifetime: Duration::from_secs(24 * 60 * 60),
            poll: Duration::from_millis(50),
        }
    }
}

/// What every WebSocket connection of the simulator shares.
#[derive(Clone)]
pub struct StreamShared {
    /// The pushes to forward.
    pub feed: Feed,
    /// The faults in force.
    pub faults: Arc<Faults>,
    /// The issued listenKeys.
    pub listen_keys: Arc<ListenKeys>,
    /// Settings.
    pub config: StreamConfig,
    /// The simulator's wall clock (listenKey validity).
    pub clock: WallClock,
}

impl std::fmt::Debug for StreamShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamShared")
            .field("feed", &self.feed)
            .field("faults", &self.faults)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The WebSocket routes (`GET /ws`, with an optional `listenKey` query parameter).
pub fn router(shared: StreamShared) -> Router {
    Router::new()
        .route("/ws", get(upgrade))
        .with_state(Arc::new(shared))
}

/// The query of `/ws`.
#[derive(Debug, Deserialize)]
struct WsQuery {
    #[serde(rename = "listenKey")]
    listen_key: Option<String>,
}

async fn upgrade(
    State(shared): State<Arc<StreamShared>>,
    Query(query): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    // tungstenite zero-fills its read buffer's free space before each read, and the
    // connection loop polls the socket once per push it forwards: 128 KiB (the default)
    // made each push cost a 128 KiB fill. Clients send only small control texts.
    ws.read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| serve(shared, query.listen_key, socket))
}

/// Whose user data stream a connection is.
#[derive(Debug, Clone)]
struct UserKey {
    key: String,
    account: String,
}

fn check_key(shared: &StreamShared, key: &str) -> Result<String, KeyProblem> {
    shared
        .listen_keys
        .owner(key, (shared.clock)(), shared.faults.listen_key_generation())
}

async fn serve(shared: Arc<StreamShared>, listen_key: Option<String>, mut socket: WebSocket) {
    let user = match listen_key {
        None => None,
        Some(key) => match check_key(&shared, &key) {
            Ok(account) => Some(UserKey { key, account }),
            Err(problem) => {
                tracing::info!(key = %mask(&key), ?problem, "sim ws: refused listenKey");
                let _ = socket
                    .send(Message::text(Reply::InvalidListenKey.to_text()))
                    .await;
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        },
    };
    let mut connection = Connection {
        shared: Arc::clone(&shared),
        user,
        channels: Vec::new(),
        held: None,
    };
    let end = connection.run(&mut socket).await;
    tracing::debug!(?end, "sim ws: connection closed");
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 1000,
            reason: end.reason().into(),
        })))
        .await;
}

/// Why the server ended a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    ClientGone,
    Dropped,
    Idle,
    NoData,
    Lifetime,
    KeyExpired,
    Lagged,
}

impl End {
    const fn reason(self) -> &'static str {
        match self {
            Self::ClientGone => "bye",
            Self::Dropped => "dropped",
            Self::Idle => "no subscription",
            Self::NoData => "no data",
            Self::Lifetime => "connection lifetime reached",
            Self::KeyExpired => "listen key expired",
            Self::Lagged => "too slow",
        }
    }
}

struct Connection {
    shared: Arc<StreamShared>,
    user: Option<UserKey>,
    /// Subscribed channels, in subscription order.
    channels: Vec<String>,
    /// A push held back by the reorder fault.
    held: Option<Arc<Published>>,
}

impl Connection {
    async fn run(&mut self, socket: &mut WebSocket) -> End {
        let config = self.shared.config.clone();
        let started = Instant::now();
        let generation = self.shared.faults.drop_generation();
        let mut feed = self.shared.feed.subscribe();
        let mut poll = tokio::time::interval(config.poll);
        let mut idle_since = Some(started);
        // The last push sent or client PING: the "no data" clock of a subscribed connection.
        let mut last_activity = started;
        loop {
            tokio::select! {
                incoming = socket.recv() => {
                    let Some(Ok(message)) = incoming else { return End::ClientGone };
                    match message {
                        Message::Text(text) => {
                            let was_subscribed = !self.channels.is_empty();
                            let request = Request::parse(text.as_str());
                            let ping = matches!(request, Ok(Request::Ping));
                            let replies = self.on_request(request);
                            if !was_subscribed || ping {
                                last_activity = Instant::now();
                            }
                            for reply in replies {
                                if socket.send(Message::text(reply)).await.is_err() {
                                    return End::ClientGone;
                                }
                            }
                            if self.channels.is_empty() {
                                idle_since.get_or_insert_with(Instant::now);
                            } else {
                                idle_since = None;
                            }
                        }
                        Message::Close(_) => return End::ClientGone,
                        // Pings are answered by the WebSocket layer; binary frames mean nothing.
                        Message::Binary(_) | Message::Ping(_) | Message::Pong(_) => {}
                    }
                }
                push = feed.recv() => match push {
                    Ok(push) => match self.forward(socket, push).await {
                        Forwarded::Sent => last_activity = Instant::now(),
                        Forwarded::NotSent => {}
                        Forwarded::ClientGone => return End::ClientGone,
                    },
                    Err(RecvError::Lagged(_)) => return End::Lagged,
                    Err(RecvError::Closed) => return End::ClientGone,
                },
                _ = poll.tick() => {
                    if self.shared.faults.drop_generation() != generation {
                        return End::Dropped;
                    }
                    if started.elapsed() >= config.max_lifetime {
                        return End::Lifetime;
                    }
                    if idle_since.is_some_and(|t| t.elapsed() >= config.idle_unsubscribed) {
                        return End::Idle;
                    }
                    if !self.channels.is_empty()
                        && last_activity.elapsed() >= config.idle_subscribed
                    {
                        return End::NoData;
                    }
                    if let Some(user) = &self.user
                        && check_key(&self.shared, &user.key).is_err()
                    {
                        tracing::info!(key = %mask(&user.key), "sim ws: listenKey expired, closing");
                        return End::KeyExpired;
                    }
                }
            }
        }
    }

    /// The replies to one text frame's request.
    fn on_request(&mut self, request: Result<Request, ControlError>) -> Vec<String> {
        match request {
            Ok(Request::Ping) => vec![Reply::Pong.to_text()],
            Ok(Request::Subscribe(names)) => self.subscribe(names),
            Ok(Request::Unsubscribe(names)) => {
                let mut acked = Vec::new();
                for name in names {
                    if let Ok(channel) = name.parse::<Channel>() {
                        self.channels.retain(|c| *c != name);
                        acked.push(channel);
                    }
                }
                if acked.is_empty() {
                    Vec::new()
                } else {
                    vec![Reply::Ack(acked).to_text()]
                }
            }
            Err(error) => {
                tracing::debug!(%error, "sim ws: ignored a text frame");
                Vec::new()
            }
        }
    }

    fn subscribe(&mut self, names: Vec<String>) -> Vec<String> {
        let mut acked = Vec::new();
        let mut replies = Vec::new();
        for name in names {
            let channel = match name.parse::<Channel>() {
                Ok(channel) if channel.is_private() && self.user.is_none() => None,
                Ok(channel) if !self.shared.faults.refuses(&name) => Some(channel),
                _ => None,
            };
            let Some(channel) = channel else {
                replies.push(Reply::blocked(std::slice::from_ref(&name)).to_text());
                continue;
            };
            if !self.channels.contains(&name) {
                if self.channels.len() >= self.shared.config.max_subscriptions {
                    let refusal = Reply::Refused {
                        code: 0,
                        message: format!(
                            "Not Subscribed successfully! [{name}].  Reason\u{ff1a} Too many subscriptions! "
                        ),
                        channels: vec![name],
                        reason: Some("Too many subscriptions".to_owned()),
                    };
                    replies.push(refusal.to_text());
                    continue;
                }
                self.channels.push(name);
            }
            acked.push(channel);
        }
        if !acked.is_empty() {
            replies.insert(0, Reply::Ack(acked).to_text());
        }
        replies
    }

    /// Whether this connection receives `push`.
    fn wants(&self, push: &Published) -> bool {
        if !self.channels.contains(&push.channel) {
            return false;
        }
        match &push.audience {
            Audience::Public => !self.shared.faults.silent(),
            Audience::Account(account) => self.user.as_ref().is_some_and(|u| u.account == *account),
        }
    }

    /// Sends `push` (with the faults applied).
    async fn forward(&mut self, socket: &mut WebSocket, push: Arc<Published>) -> Forwarded {
        if !self.wants(&push) {
            return Forwarded::NotSent;
        }
        let faults = &self.shared.faults;
        if push.depth_version.is_some() && faults.take_depth_gap() {
            tracing::debug!(channel = %push.channel, "sim ws: depth push dropped (fault)");
            return Forwarded::NotSent;
        }
        if self.held.is_none() && faults.take_reorder() {
            self.held = Some(push);
            return Forwarded::NotSent;
        }
        let copies = if faults.take_duplicate() { 2 } else { 1 };
        let latency = faults.latency_ms();
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        for _ in 0..copies {
            if send_push(socket, &push).await.is_err() {
                return Forwarded::ClientGone;
            }
        }
        if let Some(held) = self.held.take()
            && send_push(socket, &held).await.is_err()
        {
            return Forwarded::ClientGone;
        }
        Forwarded::Sent
    }
}

/// What became of a push offered to a connection.
enum Forwarded {
    /// Sent to the client.
    Sent,
    /// Not for this connection, or held back or dropped by a fault.
    NotSent,
    /// The client is gone.
    ClientGone,
}

async fn send_push(socket: &mut WebSocket, push: &Published) -> Result<(), axum::Error> {
    socket
        .send(Message::Binary(push.frame.to_vec().into()))
        .await
}

#[cfg(test)]
#[path = "stream_tests.rs"]
pub(crate) mod tests;
