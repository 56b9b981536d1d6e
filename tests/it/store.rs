//! The history store from the command line: import (idempotent, merging), list, SQL,
//! check and resample of stored datasets, generate into the store, and the bundled sample.

use std::path::Path;
use std::process::Command;

use crate::support::{text, vela};

fn ok(args: &[&str]) -> String {
    let out = vela(args);
    assert!(out.status.success(), "vela {args:?}:\n{}", text(&out));
    text(&out)
}

fn fails(args: &[&str]) -> String {
    let out = vela(args);
    assert!(
        !out.status.success(),
        "vela {args:?} should fail:\n{}",
        text(&out)
    );
    text(&out)
}

fn scratch(name: &str) -> crate::support::Scratch {
    crate::support::scratch("store", name)
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// Binance's 12-column kline layout, no header: 2024-01-01 00:00 onwards, `n` minutes.
fn binance_csv(path: &Path, from_minute: i64, n: i64) {
    let mut text = String::new();
    for m in from_minute..from_minute + n {
        let t = 1_704_067_200_000 + m * 60_000;
        let close = 100.0 + m as f64;
        text.push_str(&format!(
            "{t},{o},{h},{l},{close},2.5,{ct},250.0,10,1.0,100.0,0\n",
            o = close - 0.5,
            h = close + 1.0,
            l = close - 1.0,
            ct = t + 59_999
        ));
    }
    std::fs::write(path, text).expect("csv written");
}

#[test]
fn import_is_idempotent_merges_overlaps_and_answers_sql() {
    let dir = scratch("import");
    let store = s(&dir.join("store"));
    let first = dir.join("BTCUSDT-1m-a.csv");
    let second = dir.join("BTCUSDT-1m-b.csv");
    binance_csv(&first, 0, 120);
    binance_csv(&second, 60, 120);

    let out = ok(&[
        "data",
        "import",
        &s(&first),
        "--exchange",
        "binance",
        "--symbol",
        "BTCUSDT",
        "--data-dir",
        &store,
    ]);
    assert!(
        out.contains("(Binance klines CSV, 120 bars) → binance/BTCUSDT/1m: 120 new"),
        "{out}"
    );
    let out = ok(&[
        "data",
        "import",
        &s(&first),
        "--exchange",
        "binance",
        "--symbol",
        "BTCUSDT",
        "--data-dir",
        &store,
    ]);
    assert!(
        out.contains("0 new, 0 replaced, 0 kept as stored, 0 partition(s) written"),
        "{out}"
    );
    let out = ok(&[
        "data",
        "import",
        &s(&second),
        "--exchange",
        "binance",
        "--symbol",
        "BTCUSDT",
        "--data-dir",
        &store,
    ]);
    assert!(out.contains("60 new"), "{out}");
    assert!(
        out.contains(
            "binance/BTCUSDT/1m: 180 bars, 2024-01-01T00:00:00Z → 2024-01-01T02:59:00Z, 0 gap(s)"
        ),
        "{out}"
    );

    let out = ok(&["data", "list", "--data-dir", &store]);
    assert!(out.contains("binance/BTCUSDT/1m: 180 bars"), "{out}");

    let out = ok(&[
        "data",
        "sql",
        "SELECT count(*) AS n, count(DISTINCT ts) AS distinct_ts, max(close) AS top FROM binance_btcusdt_1m",
        "--data-dir",
        &store,
    ]);
    assert!(out.contains("| 180 | 180         | 279.0 |"), "{out}");
    let out = ok(&[
        "data",
        "sql",
        "SELECT dataset, rows, gaps FROM datasets",
        "--data-dir",
        &store,
    ]);
    assert!(
        out.contains("| binance/BTCUSDT/1m | 180  | 0    |"),
        "{out}"
    );

    let csv = dir.join("hourly.csv");
    let out = ok(&[
        "data",
        "sql",
        "SELECT time_bucket(INTERVAL 1 hour, time) AS hour, last(close ORDER BY ts) AS close FROM binance_btcusdt_1m GROUP BY 1 ORDER BY 1",
        "--out",
        &s(&csv),
        "--data-dir",
        &store,
    ]);
    assert!(out.contains("wrote"), "{out}");
    let written = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(written.lines().count(), 4, "{written}");

    let out = ok(&[
        "data",
        "sql",
        "SELECT * FROM range(500)",
        "--data-dir",
        &store,
    ]);
    assert!(out.contains("500 rows, 100 shown"), "{out}");
    let err = fails(&["data", "sql", "SELEKT 1", "--data-dir", &store]);
    assert!(err.contains("SQL error"), "{err}");
    let err = fails(&[
        "data",
        "sql",
        "SELECT 1",
        "--out",
        &s(&dir.join("x.json")),
        "--data-dir",
        &store,
    ]);
    assert!(err.contains(".parquet or .csv"), "{err}");
}

#[test]
fn conflicting_import_needs_a_policy() {
    let dir = scratch("conflict");
    let store = s(&dir.join("store"));
    let file = dir.join("a.csv");
    binance_csv(&file, 0, 10);
    ok(&[
        "data",
        "import",
        &s(&file),
        "--exchange",
        "binance",
        "--symbol",
        "BTCUSDT",
        "--data-dir",
        &store,
    ]);
    // The same minutes at other prices.
    let changed = std::fs::read_to_string(&file)
        .unwrap()
        .replace(",2.5,", ",3.5,");
    std::fs::write(&file, changed).unwrap();
    let err = fails(&[
        "data",
        "import",
        &s(&file),
        "--exchange",
        "binance",
        "--symbol",
        "BTCUSDT",
        "--data-dir",
        &store,
    ]);
    assert!(
        err.contains("10 bar(s) differ") && err.contains("--on-conflict"),
        "{err}"
    );
    let out = ok(&[
        "data",
        "import",
        &s(&file),
        "--exchange",
        "binance",
        "--symbol",
        "BTCUSDT",
        "--on-conflict",
        "replace",
        "--data-dir",
        &store,
    ]);
    assert!(out.contains("10 replaced"), "{out}");
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = scratch("bad");
    let store = s(&dir.join("store"));
    let unsorted = dir.join("unsorted.csv");
    std::fs::write(
        &unsorted,
        "ts,open,high,low,close,volume\n\
         2024-01-01T00:01:00Z,1,2,0.5,1.5,1\n\
         2024-01-01T00:00:00Z,1,2,0.5,1.5,1\n\
         2024-01-01T00:02:00Z,1,2,0.5,1.5,1\n",
    )
    .unwrap();
    let err = fails(&[
        "data",
        "import",
        &s(&unsorted),
        "--exchange",
        "x",
        "--symbol",
        "BTCUSDT",
        "--data-dir",
        &store,
    ]);
    assert!(
        err.contains("x/BTCUSDT/1m")
            && err.contains("opens before the row above")
            && err.contains("--sort"),
        "{err}"
    );
    let out = ok(&[
        "data",
        "import",
        &s(&unsorted),
        "--exchange",
        "x",
        "--symbol",
        "BTCUSDT",
        "--sort",
        "--data-dir",
        &store,
    ]);
    assert!(out.contains("3 new"), "{out}");

    let err = fails(&[
        "data",
        "import",
        &s(&dir.join("bars.json")),
        "--exchange",
        "x",
        "--symbol",
        "BTCUSDT",
        "--data-dir",
        &store,
    ]);
    assert!(
        err.contains("bars.json") && err.contains(".csv, .parquet or .feather"),
        "{err}"
    );
    let err = fails(&[
        "data",
        "import",
        &s(&unsorted),
        "--exchange",
        "X!",
        "--symbol",
        "BTCUSDT",
        "--data-dir",
        &store,
    ]);
    assert!(err.contains("exchange name"), "{err}");
    let err = fails(&["data", "check", "x/ETHUSDT/1m", "--data-dir", &store]);
    assert!(err.contains("no dataset x/ETHUSDT/1m"), "{err}");
    let err = fails(&["data", "list", "--data-dir", &s(&dir.join("nowhere"))]);
    assert!(err.contains("no store at"), "{err}");
}

#[test]
fn generate_into_the_store_then_check_and_resample_the_dataset() {
    let dir = scratch("generate");
    let store = s(&dir.join("store"));
    let out = ok(&[
        "data",
        "generate",
        "--bars",
        "1440",
        "--dataset",
        "synthetic/BTCUSDT/1m",
        "--data-dir",
        &store,
    ]);
    assert!(out.contains("to synthetic/BTCUSDT/1m (1440 new)"), "{out}");
    let out = ok(&[
        "data",
        "check",
        "synthetic/BTCUSDT/1m",
        "--data-dir",
        &store,
    ]);
    assert!(
        out.contains("synthetic/BTCUSDT/1m: 1440 rows, clean"),
        "{out}"
    );
    let out = ok(&[
        "data",
        "resample",
        "synthetic/BTCUSDT/1m",
        "--to",
        "60m",
        "--data-dir",
        &store,
    ]);
    assert!(
        out.contains("wrote 24 60m bars from 1440 1m bars to synthetic/BTCUSDT/60m (24 new)"),
        "{out}"
    );
    let out = ok(&["data", "list", "--data-dir", &store]);
    assert!(out.contains("synthetic/BTCUSDT/60m: 24 bars"), "{out}");
}

#[test]
fn the_bundled_sample_is_a_store() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    // Work on a copy: the repository's sample stays untouched (the catalog is written).
    let dir = scratch("sample");
    let copy = dir.join("sample");
    copy_dir(&sample.join("bars"), &copy.join("bars"));
    let out = ok(&["data", "list", "--data-dir", &s(&copy)]);
    assert!(
        out.contains(
            "sample/BTCUSDT/1m: 45031 bars, 2021-12-31T23:01:00Z → 2022-02-01T05:31:00Z, 0 gap(s)"
        ),
        "{out}"
    );
    let out = ok(&[
        "data",
        "check",
        "sample/BTCUSDT/1m",
        "--data-dir",
        &s(&copy),
    ]);
    assert!(out.contains("45031 rows, clean"), "{out}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("target dir");
    for entry in std::fs::read_dir(from).expect("readable dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("file copied");
        }
    }
}

#[test]
fn an_import_killed_at_any_moment_leaves_only_whole_files() {
    let dir = scratch("kill");
    let store = s(&dir.join("store"));
    let big = dir.join("big.csv");
    // 14 months of minutes: 14 partitions to write.
    let out = ok(&[
        "data",
        "generate",
        "--bars",
        "610000",
        "--seed",
        "3",
        "--out",
        &s(&big),
    ]);
    assert!(out.contains("wrote 610000"), "{out}");
    for delay_ms in [150, 400, 700, 1_000, 1_300, 1_700, 2_200] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vela"))
            .args([
                "data",
                "import",
                &s(&big),
                "--exchange",
                "k",
                "--symbol",
                "BTCUSDT",
                "--data-dir",
                &store,
            ])
            .env_remove("VELA_DATA_DIR")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("vela starts");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no destructor, no cleanup
        let _ = child.wait();
        // Whatever was written reads back whole: every partition file is complete.
        let listed = vela(&["data", "list", "--data-dir", &store]);
        let listed_text = text(&listed);
        assert!(
            listed.status.success() || listed_text.contains("no store at"),
            "after a kill at {delay_ms} ms:\n{listed_text}"
        );
        if listed_text.contains("k/BTCUSDT/1m") {
            let check = vela(&["data", "check", "k/BTCUSDT/1m", "--data-dir", &store]);
            assert!(
                text(&check).contains("clean") || text(&check).contains("gap"),
                "after a kill at {delay_ms} ms:\n{}",
                text(&check)
            );
        }
    }
    // Re-running completes the import.
    ok(&[
        "data",
        "import",
        &s(&big),
        "--exchange",
        "k",
        "--symbol",
        "BTCUSDT",
        "--data-dir",
        &store,
    ]);
    let out = ok(&["data", "list", "--data-dir", &store]);
    assert!(out.contains("k/BTCUSDT/1m: 610000 bars"), "{out}");
    assert!(out.contains("0 gap(s)"), "{out}");
}
