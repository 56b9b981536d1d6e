//! The runner's headline tests (issue 8): a bot run by the live runner against `vela sim`
//! replaying the bundled sample gives exactly the backtester's event-tier fills and final
//! equity — in paper mode and in live mode — and a runner stopped halfway and started
//! again (the bot rebuilt from the journal) ends where an uninterrupted run ends.

mod runner_support;

use std::time::Duration;

use runner_support::{
    Plan, backtest, drive, essence, journal_fills, sample_bars, setup, simulator, spec,
};
use vela_core::engine::BotState;
use vela_core::strategy::Registry;
use vela_live::journal::{BotMode, Journal};
use vela_live::runner::Runner;
use vela_live::runner::replay::replay_exact;

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

    // The journal replays exactly through a fresh engine, and not with other parameters.
    let journal = Journal::open(&config.journal.path).expect("journal");
    let entries = journal.entries(1, Some(&bot)).expect("entries");
    let registry = Registry::builtin();
    let report = replay_exact(&spec, &registry, &entries).expect("replay");
    assert!(report.differences.is_empty(), "{:?}", report.differences);
    assert_eq!(report.orders, orders.len());
    let mut other = spec.clone();
    other.bot.risk.stop_loss = Some(vela_core::risk::Limit::Percent(0.0005));
    let report = replay_exact(&other, &registry, &entries).expect("replay");
    assert!(
        !report.differences.is_empty(),
        "a different bot makes other decisions"
    );
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
