//! New listings (long-only spot): buy a symbol that starts trading during the run once it
//! has settled, if it is liquid and moving but not wild; leave at a hard stop or after a
//! holding time.
//!
//! # Rules
//!
//! - **Fresh listing.** A symbol is new when its first bar arrives more than
//!   `listing_grace_minutes` after the first event the strategy ever saw (any callback:
//!   bar, trade, book, signal, timer, order report). Symbols whose first bar arrives within
//!   the grace period were present from the start and are never traded.
//! - **Settling.** A new symbol's first `settle_bars` bars are its settle period. On the
//!   next bar (the first after settling) the filters are checked over the settle bars:
//!   - liquidity: the mean quote volume (`close × volume`) of the settle bars is at least
//!     `min_quote_volume`;
//!   - volatility: the population standard deviation of the `settle_bars − 1` one-bar
//!     returns (`close / previous close − 1`) of the settle bars lies within
//!     `[min_volatility, max_volatility]`.
//!
//!   If both pass (and nothing is held or pending in the symbol), a market buy of
//!   `order_size` of the available capital goes out on that bar; otherwise the listing is
//!   passed over for good. One entry per listing, never a second chance.
//! - **Exits.** The entry price is the average price of the entry's fills. On every later
//!   bar, a market sell of the whole position goes out when the close is at or below
//!   `entry × (1 − stop_pct)` (hard stop) or when `max_hold_bars` bars have passed since
//!   the entry bar (time exit: on the entry bar + `max_hold_bars`). A refused exit is
//!   retried on the next bars. Once the position is gone (sold by the strategy or by the
//!   risk layer) the listing is finished.
//!
//! # Parameters
//!
//! `listing_grace_minutes`, `settle_bars`, `min_quote_volume`, `min_volatility`,
//! `max_volatility` (at least `min_volatility`), `stop_pct`, `max_hold_bars`, `order_size`.
//!
//! # Vectorised form
//!
//! None: a listing is recognised across symbols (a symbol's first bar against the first
//! event of the whole run), which one symbol's bar columns cannot show — their first row
//! is just where the data begins — and the strategy holds several symbols at once.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::params::{ParamError, ParamSpec, Params, StrategySchema};
use super::registry::StrategyEntry;
use super::{Context, Intent, Size, Strategy};
use crate::engine::Signal;
use crate::indicators;
use crate::money::rounding::to_f64;
use crate::types::{Bar, BookTop, Fill, Order, Side, Symbol, Timestamp, Trade};

#[cfg(test)]
mod tests;

const NAME: &str = "new_listing";

/// Milliseconds in a minute.
const MINUTE_MS: i64 = 60_000;

/// The registry entry of the new-listing strategy.
#[must_use]
pub fn entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "New listings (long-only): buy a symbol listed during the run after it \
                          settles, if liquid and volatile enough but not too volatile; hard \
                          stop and time exit.",
            params: vec![
                ParamSpec::int(
                    "listing_grace_minutes",
                    60,
                    0,
                    525_600,
                    "A symbol whose first bar comes later than this after the first event is new",
                ),
                ParamSpec::int(
                    "settle_bars",
                    15,
                    3,
                    10_000,
                    "Bars a new symbol trades before the filters are checked",
                ),
                ParamSpec::float(
                    "min_quote_volume",
                    5_000.0,
                    0.0,
                    1e15,
                    "Smallest mean quote volume (close × volume) per settle bar",
                ),
                ParamSpec::float(
                    "min_volatility",
                    0.002,
                    0.0,
                    10.0,
                    "Smallest standard deviation of one-bar returns over the settle bars",
                ),
                ParamSpec::float(
                    "max_volatility",
                    0.05,
                    0.0,
                    10.0,
                    "Largest standard deviation of one-bar returns over the settle bars",
                ),
                ParamSpec::float(
                    "stop_pct",
                    0.08,
                    0.001,
                    0.99,
                    "Hard stop: sell when the close is this share below the entry price",
                ),
                ParamSpec::int(
                    "max_hold_bars",
                    240,
                    1,
                    1_000_000,
                    "Time exit: sell this many bars after the entry bar",
                ),
                ParamSpec::order_size(0.1),
            ],
        },
        check: check_params,
        build: |params, _| Ok(Box::new(NewListing::new(params)?)),
        signals: None,
    }
}

fn check_params(params: &Params) -> Result<(), ParamError> {
    let min = params.float(NAME, "min_volatility")?;
    let max = params.float(NAME, "max_volatility")?;
    if min > max {
        return Err(ParamError::new(
            NAME,
            "min_volatility",
            min,
            format!("must be at most max_volatility ({max})"),
        ));
    }
    Ok(())
}

/// The filters' inputs over the settle bars: the mean quote volume and the population
/// standard deviation of the one-bar returns (`None` if it cannot be computed).
fn settle_stats(closes: &[f64], quote_volumes: &[f64]) -> Option<(f64, f64)> {
    #[allow(clippy::cast_precision_loss, reason = "settle periods are short")]
    let mean_quote = quote_volumes.iter().sum::<f64>() / quote_volumes.len() as f64;
    let returns: Vec<f64> = closes.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let volatility = *indicators::rolling_std(&returns, returns.len())
        .ok()?
        .last()?;
    (mean_quote.is_finite() && volatility.is_finite()).then_some((mean_quote, volatility))
}

/// Where one symbol stands.
#[derive(Debug, Clone)]
enum Listing {
    /// Present from the start: never traded.
    Established,
    /// Listed during the run: collecting the settle bars.
    Settling {
        closes: Vec<f64>,
        quote_volumes: Vec<f64>,
    },
    /// Entry sent; holding (or waiting for the entry to fill).
    Holding {
        /// Bars since the entry bar.
        bars: usize,
        /// Base bought and its cost, from the entry's fills.
        bought: Decimal,
        cost: Decimal,
        /// The entry bar's close, used until a fill arrives.
        decision_close: f64,
        /// An exit was decided (retried until the position is gone).
        exiting: bool,
    },
    /// Passed over, entry failed, or exited.
    Done,
}

/// The new-listing strategy.
#[derive(Debug, Clone)]
pub struct NewListing {
    grace_ms: i64,
    settle_bars: usize,
    min_quote_volume: f64,
    min_volatility: f64,
    max_volatility: f64,
    stop_pct: f64,
    max_hold_bars: usize,
    order_size: f64,
    /// Time of the first event seen.
    first_seen: Option<Timestamp>,
    listings: BTreeMap<Symbol, Listing>,
}

impl NewListing {
    /// A new-listing strategy from resolved parameters.
    pub fn new(params: &Params) -> Result<Self, ParamError> {
        check_params(params)?;
        Ok(Self {
            grace_ms: params
                .int(NAME, "listing_grace_minutes")?
                .saturating_mul(MINUTE_MS),
            settle_bars: params.usize(NAME, "settle_bars")?,
            min_quote_volume: params.float(NAME, "min_quote_volume")?,
            min_volatility: params.float(NAME, "min_volatility")?,
            max_volatility: params.float(NAME, "max_volatility")?,
            stop_pct: params.float(NAME, "stop_pct")?,
            max_hold_bars: params.usize(NAME, "max_hold_bars")?,
            order_size: params.float(NAME, "order_size")?,
            first_seen: None,
            listings: BTreeMap::new(),
        })
    }

    fn note(&mut self, ts: Timestamp) {
        self.first_seen.get_or_insert(ts);
    }

    /// Whether the settle bars pass the liquidity and volatility filters.
    fn filters_pass(&self, closes: &[f64], quote_volumes: &[f64]) -> bool {
        settle_stats(closes, quote_volumes).is_some_and(|(quote, volatility)| {
            quote >= self.min_quote_volume
                && volatility >= self.min_volatility
                && volatility <= self.max_volatility
        })
    }
}

impl Strategy for NewListing {
    fn on_bar(&mut self, ctx: &Context<'_>, symbol: &Symbol, bar: &Bar, intents: &mut Vec<Intent>) {
        self.note(ctx.ts);
        let first = self.first_seen.unwrap_or(bar.ts);
        let fresh = bar.ts.millis().saturating_sub(first.millis()) > self.grace_ms;
        let mut listing = self.listings.remove(symbol).unwrap_or(if fresh {
            Listing::Settling {
                closes: Vec::new(),
                quote_volumes: Vec::new(),
            }
        } else {
            Listing::Established
        });
        match &mut listing {
            Listing::Established | Listing::Done => {}
            Listing::Settling {
                closes,
                quote_volumes,
            } => {
                if closes.len() < self.settle_bars {
                    closes.push(bar.close);
                    quote_volumes.push(bar.close * bar.volume);
                } else if self.filters_pass(closes, quote_volumes)
                    && !ctx.is_long(symbol)
                    && !ctx.has_open_orders(symbol)
                {
                    intents.push(Intent::market_buy(
                        symbol,
                        Size::WalletShare(self.order_size),
                    ));
                    listing = Listing::Holding {
                        bars: 0,
                        bought: Decimal::ZERO,
                        cost: Decimal::ZERO,
                        decision_close: bar.close,
                        exiting: false,
                    };
                } else {
                    listing = Listing::Done;
                }
            }
            Listing::Holding {
                bars,
                bought,
                cost,
                decision_close,
                exiting,
            } => {
                *bars += 1;
                let pending = ctx.has_open_orders(symbol);
                if !ctx.is_long(symbol) {
                    if !pending {
                        listing = Listing::Done;
                    }
                } else if !pending {
                    let entry = if bought.is_zero() {
                        *decision_close
                    } else {
                        to_f64(*cost / *bought)
                    };
                    *exiting |=
                        bar.close <= entry * (1.0 - self.stop_pct) || *bars >= self.max_hold_bars;
                    if *exiting {
                        intents.push(Intent::market_sell(symbol, Size::PositionShare(1.0)));
                    }
                }
            }
        }
        self.listings.insert(symbol.clone(), listing);
    }

    fn on_fill(&mut self, ctx: &Context<'_>, fill: &Fill, _intents: &mut Vec<Intent>) {
        self.note(ctx.ts);
        if fill.side != Side::Buy {
            return;
        }
        if let Some(Listing::Holding { bought, cost, .. }) = self.listings.get_mut(&fill.symbol) {
            *bought += fill.quantity;
            *cost += fill.notional();
        }
    }

    fn on_trade(&mut self, ctx: &Context<'_>, _: &Symbol, _: &Trade, _: &mut Vec<Intent>) {
        self.note(ctx.ts);
    }

    fn on_book(&mut self, ctx: &Context<'_>, _: &Symbol, _: &BookTop, _: &mut Vec<Intent>) {
        self.note(ctx.ts);
    }

    fn on_signal(&mut self, ctx: &Context<'_>, _: &Signal, _: &mut Vec<Intent>) {
        self.note(ctx.ts);
    }

    fn on_timer(&mut self, ctx: &Context<'_>, _: &mut Vec<Intent>) {
        self.note(ctx.ts);
    }

    fn on_order(&mut self, ctx: &Context<'_>, _: &Order, _: &mut Vec<Intent>) {
        self.note(ctx.ts);
    }
}
