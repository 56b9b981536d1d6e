//! `vela walk-forward` on the bundled sample store.

use crate::support::{scratch, text, vela};

const SAMPLE: &str = "sample/BTCUSDT/1m";

/// `vela walk-forward SAMPLE --data-dir data/sample --strategy crossover` and `args`.
fn walk(args: &[&str]) -> std::process::Output {
    let dir = format!("{}/data/sample", env!("CARGO_MANIFEST_DIR"));
    let mut all = vec![
        "walk-forward",
        SAMPLE,
        "--data-dir",
        dir.as_str(),
        "--strategy",
        "crossover",
    ];
    all.extend_from_slice(args);
    vela(&all)
}

const GRID: [&str; 6] = [
    "--grid",
    "fast=10,20,40",
    "--grid",
    "slow=60,120",
    "--constraint",
    "fast<slow",
];

#[test]
fn a_rolling_walk_reports_every_window_and_writes_its_files() {
    let dir = scratch("walk", "rolling");
    let out_dir = dir.join("wf");
    let out_s = out_dir.display().to_string();
    let mut args = GRID.to_vec();
    args.extend([
        "--in-sample",
        "10d",
        "--out-of-sample",
        "5d",
        "--out",
        out_s.as_str(),
    ]);
    let out = walk(&args);
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    // 45,031 bars: 14,400 in sample, then 7,200-bar steps: 4 windows, 1,831 bars left.
    assert!(
        stdout.contains("45031 bars, 4 windows (14400 in sample, 7200 out of sample, rolling), 6 combinations per window"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1831 bars after the last window not traded"),
        "{stdout}"
    );
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(rows.len(), 4, "{stdout}");
    assert!(
        rows.iter()
            .all(|r| r.contains("fast=") && r.contains("slow=")),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(out_dir.join("windows.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5, "{csv}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["windows"].as_array().unwrap().len(), 4);
    assert_eq!(summary["rank_by"], "sharpe");
    assert!(
        std::fs::read_to_string(out_dir.join("equity.svg"))
            .unwrap()
            .starts_with("<svg")
    );
    // The same inputs give the same files.
    let again_dir = dir.join("wf2");
    let again_s = again_dir.display().to_string();
    let mut args2 = GRID.to_vec();
    args2.extend([
        "--in-sample",
        "10d",
        "--out-of-sample",
        "5d",
        "--out",
        again_s.as_str(),
    ]);
    assert!(walk(&args2).status.success());
    for file in ["windows.csv", "summary.json", "equity.svg"] {
        assert_eq!(
            std::fs::read(out_dir.join(file)).unwrap(),
            std::fs::read(again_dir.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn an_anchored_walk_optimises_from_the_first_bar() {
    let mut args = GRID.to_vec();
    args.extend([
        "--in-sample",
        "20000",
        "--out-of-sample",
        "10000",
        "--scheme",
        "anchored",
    ]);
    let out = walk(&args);
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("2 windows (20000 in sample, 10000 out of sample, anchored)"),
        "{stdout}"
    );
    // Every window's in-sample stretch starts at the first bar.
    let starts: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| l.split_whitespace().nth(1).unwrap_or_default())
        .collect();
    assert_eq!(starts, vec!["2021-12-31", "2021-12-31"], "{stdout}");
}

#[test]
fn bad_windows_and_flags_are_refused_with_the_reason() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--in-sample", "40d", "--out-of-sample", "10d"],
            "45031 bars hold no walk-forward step",
        ),
        (
            &["--in-sample", "3y", "--out-of-sample", "1d"],
            "--in-sample \"3y\": expected a number of bars",
        ),
        (
            &["--in-sample", "10d", "--out-of-sample", "90s"],
            "--out-of-sample \"90s\"",
        ),
        (
            &[
                "--in-sample",
                "10d",
                "--out-of-sample",
                "5d",
                "--tier",
                "event",
            ],
            "--tier does not apply",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = GRID.to_vec();
        args.extend_from_slice(extra);
        let out = walk(&args);
        let all = text(&out);
        assert!(!out.status.success(), "{extra:?}: {all}");
        assert!(
            all.contains(expected),
            "{extra:?}: expected {expected:?} in {all}"
        );
    }
    let out = walk(&[
        "--grid",
        "fats=1,2",
        "--in-sample",
        "10d",
        "--out-of-sample",
        "5d",
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("fats"), "{}", text(&out));
}
