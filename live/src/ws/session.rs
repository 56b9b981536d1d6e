//! One WebSocket connection from open to close: subscribe every channel in order, answer
//! with `PING`s, read pushes and replies, watch for missing pongs, missing acks, silent
//! channels and the connection's age. The market and user managers run sessions in a loop
//! and reconnect when one ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval, interval_at, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::books::{BookChange, Books};
use super::config::WsConfig;
use super::event::{StreamEvent, StreamId};
use crate::proto::{
    Channel, MAX_CONTROL_LEN, MAX_PUSH_LEN, Push, PushBody, Reply, Request, decode_push_bytes,
};
use crate::secret::mask;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The socket reads' buffer. tungstenite zero-fills the buffer's free space before every
/// read, including reads that find nothing: at its default 128 KiB that fill was the most
/// expensive step of taking a frame (callgrind, BENCHMARKS.md session 12). A burst of
/// pushes larger than this takes more than one read.
const READ_BUFFER: usize = 16 * 1024;

/// What a connection's manager shares with its sessions.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub(crate) stream: StreamId,
    pub(crate) config: Arc<WsConfig>,
    pub(crate) connector: Option<Connector>,
    pub(crate) events: mpsc::Sender<StreamEvent>,
    pub(crate) decode_errors: Arc<AtomicU64>,
    pub(crate) books: Option<Arc<Books>>,
}

impl Ctx {
    /// Sends `event`; false when the consumer is gone.
    pub(crate) async fn emit(&self, event: StreamEvent) -> bool {
        self.events.send(event).await.is_ok()
    }
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubState {
    /// Sent at this instant, no reply yet.
    Pending(Instant),
    /// Acknowledged.
    Active,
    /// Not acknowledged in time (reported); still watched.
    Unacked,
    /// Refused by the server; not sent again.
    Refused,
}

/// One subscription of a connection.
#[derive(Debug, Clone)]
pub(crate) struct Sub {
    pub(crate) channel: Channel,
    pub(crate) name: String,
    pub(crate) stale_after: Option<Duration>,
    pub(crate) state: SubState,
    pub(crate) last_data: Instant,
    pub(crate) stale: bool,
}

impl Sub {
    pub(crate) fn new(channel: Channel, stale_after: Option<Duration>) -> Self {
        let now = Instant::now();
        Self {
            name: channel.to_string(),
            channel,
            stale_after,
            state: SubState::Pending(now),
            last_data: now,
            stale: false,
        }
    }
}

/// A command from the manager to its connection.
#[derive(Debug)]
pub(crate) enum Command {
    Subscribe(Sub),
    Unsubscribe(Channel),
    Shutdown,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    ConnectFailed(String),
    Closed(String),
    Stale,
    PongTimeout,
    InvalidListenKey,
    Aged,
    Shutdown,
    ConsumerGone,
}

impl End {
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::ConnectFailed(e) => format!("connect failed: {e}"),
            Self::Closed(e) => e.clone(),
            Self::Stale => "a channel went stale".to_owned(),
            Self::PongTimeout => "no PONG in time".to_owned(),
            Self::InvalidListenKey => "invalid listen key".to_owned(),
            Self::Aged => "connection reached its maximum age".to_owned(),
            Self::Shutdown => "shut down".to_owned(),
            Self::ConsumerGone => "the event receiver was dropped".to_owned(),
        }
    }
}

/// How a session went: why it ended, and whether the server ever acknowledged or sent
/// anything (a healthy session resets the backoff).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) end: End,
    pub(crate) healthy: bool,
}

/// One frame, classified.
#[derive(Debug)]
pub(crate) enum Incoming {
    Push(Box<Push>),
    Reply(Reply),
    Bad(String),
    Closed(String),
    Nothing,
}

/// Classifies one frame; never panics, whatever the bytes.
pub(crate) fn classify(message: Message) -> Incoming {
    match message {
        Message::Binary(bytes) => match decode_push_bytes(bytes) {
            Ok(push) => Incoming::Push(Box::new(push)),
            Err(e) => Incoming::Bad(format!("binary frame: {e}")),
        },
        Message::Text(text) => match Reply::parse(text.as_str()) {
            Ok(reply) => Incoming::Reply(reply),
            Err(e) => Incoming::Bad(format!("text frame: {e}")),
        },
        Message::Close(frame) => Incoming::Closed(frame.map_or_else(
            || "closed by the server".to_owned(),
            |f| format!("closed by the server ({}: {})", f.code, f.reason),
        )),
        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Incoming::Nothing,
    }
}

/// `text` with `secret` masked.
pub(crate) fn masked(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(secret) if !secret.is_empty() => text.replace(secret, &mask(secret)),
        _ => text.to_owned(),
    }
}

/// Runs one connection to `url` until it ends. `secret` (a listenKey in the URL) is masked
/// in every message. `resync_since` set: report [`StreamEvent::ResyncNeeded`] once the
/// subscriptions are acknowledged.
pub(crate) async fn run(
    ctx: &Ctx,
    url: &str,
    secret: Option<&str>,
    subs: &mut Vec<Sub>,
    cmds: &mut mpsc::UnboundedReceiver<Command>,
    resync_since: &mut Option<i64>,
) -> Outcome {
    let config = &ctx.config;
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(MAX_PUSH_LEN.max(MAX_CONTROL_LEN)))
        .max_frame_size(Some(MAX_PUSH_LEN.max(MAX_CONTROL_LEN)));
    let connect = tokio_tungstenite::connect_async_tls_with_config(
        url,
        Some(ws_config),
        true,
        ctx.connector.clone(),
    );
    let error = match timeout(config.connect_timeout, connect).await {
        Err(_) => "timed out".to_owned(),
        Ok(Err(e)) => masked(&e.to_string(), secret),
        Ok(Ok((socket, _))) => {
            let mut session = Session {
                ctx,
                socket,
                subs,
                healthy: false,
                pong_due: None,
                resync_since,
            };
            let end = match session.serve(cmds).await {
                Ok(()) => End::Shutdown,
                Err(end) => end,
            };
            if !matches!(end, End::Closed(_)) {
                let _ = timeout(Duration::from_secs(1), session.socket.close(None)).await;
            }
            let healthy = session.healthy;
            return Outcome {
                end: masked_end(end, secret),
                healthy,
            };
        }
    };
    Outcome {
        end: End::ConnectFailed(error),
        healthy: false,
    }
}

fn masked_end(end: End, secret: Option<&str>) -> End {
    match end {
        End::Closed(e) => End::Closed(masked(&e, secret)),
        other => other,
    }
}

struct Session<'a> {
    ctx: &'a Ctx,
    socket: Socket,
    subs: &'a mut Vec<Sub>,
    healthy: bool,
    pong_due: Option<Instant>,
    resync_since: &'a mut Option<i64>,
}

impl Session<'_> {
    async fn emit(&self, event: StreamEvent) -> Result<(), End> {
        if self.ctx.emit(event).await {
            Ok(())
        } else {
            Err(End::ConsumerGone)
        }
    }

    async fn send(&mut self, request: &Request) -> Result<(), End> {
        self.socket
            .send(Message::text(request.to_text()))
            .await
            .map_err(|e| End::Closed(format!("send failed: {e}")))
    }

    /// The session's loop; `Ok` only on shutdown.
    async fn serve(&mut self, cmds: &mut mpsc::UnboundedReceiver<Command>) -> Result<(), End> {
        let stream = self.ctx.stream;
        let config = Arc::clone(&self.ctx.config);
        self.emit(StreamEvent::Connected { stream }).await?;
        let opened = Instant::now();
        let names: Vec<String> = self
            .subs
            .iter_mut()
            .filter(|s| s.state != SubState::Refused)
            .map(|s| {
                s.state = SubState::Pending(opened);
                s.last_data = opened;
                s.name.clone()
            })
            .collect();
        for name in names {
            self.send(&Request::Subscribe(vec![name])).await?;
        }
        if let Some(books) = &self.ctx.books {
            let symbols: Vec<_> = self
                .subs
                .iter()
                .filter_map(|s| match &s.channel {
                    Channel::Depth { symbol, .. } => Some(symbol.clone()),
                    _ => None,
                })
                .collect();
            let changes = books.reset(&symbols);
            self.report(changes).await?;
        }
        let mut ping = interval_at(opened + config.ping_interval, config.ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut check = interval(config.check_interval);
        check.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                frame = self.socket.next() => match frame {
                    None => return Err(End::Closed("the server closed the connection".to_owned())),
                    Some(Err(e)) => return Err(End::Closed(format!("read failed: {e}"))),
                    Some(Ok(message)) => self.on_frame(message).await?,
                },
                _ = ping.tick() => {
                    self.send(&Request::Ping).await?;
                    if self.pong_due.is_none() {
                        self.pong_due = Some(Instant::now() + config.pong_timeout);
                    }
                }
                _ = check.tick() => self.watch(opened).await?,
                command = cmds.recv() => match command {
                    None | Some(Command::Shutdown) => return Ok(()),
                    Some(Command::Subscribe(sub)) => {
                        if !self.subs.iter().any(|s| s.channel == sub.channel) {
                            let request = Request::Subscribe(vec![sub.name.clone()]);
                            self.subs.push(sub);
                            self.send(&request).await?;
                        }
                    }
                    Some(Command::Unsubscribe(channel)) => {
                        self.subs.retain(|s| s.channel != channel);
                        self.send(&Request::unsubscribe(&[channel])).await?;
                    }
                },
            }
        }
    }

    async fn on_frame(&mut self, message: Message) -> Result<(), End> {
        let stream = self.ctx.stream;
        match classify(message) {
            Incoming::Push(push) => {
                self.healthy = true;
                let now = Instant::now();
                let mut resumed = None;
                if let Some(sub) = self.subs.iter_mut().find(|s| s.name == push.channel) {
                    sub.last_data = now;
                    if sub.stale {
                        sub.stale = false;
                        resumed = Some(sub.channel.clone());
                    }
                }
                if let Some(channel) = resumed {
                    tracing::info!(%stream, %channel, "stream data resumed");
                    self.emit(StreamEvent::Resumed { stream, channel }).await?;
                }
                let diff = match (&self.ctx.books, &push.body, &push.symbol) {
                    (Some(books), PushBody::DepthDiff(diff), Some(symbol)) => {
                        Some((Arc::clone(books), symbol.clone(), diff.clone()))
                    }
                    _ => None,
                };
                self.emit(StreamEvent::Data {
                    stream,
                    push,
                    received: now.into_std(),
                })
                .await?;
                if let Some((books, symbol, diff)) = diff {
                    let changes = books.on_diff(&symbol, diff).await;
                    self.report(changes).await?;
                }
                Ok(())
            }
            Incoming::Reply(reply) => self.on_reply(reply).await,
            Incoming::Bad(error) => {
                let total = self.ctx.decode_errors.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(%stream, %error, total, "undecodable WebSocket frame skipped");
                self.emit(StreamEvent::DecodeError {
                    stream,
                    error,
                    total,
                })
                .await
            }
            Incoming::Closed(reason) => Err(End::Closed(reason)),
            Incoming::Nothing => Ok(()),
        }
    }

    /// Reports changes of the local books.
    async fn report(&self, changes: Vec<BookChange>) -> Result<(), End> {
        let stream = self.ctx.stream;
        for change in changes {
            let event = match change {
                BookChange::Live { symbol, version } => {
                    tracing::info!(%stream, %symbol, version, "order book live");
                    StreamEvent::BookLive {
                        stream,
                        symbol,
                        version,
                    }
                }
                BookChange::Stale { symbol, reason } => {
                    tracing::warn!(%stream, %symbol, %reason, "order book stale");
                    StreamEvent::BookStale {
                        stream,
                        symbol,
                        reason,
                    }
                }
            };
            self.emit(event).await?;
        }
        Ok(())
    }

    async fn on_reply(&mut self, reply: Reply) -> Result<(), End> {
        let stream = self.ctx.stream;
        match reply {
            Reply::Pong => self.pong_due = None,
            Reply::InvalidListenKey => return Err(End::InvalidListenKey),
            Reply::Ack(channels) => {
                self.healthy = true;
                for channel in channels {
                    let Some(sub) = self.subs.iter_mut().find(|s| s.channel == channel) else {
                        continue;
                    };
                    if matches!(sub.state, SubState::Pending(_) | SubState::Unacked) {
                        sub.state = SubState::Active;
                        tracing::debug!(%stream, %channel, "subscribed");
                        self.emit(StreamEvent::Subscribed { stream, channel })
                            .await?;
                    }
                }
            }
            Reply::Refused {
                message, channels, ..
            } => {
                let named: Vec<usize> = (0..self.subs.len())
                    .filter(|&i| self.subs.get(i).is_some_and(|s| channels.contains(&s.name)))
                    .collect();
                let targets = if named.is_empty() {
                    // No channel named: it answers whatever is still waiting.
                    (0..self.subs.len())
                        .filter(|&i| {
                            self.subs
                                .get(i)
                                .is_some_and(|s| matches!(s.state, SubState::Pending(_)))
                        })
                        .collect()
                } else {
                    named
                };
                if targets.is_empty() {
                    tracing::error!(%stream, %message, "the server refused a request");
                }
                for i in targets {
                    let Some(sub) = self.subs.get_mut(i) else {
                        continue;
                    };
                    sub.state = SubState::Refused;
                    let channel = sub.name.clone();
                    tracing::error!(%stream, %channel, %message, "subscription refused");
                    self.emit(StreamEvent::SubscriptionRefused {
                        stream,
                        channel,
                        message: message.clone(),
                    })
                    .await?;
                }
            }
        }
        self.maybe_resynced().await
    }

    /// After a break: once nothing waits for an ack, tell the consumer to reconcile.
    async fn maybe_resynced(&mut self) -> Result<(), End> {
        let waiting = self
            .subs
            .iter()
            .any(|s| matches!(s.state, SubState::Pending(_)));
        if waiting {
            return Ok(());
        }
        if let Some(since_ms) = self.resync_since.take() {
            let stream = self.ctx.stream;
            tracing::info!(%stream, since_ms, "stream back after a break: resync needed");
            self.emit(StreamEvent::ResyncNeeded { stream, since_ms })
                .await?;
        }
        Ok(())
    }

    /// The watchdogs: pong, acks, staleness, age.
    async fn watch(&mut self, opened: Instant) -> Result<(), End> {
        let stream = self.ctx.stream;
        let config = Arc::clone(&self.ctx.config);
        let now = Instant::now();
        if self.pong_due.is_some_and(|due| now >= due) {
            tracing::warn!(%stream, "no PONG in time: reconnecting");
            return Err(End::PongTimeout);
        }
        let mut refused = Vec::new();
        for sub in self.subs.iter_mut() {
            if let SubState::Pending(since) = sub.state
                && now.duration_since(since) >= config.ack_timeout
            {
                sub.state = SubState::Unacked;
                refused.push(sub.name.clone());
            }
        }
        for channel in refused {
            let message = format!("no acknowledgement within {:?}", config.ack_timeout);
            tracing::error!(%stream, %channel, %message, "subscription not acknowledged");
            self.emit(StreamEvent::SubscriptionRefused {
                stream,
                channel,
                message,
            })
            .await?;
            self.maybe_resynced().await?;
        }
        let silent = self.subs.iter_mut().find(|s| {
            s.state != SubState::Refused
                && s.stale_after
                    .is_some_and(|limit| now.duration_since(s.last_data) >= limit)
        });
        if let Some(sub) = silent {
            let silent_for = now.duration_since(sub.last_data);
            if !sub.stale {
                sub.stale = true;
                let channel = sub.channel.clone();
                tracing::warn!(%stream, %channel, ?silent_for, "stream stale: reconnecting");
                self.emit(StreamEvent::Stale {
                    stream,
                    channel,
                    silent_for,
                })
                .await?;
            }
            return Err(End::Stale);
        }
        if now.duration_since(opened) >= config.max_connection_age {
            return Err(End::Aged);
        }
        Ok(())
    }
}

/// Waits `delay` between sessions while taking the manager's commands; false on shutdown.
async fn pause(
    delay: Duration,
    subs: &mut Vec<Sub>,
    cmds: &mut mpsc::UnboundedReceiver<Command>,
) -> bool {
    let deadline = tokio::time::sleep(delay);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => return true,
            command = cmds.recv() => match command {
                None | Some(Command::Shutdown) => return false,
                Some(Command::Subscribe(sub)) => {
                    if !subs.iter().any(|s| s.channel == sub.channel) {
                        subs.push(sub);
                    }
                }
                Some(Command::Unsubscribe(channel)) => subs.retain(|s| s.channel != channel),
            },
        }
    }
}

/// The local clock, ms since the epoch (for [`StreamEvent::ResyncNeeded`]).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// After a session ended: logs and reports the break, and picks the next attempt and its
/// delay (a planned replacement waits for nothing). `attempt` counts failures in a row.
/// After a connection ended with `outcome`: reports it, waits out the backoff (keeping
/// subscription changes) and returns whether to connect again (`false`: shut down or
/// nobody listens any more).
pub(crate) async fn reconnect_after(
    ctx: &Ctx,
    outcome: &Outcome,
    attempt: &mut u32,
    backoff: &mut super::config::Backoff,
    resync_since: &mut Option<i64>,
    subs: &mut Vec<Sub>,
    cmds: &mut mpsc::UnboundedReceiver<Command>,
) -> bool {
    match after_break(ctx, outcome, attempt, backoff, resync_since).await {
        Some(delay) => pause(delay, subs, cmds).await,
        None => false,
    }
}

async fn after_break(
    ctx: &Ctx,
    outcome: &Outcome,
    attempt: &mut u32,
    backoff: &mut super::config::Backoff,
    resync_since: &mut Option<i64>,
) -> Option<Duration> {
    let stream = ctx.stream;
    if !matches!(outcome.end, End::ConnectFailed(_)) && resync_since.is_none() {
        *resync_since = Some(now_ms());
    }
    let reason = outcome.end.reason();
    tracing::warn!(%stream, %reason, "WebSocket disconnected");
    if !ctx.emit(StreamEvent::Disconnected { stream, reason }).await {
        return None;
    }
    let delay = if outcome.end == End::Aged {
        *attempt = 0;
        Duration::ZERO
    } else {
        if outcome.healthy {
            *attempt = 0;
        }
        *attempt = attempt.saturating_add(1);
        backoff.delay(*attempt)
    };
    let event = StreamEvent::Reconnecting {
        stream,
        attempt: *attempt,
        delay,
    };
    ctx.emit(event).await.then_some(delay)
}
