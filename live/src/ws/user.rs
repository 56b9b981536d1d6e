//! [`UserStream`]: the account's user data stream (reference §6, fault-tests case 31).
//!
//! Creates a listenKey over REST, connects `…/ws?listenKey=KEY`, subscribes the three
//! private channels, keeps the key alive on a timer, and when the stream breaks or the key
//! expires (the server closes the stream, answers `Invalid listen key`, or refuses the
//! keep-alive) creates a new key and reconnects. Every break ends with
//! [`StreamEvent::ResyncNeeded`] once the new stream is subscribed: the runner then
//! reconciles orders and fills of the gap over REST. listenKeys are masked in every log,
//! event and error.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, interval_at};

use super::WsError;
use super::config::{Backoff, WsConfig};
use super::event::{StreamEvent, StreamId};
use super::session::{self, Command, Ctx, End, Outcome, Sub, masked};
use crate::proto::Channel;
use crate::rest::RestClient;
use crate::secret::mask;

/// Settings of the user data stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserStreamConfig {
    /// The WebSocket settings (the URL without the query; `stale_after` does not apply:
    /// private channels are quiet when nothing happens).
    pub ws: WsConfig,
    /// How often the listenKey is kept alive (MEXC: every 30 minutes; a key lives 60).
    pub keep_alive_every: Duration,
}

impl Default for UserStreamConfig {
    fn default() -> Self {
        Self {
            ws: WsConfig::default(),
            keep_alive_every: Duration::from_secs(30 * 60),
        }
    }
}

/// The running user data stream; its events arrive on the receiver returned by
/// [`UserStream::start`].
#[derive(Debug)]
pub struct UserStream {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

impl UserStream {
    /// Starts the stream (within a tokio runtime). `rest` must carry credentials.
    pub fn start(
        rest: Arc<RestClient>,
        config: UserStreamConfig,
    ) -> Result<(Self, mpsc::Receiver<StreamEvent>), WsError> {
        if config.keep_alive_every.is_zero() {
            return Err(WsError::Config(
                "keep_alive_every must be positive".to_owned(),
            ));
        }
        let connector = config.ws.connector()?;
        let (events, receiver) = mpsc::channel(config.ws.event_capacity);
        let ctx = Ctx {
            stream: StreamId::User,
            config: Arc::new(config.ws),
            connector,
            events,
            decode_errors: Arc::new(AtomicU64::new(0)),
            books: None,
        };
        let (commands, command_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(ctx, rest, config.keep_alive_every, command_rx));
        Ok((Self { commands, task }, receiver))
    }

    /// Closes the stream and its listenKey, and waits for it.
    pub async fn shutdown(self) {
        let _ = self.commands.send(Command::Shutdown);
        let _ = self.task.await;
    }
}

async fn run(
    ctx: Ctx,
    rest: Arc<RestClient>,
    keep_alive_every: Duration,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let stream = ctx.stream;
    let mut subs: Vec<Sub> = [
        Channel::PrivateOrders,
        Channel::PrivateDeals,
        Channel::PrivateAccount,
    ]
    .into_iter()
    .map(|c| Sub::new(c, None))
    .collect();
    let mut backoff = Backoff::new(ctx.config.backoff);
    let mut attempt = 0_u32;
    let mut resync_since = None;
    let mut key: Option<String> = None;
    let mut had_key = false;
    loop {
        let current = match key.clone() {
            Some(current) => current,
            None => match rest.create_listen_key().await {
                Ok(created) => {
                    tracing::info!(%stream, key = %mask(&created), "listenKey created");
                    if had_key
                        && !ctx
                            .emit(StreamEvent::ListenKeyRenewed {
                                key: mask(&created),
                            })
                            .await
                    {
                        return;
                    }
                    had_key = true;
                    key = Some(created.clone());
                    created
                }
                Err(error) => {
                    let error = format!("creating a listenKey: {error}");
                    tracing::warn!(%stream, %error, "user stream");
                    if !ctx
                        .emit(StreamEvent::ListenKeyError {
                            error: error.clone(),
                        })
                        .await
                    {
                        return;
                    }
                    let outcome = Outcome {
                        end: End::ConnectFailed(error),
                        healthy: false,
                    };
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
                    continue;
                }
            },
        };
        let url = format!("{}?listenKey={current}", ctx.config.url);
        let outcome = {
            let running = session::run(
                &ctx,
                &url,
                Some(&current),
                &mut subs,
                &mut commands,
                &mut resync_since,
            );
            tokio::pin!(running);
            let mut keep = interval_at(Instant::now() + keep_alive_every, keep_alive_every);
            loop {
                tokio::select! {
                    outcome = &mut running => break outcome,
                    _ = keep.tick() => {
                        if let Err(error) = rest.keep_alive_listen_key(&current).await {
                            let error = masked(&format!("keeping the listenKey alive: {error}"), Some(&current));
                            tracing::warn!(%stream, %error, "user stream: new listenKey needed");
                            if !ctx.emit(StreamEvent::ListenKeyError { error: error.clone() }).await {
                                return;
                            }
                            key = None;
                            break Outcome { end: End::Closed(error), healthy: true };
                        }
                        tracing::debug!(%stream, key = %mask(&current), "listenKey kept alive");
                    }
                }
            }
        };
        match &outcome.end {
            End::Shutdown | End::ConsumerGone => {
                if let Err(error) = rest.close_listen_key(&current).await {
                    let error = masked(&error.to_string(), Some(&current));
                    tracing::debug!(%stream, %error, "closing the listenKey");
                }
                return;
            }
            End::InvalidListenKey => key = None,
            _ if key.is_some() => {
                // The stream broke: is the key still good?
                if let Err(error) = rest.keep_alive_listen_key(&current).await {
                    let error = masked(&error.to_string(), Some(&current));
                    tracing::info!(%stream, %error, "listenKey no longer valid: a new one is needed");
                    key = None;
                }
            }
            _ => {}
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
