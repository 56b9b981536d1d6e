//! `vela live`: the live runner — add bots (from a backtest's run directory, a bot.toml or a
//! bot file), run them, and steer them.
//!
//! While `vela live run` holds the journal, the other commands go through its API (address
//! and token from `vela.toml`); otherwise they edit the journal directly, where that is
//! possible without the exchange.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rust_decimal::Decimal;
use vela_core::engine::{BotId, BotState, OrderReport, RunningTime, SettingsUpdate};
use vela_core::strategy::{Params, Registry};
use vela_core::types::Timestamp;
use vela_live::journal::{BotMode, Journal};
use vela_live::reports::{pnl, tax};
use vela_live::runner::api::{ApiServer, pnl_csv};
use vela_live::runner::bot::RunnerEvent;
use vela_live::runner::{BotSpec, Runner, RunnerConfig};

use super::data::say;

mod add;

use add::{AddArgs, add, add_spec, read_risk};

/// `vela live` subcommands.
#[allow(clippy::doc_markdown, reason = "doc comments are clap's help text")]
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Add a bot: from a backtest's run directory (its bot.toml and backtest.toml, unchanged),
    /// a bot.toml, or a bot file. Paper mode unless --mode live.
    Add(AddArgs),
    /// List the bots (running ones with their status when the runner runs).
    List(ConfigArg),
    /// Run every bot that is running or paused until Ctrl-C or SIGTERM, with the API.
    Run(RunArgs),
    /// Start a bot (now if the runner runs, else at the next `vela live run`).
    Start(BotArg),
    /// Pause a bot: no new orders; resting orders stay (the runner must run).
    Pause(BotArg),
    /// Resume a paused bot (the runner must run).
    Resume(BotArg),
    /// Stop a bot; say whether to cancel its resting orders.
    Stop(StopArgs),
    /// Kill a bot: cancel its resting orders and stop for good; never liquidates.
    Kill(BotArg),
    /// Change a paused or stopped bot's strategy parameters (the runner must run).
    Params(ParamsArgs),
    /// Change a paused or stopped bot's budget, risk settings or running time (the runner
    /// must run).
    Settings(SettingsArgs),
    /// Kill every bot (the global kill switch).
    KillAll(ConfigArg),
    /// Copy a bot's configuration into a new bot (e.g. a paper bot into a live one).
    Copy(CopyArgs),
    /// Realised P&L by bot, pair, strategy and period (CSV), or the tax export of one bot.
    Report(ReportArgs),
}

/// `vela live report`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// Period of the P&L rows: day, week or month.
    #[arg(long, default_value = "month")]
    period: String,
    /// Instead: realised gains of this bot by FIFO lots (purchase and sale price, dates,
    /// asset), for a tax return.
    #[arg(long)]
    tax: Option<String>,
    /// Write the CSV here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    config: ConfigArg,
}

/// Where `vela.toml` is.
#[derive(Debug, clap::Args)]
pub(crate) struct ConfigArg {
    /// The runner's configuration file.
    #[arg(long, default_value = "vela.toml")]
    config: PathBuf,
}

/// `vela live run`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// Cancel every bot's resting orders on the way out.
    #[arg(long)]
    cancel_on_exit: bool,
    #[command(flatten)]
    config: ConfigArg,
}

/// A bot.
#[derive(Debug, clap::Args)]
pub(crate) struct BotArg {
    /// The bot's id.
    bot: String,
    #[command(flatten)]
    config: ConfigArg,
}

/// `vela live params`.
#[derive(Debug, clap::Args)]
pub(crate) struct ParamsArgs {
    /// The bot's id.
    bot: String,
    /// Strategy parameter NAME=VALUE (repeatable), e.g. --param fast=10.
    #[arg(long = "param", value_name = "NAME=VALUE", required = true)]
    params: Vec<String>,
    #[command(flatten)]
    config: ConfigArg,
}

/// `vela live settings`.
#[derive(Debug, clap::Args)]
pub(crate) struct SettingsArgs {
    /// The bot's id.
    bot: String,
    /// New budget in the quote asset: the difference is paid into the bot's cash, or taken
    /// out of its free cash.
    #[arg(long)]
    budget: Option<Decimal>,
    /// New running time, counted from the bot's first start: until-stopped, or 90m, 36h,
    /// 14d, 2w, 3mo (30-day months).
    #[arg(long, value_name = "DURATION")]
    running_time: Option<RunningTime>,
    /// New risk settings, replacing the bot's: a TOML file with a [risk] table (a bot.toml)
    /// or the risk keys alone.
    #[arg(long, value_name = "FILE")]
    risk: Option<PathBuf>,
    #[command(flatten)]
    config: ConfigArg,
}

/// `vela live stop`.
#[derive(Debug, clap::Args)]
pub(crate) struct StopArgs {
    /// The bot's id.
    bot: String,
    /// Cancel its resting orders.
    #[arg(long, conflicts_with = "keep_resting")]
    cancel_resting: bool,
    /// Leave its resting orders on the exchange.
    #[arg(long)]
    keep_resting: bool,
    #[command(flatten)]
    config: ConfigArg,
}

/// `vela live copy`.
#[derive(Debug, clap::Args)]
pub(crate) struct CopyArgs {
    /// The bot to copy.
    bot: String,
    /// The new bot's id.
    #[arg(long)]
    id: String,
    /// The new bot's mode.
    #[arg(long, default_value = "live")]
    mode: String,
    /// Add it without starting it.
    #[arg(long)]
    paused: bool,
    #[command(flatten)]
    config: ConfigArg,
}

/// Runs a `vela live` command.
pub(crate) fn run(command: &Command) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        match command {
            Command::Add(args) => add(args).await,
            Command::List(args) => list(args).await,
            Command::Run(args) => run_runner(args).await,
            Command::Start(args) => lifecycle(&args.config, &args.bot, "start").await,
            Command::Pause(args) => lifecycle(&args.config, &args.bot, "pause").await,
            Command::Resume(args) => lifecycle(&args.config, &args.bot, "resume").await,
            Command::Kill(args) => lifecycle(&args.config, &args.bot, "kill").await,
            Command::Params(args) => params(args).await,
            Command::Settings(args) => settings(args).await,
            Command::Stop(args) => stop(args).await,
            Command::KillAll(args) => kill_all(args).await,
            Command::Copy(args) => copy(args).await,
            Command::Report(args) => report(args).await,
        }
    })
}

fn load_config(arg: &ConfigArg) -> Result<RunnerConfig> {
    if !arg.config.exists() {
        bail!(
            "{}: no such file; a minimal vela.toml is\n\n[journal]\npath = \"vela-journal.duckdb\"\n\n\
             (see `vela live --help` and the README for [exchange], [credentials] and [api])",
            arg.config.display()
        );
    }
    RunnerConfig::from_file(&arg.config).map_err(anyhow::Error::msg)
}

/// The running runner's API, if one answers at the configured address.
struct Api {
    base: String,
    token: Option<String>,
    client: reqwest::Client,
}

impl Api {
    async fn find(config: &RunnerConfig) -> Result<Option<Self>> {
        let client = vela_live::http::client(Some(Duration::from_secs(30)))
            .context("building the HTTP client")?;
        let base = format!("http://{}/api/v1", config.api.bind);
        let token = config
            .api
            .token()
            .map_err(anyhow::Error::msg)?
            .map(|_| read_token(config))
            .transpose()?;
        match client.get(format!("{base}/health")).send().await {
            Ok(reply) if reply.status().is_success() || reply.status().as_u16() == 401 => {
                Ok(Some(Self {
                    base,
                    token,
                    client,
                }))
            }
            _ => Ok(None),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<String> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let reply = request
            .send()
            .await
            .with_context(|| format!("calling the runner's API at {}{path}", self.base))?;
        let status = reply.status();
        let text = reply.text().await.context("reading the API's answer")?;
        if !status.is_success() {
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                .unwrap_or(text);
            bail!("the runner refused ({status}): {message}");
        }
        Ok(text)
    }
}

/// The token's text (checked by `ApiConfig::token` first).
fn read_token(config: &RunnerConfig) -> Result<String> {
    match (&config.api.token_env, &config.api.token_file) {
        (Some(var), _) => std::env::var(var).with_context(|| format!("${var} is not set")),
        (None, Some(file)) => vela_live::secret::read_private_file(file)
            .map(|t| t.trim().to_owned())
            .map_err(|e| anyhow::anyhow!("api.token_file: {e}")),
        (None, None) => bail!("no API token configured"),
    }
}

fn parse_mode(text: &str) -> Result<BotMode> {
    text.parse()
        .map_err(|e: String| anyhow::anyhow!("--mode: {e}"))
}

fn open_journal(config: &RunnerConfig) -> Result<Journal> {
    Journal::open(&config.journal.path).map_err(|e| {
        anyhow::anyhow!(
            "{e}\n(if `vela live run` holds the journal, its API at {} did not answer)",
            config.api.bind
        )
    })
}

async fn list(arg: &ConfigArg) -> Result<ExitCode> {
    let config = load_config(arg)?;
    if let Some(api) = Api::find(&config).await? {
        let text = api.call(reqwest::Method::GET, "/bots", None).await?;
        let bots: Vec<serde_json::Value> =
            serde_json::from_str(&text).context("reading the API's bot list")?;
        say(&format!(
            "{:<16} {:<6} {:<9} {:<14} {:>14} {:>12}  blocked",
            "bot", "mode", "state", "strategy", "equity", "realised"
        ))?;
        for bot in bots {
            let status = &bot["status"];
            say(&format!(
                "{:<16} {:<6} {:<9} {:<14} {:>14} {:>12}  {}",
                bot["id"].as_str().unwrap_or("?"),
                status["mode"].as_str().unwrap_or("?"),
                status["state"].as_str().unwrap_or("?"),
                bot["strategy"].as_str().unwrap_or("?"),
                status["equity"].as_str().unwrap_or("?"),
                status["realized"].as_str().unwrap_or("?"),
                status["blocked"].as_str().unwrap_or("-"),
            ))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let journal = open_journal(&config)?;
    let registry = Registry::builtin();
    say(&format!(
        "{:<16} {:<6} {:<9} {:<14} symbols",
        "bot", "mode", "state", "strategy"
    ))?;
    for record in journal.bots().map_err(anyhow::Error::msg)? {
        let (strategy, symbols) = BotSpec::from_toml_str(&record.config, &registry).map_or_else(
            |e| (format!("unreadable: {e}"), String::new()),
            |spec| {
                let symbols: Vec<String> = spec
                    .bot
                    .instruments
                    .iter()
                    .map(|i| i.symbol.to_string())
                    .collect();
                (spec.bot.strategy.name.clone(), symbols.join(","))
            },
        );
        say(&format!(
            "{:<16} {:<6} {:<9} {:<14} {symbols}",
            record.id.as_str(),
            record.mode.as_str(),
            format!("{:?}", record.state).to_lowercase(),
            strategy,
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn lifecycle(arg: &ConfigArg, bot: &str, action: &str) -> Result<ExitCode> {
    let config = load_config(arg)?;
    let id = BotId::new(bot).map_err(|e| anyhow::anyhow!("bot: {e}"))?;
    if let Some(api) = Api::find(&config).await? {
        let text = api
            .call(reqwest::Method::POST, &format!("/bots/{id}/{action}"), None)
            .await?;
        say(&format!("{id}: {action}: {text}"))?;
        return Ok(ExitCode::SUCCESS);
    }
    if action != "start" {
        bail!(
            "{action} needs the running runner (nothing answered at {}): start it with `vela live run`",
            config.api.bind
        );
    }
    let mut journal = open_journal(&config)?;
    let record = journal
        .bot(&id)
        .map_err(anyhow::Error::msg)?
        .with_context(|| format!("no bot {id} in {}", config.journal.path.display()))?;
    if record.state == BotState::Killed {
        bail!(
            "{id} was killed; a killed bot never trades again (copy it: `vela live copy {id} --id NEW`)"
        );
    }
    journal
        .set_bot_state(
            &id,
            BotState::Running,
            "started by the operator",
            Timestamp(0),
        )
        .map_err(anyhow::Error::msg)?;
    say(&format!("{id} starts with the next `vela live run`"))?;
    Ok(ExitCode::SUCCESS)
}

/// New strategy parameters through the running runner's API: the engine takes them only
/// while the bot is paused or stopped, and records them in the journal as an instruction,
/// so a restart and `vela replay` see them where they happened.
async fn params(args: &ParamsArgs) -> Result<ExitCode> {
    let config = load_config(&args.config)?;
    let id = BotId::new(&args.bot).map_err(|e| anyhow::anyhow!("bot: {e}"))?;
    let mut params = Params::new();
    for text in &args.params {
        let (name, value) = super::backtest::parse_param(text)?;
        params.set(name, value);
    }
    let body = serde_json::to_string(&params).context("writing the parameters as JSON")?;
    change_through_api(&config, &id, "params", body).await
}

/// POSTs `body` to the running runner's `/bots/{id}/{what}` and prints its answer; the
/// change needs the engine, so the runner must run.
async fn change_through_api(
    config: &RunnerConfig,
    id: &BotId,
    what: &str,
    body: String,
) -> Result<ExitCode> {
    let Some(api) = Api::find(config).await? else {
        bail!(
            "{what} needs the running runner (nothing answered at {}): start it with `vela live run`",
            config.api.bind
        );
    };
    let text = api
        .call(
            reqwest::Method::POST,
            &format!("/bots/{id}/{what}"),
            Some(body),
        )
        .await?;
    say(&format!("{id}: {what}: {text}"))?;
    Ok(ExitCode::SUCCESS)
}

/// New budget, risk settings or running time through the running runner's API, recorded
/// in the journal as an instruction like new parameters.
async fn settings(args: &SettingsArgs) -> Result<ExitCode> {
    let config = load_config(&args.config)?;
    let id = BotId::new(&args.bot).map_err(|e| anyhow::anyhow!("bot: {e}"))?;
    let risk = args.risk.as_deref().map(read_risk).transpose()?;
    let update = SettingsUpdate {
        budget: args.budget,
        risk,
        running_time: args.running_time,
    };
    if update.is_empty() {
        bail!("settings {id}: give at least one of --budget, --risk, --running-time");
    }
    let body = serde_json::to_string(&update).context("writing the settings as JSON")?;
    change_through_api(&config, &id, "settings", body).await
}

async fn stop(args: &StopArgs) -> Result<ExitCode> {
    if !args.cancel_resting && !args.keep_resting {
        bail!(
            "stop {}: say whether to cancel its resting orders: --cancel-resting or --keep-resting",
            args.bot
        );
    }
    let config = load_config(&args.config)?;
    let id = BotId::new(args.bot.clone()).map_err(|e| anyhow::anyhow!("bot: {e}"))?;
    if let Some(api) = Api::find(&config).await? {
        let text = api
            .call(
                reqwest::Method::POST,
                &format!("/bots/{id}/stop?cancel_resting={}", args.cancel_resting),
                None,
            )
            .await?;
        say(&format!("{id}: stop: {text}"))?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.cancel_resting {
        bail!(
            "canceling resting orders needs the running runner (nothing answered at {})",
            config.api.bind
        );
    }
    let mut journal = open_journal(&config)?;
    journal
        .set_bot_state(
            &id,
            BotState::Stopped,
            "stopped by the operator",
            Timestamp(0),
        )
        .map_err(anyhow::Error::msg)?;
    say(&format!(
        "{id} is stopped and will not start with the runner"
    ))?;
    Ok(ExitCode::SUCCESS)
}

async fn kill_all(arg: &ConfigArg) -> Result<ExitCode> {
    let config = load_config(arg)?;
    let Some(api) = Api::find(&config).await? else {
        bail!(
            "the global kill switch needs the running runner (nothing answered at {})",
            config.api.bind
        );
    };
    let text = api.call(reqwest::Method::POST, "/kill", None).await?;
    say(&format!("global kill: {text}"))?;
    Ok(ExitCode::SUCCESS)
}

async fn copy(args: &CopyArgs) -> Result<ExitCode> {
    let config = load_config(&args.config)?;
    let registry = Registry::builtin();
    let id = BotId::new(args.bot.clone()).map_err(|e| anyhow::anyhow!("bot: {e}"))?;
    let text = if let Some(api) = Api::find(&config).await? {
        let text = api
            .call(reqwest::Method::GET, &format!("/bots/{id}"), None)
            .await?;
        let value: serde_json::Value =
            serde_json::from_str(&text).context("reading the API's answer")?;
        value["config"].as_str().unwrap_or_default().to_owned()
    } else {
        open_journal(&config)?
            .bot(&id)
            .map_err(anyhow::Error::msg)?
            .with_context(|| format!("no bot {id} in {}", config.journal.path.display()))?
            .config
    };
    let mut spec = BotSpec::from_toml_str(&text, &registry).map_err(anyhow::Error::msg)?;
    spec.mode = parse_mode(&args.mode)?;
    spec.bot.bot_id = BotId::new(args.id.clone()).map_err(|e| anyhow::anyhow!("--id: {e}"))?;
    add_spec(&config, spec, !args.paused).await
}

async fn report(args: &ReportArgs) -> Result<ExitCode> {
    let config = load_config(&args.config)?;
    let period: pnl::Period = args
        .period
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--period: {e}"))?;
    let csv = if let Some(api) = Api::find(&config).await? {
        let path = match &args.tax {
            Some(bot) => format!("/reports/tax.csv?bot={bot}"),
            None => format!("/reports/pnl.csv?period={}", args.period),
        };
        api.call(reqwest::Method::GET, &path, None)
            .await?
            .into_bytes()
    } else {
        let journal = open_journal(&config)?;
        let registry = Registry::builtin();
        let mut bots = Vec::new();
        for record in journal.bots().map_err(anyhow::Error::msg)? {
            if args
                .tax
                .as_deref()
                .is_some_and(|bot| bot != record.id.as_str())
            {
                continue;
            }
            let spec = BotSpec::from_toml_str(&record.config, &registry)
                .map_err(|e| anyhow::anyhow!("bot {}: {e}", record.id))?;
            let fills = journal.fills(&record.id).map_err(anyhow::Error::msg)?;
            bots.push((spec, fills));
        }
        if let Some(bot) = &args.tax {
            let (spec, fills) = bots
                .first()
                .with_context(|| format!("no bot {bot} in {}", config.journal.path.display()))?;
            let report = tax::fifo(fills, &spec.bot.instruments).map_err(anyhow::Error::msg)?;
            let mut csv = Vec::new();
            tax::write_csv(&report, &mut csv).context("writing the CSV")?;
            csv
        } else {
            pnl_csv(&bots, period).map_err(anyhow::Error::msg)?
        }
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &csv).with_context(|| format!("writing {}", path.display()))?;
            say(&format!("wrote {}", path.display()))?;
        }
        None => {
            use std::io::Write;
            std::io::stdout()
                .lock()
                .write_all(&csv)
                .context("writing to stdout")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_runner(args: &RunArgs) -> Result<ExitCode> {
    let config = load_config(&args.config)?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("installing the signal handlers")?;
    }
    let registry = Registry::builtin();
    let runner = Runner::start(config.clone(), &registry)
        .await
        .map_err(anyhow::Error::msg)?;
    let api = ApiServer::start(runner.clone(), &config.api)
        .await
        .map_err(anyhow::Error::msg)?;
    let bots = runner.bot_ids();
    say(&format!(
        "vela live: {} bot(s) {} · API http://{}/api/v1 · journal {}\nCtrl-C or SIGTERM stops ({})",
        bots.len(),
        bots.iter()
            .map(BotId::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        api.addr(),
        config.journal.path.display(),
        if args.cancel_on_exit {
            "resting orders are canceled"
        } else {
            "resting orders stay; --cancel-on-exit cancels them"
        }
    ))?;
    for id in &bots {
        if let Some(blocked) = runner.status(id).and_then(|s| s.blocked) {
            say(&format!("{id}: not trading: {blocked}"))?;
        }
    }
    let mut events = runner.events();
    while !stop.load(Ordering::SeqCst) {
        match tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            Ok(Ok(RunnerEvent::Order { bot, report })) => {
                if let OrderReport::Filled { fill, .. } = report.as_ref() {
                    say(&format!(
                        "{bot}: {:?} {} {} @ {} (fee {} {})",
                        fill.side, fill.quantity, fill.symbol, fill.price, fill.fee, fill.fee_asset
                    ))?;
                }
            }
            Ok(Ok(RunnerEvent::Alert { notice })) => say(&notice.text(0))?,
            Ok(Ok(RunnerEvent::Status { .. }) | Err(_)) | Err(_) => {}
        }
    }
    say("vela live: stopping (state is in the journal)")?;
    api.shutdown().await;
    runner.shutdown(args.cancel_on_exit).await;
    Ok(ExitCode::SUCCESS)
}
