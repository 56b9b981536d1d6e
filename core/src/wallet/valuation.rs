//! What one unit of an asset is worth in the budget asset, from the last prices.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::types::{Asset, Instrument, Symbol};

/// The bot's pair of `asset` against `budget` (e.g. BTCUSDT for BTC in a USDT bot).
#[must_use]
pub fn budget_pair<'a>(
    asset: &Asset,
    budget: &Asset,
    instruments: &'a BTreeMap<Symbol, Instrument>,
) -> Option<&'a Instrument> {
    instruments
        .values()
        .find(|i| &i.base == asset && &i.quote == budget)
}

/// The last price of one unit of `asset` in `budget` as `f64` (analytics): 1 for the budget
/// asset itself, else the last price of its [`budget_pair`]. `None` when the bot trades no
/// such pair or has no price for it yet.
#[must_use]
pub fn price_of(
    asset: &Asset,
    budget: &Asset,
    instruments: &BTreeMap<Symbol, Instrument>,
    last_prices: &BTreeMap<Symbol, f64>,
) -> Option<f64> {
    if asset == budget {
        return Some(1.0);
    }
    let pair = budget_pair(asset, budget, instruments)?;
    last_prices.get(&pair.symbol).copied()
}

/// [`price_of`] as a decimal (for sizing and the ledger's valuations); `None` also for a
/// price that is not a positive number.
#[must_use]
pub fn value_of(
    asset: &Asset,
    budget: &Asset,
    instruments: &BTreeMap<Symbol, Instrument>,
    last_prices: &BTreeMap<Symbol, f64>,
) -> Option<Decimal> {
    if asset == budget {
        // `Decimal::from_f64(1.0)`, which is exactly `Decimal::ONE` (value and scale;
        // tested), without the conversion: fills in the budget asset ask for it each time.
        return Some(Decimal::ONE);
    }
    let price = price_of(asset, budget, instruments, last_prices)?;
    crate::money::rounding::from_f64(price).filter(|p| *p > Decimal::ZERO)
}

#[cfg(test)]
mod tests {
    use rust_decimal::prelude::FromPrimitive;

    use super::*;

    #[test]
    fn the_budget_asset_is_worth_the_converted_one() {
        let one = Decimal::from_f64(1.0).filter(|p| *p > Decimal::ZERO);
        assert_eq!(
            one.map(|d| d.serialize()),
            Some(Decimal::ONE.serialize()),
            "from_f64(1.0) must be ONE, value and scale"
        );
        let usdt = Asset::new("USDT").unwrap();
        let value = value_of(&usdt, &usdt, &BTreeMap::new(), &BTreeMap::new());
        assert_eq!(value.map(|d| d.serialize()), one.map(|d| d.serialize()));
    }
}
