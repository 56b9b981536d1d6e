//! The runner process: many bots, each on its own task, fed from shared market-data
//! connections (one kline subscription per symbol and interval, whatever the number of
//! bots on it) and one user data stream for the live bots.
//!
//! Start-up: the journal is opened (and its log verified), every bot whose record says it
//! runs or is paused is rebuilt from its journal entries, and each live bot settles its
//! working orders with the exchange before it gets a bar: a bot whose reconciliation fails
//! does not trade, says why in its status, and tries again at the next bar. Bots can be
//! added while the process runs ([`Runner::add_bot`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use vela_core::engine::{AlertLevel, BotId, BotState, Control};
use vela_core::strategy::Registry;
use vela_core::types::{Symbol, Timestamp};

mod audit;
mod routing;

pub use audit::UnknownOrder;

use super::RunnerError;
use super::announce::Announcer;
use super::balances::LiveHoldings;
use super::bot::{Bot, BotInput, BotStatus, RunnerEvent};
use super::config::RunnerConfig;
use super::spec::BotSpec;
use super::store::{JournalHandle, JournalThread};
use super::venue::LiveVenue;
use crate::alerts::{Notice, Notifier};
use crate::journal::{BotMode, BotRecord, Journal};
use crate::proto::{Channel, KlineInterval};
use crate::rest::RestClient;
use crate::secret::Credentials;
use crate::ws::{MarketStreams, UserStream, UserStreamConfig, WsConfig};
use routing::{route_market, route_user};

/// One running bot as the process sees it.
#[derive(Debug, Clone)]
struct BotSlot {
    inbox: mpsc::Sender<BotInput>,
    status: watch::Receiver<BotStatus>,
    spec: BotSpec,
}

type Routes = BTreeMap<(Symbol, KlineInterval), Vec<mpsc::Sender<BotInput>>>;

/// What the runner's tasks and handles share.
#[derive(Debug)]
struct Shared {
    registry: Registry,
    config: RunnerConfig,
    journal: JournalHandle,
    journal_thread: Mutex<Option<JournalThread>>,
    rest: Arc<RestClient>,
    has_credentials: bool,
    bots: RwLock<BTreeMap<BotId, BotSlot>>,
    routes: Arc<RwLock<Routes>>,
    market: tokio::sync::Mutex<Option<MarketStreams>>,
    user: tokio::sync::Mutex<Option<UserStream>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    acknowledged: watch::Sender<usize>,
    subscriptions: AtomicUsize,
    events: Announcer,
    /// Decision latencies of every bot, µs.
    latencies: Arc<Mutex<Vec<u32>>>,
    /// Set when the process stops: the alert task sends what is queued and ends.
    stopping: watch::Sender<bool>,
    alert_task: Mutex<Option<JoinHandle<()>>>,
    /// What the live bots hold, for the balance check of their reconciliation.
    live_holdings: LiveHoldings,
    /// Open orders no bot placed, as the latest audits found them.
    unknown_orders: Mutex<Vec<UnknownOrder>>,
}

/// A running runner (clones are handles on the same process).
#[derive(Debug, Clone)]
pub struct Runner {
    shared: Arc<Shared>,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl Runner {
    /// Opens the journal, rebuilds and reconciles the bots that were running, connects the
    /// market data they need and starts them (within a tokio runtime).
    ///
    /// # Errors
    /// The journal cannot be opened or is corrupt, a stored bot cannot be read or rebuilt,
    /// live bots exist but the credentials cannot be read, or a stream cannot start.
    pub async fn start(config: RunnerConfig, registry: &Registry) -> Result<Self, RunnerError> {
        let journal = Journal::open(&config.journal.path).map_err(RunnerError::Journal)?;
        let records = journal.bots().map_err(RunnerError::Journal)?;
        let (journal_thread, handle) = JournalThread::start(journal)?;
        let mut specs = Vec::new();
        for record in records {
            if !matches!(record.state, BotState::Running | BotState::Paused) {
                continue;
            }
            let spec =
                BotSpec::from_toml_str(&record.config, registry).map_err(|e| RunnerError::Bot {
                    bot: record.id.to_string(),
                    reason: format!("stored configuration: {e}"),
                })?;
            specs.push(spec);
        }
        let any_live = specs.iter().any(|s| s.mode == BotMode::Live);
        let credentials: Option<Credentials> = match (&config.credentials, any_live) {
            (Some(c), _) => Some(c.load()?),
            (None, true) => {
                return Err(RunnerError::Config(
                    "live bots need [credentials] in vela.toml".to_owned(),
                ));
            }
            (None, false) => None,
        };
        let has_credentials = credentials.is_some();
        let rest = Arc::new(
            RestClient::new(config.exchange.rest_config(), credentials)
                .map_err(|e| RunnerError::Exchange(e.to_string()))?,
        );
        if any_live && let Err(e) = rest.sync_time().await {
            // Not fatal: live bots reconcile before trading, and do not trade while the
            // exchange cannot be reached (fault-tests case 22).
            tracing::error!(error = %e, "synchronising the clock with the exchange failed");
        }
        let (events, alerts) = Announcer::new();
        let runner = Self {
            shared: Arc::new(Shared {
                registry: registry.clone(),
                config,
                journal: handle,
                journal_thread: Mutex::new(Some(journal_thread)),
                rest,
                has_credentials,
                bots: RwLock::new(BTreeMap::new()),
                routes: Arc::new(RwLock::new(BTreeMap::new())),
                market: tokio::sync::Mutex::new(None),
                user: tokio::sync::Mutex::new(None),
                tasks: Mutex::new(Vec::new()),
                acknowledged: watch::Sender::new(0),
                subscriptions: AtomicUsize::new(0),
                events,
                latencies: Arc::new(Mutex::new(Vec::new())),
                stopping: watch::Sender::new(false),
                alert_task: Mutex::new(None),
                live_holdings: LiveHoldings::default(),
                unknown_orders: Mutex::new(Vec::new()),
            }),
        };
        runner.start_alerts(alerts)?;
        // Every bot is rebuilt before any reconciles, so the balance check sees what all
        // the live bots hold.
        let mut prepared = Vec::new();
        for spec in specs {
            prepared.push(runner.prepare(spec).await?);
        }
        for bot in prepared {
            runner.activate(bot).await;
        }
        if any_live {
            runner.audit_reporting_failure().await;
        }
        runner.start_periodic_audit();
        Ok(runner)
    }

    /// Audits the account for open orders no bot placed every `[reconcile]
    /// audit_every_secs` until the runner stops (an order placed by hand while it runs is
    /// found within that time); an order already reported is not alerted again.
    fn start_periodic_audit(&self) {
        let every = self.shared.config.reconcile.audit_every_secs;
        if every == 0 {
            return;
        }
        // A weak hold: a runner dropped without a shutdown is not kept alive by its audit.
        let shared = Arc::downgrade(&self.shared);
        let mut stopping = self.shared.stopping.subscribe();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_secs(every));
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // The first tick is now: the start-up audit has just run.
            ticks.tick().await;
            loop {
                let due = tokio::select! {
                    _ = ticks.tick() => true,
                    _ = stopping.wait_for(|s| *s) => false,
                };
                let Some(shared) = shared.upgrade().filter(|_| due) else {
                    break;
                };
                Self { shared }.audit_reporting_failure().await;
            }
        });
    }

    /// [`Runner::audit_open_orders`], a failure logged and alerted rather than returned.
    async fn audit_reporting_failure(&self) {
        if let Err(e) = self.audit_open_orders().await {
            tracing::error!(error = %e, "the audit of open orders failed");
            self.shared.events.send(RunnerEvent::alert(
                None,
                AlertLevel::Critical,
                "reconciliation",
                format!("the audit of open orders failed: {e}"),
            ));
        }
    }

    /// Sends every alert to the configured channels (webhook, Telegram, email), with storm
    /// control; every alert is also logged.
    fn start_alerts(&self, mut alerts: mpsc::Receiver<Box<Notice>>) -> Result<(), RunnerError> {
        let config = &self.shared.config.alerts;
        let channels = config.channels()?;
        let window_ms = i64::try_from(config.window_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let mut notifier = Notifier::new(channels, config.burst, window_ms)
            .map_err(|e| RunnerError::Config(format!("alerts: {e}")))?;
        let mut stopping = self.shared.stopping.subscribe();
        let task = tokio::spawn(async move {
            loop {
                let notice = tokio::select! {
                    notice = alerts.recv() => notice,
                    _ = stopping.wait_for(|s| *s) => None,
                };
                let Some(notice) = notice else {
                    // Send what is queued, then end.
                    while let Ok(notice) = alerts.try_recv() {
                        notifier.notify(&notice).await;
                    }
                    break;
                };
                tracing::warn!(alert = %notice.text(0), "alert");
                notifier.notify(&notice).await;
            }
        });
        *self
            .shared
            .alert_task
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(task);
        Ok(())
    }

    /// Builds a bot, rebuilds it from its journal entries, connects what it needs and
    /// starts its task; a live bot's arrival is followed by an audit of open orders.
    async fn launch(&self, spec: BotSpec) -> Result<(), RunnerError> {
        let live = spec.mode == BotMode::Live;
        let bot = self.prepare(spec).await?;
        self.activate(bot).await;
        if live {
            self.audit_reporting_failure().await;
        }
        Ok(())
    }

    /// Builds a bot, rebuilds it from its journal entries and connects what it needs.
    async fn prepare(&self, spec: BotSpec) -> Result<Bot, RunnerError> {
        let shared = &self.shared;
        let live = (spec.mode == BotMode::Live).then(|| {
            LiveVenue::new(
                Arc::clone(&shared.rest),
                shared.config.exchange.settle_wait(),
            )
        });
        if live.is_some() && !shared.has_credentials {
            return Err(RunnerError::Config(
                "live bots need [credentials] in vela.toml".to_owned(),
            ));
        }
        let (mut bot, inbox, status) = Bot::new(
            spec.clone(),
            &shared.registry,
            shared.journal.clone(),
            live,
            true,
        )?;
        bot.events = Some(shared.events.clone());
        bot.latencies = Some(Arc::clone(&shared.latencies));
        if spec.mode == BotMode::Live {
            bot.live_holdings = Some(Arc::clone(&shared.live_holdings));
        }
        bot.fiscal_log = Some(
            shared
                .config
                .journal
                .log_dir()
                .join(spec.bot.bot_id.as_str())
                .join("fiscal.csv"),
        );
        let id = bot.id().clone();
        let entries = shared
            .journal
            .call({
                let id = id.clone();
                move |j| j.entries(1, Some(&id))
            })
            .await?;
        bot.restore(&entries).await?;
        bot.publish_status();
        // The configuration in effect: the stored one with the operator's changes since.
        let mut effective = spec.clone();
        effective.bot = bot.config().clone();
        write(&shared.bots).insert(
            id.clone(),
            BotSlot {
                inbox: inbox.clone(),
                status,
                spec: effective,
            },
        );
        let channels: Vec<Channel> = {
            let mut routes = write(&shared.routes);
            bot.symbols()
                .iter()
                .filter_map(|symbol| {
                    let key = (symbol.clone(), spec.interval);
                    let fresh = !routes.contains_key(&key);
                    routes.entry(key).or_default().push(inbox.clone());
                    fresh.then(|| Channel::Kline {
                        symbol: symbol.clone(),
                        interval: spec.interval,
                    })
                })
                .collect()
        };
        self.subscribe(channels).await?;
        if spec.mode == BotMode::Live {
            self.connect_user().await?;
        }
        Ok(bot)
    }

    /// Reconciles a live bot with the exchange (a failure blocks it, with the reason in
    /// its status) and starts its task.
    async fn activate(&self, mut bot: Bot) {
        if bot.is_live()
            && let Err(e) = bot.reconcile().await
        {
            tracing::error!(bot = %bot.id(), error = %e, "reconciliation failed: the bot does not trade");
            bot.set_blocked(Some(format!("reconciliation failed: {e}")));
        }
        let task = tokio::spawn(bot.run());
        self.shared
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(task);
    }

    /// Adds a bot while the process runs: written to the journal (running unless `paused`),
    /// then started as at start-up.
    ///
    /// # Errors
    /// The specification is invalid, a bot with its id exists, the journal failed, or the
    /// bot cannot start.
    pub async fn add_bot(&self, spec: BotSpec, start: bool) -> Result<BotStatus, RunnerError> {
        spec.validate(&self.shared.registry)?;
        let record = record_of(
            &spec,
            if start {
                BotState::Running
            } else {
                BotState::Created
            },
        )?;
        self.shared
            .journal
            .call(move |j| j.add_bot(&record))
            .await?;
        let id = spec.bot.bot_id.clone();
        if start {
            self.launch(spec).await?;
        }
        Ok(self
            .status(&id)
            .unwrap_or_else(|| idle_status(BotState::Created)))
    }

    async fn subscribe(&self, channels: Vec<Channel>) -> Result<(), RunnerError> {
        if channels.is_empty() {
            return Ok(());
        }
        let mut market = self.shared.market.lock().await;
        if market.is_none() {
            let (streams, events) = MarketStreams::new(self.ws_config())
                .map_err(|e| RunnerError::Exchange(e.to_string()))?;
            *market = Some(streams);
            let task = tokio::spawn(route_market(
                events,
                Arc::clone(&self.shared.routes),
                self.shared.acknowledged.clone(),
                self.shared.events.clone(),
            ));
            self.shared
                .tasks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(task);
        }
        if let Some(streams) = market.as_mut() {
            for channel in channels {
                streams
                    .subscribe(channel)
                    .map_err(|e| RunnerError::Exchange(e.to_string()))?;
                self.shared.subscriptions.fetch_add(1, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    fn ws_config(&self) -> WsConfig {
        WsConfig {
            url: self.shared.config.exchange.ws_url.clone(),
            ..WsConfig::default()
        }
    }

    async fn connect_user(&self) -> Result<(), RunnerError> {
        let mut user = self.shared.user.lock().await;
        if user.is_some() {
            return Ok(());
        }
        let (stream, events) = UserStream::start(
            Arc::clone(&self.shared.rest),
            UserStreamConfig {
                ws: self.ws_config(),
                ..UserStreamConfig::default()
            },
        )
        .map_err(|e| RunnerError::Exchange(e.to_string()))?;
        *user = Some(stream);
        self.shared.subscriptions.fetch_add(3, Ordering::SeqCst);
        let task = tokio::spawn(route_user(events, Arc::clone(&self.shared)));
        self.shared
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(task);
        Ok(())
    }

    /// Waits until the exchange has acknowledged every subscription asked for so far
    /// (market klines and the user stream's channels) or `timeout` passes; returns whether
    /// it did.
    pub async fn wait_subscribed(&self, timeout: Duration) -> bool {
        let wanted = self.shared.subscriptions.load(Ordering::SeqCst);
        let mut acknowledged = self.shared.acknowledged.subscribe();
        tokio::time::timeout(timeout, acknowledged.wait_for(|n| *n >= wanted))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// The decision latencies recorded since the last call (frame received → order handed
    /// to the venue, µs), taken out.
    #[must_use]
    pub fn take_decision_latencies(&self) -> Vec<u32> {
        std::mem::take(
            &mut *self
                .shared
                .latencies
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// The bots running, by id.
    #[must_use]
    pub fn bot_ids(&self) -> Vec<BotId> {
        read(&self.shared.bots).keys().cloned().collect()
    }

    /// A running bot's status.
    #[must_use]
    pub fn status(&self, bot: &BotId) -> Option<BotStatus> {
        read(&self.shared.bots)
            .get(bot)
            .map(|slot| slot.status.borrow().clone())
    }

    /// A running bot's specification, with the strategy parameters in effect.
    #[must_use]
    pub fn spec(&self, bot: &BotId) -> Option<BotSpec> {
        read(&self.shared.bots)
            .get(bot)
            .map(|slot| slot.spec.clone())
    }

    /// A watch on a bot's status (changes after every bar time and instruction).
    #[must_use]
    pub fn watch(&self, bot: &BotId) -> Option<watch::Receiver<BotStatus>> {
        read(&self.shared.bots)
            .get(bot)
            .map(|slot| slot.status.clone())
    }

    /// Status changes and order reports of every bot, as they happen.
    #[must_use]
    pub fn events(&self) -> broadcast::Receiver<RunnerEvent> {
        self.shared.events.subscribe()
    }

    /// The journal.
    #[must_use]
    pub fn journal(&self) -> &JournalHandle {
        &self.shared.journal
    }

    /// Gives a bot an instruction (start, pause, resume, stop, kill); returns its state
    /// after. A stored bot that is not running is started by `Start` or `Resume`.
    ///
    /// # Errors
    /// No such bot, its task has ended, or the engine refused the instruction.
    pub async fn control(&self, bot: &BotId, control: Control) -> Result<BotState, RunnerError> {
        let slot = read(&self.shared.bots).get(bot).cloned();
        let slot = match slot {
            Some(slot) => slot,
            None if matches!(control, Control::Start | Control::Resume) => {
                return self.start_stored(bot).await;
            }
            None => {
                return Err(RunnerError::Bot {
                    bot: bot.to_string(),
                    reason: "no such bot is running".to_owned(),
                });
            }
        };
        let (reply, answer) = oneshot::channel();
        let gone = || RunnerError::Bot {
            bot: bot.to_string(),
            reason: "its task has ended".to_owned(),
        };
        slot.inbox
            .send(BotInput::Control { control, reply })
            .await
            .map_err(|_| gone())?;
        let (state, config) =
            answer
                .await
                .map_err(|_| gone())?
                .map_err(|reason| RunnerError::Bot {
                    bot: bot.to_string(),
                    reason,
                })?;
        if let Some(slot) = write(&self.shared.bots).get_mut(bot) {
            slot.spec.bot = *config;
        }
        Ok(state)
    }

    async fn start_stored(&self, bot: &BotId) -> Result<BotState, RunnerError> {
        let id = bot.clone();
        let record = self
            .shared
            .journal
            .call(move |j| j.bot(&id))
            .await?
            .ok_or_else(|| RunnerError::Bot {
                bot: bot.to_string(),
                reason: "no such bot in the journal".to_owned(),
            })?;
        if record.state == BotState::Killed {
            return Err(RunnerError::Bot {
                bot: bot.to_string(),
                reason: "it was killed; a killed bot never trades again (copy its configuration \
                         into a new bot)"
                    .to_owned(),
            });
        }
        let spec = BotSpec::from_toml_str(&record.config, &self.shared.registry)?;
        let id = bot.clone();
        self.shared
            .journal
            .call(move |j| {
                j.set_bot_state(
                    &id,
                    BotState::Running,
                    "started by the operator",
                    Timestamp(0),
                )
            })
            .await?;
        self.launch(spec).await?;
        Ok(self
            .status(bot)
            .map_or(BotState::Created, |status| status.state))
    }

    /// The global kill switch: every bot cancels its resting orders and stops for good
    /// (positions are kept). Returns each bot's outcome.
    pub async fn kill_all(&self) -> Vec<(BotId, Result<BotState, RunnerError>)> {
        let mut out = Vec::new();
        for id in self.bot_ids() {
            let outcome = self.control(&id, Control::Kill { global: true }).await;
            out.push((id, outcome));
        }
        out
    }

    /// Stops the process: with `cancel_resting`, every bot first stops and cancels its
    /// resting orders; then the streams close, each bot finishes the input in hand, and the
    /// journal is closed after its last write.
    pub async fn shutdown(self, cancel_resting: bool) {
        if cancel_resting {
            for id in self.bot_ids() {
                if let Err(e) = self
                    .control(
                        &id,
                        Control::Stop {
                            cancel_resting: true,
                        },
                    )
                    .await
                {
                    tracing::warn!(bot = %id, error = %e, "stop at shutdown failed");
                }
            }
        }
        let shared = &self.shared;
        if let Some(market) = shared.market.lock().await.take() {
            market.shutdown().await;
        }
        if let Some(user) = shared.user.lock().await.take() {
            user.shutdown().await;
        }
        write(&shared.bots).clear();
        write(&shared.routes).clear();
        let tasks: Vec<JoinHandle<()>> = shared
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        for task in tasks {
            let _ = task.await;
        }
        // The bots are done: the alert task sends what they raised last, then ends.
        shared.stopping.send_replace(true);
        let alerts = shared
            .alert_task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = alerts {
            let _ = task.await;
        }
        let thread = shared
            .journal_thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        shared.journal.close();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// A stored bot's record.
///
/// # Errors
/// The specification cannot be written as TOML.
pub fn record_of(spec: &BotSpec, state: BotState) -> Result<BotRecord, RunnerError> {
    Ok(BotRecord {
        id: spec.bot.bot_id.clone(),
        mode: spec.mode,
        state,
        reason: "added".to_owned(),
        config: spec.to_toml_string()?,
        created: Timestamp(0),
        updated: Timestamp(0),
    })
}

fn idle_status(state: BotState) -> BotStatus {
    BotStatus {
        state,
        mode: BotMode::Paper,
        last_bar: None,
        bar_times: 0,
        bars_seen: 0,
        equity: rust_decimal::Decimal::ZERO,
        realized: rust_decimal::Decimal::ZERO,
        holdings: BTreeMap::new(),
        blocked: None,
    }
}
