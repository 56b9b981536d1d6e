//! `vela sweep <DATASET>... --strategy NAME --grid name=values ...`: every combination of
//! a parameter grid of a built-in strategy over stored datasets, through the vectorised
//! tier in parallel; a ranked results table, a heatmap, the top equity curves and the
//! sweep's fingerprint.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use vela_backtest::run::instrument::instrument_for;
use vela_backtest::sweep::{
    self, Dataset, Fingerprint, Grid, GridSpec, KeptCurve, Metric, Plan, SweepResults, Table,
};
use vela_backtest::vector::{FillTiming, VectorConfig};
use vela_core::strategy::Registry;
use vela_core::types::Timestamp;
use vela_data::BarFrame;
use vela_data::import::parse_timestamp;
use vela_data::store::{DatasetId, TimeRange};

use super::data::say;
use super::market::InstrumentArgs;
use super::store::{StoreArgs, stored_dataset};

/// Arguments of `vela sweep`.
#[allow(clippy::doc_markdown, reason = "doc comments are clap's help text")]
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Stored datasets to sweep over, e.g. sample/BTCUSDT/1m (see `vela data list`).
    #[arg(required = true)]
    datasets: Vec<String>,
    /// Built-in strategy with a vectorised form: crossover, breakout, mean_reversion,
    /// volume_spike (default: the sweep file's).
    #[arg(long)]
    strategy: Option<String>,
    /// A parameter and its values: a list (slow=20,50,100) or an inclusive range
    /// start:stop:step (fast=5:50:5). Repeat for each parameter.
    #[arg(long, value_name = "NAME=VALUES")]
    grid: Vec<String>,
    /// A sweep file (TOML: strategy, constraints, [grid]); --grid and --constraint add to
    /// it.
    #[arg(long, value_name = "FILE")]
    grid_file: Option<PathBuf>,
    /// Skip combinations that break this rule, e.g. "fast<slow". Repeatable.
    #[arg(long, value_name = "RULE")]
    constraint: Vec<String>,
    /// Metric to rank by: total_return, cagr, sharpe, sortino, calmar, max_drawdown,
    /// max_drawdown_duration_ms, win_rate, profit_factor, expectancy, avg_win, avg_loss,
    /// exposure, trades, fees, turnover.
    #[arg(long, default_value = "sharpe")]
    rank_by: String,
    /// Rows to print.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Write the ranked table (every row) here: .parquet or .csv.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write a heatmap of the ranking metric here (SVG; two-parameter grids).
    #[arg(long, value_name = "FILE")]
    heatmap: Option<PathBuf>,
    /// Keep the equity curves of the K best rows, written next to --out as
    /// <name>.equity.<ext>.
    #[arg(long, value_name = "K", default_value_t = 0)]
    keep_equity: usize,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// First bar open time to include (date, ISO time or epoch).
    #[arg(long)]
    from: Option<String>,
    /// Bar open time to stop before (exclusive).
    #[arg(long)]
    to: Option<String>,
    /// Starting cash in the quote asset.
    #[arg(long, default_value_t = 10_000.0)]
    cash: f64,
    /// Slippage against the trader, basis points.
    #[arg(long, default_value_t = 0.0)]
    slippage_bps: f64,
    /// Fill signals at the next bar's open (next-open) or at this bar's close
    /// (this-close).
    #[arg(long, default_value = "next-open")]
    fill: String,
    #[command(flatten)]
    instrument: InstrumentArgs,
    #[command(flatten)]
    store: StoreArgs,
}

/// `vela sweep`.
pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let registry = Registry::builtin();
    let metric: Metric = args.rank_by.parse().context("--rank-by")?;
    let mut spec = match &args.grid_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            GridSpec::from_toml(&text).with_context(|| path.display().to_string())?
        }
        None => GridSpec::default(),
    };
    for entry in &args.grid {
        spec.push_text(entry)?;
    }
    spec.constraints.extend(args.constraint.iter().cloned());
    let strategy = match (&args.strategy, &spec.strategy) {
        (Some(name), Some(file)) if name != file => {
            bail!("--strategy {name} differs from the sweep file's strategy {file}")
        }
        (Some(name), _) | (None, Some(name)) => name.clone(),
        (None, None) => bail!("no strategy: pass --strategy NAME (see `vela strategies`)"),
    };
    let schema = &registry.get(&strategy)?.schema;
    let plan = Plan::new(&registry, Grid::new(schema, &spec)?)?;
    if args.keep_equity > 0 && args.out.is_none() {
        bail!("--keep-equity needs --out: the curves are written next to the results table");
    }

    let range = time_range(args.from.as_deref(), args.to.as_deref())?;
    let frames = read_frames(&args.store, &args.datasets, range)?;
    // One simulator serves every dataset: their instruments must trade by the same rules.
    let settings = args.instrument.settings();
    let instrument = instrument_for(frames[0].0.symbol(), &settings)?;
    for (id, _) in &frames[1..] {
        let other = instrument_for(id.symbol(), &settings)?;
        let rules = |i: &vela_core::types::Instrument| {
            (
                i.price_precision,
                i.quantity_precision,
                i.min_quantity,
                i.min_notional,
                i.maker_fee,
                i.taker_fee,
            )
        };
        if rules(&other) != rules(&instrument) {
            bail!(
                "{id} ({}) and {} ({}) trade by different rules (precision, minimums or \
                 fees): give them with --price-decimals, --quantity-decimals, \
                 --min-quantity, --min-notional, or sweep each on its own",
                id.symbol(),
                frames[0].0,
                frames[0].0.symbol()
            );
        }
    }
    let config = VectorConfig {
        slippage_bps: args.slippage_bps,
        fill: match args.fill.as_str() {
            "next-open" => FillTiming::NextOpen,
            "this-close" => FillTiming::ThisClose,
            other => bail!("--fill {other:?}: expected next-open or this-close"),
        },
        ..VectorConfig::new(instrument, args.cash)
    };
    let datasets: Vec<Dataset<'_>> = frames
        .iter()
        .map(|(id, frame)| Dataset::from_frame(id.to_string(), frame))
        .collect();

    let threads = args.threads.unwrap_or(0);
    if args.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting the worker threads")?;
    let bars: usize = frames.iter().map(|(_, f)| f.len()).sum();
    say(&format!(
        "sweep {strategy}: {} combinations ({} skipped by constraints) × {} dataset(s), {bars} \
         bars, {} threads",
        plan.len(),
        plan.skipped(),
        datasets.len(),
        pool.current_num_threads()
    ))?;
    let total = (plan.len() * datasets.len()) as u64;
    // Hidden when stderr is not a terminal (indicatif's default draw target).
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} runs ({eta})")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    bar.set_message(strategy.clone());
    let started = Instant::now();
    let results =
        pool.install(|| sweep::run(&registry, &plan, &datasets, &config, &|n| bar.inc(n)));
    bar.finish_and_clear();
    let results = results?;
    let elapsed = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "a rate for display")]
    let rate = results.bar_combinations(plan.len()) as f64 / elapsed.max(1e-9);
    say(&format!(
        "{} runs in {elapsed:.2} s: {:.1} M bar-combinations/s; {} shared indicator columns",
        results.rows.len(),
        rate / 1e6,
        results.columns_computed
    ))?;

    let order = sweep::rank(&results, metric);
    let names: Vec<String> = datasets.iter().map(|d| d.name.clone()).collect();
    let table = Table {
        plan: &plan,
        datasets: &names,
        results: &results,
        order: &order,
    };
    print_top(&table, metric, args.top)?;
    let extra = [
        ("rank_by", metric.to_string()),
        ("range", format!("{range:?}")),
    ];
    let fingerprint = Fingerprint::new(&plan, &config, &extra, &datasets, &results);
    say(&format!("fingerprint: {fingerprint}"))?;

    if let Some(path) = &args.out {
        table.write(path)?;
        say(&format!("wrote {} ({} rows)", path.display(), order.len()))?;
        if args.keep_equity > 0 {
            let path = equity_path(path);
            let count =
                write_top_curves(&registry, &plan, &datasets, &config, &table, args, &path)?;
            say(&format!("wrote {} ({count} equity curves)", path.display()))?;
        }
    }
    if let Some(path) = &args.heatmap {
        let title = format!("{strategy} on {}", names.join(", "));
        let svg = sweep::heatmap_svg(&plan, &results, metric, &title)?;
        std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?;
        say(&format!("wrote {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The range of `--from` and `--to`.
pub(crate) fn time_range(from: Option<&str>, to: Option<&str>) -> Result<TimeRange> {
    let parse = |flag: &str, text: Option<&str>| {
        text.map(|t| parse_timestamp(t).map_err(|e| anyhow::anyhow!("{flag} {t:?}: {e}")))
            .transpose()
    };
    let (from, to) = (parse("--from", from)?, parse("--to", to)?);
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        bail!(
            "--from {} is not before --to {}",
            Timestamp(from),
            Timestamp(to)
        );
    }
    Ok(TimeRange::new(from, to))
}

/// The bars of every dataset in `range`; none may be empty.
pub(crate) fn read_frames(
    store_args: &StoreArgs,
    datasets: &[String],
    range: TimeRange,
) -> Result<Vec<(DatasetId, BarFrame)>> {
    let mut frames = Vec::new();
    for text in datasets {
        let Some((store, id)) = stored_dataset(store_args, text)? else {
            bail!(
                "{text}: not a stored dataset (expected exchange/SYMBOL/interval, e.g. \
                 sample/BTCUSDT/1m; see `vela data list`)"
            );
        };
        if frames.iter().any(|(seen, _)| seen == &id) {
            bail!("dataset {id} is given twice");
        }
        let frame = store
            .read(&id, range)
            .with_context(|| format!("reading {id}"))?;
        if frame.is_empty() {
            bail!("dataset {id} has no bars in the range {}", describe(range));
        }
        frames.push((id, frame));
    }
    Ok(frames)
}

fn describe(range: TimeRange) -> String {
    let end = |ts: i64, open: i64| {
        if ts == open {
            "…".to_owned()
        } else {
            Timestamp(ts).to_string()
        }
    };
    format!(
        "[{}, {})",
        end(range.start, i64::MIN),
        end(range.end, i64::MAX)
    )
}

fn print_top(table: &Table<'_>, metric: Metric, top: usize) -> Result<()> {
    let header = table.header();
    let mut wanted: Vec<usize> = vec![0, 1];
    let axes = table.plan.grid().axes().len();
    wanted.extend(3..3 + axes);
    for name in [
        "total_return",
        "sharpe",
        "max_drawdown",
        "trades",
        metric.name(),
    ] {
        if let Some(i) = header.iter().position(|h| h == name)
            && !wanted.contains(&i)
        {
            wanted.push(i);
        }
    }
    let shown = top.min(table.order.len());
    say(&format!("top {shown} by {metric}:"))?;
    let rows: Vec<Vec<String>> = std::iter::once(header.clone())
        .chain((0..shown).map(|r| {
            let cells = table.cells(r);
            cells
                .into_iter()
                .enumerate()
                .map(|(i, c)| match c.parse::<f64>() {
                    Ok(v) if i > 2 + axes && c.contains('.') => format!("{v:.4}"),
                    _ => c,
                })
                .collect()
        }))
        .collect();
    let widths: Vec<usize> = wanted
        .iter()
        .map(|&i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = wanted
            .iter()
            .zip(&widths)
            .map(|(&i, &w)| format!("{:>w$}", row[i]))
            .collect();
        say(&format!("  {}", line.join("  ")))?;
    }
    Ok(())
}

/// `<dir>/<stem>.equity.<ext>` beside the results table.
fn equity_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("sweep");
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("parquet");
    out.with_file_name(format!("{stem}.equity.{ext}"))
}

fn write_top_curves(
    registry: &Registry,
    plan: &Plan,
    datasets: &[Dataset<'_>],
    config: &VectorConfig,
    table: &Table<'_>,
    args: &Args,
    path: &Path,
) -> Result<usize> {
    let results: &SweepResults = table.results;
    let top: Vec<usize> = table.order.iter().take(args.keep_equity).copied().collect();
    let picks: Vec<(usize, usize)> = top
        .iter()
        .map(|&i| (results.rows[i].dataset, results.rows[i].combination))
        .collect();
    let curves = sweep::equity_curves(registry, plan, datasets, config, &picks)?;
    let kept: Vec<KeptCurve<'_>> = curves
        .iter()
        .zip(&picks)
        .enumerate()
        .map(|(rank, (curve, &(d, combination)))| KeptCurve {
            rank: rank + 1,
            dataset: &table.datasets[d],
            combination,
            curve,
        })
        .collect();
    sweep::write_equity(path, &kept)?;
    Ok(kept.len())
}
