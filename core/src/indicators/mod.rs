//! Technical indicators over `f64` price series.
//!
//! | Indicator | Streaming type | Slice function | Output |
//! |---|---|---|---|
//! | Simple moving average | [`Sma`] | [`sma`] | `f64` |
//! | Exponential moving average | [`Ema`] | [`ema`] | `f64` |
//! | Weighted (linear 1..n) moving average | [`Wma`] | [`wma`] | `f64` |
//! | Relative strength index (Wilder) | [`Rsi`] | [`rsi`] | `f64` in 0..=100 |
//! | MACD (line, signal, histogram) | [`Macd`] | [`macd`] | [`MacdValue`] / [`MacdSeries`] |
//! | Bollinger bands | [`Bollinger`] | [`bollinger`] | [`BollingerValue`] / [`BollingerSeries`] |
//! | Average true range (Wilder) | [`Atr`] | [`atr`] | `f64` |
//! | Donchian channel | [`Donchian`] | [`donchian`] | [`DonchianValue`] / [`DonchianSeries`] |
//! | Rolling standard deviation (population) | [`RollingStd`] | [`rolling_std`] | `f64` |
//! | Rolling z-score | [`ZScore`] | [`zscore`] | `f64` |
//! | Rolling VWAP (typical price) | [`Vwap`] | [`vwap`] | `f64` |
//! | On-balance volume | [`Obv`] | [`obv`] | `f64` |
//! | ADX with +DI / −DI (Wilder) | [`Adx`] | [`adx`] | [`AdxValue`] / [`AdxSeries`] |
//!
//! # Streaming contract
//!
//! Every indicator is a struct with
//! - a checked constructor `new(period, ..) -> Result<Self, IndicatorError>`
//!   ([`Obv`] has no parameter, so its `new()` cannot fail);
//! - `update(..) -> Option<Out>` taking **one** new input (a close, or plain
//!   `f64` bar fields such as `update(high, low, close)`), returning `None`
//!   during warm-up and `Some(value)` from then on;
//! - `value()` (the latest output, `None` during warm-up), `is_ready()`,
//!   `reset()` (back to the freshly constructed state) and
//! - `warmup_period()`: the number of inputs for which `update` returns `None`,
//!   i.e. the 0-based index of the first `Some` (TA-Lib calls this the
//!   "lookback"). For example `Sma::new(20)` has a warm-up of 19: the 20th
//!   input yields the first value.
//!
//! # Slice contract
//!
//! Each indicator also has a free function over whole slices returning vectors
//! of the input's length, with `f64::NAN` at the warm-up positions
//! (multi-output indicators return a struct of vectors). Slice functions are
//! implemented by running the streaming type, so both forms give bit-identical
//! numbers ([`sma`] runs a faster kernel doing the same additions in the same order, and
//! is tested bit-identical to [`Sma`]; [`sma_into`] gives a range of it). Multi-input
//! slice functions reject slices of different lengths.
//!
//! # Conventions
//!
//! The numbers follow TA-Lib's defaults (seeding, Wilder smoothing, MACD
//! alignment); each type's docs state its convention, and
//! `core/tests/indicators.rs` checks them against TA-Lib (and against pandas for
//! the z-score and VWAP, which TA-Lib lacks).
//!
//! Windowed indicators (SMA, WMA, Bollinger, rolling std, z-score, Donchian,
//! VWAP) recompute each output from the values in the window (periods are small),
//! so there is no running-sum drift and no cancellation error.
//!
//! # Non-finite input
//!
//! No input panics. A non-finite input (NaN or ±infinity) is treated as NaN:
//! - windowed indicators output NaN while that input is inside the window and
//!   recover once it has left;
//! - recursive indicators (EMA, MACD, RSI, ATR, ADX, OBV) carry state forward, so
//!   they output NaN from then on, until [`reset`](Ema::reset).
//!
//! Non-finite inputs still count towards the warm-up.

mod adx;
mod atr;
mod bollinger;
mod donchian;
mod error;
mod macd;
mod moving_average;
mod obv;
mod rolling_stats;
mod rsi;
mod sma;
mod sma_many;
mod sma_pair;
mod vwap;
mod window;

pub use adx::{Adx, AdxSeries, AdxValue, adx};
pub use atr::{Atr, atr};
pub use bollinger::{Bollinger, BollingerSeries, BollingerValue, bollinger};
pub use donchian::{Donchian, DonchianSeries, DonchianValue, donchian};
pub use error::IndicatorError;
pub use macd::{Macd, MacdSeries, MacdValue, macd};
pub use moving_average::{Ema, Wma, ema, wma};
pub use obv::{Obv, obv};
pub use rolling_stats::{RollingStd, ZScore, rolling_std, zscore};
pub use rsi::{Rsi, rsi};
pub use sma::{Sma, SmaPairSums, sma, sma_into, sma_pair_into, sma_pair_into_with};
pub use sma_many::sma_many;
pub use sma_pair::SmaPair;
pub use vwap::{Vwap, vwap};
