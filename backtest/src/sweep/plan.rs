//! A sweep plan: a checked grid, its combinations after the constraints, and the kernel
//! that turns a combination into signals.

use vela_core::strategy::{Params, Registry, RegistryError, StrategySpec};

use super::constraint::Constraint;
use super::error::SweepError;
use super::grid::Grid;
use super::kernel::Kernel;

/// The combinations a sweep runs, in input order.
#[derive(Debug, Clone)]
pub struct Plan {
    grid: Grid,
    kernel: Kernel,
    /// Grid indices (odometer order) of the combinations that pass the constraints.
    combos: Vec<u64>,
}

impl Plan {
    /// The combinations of `grid` that pass its constraints, each checked against the
    /// strategy's own rules. The strategy must have a vectorised form. Errors: an empty
    /// result, or a combination the strategy refuses (with a hint to skip it by a
    /// constraint).
    pub fn new(registry: &Registry, grid: Grid) -> Result<Self, SweepError> {
        let entry = registry.get(grid.strategy())?;
        let Some(signals) = entry.signals else {
            let vectorised: Vec<&str> = registry
                .names()
                .filter(|n| registry.get(n).is_ok_and(|e| e.signals.is_some()))
                .collect();
            return Err(SweepError::NotVectorised {
                name: grid.strategy().to_owned(),
                vectorised: vectorised.join(", "),
            });
        };
        let mut combos = Vec::new();
        for index in 0..grid.size() {
            let resolved = entry
                .schema
                .resolve(&grid.params(index))
                .map_err(RegistryError::from)?;
            if !grid.constraints().iter().all(|c| c.holds(&resolved)) {
                continue;
            }
            (entry.check)(&resolved).map_err(|source| SweepError::Combination {
                combination: grid.describe(index),
                hint: if grid.axes().iter().any(|a| a.name == source.param) {
                    "; skip such combinations with a constraint (e.g. \"fast < slow\")".to_owned()
                } else {
                    String::new()
                },
                source: Box::new(source),
            })?;
            combos.push(index);
        }
        if combos.is_empty() {
            let constraints: Vec<&str> = grid.constraints().iter().map(Constraint::text).collect();
            return Err(SweepError::Empty(format!(
                "the constraints ({}) leave none of the {} combinations",
                constraints.join(", "),
                grid.size()
            )));
        }
        Ok(Self {
            kernel: Kernel::new(grid.strategy(), signals),
            grid,
            combos,
        })
    }

    /// The grid.
    #[must_use]
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The strategy's name.
    #[must_use]
    pub fn strategy(&self) -> &str {
        self.grid.strategy()
    }

    /// Number of combinations run.
    #[must_use]
    pub fn len(&self) -> usize {
        self.combos.len()
    }

    /// Whether there is no combination (never true for a plan that was built).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.combos.is_empty()
    }

    /// Combinations of the grid the constraints skipped.
    #[must_use]
    pub fn skipped(&self) -> u64 {
        self.grid.size() - self.combos.len() as u64
    }

    pub(crate) fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// The value index on each axis of combination `i` (input order), into `out`.
    pub fn picks(&self, i: usize, out: &mut Vec<usize>) {
        self.grid.decode(self.combos[i], out);
    }

    /// The grid's values of combination `i` (the other parameters take their defaults).
    #[must_use]
    pub fn params(&self, i: usize) -> Params {
        self.grid.params(self.combos[i])
    }

    /// Combination `i` with every parameter, checked.
    pub fn resolved(&self, registry: &Registry, i: usize) -> Result<Params, SweepError> {
        Ok(registry.resolve(&self.spec(i))?)
    }

    /// Combination `i` as a strategy specification (the grid's values only).
    #[must_use]
    pub fn spec(&self, i: usize) -> StrategySpec {
        StrategySpec::new(self.strategy(), self.params(i))
    }

    /// `name=value` pairs of combination `i`.
    #[must_use]
    pub fn describe(&self, i: usize) -> String {
        self.grid.describe(self.combos[i])
    }
}
