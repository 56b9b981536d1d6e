//! # vela-data
//!
//! Market history for vela: bar frames, intervals, data checks with named repair policies,
//! resampling, a seeded synthetic generator and file importers ([`import`]). The Parquet
//! store, the `DuckDB` catalog and the MEXC downloader build on these.
//!
//! Bars are stamped by their open time in milliseconds UTC (DESIGN.md §3); a frame's rows
//! are meant to be sorted by `ts` with unique timestamps — [`check`](mod@check) reports
//! every way a frame breaks that, and repairs only by an explicit, named policy.

pub mod check;
pub mod frame;
pub mod generate;
pub mod import;
pub mod interval;
pub mod mexc;
pub mod resample;
pub mod store;

pub use check::{
    CheckOptions, Duplicates, Finding, GapFill, Repair, RepairError, RepairLog, Report, check,
    check_with, repair,
};
pub use frame::{BarFrame, FrameError, Row};
pub use generate::{GenerateError, GeneratorSpec, generate};
pub use interval::{Interval, IntervalError};
pub use resample::{Partial, ResampleError, Resampler, resample};
