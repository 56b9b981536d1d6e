//! `check` on constructed frames: one test per kind of finding, each asserting the exact
//! rows, timestamps and counts.

use vela_data::check::{CheckOptions, Finding, Violation, check_with};
use vela_data::frame::Row;
use vela_data::{BarFrame, Interval, check};

const MIN: i64 = 60_000;
/// 2021-12-31T23:00:00Z.
const T0: i64 = 1_640_991_600_000;

/// A well-formed 1m bar opening `minute` minutes after `T0`.
fn bar(minute: i64) -> Row {
    Row {
        ts: T0 + minute * MIN,
        open: 100.0,
        high: 102.0,
        low: 99.0,
        close: 101.0,
        volume: 5.0,
        quote_volume: Some(505.0),
    }
}

fn frame(minutes: &[i64]) -> BarFrame {
    let mut frame = BarFrame::empty(true);
    for &m in minutes {
        frame.push(bar(m));
    }
    frame
}

#[test]
fn a_clean_frame_has_no_findings() {
    let report = check("BTCUSDT 1m", &frame(&[0, 1, 2, 3, 4]), Interval::M1);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.rows, 5);
    assert_eq!(report.to_string(), "BTCUSDT 1m: 5 rows, clean");
    let empty = check("empty", &BarFrame::empty(false), Interval::M1);
    assert!(empty.is_clean());
    assert_eq!(empty.rows, 0);
}

#[test]
fn gaps_with_their_lengths() {
    let report = check("BTCUSDT 1m", &frame(&[0, 1, 42, 46, 47, 49]), Interval::M1);
    assert_eq!(
        report.findings,
        vec![
            Finding::Gap {
                after_row: 1,
                from_ts: T0 + MIN,
                to_ts: T0 + 42 * MIN,
                missing: 40,
            },
            Finding::Gap {
                after_row: 2,
                from_ts: T0 + 42 * MIN,
                to_ts: T0 + 46 * MIN,
                missing: 3,
            },
            Finding::Gap {
                after_row: 4,
                from_ts: T0 + 47 * MIN,
                to_ts: T0 + 49 * MIN,
                missing: 1,
            },
        ]
    );
    let lines: Vec<String> = report.lines().map(|l| l.to_string()).collect();
    assert_eq!(
        lines[1],
        "BTCUSDT 1m: gap of 3 bars after row 2 (2021-12-31T23:42:00Z → 23:46:00Z)"
    );
    assert_eq!(
        lines[2],
        "BTCUSDT 1m: gap of 1 bar after row 4 (2021-12-31T23:47:00Z → 23:49:00Z)"
    );
    let summary = report.summary();
    assert_eq!((summary.gaps, summary.missing_bars), (3, 44));
    assert_eq!(
        summary.to_string(),
        "BTCUSDT 1m: 6 rows: 3 gaps (44 missing bars)"
    );
}

#[test]
fn gaps_across_a_day_boundary_and_in_calendar_months() {
    // 23:58 → 00:02 next day: 3 missing; the end is written with its date.
    let report = check("x", &frame(&[58, 62]), Interval::M1);
    assert_eq!(
        report.findings[0].to_string(),
        "gap of 3 bars after row 0 (2021-12-31T23:58:00Z → 2022-01-01T00:02:00Z)"
    );
    // Monthly bars: 2024-01, 2024-02, 2024-05 → March and April are missing.
    let months = [1_704_067_200_000, 1_706_745_600_000, 1_714_521_600_000];
    let mut monthly = BarFrame::empty(false);
    for ts in months {
        monthly.push(Row { ts, ..bar(0) });
    }
    let report = check("x 1M", &monthly, Interval::Month1);
    assert_eq!(
        report.findings,
        vec![Finding::Gap {
            after_row: 1,
            from_ts: months[1],
            to_ts: months[2],
            missing: 2,
        }]
    );
}

#[test]
fn duplicates_in_a_sorted_frame() {
    let report = check("x", &frame(&[0, 1, 1, 1, 2, 3, 3]), Interval::M1);
    assert_eq!(
        report.findings,
        vec![
            Finding::Duplicate {
                rows: vec![1, 2, 3],
                ts: T0 + MIN,
            },
            Finding::Duplicate {
                rows: vec![5, 6],
                ts: T0 + 3 * MIN,
            },
        ]
    );
    assert_eq!(
        report.findings[0].named("x").to_string(),
        "x: rows 1, 2, 3 share the open time 2021-12-31T23:01:00Z"
    );
    let summary = report.summary();
    assert_eq!((summary.duplicates, summary.duplicate_rows), (2, 3));
}

#[test]
fn out_of_order_rows_and_duplicates_that_are_not_adjacent() {
    // Rows: 2, 0, 1, 2, 0 (minutes). Time order: 0 (rows 1, 4), 1 (row 2), 2 (rows 0, 3).
    let report = check("x", &frame(&[2, 0, 1, 2, 0]), Interval::M1);
    assert_eq!(
        report.findings,
        vec![
            Finding::OutOfOrder {
                row: 1,
                ts: T0,
                previous_ts: T0 + 2 * MIN,
            },
            Finding::OutOfOrder {
                row: 4,
                ts: T0,
                previous_ts: T0 + 2 * MIN,
            },
            Finding::Duplicate {
                rows: vec![1, 4],
                ts: T0,
            },
            Finding::Duplicate {
                rows: vec![0, 3],
                ts: T0 + 2 * MIN,
            },
        ]
    );
    assert_eq!(
        report.findings[0].to_string(),
        "row 1 (2021-12-31T23:00:00Z) opens before the row above it (2021-12-31T23:02:00Z)"
    );
}

#[test]
fn gaps_of_an_unsorted_frame_are_found_in_time_order() {
    // Rows: 5, 0, 1 (minutes): in time order 0, 1, 5 → 3 bars missing after row 2.
    let report = check("x", &frame(&[5, 0, 1]), Interval::M1);
    assert_eq!(
        report.findings,
        vec![
            Finding::OutOfOrder {
                row: 1,
                ts: T0,
                previous_ts: T0 + 5 * MIN,
            },
            Finding::Gap {
                after_row: 2,
                from_ts: T0 + MIN,
                to_ts: T0 + 5 * MIN,
                missing: 3,
            },
        ]
    );
}

#[test]
fn misaligned_open_times() {
    let mut f = frame(&[0, 1, 2]);
    f.ts[1] += 30_000;
    let report = check("x", &f, Interval::M1);
    // 23:01:30 lies in the 23:01 bar: misaligned, but no bar is missing.
    assert_eq!(
        report.findings,
        vec![Finding::Misaligned {
            row: 1,
            ts: T0 + MIN + 30_000,
            bar_open: T0 + MIN,
        }]
    );
    assert_eq!(
        report.findings[0].to_string(),
        "row 1 opens at 2021-12-31T23:01:30Z, which is not a bar open time \
         (its bar opens at 2021-12-31T23:01:00Z)"
    );
}

#[test]
fn ohlc_violations() {
    let mut f = frame(&[0, 1, 2, 3, 4]);
    // Row 1: high < low (open and close are then not judged).
    (f.high[1], f.low[1]) = (98.0, 99.0);
    // Row 2: open above high. Row 3: close below low. Row 4: both.
    f.open[2] = 103.0;
    f.close[3] = 98.5;
    (f.open[4], f.close[4]) = (98.0, 102.5);
    let report = check("x", &f, Interval::M1);
    let ts = |m: i64| T0 + m * MIN;
    assert_eq!(
        report.findings,
        vec![
            Finding::OhlcViolation {
                row: 1,
                ts: ts(1),
                what: Violation::HighBelowLow,
            },
            Finding::OhlcViolation {
                row: 2,
                ts: ts(2),
                what: Violation::OpenOutsideRange,
            },
            Finding::OhlcViolation {
                row: 3,
                ts: ts(3),
                what: Violation::CloseOutsideRange,
            },
            Finding::OhlcViolation {
                row: 4,
                ts: ts(4),
                what: Violation::OpenOutsideRange,
            },
            Finding::OhlcViolation {
                row: 4,
                ts: ts(4),
                what: Violation::CloseOutsideRange,
            },
        ]
    );
    assert_eq!(
        report.findings[0].to_string(),
        "row 1 (2021-12-31T23:01:00Z): high is below low"
    );
    assert_eq!(report.summary().ohlc_violations, 5);
}

#[test]
fn non_finite_and_negative_values() {
    let mut f = frame(&[0, 1, 2, 3]);
    f.open[0] = f64::NAN;
    f.high[1] = f64::INFINITY;
    // Below the low too, but reported only as a bad value.
    f.close[1] = f64::NEG_INFINITY;
    f.volume[2] = -1.0;
    f.low[3] = -0.5;
    if let Some(q) = &mut f.quote_volume {
        q[3] = f64::NEG_INFINITY;
    }
    let report = check("x", &f, Interval::M1);
    let found: Vec<(usize, &str, String)> = report
        .findings
        .iter()
        .map(|finding| match finding {
            Finding::BadValue {
                row, column, value, ..
            } => (*row, *column, value.to_string()),
            other => panic!("unexpected {other}"),
        })
        .collect();
    // Rows with NaN or infinite prices are not judged by the OHLC rules; the negative low
    // is below the open, so the OHLC rules hold there.
    assert_eq!(
        found,
        vec![
            (0, "open", "NaN".to_owned()),
            (1, "high", "inf".to_owned()),
            (1, "close", "-inf".to_owned()),
            (2, "volume", "-1".to_owned()),
            (3, "low", "-0.5".to_owned()),
            (3, "quote_volume", "-inf".to_owned()),
        ]
    );
    assert_eq!(
        report.findings[3].named("x").to_string(),
        "x: row 2 (2021-12-31T23:02:00Z): volume is -1"
    );
}

#[test]
fn zero_volume_runs_and_their_minimum_length() {
    let mut f = frame(&[0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for row in [1, 2, 4, 6, 7, 8] {
        f.volume[row] = 0.0;
    }
    let report = check("x", &f, Interval::M1);
    let run = |first_row: usize, last_row: usize| Finding::ZeroVolumeRun {
        first_row,
        last_row,
        from_ts: T0 + i64::try_from(first_row).unwrap() * MIN,
        to_ts: T0 + i64::try_from(last_row).unwrap() * MIN,
        bars: last_row - first_row + 1,
    };
    assert_eq!(report.findings, vec![run(1, 2), run(4, 4), run(6, 8)]);
    assert_eq!(
        report.findings[0].to_string(),
        "zero volume in rows 1–2 (2 bars, 2021-12-31T23:01:00Z → 23:02:00Z)"
    );
    assert_eq!(
        report.findings[1].to_string(),
        "zero volume in row 4 (2021-12-31T23:04:00Z)"
    );
    let summary = report.summary();
    assert_eq!((summary.zero_volume_runs, summary.zero_volume_bars), (3, 6));
    let options = CheckOptions {
        min_zero_volume_run: 2,
    };
    let longer = check_with("x", &f, Interval::M1, options);
    assert_eq!(longer.findings, vec![run(1, 2), run(6, 8)]);
}

#[test]
fn misaligned_columns_stop_the_check() {
    let mut f = frame(&[0, 1, 5]);
    f.close.pop();
    let report = check("x", &f, Interval::M1);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(
        report.to_string(),
        "x: 3 rows: 1 column mismatch\n\
         x: columns do not line up (bar column close has 2 rows, ts has 3)"
    );
}

#[test]
fn a_report_lists_its_summary_then_every_finding() {
    let mut f = frame(&[0, 0, 3]);
    f.volume[2] = 0.0;
    let report = check("ETHUSDT 1m", &f, Interval::M1);
    assert_eq!(
        report.to_string(),
        "ETHUSDT 1m: 3 rows: 1 duplicate timestamp (1 extra row), 1 gap (2 missing bars), \
         1 zero-volume run (1 bar)\n\
         ETHUSDT 1m: rows 0, 1 share the open time 2021-12-31T23:00:00Z\n\
         ETHUSDT 1m: gap of 2 bars after row 1 (2021-12-31T23:00:00Z → 23:03:00Z)\n\
         ETHUSDT 1m: zero volume in row 2 (2021-12-31T23:03:00Z)"
    );
}
