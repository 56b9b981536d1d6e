//! The history store: partitioned Parquet writes and range reads, merging and conflicts,
//! refusals, atomic files, the `DuckDB` catalog and SQL.

#[allow(dead_code, reason = "each test binary uses part of the shared readers")]
mod support;

use std::fs;
use std::path::{Path, PathBuf};

use vela_data::store::{
    Catalog, Conflict, CopyFormat, DatasetId, Store, StoreError, TimeRange, frame_hash,
};
use vela_data::{BarFrame, GeneratorSpec, Interval, Partial, Row, generate, resample};

const JAN_2024: i64 = 1_704_067_200_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 1_440 * MINUTE;

/// A fresh store directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vela-store-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn id(name: &str) -> DatasetId {
    name.parse().expect("a valid dataset name")
}

/// `bars` one-minute bars from `start`, seeded.
fn minutes(start: i64, bars: usize, seed: u64) -> BarFrame {
    generate(&GeneratorSpec {
        start_ts: start,
        ..GeneratorSpec::new(seed, bars)
    })
    .expect("valid generator spec")
}

fn partition_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("bars")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("readable dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .expect("under the root")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    out.sort();
    out
}

#[test]
fn writes_partitions_by_month_and_reads_back_exactly() {
    let root = scratch("roundtrip");
    let store = Store::open(&root).unwrap();
    let btc = id("mexc/BTCUSDT/1m");
    // 40 days of minutes: January and part of February 2024.
    let frame = minutes(JAN_2024, 40 * 1_440, 1);
    let summary = store.write(&btc, &frame, Conflict::Fail).unwrap();
    assert_eq!(
        (summary.added, summary.partitions_written),
        (frame.len(), 2)
    );
    assert_eq!(
        partition_files(&root),
        vec![
            "bars/exchange=mexc/symbol=BTCUSDT/interval=1m/period=2024-01/bars.parquet",
            "bars/exchange=mexc/symbol=BTCUSDT/interval=1m/period=2024-02/bars.parquet",
        ]
    );
    assert_eq!(store.read(&btc, TimeRange::ALL).unwrap(), frame);
    assert_eq!(store.datasets().unwrap(), vec![btc.clone()]);
    assert_eq!(store.last_ts(&btc).unwrap(), frame.ts.last().copied());

    // A range read is exact at both ends and across the partition boundary.
    let (from, to) = (
        JAN_2024 + 30 * DAY + 17 * MINUTE,
        JAN_2024 + 32 * DAY + 3 * MINUTE,
    );
    let part = store
        .read(&btc, TimeRange::new(Some(from), Some(to)))
        .unwrap();
    assert_eq!(part, frame.between(from, to));
    assert_eq!(part.ts.first(), Some(&from));
    assert_eq!(part.ts.last(), Some(&(to - MINUTE)));

    let info = store.info(&btc).unwrap();
    assert_eq!(
        (info.rows, info.gaps, info.missing_bars),
        (frame.len(), 0, 0)
    );
    assert_eq!(
        (info.first_ts, info.last_ts),
        (frame.ts[0], *frame.ts.last().unwrap())
    );
    assert!(info.has_quote_volume);
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn a_range_read_opens_only_the_partitions_it_needs() {
    let root = scratch("pushdown");
    let store = Store::open(&root).unwrap();
    let btc = id("mexc/BTCUSDT/1m");
    let frame = minutes(JAN_2024, 60 * 1_440, 2);
    store.write(&btc, &frame, Conflict::Fail).unwrap();
    // Destroy February: a January read must not touch it, a February read must say so.
    let feb =
        root.join("bars/exchange=mexc/symbol=BTCUSDT/interval=1m/period=2024-02/bars.parquet");
    fs::write(&feb, b"not parquet").unwrap();
    let jan = store
        .read(
            &btc,
            TimeRange::new(Some(JAN_2024 + DAY), Some(JAN_2024 + 2 * DAY)),
        )
        .unwrap();
    assert_eq!(jan.len(), 1_440);
    let err = store
        .read(&btc, TimeRange::new(Some(JAN_2024 + 40 * DAY), None))
        .unwrap_err();
    assert!(err.to_string().contains("period=2024-02"), "{err}");
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn importing_twice_changes_nothing_and_overlaps_merge() {
    let root = scratch("idempotent");
    let store = Store::open(&root).unwrap();
    let btc = id("binance/BTCUSDT/1m");
    let all = minutes(JAN_2024 + 20 * DAY, 20 * 1_440, 3);
    let first = all.slice(0..15_000);
    let second = all.slice(10_000..all.len());
    store.write(&btc, &first, Conflict::Fail).unwrap();
    let file =
        root.join("bars/exchange=binance/symbol=BTCUSDT/interval=1m/period=2024-01/bars.parquet");
    let bytes = fs::read(&file).unwrap();
    let modified = fs::metadata(&file).unwrap().modified().unwrap();
    let hash = store.info(&btc).unwrap().content_hash;

    let again = store.write(&btc, &first, Conflict::Fail).unwrap();
    assert!(again.unchanged(), "{again:?}");
    assert_eq!(again.added, 0);
    assert_eq!(fs::read(&file).unwrap(), bytes);
    assert_eq!(fs::metadata(&file).unwrap().modified().unwrap(), modified);
    assert_eq!(store.info(&btc).unwrap().content_hash, hash);

    let merged = store.write(&btc, &second, Conflict::Fail).unwrap();
    assert_eq!(merged.added, all.len() - 15_000);
    assert_eq!(store.read(&btc, TimeRange::ALL).unwrap(), all);

    // The content hash depends on the bars, not on how they were written.
    let other = Store::open(root.join("other")).unwrap();
    other.write(&btc, &all, Conflict::Fail).unwrap();
    assert_eq!(
        other.info(&btc).unwrap().content_hash,
        store.info(&btc).unwrap().content_hash
    );
    assert_ne!(frame_hash(&first), frame_hash(&all));
    let _ = fs::remove_dir_all(&root);
}

fn with_close(frame: &BarFrame, row: usize, close: f64) -> BarFrame {
    let mut changed = frame.clone();
    changed.close[row] = close;
    changed.high[row] = changed.high[row].max(close);
    changed.low[row] = changed.low[row].min(close);
    changed
}

#[test]
fn conflicting_bars_follow_the_named_policy() {
    let root = scratch("conflict");
    let store = Store::open(&root).unwrap();
    let btc = id("mexc/BTCUSDT/1m");
    let frame = minutes(JAN_2024, 100, 4);
    store.write(&btc, &frame, Conflict::Fail).unwrap();
    let changed = with_close(&frame, 42, frame.close[42] * 1.01);

    let err = store.write(&btc, &changed, Conflict::Fail).unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { count: 1, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("mexc/BTCUSDT/1m") && text.contains("2024-01-01T00:42:00Z"),
        "{text}"
    );
    assert!(text.contains("--on-conflict"), "{text}");
    assert_eq!(
        store.read(&btc, TimeRange::ALL).unwrap(),
        frame,
        "nothing written"
    );

    let kept = store.write(&btc, &changed, Conflict::KeepExisting).unwrap();
    assert_eq!((kept.kept, kept.partitions_written), (1, 0));
    assert_eq!(store.read(&btc, TimeRange::ALL).unwrap(), frame);

    let replaced = store.write(&btc, &changed, Conflict::Replace).unwrap();
    assert_eq!(replaced.replaced, 1);
    assert_eq!(store.read(&btc, TimeRange::ALL).unwrap(), changed);
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn bad_bars_are_refused_with_the_rows_named() {
    let root = scratch("refuse");
    let store = Store::open(&root).unwrap();
    let btc = id("mexc/BTCUSDT/1m");
    let frame = minutes(JAN_2024, 10, 5);

    let mut unsorted = frame.clone();
    unsorted.ts.swap(3, 4);
    let mut duplicated = frame.clone();
    duplicated.ts[5] = duplicated.ts[4];
    let mut inverted = frame.clone();
    inverted.high[6] = inverted.low[6] - 1.0;
    let mut nan = frame.clone();
    nan.volume[7] = f64::NAN;
    let mut misaligned = frame.clone();
    misaligned.ts[9] += 1;
    for (bad, says) in [
        (unsorted, "opens before the row above"),
        (duplicated, "share the open time"),
        (inverted, "high is below low"),
        (nan, "volume is NaN"),
        (misaligned, "not a bar open time"),
    ] {
        let err = store
            .write(&btc, &bad, Conflict::Fail)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mexc/BTCUSDT/1m") && err.contains(says),
            "{err}"
        );
    }
    assert!(!store.contains(&btc).unwrap(), "nothing stored");

    // Gaps and zero volume are data, and are stored (and counted).
    let mut gappy = frame.slice(0..3);
    gappy.append(&frame.slice(6..10));
    gappy.volume[0] = 0.0;
    store.write(&btc, &gappy, Conflict::Fail).unwrap();
    let info = store.info(&btc).unwrap();
    assert_eq!((info.rows, info.gaps, info.missing_bars), (7, 1, 3));

    // Quote volume is all or nothing within a dataset.
    let mut no_quote = minutes(JAN_2024 + DAY, 5, 6);
    no_quote.quote_volume = None;
    let err = store
        .write(&btc, &no_quote, Conflict::Fail)
        .unwrap_err()
        .to_string();
    assert!(err.contains("quote_volume"), "{err}");
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn leftover_temporary_files_are_never_read_as_data() {
    let root = scratch("atomic");
    let store = Store::open(&root).unwrap();
    let btc = id("mexc/BTCUSDT/1m");
    let frame = minutes(JAN_2024, 500, 7);
    store.write(&btc, &frame, Conflict::Fail).unwrap();
    let dir = root.join("bars/exchange=mexc/symbol=BTCUSDT/interval=1m/period=2024-01");
    // What a crash mid-write leaves: a half-written temporary file, and a period directory
    // holding only one.
    fs::write(dir.join(".bars.parquet.999.tmp"), b"PAR1 half a file").unwrap();
    let feb = root.join("bars/exchange=mexc/symbol=BTCUSDT/interval=1m/period=2024-02");
    fs::create_dir_all(&feb).unwrap();
    fs::write(feb.join(".bars.parquet.999.tmp"), b"PAR1").unwrap();
    assert_eq!(store.read(&btc, TimeRange::ALL).unwrap(), frame);
    assert_eq!(store.info(&btc).unwrap().rows, 500);
    let catalog = Catalog::open(&store).unwrap();
    catalog.sync(&store).unwrap();
    let rows = catalog
        .query("SELECT count(*) AS n FROM mexc_btcusdt_1m")
        .unwrap();
    assert!(rows.table(10).unwrap().contains("500"));
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn resampling_on_the_fly_matches_resampling_the_bars() {
    let root = scratch("resample");
    let store = Store::open(&root).unwrap();
    let btc = id("mexc/BTCUSDT/1m");
    let frame = minutes(JAN_2024 + 7 * MINUTE, 3 * 1_440, 8);
    store.write(&btc, &frame, Conflict::Fail).unwrap();
    let hours = store
        .read_resampled(&btc, Interval::H1, TimeRange::ALL, Partial::Drop)
        .unwrap();
    assert_eq!(
        hours,
        resample(&frame, Interval::M1, Interval::H1, Partial::Drop).unwrap()
    );
    // A range starting mid-hour starts at that hour's open, so the first bar is whole.
    let from = JAN_2024 + DAY + 30 * MINUTE;
    let part = store
        .read_resampled(
            &btc,
            Interval::H1,
            TimeRange::new(Some(from), None),
            Partial::Drop,
        )
        .unwrap();
    assert_eq!(part.ts[0], JAN_2024 + DAY);
    assert_eq!(
        part.row(0),
        hours.row(hours.ts.binary_search(&(JAN_2024 + DAY)).unwrap())
    );
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn catalog_records_coverage_views_and_runs_sql() {
    let root = scratch("catalog");
    let store = Store::open(&root).unwrap();
    let btc = id("mexc/BTCUSDT/1m");
    let eth = id("mexc/ETHUSDT/60m");
    let mut frame = minutes(JAN_2024, 2_000, 9);
    // Two gaps: 5 and 1 missing minutes.
    frame = {
        let mut f = frame.slice(0..100);
        f.append(&frame.slice(105..500));
        f.append(&frame.slice(501..2_000));
        f
    };
    store.write(&btc, &frame, Conflict::Fail).unwrap();
    let hours = generate(&GeneratorSpec {
        start_ts: JAN_2024,
        interval: Interval::H1,
        ..GeneratorSpec::new(10, 50)
    })
    .unwrap();
    store.write(&eth, &hours, Conflict::Fail).unwrap();

    let catalog = Catalog::open(&store).unwrap();
    let infos = catalog.sync(&store).unwrap();
    assert_eq!(infos.len(), 2);
    let table = catalog
        .query(
            "SELECT dataset, rows, gaps, missing_bars, partitions, content_hash FROM datasets \
             ORDER BY dataset",
        )
        .unwrap()
        .table(10)
        .unwrap();
    let btc_info = store.info(&btc).unwrap();
    assert!(table.contains("mexc/BTCUSDT/1m"), "{table}");
    assert!(table.contains(&btc_info.content_hash), "{table}");
    assert!(
        table.contains("| 1994 | 2    | 6            | 1          |"),
        "{table}"
    );

    let view = catalog
        .query("SELECT count(*) AS n, min(ts) AS first, sum(volume) > 0 AS traded FROM mexc_btcusdt_1m")
        .unwrap()
        .table(10)
        .unwrap();
    assert!(
        view.contains(&format!("| 1994 | {JAN_2024} | true")),
        "{view}"
    );

    let all = catalog
        .query("SELECT symbol, \"interval\", count(*) AS n FROM bars GROUP BY ALL ORDER BY symbol")
        .unwrap()
        .table(10)
        .unwrap();
    assert!(all.contains("| BTCUSDT | 1m       | 1994 |"), "{all}");
    assert!(all.contains("| ETHUSDT | 60m      | 50   |"), "{all}");

    // Results to files.
    let csv = root.join("out.csv");
    catalog
        .copy_to(
            "SELECT ts, close FROM mexc_ethusdt_60m ORDER BY ts LIMIT 3",
            &csv,
            CopyFormat::Csv,
        )
        .unwrap();
    let text = fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.starts_with("ts,close\n"), "{text}");
    let parquet = root.join("out.parquet");
    catalog
        .copy_to(
            "SELECT * FROM mexc_btcusdt_1m",
            &parquet,
            CopyFormat::Parquet,
        )
        .unwrap();
    let back = vela_data::import::read_parquet(&parquet).unwrap();
    assert_eq!(back, frame);

    let err = catalog
        .query("SELECT nope FROM datasets")
        .unwrap_err()
        .to_string();
    assert!(err.contains("SQL error") && err.contains("nope"), "{err}");

    // A dataset removed from disk leaves the catalog at the next sync.
    fs::remove_dir_all(eth.dir(&root)).unwrap();
    catalog.sync(&store).unwrap();
    let left = catalog.query("SELECT dataset FROM datasets").unwrap();
    assert_eq!(left.rows(), 1);
    assert!(catalog.query("SELECT * FROM mexc_ethusdt_60m").is_err());
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn dataframes_for_python_have_the_store_schema() {
    let root = scratch("polars");
    let store = Store::open(&root).unwrap();
    let btc = id("mexc/BTCUSDT/1m");
    let frame = minutes(JAN_2024, 300, 11);
    store.write(&btc, &frame, Conflict::Fail).unwrap();
    let df = store
        .read_dataframe(&btc, TimeRange::new(Some(JAN_2024 + 100 * MINUTE), None))
        .unwrap();
    let names: Vec<&str> = df.columns().iter().map(|c| c.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "ts",
            "open",
            "high",
            "low",
            "close",
            "volume",
            "quote_volume"
        ]
    );
    assert_eq!(df.height(), 200);
    let back = vela_data::store::from_dataframe(&df).unwrap();
    assert_eq!(back, frame.slice(100..300));
    let err = store
        .read(&id("mexc/NOPEUSDT/1m"), TimeRange::ALL)
        .unwrap_err();
    assert!(
        err.to_string().contains("no dataset mexc/NOPEUSDT/1m"),
        "{err}"
    );
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn the_real_freqtrade_feather_imports_with_its_gaps_recorded() {
    let Some(path) = support::real_file("freqtrade/UNITTEST_BTC-1m.feather") else {
        return;
    };
    let frame = vela_data::import::read_feather(&path).unwrap();
    // The importer agrees with an independent reader (arrow-rs) value for value.
    assert_eq!(frame, support::freqtrade_feather(&path));
    let root = scratch("freqtrade");
    let store = Store::open(&root).unwrap();
    let btc = id("binance/BTCUSDT/1m");
    store.write(&btc, &frame, Conflict::Fail).unwrap();
    let info = store.info(&btc).unwrap();
    // 13,681 candles, 538 gaps holding 717 missing minutes (see tests/real_files.rs).
    assert_eq!(
        (info.rows, info.gaps, info.missing_bars),
        (13_681, 538, 717)
    );
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn row_text_helper_is_exercised() {
    // Conflicts print the stored and the new bar so the user can see the difference.
    let root = scratch("rowtext");
    let store = Store::open(&root).unwrap();
    let btc = id("mexc/BTCUSDT/1m");
    let frame = minutes(JAN_2024, 3, 12);
    store.write(&btc, &frame, Conflict::Fail).unwrap();
    let mut changed = frame.clone();
    changed.volume[1] += 1.0;
    let text = store
        .write(&btc, &changed, Conflict::Fail)
        .unwrap_err()
        .to_string();
    let Row { volume, .. } = frame.row(1).unwrap();
    assert!(text.contains(&format!("v {volume}")), "{text}");
    let _ = fs::remove_dir_all(&root);
}

/// A partition file of a dataset without quote volume (its column all null) imports back
/// as bars without quote volume: what the store writes, the importer reads.
#[test]
fn a_partition_file_without_quote_volume_imports_back() {
    let root = scratch("reimport");
    let store = Store::open(&root).unwrap();
    let btc = id("mexc/BTCUSDT/1m");
    let mut frame = minutes(JAN_2024, 120, 5);
    frame.quote_volume = None;
    store.write(&btc, &frame, Conflict::Fail).unwrap();
    let files = partition_files(&root);
    assert_eq!(files.len(), 1, "{files:?}");
    let (back, _) = vela_data::import::read_file(&root.join(&files[0])).unwrap();
    assert_eq!(back, frame);
    let _ = fs::remove_dir_all(&root);
}
