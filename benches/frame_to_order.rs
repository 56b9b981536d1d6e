//! Latency from a received kline frame to a signed order request ready to send, in
//! process (issue 7's target: p99 under 100 µs). Every frame: decode the protobuf push,
//! hand the bar to a vela-core engine (SMA 3/5 crossover with a stop loss and a daily loss
//! limit, the test kit's instant exchange answering its orders), and for every order it
//! submits build MEXC's signed query string (HMAC-SHA256). Each frame is timed on its own;
//! the percentiles are printed. The instant exchange's answers are inside the timing, so
//! the figures are upper bounds of the runner's own path.
//!
//! Run: `cargo bench --bench frame_to_order`.

#![allow(
    missing_docs,
    clippy::print_stdout,
    reason = "a benchmark binary reporting to stdout"
)]

use std::time::Instant;

use rust_decimal::Decimal;
use vela_core::prelude::*;
use vela_core::testkit::{self, FeeAsset, InstantExchange};
use vela_live::proto::{Kline, KlineInterval, PushBody, decode_push, encode::kline_frame};
use vela_live::rest::NewOrder;
use vela_live::secret::Credentials;

const FRAMES: usize = 200_000;

fn engine() -> Engine {
    let mut params = Params::new();
    params.set("fast", 3_i64).set("slow", 5_i64);
    let mut config = BotConfig::new(
        BotId::new("latency").expect("literal"),
        vec![testkit::btcusdt()],
        Decimal::new(1_000_000, 0),
        StrategySpec::new("crossover", params),
    );
    config.risk.stop_loss = Some(vela_core::risk::Limit::Percent(0.02));
    config.risk.daily_loss = Some(vela_core::risk::Limit::Percent(0.5));
    let mut engine = Engine::new(config, &Registry::builtin()).expect("valid config");
    engine
        .on_event(&Event::control(Timestamp(0), Control::Start))
        .expect("start");
    engine
}

/// A zig-zag that crosses the averages every few bars, so orders are frequent.
fn frames(symbol: &Symbol) -> Vec<Vec<u8>> {
    (0..FRAMES)
        .map(|i| {
            let phase = f64::from(u32::try_from(i % 8).expect("small"));
            let close = 30_000.0
                + if phase < 4.0 {
                    phase * 40.0
                } else {
                    (8.0 - phase) * 40.0
                };
            let ts = Timestamp(60_000 * i64::try_from(i).expect("small"));
            let bar = Bar {
                ts,
                open: close - 5.0,
                high: close + 10.0,
                low: close - 10.0,
                close,
                volume: 3.0,
            };
            let kline = Kline {
                interval: KlineInterval::Min1,
                bar,
                quote_volume: close * 3.0,
                close_time: Timestamp(ts.millis() + 60_000),
            };
            kline_frame(symbol, &kline, ts)
        })
        .collect()
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn report(name: &str, mut nanos: Vec<u64>) {
    nanos.sort_unstable();
    if nanos.is_empty() {
        println!("{name}: no samples");
        return;
    }
    println!(
        "{name}: {} frames · p50 {:.2} µs · p99 {:.2} µs · p99.9 {:.2} µs · max {:.2} µs",
        nanos.len(),
        percentile(&nanos, 0.50) as f64 / 1e3,
        percentile(&nanos, 0.99) as f64 / 1e3,
        percentile(&nanos, 0.999) as f64 / 1e3,
        *nanos.last().expect("not empty") as f64 / 1e3,
    );
}

fn main() {
    let symbol = testkit::btcusdt().symbol;
    let frames = frames(&symbol);
    let credentials =
        Credentials::new("bench-key-000000000", "bench-secret-0000000000000000").expect("valid");
    let mut engine = engine();
    let mut exchange = InstantExchange::new(FeeAsset::Received);
    let mut all = Vec::with_capacity(FRAMES);
    let mut with_order = Vec::new();
    let mut orders = 0_usize;
    let mut bytes = 0_usize;
    for frame in &frames {
        let start = Instant::now();
        let push = decode_push(frame).expect("valid frame");
        let PushBody::Kline(kline) = push.body else {
            panic!("a kline frame decoded as {:?}", push.body);
        };
        let commands = exchange.bar(&mut engine, kline.bar).expect("valid bar");
        let mut sent = 0;
        for command in &commands {
            if let Command::Submit(request) = command {
                let order = NewOrder::from_request(request);
                order.check().expect("a valid order");
                let signed =
                    order
                        .to_query()
                        .signed(credentials.secret(), kline.bar.ts.millis(), 5_000);
                bytes += signed.len();
                sent += 1;
            }
        }
        let elapsed = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        all.push(elapsed);
        if sent > 0 {
            with_order.push(elapsed);
            orders += sent;
        }
    }
    println!(
        "frame → signed order request, in process ({orders} orders, {bytes} bytes of signed queries)"
    );
    report("every kline frame", all);
    report("frames that produced an order", with_order);
}
