//! `vela data fetch mexc` run as a user would, against the test kline server: a fetch into
//! the store, an interrupted fetch resumed, and a re-run that does nothing.

#[path = "../../data/tests/support/mexc_server.rs"]
mod mexc_server;

use std::process::Output;

use crate::support::{text, vela};

use mexc_server::KlineServer;
use vela_data::store::{DatasetId, Store, TimeRange};
use vela_data::{BarFrame, GeneratorSpec, Interval, generate};

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;
const MINUTE: i64 = 60_000;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scratch(name: &str) -> crate::support::Scratch {
    crate::support::scratch("fetch", name)
}

/// `n` seeded 1m bars from 2024-01-01, with quote volume as MEXC sends it.
fn served(n: usize) -> BarFrame {
    let mut frame = generate(&GeneratorSpec {
        start_ts: T0,
        ..GeneratorSpec::new(11, n)
    })
    .expect("generated bars");
    frame.quote_volume = Some(
        frame
            .close
            .iter()
            .zip(&frame.volume)
            .map(|(c, v)| c * v)
            .collect(),
    );
    frame
}

/// `vela data fetch mexc btcusdt 1m` over the first `minutes` minutes of 2024.
fn fetch(server: &KlineServer, store: &str, minutes: i64) -> Output {
    let until = (T0 + minutes * MINUTE).to_string();
    vela(&[
        "data",
        "fetch",
        "mexc",
        "btcusdt",
        "1m",
        "--since",
        "2024-01-01",
        "--until",
        &until,
        "--base-url",
        server.url(),
        "--data-dir",
        store,
    ])
}

fn stored(store: &str) -> BarFrame {
    let id = DatasetId::new("mexc", "BTCUSDT", Interval::M1).expect("dataset id");
    Store::open(store)
        .expect("store")
        .read(&id, TimeRange::ALL)
        .expect("stored bars")
}

#[test]
fn fetch_stores_every_bar_and_a_rerun_is_a_no_op() {
    let dir = scratch("full");
    let store = dir.join("store").display().to_string();
    let bars = served(2_500);
    let server = KlineServer::start("BTCUSDT", Interval::M1, bars.clone());

    let out = fetch(&server, &store, 2_500);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains(
            "mexc/BTCUSDT/1m: stored 2500 bars from 2024-01-01T00:00:00Z to \
             2024-01-02T17:39:00Z (3 requests, 0 retries)"
        ),
        "{}",
        text(&out)
    );
    // No progress bar when stderr is not a terminal.
    assert!(out.stderr.is_empty(), "{}", text(&out));
    assert_eq!(stored(&store), bars);

    server.clear_hits();
    let out = fetch(&server, &store, 2_500);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("mexc/BTCUSDT/1m: up to date (last bar 2024-01-02T17:39:00Z)"),
        "{}",
        text(&out)
    );
    assert!(server.hits().is_empty(), "a re-run asks for nothing");
    assert_eq!(stored(&store), bars);
}

#[test]
fn an_interrupted_fetch_keeps_its_bars_and_resumes() {
    let dir = scratch("resume");
    let store = dir.join("store").display().to_string();
    // More than the 10,000 bars the command holds before writing: both the write during
    // the fetch and the one after the error are exercised.
    let bars = served(12_500);
    let server = KlineServer::start("BTCUSDT", Interval::M1, bars.clone());

    // The server stops answering after eleven windows: the fetch fails, keeping them.
    server.faults(|f| f.stop_after = Some(11));
    let out = fetch(&server, &store, 12_500);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(
            "BTCUSDT 1m [2024-01-08T15:20:00Z, 2024-01-09T08:00:00Z): MEXC error -1: test \
             server stopped"
        ),
        "{}",
        text(&out)
    );
    assert!(
        stdout(&out).contains("stored 11000 bars before the error"),
        "{}",
        text(&out)
    );
    assert_eq!(stored(&store).len(), 11_000);

    // Run again: only the rest is asked for.
    server.faults(|f| f.stop_after = None);
    server.clear_hits();
    let out = fetch(&server, &store, 12_500);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("stored 1500 bars from 2024-01-08T15:20:00Z"),
        "{}",
        text(&out)
    );
    let hits = server.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].start_time, Some(T0 + 11_000 * MINUTE));
    assert_eq!(stored(&store), bars);
}

#[test]
fn an_unknown_symbol_fails_with_mexcs_error_and_stores_nothing() {
    let dir = scratch("symbol");
    let store = dir.join("store").display().to_string();
    let server = KlineServer::start("ETHUSDT", Interval::M1, served(10));
    let out = fetch(&server, &store, 10);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("BTCUSDT 1m [2024-01-01T00:00:00Z, 2024-01-01T00:10:00Z): MEXC error -1121: Invalid symbol."),
        "{}",
        text(&out)
    );
    assert_eq!(server.hits().len(), 1);
    let id = DatasetId::new("mexc", "BTCUSDT", Interval::M1).expect("dataset id");
    let store = Store::open(&store).expect("store");
    assert!(!store.contains(&id).expect("listing"), "nothing stored");
}
