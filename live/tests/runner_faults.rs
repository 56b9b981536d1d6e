//! The runner against `vela sim`'s fault injection (fault-tests.md cases 1, 5, 22 and 24):
//! an order whose send has an unknown outcome is resolved by asking the exchange, never by
//! sending it again; a bot that cannot reach the exchange stops trading, says why, and
//! resumes once it can reconcile.

mod runner_support;

use std::time::Duration;

use runner_support::{
    Plan, backtest, essence, journal_fills, sample_bars, setup, simulator, spec, step_through,
    venue_orders,
};
use vela_core::strategy::Registry;
use vela_core::types::OrderStatus;
use vela_live::journal::{BotMode, Journal};
use vela_live::runner::Runner;

const BARS: usize = 240;

/// The index of the bar whose decision sends the bot's first order (the backtest's first
/// fill is at the next bar's open).
fn first_decision(spec: &vela_live::runner::BotSpec, bars: &[vela_core::types::Bar]) -> usize {
    backtest(spec, bars).fills[0].bar - 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_whose_send_timed_out_is_found_by_its_client_id_and_never_resent() {
    let bars = sample_bars(BARS);
    let sim = simulator(bars.clone()).await;
    let dir = tempfile::tempdir().expect("dir");
    let spec = spec("fault1", BotMode::Live, Plan::Crossover);
    let mut config = setup(dir.path(), &sim, &spec);
    config.exchange.request_timeout_ms = 800;
    config.exchange.settle_wait_ms = 300;
    let bot = spec.bot.bot_id.clone();
    let runner = Runner::start(config.clone(), &Registry::builtin())
        .await
        .expect("runner");
    assert!(runner.wait_subscribed(Duration::from_secs(10)).await);
    let decision = first_decision(&spec, &bars[..BARS - 1]);
    // Step `decision + 1` completes bar `decision`: its order is placed but never answered.
    step_through(&sim, &runner, &bot, decision + 1).await;
    sim.faults().update(|f| f.order_timeouts = 1);
    let status = step_through(&sim, &runner, &bot, BARS - decision - 1).await;
    assert!(status.blocked.is_none(), "{status:?}");
    runner.shutdown(false).await;

    // The same fills as the backtest: the unknown order was adopted, not resent.
    let expected = backtest(&spec, &bars[..BARS - 1]);
    let fills = journal_fills(&config.journal.path, &bot);
    let want: Vec<_> = expected.fills.iter().map(|f| essence(&f.fill)).collect();
    let got: Vec<_> = fills.iter().map(essence).collect();
    assert_eq!(got, want);
    let mut venue = venue_orders(&sim);
    let journal = Journal::open(&config.journal.path).expect("journal");
    let mut ours: Vec<String> = journal
        .orders(&bot)
        .expect("orders")
        .iter()
        .map(|o| o.client_id().to_string())
        .collect();
    venue.sort();
    ours.sort();
    assert_eq!(venue, ours, "exactly one venue order per journal order");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_lost_to_a_server_error_closes_as_never_sent_and_trading_goes_on() {
    let bars = sample_bars(BARS);
    let sim = simulator(bars.clone()).await;
    let dir = tempfile::tempdir().expect("dir");
    let spec = spec("fault2", BotMode::Live, Plan::Crossover);
    let mut config = setup(dir.path(), &sim, &spec);
    config.exchange.settle_wait_ms = 200;
    config.exchange.recv_window_ms = 500;
    let bot = spec.bot.bot_id.clone();
    let runner = Runner::start(config.clone(), &Registry::builtin())
        .await
        .expect("runner");
    assert!(runner.wait_subscribed(Duration::from_secs(10)).await);
    let decision = first_decision(&spec, &bars[..BARS - 1]);
    step_through(&sim, &runner, &bot, decision).await;
    // The placement answers 503 without being carried out: an unknown outcome.
    sim.faults().update(|f| {
        f.server_errors = 1;
        f.server_error_status = 503;
    });
    let status = step_through(&sim, &runner, &bot, BARS - decision).await;
    assert!(status.blocked.is_none(), "{status:?}");
    runner.shutdown(false).await;

    let journal = Journal::open(&config.journal.path).expect("journal");
    let orders = journal.orders(&bot).expect("orders");
    let first = orders
        .iter()
        .find(|o| o.client_id().as_str() == format!("{bot}-1"))
        .expect("the first order");
    assert_eq!(first.status, OrderStatus::Rejected, "{first:?}");
    let venue = venue_orders(&sim);
    assert!(
        !venue.contains(&format!("{bot}-1")),
        "never sent again: {venue:?}"
    );
    assert!(
        orders.iter().any(|o| o.status == OrderStatus::Filled),
        "later orders trade: {orders:?}"
    );
    for order in orders.iter().filter(|o| o.status != OrderStatus::Rejected) {
        assert!(
            venue.contains(&order.client_id().to_string()),
            "{order:?} at the venue"
        );
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_that_cannot_reach_the_exchange_stops_trading_and_resumes_after_reconciling() {
    let bars = sample_bars(BARS);
    let sim = simulator(bars.clone()).await;
    let dir = tempfile::tempdir().expect("dir");
    let spec = spec("fault3", BotMode::Live, Plan::Crossover);
    let mut config = setup(dir.path(), &sim, &spec);
    config.exchange.settle_wait_ms = 200;
    config.exchange.recv_window_ms = 500;
    config.exchange.request_timeout_ms = 1000;
    let bot = spec.bot.bot_id.clone();
    let runner = Runner::start(config.clone(), &Registry::builtin())
        .await
        .expect("runner");
    assert!(runner.wait_subscribed(Duration::from_secs(10)).await);
    let decision = first_decision(&spec, &bars[..BARS - 1]);
    step_through(&sim, &runner, &bot, decision).await;
    // The exchange answers 503 to everything (maintenance) for a few bars.
    sim.faults().update(|f| {
        f.server_error_rate = 1.0;
        f.server_error_status = 503;
    });
    let during = step_through(&sim, &runner, &bot, 4).await;
    let reason = during
        .blocked
        .clone()
        .expect("blocked while the exchange is down");
    assert!(
        reason.contains("503") || reason.contains("reconcil"),
        "{reason}"
    );
    let bar_times = during.bar_times;
    let still = step_through(&sim, &runner, &bot, 3).await;
    assert_eq!(
        still.bar_times, bar_times,
        "a blocked bot hands no bar to its engine"
    );
    sim.faults().update(|f| f.server_error_rate = 0.0);
    let after = step_through(&sim, &runner, &bot, 40).await;
    assert!(after.blocked.is_none(), "{after:?}");
    assert!(after.bar_times > bar_times + 30, "{after:?}");
    runner.shutdown(false).await;

    let journal = Journal::open(&config.journal.path).expect("journal");
    let orders = journal.orders(&bot).expect("orders");
    let venue = venue_orders(&sim);
    let mut ids: Vec<String> = orders.iter().map(|o| o.client_id().to_string()).collect();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "no client id twice");
    for order in &orders {
        let at_venue = venue.contains(&order.client_id().to_string());
        assert_eq!(
            at_venue,
            order.status != OrderStatus::Rejected,
            "journal and venue agree on {order:?}"
        );
        assert!(order.status.is_terminal() || at_venue, "{order:?}");
    }
    sim.shutdown().await;
}
