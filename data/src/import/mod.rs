//! Reading bar files into frames (and writing them back as CSV).
//!
//! - [`csv`]: Binance's kline layout (12 columns, no header) and plain
//!   `ts,open,high,low,close,volume[,quote_volume]` files with a header; timestamps in
//!   seconds, milliseconds, microseconds or ISO-8601.
//! - [`frames`]: Parquet and Arrow IPC (feather) frames, columns found by name.
//!
//! Parsing only: the store decides what to keep (merging, de-duplication) and the checks
//! report what is wrong with the data. A value that cannot be parsed is an error naming the
//! file, the line and the column — never skipped.

pub mod csv;
pub mod frames;
pub mod timestamp;
pub mod write;

pub use self::csv::{CsvLayout, read_csv};
pub use frames::{read_feather, read_parquet};
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

/// The kinds of bar file vela reads, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.csv` (or `.txt`): Binance klines or a plain header layout.
    Csv,
    /// `.parquet` (or `.pq`).
    Parquet,
    /// `.feather`, `.arrow` or `.ipc`: Arrow IPC.
    Feather,
}

impl FileKind {
    /// The kind a path's extension names.
    pub fn of(path: &std::path::Path) -> Result<Self, ImportError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv" | "txt") => Ok(Self::Csv),
            Some("parquet" | "pq") => Ok(Self::Parquet),
            Some("feather" | "arrow" | "ipc") => Ok(Self::Feather),
            _ => Err(ImportError::Layout {
                file: path.display().to_string(),
                problem: "unknown file type: name it .csv, .parquet or .feather (.arrow, .ipc)"
                    .to_owned(),
            }),
        }
    }
}

/// Reads any bar file vela knows, chosen by its extension ([`FileKind`]); returns the bars
/// and a short description of the layout found (e.g. `Binance klines CSV`).
pub fn read_file(path: &std::path::Path) -> Result<(crate::BarFrame, &'static str), ImportError> {
    match FileKind::of(path)? {
        FileKind::Csv => {
            let name = path.display().to_string();
            let file = std::fs::File::open(path).map_err(|source| ImportError::Io {
                file: name.clone(),
                source,
            })?;
            let (frame, layout) = read_csv(std::io::BufReader::new(file), &name)?;
            Ok((
                frame,
                match layout {
                    CsvLayout::Binance => "Binance klines CSV",
                    CsvLayout::Plain => "CSV with a header",
                },
            ))
        }
        FileKind::Parquet => Ok((read_parquet(path)?, "Parquet")),
        FileKind::Feather => Ok((read_feather(path)?, "Arrow IPC (feather)")),
    }
}
