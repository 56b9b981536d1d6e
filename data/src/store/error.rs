//! Errors of the history store. Each names the dataset or file and the problem.

use std::path::PathBuf;

use thiserror::Error;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A dataset, exchange or symbol name breaks the naming rules.
    #[error("bad dataset name {name:?}: {problem}")]
    BadName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        problem: String,
    },
    /// No such dataset in the store.
    #[error("no dataset {dataset} in the store at {root} (see `vela data list`)")]
    NoDataset {
        /// The dataset asked for.
        dataset: String,
        /// The store root.
        root: PathBuf,
    },
    /// A file or directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`cannot read`, `cannot rename`, ...).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A Parquet file could not be read or written, or has the wrong schema.
    #[error("{path}: {problem}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Bars offered for storage break the store's rules (sorted, unique, valid values).
    #[error("{dataset}: refusing to store these bars, {problem}")]
    Rejected {
        /// The dataset written to.
        dataset: String,
        /// The findings, one per line (at most a few), and what to do.
        problem: String,
    },
    /// Incoming bars differ from stored bars at the same open times, and the conflict
    /// policy is to fail.
    #[error(
        "{dataset}: {count} bar(s) differ from the stored ones at the same open time, first at \
         {first} (stored {stored}, new {incoming}); nothing was written. Choose a policy: \
         --on-conflict keep-existing or --on-conflict replace"
    )]
    Conflict {
        /// The dataset.
        dataset: String,
        /// Bars in conflict.
        count: usize,
        /// The first conflicting open time (ISO-8601).
        first: String,
        /// The stored row, as text.
        stored: String,
        /// The incoming row, as text.
        incoming: String,
    },
    /// The `DuckDB` catalog failed.
    #[error("catalog {path}: {problem}")]
    Catalog {
        /// The catalog file.
        path: PathBuf,
        /// `DuckDB`'s account.
        problem: String,
    },
    /// A SQL query failed.
    #[error("SQL error: {0}")]
    Sql(String),
}

impl StoreError {
    /// An I/O error with what was being done and the path.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// A file problem.
    pub(crate) fn file(path: impl Into<PathBuf>, problem: impl std::fmt::Display) -> Self {
        Self::File {
            path: path.into(),
            problem: problem.to_string(),
        }
    }
}
