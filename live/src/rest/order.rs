//! Orders as MEXC takes them: the parameters of `POST /api/v3/order`, `order/test` and one
//! element of `batchOrders` (reference §3), checked before anything is sent.

use rust_decimal::Decimal;
use vela_core::types::order::MAX_CLIENT_ORDER_ID_LEN;
use vela_core::types::{OrderAmount, OrderRequest};

use super::model::{WireOrderType, WireSide};
use crate::signing::Query;

/// A new order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Side.
    pub side: WireSide,
    /// Type.
    pub order_type: WireOrderType,
    /// Base quantity.
    pub quantity: Option<Decimal>,
    /// Quote amount to spend (market buys only).
    pub quote_order_qty: Option<Decimal>,
    /// Limit price.
    pub price: Option<Decimal>,
    /// `newClientOrderId`: the key that resolves an unknown outcome.
    pub client_order_id: Option<String>,
}

/// How an existing order is named: MEXC's id or the client order id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRef {
    /// MEXC's `orderId`.
    OrderId(String),
    /// The `newClientOrderId` it was placed with (`origClientOrderId`).
    ClientId(String),
}

impl OrderRef {
    pub(crate) fn push(&self, query: &mut Query) {
        match self {
            Self::OrderId(id) => query.push("orderId", id),
            Self::ClientId(id) => query.push("origClientOrderId", id),
        };
    }
}

/// A decimal as MEXC wants it: plain digits, no exponent, no trailing zeros.
#[must_use]
pub fn plain(value: Decimal) -> String {
    value.normalize().to_string()
}

impl NewOrder {
    /// The order for a vela-core request (already rounded to the instrument by the core).
    #[must_use]
    pub fn from_request(request: &OrderRequest) -> Self {
        let (quantity, quote_order_qty) = match request.amount {
            OrderAmount::Base(q) => (Some(q), None),
            OrderAmount::Quote(a) => (None, Some(a)),
        };
        Self {
            symbol: request.symbol.as_str().to_owned(),
            side: request.side.into(),
            order_type: request.order_type.into(),
            quantity,
            quote_order_qty,
            price: request.price,
            client_order_id: Some(request.client_id.as_str().to_owned()),
        }
    }

    /// Checks what MEXC would refuse, so a bad order is refused before any network I/O
    /// (fault-tests.md cases 7 and 34). The message names the field.
    pub fn check(&self) -> Result<(), String> {
        let positive = |name: &str, value: Option<Decimal>| match value {
            Some(v) if v <= Decimal::ZERO => Err(format!("{name} {v} must be positive")),
            _ => Ok(()),
        };
        positive("quantity", self.quantity)?;
        positive("quoteOrderQty", self.quote_order_qty)?;
        positive("price", self.price)?;
        match self.order_type {
            WireOrderType::Market => {
                if self.quantity.is_some() == self.quote_order_qty.is_some() {
                    return Err("a MARKET order needs exactly one of quantity and quoteOrderQty".to_owned());
                }
                if self.quote_order_qty.is_some() && self.side == WireSide::Sell {
                    return Err("a MARKET SELL takes a quantity, not quoteOrderQty".to_owned());
                }
                if self.price.is_some() {
                    return Err("a MARKET order has no price".to_owned());
                }
            }
            other => {
                if self.quantity.is_none() || self.price.is_none() {
                    return Err(format!("a {} order needs quantity and price", other.as_str()));
                }
                if self.quote_order_qty.is_some() {
                    return Err(format!("a {} order takes no quoteOrderQty", other.as_str()));
                }
            }
        }
        if let Some(id) = &self.client_order_id {
            let ok = !id.is_empty()
                && id.len() <= MAX_CLIENT_ORDER_ID_LEN
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(format!(
                    "newClientOrderId `{id}` must be 1 to {MAX_CLIENT_ORDER_ID_LEN} characters of A-Z, a-z, 0-9, '_' and '-'"
                ));
            }
        }
        Ok(())
    }

    /// The order's parameters, in MEXC's documented order.
    pub(crate) fn push(&self, query: &mut Query) {
        query
            .push("symbol", &self.symbol)
            .push("side", self.side.as_str())
            .push("type", self.order_type.as_str())
            .push_opt("quantity", self.quantity.map(plain))
            .push_opt("quoteOrderQty", self.quote_order_qty.map(plain))
            .push_opt("price", self.price.map(plain))
            .push_opt("newClientOrderId", self.client_order_id.as_deref());
    }

    /// The order as one element of `batchOrders`.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                object.insert(key.to_owned(), serde_json::Value::String(value));
            }
        };
        put("symbol", Some(self.symbol.clone()));
        put("side", Some(self.side.as_str().to_owned()));
        put("type", Some(self.order_type.as_str().to_owned()));
        put("quantity", self.quantity.map(plain));
        put("quoteOrderQty", self.quote_order_qty.map(plain));
        put("price", self.price.map(plain));
        put("newClientOrderId", self.client_order_id.clone());
        serde_json::Value::Object(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit() -> NewOrder {
        NewOrder {
            symbol: "BTCUSDT".to_owned(),
            side: WireSide::Buy,
            order_type: WireOrderType::Limit,
            quantity: Some(Decimal::new(1500, 3)),
            quote_order_qty: None,
            price: Some(Decimal::new(1100, 2)),
            client_order_id: Some("bot1-7".to_owned()),
        }
    }

    #[test]
    fn parameters_are_plain_and_in_order() {
        let mut query = Query::new();
        limit().push(&mut query);
        assert_eq!(
            query.as_str(),
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1.5&price=11&newClientOrderId=bot1-7"
        );
    }

    #[test]
    fn bad_orders_are_refused_before_sending() {
        assert!(limit().check().is_ok());
        let long = NewOrder { client_order_id: Some("x".repeat(33)), ..limit() };
        assert!(long.check().expect_err("too long").contains("newClientOrderId"));
        let bad_chars = NewOrder { client_order_id: Some("a b".to_owned()), ..limit() };
        assert!(bad_chars.check().is_err());
        let no_price = NewOrder { price: None, ..limit() };
        assert!(no_price.check().expect_err("no price").contains("needs quantity and price"));
        let market_both = NewOrder {
            order_type: WireOrderType::Market,
            price: None,
            quote_order_qty: Some(Decimal::TEN),
            ..limit()
        };
        assert!(market_both.check().expect_err("both").contains("exactly one"));
        let negative = NewOrder { quantity: Some(Decimal::NEGATIVE_ONE), ..limit() };
        assert!(negative.check().expect_err("negative").contains("quantity -1 must be positive"));
    }
}
