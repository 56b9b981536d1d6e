//! A sweep's fingerprint (DESIGN.md §4): SHA-256 of its configuration, of the data it read
//! and of its results. Same configuration and data in, same results hash out — with any
//! number of threads.
//!
//! - **config**: the strategy, each axis with its values, the constraints, the backtest
//!   settings (the [`VectorConfig`]'s debug form: instrument, cash, fees, slippage, fill,
//!   stops, sizing) and any extra settings the caller names (e.g. the ranking metric).
//! - **data**: one dataset's vela-data content hash (`frame_hash`); for several, a hash of
//!   each one's name and content hash, in order.
//! - **results**: every row in input order — dataset and combination indices, then each
//!   statistic's bits, the refusals and the final equity's bits.

use std::fmt;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};
use vela_data::store::hex;

use super::plan::Plan;
use super::run::{Dataset, SweepResults};
use super::table::Metric;
use crate::vector::VectorConfig;

/// Layout tag, changed whenever what is hashed changes.
const LAYOUT: &[u8] = b"vela-sweep-v1";

/// The three hashes of a sweep, hex SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Configuration hash.
    pub config: String,
    /// Data content hash.
    pub data: String,
    /// Results hash.
    pub results: String,
}

impl Fingerprint {
    /// The fingerprint of a finished sweep; `extra` are further `(name, value)` settings
    /// that shape the output (hashed in the order given).
    #[must_use]
    pub fn new(
        plan: &Plan,
        config: &VectorConfig,
        extra: &[(&str, String)],
        datasets: &[Dataset<'_>],
        results: &SweepResults,
    ) -> Self {
        Self {
            config: config_hash(plan, config, extra),
            data: data_hash(datasets),
            results: results_hash(results),
        }
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "config {} data {} results {}",
            self.config, self.data, self.results
        )
    }
}

/// Hash of the plan and settings.
#[must_use]
pub fn config_hash(plan: &Plan, config: &VectorConfig, extra: &[(&str, String)]) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "strategy {}", plan.strategy());
    for axis in plan.grid().axes() {
        let values: Vec<String> = axis.values.iter().map(ToString::to_string).collect();
        let _ = writeln!(text, "axis {} = {}", axis.name, values.join(","));
    }
    for constraint in plan.grid().constraints() {
        let _ = writeln!(text, "constraint {}", constraint.text());
    }
    let _ = writeln!(text, "backtest {config:?}");
    for (name, value) in extra {
        let _ = writeln!(text, "{name} {value}");
    }
    let mut hasher = Sha256::new();
    hasher.update(LAYOUT);
    hasher.update(text.as_bytes());
    hex(&hasher.finalize())
}

/// The data hash: one dataset's content hash itself (so `vela backtest` and `vela sweep`
/// print the same data hash for the same bars), else a hash of every dataset's name and
/// content hash, in order.
#[must_use]
pub fn data_hash(datasets: &[Dataset<'_>]) -> String {
    if let [only] = datasets {
        return only.content_hash.clone();
    }
    let mut hasher = Sha256::new();
    hasher.update(LAYOUT);
    for dataset in datasets {
        hasher.update(dataset.name.as_bytes());
        hasher.update([0]);
        hasher.update(dataset.content_hash.as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

/// Hash of the rows in input order.
#[must_use]
pub fn results_hash(results: &SweepResults) -> String {
    let mut hasher = Sha256::new();
    hasher.update(LAYOUT);
    for row in &results.rows {
        hasher.update((row.dataset as u64).to_le_bytes());
        hasher.update((row.combination as u64).to_le_bytes());
        for metric in Metric::all() {
            hasher.update(metric.value(&row.stats).to_bits().to_le_bytes());
        }
        hasher.update(row.stats.max_drawdown_duration_ms.to_le_bytes());
        hasher.update((row.refused as u64).to_le_bytes());
        hasher.update(row.final_equity.to_bits().to_le_bytes());
    }
    hex(&hasher.finalize())
}
