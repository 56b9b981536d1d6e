//! `vela data`: generate, check and resample bar files.
//!
//! These work on CSV files (Binance klines or `ts,open,high,low,close,volume[,quote_volume]`
//! with a header); the history store adds datasets by name.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use vela_core::types::Timestamp;
use vela_data::import::{parse_timestamp, read_csv, write_csv};
use vela_data::{
    BarFrame, CheckOptions, Duplicates, GapFill, GeneratorSpec, Interval, Partial, Repair,
    check_with, generate, repair, resample,
};

/// `vela data` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
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
    /// Bar interval (1m, 5m, 15m, 30m, 60m, 4h, 1d, 1W).
    #[arg(long, default_value = "1m")]
    interval: Interval,
    /// Open time of the first bar (ms, s or ISO-8601, UTC).
    #[arg(long, default_value = "2024-01-01")]
    start: String,
    /// First price.
    #[arg(long, default_value_t = 50_000.0)]
    price: f64,
    /// Where to write the CSV.
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `vela data check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The bar file.
    file: PathBuf,
    /// Its bar interval.
    #[arg(long, default_value = "1m")]
    interval: Interval,
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
}

/// Arguments of `vela data resample`.
#[derive(Debug, clap::Args)]
pub(crate) struct ResampleArgs {
    /// The bar file (sorted, unique times).
    file: PathBuf,
    /// Its bar interval.
    #[arg(long, default_value = "1m")]
    from: Interval,
    /// The coarser interval wanted.
    #[arg(long)]
    to: Interval,
    /// Keep incomplete bars (a partial last bar, bars with missing minutes).
    #[arg(long)]
    keep_partial: bool,
    /// Where to write the CSV.
    #[arg(long)]
    out: PathBuf,
}

/// Runs a `vela data` subcommand.
pub(crate) fn run(command: &Command) -> Result<ExitCode> {
    match command {
        Command::Generate(args) => generate_file(args),
        Command::Check(args) => check_file(args),
        Command::Resample(args) => resample_file(args),
    }
}

fn read(path: &Path) -> Result<BarFrame> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let (frame, _) = read_csv(BufReader::new(file), &path.display().to_string())?;
    Ok(frame)
}

fn write(frame: &BarFrame, path: &Path) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    write_csv(frame, BufWriter::new(file))
        .with_context(|| format!("cannot write {}", path.display()))
}

fn say(line: &str) -> Result<()> {
    writeln!(std::io::stdout().lock(), "{line}").context("writing to stdout")
}

fn generate_file(args: &GenerateArgs) -> Result<ExitCode> {
    let start = parse_timestamp(&args.start).map_err(|e| anyhow::anyhow!("--start: {e}"))?;
    let spec = GeneratorSpec {
        start_ts: start,
        interval: args.interval,
        start_price: args.price,
        ..GeneratorSpec::new(args.seed, args.bars)
    };
    let frame = generate(&spec)?;
    write(&frame, &args.out)?;
    say(&format!(
        "wrote {} {} bars (seed {}) from {} to {}",
        frame.len(),
        args.interval,
        args.seed,
        Timestamp(start),
        args.out.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn check_file(args: &CheckArgs) -> Result<ExitCode> {
    let frame = read(&args.file)?;
    let name = format!("{} {}", args.file.display(), args.interval);
    let options = CheckOptions {
        min_zero_volume_run: args.min_zero_volume_run,
    };
    let report = check_with(&name, &frame, args.interval, options);
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
    let (repaired, log) = repair(&frame, args.interval, &policy)?;
    write(&repaired, out)?;
    say(&format!("repaired: {log}; wrote {}", out.display()))?;
    let after = check_with(&name, &repaired, args.interval, options);
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
    let frame = read(&args.file)?;
    let partial = if args.keep_partial {
        Partial::Keep
    } else {
        Partial::Drop
    };
    let coarse = resample(&frame, args.from, args.to, partial)?;
    write(&coarse, &args.out)?;
    say(&format!(
        "wrote {} {} bars from {} {} bars to {}",
        coarse.len(),
        args.to,
        frame.len(),
        args.from,
        args.out.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}
