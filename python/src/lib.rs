//! `vela._vela`, the extension module behind the `vela` Python package (`python/vela/`):
//! thin bindings over vela-data and vela-backtest. Columns cross as numpy arrays (no
//! copy out of Rust, none into it for contiguous input), tables as Arrow IPC, options as
//! JSON checked key by key; computation runs without the GIL; errors become the
//! exception classes of `vela.errors`; a panic becomes `vela.InternalError`, never a
//! crash. The Python layer (`vela/__init__.py`) turns all of it into polars `DataFrame`s
//! and result objects.

#![allow(
    clippy::needless_pass_by_value,
    reason = "pyo3 functions take their arguments by value (extracted from Python objects)"
)]

mod backtest;
mod columns;
mod data;
mod errors;
mod interrupt;
mod run;
mod signals;
mod strategies;
mod sweep;
mod walk;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _vela(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<run::Run>()?;
    m.add_function(wrap_pyfunction!(data::datasets, m)?)?;
    m.add_function(wrap_pyfunction!(data::read_bars, m)?)?;
    m.add_function(wrap_pyfunction!(data::import_file, m)?)?;
    m.add_function(wrap_pyfunction!(data::check_dataset, m)?)?;
    m.add_function(wrap_pyfunction!(data::check_columns, m)?)?;
    m.add_function(wrap_pyfunction!(data::generate_bars, m)?)?;
    m.add_function(wrap_pyfunction!(data::sql, m)?)?;
    m.add_function(wrap_pyfunction!(strategies::strategies, m)?)?;
    m.add_function(wrap_pyfunction!(backtest::backtest, m)?)?;
    m.add_function(wrap_pyfunction!(signals::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::run_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(walk::walk_forward, m)?)?;
    Ok(())
}
