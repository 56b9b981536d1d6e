//! Strategies: the `Strategy` trait, its context and intents, parameter schemas and the
//! registry that maps a name to a constructor.
//!
//! A strategy only decides. It sees a read-only [`Context`] and pushes [`Intent`]s; the
//! risk gate sizes, rounds and checks them before any order exists. The same strategy
//! name and parameters run in backtests, sweeps, paper and live mode.

pub mod auto;
pub mod breakout;
pub mod context;
pub mod crossover;
pub mod dca;
pub mod grid;
pub mod intent;
pub mod mean_reversion;
pub mod new_listing;
pub mod params;
pub mod registry;
pub mod signal_follower;
pub mod triangular;
pub mod twap;
pub mod vector;
pub mod volume_spike;
pub mod vwap;

use std::collections::BTreeMap;
use std::fmt;

pub use context::Context;
pub use intent::{Intent, OrderIntent, Pricing, Size};
pub use params::{ParamError, ParamKind, ParamSpec, ParamValue, Params, StrategySchema};
pub use registry::{Registry, RegistryError, StrategyEntry, StrategySpec};
pub use vector::{BarColumns, BarSeries, SignalFn, Signals};

use crate::engine::Signal;
use crate::types::{Bar, BookTop, Fill, Order, Symbol, Trade};

/// A trading strategy. Every method gets the context and a list to push intents into;
/// the default implementations do nothing.
///
/// Strategies must be deterministic: no clock, no unseeded randomness, no hash-ordered
/// iteration. "Now" is `ctx.ts`.
pub trait Strategy: Send + fmt::Debug {
    /// A bar of `symbol` completed.
    fn on_bar(&mut self, ctx: &Context<'_>, symbol: &Symbol, bar: &Bar, intents: &mut Vec<Intent>);

    /// A public trade in `symbol`.
    fn on_trade(
        &mut self,
        _ctx: &Context<'_>,
        _symbol: &Symbol,
        _trade: &Trade,
        _intents: &mut Vec<Intent>,
    ) {
    }

    /// The top of the book of `symbol` changed.
    fn on_book(
        &mut self,
        _ctx: &Context<'_>,
        _symbol: &Symbol,
        _book: &BookTop,
        _intents: &mut Vec<Intent>,
    ) {
    }

    /// An external score arrived (signal follower, models, AI providers).
    fn on_signal(&mut self, _ctx: &Context<'_>, _signal: &Signal, _intents: &mut Vec<Intent>) {}

    /// A timer the driver delivers (`ctx.ts` is its time).
    fn on_timer(&mut self, _ctx: &Context<'_>, _intents: &mut Vec<Intent>) {}

    /// One of the bot's orders was (partly) filled; the wallet already shows it.
    fn on_fill(&mut self, _ctx: &Context<'_>, _fill: &Fill, _intents: &mut Vec<Intent>) {}

    /// One of the bot's orders changed status (accepted, rejected, canceled, expired).
    fn on_order(&mut self, _ctx: &Context<'_>, _order: &Order, _intents: &mut Vec<Intent>) {}
}

/// The per-symbol state of a strategy in `states`, created by `make` on the symbol's first
/// callback; `None` when it cannot be created.
pub(crate) fn symbol_state<'m, T>(
    states: &'m mut BTreeMap<Symbol, T>,
    symbol: &Symbol,
    make: impl FnOnce() -> Option<T>,
) -> Option<&'m mut T> {
    // One search: a symbol is copied inline (no allocation) to make the entry key.
    match states.entry(symbol.clone()) {
        std::collections::btree_map::Entry::Occupied(state) => Some(state.into_mut()),
        std::collections::btree_map::Entry::Vacant(slot) => Some(slot.insert(make()?)),
    }
}
