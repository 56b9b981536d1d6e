//! `vela data import | list | sql`: the history store from the command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use vela_core::types::Timestamp;
use vela_data::import::read_file;
use vela_data::store::{
    Catalog, Conflict, CopyFormat, DatasetId, DatasetInfo, Store, resolve_root,
};
use vela_data::{BarFrame, Duplicates, Interval, Repair, repair};

use super::data::say;

/// Where the store is.
#[allow(clippy::doc_markdown, reason = "doc comments are clap's help text")]
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StoreArgs {
    /// Store root (default: $VELA_DATA_DIR, else ./vela-data).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

impl StoreArgs {
    /// Opens (creating) the store.
    pub(crate) fn open(&self) -> Result<Store> {
        let root = resolve_root(self.data_dir.as_deref());
        Store::open(&root).with_context(|| format!("opening the store at {}", root.display()))
    }

    /// Opens the store only if it exists.
    pub(crate) fn open_existing(&self) -> Result<Store> {
        let root = resolve_root(self.data_dir.as_deref());
        Store::open_existing(&root).with_context(|| {
            format!(
                "no store at {} (import or fetch data first, or pass --data-dir)",
                root.display()
            )
        })
    }
}

/// Arguments of `vela data import`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// Bar files: CSV (Binance klines or a header), Parquet or Arrow IPC/feather.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Exchange the bars come from (e.g. mexc, binance).
    #[arg(long)]
    exchange: String,
    /// Symbol, as the exchange spells it (e.g. BTCUSDT).
    #[arg(long)]
    symbol: String,
    /// Bar interval (default: inferred from the open times).
    #[arg(long)]
    interval: Option<Interval>,
    /// When a bar differs from the stored bar at the same open time: fail, keep-existing
    /// or replace.
    #[arg(long, default_value = "fail")]
    on_conflict: Conflict,
    /// Repair: sort rows by open time before storing.
    #[arg(long)]
    sort: bool,
    /// Repair: keep one row per open time (keep-first or keep-last).
    #[arg(long)]
    drop_duplicates: Option<Duplicates>,
    #[command(flatten)]
    store: StoreArgs,
}

/// Arguments of `vela data list`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// Print full content hashes and every partition.
    #[arg(long)]
    verbose: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// Arguments of `vela data sql`.
#[allow(clippy::doc_markdown, reason = "doc comments are clap's help text")]
#[derive(Debug, clap::Args)]
pub(crate) struct SqlArgs {
    /// One SQL statement. Tables: datasets, partitions, bars (all datasets) and one view per
    /// dataset, e.g. mexc_btcusdt_1m.
    query: String,
    /// Write the result to this file instead (.parquet or .csv).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Rows to print at most.
    #[arg(long, default_value_t = 100)]
    max_rows: usize,
    #[command(flatten)]
    store: StoreArgs,
}

/// `vela data import`.
pub(crate) fn import(args: &ImportArgs) -> Result<ExitCode> {
    let store = args.store.open()?;
    for file in &args.files {
        let (frame, layout) = read_file(file)?;
        let interval = match args.interval {
            Some(interval) => interval,
            None => Interval::infer(&frame.ts).with_context(|| {
                format!(
                    "{}: cannot tell the bar interval from the open times; pass --interval",
                    file.display()
                )
            })?,
        };
        let id = DatasetId::new(&args.exchange, &args.symbol, interval)?;
        let frame = apply_repairs(frame, interval, args)?;
        let summary = store
            .write(&id, &frame, args.on_conflict)
            .with_context(|| format!("importing {}", file.display()))?;
        let info = store.info(&id)?;
        say(&format!(
            "{} ({layout}, {} bars) → {id}: {} new, {} replaced, {} kept as stored, {} \
             partition(s) written",
            file.display(),
            summary.offered,
            summary.added,
            summary.replaced,
            summary.kept,
            summary.partitions_written
        ))?;
        say(&format!("  {}", coverage(&info)))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The named repairs of `vela data import`, applied before storing.
fn apply_repairs(frame: BarFrame, interval: Interval, args: &ImportArgs) -> Result<BarFrame> {
    let policy = Repair {
        sort: args.sort,
        drop_duplicates: args.drop_duplicates,
        fill_gaps: None,
    };
    if !policy.sort && policy.drop_duplicates.is_none() {
        return Ok(frame);
    }
    let (repaired, log) = repair(&frame, interval, &policy)?;
    say(&format!("repaired before storing: {log}"))?;
    Ok(repaired)
}

/// One line of coverage.
fn coverage(info: &DatasetInfo) -> String {
    format!(
        "{}: {} bars, {} → {}, {} gap(s) ({} missing bars), hash {}",
        info.id,
        info.rows,
        Timestamp(info.first_ts),
        Timestamp(info.last_ts),
        info.gaps,
        info.missing_bars,
        &info.content_hash[..12.min(info.content_hash.len())]
    )
}

/// `vela data list`.
pub(crate) fn list(args: &ListArgs) -> Result<ExitCode> {
    let store = args.store.open_existing()?;
    let infos = Catalog::open(&store)?.sync(&store)?;
    if infos.is_empty() {
        say(&format!("no datasets in {}", store.root().display()))?;
    }
    for info in &infos {
        say(&coverage(info))?;
        if args.verbose {
            say(&format!("  content hash {}", info.content_hash))?;
            for p in &info.partitions {
                say(&format!(
                    "  {} {} bars {} → {}, {} gap(s), hash {}",
                    p.period,
                    p.rows,
                    Timestamp(p.first_ts),
                    Timestamp(p.last_ts),
                    p.gaps,
                    p.hash
                ))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `vela data sql`.
pub(crate) fn sql(args: &SqlArgs) -> Result<ExitCode> {
    let store = args.store.open_existing()?;
    let catalog = Catalog::open(&store)?;
    catalog.sync(&store)?;
    if let Some(out) = &args.out {
        let Some(format) = CopyFormat::from_path(out) else {
            bail!("--out {}: name the file .parquet or .csv", out.display());
        };
        catalog.copy_to(&args.query, out, format)?;
        say(&format!("wrote {} ({format})", out.display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let result = catalog.query(&args.query)?;
    say(&result.table(args.max_rows)?)?;
    let rows = result.rows();
    if rows > args.max_rows {
        say(&format!(
            "{rows} rows, {} shown (--max-rows to see more, --out to write them all)",
            args.max_rows
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A dataset name that the store holds, or `None` when `text` is not one (then it is a file).
pub(crate) fn stored_dataset(store: &StoreArgs, text: &str) -> Result<Option<(Store, DatasetId)>> {
    let Ok(id) = text.parse::<DatasetId>() else {
        return Ok(None);
    };
    if Path::new(text).exists() {
        return Ok(None);
    }
    let store = store.open_existing()?;
    if !store.contains(&id)? {
        bail!(
            "no dataset {id} in the store at {} (see `vela data list`)",
            store.root().display()
        );
    }
    Ok(Some((store, id)))
}
