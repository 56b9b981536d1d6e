//! `vela sweep` on the bundled sample store.

use crate::support::{scratch, text, vela};

const SAMPLE: &str = "sample/BTCUSDT/1m";

fn sample_dir() -> String {
    format!("{}/data/sample", env!("CARGO_MANIFEST_DIR"))
}

/// `vela sweep SAMPLE --data-dir data/sample` followed by `args`.
fn sweep(args: &[&str]) -> std::process::Output {
    let dir = sample_dir();
    let mut all = vec!["sweep", SAMPLE, "--data-dir", dir.as_str()];
    all.extend_from_slice(args);
    vela(&all)
}

fn fingerprint(out: &str) -> String {
    out.lines()
        .find(|l| l.starts_with("fingerprint: "))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_crossover_grid_writes_its_table_heatmap_and_curves_the_same_with_one_and_two_threads() {
    let dir = scratch("sweep", "crossover");
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let table = dir.join(format!("t{threads}.parquet"));
        let csv = dir.join(format!("t{threads}.csv"));
        let heat = dir.join(format!("t{threads}.svg"));
        let (table_s, csv_s, heat_s) = (
            table.display().to_string(),
            csv.display().to_string(),
            heat.display().to_string(),
        );
        let common = [
            "--strategy",
            "crossover",
            "--grid",
            "fast=5:30:5",
            "--grid",
            "slow=20,40,80",
            "--constraint",
            "fast<slow",
            "--rank-by",
            "total_return",
            "--top",
            "3",
            "--threads",
            threads,
            "--from",
            "2022-01-05",
            "--to",
            "2022-01-20",
        ];
        let mut args = common.to_vec();
        args.extend([
            "--out",
            &table_s,
            "--heatmap",
            &heat_s,
            "--keep-equity",
            "2",
        ]);
        let out = sweep(&args);
        let said = text(&out);
        assert!(out.status.success(), "{said}");
        assert!(said.contains("sweep crossover: 15 combinations (3 skipped by constraints) × 1 dataset(s), 21600 bars"), "{said}");
        assert!(said.contains("top 3 by total_return:"), "{said}");
        assert!(
            said.contains("wrote") && said.contains("2 equity curves"),
            "{said}"
        );
        let mut csv_args = common.to_vec();
        csv_args.extend(["--out", &csv_s]);
        let out_csv = sweep(&csv_args);
        assert!(out_csv.status.success(), "{}", text(&out_csv));
        // The fingerprint does not depend on the output format.
        assert_eq!(fingerprint(&said), fingerprint(&text(&out_csv)));
        let equity = dir.join(format!("t{threads}.equity.parquet"));
        outputs.push((
            fingerprint(&said),
            std::fs::read(&table).expect("table"),
            std::fs::read(&csv).expect("csv"),
            std::fs::read(&heat).expect("heatmap"),
            std::fs::read(&equity).expect("curves"),
        ));
    }
    let (one, two) = (&outputs[0], &outputs[1]);
    assert!(one.0.starts_with("fingerprint: config "), "{}", one.0);
    assert_eq!(one.0, two.0);
    assert!(one.1 == two.1, "Parquet tables differ");
    assert!(one.2 == two.2, "CSV tables differ");
    assert!(one.3 == two.3, "heatmaps differ");
    assert!(one.4 == two.4, "equity curves differ");
    let csv = String::from_utf8(one.2.clone()).expect("utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 16);
    assert!(lines[0].starts_with("rank,dataset,combination,fast,slow,total_return,"));
    assert!(lines[1].starts_with("1,sample/BTCUSDT/1m,"));
    // Ranked by total return, best first.
    let column = lines[0]
        .split(',')
        .position(|c| c == "total_return")
        .expect("column");
    let returns: Vec<f64> = lines[1..]
        .iter()
        .map(|l| {
            l.split(',')
                .nth(column)
                .expect("cell")
                .parse()
                .expect("number")
        })
        .collect();
    assert!(returns.windows(2).all(|w| w[0] >= w[1]), "{returns:?}");
    assert!(String::from_utf8_lossy(&one.3).starts_with("<svg"));
}

#[test]
fn a_sweep_file_gives_the_same_sweep_as_flags() {
    let dir = scratch("sweep", "file");
    let file = dir.join("sweep.toml");
    std::fs::write(
        &file,
        "strategy = \"mean_reversion\"\n[grid]\nperiod = [20, 40]\nk = \"1.5:2.5:0.5\"\n",
    )
    .expect("write");
    let file_s = file.display().to_string();
    let from_file = sweep(&["--grid-file", &file_s, "--to", "2022-01-03"]);
    let from_flags = sweep(&[
        "--strategy",
        "mean_reversion",
        "--grid",
        "k=1.5,2,2.5",
        "--grid",
        "period=20,40",
        "--to",
        "2022-01-03",
    ]);
    assert!(from_file.status.success(), "{}", text(&from_file));
    assert!(from_flags.status.success(), "{}", text(&from_flags));
    assert!(text(&from_file).contains("6 combinations"));
    assert_eq!(
        fingerprint(&text(&from_file)),
        fingerprint(&text(&from_flags))
    );
}

#[test]
fn bad_input_is_named() {
    let cases: [(&[&str], &str); 10] = [
        (
            &["--strategy", "nope", "--grid", "a=1"],
            "unknown strategy \"nope\"",
        ),
        (
            &["--strategy", "dca", "--grid", "take_profit=0.02"],
            "has no vectorised form",
        ),
        (
            &["--strategy", "crossover", "--grid", "fats=5"],
            "grid fats: strategy crossover has no such parameter",
        ),
        (
            &["--strategy", "crossover", "--grid", "fast=50:5:5"],
            "grid fast: bad range \"50:5:5\": the stop is below the start",
        ),
        (
            &["--strategy", "crossover"],
            "empty grid: no parameter to vary",
        ),
        (
            &[
                "--strategy",
                "crossover",
                "--grid",
                "fast=40,50",
                "--grid",
                "slow=30",
                "--constraint",
                "fast<slow",
            ],
            "empty grid: the constraints (fast<slow) leave none of the 2 combinations",
        ),
        (
            &[
                "--strategy",
                "crossover",
                "--grid",
                "fast=10",
                "--from",
                "2030-01-01",
            ],
            "dataset sample/BTCUSDT/1m has no bars in the range [2030-01-01T00:00:00",
        ),
        (
            &[
                "--strategy",
                "crossover",
                "--grid",
                "fast=10",
                "--rank-by",
                "sharp",
            ],
            "unknown metric \"sharp\"",
        ),
        (
            &[
                "--strategy",
                "crossover",
                "--grid",
                "fast=5,10",
                "--grid",
                "slow=8",
            ],
            "combination fast=10 slow=8: strategy crossover: parameter `fast` = 10 must be less than slow (8)",
        ),
        (
            &[
                "--strategy",
                "crossover",
                "--grid",
                "fast=10",
                "--keep-equity",
                "3",
            ],
            "--keep-equity needs --out",
        ),
    ];
    for (args, want) in cases {
        let out = sweep(args);
        let said = text(&out);
        assert!(!out.status.success(), "{args:?} succeeded: {said}");
        assert!(
            said.contains(want),
            "{args:?}: {said}\nshould contain: {want}"
        );
    }
    let out = vela(&[
        "sweep",
        "nowhere/XYZ/1m",
        "--data-dir",
        &sample_dir(),
        "--strategy",
        "crossover",
        "--grid",
        "fast=5",
    ]);
    assert!(
        text(&out).contains("no dataset nowhere/XYZ/1m in the store"),
        "{}",
        text(&out)
    );
}
