//! Risk configuration: every protection of DESIGN.md §2, each optional.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::engine::BotConfigError;
use crate::error::ValidationError;
use crate::strategy::StrategySpec;

/// A loss or distance given as a share or as an amount.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Limit {
    /// A share, e.g. `0.05` for 5 %.
    Percent(f64),
    /// An amount in the quote asset (for stops: a price distance per unit).
    Absolute(Decimal),
}

impl Limit {
    fn validate(&self, key: &str) -> Result<(), ValidationError> {
        match *self {
            Self::Percent(p) if !(p.is_finite() && p > 0.0 && p < 1.0) => {
                Err(ValidationError::new(
                    format!("risk.{key}.percent"),
                    p,
                    "must be a share strictly between 0 and 1 (0.05 means 5 %)",
                ))
            }
            Self::Absolute(a) if a <= Decimal::ZERO => Err(ValidationError::new(
                format!("risk.{key}.absolute"),
                a,
                "must be positive",
            )),
            _ => Ok(()),
        }
    }
}

/// One take-profit target: when the price is `gain` above the average cost, sell
/// `fraction` of the largest quantity the position has held.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakeProfitTarget {
    /// Gain over the average cost, as a share (0.02 = +2 %).
    pub gain: f64,
    /// Share of the position to sell at this target.
    pub fraction: f64,
}

/// How `Size::RiskSized` intents are sized.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule", deny_unknown_fields)]
pub enum Sizing {
    /// Spend `fraction` of the equity on each entry.
    FixedFraction {
        /// Share of equity per entry.
        fraction: f64,
    },
    /// The Kelly fraction `W - (1 - W) / R` from the bot's own closed trades (win rate
    /// `W`, average win over average loss `R`), scaled by `multiplier` (0.5 = half Kelly)
    /// and capped at `max_fraction`. Until `min_trades` trades have closed, `fallback`
    /// is used.
    Kelly {
        /// Scale on the Kelly fraction.
        multiplier: f64,
        /// Largest share of equity per entry.
        max_fraction: f64,
        /// Closed trades needed before Kelly is trusted.
        min_trades: u32,
        /// Share of equity per entry before then.
        fallback: f64,
    },
}

impl Default for Sizing {
    fn default() -> Self {
        Self::FixedFraction { fraction: 1.0 }
    }
}

/// The consecutive-loss breaker and its rotation among strategies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LossBreaker {
    /// Losing trades in a row that trip the breaker.
    pub consecutive_losses: u32,
    /// Strategies to rotate to, in order. Empty: the breaker pauses the bot.
    #[serde(default)]
    pub rotation: Vec<StrategySpec>,
    /// Rotations allowed before the bot is paused with an alert.
    #[serde(default = "default_max_rotations")]
    pub max_rotations: u32,
}

const fn default_max_rotations() -> u32 {
    3
}

/// A cap on how many orders may be submitted in a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRate {
    /// Orders allowed per window.
    pub max_orders: u32,
    /// Window length in milliseconds.
    pub window_ms: i64,
}

/// Every risk setting of one bot. All protections are off unless configured, except the
/// wallet's budget cap and the instrument rules, which always apply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskConfig {
    /// Stop loss below the average cost: percent, or a price distance.
    pub stop_loss: Option<Limit>,
    /// Trailing stop below the highest price since entry, as a share.
    pub trailing_stop: Option<f64>,
    /// Take-profit targets, by increasing gain.
    pub take_profit: Vec<TakeProfitTarget>,
    /// Largest drop from the equity peak before the bot pauses.
    pub max_drawdown: Option<Limit>,
    /// Largest loss in one UTC day before the bot pauses until the next day.
    pub daily_loss: Option<Limit>,
    /// Largest loss in one ISO week before the bot pauses until the next week.
    pub weekly_loss: Option<Limit>,
    /// Consecutive-loss breaker and strategy rotation.
    pub breaker: Option<LossBreaker>,
    /// Largest position value per symbol, in quote.
    pub max_position_notional: Option<Decimal>,
    /// Largest value of all positions and open buys, as a share of equity.
    pub max_exposure: Option<f64>,
    /// How risk-sized intents are sized.
    pub sizing: Sizing,
    /// Largest number of orders per window.
    pub order_rate: Option<OrderRate>,
    /// Largest distance of a limit price from the last price, as a share.
    pub price_band: Option<f64>,
}

fn share(key: &str, value: f64, allow_one: bool) -> Result<(), ValidationError> {
    let ok = value.is_finite() && value > 0.0 && (value < 1.0 || (allow_one && value <= 1.0));
    if ok {
        Ok(())
    } else {
        let upper = if allow_one { "1" } else { "below 1" };
        Err(ValidationError::new(
            format!("risk.{key}"),
            value,
            format!("must be a share above 0 and at most {upper}"),
        ))
    }
}

impl RiskConfig {
    /// Risk settings from TOML: the `[risk]` table of a file that has one (a `bot.toml`),
    /// else the file's own keys (`stop_loss = { percent = 0.05 }`). Unknown keys are
    /// refused; the error names the key.
    pub fn from_toml_str(text: &str) -> Result<Self, BotConfigError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| BotConfigError::Toml(e.to_string()))?;
        let risk = match table.remove("risk") {
            Some(toml::Value::Table(risk)) => risk,
            Some(other) => {
                return Err(BotConfigError::Toml(format!(
                    "risk must be a table, found a {}",
                    other.type_str()
                )));
            }
            None => table,
        };
        let risk: Self = toml::Value::Table(risk)
            .try_into()
            .map_err(|e: toml::de::Error| BotConfigError::Toml(format!("risk: {e}")))?;
        risk.validate()?;
        Ok(risk)
    }

    /// Checks every setting; the error names the key.
    pub fn validate(&self) -> Result<(), ValidationError> {
        for (key, limit) in [
            ("stop_loss", &self.stop_loss),
            ("max_drawdown", &self.max_drawdown),
            ("daily_loss", &self.daily_loss),
            ("weekly_loss", &self.weekly_loss),
        ] {
            if let Some(limit) = limit {
                limit.validate(key)?;
            }
        }
        if let Some(t) = self.trailing_stop {
            share("trailing_stop", t, false)?;
        }
        let mut previous_gain = 0.0;
        let mut total = 0.0;
        for (i, target) in self.take_profit.iter().enumerate() {
            if !(target.gain.is_finite() && target.gain > previous_gain) {
                return Err(ValidationError::new(
                    format!("risk.take_profit[{i}].gain"),
                    target.gain,
                    "must be positive and larger than the previous target's",
                ));
            }
            share(&format!("take_profit[{i}].fraction"), target.fraction, true)?;
            previous_gain = target.gain;
            total += target.fraction;
        }
        if total > 1.0 + 1e-9 {
            return Err(ValidationError::new(
                "risk.take_profit",
                total,
                "fractions must add up to at most 1",
            ));
        }
        if let Some(b) = &self.breaker
            && b.consecutive_losses == 0
        {
            return Err(ValidationError::new(
                "risk.breaker.consecutive_losses",
                0,
                "must be at least 1",
            ));
        }
        if let Some(n) = self.max_position_notional
            && n <= Decimal::ZERO
        {
            return Err(ValidationError::new(
                "risk.max_position_notional",
                n,
                "must be positive",
            ));
        }
        if let Some(e) = self.max_exposure {
            share("max_exposure", e, true)?;
        }
        match self.sizing {
            Sizing::FixedFraction { fraction } => share("sizing.fraction", fraction, true)?,
            Sizing::Kelly {
                multiplier,
                max_fraction,
                fallback,
                ..
            } => {
                share("sizing.multiplier", multiplier, true)?;
                share("sizing.max_fraction", max_fraction, true)?;
                share("sizing.fallback", fallback, true)?;
            }
        }
        if let Some(rate) = self.order_rate
            && (rate.max_orders == 0 || rate.window_ms <= 0)
        {
            return Err(ValidationError::new(
                "risk.order_rate",
                format!("{} per {} ms", rate.max_orders, rate.window_ms),
                "needs max_orders >= 1 and window_ms >= 1",
            ));
        }
        if let Some(band) = self.price_band {
            share("price_band", band, false)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_from_toml_and_names_bad_keys() {
        let config: RiskConfig = toml::from_str(
            r#"
            stop_loss = { percent = 0.05 }
            trailing_stop = 0.03
            take_profit = [{ gain = 0.02, fraction = 0.5 }, { gain = 0.05, fraction = 0.5 }]
            daily_loss = { absolute = "50" }
            sizing = { rule = "kelly", multiplier = 0.5, max_fraction = 0.25, min_trades = 20, fallback = 0.1 }
            order_rate = { max_orders = 10, window_ms = 60000 }
            "#,
        )
        .unwrap();
        assert_eq!(config.validate(), Ok(()));
        let err = toml::from_str::<RiskConfig>("stop_los = { percent = 0.05 }").unwrap_err();
        assert!(err.to_string().contains("stop_los"), "{err}");
    }

    #[test]
    fn validation_errors_name_the_key() {
        let cases = [
            (
                RiskConfig {
                    stop_loss: Some(Limit::Percent(1.5)),
                    ..RiskConfig::default()
                },
                "risk.stop_loss.percent",
            ),
            (
                RiskConfig {
                    daily_loss: Some(Limit::Absolute(Decimal::ZERO)),
                    ..RiskConfig::default()
                },
                "risk.daily_loss.absolute",
            ),
            (
                RiskConfig {
                    trailing_stop: Some(0.0),
                    ..RiskConfig::default()
                },
                "risk.trailing_stop",
            ),
            (
                RiskConfig {
                    take_profit: vec![
                        TakeProfitTarget {
                            gain: 0.05,
                            fraction: 0.5,
                        },
                        TakeProfitTarget {
                            gain: 0.02,
                            fraction: 0.5,
                        },
                    ],
                    ..RiskConfig::default()
                },
                "risk.take_profit[1].gain",
            ),
            (
                RiskConfig {
                    take_profit: vec![
                        TakeProfitTarget {
                            gain: 0.01,
                            fraction: 0.8,
                        },
                        TakeProfitTarget {
                            gain: 0.02,
                            fraction: 0.8,
                        },
                    ],
                    ..RiskConfig::default()
                },
                "risk.take_profit",
            ),
            (
                RiskConfig {
                    order_rate: Some(OrderRate {
                        max_orders: 0,
                        window_ms: 1,
                    }),
                    ..RiskConfig::default()
                },
                "risk.order_rate",
            ),
            (
                RiskConfig {
                    sizing: Sizing::FixedFraction { fraction: 2.0 },
                    ..RiskConfig::default()
                },
                "risk.sizing.fraction",
            ),
        ];
        for (config, key) in cases {
            let err = config.validate().unwrap_err();
            assert_eq!(err.input, key, "{err}");
        }
    }
}
