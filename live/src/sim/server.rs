//! The simulator as a server on loopback: the REST router (and the WebSocket router the
//! caller adds), the replay clock, and a handle to drive it from tests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::faults::{FaultState, Faults};
use super::feed::Feed;
use super::listen_keys::ListenKeys;
use super::publish::{Publisher, system_clock};
use super::rest::{PushSink, RestShared, router};
use super::state::{SetupError, SimSetup, SimState};
use super::stream::{self, StreamConfig, StreamShared};

/// How fast the replay runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// Only when told: [`SimServer::step`] (tests).
    Manual,
    /// One bar per bar length of wall time.
    RealTime,
    /// `n` times real time (e.g. 60: a one-minute bar per second).
    Times(f64),
}

impl Speed {
    /// Wall time between two bars of `interval_ms`, or `None` for manual stepping.
    #[must_use]
    pub fn period(self, interval_ms: i64) -> Option<Duration> {
        let ms = u64::try_from(interval_ms).unwrap_or(0);
        match self {
            Self::Manual => None,
            Self::RealTime => Some(Duration::from_millis(ms)),
            Self::Times(factor) => Some(Duration::from_secs_f64(
                ms as f64 / 1_000.0 / factor.max(1e-9),
            )),
        }
    }
}

/// Settings of the server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Replay speed.
    pub speed: Speed,
    /// Faults in force from the start.
    pub faults: FaultState,
    /// Seed of the fault rates.
    pub seed: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            speed: Speed::Manual,
            faults: FaultState {
                server_error_status: 503,
                retry_after_secs: 1,
                ..FaultState::default()
            },
            seed: 0,
        }
    }
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The setup was refused.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The address could not be bound.
    #[error("simulator: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The wall clock, ms since the epoch.
#[must_use]
pub fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A running simulator.
#[derive(Debug)]
pub struct SimServer {
    addr: SocketAddr,
    shared: Arc<RestShared>,
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl SimServer {
    /// Starts serving `setup` as `config` says. `publish` receives every push (the
    /// WebSocket half's feed); `extra` is merged into the router (the WebSocket routes),
    /// built from the shared fault switches and listenKeys.
    pub async fn start(
        setup: SimSetup,
        config: ServerConfig,
        publish: PushSink,
        extra: impl FnOnce(Arc<Faults>, Arc<ListenKeys>) -> Router,
    ) -> Result<Self, ServerError> {
        let state = SimState::new(setup)?;
        let interval_ms = state.interval_ms();
        let faults = Arc::new(Faults::new(config.faults.clone(), config.seed));
        let listen_keys = Arc::new(ListenKeys::default());
        let shared = Arc::new(RestShared {
            state: Mutex::new(state),
            faults: Arc::clone(&faults),
            listen_keys: Arc::clone(&listen_keys),
            publish,
            wall_clock: wall_clock_ms,
        });
        let app = router(Arc::clone(&shared)).merge(extra(faults, listen_keys));
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: config.bind,
            source,
        })?;
        let (stop, mut stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        let mut server_stop = stop.subscribe();
        tasks.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = server_stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "simulator server stopped");
            }
        }));
        if let Some(period) = config.speed.period(interval_ms) {
            let clock = Arc::clone(&shared);
            tasks.push(tokio::spawn(async move {
                let mut ticker = tokio::time::interval(period);
                loop {
                    tokio::select! {
                        _ = ticker.tick() => {
                            if step_once(&clock) == StepResult::Finished {
                                tracing::info!("simulator: replay finished");
                                break;
                            }
                        }
                        _ = stopped.wait_for(|s| *s) => break,
                    }
                }
            }));
        }
        Ok(Self {
            addr,
            shared,
            stop,
            tasks: Mutex::new(tasks),
        })
    }

    /// Starts the whole simulator: the REST half and the WebSocket half (`/ws`, MEXC's
    /// limits) on one port, every push published to the WebSocket clients.
    pub async fn start_serving(setup: SimSetup, config: ServerConfig) -> Result<Self, ServerError> {
        let feed = Feed::new();
        let publisher = Arc::new(Publisher::new(feed.clone(), system_clock()));
        Self::start(
            setup,
            config,
            publisher.sink(),
            move |faults, listen_keys| {
                stream::router(StreamShared {
                    feed,
                    faults,
                    listen_keys,
                    config: StreamConfig::default(),
                    clock: system_clock(),
                })
            },
        )
        .await
    }

    /// The address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The REST base URL, e.g. `http://127.0.0.1:41234`.
    #[must_use]
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The WebSocket URL, e.g. `ws://127.0.0.1:41234/ws`.
    #[must_use]
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The fault switches.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Advances the replay by up to `bars` bar times; returns how many were opened or
    /// completed (fewer once the replay ends).
    pub fn step(&self, bars: usize) -> usize {
        (0..bars)
            .take_while(|_| step_once(&self.shared) == StepResult::Stepped)
            .count()
    }

    /// Runs `read` on the state (balances, orders, the market clock).
    pub fn inspect<R>(&self, read: impl FnOnce(&SimState) -> R) -> R {
        read(&self.shared.lock())
    }

    /// Stops serving and waits for the tasks to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(
            &mut *self
                .tasks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for task in tasks {
            let _ = task.await;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StepResult {
    Stepped,
    Finished,
}

fn step_once(shared: &RestShared) -> StepResult {
    let (out, finished_before) = {
        let mut state = shared.lock();
        let finished_before = state.finished();
        (state.step(), finished_before)
    };
    if !out.is_empty() {
        (shared.publish)(out);
    }
    if finished_before {
        StepResult::Finished
    } else {
        StepResult::Stepped
    }
}
