//! MEXC's order rules (precision, minimums, parameters) and fees.
//!
//! An order that breaks a rule is refused with a `Rejected` report whose reason starts with
//! the MEXC error code MEXC answers with and names the rule (`reference/mexc-api.md` §4.2,
//! §8), e.g. `30002 min_notional: order value 0.5 USDT is below the minimum 1 USDT`.
//! The checks, in order:
//!
//! | code   | rule                | refused when                                            |
//! |--------|---------------------|---------------------------------------------------------|
//! | -1121  | `symbol`            | the symbol is not listed                                |
//! | 10007  | `api_trading`       | the symbol is closed to API trading                     |
//! | 33333  | `duplicate_client_id` | an open order already has this client order id        |
//! | 33333  | `price`             | a market order carries a price                          |
//! | 44444  | `price`             | a limit-type order has none                             |
//! | 33333  | `quote_amount`      | a quote amount on anything but a market order           |
//! | 10097  | `price`, `quantity` | a price or amount that is not positive                  |
//! | 10096  | `price_precision`   | more price decimals than the instrument allows          |
//! | 10096  | `quantity_precision`| more quantity decimals than the instrument allows       |
//! | 10096  | `quote_precision`   | more quote-amount decimals than the price precision     |
//! | 30002  | `min_quantity`      | a base quantity below the minimum quantity              |
//! | 30002  | `min_notional`      | a value below the minimum notional (limit: quantity × price; market in base: quantity × the last price seen; market in quote: the amount) |
//!
//! Fees: a fill that rested on the book pays the instrument's maker rate, any other (market
//! orders, limit orders marketable on arrival) its taker rate. The fee is `rate × notional`
//! in the quote asset, kept exact (no rounding); with [`FeeAsset::Received`] a buy pays
//! `rate × quantity` in base instead.

use rust_decimal::Decimal;

use super::config::FeeAsset;
use crate::types::{Asset, Instrument, OrderAmount, OrderRequest, OrderType, Side};

/// Why the exchange refused an order: MEXC's code, the rule's name and the numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// MEXC error code.
    pub code: i32,
    /// The rule broken, e.g. `min_notional`.
    pub rule: &'static str,
    /// The values involved.
    pub detail: String,
}

impl Reject {
    fn new(code: i32, rule: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            rule,
            detail: detail.into(),
        }
    }

    /// The text of the `Rejected` report: `<code> <rule>: <detail>`.
    #[must_use]
    pub fn reason(&self) -> String {
        format!("{} {}: {}", self.code, self.rule, self.detail)
    }
}

/// Decimals `value` really has (trailing zeros do not count).
fn decimals(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// Checks an order against its instrument (`None`: the symbol is not listed). `last` is
/// the last price seen for the symbol, used for the minimum value of market orders sized
/// in base (skipped while no price is known).
pub(crate) fn check_order(
    instrument: Option<&Instrument>,
    request: &OrderRequest,
    last: Option<f64>,
) -> Result<(), Reject> {
    let Some(instrument) = instrument else {
        return Err(Reject::new(
            -1121,
            "symbol",
            format!("{} is not listed", request.symbol),
        ));
    };
    if !instrument.api_trading_allowed {
        return Err(Reject::new(
            10007,
            "api_trading",
            format!("symbol {} not support api", request.symbol),
        ));
    }
    let market = request.order_type == OrderType::Market;
    match (market, request.price) {
        (true, Some(p)) => {
            return Err(Reject::new(
                33333,
                "price",
                format!("a market order takes no price (got {p})"),
            ));
        }
        (false, None) => {
            return Err(Reject::new(
                44444,
                "price",
                format!("a {:?} order needs a price", request.order_type),
            ));
        }
        _ => {}
    }
    if let Some(price) = request.price {
        if price <= Decimal::ZERO {
            return Err(Reject::new(
                10097,
                "price",
                format!("price {price} is not positive"),
            ));
        }
        if decimals(price) > instrument.price_precision {
            return Err(Reject::new(
                10096,
                "price_precision",
                format!(
                    "price {price} has more than {} decimals",
                    instrument.price_precision
                ),
            ));
        }
    }
    match request.amount {
        OrderAmount::Quote(amount) => {
            if !market {
                return Err(Reject::new(
                    33333,
                    "quote_amount",
                    "only market orders may be sized in quote",
                ));
            }
            if amount <= Decimal::ZERO {
                return Err(Reject::new(
                    10097,
                    "quantity",
                    format!("quote amount {amount} is not positive"),
                ));
            }
            if decimals(amount) > instrument.price_precision {
                return Err(Reject::new(
                    10096,
                    "quote_precision",
                    format!(
                        "quote amount {amount} has more than {} decimals",
                        instrument.price_precision
                    ),
                ));
            }
            check_notional(instrument, amount)
        }
        OrderAmount::Base(quantity) => {
            if quantity <= Decimal::ZERO {
                return Err(Reject::new(
                    10097,
                    "quantity",
                    format!("quantity {quantity} is not positive"),
                ));
            }
            if decimals(quantity) > instrument.quantity_precision {
                return Err(Reject::new(
                    10096,
                    "quantity_precision",
                    format!(
                        "quantity {quantity} has more than {} decimals",
                        instrument.quantity_precision
                    ),
                ));
            }
            if quantity < instrument.min_quantity {
                return Err(Reject::new(
                    30002,
                    "min_quantity",
                    format!(
                        "quantity {quantity} {} is below the minimum {}",
                        instrument.base, instrument.min_quantity
                    ),
                ));
            }
            let reference = match request.price {
                Some(p) => Some(p),
                None => last.and_then(|l| instrument.round_price(l).ok()),
            };
            match reference {
                Some(price) => check_notional(instrument, quantity * price),
                None => Ok(()),
            }
        }
    }
}

fn check_notional(instrument: &Instrument, value: Decimal) -> Result<(), Reject> {
    if value < instrument.min_notional {
        return Err(Reject::new(
            30002,
            "min_notional",
            format!(
                "order value {} {} is below the minimum {} {}",
                value.normalize(),
                instrument.quote,
                instrument.min_notional,
                instrument.quote
            ),
        ));
    }
    Ok(())
}

/// The fee of a fill and the asset it is charged in.
pub(crate) fn fee(
    instrument: &Instrument,
    fee_asset: FeeAsset,
    side: Side,
    price: Decimal,
    quantity: Decimal,
    maker: bool,
) -> (Decimal, Asset) {
    let rate = if maker {
        instrument.maker_fee
    } else {
        instrument.taker_fee
    };
    match (fee_asset, side) {
        (FeeAsset::Received, Side::Buy) => (quantity * rate, instrument.base.clone()),
        _ => (price * quantity * rate, instrument.quote.clone()),
    }
}
