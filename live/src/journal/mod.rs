//! The runner's journal (DESIGN.md §7, issue 8): one `DuckDB` file holding the bots, their
//! orders, fills, positions, strategy rotations, alerts and P&L snapshots, and the
//! append-only log every one of those first appears in.
//!
//! Rules it keeps:
//! - **One transaction per write.** A write appends its log entry and updates its table
//!   together, or does neither; a process killed at any point (kill -9) leaves the last
//!   committed write intact and nothing of the one in flight (tested by killing a writer
//!   process, `live/tests/journal_crash.rs`).
//! - **Write-ahead intents.** [`Journal::record_intent`] stores an order before it is sent;
//!   an order already stored under the same client order id is reported, not stored again
//!   (a decision delivered twice is sent once: fault case 4).
//! - **Fills deduplicated by exchange trade id** (symbol and trade id): the same trade again
//!   changes nothing, the same id with other content is a conflict kept for the alarm (fault
//!   cases 10, 11); a fill after the cancel acknowledgement counts without reopening the
//!   order (case 9).
//! - **Sequence numbers without gaps and a digest chain** over the log: on opening, a
//!   missing, altered or reordered entry is reported as corruption instead of being used.
//! - Exact numbers are stored as decimal text, records as JSON of the vela-core types.

mod error;
mod orders;
mod read;
mod records;
mod schema;
mod write;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use duckdb::{Appender, Connection, OptionalExt, Transaction, params};
use sha2::{Digest, Sha256};

pub use error::JournalError;
use orders::OrderIndex;
pub use records::{
    BotMode, BotRecord, FillOutcome, Intent, LogEntry, OrderOutcome, PnlSnapshot, PositionRecord,
    Recorded, Seq,
};

/// The digest before the first entry.
const GENESIS: &str = "vela-journal-v1";

/// An open journal. One process writes a journal at a time (`DuckDB` locks the file).
pub struct Journal {
    conn: Connection,
    path: PathBuf,
    cursor: Cursor,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("next_seq", &self.cursor.next_seq)
            .finish_non_exhaustive()
    }
}

/// Where the log ends (the next sequence number and the digest of the last entry), the
/// bots it knows and its index of orders: what a transaction moves forward when it
/// commits.
#[derive(Debug, Clone)]
struct Cursor {
    next_seq: Seq,
    digest: String,
    bots: BTreeSet<String>,
    orders: OrderIndex,
}

impl Journal {
    /// Opens the journal at `path`, creating it (and its tables) when it does not exist,
    /// and checks the whole log: sequence numbers from 1 without gaps and an unbroken digest
    /// chain.
    ///
    /// # Errors
    /// The file cannot be opened or created (its directory must exist), it was written by a
    /// newer vela, or its log is corrupt.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, JournalError> {
        let path = path.as_ref().to_path_buf();
        // One thread: the journal's statements are single-row writes and small reads, for
        // which DuckDB's worker pool only adds wake-ups (measured in BENCHMARKS.md).
        let conn = duckdb::Config::default()
            .threads(1)
            .and_then(|config| Connection::open_with_flags(&path, config))
            .map_err(|source| JournalError::Database {
                path: path.clone(),
                action: "opening",
                source,
            })?;
        // Room for every statement the journal runs again and again.
        conn.set_prepared_statement_cache_capacity(64);
        let mut journal = Self {
            conn,
            path,
            cursor: Cursor {
                next_seq: 1,
                digest: GENESIS.to_owned(),
                bots: BTreeSet::new(),
                orders: OrderIndex::default(),
            },
        };
        journal.prepare_schema()?;
        let mut cursor = journal.verify()?;
        cursor.bots = journal
            .bots()?
            .into_iter()
            .map(|b| b.id.to_string())
            .collect();
        cursor.orders = journal.order_index()?;
        journal.cursor = cursor;
        Ok(journal)
    }

    /// The journal's file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sequence number the next entry will get (1 for an empty journal).
    #[must_use]
    pub const fn next_seq(&self) -> Seq {
        self.cursor.next_seq
    }

    fn prepare_schema(&mut self) -> Result<(), JournalError> {
        let path = self.path.clone();
        let db = |action| {
            let path = path.clone();
            move |source| JournalError::Database {
                path,
                action,
                source,
            }
        };
        self.conn
            .execute_batch(schema::CREATE)
            .map_err(db("creating the tables"))?;
        let found: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(db("reading the schema version"))?;
        match found {
            None => {
                self.conn
                    .execute(
                        "INSERT INTO meta VALUES ('schema_version', ?)",
                        params![schema::VERSION.to_string()],
                    )
                    .map_err(db("writing the schema version"))?;
            }
            Some(text) => {
                let found = text.parse::<i64>().map_err(|_| JournalError::Corrupt {
                    path: self.path.clone(),
                    what: format!("schema version {text:?} is not a number"),
                })?;
                if found > schema::VERSION {
                    return Err(JournalError::Version {
                        path: self.path.clone(),
                        found,
                        supported: schema::VERSION,
                    });
                }
            }
        }
        Ok(())
    }

    /// Checks the whole log (sequence and digest chain) and returns where it ends.
    fn verify(&self) -> Result<Cursor, JournalError> {
        let mut cursor = Cursor {
            next_seq: 1,
            digest: GENESIS.to_owned(),
            bots: BTreeSet::new(),
            orders: OrderIndex::default(),
        };
        self.scan_entries(0, |entry, stored| {
            if entry.seq != cursor.next_seq {
                return Err(self.corrupt(format!(
                    "log entry {} follows {}: entries are missing",
                    entry.seq,
                    cursor.next_seq - 1
                )));
            }
            let expected = chain(&cursor.digest, &entry);
            if stored != expected {
                return Err(self.corrupt(format!(
                    "log entry {} ({}) does not match its digest: altered or reordered",
                    entry.seq, entry.kind
                )));
            }
            cursor.next_seq = entry.seq + 1;
            cursor.digest = expected;
            Ok(())
        })?;
        Ok(cursor)
    }

    fn corrupt(&self, what: String) -> JournalError {
        JournalError::Corrupt {
            path: self.path.clone(),
            what,
        }
    }

    fn db_error(&self, action: &'static str) -> impl FnOnce(duckdb::Error) -> JournalError {
        let path = self.path.clone();
        move |source| JournalError::Database {
            path,
            action,
            source,
        }
    }

    /// Runs `write` as one transaction: every write it makes is committed together, or none
    /// is (an error from `write` rolls all of them back). The log's sequence numbers are
    /// handed out in the order of the writes; the journal's cursor moves only when the
    /// transaction commits. Many writes in one batch are much faster than one transaction
    /// each (one commit, one flush of the file): the runner batches market events and
    /// commits them at the latest with the next order intent.
    ///
    /// # Errors
    /// The first error of `write`, or the commit failed.
    pub fn batch<T>(
        &mut self,
        write: impl FnOnce(&mut Batch<'_>) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|source| JournalError::Database {
                path: path.clone(),
                action: "starting a transaction",
                source,
            })?;
        let mut batch = Batch {
            tx: &tx,
            path: &path,
            action: "writing",
            cursor: self.cursor.clone(),
            appenders: Vec::new(),
            orders: Vec::new(),
            fills: Vec::new(),
        };
        let value = write(&mut batch)?;
        batch.write_orders()?;
        batch.flush_appenders()?;
        let cursor = batch.cursor.clone();
        // The appenders borrow the transaction: they go before the commit.
        drop(batch);
        tx.commit().map_err(|source| JournalError::Database {
            path: path.clone(),
            action: "committing",
            source,
        })?;
        self.cursor = cursor;
        Ok(value)
    }
}

/// Writes in progress inside one transaction ([`Journal::batch`]): the transaction and the
/// log's cursor within it.
pub struct Batch<'a> {
    tx: &'a Transaction<'a>,
    path: &'a Path,
    action: &'static str,
    cursor: Cursor,
    /// Appenders, each made at its first row: to the tables only ever added to (the log,
    /// P&L snapshots, fills) and for new orders. An appender skips the per-row planning and
    /// execution an `INSERT` costs (most of a bar time's journal cost before:
    /// BENCHMARKS.md); the rows are flushed before the commit. Inside a batch, fills and
    /// orders are read from the batch's own lists first, never from appended rows.
    appenders: Vec<(&'static str, Appender<'a>)>,
    /// The orders this batch changed, each in its last state, written before the commit
    /// (one row write per order and batch, however many reports it took).
    orders: Vec<write::OrderRow>,
    /// The fills this batch appended (read from here, not the table, until the commit).
    fills: Vec<vela_core::types::Fill>,
}

impl std::fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("path", &self.path)
            .field("next_seq", &self.cursor.next_seq)
            .finish_non_exhaustive()
    }
}

impl Batch<'_> {
    /// Writes the rows appended so far to their tables (before the commit).
    fn flush_appenders(&mut self) -> Result<(), JournalError> {
        for (_, appender) in &mut self.appenders {
            appender.flush().map_err(|source| JournalError::Database {
                path: self.path.to_path_buf(),
                action: "writing appended rows",
                source,
            })?;
        }
        Ok(())
    }

    /// Adds `row` to `table` through its appender.
    fn append_to(
        &mut self,
        table: &'static str,
        row: impl duckdb::AppenderParams,
    ) -> Result<(), JournalError> {
        let failed = {
            let (path, action) = (self.path.to_path_buf(), self.action);
            move |source| JournalError::Database {
                path,
                action,
                source,
            }
        };
        let index = match self.appenders.iter().position(|(name, _)| *name == table) {
            Some(index) => index,
            None => {
                let appender = self.tx.appender(table).map_err(failed.clone())?;
                self.appenders.push((table, appender));
                self.appenders.len() - 1
            }
        };
        self.appenders[index].1.append_row(row).map_err(failed)
    }

    fn db(&self) -> impl Fn(duckdb::Error) -> JournalError + '_ {
        |source| JournalError::Database {
            path: self.path.to_path_buf(),
            action: self.action,
            source,
        }
    }

    fn encode(&self, what: &str, value: &impl serde::Serialize) -> Result<String, JournalError> {
        serde_json::to_string(value).map_err(|source| JournalError::Encoding {
            path: self.path.to_path_buf(),
            what: what.to_owned(),
            source,
        })
    }

    /// Appends one log entry; returns its sequence number.
    fn append(
        &mut self,
        bot: Option<&str>,
        ts: i64,
        kind: &str,
        payload: &str,
    ) -> Result<Seq, JournalError> {
        let entry = LogEntry {
            seq: self.cursor.next_seq,
            bot: bot.map(str::to_owned),
            ts,
            kind: kind.to_owned(),
            payload: payload.to_owned(),
        };
        let digest = chain(&self.cursor.digest, &entry);
        let seq = i64::try_from(entry.seq).map_err(|_| JournalError::Corrupt {
            path: self.path.to_path_buf(),
            what: format!("sequence number {} beyond i64", entry.seq),
        })?;
        self.append_to(
            "events",
            params![seq, entry.bot, entry.ts, entry.kind, entry.payload, digest],
        )?;
        self.cursor.next_seq = entry.seq + 1;
        self.cursor.digest = digest;
        Ok(entry.seq)
    }
}

/// The digest of `entry` following `previous`.
fn chain(previous: &str, entry: &LogEntry) -> String {
    let mut hasher = Sha256::new();
    hasher.update(previous.as_bytes());
    hasher.update(entry.seq.to_be_bytes());
    hasher.update(entry.bot.as_deref().unwrap_or("").as_bytes());
    hasher.update([0]);
    hasher.update(entry.ts.to_be_bytes());
    hasher.update(entry.kind.as_bytes());
    hasher.update([0]);
    hasher.update(entry.payload.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
