//! A bot as the runner takes it: the promoted bot configuration plus what the runner needs
//! around it (mode, bar interval, the paper exchange's fill rules, timers).
//!
//! ```toml
//! mode = "paper"                  # or "live"
//! interval = "Min1"               # MEXC's kline interval the bot trades on
//! timers = true                   # a Timer event after every bar (as the backtest had)
//!
//! [paper]                         # paper mode: the backtester's fill rules
//! timing = "next_open"
//! slippage_bps = 0.0
//!
//! [bot]                           # exactly the bot.toml a backtest wrote
//! bot_id = "cross1"
//! ...
//! ```
//!
//! `vela live add <run-dir>` builds one from the run's `bot.toml` and `backtest.toml`
//! (fill rules, timers, the dataset's interval) without changing either.

use serde::{Deserialize, Serialize};
use vela_core::engine::BotConfig;
use vela_core::sim::{FillTiming, SimConfig};
use vela_core::strategy::Registry;

use super::RunnerError;
use crate::journal::BotMode;
use crate::proto::KlineInterval;

/// One bot of the runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotSpec {
    /// Paper (simulated fills) or live (orders on the exchange).
    pub mode: BotMode,
    /// The kline interval the bot's bars come from (`Min1`, `Min5`, ... `Month1`).
    #[serde(with = "interval_name")]
    pub interval: KlineInterval,
    /// Whether a `Timer` event follows every bar time (the backtest's `timers`).
    #[serde(default = "yes")]
    pub timers: bool,
    /// The fill rules of paper mode (the backtester's simulated exchange).
    #[serde(default)]
    pub paper: SimConfig,
    /// The bot: instruments, budget, strategy, risk settings.
    pub bot: BotConfig,
}

const fn yes() -> bool {
    true
}

mod interval_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::proto::KlineInterval;

    pub(super) fn serialize<S: Serializer>(
        interval: &KlineInterval,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(interval.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<KlineInterval, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl BotSpec {
    /// Reads a bot file; errors name the key.
    ///
    /// # Errors
    /// Not TOML, an unknown or missing key, or an invalid value (see [`BotSpec::validate`]).
    pub fn from_toml_str(text: &str, registry: &Registry) -> Result<Self, RunnerError> {
        let spec: Self = toml::from_str(text).map_err(|e| RunnerError::BotSpec(e.to_string()))?;
        spec.validate(registry)?;
        Ok(spec)
    }

    /// The bot file's text (what the journal stores and `from_toml_str` reads back).
    ///
    /// # Errors
    /// A value TOML cannot hold.
    pub fn to_toml_string(&self) -> Result<String, RunnerError> {
        toml::to_string(self).map_err(|e| RunnerError::BotSpec(e.to_string()))
    }

    /// Checks what the runner needs: a valid bot whose strategy the registry builds, a kline
    /// interval of fixed length, valid paper fill rules, and fills that can happen live.
    ///
    /// # Errors
    /// The first problem, naming the key.
    pub fn validate(&self, registry: &Registry) -> Result<(), RunnerError> {
        self.bot
            .validate()
            .map_err(|e| RunnerError::BotSpec(format!("bot: {e}")))?;
        registry
            .build(&self.bot.strategy)
            .map_err(|e| RunnerError::BotSpec(format!("bot.strategy: {e}")))?;
        self.paper
            .validate()
            .map_err(|e| RunnerError::BotSpec(format!("paper: {e}")))?;
        if self.paper.timing == FillTiming::ThisClose {
            return Err(RunnerError::BotSpec(
                "paper.timing = \"this_close\" cannot happen live: an order decided at a bar's \
                 close cannot trade at that close; use \"next_open\""
                    .to_owned(),
            ));
        }
        if interval_ms(self.interval).is_none() {
            return Err(RunnerError::BotSpec(format!(
                "interval = {:?}: months have no fixed length; use Week1 or shorter",
                self.interval.name()
            )));
        }
        Ok(())
    }

    /// Length of one bar, ms.
    #[must_use]
    pub fn interval_ms(&self) -> i64 {
        interval_ms(self.interval).unwrap_or(60_000)
    }
}

/// Length of a kline interval, ms (`None` for a calendar month).
#[must_use]
pub const fn interval_ms(interval: KlineInterval) -> Option<i64> {
    let minutes = match interval {
        KlineInterval::Min1 => 1,
        KlineInterval::Min5 => 5,
        KlineInterval::Min15 => 15,
        KlineInterval::Min30 => 30,
        KlineInterval::Min60 => 60,
        KlineInterval::Hour4 => 240,
        KlineInterval::Hour8 => 480,
        KlineInterval::Day1 => 1440,
        KlineInterval::Week1 => 10_080,
        KlineInterval::Month1 => return None,
    };
    Some(minutes * 60_000)
}

/// The kline interval of `ms` milliseconds, if MEXC streams one.
#[must_use]
pub fn interval_of_ms(ms: i64) -> Option<KlineInterval> {
    KlineInterval::ALL
        .into_iter()
        .find(|i| interval_ms(*i) == Some(ms))
}
