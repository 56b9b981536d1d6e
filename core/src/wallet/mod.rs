//! The virtual wallet of one bot: a budget cap in its budget asset (e.g. USDT),
//! reservations for open orders, a position per held asset with FIFO lots, and fees in
//! whatever asset the exchange charged them.
//!
//! Money rules (DESIGN.md §2):
//! - The bot starts with `budget` of trading capital (`cash`, in the budget asset).
//! - Profits are added to the capital only when `compound` is on. Otherwise the net
//!   realized profit is kept in `profit_reserve`, out of reach of new orders (moved there
//!   as the cash it ends up in arrives); a loss is paid from that reserve first and
//!   reduces the capital only once the reserve is empty. So the capital never exceeds the
//!   budget, and equal wins and losses leave it where it started.
//! - Every buy reserves its worst-case cost in the asset it pays with before it is sent;
//!   nothing may be reserved beyond what is free in that asset.
//! - A base-asset fee reduces the base received (buy) or adds to the base given up (sell),
//!   so exits are sized from what is really held. A fee in a third asset (such as MX) is
//!   recorded in `fees` and does not touch the capital.
//!
//! Positions are kept per **asset**, not per symbol: BTC bought on BTCUSDT and spent on
//! ETHBTC is one BTC position. Lots are costed in the budget asset; a trade on a pair
//! quoted in another asset (ETHBTC) is valued at that asset's price in the budget asset
//! (`quote_value`), so paying with BTC is a disposal of BTC lots at their market value —
//! the way a crypto-to-crypto trade is booked for tax.

pub mod position;
pub mod valuation;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use position::{ClosedLot, LEDGER_SCALE, Lot, Position, PositionError};
pub use valuation::value_of;

use crate::types::{Asset, Fill, Instrument, Side, Symbol};

/// A wallet operation that cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WalletError {
    /// The budget must be positive.
    #[error("wallet budget must be positive, got {0}")]
    InvalidBudget(Decimal),
    /// Not enough free capital.
    #[error("insufficient funds: {needed} {asset} needed, {available} available")]
    InsufficientFunds {
        /// Amount asked for.
        needed: Decimal,
        /// Amount free.
        available: Decimal,
        /// The wallet's asset.
        asset: Asset,
    },
    /// Releasing more than is reserved.
    #[error("cannot release {requested} {asset}: only {reserved} is reserved")]
    ReleaseExceedsReserved {
        /// Amount asked to release.
        requested: Decimal,
        /// Amount reserved.
        reserved: Decimal,
        /// The asset.
        asset: Asset,
    },
    /// A fill on a pair quoted in another asset, without that asset's value.
    #[error("fill {trade_id} on {symbol}: no positive value of {quote} in {wallet} to book it")]
    NoValuation {
        /// Exchange trade id.
        trade_id: String,
        /// The instrument.
        symbol: Symbol,
        /// Its quote asset.
        quote: Asset,
        /// The wallet's asset.
        wallet: Asset,
    },
    /// The fill does not belong to the instrument given.
    #[error("fill {trade_id} is for {fill_symbol}, not {symbol}")]
    SymbolMismatch {
        /// Exchange trade id.
        trade_id: String,
        /// Symbol on the fill.
        fill_symbol: Symbol,
        /// Symbol of the instrument given.
        symbol: Symbol,
    },
    /// A fill with a non-positive price or quantity, or a negative fee.
    #[error("fill {trade_id}: {what} is invalid ({value})")]
    InvalidFill {
        /// Exchange trade id.
        trade_id: String,
        /// Which field.
        what: &'static str,
        /// The value.
        value: Decimal,
    },
    /// The position could not take the change.
    #[error(transparent)]
    Position(#[from] PositionError),
}

/// What a fill did to the wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillEffect {
    /// Base quantity added (buy) or removed (sell), fees included.
    pub base_change: Decimal,
    /// Quote quantity change, fees included (negative for a buy), in the quote asset.
    pub quote_change: Decimal,
    /// Realized P&L (in the budget asset) of what the fill disposed of: the base sold, or
    /// the non-budget quote asset paid with.
    pub realized_pnl: Option<Decimal>,
    /// Whether the fill cost more than the capital held (the exchange filled beyond what
    /// the bot reserved). The fill is still recorded: it happened.
    pub overdrawn: bool,
}

/// The virtual wallet of one bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    asset: Asset,
    budget: Decimal,
    compound: bool,
    cash: Decimal,
    reserved: BTreeMap<Asset, Decimal>,
    profit_reserve: Decimal,
    positions: BTreeMap<Asset, Position>,
    fees: BTreeMap<Asset, Decimal>,
}

impl Wallet {
    /// A wallet holding `budget` of `asset`.
    pub fn new(asset: Asset, budget: Decimal, compound: bool) -> Result<Self, WalletError> {
        if budget <= Decimal::ZERO {
            return Err(WalletError::InvalidBudget(budget));
        }
        Ok(Self {
            asset,
            budget,
            compound,
            cash: budget,
            reserved: BTreeMap::new(),
            profit_reserve: Decimal::ZERO,
            positions: BTreeMap::new(),
            fees: BTreeMap::new(),
        })
    }

    /// The budget asset.
    #[must_use]
    pub fn asset(&self) -> &Asset {
        &self.asset
    }

    /// The initial budget.
    #[must_use]
    pub fn budget(&self) -> Decimal {
        self.budget
    }

    /// Whether profits are added to the trading capital.
    #[must_use]
    pub fn compound(&self) -> bool {
        self.compound
    }

    /// Trading capital held in cash (reserved part included), in the budget asset.
    #[must_use]
    pub fn cash(&self) -> Decimal {
        self.cash
    }

    /// Capital reserved for open buys paid in the budget asset.
    #[must_use]
    pub fn reserved(&self) -> Decimal {
        self.reserved_of(&self.asset)
    }

    /// Amount of `asset` reserved for open buys paid with it.
    #[must_use]
    pub fn reserved_of(&self, asset: &Asset) -> Decimal {
        self.reserved.get(asset).copied().unwrap_or_default()
    }

    /// Capital free for new orders, in the budget asset.
    #[must_use]
    pub fn available(&self) -> Decimal {
        self.available_of(&self.asset)
    }

    /// Amount of `asset` held and not reserved.
    #[must_use]
    pub fn available_of(&self, asset: &Asset) -> Decimal {
        self.balance(asset) - self.reserved_of(asset)
    }

    /// Amount of `asset` held: the cash for the budget asset, the position otherwise.
    #[must_use]
    pub fn balance(&self, asset: &Asset) -> Decimal {
        if asset == &self.asset {
            self.cash
        } else {
            self.held(asset)
        }
    }

    /// Realized profits kept out of trading (only when `compound` is off).
    #[must_use]
    pub fn profit_reserve(&self) -> Decimal {
        self.profit_reserve
    }

    /// Fees paid, per asset.
    #[must_use]
    pub fn fees(&self) -> &BTreeMap<Asset, Decimal> {
        &self.fees
    }

    /// The position in `asset`, if one was ever opened.
    #[must_use]
    pub fn position(&self, asset: &Asset) -> Option<&Position> {
        self.positions.get(asset)
    }

    /// All positions, by asset.
    #[must_use]
    pub fn positions(&self) -> &BTreeMap<Asset, Position> {
        &self.positions
    }

    /// Quantity of `asset` held in its position (zero for the budget asset, which is cash).
    #[must_use]
    pub fn held(&self, asset: &Asset) -> Decimal {
        self.positions
            .get(asset)
            .map_or(Decimal::ZERO, Position::quantity)
    }

    /// Realized P&L over all positions, in the budget asset.
    #[must_use]
    pub fn realized_pnl(&self) -> Decimal {
        self.positions.values().map(Position::realized_pnl).sum()
    }

    /// Total value in the budget asset: cash, the profit reserve, and every position at the
    /// value `mark(asset)` gives per unit (a position without a mark counts at its cost).
    pub fn equity(&self, mut mark: impl FnMut(&Asset) -> Option<Decimal>) -> Decimal {
        let positions: Decimal = self
            .positions
            .iter()
            .map(|(asset, p)| mark(asset).map_or_else(|| p.cost_basis(), |m| p.quantity() * m))
            .sum();
        self.cash + self.profit_reserve + positions
    }

    /// A new budget: the difference is paid into the cash, or taken out of it (a deposit or
    /// a withdrawal, not a gain or a loss). Only free cash can be taken out.
    pub fn set_budget(&mut self, budget: Decimal) -> Result<(), WalletError> {
        self.cash -= self.check_budget(budget)?;
        self.budget = budget;
        Ok(())
    }

    /// Whether [`Wallet::set_budget`] would take `budget`; the amount it would take out of
    /// the cash (negative: pay in).
    pub fn check_budget(&self, budget: Decimal) -> Result<Decimal, WalletError> {
        if budget <= Decimal::ZERO {
            return Err(WalletError::InvalidBudget(budget));
        }
        let taken_out = self.budget - budget;
        let available = self.available();
        if taken_out > available {
            return Err(WalletError::InsufficientFunds {
                needed: taken_out,
                available,
                asset: self.asset.clone(),
            });
        }
        Ok(taken_out)
    }

    /// Reserves `amount` of free `asset` for an order.
    pub fn reserve(&mut self, asset: &Asset, amount: Decimal) -> Result<(), WalletError> {
        let available = self.available_of(asset);
        if amount > available {
            return Err(WalletError::InsufficientFunds {
                needed: amount,
                available,
                asset: asset.clone(),
            });
        }
        if !amount.is_zero() {
            *self.reserved.entry(asset.clone()).or_default() += amount;
        }
        Ok(())
    }

    /// Returns `amount` of reserved `asset` to the free part.
    pub fn release(&mut self, asset: &Asset, amount: Decimal) -> Result<(), WalletError> {
        let reserved = self.reserved_of(asset);
        if amount > reserved {
            return Err(WalletError::ReleaseExceedsReserved {
                requested: amount,
                reserved,
                asset: asset.clone(),
            });
        }
        if amount == reserved {
            self.reserved.remove(asset);
        } else if let Some(r) = self.reserved.get_mut(asset) {
            *r -= amount;
        }
        Ok(())
    }

    /// Applies a fill of `instrument` after releasing `release` (in the quote asset) of the
    /// order's reservation. `quote_value` is the value of one unit of the instrument's quote
    /// asset in the budget asset (1 when the pair is quoted in the budget asset). Checks
    /// everything first: on error, nothing has changed.
    pub fn apply_fill(
        &mut self,
        fill: &Fill,
        instrument: &Instrument,
        release: Decimal,
        quote_value: Decimal,
    ) -> Result<FillEffect, WalletError> {
        self.check_fill(fill, instrument, release, quote_value)?;
        self.book_fill(fill, instrument, release, quote_value)
    }

    /// [`Wallet::apply_fill`] of a fill that [`Wallet::check_fill`] has just accepted with
    /// the same arguments, nothing having changed since: the engine checks every report
    /// before it applies it, so the check is not made twice (debug builds make it again).
    pub(crate) fn apply_checked_fill(
        &mut self,
        fill: &Fill,
        instrument: &Instrument,
        release: Decimal,
        quote_value: Decimal,
    ) -> Result<FillEffect, WalletError> {
        debug_assert_eq!(
            self.check_fill(fill, instrument, release, quote_value),
            Ok(()),
            "fill applied without its check"
        );
        self.book_fill(fill, instrument, release, quote_value)
    }

    /// Books a checked fill (see [`Wallet::apply_fill`]).
    fn book_fill(
        &mut self,
        fill: &Fill,
        instrument: &Instrument,
        release: Decimal,
        quote_value: Decimal,
    ) -> Result<FillEffect, WalletError> {
        let fee_in_base = fill.fee_asset == instrument.base;
        let fee_in_quote = fill.fee_asset == instrument.quote;
        let notional = fill.notional();
        let (base, quote) = (&instrument.base, &instrument.quote);
        let mut realized: Option<Decimal> = None;
        let effect = match fill.side {
            Side::Buy => {
                let received = if fee_in_base {
                    fill.quantity - fill.fee
                } else {
                    fill.quantity
                };
                let paid = if fee_in_quote {
                    notional + fill.fee
                } else {
                    notional
                };
                self.release(quote, release)?;
                let cost = paid * quote_value;
                if quote != &self.asset {
                    realized = Some(self.position_mut(quote).remove(fill.ts, paid, cost)?);
                }
                if received > Decimal::ZERO {
                    self.position_mut(base).add(fill.ts, received, cost)?;
                }
                if quote == &self.asset {
                    self.cash -= paid;
                }
                FillEffect {
                    base_change: received,
                    quote_change: -paid,
                    realized_pnl: realized,
                    overdrawn: false,
                }
            }
            Side::Sell => {
                let given = if fee_in_base {
                    fill.quantity + fill.fee
                } else {
                    fill.quantity
                };
                let got = if fee_in_quote {
                    notional - fill.fee
                } else {
                    notional
                };
                let proceeds = got * quote_value;
                realized = Some(self.position_mut(base).remove(fill.ts, given, proceeds)?);
                if quote == &self.asset {
                    self.cash += got;
                } else if got > Decimal::ZERO {
                    self.position_mut(quote).add(fill.ts, got, proceeds)?;
                }
                FillEffect {
                    base_change: -given,
                    quote_change: got,
                    realized_pnl: realized,
                    overdrawn: false,
                }
            }
        };
        let overdrawn = self.cash < Decimal::ZERO;
        if !self.compound {
            self.settle_profit_reserve(quote == &self.asset && effect.quote_change > Decimal::ZERO);
        }
        if !fill.fee.is_zero() {
            *self
                .fees
                .entry(fill.fee_asset.clone())
                .or_insert(Decimal::ZERO) += fill.fee;
        }
        Ok(FillEffect {
            overdrawn,
            ..effect
        })
    }

    /// Without compounding, keeps the profit reserve at the net realized profit (never
    /// below zero): a realized loss is paid from past profits first, and only once they
    /// are gone does it reduce the capital. Profits move out of the capital when cash
    /// arrives (`cash_arrived`); a loss gives reserved profit back at once. Netting matters
    /// because FIFO lot matching can book a loss and a gain for what is one profitable
    /// round trip (a grid selling at one level the lot bought at another).
    fn settle_profit_reserve(&mut self, cash_arrived: bool) {
        let target = self.realized_pnl().max(Decimal::ZERO);
        let change = target - self.profit_reserve;
        if change < Decimal::ZERO {
            self.profit_reserve += change;
            self.cash -= change;
        } else if change > Decimal::ZERO && cash_arrived {
            let moved = change.min(self.cash.max(Decimal::ZERO));
            self.cash -= moved;
            self.profit_reserve += moved;
        }
    }

    fn position_mut(&mut self, asset: &Asset) -> &mut Position {
        self.positions
            .entry(asset.clone())
            .or_insert_with(|| Position::new(asset.clone()))
    }

    /// Checks that `apply_fill` would succeed, without changing anything.
    pub fn check_fill(
        &self,
        fill: &Fill,
        instrument: &Instrument,
        release: Decimal,
        quote_value: Decimal,
    ) -> Result<(), WalletError> {
        if fill.symbol != instrument.symbol {
            return Err(WalletError::SymbolMismatch {
                trade_id: fill.trade_id.clone(),
                fill_symbol: fill.symbol.clone(),
                symbol: instrument.symbol.clone(),
            });
        }
        if quote_value <= Decimal::ZERO {
            return Err(WalletError::NoValuation {
                trade_id: fill.trade_id.clone(),
                symbol: instrument.symbol.clone(),
                quote: instrument.quote.clone(),
                wallet: self.asset.clone(),
            });
        }
        let invalid = |what, value| WalletError::InvalidFill {
            trade_id: fill.trade_id.clone(),
            what,
            value,
        };
        if fill.price <= Decimal::ZERO {
            return Err(invalid("price", fill.price));
        }
        if fill.quantity <= Decimal::ZERO {
            return Err(invalid("quantity", fill.quantity));
        }
        if fill.fee < Decimal::ZERO {
            return Err(invalid("fee", fill.fee));
        }
        let fee_in_base = fill.fee_asset == instrument.base;
        if fee_in_base && fill.side == Side::Buy && fill.fee > fill.quantity {
            return Err(invalid("fee (larger than the quantity bought)", fill.fee));
        }
        let reserved = self.reserved_of(&instrument.quote);
        if release > reserved {
            return Err(WalletError::ReleaseExceedsReserved {
                requested: release,
                reserved,
                asset: instrument.quote.clone(),
            });
        }
        // What the fill takes from a position must be there.
        let (asset, taken) = match fill.side {
            Side::Sell => {
                let given = if fee_in_base {
                    fill.quantity + fill.fee
                } else {
                    fill.quantity
                };
                (&instrument.base, given)
            }
            Side::Buy => {
                let paid = if fill.fee_asset == instrument.quote {
                    fill.notional() + fill.fee
                } else {
                    fill.notional()
                };
                (&instrument.quote, paid)
            }
        };
        if asset != &self.asset {
            let held = self.held(asset);
            if taken > held {
                return Err(PositionError::InsufficientQuantity {
                    asset: asset.clone(),
                    requested: taken,
                    held,
                }
                .into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
