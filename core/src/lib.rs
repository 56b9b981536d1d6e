//! # vela-core
//!
//! The deterministic heart of vela: one strategy and risk core that the backtester and the
//! live runner both drive. It is a pure state machine — sans-IO, no clock, no threads:
//!
//! ```text
//! Engine::on_event(&mut self, event: &Event) -> Result<&[Command], EngineError>
//! ```
//!
//! - [`types`]: timestamps (`i64` ms UTC), symbols, instruments, bars, trades, book tops,
//!   orders with their state machine, fills.
//! - [`money`]: `rust_decimal` for every order value and the one rounding bridge from `f64`.
//! - [`wallet`]: the per-bot virtual wallet (budget cap, compounding), positions per asset
//!   with FIFO lots costed in the budget asset.
//! - [`indicators`]: streaming and slice forms that give the same numbers.
//! - [`strategy`]: the `Strategy` trait, its read-only context, intents, parameter schemas,
//!   the registry and the strategy library (crossover, breakout, mean reversion, volume
//!   spike, grid, DCA, TWAP, VWAP, new listing, signal follower, triangular arbitrage,
//!   auto mode), with vectorised entry/exit forms where the logic allows them.
//! - [`risk`]: the risk gate every intent passes, and the protections that act on their own
//!   (stops, take profit, loss limits, breakers, kill switches).
//! - [`engine`]: events in, commands out; bot lifecycle; deterministic client order ids.
//! - [`sim`]: the simulated exchange — orders against bars with fill models, MEXC fees,
//!   precision and minimums — shared by the backtester, paper trading and `vela sim`.
//!
//! Determinism: the same events always give the same commands. Time is the timestamp of the
//! event being handled; collections that reach an output are ordered (`BTreeMap`, `Vec`).
//! Clippy bans on the clock, the environment and hash-ordered maps enforce it (`clippy.toml`).
//!
//! ## Example
//!
//! A crossover bot fed three bars decides to buy once the fast average crosses the slow one:
//!
//! ```
//! use vela_core::prelude::*;
//! use rust_decimal::Decimal;
//!
//! let instrument = Instrument {
//!     symbol: Symbol::new("BTCUSDT")?,
//!     base: Asset::new("BTC")?,
//!     quote: Asset::new("USDT")?,
//!     price_precision: 2,
//!     quantity_precision: 6,
//!     min_quantity: Decimal::new(1, 6),
//!     min_notional: Decimal::ONE,
//!     maker_fee: Decimal::ZERO,
//!     taker_fee: Decimal::new(5, 4),
//!     api_trading_allowed: true,
//! };
//! let mut params = Params::new();
//! params.set("fast", 1_i64);
//! params.set("slow", 2_i64);
//! let config = BotConfig::new(
//!     BotId::new("demo")?,
//!     vec![instrument.clone()],
//!     Decimal::new(1000, 0),
//!     StrategySpec::new("crossover", params),
//! );
//! let mut engine = Engine::new(config, &Registry::builtin())?;
//! engine.on_event(&Event::control(Timestamp(0), Control::Start))?;
//!
//! let mut submitted = Vec::new();
//! for (i, close) in [100.0, 99.0, 101.0].into_iter().enumerate() {
//!     let bar = Bar { ts: Timestamp(i as i64 * 60_000), open: close, high: close,
//!                     low: close, close, volume: 1.0 };
//!     let event = Event::bar(instrument.symbol.clone(), bar);
//!     for command in engine.on_event(&event)? {
//!         if let Command::Submit(order) = command {
//!             submitted.push(order.clone());
//!         }
//!     }
//! }
//! assert_eq!(submitted.len(), 1);
//! assert_eq!(submitted[0].side, Side::Buy);
//! assert_eq!(submitted[0].client_id.as_str(), "demo-1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod engine;
pub mod error;
pub mod indicators;
pub mod money;
pub mod risk;
pub mod sim;
pub mod strategy;
pub mod types;
pub mod wallet;

#[cfg(any(test, feature = "stubs"))]
pub mod testkit;

/// The names most users need, in one import.
pub mod prelude {
    pub use crate::engine::{
        BotConfig, BotId, BotState, Command, Control, Engine, EngineError, Event, OrderReport,
    };
    pub use crate::risk::RiskConfig;
    pub use crate::strategy::{
        Context, Intent, ParamValue, Params, Registry, Size, Strategy, StrategySpec,
    };
    pub use crate::types::{
        Asset, Bar, BookTop, ClientOrderId, Fill, Instrument, Order, OrderAmount, OrderRequest,
        OrderStatus, OrderType, Side, Symbol, Timestamp, Trade,
    };
    pub use crate::wallet::{Position, Wallet};
}
