//! `vela.strategies`: the built-in strategies with their parameter schemas.

use pyo3::prelude::*;
use vela_core::strategy::Registry;

use crate::errors;

/// Every built-in strategy's schema (name, description, parameters with kind, default,
/// bounds and description), as JSON.
#[pyfunction]
pub(crate) fn strategies() -> PyResult<String> {
    let registry = Registry::builtin();
    let schemas: Vec<_> = registry.schemas().collect();
    serde_json::to_string(&schemas)
        .map_err(|e| errors::raise(errors::Kind::Internal, format!("schemas as JSON: {e}")))
}
