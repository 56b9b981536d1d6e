//! The risk layer: it owns what protects money.
//!
//! - [`gate`]: every intent to place an order passes here — budget and available capital,
//!   precision, minimum quantity and notional, position and exposure caps, order rate,
//!   price band, API-tradability — and becomes an order or a recorded [`Denial`].
//! - [`protect`]: stop loss (percent or price distance), trailing stop, multi-target
//!   take profit with partial exits.
//! - [`limits`]: drawdown limit, daily and weekly loss limits (pause until the next period).
//! - [`breaker`]: consecutive-loss breaker with strategy rotation.
//! - [`sizing`]: fixed-fraction and Kelly sizing from the bot's own trades.
//! - Kill switches live in the engine: kill cancels pending orders and never liquidates.

pub mod breaker;
pub mod config;
pub mod deny;
pub mod gate;
pub mod limits;
pub mod protect;
pub mod rate;
pub mod sizing;

pub use breaker::{BreakerAction, BreakerState};
pub use config::{Limit, LossBreaker, OrderRate, RiskConfig, Sizing, TakeProfitTarget};
pub use deny::{Denial, DenyReason};
pub use gate::{Approved, GateView};
pub use limits::{Breach, LimitKind, LossLimits};
pub use protect::{ExitReason, Protection};
pub use rate::RateWindow;
pub use sizing::TradeStats;
