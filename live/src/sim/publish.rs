//! The simulator's pushes on the wire: each [`Outgoing`] value becomes one or more
//! [`Published`] frames (MEXC's protobuf wrapper, encoded with [`crate::proto::encode`]) on
//! the channels a client subscribes to (reference §5.3, §6):
//!
//! | Outgoing | Channels |
//! |---|---|
//! | `Kline` | `spot@public.kline.v3.api.pb@SYM@<interval>` (interval from `interval_ms`) |
//! | `Deals` | `spot@public.aggre.deals.v3.api.pb@100ms@SYM` and `…@10ms@SYM` |
//! | `Depth` | `spot@public.aggre.depth.v3.api.pb@100ms@SYM` and `…@10ms@SYM` (with `depth_version`), and the partial depth `spot@public.limit.depth.v3.api.pb@SYM@5/10/20` |
//! | `BookTicker` | `spot@public.aggre.bookTicker.v3.api.pb@100ms@SYM` and `…@10ms@SYM` |
//! | `Order` / `Fill` / `Balance` | `spot@private.orders/deals/account.v3.api.pb`, to that account only |
//!
//! The partial depth is derived from the diffs: the [`Publisher`] keeps each symbol's book
//! (the simulator's diffs cover every level from version 1, so the book is exact).
//! `createTime` and `sendTime` come from the wall clock passed in.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use thiserror::Error;
use vela_core::types::{Asset, BookTop, Symbol, Timestamp, Trade};

use super::feed::{Audience, Feed, Published};
use super::outgoing::{BalanceUpdate, FillUpdate, OrderUpdate, Outgoing, SimLevel};
use super::rest::PushSink;
use crate::proto::encode::{
    book_ticker_frame, deals_frame, depth_frame, kline_frame, limit_depth_frame,
    private_account_frame, private_deal_frame, private_order_frame,
};
use crate::proto::{
    BookTicker, Channel, Deal, DepthDiff, DepthLimit, Kline, KlineInterval, Level, LimitDepth,
    PrivateAccount, PrivateDeal, PrivateOrder, PushOrderStatus, PushOrderType, Speed,
};

/// The simulator's wall clock: milliseconds since the Unix epoch.
pub type WallClock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock as a [`WallClock`].
#[must_use]
pub fn system_clock() -> WallClock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    })
}

/// An [`Outgoing`] value that has no MEXC encoding (a simulator bug, never a client's).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PublishError {
    /// A kline length MEXC has no channel for.
    #[error("no MEXC kline interval lasts {0} ms")]
    Interval(i64),
    /// An order type or status code outside MEXC's enumeration.
    #[error("{field}: {value} is not a MEXC code")]
    Code {
        /// The field.
        field: &'static str,
        /// The code.
        value: i32,
    },
    /// An asset name that is not a valid asset.
    #[error("asset {0:?} is not valid")]
    Asset(String),
}

/// Both aggregation speeds: the simulator publishes every aggregated stream at both.
const SPEEDS: [Speed; 2] = [Speed::Ms100, Speed::Ms10];
/// Every partial-depth size.
const LIMITS: [DepthLimit; 3] = [DepthLimit::L5, DepthLimit::L10, DepthLimit::L20];

/// One symbol's book as the published diffs leave it.
#[derive(Debug, Default, Clone)]
struct SimBook {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    version: u64,
}

impl SimBook {
    fn apply(&mut self, bids: &[SimLevel], asks: &[SimLevel], version: u64) {
        for (side, levels) in [(&mut self.bids, bids), (&mut self.asks, asks)] {
            for &(price, quantity) in levels {
                if quantity.is_zero() {
                    side.remove(&price);
                } else {
                    side.insert(price, quantity);
                }
            }
        }
        self.version = version;
    }

    fn limit(&self, limit: DepthLimit) -> LimitDepth {
        let n = limit.levels();
        LimitDepth {
            version: self.version,
            bids: self.bids.iter().rev().take(n).map(level).collect(),
            asks: self.asks.iter().take(n).map(level).collect(),
        }
    }
}

fn level((price, quantity): (&Decimal, &Decimal)) -> Level {
    Level::new(*price, quantity.to_f64().unwrap_or(0.0))
}

/// Encodes [`Outgoing`] values and publishes them on a [`Feed`], keeping what the partial
/// depth and the book ticker's version need.
pub struct Publisher {
    feed: Feed,
    clock: WallClock,
    books: Mutex<BTreeMap<Symbol, SimBook>>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("feed", &self.feed)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// A publisher onto `feed`, stamping pushes with `clock`.
    #[must_use]
    pub fn new(feed: Feed, clock: WallClock) -> Self {
        Self {
            feed,
            clock,
            books: Mutex::new(BTreeMap::new()),
        }
    }

    /// The feed published on.
    #[must_use]
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// Encodes `out` and publishes every resulting frame; returns the frames published.
    /// An unencodable value is logged and skipped (it is the simulator's bug).
    pub fn publish(&self, out: &Outgoing) -> usize {
        match self.encode(out) {
            Ok(frames) => {
                let n = frames.len();
                for frame in frames {
                    self.feed.publish(frame);
                }
                n
            }
            Err(error) => {
                tracing::warn!(%error, "simulator push not published");
                0
            }
        }
    }

    /// Publishes every value of `outs` in order; returns the frames published.
    pub fn publish_all(&self, outs: &[Outgoing]) -> usize {
        outs.iter().map(|out| self.publish(out)).sum()
    }

    /// This publisher as the simulator server's push sink ([`super::server::SimServer::start`]).
    #[must_use]
    pub fn sink(self: Arc<Self>) -> PushSink {
        Arc::new(move |out: Vec<Outgoing>| {
            self.publish_all(&out);
        })
    }

    /// The frames of `out`, stamped now, without publishing them (updates the kept books
    /// for a depth diff).
    pub fn encode(&self, out: &Outgoing) -> Result<Vec<Published>, PublishError> {
        let now = Timestamp::from_millis((self.clock)());
        let mut books = self.books.lock().unwrap_or_else(PoisonError::into_inner);
        match out {
            Outgoing::Depth {
                symbol,
                from_version,
                to_version,
                bids,
                asks,
            } => {
                let book = books.entry(symbol.clone()).or_default();
                book.apply(bids, asks, *to_version);
                let diff = DepthDiff {
                    from_version: *from_version,
                    to_version: *to_version,
                    bids: levels(bids),
                    asks: levels(asks),
                };
                let mut frames: Vec<Published> = SPEEDS
                    .iter()
                    .map(|&speed| {
                        let channel = Channel::Depth {
                            symbol: symbol.clone(),
                            speed,
                        };
                        let mut push = public(&channel, depth_frame(symbol, speed, &diff, now));
                        push.depth_version = Some(*to_version);
                        push
                    })
                    .collect();
                frames.extend(LIMITS.iter().map(|&limit| {
                    let channel = Channel::LimitDepth {
                        symbol: symbol.clone(),
                        limit,
                    };
                    public(
                        &channel,
                        limit_depth_frame(symbol, limit, &book.limit(limit), now),
                    )
                }));
                Ok(frames)
            }
            Outgoing::BookTicker { symbol, bid, ask } => {
                let version = books.get(symbol).map(|book| book.version);
                let ticker = BookTicker {
                    top: BookTop {
                        ts: now,
                        bid_price: bid.0.to_f64().unwrap_or(0.0),
                        bid_quantity: bid.1.to_f64().unwrap_or(0.0),
                        ask_price: ask.0.to_f64().unwrap_or(0.0),
                        ask_quantity: ask.1.to_f64().unwrap_or(0.0),
                    },
                    version,
                };
                Ok(SPEEDS
                    .iter()
                    .map(|&speed| {
                        let channel = Channel::BookTicker {
                            symbol: symbol.clone(),
                            speed,
                        };
                        public(&channel, book_ticker_frame(symbol, speed, &ticker))
                    })
                    .collect())
            }
            other => {
                drop(books);
                encode_stateless(other, now)
            }
        }
    }
}

/// The frames of the values that need no kept state.
fn encode_stateless(out: &Outgoing, now: Timestamp) -> Result<Vec<Published>, PublishError> {
    match out {
        Outgoing::Kline {
            symbol,
            bar,
            interval_ms,
        } => {
            let interval = KlineInterval::ALL
                .into_iter()
                .find(|i| i.millis() == Some(*interval_ms))
                .ok_or(PublishError::Interval(*interval_ms))?;
            // The bar carries no quote volume: the typical price times the volume stands in.
            let typical = (bar.open + bar.high + bar.low + bar.close) / 4.0;
            let kline = Kline {
                interval,
                bar: *bar,
                quote_volume: bar.volume * typical,
                close_time: bar.ts.plus_millis(*interval_ms),
            };
            let channel = Channel::Kline {
                symbol: symbol.clone(),
                interval,
            };
            Ok(vec![public(&channel, kline_frame(symbol, &kline, now))])
        }
        Outgoing::Deals { symbol, deals } => {
            let deals: Vec<Deal> = deals
                .iter()
                .map(|d| Deal {
                    trade: Trade {
                        ts: Timestamp::from_millis(d.time),
                        price: d.price,
                        quantity: d.quantity,
                        aggressor: d.taker_side,
                    },
                    trade_id: Some(d.trade_id.to_string()),
                })
                .collect();
            Ok(SPEEDS
                .iter()
                .map(|&speed| {
                    let channel = Channel::Deals {
                        symbol: symbol.clone(),
                        speed,
                    };
                    public(&channel, deals_frame(symbol, speed, &deals, now))
                })
                .collect())
        }
        Outgoing::Order { api_key, update } => {
            let frame = private_order_frame(&private_order(update)?, now);
            Ok(vec![private(&Channel::PrivateOrders, api_key, frame)])
        }
        Outgoing::Fill { api_key, fill } => {
            let frame = private_deal_frame(&private_deal(fill), now);
            Ok(vec![private(&Channel::PrivateDeals, api_key, frame)])
        }
        Outgoing::Balance { api_key, update } => {
            let frame = private_account_frame(&private_account(update)?, now);
            Ok(vec![private(&Channel::PrivateAccount, api_key, frame)])
        }
        // Handled with the kept books by `Publisher::encode`.
        Outgoing::Depth { .. } | Outgoing::BookTicker { .. } => Ok(Vec::new()),
    }
}

fn levels(levels: &[SimLevel]) -> Vec<Level> {
    levels.iter().map(|(p, q)| level((p, q))).collect()
}

fn public(channel: &Channel, frame: Vec<u8>) -> Published {
    Published {
        channel: channel.to_string(),
        audience: Audience::Public,
        frame: frame.into(),
        depth_version: None,
    }
}

fn private(channel: &Channel, api_key: &str, frame: Vec<u8>) -> Published {
    Published {
        channel: channel.to_string(),
        audience: Audience::Account(api_key.to_owned()),
        frame: frame.into(),
        depth_version: None,
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn private_order(update: &OrderUpdate) -> Result<PrivateOrder, PublishError> {
    let code = |field, value| PublishError::Code { field, value };
    Ok(PrivateOrder {
        symbol: update.symbol.clone(),
        order_id: update.order_id.clone(),
        client_id: non_empty(&update.client_order_id),
        side: update.side,
        order_type: PushOrderType::from_wire(update.order_type)
            .ok_or_else(|| code("orderType", update.order_type))?,
        status: PushOrderStatus::from_wire(update.status)
            .ok_or_else(|| code("status", update.status))?,
        price: (!update.price.is_zero()).then_some(update.price),
        quantity: update.quantity,
        amount: update.amount,
        avg_price: update.avg_price,
        is_maker: update.is_maker,
        remain_amount: update.remain_amount,
        remain_quantity: update.remain_quantity,
        last_deal_quantity: update.last_deal_quantity,
        cumulative_quantity: update.cumulative_quantity,
        cumulative_amount: update.cumulative_amount,
        create_time: Timestamp::from_millis(update.create_time),
    })
}

fn private_deal(fill: &FillUpdate) -> PrivateDeal {
    PrivateDeal {
        symbol: fill.symbol.clone(),
        trade_id: fill.trade_id.clone(),
        order_id: fill.order_id.clone(),
        client_order_id: non_empty(&fill.client_order_id),
        side: fill.side,
        price: fill.price,
        quantity: fill.quantity,
        amount: fill.amount,
        fee: fill.fee_amount,
        fee_asset: Asset::new(fill.fee_currency.as_str()).ok(),
        is_maker: fill.is_maker,
        is_self_trade: false,
        time: Timestamp::from_millis(fill.time),
    }
}

fn private_account(update: &BalanceUpdate) -> Result<PrivateAccount, PublishError> {
    Ok(PrivateAccount {
        asset: Asset::new(update.asset.as_str())
            .map_err(|_| PublishError::Asset(update.asset.clone()))?,
        free: update.free,
        free_change: update.free_change,
        locked: update.locked,
        locked_change: update.locked_change,
        change_type: update.kind.to_owned(),
        time: Timestamp::from_millis(update.time),
    })
}

#[cfg(test)]
#[path = "publish_tests.rs"]
mod tests;
