//! vela-backtest: vectorised and event-replay backtesting. Built in the backtester issue; this crate only reserves its place in the workspace.
