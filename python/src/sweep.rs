//! `vela.sweep`: a parameter grid of a built-in strategy through the vectorised tier,
//! over stored datasets or the caller's bars, ranked; Ctrl-C stops it.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use serde::Deserialize;
use vela_backtest::run::instrument::{InstrumentSettings, instrument_for};
use vela_backtest::sweep::{
    self, Dataset, Fingerprint, Grid, GridSpec, Metric, Plan, Table, heatmap_svg, rank,
};
use vela_backtest::vector::VectorConfig;
use vela_core::sim::FillTiming;
use vela_core::strategy::Registry;
use vela_data::BarFrame;

use crate::backtest::{frame_dataset, parse_options};
use crate::columns::caller_bars;
use crate::data::{dataset_id, open_store, range};
use crate::errors::{self, parameter};
use crate::interrupt;
use crate::run::frame_ipc;

/// `vela.sweep`'s keyword arguments (JSON).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SweepOptions {
    pub(crate) strategy: String,
    pub(crate) grid: Vec<String>,
    #[serde(default)]
    pub(crate) constraints: Vec<String>,
    pub(crate) metric: Option<String>,
    #[serde(default)]
    pub(crate) datasets: Vec<String>,
    pub(crate) data_dir: Option<String>,
    pub(crate) start: Option<i64>,
    pub(crate) end: Option<i64>,
    pub(crate) symbol: Option<String>,
    pub(crate) interval: Option<String>,
    pub(crate) cash: Option<f64>,
    pub(crate) fill: Option<FillTiming>,
    pub(crate) slippage_bps: Option<f64>,
    pub(crate) threads: Option<usize>,
    #[serde(default)]
    pub(crate) instrument: InstrumentSettings,
}

/// The plan of a grid (`name=values` entries) with constraints, for `strategy`.
pub(crate) fn plan(
    registry: &Registry,
    strategy: &str,
    grid: &[String],
    constraints: &[String],
) -> PyResult<Plan> {
    let mut spec = GridSpec::default();
    for entry in grid {
        spec.push_text(entry).map_err(|e| errors::sweep(&e))?;
    }
    spec.constraints.extend(constraints.iter().cloned());
    let schema = &registry
        .get(strategy)
        .map_err(|e| parameter(e.to_string()))?
        .schema;
    Grid::new(schema, &spec)
        .and_then(|grid| Plan::new(registry, grid))
        .map_err(|e| errors::sweep(&e))
}

/// A ranking metric by name (`sharpe`, `total_return`, ...).
pub(crate) fn metric(name: Option<&str>) -> PyResult<Metric> {
    name.unwrap_or("sharpe")
        .parse()
        .map_err(|e: sweep::SweepError| errors::sweep(&e))
}

/// Runs the sweep; returns `{"table": Arrow IPC bytes, "fingerprint": str, "heatmap": SVG
/// or None, "runs": int, "bar_combinations": int}`.
#[pyfunction]
#[pyo3(name = "sweep", signature = (options, columns=None))]
pub(crate) fn run_sweep<'py>(
    py: Python<'py>,
    options: &str,
    columns: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let options: SweepOptions = parse_options("vela.sweep", options)?;
    let registry = Registry::builtin();
    let plan = plan(
        &registry,
        &options.strategy,
        &options.grid,
        &options.constraints,
    )?;
    let metric = metric(options.metric.as_deref())?;
    if options.threads == Some(0) {
        return Err(parameter("threads must be at least 1"));
    }
    // The bars: the caller's, or each stored dataset's range.
    let frames: Vec<(String, String, BarFrame)> = match columns {
        Some(columns) => {
            let (frame, symbol, interval) = caller_bars(
                columns,
                options.symbol.as_deref(),
                options.interval.as_deref(),
            )?;
            vec![(frame_dataset(&symbol, interval), symbol, frame)]
        }
        None => {
            if options.datasets.is_empty() {
                return Err(parameter(
                    "give the data: datasets=[\"sample/BTCUSDT/1m\", ...] or a DataFrame of bars",
                ));
            }
            let store = open_store(options.data_dir.as_deref())?;
            options
                .datasets
                .iter()
                .map(|name| {
                    let id = dataset_id(name)?;
                    let frame = store
                        .read(&id, range(options.start, options.end))
                        .map_err(|e| errors::store(&e))?;
                    if frame.is_empty() {
                        return Err(errors::raise(
                            errors::Kind::Data,
                            format!("data: {id} has no bars in the range given"),
                        ));
                    }
                    Ok((id.to_string(), id.symbol().to_owned(), frame))
                })
                .collect::<PyResult<_>>()?
        }
    };
    let settings = &options.instrument;
    let instrument = instrument_for(&frames[0].1, settings).map_err(|e| errors::run(&e))?;
    for (name, symbol, _) in &frames[1..] {
        let other = instrument_for(symbol, settings).map_err(|e| errors::run(&e))?;
        if (
            other.price_precision,
            other.quantity_precision,
            other.min_quantity,
            other.min_notional,
        ) != (
            instrument.price_precision,
            instrument.quantity_precision,
            instrument.min_quantity,
            instrument.min_notional,
        ) {
            return Err(parameter(format!(
                "{name} trades by other rules (precision or minimums) than {}: sweep each on its own or give the instrument settings",
                frames[0].0
            )));
        }
    }
    let mut config = VectorConfig::new(instrument, options.cash.unwrap_or(10_000.0));
    if let Some(fill) = options.fill {
        config.fill = fill.into();
    }
    if let Some(bps) = options.slippage_bps {
        config.slippage_bps = bps;
    }
    let datasets: Vec<Dataset<'_>> = frames
        .iter()
        .map(|(name, _, frame)| Dataset::from_frame(name.clone(), frame))
        .collect();
    let pool = rayon_pool(options.threads)?;
    let results = interrupt::run(py, |cancel| {
        pool.install(|| {
            sweep::run_cancellable(&registry, &plan, &datasets, &config, &|_| {}, cancel)
                .map_err(|e| errors::sweep(&e))
        })
    })?;
    let order = rank(&results, metric);
    let names: Vec<String> = datasets.iter().map(|d| d.name.clone()).collect();
    let table = Table {
        plan: &plan,
        datasets: &names,
        results: &results,
        order: &order,
    };
    let mut frame = table
        .dataframe()
        .map_err(|e| errors::raise(errors::Kind::Internal, format!("sweep table: {e}")))?;
    let mut extra = vec![("rank_by", metric.to_string())];
    if columns.is_none() {
        extra.push(("range", format!("{:?}", range(options.start, options.end))));
    }
    let fingerprint = Fingerprint::new(&plan, &config, &extra, &datasets, &results);
    let heatmap = heatmap_svg(
        &plan,
        &results,
        metric,
        &format!("{} on {}", options.strategy, names.join(", ")),
    )
    .ok();
    let out = PyDict::new(py);
    out.set_item("table", PyBytes::new(py, &frame_ipc(&mut frame)?))?;
    out.set_item("fingerprint", fingerprint.to_string())?;
    out.set_item("heatmap", heatmap)?;
    out.set_item("runs", results.rows.len())?;
    out.set_item(
        "bar_combinations",
        results.bar_combinations(plan.len()).to_string(),
    )?;
    Ok(out)
}

/// A rayon pool of `threads` workers (default: one per core).
pub(crate) fn rayon_pool(threads: Option<usize>) -> PyResult<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| errors::raise(errors::Kind::Internal, format!("worker threads: {e}")))
}
