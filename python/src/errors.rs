//! Rust errors as Python exceptions: one class per kind of failure, defined in
//! `vela/errors.py` (so they can subclass both `vela.VelaError` and the built-in a caller
//! expects, e.g. `ValueError`), always with the Rust error's own message.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use vela_backtest::run::RunError;
use vela_backtest::sweep::SweepError;
use vela_backtest::vector::VectorError;
use vela_backtest::walk::WalkError;
use vela_data::store::StoreError;

/// What went wrong, as the Python class that reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A bad argument, parameter or configuration: `vela.ParameterError` (a `ValueError`).
    Parameter,
    /// Bars or columns that cannot be used: `vela.DataError` (a `ValueError`).
    Data,
    /// A dataset or file that is not there: `vela.DatasetNotFoundError` (a
    /// `FileNotFoundError`).
    NotFound,
    /// Reading or writing the store or a file failed: `vela.StoreError` (an `OSError`).
    Store,
    /// A SQL statement the catalog refused: `vela.QueryError` (a `ValueError`).
    Query,
    /// A bug in vela (a panic caught at the boundary): `vela.InternalError`.
    Internal,
}

impl Kind {
    fn class(self) -> &'static str {
        match self {
            Self::Parameter => "ParameterError",
            Self::Data => "DataError",
            Self::NotFound => "DatasetNotFoundError",
            Self::Store => "StoreError",
            Self::Query => "QueryError",
            Self::Internal => "InternalError",
        }
    }
}

/// A Python exception of `kind` carrying `message`.
pub(crate) fn raise(kind: Kind, message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| {
        let class = py
            .import("vela.errors")
            .and_then(|module| module.getattr(kind.class()));
        match class.and_then(|class| class.call1((message.clone(),))) {
            Ok(value) => PyErr::from_value(value),
            Err(_) => PyRuntimeError::new_err(message),
        }
    })
}

/// A bad argument.
pub(crate) fn parameter(message: impl Into<String>) -> PyErr {
    raise(Kind::Parameter, message)
}

/// The kind of a store error.
pub(crate) fn store_kind(e: &StoreError) -> Kind {
    match e {
        StoreError::BadName { .. } => Kind::Parameter,
        StoreError::NoDataset { .. } => Kind::NotFound,
        StoreError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            Kind::NotFound
        }
        StoreError::Rejected { .. } | StoreError::Conflict { .. } => Kind::Data,
        StoreError::Sql(_) => Kind::Query,
        _ => Kind::Store,
    }
}

/// A store error as its exception.
pub(crate) fn store(e: &StoreError) -> PyErr {
    raise(store_kind(e), e.to_string())
}

/// The kind of a run error.
pub(crate) fn run_kind(e: &RunError) -> Kind {
    match e {
        RunError::UnknownDataset { .. } => Kind::NotFound,
        RunError::Store(inner) => store_kind(inner),
        RunError::EmptyRange { .. } | RunError::InvalidData { .. } => Kind::Data,
        RunError::Vector(inner) => vector_kind(inner),
        RunError::File { .. } => Kind::Store,
        _ => Kind::Parameter,
    }
}

/// A run error as its exception.
pub(crate) fn run(e: &RunError) -> PyErr {
    raise(run_kind(e), e.to_string())
}

/// The kind of a vectorised-simulator error: settings or columns.
pub(crate) fn vector_kind(e: &VectorError) -> Kind {
    match e {
        VectorError::Config { .. }
        | VectorError::Instrument(_)
        | VectorError::Combination { .. } => Kind::Parameter,
        _ => Kind::Data,
    }
}

/// A vectorised-simulator error as its exception.
pub(crate) fn vector(e: &VectorError) -> PyErr {
    raise(vector_kind(e), e.to_string())
}

/// A sweep error as its exception.
pub(crate) fn sweep(e: &SweepError) -> PyErr {
    let kind = match e {
        SweepError::Data { .. } | SweepError::NoData => Kind::Data,
        SweepError::Output { .. } => Kind::Store,
        _ => Kind::Parameter,
    };
    raise(kind, e.to_string())
}

/// A walk-forward error as its exception.
pub(crate) fn walk(e: &WalkError) -> PyErr {
    let kind = match e {
        WalkError::Windows(_) | WalkError::Optimise { .. } => Kind::Parameter,
        _ => Kind::Data,
    };
    raise(kind, e.to_string())
}

/// Runs `f` without the GIL, so other Python threads run meanwhile, turning a panic into
/// `vela.InternalError` instead of letting it cross into Python.
pub(crate) fn compute<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> PyResult<T> + Send,
    T: Send,
{
    py.detach(|| catch_unwind(AssertUnwindSafe(f)))
        .unwrap_or_else(|panic| Err(internal(&*panic)))
}

/// A caught panic as `vela.InternalError`.
pub(crate) fn internal(panic: &(dyn std::any::Any + Send)) -> PyErr {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    raise(
        Kind::Internal,
        format!("internal error in vela (please report it): {what}"),
    )
}
