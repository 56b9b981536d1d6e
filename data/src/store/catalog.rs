//! The `DuckDB` catalog at the store root (`catalog.duckdb`).
//!
//! It holds:
//! - `datasets`: one row per dataset with its coverage (rows, first/last open time, gaps,
//!   missing bars, partitions) and content hash — the hash run fingerprints use;
//! - `partitions`: the same per partition file;
//! - a view per dataset (`mexc_btcusdt_1m`) over its Parquet files, with the store's columns
//!   plus `time` (the open time as a `TIMESTAMP`);
//! - `bars`: one view over every dataset, with `exchange`, `symbol`, `interval` and
//!   `period` columns from the directory names.
//!
//! The Parquet files are the truth and the catalog is derived from their footers: a write
//! refreshes its dataset's entry, and [`Catalog::sync`] brings every entry and view in line
//! with the files (views are recreated with the store's current absolute path, so a store
//! directory can be moved).

use std::fmt;
use std::path::{Path, PathBuf};

use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::pretty::pretty_format_batches;
use duckdb::{Connection, params};

use super::{DatasetInfo, Store, StoreError};

/// The catalog file's name at the store root.
pub(crate) const FILE_NAME: &str = "catalog.duckdb";

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS datasets (
    dataset VARCHAR PRIMARY KEY,
    exchange VARCHAR NOT NULL,
    symbol VARCHAR NOT NULL,
    "interval" VARCHAR NOT NULL,
    view_name VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    first_ts BIGINT NOT NULL,
    last_ts BIGINT NOT NULL,
    first_time TIMESTAMP NOT NULL,
    last_time TIMESTAMP NOT NULL,
    gaps BIGINT NOT NULL,
    missing_bars BIGINT NOT NULL,
    partitions INTEGER NOT NULL,
    has_quote_volume BOOLEAN NOT NULL,
    content_hash VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS partitions (
    dataset VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    first_ts BIGINT NOT NULL,
    last_ts BIGINT NOT NULL,
    gaps BIGINT NOT NULL,
    missing_bars BIGINT NOT NULL,
    content_hash VARCHAR NOT NULL,
    PRIMARY KEY (dataset, period)
);
"#;

/// An open catalog.
#[derive(Debug)]
pub struct Catalog {
    conn: Connection,
    path: PathBuf,
    root: PathBuf,
}

/// A query's result: column names and rows as Arrow record batches.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// The rows.
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    /// Number of rows.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The first `max_rows` rows as a text table.
    pub fn table(&self, max_rows: usize) -> Result<String, StoreError> {
        let mut left = max_rows;
        let mut shown = Vec::new();
        for batch in &self.batches {
            if left == 0 {
                break;
            }
            let take = batch.num_rows().min(left);
            shown.push(batch.slice(0, take));
            left -= take;
        }
        if shown.is_empty() {
            return Ok(format!("({}) 0 rows", self.columns.join(", ")));
        }
        pretty_format_batches(&shown)
            .map(|t| t.to_string())
            .map_err(|e| StoreError::Sql(e.to_string()))
    }
}

/// Output formats of [`Catalog::copy_to`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    /// Parquet (zstd).
    Parquet,
    /// CSV with a header.
    Csv,
}

impl CopyFormat {
    /// The format a file name's extension implies (`.parquet`, `.csv`).
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "parquet" => Some(Self::Parquet),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

impl fmt::Display for CopyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Parquet => "parquet",
            Self::Csv => "csv",
        })
    }
}

impl Catalog {
    /// Opens (creating if needed) the catalog of `store`.
    pub fn open(store: &Store) -> Result<Self, StoreError> {
        let path = store.root().join(FILE_NAME);
        let conn = Connection::open(&path).map_err(|e| StoreError::Catalog {
            path: path.clone(),
            problem: format!("cannot open ({e}); is another vela process using it?"),
        })?;
        let root = std::path::absolute(store.root())
            .map_err(|e| StoreError::io("cannot resolve", store.root(), e))?;
        let catalog = Self { conn, path, root };
        catalog.batch(SCHEMA)?;
        Ok(catalog)
    }

    /// The catalog file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a dataset's coverage and partitions, and (re)creates its view.
    pub fn refresh(&self, info: &DatasetInfo) -> Result<(), StoreError> {
        let name = info.id.to_string();
        self.batch("BEGIN TRANSACTION")?;
        let result = self.refresh_rows(&name, info);
        match result {
            Ok(()) => self.batch("COMMIT"),
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }?;
        self.create_view(info)
    }

    fn refresh_rows(&self, name: &str, info: &DatasetInfo) -> Result<(), StoreError> {
        let err = |e: duckdb::Error| self.error(&e);
        self.conn
            .execute("DELETE FROM datasets WHERE dataset = ?", params![name])
            .map_err(err)?;
        self.conn
            .execute("DELETE FROM partitions WHERE dataset = ?", params![name])
            .map_err(err)?;
        self.conn
            .execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, epoch_ms(?), epoch_ms(?), \
                 ?, ?, ?, ?, ?)",
                params![
                    name,
                    info.id.exchange(),
                    info.id.symbol(),
                    info.id.interval().name(),
                    info.id.view_name(),
                    to_i64(info.rows),
                    info.first_ts,
                    info.last_ts,
                    info.first_ts,
                    info.last_ts,
                    to_i64_u(info.gaps),
                    to_i64_u(info.missing_bars),
                    i32::try_from(info.partitions.len()).unwrap_or(i32::MAX),
                    info.has_quote_volume,
                    info.content_hash,
                ],
            )
            .map_err(err)?;
        for p in &info.partitions {
            self.conn
                .execute(
                    "INSERT INTO partitions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    params![
                        name,
                        p.period.to_string(),
                        to_i64(p.rows),
                        p.first_ts,
                        p.last_ts,
                        to_i64_u(p.gaps),
                        to_i64_u(p.missing_bars),
                        p.hash,
                    ],
                )
                .map_err(err)?;
        }
        Ok(())
    }

    fn create_view(&self, info: &DatasetInfo) -> Result<(), StoreError> {
        let glob = info
            .id
            .dir(&self.root)
            .join("period=*")
            .join(super::partition::FILE_NAME);
        self.batch(&format!(
            "CREATE OR REPLACE VIEW \"{}\" AS SELECT ts, epoch_ms(ts) AS time, open, high, low, \
             close, volume, quote_volume FROM read_parquet('{}') ORDER BY ts",
            info.id.view_name(),
            sql_string(&glob)
        ))
    }

    /// Brings the whole catalog in line with the store's files: refreshes every dataset,
    /// drops entries and views of datasets that are gone, and (re)creates the `bars` view.
    /// Returns the datasets' coverage.
    pub fn sync(&self, store: &Store) -> Result<Vec<DatasetInfo>, StoreError> {
        let infos = store
            .datasets()?
            .iter()
            .map(|id| store.info(id))
            .collect::<Result<Vec<_>, _>>()?;
        let stale = self.stale_views(&infos)?;
        for (dataset, view) in stale {
            self.batch(&format!("DROP VIEW IF EXISTS \"{view}\""))?;
            let err = |e: duckdb::Error| self.error(&e);
            self.conn
                .execute("DELETE FROM datasets WHERE dataset = ?", params![dataset])
                .map_err(err)?;
            self.conn
                .execute("DELETE FROM partitions WHERE dataset = ?", params![dataset])
                .map_err(err)?;
        }
        for info in &infos {
            self.refresh(info)?;
        }
        if infos.is_empty() {
            self.batch("DROP VIEW IF EXISTS bars")?;
        } else {
            let glob = self
                .root
                .join("bars/exchange=*/symbol=*/interval=*/period=*")
                .join(super::partition::FILE_NAME);
            self.batch(&format!(
                "CREATE OR REPLACE VIEW bars AS SELECT exchange, symbol, \"interval\", period, \
                 ts, epoch_ms(ts) AS time, open, high, low, close, volume, quote_volume FROM \
                 read_parquet('{}', hive_partitioning = true, hive_types_autocast = false)",
                sql_string(&glob)
            ))?;
        }
        Ok(infos)
    }

    /// Catalog entries whose dataset is no longer in the store, as (dataset, view).
    fn stale_views(&self, infos: &[DatasetInfo]) -> Result<Vec<(String, String)>, StoreError> {
        let err = |e: duckdb::Error| self.error(&e);
        let mut stmt = self
            .conn
            .prepare("SELECT dataset, view_name FROM datasets")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        Ok(rows
            .into_iter()
            .filter(|(dataset, _)| !infos.iter().any(|i| i.id.to_string() == *dataset))
            .collect())
    }

    /// Runs one SQL statement and collects its result.
    pub fn query(&self, sql: &str) -> Result<QueryResult, StoreError> {
        let mut stmt = self
            .conn
            .prepare(sql)
            .map_err(|e| StoreError::Sql(e.to_string()))?;
        let arrow = stmt
            .query_arrow([])
            .map_err(|e| StoreError::Sql(e.to_string()))?;
        let schema = arrow.get_schema();
        let batches: Vec<RecordBatch> = arrow.collect();
        Ok(QueryResult {
            columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
            batches,
        })
    }

    /// Writes a query's result to a Parquet or CSV file (`DuckDB`'s `COPY ... TO`).
    pub fn copy_to(&self, sql: &str, out: &Path, format: CopyFormat) -> Result<(), StoreError> {
        let query = sql.trim().trim_end_matches(';');
        let options = match format {
            CopyFormat::Parquet => "FORMAT parquet, COMPRESSION zstd",
            CopyFormat::Csv => "FORMAT csv, HEADER true",
        };
        let out = std::path::absolute(out).map_err(|e| StoreError::io("cannot resolve", out, e))?;
        self.conn
            .execute_batch(&format!(
                "COPY ({query}) TO '{}' ({options})",
                sql_string(&out)
            ))
            .map_err(|e| StoreError::Sql(e.to_string()))
    }

    fn batch(&self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(|e| self.error(&e))
    }

    fn error(&self, e: &duckdb::Error) -> StoreError {
        StoreError::Catalog {
            path: self.path.clone(),
            problem: e.to_string(),
        }
    }
}

/// A path as the body of a SQL string literal (quotes doubled).
fn sql_string(path: &Path) -> String {
    path.to_string_lossy().replace('\'', "''")
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_i64_u(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
