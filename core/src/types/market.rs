//! Market data: bars, trades and the top of the book. Market data is `f64` (DESIGN.md §3).

use serde::{Deserialize, Serialize};

use super::symbol::Symbol;
use super::time::Timestamp;
use crate::error::ValidationError;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy the base asset with the quote asset.
    Buy,
    /// Sell the base asset for the quote asset.
    Sell,
}

impl Side {
    /// The other side.
    #[must_use]
    pub const fn opposite(self) -> Self {
        match self {
            Self::Buy => Self::Sell,
            Self::Sell => Self::Buy,
        }
    }
}

/// One OHLCV bar, stamped by its open time; complete at `ts + interval`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// Open time.
    pub ts: Timestamp,
    /// First traded price.
    pub open: f64,
    /// Highest traded price.
    pub high: f64,
    /// Lowest traded price.
    pub low: f64,
    /// Last traded price.
    pub close: f64,
    /// Traded base volume.
    pub volume: f64,
}

impl Bar {
    /// Checks the bar: finite, non-negative values and `low <= open, close <= high`.
    #[inline]
    pub fn validate(&self) -> Result<(), ValidationError> {
        // Every bar of a replay passes: one branch-free test first, the error (which names
        // the first broken rule) out of line. The test is `validate`'s rules rewritten
        // with nine float comparisons: `0 <= low`, `high < ∞` and `low <= open, close <=
        // high` put all four prices in `[0, ∞)` (a NaN fails every comparison), and the
        // volume is checked on its own. Written per value (`v.is_finite() && v >= 0.0`),
        // the checks compile to integer tests of the bits (so would `v < ∞` next to
        // `v >= 0`), several times the work: the volume is finite when `v · 0 == 0`.
        let prices_ok = (self.low >= 0.0)
            & (self.high < f64::INFINITY)
            & (self.low <= self.high)
            & (self.open >= self.low)
            & (self.open <= self.high)
            & (self.close >= self.low)
            & (self.close <= self.high);
        let volume_ok = (self.volume >= 0.0) & (self.volume * 0.0 == 0.0);
        if prices_ok & volume_ok {
            Ok(())
        } else {
            self.invalid()
        }
    }

    /// The error of a bar that breaks a rule (the first one, in `validate`'s order).
    #[cold]
    #[inline(never)]
    fn invalid(&self) -> Result<(), ValidationError> {
        let fields = [
            ("open", self.open),
            ("high", self.high),
            ("low", self.low),
            ("close", self.close),
            ("volume", self.volume),
        ];
        for (name, value) in fields {
            if !value.is_finite() || value < 0.0 {
                return Err(ValidationError::new(
                    format!("bar at {} {name}", self.ts),
                    value,
                    "must be finite and not negative",
                ));
            }
        }
        if self.low > self.high
            || self.open < self.low
            || self.open > self.high
            || self.close < self.low
            || self.close > self.high
        {
            return Err(ValidationError::new(
                format!("bar at {}", self.ts),
                format!(
                    "o={} h={} l={} c={}",
                    self.open, self.high, self.low, self.close
                ),
                "must satisfy low <= open, close <= high",
            ));
        }
        Ok(())
    }
}

/// One public trade.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    /// Trade time.
    pub ts: Timestamp,
    /// Trade price.
    pub price: f64,
    /// Base quantity.
    pub quantity: f64,
    /// Side of the aggressor (taker).
    pub aggressor: Side,
}

/// Best bid and ask.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BookTop {
    /// Time of the quote.
    pub ts: Timestamp,
    /// Best bid price.
    pub bid_price: f64,
    /// Quantity at the best bid.
    pub bid_quantity: f64,
    /// Best ask price.
    pub ask_price: f64,
    /// Quantity at the best ask.
    pub ask_quantity: f64,
}

impl BookTop {
    /// The mid price.
    #[must_use]
    pub fn mid(&self) -> f64 {
        (self.bid_price + self.ask_price) / 2.0
    }
}

/// A market-data item for one symbol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MarketData {
    /// A completed bar.
    Bar {
        /// Symbol of the bar.
        symbol: Symbol,
        /// The bar.
        bar: Bar,
    },
    /// A public trade.
    Trade {
        /// Symbol of the trade.
        symbol: Symbol,
        /// The trade.
        trade: Trade,
    },
    /// A top-of-book update.
    BookTop {
        /// Symbol of the quote.
        symbol: Symbol,
        /// The quote.
        book: BookTop,
    },
}

impl MarketData {
    /// The symbol the item belongs to.
    #[must_use]
    pub fn symbol(&self) -> &Symbol {
        match self {
            Self::Bar { symbol, .. }
            | Self::Trade { symbol, .. }
            | Self::BookTop { symbol, .. } => symbol,
        }
    }

    /// The item's timestamp.
    #[must_use]
    pub fn ts(&self) -> Timestamp {
        match self {
            Self::Bar { bar, .. } => bar.ts,
            Self::Trade { trade, .. } => trade.ts,
            Self::BookTop { book, .. } => book.ts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(o: f64, h: f64, l: f64, c: f64) -> Bar {
        Bar {
            ts: Timestamp(0),
            open: o,
            high: h,
            low: l,
            close: c,
            volume: 1.0,
        }
    }

    #[test]
    fn bar_validation() {
        assert!(bar(10.0, 12.0, 9.0, 11.0).validate().is_ok());
        assert!(bar(10.0, 9.0, 12.0, 11.0).validate().is_err());
        assert!(bar(13.0, 12.0, 9.0, 11.0).validate().is_err());
        let err = bar(f64::NAN, 12.0, 9.0, 11.0)
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("open"), "{err}");
        assert_eq!(Side::Buy.opposite(), Side::Sell);
    }

    /// The rules as written: each value finite and not negative, `low <= open, close <=
    /// high`.
    fn valid_by_rule(b: &Bar) -> bool {
        [b.open, b.high, b.low, b.close, b.volume]
            .iter()
            .all(|v| v.is_finite() && *v >= 0.0)
            && b.low <= b.high
            && b.open >= b.low
            && b.open <= b.high
            && b.close >= b.low
            && b.close <= b.high
    }

    #[test]
    fn the_fast_check_is_the_rule() {
        let specials = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.0,
            -0.0,
            0.0,
            1.0,
            2.0,
            3.0,
            f64::MAX,
        ];
        let mut checked = 0;
        for &open in &specials {
            for &high in &specials {
                for &low in &specials {
                    for &close in &specials {
                        for &volume in &specials[..7] {
                            let b = Bar {
                                ts: Timestamp(0),
                                open,
                                high,
                                low,
                                close,
                                volume,
                            };
                            assert_eq!(b.validate().is_ok(), valid_by_rule(&b), "{b:?}");
                            checked += usize::from(b.validate().is_ok());
                        }
                    }
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }
}
