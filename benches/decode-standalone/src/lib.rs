//! vela-live's `proto` module, compiled alone under the crate name the benchmark imports.
#![allow(missing_docs)]
#[path = "../../../live/src/proto/mod.rs"]
pub mod proto;
