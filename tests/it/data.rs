//! `vela data` run as a user would: generate, check (and repair), resample.

use std::path::Path;

use crate::support::{text, vela};

fn scratch(name: &str) -> crate::support::Scratch {
    crate::support::scratch("data", name)
}

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

#[test]
fn generate_then_check_then_resample() {
    let dir = scratch("flow");
    let bars = path(&dir, "bars.csv");
    let out = vela(&[
        "data", "generate", "--seed", "7", "--bars", "180", "--out", &bars,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("wrote 180 1m bars (seed 7) from 2024-01-01T00:00:00Z"),
        "{}",
        text(&out)
    );
    // The same seed writes the same file.
    let again = path(&dir, "again.csv");
    vela(&[
        "data", "generate", "--seed", "7", "--bars", "180", "--out", &again,
    ]);
    assert_eq!(
        std::fs::read(&bars).unwrap(),
        std::fs::read(&again).unwrap()
    );

    let out = vela(&["data", "check", &bars]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1m: 180 rows, clean"), "{}", text(&out));

    let hours = path(&dir, "hours.csv");
    let out = vela(&["data", "resample", &bars, "--to", "60m", "--out", &hours]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("wrote 3 60m bars from 180 1m bars"),
        "{}",
        text(&out)
    );
    let out = vela(&["data", "check", &hours, "--interval", "60m"]);
    assert!(text(&out).contains("60m: 3 rows, clean"), "{}", text(&out));
}

#[test]
fn check_reports_problems_and_repairs_only_by_named_policies() {
    let dir = scratch("repair");
    let dirty = path(&dir, "dirty.csv");
    // 2024-01-01 00:00, 00:01, then 00:04 twice: a gap of 2 bars and a duplicate.
    std::fs::write(
        &dirty,
        "ts,open,high,low,close,volume\n\
         1704067200000,10,11,9,10.5,1\n\
         1704067260000,10.5,11,10,10.8,2\n\
         1704067440000,10.8,11,10.5,10.9,3\n\
         1704067440000,10.8,11,10.5,10.7,4\n",
    )
    .unwrap();
    let out = vela(&["data", "check", &dirty]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = text(&out);
    assert!(
        report.contains("rows 2, 3 share the open time 2024-01-01T00:04:00Z"),
        "{report}"
    );
    assert!(report.contains("gap of 2 bars after row 1"), "{report}");

    // Filling gaps while duplicates remain is refused: nothing is repaired silently.
    let fixed = path(&dir, "fixed.csv");
    let out = vela(&[
        "data",
        "check",
        &dirty,
        "--fill-gaps",
        "forward",
        "--out",
        &fixed,
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("add a drop-duplicates policy"),
        "{}",
        text(&out)
    );
    assert!(!Path::new(&fixed).exists());

    let out = vela(&[
        "data",
        "check",
        &dirty,
        "--drop-duplicates",
        "keep-last",
        "--fill-gaps",
        "forward",
        "--out",
        &fixed,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("dropped 1 duplicate rows; filled 1 gaps with 2 bars (4 → 5 rows)"),
        "{}",
        text(&out)
    );
    let repaired = std::fs::read_to_string(&fixed).unwrap();
    assert_eq!(repaired.lines().count(), 6, "{repaired}");
    assert!(
        repaired.lines().last().unwrap().ends_with(",10.7,4"),
        "keep-last kept the second row"
    );

    let out = vela(&[
        "data",
        "check",
        &dirty,
        "--drop-duplicates",
        "last",
        "--out",
        &fixed,
    ]);
    assert!(
        text(&out).contains("valid: keep-first, keep-last"),
        "{}",
        text(&out)
    );
    let out = vela(&["data", "check", &path(&dir, "missing.csv")]);
    assert!(
        text(&out).contains("no such file") && text(&out).contains("missing.csv"),
        "{}",
        text(&out)
    );
}
