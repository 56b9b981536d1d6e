//! `vela.simulate`: the vectorised simulator on the caller's own signals (entries and
//! exits, or a target exposure), computed in polars, numpy, scikit-learn or anything else.

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use vela_backtest::run::Intrabar;
use vela_backtest::run::fingerprint::trades_hash;
use vela_backtest::run::instrument::{InstrumentSettings, instrument_for};
use vela_backtest::vector::{IntrabarOrder, Market, Orders, Simulator, Sizing, VectorConfig};
use vela_core::sim::FillTiming;
use vela_data::Interval;
use vela_data::store::hex;

use crate::backtest::parse_options;
use crate::columns::{BarArrays, slice};
use crate::data;
use crate::errors::{self, compute, parameter};
use crate::run::Run;

/// `vela.simulate`'s keyword arguments (JSON).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateOptions {
    symbol: String,
    interval: Option<String>,
    cash: Option<f64>,
    fill: Option<FillTiming>,
    slippage_bps: Option<f64>,
    stop_loss: Option<f64>,
    take_profit: Option<f64>,
    trailing_stop: Option<f64>,
    intrabar: Option<Intrabar>,
    quote_amount: Option<f64>,
    fraction: Option<f64>,
    #[serde(default)]
    instrument: InstrumentSettings,
}

/// Default starting cash, quote asset.
const DEFAULT_CASH: f64 = 10_000.0;

impl SimulateOptions {
    fn config(&self) -> PyResult<VectorConfig> {
        let instrument =
            instrument_for(&self.symbol, &self.instrument).map_err(|e| errors::run(&e))?;
        let mut config = VectorConfig::new(instrument, self.cash.unwrap_or(DEFAULT_CASH));
        if let Some(fill) = self.fill {
            config.fill = fill.into();
        }
        if let Some(bps) = self.slippage_bps {
            config.slippage_bps = bps;
        }
        config.stops.stop_loss = self.stop_loss;
        config.stops.take_profit = self.take_profit;
        config.stops.trailing_stop = self.trailing_stop;
        if let Some(order) = self.intrabar {
            config.stops.intrabar = match order {
                Intrabar::Pessimistic => IntrabarOrder::Pessimistic,
                Intrabar::Optimistic => IntrabarOrder::Optimistic,
            };
        }
        config.sizing = match (self.quote_amount, self.fraction) {
            (None, None) => Sizing::AllIn,
            (Some(q), None) => Sizing::FixedQuote(q),
            (None, Some(f)) => Sizing::FractionOfEquity(f),
            (Some(_), Some(_)) => {
                return Err(parameter(
                    "give at most one of quote_amount= (a fixed quote amount per entry) and \
                     fraction= (a fraction of equity per entry)",
                ));
            }
        };
        config.validate().map_err(|e| errors::vector(&e))?;
        Ok(config)
    }
}

fn hash_columns(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

fn bytes_f64(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Simulates `entries`/`exits` (bool arrays) or `exposure` (float array in [0, 1]) on the
/// bar columns.
#[pyfunction]
#[pyo3(signature = (options, columns, entries=None, exits=None, exposure=None))]
pub(crate) fn simulate(
    py: Python<'_>,
    options: &str,
    columns: &Bound<'_, PyDict>,
    entries: Option<PyReadonlyArray1<'_, bool>>,
    exits: Option<PyReadonlyArray1<'_, bool>>,
    exposure: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<Run> {
    let options: SimulateOptions = parse_options("vela.simulate", options)?;
    let config = options.config()?;
    let arrays = BarArrays::from_dict(columns)?;
    let bars = arrays.columns()?;
    let interval_ms = match &options.interval {
        Some(text) => data::interval(text)?.millis(),
        None => Interval::infer(bars.ts).and_then(Interval::millis),
    }
    .ok_or_else(|| parameter("cannot tell the bar interval from the open times: pass interval="))?;
    let entries = entries.as_ref().map(|a| slice(a, "entries")).transpose()?;
    let exits = exits.as_ref().map(|a| slice(a, "exits")).transpose()?;
    let exposure = exposure
        .as_ref()
        .map(|a| slice(a, "exposure"))
        .transpose()?;
    let orders = match (entries, exits, exposure) {
        (Some(entries), Some(exits), None) => Orders::Signals { entries, exits },
        (None, None, Some(exposure)) => Orders::Exposure(exposure),
        _ => {
            return Err(parameter(
                "give entries= and exits= (boolean columns), or exposure= (a float column in \
                 [0, 1]), not both",
            ));
        }
    };
    let initial = config.initial_cash;
    let title = format!("signals on {}", options.symbol);
    let (result, fingerprint) = compute(py, || {
        let market = Market::with_interval(bars, interval_ms).map_err(|e| errors::vector(&e))?;
        let run = Simulator::new(config.clone())
            .and_then(|sim| sim.run(&market, orders))
            .map_err(|e| errors::vector(&e))?;
        let ts: Vec<u8> = bars.ts.iter().flat_map(|v| v.to_le_bytes()).collect();
        let data = hash_columns(&[
            &ts,
            &bytes_f64(bars.open),
            &bytes_f64(bars.high),
            &bytes_f64(bars.low),
            &bytes_f64(bars.close),
            &bytes_f64(bars.volume),
        ]);
        let signals = match orders {
            Orders::Signals { entries, exits } => {
                let e: Vec<u8> = entries.iter().map(|&b| u8::from(b)).collect();
                let x: Vec<u8> = exits.iter().map(|&b| u8::from(b)).collect();
                hash_columns(&[b"signals", &e, &x])
            }
            Orders::Exposure(values) => hash_columns(&[b"exposure", &bytes_f64(values)]),
        };
        let config_text = format!("{config:?}");
        let fingerprint = serde_json::json!({
            "config": hash_columns(&[config_text.as_bytes(), signals.as_bytes()]),
            "data": data,
            "trades": trades_hash(&run.result.trades),
        })
        .to_string();
        Ok((run.result, fingerprint))
    })?;
    Run::from_signals(result, initial, title, fingerprint)
}
