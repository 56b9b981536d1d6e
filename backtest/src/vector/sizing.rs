//! Order quantities: entry sizing for signals, rebalancing for target exposure, and the
//! instrument's minimums.

use super::config::Sizing;
use super::precision::Grid;

/// Why an order was not sent. Counted in [`Refusals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The quantity rounds to zero or below the minimum quantity.
    MinQuantity,
    /// The notional is below the minimum notional.
    MinNotional,
    /// A fixed quote amount above the free cash.
    Cash,
    /// The fill price rounds to zero on the price grid.
    ZeroPrice,
}

/// Orders the simulator did not send, by reason (the run goes on without them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Refusals {
    /// Quantity zero or below the instrument's minimum quantity.
    pub below_min_quantity: usize,
    /// Notional below the instrument's minimum notional.
    pub below_min_notional: usize,
    /// A fixed quote amount larger than the free cash.
    pub insufficient_cash: usize,
    /// A fill price that rounds to zero on the instrument's price grid.
    pub zero_price: usize,
}

impl Refusals {
    /// Counts one refusal.
    pub(crate) fn count(&mut self, refusal: Refusal) {
        match refusal {
            Refusal::MinQuantity => self.below_min_quantity += 1,
            Refusal::MinNotional => self.below_min_notional += 1,
            Refusal::Cash => self.insufficient_cash += 1,
            Refusal::ZeroPrice => self.zero_price += 1,
        }
    }

    /// All refusals.
    #[must_use]
    pub fn total(&self) -> usize {
        self.below_min_quantity + self.below_min_notional + self.insufficient_cash + self.zero_price
    }
}

/// The instrument's order rules in `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rules {
    pub(crate) grid: Grid,
    pub(crate) min_quantity: f64,
    pub(crate) min_notional: f64,
}

impl Rules {
    /// Refuses a quantity below the minimums at `price`.
    #[inline]
    pub(crate) fn check(&self, quantity: f64, price: f64) -> Result<(), Refusal> {
        if quantity <= 0.0 || quantity < self.min_quantity {
            Err(Refusal::MinQuantity)
        } else if quantity * price < self.min_notional {
            Err(Refusal::MinNotional)
        } else {
            Ok(())
        }
    }

    /// Refuses a market buy of the quote `amount` the way the engine's risk gate does: the
    /// amount against the minimum notional, `amount / reference` (the last price the
    /// decision saw) against the minimum quantity.
    #[inline]
    pub(crate) fn check_buy(&self, amount: f64, reference: f64) -> Result<(), Refusal> {
        let quantity = amount / reference;
        if amount <= 0.0 || quantity < self.min_quantity {
            Err(Refusal::MinQuantity)
        } else if amount < self.min_notional {
            Err(Refusal::MinNotional)
        } else {
            Ok(())
        }
    }

    /// The quote amount a market buy with `budget` (fee included) sends, as the engine's
    /// risk gate sizes it: `budget / (1 + fee)` rounded down to the price precision (MEXC
    /// `quoteOrderQty`), so the fee fits in the budget.
    #[inline]
    pub(crate) fn buy_amount(&self, budget: f64, fee: f64) -> f64 {
        self.grid.amount_down(budget / (1.0 + fee))
    }

    /// The quantity a market buy of the quote `amount` gets at `price`: the whole steps it
    /// pays for, as the exchange fills a `quoteOrderQty` order.
    #[inline]
    pub(crate) fn quantity_for(&self, amount: f64, price: f64) -> f64 {
        self.grid.quantity_down(amount / price)
    }
}

/// The budget (quote, fee included) an entry signal spends with `cash` free and no
/// position.
#[inline]
pub(crate) fn entry_budget(sizing: Sizing, cash: f64) -> Result<f64, Refusal> {
    match sizing {
        Sizing::AllIn => Ok(cash),
        Sizing::FixedQuote(q) if q > cash => Err(Refusal::Cash),
        Sizing::FixedQuote(q) => Ok(q),
        // Flat, so equity is the cash.
        Sizing::FractionOfEquity(f) => Ok((f * cash).min(cash)),
    }
}

/// A rebalance toward a target exposure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Rebalance {
    /// Buy with this budget (quote, fee included).
    Buy(f64),
    /// Sell this quantity (rounded down to the step, at most the position).
    Sell(f64),
    /// Sell the whole position.
    SellAll,
    /// Nothing to do.
    Hold,
}

/// The order that moves a position of `held` toward `target`, a fraction of the equity
/// `cash + held · price` at the market price `price` (before slippage). A buy spends the
/// gap between the target value and the current value, fee included, and never more than
/// the cash; a sell sells the gap's quantity at `price`, rounded down to the step; a
/// target of 0 sells everything.
#[inline]
pub(crate) fn rebalance(target: f64, rules: &Rules, cash: f64, held: f64, price: f64) -> Rebalance {
    let value = held * price;
    let wanted = target * (cash + value);
    if target == 0.0 {
        if held > 0.0 {
            Rebalance::SellAll
        } else {
            Rebalance::Hold
        }
    } else if wanted > value {
        Rebalance::Buy((wanted - value).min(cash))
    } else if wanted < value {
        Rebalance::Sell(rules.grid.quantity_down((value - wanted) / price).min(held))
    } else {
        Rebalance::Hold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            grid: Grid::new(2, 3),
            min_quantity: 0.001,
            min_notional: 5.0,
        }
    }

    #[test]
    fn entry_sizes() {
        let r = rules();
        assert_eq!(entry_budget(Sizing::AllIn, 1000.0), Ok(1000.0));
        assert_eq!(entry_budget(Sizing::FixedQuote(250.0), 1000.0), Ok(250.0));
        assert_eq!(
            entry_budget(Sizing::FixedQuote(2000.0), 1000.0),
            Err(Refusal::Cash)
        );
        assert_eq!(
            entry_budget(Sizing::FractionOfEquity(0.25), 1000.0),
            Ok(250.0)
        );
        // All in: 1000 / 1.0005 = 999.5002… → 999.50 quote, which buys 9.995 at 100.
        let amount = r.buy_amount(1000.0, 0.0005);
        assert_eq!(amount, 999.5);
        assert_eq!(r.quantity_for(amount, 100.0), 9.995);
        // Two roundings, as the engine and the exchange do them: 10 / 1.0005 = 9.99500… →
        // 9.99 quote buys 4.995 at 2; one rounding (10 / (2 · 1.0005) = 4.99750…) would
        // buy 4.997.
        let amount = r.buy_amount(10.0, 0.0005);
        assert_eq!(amount, 9.99);
        assert_eq!(r.quantity_for(amount, 2.0), 4.995);
    }

    #[test]
    fn buys_are_checked_as_quote_amounts_at_the_reference_price() {
        let r = rules();
        assert_eq!(r.check_buy(4.99, 100.0), Err(Refusal::MinNotional));
        assert_eq!(r.check_buy(0.09, 100.0), Err(Refusal::MinQuantity));
        assert_eq!(r.check_buy(0.0, 100.0), Err(Refusal::MinQuantity));
        assert_eq!(r.check_buy(5.0, 100.0), Ok(()));
    }

    #[test]
    fn minimums() {
        let r = rules();
        assert_eq!(r.check(0.0, 100.0), Err(Refusal::MinQuantity));
        assert_eq!(r.check(0.0009, 100_000.0), Err(Refusal::MinQuantity));
        assert_eq!(r.check(0.04, 100.0), Err(Refusal::MinNotional));
        assert_eq!(r.check(0.05, 100.0), Ok(()));
    }

    #[test]
    fn rebalances() {
        let r = rules();
        assert_eq!(
            rebalance(0.5, &r, 1000.0, 0.0, 100.0),
            Rebalance::Buy(500.0)
        );
        // Holding 5 at 100 with 500 cash: equity 1000, 80 % is 800, buy 300 of value.
        assert_eq!(rebalance(0.8, &r, 500.0, 5.0, 100.0), Rebalance::Buy(300.0));
        // Never more than the cash.
        assert_eq!(rebalance(1.0, &r, 100.0, 9.0, 100.0), Rebalance::Buy(100.0));
        assert_eq!(rebalance(0.2, &r, 500.0, 5.0, 100.0), Rebalance::Sell(3.0));
        assert_eq!(rebalance(0.0, &r, 500.0, 5.0, 100.0), Rebalance::SellAll);
        assert_eq!(rebalance(0.0, &r, 500.0, 0.0, 100.0), Rebalance::Hold);
        assert_eq!(rebalance(0.5, &r, 500.0, 5.0, 100.0), Rebalance::Hold);
    }
}
