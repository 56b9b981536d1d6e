//! Errors of the vectorised tier: each names the parameter or column and the rule broken.

use thiserror::Error;
use vela_core::error::ValidationError;
use vela_core::strategy::RegistryError;

/// Why a vectorised run could not start.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum VectorError {
    /// A configuration value breaks its rule.
    #[error("config {param} = {value}: {rule}")]
    Config {
        /// The parameter, e.g. `fees.taker` or `stops.stop_loss`.
        param: &'static str,
        /// The offending value as text.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// The instrument's rules are invalid.
    #[error("config instrument: {0}")]
    Instrument(#[from] ValidationError),
    /// Two combined settings that the simulator refuses (see the module docs).
    #[error("config {combination} is refused: {reason}")]
    Combination {
        /// The settings, e.g. `exposure column + stops`.
        combination: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// No bars to simulate.
    #[error("bar columns are empty: nothing to simulate")]
    Empty,
    /// A column's length differs from the number of bars.
    #[error("column {column} has {len} values but there are {bars} bars")]
    Length {
        /// The column, e.g. `entries` or `bar column close`.
        column: &'static str,
        /// Its length.
        len: usize,
        /// The number of bars (the length of `ts`).
        bars: usize,
    },
    /// A value in a column breaks its rule.
    #[error("column {column} at bar {index}: {value} {rule}")]
    Value {
        /// The column, e.g. `close` or `exposure`.
        column: &'static str,
        /// The bar index.
        index: usize,
        /// The offending value.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// Timestamps that do not increase.
    #[error("column ts at bar {index}: {value} is not after the previous bar's {previous}")]
    Unordered {
        /// The bar index.
        index: usize,
        /// Its timestamp, ms.
        value: i64,
        /// The previous bar's timestamp, ms.
        previous: i64,
    },
    /// The bar interval cannot be derived (a single bar) or was given as non-positive.
    #[error("bar interval {0}")]
    Interval(&'static str),
    /// The strategy of [`Simulator::run_strategy`](super::Simulator::run_strategy) is
    /// unknown or its parameters are invalid.
    #[error(transparent)]
    Strategy(#[from] RegistryError),
}
