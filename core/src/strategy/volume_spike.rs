//! Volume spike momentum, long-only spot: buy an up bar on unusually high volume, sell on
//! a trailing stop or after a fixed number of bars.
//!
//! Rules, decided on each bar's close:
//! - **Entry** (when not long and no order is open in the symbol): the z-score of the
//!   bar's volume over the last `window` volumes (this bar's included; population standard
//!   deviation; 0 when they are all equal) is above `z_threshold`, **and** price confirms:
//!   the bar closes up (close > open) and above the previous close. The buy is a market
//!   order for `order_size` of the available capital.
//! - **Exit** (when long): the trailing stop, close <= highest close since the entry (the
//!   entry close included) × (1 − `trail_pct`), **or** the time exit: `max_bars` bars after
//!   the entry bar. The sell is a market order for the whole position.
//!
//! Because the window includes the current bar, a z-score cannot exceed
//! `sqrt(window - 1)` (Samuelson's inequality); `z_threshold` must be below that.
//! There is no entry until the z-score is available; a non-finite input counts as
//! unavailable.
//!
//! The entry bar is the bar that signalled the entry (the backtest fills at its close). A
//! position the strategy did not open itself (e.g. held from before a restart) is adopted
//! on the first bar it is seen, as if entered at that bar's close.
//!
//! Vectorised form: yes. Both exits depend on the entry, so the signal function carries
//! the hypothetical long-only position through its single pass, exactly as
//! [`Signals::walk`] does (enter on an entry while flat, exit on an exit while long, fills
//! at the bar's close); its exit column is only set while that position is long.

use std::collections::BTreeMap;

use super::params::{ParamError, ParamSpec, Params, StrategySchema};
use super::registry::StrategyEntry;
use super::vector::{BarColumns, Signals};
use super::{Context, Intent, Size, Strategy};
use crate::indicators::{self, ZScore};
use crate::types::{Bar, Symbol};

const NAME: &str = "volume_spike";

/// The registry entry of the volume-spike strategy.
#[must_use]
pub fn entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "Volume spike (long-only): buy an up bar whose volume z-score is \
                          above a threshold, sell on a trailing stop or after a number of \
                          bars.",
            params: vec![
                ParamSpec::int(
                    "window",
                    30,
                    2,
                    10_000,
                    "Bars (the current one included) in the volume z-score",
                ),
                ParamSpec::float(
                    "z_threshold",
                    3.0,
                    0.1,
                    100.0,
                    "Enter when the volume z-score is above this",
                ),
                ParamSpec::float(
                    "trail_pct",
                    0.02,
                    0.001,
                    0.5,
                    "Exit when the close falls this share below the highest close since entry",
                ),
                ParamSpec::int(
                    "max_bars",
                    60,
                    1,
                    100_000,
                    "Exit this many bars after the entry bar",
                ),
                ParamSpec::order_size(1.0),
            ],
        },
        check: check_params,
        build: |params, _| Ok(Box::new(VolumeSpike::new(params)?)),
        signals: Some(signals),
    }
}

/// The resolved parameters.
#[derive(Debug, Clone, Copy)]
struct Config {
    window: usize,
    z_threshold: f64,
    trail_pct: f64,
    max_bars: usize,
    order_size: f64,
}

impl Config {
    fn new(params: &Params) -> Result<Self, ParamError> {
        let config = Self {
            window: params.usize(NAME, "window")?,
            z_threshold: params.float(NAME, "z_threshold")?,
            trail_pct: params.float(NAME, "trail_pct")?,
            max_bars: params.usize(NAME, "max_bars")?,
            order_size: params.float(NAME, "order_size")?,
        };
        #[allow(clippy::cast_precision_loss, reason = "windows are small")]
        let largest = ((config.window - 1) as f64).sqrt();
        if config.z_threshold >= largest {
            return Err(ParamError::new(
                NAME,
                "z_threshold",
                config.z_threshold,
                format!(
                    "must be below sqrt(window - 1) = {largest:.4}: the z-score of a volume \
                     among the last {} (its own included) cannot exceed it",
                    config.window
                ),
            ));
        }
        Ok(config)
    }

    fn zscore(&self) -> Result<ZScore, ParamError> {
        ZScore::new(self.window)
            .map_err(|e| ParamError::new(NAME, "window", self.window, e.to_string()))
    }

    /// Whether `bar`, with volume z-score `z` and the previous close `previous`, is an
    /// entry.
    fn spikes(&self, bar: &Bar, z: Option<f64>, previous: Option<f64>) -> bool {
        z.is_some_and(|z| z > self.z_threshold)
            && bar.close > bar.open
            && previous.is_some_and(|p| bar.close > p)
    }
}

/// An open trade: the highest close since the entry and the bars since the entry bar.
#[derive(Debug, Clone, Copy)]
struct Held {
    highest: f64,
    bars: usize,
}

impl Held {
    fn new(close: f64) -> Self {
        Self {
            highest: close,
            bars: 0,
        }
    }

    /// One more bar with `close`; returns whether the trade exits on it.
    fn advance(&mut self, config: &Config, close: f64) -> bool {
        self.bars += 1;
        self.highest = self.highest.max(close);
        self.bars >= config.max_bars || close <= self.highest * (1.0 - config.trail_pct)
    }
}

/// `x` when finite (indicator values are NaN during warm-up and after bad input).
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn check_params(params: &Params) -> Result<(), ParamError> {
    Config::new(params)?.zscore().map(|_| ())
}

/// The vectorised form: one pass carrying the hypothetical position (for both exits).
fn signals(params: &Params, bars: &BarColumns<'_>) -> Result<Signals, ParamError> {
    let config = Config::new(params)?;
    let z = volume_zscore(bars, config.window)?;
    let mut signals = Signals::default();
    signals_with(params, bars, &z, &mut signals)?;
    Ok(signals)
}

/// The z-score of each bar's volume over the last `window` volumes (its own included),
/// NaN during warm-up: the one indicator column of the signals. Sweeps compute it once
/// per distinct window and share it across parameter combinations.
pub fn volume_zscore(bars: &BarColumns<'_>, window: usize) -> Result<Vec<f64>, ParamError> {
    indicators::zscore(bars.volume, window)
        .map_err(|e| ParamError::new(NAME, "window", window, e.to_string()))
}

/// The entry and exit columns of `params` over `bars` from the precomputed
/// [`volume_zscore`] column `z` (for these parameters' window), written into `out`
/// (resized, previous contents overwritten). The same pass as the registry's vectorised
/// form, which calls it.
pub fn signals_with(
    params: &Params,
    bars: &BarColumns<'_>,
    z: &[f64],
    out: &mut Signals,
) -> Result<(), ParamError> {
    let config = Config::new(params)?;
    out.reset(bars.len());
    let mut position: Option<Held> = None;
    let mut previous: Option<f64> = None;
    for i in 0..bars.len() {
        let Some(bar) = bars.bar(i) else { break };
        let entry = config.spikes(&bar, z.get(i).copied().and_then(finite), previous);
        previous = Some(bar.close);
        out.entries[i] = entry;
        if let Some(held) = &mut position {
            let exit = held.advance(&config, bar.close);
            out.exits[i] = exit;
            if exit {
                position = None;
            }
        } else if entry {
            position = Some(Held::new(bar.close));
        }
    }
    Ok(())
}

/// Per-symbol state: the z-score, the previous close and the trade.
#[derive(Debug, Clone)]
struct Track {
    zscore: ZScore,
    previous: Option<f64>,
    /// The trade (Some while it is on or being entered).
    held: Option<Held>,
}

/// The volume-spike strategy.
#[derive(Debug, Clone)]
pub struct VolumeSpike {
    config: Config,
    tracks: BTreeMap<Symbol, Track>,
}

impl VolumeSpike {
    /// A volume-spike strategy from resolved parameters.
    pub fn new(params: &Params) -> Result<Self, ParamError> {
        let config = Config::new(params)?;
        config.zscore()?;
        Ok(Self {
            config,
            tracks: BTreeMap::new(),
        })
    }
}

impl Strategy for VolumeSpike {
    fn on_bar(&mut self, ctx: &Context<'_>, symbol: &Symbol, bar: &Bar, intents: &mut Vec<Intent>) {
        let config = self.config;
        let make = || {
            Some(Track {
                zscore: config.zscore().ok()?,
                previous: None,
                held: None,
            })
        };
        let Some(track) = super::symbol_state(&mut self.tracks, symbol, make) else {
            return;
        };
        let z = track.zscore.update(bar.volume).and_then(finite);
        let previous = track.previous.replace(bar.close);

        let long = ctx.is_long(symbol);
        let busy = ctx.has_open_orders(symbol);
        if !long && !busy {
            track.held = None;
        }
        if long {
            let exit = match &mut track.held {
                Some(held) => held.advance(&config, bar.close),
                None => {
                    track.held = Some(Held::new(bar.close));
                    false
                }
            };
            if exit && !ctx.is_selling(symbol) {
                intents.push(Intent::market_sell(symbol, Size::PositionShare(1.0)));
            }
        } else if !busy && config.spikes(bar, z, previous) {
            intents.push(Intent::market_buy(
                symbol,
                Size::WalletShare(config.order_size),
            ));
            track.held = Some(Held::new(bar.close));
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

    /// A window of 5 volumes (a lone spike among equal volumes scores exactly 2), threshold
    /// 1.5, a 2 % trail and the given time limit.
    fn small(max_bars: i64) -> StrategySpec {
        spec(&[
            ("window", ParamValue::Int(5)),
            ("z_threshold", ParamValue::Float(1.5)),
            ("trail_pct", ParamValue::Float(0.02)),
            ("max_bars", ParamValue::Int(max_bars)),
        ])
    }

    /// Volume 10 except the spikes (50) of bars 6, 12, 18 and 24, each after at least 4
    /// bars of volume 10 (z = 2):
    /// - bar 6 closes down (100 -> 99.5): no entry;
    /// - bar 12 closes up from its open (99 -> 99.4) but below the previous close (99.5):
    ///   no entry;
    /// - bar 18 closes up (99.4 -> 100): entry; then closes 101, 100, 99.5, 99.5 (the 2 %
    ///   trail from 101 is 98.98, never hit), so 4 bars later (bar 22) is the time exit;
    /// - bar 24 closes up (99.5 -> 101): entry; then 103 (trail 100.94), 101 (kept),
    ///   100.9 (bar 27: the trailing stop).
    fn spikes() -> Vec<Bar> {
        let mut rows = vec![(100.0, 100.0, 10.0); 6];
        rows.push((100.0, 99.5, 50.0));
        rows.extend([(99.5, 99.5, 10.0); 5]);
        rows.push((99.0, 99.4, 50.0));
        rows.extend([(99.4, 99.4, 10.0); 5]);
        rows.extend([
            (99.4, 100.0, 50.0),
            (100.0, 101.0, 10.0),
            (101.0, 100.0, 10.0),
            (100.0, 99.5, 10.0),
            (99.5, 99.5, 10.0),
            (99.5, 99.5, 10.0),
            (99.5, 101.0, 50.0),
            (101.0, 103.0, 10.0),
            (103.0, 101.0, 10.0),
            (101.0, 100.9, 10.0),
            (100.9, 100.9, 10.0),
        ]);
        rows.into_iter()
            .enumerate()
            .map(|(i, (open, close, volume))| {
                let minute = i64::try_from(i).unwrap();
                testkit::bar(
                    minute,
                    open,
                    open.max(close),
                    open.min(close),
                    close,
                    volume,
                )
            })
            .collect()
    }

    use testkit::trades_and_money as run;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn enters_on_confirmed_spikes_and_exits_on_time_or_the_trailing_stop() {
        let bars = spikes();
        let z = indicators::zscore(&bars.iter().map(|b| b.volume).collect::<Vec<_>>(), 5).unwrap();
        for spike in [6, 12, 18, 24] {
            assert!(
                (z[spike] - 2.0).abs() < 1e-12,
                "bar {spike}: z {}",
                z[spike]
            );
        }
        let (trades, amounts, money) = run(small(4), &bars);
        assert_eq!(
            trades,
            vec![(18, true), (22, false), (24, true), (27, false)]
        );
        // 999.50 at 100 -> 9.995 BTC, 9.990002 left after the fee, sold at 99.5 for
        // 994.005199 less 0.4970026: 994.0081964 left (a loss, nothing set aside); then
        // 993.51 at 101 -> 9.836732 BTC, 9.831814 (with the dust) sold at 100.9 for
        // 992.0300326 less 0.49601502.
        assert_eq!(
            amounts,
            vec![
                OrderAmount::Quote(dec("999.50")),
                OrderAmount::Base(dec("9.990002")),
                OrderAmount::Quote(dec("993.51")),
                OrderAmount::Base(dec("9.831814")),
            ]
        );
        assert_eq!(money, dec("992.03228198"));
        // Without the time limit the first trade runs until the trailing stop of bar 27.
        let (trades, _, _) = run(small(100), &bars);
        assert_eq!(trades, vec![(18, true), (27, false)]);
        // A threshold just below 2 (the largest z-score in a window of 5) still enters.
        let mut strict = small(4);
        strict.params.set("z_threshold", 1.999);
        assert_eq!(
            run(strict, &bars).0,
            vec![(18, true), (22, false), (24, true), (27, false)]
        );
        let registry = Registry::builtin();
        assert_eq!(
            testkit::assert_signal_parity(&registry, &small(4), &bars),
            4
        );
        assert_eq!(
            testkit::assert_signal_parity(&registry, &small(100), &bars),
            2
        );
    }

    #[test]
    fn vectorised_form_trades_on_the_same_bars_as_the_engine() {
        let registry = Registry::builtin();
        let bars = testkit::random_walk(4_000, 100.0, 0.004, 7);
        for (z, trail, max_bars) in [(1.5, 0.01, 20), (1.5, 0.002, 1_000), (1.0, 0.05, 5)] {
            let spec = spec(&[
                ("window", ParamValue::Int(20)),
                ("z_threshold", ParamValue::Float(z)),
                ("trail_pct", ParamValue::Float(trail)),
                ("max_bars", ParamValue::Int(max_bars)),
            ]);
            let trades = testkit::assert_signal_parity(&registry, &spec, &bars);
            assert!(
                trades > 100,
                "z {z} trail {trail} max {max_bars}: only {trades} trades"
            );
        }
        // Both exits change the trades on the walk, so the parity covered them.
        let exits = |trail: f64, max_bars: i64| {
            spec(&[
                ("window", ParamValue::Int(20)),
                ("z_threshold", ParamValue::Float(1.5)),
                ("trail_pct", ParamValue::Float(trail)),
                ("max_bars", ParamValue::Int(max_bars)),
            ])
        };
        assert_ne!(walk(&exits(0.01, 20), &bars), walk(&exits(0.5, 20), &bars));
        assert_ne!(
            walk(&exits(0.01, 20), &bars),
            walk(&exits(0.01, 100_000), &bars)
        );
        if let Some(real) = testkit::real_btc_1m(5_000) {
            let trades = testkit::assert_signal_parity(&registry, &spec(&[]), &real);
            assert!(trades > 50, "real data: only {trades} trades");
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
        let spec = spec(&[
            ("window", ParamValue::Int(20)),
            ("z_threshold", ParamValue::Float(1.5)),
            ("trail_pct", ParamValue::Float(0.005)),
        ]);
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
        assert_eq!(resolved.int(NAME, "window"), Ok(30));
        assert_eq!(resolved.float(NAME, "z_threshold"), Ok(3.0));
        assert_eq!(resolved.float(NAME, "trail_pct"), Ok(0.02));
        assert_eq!(resolved.int(NAME, "max_bars"), Ok(60));
        assert!(VolumeSpike::new(&resolved).is_ok());
        let cases: [(&str, ParamValue, &str); 6] = [
            (
                "window",
                ParamValue::Int(1),
                "parameter `window` = 1 must be at least 2",
            ),
            (
                "z_threshold",
                ParamValue::Float(0.0),
                "parameter `z_threshold` = 0 must be at least 0.1",
            ),
            (
                "trail_pct",
                ParamValue::Float(0.0),
                "parameter `trail_pct` = 0 must be at least 0.001",
            ),
            (
                "max_bars",
                ParamValue::Int(0),
                "parameter `max_bars` = 0 must be at least 1",
            ),
            (
                "order_size",
                ParamValue::Float(2.0),
                "parameter `order_size` = 2 must be at most 1",
            ),
            (
                "trail",
                ParamValue::Float(0.1),
                "parameter `trail` = 0.1 is not a parameter of this strategy",
            ),
        ];
        for (name, value, expected) in cases {
            let err = registry
                .build(&spec(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err} does not contain {expected}");
            assert!(err.starts_with("strategy volume_spike:"), "{err}");
        }
        // The cross-parameter rule: a window of 5 cannot score above 2.
        let mut params = Params::new();
        params.set("window", 5_i64).set("z_threshold", 2.0);
        let err = registry
            .build(&StrategySpec::new(NAME, params))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("parameter `z_threshold` = 2 must be below sqrt(window - 1) = 2.0000"),
            "{err}"
        );
        // The defaults' own bound: sqrt(29) = 5.385 > 3.
        let mut params = Params::new();
        params.set("z_threshold", 5.4);
        assert!(registry.build(&StrategySpec::new(NAME, params)).is_err());
    }
}
