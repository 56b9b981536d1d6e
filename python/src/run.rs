//! A finished run as Python sees it: statistics, trades, equity curve, fingerprint and
//! chart, plus (for backtests of a built-in strategy) its run directory and promotion
//! file.

use std::path::PathBuf;

use numpy::PyArray1;
use polars::prelude::{DataFrame, IpcWriter, SerWriter};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use vela_backtest::run::files::{StatsRecord, trades_frame};
use vela_backtest::run::{BacktestSpec, RunOutcome, chart::equity_svg, write_run};
use vela_backtest::{EquityCurve, RunResult};

use crate::errors::{self, Kind, compute};

/// A frame as Arrow IPC file bytes (`polars.read_ipc` reads them).
pub(crate) fn frame_ipc(frame: &mut DataFrame) -> PyResult<Vec<u8>> {
    let mut out = Vec::new();
    IpcWriter::new(&mut out)
        .finish(frame)
        .map_err(|e| errors::raise(Kind::Internal, format!("frame as Arrow IPC: {e}")))?;
    Ok(out)
}

/// A backtest or simulation result.
#[pyclass(frozen, module = "vela._vela", name = "Run")]
pub(crate) struct Run {
    result: RunResult,
    initial: f64,
    title: String,
    stats: String,
    summary: Option<String>,
    fingerprint: String,
    promotable: Option<(BacktestSpec, RunOutcome)>,
}

impl Run {
    /// A run of a built-in strategy: it can be saved as a run directory and promoted.
    pub(crate) fn from_outcome(spec: BacktestSpec, outcome: RunOutcome) -> PyResult<Self> {
        let json = |value: serde_json::Result<String>| {
            value.map_err(|e| errors::raise(Kind::Internal, format!("run as JSON: {e}")))
        };
        Ok(Self {
            result: outcome.result.clone(),
            initial: outcome.summary.initial_equity,
            title: format!(
                "{} on {} ({} tier)",
                outcome.summary.strategy, outcome.summary.dataset, outcome.summary.tier
            ),
            stats: json(serde_json::to_string(&StatsRecord::from(
                &outcome.result.stats,
            )))?,
            summary: Some(json(serde_json::to_string(&outcome.summary))?),
            fingerprint: json(serde_json::to_string(&outcome.fingerprint))?,
            promotable: Some((spec, outcome)),
        })
    }

    /// A run of the vectorised simulator on caller-supplied signals.
    pub(crate) fn from_signals(
        result: RunResult,
        initial: f64,
        title: String,
        fingerprint: String,
    ) -> PyResult<Self> {
        let stats = serde_json::to_string(&StatsRecord::from(&result.stats))
            .map_err(|e| errors::raise(Kind::Internal, format!("stats as JSON: {e}")))?;
        Ok(Self {
            result,
            initial,
            title,
            stats,
            summary: None,
            fingerprint,
            promotable: None,
        })
    }

    fn outcome(&self, what: &str) -> PyResult<&(BacktestSpec, RunOutcome)> {
        self.promotable.as_ref().ok_or_else(|| {
            errors::parameter(format!(
                "{what} needs a backtest of a built-in strategy (vela.backtest); this is a \
                 simulation of your own signals, which the live runner cannot run"
            ))
        })
    }
}

fn curve_dict<'py>(py: Python<'py>, curve: &EquityCurve) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("ts", PyArray1::from_slice(py, &curve.ts))?;
    dict.set_item("equity", PyArray1::from_slice(py, &curve.equity))?;
    dict.set_item("exposure", PyArray1::from_slice(py, &curve.exposure))?;
    Ok(dict)
}

#[pymethods]
impl Run {
    /// Statistics, as JSON.
    fn stats_json(&self) -> &str {
        &self.stats
    }

    /// What ran (strategy, parameters, dataset, tier, bars, orders), as JSON; `None` for
    /// a signal simulation.
    fn summary_json(&self) -> Option<&str> {
        self.summary.as_deref()
    }

    /// The fingerprint (configuration, data and trades hashes), as JSON.
    fn fingerprint_json(&self) -> &str {
        &self.fingerprint
    }

    /// A one-line title.
    fn title(&self) -> &str {
        &self.title
    }

    /// The trade list as Arrow IPC bytes.
    fn trades_ipc<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut frame = trades_frame(&self.result.trades)
            .map_err(|e| errors::raise(Kind::Internal, format!("trades: {e}")))?;
        Ok(PyBytes::new(py, &frame_ipc(&mut frame)?))
    }

    /// The equity curve: `ts`, `equity`, `exposure` as numpy arrays.
    fn equity<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        curve_dict(py, &self.result.equity)
    }

    /// The equity-over-drawdown chart (plotters), as SVG text.
    fn svg(&self, py: Python<'_>) -> PyResult<String> {
        compute(py, || {
            equity_svg(&self.result.equity, self.initial, &self.title).map_err(|e| errors::run(&e))
        })
    }

    /// The bot as it ran, as the live runner's TOML.
    fn bot_toml(&self) -> PyResult<String> {
        let (_, outcome) = self.outcome("the bot file")?;
        outcome
            .bot
            .to_toml_string()
            .map_err(|e| errors::raise(Kind::Internal, format!("bot as TOML: {e}")))
    }

    /// Writes the run directory (the files `vela backtest` writes) to `dir`.
    fn save(&self, py: Python<'_>, dir: PathBuf) -> PyResult<()> {
        let (spec, outcome) = self.outcome("save()")?;
        compute(py, || {
            write_run(&dir, spec, outcome).map_err(|e| errors::run(&e))
        })
    }
}
