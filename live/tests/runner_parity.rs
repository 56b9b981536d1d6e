//! The runner's headline tests (issue 8): a bot run by the live runner against `vela sim`
//! replaying the bundled sample gives exactly the backtester's event-tier fills and final
//! equity — in paper mode and in live mode — and a runner stopped halfway and started
//! again (the bot rebuilt from the journal) ends where an uninterrupted run ends.

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

const KEY: &str = "mx0vglRUNNERKEY00001";
const SECRET: &str = "CANARY-runner-5ecret-9c8d7e";

/// The first `n` bars of the bundled sample (BTCUSDT, one minute).
fn sample_bars(n: usize) -> Vec<Bar> {
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
enum Plan {
    Crossover,
    Grid,
    Dca,
}

fn strategy(plan: Plan) -> StrategySpec {
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

fn bot_config(id: &str, plan: Plan) -> BotConfig {
    BotConfig::new(
        BotId::new(id).expect("bot id"),
        vec![stubs::btcusdt()],
        Decimal::from(1_000),
        strategy(plan),
    )
}

fn spec(id: &str, mode: BotMode, plan: Plan) -> BotSpec {
    BotSpec {
        mode,
        interval: KlineInterval::Min1,
        timers: true,
        paper: SimConfig::default(),
        bot: bot_config(id, plan),
    }
}

async fn simulator(bars: Vec<Bar>) -> SimServer {
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
fn setup(dir: &Path, sim: &SimServer, spec: &BotSpec) -> RunnerConfig {
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
async fn drive(
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
fn backtest(spec: &BotSpec, bars: &[Bar]) -> event::EventRun {
    let history = History::single(stubs::btcusdt().symbol, bars).expect("history");
    let config = EventConfig {
        bot: spec.bot.clone(),
        exchange: spec.paper,
        timers: spec.timers,
    };
    event::run(&Registry::builtin(), &config, &history).expect("backtest runs")
}

/// A fill without its exchange trade id (the two exchanges number trades differently).
fn essence(fill: &Fill) -> (String, String, String, String, String, i64) {
    (
        fill.client_id.to_string(),
        format!("{:?}", fill.side),
        fill.price.normalize().to_string(),
        fill.quantity.normalize().to_string(),
        fill.fee.normalize().to_string(),
        fill.ts.0,
    )
}

fn journal_fills(path: &PathBuf, bot: &BotId) -> Vec<Fill> {
    Journal::open(path)
        .expect("journal")
        .fills(bot)
        .expect("fills")
}

async fn parity(mode: BotMode, id: &str, plan: Plan, restart_at: Option<usize>) {
    const BARS: usize = 240;
    let bars = sample_bars(BARS);
    let sim = simulator(bars.clone()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = spec(id, mode, plan);
    let config = setup(dir.path(), &sim, &spec);
    let bot = spec.bot.bot_id.clone();
    let registry = Registry::builtin();
    // Steps 0..=BARS open bar 0 ... and complete bar BARS - 2 at step BARS - 1; the last
    // bar stays open so every order the bot sends can still reach the exchange.
    let cut = restart_at.unwrap_or(BARS);
    let mut runner = Runner::start(config.clone(), &registry)
        .await
        .expect("runner starts");
    assert!(
        runner.wait_subscribed(Duration::from_secs(10)).await,
        "streams subscribed"
    );
    drive(&sim, &runner, &bot, &bars, 0, cut).await;
    if cut < BARS {
        runner.shutdown(false).await;
        runner = Runner::start(config.clone(), &registry)
            .await
            .expect("runner restarts");
        assert!(
            runner.wait_subscribed(Duration::from_secs(10)).await,
            "streams subscribed again"
        );
        let status = runner.status(&bot).expect("bot resumed");
        assert_eq!(status.state, BotState::Running, "{status:?}");
        assert!(status.blocked.is_none(), "{status:?}");
        drive(&sim, &runner, &bot, &bars, cut, BARS).await;
    }
    let status = runner.status(&bot).expect("bot");
    runner.shutdown(false).await;
    sim.shutdown().await;

    let expected = backtest(&spec, &bars[..BARS - 1]);
    let fills = journal_fills(&config.journal.path, &bot);
    assert!(
        expected.fills.len() >= 4,
        "the stretch must trade: {:?}",
        expected.counts
    );
    let want: Vec<_> = expected.fills.iter().map(|f| essence(&f.fill)).collect();
    let got: Vec<_> = fills.iter().map(essence).collect();
    assert_eq!(got, want, "fills differ from the backtest's");
    assert_eq!(status.equity, expected.final_equity, "final equity differs");
    let orders = Journal::open(&config.journal.path)
        .expect("journal")
        .orders(&bot)
        .expect("orders");
    assert_eq!(orders.len(), expected.counts.submitted, "orders sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_bot_matches_the_backtest() {
    parity(BotMode::Paper, "paper1", Plan::Crossover, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_bot_against_the_simulator_matches_the_backtest() {
    parity(BotMode::Live, "live1", Plan::Crossover, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_bot_restarted_halfway_ends_as_an_uninterrupted_run() {
    parity(BotMode::Paper, "paper2", Plan::Crossover, Some(117)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_bot_restarted_halfway_ends_as_an_uninterrupted_run() {
    parity(BotMode::Live, "live2", Plan::Crossover, Some(131)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_grid_bot_matches_the_backtest() {
    parity(BotMode::Live, "grid1", Plan::Grid, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_dca_bot_matches_the_backtest() {
    parity(BotMode::Live, "dca1", Plan::Dca, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_grid_bot_restarted_matches_the_backtest() {
    parity(BotMode::Paper, "grid2", Plan::Grid, Some(150)).await;
}
