//! # vela-backtest
//!
//! Backtests of vela strategies in two tiers (DESIGN.md §6): a vectorised simulator over
//! bar columns and entry/exit signals ([`vector`]), and an event replay of the real core
//! engine against a simulated exchange. Both produce [`RunResult`]s: trades, an equity
//! curve and statistics ([`stats`] defines each one). [`run`] takes a backtest from its
//! configuration files to a run directory with a report; [`sweep`] runs parameter grids
//! through the vectorised tier, and many event runs, in parallel; [`walk`] walks forward.

pub mod event;
pub mod result;
pub mod run;
pub mod stats;
pub mod sweep;
pub mod vector;
pub mod walk;

pub use result::{EquityCurve, ExitReason, RunResult, Stats, Trade};
