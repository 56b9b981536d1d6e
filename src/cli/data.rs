//! `vela data`: the history store (import, fetch, list, sql) and bar tools (generate,
//! check, resample) that work on a stored dataset (`exchange/SYMBOL/interval`) or a file
//! (CSV — Binance klines or `ts,open,high,low,close,volume[,quote_volume]` with a header —,
//! Parquet or Arrow IPC/feather).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use vela_core::types::Timestamp;
use vela_data::import::{parse_timestamp, read_file, write_csv};
use vela_data::store::{Conflict, DatasetId, TimeRange};
use vela_data::{
    BarFrame, CheckOptions, Duplicates, GapFill, GeneratorSpec, Interval, Partial, Repair,
    check_with, generate, repair, resample,
};

use super::store::{self, StoreArgs, stored_dataset};

/// `vela data` subcommands.
#[allow(clippy::doc_markdown, reason = "doc comments are clap's help text")]
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Import bar files (CSV, Parquet, feather) into the store; idempotent, merges overlaps.
    Import(store::ImportArgs),
    /// List the stored datasets with their coverage, gaps and content hashes.
    List(store::ListArgs),
    /// Run SQL over the store's DuckDB catalog; print a table or write Parquet/CSV.
    Sql(store::SqlArgs),
    /// Download finished klines from an exchange into the store; resumes after the last
    /// stored bar.
    Fetch(super::fetch::FetchArgs),
    /// Write seeded synthetic bars (regime-switching returns, realistic ranges, volume
    /// spikes) to a CSV file, so anything can run offline.
    Generate(GenerateArgs),
    /// Report gaps, duplicates, out-of-order rows, OHLC violations, bad values and
    /// zero-volume runs in a bar file; repair only by the policies named.
    Check(CheckArgs),
    /// Aggregate a bar file into a coarser interval.
    Resample(ResampleArgs),
}

/// Arguments of `vela data generate`.
#[derive(Debug, clap::Args)]
pub(crate) struct GenerateArgs {
    /// Seed: the same seed always gives the same bars.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of bars.
    #[arg(long, default_value_t = 10_080)]
    bars: usize,
    /// Bar interval (1m, 5m, 15m, 30m, 60m, 4h, 1d, 1W; default 1m).
    #[arg(long)]
    interval: Option<Interval>,
    /// Open time of the first bar (ms, s or ISO-8601, UTC).
    #[arg(long, default_value = "2024-01-01")]
    start: String,
    /// First price.
    #[arg(long, default_value_t = 50_000.0)]
    price: f64,
    /// Where to write the CSV.
    #[arg(long, required_unless_present = "dataset", conflicts_with = "dataset")]
    out: Option<PathBuf>,
    /// Store the bars as this dataset instead (e.g. synthetic/BTCUSDT/1m; its interval
    /// replaces --interval).
    #[arg(long)]
    dataset: Option<DatasetId>,
    #[command(flatten)]
    store: StoreArgs,
}

/// Arguments of `vela data check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// A stored dataset (exchange/SYMBOL/interval) or a bar file.
    input: String,
    /// A file's bar interval (default: inferred from its open times).
    #[arg(long)]
    interval: Option<Interval>,
    /// Shortest run of zero-volume bars to report.
    #[arg(long, default_value_t = 1)]
    min_zero_volume_run: usize,
    /// Repair: sort rows by time.
    #[arg(long)]
    sort: bool,
    /// Repair: keep one row per time (keep-first or keep-last).
    #[arg(long)]
    drop_duplicates: Option<Duplicates>,
    /// Repair: insert missing bars (forward: previous close, zero volume).
    #[arg(long)]
    fill_gaps: Option<GapFill>,
    /// Write the repaired bars here (required with a repair policy).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
}

/// Arguments of `vela data resample`.
#[derive(Debug, clap::Args)]
pub(crate) struct ResampleArgs {
    /// A stored dataset (exchange/SYMBOL/interval) or a bar file (sorted, unique times).
    input: String,
    /// A file's bar interval (default: inferred from its open times).
    #[arg(long)]
    from: Option<Interval>,
    /// The coarser interval wanted.
    #[arg(long)]
    to: Interval,
    /// Keep incomplete bars (a partial last bar, bars with missing minutes).
    #[arg(long)]
    keep_partial: bool,
    /// Where to write the CSV (default for a dataset: store the result as the same
    /// exchange and symbol at the new interval).
    #[arg(long)]
    out: Option<PathBuf>,
    /// For a stored result, when a bar differs from one already stored: fail,
    /// keep-existing or replace.
    #[arg(long, default_value = "fail")]
    on_conflict: Conflict,
    #[command(flatten)]
    store: StoreArgs,
}

/// Runs a `vela data` subcommand.
pub(crate) fn run(command: &Command) -> Result<ExitCode> {
    match command {
        Command::Import(args) => store::import(args),
        Command::List(args) => store::list(args),
        Command::Sql(args) => store::sql(args),
        Command::Fetch(args) => super::fetch::fetch(args),
        Command::Generate(args) => generate_file(args),
        Command::Check(args) => check_file(args),
        Command::Resample(args) => resample_file(args),
    }
}

/// Bars to work on: a whole stored dataset, or a file. Returns the bars, their interval and
/// the name findings use.
fn load(input: &str, interval: Option<Interval>, store: &StoreArgs) -> Result<Loaded> {
    if let Some((store, id)) = stored_dataset(store, input)? {
        if let Some(given) = interval.filter(|i| *i != id.interval()) {
            bail!("{id} holds {} bars, not {given}", id.interval());
        }
        let frame = store.read(&id, TimeRange::ALL)?;
        return Ok(Loaded {
            name: id.to_string(),
            interval: id.interval(),
            frame,
            dataset: Some(id),
            store: Some(store),
        });
    }
    let path = Path::new(input);
    if !path.exists() {
        bail!("{input}: no such file (and not a stored dataset exchange/SYMBOL/interval)");
    }
    let (frame, _) = read_file(path)?;
    let interval = match interval {
        Some(interval) => interval,
        None => Interval::infer(&frame.ts).with_context(|| {
            format!("{input}: cannot tell the bar interval from the open times; pass it")
        })?,
    };
    Ok(Loaded {
        name: format!("{input} {interval}"),
        interval,
        frame,
        dataset: None,
        store: None,
    })
}

/// Bars loaded by [`load`].
struct Loaded {
    name: String,
    interval: Interval,
    frame: BarFrame,
    dataset: Option<DatasetId>,
    store: Option<vela_data::store::Store>,
}

fn write(frame: &BarFrame, path: &Path) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    write_csv(frame, BufWriter::new(file))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Prints a line to stdout.
pub(crate) fn say(line: &str) -> Result<()> {
    writeln!(std::io::stdout().lock(), "{line}").context("writing to stdout")
}

fn generate_file(args: &GenerateArgs) -> Result<ExitCode> {
    let start = parse_timestamp(&args.start).map_err(|e| anyhow::anyhow!("--start: {e}"))?;
    let spec = GeneratorSpec {
        start_ts: start,
        interval: match &args.dataset {
            Some(id) => {
                if args.interval.is_some_and(|i| i != id.interval()) {
                    bail!("--interval differs from the interval of --dataset {id}");
                }
                id.interval()
            }
            None => args.interval.unwrap_or(Interval::M1),
        },
        start_price: args.price,
        ..GeneratorSpec::new(args.seed, args.bars)
    };
    let frame = generate(&spec)?;
    let target = match (&args.out, &args.dataset) {
        (Some(out), _) => {
            write(&frame, out)?;
            out.display().to_string()
        }
        (None, Some(id)) => {
            let summary = args.store.open()?.write(id, &frame, Conflict::Fail)?;
            format!("{id} ({} new)", summary.added)
        }
        (None, None) => bail!("name a file (--out) or a dataset (--dataset)"),
    };
    say(&format!(
        "wrote {} {} bars (seed {}) from {} to {target}",
        frame.len(),
        spec.interval,
        args.seed,
        Timestamp(start),
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn check_file(args: &CheckArgs) -> Result<ExitCode> {
    let Loaded {
        name,
        interval,
        frame,
        ..
    } = load(&args.input, args.interval, &args.store)?;
    let options = CheckOptions {
        min_zero_volume_run: args.min_zero_volume_run,
    };
    let report = check_with(&name, &frame, interval, options);
    say(&report.to_string())?;
    let policy = Repair {
        sort: args.sort,
        drop_duplicates: args.drop_duplicates,
        fill_gaps: args.fill_gaps,
    };
    let repairing = policy.sort || policy.drop_duplicates.is_some() || policy.fill_gaps.is_some();
    if !repairing {
        if args.out.is_some() {
            bail!(
                "--out writes repaired bars: name a policy (--sort, --drop-duplicates, --fill-gaps)"
            );
        }
        return Ok(if report.is_clean() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let Some(out) = &args.out else {
        bail!("a repair needs --out: the input file is never changed");
    };
    let (repaired, log) = repair(&frame, interval, &policy)?;
    write(&repaired, out)?;
    say(&format!("repaired: {log}; wrote {}", out.display()))?;
    let after = check_with(&name, &repaired, interval, options);
    // The bars a forward fill inserts have no volume: those zero-volume runs are expected.
    let left: Vec<String> = after
        .findings
        .iter()
        .filter(|finding| !log.explains(finding))
        .map(|finding| finding.named(&after.dataset).to_string())
        .collect();
    say(&format!(
        "after repair: {} finding(s) not made by the repair",
        left.len()
    ))?;
    for line in &left {
        say(&format!("  {line}"))?;
    }
    Ok(if left.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn resample_file(args: &ResampleArgs) -> Result<ExitCode> {
    let loaded = load(&args.input, args.from, &args.store)?;
    let partial = if args.keep_partial {
        Partial::Keep
    } else {
        Partial::Drop
    };
    let coarse = resample(&loaded.frame, loaded.interval, args.to, partial)?;
    let target = match (&args.out, &loaded.dataset, &loaded.store) {
        (Some(out), _, _) => {
            write(&coarse, out)?;
            out.display().to_string()
        }
        (None, Some(id), Some(store)) => {
            let target = id.at(args.to);
            let summary = store.write(&target, &coarse, args.on_conflict)?;
            format!("{target} ({} new)", summary.added)
        }
        _ => bail!("resampling a file needs --out"),
    };
    say(&format!(
        "wrote {} {} bars from {} {} bars to {target}",
        coarse.len(),
        args.to,
        loaded.frame.len(),
        loaded.interval,
    ))?;
    Ok(ExitCode::SUCCESS)
}
