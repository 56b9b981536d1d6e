//! Round trips from fills: FIFO lots per asset, partial fills aggregated per order pair.
//!
//! Every fill that brings in an asset other than the budget asset opens a lot of it; every
//! fill that gives one up closes its oldest lots first. A lot's entry value and the exit
//! value are in the budget asset, booked the way the engine's wallet books them: a pair
//! quoted in another asset (ETHBTC in a USDT bot) is valued at that asset's last close in
//! the budget asset. Fees: a buy's fee goes to the lot it opens, a sell's fee to the lots
//! it closes (pro rata to quantity); a fee in base is valued at the fill price.
//!
//! The pieces of one entry order closed by one exit order form one [`Trade`]: quantities
//! and values add up, the entry bar is the first entry fill's, the exit bar the last exit
//! fill's, prices are value-weighted averages. Lots still open at the end become
//! [`ExitReason::EndOfData`] trades valued at the last close, without an exit fee. A trade
//! is reported under the symbol that prices its asset in the budget asset (BTCUSDT for BTC
//! in a USDT bot), else the symbol of its entry fill.

use std::collections::{BTreeMap, VecDeque};

use rust_decimal::Decimal;
use vela_core::money::rounding::to_f64;
use vela_core::types::{Asset, ClientOrderId, Fill, Instrument, Side, Symbol};
use vela_core::wallet::valuation::{budget_pair, value_of};

use crate::result::{ExitReason, Trade};

#[derive(Debug, Clone)]
struct Lot {
    symbol: Symbol,
    order: ClientOrderId,
    bar: usize,
    ts: i64,
    quantity: Decimal,
    /// Entry value of one unit, budget asset.
    unit_value: Decimal,
    /// Entry fee of one unit, budget asset.
    unit_fee: Decimal,
}

#[derive(Debug, Clone)]
struct Piece {
    symbol: Symbol,
    entry_bar: usize,
    entry_ts: i64,
    exit_bar: usize,
    exit_ts: i64,
    quantity: Decimal,
    entry_value: Decimal,
    exit_value: Decimal,
    fees: Decimal,
    reason: ExitReason,
}

/// One disposal: `quantity` units of an asset leave at `unit_value` each, carrying
/// `fee` in total.
struct Disposal<'a> {
    asset: &'a Asset,
    quantity: Decimal,
    unit_value: Decimal,
    fee: Decimal,
    order: &'a ClientOrderId,
    bar: usize,
    ts: i64,
    reason: ExitReason,
}

/// Collects fills into round trips.
#[derive(Debug, Clone)]
pub(crate) struct TradeBook {
    budget: Asset,
    instruments: BTreeMap<Symbol, Instrument>,
    lots: BTreeMap<Asset, VecDeque<Lot>>,
    pieces: Vec<Piece>,
    index: BTreeMap<(ClientOrderId, Option<ClientOrderId>), usize>,
}

impl TradeBook {
    pub(crate) fn new(budget: Asset, instruments: &[Instrument]) -> Self {
        Self {
            budget,
            instruments: instruments
                .iter()
                .map(|i| (i.symbol.clone(), i.clone()))
                .collect(),
            lots: BTreeMap::new(),
            pieces: Vec::new(),
            index: BTreeMap::new(),
        }
    }

    /// Value of one unit of `asset` in the budget asset at `last` prices; the average entry
    /// value of its open lots when no price is known (the engine's fallback too).
    fn unit_value(&self, asset: &Asset, last: &BTreeMap<Symbol, f64>) -> Decimal {
        value_of(asset, &self.budget, &self.instruments, last).unwrap_or_else(|| {
            let lots = self.lots.get(asset).into_iter().flatten();
            let quantity: Decimal = lots.clone().map(|l| l.quantity).sum();
            let value: Decimal = lots.map(|l| l.quantity * l.unit_value).sum();
            if quantity.is_zero() {
                Decimal::ZERO
            } else {
                value / quantity
            }
        })
    }

    /// The symbol a lot of `asset` is reported under.
    fn symbol_for(&self, asset: &Asset, fallback: &Symbol) -> Symbol {
        budget_pair(asset, &self.budget, &self.instruments)
            .map_or_else(|| fallback.clone(), |i| i.symbol.clone())
    }

    /// Books one fill, made on bar `bar` at time `ts` (the bar's open for fills at the
    /// open, its close for fills at the close); `reason` is why a sell happened.
    pub(crate) fn on_fill(
        &mut self,
        fill: &Fill,
        bar: usize,
        ts: i64,
        reason: ExitReason,
        last: &BTreeMap<Symbol, f64>,
    ) {
        // The pair's two assets (copied inline), not the whole instrument.
        let Some((base, quote)) = self
            .instruments
            .get(&fill.symbol)
            .map(|i| (i.base.clone(), i.quote.clone()))
        else {
            return;
        };
        let quote_value = self.unit_value(&quote, last);
        let fee_in_base = fill.fee_asset == base;
        let fee_in_quote = fill.fee_asset == quote;
        let fee_value = if fee_in_quote {
            fill.fee * quote_value
        } else if fee_in_base {
            fill.fee * fill.price * quote_value
        } else {
            Decimal::ZERO
        };
        let notional = fill.notional();
        let base_value = fill.price * quote_value;
        match fill.side {
            Side::Buy => {
                let received = fill.quantity - if fee_in_base { fill.fee } else { Decimal::ZERO };
                let paid = notional
                    + if fee_in_quote {
                        fill.fee
                    } else {
                        Decimal::ZERO
                    };
                if quote != self.budget {
                    self.dispose(&Disposal {
                        asset: &quote,
                        quantity: paid,
                        unit_value: quote_value,
                        fee: Decimal::ZERO,
                        order: &fill.client_id,
                        bar,
                        ts,
                        reason,
                    });
                }
                if received > Decimal::ZERO {
                    let symbol = self.symbol_for(&base, &fill.symbol);
                    self.open(
                        &base,
                        Lot {
                            symbol,
                            order: fill.client_id.clone(),
                            bar,
                            ts,
                            quantity: received,
                            unit_value: base_value,
                            unit_fee: fee_value / received,
                        },
                    );
                }
            }
            Side::Sell => {
                let given = fill.quantity + if fee_in_base { fill.fee } else { Decimal::ZERO };
                let got = notional
                    - if fee_in_quote {
                        fill.fee
                    } else {
                        Decimal::ZERO
                    };
                self.dispose(&Disposal {
                    asset: &base,
                    quantity: given,
                    unit_value: base_value,
                    fee: fee_value,
                    order: &fill.client_id,
                    bar,
                    ts,
                    reason,
                });
                if quote != self.budget && got > Decimal::ZERO {
                    let symbol = self.symbol_for(&quote, &fill.symbol);
                    self.open(
                        &quote,
                        Lot {
                            symbol,
                            order: fill.client_id.clone(),
                            bar,
                            ts,
                            quantity: got,
                            unit_value: quote_value,
                            unit_fee: Decimal::ZERO,
                        },
                    );
                }
            }
        }
    }

    fn open(&mut self, asset: &Asset, lot: Lot) {
        self.lots.entry(asset.clone()).or_default().push_back(lot);
    }

    /// Closes the oldest lots of the disposed asset. What no lot covers (an asset that
    /// came in some way the book did not see) is not a round trip and is left out.
    fn dispose(&mut self, d: &Disposal<'_>) {
        let Some(lots) = self.lots.get_mut(d.asset) else {
            return;
        };
        let mut left = d.quantity;
        let mut closed = Vec::new();
        while left > Decimal::ZERO {
            let Some(lot) = lots.front_mut() else {
                break;
            };
            let take = lot.quantity.min(left);
            closed.push((lot.clone(), take));
            lot.quantity -= take;
            left -= take;
            if lot.quantity.is_zero() {
                lots.pop_front();
            }
        }
        for (lot, take) in closed {
            let fee = lot.unit_fee * take + d.fee * take / d.quantity;
            self.add_piece(
                (lot.order.clone(), Some(d.order.clone())),
                &lot,
                take,
                (d.bar, d.ts),
                d.unit_value * take,
                fee,
                d.reason,
            );
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "private; each value is one field of the piece"
    )]
    fn add_piece(
        &mut self,
        key: (ClientOrderId, Option<ClientOrderId>),
        lot: &Lot,
        quantity: Decimal,
        (exit_bar, exit_ts): (usize, i64),
        exit_value: Decimal,
        fees: Decimal,
        reason: ExitReason,
    ) {
        let entry_value = lot.unit_value * quantity;
        match self.index.get(&key) {
            Some(&i) => {
                let p = &mut self.pieces[i];
                p.entry_bar = p.entry_bar.min(lot.bar);
                p.entry_ts = p.entry_ts.min(lot.ts);
                p.exit_bar = p.exit_bar.max(exit_bar);
                p.exit_ts = p.exit_ts.max(exit_ts);
                p.quantity += quantity;
                p.entry_value += entry_value;
                p.exit_value += exit_value;
                p.fees += fees;
            }
            None => {
                self.index.insert(key, self.pieces.len());
                self.pieces.push(Piece {
                    symbol: lot.symbol.clone(),
                    entry_bar: lot.bar,
                    entry_ts: lot.ts,
                    exit_bar,
                    exit_ts,
                    quantity,
                    entry_value,
                    exit_value,
                    fees,
                    reason,
                });
            }
        }
    }

    /// The trades, in order of exit; lots still open are valued at the `last` prices on
    /// the last bar (`last_bar`, `last_ts`).
    pub(crate) fn finish(
        mut self,
        last_bar: usize,
        last_ts: i64,
        last: &BTreeMap<Symbol, f64>,
    ) -> Vec<Trade> {
        let open: Vec<(Asset, Lot)> = std::mem::take(&mut self.lots)
            .into_iter()
            .flat_map(|(asset, lots)| lots.into_iter().map(move |l| (asset.clone(), l)))
            .filter(|(_, l)| l.quantity > Decimal::ZERO)
            .collect();
        for (asset, lot) in open {
            let unit =
                value_of(&asset, &self.budget, &self.instruments, last).unwrap_or(lot.unit_value);
            self.add_piece(
                (lot.order.clone(), None),
                &lot,
                lot.quantity,
                (last_bar, last_ts),
                unit * lot.quantity,
                lot.unit_fee * lot.quantity,
                ExitReason::EndOfData,
            );
        }
        let mut trades: Vec<(usize, Trade)> = self
            .pieces
            .into_iter()
            .map(|p| (p.exit_bar, to_trade(&p)))
            .collect();
        trades.sort_by_key(|(bar, t)| (*bar, t.exit_reason == ExitReason::EndOfData));
        trades.into_iter().map(|(_, t)| t).collect()
    }
}

fn to_trade(p: &Piece) -> Trade {
    let per_unit = |value: Decimal| {
        if p.quantity.is_zero() {
            0.0
        } else {
            to_f64(value / p.quantity)
        }
    };
    Trade {
        symbol: p.symbol.as_str().to_owned(),
        side: Side::Buy,
        entry_bar: p.entry_bar,
        entry_ts: p.entry_ts,
        entry_price: per_unit(p.entry_value),
        exit_bar: p.exit_bar,
        exit_ts: p.exit_ts,
        exit_price: per_unit(p.exit_value),
        quantity: to_f64(p.quantity),
        fees: to_f64(p.fees),
        pnl: to_f64(p.exit_value - p.entry_value - p.fees),
        exit_reason: p.reason,
    }
}
