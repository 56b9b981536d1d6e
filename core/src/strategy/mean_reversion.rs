//! Bollinger-band mean reversion, long-only spot: buy a close below the lower band, sell
//! when price is back at the mean.
//!
//! Rules, decided on each bar's close:
//! - **Entry** (when not long and no order is open in the symbol): the close is below the
//!   lower Bollinger band (SMA(`period`) − `k` population standard deviations of the last
//!   `period` closes, this bar's included) and, when `rsi_confirm` is on,
//!   RSI(`rsi_period`) < `rsi_oversold`. The buy is a market order for `order_size` of the
//!   available capital.
//! - **Exit** (when long): the close reaches the middle band (close >= the SMA), **or** the
//!   stop is hit: close <= entry close × (1 − `stop_pct`) (`stop_pct = 0` disables it).
//!   The sell is a market order for the whole position.
//!
//! Until the bands (and the RSI, when confirming) are available there is no entry; a
//! non-finite input counts as unavailable.
//!
//! The "entry close" is the close of the bar that signalled the entry (the backtest fills
//! there). A position the strategy did not open itself (e.g. held from before a restart)
//! is adopted on the first bar it is seen, with that bar's close.
//!
//! Vectorised form: yes. The stop depends on the entry, so the signal function carries the
//! hypothetical long-only position through its single pass, exactly as [`Signals::walk`]
//! does (enter on an entry while flat, exit on an exit while long, fills at the bar's
//! close); its exit column is only set while that position is long.

use std::collections::BTreeMap;

use super::params::{ParamError, ParamSpec, Params, StrategySchema};
use super::registry::StrategyEntry;
use super::vector::{BarColumns, Signals};
use super::{Context, Intent, Size, Strategy};
use crate::indicators::{self, Bollinger, BollingerSeries, BollingerValue, Rsi};
use crate::types::{Bar, Symbol};

const NAME: &str = "mean_reversion";

/// The registry entry of the mean-reversion strategy.
#[must_use]
pub fn entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "Bollinger mean reversion (long-only): buy a close below the lower \
                          band (optionally with an oversold RSI), sell at the middle band or \
                          on a stop below the entry.",
            params: vec![
                ParamSpec::int("period", 20, 2, 10_000, "Bars in the Bollinger bands"),
                ParamSpec::float(
                    "k",
                    2.0,
                    0.1,
                    10.0,
                    "Width of the bands in standard deviations",
                ),
                ParamSpec::int("rsi_period", 14, 1, 1_000, "Bars in the confirming RSI"),
                ParamSpec::float(
                    "rsi_oversold",
                    30.0,
                    1.0,
                    50.0,
                    "With rsi_confirm, enter only while the RSI is below this",
                ),
                ParamSpec::bool("rsi_confirm", true, "Require an oversold RSI for entries"),
                ParamSpec::float(
                    "stop_pct",
                    0.03,
                    0.0,
                    0.5,
                    "Exit when the close falls this share below the entry close (0: no stop)",
                ),
                ParamSpec::order_size(1.0),
            ],
        },
        check: check_params,
        build: |params, _| Ok(Box::new(MeanReversion::new(params)?)),
        signals: Some(signals),
    }
}

/// The resolved parameters.
#[derive(Debug, Clone, Copy)]
struct Config {
    period: usize,
    k: f64,
    rsi_period: usize,
    rsi_oversold: f64,
    rsi_confirm: bool,
    stop_pct: f64,
    order_size: f64,
}

impl Config {
    fn new(params: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            period: params.usize(NAME, "period")?,
            k: params.float(NAME, "k")?,
            rsi_period: params.usize(NAME, "rsi_period")?,
            rsi_oversold: params.float(NAME, "rsi_oversold")?,
            rsi_confirm: params.bool(NAME, "rsi_confirm")?,
            stop_pct: params.float(NAME, "stop_pct")?,
            order_size: params.float(NAME, "order_size")?,
        })
    }

    fn bollinger(&self) -> Result<Bollinger, ParamError> {
        Bollinger::new(self.period, self.k)
            .map_err(|e| ParamError::new(NAME, "period", self.period, e.to_string()))
    }

    fn rsi(&self) -> Result<Rsi, ParamError> {
        Rsi::new(self.rsi_period)
            .map_err(|e| ParamError::new(NAME, "rsi_period", self.rsi_period, e.to_string()))
    }

    /// Whether `close` is an entry given this bar's `lower` band and `rsi`.
    fn oversold(&self, close: f64, lower: Option<f64>, rsi: Option<f64>) -> bool {
        let rsi_ok = !self.rsi_confirm || rsi.is_some_and(|r| r < self.rsi_oversold);
        lower.is_some_and(|l| close < l) && rsi_ok
    }

    /// Whether a long position entered at `entry` exits at `close`, given this bar's
    /// `middle` band.
    fn exits(&self, close: f64, middle: Option<f64>, entry: f64) -> bool {
        let stopped = self.stop_pct > 0.0 && close <= entry * (1.0 - self.stop_pct);
        middle.is_some_and(|m| close >= m) || stopped
    }
}

/// The lower and middle bands of `bands` when finite.
fn lower_middle(bands: Option<BollingerValue>) -> (Option<f64>, Option<f64>) {
    bands.map_or((None, None), |b| (finite(b.lower), finite(b.middle)))
}

/// `x` when finite (indicator values are NaN during warm-up and after bad input).
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn check_params(params: &Params) -> Result<(), ParamError> {
    let config = Config::new(params)?;
    config.bollinger()?;
    config.rsi()?;
    Ok(())
}

/// The vectorised form: one pass carrying the hypothetical position (for the stop).
fn signals(params: &Params, bars: &BarColumns<'_>) -> Result<Signals, ParamError> {
    let config = Config::new(params)?;
    let bands = bands(bars.close, config.period, config.k)?;
    let rsi = rsi(bars.close, config.rsi_period)?;
    let columns = MeanReversionColumns {
        lower: &bands.lower,
        middle: &bands.middle,
        rsi: &rsi,
    };
    let mut signals = Signals::default();
    signals_with(params, bars, &columns, &mut signals)?;
    Ok(signals)
}

/// The indicator columns the mean-reversion signals read, each over the whole series
/// (NaN during warm-up). Sweeps compute each once per distinct `(period, k)` or
/// `rsi_period` and share it across parameter combinations.
#[derive(Debug, Clone, Copy)]
pub struct MeanReversionColumns<'a> {
    /// The lower band of [`bands`] for `(period, k)`.
    pub lower: &'a [f64],
    /// The middle band of [`bands`] for `(period, k)`.
    pub middle: &'a [f64],
    /// [`rsi`] over `rsi_period`.
    pub rsi: &'a [f64],
}

/// The Bollinger bands of `close` over `period` bars, `k` standard deviations wide.
pub fn bands(close: &[f64], period: usize, k: f64) -> Result<BollingerSeries, ParamError> {
    indicators::bollinger(close, period, k)
        .map_err(|e| ParamError::new(NAME, "period", period, e.to_string()))
}

/// The RSI of `close` over `period` bars.
pub fn rsi(close: &[f64], period: usize) -> Result<Vec<f64>, ParamError> {
    indicators::rsi(close, period)
        .map_err(|e| ParamError::new(NAME, "rsi_period", period, e.to_string()))
}

/// The entry and exit columns of `params` over `bars` from precomputed indicator
/// `columns` (for these parameters), written into `out` (resized, previous contents
/// overwritten). The same pass as the registry's vectorised form, which calls it.
pub fn signals_with(
    params: &Params,
    bars: &BarColumns<'_>,
    columns: &MeanReversionColumns<'_>,
    out: &mut Signals,
) -> Result<(), ParamError> {
    let config = Config::new(params)?;
    let at = |series: &[f64], i: usize| series.get(i).copied().and_then(finite);
    out.reset(bars.len());
    // The entry close while the hypothetical position is long.
    let mut position: Option<f64> = None;
    for (i, &close) in bars.close.iter().enumerate() {
        let entry = config.oversold(close, at(columns.lower, i), at(columns.rsi, i));
        out.entries[i] = entry;
        if let Some(entry_close) = position {
            let exit = config.exits(close, at(columns.middle, i), entry_close);
            out.exits[i] = exit;
            if exit {
                position = None;
            }
        } else if entry {
            position = Some(close);
        }
    }
    Ok(())
}

/// Per-symbol state: the indicators and the entry close of the trade.
#[derive(Debug, Clone)]
struct Track {
    bands: Bollinger,
    rsi: Rsi,
    /// The entry close (Some while a trade is on or being entered).
    entry: Option<f64>,
}

/// The mean-reversion strategy.
#[derive(Debug, Clone)]
pub struct MeanReversion {
    config: Config,
    tracks: BTreeMap<Symbol, Track>,
}

impl MeanReversion {
    /// A mean-reversion strategy from resolved parameters.
    pub fn new(params: &Params) -> Result<Self, ParamError> {
        let config = Config::new(params)?;
        config.bollinger()?;
        config.rsi()?;
        Ok(Self {
            config,
            tracks: BTreeMap::new(),
        })
    }
}

impl Strategy for MeanReversion {
    fn on_bar(&mut self, ctx: &Context<'_>, symbol: &Symbol, bar: &Bar, intents: &mut Vec<Intent>) {
        let config = self.config;
        let make = || {
            Some(Track {
                bands: config.bollinger().ok()?,
                rsi: config.rsi().ok()?,
                entry: None,
            })
        };
        let Some(track) = super::symbol_state(&mut self.tracks, symbol, make) else {
            return;
        };
        let (lower, middle) = lower_middle(track.bands.update(bar.close));
        let rsi = track.rsi.update(bar.close).and_then(finite);

        let long = ctx.is_long(symbol);
        let busy = ctx.has_open_orders(symbol);
        if !long && !busy {
            track.entry = None;
        }
        if long {
            let entry = *track.entry.get_or_insert(bar.close);
            if config.exits(bar.close, middle, entry) && !ctx.is_selling(symbol) {
                intents.push(Intent::market_sell(symbol, Size::PositionShare(1.0)));
            }
        } else if !busy && config.oversold(bar.close, lower, rsi) {
            intents.push(Intent::market_buy(
                symbol,
                Size::WalletShare(config.order_size),
            ));
            track.entry = Some(bar.close);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::{ParamValue, Registry, StrategySpec};
    use crate::testkit::{self, Feed};
    use crate::types::OrderAmount;
    use rust_decimal::Decimal;

    fn spec(set: &[(&str, ParamValue)]) -> StrategySpec {
        let mut params = Params::new();
        for (name, value) in set {
            params.set(name, value.clone());
        }
        StrategySpec::new(NAME, params)
    }

    /// Bands of 5 bars and 1 deviation, RSI(3) below 30, the given confirmation and stop.
    fn small(rsi_confirm: bool, stop_pct: f64) -> StrategySpec {
        spec(&[
            ("period", ParamValue::Int(5)),
            ("k", ParamValue::Float(1.0)),
            ("rsi_period", ParamValue::Int(3)),
            ("rsi_oversold", ParamValue::Float(30.0)),
            ("rsi_confirm", ParamValue::Bool(rsi_confirm)),
            ("stop_pct", ParamValue::Float(stop_pct)),
        ])
    }

    /// A rise to 110, then (with bands of 5 and k = 1, RSI(3)):
    /// - bar 6 closes at 103 below the lower band (103.64) with RSI 36.4 (not oversold);
    /// - bar 7 closes at 101 below the band (102.34) with RSI 28.6;
    /// - bar 9 closes at 106, above the middle band (104.8);
    /// - bars 10–13 flat at 106, bar 14 at 104 below the band (104.8), RSI 22.2;
    /// - bar 15 at 101 (above a 3 % stop of 100.88), bar 16 at 100.8 (below it);
    /// - bar 17 at 102, below the middle band (102.76).
    fn dip_and_recover() -> Vec<Bar> {
        testkit::bars_from_closes(
            &[
                100.0, 102.0, 104.0, 106.0, 108.0, 110.0, 103.0, 101.0, 104.0, 106.0, 106.0, 106.0,
                106.0, 106.0, 104.0, 101.0, 100.8, 102.0,
            ],
            10.0,
        )
    }

    use testkit::trades_and_money as run;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn enters_below_the_band_when_oversold_and_exits_at_the_mean_or_the_stop() {
        let bars = dip_and_recover();
        let (trades, amounts, money) = run(small(true, 0.03), &bars);
        assert_eq!(trades, vec![(7, true), (9, false), (14, true), (16, false)]);
        // 999.50 at 101 -> 9.896039 BTC, 9.891090 left after the fee, sold at 106 for
        // 1048.45554 less 0.52422777; the profit is set aside (no compounding), so the
        // second entry is again 999.50: at 104 -> 9.610576 BTC, 9.605771 (with the first
        // trade's dust) sold at 100.8 for 968.2617168 less 0.48413086.
        assert_eq!(
            amounts,
            vec![
                OrderAmount::Quote(dec("999.50")),
                OrderAmount::Base(dec("9.891090")),
                OrderAmount::Quote(dec("999.50")),
                OrderAmount::Base(dec("9.605771")),
            ]
        );
        assert_eq!(money, dec("1016.70905517"));
        // Without the RSI the first break (bar 6, RSI 36) enters.
        let (trades, _, _) = run(small(false, 0.03), &bars);
        assert_eq!(trades, vec![(6, true), (9, false), (14, true), (16, false)]);
        // Without the stop the second trade is still open at the end.
        let (trades, _, _) = run(small(true, 0.0), &bars);
        assert_eq!(trades, vec![(7, true), (9, false), (14, true)]);
        let registry = Registry::builtin();
        for (confirm, stop) in [(true, 0.03), (false, 0.03), (true, 0.0)] {
            let count = testkit::assert_signal_parity(&registry, &small(confirm, stop), &bars);
            assert_eq!(count, if stop > 0.0 { 4 } else { 3 });
        }
    }

    #[test]
    fn vectorised_form_trades_on_the_same_bars_as_the_engine() {
        let registry = Registry::builtin();
        let bars = testkit::random_walk(4_000, 100.0, 0.004, 7);
        for (confirm, stop) in [(true, 0.01), (false, 0.005), (false, 0.0)] {
            let spec = spec(&[
                ("rsi_confirm", ParamValue::Bool(confirm)),
                ("rsi_oversold", ParamValue::Float(40.0)),
                ("stop_pct", ParamValue::Float(stop)),
            ]);
            let trades = testkit::assert_signal_parity(&registry, &spec, &bars);
            assert!(
                trades > 100,
                "confirm {confirm} stop {stop}: only {trades} trades"
            );
        }
        if let Some(real) = testkit::real_btc_1m(5_000) {
            let defaults = testkit::assert_signal_parity(&registry, &spec(&[]), &real);
            assert!(defaults > 50, "real data: only {defaults} trades");
            let tight = spec(&[("stop_pct", ParamValue::Float(0.002))]);
            let trades = testkit::assert_signal_parity(&registry, &tight, &real);
            assert!(trades > 50, "real data, tight stop: only {trades} trades");
            let no_stop = spec(&[("stop_pct", ParamValue::Float(0.0))]);
            assert_ne!(walk(&tight, &real), walk(&no_stop, &real));
        }
        // The stop changes the trades on the walk, so the parity covered it.
        let stop = |pct| {
            spec(&[
                ("rsi_confirm", ParamValue::Bool(false)),
                ("stop_pct", ParamValue::Float(pct)),
            ])
        };
        assert_ne!(walk(&stop(0.005), &bars), walk(&stop(0.0), &bars));
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
        let spec = spec(&[("stop_pct", ParamValue::Float(0.005))]);
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
        assert_eq!(resolved.int(NAME, "period"), Ok(20));
        assert_eq!(resolved.float(NAME, "k"), Ok(2.0));
        assert_eq!(resolved.bool(NAME, "rsi_confirm"), Ok(true));
        assert_eq!(resolved.float(NAME, "stop_pct"), Ok(0.03));
        assert!(MeanReversion::new(&resolved).is_ok());
        let cases: [(&str, ParamValue, &str); 8] = [
            (
                "period",
                ParamValue::Int(1),
                "parameter `period` = 1 must be at least 2",
            ),
            (
                "k",
                ParamValue::Float(0.0),
                "parameter `k` = 0 must be at least 0.1",
            ),
            (
                "rsi_period",
                ParamValue::Int(0),
                "parameter `rsi_period` = 0 must be at least 1",
            ),
            (
                "rsi_oversold",
                ParamValue::Float(70.0),
                "parameter `rsi_oversold` = 70 must be at most 50",
            ),
            (
                "rsi_confirm",
                ParamValue::Int(1),
                "parameter `rsi_confirm` = 1 must be true or false",
            ),
            (
                "stop_pct",
                ParamValue::Float(-0.01),
                "parameter `stop_pct` = -0.01 must be at least 0",
            ),
            (
                "order_size",
                ParamValue::Float(0.0),
                "parameter `order_size` = 0 must be at least 0.01",
            ),
            (
                "band",
                ParamValue::Int(1),
                "parameter `band` = 1 is not a parameter of this strategy",
            ),
        ];
        for (name, value, expected) in cases {
            let err = registry
                .build(&spec(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err} does not contain {expected}");
            assert!(err.starts_with("strategy mean_reversion:"), "{err}");
        }
    }
}
