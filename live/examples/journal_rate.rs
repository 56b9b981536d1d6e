//! How many event writes per second the journal takes, each its own transaction and in
//! batches of 100, and how long reopening (checking the whole log) takes:
//! `cargo run -p vela-live --example journal_rate [events]` (dev profile: bundled `DuckDB`
//! unoptimised) or `cargo run --release -p vela-live --example journal_rate`.

#![allow(
    clippy::print_stdout,
    reason = "a measurement program: its output is the report"
)]

use std::time::Instant;

use rust_decimal::Decimal;
use vela_core::engine::{BotId, Event, OrderReport};
use vela_core::types::{
    Asset, Bar, ClientOrderId, Fill, OrderAmount, OrderOrigin, OrderRequest, OrderType, Side,
    Symbol, Timestamp,
};
use vela_live::journal::{BotRecord, Journal, PnlSnapshot};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let events: i64 = std::env::args().nth(1).map_or(Ok(2_000), |n| n.parse())?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.duckdb");
    let mut journal = Journal::open(&path)?;
    let id = BotId::new("rate")?;
    journal.add_bot(&BotRecord::bare(id.clone()))?;
    let symbol = Symbol::new("BTCUSDT")?;
    let bar = |i: i64| {
        #[allow(clippy::cast_precision_loss, reason = "small numbers")]
        let price = 60_000.0 + (i % 100) as f64;
        Event::bar(
            symbol.clone(),
            Bar {
                ts: Timestamp(1_700_000_000_000 + i * 1_000),
                open: price,
                high: price + 1.0,
                low: price - 1.0,
                close: price,
                volume: 1.5,
            },
        )
    };
    let report = |what: &str, seconds: f64| {
        #[allow(clippy::cast_precision_loss, reason = "a rate for people")]
        let rate = events as f64 / seconds;
        println!(
            "{events} bar events, {what}: {seconds:.2} s, {rate:.0} events/s, {:.3} ms per event",
            1e3 / rate
        );
    };
    let started = Instant::now();
    for i in 0..events {
        journal.record_event(&id, &bar(i))?;
    }
    report("one transaction each", started.elapsed().as_secs_f64());
    let started = Instant::now();
    for chunk in (events..2 * events).collect::<Vec<_>>().chunks(100) {
        journal.batch(|b| {
            for &i in chunk {
                b.record_event(&id, &bar(i))?;
            }
            Ok(())
        })?;
    }
    report("100 per transaction", started.elapsed().as_secs_f64());
    // What the runner writes for 100 paper bots at one bar time, in one group commit:
    // each bot's bar, timer and P&L snapshot.
    let bots: Vec<BotId> = (0..100)
        .map(|i| BotId::new(format!("bot{i}")))
        .collect::<Result<_, _>>()?;
    for bot in &bots {
        journal.add_bot(&BotRecord::bare(bot.clone()))?;
    }
    let bar_times = (events / 100).max(1);
    let started = Instant::now();
    for t in 0..bar_times {
        journal.batch(|b| {
            for bot in &bots {
                let event = bar(t);
                b.record_event(bot, &event)?;
                b.record_event(bot, &Event::Timer { ts: event.ts() })?;
                b.record_pnl(
                    bot,
                    &PnlSnapshot {
                        ts: event.ts(),
                        equity: Decimal::from(1_000),
                        realized: Decimal::ZERO,
                        unrealized: Decimal::ZERO,
                        fees: Decimal::ZERO,
                    },
                )?;
            }
            Ok(())
        })?;
    }
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "a rate for people")]
    let per_bot = seconds * 1e3 / (bar_times * 100) as f64;
    println!(
        "{bar_times} bar times of 100 bots (bar, timer, P&L each), one transaction per bar time: \
         {seconds:.2} s, {per_bot:.3} ms per bot and bar time"
    );
    trading_bar_times(&mut journal, &bots, bar_times, &symbol)?;
    drop(journal);
    let started = Instant::now();
    let journal = Journal::open(&path)?;
    println!(
        "reopening (checking the digest chain of {} entries): {:.2} s",
        journal.next_seq() - 1,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// What the runner writes for 100 paper bots at one bar time when ten of them trade, in one
/// group commit: each bot's bar and timer, and for the ten the fill of their last order, the
/// intent of a new one and its submission.
fn trading_bar_times(
    journal: &mut Journal,
    bots: &[BotId],
    bar_times: i64,
    symbol: &Symbol,
) -> Result<(), Box<dyn std::error::Error>> {
    let quantity = Decimal::new(1, 2);
    let client_id = |bot: &BotId, n: i64| {
        ClientOrderId::sequenced(bot.as_str(), u64::try_from(n).unwrap_or(0))
            .expect("a bot id and a number make a client order id")
    };
    let btc = Asset::new("BTC")?;
    let started = Instant::now();
    for t in 0..bar_times {
        let ts = Timestamp(1_800_000_000_000 + t * 1_000);
        journal.batch(|b| {
            for (i, bot) in bots.iter().enumerate() {
                b.record_event(bot, &Event::Timer { ts })?;
                if i64::try_from(i % 10).unwrap_or(0) != t % 10 {
                    continue;
                }
                if t >= 10 {
                    let fill = Fill {
                        client_id: client_id(bot, t - 10),
                        trade_id: format!("T{i}-{t}"),
                        symbol: symbol.clone(),
                        side: Side::Buy,
                        price: Decimal::from(60_000),
                        quantity,
                        fee: Decimal::ZERO,
                        fee_asset: btc.clone(),
                        is_maker: false,
                        ts,
                    };
                    b.record_event(
                        bot,
                        &Event::Order(OrderReport::Filled {
                            fill,
                            partial: false,
                        }),
                    )?;
                }
                let client_id = client_id(bot, t);
                let request = OrderRequest {
                    client_id: client_id.clone(),
                    symbol: symbol.clone(),
                    side: Side::Buy,
                    order_type: OrderType::Market,
                    amount: OrderAmount::Base(quantity),
                    price: None,
                    ts,
                };
                b.record_intent(bot, &request, OrderOrigin::Strategy)?;
                b.record_event(bot, &Event::Order(OrderReport::Submitted { client_id, ts }))?;
            }
            Ok(())
        })?;
    }
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "a rate for people")]
    let per_bar_time = seconds * 1e3 / bar_times as f64;
    println!(
        "{bar_times} bar times of 100 bots, 10 of them trading (fill, intent, submission), \
         one transaction per bar time: {seconds:.2} s, {per_bar_time:.2} ms per bar time"
    );
    Ok(())
}
