//! `vela walk-forward <DATASET> --strategy NAME --grid ... --in-sample 20d --out-of-sample
//! 5d`: optimise a parameter grid in sample with the vectorised tier, trade the pick out
//! of sample with the event tier, step forward; prints in-sample against out-of-sample
//! statistics per window and for the stitched out-of-sample account.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use vela_backtest::event::EventConfig;
use vela_backtest::run::files::StatsRecord;
use vela_backtest::run::format::{percent, time};
use vela_backtest::run::{chart, check_dataset, read_bars, vector_config};
use vela_backtest::stats;
use vela_backtest::sweep::{Grid, GridSpec, Metric, Plan};
use vela_backtest::walk::{self, Scheme, SweepOptimiser, WalkForwardRun, WindowSpec};
use vela_core::strategy::Registry;

use super::backtest;
use super::data::say;

/// How in-sample windows move, as the flag spells it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SchemeArg {
    /// A fixed-length in-sample window sliding forward.
    Rolling,
    /// In-sample windows from the first bar, growing.
    Anchored,
}

/// Arguments of `vela walk-forward`: the backtest's (dataset, strategy, bot, costs), the
/// grid to optimise and the windows.
#[allow(clippy::doc_markdown, reason = "doc comments are clap's help text")]
#[derive(Debug, clap::Args)]
#[group(id = "walk_forward")]
pub(crate) struct Args {
    #[command(flatten)]
    run: backtest::Args,
    /// A parameter to optimise and its values: a list (slow=20,50,100) or an inclusive
    /// range start:stop:step (fast=5:50:5). Repeat for each parameter.
    #[arg(long, value_name = "NAME=VALUES", required = true)]
    grid: Vec<String>,
    /// Skip combinations that break this rule, e.g. "fast<slow". Repeatable.
    #[arg(long, value_name = "RULE")]
    constraint: Vec<String>,
    /// Metric the in-sample optimisation maximises (see `vela sweep --help`).
    #[arg(long, default_value = "sharpe")]
    rank_by: String,
    /// In-sample window: bars (20000) or a duration (14d, 36h, 90m, 2w).
    #[arg(long, value_name = "SPAN")]
    in_sample: String,
    /// Out-of-sample window, and the step between windows: bars or a duration.
    #[arg(long, value_name = "SPAN")]
    out_of_sample: String,
    /// Rolling (fixed-length in-sample window) or anchored (from the first bar).
    #[arg(long, value_enum, default_value = "rolling")]
    scheme: SchemeArg,
}

/// `vela walk-forward`.
pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    if args.run.tier.is_some() {
        bail!(
            "--tier does not apply: walk-forward optimises in sample with the vector tier \
             and trades out of sample with the event tier"
        );
    }
    let registry = Registry::builtin();
    let metric: Metric = args.rank_by.parse().context("--rank-by")?;
    let spec = backtest::spec(&args.run)?;
    let store = args.run.store.open_existing()?;
    let id = spec.data.dataset_id()?;
    check_dataset(&store, &id)?;
    let bot = backtest::bot(&args.run, &spec)?;
    let frame = read_bars(&store, &id, &spec)?;
    let interval = stats::bar_interval_ms(&frame.ts)
        .context("the dataset needs at least two bars for a walk-forward")?;

    // The grid, with each fixed --param as a one-value axis so the in-sample runs trade
    // exactly what the out-of-sample runs will.
    let mut grid = GridSpec::default();
    for entry in &args.grid {
        grid.push_text(entry)?;
    }
    for param in &args.run.params {
        let name = param
            .split_once('=')
            .map_or(param.as_str(), |(n, _)| n.trim());
        if !args
            .grid
            .iter()
            .any(|g| g.split_once('=').is_some_and(|(n, _)| n.trim() == name))
        {
            grid.push_text(param)?;
        }
    }
    grid.constraints.extend(args.constraint.iter().cloned());
    let schema = &registry.get(&bot.strategy.name)?.schema;
    let plan = Plan::new(&registry, Grid::new(schema, &grid)?)?;
    let vector = vector_config(&bot, &spec)?;

    let windows = WindowSpec {
        in_sample: span_bars("--in-sample", &args.in_sample, interval)?,
        out_of_sample: span_bars("--out-of-sample", &args.out_of_sample, interval)?,
        scheme: match args.scheme {
            SchemeArg::Rolling => Scheme::Rolling,
            SchemeArg::Anchored => Scheme::Anchored,
        },
    };
    let count = windows.windows(frame.len())?.len();
    say(&format!(
        "walk-forward {} on {id}: {} bars, {count} windows ({} in sample, {} out of sample, \
         {}), {} combinations per window, ranked by {metric}",
        bot.strategy.name,
        frame.len(),
        windows.in_sample,
        windows.out_of_sample,
        match windows.scheme {
            Scheme::Rolling => "rolling",
            Scheme::Anchored => "anchored",
        },
        plan.len(),
    ))?;
    let config = EventConfig {
        bot: bot.clone(),
        exchange: spec.exchange.sim_config(),
        timers: spec.exchange.timers,
    };
    let optimiser = SweepOptimiser {
        registry: &registry,
        plan: &plan,
        config: &vector,
        metric,
    };
    let bars = frame.bars();
    let spinner = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").context("progress style")?,
    );
    spinner.set_message(format!("optimising and trading {count} windows"));
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let walk = walk::run(
        &registry,
        &config,
        &bot.instruments[0].symbol,
        &bars,
        &windows,
        &optimiser,
    );
    spinner.finish_and_clear();
    let walk = walk?;
    print_walk(&walk, &frame.ts, metric)?;
    if let Some(dir) = &args.run.out {
        write_walk(
            dir,
            &walk,
            &frame.ts,
            metric,
            &format!("{} on {id}", bot.strategy.name),
        )?;
        say(&format!(
            "wrote {} (windows.csv, summary.json, equity.svg)",
            dir.display()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A window length in bars (see `vela_backtest::walk::span_bars`), errors naming the flag.
fn span_bars(flag: &str, text: &str, interval_ms: i64) -> Result<usize> {
    walk::span_bars(text, interval_ms).map_err(|e| match e {
        walk::WalkError::Windows(problem) => anyhow::anyhow!("{flag} {problem}"),
        other => other.into(),
    })
}

fn window_rows(walk: &WalkForwardRun, ts: &[i64], metric: Metric) -> Vec<[String; 7]> {
    walk.windows
        .iter()
        .map(|w| {
            let oos = &w.window.out_of_sample;
            [
                w.window.index.to_string(),
                time(ts[w.window.in_sample.start]),
                time(ts[oos.start]),
                params_text(&w.choice.params),
                format!("{:.4}", w.choice.score),
                format!("{:.4}", metric.value(&w.out_of_sample)),
                percent(w.out_of_sample.total_return),
            ]
        })
        .collect()
}

fn params_text(params: &vela_core::strategy::Params) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_walk(walk: &WalkForwardRun, ts: &[i64], metric: Metric) -> Result<()> {
    let header = [
        "window".to_owned(),
        "in-sample from".to_owned(),
        "out-of-sample from".to_owned(),
        "parameters".to_owned(),
        format!("IS {metric}"),
        format!("OOS {metric}"),
        "OOS return".to_owned(),
    ];
    let rows = window_rows(walk, ts, metric);
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let mut line = String::from(" ");
        for (cell, w) in row.iter().zip(&widths) {
            let _ = write!(line, " {cell:>w$}");
        }
        say(&line)?;
    }
    let (is_metric, oos_metric) = walk.mean(|s| metric.value(s));
    let (is_return, oos_return) = walk.mean(|s| s.total_return);
    say(&format!(
        "mean per window: in sample {metric} {is_metric:.4}, return {}; out of sample \
         {metric} {oos_metric:.4}, return {}",
        percent(is_return),
        percent(oos_return)
    ))?;
    let s = &walk.out_of_sample.stats;
    say(&format!(
        "stitched out of sample: return {}, CAGR {}, Sharpe {:.3}, max drawdown {}, {} trades, \
         fees {:.2}{}",
        percent(s.total_return),
        percent(s.cagr),
        s.sharpe,
        percent(s.max_drawdown),
        s.trades,
        s.fees,
        if walk.unused_bars > 0 {
            format!(
                "; {} bars after the last window not traded",
                walk.unused_bars
            )
        } else {
            String::new()
        }
    ))
}

/// `windows.csv` (one row per window), `summary.json` (in-sample and out-of-sample
/// statistics) and `equity.svg` (the stitched out-of-sample curve) in `dir`.
fn write_walk(
    dir: &Path,
    walk: &WalkForwardRun,
    ts: &[i64],
    metric: Metric,
    title: &str,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut csv = String::from(
        "window,in_sample_start,in_sample_end,out_of_sample_start,out_of_sample_end,parameters,\
         in_sample_score,out_of_sample_score,in_sample_return,out_of_sample_return,\
         start_equity,end_equity\n",
    );
    for w in &walk.windows {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},\"{}\",{},{},{},{},{},{}",
            w.window.index,
            ts[w.window.in_sample.start],
            ts[w.window.in_sample.end - 1],
            ts[w.window.out_of_sample.start],
            ts[w.window.out_of_sample.end - 1],
            params_text(&w.choice.params),
            w.choice.score,
            metric.value(&w.out_of_sample),
            w.choice.stats.total_return,
            w.out_of_sample.total_return,
            w.start_equity,
            w.end_equity
        );
    }
    write(dir, "windows.csv", csv.as_bytes())?;
    let windows: Vec<serde_json::Value> = walk
        .windows
        .iter()
        .map(|w| {
            serde_json::json!({
                "window": w.window.index,
                "parameters": params_text(&w.choice.params),
                "in_sample": StatsRecord::from(&w.choice.stats),
                "out_of_sample": StatsRecord::from(&w.out_of_sample),
            })
        })
        .collect();
    let summary = serde_json::json!({
        "rank_by": metric.name(),
        "unused_bars": walk.unused_bars,
        "out_of_sample": StatsRecord::from(&walk.out_of_sample.stats),
        "windows": windows,
    });
    let mut json = serde_json::to_vec_pretty(&summary).context("summary.json")?;
    json.push(b'\n');
    write(dir, "summary.json", &json)?;
    let initial = walk.windows.first().map_or(0.0, |w| w.start_equity);
    let svg = chart::equity_svg(
        &walk.out_of_sample.equity,
        initial,
        &format!("{title}: walk-forward, out of sample"),
    )?;
    write(dir, "equity.svg", svg.as_bytes())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_bars_or_durations() {
        assert_eq!(span_bars("--in-sample", "20000", 60_000).unwrap(), 20_000);
        assert_eq!(span_bars("--in-sample", "2d", 60_000).unwrap(), 2_880);
        assert_eq!(span_bars("--in-sample", "36h", 3_600_000).unwrap(), 36);
        assert_eq!(span_bars("--in-sample", "1w", 86_400_000).unwrap(), 7);
        let err = span_bars("--out-of-sample", "90m", 3_600_000)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a whole number of"), "{err}");
        let err = span_bars("--out-of-sample", "3y", 60_000)
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a number of bars"), "{err}");
    }
}
