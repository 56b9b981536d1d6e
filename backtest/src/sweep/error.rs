//! What can go wrong in a sweep; every error names the input it is about.

use thiserror::Error;
use vela_core::strategy::{ParamError, RegistryError};

use crate::vector::VectorError;

/// A sweep that cannot be set up or run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SweepError {
    /// Unknown strategy or a parameter value its schema refuses.
    #[error(transparent)]
    Strategy(#[from] RegistryError),
    /// The strategy has no vectorised form, so the vectorised sweep cannot run it.
    #[error(
        "strategy {name:?} has no vectorised form, so it cannot be swept here \
         (strategies with one: {vectorised}); use the event tier"
    )]
    NotVectorised {
        /// The strategy asked for.
        name: String,
        /// The strategies that have a vectorised form.
        vectorised: String,
    },
    /// A grid entry that cannot be read or is not allowed.
    #[error("grid {param}: {detail}")]
    Grid {
        /// The parameter (or the grid text when no parameter could be read).
        param: String,
        /// What is wrong.
        detail: String,
    },
    /// A constraint that cannot be read or evaluated.
    #[error("constraint {text:?}: {detail}")]
    Constraint {
        /// The constraint as written.
        text: String,
        /// What is wrong.
        detail: String,
    },
    /// No combination to run.
    #[error("empty grid: {0}")]
    Empty(String),
    /// A combination the strategy's own rules refuse.
    #[error("combination {combination}: {source}{hint}")]
    Combination {
        /// The combination, `name=value` pairs.
        combination: String,
        /// The strategy's refusal.
        source: Box<ParamError>,
        /// A hint (such as a constraint that would skip it), or nothing.
        hint: String,
    },
    /// The backtest settings are invalid.
    #[error("backtest settings: {0}")]
    Config(VectorError),
    /// A dataset the simulator refuses (empty, invalid bars).
    #[error("dataset {name}: {source}")]
    Data {
        /// The dataset's name.
        name: String,
        /// The simulator's complaint.
        source: VectorError,
    },
    /// No dataset was given.
    #[error("no dataset given: a sweep needs at least one")]
    NoData,
    /// The caller asked the sweep to stop (e.g. Ctrl-C in Python).
    #[error("sweep cancelled before it finished")]
    Cancelled,
    /// An unknown ranking metric.
    #[error("unknown metric {name:?} (known: {known})")]
    Metric {
        /// The name asked for.
        name: String,
        /// The metrics known.
        known: String,
    },
    /// A sweep file that cannot be read.
    #[error("sweep file: {0}")]
    File(String),
    /// An output that cannot be written.
    #[error("writing {path}: {detail}")]
    Output {
        /// The file.
        path: String,
        /// What failed.
        detail: String,
    },
}
