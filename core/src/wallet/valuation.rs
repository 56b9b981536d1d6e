//! What one unit of an asset is worth in the budget asset, from the last prices.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::types::{Asset, Instrument, Symbol};

/// The value of one unit of `asset` in `budget`: 1 for the budget asset itself, else the
/// last price of the bot's pair `asset`/`budget` (e.g. BTCUSDT for BTC in USDT). `None`
/// when the bot trades no such pair or has no price for it yet.
#[must_use]
pub fn value_of(
    asset: &Asset,
    budget: &Asset,
    instruments: &BTreeMap<Symbol, Instrument>,
    last_prices: &BTreeMap<Symbol, f64>,
) -> Option<Decimal> {
    if asset == budget {
        return Some(Decimal::ONE);
    }
    let pair = instruments
        .values()
        .find(|i| &i.base == asset && &i.quote == budget)?;
    let price = last_prices.get(&pair.symbol)?;
    Decimal::from_f64(*price).filter(|p| *p > Decimal::ZERO)
}
