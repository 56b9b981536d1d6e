//! Channel names (reference §5.3 and §6) as a typed [`Channel`], written and read back
//! exactly as MEXC spells them.
//!
//! | Channel | Text |
//! |---|---|
//! | [`Channel::Deals`] | `spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT` |
//! | [`Channel::Kline`] | `spot@public.kline.v3.api.pb@BTCUSDT@Min15` |
//! | [`Channel::Depth`] | `spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT` |
//! | [`Channel::LimitDepth`] | `spot@public.limit.depth.v3.api.pb@BTCUSDT@20` |
//! | [`Channel::BookTicker`] | `spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT` |
//! | [`Channel::BookTickerBatch`] | `spot@public.bookTicker.batch.v3.api.pb@BTCUSDT` |
//! | [`Channel::PrivateOrders`] | `spot@private.orders.v3.api.pb` |
//! | [`Channel::PrivateDeals`] | `spot@private.deals.v3.api.pb` |
//! | [`Channel::PrivateAccount`] | `spot@private.account.v3.api.pb` |

use std::fmt;
use std::str::FromStr;

use thiserror::Error;
use vela_core::types::Symbol;
use vela_core::types::time::{DAY_MS, HOUR_MS, MINUTE_MS, WEEK_MS};
use vela_data::interval::Interval;

const DEALS: &str = "spot@public.aggre.deals.v3.api.pb";
const KLINE: &str = "spot@public.kline.v3.api.pb";
const DEPTH: &str = "spot@public.aggre.depth.v3.api.pb";
const LIMIT_DEPTH: &str = "spot@public.limit.depth.v3.api.pb";
const BOOK_TICKER: &str = "spot@public.aggre.bookTicker.v3.api.pb";
const BOOK_TICKER_BATCH: &str = "spot@public.bookTicker.batch.v3.api.pb";
const PRIVATE_ORDERS: &str = "spot@private.orders.v3.api.pb";
const PRIVATE_DEALS: &str = "spot@private.deals.v3.api.pb";
const PRIVATE_ACCOUNT: &str = "spot@private.account.v3.api.pb";

/// A text that is not a channel vela knows; names the text and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("channel {text:?}: {reason}")]
pub struct ChannelError {
    /// The offending text.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ChannelError {
    fn new(text: &str, reason: impl Into<String>) -> Self {
        Self {
            text: text.to_owned(),
            reason: reason.into(),
        }
    }
}

/// How often an aggregated stream pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Speed {
    /// Every 10 ms.
    Ms10,
    /// Every 100 ms.
    Ms100,
}

impl Speed {
    /// MEXC's spelling: `10ms` or `100ms`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ms10 => "10ms",
            Self::Ms100 => "100ms",
        }
    }

    /// The period in milliseconds.
    #[must_use]
    pub const fn millis(self) -> i64 {
        match self {
            Self::Ms10 => 10,
            Self::Ms100 => 100,
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "10ms" => Some(Self::Ms10),
            "100ms" => Some(Self::Ms100),
            _ => None,
        }
    }
}

/// How many levels a partial-depth channel carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DepthLimit {
    /// The best 5 levels a side.
    L5,
    /// The best 10 levels a side.
    L10,
    /// The best 20 levels a side.
    L20,
}

impl DepthLimit {
    /// The number of levels a side.
    #[must_use]
    pub const fn levels(self) -> usize {
        match self {
            Self::L5 => 5,
            Self::L10 => 10,
            Self::L20 => 20,
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "5" => Some(Self::L5),
            "10" => Some(Self::L10),
            "20" => Some(Self::L20),
            _ => None,
        }
    }
}

/// A WebSocket kline interval (`Min1` … `Month1`; `Hour8` exists only on the WebSocket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KlineInterval {
    /// One minute.
    Min1,
    /// Five minutes.
    Min5,
    /// Fifteen minutes.
    Min15,
    /// Thirty minutes.
    Min30,
    /// One hour.
    Min60,
    /// Four hours.
    Hour4,
    /// Eight hours (no REST counterpart).
    Hour8,
    /// One day.
    Day1,
    /// One week.
    Week1,
    /// One calendar month.
    Month1,
}

impl KlineInterval {
    /// Every interval, shortest first.
    pub const ALL: [Self; 10] = [
        Self::Min1,
        Self::Min5,
        Self::Min15,
        Self::Min30,
        Self::Min60,
        Self::Hour4,
        Self::Hour8,
        Self::Day1,
        Self::Week1,
        Self::Month1,
    ];

    /// MEXC's WebSocket spelling, e.g. `Min15`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Min1 => "Min1",
            Self::Min5 => "Min5",
            Self::Min15 => "Min15",
            Self::Min30 => "Min30",
            Self::Min60 => "Min60",
            Self::Hour4 => "Hour4",
            Self::Hour8 => "Hour8",
            Self::Day1 => "Day1",
            Self::Week1 => "Week1",
            Self::Month1 => "Month1",
        }
    }

    /// Length in milliseconds; `None` for the calendar month, whose length varies.
    #[must_use]
    pub const fn millis(self) -> Option<i64> {
        match self {
            Self::Min1 => Some(MINUTE_MS),
            Self::Min5 => Some(5 * MINUTE_MS),
            Self::Min15 => Some(15 * MINUTE_MS),
            Self::Min30 => Some(30 * MINUTE_MS),
            Self::Min60 => Some(HOUR_MS),
            Self::Hour4 => Some(4 * HOUR_MS),
            Self::Hour8 => Some(8 * HOUR_MS),
            Self::Day1 => Some(DAY_MS),
            Self::Week1 => Some(WEEK_MS),
            Self::Month1 => None,
        }
    }

    /// The REST interval of the same length; `None` for `Hour8`, which REST lacks.
    #[must_use]
    pub const fn rest_interval(self) -> Option<Interval> {
        match self {
            Self::Min1 => Some(Interval::M1),
            Self::Min5 => Some(Interval::M5),
            Self::Min15 => Some(Interval::M15),
            Self::Min30 => Some(Interval::M30),
            Self::Min60 => Some(Interval::H1),
            Self::Hour4 => Some(Interval::H4),
            Self::Hour8 => None,
            Self::Day1 => Some(Interval::D1),
            Self::Week1 => Some(Interval::W1),
            Self::Month1 => Some(Interval::Month1),
        }
    }

    /// The WebSocket interval of a REST interval.
    #[must_use]
    pub const fn from_rest(interval: Interval) -> Self {
        match interval {
            Interval::M1 => Self::Min1,
            Interval::M5 => Self::Min5,
            Interval::M15 => Self::Min15,
            Interval::M30 => Self::Min30,
            Interval::H1 => Self::Min60,
            Interval::H4 => Self::Hour4,
            Interval::D1 => Self::Day1,
            Interval::W1 => Self::Week1,
            Interval::Month1 => Self::Month1,
        }
    }

    /// The interval spelled `name` (as in a kline body), if any.
    #[must_use]
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.name().as_bytes() == name)
    }
}

impl fmt::Display for KlineInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KlineInterval {
    type Err = ChannelError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::from_name(text.as_bytes())
            .ok_or_else(|| ChannelError::new(text, "unknown kline interval (Min1 ... Month1)"))
    }
}

/// A stream a WebSocket connection subscribes to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    /// Aggregated public trades.
    Deals {
        /// Symbol.
        symbol: Symbol,
        /// Aggregation period.
        speed: Speed,
    },
    /// The current kline, about every second.
    Kline {
        /// Symbol.
        symbol: Symbol,
        /// Interval.
        interval: KlineInterval,
    },
    /// Depth diffs with versions (the local order book's input).
    Depth {
        /// Symbol.
        symbol: Symbol,
        /// Aggregation period.
        speed: Speed,
    },
    /// The best 5, 10 or 20 levels.
    LimitDepth {
        /// Symbol.
        symbol: Symbol,
        /// Levels a side.
        limit: DepthLimit,
    },
    /// Best bid and ask.
    BookTicker {
        /// Symbol.
        symbol: Symbol,
        /// Aggregation period.
        speed: Speed,
    },
    /// Best bid and ask in batches.
    BookTickerBatch {
        /// Symbol.
        symbol: Symbol,
    },
    /// The account's order updates (user data stream).
    PrivateOrders,
    /// The account's fills (user data stream).
    PrivateDeals,
    /// The account's balance changes (user data stream).
    PrivateAccount,
}

impl Channel {
    /// The symbol of a public channel; `None` for private channels.
    #[must_use]
    pub fn symbol(&self) -> Option<&Symbol> {
        match self {
            Self::Deals { symbol, .. }
            | Self::Kline { symbol, .. }
            | Self::Depth { symbol, .. }
            | Self::LimitDepth { symbol, .. }
            | Self::BookTicker { symbol, .. }
            | Self::BookTickerBatch { symbol } => Some(symbol),
            Self::PrivateOrders | Self::PrivateDeals | Self::PrivateAccount => None,
        }
    }

    /// Whether the channel belongs to the user data stream (needs a listen key).
    #[must_use]
    pub const fn is_private(&self) -> bool {
        matches!(
            self,
            Self::PrivateOrders | Self::PrivateDeals | Self::PrivateAccount
        )
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deals { symbol, speed } => write!(f, "{DEALS}@{}@{symbol}", speed.name()),
            Self::Kline { symbol, interval } => write!(f, "{KLINE}@{symbol}@{interval}"),
            Self::Depth { symbol, speed } => write!(f, "{DEPTH}@{}@{symbol}", speed.name()),
            Self::LimitDepth { symbol, limit } => {
                write!(f, "{LIMIT_DEPTH}@{symbol}@{}", limit.levels())
            }
            Self::BookTicker { symbol, speed } => {
                write!(f, "{BOOK_TICKER}@{}@{symbol}", speed.name())
            }
            Self::BookTickerBatch { symbol } => write!(f, "{BOOK_TICKER_BATCH}@{symbol}"),
            Self::PrivateOrders => f.write_str(PRIVATE_ORDERS),
            Self::PrivateDeals => f.write_str(PRIVATE_DEALS),
            Self::PrivateAccount => f.write_str(PRIVATE_ACCOUNT),
        }
    }
}

impl FromStr for Channel {
    type Err = ChannelError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut parts = text.split('@');
        let head = match (parts.next(), parts.next()) {
            (Some(spot), Some(stream)) => (spot, stream),
            _ => return Err(ChannelError::new(text, "expected spot@<stream>@...")),
        };
        let args: Vec<&str> = parts.collect();
        let symbol = |s: &str| {
            Symbol::new(s).map_err(|e| ChannelError::new(text, format!("bad symbol: {e}")))
        };
        let speed = |s: &str| {
            Speed::parse(s).ok_or_else(|| ChannelError::new(text, "speed must be 10ms or 100ms"))
        };
        let name = format!("{}@{}", head.0, head.1);
        let arity = |n: usize| {
            if args.len() == n {
                Ok(())
            } else {
                Err(ChannelError::new(
                    text,
                    format!("{name} takes {n} argument(s), found {}", args.len()),
                ))
            }
        };
        let arg = |i: usize| args.get(i).copied().unwrap_or_default();
        match name.as_str() {
            DEALS | DEPTH | BOOK_TICKER => {
                arity(2)?;
                let (symbol, speed) = (symbol(arg(1))?, speed(arg(0))?);
                Ok(match name.as_str() {
                    DEALS => Self::Deals { symbol, speed },
                    DEPTH => Self::Depth { symbol, speed },
                    _ => Self::BookTicker { symbol, speed },
                })
            }
            KLINE => {
                arity(2)?;
                Ok(Self::Kline {
                    symbol: symbol(arg(0))?,
                    interval: arg(1).parse().map_err(|_| {
                        ChannelError::new(text, "unknown kline interval (Min1 ... Month1)")
                    })?,
                })
            }
            LIMIT_DEPTH => {
                arity(2)?;
                Ok(Self::LimitDepth {
                    symbol: symbol(arg(0))?,
                    limit: DepthLimit::parse(arg(1)).ok_or_else(|| {
                        ChannelError::new(text, "depth limit must be 5, 10 or 20")
                    })?,
                })
            }
            BOOK_TICKER_BATCH => {
                arity(1)?;
                Ok(Self::BookTickerBatch {
                    symbol: symbol(arg(0))?,
                })
            }
            PRIVATE_ORDERS | PRIVATE_DEALS | PRIVATE_ACCOUNT => {
                arity(0)?;
                Ok(match name.as_str() {
                    PRIVATE_ORDERS => Self::PrivateOrders,
                    PRIVATE_DEALS => Self::PrivateDeals,
                    _ => Self::PrivateAccount,
                })
            }
            _ => Err(ChannelError::new(text, "unknown stream")),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap_or_else(|_| unreachable!("valid test symbol"))
    }

    #[test]
    fn spelled_as_in_the_reference() {
        let cases = [
            (
                Channel::Deals {
                    symbol: sym("BTCUSDT"),
                    speed: Speed::Ms100,
                },
                "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT",
            ),
            (
                Channel::Kline {
                    symbol: sym("BTCUSDT"),
                    interval: KlineInterval::Min15,
                },
                "spot@public.kline.v3.api.pb@BTCUSDT@Min15",
            ),
            (
                Channel::Depth {
                    symbol: sym("ETHUSDT"),
                    speed: Speed::Ms10,
                },
                "spot@public.aggre.depth.v3.api.pb@10ms@ETHUSDT",
            ),
            (
                Channel::LimitDepth {
                    symbol: sym("BTCUSDT"),
                    limit: DepthLimit::L20,
                },
                "spot@public.limit.depth.v3.api.pb@BTCUSDT@20",
            ),
            (
                Channel::BookTicker {
                    symbol: sym("BTCUSDT"),
                    speed: Speed::Ms100,
                },
                "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT",
            ),
            (
                Channel::BookTickerBatch {
                    symbol: sym("BTCUSDT"),
                },
                "spot@public.bookTicker.batch.v3.api.pb@BTCUSDT",
            ),
            (Channel::PrivateOrders, "spot@private.orders.v3.api.pb"),
            (Channel::PrivateDeals, "spot@private.deals.v3.api.pb"),
            (Channel::PrivateAccount, "spot@private.account.v3.api.pb"),
        ];
        for (channel, text) in cases {
            assert_eq!(channel.to_string(), text);
            assert_eq!(text.parse::<Channel>(), Ok(channel));
        }
    }

    #[test]
    fn errors_name_the_text() {
        for bad in [
            "",
            "spot",
            "spot@public.aggre.deals.v3.api.pb@BTCUSDT",
            "spot@public.aggre.deals.v3.api.pb@1s@BTCUSDT",
            "spot@public.aggre.deals.v3.api.pb@100ms@btcusdt",
            "spot@public.kline.v3.api.pb@BTCUSDT@1m",
            "spot@public.limit.depth.v3.api.pb@BTCUSDT@15",
            "spot@public.miniTicker.v3.api.pb@BTCUSDT@24H",
            "spot@private.orders.v3.api.pb@BTCUSDT",
            "spot@public.deals.v3.api@BTCUSDT",
        ] {
            let err = bad.parse::<Channel>().err();
            assert!(
                err.as_ref()
                    .is_some_and(|e| e.text == bad && e.to_string().contains(bad)),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn interval_lengths() {
        assert_eq!(KlineInterval::Min1.millis(), Some(60_000));
        assert_eq!(KlineInterval::Hour8.millis(), Some(28_800_000));
        assert_eq!(KlineInterval::Week1.millis(), Some(604_800_000));
        assert_eq!(KlineInterval::Month1.millis(), None);
        assert_eq!(KlineInterval::Hour8.rest_interval(), None);
        for interval in Interval::ALL {
            let ws = KlineInterval::from_rest(interval);
            assert_eq!(ws.rest_interval(), Some(interval));
            assert_eq!(ws.millis(), interval.millis());
        }
        for interval in KlineInterval::ALL {
            assert_eq!(interval.name().parse::<KlineInterval>(), Ok(interval));
        }
    }

    /// Any channel, for property tests here and in the control module.
    pub(crate) fn any_channel() -> impl Strategy<Value = Channel> {
        let symbol = "[A-Z0-9]{1,12}".prop_map(|s| sym(&s));
        let speed = prop_oneof![Just(Speed::Ms10), Just(Speed::Ms100)];
        let interval = (0..KlineInterval::ALL.len()).prop_map(|i| {
            KlineInterval::ALL
                .get(i)
                .copied()
                .unwrap_or(KlineInterval::Min1)
        });
        let limit = prop_oneof![
            Just(DepthLimit::L5),
            Just(DepthLimit::L10),
            Just(DepthLimit::L20)
        ];
        prop_oneof![
            (symbol.clone(), speed.clone())
                .prop_map(|(symbol, speed)| Channel::Deals { symbol, speed }),
            (symbol.clone(), interval)
                .prop_map(|(symbol, interval)| Channel::Kline { symbol, interval }),
            (symbol.clone(), speed.clone())
                .prop_map(|(symbol, speed)| Channel::Depth { symbol, speed }),
            (symbol.clone(), limit)
                .prop_map(|(symbol, limit)| Channel::LimitDepth { symbol, limit }),
            (symbol.clone(), speed)
                .prop_map(|(symbol, speed)| Channel::BookTicker { symbol, speed }),
            symbol.prop_map(|symbol| Channel::BookTickerBatch { symbol }),
            Just(Channel::PrivateOrders),
            Just(Channel::PrivateDeals),
            Just(Channel::PrivateAccount),
        ]
    }

    proptest! {
        #[test]
        fn prop_display_parses_back(channel in any_channel()) {
            prop_assert_eq!(channel.to_string().parse::<Channel>(), Ok(channel));
        }

        #[test]
        fn prop_any_text_is_ok_or_err(text in ".{0,80}") {
            if let Ok(channel) = text.parse::<Channel>() {
                prop_assert_eq!(channel.to_string(), text);
            }
        }
    }
}
