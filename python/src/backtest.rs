//! `vela.backtest`: a built-in strategy over a stored dataset or caller-supplied bars,
//! through the same code as `vela backtest` (bot settings, spec, run, run directory).

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use rust_decimal::Decimal;
use serde::Deserialize;
use vela_backtest::run::instrument::InstrumentSettings;
use vela_backtest::run::{
    BacktestSpec, BotSettings, Intrabar, RunError, SpecTime, Tier, run, run_frame,
};
use vela_core::engine::BotConfig;
use vela_core::sim::FillTiming;
use vela_core::strategy::{ParamValue, Registry};
use vela_data::Interval;

use crate::columns::caller_bars;
use crate::data::open_store;
use crate::errors::{self, compute, parameter};
use crate::run::Run;

/// The exchange name that bars passed in memory are filed under.
pub(crate) const FRAME_EXCHANGE: &str = "dataframe";

/// `vela.backtest`'s keyword arguments, as the Python side sends them (JSON).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BacktestOptions {
    pub(crate) strategy: Option<String>,
    #[serde(default)]
    pub(crate) params: BTreeMap<String, serde_json::Value>,
    pub(crate) bot: Option<String>,
    pub(crate) dataset: Option<String>,
    pub(crate) data_dir: Option<String>,
    pub(crate) start: Option<i64>,
    pub(crate) end: Option<i64>,
    pub(crate) symbol: Option<String>,
    pub(crate) interval: Option<String>,
    pub(crate) tier: Option<Tier>,
    pub(crate) budget: Option<Decimal>,
    #[serde(default)]
    pub(crate) no_compound: bool,
    pub(crate) fill: Option<FillTiming>,
    pub(crate) slippage_bps: Option<f64>,
    pub(crate) volume_cap: Option<f64>,
    pub(crate) intrabar: Option<Intrabar>,
    pub(crate) stop_loss: Option<f64>,
    pub(crate) take_profit: Option<f64>,
    pub(crate) trailing_stop: Option<f64>,
    #[serde(default)]
    pub(crate) instrument: InstrumentSettings,
}

/// Options from their JSON; an unknown or mistyped key is a `ParameterError` naming it.
pub(crate) fn parse_options<T: for<'de> Deserialize<'de>>(what: &str, json: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| parameter(format!("{what}: {e}")))
}

/// A strategy parameter from its JSON value: a bool, an integer, a number or a word.
pub(crate) fn param_value(name: &str, value: &serde_json::Value) -> PyResult<ParamValue> {
    use serde_json::Value;
    match value {
        Value::Bool(b) => Ok(ParamValue::Bool(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(ParamValue::Int)
            .or_else(|| n.as_f64().map(ParamValue::Float))
            .ok_or_else(|| parameter(format!("parameter {name}: {n} is out of range"))),
        Value::String(s) => Ok(ParamValue::Text(s.clone())),
        other => Err(parameter(format!(
            "parameter {name}: expected a bool, a number or a string, got {other}"
        ))),
    }
}

impl BacktestOptions {
    /// The spec: the dataset (or the in-memory bars' name), tier and simulated exchange.
    pub(crate) fn spec(&self, frame_name: Option<&str>) -> PyResult<BacktestSpec> {
        let dataset = match (frame_name, &self.dataset) {
            (Some(name), _) => name.to_owned(),
            (None, Some(dataset)) => dataset.clone(),
            (None, None) => {
                return Err(parameter(
                    "give the data: a dataset name (e.g. \"sample/BTCUSDT/1m\") or a DataFrame of bars",
                ));
            }
        };
        let mut spec = BacktestSpec::new(dataset);
        if frame_name.is_none() {
            spec.data.from = self.start.map(SpecTime);
            spec.data.to = self.end.map(SpecTime);
        }
        if let Some(tier) = self.tier {
            spec.tier = tier;
        }
        if let Some(fill) = self.fill {
            spec.exchange.fill = fill;
        }
        if let Some(bps) = self.slippage_bps {
            spec.exchange.slippage_bps = bps;
        }
        if let Some(cap) = self.volume_cap {
            spec.exchange.volume_cap = Some(cap);
        }
        if let Some(order) = self.intrabar {
            spec.exchange.intrabar = order;
        }
        spec.validate().map_err(|e| errors::run(&e))?;
        Ok(spec)
    }

    /// The bot trading `symbol`: the given bot file, or one built from the options.
    pub(crate) fn bot(&self, symbol: &str) -> PyResult<BotConfig> {
        let base = match &self.bot {
            Some(text) => Some(
                BotConfig::from_toml_str(text).map_err(|e| parameter(format!("bot file: {e}")))?,
            ),
            None => None,
        };
        let params = self
            .params
            .iter()
            .map(|(name, value)| Ok((name.clone(), param_value(name, value)?)))
            .collect::<PyResult<_>>()?;
        let settings = BotSettings {
            strategy: self.strategy.clone(),
            params,
            budget: self.budget,
            no_compound: self.no_compound,
            stop_loss: self.stop_loss,
            take_profit: self.take_profit,
            trailing_stop: self.trailing_stop,
            instrument: self.instrument.clone(),
        };
        settings.build(base, symbol).map_err(|e| match e {
            RunError::NoStrategy => parameter(
                "give the strategy: strategy=\"crossover\" (see vela.strategies()), or bot= a promoted bot.toml",
            ),
            other => errors::run(&other),
        })
    }
}

/// The name in-memory bars run under: `dataframe/SYMBOL/interval`.
pub(crate) fn frame_dataset(symbol: &str, interval: Interval) -> String {
    format!("{FRAME_EXCHANGE}/{symbol}/{interval}")
}

/// Runs a backtest; `columns` (a dict of numpy arrays) or `options.dataset` gives the bars.
#[pyfunction]
#[pyo3(signature = (options, columns=None))]
pub(crate) fn backtest(
    py: Python<'_>,
    options: &str,
    columns: Option<&Bound<'_, PyDict>>,
) -> PyResult<Run> {
    let options: BacktestOptions = parse_options("vela.backtest", options)?;
    let registry = Registry::builtin();
    let (spec, outcome) = match columns {
        Some(columns) => {
            let (frame, symbol, interval) = caller_bars(
                columns,
                options.symbol.as_deref(),
                options.interval.as_deref(),
            )?;
            let spec = options.spec(Some(&frame_dataset(&symbol, interval)))?;
            let bot = options.bot(&symbol)?;
            let outcome = compute(py, || {
                run_frame(&registry, &bot, &spec, &frame, &mut |_, _| {})
                    .map_err(|e| errors::run(&e))
            })?;
            (spec, outcome)
        }
        None => {
            let spec = options.spec(None)?;
            let id = spec.data.dataset_id().map_err(|e| errors::run(&e))?;
            let bot = options.bot(id.symbol())?;
            let outcome = compute(py, || {
                let store = open_store(options.data_dir.as_deref())?;
                run(&store, &registry, &bot, &spec, &mut |_, _| {}).map_err(|e| errors::run(&e))
            })?;
            (spec, outcome)
        }
    };
    Run::from_outcome(spec, outcome)
}
