//! `vela backtest` and `vela report` as a user runs them, on the bundled sample.

use std::fs;
use std::path::Path;

use crate::support::{scratch, text, vela};

/// The bundled sample store.
fn sample() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample").to_owned()
}

/// `vela backtest` over the sample with `args`, expecting success; returns the output.
fn backtest(args: &[&str]) -> String {
    let data = sample();
    let mut all = vec!["backtest"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data-dir", &data]);
    let out = vela(&all);
    let said = text(&out);
    assert!(out.status.success(), "{all:?}: {said}");
    said
}

/// `vela backtest` over the sample, expecting a failure; returns standard error.
fn backtest_fails(args: &[&str]) -> String {
    let data = sample();
    let mut all = vec!["backtest"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data-dir", &data]);
    let out = vela(&all);
    assert!(!out.status.success(), "{all:?} succeeded: {}", text(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The `fingerprint: ...` line.
fn fingerprint(said: &str) -> String {
    said.lines()
        .find(|l| l.starts_with("fingerprint: "))
        .unwrap_or_else(|| panic!("no fingerprint in {said}"))
        .to_owned()
}

fn path(dir: &Path) -> &str {
    dir.to_str().expect("UTF-8 temp path")
}

const JANUARY: [&str; 4] = ["--from", "2022-01-03", "--to", "2022-01-10"];

#[test]
fn event_run_writes_the_run_directory_and_the_report_re_renders() {
    let root = scratch("backtest", "event");
    let dir = root.join("run");
    let mut args = vec!["sample/BTCUSDT/1m", "--strategy", "crossover"];
    args.extend_from_slice(&[
        "--param",
        "fast=20",
        "--param",
        "slow=60",
        "--out",
        path(&dir),
    ]);
    args.extend_from_slice(&JANUARY);
    let said = backtest(&args);
    for line in [
        "crossover on sample/BTCUSDT/1m (event tier): 10080 bars, 2022-01-03 00:00 → 2022-01-09 23:59 UTC",
        "total return",
        "Sharpe",
        "max drawdown",
        "profit factor",
        "fingerprint: config ",
        &format!("run directory: {}", dir.display()),
    ] {
        assert!(said.contains(line), "{line:?} missing in {said}");
    }
    for file in [
        "bot.toml",
        "backtest.toml",
        "stats.json",
        "trades.parquet",
        "equity.parquet",
        "fingerprint.json",
        "equity.svg",
        "report.html",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let bot = fs::read_to_string(dir.join("bot.toml")).unwrap();
    assert!(
        bot.contains("name = \"crossover\"") && bot.contains("fast = 20"),
        "{bot}"
    );
    let stats: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    assert_eq!(stats["run"]["bars"], 10_080);
    assert_eq!(stats["run"]["tier"], "event");
    assert!(stats["stats"]["trades"].as_u64().unwrap() > 0, "{stats}");
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Statistics") && html.contains("Trades"));
    for external in ["<script", "<link", " src=", "href=", "url("] {
        assert!(!html.contains(external), "{external} in the report");
    }

    // `vela report` re-renders the same bytes from the stored files.
    let report = fs::read(dir.join("report.html")).unwrap();
    let chart = fs::read(dir.join("equity.svg")).unwrap();
    fs::remove_file(dir.join("report.html")).unwrap();
    fs::remove_file(dir.join("equity.svg")).unwrap();
    let out = vela(&["report", path(&dir)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&fingerprint(&said)), "{}", text(&out));
    assert_eq!(fs::read(dir.join("report.html")).unwrap(), report);
    assert_eq!(fs::read(dir.join("equity.svg")).unwrap(), chart);
    let _ = fs::remove_dir_all(root);
}

#[test]
fn same_inputs_same_fingerprint_and_reruns_from_the_run_directory() {
    let root = scratch("backtest", "fingerprint");
    let (a, b, c) = (root.join("a"), root.join("b"), root.join("c"));
    let run = |out: &Path| {
        let mut args = vec![
            "sample/BTCUSDT/1m",
            "--strategy",
            "crossover",
            "--stop-loss",
        ];
        args.extend_from_slice(&["0.01", "--slippage-bps", "2", "--out", path(out)]);
        args.extend_from_slice(&JANUARY);
        backtest(&args)
    };
    let first = run(&a);
    let second = run(&b);
    assert_eq!(fingerprint(&first), fingerprint(&second));
    for file in [
        "stats.json",
        "trades.parquet",
        "equity.parquet",
        "report.html",
        "bot.toml",
    ] {
        assert_eq!(
            fs::read(a.join(file)).unwrap(),
            fs::read(b.join(file)).unwrap(),
            "{file} differs"
        );
    }
    // The run directory's own files rerun it: same fingerprint.
    let config = a.join("backtest.toml");
    let bot = a.join("bot.toml");
    let rerun = backtest(&[
        "--config",
        path(&config),
        "--bot",
        path(&bot),
        "--out",
        path(&c),
    ]);
    assert_eq!(fingerprint(&rerun), fingerprint(&first));
    assert_eq!(
        fs::read(a.join("trades.parquet")).unwrap(),
        fs::read(c.join("trades.parquet")).unwrap()
    );
    // A flag on top of the files changes the configuration hash.
    let varied = backtest(&[
        "--config",
        path(&config),
        "--bot",
        path(&bot),
        "--param",
        "fast=12",
        "--out",
        path(&root.join("d")),
    ]);
    assert_ne!(fingerprint(&varied), fingerprint(&first));
    let _ = fs::remove_dir_all(root);
}

#[test]
fn vector_tier_runs_and_matches_the_event_tiers_trades() {
    let root = scratch("backtest", "vector");
    let run = |tier: &str| {
        let out = root.join(tier);
        let mut args = vec![
            "sample/BTCUSDT/1m",
            "--strategy",
            "crossover",
            "--tier",
            tier,
        ];
        args.extend_from_slice(&["--out", path(&out)]);
        args.extend_from_slice(&JANUARY);
        let said = backtest(&args);
        let stats: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(out.join("stats.json")).unwrap()).unwrap();
        (said, stats)
    };
    let (said, vector) = run("vector");
    assert!(said.contains("(vector tier)"), "{said}");
    let (_, event) = run("event");
    assert_eq!(vector["stats"]["trades"], event["stats"]["trades"]);
    let (v, e) = (
        vector["run"]["final_equity"].as_f64().unwrap(),
        event["run"]["final_equity"].as_f64().unwrap(),
    );
    assert!((v - e).abs() / e < 1e-9, "vector {v} event {e}");
    let _ = fs::remove_dir_all(root);
}

#[test]
fn bad_input_is_a_clear_error() {
    let dataset = "sample/BTCUSDT/1m";
    let cases: [(&[&str], &str); 13] = [
        (
            &[dataset, "--strategy", "nope"],
            "unknown strategy \"nope\" (known: ",
        ),
        (
            &[
                dataset,
                "--strategy",
                "crossover",
                "--param",
                "fast=50",
                "--param",
                "slow=10",
            ],
            "parameter `fast` = 50 must be less than slow (10)",
        ),
        (
            &[dataset, "--strategy", "crossover", "--param", "speed=3"],
            "parameter `speed` = 3 is not a parameter",
        ),
        (
            &[dataset, "--strategy", "crossover", "--param", "fast"],
            "expected NAME=VALUE",
        ),
        (
            &["sample/ETHUSDT/1m", "--strategy", "crossover"],
            "unknown dataset sample/ETHUSDT/1m",
        ),
        (
            &[dataset, "--strategy", "crossover", "--from", "2023-01-01"],
            "has no bars in [2023-01-01T00:00:00Z, end) (it covers 2021-12-31T23:01:00Z",
        ),
        (
            &[
                dataset,
                "--strategy",
                "crossover",
                "--from",
                "2022-01-10",
                "--to",
                "2022-01-05",
            ],
            "data.to",
        ),
        (
            &[
                dataset,
                "--strategy",
                "crossover",
                "--fill",
                "this-close",
                "--volume-cap",
                "0.1",
            ],
            "look-ahead-unsafe combination refused",
        ),
        (
            &[dataset, "--strategy", "grid", "--tier", "vector"],
            "\"grid\" has no vectorised form",
        ),
        (
            &[dataset, "--strategy", "crossover", "--stop-loss", "1.5"],
            "risk.stop_loss.percent",
        ),
        (&[dataset], "give the strategy"),
        (
            &[
                dataset,
                "--strategy",
                "crossover",
                "--intrabar",
                "optimistic",
            ],
            "exchange.intrabar is not supported by the event tier",
        ),
        (
            &[
                dataset,
                "--strategy",
                "crossover",
                "--tier",
                "vector",
                "--no-compound",
            ],
            "compound is not supported by the vector tier",
        ),
    ];
    for (args, says) in cases {
        let err = backtest_fails(args);
        assert!(err.contains(says), "{args:?}: {err}");
        // One error, said once.
        assert_eq!(err.matches(says).count(), 1, "{args:?}: {err}");
    }
    let out = vela(&["report", "/nonexistent/run"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no such run directory"),
        "{}",
        text(&out)
    );
}

#[test]
fn unknown_symbols_need_their_precision() {
    let root = scratch("backtest", "symbol");
    let store = root.join("store");
    let out = vela(&[
        "data",
        "generate",
        "--bars",
        "600",
        "--dataset",
        "synthetic/SOLUSDT/1m",
        "--data-dir",
        path(&store),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let run = |extra: &[&str]| {
        let mut args = vec![
            "backtest",
            "synthetic/SOLUSDT/1m",
            "--strategy",
            "crossover",
        ];
        args.extend_from_slice(&["--data-dir", path(&store), "--out", path(&root)]);
        args.extend_from_slice(extra);
        vela(&args)
    };
    let refused = run(&[]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("SOLUSDT is not a known symbol"),
        "{}",
        text(&refused)
    );
    let ran = run(&["--price-decimals", "2", "--quantity-decimals", "3"]);
    assert!(ran.status.success(), "{}", text(&ran));
    let bot = fs::read_to_string(root.join("bot.toml")).unwrap();
    assert!(
        bot.contains("base = \"SOL\"") && bot.contains("quantity_precision = 3"),
        "{bot}"
    );
    let _ = fs::remove_dir_all(root);
}

/// The README's main command prints what the README shows (all but the run directory's
/// path, which the test moves to a scratch directory).
#[test]
fn readme_main_command_prints_what_the_readme_shows() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Backtest a strategy on the bundled sample")
        .nth(1)
        .expect("README section");
    let command = section
        .lines()
        .find(|l| l.starts_with("cargo run -q -- backtest "))
        .expect("the main command");
    let shown: Vec<&str> = section
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the output block")
        .lines()
        .collect();
    let root = scratch("backtest", "readme");
    let data = sample();
    let mut args: Vec<&str> = command
        .trim_start_matches("cargo run -q -- ")
        .split_whitespace()
        .map(|a| if a == "data/sample" { data.as_str() } else { a })
        .collect();
    let out_dir = root.join("run");
    args.extend_from_slice(&["--out", path(&out_dir)]);
    let out = vela(&args);
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let printed: Vec<&str> = printed.lines().collect();
    let (last_shown, shown) = shown.split_last().expect("lines");
    let (last_printed, printed) = printed.split_last().expect("lines");
    assert_eq!(printed, shown, "README output differs from the command's");
    assert!(last_shown.starts_with("run directory: runs/crossover-sample-BTCUSDT-1m-"));
    assert!(last_printed.starts_with(&format!("run directory: {}", out_dir.display())));
    let _ = fs::remove_dir_all(root);
}
