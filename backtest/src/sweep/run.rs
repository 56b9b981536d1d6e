//! Running a plan over datasets: shared indicator columns per dataset, then every
//! combination in parallel through the vectorised simulator, statistics streamed.
//!
//! Datasets run one after the other (so only one dataset's shared columns are held at a
//! time); within a dataset the combinations run on the current rayon pool, each thread
//! reusing one signal buffer and one [`VectorRun`] ([`Simulator::run_into`]), with the
//! equity curve and trade list off. What a combination leaves behind is one [`Row`], so
//! memory grows with the number of combinations only by that row. Rows come back in input
//! order (dataset by dataset, combinations in plan order) whatever the number of threads.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use vela_core::strategy::{BarColumns, Registry, Signals};
use vela_data::BarFrame;
use vela_data::store::frame_hash;

use super::blocked::{self, Pair};
use super::error::SweepError;
use super::kernel::Columns;
use super::plan::Plan;
use crate::result::{EquityCurve, Stats};
use crate::vector::{Market, Orders, Record, Simulator, VectorConfig, VectorRun};

/// One dataset of a sweep: a name for the results, its bars and their content hash.
#[derive(Debug, Clone)]
pub struct Dataset<'a> {
    /// Name in the results (e.g. the store's dataset id).
    pub name: String,
    /// The bars.
    pub bars: BarColumns<'a>,
    /// Content hash of the bars (vela-data's [`frame_hash`]), for the fingerprint.
    pub content_hash: String,
}

impl<'a> Dataset<'a> {
    /// A dataset of `frame`'s bars, hashed as the store hashes them.
    #[must_use]
    pub fn from_frame(name: impl Into<String>, frame: &'a BarFrame) -> Self {
        Self {
            name: name.into(),
            bars: frame.columns(),
            content_hash: frame_hash(frame),
        }
    }
}

/// The outcome of one combination on one dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Index of the dataset.
    pub dataset: usize,
    /// Index of the combination in the plan (input order).
    pub combination: usize,
    /// Statistics.
    pub stats: Stats,
    /// Orders the simulator did not send (instrument minimums, cash).
    pub refused: usize,
    /// Equity after the last bar.
    pub final_equity: f64,
}

/// Every row of a sweep, in input order, and what it cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SweepResults {
    /// Rows: dataset by dataset, combinations in plan order.
    pub rows: Vec<Row>,
    /// Bars per dataset.
    pub bars: Vec<usize>,
    /// Largest memory held by one dataset's shared indicator columns, bytes.
    pub column_bytes: usize,
    /// Shared indicator columns computed, over all datasets.
    pub columns_computed: usize,
}

impl SweepResults {
    /// Bar-combinations simulated (bars × combinations, summed over datasets).
    #[must_use]
    pub fn bar_combinations(&self, combinations: usize) -> u128 {
        self.bars.iter().map(|&b| b as u128).sum::<u128>() * combinations as u128
    }
}

/// The simulator of a sweep: `config` with the curve and the trade list off.
fn lean(config: &VectorConfig) -> Result<Simulator, SweepError> {
    Simulator::new(VectorConfig {
        record: Record {
            equity: false,
            trades: false,
        },
        ..config.clone()
    })
    .map_err(SweepError::Config)
}

fn market<'a>(dataset: &Dataset<'a>) -> Result<Market<'a>, SweepError> {
    Market::new(dataset.bars).map_err(|source| SweepError::Data {
        name: dataset.name.clone(),
        source,
    })
}

fn param_error(
    plan: &Plan,
    i: usize,
) -> impl FnOnce(vela_core::strategy::ParamError) -> SweepError + '_ {
    move |source| SweepError::Combination {
        combination: plan.describe(i),
        source: Box::new(source),
        hint: String::new(),
    }
}

/// Runs every combination of `plan` on every dataset with `config` (its `record` is
/// ignored: nothing is recorded). `progress` is called with 1 after each finished
/// combination, from any thread.
pub fn run(
    registry: &Registry,
    plan: &Plan,
    datasets: &[Dataset<'_>],
    config: &VectorConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SweepResults, SweepError> {
    run_cancellable(
        registry,
        plan,
        datasets,
        config,
        progress,
        &AtomicBool::new(false),
    )
}

/// [`run`], stopping with [`SweepError::Cancelled`] soon after `cancel` becomes true
/// (combinations already started finish; none starts after it is seen).
pub fn run_cancellable(
    registry: &Registry,
    plan: &Plan,
    datasets: &[Dataset<'_>],
    config: &VectorConfig,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<SweepResults, SweepError> {
    if datasets.is_empty() {
        return Err(SweepError::NoData);
    }
    let sim = lean(config)?;
    let markets: Vec<Market<'_>> = datasets.iter().map(market).collect::<Result<_, _>>()?;
    // The columns every combination reads. Combinations are resolved (defaults filled
    // in) where they are used instead of being kept: a few microseconds each, against
    // milliseconds of simulation, and no memory per combination.
    let kernel = plan.kernel();
    let mut keys = BTreeSet::new();
    for i in 0..plan.len() {
        let params = plan.resolved(registry, i)?;
        kernel
            .keys(&params, &mut keys)
            .map_err(param_error(plan, i))?;
    }
    let mut results = SweepResults {
        rows: Vec::with_capacity(plan.len() * datasets.len()),
        ..SweepResults::default()
    };
    for (d, market) in markets.iter().enumerate() {
        let bars = market.bars();
        let columns = Columns::build_until(&keys, bars, cancel)
            .map_err(|source| SweepError::Combination {
                combination: format!("(indicator columns of {})", datasets[d].name),
                source: Box::new(source),
                hint: String::new(),
            })?
            .ok_or(SweepError::Cancelled)?;
        results.column_bytes = results.column_bytes.max(columns.bytes());
        results.columns_computed += keys.len();
        if let Some(pairs) = crossover_pairs(registry, plan, &columns)? {
            let name = &datasets[d].name;
            let rows = blocked::crossover_rows(&sim, market, &pairs, d, name, progress, cancel)?;
            results.rows.extend(rows);
            results.bars.push(market.len());
            continue;
        }
        let rows: Vec<Row> = (0..plan.len())
            .into_par_iter()
            .map_init(
                || (Signals::default(), VectorRun::default()),
                |(signals, out), i| {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(SweepError::Cancelled);
                    }
                    let params = plan.resolved(registry, i)?;
                    kernel
                        .signals_into(&params, bars, &columns, signals)
                        .map_err(param_error(plan, i))?;
                    sim.run_into(market, Orders::from(&*signals), out)
                        .map_err(|source| SweepError::Data {
                            name: datasets[d].name.clone(),
                            source,
                        })?;
                    progress(1);
                    Ok(Row {
                        dataset: d,
                        combination: i,
                        stats: out.result.stats.clone(),
                        refused: out.refused.total(),
                        final_equity: out.final_cash + out.final_quantity * last(bars.close),
                    })
                },
            )
            .collect::<Result<_, SweepError>>()?;
        results.rows.extend(rows);
        results.bars.push(market.len());
    }
    Ok(results)
}

/// The average columns of every combination of a crossover plan (`None` for other
/// strategies), for the blocked sweep.
fn crossover_pairs<'c>(
    registry: &Registry,
    plan: &Plan,
    columns: &'c Columns,
) -> Result<Option<Vec<Pair<'c>>>, SweepError> {
    let kernel = plan.kernel();
    let mut pairs = Vec::with_capacity(plan.len());
    for i in 0..plan.len() {
        let params = plan.resolved(registry, i)?;
        match kernel
            .crossover_columns(&params, columns)
            .map_err(param_error(plan, i))?
        {
            Some((fast, slow)) => pairs.push(Pair {
                combination: i,
                fast,
                slow,
            }),
            None => return Ok(None),
        }
    }
    Ok(Some(pairs))
}

fn last(values: &[f64]) -> f64 {
    values.last().copied().unwrap_or(0.0)
}

/// The equity curves of chosen `(dataset, combination)` pairs, re-run with the curve on
/// (the same runs as in [`run`], so the same statistics).
pub fn equity_curves(
    registry: &Registry,
    plan: &Plan,
    datasets: &[Dataset<'_>],
    config: &VectorConfig,
    picks: &[(usize, usize)],
) -> Result<Vec<EquityCurve>, SweepError> {
    let sim = Simulator::new(VectorConfig {
        record: Record {
            equity: true,
            trades: false,
        },
        ..config.clone()
    })
    .map_err(SweepError::Config)?;
    picks
        .par_iter()
        .map(|&(d, i)| {
            let dataset = datasets.get(d).ok_or(SweepError::NoData)?;
            let market = market(dataset)?;
            let params = plan.resolved(registry, i)?;
            let mut keys = BTreeSet::new();
            let kernel = plan.kernel();
            kernel
                .keys(&params, &mut keys)
                .map_err(param_error(plan, i))?;
            let columns = Columns::build(&keys, market.bars()).map_err(param_error(plan, i))?;
            let mut signals = Signals::default();
            kernel
                .signals_into(&params, market.bars(), &columns, &mut signals)
                .map_err(param_error(plan, i))?;
            let run =
                sim.run(&market, Orders::from(&signals))
                    .map_err(|source| SweepError::Data {
                        name: dataset.name.clone(),
                        source,
                    })?;
            Ok(run.result.equity)
        })
        .collect()
}
