#![allow(dead_code, reason = "each test file uses part of the shared support")]
//! A simulator on loopback for the adapter tests, and the bars it replays.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rust_decimal::Decimal;
use vela_core::sim::SimConfig;
use vela_core::types::instrument::stubs;
use vela_core::types::{Bar, Timestamp};
use vela_live::rest::{RestClient, RestConfig};
use vela_live::secret::Credentials;
use vela_live::sim::outgoing::Outgoing;
use vela_live::sim::server::{ServerConfig, SimServer};
use vela_live::sim::state::{AccountSetup, SimSetup};

pub(crate) const KEY: &str = "mx0vglTESTKEY0000001";
/// A canary: it must never show up in any log line, error or `Debug` output.
pub(crate) const SECRET: &str = "CANARY-5ecret-d0-not-print-1f2e3d";
pub(crate) const START: i64 = 1_699_999_980_000; // on the minute grid

/// `n` one-minute bars of a deterministic zig-zag around 100 (prices on BTCUSDT's
/// 2-decimal grid, so limit prices can sit exactly between bars).
pub(crate) fn bars(n: usize) -> Vec<Bar> {
    (0..n)
        .map(|i| {
            let step = f64::from(u32::try_from(i % 20).expect("small"));
            let base = 100.0 + if (i / 20) % 2 == 0 { step } else { 20.0 - step };
            Bar {
                ts: Timestamp(START + 60_000 * i64::try_from(i).expect("small")),
                open: base,
                high: base + 1.5,
                low: base - 1.5,
                close: base + 0.5,
                volume: 10.0,
            }
        })
        .collect()
}

/// What the simulator published, for assertions.
pub(crate) type Published = Arc<Mutex<Vec<Outgoing>>>;

pub(crate) struct Harness {
    pub(crate) server: SimServer,
    pub(crate) published: Published,
}

pub(crate) async fn start(config: ServerConfig) -> Harness {
    let instrument = stubs::btcusdt();
    let setup = SimSetup {
        series: vec![(instrument.symbol.clone(), bars(200))],
        instruments: vec![instrument],
        interval_ms: 60_000,
        fill: SimConfig::default(),
        accounts: vec![AccountSetup {
            api_key: KEY.to_owned(),
            secret: SECRET.to_owned(),
            balances: vec![
                ("USDT".to_owned(), Decimal::from(10_000)),
                ("BTC".to_owned(), Decimal::ONE),
            ],
        }],
    };
    let published: Published = Arc::default();
    let sink = Arc::clone(&published);
    let server = SimServer::start(
        setup,
        config,
        Arc::new(move |out| sink.lock().expect("sink").extend(out)),
        |_, _| axum::Router::new(),
    )
    .await
    .expect("simulator starts");
    Harness { server, published }
}

pub(crate) fn client(harness: &Harness, secret: &str, timeout: Duration) -> RestClient {
    let config = RestConfig {
        base_url: harness.server.rest_url(),
        timeout,
        ..RestConfig::default()
    };
    RestClient::new(config, Some(Credentials::new(KEY, secret).expect("valid"))).expect("client")
}
