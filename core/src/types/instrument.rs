//! Instruments: what the exchange allows for one symbol.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::symbol::{Asset, Symbol};
use crate::error::ValidationError;

/// Most decimal places `rust_decimal` can carry with room for arithmetic.
const MAX_PRECISION: u32 = 18;

/// The trading rules of one spot symbol, as MEXC's `exchangeInfo` states them.
///
/// MEXC has no tick or lot filters (`filters` is always empty): prices and quantities are
/// limited by their number of decimals only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// The exchange symbol, e.g. `BTCUSDT`.
    pub symbol: Symbol,
    /// The asset bought and sold, e.g. `BTC`.
    pub base: Asset,
    /// The asset prices are quoted in, e.g. `USDT`.
    pub quote: Asset,
    /// Decimals allowed in a price (MEXC `quotePrecision`).
    pub price_precision: u32,
    /// Decimals allowed in a quantity (MEXC `baseAssetPrecision`).
    pub quantity_precision: u32,
    /// Smallest order quantity (MEXC `baseSizePrecision`; zero means no minimum).
    pub min_quantity: Decimal,
    /// Smallest order value in quote (MEXC `quoteAmountPrecision`).
    pub min_notional: Decimal,
    /// Maker fee rate, e.g. `0` for MEXC's default 0 %.
    pub maker_fee: Decimal,
    /// Taker fee rate, e.g. `0.0005` for MEXC's default 0.05 %.
    pub taker_fee: Decimal,
    /// Whether the exchange allows trading this symbol through the API
    /// (MEXC `isSpotTradingAllowed`).
    pub api_trading_allowed: bool,
}

impl Instrument {
    /// Checks every field; the error names the instrument, the field and the rule.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let field = |name: &str| format!("instrument {} {name}", self.symbol);
        if self.base == self.quote {
            return Err(ValidationError::new(
                field("base"),
                &self.base,
                "must differ from quote",
            ));
        }
        for (name, precision) in [
            ("price_precision", self.price_precision),
            ("quantity_precision", self.quantity_precision),
        ] {
            if precision > MAX_PRECISION {
                return Err(ValidationError::new(
                    field(name),
                    precision,
                    format!("must be at most {MAX_PRECISION}"),
                ));
            }
        }
        for (name, value) in [
            ("min_quantity", self.min_quantity),
            ("min_notional", self.min_notional),
            ("maker_fee", self.maker_fee),
            ("taker_fee", self.taker_fee),
        ] {
            if value.is_sign_negative() && !value.is_zero() {
                return Err(ValidationError::new(
                    field(name),
                    value,
                    "must not be negative",
                ));
            }
        }
        for (name, fee) in [("maker_fee", self.maker_fee), ("taker_fee", self.taker_fee)] {
            if fee >= Decimal::ONE {
                return Err(ValidationError::new(
                    field(name),
                    fee,
                    "is a rate and must be below 1 (0.0005 means 0.05 %)",
                ));
            }
        }
        Ok(())
    }

    /// The smallest price step, `10^-price_precision`.
    #[must_use]
    pub fn price_step(&self) -> Decimal {
        Decimal::new(1, self.price_precision)
    }

    /// The smallest quantity step, `10^-quantity_precision`.
    #[must_use]
    pub fn quantity_step(&self) -> Decimal {
        Decimal::new(1, self.quantity_precision)
    }
}

/// Builders of instruments for tests and examples.
#[cfg(any(test, feature = "stubs"))]
pub mod stubs {
    use super::{Asset, Decimal, Instrument, Symbol};

    /// BTCUSDT with MEXC's default fees (0 % maker, 0.05 % taker), 2 price and 6 quantity
    /// decimals, a 0.000001 BTC minimum quantity and a 1 USDT minimum notional.
    #[must_use]
    pub fn btcusdt() -> Instrument {
        Instrument {
            symbol: Symbol::new("BTCUSDT").expect("valid literal"),
            base: Asset::new("BTC").expect("valid literal"),
            quote: Asset::new("USDT").expect("valid literal"),
            price_precision: 2,
            quantity_precision: 6,
            min_quantity: Decimal::new(1, 6),
            min_notional: Decimal::ONE,
            maker_fee: Decimal::ZERO,
            taker_fee: Decimal::new(5, 4),
            api_trading_allowed: true,
        }
    }

    /// ETHBTC (quoted in BTC): 6 price and 4 quantity decimals, minimum 0.0001 ETH and
    /// 0.0001 BTC, MEXC's default fees.
    #[must_use]
    pub fn ethbtc() -> Instrument {
        Instrument {
            symbol: Symbol::new("ETHBTC").expect("valid literal"),
            base: Asset::new("ETH").expect("valid literal"),
            quote: Asset::new("BTC").expect("valid literal"),
            price_precision: 6,
            quantity_precision: 4,
            min_quantity: Decimal::new(1, 4),
            min_notional: Decimal::new(1, 4),
            ..btcusdt()
        }
    }

    /// ETHUSDT: like [`btcusdt`] with 4 quantity decimals and a 0.0001 ETH minimum.
    #[must_use]
    pub fn ethusdt() -> Instrument {
        Instrument {
            symbol: Symbol::new("ETHUSDT").expect("valid literal"),
            base: Asset::new("ETH").expect("valid literal"),
            quantity_precision: 4,
            min_quantity: Decimal::new(1, 4),
            ..btcusdt()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::stubs::btcusdt;
    use super::*;

    #[test]
    fn validation_names_the_field() {
        assert_eq!(btcusdt().validate(), Ok(()));
        let mut bad = btcusdt();
        bad.taker_fee = Decimal::new(5, 0);
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("instrument BTCUSDT taker_fee"), "{err}");
        let mut bad = btcusdt();
        bad.min_notional = Decimal::new(-1, 0);
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("min_notional")
        );
        let mut bad = btcusdt();
        bad.price_precision = 40;
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("price_precision")
        );
    }

    #[test]
    fn steps() {
        assert_eq!(btcusdt().price_step(), Decimal::new(1, 2));
        assert_eq!(btcusdt().quantity_step(), Decimal::new(1, 6));
    }
}
