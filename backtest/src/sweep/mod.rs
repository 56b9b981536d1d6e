//! Parameter sweeps (DESIGN.md §6): every combination of a grid of a built-in strategy's
//! parameters, over one or many datasets, through the vectorised simulator in parallel;
//! and many event-tier runs in parallel ([`run_many`]).
//!
//! ```
//! use vela_backtest::sweep::{self, Dataset, Grid, GridSpec, Metric, Plan};
//! use vela_backtest::vector::VectorConfig;
//! use vela_core::strategy::{BarSeries, Registry};
//! use vela_core::testkit;
//!
//! let registry = Registry::builtin();
//! let mut spec = GridSpec::default();
//! spec.push_text("fast=5:15:5")?;
//! spec.push_text("slow=20,40")?;
//! spec.constraints.push("fast < slow".to_owned());
//! let schema = &registry.get("crossover")?.schema;
//! let plan = Plan::new(&registry, Grid::new(schema, &spec)?)?;
//! let bars = BarSeries::from_bars(&testkit::random_walk(2_000, 100.0, 0.004, 1));
//! let data = [Dataset { name: "walk".into(), bars: bars.columns(), content_hash: String::new() }];
//! let config = VectorConfig::new(testkit::btcusdt(), 10_000.0);
//! let results = sweep::run(&registry, &plan, &data, &config, &|_| {})?;
//! assert_eq!(results.rows.len(), 6);
//! let best = sweep::rank(&results, Metric::Sharpe)[0];
//! assert!(results.rows[best].stats.sharpe >= results.rows[0].stats.sharpe);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pieces:
//! - [`GridSpec`] → [`Grid`]: values per parameter (lists and ranges, text or TOML),
//!   checked against the strategy's schema; [`Constraint`]s such as `fast < slow`.
//! - [`Plan`]: the combinations that pass the constraints, in input order, each checked
//!   against the strategy's own rules.
//! - [`run`]: per dataset, every distinct indicator column the combinations read is
//!   computed once (crossover: one moving average per distinct period; breakout: one
//!   channel, mean volume and ATR per period; mean reversion: bands per `(period, k)`, RSI
//!   per period; volume spike: one z-score per window), then each combination only builds
//!   its signals from the shared columns — bit-identical to `Registry::signals` — and
//!   runs the simulator with statistics streamed and nothing recorded. Memory: the shared
//!   columns of one dataset, one signal buffer per thread and one [`Row`] per
//!   combination. Equity curves only for chosen rows ([`equity_curves`], e.g. the top k).
//! - [`rank`] and [`Table`]: the ranked table as CSV or Parquet; [`heatmap_svg`] for
//!   two-parameter grids; [`Fingerprint`]: hashes of the configuration, the data and the
//!   results.
//!
//! Determinism: rows come back in input order whatever the rayon pool's size, every
//! combination's numbers are independent of the others, ranking ties are broken by input
//! order, and the files are written from those rows alone — so a sweep's output files are
//! byte-identical with 1 thread and with N.

mod blocked;
mod constraint;
mod error;
mod event;
mod fingerprint;
mod grid;
mod heatmap;
mod kernel;
mod plan;
mod run;
mod table;

#[cfg(test)]
mod tests;

pub use constraint::Constraint;
pub use error::SweepError;
pub use event::{EventGrid, EventJob, JobKey, run_many, window};
pub use fingerprint::{Fingerprint, config_hash, data_hash, results_hash};
pub use grid::{Axis, AxisSpec, Grid, GridSpec, MAX_COMBINATIONS};
pub use heatmap::heatmap_svg;
pub use plan::Plan;
pub use run::{Dataset, Row, SweepResults, equity_curves, run, run_cancellable};
pub use table::{KeptCurve, Metric, Table, rank, write_equity};
