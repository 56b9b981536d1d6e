//! [`MarketStreams`]: public market channels spread over connections of at most
//! [`WsConfig::max_subscriptions`] subscriptions, each kept alive, watched and reconnected
//! on its own (fault-tests cases 26, 29, 30).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::Connector;

use vela_core::types::Symbol;

use super::WsError;
use super::books::Books;
use super::config::{Backoff, WsConfig};
use super::event::{StreamEvent, StreamId};
use super::session::{self, Command, Ctx, End, Sub};
use crate::book::OrderBook;
use crate::proto::Channel;
use crate::rest::RestClient;

/// One connection's handle.
#[derive(Debug)]
struct Connection {
    commands: mpsc::UnboundedSender<Command>,
    channels: Vec<Channel>,
    task: JoinHandle<()>,
}

/// Market streams over as many connections as the subscriptions need. Events (decoded
/// pushes and status changes) arrive on the receiver returned by [`MarketStreams::new`].
///
/// Each connection subscribes its channels in the order they were added, sends `PING`s,
/// reports refused subscriptions ([`StreamEvent::SubscriptionRefused`], logged at error
/// level), reconnects with capped exponential backoff and subscribes everything again in
/// order, replaces itself before MEXC's 24-hour limit, and reports a channel silent for
/// longer than its staleness limit ([`StreamEvent::Stale`]) before reconnecting.
pub struct MarketStreams {
    config: Arc<WsConfig>,
    connector: Option<Connector>,
    events: mpsc::Sender<StreamEvent>,
    decode_errors: Arc<AtomicU64>,
    books: Option<Arc<Books>>,
    connections: Vec<Connection>,
}

impl std::fmt::Debug for MarketStreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketStreams")
            .field("config", &self.config)
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl MarketStreams {
    /// Streams with `config` (nothing is opened before the first subscription) and the
    /// receiver of their events.
    pub fn new(config: WsConfig) -> Result<(Self, mpsc::Receiver<StreamEvent>), WsError> {
        let connector = config.connector()?;
        let (events, receiver) = mpsc::channel(config.event_capacity);
        let streams = Self {
            config: Arc::new(config),
            connector,
            events,
            decode_errors: Arc::new(AtomicU64::new(0)),
            books: None,
            connections: Vec::new(),
        };
        Ok((streams, receiver))
    }

    /// Streams as [`MarketStreams::new`] that also keep a local order book per depth
    /// channel, snapshotted over `rest` ([`StreamEvent::BookLive`] and
    /// [`StreamEvent::BookStale`] report its state; [`MarketStreams::book`] reads it).
    pub fn with_books(
        config: WsConfig,
        rest: Arc<RestClient>,
    ) -> Result<(Self, mpsc::Receiver<StreamEvent>), WsError> {
        let (mut streams, receiver) = Self::new(config)?;
        streams.books = Some(Arc::new(Books::new(rest)));
        Ok((streams, receiver))
    }

    /// A copy of the local order book of `symbol` (with [`MarketStreams::with_books`] and
    /// a depth subscription); it shows levels only while live.
    #[must_use]
    pub fn book(&self, symbol: &Symbol) -> Option<OrderBook> {
        self.books.as_ref().and_then(|books| books.book(symbol))
    }

    /// Subscribes `channel` with the configured staleness limit. Must be called within a
    /// tokio runtime (it may open a connection).
    pub fn subscribe(&mut self, channel: Channel) -> Result<(), WsError> {
        let stale_after = self.config.stale_after;
        self.subscribe_with(channel, stale_after)
    }

    /// Subscribes `channel`, reported stale after `stale_after` without data (`None`:
    /// never). Subscribing a channel twice does nothing.
    pub fn subscribe_with(
        &mut self,
        channel: Channel,
        stale_after: Option<Duration>,
    ) -> Result<(), WsError> {
        if channel.is_private() {
            return Err(WsError::PrivateChannel(channel.to_string()));
        }
        if self
            .connections
            .iter()
            .any(|c| c.channels.contains(&channel))
        {
            return Ok(());
        }
        let sub = Sub::new(channel.clone(), stale_after);
        let max = self.config.max_subscriptions;
        let room = self
            .connections
            .iter_mut()
            .find(|c| c.channels.len() < max && !c.task.is_finished());
        match room {
            Some(connection) => {
                connection
                    .commands
                    .send(Command::Subscribe(sub))
                    .map_err(|_| WsError::Closed)?;
                connection.channels.push(channel);
            }
            None => {
                let (commands, receiver) = mpsc::unbounded_channel();
                let ctx = Ctx {
                    stream: StreamId::Market(self.connections.len()),
                    config: Arc::clone(&self.config),
                    connector: self.connector.clone(),
                    events: self.events.clone(),
                    decode_errors: Arc::clone(&self.decode_errors),
                    books: self.books.clone(),
                };
                let task = tokio::spawn(run_connection(ctx, vec![sub], receiver));
                self.connections.push(Connection {
                    commands,
                    channels: vec![channel],
                    task,
                });
            }
        }
        Ok(())
    }

    /// Subscribes every channel of `channels`, in order.
    pub fn subscribe_all(
        &mut self,
        channels: impl IntoIterator<Item = Channel>,
    ) -> Result<(), WsError> {
        channels.into_iter().try_for_each(|c| self.subscribe(c))
    }

    /// Unsubscribes `channel`; false when it was not subscribed.
    pub fn unsubscribe(&mut self, channel: &Channel) -> bool {
        let Some(connection) = self
            .connections
            .iter_mut()
            .find(|c| c.channels.contains(channel))
        else {
            return false;
        };
        connection.channels.retain(|c| c != channel);
        let _ = connection
            .commands
            .send(Command::Unsubscribe(channel.clone()));
        true
    }

    /// The subscribed channels, per connection in order.
    #[must_use]
    pub fn channels(&self) -> Vec<Vec<Channel>> {
        self.connections
            .iter()
            .map(|c| c.channels.clone())
            .collect()
    }

    /// Connections opened (or being opened).
    #[must_use]
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// Undecodable frames so far, over every connection.
    #[must_use]
    pub fn decode_errors(&self) -> u64 {
        self.decode_errors.load(Ordering::Relaxed)
    }

    /// Closes every connection and waits for them.
    pub async fn shutdown(self) {
        for connection in &self.connections {
            let _ = connection.commands.send(Command::Shutdown);
        }
        for connection in self.connections {
            let _ = connection.task.await;
        }
    }
}

/// One connection: sessions in a loop, with backoff between them.
async fn run_connection(
    ctx: Ctx,
    mut subs: Vec<Sub>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let mut backoff = Backoff::new(ctx.config.backoff);
    let mut attempt = 0_u32;
    let mut resync_since = None;
    loop {
        let url = ctx.config.url.clone();
        let outcome = session::run(
            &ctx,
            &url,
            None,
            &mut subs,
            &mut commands,
            &mut resync_since,
        )
        .await;
        if matches!(outcome.end, End::Shutdown | End::ConsumerGone) {
            return;
        }
        if !session::reconnect_after(
            &ctx,
            &outcome,
            &mut attempt,
            &mut backoff,
            &mut resync_since,
            &mut subs,
            &mut commands,
        )
        .await
        {
            return;
        }
    }
}
