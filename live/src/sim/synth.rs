//! Market data synthesised from replayed bars: public trades (four per bar, along the
//! pessimistic path open → high/low → low/high → close), a five-level book a tick around
//! the price with a depth version that advances by one per update, and the book ticker.
//! Deterministic: the same bars give the same pushes.

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use vela_core::types::{Bar, Instrument, Side, Symbol};

use super::outgoing::{Outgoing, SimDeal, SimLevel};

/// Levels per side of the synthetic book.
pub const BOOK_LEVELS: u32 = 5;

/// The synthetic market of one symbol.
#[derive(Debug, Clone)]
pub struct MarketSynth {
    symbol: Symbol,
    price_precision: u32,
    quantity_precision: u32,
    version: u64,
    bids: Vec<SimLevel>,
    asks: Vec<SimLevel>,
}

impl MarketSynth {
    /// An empty book for `instrument`.
    #[must_use]
    pub fn new(instrument: &Instrument) -> Self {
        Self {
            symbol: instrument.symbol.clone(),
            price_precision: instrument.price_precision,
            quantity_precision: instrument.quantity_precision,
            version: 0,
            bids: Vec::new(),
            asks: Vec::new(),
        }
    }

    /// The book's version (MEXC `lastUpdateId` of a snapshot).
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Bids and asks, best first.
    #[must_use]
    pub fn book(&self) -> (&[SimLevel], &[SimLevel]) {
        (&self.bids, &self.asks)
    }

    fn price(&self, value: f64) -> Decimal {
        Decimal::from_f64(value)
            .unwrap_or(Decimal::ZERO)
            .round_dp_with_strategy(self.price_precision, RoundingStrategy::MidpointNearestEven)
    }

    fn quantity(&self, value: f64) -> Decimal {
        let step = Decimal::new(1, self.quantity_precision);
        let q = Decimal::from_f64(value)
            .unwrap_or(Decimal::ZERO)
            .round_dp_with_strategy(self.quantity_precision, RoundingStrategy::ToZero);
        q.max(step)
    }

    /// A bar opened at `bar.open`: the book moves around the open (one depth update
    /// that removes the old levels and sets the new ones), then the book ticker.
    pub fn open(&mut self, bar: &Bar, out: &mut Vec<Outgoing>) {
        let tick = Decimal::new(1, self.price_precision);
        let mid = self.price(bar.open);
        let size = self.quantity(bar.volume / f64::from(BOOK_LEVELS * 4));
        let bids: Vec<SimLevel> = (1..=BOOK_LEVELS)
            .map(|i| (mid - tick * Decimal::from(i), size))
            .filter(|(p, _)| *p > Decimal::ZERO)
            .collect();
        let asks: Vec<SimLevel> = (1..=BOOK_LEVELS).map(|i| (mid + tick * Decimal::from(i), size)).collect();
        let diff = |old: &[SimLevel], new: &[SimLevel]| -> Vec<SimLevel> {
            let mut changes: Vec<SimLevel> = old
                .iter()
                .filter(|(p, _)| !new.iter().any(|(q, _)| q == p))
                .map(|(p, _)| (*p, Decimal::ZERO))
                .collect();
            changes.extend_from_slice(new);
            changes
        };
        let bid_changes = diff(&self.bids, &bids);
        let ask_changes = diff(&self.asks, &asks);
        self.version += 1;
        out.push(Outgoing::Depth {
            symbol: self.symbol.clone(),
            from_version: self.version,
            to_version: self.version,
            bids: bid_changes,
            asks: ask_changes,
        });
        self.bids = bids;
        self.asks = asks;
        if let (Some(bid), Some(ask)) = (self.bids.first(), self.asks.first()) {
            out.push(Outgoing::BookTicker {
                symbol: self.symbol.clone(),
                bid: *bid,
                ask: *ask,
            });
        }
    }
}

/// The public trades synthesised from bar number `index` of a series (trade ids
/// `4·index + 1 ..= 4·index + 4`, so they are the same whenever they are asked for).
#[must_use]
pub fn deals(bar: &Bar, index: usize, interval_ms: i64) -> Vec<SimDeal> {
    let ts = bar.ts.millis();
    let rising = bar.close >= bar.open;
    let path = if rising {
        [bar.open, bar.low, bar.high, bar.close]
    } else {
        [bar.open, bar.high, bar.low, bar.close]
    };
    let quantity = bar.volume / 4.0;
    let first = u64::try_from(index).unwrap_or(u64::MAX / 8).saturating_mul(4) + 1;
    path.iter()
        .zip(0_u64..)
        .map(|(&price, i)| SimDeal {
            price,
            quantity,
            taker_side: if (i % 2 == 0) == rising { Side::Buy } else { Side::Sell },
            time: ts + i64::try_from(i).unwrap_or(0) * (interval_ms / 4),
            trade_id: first + i,
        })
        .collect()
}
