//! What can go wrong with the journal. Every error names the journal's file.

use std::path::PathBuf;

use thiserror::Error;

/// A journal operation that failed. Nothing of a failed write is kept (each write is one
/// transaction).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The database refused an operation (disk full, locked by another process, ...).
    #[error("journal {path}: {action}: {source}")]
    Database {
        /// The journal's file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The database's error.
        #[source]
        source: duckdb::Error,
    },
    /// A record could not be turned into (or back from) its stored JSON.
    #[error("journal {path}: {what}: {source}")]
    Encoding {
        /// The journal's file.
        path: PathBuf,
        /// Which record.
        what: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The stored records do not hold together (a broken digest chain, a gap in the
    /// sequence numbers, an unreadable value).
    #[error("journal {path}: corrupt: {what}")]
    Corrupt {
        /// The journal's file.
        path: PathBuf,
        /// What is wrong, naming the record.
        what: String,
    },
    /// The journal was written by a newer vela.
    #[error("journal {path}: schema version {found}, this vela reads up to {supported}")]
    Version {
        /// The journal's file.
        path: PathBuf,
        /// The version found.
        found: i64,
        /// The newest version this build reads.
        supported: i64,
    },
    /// A bot the operation needs is not in the journal, or one being added already is.
    #[error("journal {path}: {what}")]
    Bot {
        /// The journal's file.
        path: PathBuf,
        /// What is wrong, naming the bot.
        what: String,
    },
}
