//! Breakout momentum on a Donchian channel with volume confirmation, long-only spot.
//!
//! Rules, decided on each bar's close:
//! - **Entry** (when not long and no order is open in the symbol): the close is above the
//!   highest high of the previous `channel` bars (the current bar is not in the channel, so
//!   a break means a close above the prior highest high) **and** the bar's volume is above
//!   `volume_k` × the mean volume of the previous `volume_window` bars. `volume_k = 0`
//!   disables the volume confirmation. The buy is a market order for `order_size` of the
//!   available capital.
//! - **Exit** (when long): the close is below the lowest low of the previous
//!   `exit_channel` bars, **or** the ATR stop is hit: close <= entry close − `atr_mult` ×
//!   ATR(`atr_period`), the ATR taken on the entry bar and fixed for the trade
//!   (`atr_mult = 0` disables the stop). The sell is a market order for the whole position.
//!
//! Until every enabled input is available (the channel, the mean volume when
//! `volume_k > 0`, the ATR when `atr_mult > 0`) there is no entry; a non-finite input
//! counts as unavailable.
//!
//! A breakdown (close below the lower channel) would be a short entry, which is not
//! possible on spot: here a breakdown only closes a long position.
//!
//! The "entry close" is the close of the bar that signalled the entry (the backtest fills
//! there). A position the strategy did not open itself (e.g. held from before a restart)
//! is adopted on the first bar it is seen, with that bar's close and ATR.
//!
//! Vectorised form: yes. The ATR stop depends on the entry, so the signal function carries
//! the hypothetical long-only position through its single pass, exactly as
//! [`Signals::walk`] does (enter on an entry while flat, exit on an exit while long, fills
//! at the bar's close); its exit column is only set while that position is long.

use std::collections::BTreeMap;

use super::params::{ParamError, ParamSpec, Params, StrategySchema};
use super::registry::StrategyEntry;
use super::vector::{BarColumns, Signals};
use super::{Context, Intent, Size, Strategy};
use crate::indicators::{self, Atr, Donchian, IndicatorError, Sma};
use crate::types::{Bar, Symbol};

const NAME: &str = "breakout";

/// The registry entry of the breakout strategy.
#[must_use]
pub fn entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "Donchian breakout (long-only): buy when the close breaks above the \
                          previous bars' highest high on high volume, sell when it breaks \
                          below the previous bars' lowest low or hits an ATR stop.",
            params: vec![
                ParamSpec::int(
                    "channel",
                    20,
                    1,
                    10_000,
                    "Previous bars whose highest high the close must break to enter",
                ),
                ParamSpec::int(
                    "exit_channel",
                    10,
                    1,
                    10_000,
                    "Previous bars whose lowest low the close must break to exit",
                ),
                ParamSpec::int(
                    "volume_window",
                    20,
                    1,
                    10_000,
                    "Previous bars in the mean volume the entry bar is compared with",
                ),
                ParamSpec::float(
                    "volume_k",
                    1.5,
                    0.0,
                    100.0,
                    "Entry volume must exceed this multiple of the mean volume (0: no check)",
                ),
                ParamSpec::int("atr_period", 14, 1, 1_000, "Bars in the ATR of the stop"),
                ParamSpec::float(
                    "atr_mult",
                    2.0,
                    0.0,
                    50.0,
                    "Stop this many ATRs (at entry) below the entry close (0: no stop)",
                ),
                ParamSpec::order_size(1.0),
            ],
        },
        check: check_params,
        build: |params, _| Ok(Box::new(Breakout::new(params)?)),
        signals: Some(signals),
    }
}

/// The resolved parameters.
#[derive(Debug, Clone, Copy)]
struct Config {
    channel: usize,
    exit_channel: usize,
    volume_window: usize,
    volume_k: f64,
    atr_period: usize,
    atr_mult: f64,
    order_size: f64,
}

impl Config {
    fn new(params: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            channel: params.usize(NAME, "channel")?,
            exit_channel: params.usize(NAME, "exit_channel")?,
            volume_window: params.usize(NAME, "volume_window")?,
            volume_k: params.float(NAME, "volume_k")?,
            atr_period: params.usize(NAME, "atr_period")?,
            atr_mult: params.float(NAME, "atr_mult")?,
            order_size: params.float(NAME, "order_size")?,
        })
    }

    /// Whether `close` and `volume` break out of the previous bars' channel `upper` with
    /// enough volume against their `mean_volume`; `atr` (this bar's) must be known when the
    /// stop is on.
    fn breaks_out(
        &self,
        close: f64,
        volume: f64,
        upper: Option<f64>,
        mean_volume: Option<f64>,
        atr: Option<f64>,
    ) -> bool {
        let volume_ok =
            self.volume_k <= 0.0 || mean_volume.is_some_and(|m| volume > self.volume_k * m);
        let atr_ok = self.atr_mult <= 0.0 || atr.is_some();
        upper.is_some_and(|u| close > u) && volume_ok && atr_ok
    }

    /// The stop level of a trade entered at `close` with `atr`, if the stop is on.
    fn stop(&self, close: f64, atr: Option<f64>) -> Option<f64> {
        if self.atr_mult <= 0.0 {
            return None;
        }
        atr.map(|a| close - self.atr_mult * a)
    }
}

/// Whether a long position with `stop` exits at `close`, given the previous bars' lowest
/// low `lower`.
fn exits(close: f64, lower: Option<f64>, stop: Option<f64>) -> bool {
    lower.is_some_and(|l| close < l) || stop.is_some_and(|s| close <= s)
}

/// `x` when finite (indicator values are NaN during warm-up and after bad input).
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn check_params(params: &Params) -> Result<(), ParamError> {
    Config::new(params).map(|_| ())
}

fn indicator_error(param: &str, value: usize) -> impl FnOnce(IndicatorError) -> ParamError + '_ {
    move |e| ParamError::new(NAME, param, value, e.to_string())
}

/// The vectorised form: one pass carrying the hypothetical position (for the ATR stop).
fn signals(params: &Params, bars: &BarColumns<'_>) -> Result<Signals, ParamError> {
    let config = Config::new(params)?;
    let upper = channel_upper(bars, config.channel)?;
    let lower = channel_lower(bars, config.exit_channel)?;
    let mean_volume = mean_volume(bars, config.volume_window)?;
    let atr = atr(bars, config.atr_period)?;
    let columns = BreakoutColumns {
        upper: &upper,
        lower: &lower,
        mean_volume: &mean_volume,
        atr: &atr,
    };
    let mut signals = Signals::default();
    signals_with(params, bars, &columns, &mut signals)?;
    Ok(signals)
}

/// The indicator columns the breakout's signals read, each over the whole series (NaN
/// during warm-up). Sweeps compute each once per distinct period and share it across
/// parameter combinations.
#[derive(Debug, Clone, Copy)]
pub struct BreakoutColumns<'a> {
    /// [`channel_upper`] over `channel` bars.
    pub upper: &'a [f64],
    /// [`channel_lower`] over `exit_channel` bars.
    pub lower: &'a [f64],
    /// [`mean_volume`] over `volume_window` bars.
    pub mean_volume: &'a [f64],
    /// [`atr`] over `atr_period` bars.
    pub atr: &'a [f64],
}

/// The Donchian channel's upper band (highest high) over `period` bars, this bar's
/// included (the signals compare a close with the previous bar's value).
pub fn channel_upper(bars: &BarColumns<'_>, period: usize) -> Result<Vec<f64>, ParamError> {
    indicators::donchian(bars.high, bars.low, period)
        .map(|c| c.upper)
        .map_err(indicator_error("channel", period))
}

/// The Donchian channel's lower band (lowest low) over `period` bars, this bar's
/// included.
pub fn channel_lower(bars: &BarColumns<'_>, period: usize) -> Result<Vec<f64>, ParamError> {
    indicators::donchian(bars.high, bars.low, period)
        .map(|c| c.lower)
        .map_err(indicator_error("exit_channel", period))
}

/// The mean volume over `period` bars, this bar's included.
pub fn mean_volume(bars: &BarColumns<'_>, period: usize) -> Result<Vec<f64>, ParamError> {
    indicators::sma(bars.volume, period).map_err(indicator_error("volume_window", period))
}

/// The ATR over `period` bars.
pub fn atr(bars: &BarColumns<'_>, period: usize) -> Result<Vec<f64>, ParamError> {
    indicators::atr(bars.high, bars.low, bars.close, period)
        .map_err(indicator_error("atr_period", period))
}

/// The entry and exit columns of `params` over `bars` from precomputed indicator
/// `columns` (for these parameters' periods), written into `out` (resized, previous
/// contents overwritten). The same pass as the registry's vectorised form, which calls it.
pub fn signals_with(
    params: &Params,
    bars: &BarColumns<'_>,
    columns: &BreakoutColumns<'_>,
    out: &mut Signals,
) -> Result<(), ParamError> {
    let config = Config::new(params)?;
    // The value of `series` on the bar before `i`.
    let prior = |series: &[f64], i: usize| {
        i.checked_sub(1)
            .and_then(|j| series.get(j).copied())
            .and_then(finite)
    };
    out.reset(bars.len());
    // Some(stop) while the hypothetical position is long.
    let mut position: Option<Option<f64>> = None;
    for i in 0..bars.len() {
        let Some(bar) = bars.bar(i) else { break };
        let atr_now = columns.atr.get(i).copied().and_then(finite);
        let entry = config.breaks_out(
            bar.close,
            bar.volume,
            prior(columns.upper, i),
            prior(columns.mean_volume, i),
            atr_now,
        );
        out.entries[i] = entry;
        if let Some(stop) = position {
            let exit = exits(bar.close, prior(columns.lower, i), stop);
            out.exits[i] = exit;
            if exit {
                position = None;
            }
        } else if entry {
            position = Some(config.stop(bar.close, atr_now));
        }
    }
    Ok(())
}

/// Per-symbol state: the indicators, their values on the previous bar, and the trade.
#[derive(Debug, Clone)]
struct Track {
    channel: Donchian,
    exit_channel: Donchian,
    volume: Sma,
    atr: Atr,
    /// The entry channel's upper band on the previous bar.
    upper: Option<f64>,
    /// The exit channel's lower band on the previous bar.
    lower: Option<f64>,
    /// The mean volume on the previous bar.
    mean_volume: Option<f64>,
    /// The stop of the trade entered (Some while a trade is on or being entered).
    trade: Option<Option<f64>>,
}

impl Track {
    fn new(config: &Config) -> Result<Self, ParamError> {
        Ok(Self {
            channel: Donchian::new(config.channel)
                .map_err(indicator_error("channel", config.channel))?,
            exit_channel: Donchian::new(config.exit_channel)
                .map_err(indicator_error("exit_channel", config.exit_channel))?,
            volume: Sma::new(config.volume_window)
                .map_err(indicator_error("volume_window", config.volume_window))?,
            atr: Atr::new(config.atr_period)
                .map_err(indicator_error("atr_period", config.atr_period))?,
            upper: None,
            lower: None,
            mean_volume: None,
            trade: None,
        })
    }
}

/// The breakout strategy.
#[derive(Debug, Clone)]
pub struct Breakout {
    config: Config,
    tracks: BTreeMap<Symbol, Track>,
}

impl Breakout {
    /// A breakout strategy from resolved parameters.
    pub fn new(params: &Params) -> Result<Self, ParamError> {
        let config = Config::new(params)?;
        Track::new(&config)?;
        Ok(Self {
            config,
            tracks: BTreeMap::new(),
        })
    }
}

impl Strategy for Breakout {
    fn on_bar(&mut self, ctx: &Context<'_>, symbol: &Symbol, bar: &Bar, intents: &mut Vec<Intent>) {
        let config = self.config;
        let Some(track) =
            super::symbol_state(&mut self.tracks, symbol, || Track::new(&config).ok())
        else {
            return;
        };
        // Decide against the previous bars' channels, then add this bar to them.
        let (upper, lower, mean_volume) = (track.upper, track.lower, track.mean_volume);
        track.upper = track
            .channel
            .update(bar.high, bar.low)
            .and_then(|c| finite(c.upper));
        track.lower = track
            .exit_channel
            .update(bar.high, bar.low)
            .and_then(|c| finite(c.lower));
        track.mean_volume = track.volume.update(bar.volume).and_then(finite);
        let atr = track
            .atr
            .update(bar.high, bar.low, bar.close)
            .and_then(finite);

        let long = ctx.is_long(symbol);
        let busy = ctx.has_open_orders(symbol);
        if !long && !busy {
            track.trade = None;
        }
        if long {
            let stop = *track
                .trade
                .get_or_insert_with(|| config.stop(bar.close, atr));
            if exits(bar.close, lower, stop) && !ctx.is_selling(symbol) {
                intents.push(Intent::market_sell(symbol, Size::PositionShare(1.0)));
            }
        } else if !busy && config.breaks_out(bar.close, bar.volume, upper, mean_volume, atr) {
            intents.push(Intent::market_buy(
                symbol,
                Size::WalletShare(config.order_size),
            ));
            track.trade = Some(config.stop(bar.close, atr));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::{Registry, StrategySpec};
    use crate::testkit::{self, Feed};
    use crate::types::OrderAmount;
    use rust_decimal::Decimal;

    fn spec(set: &[(&str, f64)]) -> StrategySpec {
        let mut params = Params::new();
        for &(name, value) in set {
            if ["volume_k", "atr_mult", "order_size"].contains(&name) {
                params.set(name, value);
            } else {
                #[allow(clippy::cast_possible_truncation, reason = "whole test values")]
                params.set(name, value as i64);
            }
        }
        StrategySpec::new(NAME, params)
    }

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    use testkit::trades_and_money as run;

    /// A flat range (high 101, low 99, close 100, volume 10) for 8 bars, then:
    /// bar 8 closes at the channel top (101: not a break), bar 9 breaks it (102) on low
    /// volume (14 against a threshold of 15), bar 11 breaks the new top (102) with volume
    /// 20 (threshold 1.5 × 10.8 = 16.2), bar 15 closes below the lowest low of bars 12–14
    /// (102 < 102.5), bar 17 breaks out again (105 > 104.5, volume 40 > 15).
    fn range_then_breaks() -> Vec<Bar> {
        let mut rows = vec![(100.0, 101.0, 99.0, 100.0, 10.0); 8];
        rows.extend([
            (100.0, 101.0, 99.5, 101.0, 10.0),
            (101.0, 102.0, 100.5, 102.0, 14.0),
            (102.0, 102.0, 100.5, 101.5, 10.0),
            (101.5, 103.0, 101.0, 103.0, 20.0),
            (103.0, 104.5, 102.5, 104.0, 10.0),
            (104.0, 104.5, 103.0, 104.0, 10.0),
            (104.0, 104.0, 103.0, 103.5, 10.0),
            (103.5, 103.5, 101.5, 102.0, 10.0),
            (102.0, 103.0, 101.8, 102.5, 10.0),
            (102.5, 105.0, 102.5, 105.0, 40.0),
        ]);
        rows.into_iter()
            .enumerate()
            .map(|(i, (o, h, l, c, v))| testkit::bar(i64::try_from(i).unwrap(), o, h, l, c, v))
            .collect()
    }

    fn small(volume_k: f64, atr_mult: f64, exit_channel: f64) -> StrategySpec {
        spec(&[
            ("channel", 5.0),
            ("exit_channel", exit_channel),
            ("volume_window", 5.0),
            ("volume_k", volume_k),
            ("atr_period", 3.0),
            ("atr_mult", atr_mult),
        ])
    }

    #[test]
    fn the_breakout_fires_on_the_bar_that_breaks_and_not_before() {
        let bars = range_then_breaks();
        let (trades, amounts, _) = run(small(1.5, 0.0, 3.0), &bars);
        assert_eq!(trades, vec![(11, true), (15, false), (17, true)]);
        // 1000 USDT less the 0.05 % taker fee, in cents: 999.50 at 103 -> 9.703883 BTC,
        // less the fee in BTC -> 9.699031 sold.
        assert_eq!(
            amounts,
            vec![
                OrderAmount::Quote(dec("999.50")),
                OrderAmount::Base(dec("9.699031")),
                OrderAmount::Quote(dec("988.81")),
            ]
        );
        // Without the volume check the low-volume break of bar 9 enters.
        let (trades, _, _) = run(small(0.0, 0.0, 3.0), &bars);
        assert_eq!(trades, vec![(9, true), (15, false), (17, true)]);
        // The vectorised form agrees on this series.
        let count =
            testkit::assert_signal_parity(&Registry::builtin(), &small(1.5, 0.0, 3.0), &bars);
        assert_eq!(count, 3);
    }

    /// Bars 0–11 of [`range_then_breaks`] (entry at 103 on bar 11, ATR(3) there 1.7654),
    /// then closes 102, 101.3 and 101.2 with wide ranges: a stop of 1 ATR at entry is
    /// 101.2346, hit by bar 14 only; the ATR of later bars (2.44 on bar 14) would not be.
    fn entry_then_slide() -> Vec<Bar> {
        let mut bars = range_then_breaks();
        bars.truncate(12);
        bars.extend([
            testkit::bar(12, 103.0, 104.0, 101.5, 102.0, 10.0),
            testkit::bar(13, 102.0, 102.5, 100.8, 101.3, 10.0),
            testkit::bar(14, 101.3, 101.5, 98.0, 101.2, 10.0),
            testkit::bar(15, 101.2, 101.5, 100.0, 101.0, 10.0),
        ]);
        bars
    }

    #[test]
    fn the_atr_stop_uses_the_atr_at_entry() {
        let bars = entry_then_slide();
        let atr = indicators::atr(
            &bars.iter().map(|b| b.high).collect::<Vec<_>>(),
            &bars.iter().map(|b| b.low).collect::<Vec<_>>(),
            &bars.iter().map(|b| b.close).collect::<Vec<_>>(),
            3,
        )
        .unwrap();
        assert!((atr[11] - 1.765_432).abs() < 1e-6, "{}", atr[11]);
        let (trades, _, money) = run(small(1.5, 1.0, 10.0), &bars);
        assert_eq!(trades, vec![(11, true), (14, false)]);
        // Bought 9.703883 BTC at 103 (999.499949 of the 999.50 asked), sold the 9.699031
        // left after the fee at 101.2 less 0.05 %: 0.500051 + 981.5419372 - 0.49077097.
        assert_eq!(money, dec("981.55121723"));
        // Without the stop, and with the lower channel at 99, the position stays open.
        let (trades, _, _) = run(small(1.5, 0.0, 10.0), &bars);
        assert_eq!(trades, vec![(11, true)]);
        assert_eq!(
            testkit::assert_signal_parity(&Registry::builtin(), &small(1.5, 1.0, 10.0), &bars),
            2
        );
    }

    #[test]
    fn vectorised_form_trades_on_the_same_bars_as_the_engine() {
        let registry = Registry::builtin();
        let walk_bars = testkit::random_walk(4_000, 100.0, 0.004, 7);
        for (volume_k, atr_mult) in [(1.2, 2.0), (0.0, 1.0), (1.3, 0.0)] {
            let spec = spec(&[
                ("channel", 10.0),
                ("exit_channel", 5.0),
                ("volume_k", volume_k),
                ("atr_mult", atr_mult),
            ]);
            let trades = testkit::assert_signal_parity(&registry, &spec, &walk_bars);
            assert!(
                trades > 100,
                "k {volume_k} atr {atr_mult}: only {trades} trades"
            );
        }
        // The ATR stop changes the trades on this series, so the parity covered it.
        let with_stop = spec(&[("channel", 10.0), ("exit_channel", 5.0), ("atr_mult", 1.0)]);
        let without = spec(&[("channel", 10.0), ("exit_channel", 5.0), ("atr_mult", 0.0)]);
        assert_ne!(walk(&with_stop, &walk_bars), walk(&without, &walk_bars));
        if let Some(real) = testkit::real_btc_1m(5_000) {
            let trades = testkit::assert_signal_parity(&registry, &spec(&[]), &real);
            assert!(trades > 50, "real data: only {trades} trades");
            let no_stop = spec(&[("atr_mult", 0.0)]);
            assert_ne!(walk(&spec(&[]), &real), walk(&no_stop, &real));
        }
    }

    /// The trades of the vectorised form of `spec` on `bars`.
    fn walk(spec: &StrategySpec, bars: &[Bar]) -> Vec<(usize, bool)> {
        let series = crate::strategy::BarSeries::from_bars(bars);
        let signals = Registry::builtin()
            .signals(spec, &series.columns())
            .unwrap();
        signals.unwrap().walk()
    }

    #[test]
    fn decisions_do_not_look_ahead() {
        let registry = Registry::builtin();
        let bars = testkit::random_walk(800, 100.0, 0.004, 3);
        let spec = spec(&[("channel", 10.0), ("exit_channel", 5.0), ("volume_k", 1.2)]);
        let (trades, _, _) = run(spec.clone(), &bars);
        assert!(trades.len() > 6, "only {} trades", trades.len());
        let feed: Vec<Feed> = bars.into_iter().map(Feed::btc).collect();
        let config = testkit::bot(spec, 1_000);
        testkit::assert_no_lookahead(&registry, &config, &feed, &testkit::cuts(feed.len(), 8, 11));
    }

    #[test]
    fn defaults_and_bad_parameters() {
        let registry = Registry::builtin();
        let resolved = registry.resolve(&spec(&[])).unwrap();
        assert_eq!(resolved.int(NAME, "channel"), Ok(20));
        assert_eq!(resolved.int(NAME, "exit_channel"), Ok(10));
        assert_eq!(resolved.float(NAME, "volume_k"), Ok(1.5));
        assert_eq!(resolved.float(NAME, "atr_mult"), Ok(2.0));
        assert!(Breakout::new(&resolved).is_ok());
        let cases: [(&str, f64, &str); 7] = [
            ("channel", 0.0, "parameter `channel` = 0 must be at least 1"),
            (
                "exit_channel",
                0.0,
                "parameter `exit_channel` = 0 must be at least 1",
            ),
            (
                "volume_window",
                0.0,
                "parameter `volume_window` = 0 must be at least 1",
            ),
            (
                "volume_k",
                -1.0,
                "parameter `volume_k` = -1 must be at least 0",
            ),
            (
                "atr_period",
                0.0,
                "parameter `atr_period` = 0 must be at least 1",
            ),
            (
                "atr_mult",
                51.0,
                "parameter `atr_mult` = 51 must be at most 50",
            ),
            (
                "order_size",
                1.5,
                "parameter `order_size` = 1.5 must be at most 1",
            ),
        ];
        for (name, value, expected) in cases {
            let err = registry
                .build(&spec(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err} does not contain {expected}");
            assert!(err.starts_with("strategy breakout:"), "{err}");
        }
        let mut params = Params::new();
        params.set("channel", 2.5);
        let err = registry
            .build(&StrategySpec::new(NAME, params))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("parameter `channel` = 2.5 must be an integer"),
            "{err}"
        );
    }
}
