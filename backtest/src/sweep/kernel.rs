//! Signals of many parameter combinations from indicator columns computed once.
//!
//! Each built-in strategy with a vectorised form says which indicator columns a
//! combination reads ([`Kernel::keys`]); a sweep computes every distinct column once per
//! dataset ([`Columns::build`], in parallel) and each combination then only runs the
//! strategy's signal pass over the shared columns ([`Kernel::signals_into`]). The column
//! functions and the signal passes are the strategies' own (`vela_core::strategy::*`),
//! the very ones the registry's vectorised forms call, so the signals are bit-identical to
//! `Registry::signals` (tested for every combination of small grids).
//!
//! A registered strategy with a vectorised form that is not one of these runs its
//! registry function per combination (nothing shared).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use vela_core::strategy::{
    BarColumns, ParamError, Params, SignalFn, Signals, breakout, crossover, mean_reversion,
    volume_spike,
};

/// An indicator column some combination reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ColumnKey {
    /// Crossover: a moving average of the closes.
    Average {
        /// Exponential (else simple).
        ema: bool,
        /// Bars.
        period: usize,
    },
    /// Breakout: the upper Donchian band.
    Upper(usize),
    /// Breakout: the lower Donchian band.
    Lower(usize),
    /// Breakout: the mean volume.
    MeanVolume(usize),
    /// Breakout: the ATR.
    Atr(usize),
    /// Mean reversion: Bollinger bands (lower and middle), `k` as its bits.
    Bands {
        /// Bars.
        period: usize,
        /// Width, `f64::to_bits`.
        k: u64,
    },
    /// Mean reversion: the RSI.
    Rsi(usize),
    /// Volume spike: the volume z-score.
    ZScore(usize),
}

/// A computed column (bands keep two).
#[derive(Debug)]
enum Column {
    One(Vec<f64>),
    Bands { lower: Vec<f64>, middle: Vec<f64> },
}

/// The shared indicator columns of one dataset.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    map: BTreeMap<ColumnKey, Column>,
}

impl Columns {
    /// Computes every column in `keys` over `bars`, in parallel.
    pub(crate) fn build(
        keys: &BTreeSet<ColumnKey>,
        bars: &BarColumns<'_>,
    ) -> Result<Self, ParamError> {
        Self::build_until(keys, bars, &AtomicBool::new(false)).map(Option::unwrap_or_default)
    }

    /// [`Columns::build`], or `None` when `cancel` is seen set before every column was
    /// computed (columns started finish; none starts after it).
    pub(crate) fn build_until(
        keys: &BTreeSet<ColumnKey>,
        bars: &BarColumns<'_>,
        cancel: &AtomicBool,
    ) -> Result<Option<Self>, ParamError> {
        // Simple averages together (their windows share additions), on one thread beside
        // the other columns.
        let (simple, others): (Vec<ColumnKey>, Vec<ColumnKey>) = keys
            .iter()
            .partition(|key| matches!(key, ColumnKey::Average { ema: false, .. }));
        let periods: Vec<usize> = simple
            .iter()
            .filter_map(|key| match key {
                ColumnKey::Average { period, .. } => Some(*period),
                _ => None,
            })
            .collect();
        let (averages, computed) = rayon::join(
            || crossover::sma_averages(bars.close, &periods),
            || {
                others
                    .par_iter()
                    .map(|&key| {
                        if cancel.load(Ordering::Relaxed) {
                            return Ok(None);
                        }
                        compute(key, bars).map(|column| Some((key, column)))
                    })
                    .collect::<Result<Option<Vec<(ColumnKey, Column)>>, _>>()
            },
        );
        let averages = simple
            .into_iter()
            .zip(averages?.into_iter().map(Column::One));
        let Some(computed) = computed? else {
            return Ok(None);
        };
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        Ok(Some(Self {
            map: computed.into_iter().chain(averages).collect(),
        }))
    }

    /// Bytes held by the columns.
    pub(crate) fn bytes(&self) -> usize {
        self.map
            .values()
            .map(|c| match c {
                Column::One(v) => v.len() * 8,
                Column::Bands { lower, middle } => (lower.len() + middle.len()) * 8,
            })
            .sum()
    }

    fn one(&self, key: ColumnKey) -> Result<&[f64], ParamError> {
        match self.map.get(&key) {
            Some(Column::One(v)) => Ok(v),
            _ => Err(missing(key)),
        }
    }

    fn bands(&self, key: ColumnKey) -> Result<(&[f64], &[f64]), ParamError> {
        match self.map.get(&key) {
            Some(Column::Bands { lower, middle }) => Ok((lower, middle)),
            _ => Err(missing(key)),
        }
    }
}

fn missing(key: ColumnKey) -> ParamError {
    ParamError::new("sweep", "column", format!("{key:?}"), "was not computed")
}

fn compute(key: ColumnKey, bars: &BarColumns<'_>) -> Result<Column, ParamError> {
    Ok(match key {
        ColumnKey::Average { ema, period } => {
            let ma = if ema { "ema" } else { "sma" };
            Column::One(crossover::average(bars.close, ma, period)?)
        }
        ColumnKey::Upper(p) => Column::One(breakout::channel_upper(bars, p)?),
        ColumnKey::Lower(p) => Column::One(breakout::channel_lower(bars, p)?),
        ColumnKey::MeanVolume(p) => Column::One(breakout::mean_volume(bars, p)?),
        ColumnKey::Atr(p) => Column::One(breakout::atr(bars, p)?),
        ColumnKey::Bands { period, k } => {
            let bands = mean_reversion::bands(bars.close, period, f64::from_bits(k))?;
            Column::Bands {
                lower: bands.lower,
                middle: bands.middle,
            }
        }
        ColumnKey::Rsi(p) => Column::One(mean_reversion::rsi(bars.close, p)?),
        ColumnKey::ZScore(p) => Column::One(volume_spike::volume_zscore(bars, p)?),
    })
}

/// A crossover combination's fast and slow average columns.
pub(crate) type AveragePair<'c> = (&'c [f64], &'c [f64]);

/// How a strategy's combinations get their signals.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kernel {
    /// Moving-average crossover over shared averages.
    Crossover,
    /// Donchian breakout over shared channels, mean volumes and ATRs.
    Breakout,
    /// Bollinger mean reversion over shared bands and RSIs.
    MeanReversion,
    /// Volume spike over shared z-scores.
    VolumeSpike,
    /// Another strategy: its registry function per combination.
    Generic(SignalFn),
}

impl Kernel {
    /// The kernel of strategy `name` whose vectorised form is `signals`.
    pub(crate) fn new(name: &str, signals: SignalFn) -> Self {
        match name {
            "crossover" => Self::Crossover,
            "breakout" => Self::Breakout,
            "mean_reversion" => Self::MeanReversion,
            "volume_spike" => Self::VolumeSpike,
            _ => Self::Generic(signals),
        }
    }

    /// Adds the columns resolved `params` read to `keys`.
    pub(crate) fn keys(
        self,
        params: &Params,
        keys: &mut BTreeSet<ColumnKey>,
    ) -> Result<(), ParamError> {
        match self {
            Self::Crossover => {
                let ema = params.text("crossover", "ma")? == "ema";
                for name in ["fast", "slow"] {
                    let period = params.usize("crossover", name)?;
                    keys.insert(ColumnKey::Average { ema, period });
                }
            }
            Self::Breakout => {
                let p = |name| params.usize("breakout", name);
                keys.insert(ColumnKey::Upper(p("channel")?));
                keys.insert(ColumnKey::Lower(p("exit_channel")?));
                keys.insert(ColumnKey::MeanVolume(p("volume_window")?));
                keys.insert(ColumnKey::Atr(p("atr_period")?));
            }
            Self::MeanReversion => {
                keys.insert(bands_key(params)?);
                keys.insert(ColumnKey::Rsi(
                    params.usize("mean_reversion", "rsi_period")?,
                ));
            }
            Self::VolumeSpike => {
                keys.insert(ColumnKey::ZScore(params.usize("volume_spike", "window")?));
            }
            Self::Generic(_) => {}
        }
        Ok(())
    }

    /// The fast and the slow average column of resolved crossover `params` (`None` for
    /// the other kernels).
    pub(crate) fn crossover_columns<'c>(
        self,
        params: &Params,
        columns: &'c Columns,
    ) -> Result<Option<AveragePair<'c>>, ParamError> {
        let Self::Crossover = self else {
            return Ok(None);
        };
        let ema = params.text("crossover", "ma")? == "ema";
        let column = |name| {
            let period = params.usize("crossover", name)?;
            columns.one(ColumnKey::Average { ema, period })
        };
        Ok(Some((column("fast")?, column("slow")?)))
    }

    /// The signals of resolved `params` over `bars`, reading `columns`, into `out`.
    pub(crate) fn signals_into(
        self,
        params: &Params,
        bars: &BarColumns<'_>,
        columns: &Columns,
        out: &mut Signals,
    ) -> Result<(), ParamError> {
        match self {
            Self::Crossover => {
                let ema = params.text("crossover", "ma")? == "ema";
                let column = |name| {
                    let period = params.usize("crossover", name)?;
                    columns.one(ColumnKey::Average { ema, period })
                };
                crossover::cross_signals_into(column("fast")?, column("slow")?, out);
            }
            Self::Breakout => {
                let p = |name| params.usize("breakout", name);
                let shared = breakout::BreakoutColumns {
                    upper: columns.one(ColumnKey::Upper(p("channel")?))?,
                    lower: columns.one(ColumnKey::Lower(p("exit_channel")?))?,
                    mean_volume: columns.one(ColumnKey::MeanVolume(p("volume_window")?))?,
                    atr: columns.one(ColumnKey::Atr(p("atr_period")?))?,
                };
                breakout::signals_with(params, bars, &shared, out)?;
            }
            Self::MeanReversion => {
                let (lower, middle) = columns.bands(bands_key(params)?)?;
                let rsi_period = params.usize("mean_reversion", "rsi_period")?;
                let shared = mean_reversion::MeanReversionColumns {
                    lower,
                    middle,
                    rsi: columns.one(ColumnKey::Rsi(rsi_period))?,
                };
                mean_reversion::signals_with(params, bars, &shared, out)?;
            }
            Self::VolumeSpike => {
                let window = params.usize("volume_spike", "window")?;
                let z = columns.one(ColumnKey::ZScore(window))?;
                volume_spike::signals_with(params, bars, z, out)?;
            }
            Self::Generic(signals) => *out = signals(params, bars)?,
        }
        Ok(())
    }
}

fn bands_key(params: &Params) -> Result<ColumnKey, ParamError> {
    Ok(ColumnKey::Bands {
        period: params.usize("mean_reversion", "period")?,
        k: params.float("mean_reversion", "k")?.to_bits(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::{Grid, GridSpec, Plan};
    use vela_core::strategy::{BarSeries, Registry, StrategySpec};
    use vela_core::testkit;

    /// Every combination's shared-column signals equal the registry's, bit for bit.
    fn assert_identical(registry: &Registry, name: &str, entries: &[&str], bars: &BarSeries) {
        let schema = &registry.get(name).unwrap().schema;
        let mut spec = GridSpec::default();
        if name == "crossover" {
            spec.constraints.push("fast < slow".to_owned());
        }
        for e in entries {
            spec.push_text(e).unwrap();
        }
        let plan = Plan::new(registry, Grid::new(schema, &spec).unwrap()).unwrap();
        let columns = bars.columns();
        let mut keys = BTreeSet::new();
        for i in 0..plan.len() {
            plan.kernel()
                .keys(&plan.resolved(registry, i).unwrap(), &mut keys)
                .unwrap();
        }
        let shared = Columns::build(&keys, &columns).unwrap();
        let mut out = Signals::default();
        let mut traded = 0;
        for i in 0..plan.len() {
            let params = plan.resolved(registry, i).unwrap();
            plan.kernel()
                .signals_into(&params, &columns, &shared, &mut out)
                .unwrap();
            let expected = registry
                .signals(&StrategySpec::new(name, params.clone()), &columns)
                .unwrap()
                .unwrap();
            assert_eq!(out, expected, "{name} {}", plan.describe(i));
            traded += usize::from(!expected.walk().is_empty());
        }
        assert!(
            traded * 2 >= plan.len(),
            "{name}: only {traded} of {} trade",
            plan.len()
        );
    }

    fn grids() -> [(&'static str, Vec<&'static str>); 4] {
        [
            (
                "crossover",
                vec!["fast=2:12:5", "slow=8,20,45", "ma=sma,ema"],
            ),
            (
                "breakout",
                vec![
                    "channel=5,20",
                    "exit_channel=3,10",
                    "volume_k=0,1.2",
                    "atr_mult=0,1.5",
                ],
            ),
            (
                "mean_reversion",
                vec![
                    "period=10,20",
                    "k=1,2",
                    "rsi_confirm=true,false",
                    "stop_pct=0,0.02",
                ],
            ),
            (
                "volume_spike",
                vec![
                    "window=10,30",
                    "z_threshold=1.5,2.5",
                    "trail_pct=0.005,0.02",
                    "max_bars=5,60",
                ],
            ),
        ]
    }

    #[test]
    fn shared_columns_give_the_registry_signals_on_synthetic_bars() {
        let registry = Registry::builtin();
        let bars = BarSeries::from_bars(&testkit::random_walk(4_000, 100.0, 0.004, 11));
        for (name, entries) in grids() {
            assert_identical(&registry, name, &entries, &bars);
        }
    }

    #[test]
    fn shared_columns_give_the_registry_signals_on_real_bars() {
        let Some(real) = testkit::real_btc_1m(6_000) else {
            return;
        };
        let registry = Registry::builtin();
        let bars = BarSeries::from_bars(&real);
        for (name, entries) in grids() {
            assert_identical(&registry, name, &entries, &bars);
        }
    }
}
