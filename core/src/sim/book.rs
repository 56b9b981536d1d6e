//! The book of working orders: what each open order asked for, what it has filled and
//! where it is in its life at the simulated exchange.

use rust_decimal::Decimal;

use crate::money::rounding::decimal_down;
use crate::types::{ClientOrderId, OrderAmount, OrderRequest, OrderType, Symbol, Timestamp};

/// Where a working order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Accepted, waiting for its arrival price (the next open, or the close).
    Pending,
    /// A market order (or a marketable limit order's taker part) with quantity left by
    /// the volume cap: it keeps taking at each bar's fill price.
    Taking,
    /// A limit order resting on the book at its price (it fills as maker).
    Resting,
}

/// One open order at the simulated exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOrder {
    /// Arrival sequence at the exchange (1, 2, ...): the matching priority.
    pub seq: u64,
    /// The exchange order id, `SIM-<seq>`.
    pub exchange_id: String,
    /// What the engine asked for.
    pub request: OrderRequest,
    /// Where it is.
    pub stage: Stage,
    /// Base quantity filled so far.
    pub filled_quantity: Decimal,
    /// Quote value filled so far (Σ price × quantity).
    pub filled_quote: Decimal,
    /// The bar whose volume the cap is counted against, and what filled on it.
    pub(crate) bar_fill: Option<(Timestamp, Decimal)>,
}

/// `format!("{prefix}{n}")` without the formatting machinery (the exchange makes an order
/// id per order and a trade id per fill).
pub(crate) fn numbered_id(prefix: &str, n: u64) -> String {
    let mut digits = [0_u8; 20];
    let mut start = digits.len();
    let mut rest = n;
    loop {
        start -= 1;
        digits[start] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut id = String::with_capacity(prefix.len() + digits.len() - start);
    id.push_str(prefix);
    for &digit in &digits[start..] {
        id.push(char::from(digit));
    }
    id
}

impl SimOrder {
    /// A newly accepted order.
    pub(crate) fn new(seq: u64, request: OrderRequest) -> Self {
        Self {
            seq,
            exchange_id: numbered_id("SIM-", seq),
            request,
            stage: Stage::Pending,
            filled_quantity: Decimal::ZERO,
            filled_quote: Decimal::ZERO,
            bar_fill: None,
        }
    }

    /// The client order id.
    #[must_use]
    pub fn client_id(&self) -> &ClientOrderId {
        &self.request.client_id
    }

    /// The symbol.
    #[must_use]
    pub fn symbol(&self) -> &Symbol {
        &self.request.symbol
    }

    /// Whether it is a market order.
    #[must_use]
    pub fn is_market(&self) -> bool {
        self.request.order_type == OrderType::Market
    }

    /// What it may fill now at `price` before any cap: the base quantity left, or for a
    /// quote-amount order the quantity steps the rest of the amount buys at `price`.
    pub(crate) fn wanted(&self, price: Decimal, quantity_precision: u32) -> Decimal {
        match self.request.amount {
            OrderAmount::Base(q) => q - self.filled_quantity,
            OrderAmount::Quote(a) => {
                decimal_down((a - self.filled_quote) / price, quantity_precision)
            }
        }
    }

    /// Quantity the volume cap still allows on the bar at `ts` (`cap` is the bar's cap).
    pub(crate) fn cap_left(&self, ts: Timestamp, cap: Decimal) -> Decimal {
        match self.bar_fill {
            Some((bar, filled)) if bar == ts => (cap - filled).max(Decimal::ZERO),
            _ => cap,
        }
    }

    /// Records a fill on the bar at `ts`.
    pub(crate) fn record(&mut self, ts: Timestamp, price: Decimal, quantity: Decimal) {
        self.filled_quantity += quantity;
        self.filled_quote += price * quantity;
        self.bar_fill = match self.bar_fill {
            Some((bar, filled)) if bar == ts => Some((bar, filled + quantity)),
            _ => Some((ts, quantity)),
        };
    }
}

/// The open orders, in arrival order (which is also their matching priority).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Book {
    orders: Vec<SimOrder>,
}

impl Book {
    pub(crate) fn push(&mut self, order: SimOrder) {
        self.orders.push(order);
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &SimOrder> {
        self.orders.iter()
    }

    pub(crate) fn get(&self, client_id: &ClientOrderId) -> Option<&SimOrder> {
        self.orders.iter().find(|o| o.client_id() == client_id)
    }

    pub(crate) fn position(&self, client_id: &ClientOrderId) -> Option<usize> {
        self.orders.iter().position(|o| o.client_id() == client_id)
    }

    pub(crate) fn at(&self, index: usize) -> Option<&SimOrder> {
        self.orders.get(index)
    }

    pub(crate) fn at_mut(&mut self, index: usize) -> Option<&mut SimOrder> {
        self.orders.get_mut(index)
    }

    /// Removes the order at `index` (arrival order of the rest is kept).
    pub(crate) fn remove(&mut self, index: usize) -> SimOrder {
        self.orders.remove(index)
    }

    /// Client ids of the orders of `symbol` (at `stage`, if given), in arrival order.
    pub(crate) fn ids(&self, symbol: &Symbol, stage: Option<Stage>) -> Vec<ClientOrderId> {
        self.orders
            .iter()
            .filter(|o| o.symbol() == symbol && stage.is_none_or(|s| o.stage == s))
            .map(|o| o.client_id().clone())
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.orders.len()
    }
}

#[cfg(test)]
mod id_tests {
    use super::numbered_id;

    #[test]
    fn numbered_ids_are_the_formatted_ones() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            12_345,
            38_149,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            assert_eq!(numbered_id("SIM-", n), format!("SIM-{n}"));
            assert_eq!(numbered_id("SIMT-", n), format!("SIMT-{n}"));
        }
    }
}
