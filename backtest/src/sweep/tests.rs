//! Sweep tests: rows equal single runs, outputs are byte-identical across thread counts,
//! errors name their input.

use vela_core::strategy::{BarSeries, Registry};
use vela_core::testkit;
use vela_data::BarFrame;

use super::*;
use crate::vector::{Market, Orders, Record, Simulator, VectorConfig};

fn plan(registry: &Registry, name: &str, entries: &[&str], constraints: &[&str]) -> Plan {
    try_plan(registry, name, entries, constraints).unwrap()
}

fn try_plan(
    registry: &Registry,
    name: &str,
    entries: &[&str],
    constraints: &[&str],
) -> Result<Plan, SweepError> {
    let mut spec = GridSpec::default();
    for e in entries {
        spec.push_text(e)?;
    }
    spec.constraints = constraints.iter().map(|c| (*c).to_owned()).collect();
    let schema = &registry.get(name)?.schema;
    Plan::new(registry, Grid::new(schema, &spec)?)
}

fn frames() -> Vec<(String, BarFrame)> {
    let mut out = vec![(
        "walk".to_owned(),
        BarFrame::from_bars(&testkit::random_walk(5_000, 100.0, 0.004, 21)),
    )];
    if let Some(real) = testkit::real_btc_1m(8_000) {
        out.push(("real".to_owned(), BarFrame::from_bars(&real)));
    }
    out
}

fn config() -> VectorConfig {
    VectorConfig::new(testkit::btcusdt(), 10_000.0)
}

#[test]
fn every_row_equals_a_single_run_with_the_registry_signals() {
    let registry = Registry::builtin();
    let frames = frames();
    let datasets: Vec<Dataset<'_>> = frames
        .iter()
        .map(|(name, f)| Dataset::from_frame(name.clone(), f))
        .collect();
    let cases = [
        (
            "crossover",
            vec!["fast=3:15:4", "slow=10,30", "ma=sma,ema"],
            vec!["fast < slow"],
        ),
        ("breakout", vec!["channel=10,30", "atr_mult=0,2"], vec![]),
        (
            "mean_reversion",
            vec!["period=15,30", "rsi_confirm=true,false"],
            vec![],
        ),
        (
            "volume_spike",
            vec!["window=20,40", "z_threshold=1.5,2", "max_bars=10,60"],
            vec![],
        ),
    ];
    let lean = Simulator::new(VectorConfig {
        record: Record {
            equity: false,
            trades: false,
        },
        ..config()
    })
    .unwrap();
    for (name, entries, constraints) in cases {
        let plan = plan(&registry, name, &entries, &constraints);
        let results = run(&registry, &plan, &datasets, &config(), &|_| {}).unwrap();
        assert_eq!(results.rows.len(), plan.len() * datasets.len());
        let mut traded = 0;
        for (k, row) in results.rows.iter().enumerate() {
            assert_eq!(
                (row.dataset, row.combination),
                (k / plan.len(), k % plan.len())
            );
            let bars = datasets[row.dataset].bars;
            let signals = registry
                .signals(&plan.spec(row.combination), &bars)
                .unwrap()
                .unwrap();
            let market = Market::new(bars).unwrap();
            let single = lean.run(&market, Orders::from(&signals)).unwrap();
            assert_eq!(
                row.stats,
                single.result.stats,
                "{name} {}",
                plan.describe(row.combination)
            );
            assert_eq!(row.refused, single.refused.total());
            traded += usize::from(row.stats.trades > 0);
        }
        assert!(
            traded * 2 > results.rows.len(),
            "{name}: {traded} rows trade"
        );
    }
}

#[test]
fn outputs_are_byte_identical_with_one_and_two_threads() {
    let registry = Registry::builtin();
    let frames = frames();
    let datasets: Vec<Dataset<'_>> = frames
        .iter()
        .map(|(name, f)| Dataset::from_frame(name.clone(), f))
        .collect();
    let plan = plan(
        &registry,
        "crossover",
        &["fast=2:20:3", "slow=10:60:10"],
        &["fast < slow"],
    );
    let names: Vec<String> = datasets.iter().map(|d| d.name.clone()).collect();
    let dir = tempfile::tempdir().unwrap();
    let outputs = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let results = run(&registry, &plan, &datasets, &config(), &|_| {}).unwrap();
            let order = rank(&results, Metric::Sharpe);
            let table = Table {
                plan: &plan,
                datasets: &names,
                results: &results,
                order: &order,
            };
            let mut files = Vec::new();
            for ext in ["csv", "parquet"] {
                let path = dir.path().join(format!("t{threads}.{ext}"));
                table.write(&path).unwrap();
                files.push(std::fs::read(&path).unwrap());
            }
            files.push(
                heatmap_svg(&plan, &results, Metric::Sharpe, "walk")
                    .unwrap()
                    .into_bytes(),
            );
            let picks: Vec<(usize, usize)> = order
                .iter()
                .take(3)
                .map(|&i| (results.rows[i].dataset, results.rows[i].combination))
                .collect();
            let curves = equity_curves(&registry, &plan, &datasets, &config(), &picks).unwrap();
            let fingerprint = Fingerprint::new(&plan, &config(), &[], &datasets, &results);
            (results, files, curves, fingerprint)
        })
    };
    let one = outputs(1);
    let two = outputs(2);
    assert_eq!(one.0, two.0);
    for (a, b) in one.1.iter().zip(&two.1) {
        assert!(a == b, "files differ between 1 and 2 threads");
    }
    assert_eq!(one.2, two.2);
    assert_eq!(one.3, two.3);
    // The CSV starts with the header and the best row.
    let csv = String::from_utf8(one.1[0].clone()).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("rank,dataset,combination,fast,slow,total_return,cagr,sharpe"),
        "{header}"
    );
    assert_eq!(csv.lines().count(), one.0.rows.len() + 1);
    // Curves of the top rows: their last point is the row's final equity.
    for (curve, &i) in one.2.iter().zip(&rank(&one.0, Metric::Sharpe)) {
        assert_eq!(
            curve.equity.last().copied(),
            Some(one.0.rows[i].final_equity)
        );
    }
    // The fingerprint changes with the data and the settings.
    let other_bars = BarFrame::from_bars(&testkit::random_walk(5_000, 100.0, 0.004, 22));
    let other = Fingerprint::new(
        &plan,
        &VectorConfig {
            slippage_bps: 5.0,
            ..config()
        },
        &[],
        &[Dataset::from_frame("walk", &other_bars)],
        &one.0,
    );
    assert_ne!(other.config, one.3.config);
    assert_ne!(other.data, one.3.data);
    assert_eq!(other.results, one.3.results);
}

#[test]
fn errors_name_the_input() {
    let registry = Registry::builtin();
    let err = |r: Result<Plan, SweepError>| r.unwrap_err().to_string();
    assert!(
        err(try_plan(&registry, "nope", &["a=1"], &[])).starts_with("unknown strategy \"nope\"")
    );
    let e = err(try_plan(&registry, "dca", &["quote_amount=10"], &[]));
    assert!(e.contains("has no vectorised form"), "{e}");
    let e = err(try_plan(
        &registry,
        "crossover",
        &["fast=5:50:5", "slow=20"],
        &[],
    ));
    assert!(
        e.starts_with("combination fast=20 slow=20: strategy crossover: parameter `fast` = 20 must be less than slow (20); skip such combinations with a constraint"),
        "{e}"
    );
    let e = err(try_plan(
        &registry,
        "crossover",
        &["fast=30:50:5", "slow=20"],
        &["fast < slow"],
    ));
    assert_eq!(
        e,
        "empty grid: the constraints (fast < slow) leave none of the 5 combinations"
    );
    let plan = plan(&registry, "crossover", &["fast=5"], &[]);
    assert_eq!(plan.len(), 1);
    let e = run(&registry, &plan, &[], &config(), &|_| {})
        .unwrap_err()
        .to_string();
    assert_eq!(e, "no dataset given: a sweep needs at least one");
    let empty = BarSeries::default();
    let data = [Dataset {
        name: "sample/BTCUSDT/1m".to_owned(),
        bars: empty.columns(),
        content_hash: String::new(),
    }];
    let e = run(&registry, &plan, &data, &config(), &|_| {})
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "dataset sample/BTCUSDT/1m: bar columns are empty: nothing to simulate"
    );
    let e = heatmap_svg(&plan, &SweepResults::default(), Metric::Sharpe, "x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("exactly two swept parameters"), "{e}");
}

#[test]
fn progress_counts_every_combination() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let registry = Registry::builtin();
    let frames = frames();
    let datasets = [Dataset::from_frame("walk", &frames[0].1)];
    let plan = plan(
        &registry,
        "volume_spike",
        &["window=10:40:10", "z_threshold=1,2"],
        &[],
    );
    let done = AtomicU64::new(0);
    let results = run(&registry, &plan, &datasets, &config(), &|n| {
        done.fetch_add(n, Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(done.load(Ordering::Relaxed), 8);
    // Four distinct windows: four shared columns.
    assert_eq!(results.columns_computed, 4);
    assert_eq!(results.bar_combinations(plan.len()), 5_000 * 8);
}

#[test]
fn a_cancelled_sweep_stops_with_cancelled_and_an_uncancelled_one_finishes() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let registry = Registry::builtin();
    let frames = frames();
    let datasets = [Dataset::from_frame("walk", &frames[0].1)];
    let plan = plan(
        &registry,
        "crossover",
        &["fast=2:20:1", "slow=21:40:1"],
        &[],
    );
    let done = AtomicU64::new(0);
    // Cancelled after the first finished combination: the sweep must not run them all.
    let cancel = AtomicBool::new(false);
    let outcome = run_cancellable(
        &registry,
        &plan,
        &datasets,
        &config(),
        &|n| {
            done.fetch_add(n, Ordering::Relaxed);
            cancel.store(true, Ordering::Relaxed);
        },
        &cancel,
    );
    assert!(matches!(outcome, Err(SweepError::Cancelled)), "{outcome:?}");
    assert!((done.load(Ordering::Relaxed) as usize) < plan.len());
    let never = AtomicBool::new(false);
    let full = run_cancellable(&registry, &plan, &datasets, &config(), &|_| {}, &never)
        .expect("not cancelled");
    assert_eq!(full.rows.len(), plan.len());
}
