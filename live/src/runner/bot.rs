//! One bot: its engine, its venue (paper or live) and the loop that feeds it.
//!
//! For each bar time, in the backtester's event-tier order (`vela_backtest::event`):
//! 1. the fills of the bar's window reach the engine, stamped with the bar's open time —
//!    paper: the simulated exchange fills against the bar; live: the bot **settles** its
//!    working orders with the exchange first ([`super::venue`]), so the engine never sees
//!    a bar without the fills that happened in it;
//! 2. the completed bars, one symbol after the other (the configuration's order);
//! 3. a `Timer` at the bar time, when the bot's `timers` is on.
//!
//! Every event the engine handles is written to the journal in one transaction with the
//! commands it caused and the intents of the orders among them, **before** any order is
//! sent. A restarted bot rebuilds its engine from those entries (`Bot::restore`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};
use vela_core::engine::{
    AlertLevel, BotConfig, BotId, BotState, Command, Control, Engine, Event, OrderReport,
};
use vela_core::sim::SimExchange;
use vela_core::strategy::Registry;
use vela_core::types::{Bar, MarketData, OrderOrigin, Symbol, Timestamp};

use super::RunnerError;
use super::announce::Announcer;
use super::spec::BotSpec;
use super::store::{Commit, JournalHandle};
use super::venue::LiveVenue;
use crate::alerts::Notice;
use crate::journal::{BotMode, Intent, LogEntry, PnlSnapshot};
use crate::proto::{PrivateDeal, PrivateOrder};

mod status;

/// Inputs a bot's inbox holds before senders wait.
const INBOX: usize = 4096;

/// What reaches a bot's task.
#[derive(Debug)]
pub enum BotInput {
    /// A completed bar of one of its symbols.
    Bar {
        /// The symbol.
        symbol: Symbol,
        /// The bar.
        bar: Bar,
        /// When its frame was received (decision latency is measured from here).
        received: std::time::Instant,
    },
    /// One of its orders changed at the exchange (user stream).
    Order(Box<PrivateOrder>),
    /// One of its fills (user stream).
    Deal(Box<PrivateDeal>),
    /// The user stream was broken: what it missed is fetched at the next settle.
    Resync,
    /// An operator's instruction; the reply is the bot's state after it and the
    /// configuration in effect (parameters, budget, risk settings, running time).
    Control {
        /// The instruction.
        control: Control,
        /// Where the answer goes.
        reply: oneshot::Sender<Result<(BotState, Box<BotConfig>), String>>,
    },
}

/// What a bot shows the operator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BotStatus {
    /// Its lifecycle state.
    pub state: BotState,
    /// Paper or live.
    pub mode: BotMode,
    /// Open time of the last bar time it handled.
    pub last_bar: Option<Timestamp>,
    /// Bar times handled since the process started.
    pub bar_times: u64,
    /// Completed bars received since the process started, handled or (while blocked)
    /// skipped.
    pub bars_seen: u64,
    /// Equity at the last closes, in the budget asset.
    pub equity: Decimal,
    /// Realised P&L so far, in the budget asset.
    pub realized: Decimal,
    /// Base quantity held per asset (positions).
    pub holdings: BTreeMap<String, Decimal>,
    /// Why it does not trade although it should (reconciliation failed, an order could not
    /// be settled, the engine refused an event).
    pub blocked: Option<String>,
}

/// Where a bot's orders go.
#[derive(Debug)]
pub(super) enum Venue {
    /// The backtester's simulated exchange, in process.
    Paper(Box<SimExchange>),
    /// MEXC (or `vela sim`) over REST and the user stream.
    Live(Box<LiveVenue>),
}

/// A bot and everything its task owns.
#[derive(Debug)]
pub struct Bot {
    pub(super) id: BotId,
    pub(super) spec: BotSpec,
    pub(super) engine: Engine,
    pub(super) venue: Venue,
    journal: JournalHandle,
    symbols: Vec<Symbol>,
    /// The time of the last event the engine handled.
    pub(super) clock: Timestamp,
    /// Bars waiting for the other symbols of their bar time.
    pending: BTreeMap<Timestamp, BTreeMap<Symbol, Bar>>,
    /// Inputs that arrived while the bot was settling.
    pub(super) backlog: VecDeque<BotInput>,
    /// While the journal is replayed: nothing is written or sent.
    replaying: bool,
    /// Its inputs.
    pub(super) inbox: mpsc::Receiver<BotInput>,
    /// Whether the operator wants it trading (the Start it gets at its first bar).
    wants_start: bool,
    pub(super) status: watch::Sender<BotStatus>,
    /// Where status changes and order reports are announced (the API's WebSocket).
    pub(super) events: Option<Announcer>,
    /// The bot's fiscal log (every fill as it happens), if it keeps one.
    pub(super) fiscal_log: Option<std::path::PathBuf>,
    /// Journal writes waiting for the next flush.
    staged: Vec<Staged>,
    /// Fills whose fiscal-log lines the next flush writes (after the journal's write, so a
    /// disk sync is never between a bar and the decision it brings).
    fiscal_pending: Vec<vela_core::types::Fill>,
    /// When the frame of the bar being handled was received.
    pub(super) bar_received: Option<std::time::Instant>,
    /// Where decision latencies go (frame received → order handed to the venue), in µs.
    pub(super) latencies: Option<Arc<std::sync::Mutex<Vec<u32>>>>,
    /// The runner's ledger of what its live bots hold (live bots only).
    pub(super) live_holdings: Option<super::balances::LiveHoldings>,
}

/// A journal write waiting for the bot's next flush.
#[derive(Debug)]
enum Staged {
    /// An event the engine handled and the commands it made.
    Event {
        event: Event,
        commands: Vec<Command>,
        origins: Vec<OrderOrigin>,
    },
    /// A P&L snapshot.
    Pnl(PnlSnapshot),
}

/// What the runner announces as it happens (pushed by the API's WebSocket as JSON).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RunnerEvent {
    /// A bot's status after a bar time or an instruction (P&L included).
    Status {
        /// The bot.
        bot: String,
        /// Its status.
        status: Box<BotStatus>,
    },
    /// A report on one of a bot's orders (fills included).
    Order {
        /// The bot.
        bot: String,
        /// The report.
        report: Box<OrderReport>,
    },
    /// Something the operator must know (sent to the alert channels too).
    Alert {
        /// The notice.
        notice: Box<Notice>,
    },
}

impl RunnerEvent {
    /// An alert about `bot` (`None`: the runner) now.
    #[must_use]
    pub fn alert(bot: Option<&BotId>, level: AlertLevel, topic: &str, message: String) -> Self {
        Self::Alert {
            notice: Box::new(Notice {
                ts: crate::sim::server::wall_clock_ms(),
                bot: bot.map(ToString::to_string),
                level,
                topic: topic.to_owned(),
                message,
            }),
        }
    }
}

impl Bot {
    /// A bot from its specification, its engine not started; `live` is its venue in live
    /// mode (ignored in paper mode).
    ///
    /// # Errors
    /// The specification is invalid.
    pub(super) fn new(
        spec: BotSpec,
        registry: &Registry,
        journal: JournalHandle,
        live: Option<LiveVenue>,
        wants_start: bool,
    ) -> Result<(Self, mpsc::Sender<BotInput>, watch::Receiver<BotStatus>), RunnerError> {
        let (sender, inbox) = mpsc::channel(INBOX);
        let id = spec.bot.bot_id.clone();
        let engine = Engine::new(spec.bot.clone(), registry).map_err(|e| RunnerError::Bot {
            bot: id.to_string(),
            reason: e.to_string(),
        })?;
        let venue = match (spec.mode, live) {
            (BotMode::Paper, _) => Venue::Paper(Box::new(
                SimExchange::new(spec.paper, spec.bot.instruments.iter().cloned()).map_err(
                    |e| RunnerError::Bot {
                        bot: id.to_string(),
                        reason: e.to_string(),
                    },
                )?,
            )),
            (BotMode::Live, Some(venue)) => Venue::Live(Box::new(venue)),
            (BotMode::Live, None) => {
                return Err(RunnerError::Bot {
                    bot: id.to_string(),
                    reason: "live mode needs the exchange's credentials (vela.toml [credentials])"
                        .to_owned(),
                });
            }
        };
        let symbols = spec
            .bot
            .instruments
            .iter()
            .map(|i| i.symbol.clone())
            .collect();
        let (status, watcher) = watch::channel(BotStatus {
            state: engine.state(),
            mode: spec.mode,
            last_bar: None,
            bar_times: 0,
            bars_seen: 0,
            equity: engine.equity(),
            realized: engine.wallet().realized_pnl(),
            holdings: BTreeMap::new(),
            blocked: None,
        });
        Ok((
            Self {
                id,
                spec,
                engine,
                venue,
                journal,
                symbols,
                clock: Timestamp(i64::MIN),
                pending: BTreeMap::new(),
                backlog: VecDeque::new(),
                replaying: false,
                inbox,
                wants_start,
                status,
                events: None,
                fiscal_log: None,
                staged: Vec::new(),
                fiscal_pending: Vec::new(),
                bar_received: None,
                latencies: None,
                live_holdings: None,
            },
            sender,
            watcher,
        ))
    }

    /// The bot's id.
    #[must_use]
    pub fn id(&self) -> &BotId {
        &self.id
    }

    /// Its configuration in effect: as added, with the changes the operator made since
    /// (strategy parameters, budget, risk settings, running time), as the journal recorded.
    #[must_use]
    pub fn config(&self) -> &BotConfig {
        self.engine.config()
    }

    /// The symbols it trades.
    #[must_use]
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// Rebuilds the engine (and a paper bot's simulated exchange) from the bot's journal
    /// entries: a live bot's engine handles every recorded event again; a paper bot's bar
    /// times and instructions are run again through its simulated exchange, which gives
    /// the same reports (both are deterministic). Nothing is written or sent meanwhile.
    /// Returns the number of events the engine handled.
    ///
    /// # Errors
    /// A recorded event cannot be read or the engine refuses it, or the paper bot's rerun
    /// does not give back the recorded number of events (the journal does not belong to
    /// this configuration).
    pub(super) async fn restore(&mut self, entries: &[LogEntry]) -> Result<usize, RunnerError> {
        self.replaying = true;
        let result = self.restore_entries(entries).await;
        self.replaying = false;
        result
    }

    async fn restore_entries(&mut self, entries: &[LogEntry]) -> Result<usize, RunnerError> {
        let mut recorded = 0_usize;
        let mut handled = 0_usize;
        for entry in entries.iter().filter(|e| e.kind == "event") {
            let event: Event =
                serde_json::from_str(&entry.payload).map_err(|e| RunnerError::Restore {
                    bot: self.id.to_string(),
                    reason: format!("log entry {}: {e}", entry.seq),
                })?;
            recorded += 1;
            match (&self.venue, &event) {
                (Venue::Live(_), _) => {
                    // The last bar time handled, so a bar the stream sends again is ignored.
                    if let Event::Market(MarketData::Bar { bar, .. }) = &event {
                        let ts = bar.ts;
                        self.status
                            .send_modify(|s| s.last_bar = s.last_bar.max(Some(ts)));
                    }
                    handled += self.deliver(event).await?;
                }
                (Venue::Paper(_), Event::Market(MarketData::Bar { symbol, bar })) => {
                    handled += self.on_bar(symbol.clone(), *bar).await?;
                }
                (Venue::Paper(_), Event::Control { .. } | Event::Signal(_)) => {
                    handled += self.deliver(event).await?;
                }
                (Venue::Paper(_), _) => {}
            }
        }
        // Bars still waiting for other symbols were never handed to the engine.
        handled += self.pending.values().map(BTreeMap::len).sum::<usize>();
        if handled != recorded {
            return Err(RunnerError::Restore {
                bot: self.id.to_string(),
                reason: format!(
                    "the journal has {recorded} events but running them again gave {handled}"
                ),
            });
        }
        self.publish_status();
        Ok(handled)
    }

    /// A completed bar: handled once every symbol's bar of its time is in (earlier
    /// incomplete bar times go first, with the bars they have). Returns the number of
    /// events the engine handled.
    ///
    /// # Errors
    /// The journal failed, or the engine refused an event.
    pub(super) async fn on_bar(&mut self, symbol: Symbol, bar: Bar) -> Result<usize, RunnerError> {
        if !self.symbols.contains(&symbol) || bar.ts <= self.last_bar_ts() {
            return Ok(0);
        }
        self.pending.entry(bar.ts).or_default().insert(symbol, bar);
        let ready = self
            .pending
            .iter()
            .find(|(_, bars)| bars.len() == self.symbols.len())
            .map(|(ts, _)| *ts);
        let Some(ready) = ready else {
            return Ok(0);
        };
        let mut handled = 0;
        while let Some((&ts, _)) = self.pending.first_key_value() {
            if ts > ready {
                break;
            }
            let bars = self.pending.remove(&ts).unwrap_or_default();
            handled += self.on_bar_time(ts, bars).await?;
        }
        Ok(handled)
    }

    fn last_bar_ts(&self) -> Timestamp {
        self.status.borrow().last_bar.unwrap_or(Timestamp(i64::MIN))
    }

    async fn on_bar_time(
        &mut self,
        ts: Timestamp,
        bars: BTreeMap<Symbol, Bar>,
    ) -> Result<usize, RunnerError> {
        let mut handled = 0;
        if self.wants_start && self.engine.state() == BotState::Created {
            handled += self.deliver(Event::control(ts, Control::Start)).await?;
        }
        handled += self.fills_of(ts, &bars).await?;
        for symbol in self.symbols.clone() {
            if let Some(bar) = bars.get(&symbol) {
                handled += self.deliver(Event::bar(symbol, *bar)).await?;
            }
        }
        if self.spec.timers {
            handled += self.deliver(Event::Timer { ts }).await?;
        }
        if !self.replaying {
            // The bookkeeping below (status, P&L snapshot, the journal's hand-off) waits
            // until the other bots this worker has queued (those woken by the same frames)
            // have run: a burst's last decision does not wait for every earlier bot's
            // bookkeeping too (BENCHMARKS.md, session 12).
            tokio::task::yield_now().await;
        }
        // One change, so a watcher never sees the new bar time with the old equity.
        self.publish_status_with(|s| {
            s.last_bar = Some(ts);
            s.bar_times += 1;
        });
        if !self.replaying {
            self.stage_pnl(ts);
            // Bookkeeping: nothing waits on it but the bot's next input.
            self.flush(Commit::Gathered).await?;
        }
        Ok(handled)
    }

    /// Step 1 of a bar time: the fills of its window reach the engine.
    async fn fills_of(
        &mut self,
        ts: Timestamp,
        bars: &BTreeMap<Symbol, Bar>,
    ) -> Result<usize, RunnerError> {
        match &mut self.venue {
            Venue::Paper(sim) => {
                let mut reports = Vec::new();
                for symbol in &self.symbols {
                    if let Some(bar) = bars.get(symbol) {
                        sim.on_bar(symbol, bar, &mut reports)
                            .map_err(|e| RunnerError::Bot {
                                bot: self.id.to_string(),
                                reason: e.to_string(),
                            })?;
                    }
                }
                let mut handled = 0;
                for report in reports {
                    handled += self.deliver(Event::Order(report)).await?;
                }
                Ok(handled)
            }
            Venue::Live(_) if self.replaying => Ok(0),
            Venue::Live(_) => self.settle(ts).await,
        }
    }

    /// Hands `first` to the engine, then everything that follows from it (its commands
    /// carried out, the reports they bring), recording each event with its commands before
    /// anything is sent. Returns the number of events handled.
    ///
    /// # Errors
    /// The engine refused an event, or the journal failed.
    pub(super) async fn deliver(&mut self, first: Event) -> Result<usize, RunnerError> {
        let mut queue = VecDeque::from([first]);
        let mut handled = 0;
        while let Some(event) = queue.pop_front() {
            let ts = event.ts();
            let commands = self
                .engine
                .on_event(&event)
                .map_err(|e| RunnerError::Bot {
                    bot: self.id.to_string(),
                    reason: format!("the engine refused {}: {e}", describe(&event)),
                })?
                .to_vec();
            handled += 1;
            self.clock = self.clock.max(ts);
            let report = match &event {
                Event::Order(report) if !self.replaying => Some(report.clone()),
                _ => None,
            };
            let sends = commands.iter().any(|c| {
                matches!(
                    c,
                    Command::Submit(_) | Command::Cancel { .. } | Command::CancelAll { .. }
                )
            });
            let intents = if self.replaying {
                Vec::new()
            } else {
                self.stage(event, &commands);
                if sends && matches!(self.venue, Venue::Live(_)) {
                    self.flush(Commit::Now).await?
                } else {
                    Vec::new()
                }
            };
            if !self.replaying {
                self.announce_commands(&commands);
            }
            if let Some(report) = report {
                if let (Some(_), OrderReport::Filled { fill, .. }) = (&self.fiscal_log, &report) {
                    self.fiscal_pending.push(fill.clone());
                }
                if let Some(events) = &self.events {
                    events.send(RunnerEvent::Order {
                        bot: self.id.to_string(),
                        report: Box::new(report),
                    });
                }
            }
            for (i, command) in commands.iter().enumerate() {
                let known = intents.get(i).copied().flatten();
                self.execute(command, ts, known, &mut queue).await?;
            }
        }
        Ok(handled)
    }

    /// Keeps `event` and its commands (submissions as intents, with their origin) for the
    /// next [`Bot::flush`].
    fn stage(&mut self, event: Event, commands: &[Command]) {
        let origins: Vec<OrderOrigin> = commands
            .iter()
            .map(|c| match c {
                Command::Submit(request) => self
                    .engine
                    .open_orders()
                    .get(&request.client_id)
                    .map(|o| o.origin)
                    .unwrap_or_default(),
                _ => OrderOrigin::default(),
            })
            .collect();
        self.staged.push(Staged::Event {
            event,
            commands: commands.to_vec(),
            origins,
        });
    }

    /// Writes everything staged in one transaction (one commit per bar time, and one before
    /// each order a live bot sends: the intent is on disk before the request leaves),
    /// committed as soon as `commit` asks. For the last event staged, whether the journal
    /// already knew each command's order (then it is not sent).
    pub(super) fn flush(
        &mut self,
        commit: Commit,
    ) -> impl Future<Output = Result<Vec<Option<bool>>, RunnerError>> + Send + 'static {
        let bot = self.id.clone();
        let staged = std::mem::take(&mut self.staged);
        let journal = self.journal.clone();
        let fiscal = self
            .fiscal_log
            .clone()
            .map(|path| (path, std::mem::take(&mut self.fiscal_pending)))
            .filter(|(_, fills)| !fills.is_empty());
        let mode = self.spec.mode;
        async move {
            let last = Self::write_staged(&bot, staged, &journal, commit).await?;
            if let Some((path, fills)) = fiscal {
                super::fiscal::append_off_workers(path, mode, fills).await?;
            }
            Ok(last)
        }
    }

    /// Writes staged entries in one transaction; see [`Bot::flush`].
    async fn write_staged(
        bot: &BotId,
        staged: Vec<Staged>,
        journal: &JournalHandle,
        commit: Commit,
    ) -> Result<Vec<Option<bool>>, RunnerError> {
        let bot = bot.clone();
        if staged.is_empty() {
            return Ok(Vec::new());
        }
        journal
            .write(commit, move |batch| {
                let mut last = Vec::new();
                for entry in &staged {
                    match entry {
                        Staged::Event {
                            event,
                            commands,
                            origins,
                        } => {
                            batch.record_event(&bot, event)?;
                            last = commands
                                .iter()
                                .zip(origins)
                                .map(|(command, origin)| match command {
                                    Command::Submit(request) => Ok(Some(matches!(
                                        batch.record_intent(&bot, request, *origin)?,
                                        Intent::AlreadyKnown { .. }
                                    ))),
                                    other => batch.record_command(&bot, other).map(|_| None),
                                })
                                .collect::<Result<Vec<_>, _>>()?;
                        }
                        Staged::Pnl(snapshot) => {
                            batch.record_pnl(&bot, snapshot)?;
                        }
                    }
                }
                Ok(last)
            })
            .await
    }

    /// Carries out one command at `ts` (the time of the event that caused it); the reports
    /// it brings join `queue`.
    async fn execute(
        &mut self,
        command: &Command,
        ts: Timestamp,
        already_known: Option<bool>,
        queue: &mut VecDeque<Event>,
    ) -> Result<(), RunnerError> {
        if !matches!(
            command,
            Command::Submit(_) | Command::Cancel { .. } | Command::CancelAll { .. }
        ) {
            return Ok(());
        }
        if let (Command::Submit(_), Some(received), Some(latencies)) =
            (command, self.bar_received, &self.latencies)
            && !self.replaying
        {
            let micros = u32::try_from(received.elapsed().as_micros()).unwrap_or(u32::MAX);
            latencies
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(micros);
        }
        match &mut self.venue {
            Venue::Paper(sim) => {
                if let Command::Submit(request) = command {
                    queue.push_back(Event::Order(OrderReport::Submitted {
                        client_id: request.client_id.clone(),
                        ts,
                    }));
                }
                let mut reports = Vec::new();
                sim.on_command(command, ts, &mut reports);
                queue.extend(reports.into_iter().map(Event::Order));
                Ok(())
            }
            Venue::Live(_) if self.replaying => Ok(()),
            Venue::Live(venue) => {
                let open = OpenOrder::all(&self.engine);
                venue
                    .execute(command, ts, already_known == Some(true), &open, queue)
                    .await;
                Ok(())
            }
        }
    }

    /// An operator's instruction, delivered at the bot's clock.
    pub(super) async fn control(&mut self, control: Control) -> Result<BotState, RunnerError> {
        let ts = if self.clock == Timestamp(i64::MIN) {
            self.last_bar_ts().max(Timestamp(0))
        } else {
            self.clock
        };
        if matches!(control, Control::Start | Control::Resume) {
            self.wants_start = true;
        }
        // New parameters are laid over the active strategy's: the engine takes a whole set
        // (and the journal records that whole set, so a replay needs nothing else).
        let control = match control {
            Control::UpdateParams(given) => {
                let mut merged = self.engine.active_strategy().params.clone();
                for (name, value) in given.iter() {
                    merged.set(name, value.clone());
                }
                Control::UpdateParams(merged)
            }
            other => other,
        };
        if control == Control::Start && self.engine.state() == BotState::Created {
            // The Start comes with the first bar, so the engine's clock begins there.
            self.publish_status();
            return Ok(self.engine.state());
        }
        self.deliver(Event::control(ts, control)).await?;
        self.flush(Commit::Now).await?;
        self.publish_status();
        Ok(self.engine.state())
    }

    /// The inbox's next input: the backlog first.
    pub(super) async fn next_input(&mut self) -> Option<BotInput> {
        match self.backlog.pop_front() {
            Some(input) => Some(input),
            None => self.inbox.recv().await,
        }
    }
}

/// What a live venue needs to know of one of the engine's open orders.
#[derive(Debug, Clone)]
pub(super) struct OpenOrder {
    pub(super) client_id: vela_core::types::ClientOrderId,
    pub(super) symbol: Symbol,
    pub(super) filled: Decimal,
}

impl OpenOrder {
    fn all(engine: &Engine) -> Vec<Self> {
        engine
            .open_orders()
            .values()
            .filter(|o| o.status.is_open())
            .map(|o| Self {
                client_id: o.client_id().clone(),
                symbol: o.request.symbol.clone(),
                filled: o.filled_quantity,
            })
            .collect()
    }
}

/// A short description of an event for error messages.
fn describe(event: &Event) -> String {
    match event {
        Event::Market(MarketData::Bar { symbol, bar }) => {
            format!("the bar of {symbol} at {}", bar.ts.0)
        }
        Event::Order(report) => format!("a report on order {}", report.client_id()),
        Event::Timer { ts } => format!("the timer at {}", ts.0),
        Event::Control { control, .. } => format!("the instruction {control:?}"),
        other => format!("an event at {}", other.ts().0),
    }
}

/// Bots share the REST client.
pub(super) type SharedRest = Arc<crate::rest::RestClient>;
