//! The grid's ladder: level prices, slots and their orders.

use rust_decimal::Decimal;

use crate::money::rounding::to_f64;
use crate::strategy::{Context, Intent, Size};
use crate::types::{ClientOrderId, Instrument, Order, Side, Symbol};

/// How the levels are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Spacing {
    Arithmetic,
    Geometric,
}

/// `count` prices from `low` to `high` rounded to the instrument's price step, or `None`
/// when they would not be distinct positive prices.
pub(super) fn grid_levels(
    low: f64,
    high: f64,
    count: usize,
    spacing: Spacing,
    instrument: &Instrument,
) -> Option<Vec<Decimal>> {
    if !(low.is_finite() && high.is_finite() && low > 0.0 && high > low && count >= 2) {
        return None;
    }
    #[allow(clippy::cast_precision_loss, reason = "at most 200 levels")]
    let steps = (count - 1) as f64;
    let mut levels: Vec<Decimal> = Vec::with_capacity(count);
    for i in 0..count {
        #[allow(clippy::cast_precision_loss, reason = "at most 200 levels")]
        let t = i as f64 / steps;
        let raw = match spacing {
            Spacing::Arithmetic => low + (high - low) * t,
            Spacing::Geometric => low * (high / low).powf(t),
        };
        let price = instrument.round_price(raw).ok()?;
        if price <= Decimal::ZERO || levels.last().is_some_and(|last| price <= *last) {
            return None;
        }
        levels.push(price);
    }
    Some(levels)
}

/// Whether `quantity` at `price` is an order the instrument accepts.
pub(super) fn tradable(instrument: &Instrument, quantity: Decimal, price: Decimal) -> bool {
    quantity > Decimal::ZERO
        && quantity >= instrument.min_quantity
        && quantity * price >= instrument.min_notional
}

/// One of the grid's orders: asked for (id not yet seen) or placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum OrderRef {
    Pending,
    Placed(ClientOrderId),
}

/// Where a slot is in its round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stage {
    /// No order, no inventory.
    Idle,
    /// A buy rests at the slot's level; `filled` is the base received so far.
    Buying { order: OrderRef, filled: Decimal },
    /// Inventory waiting for its sell.
    Holding { quantity: Decimal },
    /// A sell of `quantity` (what is still unsold) rests one level up.
    Selling { order: OrderRef, quantity: Decimal },
}

impl Stage {
    pub(super) fn order(&self) -> Option<&OrderRef> {
        match self {
            Self::Buying { order, .. } | Self::Selling { order, .. } => Some(order),
            Self::Idle | Self::Holding { .. } => None,
        }
    }

    /// The stage once its order ended without (further) fills.
    pub(super) fn ended(&self) -> Self {
        match self {
            Self::Buying { filled, .. } if *filled > Decimal::ZERO => {
                Self::Holding { quantity: *filled }
            }
            Self::Selling { quantity, .. } => Self::Holding {
                quantity: *quantity,
            },
            Self::Holding { quantity } => Self::Holding {
                quantity: *quantity,
            },
            Self::Buying { .. } | Self::Idle => Self::Idle,
        }
    }

    /// Inventory the slot holds.
    pub(super) fn inventory(&self) -> Decimal {
        match self {
            Self::Buying { filled, .. } => *filled,
            Self::Holding { quantity } | Self::Selling { quantity, .. } => *quantity,
            Self::Idle => Decimal::ZERO,
        }
    }
}

/// One buy level and the sell level above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Slot {
    pub(super) stage: Stage,
    /// The first bar (count) at which the slot may send an order again.
    pub(super) retry_at: u64,
}

/// A built grid in one symbol.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ladder {
    /// Level prices, strictly increasing, on the price step.
    pub(super) levels: Vec<Decimal>,
    /// Quote budget of each buy.
    pub(super) budget: Decimal,
    /// `levels.len() - 1` slots; slot `i` buys at `levels[i]` and sells at `levels[i + 1]`.
    pub(super) slots: Vec<Slot>,
    /// Consecutive bars closed outside the range.
    pub(super) outside: u64,
    /// Canceling everything before a rebuild.
    pub(super) recentering: bool,
}

impl Ladder {
    /// The side and price of slot `i`'s current order.
    pub(super) fn order_spot(&self, i: usize) -> Option<(Side, Decimal)> {
        match self.slots[i].stage {
            Stage::Buying { .. } => Some((Side::Buy, self.levels[i])),
            Stage::Selling { .. } => Some((Side::Sell, self.levels[i + 1])),
            Stage::Idle | Stage::Holding { .. } => None,
        }
    }

    pub(super) fn owns(&self, id: &ClientOrderId) -> bool {
        self.slot_of(id).is_some()
    }

    pub(super) fn slot_of(&self, id: &ClientOrderId) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.stage.order() == Some(&OrderRef::Placed(id.clone())))
    }

    pub(super) fn set_order(&mut self, i: usize, id: ClientOrderId) {
        if let Stage::Buying { order, .. } | Stage::Selling { order, .. } = &mut self.slots[i].stage
        {
            *order = OrderRef::Placed(id);
        }
    }

    /// Sends the sells of held inventory and the buys of idle slots below `close`.
    pub(super) fn place_orders(
        &mut self,
        ctx: &Context<'_>,
        symbol: &Symbol,
        instrument: &Instrument,
        bar: u64,
        close: f64,
        intents: &mut Vec<Intent>,
    ) {
        let offered: Decimal = ctx
            .open_orders_on(symbol, Side::Sell)
            .filter_map(Order::remaining_quantity)
            .sum();
        let mut sellable = (ctx.held(symbol) - offered).max(Decimal::ZERO);
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let Stage::Holding { quantity } = slot.stage else {
                continue;
            };
            if slot.retry_at > bar {
                continue;
            }
            let price = self.levels[i + 1];
            let quantity = instrument.round_quantity_decimal(quantity.min(sellable));
            if !tradable(instrument, quantity, price) {
                // Dust, or sold by someone else (a risk-layer exit): nothing left to offer.
                slot.stage = Stage::Idle;
                continue;
            }
            intents.push(Intent::limit(
                symbol,
                Side::Sell,
                to_f64(price),
                Size::Base(to_f64(quantity)),
            ));
            sellable -= quantity;
            slot.stage = Stage::Selling {
                order: OrderRef::Pending,
                quantity,
            };
        }
        let fee = Decimal::ONE + instrument.maker_fee.max(instrument.taker_fee);
        let mut free = ctx.wallet.available();
        for i in (0..self.slots.len()).rev() {
            let price = self.levels[i];
            let slot = &mut self.slots[i];
            if slot.stage != Stage::Idle || slot.retry_at > bar || to_f64(price) >= close {
                continue;
            }
            let quantity = instrument.round_quantity_decimal(self.budget / (price * fee));
            if free < self.budget || !tradable(instrument, quantity, price) {
                continue;
            }
            intents.push(Intent::limit(
                symbol,
                Side::Buy,
                to_f64(price),
                Size::Quote(to_f64(self.budget)),
            ));
            free -= self.budget;
            slot.stage = Stage::Buying {
                order: OrderRef::Pending,
                filled: Decimal::ZERO,
            };
        }
    }
}
