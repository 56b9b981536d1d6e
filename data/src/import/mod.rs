//! Reading bar files into frames (and writing them back as CSV).
//!
//! - [`csv`]: Binance's kline layout (12 columns, no header) and plain
//!   `ts,open,high,low,close,volume[,quote_volume]` files with a header; timestamps in
//!   seconds, milliseconds, microseconds or ISO-8601.
//!
//! Parsing only: the store decides what to keep (merging, de-duplication) and the checks
//! report what is wrong with the data. A value that cannot be parsed is an error naming the
//! file, the line and the column — never skipped.

pub mod csv;
pub mod timestamp;
pub mod write;

pub use self::csv::{CsvLayout, read_csv};
pub use timestamp::parse_timestamp;
pub use write::write_csv;

use thiserror::Error;

/// A file that cannot be read as bars.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A row is malformed.
    #[error("{file}, line {line}: {problem}")]
    Row {
        /// The file.
        file: String,
        /// The line (1-based).
        line: u64,
        /// What is wrong.
        problem: String,
    },
    /// The file's layout is not one vela reads.
    #[error("{file}: {problem}")]
    Layout {
        /// The file.
        file: String,
        /// What is wrong.
        problem: String,
    },
}
