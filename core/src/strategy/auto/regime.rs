//! Market regimes, their detection from bars (trend, volatility, volume) and the
//! confirmation that keeps the active regime from flapping.

use std::collections::VecDeque;
use std::fmt;

use super::NAME;
use crate::indicators::{Adx, Atr, Sma, ZScore};
use crate::strategy::params::{ParamError, Params};
use crate::types::Bar;

/// A market regime. Each one runs its own configured strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Regime {
    /// Directional market: the trend factor fired.
    Trend,
    /// High volatility: the volatility factor fired.
    Volatile,
    /// Unusual volume: the volume factor fired.
    VolumeSurge,
    /// No factor fired (the default regime).
    Range,
}

impl Regime {
    /// Every regime, in the order of the children array.
    pub const ALL: [Self; 4] = [Self::Trend, Self::Volatile, Self::VolumeSurge, Self::Range];

    /// The name used in `precedence` and in switch reasons.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Trend => "trend",
            Self::Volatile => "volatile",
            Self::VolumeSurge => "volume_surge",
            Self::Range => "range",
        }
    }

    /// The index of this regime's child.
    #[must_use]
    pub const fn index(self) -> usize {
        match self {
            Self::Trend => 0,
            Self::Volatile => 1,
            Self::VolumeSurge => 2,
            Self::Range => 3,
        }
    }

    /// The regime named `name` (not `range`, which needs no factor).
    fn factor(name: &str) -> Option<Self> {
        [Self::Trend, Self::Volatile, Self::VolumeSurge]
            .into_iter()
            .find(|r| r.name() == name)
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The accepted `precedence` values: every order of the three factor regimes.
pub(super) const PRECEDENCE_CHOICES: [&str; 6] = [
    "volatile,trend,volume_surge",
    "volatile,volume_surge,trend",
    "trend,volatile,volume_surge",
    "trend,volume_surge,volatile",
    "volume_surge,trend,volatile",
    "volume_surge,volatile,trend",
];

/// `text` (a comma list naming `trend`, `volatile` and `volume_surge` once each) as an order.
pub fn parse_precedence(text: &str) -> Result<[Regime; 3], ParamError> {
    let bad = |rule: String| ParamError::new(NAME, "precedence", format!("{text:?}"), rule);
    let mut order = Vec::with_capacity(3);
    for name in text.split(',').map(str::trim) {
        let regime = Regime::factor(name).ok_or_else(|| {
            bad(format!(
                "names {name:?}, not a regime (trend, volatile, volume_surge)"
            ))
        })?;
        if order.contains(&regime) {
            return Err(bad(format!("names {name} twice")));
        }
        order.push(regime);
    }
    <[Regime; 3]>::try_from(order)
        .map_err(|_| bad("must name trend, volatile and volume_surge once each".to_owned()))
}

/// How the two trend measures combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TrendRule {
    /// ADX or slope.
    Either,
    /// ADX and slope.
    Both,
    /// ADX only.
    Adx,
    /// Slope only.
    Slope,
}

impl TrendRule {
    fn parse(text: &str) -> Result<Self, ParamError> {
        Ok(match text {
            "either" => Self::Either,
            "both" => Self::Both,
            "adx" => Self::Adx,
            "slope" => Self::Slope,
            other => {
                return Err(ParamError::new(
                    NAME,
                    "trend_rule",
                    other,
                    "must be one of either, both, adx, slope",
                ));
            }
        })
    }
}

/// The detection settings, from the auto parameters.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    use_trend: bool,
    trend_rule: TrendRule,
    adx_period: usize,
    adx_trend: f64,
    slope_period: usize,
    slope_lookback: usize,
    slope_min: f64,
    use_volatility: bool,
    atr_period: usize,
    atr_rank_window: usize,
    vol_high_pct: f64,
    use_volume: bool,
    volume_window: usize,
    volume_z: f64,
    precedence: [Regime; 3],
}

impl Settings {
    /// The settings in resolved auto parameters.
    pub(super) fn new(params: &Params) -> Result<Self, ParamError> {
        let settings = Self {
            use_trend: params.bool(NAME, "use_trend")?,
            trend_rule: TrendRule::parse(params.text(NAME, "trend_rule")?)?,
            adx_period: params.usize(NAME, "adx_period")?,
            adx_trend: params.float(NAME, "adx_trend")?,
            slope_period: params.usize(NAME, "slope_period")?,
            slope_lookback: params.usize(NAME, "slope_lookback")?,
            slope_min: params.float(NAME, "slope_min")?,
            use_volatility: params.bool(NAME, "use_volatility")?,
            atr_period: params.usize(NAME, "atr_period")?,
            atr_rank_window: params.usize(NAME, "atr_rank_window")?,
            vol_high_pct: params.float(NAME, "vol_high_pct")?,
            use_volume: params.bool(NAME, "use_volume")?,
            volume_window: params.usize(NAME, "volume_window")?,
            volume_z: params.float(NAME, "volume_z")?,
            precedence: parse_precedence(params.text(NAME, "precedence")?)?,
        };
        settings.detector()?;
        Ok(settings)
    }

    /// A fresh detector for one symbol.
    pub(super) fn detector(&self) -> Result<Detector, ParamError> {
        let period = |param: &str, value: usize, e: &dyn fmt::Display| {
            ParamError::new(NAME, param, value, e.to_string())
        };
        Ok(Detector {
            adx: Adx::new(self.adx_period)
                .map_err(|e| period("adx_period", self.adx_period, &e))?,
            sma: Sma::new(self.slope_period)
                .map_err(|e| period("slope_period", self.slope_period, &e))?,
            smas: VecDeque::with_capacity(self.slope_lookback + 1),
            atr: Atr::new(self.atr_period)
                .map_err(|e| period("atr_period", self.atr_period, &e))?,
            atrs: VecDeque::with_capacity(self.atr_rank_window),
            volume: ZScore::new(self.volume_window)
                .map_err(|e| period("volume_window", self.volume_window, &e))?,
        })
    }

    /// The regime the readings point to: the first factor regime in precedence order whose
    /// factor is on and fires, else `range`. A reading still warming up does not fire.
    #[must_use]
    pub(super) fn regime(&self, r: &Readings) -> Regime {
        let above = |value: Option<f64>, level: f64| value.is_some_and(|v| v >= level);
        let adx = above(r.adx, self.adx_trend);
        let slope = above(r.slope.map(f64::abs), self.slope_min);
        let fires = |regime: Regime| match regime {
            Regime::Trend => {
                self.use_trend
                    && match self.trend_rule {
                        TrendRule::Either => adx || slope,
                        TrendRule::Both => adx && slope,
                        TrendRule::Adx => adx,
                        TrendRule::Slope => slope,
                    }
            }
            Regime::Volatile => self.use_volatility && above(r.atr_rank, self.vol_high_pct),
            Regime::VolumeSurge => self.use_volume && above(r.volume_z, self.volume_z),
            Regime::Range => false,
        };
        self.precedence
            .into_iter()
            .find(|r| fires(*r))
            .unwrap_or(Regime::Range)
    }
}

/// The measures behind a regime decision (`None` while warming up).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Readings {
    /// ADX.
    pub(super) adx: Option<f64>,
    /// SMA slope over the lookback, as a share (`sma / sma_lookback_ago - 1`).
    pub(super) slope: Option<f64>,
    /// Percentile rank of the current ATR: the share of the `atr_rank_window - 1` ATRs before
    /// it that are strictly lower, in [0, 1] (1: the highest of the window; a constant ATR
    /// ranks 0).
    pub(super) atr_rank: Option<f64>,
    /// Volume z-score.
    pub(super) volume_z: Option<f64>,
}

impl fmt::Display for Readings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.4}"));
        write!(
            f,
            "adx {}, slope {}, atr rank {}, volume z {}",
            show(self.adx),
            show(self.slope),
            show(self.atr_rank),
            show(self.volume_z)
        )
    }
}

/// The streaming measures of one symbol.
#[derive(Debug, Clone)]
pub(super) struct Detector {
    adx: Adx,
    sma: Sma,
    /// The last `slope_lookback + 1` SMA values.
    smas: VecDeque<f64>,
    atr: Atr,
    /// The last `atr_rank_window` ATR values.
    atrs: VecDeque<f64>,
    volume: ZScore,
}

impl Detector {
    /// Feeds one bar; returns the readings as of its close.
    pub(super) fn update(&mut self, settings: &Settings, bar: &Bar) -> Readings {
        let adx = self.adx.update(bar.high, bar.low, bar.close).map(|v| v.adx);
        let slope = self.sma.update(bar.close).and_then(|sma| {
            push(&mut self.smas, sma, settings.slope_lookback + 1);
            let oldest = *self.smas.front()?;
            (self.smas.len() > settings.slope_lookback && oldest != 0.0).then(|| sma / oldest - 1.0)
        });
        let atr_rank = self
            .atr
            .update(bar.high, bar.low, bar.close)
            .and_then(|atr| {
                push(&mut self.atrs, atr, settings.atr_rank_window);
                (self.atrs.len() == settings.atr_rank_window).then(|| {
                    let others = self.atrs.len() - 1;
                    let below = self.atrs.iter().take(others).filter(|v| **v < atr).count();
                    #[allow(clippy::cast_precision_loss, reason = "window lengths are small")]
                    let rank = below as f64 / others as f64;
                    rank
                })
            });
        let volume_z = self.volume.update(bar.volume);
        Readings {
            adx,
            slope,
            atr_rank,
            volume_z,
        }
    }
}

fn push(window: &mut VecDeque<f64>, value: f64, len: usize) {
    window.push_back(value);
    while window.len() > len {
        window.pop_front();
    }
}

/// The active regime with the confirmation count of a challenger.
#[derive(Debug, Clone)]
pub(super) struct Hysteresis {
    active: Regime,
    challenger: Option<(Regime, usize)>,
}

impl Hysteresis {
    /// Starts in `range`.
    #[must_use]
    pub(super) const fn new() -> Self {
        Self {
            active: Regime::Range,
            challenger: None,
        }
    }

    /// The active regime.
    #[must_use]
    pub(super) const fn active(&self) -> Regime {
        self.active
    }

    /// Observes this bar's detected regime; returns `(from, to)` when a different regime
    /// has now been detected on `confirm` consecutive bars and becomes active.
    pub(super) fn observe(&mut self, detected: Regime, confirm: usize) -> Option<(Regime, Regime)> {
        if detected == self.active {
            self.challenger = None;
            return None;
        }
        let count = match self.challenger {
            Some((regime, n)) if regime == detected => n + 1,
            _ => 1,
        };
        if count >= confirm {
            let from = self.active;
            self.active = detected;
            self.challenger = None;
            Some((from, detected))
        } else {
            self.challenger = Some((detected, count));
            None
        }
    }
}
