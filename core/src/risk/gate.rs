//! The risk gate: an intent to place an order becomes a sized, rounded, checked order — or
//! a denial with a reason code.
//!
//! Sizing rules:
//! - Market buys are sent as a quote amount (MEXC `quoteOrderQty`) so they can never spend
//!   more than was reserved. The amount leaves room for the taker fee
//!   (`amount = budget / (1 + taker_fee)`, rounded down) so the fee fits whatever asset it
//!   is charged in. A `Size::Base` market buy spends `base × last price` (rounded down),
//!   so it buys the quantity asked at the last price (never more), the fee on top.
//! - Limit buys reserve `quantity × price × (1 + max(maker, taker))`.
//! - Sells are sized from what is held and not already offered by open sells.
//! - Quantities round down, prices to the nearest step (see `money::rounding`).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::config::RiskConfig;
use super::deny::DenyReason;
use super::rate::RateWindow;
use super::sizing::TradeStats;
use crate::money::rounding::{self, decimal_down, to_f64};
use crate::strategy::{OrderIntent, Size};
use crate::types::{
    Asset, ClientOrderId, Instrument, Order, OrderAmount, OrderType, Side, Symbol, Timestamp,
};
use crate::wallet::{Wallet, value_of};

/// What the gate needs to see of the bot.
#[derive(Debug, Clone, Copy)]
pub struct GateView<'a> {
    /// "Now".
    pub ts: Timestamp,
    /// The wallet.
    pub wallet: &'a Wallet,
    /// Instruments by symbol.
    pub instruments: &'a BTreeMap<Symbol, Instrument>,
    /// Last prices by symbol.
    pub last_prices: &'a BTreeMap<Symbol, f64>,
    /// Open orders.
    pub open_orders: &'a BTreeMap<ClientOrderId, Order>,
    /// Capital reserved per open buy order.
    pub reservations: &'a BTreeMap<ClientOrderId, Decimal>,
}

impl GateView<'_> {
    /// What one unit of `asset` is worth in the budget asset.
    fn value(&self, asset: &Asset) -> Option<Decimal> {
        value_of(
            asset,
            self.wallet.asset(),
            self.instruments,
            self.last_prices,
        )
    }

    /// Equity at the last prices.
    pub fn equity(&self) -> Decimal {
        self.wallet.equity(|a| self.value(a))
    }

    /// Value in the budget asset of the positions, in one asset or all.
    fn positions_value(&self, only: Option<&Asset>) -> Decimal {
        self.wallet
            .positions()
            .iter()
            .filter(|(a, _)| only.is_none_or(|o| o == *a))
            .map(|(a, p)| {
                self.value(a)
                    .map_or_else(|| p.cost_basis(), |v| v * p.quantity())
            })
            .sum()
    }

    /// Value in the budget asset of what is reserved for open buys of one base asset, or
    /// of all.
    fn reserved_for(&self, only: Option<&Asset>) -> Decimal {
        self.reservations
            .iter()
            .filter_map(|(id, reserved)| {
                let order = self.open_orders.get(id)?;
                let instrument = self.instruments.get(&order.request.symbol)?;
                if only.is_some_and(|a| a != &instrument.base) {
                    return None;
                }
                Some(*reserved * self.value(&instrument.quote).unwrap_or(Decimal::ONE))
            })
            .sum()
    }

    /// Amount of `asset` free for a new order: for the budget asset, the cash not reserved;
    /// for any other, what is held less what open sells (on any pair of it) already offer
    /// and what is reserved to pay for open buys.
    pub fn free(&self, asset: &Asset) -> Decimal {
        if asset == self.wallet.asset() {
            return self.wallet.available();
        }
        let offered: Decimal = self
            .open_orders
            .values()
            .filter(|o| {
                o.request.side == Side::Sell
                    && self
                        .instruments
                        .get(&o.request.symbol)
                        .is_some_and(|i| &i.base == asset)
            })
            .filter_map(Order::remaining_quantity)
            .sum();
        (self.wallet.held(asset) - offered - self.wallet.reserved_of(asset)).max(Decimal::ZERO)
    }

    /// Quantity of `symbol`'s base asset free to sell (see [`GateView::free`]).
    pub fn sellable(&self, symbol: &Symbol) -> Decimal {
        self.instruments
            .get(symbol)
            .map_or(Decimal::ZERO, |i| self.free(&i.base))
    }
}

/// An order the gate approved, before it gets its client order id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    /// Symbol.
    pub symbol: Symbol,
    /// Side.
    pub side: Side,
    /// Order type.
    pub order_type: OrderType,
    /// Rounded amount.
    pub amount: OrderAmount,
    /// Rounded limit price.
    pub price: Option<Decimal>,
    /// Capital to reserve until the order ends.
    pub reserve: Decimal,
}

/// A refusal: the reason code and the numbers behind it.
pub type Refusal = (DenyReason, String);

fn refuse<T>(reason: DenyReason, detail: impl Into<String>) -> Result<T, Refusal> {
    Err((reason, detail.into()))
}

fn share(value: f64) -> Result<f64, Refusal> {
    if value.is_finite() && value > 0.0 && value <= 1.0 {
        Ok(value)
    } else {
        refuse(
            DenyReason::InvalidSize,
            format!("share {value} is not in (0, 1]"),
        )
    }
}

fn decimal(what: &str, value: f64) -> Result<Decimal, Refusal> {
    if !value.is_finite() || value < 0.0 {
        return refuse(
            DenyReason::InvalidSize,
            format!("{what} {value} is not a usable number"),
        );
    }
    if value == 1.0 {
        // What `from_f64(1.0)` gives, value and scale (see `wallet::valuation`'s test):
        // the default all-in share, without the conversion.
        return Ok(Decimal::ONE);
    }
    rounding::from_f64(value).ok_or_else(|| {
        (
            DenyReason::InvalidSize,
            format!("{what} {value} is out of range"),
        )
    })
}

/// Checks and sizes one order intent. `rate_exempt` is set for the risk layer's own exits.
pub fn approve(
    config: &RiskConfig,
    stats: &TradeStats,
    rate: &mut RateWindow,
    view: &GateView<'_>,
    intent: &OrderIntent,
    rate_exempt: bool,
) -> Result<Approved, Refusal> {
    let Some(instrument) = view.instruments.get(&intent.symbol) else {
        return refuse(
            DenyReason::UnknownSymbol,
            format!("{} is not traded by this bot", intent.symbol),
        );
    };
    if !instrument.api_trading_allowed {
        return refuse(
            DenyReason::TradingNotAllowed,
            format!("{} is not open to API trading", intent.symbol),
        );
    }
    if !rate_exempt
        && let Some(limit) = config.order_rate
        && !rate.allows(limit, view.ts)
    {
        return refuse(
            DenyReason::OrderRate,
            format!(
                "{} orders per {} ms already sent",
                limit.max_orders, limit.window_ms
            ),
        );
    }
    let (order_type, limit_price) = intent.pricing.order_type();
    let last = view.last_prices.get(&intent.symbol).copied();
    let price = match limit_price {
        Some(p) => {
            let rounded = instrument
                .round_price(p)
                .map_err(|e| (DenyReason::InvalidSize, e.to_string()))?;
            if rounded <= Decimal::ZERO {
                return refuse(
                    DenyReason::InvalidSize,
                    format!("limit price {p} rounds to zero"),
                );
            }
            if let Some(band) = config.price_band {
                let Some(last) = last else {
                    return refuse(
                        DenyReason::NoMarketPrice,
                        "no last price to check the price band",
                    );
                };
                let distance = (to_f64(rounded) / last - 1.0).abs();
                if distance > band {
                    return refuse(
                        DenyReason::PriceBand,
                        format!(
                            "limit {rounded} is {:.4} % from last {last}, band {:.4} %",
                            distance * 100.0,
                            band * 100.0
                        ),
                    );
                }
            }
            Some(rounded)
        }
        None => None,
    };
    // The price used to convert between base and quote.
    let reference = match (price, last) {
        (Some(p), _) => p,
        (None, Some(l)) => decimal("last price", l)?,
        (None, None) => {
            return refuse(
                DenyReason::NoMarketPrice,
                format!("no price known for {}", intent.symbol),
            );
        }
    };
    if reference <= Decimal::ZERO {
        return refuse(
            DenyReason::NoMarketPrice,
            format!("price {reference} is not positive"),
        );
    }
    let approved = match intent.side {
        Side::Buy => size_buy(
            config,
            stats,
            view,
            instrument,
            intent.size,
            order_type,
            price,
            reference,
        )?,
        Side::Sell => size_sell(view, instrument, intent.size, order_type, price, reference)?,
    };
    check_minimums(instrument, &approved, reference)?;
    if approved.side == Side::Buy {
        check_exposure(config, view, instrument, &approved)?;
    }
    Ok(approved)
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site; the values are all distinct"
)]
fn size_buy(
    config: &RiskConfig,
    stats: &TradeStats,
    view: &GateView<'_>,
    instrument: &Instrument,
    size: Size,
    order_type: OrderType,
    price: Option<Decimal>,
    reference: Decimal,
) -> Result<Approved, Refusal> {
    // Buys pay with the pair's quote asset: USDT for BTCUSDT, BTC for ETHBTC.
    let quote_asset = &instrument.quote;
    let available = view.free(quote_asset);
    // What the size asks for, in quote (or in base for Size::Base).
    let quote_budget = match size {
        Size::Quote(q) => Some(decimal("quote size", q)?),
        Size::WalletShare(f) => Some(available * decimal("share", share(f)?)?),
        Size::RiskSized => {
            let fraction = config.sizing.fraction(stats).map_err(|k| {
                (
                    DenyReason::NoEdge,
                    format!("Kelly fraction {k:.4} over {} trades", stats.trades()),
                )
            })?;
            let fraction = decimal("sizing fraction", fraction)?;
            // The trading equity (cash and positions, not the profit reserve) in the quote
            // asset; never more than is free.
            let quote_value = view.value(quote_asset).unwrap_or(Decimal::ONE);
            let trading_equity = view.wallet.cash() + view.positions_value(None);
            Some((trading_equity * fraction / quote_value).min(available))
        }
        Size::Base(_) => None,
        Size::PositionShare(_) => {
            return refuse(
                DenyReason::InvalidSize,
                "a buy cannot be sized as a share of the position",
            );
        }
    };
    let base = match size {
        Size::Base(b) => Some(
            instrument
                .round_quantity(b)
                .map_err(|e| (DenyReason::InvalidSize, e.to_string()))?,
        ),
        _ => None,
    };
    let (amount, reserve) = if order_type == OrderType::Market {
        let fee = Decimal::ONE + instrument.taker_fee;
        // A budget (quote, wallet share, risk-sized) includes the fee; a base quantity is
        // its value at the last price, with the fee on top.
        let amount = match (quote_budget, base) {
            (Some(budget), _) => decimal_down(budget / fee, instrument.price_precision),
            (None, quantity) => decimal_down(
                quantity.unwrap_or_default() * reference,
                instrument.price_precision,
            ),
        };
        (OrderAmount::Quote(amount), amount * fee)
    } else {
        let fee = Decimal::ONE + instrument.maker_fee.max(instrument.taker_fee);
        let limit = price.unwrap_or(reference);
        let quantity = match (base, quote_budget) {
            (Some(b), _) => b,
            (None, Some(q)) => instrument.round_quantity_decimal(q / (limit * fee)),
            (None, None) => Decimal::ZERO,
        };
        (OrderAmount::Base(quantity), quantity * limit * fee)
    };
    if reserve > available {
        return refuse(
            DenyReason::InsufficientFunds,
            format!(
                "needs {reserve} {}, {available} available",
                view.wallet.asset()
            ),
        );
    }
    Ok(Approved {
        symbol: instrument.symbol.clone(),
        side: Side::Buy,
        order_type,
        amount,
        price,
        reserve,
    })
}

fn size_sell(
    view: &GateView<'_>,
    instrument: &Instrument,
    size: Size,
    order_type: OrderType,
    price: Option<Decimal>,
    reference: Decimal,
) -> Result<Approved, Refusal> {
    let sellable = view.sellable(&instrument.symbol);
    let wanted = match size {
        Size::Base(b) => decimal("base size", b)?,
        Size::PositionShare(f) => sellable * decimal("share", share(f)?)?,
        Size::Quote(q) => decimal("quote size", q)? / reference,
        Size::WalletShare(_) | Size::RiskSized => {
            return refuse(
                DenyReason::InvalidSize,
                "a sell is sized in base, quote or a share of the position",
            );
        }
    };
    let quantity = instrument.round_quantity_decimal(wanted);
    if quantity > sellable {
        return refuse(
            DenyReason::InsufficientPosition,
            format!("sell {quantity} but {sellable} held and not already offered"),
        );
    }
    Ok(Approved {
        symbol: instrument.symbol.clone(),
        side: Side::Sell,
        order_type,
        amount: OrderAmount::Base(quantity),
        price,
        reserve: Decimal::ZERO,
    })
}

fn check_minimums(
    instrument: &Instrument,
    approved: &Approved,
    reference: Decimal,
) -> Result<(), Refusal> {
    let (quantity, notional) = match approved.amount {
        OrderAmount::Base(q) => (q, q * reference),
        OrderAmount::Quote(a) => (a / reference, a),
    };
    if quantity <= Decimal::ZERO || quantity < instrument.min_quantity {
        return refuse(
            DenyReason::BelowMinQuantity,
            format!(
                "quantity {} below minimum {}",
                quantity.round_dp(instrument.quantity_precision),
                instrument.min_quantity
            ),
        );
    }
    if notional < instrument.min_notional {
        return refuse(
            DenyReason::BelowMinNotional,
            format!(
                "value {} below minimum {}",
                notional.round_dp(instrument.price_precision),
                instrument.min_notional
            ),
        );
    }
    Ok(())
}

fn check_exposure(
    config: &RiskConfig,
    view: &GateView<'_>,
    instrument: &Instrument,
    approved: &Approved,
) -> Result<(), Refusal> {
    let symbol = &instrument.symbol;
    let base = &instrument.base;
    // The order's reservation in the budget asset.
    let reserve = approved.reserve * view.value(&instrument.quote).unwrap_or(Decimal::ONE);
    if let Some(cap) = config.max_position_notional {
        let after = view.positions_value(Some(base)) + view.reserved_for(Some(base)) + reserve;
        if after > cap {
            return refuse(
                DenyReason::PositionCap,
                format!("{symbol} would reach {after}, cap {cap}"),
            );
        }
    }
    if let Some(max) = config.max_exposure {
        let equity = view.equity();
        let cap = equity * decimal("max_exposure", max)?;
        let after = view.positions_value(None) + view.reserved_for(None) + reserve;
        if after > cap {
            return refuse(
                DenyReason::ExposureCap,
                format!("exposure would reach {after} of equity {equity}, cap {cap}"),
            );
        }
    }
    Ok(())
}
