//! The walk-forward optimiser over a parameter grid: a vectorised sweep of the in-sample
//! bars, the best row by a metric.

use vela_core::strategy::{BarSeries, Registry};
use vela_core::types::Bar;

use super::{Choice, Optimiser};
use crate::sweep::{self, Dataset, Metric, Plan};
use crate::vector::VectorConfig;

/// Picks the combination of `plan` with the best `metric` on the in-sample bars, through
/// the vectorised tier with `config` (ties: the earlier combination, as [`sweep::rank`]
/// breaks them).
#[derive(Debug)]
pub struct SweepOptimiser<'a> {
    /// Strategies.
    pub registry: &'a Registry,
    /// The combinations to try.
    pub plan: &'a Plan,
    /// Costs, fills and sizing of the vectorised runs.
    pub config: &'a VectorConfig,
    /// What "best" means.
    pub metric: Metric,
}

impl Optimiser for SweepOptimiser<'_> {
    fn optimise(&self, bars: &[Bar]) -> Result<Choice, String> {
        let series = BarSeries::from_bars(bars);
        let data = [Dataset {
            name: "in-sample".to_owned(),
            bars: series.columns(),
            content_hash: String::new(),
        }];
        let results = sweep::run(self.registry, self.plan, &data, self.config, &|_| {})
            .map_err(|e| e.to_string())?;
        let best = *sweep::rank(&results, self.metric)
            .first()
            .ok_or("the grid has no combination")?;
        let row = &results.rows[best];
        Ok(Choice {
            params: self.plan.params(row.combination),
            score: self.metric.value(&row.stats),
            stats: row.stats.clone(),
        })
    }
}
