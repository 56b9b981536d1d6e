#![allow(dead_code, reason = "each test file uses part of the shared support")]
//! What the runner's tests share: the bundled sample, bot specifications, the simulator, a
//! journal with a bot in it, stepping the simulator bar by bar, and the backtest to compare
//! with.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rust_decimal::Decimal;
use vela_backtest::event::{self, EventConfig, History};
use vela_core::engine::{BotConfig, BotId, BotState};
use vela_core::sim::SimConfig;
use vela_core::strategy::{Params, Registry, StrategySpec};
use vela_core::types::instrument::stubs;
use vela_core::types::{Bar, Fill, Timestamp};
use vela_data::store::{DatasetId, Store, TimeRange};
use vela_live::journal::{BotMode, BotRecord, Journal};
use vela_live::proto::KlineInterval;
use vela_live::runner::config::CredentialsConfig;
use vela_live::runner::{BotSpec, Runner, RunnerConfig};
use vela_live::sim::server::{ServerConfig, SimServer};
use vela_live::sim::state::{AccountSetup, SimSetup};

pub(crate) const KEY: &str = "mx0vglRUNNERKEY00001";
pub(crate) const SECRET: &str = "CANARY-runner-5ecret-9c8d7e";

/// The first `n` bars of the bundled sample (BTCUSDT, one minute).
pub(crate) fn sample_bars(n: usize) -> Vec<Bar> {
    let store = Store::open_existing(Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/sample"))
        .expect("the bundled sample store");
    let id: DatasetId = "sample/BTCUSDT/1m".parse().expect("dataset id");
    let frame = store.read(&id, TimeRange::ALL).expect("sample bars");
    let bars = frame.bars();
    assert!(bars.len() >= n, "the sample has {} bars", bars.len());
    bars[..n].to_vec()
}

/// The strategies the parity must hold for (issue 8: crossover, grid and DCA at least),
/// with parameters that trade often on 240 one-minute bars.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Plan {
    Crossover,
    Grid,
    Dca,
}

pub(crate) fn strategy(plan: Plan) -> StrategySpec {
    let mut params = Params::new();
    let name = match plan {
        Plan::Crossover => {
            params.set("fast", 5_i64).set("slow", 20_i64);
            "crossover"
        }
        Plan::Grid => {
            params
                .set("levels", 6_i64)
                .set("range_bars", 30_i64)
                .set("recenter_after_bars", 10_i64);
            "grid"
        }
        Plan::Dca => {
            params
                .set("quote_amount", 40.0)
                .set("interval_minutes", 7_i64)
                .set("take_profit", 0.002);
            "dca"
        }
    };
    StrategySpec::new(name, params)
}

pub(crate) fn bot_config(id: &str, plan: Plan) -> BotConfig {
    BotConfig::new(
        BotId::new(id).expect("bot id"),
        vec![stubs::btcusdt()],
        Decimal::from(1_000),
        strategy(plan),
    )
}

pub(crate) fn spec(id: &str, mode: BotMode, plan: Plan) -> BotSpec {
    BotSpec {
        mode,
        interval: KlineInterval::Min1,
        timers: true,
        paper: SimConfig::default(),
        bot: bot_config(id, plan),
    }
}

pub(crate) async fn simulator(bars: Vec<Bar>) -> SimServer {
    let instrument = stubs::btcusdt();
    SimServer::start_serving(
        SimSetup {
            series: vec![(instrument.symbol.clone(), bars)],
            instruments: vec![instrument],
            interval_ms: 60_000,
            fill: SimConfig::default(),
            accounts: vec![AccountSetup {
                api_key: KEY.to_owned(),
                secret: SECRET.to_owned(),
                balances: vec![("USDT".to_owned(), Decimal::from(10_000))],
            }],
        },
        ServerConfig::default(),
    )
    .await
    .expect("simulator starts")
}

/// A journal holding `spec` as a running bot, and the runner's configuration for it.
pub(crate) fn setup(dir: &Path, sim: &SimServer, spec: &BotSpec) -> RunnerConfig {
    let path = dir.join("journal.duckdb");
    let mut journal = Journal::open(&path).expect("journal");
    journal
        .add_bot(&BotRecord {
            id: spec.bot.bot_id.clone(),
            mode: spec.mode,
            state: BotState::Running,
            reason: "test".to_owned(),
            config: spec.to_toml_string().expect("spec as TOML"),
            created: Timestamp(0),
            updated: Timestamp(0),
        })
        .expect("bot added");
    drop(journal);
    let keys = dir.join("mexc.keys");
    std::fs::write(
        &keys,
        format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n"),
    )
    .expect("keys file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let mut config = RunnerConfig::new(path);
    config.exchange.rest_url = sim.rest_url();
    config.exchange.ws_url = sim.ws_url();
    config.credentials = Some(CredentialsConfig {
        key_env: None,
        secret_env: None,
        file: Some(keys),
    });
    config
}

/// Steps the simulator through `bars[from..to]` completing, one bar at a time, waiting for
/// the bot to have handled each before the next (as a bar's minute gives a live bot time).
pub(crate) async fn drive(
    sim: &SimServer,
    runner: &Runner,
    bot: &BotId,
    bars: &[Bar],
    from: usize,
    to: usize,
) {
    let mut status = runner.watch(bot).expect("bot running");
    for i in from..to {
        assert_eq!(sim.step(1), 1, "the simulator has bar {i}");
        if i == 0 {
            continue; // the first step only opens bar 0
        }
        let expected = bars[i - 1].ts;
        let handled = tokio::time::timeout(
            Duration::from_secs(20),
            status.wait_for(|s| s.last_bar >= Some(expected) || s.blocked.is_some()),
        )
        .await
        .is_ok_and(|r| r.is_ok());
        let now = status.borrow().clone();
        assert!(
            handled && now.blocked.is_none(),
            "bar {} ({}) not handled: {now:?}",
            i - 1,
            expected.0
        );
    }
}

/// The backtester's event tier over `bars` with the bot's configuration.
pub(crate) fn backtest(spec: &BotSpec, bars: &[Bar]) -> event::EventRun {
    let history = History::single(stubs::btcusdt().symbol, bars).expect("history");
    let config = EventConfig {
        bot: spec.bot.clone(),
        exchange: spec.paper,
        timers: spec.timers,
    };
    event::run(&Registry::builtin(), &config, &history).expect("backtest runs")
}

/// A fill without its exchange trade id (the two exchanges number trades differently).
pub(crate) fn essence(fill: &Fill) -> (String, String, String, String, String, i64) {
    (
        fill.client_id.to_string(),
        format!("{:?}", fill.side),
        fill.price.normalize().to_string(),
        fill.quantity.normalize().to_string(),
        fill.fee.normalize().to_string(),
        fill.ts.0,
    )
}

pub(crate) fn journal_fills(path: &PathBuf, bot: &BotId) -> Vec<Fill> {
    Journal::open(path)
        .expect("journal")
        .fills(bot)
        .expect("fills")
}

/// Steps the simulator `steps` times; after each step that completes a bar, waits until
/// the bot has taken the bar (handled it, or skipped it while blocked). Returns the status
/// after the last one.
pub(crate) async fn step_through(
    sim: &SimServer,
    runner: &Runner,
    bot: &BotId,
    steps: usize,
) -> vela_live::runner::BotStatus {
    let mut status = runner.watch(bot).expect("bot running");
    for _ in 0..steps {
        let seen = status.borrow().bars_seen;
        let opened_only = sim.inspect(|s| s.market_time().is_none());
        assert_eq!(sim.step(1), 1, "the simulator has another bar");
        if opened_only {
            continue;
        }
        let taken = tokio::time::timeout(
            Duration::from_secs(30),
            status.wait_for(|s| s.bars_seen > seen),
        )
        .await
        .is_ok_and(|r| r.is_ok());
        assert!(taken, "the bot did not take the bar: {:?}", status.borrow());
    }
    status.borrow().clone()
}

/// Client order ids of the simulator account's orders.
pub(crate) fn venue_orders(sim: &SimServer) -> Vec<String> {
    sim.inspect(|s| {
        s.account(KEY)
            .map(|a| {
                a.orders()
                    .values()
                    .map(|o| o.request.client_id.to_string())
                    .collect()
            })
            .unwrap_or_default()
    })
}
