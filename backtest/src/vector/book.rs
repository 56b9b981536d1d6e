//! The simulated account of one run: cash, the position at its average cost, the trades
//! it closes and the statistics it streams.
//!
//! Accounting: a buy of `q` at `p` pays `q · p` plus the fee `q · p · rate` from cash; a
//! sell receives `q · p` minus its fee. The position's entry price is the average fill
//! price of its buys (fees excluded); entry fees wait in `open_fees` and each sell takes
//! its share (`q / held`). A sell closes a [`Trade`] of the sold quantity, so with signals
//! (one buy, one sell) a trade is one round trip, and with a target exposure each
//! reduction is a trade against the average cost (vectorbt's "exit trades").

use vela_core::types::Side;

use super::sizing::{Refusal, Refusals, Rules};
use super::stops::StopState;
use crate::result::{ExitReason, Trade};
use crate::stats::TradeTally;

/// Where a fill happens: the bar and its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At {
    pub(crate) bar: usize,
    pub(crate) ts: i64,
}

/// Account state of a run.
#[derive(Debug)]
pub(crate) struct Book<'a> {
    pub(crate) cash: f64,
    pub(crate) held: f64,
    avg_price: f64,
    open_fees: f64,
    entry: At,
    /// First bar on which the stops are checked.
    pub(crate) armed_from: usize,
    pub(crate) stops: StopState,
    pub(crate) rules: Rules,
    symbol: &'a str,
    pub(crate) trades: Option<Vec<Trade>>,
    pub(crate) tally: TradeTally,
    pub(crate) refused: Refusals,
}

impl<'a> Book<'a> {
    pub(crate) fn new(
        cash: f64,
        rules: Rules,
        stops: StopState,
        symbol: &'a str,
        trades: Option<Vec<Trade>>,
    ) -> Self {
        Self {
            cash,
            held: 0.0,
            avg_price: 0.0,
            open_fees: 0.0,
            entry: At { bar: 0, ts: 0 },
            armed_from: usize::MAX,
            stops,
            rules,
            symbol,
            trades,
            tally: TradeTally::default(),
            refused: Refusals::default(),
        }
    }

    /// Counts a refusal.
    pub(crate) fn refuse(&mut self, refusal: Refusal) {
        self.refused.count(refusal);
    }

    /// Buys `quantity` (on the grid, checked) at `price` with fee rate `fee`.
    #[inline]
    pub(crate) fn buy(&mut self, quantity: f64, price: f64, fee: f64, at: At) {
        let notional = quantity * price;
        let fee_paid = notional * fee;
        // Rounding down the quantity keeps the cost within the cash; clamp the last ulp.
        self.cash = (self.cash - notional - fee_paid).max(0.0);
        if self.held > 0.0 {
            let total = self.held + quantity;
            self.avg_price = (self.avg_price * self.held + notional) / total;
            self.held = self.rules.grid.snap_quantity(total);
            self.open_fees += fee_paid;
        } else {
            self.held = quantity;
            self.avg_price = price;
            self.open_fees = fee_paid;
            self.entry = at;
            if self.stops.active() {
                self.stops.arm(price);
            }
        }
    }

    /// Sells `quantity` (at most the position) at `price` with fee rate `fee`, closing a
    /// trade.
    #[inline]
    pub(crate) fn sell(&mut self, quantity: f64, price: f64, fee: f64, at: At, reason: ExitReason) {
        let all = quantity >= self.held;
        let quantity = quantity.min(self.held);
        let notional = quantity * price;
        let fee_paid = notional * fee;
        self.cash += notional - fee_paid;
        let entry_fees = if all {
            self.open_fees
        } else {
            self.open_fees * (quantity / self.held)
        };
        self.close_trade(quantity, price, fee_paid, entry_fees, at, reason);
        if all {
            self.held = 0.0;
            self.open_fees = 0.0;
            self.armed_from = usize::MAX;
        } else {
            self.held = self.rules.grid.snap_quantity(self.held - quantity);
            self.open_fees -= entry_fees;
        }
    }

    /// Values a position still open after the last bar at that bar's close: an end-of-data
    /// trade without an exit fee (nothing is sold; cash and position stay as they are).
    pub(crate) fn close_at_end(&mut self, close: f64, at: At) {
        if self.held > 0.0 {
            self.close_trade(
                self.held,
                close,
                0.0,
                self.open_fees,
                at,
                ExitReason::EndOfData,
            );
        }
    }

    fn close_trade(
        &mut self,
        quantity: f64,
        price: f64,
        exit_fee: f64,
        entry_fees: f64,
        at: At,
        reason: ExitReason,
    ) {
        let fees = entry_fees + exit_fee;
        let pnl = quantity * (price - self.avg_price) - fees;
        let exit_notional = if reason == ExitReason::EndOfData {
            0.0
        } else {
            quantity * price
        };
        self.tally
            .push_values(pnl, fees, quantity * self.avg_price + exit_notional);
        if let Some(trades) = &mut self.trades {
            trades.push(Trade {
                symbol: self.symbol.to_owned(),
                side: Side::Buy,
                entry_bar: self.entry.bar,
                entry_ts: self.entry.ts,
                entry_price: self.avg_price,
                exit_bar: at.bar,
                exit_ts: at.ts,
                exit_price: price,
                quantity,
                fees,
                pnl,
                exit_reason: reason,
            });
        }
    }
}
