//! The history store: bars as Parquet files under a root directory, partitioned by
//! exchange / symbol / interval / period, with a `DuckDB` catalog beside them.
//!
//! ```text
//! <root>/bars/exchange=mexc/symbol=BTCUSDT/interval=1m/period=2024-01/bars.parquet
//! <root>/catalog.duckdb
//! ```
//!
//! Every file holds one period's bars sorted by `ts` with unique open times, in the schema
//! `ts, open, high, low, close, volume, quote_volume`, and a summary of itself (rows, first
//! and last open time, gaps, content hash) in its footer. Writes go through [`Store::write`],
//! which refuses bars that break the store's rules, merges with what is stored under an
//! explicit [`Conflict`] policy and replaces each touched partition atomically. Reads take a
//! time range and open only the partitions that overlap it.
//!
//! The root is chosen by [`resolve_root`]: `--data-dir`, else `VELA_DATA_DIR`, else
//! `./vela-data`.

mod catalog;
mod dataset;
mod error;
mod hash;
mod merge;
mod partition;
mod period;
mod read;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

pub use catalog::{Catalog, CopyFormat, QueryResult};
pub use dataset::{DatasetId, interval_dir_name, interval_from_dir_name};
pub use error::StoreError;
pub use hash::{frame_hash, hex};
pub use merge::{Conflict, Merged, merge};
pub use partition::{PartitionMeta, from_dataframe, missing_between, to_dataframe};
pub use period::Period;
pub use read::TimeRange;

use crate::check::Finding;
use crate::{BarFrame, CheckOptions, check_with};

/// Environment variable naming the store root when `--data-dir` is not given.
pub const DATA_DIR_ENV: &str = "VELA_DATA_DIR";

/// The default store root, relative to the working directory.
pub const DEFAULT_ROOT: &str = "vela-data";

/// The store root: `flag` (from `--data-dir`), else `VELA_DATA_DIR` when set and not empty,
/// else `./vela-data`.
#[must_use]
pub fn resolve_root(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DEFAULT_ROOT),
    }
}

/// A history store at a root directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// What a dataset holds, from its partitions' footers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetInfo {
    /// The dataset.
    pub id: DatasetId,
    /// Its partitions, oldest first.
    pub partitions: Vec<PartitionMeta>,
    /// Bars.
    pub rows: usize,
    /// Open time of the first bar.
    pub first_ts: i64,
    /// Open time of the last bar.
    pub last_ts: i64,
    /// Gaps between consecutive bars (inside and across partitions).
    pub gaps: u64,
    /// Bars missing in those gaps.
    pub missing_bars: u64,
    /// Whether the bars carry quote volume.
    pub has_quote_volume: bool,
    /// Content hash of the whole dataset: SHA-256 over its partitions' periods and hashes.
    /// Equal bars give an equal hash, whatever wrote the files.
    pub content_hash: String,
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Bars offered.
    pub offered: usize,
    /// Bars at open times not stored before.
    pub added: usize,
    /// Stored bars replaced (only under [`Conflict::Replace`]).
    pub replaced: usize,
    /// Bars that differed from stored ones and were left as stored
    /// ([`Conflict::KeepExisting`]).
    pub kept: usize,
    /// Partition files rewritten.
    pub partitions_written: usize,
}

impl WriteSummary {
    /// Whether the write changed nothing.
    #[must_use]
    pub fn unchanged(&self) -> bool {
        self.partitions_written == 0
    }
}

impl Store {
    /// Opens (creating if needed) the store at `root`.
    pub fn open(root: impl AsRef<Path>) -> Result<Self, StoreError> {
        let root = root.as_ref().to_path_buf();
        fs::create_dir_all(&root).map_err(|e| StoreError::io("cannot create store", &root, e))?;
        Ok(Self { root })
    }

    /// Opens an existing store at `root` without creating anything.
    pub fn open_existing(root: impl AsRef<Path>) -> Result<Self, StoreError> {
        let root = root.as_ref().to_path_buf();
        if !root.is_dir() {
            return Err(StoreError::io(
                "no store at",
                &root,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        Ok(Self { root })
    }

    /// The root directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every dataset in the store, sorted by name.
    pub fn datasets(&self) -> Result<Vec<DatasetId>, StoreError> {
        let mut out = Vec::new();
        for (exchange, exchange_dir) in subdirs(&self.root.join("bars"), "exchange=")? {
            for (symbol, symbol_dir) in subdirs(&exchange_dir, "symbol=")? {
                for (interval, _) in subdirs(&symbol_dir, "interval=")? {
                    let Some(interval) = interval_from_dir_name(&interval) else {
                        continue;
                    };
                    if let Ok(id) = DatasetId::new(&exchange, &symbol, interval)
                        && !self.partition_paths(&id)?.is_empty()
                    {
                        out.push(id);
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Whether the store holds bars of `id`.
    pub fn contains(&self, id: &DatasetId) -> Result<bool, StoreError> {
        Ok(!self.partition_paths(id)?.is_empty())
    }

    /// The partition files of a dataset, oldest first (empty when there is no such dataset).
    pub(crate) fn partition_paths(
        &self,
        id: &DatasetId,
    ) -> Result<Vec<(Period, PathBuf)>, StoreError> {
        let dir = id.dir(&self.root);
        let mut out: Vec<(Period, PathBuf)> = subdirs(&dir, "period=")?
            .into_iter()
            .filter_map(|(name, path)| {
                let period = Period::parse(&name, id.interval())?;
                let file = path.join(partition::FILE_NAME);
                file.is_file().then_some((period, file))
            })
            .collect();
        out.sort_by_key(|(period, _)| *period);
        Ok(out)
    }

    /// Coverage and hash of a dataset, read from its partitions' footers.
    pub fn info(&self, id: &DatasetId) -> Result<DatasetInfo, StoreError> {
        let paths = self.partition_paths(id)?;
        if paths.is_empty() {
            return Err(self.no_dataset(id));
        }
        let partitions = paths
            .iter()
            .map(|(period, path)| {
                let meta = partition::read_meta(path, id.interval())?;
                if meta.period == *period {
                    Ok(meta)
                } else {
                    Err(StoreError::file(
                        path,
                        format!(
                            "footer says period {}, directory says {period}",
                            meta.period
                        ),
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(summarise(id, partitions))
    }

    /// Open time of the last stored bar of `id`, or `None` when nothing is stored.
    pub fn last_ts(&self, id: &DatasetId) -> Result<Option<i64>, StoreError> {
        match self.partition_paths(id)?.last() {
            Some((_, path)) => Ok(Some(partition::read_meta(path, id.interval())?.last_ts)),
            None => Ok(None),
        }
    }

    /// Stores bars into `id`: refuses frames that are unsorted, hold duplicate open times,
    /// misaligned times, OHLC violations or non-finite/negative values (gaps and zero-volume
    /// bars are data, and are stored); merges with stored bars under `policy`; rewrites only
    /// the partitions that change, each atomically. Under [`Conflict::Fail`] nothing is
    /// written when any bar conflicts. The dataset's catalog entry is refreshed afterwards.
    pub fn write(
        &self,
        id: &DatasetId,
        frame: &BarFrame,
        policy: Conflict,
    ) -> Result<WriteSummary, StoreError> {
        self.validate_incoming(id, frame)?;
        let mut summary = WriteSummary {
            offered: frame.len(),
            ..WriteSummary::default()
        };
        if frame.is_empty() {
            return Ok(summary);
        }
        let stored: BTreeMap<Period, PathBuf> = self.partition_paths(id)?.into_iter().collect();
        if let Some((_, path)) = stored.iter().next() {
            let meta = partition::read_meta(path, id.interval())?;
            if meta.has_quote_volume != frame.quote_volume.is_some() {
                let (has, lacks) = if meta.has_quote_volume {
                    ("has", "the new bars have none")
                } else {
                    ("has no", "the new bars have it")
                };
                return Err(StoreError::Rejected {
                    dataset: id.to_string(),
                    problem: format!(
                        "the stored dataset {has} quote_volume and {lacks}; store them as a \
                         separate dataset (another exchange name)"
                    ),
                });
            }
        }
        let chunks = split_by_period(frame, id);
        let load = |period: &Period| -> Result<BarFrame, StoreError> {
            match stored.get(period) {
                Some(path) => partition::read(path),
                None => Ok(BarFrame::empty(frame.quote_volume.is_some())),
            }
        };
        if policy == Conflict::Fail {
            let mut conflicts = Vec::new();
            for (period, chunk) in &chunks {
                conflicts.extend(merge(&load(period)?, chunk, policy).conflicts);
            }
            if let Some((old, new)) = conflicts.first() {
                return Err(StoreError::Conflict {
                    dataset: id.to_string(),
                    count: conflicts.len(),
                    first: vela_core::types::Timestamp(old.ts).to_string(),
                    stored: row_text(old),
                    incoming: row_text(new),
                });
            }
        }
        let dir = id.dir(&self.root);
        for (period, chunk) in &chunks {
            let merged = merge(&load(period)?, chunk, policy);
            summary.added += merged.added;
            summary.replaced += merged.replaced;
            if policy == Conflict::KeepExisting {
                summary.kept += merged.conflicts.len();
            }
            if merged.unchanged() {
                continue;
            }
            let meta = PartitionMeta::of(*period, &merged.frame, id.interval());
            partition::write(&partition::path(&dir, *period), &merged.frame, &meta)?;
            summary.partitions_written += 1;
        }
        if !summary.unchanged() {
            Catalog::open(self)?.refresh(&self.info(id)?)?;
        }
        Ok(summary)
    }

    /// Checks bars offered for storage.
    fn validate_incoming(&self, id: &DatasetId, frame: &BarFrame) -> Result<(), StoreError> {
        let report = check_with(
            &id.to_string(),
            frame,
            id.interval(),
            CheckOptions::default(),
        );
        let refused: Vec<String> = report
            .findings
            .iter()
            .filter(|f| !matches!(f, Finding::Gap { .. } | Finding::ZeroVolumeRun { .. }))
            .map(ToString::to_string)
            .collect();
        if refused.is_empty() {
            return Ok(());
        }
        let shown = refused
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        let more = match refused.len() {
            n if n > 5 => format!(" (and {} more)", n - 5),
            _ => String::new(),
        };
        Err(StoreError::Rejected {
            dataset: id.to_string(),
            problem: format!(
                "{} problem(s): {shown}{more}. Run `vela data check` on the input and repair it \
                 with a named policy (--sort, --drop-duplicates keep-first|keep-last)",
                refused.len()
            ),
        })
    }

    fn no_dataset(&self, id: &DatasetId) -> StoreError {
        StoreError::NoDataset {
            dataset: id.to_string(),
            root: self.root.clone(),
        }
    }
}

/// Splits a sorted frame into per-period chunks.
fn split_by_period(frame: &BarFrame, id: &DatasetId) -> Vec<(Period, BarFrame)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < frame.len() {
        let period = Period::of(id.interval(), frame.ts[start]);
        let end = start + frame.ts[start..].partition_point(|&t| t < period.end());
        out.push((period, frame.slice(start..end)));
        start = end;
    }
    out
}

/// Totals over a dataset's partitions, counting gaps across partition boundaries too.
fn summarise(id: &DatasetId, partitions: Vec<PartitionMeta>) -> DatasetInfo {
    let mut gaps = 0;
    let mut missing_bars = 0;
    for (i, p) in partitions.iter().enumerate() {
        gaps += p.gaps;
        missing_bars += p.missing_bars;
        if let Some(prev) = i.checked_sub(1).map(|j| &partitions[j]) {
            let missing = missing_between(id.interval(), prev.last_ts, p.first_ts);
            if missing > 0 {
                gaps += 1;
                missing_bars += missing;
            }
        }
    }
    let periods: Vec<String> = partitions.iter().map(|p| p.period.to_string()).collect();
    let content_hash = hash::combine(
        periods
            .iter()
            .map(String::as_str)
            .zip(partitions.iter().map(|p| p.hash.as_str())),
    );
    DatasetInfo {
        id: id.clone(),
        rows: partitions.iter().map(|p| p.rows).sum(),
        first_ts: partitions.first().map_or(0, |p| p.first_ts),
        last_ts: partitions.last().map_or(0, |p| p.last_ts),
        gaps,
        missing_bars,
        has_quote_volume: partitions.first().is_some_and(|p| p.has_quote_volume),
        content_hash,
        partitions,
    }
}

fn row_text(row: &crate::Row) -> String {
    let quote = row
        .quote_volume
        .map_or(String::new(), |q| format!(" qv {q}"));
    format!(
        "o {} h {} l {} c {} v {}{quote}",
        row.open, row.high, row.low, row.close, row.volume
    )
}

/// The sub-directories of `dir` named `<prefix><name>`, as (name, path); none when `dir`
/// does not exist. Hidden entries and other names are skipped.
fn subdirs(dir: &Path, prefix: &str) -> Result<Vec<(String, PathBuf)>, StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("cannot list", dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io("cannot list", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(value) = name.strip_prefix(prefix)
            && entry.path().is_dir()
        {
            out.push((value.to_owned(), entry.path()));
        }
    }
    Ok(out)
}
