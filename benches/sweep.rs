//! Benchmarks of `vela sweep`'s engine on 1,000,000 seeded synthetic one-minute bars
//! (`vela_data::generate`, seed 7): the SMA crossover over every `(fast, slow)` pair with
//! `fast < slow` of 20 windows (10, 20, …, 200: 190 pairs, vectorbt's `run_combs` case),
//! the whole sweep (shared moving averages, signals, simulations with streamed statistics)
//! on the default rayon pool. Throughput is in bar-combinations. Run with
//! `cargo bench --bench sweep`; figures in BENCHMARKS.md.

#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vela_backtest::sweep::{self, Dataset, Grid, GridSpec, Plan};
use vela_backtest::vector::VectorConfig;
use vela_core::strategy::Registry;
use vela_core::testkit;
use vela_data::{GeneratorSpec, generate};

const BARS: usize = 1_000_000;

fn plan(registry: &Registry, windows: &str, ma: &str) -> Plan {
    let mut spec = GridSpec::default();
    spec.push_text(&format!("fast={windows}")).expect("grid");
    spec.push_text(&format!("slow={windows}")).expect("grid");
    spec.push_text(&format!("ma={ma}")).expect("grid");
    spec.constraints.push("fast < slow".to_owned());
    let schema = &registry.get("crossover").expect("crossover").schema;
    Plan::new(registry, Grid::new(schema, &spec).expect("grid")).expect("plan")
}

fn sweeps(c: &mut Criterion) {
    let frame = generate(&GeneratorSpec::new(7, BARS)).expect("generator");
    let registry = Registry::builtin();
    let datasets = [Dataset::from_frame("synthetic", &frame)];
    let config = VectorConfig::new(testkit::btcusdt(), 10_000.0);
    let mut group = c.benchmark_group("sweep_1m_bars");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for (name, ma) in [("sma", "sma"), ("ema", "ema")] {
        let plan = plan(&registry, "10:200:10", ma);
        assert_eq!(plan.len(), 190);
        group.throughput(Throughput::Elements((BARS * plan.len()) as u64));
        group.bench_function(format!("crossover_{name}_190_pairs"), |b| {
            b.iter(|| {
                black_box(sweep::run(&registry, &plan, &datasets, &config, &|_| {}).expect("sweep"))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, sweeps);
criterion_main!(benches);
