//! The virtual wallet of one bot: a budget cap in the quote asset, reservations for open
//! orders, positions with FIFO lots, and fees in whatever asset the exchange charged them.
//!
//! Money rules (DESIGN.md §2):
//! - The bot starts with `budget` of trading capital (`cash`).
//! - Losses reduce the capital. Profits are added to it only when `compound` is on;
//!   otherwise each realized profit is moved to `profit_reserve`, out of reach of new orders.
//! - Every buy order reserves its worst-case cost before it is sent; nothing may be
//!   reserved beyond `available()`.
//! - A base-asset fee reduces the base received (buy) or adds to the base given up (sell),
//!   so exits are sized from what is really held. A fee in a third asset (such as MX) is
//!   recorded in `fees` and does not touch the capital.

pub mod position;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use position::{ClosedLot, LEDGER_SCALE, Lot, Position, PositionError};

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
    #[error("cannot release {requested}: only {reserved} is reserved")]
    ReleaseExceedsReserved {
        /// Amount asked to release.
        requested: Decimal,
        /// Amount reserved.
        reserved: Decimal,
    },
    /// The instrument is not quoted in the wallet's asset.
    #[error("instrument {symbol} is quoted in {quote}, but the wallet holds {wallet}")]
    QuoteMismatch {
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
    /// Quote cash change, fees included (negative for a buy).
    pub quote_change: Decimal,
    /// Realized P&L of a sell.
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
    reserved: Decimal,
    profit_reserve: Decimal,
    positions: BTreeMap<Symbol, Position>,
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
            reserved: Decimal::ZERO,
            profit_reserve: Decimal::ZERO,
            positions: BTreeMap::new(),
            fees: BTreeMap::new(),
        })
    }

    /// The asset the budget is held in.
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

    /// Trading capital held in cash (reserved part included).
    #[must_use]
    pub fn cash(&self) -> Decimal {
        self.cash
    }

    /// Capital reserved for open buy orders.
    #[must_use]
    pub fn reserved(&self) -> Decimal {
        self.reserved
    }

    /// Capital free for new orders.
    #[must_use]
    pub fn available(&self) -> Decimal {
        self.cash - self.reserved
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

    /// The position in `symbol`, if one was ever opened.
    #[must_use]
    pub fn position(&self, symbol: &Symbol) -> Option<&Position> {
        self.positions.get(symbol)
    }

    /// All positions, by symbol.
    #[must_use]
    pub fn positions(&self) -> &BTreeMap<Symbol, Position> {
        &self.positions
    }

    /// Base quantity held in `symbol`.
    #[must_use]
    pub fn held(&self, symbol: &Symbol) -> Decimal {
        self.positions
            .get(symbol)
            .map_or(Decimal::ZERO, Position::quantity)
    }

    /// Realized P&L over all positions.
    #[must_use]
    pub fn realized_pnl(&self) -> Decimal {
        self.positions.values().map(Position::realized_pnl).sum()
    }

    /// Total value in the wallet's asset: cash, the profit reserve, and every position at the
    /// mark `mark(symbol)` gives (a position without a mark counts at its cost).
    pub fn equity(&self, mut mark: impl FnMut(&Symbol) -> Option<Decimal>) -> Decimal {
        let positions: Decimal = self
            .positions
            .iter()
            .map(|(symbol, p)| mark(symbol).map_or_else(|| p.cost_basis(), |m| p.quantity() * m))
            .sum();
        self.cash + self.profit_reserve + positions
    }

    /// Reserves `amount` of free capital for an order.
    pub fn reserve(&mut self, amount: Decimal) -> Result<(), WalletError> {
        if amount > self.available() {
            return Err(WalletError::InsufficientFunds {
                needed: amount,
                available: self.available(),
                asset: self.asset.clone(),
            });
        }
        self.reserved += amount;
        Ok(())
    }

    /// Returns `amount` of reserved capital to the free part.
    pub fn release(&mut self, amount: Decimal) -> Result<(), WalletError> {
        if amount > self.reserved {
            return Err(WalletError::ReleaseExceedsReserved {
                requested: amount,
                reserved: self.reserved,
            });
        }
        self.reserved -= amount;
        Ok(())
    }

    /// Applies a fill of `instrument` after releasing `release` of the order's reservation.
    /// Checks everything first: on error, nothing has changed.
    pub fn apply_fill(
        &mut self,
        fill: &Fill,
        instrument: &Instrument,
        release: Decimal,
    ) -> Result<FillEffect, WalletError> {
        self.check_fill(fill, instrument, release)?;
        let notional = fill.notional();
        let fee_in_base = fill.fee_asset == instrument.base;
        let fee_in_quote = fill.fee_asset == instrument.quote;
        let position = self
            .positions
            .entry(fill.symbol.clone())
            .or_insert_with(|| Position::new(fill.symbol.clone()));
        let effect = match fill.side {
            Side::Buy => {
                let received = if fee_in_base {
                    fill.quantity - fill.fee
                } else {
                    fill.quantity
                };
                let cost = if fee_in_quote {
                    notional + fill.fee
                } else {
                    notional
                };
                if received > Decimal::ZERO {
                    position.add(fill.ts, received, cost)?;
                }
                FillEffect {
                    base_change: received,
                    quote_change: -cost,
                    realized_pnl: None,
                    overdrawn: false,
                }
            }
            Side::Sell => {
                let given = if fee_in_base {
                    fill.quantity + fill.fee
                } else {
                    fill.quantity
                };
                let proceeds = if fee_in_quote {
                    notional - fill.fee
                } else {
                    notional
                };
                let realized = position.remove(fill.ts, given, proceeds)?;
                FillEffect {
                    base_change: -given,
                    quote_change: proceeds,
                    realized_pnl: Some(realized),
                    overdrawn: false,
                }
            }
        };
        self.reserved -= release;
        self.cash += effect.quote_change;
        let overdrawn = self.cash < Decimal::ZERO;
        if let Some(realized) = effect.realized_pnl
            && realized > Decimal::ZERO
            && !self.compound
        {
            self.cash -= realized;
            self.profit_reserve += realized;
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

    /// Checks that `apply_fill` would succeed, without changing anything.
    pub fn check_fill(
        &self,
        fill: &Fill,
        instrument: &Instrument,
        release: Decimal,
    ) -> Result<(), WalletError> {
        if instrument.quote != self.asset {
            return Err(WalletError::QuoteMismatch {
                symbol: instrument.symbol.clone(),
                quote: instrument.quote.clone(),
                wallet: self.asset.clone(),
            });
        }
        if fill.symbol != instrument.symbol {
            return Err(WalletError::SymbolMismatch {
                trade_id: fill.trade_id.clone(),
                fill_symbol: fill.symbol.clone(),
                symbol: instrument.symbol.clone(),
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
        if fill.fee_asset == instrument.base && fill.side == Side::Buy && fill.fee > fill.quantity {
            return Err(invalid("fee (larger than the quantity bought)", fill.fee));
        }
        if release > self.reserved {
            return Err(WalletError::ReleaseExceedsReserved {
                requested: release,
                reserved: self.reserved,
            });
        }
        if fill.side == Side::Sell {
            let given = if fill.fee_asset == instrument.base {
                fill.quantity + fill.fee
            } else {
                fill.quantity
            };
            let held = self.held(&fill.symbol);
            if given > held {
                return Err(PositionError::InsufficientQuantity {
                    symbol: fill.symbol.clone(),
                    requested: given,
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
