//! The signed REST client of MEXC Spot V3 (reference §1–§4, §6).
//!
//! - [`client`]: [`RestClient`], every endpoint the adapter uses, with the limiter, signing,
//!   clock offset and the three-outcome error split.
//! - [`model`]: the replies as typed values ([`model::SymbolInfo::instrument`] turns
//!   `exchangeInfo` into vela-core instruments).
//! - [`order`]: new orders ([`NewOrder`]) checked before sending.

pub mod client;
pub mod model;
mod num;
pub mod order;

pub use client::{MEXC_BASE_URL, RestClient, RestConfig};
pub use order::{NewOrder, OrderRef};
