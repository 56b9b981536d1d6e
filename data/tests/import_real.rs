//! The CSV importer on real files from ../shared/data/real (test input only).

#![allow(missing_docs, reason = "test crate")]

use std::fs::File;
use std::path::PathBuf;

use vela_data::import::{CsvLayout, read_csv};

fn real(path: &str) -> Option<PathBuf> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/real")
        .join(path);
    if full.exists() {
        Some(full)
    } else {
        #[allow(clippy::print_stderr, reason = "a skipped real-data test says so")]
        {
            eprintln!("SKIPPED: {} not found", full.display());
        }
        None
    }
}

#[test]
fn the_45k_bar_btc_series_with_iso_timestamps() {
    let Some(path) = real("nautilus_trader/btc-perp-20211231-20220201_1m.csv") else {
        return;
    };
    let (frame, layout) = read_csv(File::open(&path).unwrap(), "btc-perp.csv").unwrap();
    assert_eq!(layout, CsvLayout::Plain);
    assert_eq!(frame.len(), 45_031);
    // 2021-12-31 23:01 → 2022-02-01 05:31 UTC, one bar a minute.
    assert_eq!(frame.ts[0], 1_640_991_660_000);
    assert_eq!(*frame.ts.last().unwrap(), 1_643_693_460_000);
    assert!(frame.ts.windows(2).all(|w| w[1] - w[0] == 60_000));
    let first = (frame.open[0], frame.high[0], frame.low[0], frame.close[0]);
    assert_eq!(first, (46_319.0, 46_385.0, 46_319.0, 46_377.0));
    assert!(frame.quote_volume.is_none());
}

#[test]
fn binance_kline_files_keep_their_quote_volume() {
    let Some(path) = real("nautilus_trader/ADABTC-1m-2021-11-28.csv") else {
        return;
    };
    let (frame, layout) = read_csv(File::open(&path).unwrap(), "ADABTC-1m-2021-11-28.csv").unwrap();
    assert_eq!(layout, CsvLayout::Binance);
    assert_eq!(frame.len(), 11);
    let quote = frame.quote_volume.as_ref().unwrap();
    assert!(quote.len() == 11 && quote.iter().all(|q| *q > 0.0));
    assert!(frame.ts.windows(2).all(|w| w[1] - w[0] == 60_000));
}
