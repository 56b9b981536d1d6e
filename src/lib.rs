//! # vela
//!
//! Backtest-first crypto trading research with a live runner on MEXC. This facade
//! re-exports the workspace crates; the `vela` binary is the command line.
//!
//! - [`core`]: the deterministic strategy and risk core (vela-core).
//! - [`data`]: bar frames, checks, resampling, the synthetic generator, importers (vela-data).

pub use vela_core as core;
pub use vela_data as data;
