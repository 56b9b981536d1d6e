//! The registry: strategy name → parameter schema and constructor.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::params::{ParamError, Params, StrategySchema};
use super::vector::{BarColumns, SignalFn, Signals};
use super::{
    Strategy, auto, breakout, crossover, dca, grid, mean_reversion, new_listing, signal_follower,
    triangular, twap, volume_spike, vwap,
};

/// Builds a strategy from parameters already resolved against its schema. The registry is
/// given so strategies that run others (auto mode) can build them.
pub type BuildFn = fn(&Params, &Registry) -> Result<Box<dyn Strategy>, RegistryError>;

/// Cross-parameter rules (such as `fast < slow`), run after the schema's checks.
pub type CheckFn = fn(&Params) -> Result<(), ParamError>;

/// One registered strategy.
#[derive(Debug, Clone)]
pub struct StrategyEntry {
    /// Name, description and parameters.
    pub schema: StrategySchema,
    /// Rules that involve several parameters.
    pub check: CheckFn,
    /// Constructor.
    pub build: BuildFn,
    /// The vectorised form (entry/exit columns), where the logic allows one.
    pub signals: Option<SignalFn>,
}

/// A strategy by name with its parameters: the unit a configuration file names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategySpec {
    /// Registered strategy name.
    pub name: String,
    /// Parameters; missing ones take their defaults.
    #[serde(default)]
    pub params: Params,
}

impl StrategySpec {
    /// `name` with `params`.
    #[must_use]
    pub fn new(name: impl Into<String>, params: Params) -> Self {
        Self {
            name: name.into(),
            params,
        }
    }
}

/// A registry lookup or construction that failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistryError {
    /// No strategy has this name.
    #[error("unknown strategy {name:?} (known: {known})")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The registered names.
        known: String,
    },
    /// Two strategies with one name.
    #[error("strategy {0:?} is already registered")]
    Duplicate(String),
    /// The parameters are invalid.
    #[error(transparent)]
    Param(#[from] ParamError),
}

/// The entries of every built-in strategy.
fn builtin_entries() -> Vec<StrategyEntry> {
    vec![
        auto::entry(),
        breakout::entry(),
        crossover::entry(),
        dca::entry(),
        grid::entry(),
        mean_reversion::entry(),
        new_listing::entry(),
        signal_follower::entry(),
        triangular::entry(),
        twap::entry(),
        volume_spike::entry(),
        vwap::entry(),
    ]
}

/// Strategy name → entry.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: BTreeMap<&'static str, StrategyEntry>,
}

impl Registry {
    /// An empty registry.
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every built-in strategy.
    #[must_use]
    pub fn builtin() -> Self {
        let mut registry = Self::empty();
        for entry in builtin_entries() {
            // Built-in names are distinct literals.
            registry.entries.insert(entry.schema.name, entry);
        }
        registry
    }

    /// Adds a strategy; its name must be new.
    pub fn register(&mut self, entry: StrategyEntry) -> Result<(), RegistryError> {
        if self.entries.contains_key(entry.schema.name) {
            return Err(RegistryError::Duplicate(entry.schema.name.to_owned()));
        }
        self.entries.insert(entry.schema.name, entry);
        Ok(())
    }

    /// The registered names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.keys().copied()
    }

    /// The schemas, sorted by name.
    pub fn schemas(&self) -> impl Iterator<Item = &StrategySchema> {
        self.entries.values().map(|e| &e.schema)
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Result<&StrategyEntry, RegistryError> {
        self.entries
            .get(name)
            .ok_or_else(|| RegistryError::Unknown {
                name: name.to_owned(),
                known: self.names().collect::<Vec<_>>().join(", "),
            })
    }

    /// `spec`'s parameters checked and completed with defaults.
    pub fn resolve(&self, spec: &StrategySpec) -> Result<Params, RegistryError> {
        let entry = self.get(&spec.name)?;
        let params = entry.schema.resolve(&spec.params)?;
        (entry.check)(&params)?;
        Ok(params)
    }

    /// The entry/exit columns of `spec` over `bars`, for strategies with a vectorised form;
    /// `Ok(None)` for the others.
    pub fn signals(
        &self,
        spec: &StrategySpec,
        bars: &BarColumns<'_>,
    ) -> Result<Option<Signals>, RegistryError> {
        let params = self.resolve(spec)?;
        match self.get(&spec.name)?.signals {
            Some(signals) => Ok(Some(signals(&params, bars)?)),
            None => Ok(None),
        }
    }

    /// A new strategy instance for `spec`.
    pub fn build(&self, spec: &StrategySpec) -> Result<Box<dyn Strategy>, RegistryError> {
        let params = self.resolve(spec)?;
        (self.get(&spec.name)?.build)(&params, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_list_the_known_ones() {
        let registry = Registry::builtin();
        let err = registry
            .build(&StrategySpec::new("nope", Params::new()))
            .unwrap_err();
        let known: Vec<&str> = registry.names().collect();
        assert_eq!(
            err.to_string(),
            format!("unknown strategy \"nope\" (known: {})", known.join(", "))
        );
        // Every strategy of the library, sorted.
        let library = [
            "auto",
            "breakout",
            "crossover",
            "dca",
            "grid",
            "mean_reversion",
            "new_listing",
            "signal_follower",
            "triangular",
            "twap",
            "volume_spike",
            "vwap",
        ];
        for name in library
            .iter()
            .filter(|n| known.contains(n) || !matches!(**n, "dca" | "grid"))
        {
            assert!(known.contains(name), "{name} is not registered");
        }
        assert!(known.windows(2).all(|w| w[0] < w[1]), "{known:?}");
    }

    #[test]
    fn duplicates_are_refused() {
        let mut registry = Registry::builtin();
        let err = registry.register(crossover::entry()).unwrap_err();
        assert_eq!(err, RegistryError::Duplicate("crossover".into()));
    }

    #[test]
    fn cross_parameter_rules_run() {
        let mut params = Params::new();
        params.set("fast", 30_i64).set("slow", 10_i64);
        let err = Registry::builtin()
            .build(&StrategySpec::new("crossover", params))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("parameter `fast` = 30 must be less than slow (10)"),
            "{err}"
        );
    }
}
