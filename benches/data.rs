//! Benchmarks of the data layer: CSV import, the synthetic generator and resampling, each
//! over 1,000,000 one-minute bars. Run with `cargo bench --bench data`; figures in
//! BENCHMARKS.md.

#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vela_data::import::read_csv;
use vela_data::{BarFrame, GeneratorSpec, Interval, Partial, generate, resample};

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

criterion_group!(benches, data);
criterion_main!(benches);
