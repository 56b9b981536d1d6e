//! One backtest from configuration to report: a [`BacktestSpec`] (data, tier, simulated
//! exchange, output) and a bot ([`BotConfig`](vela_core::engine::BotConfig), exactly what
//! the live runner takes) are run
//! over a vela-data store ([`run`]), and the result is written as a run directory
//! ([`write_run`]):
//!
//! | file | content |
//! |---|---|
//! | `bot.toml` | the bot as it ran (parameters resolved), [`BotConfig::to_toml_string`](vela_core::engine::BotConfig::to_toml_string): the file `promote` hands to live |
//! | `backtest.toml` | the spec, without its output directory |
//! | `stats.json` | run summary and statistics ([`files`]) |
//! | `trades.parquet`, `equity.parquet` | the trade list and the equity curve ([`files`]) |
//! | `fingerprint.json` | configuration, data and trades hashes ([`fingerprint`]) |
//! | `equity.svg` | equity and drawdown chart ([`chart`]) |
//! | `report.html` | one self-contained page ([`report`]) |
//!
//! Every file depends on the inputs only — no clock, no paths, no environment — so the
//! same bot, spec and bars give the same bytes, and `equity.svg` and `report.html` can be
//! rendered again from the other files ([`report::render`]). A run directory is a valid
//! input: `backtest.toml` and `bot.toml` read back ([`BacktestSpec::from_toml_str`],
//! [`BotConfig::from_toml_str`](vela_core::engine::BotConfig::from_toml_str)) give the same
//! fingerprint.
//!
//! Which settings each tier models, and the look-ahead-unsafe combinations refused, are
//! in [`spec`]; the vector tier's mapping of the bot's risk settings is
//! [`vector_config`]; the instrument rules for symbols without a `bot.toml` are in
//! [`instrument`].

pub mod bot;
pub mod chart;
mod error;
mod execute;
pub mod files;
pub mod fingerprint;
pub mod format;
pub mod instrument;
pub mod report;
pub mod spec;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use bot::{BotSettings, DEFAULT_BUDGET};
pub use error::RunError;
pub use execute::{
    OrderSummary, RunOutcome, RunSummary, check_dataset, read_bars, run, run_frame, vector_config,
};
pub use fingerprint::Fingerprint;
pub use spec::{BacktestSpec, DataSpec, ExchangeSpec, Intrabar, OutputSpec, SpecTime, Tier};

/// Where runs go when no directory is given.
pub const DEFAULT_RUNS_DIR: &str = "runs";

/// The default run directory of `outcome`, relative to the working directory:
/// `runs/<strategy>-<exchange>-<SYMBOL>-<interval>-<inputs id>` (the id from the
/// configuration and data hashes, [`Fingerprint::inputs_id`]).
#[must_use]
pub fn default_dir(outcome: &RunOutcome) -> PathBuf {
    let name = format!(
        "{}-{}-{}",
        outcome.summary.strategy,
        outcome.summary.dataset.replace('/', "-"),
        outcome.fingerprint.inputs_id()
    );
    Path::new(DEFAULT_RUNS_DIR).join(name)
}

/// Writes the run directory `dir` for `outcome` of a run under `spec`: the data files
/// (`bot.toml` is [`RunOutcome::bot`], the bot as it ran), then the chart and the report
/// rendered from them.
pub fn write_run(dir: &Path, spec: &BacktestSpec, outcome: &RunOutcome) -> Result<(), RunError> {
    let mut stored = spec.clone();
    stored.output = OutputSpec::default();
    files::write_data_files(
        dir,
        &outcome.bot.to_toml_string()?,
        &stored.to_toml_string()?,
        outcome,
    )?;
    report::render(dir)
}
