//! Bar columns across the boundary without Python-level loops: numpy arrays in (borrowed
//! in place when they are contiguous, no copy), numpy arrays out (the Rust vectors handed
//! over, no copy). The Python side wraps them in polars `DataFrame`s.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use vela_core::strategy::BarColumns;
use vela_data::BarFrame;

use crate::errors::{self, parameter};
use vela_data::Interval;

/// The bar columns a caller passed (a dict of numpy arrays: `ts` as int64 milliseconds,
/// `open`, `high`, `low`, `close`, `volume` as float64), borrowed.
pub(crate) struct BarArrays<'py> {
    ts: PyReadonlyArray1<'py, i64>,
    open: PyReadonlyArray1<'py, f64>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
    quote_volume: Option<PyReadonlyArray1<'py, f64>>,
}

fn column<'py, T: numpy::Element>(
    dict: &Bound<'py, PyDict>,
    name: &str,
) -> PyResult<Option<PyReadonlyArray1<'py, T>>> {
    match dict.get_item(name)? {
        None => Ok(None),
        Some(value) if value.is_none() => Ok(None),
        Some(value) => value.extract().map(Some).map_err(|_| {
            errors::raise(
                errors::Kind::Data,
                format!(
                    "bar column {name:?}: expected a one-dimensional {} array",
                    std::any::type_name::<T>()
                ),
            )
        }),
    }
}

fn required<'py, T: numpy::Element>(
    dict: &Bound<'py, PyDict>,
    name: &str,
) -> PyResult<PyReadonlyArray1<'py, T>> {
    column(dict, name)?.ok_or_else(|| {
        errors::raise(
            errors::Kind::Data,
            format!(
                "bar column {name:?} is missing (bars need ts, open, high, low, close, volume)"
            ),
        )
    })
}

/// A contiguous array's values.
pub(crate) fn slice<'a, T: numpy::Element>(
    array: &'a PyReadonlyArray1<'_, T>,
    name: &str,
) -> PyResult<&'a [T]> {
    array.as_slice().map_err(|_| {
        errors::raise(
            errors::Kind::Data,
            format!("column {name:?} is not contiguous in memory"),
        )
    })
}

impl<'py> BarArrays<'py> {
    /// The columns of `dict`.
    pub(crate) fn from_dict(dict: &Bound<'py, PyDict>) -> PyResult<Self> {
        Ok(Self {
            ts: required(dict, "ts")?,
            open: required(dict, "open")?,
            high: required(dict, "high")?,
            low: required(dict, "low")?,
            close: required(dict, "close")?,
            volume: required(dict, "volume")?,
            quote_volume: column(dict, "quote_volume")?,
        })
    }

    /// The columns as slices (no copy). Lengths are checked by whoever uses them.
    pub(crate) fn columns(&self) -> PyResult<BarColumns<'_>> {
        Ok(BarColumns {
            ts: slice(&self.ts, "ts")?,
            open: slice(&self.open, "open")?,
            high: slice(&self.high, "high")?,
            low: slice(&self.low, "low")?,
            close: slice(&self.close, "close")?,
            volume: slice(&self.volume, "volume")?,
        })
    }

    /// The columns copied into a frame (what the store and the event tier take), with
    /// equal lengths checked.
    pub(crate) fn frame(&self) -> PyResult<BarFrame> {
        let c = self.columns()?;
        let quote_volume = match &self.quote_volume {
            Some(q) => Some(slice(q, "quote_volume")?.to_vec()),
            None => None,
        };
        let frame = BarFrame {
            ts: c.ts.to_vec(),
            open: c.open.to_vec(),
            high: c.high.to_vec(),
            low: c.low.to_vec(),
            close: c.close.to_vec(),
            volume: c.volume.to_vec(),
            quote_volume,
        };
        frame
            .validate()
            .map_err(|e| errors::raise(errors::Kind::Data, format!("bars: {e}")))?;
        Ok(frame)
    }
}

/// A frame as a dict of numpy arrays (the vectors moved, not copied).
pub(crate) fn frame_dict(py: Python<'_>, frame: BarFrame) -> PyResult<Bound<'_, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("ts", PyArray1::from_vec(py, frame.ts))?;
    dict.set_item("open", PyArray1::from_vec(py, frame.open))?;
    dict.set_item("high", PyArray1::from_vec(py, frame.high))?;
    dict.set_item("low", PyArray1::from_vec(py, frame.low))?;
    dict.set_item("close", PyArray1::from_vec(py, frame.close))?;
    dict.set_item("volume", PyArray1::from_vec(py, frame.volume))?;
    if let Some(q) = frame.quote_volume {
        dict.set_item("quote_volume", PyArray1::from_vec(py, q))?;
    }
    Ok(dict)
}

/// The caller's bars (a dict of numpy columns) with the symbol they trade and their
/// interval (`interval` when given, else told from the open times): what runs on a
/// `DataFrame` need besides the columns.
pub(crate) fn caller_bars(
    columns: &Bound<'_, PyDict>,
    symbol: Option<&str>,
    interval: Option<&str>,
) -> PyResult<(BarFrame, String, Interval)> {
    let frame = BarArrays::from_dict(columns)?.frame()?;
    let symbol = symbol.map(str::to_owned).ok_or_else(|| {
        parameter("bars given as a DataFrame need symbol= (e.g. symbol=\"BTCUSDT\")")
    })?;
    let interval = match interval {
        Some(text) => crate::data::interval(text)?,
        None => Interval::infer(&frame.ts).ok_or_else(|| {
            parameter("cannot tell the bar interval from the open times: pass interval=")
        })?,
    };
    Ok((frame, symbol, interval))
}
