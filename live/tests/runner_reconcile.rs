//! Reconciliation against what happened on the exchange outside the runner (fault-tests
//! cases 16 and 18), against `vela sim`: open orders no bot placed are reported (and
//! cancelled under that policy) while the bots' own resting orders are left alone; an
//! asset sold outside vela blocks the bot that holds it until the account holds it again.

mod runner_support;

use std::sync::Arc;
use std::time::Duration;

use runner_support::{KEY, Plan, SECRET, sample_bars, setup, simulator, spec, step_through};
use rust_decimal::{Decimal, RoundingStrategy};
use vela_core::strategy::Registry;
use vela_live::journal::{BotMode, Journal};
use vela_live::rest::model::{WireOrderType, WireSide};
use vela_live::rest::{NewOrder, RestClient, RestConfig};
use vela_live::runner::Runner;
use vela_live::runner::config::UnknownOrderPolicy;
use vela_live::secret::Credentials;
use vela_live::sim::server::SimServer;

const BARS: usize = 240;

/// A client on the bot's own account, standing in for its owner's hand on the exchange.
fn by_hand(sim: &SimServer) -> Arc<RestClient> {
    let config = RestConfig {
        base_url: sim.rest_url(),
        ..RestConfig::default()
    };
    let credentials = Credentials::new(KEY, SECRET).expect("credentials");
    Arc::new(RestClient::new(config, Some(credentials)).expect("client"))
}

fn order(
    side: WireSide,
    kind: WireOrderType,
    quantity: Decimal,
    price: Option<Decimal>,
    id: &str,
) -> NewOrder {
    NewOrder {
        symbol: "BTCUSDT".to_owned(),
        side,
        order_type: kind,
        quantity: Some(quantity),
        quote_order_qty: None,
        price,
        client_order_id: Some(id.to_owned()),
    }
}

async fn open_client_ids(client: &RestClient) -> Vec<String> {
    let mut ids: Vec<String> = client
        .open_orders("BTCUSDT")
        .await
        .expect("open orders")
        .into_iter()
        .filter_map(|o| o.client_order_id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_orders_no_bot_placed_are_reported_or_cancelled_and_the_bots_own_are_kept() {
    let sim = simulator(sample_bars(BARS)).await;
    let dir = tempfile::tempdir().expect("dir");
    let spec = spec("audit1", BotMode::Live, Plan::Grid);
    let mut config = setup(dir.path(), &sim, &spec);
    config.exchange.settle_wait_ms = 200;
    let bot = spec.bot.bot_id.clone();
    let hand = by_hand(&sim);
    sim.step(1);
    let far_below = Some(Decimal::from(1_000));
    let tenth = Decimal::new(1, 1);
    hand.place_order(&order(
        WireSide::Buy,
        WireOrderType::Limit,
        tenth,
        far_below,
        "manual-1",
    ))
    .await
    .expect("an order placed by hand");
    // An id in the bot's own form that its journal does not hold: an orphan.
    hand.place_order(&order(
        WireSide::Buy,
        WireOrderType::Limit,
        tenth,
        far_below,
        "audit1-999",
    ))
    .await
    .expect("an orphan");

    let runner = Runner::start(config.clone(), &Registry::builtin())
        .await
        .expect("runner");
    let found = runner.unknown_orders();
    let mut kinds: Vec<(String, String, String)> = found
        .iter()
        .map(|o| {
            (
                o.client_id.clone().unwrap_or_default(),
                o.kind.clone(),
                o.action.clone(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            (
                "audit1-999".to_owned(),
                "orphan".to_owned(),
                "reported".to_owned()
            ),
            (
                "manual-1".to_owned(),
                "external".to_owned(),
                "reported".to_owned()
            ),
        ]
    );
    assert_eq!(
        open_client_ids(&hand).await,
        vec!["audit1-999".to_owned(), "manual-1".to_owned()],
        "reporting leaves them on the exchange"
    );
    // The grid rests orders of its own.
    assert!(runner.wait_subscribed(Duration::from_secs(10)).await);
    let status = step_through(&sim, &runner, &bot, 60).await;
    assert!(status.blocked.is_none(), "{status:?}");
    runner.shutdown(false).await;
    let resting: Vec<String> = open_client_ids(&hand)
        .await
        .into_iter()
        .filter(|id| id.starts_with("audit1-") && id != "audit1-999")
        .collect();
    assert!(!resting.is_empty(), "the grid rests orders");

    config.reconcile.unknown_orders = UnknownOrderPolicy::Cancel;
    let runner = Runner::start(config.clone(), &Registry::builtin())
        .await
        .expect("runner again");
    let mut actions: Vec<(String, String)> = runner
        .unknown_orders()
        .iter()
        .map(|o| (o.client_id.clone().unwrap_or_default(), o.action.clone()))
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        vec![
            ("audit1-999".to_owned(), "cancelled".to_owned()),
            ("manual-1".to_owned(), "cancelled".to_owned()),
        ]
    );
    assert_eq!(
        open_client_ids(&hand).await,
        resting,
        "only the bot's own orders are left"
    );
    let journal_open: Vec<String> = runner
        .journal()
        .call(move |j| j.open_orders(&bot))
        .await
        .expect("journal")
        .iter()
        .map(|o| o.client_id().to_string())
        .collect();
    for id in &resting {
        assert!(
            journal_open.contains(id),
            "{id} is the bot's and still open"
        );
    }
    runner.shutdown(false).await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_asset_sold_outside_vela_blocks_the_bot_until_the_account_holds_it_again() {
    let sim = simulator(sample_bars(BARS)).await;
    let dir = tempfile::tempdir().expect("dir");
    let spec = spec("balance1", BotMode::Live, Plan::Crossover);
    let mut config = setup(dir.path(), &sim, &spec);
    config.exchange.settle_wait_ms = 200;
    let bot = spec.bot.bot_id.clone();
    let hand = by_hand(&sim);

    let runner = Runner::start(config.clone(), &Registry::builtin())
        .await
        .expect("runner");
    assert!(runner.wait_subscribed(Duration::from_secs(10)).await);
    let mut steps = 0;
    let held = loop {
        let status = step_through(&sim, &runner, &bot, 1).await;
        steps += 1;
        if let Some(btc) = status.holdings.get("BTC") {
            break *btc;
        }
        assert!(steps < BARS / 2, "the crossover never bought: {status:?}");
    };
    runner.shutdown(false).await;

    // Sold by hand while the runner is down (filled at the next bar's open).
    let sell = held.round_dp_with_strategy(6, RoundingStrategy::ToZero);
    hand.place_order(&order(
        WireSide::Sell,
        WireOrderType::Market,
        sell,
        None,
        "manual-sell",
    ))
    .await
    .expect("sold by hand");
    sim.step(1);

    let runner = Runner::start(config.clone(), &Registry::builtin())
        .await
        .expect("runner again");
    let status = runner.status(&bot).expect("status");
    let reason = status
        .blocked
        .clone()
        .expect("blocked by the balance check");
    assert!(reason.contains("balances do not agree"), "{reason}");
    assert!(reason.contains("BTC"), "{reason}");
    assert!(reason.contains(&held.normalize().to_string()), "{reason}");
    assert!(runner.wait_subscribed(Duration::from_secs(10)).await);
    let still = step_through(&sim, &runner, &bot, 2).await;
    assert!(still.blocked.is_some(), "{still:?}");
    assert_eq!(
        still.bar_times, status.bar_times,
        "a blocked bot decides nothing"
    );

    // Bought back by hand (a little more: the fee is taken in BTC).
    let back =
        (held * Decimal::new(101, 2)).round_dp_with_strategy(6, RoundingStrategy::AwayFromZero);
    hand.place_order(&order(
        WireSide::Buy,
        WireOrderType::Market,
        back,
        None,
        "manual-buy",
    ))
    .await
    .expect("bought back by hand");
    let after = step_through(&sim, &runner, &bot, 3).await;
    assert!(after.blocked.is_none(), "{after:?}");
    assert!(after.bar_times > status.bar_times, "{after:?}");
    runner.shutdown(false).await;
    let journal = Journal::open(&config.journal.path).expect("journal");
    assert!(
        journal
            .orders(&bot)
            .expect("orders")
            .iter()
            .all(|o| o.client_id().as_str().starts_with("balance1-")),
        "the bot's journal holds only its own orders"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_placed_by_hand_while_the_runner_runs_is_found_and_alerted_once() {
    let sim = simulator(sample_bars(BARS)).await;
    let dir = tempfile::tempdir().expect("dir");
    let spec = spec("audit3", BotMode::Live, Plan::Grid);
    let mut config = setup(dir.path(), &sim, &spec);
    config.exchange.settle_wait_ms = 200;
    config.reconcile.audit_every_secs = 1;
    let hand = by_hand(&sim);
    sim.step(1);
    let runner = Runner::start(config, &Registry::builtin())
        .await
        .expect("runner");
    assert!(runner.unknown_orders().is_empty());
    let mut events = runner.events();
    hand.place_order(&order(
        WireSide::Buy,
        WireOrderType::Limit,
        Decimal::new(1, 1),
        Some(Decimal::from(1_000)),
        "manual-2",
    ))
    .await
    .expect("an order placed by hand");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !runner
        .unknown_orders()
        .iter()
        .any(|o| o.client_id.as_deref() == Some("manual-2"))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the periodic audit finds it within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Three more audits find it again; only the first finding was alerted.
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let mut alerts = 0;
    while let Ok(event) = events.try_recv() {
        if let vela_live::runner::bot::RunnerEvent::Alert { notice } = event
            && notice.topic == "unknown_order"
        {
            assert!(notice.message.contains("manual-2"), "{}", notice.message);
            alerts += 1;
        }
    }
    assert_eq!(alerts, 1, "one alert for one order");
    runner.shutdown(false).await;
}
