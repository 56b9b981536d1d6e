//! Benchmarks of the data layer: CSV import, the synthetic generator and resampling, each
//! over 1,000,000 one-minute bars; the Parquet store's reads (10,000,000 bars of one symbol,
//! and a 1-day slice out of a year of 1m bars) and writes. Run with
//! `cargo bench --bench data`; figures in BENCHMARKS.md.

#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vela_data::import::read_csv;
use vela_data::store::{Conflict, DatasetId, Store, TimeRange};
use vela_data::{BarFrame, GeneratorSpec, Interval, Partial, generate, resample};

/// 2024-01-01T00:00:00Z.
const JAN_2024: i64 = 1_704_067_200_000;
const DAY_MS: i64 = 86_400_000;

const ROWS: usize = 1_000_000;

fn bars() -> BarFrame {
    generate(&GeneratorSpec::new(7, ROWS)).expect("valid generator spec")
}

/// The frame as a plain CSV with a header and millisecond timestamps.
fn csv_text(frame: &BarFrame) -> String {
    let mut text = String::from("ts,open,high,low,close,volume,quote_volume\n");
    for row in frame.rows() {
        let quote = row.quote_volume.unwrap_or_default();
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{}",
            row.ts, row.open, row.high, row.low, row.close, row.volume, quote
        );
    }
    text
}

fn data(c: &mut Criterion) {
    let frame = bars();
    let text = csv_text(&frame);
    let mut group = c.benchmark_group("data_1m_rows");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    group.bench_function("import_csv", |b| {
        b.iter(|| read_csv(black_box(text.as_bytes()), "bench.csv").expect("valid CSV"));
    });
    group.bench_function("generate", |b| b.iter(bars));
    group.bench_function("resample_1m_to_60m", |b| {
        b.iter(|| resample(black_box(&frame), Interval::M1, Interval::H1, Partial::Drop));
    });
    group.finish();
}

/// A store holding `bars` one-minute bars from 2024-01-01 as `mexc/<symbol>/1m`, in a
/// directory under the system's temp dir (rebuilt on every run).
fn store_with(symbol: &str, bars: usize) -> (Store, DatasetId) {
    let root = std::env::temp_dir().join(format!("vela-bench-store-{symbol}"));
    let _ = std::fs::remove_dir_all(&root);
    let store = Store::open(&root).expect("a store in the temp dir");
    let id = DatasetId::new("mexc", symbol, Interval::M1).expect("a valid name");
    let frame = generate(&GeneratorSpec {
        start_ts: JAN_2024,
        ..GeneratorSpec::new(11, bars)
    })
    .expect("valid generator spec");
    store
        .write(&id, &frame, Conflict::Fail)
        .expect("bars stored");
    (store, id)
}

fn store(c: &mut Criterion) {
    const TEN_MILLION: usize = 10_000_000;
    const YEAR: usize = 366 * 1_440;
    let mut group = c.benchmark_group("store");
    group.sample_size(10);

    let frame = bars();
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("write_1m_bars_new_dataset", |b| {
        let root = std::env::temp_dir().join("vela-bench-store-write");
        let id = DatasetId::new("mexc", "WRITEUSDT", Interval::M1).expect("a valid name");
        b.iter(|| {
            let _ = std::fs::remove_dir_all(&root);
            let store = Store::open(&root).expect("a store");
            store
                .write(&id, black_box(&frame), Conflict::Fail)
                .expect("stored")
        });
    });
    drop(frame);

    let (big, big_id) = store_with("BIGUSDT", TEN_MILLION);
    group.throughput(Throughput::Elements(TEN_MILLION as u64));
    group.bench_function("read_10m_bars_one_symbol", |b| {
        b.iter(|| big.read(black_box(&big_id), TimeRange::ALL).expect("read"));
    });

    let (year, year_id) = store_with("YEARUSDT", YEAR);
    let day = TimeRange::new(Some(JAN_2024 + 200 * DAY_MS), Some(JAN_2024 + 201 * DAY_MS));
    group.throughput(Throughput::Elements(1_440));
    group.bench_function("read_1_day_of_a_year_of_1m", |b| {
        b.iter(|| year.read(black_box(&year_id), day).expect("read"));
    });
    group.throughput(Throughput::Elements(YEAR as u64));
    group.bench_function("read_whole_year_of_1m", |b| {
        b.iter(|| {
            year.read(black_box(&year_id), TimeRange::ALL)
                .expect("read")
        });
    });
    group.finish();
}

criterion_group!(benches, data, store);
criterion_main!(benches);
