//! Bot configuration and identity.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error::ValidationError;
use crate::risk::RiskConfig;
use crate::strategy::StrategySpec;
use crate::types::Instrument;

/// Longest bot id: leaves room for `-` and a 15-digit sequence in a 32-character client
/// order id.
pub const MAX_BOT_ID_LEN: usize = 16;

/// A bot's id: 1 to 16 characters of `[A-Za-z0-9_]`. Client order ids are `<bot id>-<seq>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BotId(String);

impl BotId {
    /// A checked bot id.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() || value.len() > MAX_BOT_ID_LEN {
            return Err(ValidationError::new(
                "bot id",
                &value,
                format!("must be 1 to {MAX_BOT_ID_LEN} characters"),
            ));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(ValidationError::new(
                "bot id",
                &value,
                "must contain only A-Z, a-z, 0-9 and '_'",
            ));
        }
        Ok(Self(value))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BotId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<BotId> for String {
    fn from(id: BotId) -> Self {
        id.0
    }
}

impl fmt::Display for BotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bot configuration file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BotConfigError {
    /// Not TOML, or a key that is unknown, missing or of the wrong type (the message
    /// names the key and shows the line).
    #[error("bot configuration: {0}")]
    Toml(String),
    /// Well-formed, but a value breaks its rule (the message names the key).
    #[error("bot configuration: {0}")]
    Invalid(#[from] ValidationError),
}

/// Everything that defines one bot: the unit a backtest promotes to the live runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotConfig {
    /// Identity; prefixes every client order id.
    pub bot_id: BotId,
    /// Instruments traded. The first one's quote asset is the budget asset; every other
    /// instrument is quoted in it, or in an asset the bot also trades against it.
    pub instruments: Vec<Instrument>,
    /// Trading capital in the instruments' quote asset.
    pub budget: Decimal,
    /// Whether profits are added to the capital.
    #[serde(default)]
    pub compound: bool,
    /// The strategy and its parameters.
    pub strategy: StrategySpec,
    /// Risk settings.
    #[serde(default)]
    pub risk: RiskConfig,
    /// Stop by itself this long after the first start (milliseconds); `None` runs until
    /// stopped.
    #[serde(default)]
    pub running_time_ms: Option<i64>,
}

impl BotConfig {
    /// A configuration with default risk settings, no compounding and no time limit.
    #[must_use]
    pub fn new(
        bot_id: BotId,
        instruments: Vec<Instrument>,
        budget: Decimal,
        strategy: StrategySpec,
    ) -> Self {
        Self {
            bot_id,
            instruments,
            budget,
            compound: false,
            strategy,
            risk: RiskConfig::default(),
            running_time_ms: None,
        }
    }

    /// Reads and validates a bot configuration file (`bot.toml`): the format the backtester
    /// writes and the live runner accepts. Unknown keys are refused; errors name the key.
    /// The strategy's parameters are checked later, against the registry.
    pub fn from_toml_str(text: &str) -> Result<Self, BotConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| BotConfigError::Toml(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// The configuration as a TOML file that [`BotConfig::from_toml_str`] reads back to an
    /// equal value. Equal configurations give identical text (maps are ordered).
    pub fn to_toml_string(&self) -> Result<String, BotConfigError> {
        toml::to_string(self).map_err(|e| BotConfigError::Toml(e.to_string()))
    }

    /// Checks everything that does not need the registry; errors name the key.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let Some(first) = self.instruments.first() else {
            return Err(ValidationError::new(
                "instruments",
                "[]",
                "needs at least one instrument",
            ));
        };
        for (i, instrument) in self.instruments.iter().enumerate() {
            instrument.validate()?;
            // A pair quoted in another asset (ETHBTC in a USDT bot) is valued through the
            // bot's pair of that asset against the budget asset (BTCUSDT).
            let valued = instrument.quote == first.quote
                || self
                    .instruments
                    .iter()
                    .any(|o| o.base == instrument.quote && o.quote == first.quote);
            if !valued {
                return Err(ValidationError::new(
                    format!("instruments[{i}].quote"),
                    &instrument.quote,
                    format!(
                        "must be the budget asset {} or an asset the bot also trades against {}",
                        first.quote, first.quote
                    ),
                ));
            }
            if self.instruments[..i]
                .iter()
                .any(|o| o.symbol == instrument.symbol)
            {
                return Err(ValidationError::new(
                    format!("instruments[{i}].symbol"),
                    &instrument.symbol,
                    "appears twice",
                ));
            }
        }
        if self.budget <= Decimal::ZERO {
            return Err(ValidationError::new(
                "budget",
                self.budget,
                "must be positive",
            ));
        }
        if let Some(ms) = self.running_time_ms
            && ms <= 0
        {
            return Err(ValidationError::new(
                "running_time_ms",
                ms,
                "must be positive",
            ));
        }
        self.risk.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::{Limit, TakeProfitTarget};
    use crate::strategy::Params;
    use crate::types::instrument::stubs::{btcusdt, ethusdt};

    fn full_config() -> BotConfig {
        let mut params = Params::new();
        params.set("fast", 5_i64).set("ma", "ema").set("x", 1.5);
        let mut inner = Params::new();
        inner.set("slow", 50_i64).set("flag", true);
        params.set(
            "trend",
            crate::strategy::ParamValue::Strategy(Box::new(StrategySpec::new("crossover", inner))),
        );
        let mut config = BotConfig::new(
            BotId::new("bt_1").unwrap(),
            vec![btcusdt(), ethusdt()],
            Decimal::new(10_000, 0),
            StrategySpec::new("crossover", params),
        );
        config.compound = true;
        config.risk.stop_loss = Some(Limit::Percent(0.05));
        config.risk.trailing_stop = Some(0.02);
        config.risk.take_profit = vec![TakeProfitTarget {
            gain: 0.1,
            fraction: 1.0,
        }];
        config.running_time_ms = Some(60_000);
        config
    }

    #[test]
    fn toml_round_trips() {
        for config in [
            full_config(),
            BotConfig::new(
                BotId::new("b").unwrap(),
                vec![btcusdt()],
                Decimal::ONE,
                StrategySpec::new("dca", Params::new()),
            ),
        ] {
            let text = config.to_toml_string().unwrap();
            assert_eq!(
                BotConfig::from_toml_str(&text),
                Ok(config.clone()),
                "{text}"
            );
            // Same value, same text.
            assert_eq!(config.clone().to_toml_string().unwrap(), text);
        }
    }

    #[test]
    fn toml_errors_name_the_key() {
        let text = full_config().to_toml_string().unwrap();
        let err = BotConfig::from_toml_str(&text.replace("budget", "budgett")).unwrap_err();
        assert!(err.to_string().contains("budgett"), "{err}");
        let err = BotConfig::from_toml_str(&text.replace("\"10000\"", "\"-5\"")).unwrap_err();
        assert!(err.to_string().contains("budget \"-5\""), "{err}");
        let err = BotConfig::from_toml_str("bot_id = 3").unwrap_err();
        assert!(err.to_string().contains("bot_id"), "{err}");
    }

    #[test]
    fn bot_ids_leave_room_for_the_sequence() {
        assert!(BotId::new("grid_btc_01").is_ok());
        assert!(BotId::new("x".repeat(MAX_BOT_ID_LEN)).is_ok());
        assert!(BotId::new("x".repeat(MAX_BOT_ID_LEN + 1)).is_err());
        // '-' separates the id from the sequence, so it may not appear in the id.
        let err = BotId::new("a-b").unwrap_err().to_string();
        assert!(err.contains("bot id \"a-b\""), "{err}");
        // The longest id with a 15-digit sequence still fits MEXC's 32 characters.
        let id = format!("{}-{}", "x".repeat(MAX_BOT_ID_LEN), 999_999_999_999_999_u64);
        assert!(crate::types::ClientOrderId::new(id).is_ok());
    }
}
