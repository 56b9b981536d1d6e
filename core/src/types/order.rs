//! Order types, order requests, client order ids and the order state machine.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::code::Code;
use super::fill::Fill;
use super::market::Side;
use super::symbol::Symbol;
use super::time::Timestamp;
use crate::error::ValidationError;

/// MEXC's limit on `newClientOrderId` as far as it is known: 32 characters of `[A-Za-z0-9_-]`.
pub const MAX_CLIENT_ORDER_ID_LEN: usize = super::code::CAPACITY;

/// The order types MEXC spot accepts through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    /// Fill now at the best available prices.
    Market,
    /// Rest on the book at a limit price until filled or canceled.
    Limit,
    /// A limit order that is rejected instead of taking liquidity (post-only).
    LimitMaker,
    /// Fill what can be filled now at the limit price or better; cancel the rest.
    ImmediateOrCancel,
    /// Fill the whole quantity now at the limit price or better, or nothing.
    FillOrKill,
}

impl OrderType {
    /// Whether the type carries a limit price.
    #[must_use]
    pub const fn has_price(self) -> bool {
        !matches!(self, Self::Market)
    }

    /// Whether an order of this type may rest on the book (and so be canceled later).
    #[must_use]
    pub const fn can_rest(self) -> bool {
        matches!(self, Self::Limit | Self::LimitMaker)
    }
}

/// How much an order trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderAmount {
    /// A base-asset quantity.
    Base(Decimal),
    /// A quote-asset amount to spend (market buys only, MEXC `quoteOrderQty`).
    Quote(Decimal),
}

/// A client order id: deterministic, at most 32 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientOrderId(Code);

impl ClientOrderId {
    /// A checked client order id.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() || value.len() > MAX_CLIENT_ORDER_ID_LEN {
            return Err(ValidationError::new(
                "client order id",
                &value,
                format!("must be 1 to {MAX_CLIENT_ORDER_ID_LEN} characters"),
            ));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ValidationError::new(
                "client order id",
                &value,
                "must contain only A-Z, a-z, 0-9, '_' and '-'",
            ));
        }
        let code = Code::new(&value).ok_or_else(|| {
            ValidationError::new(
                "client order id",
                &value,
                format!("must be 1 to {MAX_CLIENT_ORDER_ID_LEN} characters"),
            )
        })?;
        Ok(Self(code))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// `<prefix>-<sequence>` (what `ClientOrderId::new(format!("{prefix}-{sequence}"))`
    /// gives, without formatting a string), `None` where that would be refused.
    #[must_use]
    pub fn sequenced(prefix: &str, sequence: u64) -> Option<Self> {
        let mut digits = [0_u8; 20];
        let mut start = digits.len();
        let mut n = sequence;
        loop {
            start -= 1;
            digits[start] = b'0' + u8::try_from(n % 10).unwrap_or(0);
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let digits = &digits[start..];
        let mut text = [0_u8; MAX_CLIENT_ORDER_ID_LEN];
        let len = prefix.len() + 1 + digits.len();
        if len > MAX_CLIENT_ORDER_ID_LEN
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return None;
        }
        text[..prefix.len()].copy_from_slice(prefix.as_bytes());
        text[prefix.len()] = b'-';
        text[prefix.len() + 1..len].copy_from_slice(digits);
        let text = std::str::from_utf8(&text[..len]).ok()?;
        Code::new(text).map(Self)
    }
}

impl TryFrom<String> for ClientOrderId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ClientOrderId> for String {
    fn from(id: ClientOrderId) -> Self {
        id.0.as_str().to_owned()
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// An order ready to send: prices and quantities already rounded to the instrument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// Deterministic id: bot id and per-bot sequence.
    pub client_id: ClientOrderId,
    /// Symbol to trade.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    pub order_type: OrderType,
    /// Base quantity, or quote amount for a market buy.
    pub amount: OrderAmount,
    /// Limit price; `None` for market orders.
    pub price: Option<Decimal>,
    /// Time of the decision (the event being handled).
    pub ts: Timestamp,
}

/// Where an order is in its life.
///
/// ```text
/// PendingSend ─┬─> Submitted ─┬─> Accepted ─> PartiallyFilled ─> Filled
///              └─> Unknown ───┤      (and from each of these: Canceled, Expired)
///                             └─> Rejected
/// ```
/// `Unknown` means the request may or may not have reached the exchange (a timeout, a 5xx,
/// a dropped connection after sending): it is resolved by querying the client order id,
/// never by resending. Fills may arrive before the acknowledgement (MEXC's acks are thin),
/// so `Submitted` and `Unknown` may move straight to a fill state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created by the engine, not yet handed to the exchange.
    PendingSend,
    /// Sent; no answer yet.
    Submitted,
    /// Sent, but whether the exchange received it is not known.
    Unknown,
    /// Acknowledged by the exchange and working.
    Accepted,
    /// Some of the quantity has filled; the rest is working.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Canceled (possibly after partial fills).
    Canceled,
    /// Refused by the exchange or before sending.
    Rejected,
    /// Ended by the exchange without a cancel request (IOC/FOK remainder, time in force).
    Expired,
}

impl OrderStatus {
    /// Whether no further transition is possible.
    #[must_use]
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Filled | Self::Canceled | Self::Rejected | Self::Expired
        )
    }

    /// Whether the order may still trade (and so holds funds).
    #[must_use]
    pub const fn is_open(self) -> bool {
        !self.is_terminal()
    }

    /// Whether moving from `self` to `to` is allowed.
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        use OrderStatus::{
            Accepted, Canceled, Expired, Filled, PartiallyFilled, PendingSend, Rejected, Submitted,
            Unknown,
        };
        match self {
            PendingSend => matches!(to, Submitted | Unknown | Rejected),
            Submitted => matches!(
                to,
                Unknown | Accepted | Rejected | PartiallyFilled | Filled | Canceled | Expired
            ),
            Unknown => matches!(
                to,
                Accepted | Rejected | PartiallyFilled | Filled | Canceled | Expired
            ),
            Accepted => matches!(to, PartiallyFilled | Filled | Canceled | Expired),
            PartiallyFilled => matches!(to, PartiallyFilled | Filled | Canceled | Expired),
            Filled | Canceled | Rejected | Expired => false,
        }
    }
}

/// A refused order-state change.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderError {
    /// The state machine does not allow this transition.
    #[error("order {client_id}: illegal transition {from:?} -> {to:?}")]
    IllegalTransition {
        /// The order.
        client_id: ClientOrderId,
        /// Current status.
        from: OrderStatus,
        /// Requested status.
        to: OrderStatus,
    },
    /// A fill would take the order past its quantity.
    #[error("order {client_id}: fill of {fill_quantity} exceeds the remaining {remaining}")]
    Overfill {
        /// The order.
        client_id: ClientOrderId,
        /// Quantity of the fill.
        fill_quantity: Decimal,
        /// Quantity still open before the fill.
        remaining: Decimal,
    },
    /// A fill that reports the order complete while quantity remains, or the reverse.
    #[error(
        "order {client_id}: fill says {} but {filled} of {ordered} is filled",
        if *complete { "complete" } else { "partial" }
    )]
    FillCompletionMismatch {
        /// The order.
        client_id: ClientOrderId,
        /// What the report claimed.
        complete: bool,
        /// Filled quantity after the fill.
        filled: Decimal,
        /// Ordered quantity.
        ordered: Decimal,
    },
    /// A fill whose symbol or side differs from its order's.
    #[error("order {client_id}: fill {trade_id} does not match the order's {what}")]
    FillMismatch {
        /// The order.
        client_id: ClientOrderId,
        /// Exchange trade id of the fill.
        trade_id: String,
        /// `symbol` or `side`.
        what: &'static str,
    },
}

/// Who asked for an order.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OrderOrigin {
    /// The strategy.
    #[default]
    Strategy,
    /// The risk layer (a stop loss, trailing stop or take-profit exit).
    Risk,
}

/// An order and everything known about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// What was asked for.
    pub request: OrderRequest,
    /// Current status.
    pub status: OrderStatus,
    /// Exchange order id, once known.
    pub exchange_id: Option<String>,
    /// Base quantity filled so far.
    pub filled_quantity: Decimal,
    /// Quote value filled so far (sum of price × quantity).
    pub filled_quote: Decimal,
    /// Exchange trade ids of the fills applied, in arrival order (for de-duplication).
    pub trade_ids: Vec<String>,
    /// Time of the last change.
    pub updated: Timestamp,
    /// Who asked for it.
    pub origin: OrderOrigin,
}

impl Order {
    /// A new order of the strategy in `PendingSend`.
    #[must_use]
    pub fn new(request: OrderRequest) -> Self {
        let updated = request.ts;
        Self {
            request,
            status: OrderStatus::PendingSend,
            exchange_id: None,
            filled_quantity: Decimal::ZERO,
            filled_quote: Decimal::ZERO,
            trade_ids: Vec::new(),
            updated,
            origin: OrderOrigin::Strategy,
        }
    }

    /// The client order id.
    #[must_use]
    pub fn client_id(&self) -> &ClientOrderId {
        &self.request.client_id
    }

    /// Moves to `to` if the state machine allows it.
    pub fn transition(&mut self, to: OrderStatus, ts: Timestamp) -> Result<(), OrderError> {
        if !self.status.can_become(to) {
            return Err(OrderError::IllegalTransition {
                client_id: self.request.client_id.clone(),
                from: self.status,
                to,
            });
        }
        self.status = to;
        self.updated = ts;
        Ok(())
    }

    /// Whether a fill with this exchange trade id was already applied.
    #[must_use]
    pub fn has_trade(&self, trade_id: &str) -> bool {
        self.trade_ids.iter().any(|t| t == trade_id)
    }

    /// Applies a fill: checks it against the order, then updates quantities and status.
    ///
    /// `complete` is the exchange's word on whether the order is now fully filled. For base
    /// quantity orders it must agree with the quantities; for quote-amount market buys (where
    /// the final base quantity is only known to the exchange) it decides the status.
    /// Nothing changes when an error is returned.
    pub fn apply_fill(&mut self, fill: &Fill, complete: bool) -> Result<(), OrderError> {
        let (to, filled) = self.check_fill(fill, complete)?;
        self.filled_quantity = filled;
        self.filled_quote += fill.price * fill.quantity;
        self.trade_ids.push(fill.trade_id.clone());
        self.status = to;
        self.updated = fill.ts;
        Ok(())
    }

    /// Checks that [`Order::apply_fill`] would accept `fill`, without changing anything:
    /// the same checks in the same order, the same errors. Returns the status and the
    /// filled quantity the fill would leave.
    pub fn check_fill(
        &self,
        fill: &Fill,
        complete: bool,
    ) -> Result<(OrderStatus, Decimal), OrderError> {
        let client_id = &self.request.client_id;
        let mismatch = |what| OrderError::FillMismatch {
            client_id: client_id.clone(),
            trade_id: fill.trade_id.clone(),
            what,
        };
        if fill.symbol != self.request.symbol {
            return Err(mismatch("symbol"));
        }
        if fill.side != self.request.side {
            return Err(mismatch("side"));
        }
        let to = if complete {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        if !self.status.can_become(to) {
            return Err(OrderError::IllegalTransition {
                client_id: client_id.clone(),
                from: self.status,
                to,
            });
        }
        let filled = self.filled_quantity + fill.quantity;
        if let OrderAmount::Base(ordered) = self.request.amount {
            if filled > ordered {
                return Err(OrderError::Overfill {
                    client_id: client_id.clone(),
                    fill_quantity: fill.quantity,
                    remaining: ordered - self.filled_quantity,
                });
            }
            if complete != (filled == ordered) {
                return Err(OrderError::FillCompletionMismatch {
                    client_id: client_id.clone(),
                    complete,
                    filled,
                    ordered,
                });
            }
        }
        Ok((to, filled))
    }

    /// Base quantity still open, when the order is sized in base.
    #[must_use]
    pub fn remaining_quantity(&self) -> Option<Decimal> {
        match self.request.amount {
            OrderAmount::Base(q) => Some(q - self.filled_quantity),
            OrderAmount::Quote(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn sequenced_ids_are_the_formatted_ones() {
        for prefix in [
            "ev",
            "parity",
            "a_b",
            "X",
            "bot_with_16chars",
            "",
            "bad id",
            "é",
        ] {
            for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
                let formatted = ClientOrderId::new(format!("{prefix}-{n}")).ok();
                assert_eq!(
                    ClientOrderId::sequenced(prefix, n),
                    formatted,
                    "{prefix} {n}"
                );
            }
        }
        let long = "A".repeat(30);
        assert_eq!(
            ClientOrderId::sequenced(&long, 9).map(|c| c.to_string()),
            Some(format!("{long}-9"))
        );
        assert_eq!(ClientOrderId::sequenced(&long, 10), None);
    }
    use crate::types::Asset;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn order(amount: OrderAmount) -> Order {
        Order::new(OrderRequest {
            client_id: ClientOrderId::new("bot-1").unwrap(),
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount,
            price: Some(dec("100")),
            ts: Timestamp(0),
        })
    }

    fn fill(trade_id: &str, quantity: &str) -> Fill {
        Fill {
            client_id: ClientOrderId::new("bot-1").unwrap(),
            trade_id: trade_id.to_owned(),
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: Side::Buy,
            price: dec("100"),
            quantity: dec(quantity),
            fee: Decimal::ZERO,
            fee_asset: Asset::new("USDT").unwrap(),
            is_maker: true,
            ts: Timestamp(5),
        }
    }

    #[test]
    fn the_documented_path_is_legal_and_shortcuts_are_not() {
        use OrderStatus::*;
        let legal = [
            (PendingSend, Submitted),
            (PendingSend, Unknown),
            (PendingSend, Rejected),
            (Submitted, Accepted),
            (Submitted, Filled),
            (Unknown, Accepted),
            (Unknown, Rejected),
            (Accepted, PartiallyFilled),
            (PartiallyFilled, PartiallyFilled),
            (PartiallyFilled, Filled),
            (PartiallyFilled, Canceled),
            (Accepted, Expired),
        ];
        for (from, to) in legal {
            assert!(from.can_become(to), "{from:?} -> {to:?}");
        }
        let illegal = [
            (PendingSend, Accepted),
            (PendingSend, Filled),
            (Accepted, Submitted),
            (Accepted, Rejected),
            (Unknown, Submitted),
            (Filled, Canceled),
            (Canceled, Accepted),
            (Rejected, Accepted),
            (Expired, Filled),
        ];
        for (from, to) in illegal {
            assert!(!from.can_become(to), "{from:?} -> {to:?}");
        }
        let all = [
            PendingSend,
            Submitted,
            Unknown,
            Accepted,
            PartiallyFilled,
            Filled,
            Canceled,
            Rejected,
            Expired,
        ];
        for terminal in all.into_iter().filter(|s| s.is_terminal()) {
            assert!(all.iter().all(|to| !terminal.can_become(*to)));
        }
    }

    #[test]
    fn illegal_transitions_are_errors_and_change_nothing() {
        let mut o = order(OrderAmount::Base(dec("1")));
        let err = o
            .transition(OrderStatus::Accepted, Timestamp(1))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "order bot-1: illegal transition PendingSend -> Accepted"
        );
        assert_eq!(
            (o.status, o.updated),
            (OrderStatus::PendingSend, Timestamp(0))
        );
        o.transition(OrderStatus::Submitted, Timestamp(1)).unwrap();
        o.transition(OrderStatus::Accepted, Timestamp(2)).unwrap();
        assert_eq!((o.status, o.updated), (OrderStatus::Accepted, Timestamp(2)));
    }

    #[test]
    fn fills_accumulate_and_must_agree_with_the_quantity() {
        let mut o = order(OrderAmount::Base(dec("1")));
        o.transition(OrderStatus::Submitted, Timestamp(1)).unwrap();
        // Claiming completion with quantity left is refused.
        let err = o.apply_fill(&fill("T1", "0.4"), true).unwrap_err();
        assert!(
            matches!(err, OrderError::FillCompletionMismatch { .. }),
            "{err}"
        );
        o.apply_fill(&fill("T1", "0.4"), false).unwrap();
        assert_eq!(o.status, OrderStatus::PartiallyFilled);
        assert_eq!(o.remaining_quantity(), Some(dec("0.6")));
        let err = o.apply_fill(&fill("T2", "0.7"), true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "order bot-1: fill of 0.7 exceeds the remaining 0.6"
        );
        let mut wrong_side = fill("T2", "0.6");
        wrong_side.side = Side::Sell;
        assert!(matches!(
            o.apply_fill(&wrong_side, true),
            Err(OrderError::FillMismatch { what: "side", .. })
        ));
        o.apply_fill(&fill("T2", "0.6"), true).unwrap();
        assert_eq!(
            (o.status, o.filled_quote),
            (OrderStatus::Filled, dec("100"))
        );
        assert!(o.has_trade("T1") && o.has_trade("T2"));
        // Nothing more after the end.
        assert!(o.apply_fill(&fill("T3", "0.1"), false).is_err());
    }

    #[test]
    fn quote_amount_orders_end_when_the_exchange_says_so() {
        let mut o = order(OrderAmount::Quote(dec("100")));
        o.transition(OrderStatus::Submitted, Timestamp(1)).unwrap();
        o.apply_fill(&fill("T1", "0.3"), false).unwrap();
        o.apply_fill(&fill("T2", "0.69"), true).unwrap();
        assert_eq!(
            (o.status, o.filled_quantity),
            (OrderStatus::Filled, dec("0.99"))
        );
        assert_eq!(o.remaining_quantity(), None);
    }

    #[test]
    fn client_order_ids_follow_mexc_limits() {
        assert!(ClientOrderId::new("a".repeat(32)).is_ok());
        assert!(ClientOrderId::new("a".repeat(33)).is_err());
        assert!(ClientOrderId::new("bot_1-42").is_ok());
        let err = ClientOrderId::new("bot 1").unwrap_err().to_string();
        assert!(err.contains("must contain only"), "{err}");
        assert!(serde_json::from_str::<ClientOrderId>("\"\"").is_err());
    }
}
