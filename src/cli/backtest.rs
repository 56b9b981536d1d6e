//! `vela backtest <DATASET> --strategy NAME [...]`: one backtest over a stored dataset,
//! written as a run directory with a report.
//!
//! The bot comes from `--bot bot.toml` or is built from the flags (the dataset's symbol,
//! `--budget`, risk flags); the spec (data range, tier, simulated exchange) from
//! `--config backtest.toml` or the flags. Flags given with a file override its values, so
//! `--config run/backtest.toml --bot run/bot.toml` reruns a run exactly (same
//! fingerprint) and `... --param fast=8` varies one thing.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use vela_backtest::run::format::{stats_rows, time};
use vela_backtest::run::{
    BacktestSpec, BotSettings, Intrabar, RunError, RunOutcome, SpecTime, Tier, check_dataset,
    default_dir, files::StatsFile, files::StatsRecord, run, write_run,
};
use vela_core::engine::BotConfig;
use vela_core::sim::FillTiming;
use vela_core::strategy::{ParamValue, Registry};

use super::data::say;
use super::market::InstrumentArgs;
use super::store::StoreArgs;

/// The tier, as the flag spells it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum TierArg {
    /// Event replay of the real engine: every strategy.
    Event,
    /// Vectorised simulator: strategies with a vectorised form.
    Vector,
}

/// Fill timing, as the flag spells it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum FillArg {
    /// At the next bar's open (the default).
    NextOpen,
    /// At the signal bar's close (optimistic).
    ThisClose,
}

/// Which exit wins a bar that reaches both stop and take profit, as the flag spells it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum IntrabarArg {
    /// The stop (the default).
    Pessimistic,
    /// The take profit.
    Optimistic,
}

/// Arguments of `vela backtest`.
#[allow(clippy::doc_markdown, reason = "doc comments are clap's help text")]
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Dataset, exchange/SYMBOL/interval (e.g. sample/BTCUSDT/1m); default: --config's.
    dataset: Option<String>,
    /// Built-in strategy (see `vela strategies`).
    #[arg(long)]
    strategy: Option<String>,
    /// Strategy parameter NAME=VALUE (repeatable), e.g. --param fast=10 --param ma=ema.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub(crate) params: Vec<String>,
    /// First bar open time: 2022-01-05, "2022-01-05 12:00", RFC 3339 or epoch ms.
    #[arg(long)]
    from: Option<String>,
    /// End of the range (bars opening before it).
    #[arg(long)]
    to: Option<String>,
    /// Tier: event (default; any strategy) or vector (strategies with a vectorised form).
    #[arg(long, value_enum)]
    pub(crate) tier: Option<TierArg>,
    /// Trading capital in the quote asset (default 10000).
    #[arg(long)]
    budget: Option<Decimal>,
    /// Do not reinvest profits (event tier only).
    #[arg(long)]
    no_compound: bool,
    /// Fill timing of signal orders.
    #[arg(long, value_enum)]
    fill: Option<FillArg>,
    /// Slippage of market fills against the trader, basis points.
    #[arg(long)]
    slippage_bps: Option<f64>,
    /// Vector tier: which exit wins a bar that reaches both stop and take profit.
    #[arg(long, value_enum)]
    intrabar: Option<IntrabarArg>,
    /// Event tier: most of a bar's volume one order fills on it, share in (0, 1].
    #[arg(long)]
    volume_cap: Option<f64>,
    #[command(flatten)]
    instrument: InstrumentArgs,
    /// Stop loss, share below the entry price (0.05 = 5 %).
    #[arg(long)]
    stop_loss: Option<f64>,
    /// Take profit on the whole position, share above the entry price.
    #[arg(long)]
    take_profit: Option<f64>,
    /// Trailing stop, share below the highest price since entry.
    #[arg(long)]
    trailing_stop: Option<f64>,
    /// Backtest spec file (backtest.toml); flags override its values.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Bot file (bot.toml, as the live runner takes it); flags override its values.
    #[arg(long, value_name = "FILE")]
    bot: Option<PathBuf>,
    /// Run directory (default: runs/<strategy>-<dataset>-<inputs id>).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// `vela backtest`.
pub(crate) fn run_command(args: &Args) -> Result<ExitCode> {
    let spec = spec(args)?;
    let store = args.store.open_existing()?;
    check_dataset(&store, &spec.data.dataset_id()?)?;
    let bot = bot(args, &spec)?;
    let registry = Registry::builtin();
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("replaying [{bar:30}] {pos}/{len} bars ({eta})")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    let outcome = run(&store, &registry, &bot, &spec, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let outcome = outcome?;
    let dir = spec
        .output
        .dir
        .clone()
        .unwrap_or_else(|| default_dir(&outcome));
    write_run(&dir, &spec, &outcome)
        .with_context(|| format!("writing the run directory {}", dir.display()))?;
    print_outcome(&outcome)?;
    say(&format!(
        "run directory: {} (report.html, equity.svg, stats.json, trades.parquet, bot.toml)",
        dir.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn print_outcome(outcome: &RunOutcome) -> Result<()> {
    let file = StatsFile {
        run: outcome.summary.clone(),
        stats: StatsRecord::from(&outcome.result.stats),
    };
    print_stats(&file)?;
    say(&format!("fingerprint: {}", outcome.fingerprint.short()))
}

/// The header and statistics table of a run, as `vela backtest` and `vela report` print it.
pub(crate) fn print_stats(file: &StatsFile) -> Result<()> {
    let r = &file.run;
    say(&format!(
        "{} on {} ({} tier): {} bars, {} → {} UTC",
        r.strategy,
        r.dataset,
        r.tier,
        r.bars,
        time(r.first_ts),
        time(r.last_ts)
    ))?;
    say(&format!("  {:<22} {}", "parameters", r.params))?;
    for (label, value) in stats_rows(file) {
        say(&format!("  {label:<22} {value}"))?;
    }
    let o = &r.orders;
    say(&format!(
        "  {:<22} {} submitted, {} fills, {} denied, {} rejected, {} not sent",
        "orders", o.submitted, o.fills, o.denied, o.rejected, o.refused
    ))
}

/// The spec: `--config` or the dataset, with the flags applied.
pub(crate) fn spec(args: &Args) -> Result<BacktestSpec> {
    let mut spec = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            BacktestSpec::from_toml_str(&text).with_context(|| format!("in {}", path.display()))?
        }
        None => match &args.dataset {
            Some(dataset) => BacktestSpec::new(dataset.clone()),
            None => bail!(
                "give the dataset to backtest (e.g. vela backtest sample/BTCUSDT/1m --strategy crossover --data-dir data/sample) or a --config backtest.toml"
            ),
        },
    };
    if let Some(dataset) = &args.dataset {
        spec.data.dataset.clone_from(dataset);
    }
    if let Some(from) = &args.from {
        spec.data.from = Some(SpecTime::parse(from).map_err(|e| anyhow::anyhow!("--from: {e}"))?);
    }
    if let Some(to) = &args.to {
        spec.data.to = Some(SpecTime::parse(to).map_err(|e| anyhow::anyhow!("--to: {e}"))?);
    }
    if let Some(tier) = args.tier {
        spec.tier = match tier {
            TierArg::Event => Tier::Event,
            TierArg::Vector => Tier::Vector,
        };
    }
    if let Some(fill) = args.fill {
        spec.exchange.fill = match fill {
            FillArg::NextOpen => FillTiming::NextOpen,
            FillArg::ThisClose => FillTiming::ThisClose,
        };
    }
    if let Some(bps) = args.slippage_bps {
        spec.exchange.slippage_bps = bps;
    }
    if let Some(order) = args.intrabar {
        spec.exchange.intrabar = match order {
            IntrabarArg::Pessimistic => Intrabar::Pessimistic,
            IntrabarArg::Optimistic => Intrabar::Optimistic,
        };
    }
    if let Some(cap) = args.volume_cap {
        spec.exchange.volume_cap = Some(cap);
    }
    if let Some(out) = &args.out {
        spec.output.dir = Some(out.clone());
    }
    spec.validate()?;
    Ok(spec)
}

/// The bot: `--bot` or built from the flags, with the flags applied.
pub(crate) fn bot(args: &Args, spec: &BacktestSpec) -> Result<BotConfig> {
    let base = match &args.bot {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(
                BotConfig::from_toml_str(&text)
                    .with_context(|| format!("in {}", path.display()))?,
            )
        }
        None => None,
    };
    let settings = BotSettings {
        strategy: args.strategy.clone(),
        params: args
            .params
            .iter()
            .map(|p| parse_param(p).map(|(name, value)| (name.to_owned(), value)))
            .collect::<Result<_>>()?,
        budget: args.budget,
        no_compound: args.no_compound,
        stop_loss: args.stop_loss,
        take_profit: args.take_profit,
        trailing_stop: args.trailing_stop,
        instrument: args.instrument.settings(),
    };
    let id = spec.data.dataset_id()?;
    settings.build(base, id.symbol()).map_err(|e| match e {
        RunError::NoStrategy => anyhow::anyhow!(
            "give the strategy: --strategy NAME (see `vela strategies`), or a --bot bot.toml"
        ),
        other => other.into(),
    })
}

/// `NAME=VALUE`: `true`/`false`, an integer, a number, or a word (quotes optional).
pub(crate) fn parse_param(text: &str) -> Result<(&str, ParamValue)> {
    let Some((name, value)) = text.split_once('=') else {
        bail!("--param {text:?}: expected NAME=VALUE, e.g. --param fast=10");
    };
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() {
        bail!("--param {text:?}: the parameter name is empty");
    }
    let parsed = match value {
        "true" => ParamValue::Bool(true),
        "false" => ParamValue::Bool(false),
        _ => {
            if let Ok(i) = value.parse::<i64>() {
                ParamValue::Int(i)
            } else if let Ok(f) = value.parse::<f64>() {
                ParamValue::Float(f)
            } else {
                ParamValue::Text(value.trim_matches('"').to_owned())
            }
        }
    };
    Ok((name, parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_parse_by_type() {
        assert_eq!(
            parse_param("fast=10").unwrap(),
            ("fast", ParamValue::Int(10))
        );
        assert_eq!(
            parse_param("k = 2.5").unwrap(),
            ("k", ParamValue::Float(2.5))
        );
        assert_eq!(
            parse_param("ma=ema").unwrap(),
            ("ma", ParamValue::Text("ema".into()))
        );
        assert_eq!(
            parse_param("x=true").unwrap(),
            ("x", ParamValue::Bool(true))
        );
        assert!(parse_param("fast").is_err());
        assert!(parse_param("=3").is_err());
    }
}
