//! `vela live add`: a bot from a backtest's run directory, a bot.toml or a bot file
//! (promoted unchanged), or from flags with its instruments as the exchange lists them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use rust_decimal::Decimal;
use vela_backtest::run::{BacktestSpec, BotSettings, DEFAULT_BUDGET};
use vela_core::engine::{BotConfig, BotId, BotState, RunningTime};
use vela_core::risk::RiskConfig;
use vela_core::strategy::{Params, Registry, StrategySpec};
use vela_live::proto::KlineInterval;
use vela_live::rest::RestClient;
use vela_live::runner::process::record_of;
use vela_live::runner::spec::interval_of_ms;
use vela_live::runner::{BotSpec, RunnerConfig};

use super::{Api, ConfigArg, load_config, open_journal, parse_mode};
use crate::cli::data::say;

/// `vela live add`.
#[derive(Debug, clap::Args)]
pub(crate) struct AddArgs {
    /// A run directory, a bot.toml, or a bot file (promoted unchanged); or give --strategy
    /// and --symbol instead.
    #[arg(required_unless_present = "strategy")]
    path: Option<PathBuf>,
    #[command(flatten)]
    new: NewBotArgs,
    /// paper (simulated fills on real market data) or live (real orders).
    #[arg(long, default_value = "paper")]
    mode: String,
    /// A new id for the bot (1 to 16 of A-Z a-z 0-9 _).
    #[arg(long)]
    id: Option<String>,
    /// Kline interval (Min1, Min5, ... Week1); a run directory's dataset gives it otherwise.
    #[arg(long)]
    interval: Option<String>,
    /// Add it without starting it.
    #[arg(long)]
    paused: bool,
    #[command(flatten)]
    config: ConfigArg,
}

/// A bot made from flags instead of a file; the instruments' rules (precision, minimums,
/// whether API trading is allowed) come from the exchange's `exchangeInfo`.
#[derive(Debug, clap::Args)]
pub(crate) struct NewBotArgs {
    /// Built-in strategy (see `vela strategies`).
    #[arg(long, conflicts_with = "path", requires_all = ["symbols", "id"])]
    strategy: Option<String>,
    /// Symbol to trade (repeatable; the first one's quote asset is the budget asset).
    #[arg(long = "symbol", value_name = "SYMBOL", requires = "strategy")]
    symbols: Vec<String>,
    /// Strategy parameter NAME=VALUE (repeatable), e.g. --param fast=10.
    #[arg(long = "param", value_name = "NAME=VALUE", requires = "strategy")]
    params: Vec<String>,
    /// Trading capital in the quote asset (default 10000).
    #[arg(long, requires = "strategy")]
    budget: Option<Decimal>,
    /// Do not reinvest profits.
    #[arg(long, requires = "strategy")]
    no_compound: bool,
    /// Running time from the first start: until-stopped (default), or 90m, 36h, 14d, 2w,
    /// 3mo (30-day months).
    #[arg(long, value_name = "DURATION", requires = "strategy")]
    running_time: Option<RunningTime>,
    /// Stop loss, share below the entry price (0.05 = 5 %).
    #[arg(long, requires = "strategy")]
    stop_loss: Option<f64>,
    /// Take profit on the whole position, share above the entry price.
    #[arg(long, requires = "strategy")]
    take_profit: Option<f64>,
    /// Trailing stop, share below the highest price since entry.
    #[arg(long, requires = "strategy")]
    trailing_stop: Option<f64>,
    /// Risk settings from a TOML file (a [risk] table or its keys alone); the three flags
    /// above override its values.
    #[arg(long, value_name = "FILE", requires = "strategy")]
    risk: Option<PathBuf>,
}

/// The bot file for `path` with the command line's changes.
fn bot_spec(path: &Path, args: &AddArgs, registry: &Registry) -> Result<BotSpec> {
    let mode = parse_mode(&args.mode)?;
    let interval = args
        .interval
        .as_deref()
        .map(|text| {
            text.parse::<KlineInterval>()
                .map_err(|e| anyhow::anyhow!("--interval: {e}"))
        })
        .transpose()?;
    let read = |path: &Path| {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    };
    let mut spec = if path.is_dir() {
        let bot_file = path.join("bot.toml");
        let bot = BotConfig::from_toml_str(&read(&bot_file)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", bot_file.display()))?;
        let backtest_file = path.join("backtest.toml");
        let backtest = if backtest_file.exists() {
            Some(
                BacktestSpec::from_toml_str(&read(&backtest_file)?)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", backtest_file.display()))?,
            )
        } else {
            None
        };
        let from_data = backtest
            .as_ref()
            .and_then(|b| b.data.dataset_id().ok())
            .and_then(|id| id.interval().millis())
            .and_then(interval_of_ms);
        let interval = interval.or(from_data).with_context(|| {
            format!(
                "{}: no backtest.toml with a streamable interval; give --interval",
                path.display()
            )
        })?;
        BotSpec {
            mode,
            interval,
            timers: backtest.as_ref().is_none_or(|b| b.exchange.timers),
            paper: backtest
                .map(|b| b.exchange.sim_config())
                .unwrap_or_default(),
            bot,
        }
    } else {
        let text = read(path)?;
        match BotSpec::from_toml_str(&text, registry) {
            Ok(mut spec) => {
                spec.mode = mode;
                if let Some(interval) = interval {
                    spec.interval = interval;
                }
                spec
            }
            Err(as_bot_file) => {
                let bot = BotConfig::from_toml_str(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "{}: neither a bot file ({as_bot_file}) nor a bot.toml ({e})",
                        path.display()
                    )
                })?;
                BotSpec {
                    mode,
                    interval: interval.with_context(|| {
                        format!("{}: a bot.toml alone needs --interval", path.display())
                    })?,
                    timers: true,
                    paper: vela_core::sim::SimConfig::default(),
                    bot,
                }
            }
        }
    };
    if let Some(id) = &args.id {
        spec.bot.bot_id = BotId::new(id.clone()).map_err(|e| anyhow::anyhow!("--id: {e}"))?;
    }
    spec.validate(registry).map_err(anyhow::Error::msg)?;
    Ok(spec)
}

pub(super) async fn add(args: &AddArgs) -> Result<ExitCode> {
    let config = load_config(&args.config)?;
    let registry = Registry::builtin();
    let spec = match &args.path {
        Some(path) => bot_spec(path, args, &registry)?,
        None => new_bot_spec(args, &config, &registry).await?,
    };
    add_spec(&config, spec, !args.paused).await
}

/// A bot from `vela live add --strategy ... --symbol ...`: its instruments as the exchange
/// lists them, the strategy with its parameters, budget, risk settings and running time.
async fn new_bot_spec(
    args: &AddArgs,
    config: &RunnerConfig,
    registry: &Registry,
) -> Result<BotSpec> {
    let new = &args.new;
    let (Some(strategy), Some(id)) = (&new.strategy, &args.id) else {
        bail!("give a run directory or bot file, or --strategy, --symbol and --id");
    };
    let id = BotId::new(id.clone()).map_err(|e| anyhow::anyhow!("--id: {e}"))?;
    let risk = match &new.risk {
        Some(path) => read_risk(path)?,
        None => RiskConfig::default(),
    };
    let instruments = listed_instruments(config, &new.symbols).await?;
    let mut base = BotConfig::new(
        id,
        instruments,
        DEFAULT_BUDGET,
        StrategySpec::new(strategy.clone(), Params::new()),
    );
    base.compound = true;
    base.risk = risk;
    base.running_time_ms = new.running_time.and_then(RunningTime::as_limit_ms);
    let settings = BotSettings {
        params: new
            .params
            .iter()
            .map(|p| {
                crate::cli::backtest::parse_param(p).map(|(name, value)| (name.to_owned(), value))
            })
            .collect::<Result<_>>()?,
        budget: new.budget,
        no_compound: new.no_compound,
        stop_loss: new.stop_loss,
        take_profit: new.take_profit,
        trailing_stop: new.trailing_stop,
        ..BotSettings::default()
    };
    let symbol = base.instruments[0].symbol.to_string();
    let bot = settings.build(Some(base), &symbol)?;
    let interval = args
        .interval
        .as_deref()
        .unwrap_or("Min1")
        .parse::<KlineInterval>()
        .map_err(|e| anyhow::anyhow!("--interval: {e}"))?;
    let spec = BotSpec {
        mode: parse_mode(&args.mode)?,
        interval,
        timers: true,
        paper: vela_core::sim::SimConfig::default(),
        bot,
    };
    spec.validate(registry).map_err(anyhow::Error::msg)?;
    Ok(spec)
}

/// The instruments of `symbols` as the configured exchange lists them (`exchangeInfo`).
async fn listed_instruments(
    config: &RunnerConfig,
    symbols: &[String],
) -> Result<Vec<vela_core::types::Instrument>> {
    let rest = RestClient::new(config.exchange.rest_config(), None)
        .map_err(|e| anyhow::anyhow!("the exchange client: {e}"))?;
    let names: Vec<&str> = symbols.iter().map(String::as_str).collect();
    let info = rest.exchange_info(&names).await.map_err(|e| {
        anyhow::anyhow!(
            "reading the instruments of {} from {}: {e}",
            names.join(", "),
            config.exchange.rest_url
        )
    })?;
    names
        .iter()
        .map(|name| {
            let listed = info
                .symbols
                .iter()
                .find(|s| s.symbol == *name)
                .with_context(|| {
                    format!(
                        "--symbol {name}: {} does not list it",
                        config.exchange.rest_url
                    )
                })?;
            listed
                .instrument()
                .map_err(|e| anyhow::anyhow!("--symbol {name}: {e}"))
        })
        .collect()
}

/// Risk settings from `path` (a `[risk]` table, or its keys alone).
pub(super) fn read_risk(path: &Path) -> Result<RiskConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--risk: reading {}", path.display()))?;
    RiskConfig::from_toml_str(&text).with_context(|| format!("--risk: in {}", path.display()))
}

pub(super) async fn add_spec(
    config: &RunnerConfig,
    spec: BotSpec,
    start: bool,
) -> Result<ExitCode> {
    let id = spec.bot.bot_id.clone();
    let mode = spec.mode;
    if let Some(api) = Api::find(config).await? {
        let text = spec.to_toml_string().map_err(anyhow::Error::msg)?;
        api.call(
            reqwest::Method::POST,
            &format!("/bots?start={start}"),
            Some(text),
        )
        .await?;
        say(&format!(
            "added {mode} bot {id} to the running runner{}",
            if start { " and started it" } else { "" }
        ))?;
    } else {
        let state = if start {
            BotState::Running
        } else {
            BotState::Created
        };
        let record = record_of(&spec, state).map_err(anyhow::Error::msg)?;
        let mut journal = open_journal(config)?;
        journal.add_bot(&record).map_err(anyhow::Error::msg)?;
        say(&format!(
            "added {mode} bot {id} to {}; it {} (`vela live run`)",
            config.journal.path.display(),
            if start {
                "starts with the runner"
            } else {
                "waits for `vela live start`"
            }
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
