//! Money: `rust_decimal` for every order, fill, fee, balance and ledger value, and the one
//! rounding bridge from `f64` signals.

pub mod convert;
pub mod rounding;

pub use rounding::RoundingError;
