//! `vela sim`: the local MEXC simulator on loopback, replaying stored bars.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rust_decimal::Decimal;
use vela_backtest::run::instrument::instrument_for;
use vela_core::sim::{FillTiming, SimConfig};
use vela_live::sim::faults::FaultSpec;
use vela_live::sim::server::{ServerConfig, SimServer, Speed};
use vela_live::sim::state::{AccountSetup, SimSetup};

use super::backtest::FillArg;
use super::data::say;
use super::market::InstrumentArgs;
use super::store::StoreArgs;
use super::sweep::{read_frames, time_range};

/// API key of the simulated account unless `VELA_SIM_API_KEY` is set.
pub(crate) const DEFAULT_SIM_KEY: &str = "vela-sim-key";
/// API secret of the simulated account unless `VELA_SIM_API_SECRET` is set.
pub(crate) const DEFAULT_SIM_SECRET: &str = "vela-sim-secret";

/// Arguments of `vela sim`.
#[allow(clippy::doc_markdown, reason = "doc comments are clap's help text")]
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Datasets to replay, exchange/SYMBOL/interval (one interval for all).
    #[arg(default_value = "sample/BTCUSDT/1m")]
    datasets: Vec<String>,
    /// First bar open time: 2022-01-05, "2022-01-05 12:00", RFC 3339 or epoch ms.
    #[arg(long)]
    from: Option<String>,
    /// End of the range (bars opening before it).
    #[arg(long)]
    to: Option<String>,
    /// Replay speed: `realtime`, or a factor such as `60` (a one-minute bar per second).
    #[arg(long, default_value = "60")]
    speed: String,
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8900")]
    bind: SocketAddr,
    /// Starting balance of the simulated account, ASSET=AMOUNT (repeatable; default
    /// USDT=10000). The account's API key and secret come from $VELA_SIM_API_KEY and
    /// $VELA_SIM_API_SECRET (defaults: vela-sim-key / vela-sim-secret).
    #[arg(long = "balance", value_name = "ASSET=AMOUNT")]
    balances: Vec<String>,
    /// Fault to inject (repeatable): latency=MS, 5xx=SHARE, 429=SHARE, retry-after=SECS,
    /// order-timeout=N, duplicates=N, reorders=N, depth-gaps=N, silent, refuse=CHANNEL.
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<String>,
    /// Seed of the fault rates.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Fill timing of orders.
    #[arg(long, value_enum)]
    fill: Option<FillArg>,
    /// Slippage of market fills against the trader, basis points.
    #[arg(long)]
    slippage_bps: Option<f64>,
    /// Most of a bar's volume one order fills on it, share in (0, 1].
    #[arg(long)]
    volume_cap: Option<f64>,
    #[command(flatten)]
    instrument: InstrumentArgs,
    #[command(flatten)]
    store: StoreArgs,
}

fn parse_speed(text: &str) -> Result<Speed> {
    if text.eq_ignore_ascii_case("realtime") {
        return Ok(Speed::RealTime);
    }
    match text.trim_end_matches(['x', '×']).parse::<f64>() {
        Ok(factor) if factor.is_finite() && factor > 0.0 => Ok(Speed::Times(factor)),
        _ => bail!("--speed {text:?}: use `realtime` or a positive factor such as 60"),
    }
}

fn parse_balances(specs: &[String]) -> Result<Vec<(String, Decimal)>> {
    if specs.is_empty() {
        return Ok(vec![("USDT".to_owned(), Decimal::from(10_000))]);
    }
    specs
        .iter()
        .map(|spec| {
            let (asset, amount) = spec.split_once('=').with_context(|| {
                format!("--balance {spec:?}: expected ASSET=AMOUNT, e.g. USDT=10000")
            })?;
            let amount: Decimal = amount
                .trim()
                .parse()
                .with_context(|| format!("--balance {spec:?}: {amount:?} is not a number"))?;
            if amount.is_sign_negative() {
                bail!("--balance {spec:?}: a balance cannot be negative");
            }
            Ok((asset.trim().to_uppercase(), amount))
        })
        .collect()
}

fn credential(var: &str, default: &str) -> Result<String> {
    match std::env::var(var) {
        Ok(value) if value.trim().is_empty() => bail!("${var} is set but empty"),
        Ok(value) => Ok(value),
        Err(std::env::VarError::NotPresent) => Ok(default.to_owned()),
        Err(std::env::VarError::NotUnicode(_)) => bail!("${var} is not valid UTF-8"),
    }
}

/// `vela sim`.
pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let speed = parse_speed(&args.speed)?;
    let balances = parse_balances(&args.balances)?;
    let faults = FaultSpec::parse(&args.faults).map_err(anyhow::Error::msg)?;
    let range = time_range(args.from.as_deref(), args.to.as_deref())?;
    let frames = read_frames(&args.store, &args.datasets, range)?;
    let interval = frames[0].0.interval();
    if let Some((id, _)) = frames.iter().find(|(id, _)| id.interval() != interval) {
        bail!(
            "{id}: every replayed dataset needs the same interval ({} here)",
            interval.name()
        );
    }
    let interval_ms = interval
        .millis()
        .with_context(|| format!("interval {} has no fixed length to replay", interval.name()))?;
    let settings = args.instrument.settings();
    let mut instruments = Vec::new();
    let mut series = Vec::new();
    let mut bars = 0;
    for (id, frame) in &frames {
        let instrument = instrument_for(id.symbol(), &settings)?;
        bars += frame.len();
        series.push((instrument.symbol.clone(), frame.bars()));
        instruments.push(instrument);
    }
    let mut fill = SimConfig::default();
    if let Some(timing) = args.fill {
        fill.timing = match timing {
            FillArg::NextOpen => FillTiming::NextOpen,
            FillArg::ThisClose => FillTiming::ThisClose,
        };
    }
    if let Some(bps) = args.slippage_bps {
        fill.slippage_bps = bps;
    }
    fill.volume_cap = args.volume_cap;
    fill.validate()?;
    let api_key = credential("VELA_SIM_API_KEY", DEFAULT_SIM_KEY)?;
    let setup = SimSetup {
        instruments,
        series,
        interval_ms,
        fill,
        accounts: vec![AccountSetup {
            api_key: api_key.clone(),
            secret: credential("VELA_SIM_API_SECRET", DEFAULT_SIM_SECRET)?,
            balances,
        }],
    };
    let config = ServerConfig {
        bind: args.bind,
        speed,
        faults,
        seed: args.seed,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let server = SimServer::start_serving(setup, config)
            .await
            .context("starting the simulator")?;
        let names: Vec<&str> = args.datasets.iter().map(String::as_str).collect();
        say(&format!(
            "vela sim: REST {} · WebSocket {} · API key {} (secret from $VELA_SIM_API_SECRET, else the default in --help)\n\
             replaying {bars} bars of {} at {}; Ctrl-C stops",
            server.rest_url(),
            server.ws_url(),
            vela_live::secret::mask(&api_key),
            names.join(", "),
            args.speed,
        ))?;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if server.inspect(vela_live::sim::state::SimState::finished) {
                say("vela sim: replay finished; still serving the account (Ctrl-C stops)")?;
                break;
            }
        }
        std::future::pending::<()>().await;
        Ok::<_, anyhow::Error>(ExitCode::SUCCESS)
    })
}
