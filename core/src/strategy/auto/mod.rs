//! Auto mode: detects the market regime of each symbol from its bars and runs the strategy
//! configured for that regime.
//!
//! # Regimes
//! Three factors, each measured at every bar's close and each switchable off:
//! - trend (`use_trend`): ADX(`adx_period`) `>= adx_trend` and/or the slope of an
//!   SMA(`slope_period`) over `slope_lookback` bars, `|sma / sma_lookback_ago - 1| >=
//!   slope_min` (either direction); `trend_rule` says how they combine: `either`, `both`,
//!   `adx` or `slope`;
//! - volatility (`use_volatility`): the percentile rank of the current ATR(`atr_period`)
//!   within the last `atr_rank_window` ATR values `>= vol_high_pct`; the rank is the share
//!   of the `atr_rank_window - 1` values before the current one that are strictly lower (1:
//!   the highest of the window; a constant ATR ranks 0, so a quiet flat market is not
//!   volatile);
//! - volume (`use_volume`): the z-score of the bar's volume over the last `volume_window`
//!   volumes `>= volume_z`.
//!
//! A factor fires only once its measure has warmed up. The bar's detected regime is the
//! first of `trend`, `volatile`, `volume_surge` in `precedence` order whose factor fires,
//! else `range`. `precedence` is one of the six orders of the three names, written as a
//! comma list (e.g. `"volatile,trend,volume_surge"`, the default); anything else is refused
//! with an error naming `precedence`.
//!
//! # Hysteresis
//! Every symbol starts in `range`. A different regime becomes active only after it was
//! detected on `confirm_bars` consecutive bars (1 switches at once); any bar detecting the
//! active regime, or a third one, restarts the count. There are no separate enter/exit
//! levels: the confirmation alone keeps the regime from flapping.
//!
//! # Children
//! `trend_strategy`, `volatile_strategy`, `volume_strategy` and `range_strategy` name the
//! strategy of each regime with its parameters (`{ name = "crossover", params = { fast = 10
//! } }`). They are built when auto is built, with the registry auto is built with; an
//! unknown or invalid child, or a child that is `auto` itself, is an error naming the auto
//! parameter. Each symbol gets its own set of the four children and its own detector.
//!
//! Every child sees every market callback of its symbol (`on_bar`, `on_trade`, `on_book`,
//! `on_signal`) and every timer, so all of them stay warm and can take over at once; only the
//! active child's intents are kept, the others' are discarded. `on_fill` and `on_order` go to
//! the active child only. Children should take their position from the context (as the
//! built-in strategies do), since an inactive child's orders never existed.
//!
//! # Switching
//! At the bar that confirms a new regime, before any child sees that bar, auto pushes
//! `Intent::Switch { from, to, reason }` (the children's names; the reason names the regimes
//! and the readings; the engine records a `Command::Rotated`). With `flatten_on_switch` it
//! then cancels the symbol's open orders and sells the whole position at the market. All
//! children see the switching bar, but the new child's intents from it are discarded too:
//! it trades from the next event on.
//!
//! # Vectorised form
//! None (`signals: None`): a [`super::SignalFn`] gets parameters and bar columns but no
//! registry, so it cannot build or look up the children's vectorised forms, and children
//! without one (event-driven strategies) could never be combined anyway.

mod regime;

use std::collections::BTreeMap;

use self::regime::{Detector, Hysteresis, PRECEDENCE_CHOICES, Readings, Settings};
pub use self::regime::{Regime, parse_precedence};
use super::params::{ParamError, ParamSpec, ParamValue, Params, StrategySchema};
use super::registry::{Registry, RegistryError, StrategyEntry, StrategySpec};
use super::{Context, Intent, Size, Strategy};
use crate::engine::Signal;
use crate::types::{Bar, BookTop, Fill, Order, Symbol, Trade};

const NAME: &str = "auto";

/// The parameter naming each regime's strategy, in [`Regime::index`] order.
const CHILD_PARAMS: [&str; 4] = [
    "trend_strategy",
    "volatile_strategy",
    "volume_strategy",
    "range_strategy",
];

/// The registry entry of auto mode.
#[must_use]
pub fn entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "Auto mode: detects the regime (trend, volatile, volume surge, range) \
                          from ADX/SMA slope, ATR rank and volume z-score, and runs the \
                          strategy configured for it.",
            params: vec![
                ParamSpec::strategy(
                    "trend_strategy",
                    "crossover",
                    "Strategy run in a trend (default: moving-average crossover)",
                ),
                ParamSpec::strategy(
                    "volatile_strategy",
                    "breakout",
                    "Strategy run when volatility is high (default: Donchian breakout)",
                ),
                ParamSpec::strategy(
                    "volume_strategy",
                    "volume_spike",
                    "Strategy run on a volume surge (default: volume spike)",
                ),
                ParamSpec::strategy(
                    "range_strategy",
                    "mean_reversion",
                    "Strategy run when no factor fires (default: Bollinger mean reversion)",
                ),
                ParamSpec::bool("use_trend", true, "Detect trends"),
                ParamSpec::choice(
                    "trend_rule",
                    "either",
                    &["either", "both", "adx", "slope"],
                    "Trend when the ADX or/and the SMA slope pass their levels",
                ),
                ParamSpec::int("adx_period", 14, 2, 500, "Bars in the ADX"),
                ParamSpec::float("adx_trend", 25.0, 1.0, 100.0, "ADX at or above this: trend"),
                ParamSpec::int("slope_period", 50, 1, 5_000, "Bars in the slope's SMA"),
                ParamSpec::int(
                    "slope_lookback",
                    10,
                    1,
                    5_000,
                    "Bars over which the SMA slope is measured",
                ),
                ParamSpec::float(
                    "slope_min",
                    0.002,
                    0.000_01,
                    1.0,
                    "SMA change over the lookback (share, either way) at or above this: trend",
                ),
                ParamSpec::bool("use_volatility", true, "Detect high volatility"),
                ParamSpec::int("atr_period", 14, 1, 500, "Bars in the ATR"),
                ParamSpec::int(
                    "atr_rank_window",
                    200,
                    2,
                    10_000,
                    "ATR values the current ATR is ranked among",
                ),
                ParamSpec::float(
                    "vol_high_pct",
                    0.9,
                    0.01,
                    1.0,
                    "ATR percentile rank (share) at or above this: volatile",
                ),
                ParamSpec::bool("use_volume", true, "Detect volume surges"),
                ParamSpec::int("volume_window", 50, 2, 10_000, "Bars in the volume z-score"),
                ParamSpec::float(
                    "volume_z",
                    2.5,
                    0.0,
                    50.0,
                    "Volume z-score at or above this: volume surge",
                ),
                ParamSpec::choice(
                    "precedence",
                    PRECEDENCE_CHOICES[0],
                    &PRECEDENCE_CHOICES,
                    "Which regime wins when several factors fire (comma list, first wins)",
                ),
                ParamSpec::int(
                    "confirm_bars",
                    5,
                    1,
                    1_000,
                    "Consecutive bars a new regime must be detected before switching",
                ),
                ParamSpec::bool(
                    "flatten_on_switch",
                    true,
                    "On a switch, cancel the symbol's orders and sell the position",
                ),
            ],
        },
        check: check_params,
        build: |params, registry| Ok(Box::new(Auto::new(params, registry)?)),
        signals: None,
    }
}

fn check_params(params: &Params) -> Result<(), ParamError> {
    for param in CHILD_PARAMS {
        child_spec(params, param)?;
    }
    Settings::new(params)?;
    Ok(())
}

/// The child spec in `param`, refusing auto itself.
fn child_spec<'a>(params: &'a Params, param: &str) -> Result<&'a StrategySpec, ParamError> {
    let spec = params.strategy(NAME, param)?;
    if spec.name == NAME {
        return Err(ParamError::new(
            NAME,
            param,
            ParamValue::Strategy(Box::new(spec.clone())),
            "cannot be auto: auto does not run itself",
        ));
    }
    Ok(spec)
}

/// The four children, in [`Regime::index`] order.
type Children = [Box<dyn Strategy>; 4];

/// Builds the four children from `specs`.
fn build_children(
    registry: &Registry,
    specs: &[StrategySpec; 4],
) -> Result<Children, RegistryError> {
    let build = |i: usize| {
        registry.build(&specs[i]).map_err(|e| {
            ParamError::new(
                NAME,
                CHILD_PARAMS[i],
                ParamValue::Strategy(Box::new(specs[i].clone())),
                format!("is not a usable strategy: {e}"),
            )
        })
    };
    Ok([build(0)?, build(1)?, build(2)?, build(3)?])
}

/// One symbol's detector, regime and children.
#[derive(Debug)]
struct Lane {
    detector: Detector,
    hysteresis: Hysteresis,
    children: Children,
}

impl Lane {
    /// Runs `call` on every child; keeps the intents of the active one unless `mute`.
    fn each(
        &mut self,
        mute: bool,
        intents: &mut Vec<Intent>,
        mut call: impl FnMut(&mut dyn Strategy, &mut Vec<Intent>),
    ) {
        let active = self.hysteresis.active().index();
        let mut discarded = Vec::new();
        for (i, child) in self.children.iter_mut().enumerate() {
            if i == active && !mute {
                call(child.as_mut(), intents);
            } else {
                call(child.as_mut(), &mut discarded);
                discarded.clear();
            }
        }
    }

    /// The active child.
    fn active(&mut self) -> &mut dyn Strategy {
        self.children[self.hysteresis.active().index()].as_mut()
    }
}

/// What auto needs to start a new symbol: detection settings and the children's specs.
#[derive(Debug)]
struct Factory {
    settings: Settings,
    specs: [StrategySpec; 4],
    /// For building the children of each new symbol.
    registry: Registry,
    /// The children built (and so validated) at construction, for the first symbol.
    first: Option<Children>,
}

impl Factory {
    /// The lane of `symbol` in `lanes`, created on first use.
    fn lane<'a>(
        &mut self,
        lanes: &'a mut BTreeMap<Symbol, Lane>,
        symbol: &Symbol,
    ) -> Option<&'a mut Lane> {
        if !lanes.contains_key(symbol) {
            let children = match self.first.take() {
                Some(children) => children,
                None => build_children(&self.registry, &self.specs).ok()?,
            };
            let lane = Lane {
                detector: self.settings.detector().ok()?,
                hysteresis: Hysteresis::new(),
                children,
            };
            lanes.insert(symbol.clone(), lane);
        }
        lanes.get_mut(symbol)
    }
}

/// Auto mode.
#[derive(Debug)]
pub struct Auto {
    factory: Factory,
    confirm_bars: usize,
    flatten_on_switch: bool,
    lanes: BTreeMap<Symbol, Lane>,
}

impl Auto {
    /// Auto mode from resolved parameters; builds the children with `registry`.
    pub fn new(params: &Params, registry: &Registry) -> Result<Self, RegistryError> {
        check_params(params)?;
        let spec = |i: usize| child_spec(params, CHILD_PARAMS[i]).cloned();
        let specs = [spec(0)?, spec(1)?, spec(2)?, spec(3)?];
        let first = build_children(registry, &specs)?;
        Ok(Self {
            factory: Factory {
                settings: Settings::new(params)?,
                specs,
                registry: registry.clone(),
                first: Some(first),
            },
            confirm_bars: params.usize(NAME, "confirm_bars")?,
            flatten_on_switch: params.bool(NAME, "flatten_on_switch")?,
            lanes: BTreeMap::new(),
        })
    }

    /// The active regime of `symbol` (`None` before its first event).
    #[must_use]
    pub fn regime(&self, symbol: &Symbol) -> Option<Regime> {
        self.lanes.get(symbol).map(|l| l.hysteresis.active())
    }

    /// The lane of `symbol`, created on first use.
    fn lane(&mut self, symbol: &Symbol) -> Option<&mut Lane> {
        self.factory.lane(&mut self.lanes, symbol)
    }

    /// The intents of a switch of `symbol` from one regime to another.
    fn switch(
        &self,
        ctx: &Context<'_>,
        symbol: &Symbol,
        (from, to): (Regime, Regime),
        readings: &Readings,
        intents: &mut Vec<Intent>,
    ) {
        let specs = &self.factory.specs;
        intents.push(Intent::Switch {
            from: specs[from.index()].name.clone(),
            to: specs[to.index()].name.clone(),
            reason: format!(
                "{symbol}: regime {from} -> {to}, detected on {} bars ({readings})",
                self.confirm_bars
            ),
        });
        if self.flatten_on_switch {
            if ctx.has_open_orders(symbol) {
                intents.push(Intent::CancelAll {
                    symbol: Some(symbol.clone()),
                });
            }
            if ctx.is_long(symbol) {
                intents.push(Intent::market_sell(symbol, Size::PositionShare(1.0)));
            }
        }
    }
}

impl Strategy for Auto {
    fn on_bar(&mut self, ctx: &Context<'_>, symbol: &Symbol, bar: &Bar, intents: &mut Vec<Intent>) {
        let Some(lane) = self.factory.lane(&mut self.lanes, symbol) else {
            return;
        };
        let settings = &self.factory.settings;
        let readings = lane.detector.update(settings, bar);
        let switched = lane
            .hysteresis
            .observe(settings.regime(&readings), self.confirm_bars);
        if let Some(change) = switched {
            self.switch(ctx, symbol, change, &readings, intents);
        }
        if let Some(lane) = self.lanes.get_mut(symbol) {
            lane.each(switched.is_some(), intents, |child, out| {
                child.on_bar(ctx, symbol, bar, out);
            });
        }
    }

    fn on_trade(
        &mut self,
        ctx: &Context<'_>,
        symbol: &Symbol,
        trade: &Trade,
        intents: &mut Vec<Intent>,
    ) {
        if let Some(lane) = self.lane(symbol) {
            lane.each(false, intents, |child, out| {
                child.on_trade(ctx, symbol, trade, out);
            });
        }
    }

    fn on_book(
        &mut self,
        ctx: &Context<'_>,
        symbol: &Symbol,
        book: &BookTop,
        intents: &mut Vec<Intent>,
    ) {
        if let Some(lane) = self.lane(symbol) {
            lane.each(false, intents, |child, out| {
                child.on_book(ctx, symbol, book, out);
            });
        }
    }

    fn on_signal(&mut self, ctx: &Context<'_>, signal: &Signal, intents: &mut Vec<Intent>) {
        if let Some(lane) = self.lane(&signal.symbol) {
            lane.each(false, intents, |child, out| {
                child.on_signal(ctx, signal, out);
            });
        }
    }

    fn on_timer(&mut self, ctx: &Context<'_>, intents: &mut Vec<Intent>) {
        for lane in self.lanes.values_mut() {
            lane.each(false, intents, |child, out| child.on_timer(ctx, out));
        }
    }

    fn on_fill(&mut self, ctx: &Context<'_>, fill: &Fill, intents: &mut Vec<Intent>) {
        if let Some(lane) = self.lane(&fill.symbol) {
            lane.active().on_fill(ctx, fill, intents);
        }
    }

    fn on_order(&mut self, ctx: &Context<'_>, order: &Order, intents: &mut Vec<Intent>) {
        if let Some(lane) = self.lane(&order.request.symbol) {
            lane.active().on_order(ctx, order, intents);
        }
    }
}

#[cfg(test)]
mod tests;
