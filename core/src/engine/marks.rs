//! The wallet's numbers the per-bar risk checks read, converted once per fill.
//!
//! The loss limits mark the equity on every market event, and the protections compare each
//! bar with the position's average cost. Both read decimals that change only when a fill
//! is booked (cash, profit reserve, quantities, cost bases), so converting them to `f64` on
//! every event — and dividing the cost basis by the quantity — was most of a bar's work.
//! [`Marks`] keeps those conversions, rebuilt from the wallet after every fill; the numbers
//! are the very same `f64`s the checks computed before.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::money::rounding::to_f64;
use crate::types::{Asset, Instrument, Symbol};
use crate::wallet::Wallet;
use crate::wallet::valuation::budget_pair;

/// Where a position's price in the budget asset comes from.
#[derive(Debug, Clone, PartialEq)]
enum PriceSource {
    /// The budget asset itself: 1.
    Budget,
    /// The last price of this pair (the asset's [`budget_pair`]).
    Pair(Symbol),
    /// The bot trades no such pair: no price.
    None,
}

/// One position's converted numbers.
#[derive(Debug, Clone, PartialEq)]
struct PositionMark {
    asset: Asset,
    source: PriceSource,
    /// `to_f64(quantity)`.
    quantity: f64,
    /// `to_f64(cost_basis)`.
    cost_basis: f64,
    /// The average cost (`None` when flat, or not asked for) and it as `f64`.
    average_cost: Option<(Decimal, f64)>,
}

/// The wallet's numbers as of its last change, in the order of `Wallet::positions`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Marks {
    /// `to_f64(cash + profit_reserve)`.
    capital: f64,
    positions: Vec<PositionMark>,
}

impl Marks {
    /// The numbers of `wallet` now (call again after every change to it); the average
    /// costs (a decimal division per position, read by the protections only) when
    /// `with_costs`.
    pub(super) fn of(
        wallet: &Wallet,
        instruments: &BTreeMap<Symbol, Instrument>,
        with_costs: bool,
    ) -> Self {
        let mut marks = Self::default();
        marks.rebuild(wallet, instruments, with_costs);
        marks
    }

    /// Makes these the numbers of `wallet` now ([`Marks::of`] without a new allocation:
    /// the engine rebuilds them after every fill).
    pub(super) fn rebuild(
        &mut self,
        wallet: &Wallet,
        instruments: &BTreeMap<Symbol, Instrument>,
        with_costs: bool,
    ) {
        let budget = wallet.asset();
        self.positions.clear();
        let positions = wallet.positions().iter().map(|(asset, p)| {
            let source = if asset == budget {
                PriceSource::Budget
            } else {
                budget_pair(asset, budget, instruments)
                    .map_or(PriceSource::None, |i| PriceSource::Pair(i.symbol.clone()))
            };
            PositionMark {
                asset: asset.clone(),
                source,
                quantity: to_f64(p.quantity()),
                cost_basis: to_f64(p.cost_basis()),
                average_cost: p
                    .average_cost()
                    .filter(|_| with_costs)
                    .map(|a| (a, to_f64(a))),
            }
        });
        self.positions.extend(positions);
        self.capital = to_f64(wallet.cash() + wallet.profit_reserve());
    }

    /// Equity at `last_prices` as `f64`: capital plus each position at its price in the
    /// budget asset (`wallet::valuation::price_of`), or at its cost basis without one —
    /// the same operations, in the same order, as converting the wallet afresh.
    pub(super) fn equity(&self, last_prices: &BTreeMap<Symbol, f64>) -> f64 {
        let positions: f64 = self
            .positions
            .iter()
            .map(|p| {
                let price = match &p.source {
                    PriceSource::Budget => Some(1.0),
                    PriceSource::Pair(symbol) => last_prices.get(symbol).copied(),
                    PriceSource::None => None,
                };
                match price {
                    Some(price) => p.quantity * price,
                    None => p.cost_basis,
                }
            })
            .sum();
        self.capital + positions
    }

    /// `to_f64(cash + profit_reserve)`.
    pub(super) fn capital(&self) -> f64 {
        self.capital
    }

    /// The average cost of the position in `asset` (and it as `f64`), `None` when flat or
    /// never opened.
    pub(super) fn average_cost(&self, asset: &Asset) -> Option<(Decimal, f64)> {
        self.positions
            .iter()
            .find(|p| &p.asset == asset)
            .and_then(|p| p.average_cost)
    }
}
