//! Writing to the journal: each method is one transaction that appends its log entry and
//! updates its table.

use duckdb::{OptionalExt, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use vela_core::engine::{Alert, BotId, BotState, Command, Event, OrderReport};
use vela_core::types::{
    Fill, Order, OrderAmount, OrderError, OrderOrigin, OrderRequest, OrderStatus, Timestamp,
};

use super::read::read_order;
use super::records::{
    BotMode, BotRecord, FillOutcome, Intent, OrderOutcome, PnlSnapshot, PositionRecord, Recorded,
    Seq,
};
use super::{Batch, Journal, JournalError};

/// What a bot entry of the log holds.
#[derive(Serialize)]
struct BotEntry<'a> {
    mode: BotMode,
    state: BotState,
    reason: &'a str,
    config: &'a str,
}

/// What a state change of the log holds.
#[derive(Serialize)]
struct StateEntry<'a> {
    state: BotState,
    reason: &'a str,
}

/// What an intent of the log holds.
#[derive(Serialize)]
struct IntentEntry<'a> {
    request: &'a OrderRequest,
    origin: OrderOrigin,
}

/// The name serde gives a unit variant (`running`, `partially_filled`, ...).
pub(super) fn name_of(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(e) => format!("<{e}>"),
    }
}

/// The unit variant serde names `name` (the inverse of [`name_of`]).
pub(super) fn from_name<T: DeserializeOwned>(name: &str) -> Result<T, serde_json::Error> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
}

fn seq_value(seq: Seq) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// An order row a batch writes before it commits, in the order's last state.
#[derive(Debug)]
pub(super) struct OrderRow {
    order: Order,
    /// A new row: the bot and the sequence number of the intent.
    new: Option<(String, Seq)>,
    /// The log entry of the order's last change.
    updated_seq: Seq,
}

impl Journal {
    /// [`Batch::add_bot`] as a transaction of its own.
    ///
    /// # Errors
    /// As [`Batch::add_bot`].
    pub fn add_bot(&mut self, bot: &BotRecord) -> Result<Seq, JournalError> {
        self.batch(|b| b.add_bot(bot))
    }

    /// [`Batch::set_bot_state`] as a transaction of its own.
    ///
    /// # Errors
    /// As [`Batch::set_bot_state`].
    pub fn set_bot_state(
        &mut self,
        bot: &BotId,
        state: BotState,
        reason: &str,
        ts: Timestamp,
    ) -> Result<Seq, JournalError> {
        self.batch(|b| b.set_bot_state(bot, state, reason, ts))
    }

    /// [`Batch::set_bot_config`] as a transaction of its own.
    ///
    /// # Errors
    /// As [`Batch::set_bot_config`].
    pub fn set_bot_config(
        &mut self,
        bot: &BotId,
        config: &str,
        mode: BotMode,
        ts: Timestamp,
    ) -> Result<Seq, JournalError> {
        self.batch(|b| b.set_bot_config(bot, config, mode, ts))
    }

    /// [`Batch::record_event`] as a transaction of its own.
    ///
    /// # Errors
    /// As [`Batch::record_event`].
    pub fn record_event(&mut self, bot: &BotId, event: &Event) -> Result<Recorded, JournalError> {
        self.batch(|b| b.record_event(bot, event))
    }

    /// [`Batch::record_intent`] as a transaction of its own.
    ///
    /// # Errors
    /// As [`Batch::record_intent`].
    pub fn record_intent(
        &mut self,
        bot: &BotId,
        request: &OrderRequest,
        origin: OrderOrigin,
    ) -> Result<Intent, JournalError> {
        self.batch(|b| b.record_intent(bot, request, origin))
    }

    /// [`Batch::record_command`] as a transaction of its own.
    ///
    /// # Errors
    /// As [`Batch::record_command`].
    pub fn record_command(&mut self, bot: &BotId, command: &Command) -> Result<Seq, JournalError> {
        self.batch(|b| b.record_command(bot, command))
    }

    /// [`Batch::record_alert`] as a transaction of its own.
    ///
    /// # Errors
    /// As [`Batch::record_alert`].
    pub fn record_alert(
        &mut self,
        bot: Option<&BotId>,
        alert: &Alert,
    ) -> Result<Seq, JournalError> {
        self.batch(|b| b.record_alert(bot, alert))
    }

    /// [`Batch::record_pnl`] as a transaction of its own.
    ///
    /// # Errors
    /// As [`Batch::record_pnl`].
    pub fn record_pnl(&mut self, bot: &BotId, pnl: &PnlSnapshot) -> Result<Seq, JournalError> {
        self.batch(|b| b.record_pnl(bot, pnl))
    }

    /// [`Batch::record_position`] as a transaction of its own.
    ///
    /// # Errors
    /// As [`Batch::record_position`].
    pub fn record_position(
        &mut self,
        bot: &BotId,
        position: &PositionRecord,
    ) -> Result<Seq, JournalError> {
        self.batch(|b| b.record_position(bot, position))
    }
}

impl Batch<'_> {
    /// Adds a bot.
    ///
    /// # Errors
    /// A bot with this id exists already, or the write failed.
    pub fn add_bot(&mut self, bot: &BotRecord) -> Result<Seq, JournalError> {
        self.action = "adding a bot";
        if self.bot_exists(&bot.id) {
            return Err(self.bot_error(format!("bot {} already exists", bot.id)));
        }
        let payload = self.encode(
            "bot",
            &BotEntry {
                mode: bot.mode,
                state: bot.state,
                reason: &bot.reason,
                config: &bot.config,
            },
        )?;
        let seq = self.append(Some(bot.id.as_str()), bot.created.0, "bot", &payload)?;
        self.exec(
            "INSERT INTO bots VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                bot.id.as_str(),
                bot.mode.as_str(),
                name_of(&bot.state),
                bot.reason,
                bot.config,
                bot.created.0,
                bot.updated.0,
                seq_value(seq),
            ],
        )?;
        self.cursor.bots.insert(bot.id.to_string());
        Ok(seq)
    }

    /// Records a bot's new lifecycle state.
    ///
    /// # Errors
    /// The bot is unknown, or the write failed.
    pub fn set_bot_state(
        &mut self,
        bot: &BotId,
        state: BotState,
        reason: &str,
        ts: Timestamp,
    ) -> Result<Seq, JournalError> {
        let seq = self.log_for(
            "recording a bot's state",
            bot,
            ts.0,
            "state",
            &StateEntry { state, reason },
        )?;
        self.exec(
            "UPDATE bots SET state = ?, reason = ?, updated = ?, updated_seq = ? WHERE bot = ?",
            params![name_of(&state), reason, ts.0, seq_value(seq), bot.as_str()],
        )?;
        Ok(seq)
    }

    /// Replaces a bot's configuration (the runner allows it only while the bot is paused
    /// or stopped) and, with `mode`, its mode (promotion from paper to live).
    ///
    /// # Errors
    /// The bot is unknown, or the write failed.
    pub fn set_bot_config(
        &mut self,
        bot: &BotId,
        config: &str,
        mode: BotMode,
        ts: Timestamp,
    ) -> Result<Seq, JournalError> {
        let seq = self.log_for(
            "recording a bot's configuration",
            bot,
            ts.0,
            "config",
            &serde_json::json!({ "config": config, "mode": mode }),
        )?;
        self.exec(
            "UPDATE bots SET config = ?, mode = ?, updated = ?, updated_seq = ? WHERE bot = ?",
            params![config, mode.as_str(), ts.0, seq_value(seq), bot.as_str()],
        )?;
        Ok(seq)
    }

    /// Records an event the bot's engine is given (market data, order reports, signals,
    /// timers, controls), in the order the engine sees them: the log is what `vela replay`
    /// runs back. An order report also updates its order, and a fill is stored once per
    /// exchange trade.
    ///
    /// # Errors
    /// The bot is unknown, or the write failed.
    pub fn record_event(&mut self, bot: &BotId, event: &Event) -> Result<Recorded, JournalError> {
        let seq = self.log_for("recording an event", bot, event.ts().0, "event", event)?;
        let (order, fill) = match event {
            Event::Order(OrderReport::Filled { fill, partial }) => {
                (None, Some(self.apply_fill(bot, fill, !partial, seq)?))
            }
            Event::Order(report) => (Some(self.apply_report(report, seq)?), None),
            _ => (None, None),
        };
        Ok(Recorded { seq, order, fill })
    }

    /// Writes an order's intent **before** it is sent. An order already stored under the
    /// request's client order id is returned instead and nothing is written: it must not
    /// be sent again.
    ///
    /// # Errors
    /// The bot is unknown, or the write failed (then the order must not be sent).
    pub fn record_intent(
        &mut self,
        bot: &BotId,
        request: &OrderRequest,
        origin: OrderOrigin,
    ) -> Result<Intent, JournalError> {
        self.action = "writing an order intent";
        self.require_bot(bot)?;
        let client_id = request.client_id.as_str();
        if !self.cursor.orders.certainly_new(client_id)
            && let Some(order) = self.load_order(client_id)?
        {
            return Ok(Intent::AlreadyKnown {
                order: Box::new(order),
            });
        }
        let payload = self.encode("intent", &IntentEntry { request, origin })?;
        let seq = self.append(Some(bot.as_str()), request.ts.0, "intent", &payload)?;
        let mut order = Order::new(request.clone());
        order.origin = origin;
        self.put_order(order, Some(bot.as_str()), seq);
        Ok(Intent::Written { seq })
    }

    /// Records a command the bot's engine emitted. Alerts, rotations and state changes also
    /// go to their tables; an order submission is **not** an intent (use
    /// [`Journal::record_intent`] before sending it).
    ///
    /// # Errors
    /// The bot is unknown, or the write failed.
    pub fn record_command(&mut self, bot: &BotId, command: &Command) -> Result<Seq, JournalError> {
        let seq = self.log_for(
            "recording a command",
            bot,
            command_ts(command).0,
            "command",
            command,
        )?;
        match command {
            Command::Alert(alert) => self.insert_alert(Some(bot), alert, seq)?,
            Command::Rotated {
                ts,
                from,
                to,
                reason,
            } => {
                self.exec(
                    "INSERT INTO rotations VALUES (?, ?, ?, ?, ?, ?)",
                    params![seq_value(seq), bot.as_str(), ts.0, from, to, reason],
                )?;
            }
            Command::State(change) => {
                self.exec(
                    "UPDATE bots SET state = ?, reason = ?, updated = ?, updated_seq = ? WHERE bot = ?",
                    params![
                        name_of(&change.to),
                        name_of(&change.reason),
                        change.ts.0,
                        seq_value(seq),
                        bot.as_str()
                    ],
                )?;
            }
            Command::Submit(_)
            | Command::Cancel { .. }
            | Command::CancelAll { .. }
            | Command::Denied(_) => {}
        }
        Ok(seq)
    }

    /// Records an alert of the runner itself (`bot` `None`: the whole process).
    ///
    /// # Errors
    /// The bot is unknown, or the write failed.
    pub fn record_alert(
        &mut self,
        bot: Option<&BotId>,
        alert: &Alert,
    ) -> Result<Seq, JournalError> {
        self.action = "recording an alert";
        if let Some(bot) = bot {
            self.require_bot(bot)?;
        }
        let payload = self.encode("alert", alert)?;
        let seq = self.append(bot.map(BotId::as_str), alert.ts.0, "alert", &payload)?;
        self.insert_alert(bot, alert, seq)?;
        Ok(seq)
    }

    /// Records a bot's P&L snapshot.
    ///
    /// # Errors
    /// The bot is unknown, or the write failed.
    pub fn record_pnl(&mut self, bot: &BotId, pnl: &PnlSnapshot) -> Result<Seq, JournalError> {
        let seq = self.log_for("recording a P&L snapshot", bot, pnl.ts.0, "pnl", pnl)?;
        self.append_to(
            "pnl",
            params![
                seq_value(seq),
                bot.as_str(),
                pnl.ts.0,
                pnl.equity.to_string(),
                pnl.realized.to_string(),
                pnl.unrealized.to_string(),
                pnl.fees.to_string()
            ],
        )?;
        Ok(seq)
    }

    /// Records a bot's position in one symbol (replacing the previous one).
    ///
    /// # Errors
    /// The bot is unknown, or the write failed.
    pub fn record_position(
        &mut self,
        bot: &BotId,
        position: &PositionRecord,
    ) -> Result<Seq, JournalError> {
        let seq = self.log_for(
            "recording a position",
            bot,
            position.ts.0,
            "position",
            position,
        )?;
        self.exec(
            "INSERT OR REPLACE INTO positions VALUES (?, ?, ?, ?, ?, ?)",
            params![
                bot.as_str(),
                position.symbol.as_str(),
                position.quantity.to_string(),
                position.average_price.to_string(),
                position.ts.0,
                seq_value(seq)
            ],
        )?;
        Ok(seq)
    }
}

/// The time a command carries (a cancel carries none: the epoch).
fn command_ts(command: &Command) -> Timestamp {
    match command {
        Command::Submit(request) => request.ts,
        Command::Denied(denial) => denial.ts,
        Command::Alert(alert) => alert.ts,
        Command::State(change) => change.ts,
        Command::Rotated { ts, .. } => *ts,
        Command::Cancel { .. } | Command::CancelAll { .. } => Timestamp(0),
    }
}

impl Batch<'_> {
    /// Runs one statement through the connection's cache of prepared statements: the
    /// journal's statements are few and run again and again, and planning one costs more
    /// than running it.
    fn exec(&self, sql: &str, params: impl duckdb::Params) -> Result<usize, JournalError> {
        self.tx
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute(params))
            .map_err(self.db())
    }

    fn bot_error(&self, what: String) -> JournalError {
        JournalError::Bot {
            path: self.path.to_path_buf(),
            what,
        }
    }

    /// Checks that `bot` is known, then appends `value` to the log as an entry of `kind`
    /// (the first step of every write about a bot).
    fn log_for(
        &mut self,
        action: &'static str,
        bot: &BotId,
        ts: i64,
        kind: &str,
        value: &impl Serialize,
    ) -> Result<Seq, JournalError> {
        self.action = action;
        self.require_bot(bot)?;
        let payload = self.encode(kind, value)?;
        self.append(Some(bot.as_str()), ts, kind, &payload)
    }

    fn bot_exists(&self, bot: &BotId) -> bool {
        self.cursor.bots.contains(bot.as_str())
    }

    fn require_bot(&self, bot: &BotId) -> Result<(), JournalError> {
        if self.bot_exists(bot) {
            Ok(())
        } else {
            Err(self.bot_error(format!("no bot {bot} in the journal")))
        }
    }

    fn insert_alert(
        &self,
        bot: Option<&BotId>,
        alert: &Alert,
        seq: Seq,
    ) -> Result<(), JournalError> {
        self.exec(
            "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?)",
            params![
                seq_value(seq),
                bot.map(BotId::as_str),
                alert.ts.0,
                name_of(&alert.level),
                name_of(&alert.code),
                alert.message
            ],
        )?;
        Ok(())
    }

    /// The order stored under `client_id` as this batch left it: from the batch's own
    /// changes, the index of open orders, or (a closed or unknown order) the database.
    fn load_order(&self, client_id: &str) -> Result<Option<Order>, JournalError> {
        if let Some(row) = self
            .orders
            .iter()
            .find(|row| row.order.client_id().as_str() == client_id)
        {
            return Ok(Some(row.order.clone()));
        }
        if let Some(order) = self.cursor.orders.open(client_id) {
            return Ok(Some(order.clone()));
        }
        read_order(self.tx, self.path, self.action, client_id)
    }

    /// Keeps `order`'s new state for the batch's order rows (written before the commit) and
    /// in the index; `new` is the bot of an order not stored before.
    fn put_order(&mut self, order: Order, new: Option<&str>, seq: Seq) {
        self.cursor.orders.stored(&order);
        let client_id = order.client_id().as_str();
        match self
            .orders
            .iter_mut()
            .find(|row| row.order.client_id().as_str() == client_id)
        {
            Some(row) => {
                row.order = order;
                row.updated_seq = seq;
            }
            None => self.orders.push(OrderRow {
                order,
                new: new.map(|bot| (bot.to_owned(), seq)),
                updated_seq: seq,
            }),
        }
    }

    /// Writes the batch's order rows: a new order as a row in its last state, a known one
    /// as an update of its row.
    pub(super) fn write_orders(&mut self) -> Result<(), JournalError> {
        self.action = "writing orders";
        for row in std::mem::take(&mut self.orders) {
            let order = &row.order;
            let record = self.encode("order", order)?;
            match &row.new {
                Some((bot, intent_seq)) => self.append_to(
                    "orders",
                    params![
                        order.client_id().as_str(),
                        bot,
                        order.request.symbol.as_str(),
                        name_of(&order.status),
                        order.exchange_id,
                        record,
                        seq_value(*intent_seq),
                        seq_value(row.updated_seq),
                    ],
                )?,
                None => {
                    self.exec(
                        "UPDATE orders SET status = ?, exchange_id = ?, record = ?, updated_seq = ? WHERE client_id = ?",
                        params![
                            name_of(&order.status),
                            order.exchange_id,
                            record,
                            seq_value(row.updated_seq),
                            order.client_id().as_str()
                        ],
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Applies an order report other than a fill.
    fn apply_report(
        &mut self,
        report: &OrderReport,
        seq: Seq,
    ) -> Result<OrderOutcome, JournalError> {
        let Some(mut order) = self.load_order(report.client_id().as_str())? else {
            return Ok(OrderOutcome::UnknownOrder);
        };
        let (to, exchange_id) = match report {
            OrderReport::Submitted { .. } => (OrderStatus::Submitted, None),
            OrderReport::Unknown { .. } => (OrderStatus::Unknown, None),
            OrderReport::Accepted { exchange_id, .. } => {
                (OrderStatus::Accepted, exchange_id.clone())
            }
            OrderReport::Rejected { .. } => (OrderStatus::Rejected, None),
            OrderReport::Canceled { .. } => (OrderStatus::Canceled, None),
            OrderReport::Expired { .. } => (OrderStatus::Expired, None),
            OrderReport::Filled { .. } => return Ok(OrderOutcome::Updated),
        };
        // The exchange's order id is worth keeping even from a late acknowledgement.
        let learned_id = order.exchange_id.is_none() && exchange_id.is_some();
        if learned_id {
            order.exchange_id = exchange_id;
        }
        let outcome = match order.transition(to, report.ts()) {
            Ok(()) => OrderOutcome::Updated,
            Err(e) => OrderOutcome::Ignored {
                reason: e.to_string(),
            },
        };
        if learned_id || outcome == OrderOutcome::Updated {
            self.put_order(order, None, seq);
        }
        Ok(outcome)
    }

    /// Stores a fill once per exchange trade and applies it to its order.
    fn apply_fill(
        &mut self,
        bot: &BotId,
        fill: &Fill,
        complete: bool,
        seq: Seq,
    ) -> Result<FillOutcome, JournalError> {
        if let Some(stored) = self.stored_fill(fill)? {
            return Ok(if stored == *fill {
                FillOutcome::Duplicate
            } else {
                FillOutcome::Conflict {
                    stored: Box::new(stored),
                }
            });
        }
        let outcome = match self.load_order(fill.client_id.as_str())? {
            None => FillOutcome::UnknownOrder,
            Some(mut order) => {
                let outcome = apply_to_order(&mut order, fill, complete);
                if matches!(outcome, FillOutcome::Applied | FillOutcome::AppliedToClosed) {
                    self.put_order(order, None, seq);
                }
                outcome
            }
        };
        let applied = matches!(outcome, FillOutcome::Applied | FillOutcome::AppliedToClosed);
        let record = self.encode("fill", fill)?;
        self.append_to(
            "fills",
            params![
                fill.symbol.as_str(),
                fill.trade_id,
                fill.client_id.as_str(),
                bot.as_str(),
                name_of(&fill.side),
                fill.price.to_string(),
                fill.quantity.to_string(),
                fill.fee.to_string(),
                fill.fee_asset.as_str(),
                fill.is_maker,
                fill.ts.0,
                applied,
                record,
                seq_value(seq)
            ],
        )?;
        self.fills.push(fill.clone());
        Ok(outcome)
    }

    /// The fill stored for `fill`'s trade (symbol and trade id): one this batch appended
    /// (not yet in the table), or one committed before.
    fn stored_fill(&self, fill: &Fill) -> Result<Option<Fill>, JournalError> {
        if let Some(stored) = self
            .fills
            .iter()
            .find(|f| f.symbol == fill.symbol && f.trade_id == fill.trade_id)
        {
            return Ok(Some(stored.clone()));
        }
        let stored: Option<String> = self
            .tx
            .prepare_cached("SELECT record FROM fills WHERE symbol = ? AND trade_id = ?")
            .and_then(|mut select| {
                select
                    .query_row(params![fill.symbol.as_str(), fill.trade_id], |row| {
                        row.get(0)
                    })
                    .optional()
            })
            .map_err(self.db())?;
        stored
            .map(|text| {
                serde_json::from_str(&text).map_err(|source| JournalError::Encoding {
                    path: self.path.to_path_buf(),
                    what: format!("fill {} {}", fill.symbol, fill.trade_id),
                    source,
                })
            })
            .transpose()
    }
}

/// Applies a new trade to its order: normally through the order's own rules; a trade on an
/// order already canceled or expired (the fill raced the cancel) adds to its filled amounts
/// and leaves it closed, unless it would overfill.
fn apply_to_order(order: &mut Order, fill: &Fill, complete: bool) -> FillOutcome {
    match order.apply_fill(fill, complete) {
        Ok(()) => FillOutcome::Applied,
        Err(OrderError::IllegalTransition { .. })
            if matches!(order.status, OrderStatus::Canceled | OrderStatus::Expired) =>
        {
            let filled = order.filled_quantity + fill.quantity;
            if let OrderAmount::Base(ordered) = order.request.amount
                && filled > ordered
            {
                return FillOutcome::Refused {
                    error: OrderError::Overfill {
                        client_id: order.client_id().clone(),
                        fill_quantity: fill.quantity,
                        remaining: ordered - order.filled_quantity,
                    },
                };
            }
            order.filled_quantity = filled;
            order.filled_quote += fill.price * fill.quantity;
            order.trade_ids.push(fill.trade_id.clone());
            order.updated = fill.ts;
            FillOutcome::AppliedToClosed
        }
        Err(error) => FillOutcome::Refused { error },
    }
}
