//! vela's side of `benches/compare/`: the three workloads the Python peers are timed on,
//! over the same generated bar file, through vela's public APIs. Run by
//! `benches/compare/run.sh` (which builds it with `cargo bench --bench compare --no-run`);
//! by hand:
//!
//! ```text
//! cargo bench --bench compare -- --data bars.csv --workload single
//! cargo bench --bench compare -- --data bars.csv --workload sweep --windows 10,20,30
//! cargo bench --bench compare -- --data bars.csv --workload event
//! ```
//!
//! Workloads (SMA crossover, 0.05 % taker fee, all-in entries, next-bar-open fills,
//! `--cash` USDT, default 1e9 like `peers.py`: with 10,000 the fees of SMA 10/30 on
//! one-minute bars push the account below the 1 USDT minimum order halfway through and
//! vela stops trading while vectorbt, which has no minimums, goes on):
//! - `single`: the whole pipeline (`Simulator::run_strategy` for `crossover` fast/slow:
//!   the bar check, the averages, the signals and the simulation a piece of bars at a time,
//!   keeping trades and the equity curve; checked once against `Market::new`,
//!   `Registry::signals` then `Simulator::run`), the same into one result reused across
//!   runs (`Simulator::run_strategy_into`: no fresh curve per run), the same
//!   without the equity curve (trades and statistics: what vectorbt's timed pipeline
//!   returns is its order records, its curve and statistics are lazy), and the
//!   simulation alone (`Simulator::run` on precomputed signals);
//! - `sweep`: every `(fast, slow)` pair of `--windows` with fast < slow through the sweep
//!   module (`vela_backtest::sweep::run`, what `vela sweep` runs: each window's average
//!   computed once and shared, statistics streamed), pairs spread over rayon's threads;
//! - `event`: `vela_backtest::event::run` (the real engine with its risk layer, against the
//!   simulated exchange) in the parity configuration, from the bars in memory.
//!
//! `--ma ema` switches the crossover to exponential averages (the Nautilus row),
//! `--bars N` keeps only the first N bars.
//!
//! Each measurement is repeated (`--repeat`, default 7; the sweep 3) and reported as one
//! JSON line on stdout with every run's seconds and the median. Peak memory is measured by
//! the caller per process.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line timing program: its output is the report"
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use vela_backtest::event::{SimConfig, parity};
use vela_backtest::sweep::{Dataset, Grid, GridSpec, Metric, Plan, rank};
use vela_backtest::vector::{Market, Orders, Record, Simulator, VectorConfig, VectorRun};
use vela_core::strategy::{BarColumns, ParamValue, Params, Registry, StrategySpec};
use vela_core::testkit;
use vela_data::import::read_file;

#[derive(Debug)]
struct Args {
    data: PathBuf,
    workload: String,
    fast: i64,
    slow: i64,
    windows: Vec<i64>,
    ma: String,
    bars: Option<usize>,
    repeat: usize,
    threads: usize,
    cash: f64,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        data: PathBuf::new(),
        workload: String::new(),
        fast: 10,
        slow: 30,
        windows: Vec::new(),
        ma: "sma".to_owned(),
        bars: None,
        repeat: 0,
        threads: 0,
        cash: 1e9,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            // cargo bench passes `--bench` to harness-less benches.
            "--bench" => {}
            "--data" => args.data = PathBuf::from(value()?),
            "--workload" => args.workload = value()?,
            "--fast" => args.fast = value()?.parse().context("--fast")?,
            "--slow" => args.slow = value()?.parse().context("--slow")?,
            "--ma" => args.ma = value()?,
            "--bars" => args.bars = Some(value()?.parse().context("--bars")?),
            "--repeat" => args.repeat = value()?.parse().context("--repeat")?,
            "--threads" => args.threads = value()?.parse().context("--threads")?,
            "--cash" => args.cash = value()?.parse().context("--cash")?,
            "--windows" => {
                args.windows = value()?
                    .split(',')
                    .map(|w| w.trim().parse::<i64>())
                    .collect::<Result<_, _>>()
                    .context("--windows: a comma-separated list of whole numbers")?;
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if args.data.as_os_str().is_empty() {
        bail!("--data FILE is required (a bar file: CSV, Parquet or feather)");
    }
    Ok(args)
}

fn crossover(fast: i64, slow: i64, ma: &str) -> StrategySpec {
    let mut params = Params::new();
    params.set("fast", fast).set("slow", slow).set("ma", ma);
    StrategySpec::new("crossover", params)
}

fn median(seconds: &[f64]) -> f64 {
    let mut s = seconds.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Runs `f` once to warm up, then `repeat` times; the seconds of each timed run.
fn time<T>(repeat: usize, mut f: impl FnMut() -> Result<T>) -> Result<(Vec<f64>, T)> {
    let mut last = f()?;
    let mut seconds = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        let start = Instant::now();
        last = black_box(f()?);
        seconds.push(start.elapsed().as_secs_f64());
    }
    Ok((seconds, last))
}

fn report(workload: &str, seconds: &[f64], extra: Value) {
    let mut line = json!({
        "tool": "vela",
        "workload": workload,
        "median_s": median(seconds),
        "runs_s": seconds,
    });
    if let (Value::Object(line), Value::Object(extra)) = (&mut line, extra) {
        line.extend(extra);
    }
    println!("{line}");
}

fn vector_config(args: &Args) -> VectorConfig {
    // btcusdt: 0 % maker, 0.05 % taker; next-open fills, all-in sizing by default.
    VectorConfig::new(testkit::btcusdt(), args.cash)
}

fn single(args: &Args, bars: &BarColumns<'_>) -> Result<()> {
    let registry = Registry::builtin();
    let spec = crossover(args.fast, args.slow, &args.ma);
    let sim = Simulator::new(vector_config(args))?;
    let repeat = if args.repeat == 0 { 7 } else { args.repeat };
    let (seconds, run) = time(repeat, || {
        sim.run_strategy(&registry, &spec, bars)?
            .context("crossover has a vectorised form")
    })?;
    // The fused run (averages, signals and simulation a piece of bars at a time) against
    // the signal columns then the simulation: the same result, bit for bit.
    let columns = registry
        .signals(&spec, bars)?
        .context("crossover has a vectorised form")?;
    if sim.run(&Market::new(*bars)?, Orders::from(&columns))? != run {
        bail!("the fused run differs from the signal columns' run");
    }
    let stats = &run.result.stats;
    report(
        "single_pipeline",
        &seconds,
        json!({
            "bars": bars.len(),
            "trades": stats.trades,
            "total_return": stats.total_return,
            "fees": stats.fees,
        }),
    );
    // The same pipeline into one result kept across runs (`run_strategy_into`: the
    // trade list and the curve reuse their buffers, so the curve's 24 MB are not
    // allocated and faulted in afresh by every run). For information: the row above is
    // the target's measure.
    let mut reused = VectorRun::default();
    let (seconds, ()) = time(repeat, || {
        if !sim.run_strategy_into(&registry, &spec, bars, &mut reused)? {
            bail!("crossover has a vectorised form");
        }
        Ok(())
    })?;
    if reused != run {
        bail!("the run into reused buffers differs from the fresh run");
    }
    report(
        "single_pipeline_reused_buffers",
        &seconds,
        json!({ "bars": bars.len() }),
    );
    // vectorbt's timed pipeline returns its order records and computes neither an equity
    // curve nor statistics (both lazy): the same pipeline keeping the trades and the
    // statistics, without the per-bar curve.
    let lean = Simulator::new(VectorConfig {
        record: Record {
            equity: false,
            trades: true,
        },
        ..vector_config(args)
    })?;
    let (seconds, lean_run) = time(repeat, || {
        lean.run_strategy(&registry, &spec, bars)?
            .context("crossover has a vectorised form")
    })?;
    if lean_run.result.stats != run.result.stats || lean_run.result.trades != run.result.trades {
        bail!("the pipeline without the curve gave other trades or statistics");
    }
    report(
        "single_pipeline_no_curve",
        &seconds,
        json!({
            "bars": bars.len(),
            "trades": lean_run.result.trades.len(),
        }),
    );
    let signals = registry
        .signals(&spec, bars)?
        .context("crossover has a vectorised form")?;
    let market = Market::new(*bars)?;
    let (seconds, _) = time(repeat, || Ok(sim.run(&market, Orders::from(&signals))?))?;
    report("single_simulate", &seconds, json!({ "bars": bars.len() }));
    Ok(())
}

fn sweep(args: &Args, bars: &BarColumns<'_>) -> Result<()> {
    let mut windows = args.windows.clone();
    windows.sort_unstable();
    windows.dedup();
    let pairs: Vec<(i64, i64)> = windows
        .iter()
        .flat_map(|&f| {
            windows
                .iter()
                .filter(move |&&s| s > f)
                .map(move |&s| (f, s))
        })
        .collect();
    if pairs.is_empty() {
        bail!("--windows must name at least two distinct windows");
    }
    let registry = Registry::builtin();
    let list = windows
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut grid = GridSpec::default();
    grid.push_text(&format!("fast={list}"))?;
    grid.push_text(&format!("slow={list}"))?;
    grid.push_text(&format!("ma={}", args.ma))?;
    grid.constraints.push("fast < slow".to_owned());
    let schema = &registry.get("crossover")?.schema;
    let plan = Plan::new(&registry, Grid::new(schema, &grid)?)?;
    let data = [Dataset {
        name: "bars".to_owned(),
        bars: *bars,
        content_hash: String::new(),
    }];
    let config = vector_config(args);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .context("thread pool")?;
    let repeat = if args.repeat == 0 { 3 } else { args.repeat };
    let (seconds, best) = time(repeat, || {
        pool.install(|| {
            let results = vela_backtest::sweep::run(&registry, &plan, &data, &config, &|_| {})?;
            let order = rank(&results, Metric::TotalReturn);
            let row = order.first().map(|&i| &results.rows[i]);
            let params = row.map(|r| plan.params(r.combination));
            let value = |name: &str| match params.as_ref().and_then(|p| p.get(name)) {
                Some(ParamValue::Int(v)) => *v,
                _ => 0,
            };
            Ok((
                row.map_or(0.0, |r| r.stats.total_return),
                value("fast"),
                value("slow"),
            ))
        })
    })?;
    report(
        "sweep",
        &seconds,
        json!({
            "bars": bars.len(),
            "pairs": pairs.len(),
            "threads": pool.current_num_threads(),
            "best": { "total_return": best.0, "fast": best.1, "slow": best.2 },
        }),
    );
    Ok(())
}

fn event(args: &Args, frame: &vela_data::BarFrame) -> Result<()> {
    let registry = Registry::builtin();
    let bars = frame.bars();
    let repeat = if args.repeat == 0 { 5 } else { args.repeat };
    let (seconds, run) = time(repeat, || {
        Ok(parity::run_parity(
            &registry,
            testkit::btcusdt(),
            crossover(args.fast, args.slow, &args.ma),
            Decimal::try_from(args.cash).context("--cash as a decimal")?,
            SimConfig::default(),
            &bars,
        )?)
    })?;
    report(
        "event_replay",
        &seconds,
        json!({
            "bars": bars.len(),
            "trades": run.result.trades.len(),
            "fills": run.counts.fills,
            "final_equity": run.final_equity.to_string(),
        }),
    );
    Ok(())
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let (mut frame, format) = read_file(&args.data)
        .with_context(|| format!("reading bars from {}", args.data.display()))?;
    if let Some(n) = args.bars.filter(|&n| n < frame.len()) {
        frame = frame.slice(0..n);
    }
    eprintln!("vela_side: {} bars from {format}", frame.len());
    let bars = frame.columns();
    match args.workload.as_str() {
        "single" => single(&args, &bars),
        "sweep" => sweep(&args, &bars),
        "event" => event(&args, &frame),
        other => bail!("--workload must be single, sweep or event, not {other:?}"),
    }
}
