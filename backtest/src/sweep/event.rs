//! The event tier in parallel: many [`event::run`](crate::event::run)s (parameters ×
//! symbols × windows, or any list of jobs) on the current rayon pool, results in input
//! order.
//!
//! Each job is a whole event run (its own engine and simulated exchange), so jobs share
//! nothing but the borrowed bars. A job that fails gives its error in its slot; the
//! others still run. Statistics of successful runs are filled in with
//! [`stats::compute`](crate::stats::compute) from the run's trades and curve, using the
//! bot's budget as the initial equity.

use std::borrow::Cow;
use std::ops::Range;

use rayon::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use vela_core::strategy::{Registry, StrategySpec};
use vela_core::types::{Bar, Instrument};

use crate::event::{self, EventConfig, EventError, EventRun, History};
use crate::stats::{bar_interval_ms, compute};

/// One event run of a batch.
#[derive(Debug, Clone)]
pub struct EventJob<'a> {
    /// The bot and exchange settings.
    pub config: EventConfig,
    /// The bars to replay.
    pub history: History<'a>,
}

/// Where a job of [`EventGrid::jobs`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobKey {
    /// Index of the strategy (parameter set).
    pub strategy: usize,
    /// Index of the market (symbol).
    pub market: usize,
    /// Index of the window.
    pub window: usize,
}

/// Parameters × symbols × windows over one bot template.
#[derive(Debug, Clone)]
pub struct EventGrid<'a> {
    /// The template: budget, risk, exchange settings (its strategy and instruments are
    /// replaced per job).
    pub base: EventConfig,
    /// The strategy specifications (parameter sets) to run.
    pub strategies: Vec<StrategySpec>,
    /// One instrument with its bars per symbol.
    pub markets: Vec<(Instrument, &'a [Bar])>,
    /// Bar index windows (half-open) applied to every market; empty: the whole series.
    pub windows: Vec<Range<usize>>,
}

impl<'a> EventGrid<'a> {
    /// Every job, strategy-major, then market, then window; with each job's key.
    pub fn jobs(&self) -> Result<Vec<(JobKey, EventJob<'a>)>, EventError> {
        let whole = vec![Range {
            start: 0,
            end: usize::MAX,
        }];
        let windows = if self.windows.is_empty() {
            &whole
        } else {
            &self.windows
        };
        let mut jobs = Vec::new();
        for (s, strategy) in self.strategies.iter().enumerate() {
            for (m, (instrument, bars)) in self.markets.iter().enumerate() {
                for (w, range) in windows.iter().enumerate() {
                    let end = range.end.min(bars.len());
                    let slice = bars.get(range.start.min(end)..end).unwrap_or(&[]);
                    let history =
                        History::new([(instrument.symbol.clone(), Cow::Borrowed(slice))])?;
                    let mut config = self.base.clone();
                    config.bot.strategy = strategy.clone();
                    config.bot.instruments = vec![instrument.clone()];
                    jobs.push((
                        JobKey {
                            strategy: s,
                            market: m,
                            window: w,
                        },
                        EventJob { config, history },
                    ));
                }
            }
        }
        Ok(jobs)
    }
}

/// A window `[range)` of every symbol of `history`.
pub fn window<'h>(
    history: &'h History<'_>,
    range: Range<usize>,
) -> Result<History<'h>, EventError> {
    let end = range.end.min(history.len());
    let start = range.start.min(end);
    History::new(
        history
            .symbols()
            .iter()
            .enumerate()
            .map(|(i, symbol)| (symbol.clone(), Cow::Borrowed(&history.bars(i)[start..end]))),
    )
}

/// Runs every job on the current rayon pool; results in the jobs' order, with statistics.
#[must_use]
pub fn run_many(registry: &Registry, jobs: &[EventJob<'_>]) -> Vec<Result<EventRun, EventError>> {
    jobs.par_iter()
        .map(|job| {
            let mut run = event::run(registry, &job.config, &job.history)?;
            let initial = job.config.bot.budget.to_f64().unwrap_or(0.0);
            let interval = bar_interval_ms(&run.result.equity.ts).unwrap_or(60_000);
            run.result.stats = compute(&run.result.trades, &run.result.equity, initial, interval);
            Ok(run)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use vela_core::engine::{BotConfig, BotId};
    use vela_core::strategy::Params;
    use vela_core::testkit;

    fn spec(fast: i64, slow: i64) -> StrategySpec {
        let mut params = Params::new();
        params.set("fast", fast).set("slow", slow);
        StrategySpec::new("crossover", params)
    }

    #[test]
    fn runs_come_back_in_input_order_and_match_single_runs() {
        let registry = Registry::builtin();
        let walk = testkit::random_walk(2_000, 100.0, 0.004, 5);
        let other = testkit::random_walk(2_000, 50.0, 0.006, 9);
        let mut eth = testkit::btcusdt();
        eth.symbol = vela_core::types::Symbol::new("ETHUSDT").unwrap();
        eth.base = vela_core::types::Asset::new("ETH").unwrap();
        let bot = BotConfig::new(
            BotId::new("sweep").unwrap(),
            vec![testkit::btcusdt()],
            Decimal::from(1_000),
            spec(5, 20),
        );
        let grid = EventGrid {
            base: EventConfig::new(bot),
            strategies: vec![spec(5, 20), spec(10, 40), spec(3, 9)],
            markets: vec![(testkit::btcusdt(), &walk), (eth, &other)],
            windows: vec![0..1_000, 500..2_000],
        };
        let keyed = grid.jobs().unwrap();
        assert_eq!(keyed.len(), 12);
        assert_eq!(
            keyed[1].0,
            JobKey {
                strategy: 0,
                market: 0,
                window: 1
            }
        );
        assert_eq!(
            keyed[2].0,
            JobKey {
                strategy: 0,
                market: 1,
                window: 0
            }
        );
        let jobs: Vec<EventJob<'_>> = keyed.into_iter().map(|(_, j)| j).collect();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| run_many(&registry, &jobs))
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one, two);
        let mut traded = 0;
        for (job, result) in jobs.iter().zip(&one) {
            let result = result.as_ref().unwrap();
            let mut single = event::run(&registry, &job.config, &job.history).unwrap();
            assert_eq!(single.result.trades, result.result.trades);
            single.result.stats = result.result.stats.clone();
            assert_eq!(&single, result);
            assert_eq!(result.result.stats.trades, result.result.trades.len());
            traded += usize::from(!result.result.trades.is_empty());
        }
        assert_eq!(traded, jobs.len());
        // Windows really are windows.
        assert_eq!(jobs[1].history.len(), 1_500);
        let w = window(&jobs[0].history, 100..200).unwrap();
        assert_eq!(w.bars(0), &jobs[0].history.bars(0)[100..200]);
    }

    #[test]
    fn a_failing_job_fails_alone() {
        let registry = Registry::builtin();
        let walk = testkit::random_walk(300, 100.0, 0.004, 5);
        let bot = BotConfig::new(
            BotId::new("sweep").unwrap(),
            vec![testkit::btcusdt()],
            Decimal::from(1_000),
            spec(5, 20),
        );
        let grid = EventGrid {
            base: EventConfig::new(bot),
            strategies: vec![spec(5, 20), spec(20, 5)],
            markets: vec![(testkit::btcusdt(), &walk)],
            windows: vec![],
        };
        let jobs: Vec<EventJob<'_>> = grid.jobs().unwrap().into_iter().map(|(_, j)| j).collect();
        let results = run_many(&registry, &jobs);
        assert!(results[0].is_ok());
        let err = results[1].as_ref().unwrap_err().to_string();
        assert!(err.contains("must be less than slow"), "{err}");
    }
}
