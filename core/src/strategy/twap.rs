//! TWAP execution: buy (`side = "buy"`) or sell (`side = "sell"`) `target_quantity` base
//! units over `duration_minutes` in `slices` equal slices, each a market order.
//!
//! # Rules
//!
//! - **Symbol.** A TWAP executes in one instrument: the symbol of the first bar it sees.
//!   Bars of other symbols are ignored.
//! - **Schedule.** The window starts at the timestamp `t0` of the first bar seen while the
//!   bot is running (bars before that — warm-up history, a paused bot — do not start it),
//!   and lasts
//!   `D = duration_minutes` minutes. Slice `k` (`k = 0 .. slices - 1`) is due at
//!   `t0 + floor(k × D / slices)` (in ms); it is taken on the first bar whose timestamp
//!   reaches that time (slice 0 on the first bar). A bar at or after `t0 + D` is outside the
//!   window: from then on the strategy does nothing. A slice that comes due while the bot
//!   is paused is carried over to the next slice.
//! - **Quantities.** The target is rounded down to the instrument's quantity step. On a
//!   bar that reaches slice `k`, the quantity due so far is `target × (k + 1) / slices`
//!   and the order is `due − executed`, rounded down to the quantity step, where `executed`
//!   is the sum of the fills of its own orders on the symbol and side (from `on_fill`, the
//!   exchange's real quantities; the risk layer's exits, such as a take-profit sale, are
//!   not the strategy's and do not count toward a sell TWAP).
//!   So a slice that was skipped, denied, or only partly filled is carried over into the
//!   next slice, and the last slice asks for the whole remainder. No order ever asks for
//!   more than `target − executed`, so the executed total never exceeds the target (at
//!   the decision price; see **Buys** for a price move before a buy fills).
//! - **Carry-over.** A slice is skipped (its quantity carried over to the next slice) when
//!   - the price is beyond `limit_price` (buy: close above it; sell: close below it;
//!     `limit_price = 0` disables the limit);
//!   - an earlier order of the strategy on this symbol and side is still open (it may
//!     still fill: ordering again could exceed the target);
//!   - the quantity is below the instrument's minimum quantity or its value below the
//!     minimum notional;
//!   - or (sells) nothing is held.
//!
//!   Slices skipped when several slice times pass between two bars merge into the order of
//!   the bar that reaches them.
//! - **End of the window.** The last slice takes the remainder if the limit allows it.
//!   Whatever is still missing after it (a blocked last slice, a denied or partial last
//!   order, a remainder below the minimums) stays undone: the strategy never orders after
//!   the last slice and never makes up for it by exceeding the target.
//! - **Sells** never sell more than held: each sell is capped at the base quantity held
//!   (rounded down to the quantity step; the risk gate refuses it if other sells, such as
//!   the risk layer's resting take-profit, already offer part of it, and the slice is
//!   carried over). A sell TWAP with less than the target in the wallet sells what is
//!   there and leaves the rest undone.
//! - **Buys.** The risk gate sends a market buy of a base quantity as the quote amount
//!   `quantity × last price`, rounded down to the price precision, so at the bar's close
//!   the order buys the slice's quantity up to the quote rounding (at most one quote step /
//!   price less) and never more. Shortfalls are made up by later slices. With fees charged
//!   in the base asset the wallet then holds the executed quantity minus the fees: the
//!   target counts the executed (filled) quantity.
//!
//!   A quote-sized order cannot cap its base quantity: if the price falls between the
//!   decision and the fill, a buy gets slightly more than asked. Later slices size from the
//!   real fills, so only the order that completes the target can overshoot it, by its own
//!   slippage.
//!
//! # Parameters
//!
//! `side`, `target_quantity`, `duration_minutes`, `slices` (at most `duration_minutes`: at
//! least a minute between slices), `limit_price`.
//!
//! # Vectorised form
//!
//! None: this is an execution algorithm. Its orders are sized from the fills and holdings
//! so far (partial fills, denials, what is held) and build or unwind a position in slices,
//! which the long-only entry/exit columns (enter with everything, exit with everything)
//! cannot express.

use rust_decimal::Decimal;

use super::params::{ParamError, ParamSpec, Params, StrategySchema};
use super::registry::StrategyEntry;
use super::{Context, Intent, Size, Strategy};
use crate::money::rounding::to_f64;
use crate::types::{Bar, Fill, OrderOrigin, Side, Symbol, Timestamp};

#[cfg(test)]
pub(super) mod tests;

const NAME: &str = "twap";

/// Milliseconds in a minute.
const MINUTE_MS: i64 = 60_000;

/// The registry entry of the TWAP strategy.
#[must_use]
pub fn entry() -> StrategyEntry {
    let mut params = execution_params();
    params.push(ParamSpec::float(
        "limit_price",
        0.0,
        0.0,
        1e12,
        "Price limit: buys skip slices while the close is above it, sells while below (0: none)",
    ));
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "TWAP execution: buy or sell a target quantity in equal market-order \
                          slices spread over a time window, optionally within a price limit.",
            params,
        },
        check: |params| check_execution(NAME, params),
        build: |params, _| Ok(Box::new(Twap::new(params)?)),
        signals: None,
    }
}

/// The parameters TWAP and VWAP share: side, target, window and slices.
pub(super) fn execution_params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::choice(
            "side",
            "buy",
            &["buy", "sell"],
            "Acquire (buy) or dispose of (sell) the target quantity",
        ),
        ParamSpec::float(
            "target_quantity",
            0.01,
            0.0,
            1e15,
            "Base quantity to execute in total (must be positive)",
        ),
        ParamSpec::int(
            "duration_minutes",
            60,
            1,
            43_200,
            "Length of the execution window in minutes",
        ),
        ParamSpec::int(
            "slices",
            12,
            1,
            10_000,
            "Number of slices (one market order each), at most one per minute",
        ),
    ]
}

/// The rules TWAP and VWAP share: a positive target and at least a minute per slice.
pub(super) fn check_execution(name: &str, params: &Params) -> Result<(), ParamError> {
    let target = params.float(name, "target_quantity")?;
    if target <= 0.0 {
        return Err(ParamError::new(
            name,
            "target_quantity",
            target,
            "must be positive",
        ));
    }
    let duration = params.int(name, "duration_minutes")?;
    let slices = params.int(name, "slices")?;
    if slices > duration {
        return Err(ParamError::new(
            name,
            "slices",
            slices,
            format!("must be at most duration_minutes ({duration}): one slice per minute at most"),
        ));
    }
    Ok(())
}

/// How many of `slices` slice times `floor(k × duration / slices)` (k = 0, 1, ..) lie at or
/// before `offset_ms` into a window of `duration_ms` (0 for a negative offset).
pub(super) fn slices_reached(offset_ms: i64, duration_ms: i64, slices: usize) -> usize {
    if offset_ms < 0 || duration_ms <= 0 {
        return 0;
    }
    let n = i128::try_from(slices).unwrap_or(i128::MAX);
    // floor(k·D/S) <= e  ⇔  k·D < (e + 1)·S  ⇔  k <= ((e + 1)·S − 1) / D.
    let last = ((i128::from(offset_ms) + 1) * n - 1) / i128::from(duration_ms);
    usize::try_from((last + 1).min(n)).unwrap_or(slices)
}

/// The order sizing and book-keeping TWAP and VWAP share: one symbol, a target, the
/// executed quantity, and a window of `slices` slice times.
#[derive(Debug, Clone)]
pub(super) struct Execution {
    side: Side,
    target_quantity: f64,
    duration_ms: i64,
    slices: usize,
    /// The symbol executed (the first one seen).
    symbol: Option<Symbol>,
    /// The target rounded down to the instrument's quantity step.
    target: Decimal,
    /// Sum of the strategy's fills on its side.
    executed: Decimal,
    /// Start of the window.
    start: Option<Timestamp>,
    /// Slices reached so far.
    reached: usize,
    /// The window is over.
    over: bool,
}

impl Execution {
    /// An execution from resolved parameters of strategy `name`.
    pub(super) fn new(name: &str, params: &Params) -> Result<Self, ParamError> {
        check_execution(name, params)?;
        let side = if params.text(name, "side")? == "sell" {
            Side::Sell
        } else {
            Side::Buy
        };
        Ok(Self {
            side,
            target_quantity: params.float(name, "target_quantity")?,
            duration_ms: params
                .int(name, "duration_minutes")?
                .saturating_mul(MINUTE_MS),
            slices: params.usize(name, "slices")?,
            symbol: None,
            target: Decimal::ZERO,
            executed: Decimal::ZERO,
            start: None,
            reached: 0,
            over: false,
        })
    }

    /// Whether bars of `symbol` drive this execution; the first symbol seen is chosen (and
    /// the target rounded to its instrument).
    pub(super) fn accepts(&mut self, ctx: &Context<'_>, symbol: &Symbol) -> bool {
        if let Some(chosen) = &self.symbol {
            return chosen == symbol;
        }
        self.symbol = Some(symbol.clone());
        self.target = ctx
            .instrument(symbol)
            .and_then(|i| i.round_quantity(self.target_quantity).ok())
            .unwrap_or(Decimal::ZERO);
        true
    }

    /// Buy or sell.
    pub(super) fn side(&self) -> Side {
        self.side
    }

    /// The rounded target (zero before the first bar).
    pub(super) fn target(&self) -> Decimal {
        self.target
    }

    /// Number of slices.
    pub(super) fn slices(&self) -> usize {
        self.slices
    }

    /// Window length in ms.
    pub(super) fn duration_ms(&self) -> i64 {
        self.duration_ms
    }

    /// Whether the window has started.
    pub(super) fn started(&self) -> bool {
        self.start.is_some()
    }

    /// Starts the window at `ts` (once).
    pub(super) fn start(&mut self, ts: Timestamp) {
        self.start.get_or_insert(ts);
    }

    /// On a bar at `ts`: the number of slices due so far if this bar reaches a new slice
    /// time, `None` if it does not (or the window is over or not started).
    pub(super) fn new_slices(&mut self, ts: Timestamp) -> Option<usize> {
        let start = self.start?;
        if self.over {
            return None;
        }
        let offset = ts.millis().saturating_sub(start.millis());
        if offset >= self.duration_ms {
            self.over = true;
            return None;
        }
        let reached = slices_reached(offset, self.duration_ms, self.slices);
        if reached <= self.reached {
            return None;
        }
        self.reached = reached;
        Some(reached)
    }

    /// Counts a fill of the executed symbol on the execution's side.
    /// Counts a fill of the strategy's own orders (not the risk layer's exits).
    pub(super) fn on_fill(&mut self, ctx: &Context<'_>, fill: &Fill) {
        let own = ctx
            .order(&fill.client_id)
            .is_some_and(|o| o.origin == OrderOrigin::Strategy);
        if own && self.symbol.as_ref() == Some(&fill.symbol) && fill.side == self.side {
            self.executed += fill.quantity;
        }
    }

    /// The market order that brings the executed quantity up to `due` (capped at the
    /// target, rounded down to the quantity step, sells capped at what is held), or `None`
    /// when there is nothing to do now (see the module docs for when a slice is skipped).
    pub(super) fn order(
        &self,
        ctx: &Context<'_>,
        symbol: &Symbol,
        close: f64,
        due: Decimal,
    ) -> Option<Intent> {
        let instrument = ctx.instrument(symbol)?;
        // One order of ours at a time (the risk layer's exits are not ours).
        let in_flight = ctx
            .open_orders_on(symbol, self.side)
            .any(|o| o.origin == OrderOrigin::Strategy);
        if in_flight || self.executed >= self.target {
            return None;
        }
        let mut quantity = instrument.round_quantity_decimal(due.min(self.target) - self.executed);
        if self.side == Side::Sell {
            // No sell of ours is open, so everything held can be offered.
            quantity = quantity.min(instrument.round_quantity_decimal(ctx.held(symbol)));
        }
        if quantity <= Decimal::ZERO
            || quantity < instrument.min_quantity
            || to_f64(quantity) * close < to_f64(instrument.min_notional)
        {
            return None;
        }
        Some(match self.side {
            Side::Buy => Intent::market_buy(symbol, Size::Base(to_f64(quantity))),
            Side::Sell => Intent::market_sell(symbol, Size::Base(to_f64(quantity))),
        })
    }
}

/// The TWAP execution strategy.
#[derive(Debug, Clone)]
pub struct Twap {
    execution: Execution,
    limit_price: f64,
}

impl Twap {
    /// A TWAP from resolved parameters.
    pub fn new(params: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            execution: Execution::new(NAME, params)?,
            limit_price: params.float(NAME, "limit_price")?,
        })
    }

    /// Whether the limit price blocks a slice at `close`.
    fn beyond_limit(&self, close: f64) -> bool {
        self.limit_price > 0.0
            && match self.execution.side() {
                Side::Buy => close > self.limit_price,
                Side::Sell => close < self.limit_price,
            }
    }
}

impl Strategy for Twap {
    fn on_bar(&mut self, ctx: &Context<'_>, symbol: &Symbol, bar: &Bar, intents: &mut Vec<Intent>) {
        let execution = &mut self.execution;
        if !execution.accepts(ctx, symbol) || (!ctx.trading && !execution.started()) {
            return;
        }
        execution.start(bar.ts);
        let Some(reached) = execution.new_slices(bar.ts) else {
            return;
        };
        // A slice due while the bot is paused is carried over, like one beyond the limit.
        if !ctx.trading || self.beyond_limit(bar.close) {
            return;
        }
        let execution = &self.execution;
        let due = execution
            .target()
            .checked_mul(Decimal::from(reached))
            .and_then(|d| d.checked_div(Decimal::from(execution.slices())));
        if let Some(intent) = due.and_then(|due| execution.order(ctx, symbol, bar.close, due)) {
            intents.push(intent);
        }
    }

    fn on_fill(&mut self, ctx: &Context<'_>, fill: &Fill, _intents: &mut Vec<Intent>) {
        self.execution.on_fill(ctx, fill);
    }
}
