//! Realised gains by FIFO lots, from fills: every sale is matched against the oldest
//! purchases still held, and each matched piece becomes one row (asset, quantity, purchase
//! and sale dates, cost basis, proceeds, gain), written as CSV.
//!
//! Rules:
//! - Lots are kept per base **and** quote asset (`BTC` bought with `USDT` and with `USDC` are
//!   separate lots), so every amount of a row is in one quote currency; converting to a
//!   fiat currency is left to the tax software.
//! - A fee in the quote asset adds to a purchase's cost and reduces a sale's proceeds. A
//!   fee in the base asset reduces the quantity a purchase adds, and on a sale leaves the
//!   holdings too (it is matched against the lots with the sold quantity, with no
//!   proceeds). A fee in any other asset (e.g. MX) is listed separately, not valued.
//! - Amounts are exact decimals; when a lot or a sale is split, the pieces add up exactly
//!   to the whole (the last piece takes the remainder).
//! - A sale larger than the lots held is an error naming the fill: holdings from before
//!   the records are not invented.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;

use rust_decimal::Decimal;
use vela_core::types::{Asset, Fill, Instrument, Side, Symbol, Timestamp};

/// Why the gains cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaxError {
    /// A fill of a symbol with no instrument (its base and quote are unknown).
    #[error("fill {trade_id}: no instrument for symbol {symbol}")]
    UnknownSymbol {
        /// The fill's trade id.
        trade_id: String,
        /// Its symbol.
        symbol: Symbol,
    },
    /// A sale of more than the lots hold.
    #[error(
        "fill {trade_id} sells {quantity} {asset} but only {held} is held from the fills before it"
    )]
    Unmatched {
        /// The sale's trade id.
        trade_id: String,
        /// The base asset.
        asset: Asset,
        /// The quantity leaving (sold plus a base fee).
        quantity: Decimal,
        /// What the lots held.
        held: Decimal,
    },
    /// A fill with a zero or negative quantity or price, or a negative fee.
    #[error("fill {trade_id}: {problem}")]
    BadFill {
        /// The fill's trade id.
        trade_id: String,
        /// What is wrong.
        problem: String,
    },
}

/// One matched piece of a sale: a realised gain (or loss).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposal {
    /// The pair traded.
    pub symbol: Symbol,
    /// The asset sold.
    pub asset: Asset,
    /// The currency of the amounts.
    pub quote: Asset,
    /// Quantity of this piece.
    pub quantity: Decimal,
    /// When the lot was bought.
    pub acquired: Timestamp,
    /// When it was sold.
    pub disposed: Timestamp,
    /// What this piece cost, fees included.
    pub cost_basis: Decimal,
    /// What this piece brought, fees deducted.
    pub proceeds: Decimal,
    /// `proceeds - cost_basis`.
    pub gain: Decimal,
    /// The purchase's trade id.
    pub buy_trade_id: String,
    /// The sale's trade id.
    pub sell_trade_id: String,
}

/// A purchase (or what is left of it) still held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    /// The pair it was bought on.
    pub symbol: Symbol,
    /// The asset held.
    pub asset: Asset,
    /// The currency of its cost.
    pub quote: Asset,
    /// Quantity held.
    pub quantity: Decimal,
    /// Its remaining cost, fees included.
    pub cost: Decimal,
    /// When it was bought.
    pub acquired: Timestamp,
    /// The purchase's trade id.
    pub trade_id: String,
}

/// A fee paid in an asset that is neither the base nor the quote of its fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherFee {
    /// The fill's trade id.
    pub trade_id: String,
    /// When.
    pub ts: Timestamp,
    /// The asset.
    pub asset: Asset,
    /// The amount.
    pub amount: Decimal,
}

/// Realised gains, the lots still held, and the fees not valued.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaxReport {
    /// Matched pieces of sales, in sale order.
    pub disposals: Vec<Disposal>,
    /// Lots still held, oldest first per pair of assets.
    pub open_lots: Vec<Lot>,
    /// Fees in a third asset.
    pub other_fees: Vec<OtherFee>,
}

impl TaxReport {
    /// The sum of the gains, per quote currency.
    #[must_use]
    pub fn total_gain(&self) -> BTreeMap<Asset, Decimal> {
        let mut totals = BTreeMap::new();
        for d in &self.disposals {
            *totals.entry(d.quote.clone()).or_insert(Decimal::ZERO) += d.gain;
        }
        totals
    }
}

/// Matches `fills` (any order: they are taken by time, then trade id) FIFO.
///
/// # Errors
/// A fill's symbol has no instrument, a fill is malformed, or a sale exceeds the lots held.
pub fn fifo(fills: &[Fill], instruments: &[Instrument]) -> Result<TaxReport, TaxError> {
    let pairs: BTreeMap<&Symbol, (&Asset, &Asset)> = instruments
        .iter()
        .map(|i| (&i.symbol, (&i.base, &i.quote)))
        .collect();
    let mut ordered: Vec<&Fill> = fills.iter().collect();
    ordered.sort_by(|a, b| (a.ts, &a.trade_id).cmp(&(b.ts, &b.trade_id)));
    let mut lots: BTreeMap<(Asset, Asset), VecDeque<Lot>> = BTreeMap::new();
    let mut report = TaxReport::default();
    for fill in ordered {
        let (base, quote) =
            pairs
                .get(&fill.symbol)
                .copied()
                .ok_or_else(|| TaxError::UnknownSymbol {
                    trade_id: fill.trade_id.clone(),
                    symbol: fill.symbol.clone(),
                })?;
        check(fill)?;
        let (base_fee, quote_fee) = if fill.fee_asset == *base {
            (fill.fee, Decimal::ZERO)
        } else if fill.fee_asset == *quote {
            (Decimal::ZERO, fill.fee)
        } else {
            if !fill.fee.is_zero() {
                report.other_fees.push(OtherFee {
                    trade_id: fill.trade_id.clone(),
                    ts: fill.ts,
                    asset: fill.fee_asset.clone(),
                    amount: fill.fee,
                });
            }
            (Decimal::ZERO, Decimal::ZERO)
        };
        if fill.side == Side::Buy && fill.quantity <= base_fee {
            return Err(TaxError::BadFill {
                trade_id: fill.trade_id.clone(),
                problem: "the base-asset fee takes the whole quantity".to_owned(),
            });
        }
        let held = lots.entry((base.clone(), quote.clone())).or_default();
        match fill.side {
            Side::Buy => held.push_back(Lot {
                symbol: fill.symbol.clone(),
                asset: base.clone(),
                quote: quote.clone(),
                quantity: fill.quantity - base_fee,
                cost: fill.price * fill.quantity + quote_fee,
                acquired: fill.ts,
                trade_id: fill.trade_id.clone(),
            }),
            Side::Sell => {
                let leaving = fill.quantity + base_fee;
                let available: Decimal = held.iter().map(|l| l.quantity).sum();
                if leaving > available {
                    return Err(TaxError::Unmatched {
                        trade_id: fill.trade_id.clone(),
                        asset: base.clone(),
                        quantity: leaving,
                        held: available,
                    });
                }
                sell(held, fill, leaving, quote_fee, &mut report.disposals);
            }
        }
    }
    report.open_lots = lots.into_values().flatten().collect();
    Ok(report)
}

fn check(fill: &Fill) -> Result<(), TaxError> {
    let problem = if fill.quantity <= Decimal::ZERO {
        "quantity must be positive"
    } else if fill.price <= Decimal::ZERO {
        "price must be positive"
    } else if fill.fee < Decimal::ZERO {
        "fee must not be negative"
    } else {
        return Ok(());
    };
    Err(TaxError::BadFill {
        trade_id: fill.trade_id.clone(),
        problem: problem.to_owned(),
    })
}

/// Matches `leaving` base units of the sale `fill` against `held`, oldest first.
fn sell(
    held: &mut VecDeque<Lot>,
    fill: &Fill,
    leaving: Decimal,
    quote_fee: Decimal,
    out: &mut Vec<Disposal>,
) {
    // Proceeds belong to the sold quantity; the base fee's share leaves with none.
    let mut proceeds_left = fill.price * fill.quantity - quote_fee;
    let mut sold_left = fill.quantity;
    let mut remaining = leaving;
    while remaining > Decimal::ZERO {
        let Some(lot) = held.front_mut() else {
            break;
        };
        let take = remaining.min(lot.quantity);
        let cost = if take == lot.quantity {
            lot.cost
        } else {
            lot.cost * take / lot.quantity
        };
        // The sold part of this piece (the base fee is taken last).
        let sold = take.min(sold_left);
        let proceeds = if sold == sold_left {
            proceeds_left
        } else {
            proceeds_left * sold / sold_left
        };
        out.push(Disposal {
            symbol: fill.symbol.clone(),
            asset: lot.asset.clone(),
            quote: lot.quote.clone(),
            quantity: take,
            acquired: lot.acquired,
            disposed: fill.ts,
            cost_basis: cost,
            proceeds,
            gain: proceeds - cost,
            buy_trade_id: lot.trade_id.clone(),
            sell_trade_id: fill.trade_id.clone(),
        });
        proceeds_left -= proceeds;
        sold_left -= sold;
        remaining -= take;
        lot.quantity -= take;
        lot.cost -= cost;
        if lot.quantity.is_zero() {
            held.pop_front();
        }
    }
}

/// Writes the disposals as CSV (one row per matched piece, amounts as exact decimals,
/// dates ISO-8601 UTC).
///
/// # Errors
/// The writer failed.
pub fn write_csv(report: &TaxReport, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "asset,quantity,acquired,disposed,cost_basis,proceeds,gain,currency,symbol,buy_trade_id,sell_trade_id"
    )?;
    for d in &report.disposals {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            d.asset,
            d.quantity.normalize(),
            d.acquired,
            d.disposed,
            d.cost_basis.normalize(),
            d.proceeds.normalize(),
            d.gain.normalize(),
            d.quote,
            d.symbol,
            csv_field(&d.buy_trade_id),
            csv_field(&d.sell_trade_id)
        )?;
    }
    Ok(())
}

/// A field quoted when it holds a comma, a quote or a line break.
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
#[path = "tax_tests.rs"]
mod tests;
