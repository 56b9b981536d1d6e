//! `vela replay`: a bot's journal run back through the engine. By default every recorded
//! event goes through a fresh engine and every recorded decision must come out again,
//! exactly. With `--simulate`, the bars the bot saw also go through the backtester's event
//! tier (the paper fill rules), and its fills are compared with the journal's.

use std::borrow::Cow;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use vela_backtest::event::{self, EventConfig, History};
use vela_core::engine::BotId;
use vela_core::strategy::Registry;
use vela_core::types::Fill;
use vela_live::journal::Journal;
use vela_live::runner::replay::replay_exact;
use vela_live::runner::{BotSpec, RunnerConfig};

use super::data::say;

/// Arguments of `vela replay`.
#[allow(clippy::doc_markdown, reason = "doc comments are clap's help text")]
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The bot.
    bot: String,
    /// The runner's configuration (its journal is read).
    #[arg(long, default_value = "vela.toml", conflicts_with = "journal")]
    config: PathBuf,
    /// A journal file to read instead of vela.toml's.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Also run the recorded bars through the backtester's event tier and compare fills.
    #[arg(long)]
    simulate: bool,
}

/// `vela replay`.
pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let path = match &args.journal {
        Some(path) => path.clone(),
        None => {
            RunnerConfig::from_file(&args.config)
                .map_err(anyhow::Error::msg)?
                .journal
                .path
        }
    };
    if !path.exists() {
        bail!("{}: no such journal", path.display());
    }
    let id = BotId::new(args.bot.clone()).map_err(|e| anyhow::anyhow!("bot: {e}"))?;
    let journal = Journal::open(&path)
        .map_err(|e| anyhow::anyhow!("{e}\n(stop `vela live run` first: it holds the journal)"))?;
    let record = journal
        .bot(&id)
        .map_err(anyhow::Error::msg)?
        .with_context(|| format!("no bot {id} in {}", path.display()))?;
    let registry = Registry::builtin();
    let spec = BotSpec::from_toml_str(&record.config, &registry).map_err(anyhow::Error::msg)?;
    let entries = journal.entries(1, Some(&id)).map_err(anyhow::Error::msg)?;
    let report = replay_exact(&spec, &registry, &entries).map_err(anyhow::Error::msg)?;
    say(&format!(
        "{id}: {} events replayed through a fresh engine: {} commands, {} orders",
        report.events, report.commands, report.orders
    ))?;
    let mut same = report.differences.is_empty();
    if same {
        say("decisions reproduced exactly")?;
    } else {
        say(&format!("{} difference(s):", report.differences.len()))?;
        for difference in report.differences.iter().take(20) {
            say(&format!("  {difference}"))?;
        }
    }
    if args.simulate {
        let recorded = journal.fills(&id).map_err(anyhow::Error::msg)?;
        same &= simulate(&spec, &registry, &report.bars, &recorded)?;
    }
    Ok(if same {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The recorded bars through the event tier; whether its fills are the journal's.
fn simulate(
    spec: &BotSpec,
    registry: &Registry,
    bars: &[(vela_core::types::Symbol, Vec<vela_core::types::Bar>)],
    recorded: &[Fill],
) -> Result<bool> {
    let history = History::new(
        bars.iter()
            .map(|(symbol, bars)| (symbol.clone(), Cow::Borrowed(bars.as_slice()))),
    )
    .context("the recorded bars")?;
    let config = EventConfig {
        bot: spec.bot.clone(),
        exchange: spec.paper,
        timers: spec.timers,
    };
    let run = event::run(registry, &config, &history).context("the event tier")?;
    let key = |f: &Fill| {
        (
            f.client_id.to_string(),
            f.side,
            f.price.normalize(),
            f.quantity.normalize(),
            f.fee.normalize(),
        )
    };
    let simulated: Vec<_> = run.fills.iter().map(|f| key(&f.fill)).collect();
    let journal: Vec<_> = recorded.iter().map(key).collect();
    let first_difference = simulated
        .iter()
        .zip(&journal)
        .position(|(a, b)| a != b)
        .or_else(|| (simulated.len() != journal.len()).then(|| simulated.len().min(journal.len())));
    match first_difference {
        None => {
            say(&format!(
                "event tier on the {} recorded bar time(s): the same {} fill(s) as the journal",
                history.len(),
                journal.len()
            ))?;
            Ok(true)
        }
        Some(i) => {
            say(&format!(
                "event tier differs from the journal at fill {}: simulated {:?}, recorded {:?} \
                 ({} simulated, {} recorded)",
                i + 1,
                simulated.get(i),
                journal.get(i),
                simulated.len(),
                journal.len()
            ))?;
            Ok(false)
        }
    }
}
