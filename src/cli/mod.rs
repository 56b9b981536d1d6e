//! Command-line arguments and dispatch. Each subcommand lives in its own module.

mod backtest;
mod data;
mod fetch;
mod live;
mod market;
mod replay;
mod report;
mod sim;
mod store;
mod strategies;
mod sweep;
mod walk;

use std::process::ExitCode;

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
    /// Market history: import, fetch, list, query (SQL), check, resample, generate.
    #[command(subcommand)]
    Data(data::Command),
    /// Backtest a strategy on a stored dataset; writes a run directory with a report.
    Backtest(Box<backtest::Args>),
    /// Re-render a run directory's chart and HTML report from its stored files.
    Report(report::Args),
    /// Run every combination of a parameter grid through the vectorised backtester.
    Sweep(Box<sweep::Args>),
    /// Walk forward: optimise a grid in sample (vector tier), trade the pick out of sample
    /// (event tier), step, repeat; in-sample vs out-of-sample statistics.
    WalkForward(Box<walk::Args>),
    /// The local MEXC simulator: MEXC's REST and WebSocket API on loopback, replaying stored bars.
    Sim(Box<sim::Args>),
    /// Run a bot's journal back through the engine: its decisions must come out again exactly.
    Replay(Box<replay::Args>),
    /// The live runner: add bots (paper or live), run them on MEXC or `vela sim`, steer them.
    #[command(subcommand)]
    Live(live::Command),
}

/// Runs the parsed command; the exit code tells scripts whether it found problems.
pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Strategies(args) => strategies::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Data(command) => data::run(&command),
        Command::Backtest(args) => backtest::run_command(&args),
        Command::Report(args) => report::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::WalkForward(args) => walk::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Live(command) => live::run(&command),
        Command::Replay(args) => replay::run(&args),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap checks the whole command tree (unique names and groups, valid defaults) only
    /// when a command is built; this builds every subcommand.
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
