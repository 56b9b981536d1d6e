//! Adaptive grid, long-only spot: resting buy limits on a ladder of price levels below the
//! price; each filled buy is offered one level higher; each sale re-arms its buy. Orders
//! are only placed while the bot is running; the range is tracked all along.
//!
//! **Levels.** `levels` prices from the range's low to its high, spaced `arithmetic`
//! (equal steps) or `geometric` (equal ratios), rounded to the instrument's price step. The
//! range is the highest high and lowest low of the last `range_bars` bars, current bar
//! included (`range_mode = "high_low"`), or the close ± `atr_mult` × ATR(`atr_period`)
//! (`range_mode = "atr"`). No grid is built while the range is empty or too narrow for
//! distinct rounded prices (flat bars, a zero ATR) or reaches zero; the strategy retries on
//! every bar.
//!
//! **Slots.** Slot `i` buys at level `i` and sells at level `i + 1`, so the grid has
//! `levels - 1` buy levels (the top level only ever carries sells). Every slot gets the
//! same quote budget, fixed when the grid is built:
//! `budget_per_level = available capital / (levels - 1)`, rounded down to the price step.
//! (A bot with several symbols runs one grid per symbol, each sized from its share of the
//! capital: `available / ((levels - 1) × symbols)`.) Capital for the slots above the price
//! waits until the price rises above them. A slot cycles idle → buying → holding → selling
//! → idle:
//! - *idle → buying*: on a bar whose close is **above** the slot's level, a limit buy of
//!   `Size::Quote(budget_per_level)` rests at the level. A slot is skipped (no order is
//!   sent) while the available capital is below its budget or the order would be below the
//!   instrument's minimum quantity or value.
//! - *buying → holding*: the buy filled (the base received, net of any base fee, is the
//!   slot's inventory).
//! - *holding → selling*: at the next bar close (the close of the bar the buy filled in)
//!   a limit sell of the inventory rests one level up; if the close is already above that
//!   level the sell is marketable and fills at once.
//! - *selling → idle*: the sale completed a round trip; the buy is re-armed by the
//!   idle rule.
//!
//! A canceled buy keeps what it filled as inventory; a canceled sell returns to holding.
//! Orders are placed only on bar closes; fills and order reports only update the slots. The
//! grid finds its own orders with `Context::open_orders_on` (side and level price) on the
//! callback after it asked for them; an order that never appeared was denied, and its slot
//! waits 10 bars before asking again.
//!
//! **Re-centre.** When the close has been outside `[lowest level, highest level]` for more
//! than `recenter_after_bars` bars in a row, the grid cancels all its orders in the symbol
//! and, on the first bar after every order has ended, builds a new range around the then
//! current price (same rules as the first build). Inventory is **kept**: each slot's
//! inventory moves, lowest old level first, to the new slots whose buy level is at or above
//! the close (inventory beyond the top slot joins the top slot), and is offered at those
//! slots' sell levels — the new levels above the price, not the old sell prices. An adaptive
//! grid follows the price instead of waiting for the old range to return; after a fall this
//! realises the loss. Base held that no slot tracks (another strategy's position) is adopted
//! the same way at every build, when it is worth at least the minimum order.
//!
//! **Parameters:** `levels`, `spacing`, `range_mode`, `range_bars`, `atr_period`,
//! `atr_mult`, `recenter_after_bars` (schema below). No cross-parameter rules.
//!
//! **No vectorised form** (`signals: None`): the grid holds several partial positions at
//! once, filled by resting limit orders inside bars, and its exits depend on which level
//! each lot was bought at; an all-in/all-out entry/exit column cannot express it.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::params::{ParamError, ParamSpec, Params, StrategySchema};
use super::registry::StrategyEntry;
use super::{Context, Intent, Strategy};
use crate::indicators::{Atr, Donchian};
use crate::money::rounding::{decimal_down, to_f64};
use crate::types::{Bar, ClientOrderId, Fill, Order, OrderStatus, Side, Symbol};

mod ladder;
#[cfg(test)]
mod tests;

use ladder::{Ladder, OrderRef, Slot, Spacing, Stage, grid_levels, tradable};

const NAME: &str = "grid";

/// Bars a slot waits after its order was denied or rejected before it asks again.
const RETRY_AFTER_BARS: u64 = 10;

/// The registry entry of the grid strategy.
#[must_use]
pub fn entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "Adaptive grid (long-only): buy limits at levels below the price, each \
                          fill offered one level up, re-armed after the sale; re-centres when \
                          the price stays outside the range.",
            params: vec![
                ParamSpec::int("levels", 10, 2, 200, "Price levels in the grid"),
                ParamSpec::choice(
                    "spacing",
                    "geometric",
                    &["arithmetic", "geometric"],
                    "Level spacing: equal steps (arithmetic) or equal ratios (geometric)",
                ),
                ParamSpec::choice(
                    "range_mode",
                    "high_low",
                    &["high_low", "atr"],
                    "Range: recent high/low (high_low) or close ± atr_mult × ATR (atr)",
                ),
                ParamSpec::int(
                    "range_bars",
                    240,
                    2,
                    100_000,
                    "Bars whose high/low set the range (high_low mode)",
                ),
                ParamSpec::int("atr_period", 14, 1, 10_000, "ATR period (atr mode)"),
                ParamSpec::float(
                    "atr_mult",
                    3.0,
                    0.1,
                    100.0,
                    "Range half-width in ATRs (atr mode)",
                ),
                ParamSpec::int(
                    "recenter_after_bars",
                    60,
                    1,
                    100_000,
                    "Bars the close may stay outside the range before the grid re-centres",
                ),
            ],
        },
        check: |_| Ok(()),
        build: |params, _| Ok(Box::new(Grid::new(params)?)),
        signals: None,
    }
}

/// Per-symbol state: range indicators and the grid.
#[derive(Debug, Clone)]
struct Book {
    range: Donchian,
    atr: Atr,
    /// Bars seen.
    bars: u64,
    ladder: Option<Ladder>,
    /// A cancel of orders found before the first build was sent.
    cleared: bool,
}

/// The order (or fill) the current callback is about, for binding orders that already ended.
#[derive(Debug, Clone, Copy)]
struct Subject<'a> {
    id: &'a ClientOrderId,
    symbol: &'a Symbol,
    side: Side,
    price: Decimal,
}

/// The grid strategy.
#[derive(Debug, Clone)]
pub struct Grid {
    levels: usize,
    spacing: Spacing,
    atr_mode: bool,
    range_bars: usize,
    atr_period: usize,
    atr_mult: f64,
    recenter_after_bars: u64,
    books: BTreeMap<Symbol, Book>,
}

impl Grid {
    /// A grid from resolved parameters.
    pub fn new(params: &Params) -> Result<Self, ParamError> {
        let levels = params.usize(NAME, "levels")?;
        if levels < 2 {
            return Err(ParamError::new(
                NAME,
                "levels",
                levels,
                "must be at least 2",
            ));
        }
        let strategy = Self {
            levels,
            spacing: if params.text(NAME, "spacing")? == "arithmetic" {
                Spacing::Arithmetic
            } else {
                Spacing::Geometric
            },
            atr_mode: params.text(NAME, "range_mode")? == "atr",
            range_bars: params.usize(NAME, "range_bars")?,
            atr_period: params.usize(NAME, "atr_period")?,
            atr_mult: params.float(NAME, "atr_mult")?,
            recenter_after_bars: u64::try_from(params.usize(NAME, "recenter_after_bars")?)
                .unwrap_or(u64::MAX),
            books: BTreeMap::new(),
        };
        strategy.book()?;
        Ok(strategy)
    }

    fn book(&self) -> Result<Book, ParamError> {
        Ok(Book {
            range: Donchian::new(self.range_bars)
                .map_err(|e| ParamError::new(NAME, "range_bars", self.range_bars, e.to_string()))?,
            atr: Atr::new(self.atr_period)
                .map_err(|e| ParamError::new(NAME, "atr_period", self.atr_period, e.to_string()))?,
            bars: 0,
            ladder: None,
            cleared: false,
        })
    }

    /// Matches the orders asked for on the previous callback with the open orders (side and
    /// level price), or with `subject` (an order that already ended); the rest were denied.
    fn bind(&mut self, ctx: &Context<'_>, subject: Option<Subject<'_>>) {
        for (symbol, book) in &mut self.books {
            let Some(ladder) = book.ladder.as_mut() else {
                continue;
            };
            let pending: Vec<usize> = (0..ladder.slots.len())
                .filter(|&i| ladder.slots[i].stage.order() == Some(&OrderRef::Pending))
                .collect();
            if pending.is_empty() {
                continue;
            }
            let mut unmatched = Vec::new();
            for i in pending {
                let Some((side, price)) = ladder.order_spot(i) else {
                    continue;
                };
                let found = ctx
                    .open_orders_on(symbol, side)
                    .find(|o| o.request.price == Some(price) && !ladder.owns(o.client_id()))
                    .map(|o| o.client_id().clone());
                match found {
                    Some(id) => ladder.set_order(i, id),
                    None => unmatched.push(i),
                }
            }
            if let Some(s) = subject
                && s.symbol == symbol
                && !ladder.owns(s.id)
            {
                let best = unmatched
                    .iter()
                    .copied()
                    .filter(|&i| ladder.order_spot(i).is_some_and(|(side, _)| side == s.side))
                    .min_by_key(|&i| {
                        ladder
                            .order_spot(i)
                            .map_or(Decimal::MAX, |(_, p)| (p - s.price).abs())
                    });
                if let Some(i) = best {
                    ladder.set_order(i, s.id.clone());
                    unmatched.retain(|&j| j != i);
                }
            }
            for i in unmatched {
                let slot = &mut ladder.slots[i];
                slot.stage = slot.stage.ended();
                slot.retry_at = book.bars + RETRY_AFTER_BARS;
            }
        }
    }

    /// Builds (or rebuilds) the grid of `symbol` around `close`; false when the range is
    /// not usable yet.
    fn build(&mut self, ctx: &Context<'_>, symbol: &Symbol, close: f64) -> bool {
        let (Some(book), Some(instrument)) = (self.books.get_mut(symbol), ctx.instrument(symbol))
        else {
            return false;
        };
        let (low, high) = if self.atr_mode {
            let Some(atr) = book.atr.value() else {
                return false;
            };
            (close - self.atr_mult * atr, close + self.atr_mult * atr)
        } else {
            let Some(range) = book.range.value() else {
                return false;
            };
            (range.lower, range.upper)
        };
        let Some(levels) = grid_levels(low, high, self.levels, self.spacing, instrument) else {
            return false;
        };
        let n_slots = levels.len() - 1;
        // Inventory carried over, lowest old level first, then any untracked base.
        let mut chunks: Vec<Decimal> = book.ladder.as_ref().map_or_else(Vec::new, |l| {
            l.slots
                .iter()
                .map(|s| s.stage.inventory())
                .filter(|q| *q > Decimal::ZERO)
                .collect()
        });
        let tracked: Decimal = chunks.iter().sum();
        let untracked = instrument.round_quantity_decimal(ctx.held(symbol) - tracked);
        if let Some(price) = instrument.round_price(close).ok()
            && tradable(instrument, untracked, price)
        {
            chunks.push(untracked);
        }
        let divisor = Decimal::from(n_slots) * Decimal::from(ctx.instruments.len().max(1));
        let budget = decimal_down(
            ctx.wallet.available().max(Decimal::ZERO) / divisor,
            instrument.price_precision,
        );
        let mut slots = vec![
            Slot {
                stage: Stage::Idle,
                retry_at: 0,
            };
            n_slots
        ];
        let first_above = levels[..n_slots]
            .iter()
            .position(|l| to_f64(*l) >= close)
            .unwrap_or(n_slots - 1);
        for (j, chunk) in chunks.into_iter().enumerate() {
            let slot = &mut slots[(first_above + j).min(n_slots - 1)];
            slot.stage = Stage::Holding {
                quantity: slot.stage.inventory() + chunk,
            };
        }
        book.ladder = Some(Ladder {
            levels,
            budget,
            slots,
            outside: 0,
            recentering: false,
        });
        true
    }
}

impl Strategy for Grid {
    fn on_bar(&mut self, ctx: &Context<'_>, symbol: &Symbol, bar: &Bar, intents: &mut Vec<Intent>) {
        self.bind(ctx, None);
        if !self.books.contains_key(symbol) {
            let Ok(book) = self.book() else { return };
            self.books.insert(symbol.clone(), book);
        }
        let Some(book) = self.books.get_mut(symbol) else {
            return;
        };
        book.bars += 1;
        book.range.update(bar.high, bar.low);
        book.atr.update(bar.high, bar.low, bar.close);
        let open_orders = ctx.has_open_orders(symbol);
        let rebuild = match book.ladder.as_mut() {
            None if open_orders => {
                // Orders this grid does not know (e.g. from before a parameter update).
                if !book.cleared {
                    book.cleared = true;
                    intents.push(Intent::CancelAll {
                        symbol: Some(symbol.clone()),
                    });
                }
                return;
            }
            None => true,
            Some(ladder) if ladder.recentering => !open_orders,
            Some(ladder) => {
                let (low, high) = (ladder.levels[0], ladder.levels[ladder.levels.len() - 1]);
                let inside = bar.close >= to_f64(low) && bar.close <= to_f64(high);
                ladder.outside = if inside { 0 } else { ladder.outside + 1 };
                if ladder.outside > self.recenter_after_bars {
                    ladder.recentering = true;
                    if open_orders {
                        intents.push(Intent::CancelAll {
                            symbol: Some(symbol.clone()),
                        });
                    }
                    !open_orders
                } else {
                    false
                }
            }
        };
        if rebuild && !self.build(ctx, symbol, bar.close) {
            return;
        }
        let (Some(book), Some(instrument)) = (self.books.get_mut(symbol), ctx.instrument(symbol))
        else {
            return;
        };
        // Orders wait for a running bot (no stream of denied orders while paused).
        if let Some(ladder) = book.ladder.as_mut()
            && !ladder.recentering
            && ctx.trading
        {
            ladder.place_orders(ctx, symbol, instrument, book.bars, bar.close, intents);
        }
    }

    fn on_fill(&mut self, ctx: &Context<'_>, fill: &Fill, _intents: &mut Vec<Intent>) {
        self.bind(
            ctx,
            Some(Subject {
                id: &fill.client_id,
                symbol: &fill.symbol,
                side: fill.side,
                price: fill.price,
            }),
        );
        let base_fee = ctx
            .instrument(&fill.symbol)
            .filter(|i| i.base == fill.fee_asset)
            .map_or(Decimal::ZERO, |_| fill.fee);
        let ended = !ctx.open_orders.contains_key(&fill.client_id);
        let Some(ladder) = self
            .books
            .get_mut(&fill.symbol)
            .and_then(|b| b.ladder.as_mut())
        else {
            return;
        };
        let Some(i) = ladder.slot_of(&fill.client_id) else {
            return;
        };
        let stage = &mut ladder.slots[i].stage;
        match stage {
            Stage::Buying { filled, .. } => {
                *filled += fill.quantity - base_fee;
                if ended {
                    *stage = stage.ended();
                }
            }
            Stage::Selling { quantity, .. } => {
                *quantity = (*quantity - fill.quantity).max(Decimal::ZERO);
                if ended {
                    // The round trip is complete; what the sell left over is dust.
                    *stage = Stage::Idle;
                }
            }
            Stage::Idle | Stage::Holding { .. } => {}
        }
    }

    fn on_order(&mut self, ctx: &Context<'_>, order: &Order, _intents: &mut Vec<Intent>) {
        self.bind(
            ctx,
            order.request.price.map(|price| Subject {
                id: order.client_id(),
                symbol: &order.request.symbol,
                side: order.request.side,
                price,
            }),
        );
        if !order.status.is_terminal() {
            return;
        }
        let Some(book) = self.books.get_mut(&order.request.symbol) else {
            return;
        };
        let bars = book.bars;
        let Some(ladder) = book.ladder.as_mut() else {
            return;
        };
        let Some(i) = ladder.slot_of(order.client_id()) else {
            return;
        };
        let slot = &mut ladder.slots[i];
        slot.stage = slot.stage.ended();
        if matches!(order.status, OrderStatus::Rejected | OrderStatus::Expired) {
            slot.retry_at = bars + RETRY_AFTER_BARS;
        }
    }
}
