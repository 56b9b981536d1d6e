//! New settings for a paused or stopped bot: budget, risk settings, running time.
//!
//! An operator edits a bot's configuration only while it does not trade (the rule;
//! strategy parameters have their own instruction, [`super::Control::UpdateParams`]). The
//! change is an instruction like any other, so the journal records it where it happened
//! and a restart or `vela replay` applies it at the same point.
//!
//! What a change means:
//! - **Budget**: the difference is paid into or taken out of the bot's cash, like a deposit
//!   or a withdrawal. Only free cash can be taken out (not what open buys reserve), and the
//!   loss limits' references (equity peak, the day's and the week's starting equity) move
//!   by the same amount, so neither direction reads as a gain or a loss.
//! - **Risk**: the whole risk section is replaced and checked as at creation. The breaker's
//!   rotation can change only while the configured strategy trades (after a rotation the
//!   list decides what comes next).
//! - **Running time**: counted from the first start, as before; a limit that has already
//!   elapsed is refused rather than stopping the bot at the next event.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::marks::Marks;
use super::{AlertCode, AlertLevel, Engine, EngineError};
use crate::error::ValidationError;
use crate::money::rounding::to_f64;
use crate::risk::RiskConfig;
use crate::strategy::StrategySpec;
use crate::types::time::{DAY_MS, HOUR_MS, MINUTE_MS, WEEK_MS};
use crate::types::{Symbol, Timestamp};
use crate::wallet::WalletError;

/// New settings; a field left `None` keeps its value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    /// The new budget (trading capital in the budget asset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Decimal>,
    /// The new risk settings, replacing the whole section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskConfig>,
    /// The new running time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_time: Option<RunningTime>,
}

/// How long a bot runs after its first start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunningTime {
    /// Until an operator stops it.
    UntilStopped,
    /// This many milliseconds after the first start.
    Millis(i64),
}

impl std::str::FromStr for RunningTime {
    type Err = ValidationError;

    /// `until-stopped`, or a whole number of minutes (`90m`), hours (`36h`), days (`14d`),
    /// weeks (`2w`) or months (`3mo`, 30 days each).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if matches!(text, "until-stopped" | "until_stopped") {
            return Ok(Self::UntilStopped);
        }
        let bad = |rule: &str| ValidationError::new("running time", text, rule);
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let unit_ms: i64 = match unit {
            "m" => MINUTE_MS,
            "h" => HOUR_MS,
            "d" => DAY_MS,
            "w" => WEEK_MS,
            "mo" => 30 * DAY_MS,
            _ => {
                return Err(bad(
                    "expected until-stopped or a duration such as 90m, 36h, 14d, 2w, 3mo",
                ));
            }
        };
        let count: i64 = number
            .parse()
            .map_err(|_| bad("needs a whole number before the unit"))?;
        if count <= 0 {
            return Err(bad("must be positive"));
        }
        count
            .checked_mul(unit_ms)
            .map(Self::Millis)
            .ok_or_else(|| bad("is too long"))
    }
}

impl RunningTime {
    /// The form [`super::BotConfig::running_time_ms`] keeps.
    #[must_use]
    pub fn as_limit_ms(self) -> Option<i64> {
        match self {
            Self::UntilStopped => None,
            Self::Millis(ms) => Some(ms),
        }
    }
}

impl SettingsUpdate {
    /// Whether nothing would change.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.budget.is_none() && self.risk.is_none() && self.running_time.is_none()
    }

    /// What changes, for the alert and the log: e.g. `budget 500 → 800, running time
    /// until stopped`.
    fn describe(&self, engine: &Engine) -> String {
        let mut parts = Vec::new();
        if let Some(budget) = self.budget {
            parts.push(format!("budget {} → {budget}", engine.wallet.budget()));
        }
        if self.risk.is_some() {
            parts.push("risk settings replaced".to_owned());
        }
        match self.running_time {
            Some(RunningTime::UntilStopped) => parts.push("running time until stopped".to_owned()),
            Some(RunningTime::Millis(ms)) => parts.push(format!("running time {ms} ms")),
            None => {}
        }
        parts.join(", ")
    }
}

impl Engine {
    /// Refuses settings that do not apply, before anything changes.
    pub(super) fn check_settings(
        &self,
        ts: Timestamp,
        update: &SettingsUpdate,
    ) -> Result<(), EngineError> {
        if update.is_empty() {
            return Err(invalid(
                "settings",
                "{}",
                "name at least one setting to change",
            ));
        }
        if let Some(budget) = update.budget {
            self.check_budget(budget)?;
        }
        if let Some(risk) = &update.risk {
            self.check_risk(risk)?;
        }
        if let Some(RunningTime::Millis(ms)) = update.running_time {
            if ms <= 0 {
                return Err(invalid("running_time_ms", ms, "must be positive"));
            }
            if let Some(started) = self.started
                && ts.0.saturating_sub(started.0) >= ms
            {
                return Err(invalid(
                    "running_time_ms",
                    ms,
                    format!(
                        "has already elapsed: the bot first started at {started}, {} ms ago",
                        ts.0.saturating_sub(started.0)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_budget(&self, budget: Decimal) -> Result<(), EngineError> {
        let rule = match self.wallet.check_budget(budget) {
            Ok(_) => return Ok(()),
            Err(WalletError::InsufficientFunds {
                needed,
                available,
                asset,
            }) => format!(
                "would take {needed} {asset} out of the bot, but only {available} is free \
                 (the rest is held in positions or reserved for open orders)"
            ),
            Err(WalletError::InvalidBudget(_)) => "must be positive".to_owned(),
            Err(other) => other.to_string(),
        };
        Err(invalid("budget", budget, rule))
    }

    fn check_risk(&self, risk: &RiskConfig) -> Result<(), EngineError> {
        let mut config = self.config.clone();
        config.risk = risk.clone();
        config.validate()?;
        let rotation = |r: &RiskConfig| r.breaker.as_ref().map(|b| b.rotation.clone());
        let new_rotation = rotation(risk).unwrap_or_default();
        if self.active != 0 && rotation(&self.config.risk).unwrap_or_default() != new_rotation {
            return Err(invalid(
                "risk.breaker.rotation",
                format!("{new_rotation:?}"),
                format!(
                    "cannot change while the rotation strategy {} trades",
                    self.candidates[self.active].name
                ),
            ));
        }
        for spec in &new_rotation {
            self.registry.build(spec)?;
        }
        Ok(())
    }

    /// Carries out checked settings.
    pub(super) fn apply_settings(&mut self, ts: Timestamp, update: &SettingsUpdate) {
        let what = update.describe(self);
        if let Some(budget) = update.budget {
            let before = to_f64(self.wallet.budget());
            // Checked by `check_budget`: positive, and no more taken out than is free.
            if self.wallet.set_budget(budget).is_ok() {
                self.limits.shift(to_f64(budget) - before);
                self.config.budget = budget;
            }
        }
        if let Some(risk) = &update.risk {
            if self.active == 0 {
                let configured: StrategySpec = self.candidates[0].clone();
                self.candidates = std::iter::once(configured)
                    .chain(risk.breaker.iter().flat_map(|b| b.rotation.iter().cloned()))
                    .collect();
            }
            self.config.risk = risk.clone();
            self.protects = risk.stop_loss.is_some()
                || risk.trailing_stop.is_some()
                || !risk.take_profit.is_empty();
            self.limited = risk.max_drawdown.is_some()
                || risk.daily_loss.is_some()
                || risk.weekly_loss.is_some();
            self.protect_holdings();
        }
        if let Some(running_time) = update.running_time {
            self.config.running_time_ms = running_time.as_limit_ms();
        }
        self.marks = Marks::of(&self.wallet, &self.instruments, self.protects);
        self.alert(
            ts,
            AlertLevel::Info,
            AlertCode::SettingsUpdated,
            format!("settings updated: {what}"),
        );
    }
}

impl Engine {
    /// Protections for what is held now, after the risk settings changed: none without a
    /// protection configured; otherwise every long position on a pair quoted in the budget
    /// asset gets one (if it has none yet), its trailing high starting at the average cost:
    /// a stop added while paused protects what was bought before, measured from what it
    /// cost.
    fn protect_holdings(&mut self) {
        if !self.protects {
            self.protections.clear();
            return;
        }
        let budget_asset = self.wallet.asset().clone();
        let held: Vec<(Symbol, Decimal, Decimal)> = self
            .instruments
            .values()
            .filter(|i| i.quote == budget_asset && self.asset_is_long(&i.base))
            .filter_map(|i| {
                let position = self.wallet.position(&i.base)?;
                Some((
                    i.symbol.clone(),
                    position.average_cost()?,
                    position.quantity(),
                ))
            })
            .collect();
        for (symbol, price, quantity) in held {
            self.protections
                .entry(symbol)
                .or_default()
                .on_entry(price, quantity);
        }
    }
}

fn invalid(field: &str, value: impl std::fmt::Display, rule: impl Into<String>) -> EngineError {
    EngineError::Config(ValidationError::new(field, value, rule))
}
