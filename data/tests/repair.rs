//! `repair` on constructed frames: every policy, their order, and every refusal.

use vela_data::check::{DroppedRow, FilledGap, Finding, PolicyError, Violation};
use vela_data::frame::Row;
use vela_data::{BarFrame, Duplicates, GapFill, Interval, Repair, RepairError, check, repair};

const MIN: i64 = 60_000;
/// 2021-12-31T23:00:00Z.
const T0: i64 = 1_640_991_600_000;

/// A 1m bar opening `minute` minutes after `T0`, with close `close`.
fn bar(minute: i64, close: f64) -> Row {
    Row {
        ts: T0 + minute * MIN,
        open: close,
        high: close + 1.0,
        low: close - 1.0,
        close,
        volume: 5.0,
        quote_volume: Some(5.0 * close),
    }
}

/// A frame of `(minute, close)` bars.
fn frame(bars: &[(i64, f64)]) -> BarFrame {
    let mut frame = BarFrame::empty(true);
    for &(m, close) in bars {
        frame.push(bar(m, close));
    }
    frame
}

fn minutes(frame: &BarFrame) -> Vec<i64> {
    frame.ts.iter().map(|ts| (ts - T0) / MIN).collect()
}

const FILL: Repair = Repair {
    sort: false,
    drop_duplicates: None,
    fill_gaps: Some(GapFill::Forward),
};

#[test]
fn policy_names_parse_and_unknown_names_list_the_valid_ones() {
    assert_eq!("forward".parse::<GapFill>(), Ok(GapFill::Forward));
    assert_eq!(
        "keep-first".parse::<Duplicates>(),
        Ok(Duplicates::KeepFirst)
    );
    assert_eq!("keep-last".parse::<Duplicates>(), Ok(Duplicates::KeepLast));
    for policy in [Duplicates::KeepFirst, Duplicates::KeepLast] {
        assert_eq!(policy.to_string().parse::<Duplicates>(), Ok(policy));
    }
    let err: PolicyError = "backward".parse::<GapFill>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown fill-gaps policy \"backward\" (valid: forward)"
    );
    let err = "last".parse::<Duplicates>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown drop-duplicates policy \"last\" (valid: keep-first, keep-last)"
    );
}

#[test]
fn no_policy_changes_nothing() {
    let f = frame(&[(3, 1.0), (0, 2.0), (0, 3.0), (7, 4.0)]);
    let (out, log) = repair(&f, Interval::M1, &Repair::default()).unwrap();
    assert_eq!(out, f);
    assert!(log.is_empty());
    assert_eq!(log.to_string(), "no changes (4 → 4 rows)");
}

#[test]
fn forward_fill_inserts_flat_zero_volume_bars() {
    let f = frame(&[(0, 10.0), (1, 11.0), (4, 12.0), (5, 13.0), (7, 14.0)]);
    let (out, log) = repair(&f, Interval::M1, &FILL).unwrap();
    assert_eq!(minutes(&out), vec![0, 1, 2, 3, 4, 5, 6, 7]);
    for row in [2, 3] {
        assert_eq!(
            out.row(row),
            Some(Row {
                ts: T0 + i64::try_from(row).unwrap() * MIN,
                open: 11.0,
                high: 11.0,
                low: 11.0,
                close: 11.0,
                volume: 0.0,
                quote_volume: Some(0.0)
            })
        );
    }
    assert_eq!(out.close[6], 13.0);
    assert_eq!(
        (out.volume[6], out.quote_volume.as_ref().unwrap()[6]),
        (0.0, 0.0)
    );
    // The original rows are untouched.
    assert_eq!(out.row(4), f.row(2));
    assert_eq!(
        log.filled,
        vec![
            FilledGap {
                after_row: 1,
                first_row: 2,
                from_ts: T0 + 2 * MIN,
                to_ts: T0 + 3 * MIN,
                bars: 2
            },
            FilledGap {
                after_row: 3,
                first_row: 6,
                from_ts: T0 + 6 * MIN,
                to_ts: T0 + 6 * MIN,
                bars: 1
            },
        ]
    );
    assert_eq!(log.to_string(), "filled 2 gaps with 3 bars (5 → 8 rows)");
    // No gap is left; the filled bars are what a later check shows as zero-volume runs.
    let report = check("x", &out, Interval::M1);
    assert_eq!(report.summary().gaps, 0);
    assert_eq!(report.summary().zero_volume_runs, 2);
    assert_eq!(report.summary().zero_volume_bars, 3);
}

#[test]
fn forward_fill_steps_calendar_months() {
    let months = [1_704_067_200_000, 1_706_745_600_000, 1_714_521_600_000];
    let mut f = BarFrame::empty(false);
    for ts in months {
        f.push(Row { ts, ..bar(0, 5.0) });
    }
    let (out, log) = repair(&f, Interval::Month1, &FILL).unwrap();
    // 2024-03-01 and 2024-04-01 inserted.
    assert_eq!(
        out.ts,
        vec![
            months[0],
            months[1],
            1_709_251_200_000,
            1_711_929_600_000,
            months[2]
        ]
    );
    assert!(out.quote_volume.is_none());
    assert_eq!(log.filled_bars(), 2);
}

#[test]
fn duplicates_keep_first_or_last_in_row_order() {
    let f = frame(&[(0, 1.0), (1, 2.0), (1, 3.0), (1, 4.0), (2, 5.0)]);
    let keep = |policy| Repair {
        drop_duplicates: Some(policy),
        ..Repair::default()
    };
    let (first, log) = repair(&f, Interval::M1, &keep(Duplicates::KeepFirst)).unwrap();
    assert_eq!(
        (minutes(&first), first.close.clone()),
        (vec![0, 1, 2], vec![1.0, 2.0, 5.0])
    );
    assert_eq!(
        log.dropped,
        vec![
            DroppedRow {
                row: 2,
                ts: T0 + MIN,
                kept_row: 1
            },
            DroppedRow {
                row: 3,
                ts: T0 + MIN,
                kept_row: 1
            },
        ]
    );
    let (last, log) = repair(&f, Interval::M1, &keep(Duplicates::KeepLast)).unwrap();
    assert_eq!(last.close, vec![1.0, 4.0, 5.0]);
    assert_eq!(
        log.dropped.iter().map(|d| d.row).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(log.to_string(), "dropped 2 duplicate rows (5 → 3 rows)");
    // Without sorting, an unsorted frame keeps its order: only the duplicates go.
    let unsorted = frame(&[(1, 1.0), (0, 2.0), (1, 3.0)]);
    let (out, log) = repair(&unsorted, Interval::M1, &keep(Duplicates::KeepLast)).unwrap();
    assert_eq!((minutes(&out), out.close), (vec![0, 1], vec![2.0, 3.0]));
    assert_eq!(
        log.dropped,
        vec![DroppedRow {
            row: 0,
            ts: T0 + MIN,
            kept_row: 2
        }]
    );
}

#[test]
fn sort_then_duplicates_then_gaps() {
    // Rows: 3, 0, 0, 1 (minutes). Sorted: 0 (row 1), 0 (row 2), 1 (row 3), 3 (row 0).
    let f = frame(&[(3, 1.0), (0, 2.0), (0, 3.0), (1, 4.0)]);
    let all = Repair {
        sort: true,
        drop_duplicates: Some(Duplicates::KeepLast),
        fill_gaps: Some(GapFill::Forward),
    };
    let (out, log) = repair(&f, Interval::M1, &all).unwrap();
    assert_eq!(minutes(&out), vec![0, 1, 2, 3]);
    assert_eq!(out.close, vec![3.0, 4.0, 4.0, 1.0]);
    assert_eq!(log.moved, 4);
    assert_eq!(
        log.dropped,
        vec![DroppedRow {
            row: 1,
            ts: T0,
            kept_row: 2
        }]
    );
    assert_eq!(
        log.filled,
        vec![FilledGap {
            after_row: 3,
            first_row: 2,
            from_ts: T0 + 2 * MIN,
            to_ts: T0 + 2 * MIN,
            bars: 1
        }]
    );
    assert_eq!(
        log.to_string(),
        "sort moved 4 rows; dropped 1 duplicate rows; filled 1 gaps with 1 bars (4 → 4 rows)"
    );
    // Sorting alone is stable: equal open times keep their row order.
    let sort = Repair {
        sort: true,
        ..Repair::default()
    };
    let (sorted, _) = repair(&f, Interval::M1, &sort).unwrap();
    assert_eq!(sorted.close, vec![2.0, 3.0, 4.0, 1.0]);
}

#[test]
fn filling_refuses_what_the_chosen_policies_leave_unsafe() {
    let unsorted = frame(&[(0, 1.0), (3, 2.0), (1, 3.0)]);
    assert_eq!(
        repair(&unsorted, Interval::M1, &FILL),
        Err(RepairError::Unsorted {
            row: 2,
            ts: T0 + MIN,
            previous_ts: T0 + 3 * MIN
        })
    );
    let err = repair(&unsorted, Interval::M1, &FILL)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "cannot fill gaps: row 2 (2021-12-31T23:01:00Z) opens before the row above it \
         (2021-12-31T23:03:00Z); add the sort policy"
    );
    // With the sort, it goes through.
    let sorted = repair(&unsorted, Interval::M1, &Repair { sort: true, ..FILL }).unwrap();
    assert_eq!(minutes(&sorted.0), vec![0, 1, 2, 3]);

    let duplicated = frame(&[(0, 1.0), (0, 2.0), (2, 3.0)]);
    let err = repair(&duplicated, Interval::M1, &FILL).unwrap_err();
    assert_eq!(
        err,
        RepairError::Duplicate {
            first_row: 0,
            row: 1,
            ts: T0
        }
    );
    assert!(
        err.to_string().contains("add a drop-duplicates policy"),
        "{err}"
    );

    let mut misaligned = frame(&[(0, 1.0), (2, 2.0)]);
    misaligned.ts[1] += 1_000;
    assert_eq!(
        repair(&misaligned, Interval::M1, &FILL),
        Err(RepairError::Misaligned {
            row: 1,
            ts: T0 + 2 * MIN + 1_000,
            bar_open: T0 + 2 * MIN
        })
    );

    let mut nan_close = frame(&[(0, 1.0), (1, 2.0), (3, 3.0)]);
    nan_close.close[1] = f64::NAN;
    let err = repair(&nan_close, Interval::M1, &FILL).unwrap_err();
    assert!(
        matches!(err, RepairError::BadClose { row: 1, ts, close } if ts == T0 + MIN && close.is_nan()),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "cannot fill the gap after row 1 (2021-12-31T23:01:00Z): its close is NaN"
    );

    let huge = frame(&[(0, 1.0), (200_000_000, 2.0)]);
    assert_eq!(
        repair(&huge, Interval::M1, &FILL),
        Err(RepairError::TooManyBars { bars: 199_999_999 })
    );

    let mut ragged = frame(&[(0, 1.0)]);
    ragged.volume.clear();
    assert!(matches!(
        repair(&ragged, Interval::M1, &Repair::default()),
        Err(RepairError::Frame(_))
    ));
}

#[test]
fn ohlc_violations_and_bad_values_are_never_touched() {
    let mut f = frame(&[(0, 10.0), (1, 11.0), (3, 12.0)]);
    (f.high[0], f.low[0]) = (9.0, 10.0); // high < low
    f.volume[1] = -2.0;
    f.open[2] = f64::INFINITY;
    let (out, log) = repair(&f, Interval::M1, &FILL).unwrap();
    assert_eq!(log.filled_bars(), 1);
    assert_eq!(out.row(0), f.row(0));
    assert_eq!(out.row(1), f.row(1));
    assert_eq!(out.row(3), f.row(2));
    let report = check("x", &out, Interval::M1);
    let kinds: Vec<(usize, String)> = report
        .findings
        .iter()
        .map(|finding| match finding {
            Finding::OhlcViolation { row, what, .. } => (*row, what.to_string()),
            Finding::BadValue { row, column, .. } => (*row, (*column).to_owned()),
            Finding::ZeroVolumeRun { first_row, .. } => (*first_row, "zero volume".to_owned()),
            other => panic!("unexpected {other}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (0, Violation::HighBelowLow.to_string()),
            (1, "volume".to_owned()),
            (3, "open".to_owned()),
            (2, "zero volume".to_owned()),
        ]
    );
}
