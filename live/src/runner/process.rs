//! The runner process: many bots, each on its own task, fed from shared market-data
//! connections (one kline subscription per symbol and interval, whatever the number of
//! bots on it) and one user data stream for the live bots.
//!
//! Start-up: the journal is opened (and its log verified), every bot whose record says it
//! runs or is paused is rebuilt from its journal entries, and each live bot settles its
//! working orders with the exchange before it gets a bar: a bot whose reconciliation fails
//! does not trade, says why in its status, and tries again at the next bar.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use vela_core::engine::{BotId, BotState, Control};
use vela_core::strategy::Registry;
use vela_core::types::Symbol;

use super::RunnerError;
use super::bot::{Bot, BotInput, BotStatus, Venue};
use super::config::RunnerConfig;
use super::klines::{KlineNews, KlineTracker};
use super::spec::BotSpec;
use super::store::{JournalHandle, JournalThread};
use super::venue::LiveVenue;
use crate::journal::{BotMode, Journal};
use crate::proto::{Channel, KlineInterval, PushBody};
use crate::rest::{RestClient, RestConfig};
use crate::ws::{MarketStreams, StreamEvent, UserStream, UserStreamConfig, WsConfig};

/// One running bot as the process sees it.
#[derive(Debug)]
struct BotSlot {
    inbox: mpsc::Sender<BotInput>,
    status: watch::Receiver<BotStatus>,
    symbols: Vec<Symbol>,
    interval: KlineInterval,
    mode: BotMode,
}

/// A running runner.
#[derive(Debug)]
pub struct Runner {
    bots: BTreeMap<BotId, BotSlot>,
    tasks: Vec<JoinHandle<()>>,
    market: Option<MarketStreams>,
    user: Option<UserStream>,
    journal: Option<JournalHandle>,
    journal_thread: Option<JournalThread>,
    /// Subscriptions the exchange acknowledged so far, and how many were asked for.
    acknowledged: watch::Sender<usize>,
    subscriptions: usize,
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
            let spec = BotSpec::from_toml_str(&record.config, registry).map_err(|e| {
                RunnerError::Bot {
                    bot: record.id.to_string(),
                    reason: format!("stored configuration: {e}"),
                }
            })?;
            specs.push(spec);
        }
        let any_live = specs.iter().any(|s| s.mode == BotMode::Live);
        let credentials = match (&config.credentials, any_live) {
            (Some(c), true) => Some(c.load()?),
            (None, true) => {
                return Err(RunnerError::Config(
                    "live bots need [credentials] in vela.toml".to_owned(),
                ));
            }
            _ => None,
        };
        let rest = Arc::new(
            RestClient::new(
                RestConfig {
                    base_url: config.exchange.rest_url.clone(),
                    recv_window_ms: config.exchange.recv_window_ms,
                    ..RestConfig::default()
                },
                credentials,
            )
            .map_err(|e| RunnerError::Exchange(e.to_string()))?,
        );
        if any_live {
            rest.sync_time()
                .await
                .map_err(|e| RunnerError::Exchange(format!("synchronising the clock: {e}")))?;
        }
        let mut runner = Self {
            bots: BTreeMap::new(),
            tasks: Vec::new(),
            market: None,
            user: None,
            journal: Some(handle.clone()),
            journal_thread: Some(journal_thread),
            acknowledged: watch::Sender::new(0),
            subscriptions: 0,
        };
        let mut bots = Vec::new();
        for spec in specs {
            let live = (spec.mode == BotMode::Live)
                .then(|| LiveVenue::new(Arc::clone(&rest), config.exchange.settle_wait()));
            let (mut bot, inbox, status) = Bot::new(spec.clone(), registry, handle.clone(), live, true)?;
            let id = bot.id().clone();
            let entries = handle
                .call({
                    let id = id.clone();
                    move |j| j.entries(1, Some(&id))
                })
                .await?;
            bot.restore(&entries).await?;
            runner.bots.insert(
                id,
                BotSlot {
                    inbox,
                    status,
                    symbols: bot.symbols().to_vec(),
                    interval: spec.interval,
                    mode: spec.mode,
                },
            );
            bots.push(bot);
        }
        let ws = WsConfig {
            url: config.exchange.ws_url.clone(),
            ..WsConfig::default()
        };
        runner.connect_market(&ws)?;
        if any_live {
            runner.connect_user(&rest, &ws)?;
        }
        for mut bot in bots {
            if let Err(e) = bot.reconcile().await {
                tracing::error!(bot = %bot.id(), error = %e, "reconciliation failed: the bot does not trade");
                bot.set_blocked(Some(format!("reconciliation failed: {e}")));
            }
            runner.tasks.push(tokio::spawn(bot.run()));
        }
        Ok(runner)
    }

    fn connect_market(&mut self, ws: &WsConfig) -> Result<(), RunnerError> {
        let mut routes: BTreeMap<(Symbol, KlineInterval), Vec<mpsc::Sender<BotInput>>> =
            BTreeMap::new();
        for slot in self.bots.values() {
            for symbol in &slot.symbols {
                routes
                    .entry((symbol.clone(), slot.interval))
                    .or_default()
                    .push(slot.inbox.clone());
            }
        }
        if routes.is_empty() {
            return Ok(());
        }
        let (mut streams, mut events) =
            MarketStreams::new(ws.clone()).map_err(|e| RunnerError::Exchange(e.to_string()))?;
        for (symbol, interval) in routes.keys() {
            streams
                .subscribe(Channel::Kline {
                    symbol: symbol.clone(),
                    interval: *interval,
                })
                .map_err(|e| RunnerError::Exchange(e.to_string()))?;
        }
        self.market = Some(streams);
        self.subscriptions += routes.len();
        let acknowledged = self.acknowledged.clone();
        self.tasks.push(tokio::spawn(async move {
            let mut trackers: BTreeMap<KlineInterval, KlineTracker> = BTreeMap::new();
            while let Some(event) = events.recv().await {
                if let StreamEvent::Subscribed { .. } = event {
                    acknowledged.send_modify(|n| *n += 1);
                }
                let StreamEvent::Data { push, .. } = event else {
                    continue;
                };
                let (Some(symbol), PushBody::Kline(kline)) = (&push.symbol, &push.body) else {
                    continue;
                };
                let news = trackers
                    .entry(kline.interval)
                    .or_default()
                    .on_kline(symbol, kline);
                let KlineNews::Completed { bar, missed } = news else {
                    continue;
                };
                if missed > 0 {
                    tracing::warn!(%symbol, missed, "kline windows without any push");
                }
                if let Some(inboxes) = routes.get(&(symbol.clone(), kline.interval)) {
                    for inbox in inboxes {
                        let _ = inbox
                            .send(BotInput::Bar {
                                symbol: symbol.clone(),
                                bar,
                            })
                            .await;
                    }
                }
            }
        }));
        Ok(())
    }

    fn connect_user(&mut self, rest: &Arc<RestClient>, ws: &WsConfig) -> Result<(), RunnerError> {
        let (user, mut events) = UserStream::start(
            Arc::clone(rest),
            UserStreamConfig {
                ws: ws.clone(),
                ..UserStreamConfig::default()
            },
        )
        .map_err(|e| RunnerError::Exchange(e.to_string()))?;
        self.user = Some(user);
        self.subscriptions += 3;
        let acknowledged = self.acknowledged.clone();
        let inboxes: BTreeMap<String, mpsc::Sender<BotInput>> = self
            .bots
            .iter()
            .filter(|(_, slot)| slot.mode == BotMode::Live)
            .map(|(id, slot)| (id.to_string(), slot.inbox.clone()))
            .collect();
        self.tasks.push(tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let (client_id, input) = match event {
                    StreamEvent::Data { push, .. } => match push.body {
                        PushBody::PrivateOrder(update) => {
                            (update.client_id.clone(), BotInput::Order(Box::new(update)))
                        }
                        PushBody::PrivateDeal(deal) => {
                            (deal.client_order_id.clone(), BotInput::Deal(Box::new(deal)))
                        }
                        _ => continue,
                    },
                    StreamEvent::Subscribed { .. } => {
                        acknowledged.send_modify(|n| *n += 1);
                        continue;
                    }
                    StreamEvent::ResyncNeeded { .. } => {
                        for inbox in inboxes.values() {
                            let _ = inbox.send(BotInput::Resync).await;
                        }
                        continue;
                    }
                    _ => continue,
                };
                // Client order ids are `<bot id>-<sequence>`.
                let owner = client_id
                    .as_deref()
                    .and_then(|id| id.rsplit_once('-'))
                    .map(|(bot, _)| bot);
                match owner.and_then(|bot| inboxes.get(bot)) {
                    Some(inbox) => {
                        let _ = inbox.send(input).await;
                    }
                    None => tracing::debug!(?client_id, "user-stream news about an order of no bot here"),
                }
            }
        }));
        Ok(())
    }

    /// Waits until the exchange has acknowledged every subscription (market klines and the
    /// user stream's channels) or `timeout` passes; returns whether it did.
    pub async fn wait_subscribed(&self, timeout: std::time::Duration) -> bool {
        let wanted = self.subscriptions;
        let mut acknowledged = self.acknowledged.subscribe();
        tokio::time::timeout(timeout, acknowledged.wait_for(|n| *n >= wanted))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// The bots running, by id.
    #[must_use]
    pub fn bot_ids(&self) -> Vec<BotId> {
        self.bots.keys().cloned().collect()
    }

    /// A bot's status.
    #[must_use]
    pub fn status(&self, bot: &BotId) -> Option<BotStatus> {
        self.bots.get(bot).map(|slot| slot.status.borrow().clone())
    }

    /// A watch on a bot's status (changes after every bar time and instruction).
    #[must_use]
    pub fn watch(&self, bot: &BotId) -> Option<watch::Receiver<BotStatus>> {
        self.bots.get(bot).map(|slot| slot.status.clone())
    }

    /// Gives a bot an instruction (pause, resume, stop, kill); returns its state after.
    ///
    /// # Errors
    /// No such bot, its task has ended, or the engine refused the instruction.
    pub async fn control(&self, bot: &BotId, control: Control) -> Result<BotState, RunnerError> {
        let slot = self.bots.get(bot).ok_or_else(|| RunnerError::Bot {
            bot: bot.to_string(),
            reason: "no such bot is running".to_owned(),
        })?;
        let (reply, answer) = oneshot::channel();
        let gone = || RunnerError::Bot {
            bot: bot.to_string(),
            reason: "its task has ended".to_owned(),
        };
        slot.inbox
            .send(BotInput::Control { control, reply })
            .await
            .map_err(|_| gone())?;
        answer
            .await
            .map_err(|_| gone())?
            .map_err(|reason| RunnerError::Bot {
                bot: bot.to_string(),
                reason,
            })
    }

    /// The global kill switch: every bot cancels its resting orders and stops for good
    /// (positions are kept). Returns each bot's outcome.
    pub async fn kill_all(&self) -> Vec<(BotId, Result<BotState, RunnerError>)> {
        let mut out = Vec::new();
        for id in self.bots.keys() {
            out.push((id.clone(), self.control(id, Control::Kill { global: true }).await));
        }
        out
    }

    /// Stops the process: the streams close, each bot finishes the input in hand, and the
    /// journal is closed after its last write. Resting orders stay (use [`Runner::control`]
    /// with `Stop { cancel_resting: true }` first to cancel them).
    pub async fn shutdown(mut self) {
        if let Some(market) = self.market.take() {
            market.shutdown().await;
        }
        if let Some(user) = self.user.take() {
            user.shutdown().await;
        }
        self.bots.clear();
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        self.journal = None;
        if let Some(thread) = self.journal_thread.take() {
            tokio::task::spawn_blocking(move || thread.join())
                .await
                .unwrap_or_default();
        }
    }
}

impl Bot {
    /// The bot's task: inputs one after the other until its inbox closes.
    pub(super) async fn run(mut self) {
        while let Some(input) = self.next_input().await {
            match input {
                BotInput::Bar { symbol, bar } => {
                    if self.blocked() {
                        match self.reconcile().await {
                            Ok(()) => self.set_blocked(None),
                            Err(e) => {
                                self.set_blocked(Some(format!("reconciliation failed: {e}")));
                                continue;
                            }
                        }
                    }
                    if let Err(e) = self.on_bar(symbol, bar).await {
                        tracing::error!(bot = %self.id(), error = %e, "the bot stops trading");
                        self.set_blocked(Some(e.to_string()));
                    }
                }
                BotInput::Control { control, reply } => {
                    let answer = self.control(control).await.map_err(|e| e.to_string());
                    let _ = reply.send(answer);
                }
                BotInput::Resync => {}
                news @ (BotInput::Order(_) | BotInput::Deal(_)) => {
                    if matches!(self.venue, Venue::Live(_)) {
                        self.take(news);
                    }
                }
            }
        }
    }

    /// Settles the working orders with the exchange at the bot's clock (after a restart,
    /// or to lift a block).
    pub(super) async fn reconcile(&mut self) -> Result<(), RunnerError> {
        let clock = self.clock;
        if clock == vela_core::types::Timestamp(i64::MIN) {
            return Ok(());
        }
        self.settle(clock).await.map(|_| ())
    }
}
