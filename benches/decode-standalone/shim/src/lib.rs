//! vela-data's `interval` module, compiled alone.
#[path = "../../../../data/src/interval.rs"]
pub mod interval;
