//! The bot of a backtest built from settings (the command line's flags, the Python
//! package's keyword arguments): one set of rules, so `vela backtest --budget 500` and
//! `vela.backtest(..., budget=500)` run the same bot.

use rust_decimal::Decimal;
use vela_core::engine::{BotConfig, BotId};
use vela_core::risk::{Limit, TakeProfitTarget};
use vela_core::strategy::{ParamValue, Params, StrategySpec};
use vela_core::types::Instrument;

use super::error::RunError;
use super::instrument::{InstrumentSettings, instrument_for};

/// Budget when neither the settings nor a bot file give one, in the quote asset.
pub const DEFAULT_BUDGET: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

/// What a backtest's bot is made of, each setting optional (unset: the base bot's value,
/// or the default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BotSettings {
    /// Built-in strategy name; with a base bot of another strategy, its parameters reset.
    pub strategy: Option<String>,
    /// Strategy parameters set on top of the base bot's.
    pub params: Vec<(String, ParamValue)>,
    /// Trading capital in the quote asset (default [`DEFAULT_BUDGET`]).
    pub budget: Option<Decimal>,
    /// Do not reinvest profits (a new bot compounds by default).
    pub no_compound: bool,
    /// Stop loss, share below the entry price.
    pub stop_loss: Option<f64>,
    /// Take profit on the whole position, share above the entry price.
    pub take_profit: Option<f64>,
    /// Trailing stop, share below the highest price since entry.
    pub trailing_stop: Option<f64>,
    /// The instrument's rules (precision, minimums, fees).
    pub instrument: InstrumentSettings,
}

impl BotSettings {
    /// The bot trading `symbol`: `base` (a `bot.toml`) with the settings applied, or a new
    /// bot named `backtest` built from them. Validated; errors name the setting.
    pub fn build(&self, base: Option<BotConfig>, symbol: &str) -> Result<BotConfig, RunError> {
        let mut bot = match base {
            Some(mut bot) => {
                if let Some(name) = &self.strategy
                    && *name != bot.strategy.name
                {
                    bot.strategy = StrategySpec::new(name.clone(), Params::new());
                }
                if let Some(first) = bot.instruments.first_mut() {
                    apply(first, &self.instrument);
                }
                bot
            }
            None => {
                let Some(name) = &self.strategy else {
                    return Err(RunError::NoStrategy);
                };
                let instrument = instrument_for(symbol, &self.instrument)?;
                let mut bot = BotConfig::new(
                    BotId::new("backtest")?,
                    vec![instrument],
                    DEFAULT_BUDGET,
                    StrategySpec::new(name.clone(), Params::new()),
                );
                bot.compound = true;
                bot
            }
        };
        for (name, value) in &self.params {
            bot.strategy.params.set(name, value.clone());
        }
        if let Some(budget) = self.budget {
            bot.budget = budget;
        }
        if self.no_compound {
            bot.compound = false;
        }
        if let Some(p) = self.stop_loss {
            bot.risk.stop_loss = Some(Limit::Percent(p));
        }
        if let Some(t) = self.trailing_stop {
            bot.risk.trailing_stop = Some(t);
        }
        if let Some(gain) = self.take_profit {
            bot.risk.take_profit = vec![TakeProfitTarget {
                gain,
                fraction: 1.0,
            }];
        }
        bot.validate()?;
        Ok(bot)
    }
}

/// Overrides of a bot file's instrument from the settings.
fn apply(instrument: &mut Instrument, s: &InstrumentSettings) {
    if let Some(v) = s.price_decimals {
        instrument.price_precision = v;
    }
    if let Some(v) = s.quantity_decimals {
        instrument.quantity_precision = v;
    }
    if let Some(v) = s.min_quantity {
        instrument.min_quantity = v;
    }
    if let Some(v) = s.min_notional {
        instrument.min_notional = v;
    }
    if let Some(v) = s.maker_fee {
        instrument.maker_fee = v;
    }
    if let Some(v) = s.taker_fee {
        instrument.taker_fee = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_bot_takes_the_settings() {
        let settings = BotSettings {
            strategy: Some("crossover".to_owned()),
            params: vec![("fast".to_owned(), ParamValue::Int(7))],
            budget: Some(Decimal::new(500, 0)),
            stop_loss: Some(0.02),
            ..BotSettings::default()
        };
        let bot = settings.build(None, "BTCUSDT").expect("valid settings");
        assert_eq!(bot.budget, Decimal::new(500, 0));
        assert!(bot.compound);
        assert_eq!(bot.strategy.params.get("fast"), Some(&ParamValue::Int(7)));
        assert_eq!(bot.risk.stop_loss, Some(Limit::Percent(0.02)));
        assert_eq!(bot.instruments[0].symbol.as_str(), "BTCUSDT");
    }

    #[test]
    fn no_strategy_and_no_bot_is_an_error_that_says_so() {
        let err = BotSettings::default()
            .build(None, "BTCUSDT")
            .expect_err("nothing to run");
        assert!(err.to_string().contains("no strategy given"), "{err}");
    }

    #[test]
    fn a_base_bot_of_another_strategy_resets_its_parameters() {
        let first = BotSettings {
            strategy: Some("crossover".to_owned()),
            params: vec![("fast".to_owned(), ParamValue::Int(7))],
            ..BotSettings::default()
        }
        .build(None, "BTCUSDT")
        .expect("valid");
        let second = BotSettings {
            strategy: Some("breakout".to_owned()),
            no_compound: true,
            ..BotSettings::default()
        }
        .build(Some(first), "BTCUSDT")
        .expect("valid");
        assert_eq!(second.strategy.name, "breakout");
        assert!(second.strategy.params.get("fast").is_none());
        assert!(!second.compound);
    }
}
