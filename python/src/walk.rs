//! `vela.walk_forward`: optimise in sample with a sweep, trade the pick out of sample with
//! the event tier, window after window; the same code as `vela walk-forward`.

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use serde::Deserialize;
use vela_backtest::event::EventConfig;
use vela_backtest::run::files::{StatsRecord, trades_frame};
use vela_backtest::run::{chart::equity_svg, read_bars, vector_config};
use vela_backtest::stats;
use vela_backtest::walk::{self, Scheme, SweepOptimiser, WindowSpec, span_bars};
use vela_core::strategy::Registry;
use vela_data::BarFrame;

use crate::backtest::{BacktestOptions, frame_dataset, parse_options};
use crate::columns::caller_bars;
use crate::data::open_store;
use crate::errors::{self, Kind, compute, parameter};
use crate::run::frame_ipc;
use crate::sweep::{metric, plan};

/// `vela.walk_forward`'s keyword arguments (JSON).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WalkOptions {
    backtest: BacktestOptions,
    grid: Vec<String>,
    #[serde(default)]
    constraints: Vec<String>,
    metric: Option<String>,
    in_sample: String,
    out_of_sample: String,
    #[serde(default)]
    anchored: bool,
}

/// Runs a walk-forward; returns windows (Arrow IPC), out-of-sample trades (Arrow IPC) and
/// equity (numpy arrays), statistics (JSON) and the chart (SVG).
#[pyfunction]
#[pyo3(signature = (options, columns=None))]
pub(crate) fn walk_forward<'py>(
    py: Python<'py>,
    options: &str,
    columns: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let options: WalkOptions = parse_options("vela.walk_forward", options)?;
    let run = &options.backtest;
    if run.tier.is_some() {
        return Err(parameter(
            "tier= does not apply: walk-forward optimises in sample with the vector tier and \
             trades out of sample with the event tier",
        ));
    }
    let registry = Registry::builtin();
    let (spec, symbol, frame): (_, String, BarFrame) = match columns {
        Some(columns) => {
            let (frame, symbol, interval) =
                caller_bars(columns, run.symbol.as_deref(), run.interval.as_deref())?;
            (
                run.spec(Some(&frame_dataset(&symbol, interval)))?,
                symbol,
                frame,
            )
        }
        None => {
            let spec = run.spec(None)?;
            let id = spec.data.dataset_id().map_err(|e| errors::run(&e))?;
            let frame = compute(py, || {
                let store = open_store(run.data_dir.as_deref())?;
                read_bars(&store, &id, &spec).map_err(|e| errors::run(&e))
            })?;
            (spec, id.symbol().to_owned(), frame)
        }
    };
    let bot = run.bot(&symbol)?;
    let interval = stats::bar_interval_ms(&frame.ts)
        .ok_or_else(|| errors::raise(Kind::Data, "a walk-forward needs at least two bars"))?;
    // Fixed parameters become one-value axes, so in sample trades what out of sample will.
    let mut grid = options.grid.clone();
    for (name, value) in &run.params {
        if !grid
            .iter()
            .any(|g| g.split_once('=').is_some_and(|(n, _)| n.trim() == name))
        {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            grid.push(format!("{name}={text}"));
        }
    }
    let plan = plan(&registry, &bot.strategy.name, &grid, &options.constraints)?;
    let metric = metric(options.metric.as_deref())?;
    let vector = vector_config(&bot, &spec).map_err(|e| errors::run(&e))?;
    let windows = WindowSpec {
        in_sample: span_bars(&options.in_sample, interval).map_err(|e| errors::walk(&e))?,
        out_of_sample: span_bars(&options.out_of_sample, interval).map_err(|e| errors::walk(&e))?,
        scheme: if options.anchored {
            Scheme::Anchored
        } else {
            Scheme::Rolling
        },
    };
    let config = EventConfig {
        bot: bot.clone(),
        exchange: spec.exchange.sim_config(),
        timers: spec.exchange.timers,
    };
    let optimiser = SweepOptimiser {
        registry: &registry,
        plan: &plan,
        config: &vector,
        metric,
    };
    let bars = frame.bars();
    let title = format!("{} walk-forward, out of sample", bot.strategy.name);
    let (walk, svg) = compute(py, || {
        let walk = walk::run(
            &registry,
            &config,
            &bot.instruments[0].symbol,
            &bars,
            &windows,
            &optimiser,
        )
        .map_err(|e| errors::walk(&e))?;
        let initial = walk.windows.first().map_or(0.0, |w| w.start_equity);
        let svg =
            equity_svg(&walk.out_of_sample.equity, initial, &title).map_err(|e| errors::run(&e))?;
        Ok((walk, svg))
    })?;

    let ts = &frame.ts;
    let window_rows: Vec<serde_json::Value> = walk
        .windows
        .iter()
        .map(|w| {
            serde_json::json!({
                "window": w.window.index,
                "in_sample_start": ts[w.window.in_sample.start],
                "in_sample_end": ts[w.window.in_sample.end - 1],
                "out_of_sample_start": ts[w.window.out_of_sample.start],
                "out_of_sample_end": ts[w.window.out_of_sample.end - 1],
                "parameters": w.choice.params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "),
                "in_sample_score": w.choice.score,
                "out_of_sample_score": metric.value(&w.out_of_sample),
                "in_sample": StatsRecord::from(&w.choice.stats),
                "out_of_sample": StatsRecord::from(&w.out_of_sample),
                "start_equity": w.start_equity,
                "end_equity": w.end_equity,
            })
        })
        .collect();
    let summary = serde_json::json!({
        "rank_by": metric.name(),
        "unused_bars": walk.unused_bars,
        "out_of_sample": StatsRecord::from(&walk.out_of_sample.stats),
        "windows": window_rows,
    });
    let mut trades = trades_frame(&walk.out_of_sample.trades)
        .map_err(|e| errors::raise(Kind::Internal, format!("trades: {e}")))?;
    let equity = PyDict::new(py);
    let curve = walk.out_of_sample.equity;
    equity.set_item("ts", PyArray1::from_vec(py, curve.ts))?;
    equity.set_item("equity", PyArray1::from_vec(py, curve.equity))?;
    equity.set_item("exposure", PyArray1::from_vec(py, curve.exposure))?;
    let out = PyDict::new(py);
    out.set_item("summary", summary.to_string())?;
    out.set_item("trades", PyBytes::new(py, &frame_ipc(&mut trades)?))?;
    out.set_item("equity", equity)?;
    out.set_item("svg", svg)?;
    Ok(out)
}
