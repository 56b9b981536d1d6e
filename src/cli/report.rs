//! `vela report <RUN_DIR>`: re-renders a run directory's chart and HTML report from its
//! stored files (stats, trades, equity, fingerprint, configuration) and prints its
//! statistics.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use vela_backtest::run::files::{names, read_fingerprint, read_stats};
use vela_backtest::run::report::render;

use super::backtest::print_stats;
use super::data::say;

/// Arguments of `vela report`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A run directory written by `vela backtest`.
    dir: PathBuf,
}

/// `vela report`.
pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    render(&args.dir).with_context(|| format!("rendering the report of {}", args.dir.display()))?;
    print_stats(&read_stats(&args.dir)?)?;
    say(&format!(
        "fingerprint: {}",
        read_fingerprint(&args.dir)?.short()
    ))?;
    say(&format!(
        "wrote {} and {}",
        args.dir.join(names::REPORT).display(),
        args.dir.join(names::CHART).display()
    ))?;
    Ok(ExitCode::SUCCESS)
}
