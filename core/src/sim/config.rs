//! The simulated exchange's settings and errors.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error::ValidationError;
use crate::types::{Symbol, Timestamp};

/// When an order that reaches the exchange while bar `i` is handled gets its price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillTiming {
    /// At the open of the symbol's next bar (no fill when there is none). The default: a
    /// decision made at bar `i`'s close cannot trade before bar `i + 1` starts.
    #[default]
    NextOpen,
    /// At the close of the bar being handled (the signal bar's close).
    ThisClose,
}

/// Whether a bar that reaches a resting limit order's price exactly, without trading
/// beyond it, fills the order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TouchRule {
    /// The bar must trade through the price (a buy needs `low < price`, a sell
    /// `high > price`). The default: at a price that was only touched, the orders queued
    /// ahead of ours may have taken all the volume traded there.
    #[default]
    Through,
    /// Reaching the price is enough (`low <= price`, `high >= price`).
    Touch,
}

/// The asset fees are charged in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeAsset {
    /// Always the quote asset, on the fill's notional (the backtester's rule, so both
    /// tiers book fees alike).
    #[default]
    Quote,
    /// The asset received: base on buys (from the quantity bought), quote on sells — what
    /// MEXC does without MX deduction.
    Received,
}

/// How the simulated exchange fills orders. Fee rates and precision come from each
/// [`Instrument`](crate::types::Instrument) (MEXC's defaults: maker 0 %, taker 0.05 %).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// When market orders (and limit orders on arrival) get their price.
    pub timing: FillTiming,
    /// Whether touching a resting limit's price is enough to fill it.
    pub touch: TouchRule,
    /// Most of a bar's base volume one order may fill on that bar, as a share in `(0, 1]`;
    /// the rest keeps working on later bars. `None`: no cap.
    pub volume_cap: Option<f64>,
    /// Slippage of taker fills in basis points (`>= 0`): buys pay `×(1 + bps/10⁴)`, sells
    /// get `×(1 − bps/10⁴)`, then the price is rounded to the instrument's tick. Resting
    /// limit orders fill at their price, without slippage.
    pub slippage_bps: f64,
    /// The asset fees are charged in.
    pub fee_asset: FeeAsset,
}

impl Default for SimConfig {
    /// Next open, through-only limit fills, no volume cap, no slippage, fees in quote.
    fn default() -> Self {
        Self {
            timing: FillTiming::NextOpen,
            touch: TouchRule::Through,
            volume_cap: None,
            slippage_bps: 0.0,
            fee_asset: FeeAsset::Quote,
        }
    }
}

impl SimConfig {
    /// Checks the settings; the error names the key.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(cap) = self.volume_cap
            && !(cap.is_finite() && cap > 0.0 && cap <= 1.0)
        {
            return Err(ValidationError::new(
                "exchange.volume_cap",
                cap,
                "must be a share in (0, 1] of each bar's volume",
            ));
        }
        if !(self.slippage_bps.is_finite() && self.slippage_bps >= 0.0 && self.slippage_bps < 1e4) {
            return Err(ValidationError::new(
                "exchange.slippage_bps",
                self.slippage_bps,
                "must be finite, at least 0 and below 10000 basis points",
            ));
        }
        Ok(())
    }
}

/// Input the simulated exchange cannot use. Its state is unchanged after one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SimError {
    /// Invalid settings or instruments.
    #[error("invalid simulated exchange setup: {0}")]
    Config(#[from] ValidationError),
    /// Two instruments with one symbol.
    #[error("instrument {0} is listed twice")]
    DuplicateInstrument(Symbol),
    /// A bar of a symbol the exchange does not list.
    #[error("bar for {0}, which the simulated exchange does not list")]
    UnknownSymbol(Symbol),
    /// A bar that breaks the bar rules (non-finite or negative values, low above high...).
    #[error("invalid bar of {symbol}: {error}")]
    InvalidBar {
        /// The symbol.
        symbol: Symbol,
        /// What is wrong with it.
        error: ValidationError,
    },
    /// Bars of one symbol must come in time order, one per timestamp.
    #[error("bar of {symbol} at {got} does not follow the previous bar at {last}")]
    OutOfOrder {
        /// The symbol.
        symbol: Symbol,
        /// The previous bar's open time.
        last: Timestamp,
        /// This bar's open time.
        got: Timestamp,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_by_key() {
        assert_eq!(SimConfig::default().validate(), Ok(()));
        let bad = SimConfig {
            volume_cap: Some(1.5),
            ..SimConfig::default()
        };
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.starts_with("exchange.volume_cap \"1.5\""), "{err}");
        let bad = SimConfig {
            slippage_bps: -1.0,
            ..SimConfig::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("slippage_bps")
        );
        let toml = "timing = \"this_close\"\nvolume_cap = 0.1\n";
        let parsed: SimConfig = toml::from_str(toml).unwrap();
        assert_eq!(parsed.timing, FillTiming::ThisClose);
        assert_eq!(parsed.volume_cap, Some(0.1));
        assert_eq!(parsed.touch, TouchRule::Through);
    }
}
