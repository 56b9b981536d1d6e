//! The one bridge from `f64` signals to `Decimal` order values (DESIGN.md §3).
//!
//! Rules:
//! - A price is rounded to the instrument's price precision, half away from zero.
//! - A quantity (or a quote amount to spend) is rounded **down** to its precision, so an
//!   order never asks for more than the signal allowed.
//! - Before rounding down, the `f64` is first snapped to 15 significant digits (what an
//!   `f64` can faithfully carry), so representation noise such as `2.9999999999999996`
//!   becomes `3` instead of being truncated to `2.99` — the bug Nautilus recorded when
//!   converting by truncation.
//! - Non-finite or negative inputs are errors, never silently repaired.

use std::cell::Cell;

use rust_decimal::{Decimal, RoundingStrategy};
use thiserror::Error;

use super::convert::{decimal_from_f64, decimal_to_f64};
use crate::types::Instrument;

/// Significant digits an `f64` carries faithfully.
const F64_SIGNIFICANT_DIGITS: u32 = 15;

/// A value that cannot become an order value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RoundingError {
    /// NaN or infinite.
    #[error("{what} is not a finite number ({value})")]
    NotFinite {
        /// Which value (`price`, `quantity`, `quote amount`).
        what: &'static str,
        /// The value as text.
        value: String,
    },
    /// Below zero.
    #[error("{what} must not be negative, got {value}")]
    Negative {
        /// Which value.
        what: &'static str,
        /// The value as text.
        value: String,
    },
    /// Too large for a decimal.
    #[error("{what} {value} is outside the decimal range")]
    OutOfRange {
        /// Which value.
        what: &'static str,
        /// The value as text.
        value: String,
    },
}

thread_local! {
    /// The last conversion of [`from_f64`]: the `f64`'s bits and its decimal.
    static LAST_CONVERSION: Cell<Option<(u64, Option<Decimal>)>> = const { Cell::new(None) };
}

/// `Decimal::from_f64(value)`, remembering the last conversion (per thread): the very same
/// decimal, value and scale, since the conversion depends on the `f64`'s bits alone.
///
/// The conversion ([`decimal_from_f64`], the library's steps on one `u128`) still walks
/// the binary exponent, and a price is often converted twice in a row: the risk gate
/// sizes a market order at the last close, and the exchange fills it at the next open,
/// which is that close whenever the market did not gap.
#[must_use]
pub fn from_f64(value: f64) -> Option<Decimal> {
    let bits = value.to_bits();
    LAST_CONVERSION.with(|last| {
        if let Some((seen, decimal)) = last.get()
            && seen == bits
        {
            return decimal;
        }
        let decimal = decimal_from_f64(value);
        last.set(Some((bits, decimal)));
        decimal
    })
}

fn checked_decimal(what: &'static str, value: f64) -> Result<Decimal, RoundingError> {
    if !value.is_finite() {
        return Err(RoundingError::NotFinite {
            what,
            value: value.to_string(),
        });
    }
    if value < 0.0 {
        return Err(RoundingError::Negative {
            what,
            value: value.to_string(),
        });
    }
    let decimal = from_f64(value).ok_or_else(|| RoundingError::OutOfRange {
        what,
        value: value.to_string(),
    })?;
    Ok(decimal.round_sf(F64_SIGNIFICANT_DIGITS).unwrap_or(decimal))
}

/// A price rounded to `precision` decimals, half away from zero.
pub fn price(value: f64, precision: u32) -> Result<Decimal, RoundingError> {
    let d = checked_decimal("price", value)?;
    Ok(d.round_dp_with_strategy(precision, RoundingStrategy::MidpointAwayFromZero))
}

/// A base quantity rounded down to `precision` decimals.
pub fn quantity_down(value: f64, precision: u32) -> Result<Decimal, RoundingError> {
    let d = checked_decimal("quantity", value)?;
    Ok(d.round_dp_with_strategy(precision, RoundingStrategy::ToZero))
}

/// A quote amount rounded down to `precision` decimals.
pub fn quote_down(value: f64, precision: u32) -> Result<Decimal, RoundingError> {
    let d = checked_decimal("quote amount", value)?;
    Ok(d.round_dp_with_strategy(precision, RoundingStrategy::ToZero))
}

/// A decimal quantity rounded down to `precision` decimals.
#[must_use]
pub fn decimal_down(value: Decimal, precision: u32) -> Decimal {
    value.round_dp_with_strategy(precision, RoundingStrategy::ToZero)
}

/// A decimal as `f64`, for analytics only (never for order values).
#[must_use]
pub fn to_f64(value: Decimal) -> f64 {
    // `value.to_f64()`, bit for bit, without its 128-bit divisions.
    decimal_to_f64(value)
}

impl Instrument {
    /// `value` as a price of this instrument (rounded to its price precision).
    pub fn round_price(&self, value: f64) -> Result<Decimal, RoundingError> {
        price(value, self.price_precision)
    }

    /// `value` as a quantity of this instrument (rounded down to its quantity precision).
    pub fn round_quantity(&self, value: f64) -> Result<Decimal, RoundingError> {
        quantity_down(value, self.quantity_precision)
    }

    /// A decimal quantity rounded down to this instrument's quantity precision.
    #[must_use]
    pub fn round_quantity_decimal(&self, value: Decimal) -> Decimal {
        decimal_down(value, self.quantity_precision)
    }

    /// `value` as a quote amount to spend (rounded down to the price precision).
    pub fn round_quote(&self, value: f64) -> Result<Decimal, RoundingError> {
        quote_down(value, self.price_precision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::prelude::FromPrimitive;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn remembered_conversions_are_the_conversions() {
        let values = [
            49970.61,
            49970.61,
            0.1,
            1.0,
            1.0,
            0.0,
            -0.0,
            3e-30,
            1e28,
            1e29,
            f64::NAN,
            0.1,
            -2.5,
            1e-7,
            1e-7,
            123_456.789_012_345_6,
        ];
        for value in values.into_iter().chain(values.into_iter().rev()) {
            assert_eq!(
                from_f64(value).map(|d| d.serialize()),
                Decimal::from_f64(value).map(|d| d.serialize()),
                "{value}"
            );
        }
    }

    #[test]
    fn quantity_rounds_down_without_representation_noise() {
        assert_eq!(quantity_down(0.3, 1).unwrap(), dec("0.3"));
        assert_eq!(quantity_down(0.1 + 0.2, 1).unwrap(), dec("0.3"));
        assert_eq!(quantity_down(2.999_999_999_999_999_6, 2).unwrap(), dec("3"));
        assert_eq!(quantity_down(0.299_999_99, 2).unwrap(), dec("0.29"));
        assert_eq!(quantity_down(1.239_999, 3).unwrap(), dec("1.239"));
        // Meme-coin sized quantities keep their digits.
        assert_eq!(
            quantity_down(12_345_678_901.9, 0).unwrap(),
            dec("12345678901")
        );
    }

    #[test]
    fn price_rounds_to_nearest() {
        assert_eq!(price(100.005, 2).unwrap(), dec("100.01"));
        assert_eq!(price(100.0049, 2).unwrap(), dec("100"));
        assert_eq!(price(0.000_012_345_67, 10).unwrap(), dec("0.0000123457"));
    }

    #[test]
    fn bad_values_are_errors_that_say_what() {
        let err = price(f64::NAN, 2).unwrap_err();
        assert!(
            err.to_string().starts_with("price is not a finite number"),
            "{err}"
        );
        let err = quantity_down(-1.0, 2).unwrap_err();
        assert!(
            err.to_string().contains("quantity must not be negative"),
            "{err}"
        );
        assert!(matches!(
            quote_down(1e300, 2),
            Err(RoundingError::OutOfRange { .. })
        ));
        assert!(matches!(
            price(f64::INFINITY, 2),
            Err(RoundingError::NotFinite { .. })
        ));
    }
}
