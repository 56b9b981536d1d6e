//! Cross-crate integration tests of the root package, one binary (`cargo test --test it`).

mod backtest;
mod cli;
mod data;
mod fetch;
mod live;
mod sim;
mod store;
mod support;
mod sweep;
mod walk;
