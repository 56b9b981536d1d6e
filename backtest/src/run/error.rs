//! Why a run could not start, finish or be written: each error names the input.

use std::path::PathBuf;

use thiserror::Error;
use vela_core::engine::BotConfigError;
use vela_core::error::ValidationError;
use vela_core::strategy::RegistryError;

use super::spec::Tier;
use crate::event::EventError;
use crate::vector::VectorError;

/// A backtest that could not run, or whose files could not be written or read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RunError {
    /// `backtest.toml` is not TOML or has an unknown, missing or mistyped key.
    #[error("backtest spec: {0}")]
    SpecFile(String),
    /// A spec value breaks its rule.
    #[error("backtest spec: {key} = {value:?}: {rule}")]
    Spec {
        /// The key, e.g. `data.to`.
        key: &'static str,
        /// The value as text.
        value: String,
        /// The rule.
        rule: String,
    },
    /// A combination of settings that would let the run see the future.
    #[error("look-ahead-unsafe combination refused: {combination}: {reason}")]
    LookAhead {
        /// The settings.
        combination: &'static str,
        /// Why it is unsafe and what to use instead.
        reason: &'static str,
    },
    /// A setting the chosen tier does not model.
    #[error("{key} is not supported by the {tier} tier: {hint}")]
    Unsupported {
        /// The setting, e.g. `risk.max_drawdown` or `exchange.volume_cap`.
        key: &'static str,
        /// The tier.
        tier: Tier,
        /// What to do instead.
        hint: &'static str,
    },
    /// The bot configuration (`bot.toml`) is invalid.
    #[error(transparent)]
    Bot(#[from] BotConfigError),
    /// The bot's instruments do not match the data.
    #[error("bot instruments: {0}")]
    Instrument(String),
    /// Unknown strategy or bad parameter.
    #[error(transparent)]
    Strategy(#[from] RegistryError),
    /// Neither a strategy name nor a bot file to take it from.
    #[error(
        "no strategy given: name a built-in strategy (see `vela strategies`) or give a bot file"
    )]
    NoStrategy,
    /// The strategy has no vectorised form.
    #[error(
        "strategy {0:?} has no vectorised form, so the vector tier cannot run it; use the event tier (--tier event), which runs every strategy"
    )]
    NoVectorForm(String),
    /// The store has no such dataset.
    #[error("unknown dataset {dataset} in the store at {root} (stored: {known})")]
    UnknownDataset {
        /// The dataset asked for.
        dataset: String,
        /// The store root.
        root: PathBuf,
        /// The datasets stored, or `none`.
        known: String,
    },
    /// The dataset could not be read (unreadable files).
    #[error("data: {0}")]
    Store(vela_data::store::StoreError),
    /// The range selects no bars.
    #[error("data: {dataset} has no bars in {range} ({coverage})")]
    EmptyRange {
        /// The dataset.
        dataset: String,
        /// The range asked for.
        range: String,
        /// What the dataset covers.
        coverage: String,
    },
    /// Bars that break the bar rules.
    #[error("data: {dataset}: {detail}")]
    InvalidData {
        /// The dataset.
        dataset: String,
        /// What is wrong.
        detail: String,
    },
    /// The event tier refused the run.
    #[error("event tier: {0}")]
    Event(EventError),
    /// The vector tier refused the run.
    #[error("vector tier: {0}")]
    Vector(VectorError),
    /// A value that breaks a rule (instrument settings).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A file of the run directory could not be written or read.
    #[error("{path}: {detail}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

// Not `#[from]`: the message already shows the inner error, which must not be a `source`
// too (anyhow's `{:#}` would print it twice).
impl From<vela_data::store::StoreError> for RunError {
    fn from(e: vela_data::store::StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<EventError> for RunError {
    fn from(e: EventError) -> Self {
        Self::Event(e)
    }
}

impl From<VectorError> for RunError {
    fn from(e: VectorError) -> Self {
        Self::Vector(e)
    }
}

impl RunError {
    /// A file error for `path`.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "called as map_err(|e| RunError::file(path, e)) with owned errors"
    )]
    pub(crate) fn file(path: impl Into<PathBuf>, detail: impl ToString) -> Self {
        Self::File {
            path: path.into(),
            detail: detail.to_string(),
        }
    }
}
