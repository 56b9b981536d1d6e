//! The backtest specification (`backtest.toml`): everything a run needs besides the bot.
//!
//! ```toml
//! tier = "event"                  # or "vector"
//!
//! [data]
//! dataset = "sample/BTCUSDT/1m"   # a store dataset: exchange/SYMBOL/interval
//! from = "2022-01-01T00:00:00Z"   # optional, first open time included
//! to = "2022-01-15T00:00:00Z"     # optional, first open time excluded
//!
//! [exchange]
//! fill = "next_open"              # or "this_close"
//! slippage_bps = 0.0
//! volume_cap = 0.1                # optional (event tier), share of each bar's volume
//! touch = "through"               # or "touch" (event tier: resting limits)
//! intrabar = "pessimistic"        # or "optimistic" (vector tier: stop vs take profit)
//! timers = true                   # event tier: a Timer event at every bar
//!
//! [output]
//! dir = "runs/my-run"             # optional; never part of the fingerprint
//! ```
//!
//! Fees, price and quantity precision and the minimums are the instrument's, in the bot
//! (`bot.toml`): the simulated exchange and the engine's sizing both read them there, and
//! the live runner gets the same file. There is no second copy here that could disagree.
//!
//! # Look-ahead-unsafe combinations (refused)
//!
//! - `fill = "this_close"` with `volume_cap`: an order decided at bar `i`'s close would
//!   fill against bar `i`'s volume, all of which traded before the order existed.
//! - The vector tier has no resting orders and no volume model: `volume_cap` and
//!   `touch = "touch"` are refused there; `intrabar = "optimistic"` is refused in the
//!   event tier, whose stops are the core risk layer's.
//!
//! `fill = "this_close"` alone is allowed and documented as optimistic: the signal is
//! computed from bar `i`'s close and the order trades at that very price, which no live
//! order can; `next_open` is the realistic default. Signals that themselves read future
//! bars cannot be detected here.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use vela_core::sim::{FeeAsset, FillTiming, SimConfig, TouchRule};
use vela_core::types::Timestamp;
use vela_data::import::parse_timestamp;
use vela_data::store::{DatasetId, TimeRange};

use super::error::RunError;

/// Which tier runs the backtest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The event replay of the real engine: runs every strategy. The default.
    #[default]
    Event,
    /// The vectorised simulator: strategies with a vectorised form only.
    Vector,
}

impl Tier {
    /// `event` or `vector`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Vector => "vector",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which exit wins on a bar that reaches both the stop and the take profit (vector tier).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intrabar {
    /// The stop wins. The default.
    #[default]
    Pessimistic,
    /// The take profit wins.
    Optimistic,
}

/// A point in time in a spec: written as ISO-8601 UTC (`2022-01-01T00:00:00Z`), read from
/// that, a date (`2022-01-01`), `2022-01-01 12:00` or epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpecTime(pub i64);

impl SpecTime {
    /// Parses the forms listed on the type; the error says what was wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        parse_timestamp(text).map(Self)
    }
}

impl fmt::Display for SpecTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Timestamp(self.0).fmt(f)
    }
}

impl Serialize for SpecTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for SpecTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Millis(i64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Millis(ms) => Ok(Self(ms)),
            Raw::Text(text) => Self::parse(&text).map_err(serde::de::Error::custom),
        }
    }
}

/// Which bars a run reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// A store dataset, `exchange/SYMBOL/interval` (e.g. `sample/BTCUSDT/1m`).
    pub dataset: String,
    /// First bar open time included (`None`: from the first bar).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<SpecTime>,
    /// First bar open time excluded (`None`: to the last bar).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<SpecTime>,
}

impl DataSpec {
    /// The dataset id; the error names `data.dataset`.
    pub fn dataset_id(&self) -> Result<DatasetId, RunError> {
        self.dataset
            .parse()
            .map_err(|e: vela_data::store::StoreError| RunError::Spec {
                key: "data.dataset",
                value: self.dataset.clone(),
                rule: e.to_string(),
            })
    }

    /// The range of open times read.
    #[must_use]
    pub fn range(&self) -> TimeRange {
        TimeRange::new(self.from.map(|t| t.0), self.to.map(|t| t.0))
    }
}

/// The simulated exchange's settings (fees and precision are the bot's instruments').
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExchangeSpec {
    /// When a signal decided at a bar's close fills: `next_open` (default) or `this_close`.
    pub fill: FillTiming,
    /// Slippage of market fills against the trader, basis points.
    pub slippage_bps: f64,
    /// Event tier: most of a bar's volume one order fills on that bar, a share in (0, 1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_cap: Option<f64>,
    /// Event tier: whether a resting limit fills when its price is only touched.
    pub touch: TouchRule,
    /// Vector tier: which exit wins a bar that reaches both stop and take profit.
    pub intrabar: Intrabar,
    /// Event tier: deliver a `Timer` event at every bar (strategies with timeouts).
    pub timers: bool,
}

impl Default for ExchangeSpec {
    /// Next-open fills, no slippage, no volume cap, through-only limits, pessimistic
    /// intrabar order, timers on.
    fn default() -> Self {
        Self {
            fill: FillTiming::NextOpen,
            slippage_bps: 0.0,
            volume_cap: None,
            touch: TouchRule::Through,
            intrabar: Intrabar::Pessimistic,
            timers: true,
        }
    }
}

impl ExchangeSpec {
    /// The event tier's simulated exchange settings (fees in the quote asset, as both
    /// tiers book them).
    #[must_use]
    pub fn sim_config(&self) -> SimConfig {
        SimConfig {
            timing: self.fill,
            touch: self.touch,
            volume_cap: self.volume_cap,
            slippage_bps: self.slippage_bps,
            fee_asset: FeeAsset::Quote,
        }
    }
}

/// Where a run's files go. Not part of the configuration hash: the same run written
/// elsewhere has the same fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputSpec {
    /// The run directory, relative to the working directory (`None`:
    /// `runs/<strategy>-<dataset>-<config and data hash>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
}

impl OutputSpec {
    /// Whether nothing is set (the section is then left out of written files).
    #[must_use]
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Everything a backtest needs besides the bot (see the module docs for the file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestSpec {
    /// Which tier runs.
    #[serde(default)]
    pub tier: Tier,
    /// The bars.
    pub data: DataSpec,
    /// The simulated exchange.
    #[serde(default)]
    pub exchange: ExchangeSpec,
    /// Where the files go.
    #[serde(default, skip_serializing_if = "OutputSpec::is_default")]
    pub output: OutputSpec,
}

impl BacktestSpec {
    /// The default spec over `dataset`: event tier, all bars, default exchange.
    #[must_use]
    pub fn new(dataset: impl Into<String>) -> Self {
        Self {
            tier: Tier::Event,
            data: DataSpec {
                dataset: dataset.into(),
                from: None,
                to: None,
            },
            exchange: ExchangeSpec::default(),
            output: OutputSpec::default(),
        }
    }

    /// Reads and validates a `backtest.toml`; errors name the key.
    pub fn from_toml_str(text: &str) -> Result<Self, RunError> {
        let spec: Self = toml::from_str(text).map_err(|e| RunError::SpecFile(e.to_string()))?;
        spec.validate()?;
        Ok(spec)
    }

    /// The spec as TOML (what [`BacktestSpec::from_toml_str`] reads back).
    pub fn to_toml_string(&self) -> Result<String, RunError> {
        toml::to_string(self).map_err(|e| RunError::SpecFile(e.to_string()))
    }

    /// The text hashed into the fingerprint: the spec as TOML without its output section.
    pub fn canonical_toml(&self) -> Result<String, RunError> {
        let mut copy = self.clone();
        copy.output = OutputSpec::default();
        copy.to_toml_string()
    }

    /// Checks every value and the look-ahead rules (module docs); errors name the key.
    pub fn validate(&self) -> Result<(), RunError> {
        self.data.dataset_id()?;
        if let (Some(from), Some(to)) = (self.data.from, self.data.to)
            && from >= to
        {
            return Err(RunError::Spec {
                key: "data.to",
                value: to.to_string(),
                rule: format!("must be after data.from ({from})"),
            });
        }
        let x = &self.exchange;
        self.exchange
            .sim_config()
            .validate()
            .map_err(|e| RunError::Spec {
                key: if e.input.contains("volume_cap") {
                    "exchange.volume_cap"
                } else {
                    "exchange.slippage_bps"
                },
                value: e.value.clone(),
                rule: e.rule,
            })?;
        if x.fill == FillTiming::ThisClose && x.volume_cap.is_some() {
            return Err(RunError::LookAhead {
                combination: "exchange.fill = this_close with exchange.volume_cap",
                reason: "an order decided at a bar's close would fill against that bar's \
                         volume, all of which traded before the order existed; use \
                         next_open with a volume cap",
            });
        }
        match self.tier {
            Tier::Vector => {
                if x.volume_cap.is_some() {
                    return Err(RunError::Unsupported {
                        key: "exchange.volume_cap",
                        tier: Tier::Vector,
                        hint: "the vector tier has no volume model; use tier = \"event\"",
                    });
                }
                if x.touch == TouchRule::Touch {
                    return Err(RunError::Unsupported {
                        key: "exchange.touch",
                        tier: Tier::Vector,
                        hint: "the vector tier has no resting limit orders; use tier = \"event\"",
                    });
                }
            }
            Tier::Event => {
                if x.intrabar == Intrabar::Optimistic {
                    return Err(RunError::Unsupported {
                        key: "exchange.intrabar",
                        tier: Tier::Event,
                        hint: "the event tier's stops are the core risk layer's; the intrabar \
                               order applies to tier = \"vector\"",
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_dates() {
        let text = r#"
            tier = "vector"
            [data]
            dataset = "sample/BTCUSDT/1m"
            from = "2022-01-01"
            to = 1641081600000
            [exchange]
            fill = "this_close"
            slippage_bps = 2.5
            [output]
            dir = "runs/x"
        "#;
        let spec = BacktestSpec::from_toml_str(text).unwrap();
        assert_eq!(spec.tier, Tier::Vector);
        assert_eq!(spec.data.from, Some(SpecTime(1_640_995_200_000)));
        assert_eq!(spec.data.to, Some(SpecTime(1_641_081_600_000)));
        let written = spec.to_toml_string().unwrap();
        assert!(
            written.contains("from = \"2022-01-01T00:00:00Z\""),
            "{written}"
        );
        assert_eq!(BacktestSpec::from_toml_str(&written).unwrap(), spec);
        // The output directory is not part of the canonical text.
        let canonical = spec.canonical_toml().unwrap();
        assert!(!canonical.contains("output"), "{canonical}");
        let mut moved = spec.clone();
        moved.output.dir = Some("elsewhere".into());
        assert_eq!(moved.canonical_toml().unwrap(), canonical);
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("[data]\ndataset = \"sample/BTCUSDT\"", "data.dataset"),
            ("[data]\ndataset = \"a/B/1m\"\nfrm = 1", "frm"),
            (
                "[data]\ndataset = \"a/B/1m\"\nfrom = \"2022-02-01\"\nto = \"2022-01-01\"",
                "data.to",
            ),
            (
                "[data]\ndataset = \"a/B/1m\"\nfrom = \"yesterday\"",
                "yesterday",
            ),
            (
                "[data]\ndataset = \"a/B/1m\"\n[exchange]\nslippage_bps = -1",
                "exchange.slippage_bps",
            ),
            (
                "[data]\ndataset = \"a/B/1m\"\n[exchange]\nvolume_cap = 2.0",
                "exchange.volume_cap",
            ),
            (
                "[data]\ndataset = \"a/B/1m\"\n[exchange]\nfill = \"this_close\"\nvolume_cap = 0.5",
                "look-ahead",
            ),
            (
                "tier = \"vector\"\n[data]\ndataset = \"a/B/1m\"\n[exchange]\nvolume_cap = 0.5",
                "exchange.volume_cap",
            ),
            (
                "[data]\ndataset = \"a/B/1m\"\n[exchange]\nintrabar = \"optimistic\"",
                "exchange.intrabar",
            ),
        ];
        for (text, says) in cases {
            let err = BacktestSpec::from_toml_str(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}
