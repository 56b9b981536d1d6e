//! Domain types: time, symbols, instruments, market data, orders and fills.

mod code;
pub mod fill;
pub mod instrument;
pub mod market;
pub mod order;
pub mod symbol;
pub mod time;

pub use fill::Fill;
pub use instrument::Instrument;
pub use market::{Bar, BookTop, MarketData, Side, Trade};
pub use order::{
    ClientOrderId, Order, OrderAmount, OrderError, OrderOrigin, OrderRequest, OrderStatus,
    OrderType,
};
pub use symbol::{Asset, Symbol};
pub use time::Timestamp;
