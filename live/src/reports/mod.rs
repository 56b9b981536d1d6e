//! Reports from the runner's records (issue 8). [`tax`]: realised gains by FIFO lots, as the
//! CSV a tax return needs; [`pnl`]: realised P&L by bot, pair, strategy and period, with
//! win rate, average win and loss, and fees.

pub mod pnl;
pub mod tax;
