//! Command-line arguments and dispatch. Each subcommand lives in its own module.

mod strategies;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// vela: backtest-first crypto trading research with a live runner on MEXC.
#[derive(Debug, Parser)]
#[command(name = "vela", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the built-in strategies and their parameters.
    Strategies(strategies::Args),
}

/// Runs the parsed command.
pub(crate) fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Strategies(args) => strategies::run(&args),
    }
}
